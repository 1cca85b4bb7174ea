/* job_steps.c — the commands a job's adapter runs around its main
 * process (adapters/adapter.h): the before commands of a start, one after
 * the other, each to exit 0; the stop command; the after command, which
 * clears up once the main process ended, before the job's end is told.
 * Each is a job_command (job_command.h), named as a unit of the job's
 * own ("job-12-before"), so that its tree is kept and killed apart. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/signame.h"
#include "base/strv.h"
#include "daemon/job_command.h"
#include "daemon/joblog.h"
#include "daemon/supervisor_internal.h"

static void unit_name(const job_rt *j, const char *what, char *out, size_t size)
{
    snprintf(out, size, "job-%lld-%s", (long long)j->id, what);
}

static job_command *run_command(job_rt *j, const char *what, char **argv, job_command_done_fn done)
{
    char unit[64];
    unit_name(j, what, unit, sizeof(unit));
    return job_command_run(j->sv->loop, unit, argv, adapter_environment(), NULL, done, j);
}

/* "podman exited with 125: Error: ..." */
static void describe_end(char *out, size_t size, const char *program, int code, int sig,
                         const char *words)
{
    const char *base = strrchr(program, '/');
    base = base ? base + 1 : program;
    int n = sig        ? snprintf(out, size, "%s killed by %s", base, signal_name(sig))
            : code < 0 ? snprintf(out, size, "%s could not start", base)
                       : snprintf(out, size, "%s exited with %d", base, code);
    if (words && words[0] && n >= 0 && (size_t)n < size)
        snprintf(out + n, size - (size_t)n, ": %s", words);
}

static void before_next(job_rt *j);

static void before_done(void *ctx, int code, int sig, const char *words)
{
    job_rt *j = ctx;
    j->step = NULL;
    if (j->phase != JOB_STARTING) return; /* stopped meanwhile: job_stop saw to it */
    const adapter_step *done = &j->before[j->step_next - 1];
    if ((code != 0 || sig) && !done->may_fail) {
        char reason[512];
        describe_end(reason, sizeof(reason), done->argv[0], code, sig, words);
        adapter_steps_free(j->before);
        j->before = NULL;
        if (j->log) joblog_release(j->log), j->log = NULL;
        job_transition(j, JOB_FAILED, reason);
        return;
    }
    before_next(j);
}

static void before_next(job_rt *j)
{
    char **next = j->before ? j->before[j->step_next].argv : NULL;
    if (!next) {
        adapter_steps_free(j->before);
        j->before = NULL;
        job_start_main(j);
        return;
    }
    j->step_next++;
    if (!(j->step = run_command(j, "before", strv_copy(next), before_done))) {
        adapter_steps_free(j->before);
        j->before = NULL;
        if (j->log) joblog_release(j->log), j->log = NULL;
        job_transition(j, JOB_FAILED, "out of memory");
    }
}

void job_steps_before(job_rt *j)
{
    adapter_job view = job_adapter_view(j);
    j->before = j->adapter->before ? j->adapter->before(&view) : NULL;
    j->step_next = 0;
    before_next(j);
}

static void after_done(void *ctx, int code, int sig, const char *words)
{
    job_rt *j = ctx;
    (void)code;
    (void)sig;
    (void)words; /* clearing up is done as well as it can be; the end stands */
    j->step = NULL;
    job_conclude(j);
}

void job_steps_after(job_rt *j)
{
    adapter_job view = job_adapter_view(j);
    char **argv = j->adapter && j->adapter->after ? j->adapter->after(&view) : NULL;
    if (!argv || !(j->step = run_command(j, "after", argv, after_done))) job_conclude(j);
}

bool job_steps_after_needed(const job_rt *j)
{
    return j->adapter && j->adapter->after;
}

static void stop_done(void *ctx, int code, int sig, const char *words)
{
    job_rt *j = ctx;
    (void)code;
    (void)sig;
    (void)words;
    j->stopper = NULL;
    /* With no main process to end, the stop is the end. */
    if (!j->proc && !j->ending && j->phase == JOB_STOPPING) job_main_ended(j, 0, 0, false);
}

bool job_steps_stop(job_rt *j)
{
    if (!j->adapter || !j->adapter->stop || j->stopper) return j->stopper != NULL;
    adapter_job view = job_adapter_view(j);
    char **argv = j->adapter->stop(&view);
    return argv && (j->stopper = run_command(j, "stop", argv, stop_done)) != NULL;
}

void job_steps_cancel(job_rt *j)
{
    job_command_cancel(j->step);
    j->step = NULL;
    job_command_cancel(j->stopper);
    j->stopper = NULL;
    adapter_steps_free(j->before);
    j->before = NULL;
}
