/* job_env.h — the environment a job (or a check command) starts with.
 *
 * A job of the daemon's own user gets the daemon's environment with its
 * declared entries (its env, its env files' over them) and tend's own
 * (NOTIFY_SOCKET ...) on top; with a `user` of the same uid, that user's
 * HOME, USER and LOGNAME.
 *
 * A job that runs as another user never sees the daemon's environment
 * (root's secrets): it starts clean, with PATH (the daemon's, else a
 * standard one), LANG and TZ from the daemon, HOME, USER, LOGNAME and
 * SHELL of its user, then its declared entries and tend's own for the job
 * (extra here; TEND_UNIT, added by the process layer). */
#ifndef TEND_DAEMON_JOB_ENV_H
#define TEND_DAEMON_JOB_ENV_H

#include <pwd.h>

/* The PATH of a clean environment when the daemon has none. */
#define JOB_ENV_DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* A new strv ("KEY=VALUE"), or NULL when out of memory. user: whom the
 * job runs as (NULL: the daemon's user); declared and extra may be NULL. */
char **job_env(const struct passwd *user, char *const *declared, char *const *extra);

#endif
