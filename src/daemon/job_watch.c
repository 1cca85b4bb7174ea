/* job_watch.c — a job's watch: the command its adapter reads the actual
 * state from (adapters/adapter.h), from the start of its main process (or
 * of the job, for an adapter that runs none) until its end. What the
 * adapter reports moves the job: up makes a starting job running; down
 * shows a running one as starting again (svc_tally), failed fails it with
 * the adapter's words. A watch that ends while the job lives runs again a
 * second later (a cluster's watch ends now and then by itself). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/job_command.h"
#include "daemon/supervisor_internal.h"

#define WATCH_AGAIN_MS 1000

static void watch_run(job_rt *j);

static void watch_output(void *ctx, const char *data, size_t len)
{
    job_rt *j = ctx;
    if (j->adapter->watch_read) j->adapter->watch_read(&j->watch_state, data, len, j->ear);
}

static void again_closed(uv_handle_t *h)
{
    free(h);
}

static void watch_again(uv_timer_t *t)
{
    job_rt *j = t->data;
    uv_close((uv_handle_t *)t, again_closed);
    j->watch_again = NULL;
    watch_run(j);
}

static void watch_ended(void *ctx, int code, int sig, const char *words)
{
    job_rt *j = ctx;
    (void)code;
    (void)sig;
    (void)words;
    j->watch = NULL;
    if (job_phase_is_terminal(j->phase) || j->phase == JOB_STOPPING || j->ending) return;
    if (!(j->watch_again = malloc(sizeof(*j->watch_again)))) return;
    uv_timer_init(j->sv->loop, j->watch_again);
    j->watch_again->data = j;
    uv_timer_start(j->watch_again, watch_again, WATCH_AGAIN_MS, 0);
}

static void watch_run(job_rt *j)
{
    adapter_job view = job_adapter_view(j);
    char **argv = j->adapter->watch(&view);
    char unit[64];
    snprintf(unit, sizeof(unit), "job-%lld-watch", (long long)j->id);
    if (argv)
        j->watch = job_command_run(j->sv->loop, unit, argv, adapter_environment(), watch_output,
                                   watch_ended, j);
}

void job_watch_start(job_rt *j)
{
    if (!j->adapter || !j->adapter->watch || j->watch || j->watch_again) return;
    if (!j->ear && !(j->ear = calloc(1, sizeof(*j->ear)))) return;
    j->ear->job = j;
    watch_run(j);
}

void job_watch_stop(job_rt *j)
{
    job_command_cancel(j->watch);
    j->watch = NULL;
    if (j->watch_again) {
        uv_close((uv_handle_t *)j->watch_again, again_closed);
        j->watch_again = NULL;
    }
    if (j->adapter && j->adapter->watch_free && j->watch_state) j->adapter->watch_free(j->watch_state);
    j->watch_state = NULL;
    free(j->ear);
    j->ear = NULL;
}

void adapter_report(adapter_ear *ear, adapter_verdict verdict, const char *words)
{
    job_rt *j = ear->job;
    if (job_phase_is_terminal(j->phase) || j->phase == JOB_STOPPING || j->ending) return;
    if (words) {
        free(j->status_text);
        j->status_text = strdup(words);
    }
    switch (verdict) {
    case ADAPTER_UP:
        j->watch_up = true;
        if (j->phase == JOB_STARTING && (j->pid || !j->adapter->launch) && job_is_ready(j))
            job_transition(j, JOB_RUNNING, words);
        else
            j->sv->job_changed(j->sv, j);
        return;
    case ADAPTER_DOWN:
        if (!j->watch_up) return;
        j->watch_up = false;
        j->sv->job_changed(j->sv, j);
        return;
    case ADAPTER_FAILED: job_fail(j, words && words[0] ? words : "failed"); return;
    }
}
