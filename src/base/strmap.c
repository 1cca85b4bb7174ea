/* strmap.c — open-addressing string map (FNV-1a, linear probing; removal
 * shifts the entries after it back, so no tombstones build up). */
#include "base/strmap.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static uint64_t hash_name(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static strmap_slot *find_slot(strmap_slot *slots, size_t cap, const char *key)
{
    size_t i = (size_t)hash_name(key) & (cap - 1);
    while (slots[i].key && strcmp(slots[i].key, key) != 0) i = (i + 1) & (cap - 1);
    return &slots[i];
}

static int strmap_grow(strmap *m)
{
    size_t cap = m->cap ? m->cap * 2 : 16;
    strmap_slot *slots = calloc(cap, sizeof(*slots));
    if (!slots) return -ENOMEM;
    for (size_t i = 0; i < m->cap; i++)
        if (m->slots[i].key) *find_slot(slots, cap, m->slots[i].key) = m->slots[i];
    free(m->slots);
    m->slots = slots;
    m->cap = cap;
    return 0;
}

int strmap_put(strmap *m, const char *key, void *value, void **previous)
{
    /* Keep the load factor under 1/2 so probes stay short. */
    if ((m->len + 1) * 2 > m->cap && strmap_grow(m) < 0) return -ENOMEM;
    strmap_slot *slot = find_slot(m->slots, m->cap, key);
    if (previous) *previous = slot->key ? slot->value : NULL;
    if (!slot->key) m->len++;
    slot->key = key;
    slot->value = value;
    return 0;
}

void *strmap_get(const strmap *m, const char *key)
{
    if (!m->cap) return NULL;
    strmap_slot *slot = find_slot(m->slots, m->cap, key);
    return slot->key ? slot->value : NULL;
}

void *strmap_remove(strmap *m, const char *key)
{
    if (!m->cap) return NULL;
    size_t mask = m->cap - 1;
    strmap_slot *slot = find_slot(m->slots, m->cap, key);
    if (!slot->key) return NULL;
    void *value = slot->value;
    size_t hole = (size_t)(slot - m->slots);
    /* Each entry after the hole, up to the next empty slot, moves into it
     * unless its home slot lies after the hole (cyclically). */
    for (size_t i = (hole + 1) & mask; m->slots[i].key; i = (i + 1) & mask) {
        size_t home = (size_t)hash_name(m->slots[i].key) & mask;
        bool stays = hole <= i ? (hole < home && home <= i) : (hole < home || home <= i);
        if (stays) continue;
        m->slots[hole] = m->slots[i];
        hole = i;
    }
    m->slots[hole] = (strmap_slot){0};
    m->len--;
    return value;
}

void strmap_free(strmap *m)
{
    free(m->slots);
    *m = (strmap){0};
}
