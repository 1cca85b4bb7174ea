/* state.c — state names and the derivation of a service's actual state. */
#include "model/state.h"

#include <string.h>

static const char *const job_phase_names[JOB_PHASE_COUNT] = {
    "pending", "starting", "running", "stopping", "succeeded", "failed", "cancelled", "lost",
};
static const char *const run_status_names[RUN_STATUS_COUNT] = {
    "starting", "running", "ok", "error", "stopped",
};
static const char *const wanted_names[] = {"start", "stop", "ignore", "spec"};
static const char *const service_state_names[] = {
    "inactive", "starting", "running", "stopping", "success", "failed", "exited",
};

service_state service_actual_state(const job_tally *t)
{
    const unsigned *n = t->phase;
    /* Movement wins over rest: what is happening now is the truth. */
    if (n[JOB_STOPPING]) return SERVICE_STOPPING;
    if (n[JOB_PENDING] || n[JOB_STARTING]) return SERVICE_STARTING;
    if (n[JOB_RUNNING]) return SERVICE_RUNNING;
    if (n[JOB_FAILED] || n[JOB_LOST]) return SERVICE_FAILED;
    if (n[JOB_CANCELLED]) return SERVICE_INACTIVE;
    if (n[JOB_SUCCEEDED]) return t->process_succeeded ? SERVICE_EXITED : SERVICE_SUCCESS;
    return SERVICE_INACTIVE;
}

bool job_phase_is_terminal(job_phase p)
{
    return p >= JOB_SUCCEEDED;
}

static int index_of(const char *const *names, int count, const char *name)
{
    for (int i = 0; i < count; i++)
        if (strcmp(names[i], name) == 0) return i;
    return -1;
}

int job_phase_from_name(const char *name)
{
    return index_of(job_phase_names, JOB_PHASE_COUNT, name);
}

const char *job_phase_name(job_phase p)
{
    return (unsigned)p < JOB_PHASE_COUNT ? job_phase_names[p] : "?";
}

const char *run_status_name(run_status s)
{
    return (unsigned)s < RUN_STATUS_COUNT ? run_status_names[s] : "?";
}

int wanted_status_from_name(const char *name)
{
    return index_of(wanted_names, 4, name);
}

const char *wanted_status_name(wanted_status w)
{
    return (unsigned)w < 4 ? wanted_names[w] : "?";
}

const char *service_state_name(service_state s)
{
    return (unsigned)s < sizeof(service_state_names) / sizeof(service_state_names[0])
               ? service_state_names[s]
               : "?";
}
