/* slots.c — connection shares (see slots.h). A guest's entry is found by
 * a scan of at most SLOTS_GUESTS entries: bounded, whatever the load. */
#include "api/slots.h"

#include <stddef.h>

static slots_guest *guest_of(slots *s, const peer *p, bool make)
{
    slots_guest *free_entry = NULL;
    for (int i = 0; i < SLOTS_GUESTS; i++) {
        slots_guest *g = &s->guests[i];
        if (g->used && peer_same(&g->who, p)) return g;
        if (!g->used && !free_entry) free_entry = g;
    }
    if (make && free_entry) free_entry->who = *p;
    return make ? free_entry : NULL;
}

bool slots_take(slots *s, const peer *p)
{
    if (s->used >= SLOTS_TOTAL) return false;
    if (!peer_is_owner(p)) {
        if (s->guests_used >= SLOTS_GUESTS) return false;
        slots_guest *g = guest_of(s, p, true);
        if (!g || g->used >= SLOTS_PER_GUEST) return false;
        g->used++;
        s->guests_used++;
    }
    s->used++;
    return true;
}

void slots_give(slots *s, const peer *p)
{
    if (!peer_is_owner(p)) {
        slots_guest *g = guest_of(s, p, false);
        if (g) g->used--;
        s->guests_used--;
    }
    s->used--;
}
