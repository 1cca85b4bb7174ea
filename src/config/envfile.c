/* envfile.c — systemd EnvironmentFile= text into "KEY=VALUE" entries (see
 * envfile.h). One state machine over the bytes, as systemd's own
 * (src/basic/env-file.c) reads them; key and value are built in buffers
 * as long as the text, so nothing is reallocated (and left behind in freed
 * memory) on the way, and both are wiped when the parse ends. */
#include "config/envfile.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "base/strv.h"

typedef enum {
    PRE_KEY,        /* start of a line */
    KEY,            /* in the key, before '=' */
    PRE_VALUE,      /* after '=' or a closing quote: blanks are dropped */
    VALUE,          /* unquoted value */
    VALUE_ESCAPE,   /* after '\' in an unquoted value */
    SINGLE_QUOTE,   /* in '...' */
    DOUBLE_QUOTE,   /* in "..." */
    DOUBLE_ESCAPE,  /* after '\' in "..." */
    COMMENT,        /* a '#' or ';' line */
    COMMENT_ESCAPE, /* after '\' in a comment: the comment goes on */
} parse_state;

typedef struct {
    char *key, *value;
    size_t n_key, n_value;
    size_t key_end;   /* n_key without trailing blanks */
    size_t value_end; /* n_value without trailing unescaped blanks */
    int line;         /* where the entry (or the open quote) began */
} entry_buf;

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static bool is_newline(char c)
{
    return c == '\n' || c == '\r';
}

static bool name_valid(const char *key, size_t len)
{
    if (len == 0 || (key[0] >= '0' && key[0] <= '9')) return false;
    for (size_t i = 0; i < len; i++) {
        char c = key[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '_'))
            return false;
    }
    return true;
}

int env_set_take(char ***env, char *entry)
{
    if (!entry) return -ENOMEM;
    size_t klen = strcspn(entry, "=");
    for (size_t i = 0; *env && (*env)[i]; i++) {
        char *old = (*env)[i];
        if (strncmp(old, entry, klen) == 0 && old[klen] == '=') {
            explicit_bzero(old, strlen(old));
            free(old);
            (*env)[i] = entry;
            return 0;
        }
    }
    size_t n = strv_len(*env);
    char **grown = realloc(*env, (n + 2) * sizeof(*grown));
    if (!grown) {
        explicit_bzero(entry, strlen(entry));
        free(entry);
        return -ENOMEM;
    }
    grown[n] = entry;
    grown[n + 1] = NULL;
    *env = grown;
    return 0;
}

/* The entry of b into env: KEY=VALUE, the value cut at value_end. */
static int push_entry(entry_buf *b, char ***env)
{
    size_t klen = b->key_end, vlen = b->value_end;
    char *entry = malloc(klen + vlen + 2);
    if (!entry) return -ENOMEM;
    memcpy(entry, b->key, klen);
    entry[klen] = '=';
    memcpy(entry + klen + 1, b->value, vlen);
    entry[klen + 1 + vlen] = '\0';
    b->n_key = b->key_end = b->n_value = b->value_end = 0;
    return env_set_take(env, entry);
}

static void add_value(entry_buf *b, char c, bool keep_trailing)
{
    b->value[b->n_value++] = c;
    if (keep_trailing || !is_blank(c)) b->value_end = b->n_value;
}

/* One byte; line is the line it is on. 0, or -EINVAL with *problem. */
static int step(parse_state *s, char c, int line, entry_buf *b, char ***env, const char **problem)
{
    switch (*s) {
    case PRE_KEY:
        if (c == '#' || c == ';') {
            *s = COMMENT;
        } else if (!is_blank(c)) {
            *s = KEY;
            b->line = line;
            return step(s, c, line, b, env, problem);
        }
        return 0;
    case KEY:
        if (is_newline(c)) {
            *problem = "expected KEY=VALUE (there is no '=')";
            return -EINVAL;
        }
        if (c == '=') {
            if (!name_valid(b->key, b->key_end)) {
                *problem = "the part before '=' is not a variable name (letters, digits and "
                           "'_', not starting with a digit)";
                return -EINVAL;
            }
            *s = PRE_VALUE;
            return 0;
        }
        b->key[b->n_key++] = c;
        if (!is_blank(c)) b->key_end = b->n_key;
        return 0;
    case PRE_VALUE:
        if (is_newline(c)) {
            *s = PRE_KEY;
            return push_entry(b, env);
        }
        if (c == '\'' || c == '"') {
            *s = c == '\'' ? SINGLE_QUOTE : DOUBLE_QUOTE;
            b->line = line;
        } else if (c == '\\') {
            *s = VALUE_ESCAPE;
        } else if (!is_blank(c)) {
            *s = VALUE;
            add_value(b, c, false);
        }
        return 0;
    case VALUE:
        if (is_newline(c)) {
            *s = PRE_KEY;
            return push_entry(b, env);
        }
        if (c == '\\')
            *s = VALUE_ESCAPE;
        else
            add_value(b, c, false);
        return 0;
    case VALUE_ESCAPE:
        *s = VALUE;
        if (!is_newline(c)) add_value(b, c, true); /* an escaped newline continues the line */
        return 0;
    case SINGLE_QUOTE:
        if (c == '\'')
            *s = PRE_VALUE;
        else
            add_value(b, c, true);
        return 0;
    case DOUBLE_QUOTE:
        if (c == '"')
            *s = PRE_VALUE;
        else if (c == '\\')
            *s = DOUBLE_ESCAPE;
        else
            add_value(b, c, true);
        return 0;
    case DOUBLE_ESCAPE:
        *s = DOUBLE_QUOTE;
        if (strchr("\"\\`$", c)) {
            add_value(b, c, true);
        } else if (c != '\n') {
            add_value(b, '\\', true);
            add_value(b, c, true);
        }
        return 0;
    case COMMENT:
        if (c == '\\')
            *s = COMMENT_ESCAPE;
        else if (is_newline(c))
            *s = PRE_KEY;
        return 0;
    case COMMENT_ESCAPE: *s = COMMENT; return 0;
    }
    return 0;
}

/* What is left at the end of the text. */
static int finish(parse_state s, entry_buf *b, char ***env, const char **problem)
{
    switch (s) {
    case KEY: *problem = "expected KEY=VALUE (there is no '=')"; return -EINVAL;
    case PRE_VALUE:
    case VALUE:
    case VALUE_ESCAPE: return push_entry(b, env);
    case SINGLE_QUOTE:
    case DOUBLE_QUOTE:
    case DOUBLE_ESCAPE: *problem = "a quote that is not closed"; return -EINVAL;
    default: return 0;
    }
}

int envfile_parse(const char *text, size_t len, char ***env, int *line, const char **problem)
{
    entry_buf b = {.key = malloc(len + 1), .value = malloc(len + 1), .line = 1};
    int rc = 0, at = 1;
    parse_state s = PRE_KEY;
    if (!b.key || !b.value) {
        rc = -ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < len && rc == 0; i++) {
        if (text[i] == '\0') {
            *problem = "a NUL byte (this is no text file)";
            b.line = at;
            rc = -EINVAL;
            break;
        }
        rc = step(&s, text[i], at, &b, env, problem);
        if (text[i] == '\n') at++;
    }
    if (rc == 0) rc = finish(s, &b, env, problem);
    if (rc == -EINVAL) *line = b.line;
out:
    if (b.key) explicit_bzero(b.key, len + 1);
    if (b.value) explicit_bzero(b.value, len + 1);
    free(b.key);
    free(b.value);
    return rc;
}
