/* supervisor.h — the supervisor: services, their runs and jobs, kept the
 * way their owner declared, on the daemon's one event loop.
 *
 * Owns all runtime state. A service start creates one Run and one Job per
 * action; jobs start in depends_on order once the service's dependencies
 * are ready; a process that ends is restarted as the policy says; a stop
 * signals the job's whole process group, then SIGKILLs it after
 * stop_timeout. Every job transition is written with its event in the
 * same batch transaction. State reads (status) derive the actual state
 * from the jobs through service_actual_state(), never from the wanted one.
 */
#ifndef TEND_DAEMON_SUPERVISOR_H
#define TEND_DAEMON_SUPERVISOR_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "config/registry.h"
#include "store/store.h"

typedef struct supervisor supervisor;

/* Job logs go under logs_dir. */
supervisor *supervisor_new(uv_loop_t *loop, store *st, const char *logs_dir);
void supervisor_free(supervisor *sv);

/* Makes r (taken over) the registry. The plan (added, changed, removed,
 * unchanged service names) goes to *plan when plan is not NULL. Removed
 * services are stopped and forgotten; changed running ones restarted;
 * unchanged ones untouched. */
int supervisor_apply(supervisor *sv, registry *r, json_t **plan);
/* At start-up: the registry the store kept (r, made from it), applied
 * without writing it back. */
int supervisor_apply_stored(supervisor *sv, registry *r);
/* At start-up, after the stored registry was applied and its jobs
 * adopted: r (-c FILE) replaces it as supervisor_apply does, except that
 * new services wait for supervisor_start_wanted like every other. */
int supervisor_apply_at_boot(supervisor *sv, registry *r, json_t **plan);
const registry *supervisor_registry(const supervisor *sv);

/* Takes the wanted status of each service from the store (daemon start). */
void supervisor_restore_wanted(supervisor *sv);

/* At daemon start: services with auto_start, or wanted "start", start. */
void supervisor_start_wanted(supervisor *sv);
/* Takes over the runs and processes a daemon before this one left on the
 * same TEND_HOME (supervisor_adopt.c): returns how many running processes
 * were adopted (or -1 if the store could not say), and in *ended how many
 * jobs had ended while no daemon ran. Before supervisor_start_wanted. */
int supervisor_adopt(supervisor *sv, int *ended);
/* fn for each job whose output is captured: its unit ("job-ID") and the
 * read ends of its pipes (borrowed). */
void supervisor_each_job_pipes(supervisor *sv,
                               void (*fn)(void *ctx, const char *unit, int out_fd, int err_fd),
                               void *ctx);

typedef struct {
    bool replace_existing_jobs; /* default true */
    bool force;                 /* skip the pre-flight checks */
} start_options;

/* Who asks for what the supervisor is told to do until the next call: the
 * process pid, as the kernel names the API's peer (0: nobody known). When
 * it is the main process of one of this daemon's running jobs (the same
 * process: its start time is checked too), the events written meanwhile
 * carry "by_job" and "by_action" in their data, and the services started
 * or stopped meanwhile say in `why` that this job did. O(1) (a pid index
 * of the jobs), so every API call may set it. */
void supervisor_set_caller(supervisor *sv, pid_t pid);

/* Errors are negative errno with words in err: -ENOENT no such service,
 * -EPERM a pre-flight check failed (a conflicting service runs, a binary
 * is missing, ...; skipped with force), -EALREADY already running. */
int supervisor_service_start(supervisor *sv, const char *name, const start_options *o, char *err,
                             size_t errlen);
/* Stops a service: refused (-EBUSY) while dependents run, unless force;
 * a dependent that is stopping itself is waited for (the stop signal goes
 * out once it has ended). force stops it at once, dependents or not. */
int supervisor_service_stop(supervisor *sv, const char *name, bool remove_jobs, bool force,
                            char *err, size_t errlen);
/* A new run in place of the current one, after the same pre-flight
 * checks as a start (force: without them); a refused restart leaves the
 * current run as it is. */
int supervisor_service_restart(supervisor *sv, const char *name, bool force, char *err,
                               size_t errlen);

/* Runs an action on its own (no service): returns the job id or -errno. */
int64_t supervisor_job_create(supervisor *sv, const char *action, char *err, size_t errlen);

json_t *supervisor_service_status(supervisor *sv, const char *name);
json_t *supervisor_status_all(supervisor *sv);
/* {name, state, status (healthy/unhealthy/unknown), check, message,
 * checked_at, duration_ms, ...}: the last health check's outcome. */
/* The pre-flight checks of a service, its dependencies' included:
 * {name, ok, checks: [{check, ok, message}]}; NULL for no such service. */
json_t *supervisor_preflight(supervisor *sv, const char *name);
json_t *supervisor_service_health(supervisor *sv, const char *name);
json_t *supervisor_health_all(supervisor *sv);

/* Sends sig to the process groups of the service's live jobs; returns how
 * many, or -ENOENT / -ESRCH (nothing running). */
int supervisor_service_kill(supervisor *sv, const char *name, int sig, char *err, size_t errlen);
/* Stops one live job; a service job's service is then left alone (wanted
 * "ignore") so that the job does not come back by itself. */
int supervisor_job_cancel(supervisor *sv, int64_t id, char *err, size_t errlen);
/* Runs an ended job's action again as a new job with the same service_id,
 * action_id and run_id (the service's current run) and attempt + 1. */
int64_t supervisor_job_retry(supervisor *sv, int64_t id, char *err, size_t errlen);
/* Every service, in start order: [{name, ok, message}]. */
json_t *supervisor_start_all(supervisor *sv);
/* Stops the named services (names NULL: every one with live processes)
 * in reverse dependency order in time: each is signalled only once its
 * dependents among them have ended; independent branches go in parallel.
 * Without force, a running dependent outside the set refuses it all
 * (-EBUSY), and an unknown name too (-ENOENT): nothing changes. force:
 * SIGKILL instead of the stop signal, dependents or not. *results:
 * [{name, ok, message}]. */
int supervisor_stop_all(supervisor *sv, char **names, bool force, json_t **results, char *err,
                        size_t errlen);
/* {name, state, wanted, why}: the state in words. */
json_t *supervisor_why(supervisor *sv, const char *name);
/* The dependency tree of name (NULL: of every root) with actual states. */
json_t *supervisor_tree(supervisor *sv, const char *name);
/* The process groups (leader pids) of the service's live jobs. */
int supervisor_process_groups(supervisor *sv, const char *name, pid_t *groups, size_t max);

/* Stops every job, services in reverse dependency order in time as
 * supervisor_stop_all does, without changing what is wanted (the next
 * daemon brings the same services back); calls done once nothing runs
 * any more. */
void supervisor_shutdown(supervisor *sv, void (*done)(void *ctx), void *ctx);

#endif
