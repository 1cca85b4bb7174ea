/* strv.h — NULL-terminated vectors of owned strings (argv, lists of names).
 *
 * A strv is a plain char ** ending in NULL, so it can be handed to execv()
 * as it is. An empty list may be NULL; every function accepts that.
 */
#ifndef TEND_BASE_STRV_H
#define TEND_BASE_STRV_H

#include <stdbool.h>
#include <stddef.h>

size_t strv_len(char *const *v);
/* Appends a copy of s; returns 0 or -ENOMEM (v unchanged). */
int strv_push(char ***v, const char *s);
/* Appends s itself, taking ownership; on failure s is freed. */
int strv_push_take(char ***v, char *s);
bool strv_contains(char *const *v, const char *s);
char **strv_copy(char *const *v);
bool strv_equal(char *const *a, char *const *b);
void strv_free(char **v);
/* The same, overwriting each string with zeros first: for environments,
 * which may hold secrets read from env files. */
void strv_free_wiped(char **v);

#endif
