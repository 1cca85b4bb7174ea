/* spawner.h — spawning off the loop thread.
 *
 * posix_spawn blocks its caller until the child has exec'd, so a thousand
 * starts in a row would serialize a thousand execs on one core. Spawn
 * requests are handed to a few worker threads (one per CPU, at most four),
 * which only call child_spawn on memory the request owns; results come
 * back to the loop thread, where every callback runs. With one CPU there
 * are no threads: requests are carried out at once, on the loop
 * (TEND_SPAWN_THREADS=0..4 overrides the choice).
 */
#ifndef TEND_DAEMON_SPAWNER_H
#define TEND_DAEMON_SPAWNER_H

#include <uv.h>

#include "daemon/children.h"

/* rc 0: pid runs; else -errno with the reason in err. On the loop thread. */
typedef void (*spawn_done_fn)(void *data, pid_t pid, int rc, const char *err);

int spawner_init(uv_loop_t *loop);
/* Waits for the workers; requests not yet carried out are not called back. */
void spawner_close(void);

/* Takes ownership of argv, env, cwd and groups (freed after the spawn). */
void spawner_submit(char **argv, char **env, char *cwd, uid_t uid, gid_t gid, gid_t *groups,
                    size_t n_groups, int stdout_fd, int stderr_fd, spawn_done_fn done, void *data);

#endif
