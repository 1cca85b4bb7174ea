/* store_watch.h — the daemon's side of a store that cannot write: it says
 * so on stderr (once when writing fails, once when it works again) and
 * owns the timer that retries the held writes (the store keeps none). */
#ifndef TEND_DAEMON_STORE_WATCH_H
#define TEND_DAEMON_STORE_WATCH_H

#include <uv.h>

#include "store/store.h"

/* Watches st's writes from now on, on loop. */
void store_watch_start(uv_loop_t *loop, store *st);
/* Before the store is closed: one last attempt at what is held, and
 * stderr says what is lost if it fails. Closes the timer. */
void store_watch_stop(void);

#endif
