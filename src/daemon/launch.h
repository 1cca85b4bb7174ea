/* launch.h — what an action spec runs as a process: the command line for
 * its interpreter, its environment, its user, its working directory. */
#ifndef TEND_DAEMON_LAUNCH_H
#define TEND_DAEMON_LAUNCH_H

#include "config/registry.h"
#include "daemon/process/process.h"

/* The argv an action runs: exec argv + args, or the interpreter with the
 * script as its inline-code argument + args. A new strv, or NULL. */
char **action_argv(const action_spec *a);

/* Fills req for a: its argv, its environment (job_env.h: the action's env,
 * its env files (read now) over that and extra_env (NULL or "KEY=VALUE"
 * entries tend adds, such as NOTIFY_SOCKET) over all), its user, cwd and
 * confinement; output to /dev/null until the caller wires it. 0, or
 * -errno with the reason in err (an env file's names the file and line). */
int launch_request(const action_spec *a, char *const *extra_env, proc_request *req, char *err,
                   size_t errlen);
/* req runs as the user of that name, with that user's groups and the
 * environment job_env gives it (replacing req->env), as an action's user
 * does. 0, or -errno with the reason in err. */
int launch_user(const char *name, proc_request *req, char *err, size_t errlen);
/* Frees what a request that was not started owns. */
void launch_request_free(proc_request *req);

#endif
