/* idmap.c — open-addressing integer map (see idmap.h); removal shifts the
 * entries after it back, so no tombstones build up. */
#include "base/idmap.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

static size_t home_of(int64_t key, size_t cap)
{
    /* Fibonacci hashing: consecutive pids spread over the table. */
    return (size_t)(((uint64_t)key * 11400714819323198485ull) >> 32) & (cap - 1);
}

static idmap_slot *find_slot(idmap_slot *slots, size_t cap, int64_t key)
{
    size_t i = home_of(key, cap);
    while (slots[i].key && slots[i].key != key) i = (i + 1) & (cap - 1);
    return &slots[i];
}

static int idmap_grow(idmap *m)
{
    size_t cap = m->cap ? m->cap * 2 : 16;
    idmap_slot *slots = calloc(cap, sizeof(*slots));
    if (!slots) return -ENOMEM;
    for (size_t i = 0; i < m->cap; i++)
        if (m->slots[i].key) *find_slot(slots, cap, m->slots[i].key) = m->slots[i];
    free(m->slots);
    m->slots = slots;
    m->cap = cap;
    return 0;
}

int idmap_put(idmap *m, int64_t key, void *value)
{
    if (key <= 0 || !value) return -EINVAL;
    /* Keep the load factor under 1/2 so probes stay short. */
    if ((m->len + 1) * 2 > m->cap && idmap_grow(m) < 0) return -ENOMEM;
    idmap_slot *slot = find_slot(m->slots, m->cap, key);
    if (!slot->key) m->len++;
    *slot = (idmap_slot){key, value};
    return 0;
}

void *idmap_get(const idmap *m, int64_t key)
{
    if (!m->cap || key <= 0) return NULL;
    idmap_slot *slot = find_slot(m->slots, m->cap, key);
    return slot->key ? slot->value : NULL;
}

void *idmap_remove(idmap *m, int64_t key)
{
    if (!m->cap || key <= 0) return NULL;
    size_t mask = m->cap - 1;
    idmap_slot *slot = find_slot(m->slots, m->cap, key);
    if (!slot->key) return NULL;
    void *value = slot->value;
    size_t hole = (size_t)(slot - m->slots);
    /* Each entry after the hole, up to the next empty slot, moves into it
     * unless its home slot lies after the hole (cyclically). */
    for (size_t i = (hole + 1) & mask; m->slots[i].key; i = (i + 1) & mask) {
        size_t home = home_of(m->slots[i].key, m->cap);
        bool stays = hole <= i ? (hole < home && home <= i) : (hole < home || home <= i);
        if (stays) continue;
        m->slots[hole] = m->slots[i];
        hole = i;
    }
    m->slots[hole] = (idmap_slot){0};
    m->len--;
    return value;
}

void idmap_free(idmap *m)
{
    free(m->slots);
    *m = (idmap){0};
}
