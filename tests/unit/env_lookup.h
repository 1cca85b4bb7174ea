/* env_lookup.h — for unit tests of environments: the value of key in a
 * KEY=VALUE list, asserting it is there at most once. Include after
 * cmocka.h. */
#ifndef TEND_TESTS_UNIT_ENV_LOOKUP_H
#define TEND_TESTS_UNIT_ENV_LOOKUP_H

#include <string.h>

static inline const char *env_lookup(char *const *env, const char *key)
{
    size_t n = strlen(key);
    const char *found = NULL;
    for (size_t i = 0; env && env[i]; i++)
        if (strncmp(env[i], key, n) == 0 && env[i][n] == '=') {
            assert_null(found); /* once */
            found = env[i] + n + 1;
        }
    return found;
}

#endif
