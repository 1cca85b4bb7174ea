/* expand.c — ${VAR} expansion from the environment (see expand.h). */
#include "config/expand.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"

static const char *lookup_getenv(const char *name, void *ctx)
{
    (void)ctx;
    return getenv(name);
}

static bool is_name_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

static expand_result fail(buf *b, expand_result r, char *problem_text, char **problem)
{
    buf_free(b);
    if (problem)
        *problem = problem_text;
    else
        free(problem_text);
    return r;
}

expand_result expand_vars(const char *in, size_t len, expand_lookup_fn lookup, void *ctx,
                          char **out, char **problem)
{
    buf b = {0};
    *out = NULL;
    if (problem) *problem = NULL;
    if (!lookup) lookup = lookup_getenv;
    size_t i = 0;
    while (i < len) {
        if (in[i] == '$' && i + 2 < len && in[i + 1] == '$' && in[i + 2] == '{') {
            buf_append(&b, "${", 2);
            i += 3;
            continue;
        }
        if (in[i] != '$' || i + 1 >= len || in[i + 1] != '{') {
            buf_putc(&b, in[i++]);
            continue;
        }
        const char *name = in + i + 2;
        const char *end = memchr(name, '}', len - (i + 2));
        if (!end) return fail(&b, EXPAND_UNTERMINATED, strndup(in + i, len - i), problem);
        size_t name_len = (size_t)(end - name);
        bool valid = name_len > 0;
        for (size_t k = 0; k < name_len; k++) valid = valid && is_name_char(name[k]);
        char *var = strndup(name, name_len);
        if (!var) return fail(&b, EXPAND_NOMEM, NULL, problem);
        if (!valid) return fail(&b, EXPAND_BAD_NAME, var, problem);
        const char *value = lookup(var, ctx);
        if (!value) return fail(&b, EXPAND_UNSET, var, problem);
        free(var);
        buf_puts(&b, value);
        i += 2 + name_len + 1;
    }
    char *result = buf_steal(&b);
    if (!result) return fail(&b, EXPAND_NOMEM, NULL, problem);
    *out = result;
    return EXPAND_OK;
}
