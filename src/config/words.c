/* words.c — shell-like word splitting with no expansion (see words.h). */
#include "config/words.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "base/buf.h"
#include "base/strv.h"

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

int split_words(const char *s, char ***argv, const char **problem)
{
    char **out = NULL;
    buf word = {0};
    bool in_word = false;
    *problem = NULL;
    for (const char *p = s;; p++) {
        if (*p == '\0' || is_blank(*p)) {
            if (in_word) {
                char *w = buf_steal(&word);
                if (!w || strv_push_take(&out, w) < 0) goto nomem;
                in_word = false;
            }
            if (*p == '\0') break;
            continue;
        }
        in_word = true;
        if (*p == '\'') {
            const char *end = strchr(p + 1, '\'');
            if (!end) {
                *problem = "a ' quote is not closed";
                goto invalid;
            }
            buf_append(&word, p + 1, (size_t)(end - p - 1));
            p = end;
        } else if (*p == '"') {
            for (p++; *p && *p != '"'; p++) {
                if (*p == '\\' && p[1] && strchr("\"\\$`", p[1])) p++;
                buf_putc(&word, *p);
            }
            if (!*p) {
                *problem = "a \" quote is not closed";
                goto invalid;
            }
        } else if (*p == '\\') {
            if (!p[1]) {
                *problem = "the command ends with a lone backslash";
                goto invalid;
            }
            buf_putc(&word, *++p);
        } else {
            buf_putc(&word, *p);
        }
        /* An empty quoted word ('') still counts as a word. */
        if (!word.data) buf_append(&word, "", 0);
    }
    if (word.failed) goto nomem;
    if (!out && !(out = strv_copy(NULL))) goto nomem;
    *argv = out;
    return 0;
invalid:
    buf_free(&word);
    strv_free(out);
    return -EINVAL;
nomem:
    buf_free(&word);
    strv_free(out);
    return -ENOMEM;
}
