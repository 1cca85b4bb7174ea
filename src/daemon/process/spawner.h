/* spawner.h — spawning off the loop thread (private to the process layer).
 *
 * A spawn blocks its caller until the child has exec'd, so a thousand
 * starts in a row would serialize a thousand execs on one core. Spawn
 * requests are handed to a few worker threads (one per CPU, at most four),
 * which make the proc's cgroup and call spawn_process on memory the
 * request owns; results come back to the loop thread, where every
 * callback runs. With one CPU there are no threads: requests are carried
 * out at once, on the loop (TEND_SPAWN_THREADS=0..4 overrides the choice).
 */
#ifndef TEND_DAEMON_PROCESS_SPAWNER_H
#define TEND_DAEMON_PROCESS_SPAWNER_H

#include <stdint.h>
#include <uv.h>

#include "daemon/process/process.h"

/* rc 0: pid runs, started at start_time (process_start_time); else -errno
 * with the reason in err. On the loop thread. */
typedef void (*spawn_done_fn)(void *data, pid_t pid, uint64_t start_time, int rc, const char *err);

int spawner_init(uv_loop_t *loop);
/* Waits for the workers; requests not yet carried out are not called back. */
void spawner_close(void);
/* Waits for the spawns under way and calls them back, on the loop; those
 * not begun are dropped (not called back). Later requests are carried
 * out at once, on the loop. */
void spawner_settle(void);

/* Takes what req owns (freed after the spawn); unit names the cgroup. */
void spawner_submit(proc_request *req, const char *unit, spawn_done_fn done, void *data);

#endif
