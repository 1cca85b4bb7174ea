/* children.h — the daemon's child processes: spawning one into its own
 * session, learning of every exit without polling, signalling a group.
 *
 * The daemon is a child subreaper, so orphaned grandchildren are
 * reparented to it. One SIGCHLD handler (a uv_signal) reaps with
 * waitpid(-1, WNOHANG) until nothing is left: known pids go to their
 * watcher (pid -> watcher in O(1)), the rest are simply reaped. libuv's
 * uv_spawn is not used anywhere, so nothing else competes for exits.
 */
#ifndef TEND_DAEMON_CHILDREN_H
#define TEND_DAEMON_CHILDREN_H

#include <stdbool.h>
#include <sys/types.h>
#include <uv.h>

typedef struct {
    char *const *argv; /* argv[0] without '/' is looked up in PATH from env */
    char *const *env;  /* the whole environment */
    const char *cwd;   /* NULL: the daemon's */
    uid_t uid;         /* (uid_t)-1: the daemon's user */
    gid_t gid;
    const gid_t *groups; /* supplementary groups, with uid */
    size_t n_groups;
    int stdout_fd, stderr_fd; /* -1: /dev/null */
} spawn_request;

/* Starts a process in a new session (its pid is its process group).
 * Returns 0 and *pid, or -errno with "exec /x: No such file or directory"
 * style words in err: a failed exec is reported here, not as an exit. */
int child_spawn(const spawn_request *req, pid_t *pid, char *err, size_t errlen);

typedef void (*child_exit_fn)(void *data, pid_t pid, int exit_code, int term_signal);

int children_init(uv_loop_t *loop);
void children_close(void);
/* Becomes the parent of orphaned descendants (PR_SET_CHILD_SUBREAPER). */
int children_become_subreaper(void);
/* fn is called when pid exits, on the loop; at once if it already has
 * (a child spawned off the loop can exit before the loop learns its pid). */
int children_watch(pid_t pid, child_exit_fn fn, void *data);
/* Brackets a spawn whose pid the loop will learn later. */
void children_spawn_begin(void);
void children_spawn_done(void);
void children_forget(pid_t pid);

/* kill(-pgid, sig); a group that is already gone is not an error. */
int process_group_signal(pid_t pgid, int sig);

#endif
