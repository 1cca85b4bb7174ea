/* launch.h — turning an action spec into a running process group: the
 * command line for its interpreter, its environment, its user, its
 * working directory, its output wired to the job's log. */
#ifndef TEND_DAEMON_LAUNCH_H
#define TEND_DAEMON_LAUNCH_H

#include <sys/types.h>

#include "config/registry.h"
#include "daemon/spawner.h"

struct job_log;

/* The argv an action runs: exec argv + args, or the interpreter with the
 * script as its inline-code argument + args. A new strv, or NULL. */
char **action_argv(const action_spec *a);

/* Starts the action's process (own session and process group) through the
 * spawner; its stdout and stderr go to log (NULL: /dev/null). done is
 * called on the loop with the pid or the reason it could not start
 * (perhaps before this returns). */
/* extra_env (NULL or a list): "KEY=VALUE" entries tend adds, such as
 * NOTIFY_SOCKET; they win over the environment and the action's env. */
void launch_action(const action_spec *a, struct job_log *log, char *const *extra_env,
                   spawn_done_fn done, void *data);

#endif
