/* workflow.c — readiness of a run's jobs and the run's status (see workflow.h). */
#include "model/workflow.h"

static bool is_over(job_phase p)
{
    return job_phase_is_terminal(p);
}

/* requires: the dependency is ready now. */
static bool requirement_met(const wf_job *d)
{
    return d->oneshot ? d->phase == JOB_SUCCEEDED : d->phase == JOB_RUNNING && d->ready;
}

/* requires: the dependency can never become ready again in this run. */
static bool requirement_lost(const wf_job *d)
{
    if (d->phase == JOB_FAILED || d->phase == JOB_CANCELLED || d->phase == JOB_LOST) return true;
    return !d->oneshot && (d->phase == JOB_SUCCEEDED || d->phase == JOB_STOPPING);
}

wf_readiness workflow_readiness(const wf_job *jobs, size_t i, size_t *culprit)
{
    const wf_job *j = &jobs[i];
    wf_readiness verdict = WF_READY;
    for (size_t k = 0; k < j->n_requires; k++) {
        const wf_job *d = &jobs[j->requires[k]];
        if (requirement_met(d)) continue;
        if (culprit) *culprit = j->requires[k];
        if (requirement_lost(d)) return WF_BLOCKED;
        verdict = WF_WAIT;
    }
    for (size_t k = 0; verdict == WF_READY && k < j->n_after; k++) {
        const wf_job *d = &jobs[j->after[k]];
        if (d->phase == JOB_RUNNING || is_over(d->phase)) continue;
        if (culprit) *culprit = j->after[k];
        verdict = WF_WAIT;
    }
    return verdict;
}

run_status workflow_run_status(const wf_job *jobs, size_t n)
{
    bool starting = false, active = false, failed = false, cancelled = false;
    for (size_t i = 0; i < n; i++) {
        switch (jobs[i].phase) {
        case JOB_PENDING:
        case JOB_STARTING: starting = true; break;
        case JOB_RUNNING: starting |= !jobs[i].oneshot && !jobs[i].ready, active = true; break;
        case JOB_STOPPING: active = true; break;
        case JOB_FAILED:
        case JOB_LOST: failed = true; break;
        case JOB_CANCELLED: cancelled = true; break;
        case JOB_SUCCEEDED: break;
        }
    }
    if (starting) return RUN_STARTING;
    if (active) return RUN_RUNNING;
    if (failed) return RUN_ERROR;
    if (cancelled) return RUN_STOPPED;
    return RUN_OK;
}
