/* job_umask.h — the daemon's umask and its jobs'.
 *
 * Everything the daemon writes (database, WAL, logs, dashboard.url) is for
 * its user alone, so the daemon (keeper and main process) runs with umask
 * 077. Its jobs must not inherit that silently: a job gets the umask the
 * daemon was started with (or its action's `umask` key). The keeper runs
 * the main process by exec, so that first umask travels in the environment
 * variable TEND_JOB_UMASK, which no job sees. */
#ifndef TEND_BASE_JOB_UMASK_H
#define TEND_BASE_JOB_UMASK_H

#include <sys/types.h>

#define JOB_UMASK_ENV "TEND_JOB_UMASK"

/* At the daemon's start, before it makes a file: remembers the umask for
 * jobs (from TEND_JOB_UMASK when an earlier tend process of this daemon
 * set it, else the current one), sets TEND_JOB_UMASK for the processes
 * this one execs, and sets umask 077. */
void job_umask_enter_daemon(void);
/* The umask for a job that sets none (the current one before
 * job_umask_enter_daemon). */
mode_t job_umask(void);

#endif
