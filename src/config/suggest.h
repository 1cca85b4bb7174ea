/* suggest.h — "did you mean ...?" for misspelt keys and names. */
#ifndef TEND_CONFIG_SUGGEST_H
#define TEND_CONFIG_SUGGEST_H

#include <stddef.h>

/* Edit distance (insert, delete, substitute, swap of neighbours). */
size_t edit_distance(const char *a, const char *b);

/* The candidate closest to word, or NULL when none is close enough to be a
 * likely typo. candidates is NULL-terminated. */
const char *suggest_closest(const char *word, const char *const *candidates);

#endif
