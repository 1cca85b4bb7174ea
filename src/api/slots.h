/* slots.h — how many connections one HTTP server holds, and whose. The
 * daemon's own user (and root) may use every slot; every other peer (a
 * local user, a remote address) is a guest, held to a small share of its
 * own, and all guests together to a part, so that guests' idle
 * connections can never lock the owner out. */
#ifndef TEND_API_SLOTS_H
#define TEND_API_SLOTS_H

#include <stdbool.h>

#include "api/peer.h"

#define SLOTS_TOTAL     1000 /* connections of one server */
#define SLOTS_GUESTS    128  /* of them, all guests' together */
#define SLOTS_PER_GUEST 16   /* of them, one guest's */

typedef struct {
    peer who;
    int used;
} slots_guest;

typedef struct {
    int used, guests_used;
    slots_guest guests[SLOTS_GUESTS]; /* a guest holds an entry while it holds a slot */
} slots;

/* Takes a slot for p; false when p's share (or the server) is full. */
bool slots_take(slots *s, const peer *p);
/* Gives back a slot slots_take gave p. */
void slots_give(slots *s, const peer *p);

#endif
