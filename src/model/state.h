/* state.h — the domain's states and the one place a service's actual state
 * is derived from its jobs.
 *
 * Every view (CLI, API, dashboard) asks service_actual_state(); nothing
 * stores a service's state. The wanted status is what the user asked for
 * and is kept apart: a service can be wanted "start" and be "failed".
 */
#ifndef TEND_MODEL_STATE_H
#define TEND_MODEL_STATE_H

#include <stdbool.h>

typedef enum {
    JOB_PENDING,  /* created; waiting for dependencies or for its start time */
    JOB_STARTING, /* spawned, not ready yet */
    JOB_RUNNING,
    JOB_STOPPING,  /* stop signal sent; waiting for the process group to end */
    JOB_SUCCEEDED, /* exited 0 */
    JOB_FAILED,    /* exited non-zero, killed by a signal, could not start, or timed out */
    JOB_CANCELLED, /* stopped on purpose, or never started because it was no longer wanted */
    JOB_LOST,      /* its process vanished while the daemon was not watching */
} job_phase;
#define JOB_PHASE_COUNT 8

typedef enum { RUN_STARTING, RUN_RUNNING, RUN_OK, RUN_ERROR, RUN_STOPPED } run_status;
#define RUN_STATUS_COUNT 5

typedef enum { WANTED_START, WANTED_STOP, WANTED_IGNORE, WANTED_SPEC } wanted_status;

typedef enum {
    SERVICE_INACTIVE, /* never started, or stopped on purpose */
    SERVICE_STARTING,
    SERVICE_RUNNING,
    SERVICE_STOPPING,
    SERVICE_SUCCESS, /* every job ran to completion successfully (oneshot services) */
    SERVICE_FAILED,
    SERVICE_EXITED, /* a long-running process ended with status 0 */
} service_state;

/* What the jobs of a service's latest run look like, counted by phase. A
 * job replaced by a retry is not counted; its retry is. */
typedef struct {
    unsigned phase[JOB_PHASE_COUNT];
    bool process_succeeded; /* a succeeded job belonged to a process action */
} job_tally;

service_state service_actual_state(const job_tally *t);

bool job_phase_is_terminal(job_phase p);
/* Returns -1 for an unknown name. */
int job_phase_from_name(const char *name);
const char *job_phase_name(job_phase p);
const char *run_status_name(run_status s);
int wanted_status_from_name(const char *name);
const char *wanted_status_name(wanted_status w);
const char *service_state_name(service_state s);

#endif
