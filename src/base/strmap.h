/* strmap.h — a string-keyed hash map from names to borrowed pointers.
 *
 * Keys are borrowed too: the caller keeps them alive while they are in the
 * map (they are normally the name fields of the values). Open addressing,
 * linear probing; O(1) average lookup so that work per name stays constant
 * with thousands of services.
 */
#ifndef TEND_BASE_STRMAP_H
#define TEND_BASE_STRMAP_H

#include <stddef.h>

typedef struct {
    const char *key;
    void *value;
} strmap_slot;

typedef struct {
    strmap_slot *slots;
    size_t cap; /* power of two, or 0 */
    size_t len;
} strmap;

/* Inserts or replaces; returns 0 or -ENOMEM. *previous gets the old value
 * (NULL if the key was new) when previous is not NULL. */
int strmap_put(strmap *m, const char *key, void *value, void **previous);
void *strmap_get(const strmap *m, const char *key);
/* Removes key; returns its value, or NULL if it was not there. */
void *strmap_remove(strmap *m, const char *key);
void strmap_free(strmap *m);

#endif
