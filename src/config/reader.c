/* reader.c — typed TOML reads with located, worded errors (see reader.h). */
#include "config/reader.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/strv.h"
#include "config/expand.h"
#include "config/suggest.h"

static bool is_bare_key(const char *key)
{
    if (!*key) return false;
    for (const char *p = key; *p; p++)
        if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
              *p == '_' || *p == '-'))
            return false;
    return true;
}

void key_path(char *out, size_t size, const char *path, const char *key)
{
    const char *dot = path && *path ? "." : "";
    if (is_bare_key(key))
        snprintf(out, size, "%s%s%s", path ? path : "", dot, key);
    else
        snprintf(out, size, "%s%s\"%s\"", path ? path : "", dot, key);
}

void read_error(reader *rd, toml_pos pos, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    diag_vadd(rd->diags, pos.line, pos.col, fmt, ap);
    va_end(ap);
}

/* "string \"abc\"", "integer 5", "table": how a found value is named. */
static void describe_value(const toml_value *v, char *out, size_t size)
{
    switch (v->type) {
    case TOML_STRING:
        snprintf(out, size, "string \"%.40s%s\"", v->u.string.ptr,
                 v->u.string.len > 40 ? "..." : "");
        break;
    case TOML_INTEGER: snprintf(out, size, "integer %lld", (long long)v->u.integer); break;
    case TOML_BOOL: snprintf(out, size, "boolean %s", v->u.boolean ? "true" : "false"); break;
    default: snprintf(out, size, "%s", toml_type_name(v->type)); break;
    }
}

static void wrong_type_at(reader *rd, const toml_value *v, const char *where, const char *expected)
{
    char found[96];
    describe_value(v, found, sizeof(found));
    read_error(rd, v->pos, "'%s': expected %s, found %s", where, expected, found);
}

static void wrong_type(reader *rd, const toml_value *v, const char *path, const char *key,
                       const char *expected)
{
    char where[512];
    key_path(where, sizeof(where), path, key);
    wrong_type_at(rd, v, where, expected);
}

void read_check_keys(reader *rd, const toml_value *table, const char *path,
                     const char *const *allowed)
{
    for (size_t i = 0; i < table->u.table.len; i++) {
        const toml_entry *e = &table->u.table.entries[i];
        bool known = false;
        for (size_t k = 0; allowed[k] && !known; k++) known = strcmp(allowed[k], e->key) == 0;
        if (known) continue;
        char where[512];
        key_path(where, sizeof(where), path, e->key);
        const char *hint = suggest_closest(e->key, allowed);
        if (hint)
            read_error(rd, e->key_pos, "unknown key '%s'; did you mean '%s'?", where, hint);
        else {
            buf list = {0};
            for (size_t k = 0; allowed[k]; k++)
                buf_printf(&list, "%s%s", k ? ", " : "", allowed[k]);
            read_error(rd, e->key_pos, "unknown key '%s'; expected one of: %s", where,
                       list.data ? list.data : "");
            buf_free(&list);
        }
    }
}

bool read_require(reader *rd, const toml_value *table, const char *path, const char *key)
{
    if (toml_get(table, key)) return true;
    read_error(rd, table->pos, "'%s' is missing the required key '%s'", path, key);
    return false;
}

read_result read_table(reader *rd, const toml_value *table, const char *path, const char *key,
                       const toml_value **out)
{
    const toml_value *v = toml_get(table, key);
    if (!v) return READ_ABSENT;
    if (v->type != TOML_TABLE) {
        wrong_type(rd, v, path, key, "a table");
        return READ_BAD;
    }
    *out = v;
    return READ_OK;
}

/* Expands ${VAR} in a string value, reporting at the value's place. */
static read_result expand_string(reader *rd, const toml_value *v, const char *where, char **out)
{
    char *problem = NULL, *expanded = NULL;
    expand_result r =
        expand_vars(v->u.string.ptr, v->u.string.len, NULL, NULL, &expanded, &problem);
    switch (r) {
    case EXPAND_OK: *out = expanded; return READ_OK;
    case EXPAND_UNSET:
        read_error(rd, v->pos, "'%s': environment variable '%s' is not set", where, problem);
        break;
    case EXPAND_UNTERMINATED:
        read_error(rd, v->pos, "'%s': '%s' has no closing '}'", where, problem);
        break;
    case EXPAND_BAD_NAME:
        read_error(rd, v->pos,
                   "'%s': '${%s}' is not a variable name (letters, digits and '_'; "
                   "write '$${' for a literal '${')",
                   where, problem);
        break;
    case EXPAND_NOMEM: rd->diags->alloc_failed = 1; break;
    }
    free(problem);
    return READ_BAD;
}

static read_result string_value(reader *rd, const toml_value *v, const char *where, bool expand,
                                char **out)
{
    if (v->type != TOML_STRING) {
        wrong_type_at(rd, v, where, "a string");
        return READ_BAD;
    }
    if (strlen(v->u.string.ptr) != v->u.string.len) {
        read_error(rd, v->pos, "'%s': a NUL character cannot be part of this string", where);
        return READ_BAD;
    }
    if (expand && !rd->verbatim) return expand_string(rd, v, where, out);
    *out = strdup(v->u.string.ptr);
    if (!*out) rd->diags->alloc_failed = 1;
    return *out ? READ_OK : READ_BAD;
}

