/* expand.h — ${VAR} expansion of registry strings from the environment.
 *
 * "${NAME}" is replaced by the variable's value; "$${" writes a literal
 * "${"; any other '$' is kept as it is. An unset variable is an error, never
 * an empty string: a path silently becoming "/bin/x" instead of
 * "$HOME/bin/x" is worse than a refusal.
 */
#ifndef TEND_CONFIG_EXPAND_H
#define TEND_CONFIG_EXPAND_H

#include <stddef.h>

typedef const char *(*expand_lookup_fn)(const char *name, void *ctx);

typedef enum {
    EXPAND_OK = 0,
    EXPAND_UNSET,        /* *problem names the variable */
    EXPAND_UNTERMINATED, /* "${" without "}" */
    EXPAND_BAD_NAME,     /* "${}" or a name with characters other than [A-Za-z0-9_] */
    EXPAND_NOMEM,
} expand_result;

/* Expands in (len bytes) into a new string *out. On failure *out is NULL
 * and *problem (if not NULL) gets a new string naming the variable or the
 * faulty text. lookup NULL means getenv(). */
expand_result expand_vars(const char *in, size_t len, expand_lookup_fn lookup, void *ctx,
                          char **out, char **problem);

#endif
