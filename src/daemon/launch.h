/* launch.h — what an action spec runs as a process: the command line for
 * its interpreter, its environment, its user, its working directory. */
#ifndef TEND_DAEMON_LAUNCH_H
#define TEND_DAEMON_LAUNCH_H

#include "config/registry.h"
#include "daemon/process/process.h"

/* The argv an action runs: exec argv + args, or the interpreter with the
 * script as its inline-code argument + args (tend-lua: the one next to
 * this daemon's binary, by its absolute path). A new strv, or NULL. */
char **action_argv(const action_spec *a);
/* The program it runs: exec[0], or its interpreter's (as action_argv). */
const char *action_program(const action_spec *a);

/* Finds, once, what tend-lua jobs are launched with: the tend-lua next to
 * this process's binary (/proc/self/exe) and its TEND_HOME made absolute.
 * The daemon calls it at start, before a rebuild could replace the
 * binary; the first launch of a tend-lua job would otherwise. */
void launch_init(void);
/* The absolute path of that tend-lua. */
const char *launch_tend_lua_program(void);

/* Fills req for a: its argv, its environment (job_env.h: the action's env,
 * its env files (read now) over that and extra_env (NULL or "KEY=VALUE"
 * entries tend adds, such as NOTIFY_SOCKET) over all; for tend-lua also
 * TEND_NO_AUTOSTART=1 and the daemon's own TEND_HOME, so that it reaches
 * this daemon and starts none), its user, cwd and confinement; output to
 * /dev/null until the caller wires it. 0, or -errno with the reason in
 * err (an env file's names the file and line). */
int launch_request(const action_spec *a, char *const *extra_env, proc_request *req, char *err,
                   size_t errlen);
/* req runs as the user of that name, with that user's groups and the
 * environment job_env gives it (replacing req->env), as an action's user
 * does. 0, or -errno with the reason in err. */
int launch_user(const char *name, proc_request *req, char *err, size_t errlen);
/* Frees what a request that was not started owns. */
void launch_request_free(proc_request *req);

#endif
