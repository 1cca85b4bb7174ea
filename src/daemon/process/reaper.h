/* reaper.h — learning of every exit of the daemon's children, without
 * polling (private to the process layer).
 *
 * The daemon is a child subreaper, so orphaned descendants of its jobs
 * ("strays") are reparented to it. One SIGCHLD handler (a uv_signal) reaps
 * with waitpid(-1, WNOHANG) until nothing is left: watched pids go to
 * their watcher (pid -> watcher in O(1)), the rest are reaped and the
 * stray hook is told. libuv's uv_spawn is not used anywhere, so nothing
 * else competes for exits.
 */
#ifndef TEND_DAEMON_PROCESS_REAPER_H
#define TEND_DAEMON_PROCESS_REAPER_H

#include <stdbool.h>
#include <sys/types.h>
#include <uv.h>

typedef void (*reaper_fn)(void *data, pid_t pid, int exit_code, int term_signal);

int reaper_init(uv_loop_t *loop);
void reaper_close(void);
/* Becomes the parent of orphaned descendants (PR_SET_CHILD_SUBREAPER). */
int reaper_become_subreaper(void);
/* fn is called when pid exits, on the loop; at once if it already has
 * (a child spawned off the loop can exit before the loop learns its pid). */
int reaper_watch(pid_t pid, reaper_fn fn, void *data);
bool reaper_watches(pid_t pid);
/* An exit another process reaped (the keeper, for a job whose parent
 * died): delivered to pid's watcher as if reaped here; false if none. */
bool reaper_report(pid_t pid, int status);
/* Brackets a spawn whose pid the loop will learn later. */
void reaper_spawn_begin(void);
void reaper_spawn_done(void);
void reaper_forget(pid_t pid);
/* fn runs after a round of reaping that reaped an unwatched pid. */
void reaper_on_stray(void (*fn)(void));

#endif
