/* job_watch.c — a job's watch: the command its adapter reads the actual
 * state from (adapters/adapter.h), from the start of its main process (or
 * of the job, for an adapter that runs none) until its end; and its
 * follow, the command whose output is the log of a job with no main
 * process, over the same time. What the
 * adapter reports moves the job: up makes a starting job running; down
 * shows a running one as starting again (svc_tally), failed fails it with
 * the adapter's words. A watch that ends while the job lives runs again a
 * second later (a cluster's watch ends now and then by itself). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/strv.h"
#include "daemon/job_command.h"
#include "daemon/joblog.h"
#include "daemon/process/process.h"
#include "daemon/supervisor_internal.h"
#include <unistd.h>

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

/* ---- follow -------------------------------------------------------------- */

static void follow_run(job_rt *j);

static void follow_again(uv_timer_t *t)
{
    job_rt *j = t->data;
    uv_close((uv_handle_t *)t, again_closed);
    j->follow_again = NULL;
    follow_run(j);
}

static void follow_exited(void *data, proc *p, int exit_code, int term_signal)
{
    job_rt *j = data;
    (void)exit_code;
    (void)term_signal;
    proc_release(p);
    j->follower = NULL;
    j->follow_since = wall_now();
    if (job_phase_is_terminal(j->phase) || j->phase == JOB_STOPPING || j->ending) return;
    if (!(j->follow_again = malloc(sizeof(*j->follow_again)))) return;
    uv_timer_init(j->sv->loop, j->follow_again);
    j->follow_again->data = j;
    uv_timer_start(j->follow_again, follow_again, WATCH_AGAIN_MS, 0);
}

static void follow_started(void *data, proc *p, pid_t pid, int rc, const char *err)
{
    job_rt *j = data;
    (void)pid;
    (void)err;
    for (int k = 0; k < 2; k++)
        if (j->follow_fds[k] >= 0) close(j->follow_fds[k]), j->follow_fds[k] = -1;
    if (rc < 0) follow_exited(j, p, -1, 0);
}

static void follow_run(job_rt *j)
{
    int out_fd = -1, err_fd = -1;
    if (!j->log) return;
    joblog_child_fds(j->log, &out_fd, &err_fd);
    adapter_job view = job_adapter_view(j);
    proc_request req = {
        .argv = j->adapter->follow(&view),
        .env = adapter_environment(),
        .uid = (uid_t)-1,
        .gid = (gid_t)-1,
        /* Copies: the log keeps its write ends for the next run. */
        .stdout_fd = out_fd >= 0 ? dup(out_fd) : -1,
        .stderr_fd = err_fd >= 0 ? dup(err_fd) : -1,
    };
    char unit[64];
    snprintf(unit, sizeof(unit), "job-%lld-follow", (long long)j->id);
    if (!req.argv || !req.env ||
        !(j->follower = proc_new(unit, follow_started, follow_exited, j))) {
        strv_free(req.argv);
        strv_free(req.env);
        if (req.stdout_fd >= 0) close(req.stdout_fd);
        if (req.stderr_fd >= 0) close(req.stderr_fd);
        return;
    }
    /* The copies are closed once the child has them (follow_started). */
    j->follow_fds[0] = req.stdout_fd;
    j->follow_fds[1] = req.stderr_fd;
    proc_spawn(j->follower, &req);
}

void job_watch_start(job_rt *j)
{
    if (!j->adapter) return;
    if (j->adapter->follow && !j->follower && !j->follow_again) follow_run(j);
    if (!j->adapter->watch || j->watch || j->watch_again) return;
    if (!j->ear && !(j->ear = calloc(1, sizeof(*j->ear)))) return;
    j->ear->job = j;
    watch_run(j);
}

void job_watch_stop(job_rt *j)
{
    if (j->follower) {
        proc_release(j->follower); /* kills what runs of it */
        j->follower = NULL;
        /* Copies the spawner may still be using are left to it (a follow
         * stopped within the moment it was being spawned). */
        j->follow_fds[0] = j->follow_fds[1] = -1;
    }
    if (j->follow_again) {
        uv_close((uv_handle_t *)j->follow_again, again_closed);
        j->follow_again = NULL;
    }
    job_command_cancel(j->watch);
    j->watch = NULL;
    if (j->watch_again) {
        uv_close((uv_handle_t *)j->watch_again, again_closed);
        j->watch_again = NULL;
    }
    if (j->adapter && j->adapter->watch_free && j->watch_state)
        j->adapter->watch_free(j->watch_state);
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
    case ADAPTER_FAILED:
        /* A job tend fails is not explained by its end: say why here. */
        if (j->service) svc_explain(j->service, "%s", words && words[0] ? words : "failed");
        job_fail(j, words && words[0] ? words : "failed");
        return;
    }
}
