/* pruner.h — keeping history within the registry's [retention], on the
 * daemon's loop.
 *
 * After a loop iteration that wrote enough rows, one bounded step of the
 * store's pruner runs (store/retention.h); while a backlog remains, an idle
 * handle keeps the loop turning, so the next step comes after the next
 * round of I/O, never in one long stall. While nothing is written nothing
 * runs: an idle daemon is never woken. The log files of the jobs deleted
 * are removed on libuv's thread pool.
 */
#ifndef TEND_DAEMON_PRUNER_H
#define TEND_DAEMON_PRUNER_H

#include <uv.h>

#include "daemon/supervisor.h"
#include "store/store.h"

typedef struct pruner pruner;

/* Prunes st by the registry sv runs (looked up at each step, so an apply
 * takes effect at once); the first step looks at all of history. NULL
 * when the store's statements cannot be prepared (history then grows). */
pruner *pruner_start(uv_loop_t *loop, store *st, const supervisor *sv);
/* Before the store closes; the memory goes once libuv closed the handles. */
void pruner_stop(pruner *p);

#endif
