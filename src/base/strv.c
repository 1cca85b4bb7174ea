/* strv.c — NULL-terminated vectors of owned strings. */
#include "base/strv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

size_t strv_len(char *const *v)
{
    size_t n = 0;
    if (v)
        while (v[n]) n++;
    return n;
}

int strv_push_take(char ***v, char *s)
{
    if (!s) return -ENOMEM;
    size_t n = strv_len(*v);
    char **grown = realloc(*v, (n + 2) * sizeof(*grown));
    if (!grown) {
        free(s);
        return -ENOMEM;
    }
    grown[n] = s;
    grown[n + 1] = NULL;
    *v = grown;
    return 0;
}

int strv_push(char ***v, const char *s)
{
    return strv_push_take(v, strdup(s));
}

bool strv_contains(char *const *v, const char *s)
{
    for (size_t i = 0; v && v[i]; i++)
        if (strcmp(v[i], s) == 0) return true;
    return false;
}

char **strv_copy(char *const *v)
{
    char **copy = calloc(strv_len(v) + 1, sizeof(*copy));
    if (!copy) return NULL;
    for (size_t i = 0; v && v[i]; i++) {
        copy[i] = strdup(v[i]);
        if (!copy[i]) {
            strv_free(copy);
            return NULL;
        }
    }
    return copy;
}

bool strv_equal(char *const *a, char *const *b)
{
    size_t n = strv_len(a);
    if (n != strv_len(b)) return false;
    for (size_t i = 0; i < n; i++)
        if (strcmp(a[i], b[i]) != 0) return false;
    return true;
}

void strv_free(char **v)
{
    for (size_t i = 0; v && v[i]; i++) free(v[i]);
    free(v);
}

void strv_free_wiped(char **v)
{
    for (size_t i = 0; v && v[i]; i++) {
        explicit_bzero(v[i], strlen(v[i]));
        free(v[i]);
    }
    free(v);
}
