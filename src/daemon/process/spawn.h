/* spawn.h — starting one process, blocking until it has exec'd (private
 * to the process layer; the spawner's threads call it). */
#ifndef TEND_DAEMON_PROCESS_SPAWN_H
#define TEND_DAEMON_PROCESS_SPAWN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "base/rlimits.h"

typedef struct {
    const char *name; /* the child's command name until it execs (NULL: tend's) */
    char *const *argv;
    char *const *env;
    const char *cwd; /* NULL: the daemon's */
    uid_t uid;       /* (uid_t)-1: the daemon's user */
    gid_t gid;
    const gid_t *groups;
    size_t n_groups;
    int stdout_fd, stderr_fd; /* -1: /dev/null */
    int cgroup_fd;            /* the cgroup folder the child joins, or -1 */
    /* Not born in it but moved there before exec: for a cgroup that was
     * there already, which a cgroup.kill may have hit. Linux (6.18 here)
     * kills at birth a child that CLONE_INTO_CGROUP puts into a cgroup
     * that was ever killed, empty or not. */
    bool join_after_birth;
    mode_t umask;
    bool no_new_privs;
    const rlimit_entry *limits;
    size_t n_limits;
} spawn_plan;

/* Starts plan's program in a new session (its pid is its process group).
 * Returns 0 and *pid, or -errno with "exec /x: No such file or directory"
 * style words in err: a failed step is reported here, never as an exit. */
int spawn_process(const spawn_plan *plan, pid_t *pid, char *err, size_t errlen);

#endif
