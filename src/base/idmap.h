/* idmap.h — a hash map from positive integer ids (pids, job ids) to
 * borrowed pointers.
 *
 * Open addressing, linear probing, removal by backward shift (no
 * tombstones): O(1) average for every operation, whatever the number of
 * entries, as strmap.h is for names. Keys are > 0; values are not NULL.
 */
#ifndef TEND_BASE_IDMAP_H
#define TEND_BASE_IDMAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    int64_t key; /* 0: empty */
    void *value;
} idmap_slot;

typedef struct {
    idmap_slot *slots;
    size_t cap; /* power of two, or 0 */
    size_t len;
} idmap;

/* Inserts or replaces; 0, or -EINVAL (key <= 0, value NULL) or -ENOMEM. */
int idmap_put(idmap *m, int64_t key, void *value);
/* NULL when key is not there. */
void *idmap_get(const idmap *m, int64_t key);
/* Removes key; returns its value, or NULL if it was not there. */
void *idmap_remove(idmap *m, int64_t key);
void idmap_free(idmap *m);

#endif
