/* workflow.h — a run as a small workflow: which of its jobs may start, which
 * can never start, and what the run's status is.
 *
 * Pure logic over the current job of each action of one run (a retry
 * replaces its predecessor). depends_on.requires waits for the other job
 * to be ready — running for a process, succeeded for a oneshot — and
 * blocks for good when it fails; depends_on.after only orders: it waits
 * until the other job is running or over, whatever its outcome.
 */
#ifndef TEND_MODEL_WORKFLOW_H
#define TEND_MODEL_WORKFLOW_H

#include <stdbool.h>
#include <stddef.h>

#include "model/state.h"

typedef struct {
    job_phase phase;
    bool oneshot;
    bool ready;             /* a running process that passed its readiness check */
    const size_t *requires; /* indexes into the same array */
    size_t n_requires;
    const size_t *after;
    size_t n_after;
} wf_job;

typedef enum { WF_WAIT, WF_READY, WF_BLOCKED } wf_readiness;

/* For the pending job i. On WF_BLOCKED and WF_WAIT, *culprit (if not NULL)
 * gets the index of a job it is blocked by or waiting for. */
wf_readiness workflow_readiness(const wf_job *jobs, size_t i, size_t *culprit);

run_status workflow_run_status(const wf_job *jobs, size_t n);

#endif