read_result read_string(reader *rd, const toml_value *table, const char *path, const char *key,
                        bool expand, char **out)
{
    const toml_value *v = toml_get(table, key);
    if (!v) return READ_ABSENT;
    char *s = NULL, where[512];
    key_path(where, sizeof(where), path, key);
    read_result r = string_value(rd, v, where, expand, &s);
    if (r == READ_OK) {
        free(*out);
        *out = s;
    }
    return r;
}

read_result read_strv(reader *rd, const toml_value *table, const char *path, const char *key,
                      bool expand, char ***out)
{
    const toml_value *v = toml_get(table, key);
    if (!v) return READ_ABSENT;
    if (v->type != TOML_ARRAY) {
        wrong_type(rd, v, path, key, "an array of strings");
        return READ_BAD;
    }
    char **list = calloc(1, sizeof(*list));
    read_result r = list ? READ_OK : READ_BAD;
    for (size_t i = 0; list && i < v->u.array.len; i++) {
        char where[512], item[540], *s = NULL;
        key_path(where, sizeof(where), path, key);
        snprintf(item, sizeof(item), "%s[%zu]", where, i);
        if (string_value(rd, v->u.array.items[i], item, expand, &s) != READ_OK)
            r = READ_BAD;
        else if (strv_push_take(&list, s) < 0)
            r = READ_BAD;
    }
    if (r != READ_OK) {
        strv_free(list);
        return READ_BAD;
    }
    strv_free(*out);
    *out = list;
    return READ_OK;
}

read_result read_bool(reader *rd, const toml_value *table, const char *path, const char *key,
                      bool *out)
{
    const toml_value *v = toml_get(table, key);
    if (!v) return READ_ABSENT;
    if (v->type != TOML_BOOL) {
        wrong_type(rd, v, path, key, "true or false");
        return READ_BAD;
    }
    *out = v->u.boolean;
    return READ_OK;
}

read_result read_int(reader *rd, const toml_value *table, const char *path, const char *key,
                     long min, long max, int *out)
{
    const toml_value *v = toml_get(table, key);
    if (!v) return READ_ABSENT;
    char expected[96];
    snprintf(expected, sizeof(expected), "an integer from %ld to %ld", min, max);
    if (v->type != TOML_INTEGER || v->u.integer < min || v->u.integer > max) {
        wrong_type(rd, v, path, key, expected);
        return READ_BAD;
    }
    *out = (int)v->u.integer;
    return READ_OK;
}

read_result read_seconds(reader *rd, const toml_value *table, const char *path, const char *key,
                         double max, double *out)
{
    const toml_value *v = toml_get(table, key);
    if (!v) return READ_ABSENT;
    double seconds = v->type == TOML_INTEGER ? (double)v->u.integer
                     : v->type == TOML_FLOAT ? v->u.number
                                             : NAN;
    if (isnan(seconds) || seconds < 0 || seconds > max) {
        char expected[96];
        snprintf(expected, sizeof(expected), "a number of seconds from 0 to %g", max);
        wrong_type(rd, v, path, key, expected);
        return READ_BAD;
    }
    *out = seconds;
    return READ_OK;
}

read_result read_choice(reader *rd, const toml_value *table, const char *path, const char *key,
                        const char *const *choices, int *out)
{
    const toml_value *v = toml_get(table, key);
    if (!v) return READ_ABSENT;
    if (v->type == TOML_STRING) {
        for (int i = 0; choices[i]; i++) {
            if (strcmp(choices[i], v->u.string.ptr) == 0) {
                *out = i;
                return READ_OK;
            }
        }
    }
    buf expected = {0};
    buf_puts(&expected, "one of ");
    for (size_t i = 0; choices[i]; i++)
        buf_printf(&expected, "%s\"%s\"", i ? ", " : "", choices[i]);
    const char *hint = v->type == TOML_STRING ? suggest_closest(v->u.string.ptr, choices) : NULL;
    if (hint) buf_printf(&expected, " (did you mean \"%s\"?)", hint);
    wrong_type(rd, v, path, key, expected.data ? expected.data : "a known value");
    buf_free(&expected);
    return READ_BAD;
}

read_result read_env(reader *rd, const toml_value *table, const char *path, const char *key,
                     char ***out)
{
    const toml_value *t = NULL;
    read_result r = read_table(rd, table, path, key, &t);
    if (r != READ_OK) return r;
    char env_path[512];
    key_path(env_path, sizeof(env_path), path, key);
    char **env = calloc(1, sizeof(*env));
    r = env ? READ_OK : READ_BAD;
    for (size_t i = 0; env && i < t->u.table.len; i++) {
        const toml_entry *e = &t->u.table.entries[i];
        char *value = NULL;
        if (!*e->key || strchr(e->key, '=')) {
            read_error(rd, e->key_pos, "'%s': '%s' cannot be an environment variable name",
                       env_path, e->key);
            r = READ_BAD;
            continue;
        }
        char where[600];
        key_path(where, sizeof(where), env_path, e->key);
        if (string_value(rd, e->value, where, true, &value) != READ_OK) {
            r = READ_BAD;
            continue;
        }
        char *entry = NULL;
        if (asprintf(&entry, "%s=%s", e->key, value) < 0) entry = NULL;
        free(value);
        if (strv_push_take(&env, entry) < 0) r = READ_BAD;
    }
    if (r != READ_OK) {
        strv_free(env);
        return READ_BAD;
    }
    strv_free(*out);
    *out = env;
    return READ_OK;
}
