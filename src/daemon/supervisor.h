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

supervisor *supervisor_new(uv_loop_t *loop, store *st, const char *logs_dir);
void supervisor_free(supervisor *sv);

/* Makes r (taken over) the registry. The plan (added, changed, removed,
 * unchanged service names) goes to *plan when plan is not NULL. Removed
 * services are stopped and forgotten; changed running ones restarted;
 * unchanged ones untouched. */
int supervisor_apply(supervisor *sv, registry *r, json_t **plan);
const registry *supervisor_registry(const supervisor *sv);

/* Takes the wanted status of each service from the store (daemon start). */
void supervisor_restore_wanted(supervisor *sv);

/* At daemon start: services with auto_start, or wanted "start", start. */
void supervisor_start_wanted(supervisor *sv);

typedef struct {
    bool replace_existing_jobs; /* default true */
    bool force;                 /* skip the conflict check */
} start_options;

/* Errors are negative errno with words in err: -ENOENT no such service,
 * -EBUSY a conflicting service runs, -EALREADY already running. */
int supervisor_service_start(supervisor *sv, const char *name, const start_options *o, char *err,
                             size_t errlen);
int supervisor_service_stop(supervisor *sv, const char *name, bool remove_jobs, bool force,
                            char *err, size_t errlen);
int supervisor_service_restart(supervisor *sv, const char *name, char *err, size_t errlen);

/* Runs an action on its own (no service): returns the job id or -errno. */
int64_t supervisor_job_create(supervisor *sv, const char *action, char *err, size_t errlen);

json_t *supervisor_service_status(supervisor *sv, const char *name);
json_t *supervisor_status_all(supervisor *sv);

/* Stops every job, without changing what is wanted (the next daemon
 * brings the same services back); calls done once nothing runs any more. */
void supervisor_shutdown(supervisor *sv, void (*done)(void *ctx), void *ctx);

#endif
