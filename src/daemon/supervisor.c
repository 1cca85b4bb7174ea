/* supervisor.c — services and their runs: starting a service (its
 * dependencies first, its jobs in depends_on order), keeping it running
 * (restart policy), stopping it, and reporting its actual state.
 *
 * Everything is event-driven: a job's phase change comes to
 * supervisor_job_changed (through sv->job_changed), which advances that run
 * and the runs of services waiting on this one.
 * The work per event is proportional to the service's own jobs and direct
 * dependents, never to the number of services. What health checks and
 * readiness add is in supervisor_health.c.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/strv.h"
#include "daemon/health_monitor.h"
#include "daemon/preflight.h"
#include "daemon/process/process.h"
#include "daemon/supervisor_internal.h"
#include "model/deps.h"
#include "model/workflow.h"

/* ---- small helpers ------------------------------------------------------- */

static void run_free(run_rt *run);
static bool run_finished(const run_rt *run);
static bool svc_ready(const svc *s);

/* The end of every loop iteration: commit the batch, and free the old runs
 * whose jobs have all ended and the removed services none of whose jobs
 * live (never freed while a callback may hold them). */
static void end_of_iteration(uv_check_t *check)
{
    supervisor *sv = check->data;
    store_flush(sv->st);
    size_t keep = 0;
    for (size_t i = 0; i < sv->n_retired; i++) {
        if (run_finished(sv->retired[i]))
            run_free(sv->retired[i]);
        else
            sv->retired[keep++] = sv->retired[i];
    }
    sv->n_retired = keep;
    supervisor_free_idle_buried(sv);
}

svc *svc_find(supervisor *sv, const char *name)
{
    return strmap_get(&sv->svc_by_name, name);
}

void svc_explain(svc *s, const char *fmt, ...)
{
    char *text = NULL;
    va_list ap;
    va_start(ap, fmt);
    if (vasprintf(&text, fmt, ap) < 0) text = NULL;
    va_end(ap);
    free(s->reason);
    s->reason = text;
    s->since = wall_now();
}

void svc_set_wanted(supervisor *sv, svc *s, wanted_status w)
{
    if (s->wanted == w) return;
    s->wanted = w;
    store_batch(sv->st);
    store_service_set_wanted(sv->st, s->name, wanted_status_name(w), wall_now());
    char data[64];
    snprintf(data, sizeof(data), "{\"wanted\":\"%s\"}", wanted_status_name(w));
    store_event_add(sv->st, wall_now(), "service.wanted", s->name, 0, 0, data);
}

/* ---- who asks ------------------------------------------------------------ */

void supervisor_set_caller(supervisor *sv, pid_t pid)
{
    sv->caller = (caller_job){0};
    job_rt *j = pid > 0 ? idmap_get(&sv->job_by_pid, pid) : NULL;
    /* Its main process, still running, and still the same process: the
     * kernel's pid, checked against the start time the job recorded (a
     * pid the job left behind may be another process's by now). */
    if (j && (j->pid != pid || job_phase_is_terminal(j->phase) ||
              (j->proc_start && process_start_time(pid) != j->proc_start)))
        j = NULL;
    if (j) {
        sv->caller.job = j->id;
        snprintf(sv->caller.action, sizeof(sv->caller.action), "%s", j->spec->name);
    }
    store_event_cause(sv->st, sv->caller.job, sv->caller.action);
}

void svc_note_asker(supervisor *sv, svc *s, bool stop)
{
    s->asked_by_job = sv->caller.job;
    free(s->asked_by_action);
    s->asked_by_action = sv->caller.job ? strdup(sv->caller.action) : NULL;
    s->asked_to_stop = stop;
}

const char *svc_asker_words(const svc *s, char *out, size_t size)
{
    if (!s->asked_by_job) return "user";
    snprintf(out, size, "job %lld (action %s)", (long long)s->asked_by_job,
             s->asked_by_action ? s->asked_by_action : "?");
    return out;
}

/* Shutting down: tell the waiter, once, when the last job has ended. */
static void check_idle(supervisor *sv)
{
    if (!sv->on_idle || sv->n_live) return;
    void (*done)(void *) = sv->on_idle;
    sv->on_idle = NULL;
    done(sv->on_idle_ctx);
}

static job_tally svc_tally(const svc *s)
{
    job_tally t = {0};
    if (!s->run) return t;
    for (size_t i = 0; i < s->run->n_jobs; i++) {
        const job_rt *j = s->run->jobs[i];
        /* A job whose watch says it does not serve (a rollout) is coming up. */
        bool coming_up = j->phase == JOB_RUNNING && j->adapter && j->adapter->ready_by_watch &&
                         !j->watch_up;
        t.phase[coming_up ? JOB_STARTING : j->phase]++;
        if (j->phase == JOB_SUCCEEDED && j->spec->kind == ACTION_PROCESS)
            t.process_succeeded = true;
    }
    return t;
}

/* The state its processes alone say. */
bool svc_has_health_check(const svc *s)
{
    return s->spec->health.type != HEALTH_NONE;
}

/* Its processes run, but its health check has not passed yet. */
bool svc_awaits_health(const svc *s)
{
    return svc_has_health_check(s) && !(s->health && health_monitor_report(s->health)->was_healthy);
}

/* {status, check, message, checked_at, duration_ms, since, failures, checks} */
json_t *svc_health_json(const svc *s)
{
    const health_spec *h = &s->spec->health;
    json_t *o = json_pack("{s:s}", "check", health_type_name(h->type));
    if (!s->health) {
        json_object_set_new(o, "status", json_string("unknown"));
        json_object_set_new(o, "message",
                            json_string(h->type == HEALTH_NONE ? "no health check configured"
                                                               : "not checked: not running"));
        json_object_set_new(o, "checked_at", json_null());
        json_object_set_new(o, "duration_ms", json_null());
        return o;
    }
    const health_report *r = health_monitor_report(s->health);
    json_object_set_new(o, "status", json_string(health_status_name(r->status)));
    json_object_set_new(o, "message", json_string(r->message));
    json_object_set_new(o, "checked_at",
                        r->checked_at > 0 ? json_real(r->checked_at) : json_null());
    json_object_set_new(o, "duration_ms",
                        r->checked_at > 0 ? json_real(r->duration * 1000.0) : json_null());
    json_object_set_new(o, "since", json_real(r->since));
    json_object_set_new(o, "failures", json_integer(r->failures));
    json_object_set_new(o, "checks", json_integer(r->checks));
    return o;
}

bool svc_is_target(const svc *s)
{
    return (!s->spec->actions || !s->spec->actions[0]) && s->spec->deployment.mode == DEPLOY_NONE;
}

/* A target's state is its dependencies': up while its run lasts and every
 * one is ready; down (inactive or failed) with the first that is. */
static service_state target_state(const svc *s)
{
    if (!s->run || s->run->status == RUN_STOPPED) return SERVICE_INACTIVE;
    const supervisor *sv = s->sv;
    service_state worst = SERVICE_RUNNING;
    for (size_t i = 0; i < svc_n_deps(sv, s); i++) {
        const svc *d = svc_dep(sv, s, i);
        if (svc_ready(d)) continue;
        service_state st = svc_state(d);
        if (st == SERVICE_FAILED || st == SERVICE_EXITED) return SERVICE_FAILED;
        worst = st == SERVICE_INACTIVE ? SERVICE_INACTIVE
                : worst == SERVICE_INACTIVE ? worst : SERVICE_STARTING;
    }
    return worst;
}

service_state svc_process_state(const svc *s)
{
    if (svc_is_target(s)) return target_state(s);
    job_tally t = svc_tally(s);
    return service_actual_state(&t);
}

/* The actual state: a service whose processes run is still starting until
 * its health check first passes. */
service_state svc_state(const svc *s)
{
    service_state st = svc_process_state(s);
    return st == SERVICE_RUNNING && svc_awaits_health(s) ? SERVICE_STARTING : st;
}

/* Ready for its dependents: running (and healthy), or done successfully;
 * a oneshot still at work is not done, so what depends on it waits. */
static bool svc_ready(const svc *s)
{
    service_state st = svc_state(s);
    if (st != SERVICE_RUNNING && st != SERVICE_SUCCESS) return false;
    for (size_t i = 0; s->run && i < s->run->n_jobs; i++) {
        const job_rt *j = s->run->jobs[i];
        if (j->spec->kind == ACTION_ONESHOT && !job_phase_is_terminal(j->phase)) return false;
    }
    return true;
}

bool svc_is_active(const svc *s)
{
    service_state st = svc_state(s);
    return st == SERVICE_RUNNING || st == SERVICE_STARTING || st == SERVICE_STOPPING;
}

/* Whether a process that ends by itself is restarted: unless the user
 * stopped the service or told tend to leave it alone. */
bool svc_supervised(const svc *s)
{
    return s->wanted == WANTED_START || s->wanted == WANTED_SPEC;
}

/* ---- runs -------------------------------------------------------------- */

static void run_free(run_rt *run)
{
    for (size_t i = 0; i < run->n_jobs; i++) job_release(run->jobs[i]);
    free(run->jobs);
    free(run);
}

static bool run_finished(const run_rt *run)
{
    for (size_t i = 0; i < run->n_jobs; i++)
        if (!job_phase_is_terminal(run->jobs[i]->phase)) return false;
    return true;
}

/* An old run: freed at the end of the iteration once its jobs have ended. */
static void run_retire(supervisor *sv, run_rt *run)
{
    run_rt **grown = realloc(sv->retired, (sv->n_retired + 1) * sizeof(*grown));
    if (!grown) return; /* leaked rather than freed under a caller's feet */
    sv->retired = grown;
    sv->retired[sv->n_retired++] = run;
}

/* A service waits for every dependency to be ready before its jobs start. */
static svc *unready_dependency(supervisor *sv, svc *s)
{
    for (size_t i = 0; i < svc_n_deps(sv, s); i++) {
        svc *d = svc_dep(sv, s, i);
        if (!svc_ready(d)) return d;
    }
    return NULL;
}

/* A dependency that is not coming up any more: what waits for it fails. */
static bool svc_gave_up(const svc *d)
{
    service_state st = svc_state(d);
    return st == SERVICE_FAILED || st == SERVICE_EXITED || st == SERVICE_INACTIVE;
}

/* Why d is not ready yet, for what waits on it. */
static void describe_unready(const svc *d, char *out, size_t size)
{
    const health_report *r = d->health ? health_monitor_report(d->health) : NULL;
    service_state st = svc_state(d);
    if (st == SERVICE_STARTING && r && r->checked_at > 0)
        snprintf(out, size, ": not healthy yet (last check: %s)", r->message);
    else if (st == SERVICE_STARTING || st == SERVICE_RUNNING)
        out[0] = '\0'; /* on its way (or its oneshots at work): nothing more to say */
    else
        snprintf(out, size, ": %s", service_state_name(st));
}

void run_set_status(supervisor *sv, run_rt *run, run_status status)
{
    if (status == run->status) return;
    run->status = status;
    bool over = status == RUN_OK || status == RUN_ERROR || status == RUN_STOPPED;
    store_batch(sv->st);
    /* A run's reason is how it ended; while it lasts, the service's says more. */
    store_run_update(sv->st, run->id, run_status_name(status), over ? run->service->reason : NULL,
                     over ? wall_now() : 0);
    char data[64];
    snprintf(data, sizeof(data), "{\"status\":\"%s\"}", run_status_name(status));
    store_event_add(sv->st, wall_now(), "run.status", run->service->name, 0, run->id, data);
}

/* Starts what may start, cancels what never can, and updates the status. */
void run_advance(supervisor *sv, run_rt *run)
{
    size_t n = run->n_jobs;
    wf_job *wf = calloc(n ? n : 1, sizeof(*wf));
    size_t *edges = calloc(2 * n * n + 1, sizeof(*edges));
    if (!wf || !edges) goto out;
    /* Map each job's depends_on names to slots of this run. */
    size_t used = 0;
    for (size_t i = 0; i < n; i++) {
        const action_spec *a = run->jobs[i]->spec;
        wf[i] = (wf_job){.phase = run->jobs[i]->phase,
                         .oneshot = a->kind == ACTION_ONESHOT,
                         .ready = run->jobs[i]->phase == JOB_RUNNING};
        char **lists[2] = {a->requires, a->after};
        for (int l = 0; l < 2; l++) {
            size_t *start = edges + used, count = 0;
            for (size_t k = 0; lists[l] && lists[l][k]; k++)
                for (size_t m = 0; m < n; m++)
                    if (strcmp(run->jobs[m]->spec->name, lists[l][k]) == 0) start[count++] = m;
            used += count;
            if (l == 0)
            wf[i].requires = start, wf[i].n_requires = count;
            else wf[i].after = start, wf[i].n_after = count;
        }
    }
    svc *s = run->service;
    svc *waiting_on = unready_dependency(sv, s);
    char dep_failed[320] = "";
    if (waiting_on && svc_gave_up(waiting_on))
        snprintf(dep_failed, sizeof(dep_failed), "dependency %s %s: %s", waiting_on->name,
                 service_state_name(svc_state(waiting_on)),
                 waiting_on->reason ? waiting_on->reason : "not running");
    bool progressed = true;
    while (progressed) {
        progressed = false;
        for (size_t i = 0; i < n; i++) {
            job_rt *j = run->jobs[i];
            if (j->phase != JOB_PENDING || uv_is_active((uv_handle_t *)&j->timer)) continue;
            size_t culprit = 0;
            wf_readiness r = workflow_readiness(wf, i, &culprit);
            if (dep_failed[0]) {
                svc_explain(s, "%s", dep_failed);
                job_fail(j, dep_failed);
            } else if (r == WF_BLOCKED) {
                char why[160];
                snprintf(why, sizeof(why), "required action %s did not come up",
                         run->jobs[culprit]->spec->name);
                job_transition(j, JOB_CANCELLED, why);
            } else if (r == WF_READY && !waiting_on && s->stopping_jobs == 0 &&
                       !sv->shutting_down && !s->removed) {
                job_launch(j);
            } else {
                continue;
            }
            wf[i].phase = j->phase;
            wf[i].ready = j->phase == JOB_RUNNING;
            progressed = true;
        }
    }
    if (waiting_on && !dep_failed[0]) {
        char why[300];
        describe_unready(waiting_on, why, sizeof(why));
        svc_explain(s, "waiting for %s%s", waiting_on->name, why);
    }
    if (!svc_is_target(s)) {
        run_set_status(sv, run, workflow_run_status(wf, run->n_jobs));
    } else if (!waiting_on && run->status == RUN_STARTING) {
        /* A target is up once its dependencies are: what waits on it goes on. */
        run_set_status(sv, run, RUN_RUNNING);
        svc_explain(s, "running");
        dependents_advance(sv, s);
    } else if (dep_failed[0] && run->status == RUN_STARTING) {
        svc_explain(s, "%s", dep_failed);
        run_set_status(sv, run, RUN_ERROR);
    }
out:
    free(wf);
    free(edges);
}

void dependents_advance(supervisor *sv, svc *s)
{
    for (size_t i = 0; i < svc_n_rdeps(sv, s); i++) {
        svc *d = svc_rdep(sv, s, i);
        if (d->run && d->run->status == RUN_STARTING) run_advance(sv, d->run);
    }
}

restart_policy svc_restart_policy(const svc *s)
{
    const startup_spec *st = &s->spec->startup;
    return (restart_policy){.mode = st->restart,
                            .max_restarts = st->max_restarts,
                            .window = st->restart_window,
                            .delay = st->restart_delay,
                            .delay_max = st->restart_delay_max};
}

/* Most services never end by themselves: their history is made on demand. */
restart_history *svc_restart_history(svc *s)
{
    if (!s->restarts) s->restarts = calloc(1, sizeof(*s->restarts));
    return s->restarts;
}

/* Keeps the reason of the latest restart for `why`, once the service runs
 * again and its reason says so. */
void svc_note_restart(svc *s)
{
    free(s->last_restart);
    s->last_restart = s->reason ? strdup(s->reason) : NULL;
    s->last_restart_at = s->since;
}

/* "ACTION: " before what a job did, unless the action is the service's
 * only one of the same name (a binary service): "web: web failed" says
 * nothing twice. */
static const char *job_label(const job_rt *j, char *out, size_t size)
{
    if (strcmp(j->spec->name, j->service->name) == 0)
        out[0] = '\0';
    else
        snprintf(out, size, "%s: ", j->spec->name);
    return out;
}

/* A process of a service that should be running has ended on its own. */
static void svc_process_ended(supervisor *sv, svc *s, job_rt *j)
{
    restart_policy policy = svc_restart_policy(s);
    bool no_status = !j->has_exit_code && !j->term_signal;
    restart_history *h = svc_restart_history(s);
    if (!h) return;
    /* A process that failed while no main process ran, or ran and left no
     * status (adopted from one), counts as failed, in its error's words. */
    bool succeeded = j->has_exit_code && j->exit_code == 0 && !j->term_signal && !j->timed_out;
    /* One that could not start says why (a missing program or env file),
     * and one that timed out says so, rather than what the stop did. */
    char why_not[512];
    if (j->started_at > 0 || j->timed_out)
        snprintf(why_not, sizeof(why_not), "%s",
                 j->error ? j->error : "ended (its exit status is unknown)");
    else
        snprintf(why_not, sizeof(why_not), "could not start: %s", j->error ? j->error : "?");
    restart_decision d =
        (j->ended_while_down && !succeeded) || no_status || j->timed_out
            ? restart_decide_cause(&policy, h, j->started_at, wall_now(), why_not, true)
            : restart_decide(&policy, h, j->started_at, wall_now(), j->exit_code, j->term_signal);
    char label[160];
    job_label(j, label, sizeof(label));
    if (d.verdict == RESTART_AFTER) {
        svc_explain(s, "%s%s", label, d.reason);
        svc_note_restart(s);
        job_replace(j, d.delay);
    } else {
        svc_explain(s, "%s%s", label, d.reason);
        store_event_add(sv->st, wall_now(), "service.gave_up", s->name, j->id, j->run->id, NULL);
    }
}

static void run_job_changed(supervisor *sv, job_rt *j)
{
    svc *s = j->service;
    run_rt *run = j->run;
    bool current = run->jobs[j->slot] == j;
    if (j->phase == JOB_STOPPING) s->stopping_jobs++;
    if (job_phase_is_terminal(j->phase) && j->stopping_counted) s->stopping_jobs--;
    j->stopping_counted = j->phase == JOB_STOPPING;
    if (job_phase_is_terminal(j->phase)) sv->stop_advance(sv, s);
    if (!current) {
        if (job_phase_is_terminal(j->phase)) job_release(j);
    } else if (run == s->run && svc_supervised(s) && !sv->shutting_down && !s->removed &&
               j->spec->kind == ACTION_PROCESS && !j->failed_by_tend &&
               (j->phase == JOB_SUCCEEDED || j->phase == JOB_FAILED)) {
        svc_process_ended(sv, s, j);
    } else if (j->phase == JOB_FAILED && !j->failed_by_tend) {
        char label[160];
        svc_explain(s, "%s%s", job_label(j, label, sizeof(label)), j->error ? j->error : "failed");
    }
    if (run != s->run) {
        /* An old run's jobs ending lets the current run's jobs start. */
        if (s->run && s->stopping_jobs == 0) run_advance(sv, s->run);
    } else {
        /* Before run_advance: a run that ends there takes the service's
         * reason as its own, which must be this one, not the last. */
        if (svc_state(s) == SERVICE_SUCCESS && j->phase == JOB_SUCCEEDED)
            svc_explain(s, "completed: %s exited 0", j->spec->name);
        run_advance(sv, run);
        if (svc_state(s) == SERVICE_RUNNING && j->phase == JOB_RUNNING) svc_explain(s, "running");
    }
    sv->follow(sv, s);
    dependents_advance(sv, s);
    if (s->remove_jobs_when_idle && s->run == run && run_finished(run)) {
        s->remove_jobs_when_idle = false;
        store_batch(sv->st);
        store_jobs_delete_terminated(sv->st, s->name);
    }
    check_idle(sv);
}

static void standalone_job_changed(supervisor *sv, job_rt *j)
{
    if (job_phase_is_terminal(j->phase)) job_release(j);
    check_idle(sv);
}

void supervisor_job_changed(supervisor *sv, job_rt *j)
{
    if (j->run)
        run_job_changed(sv, j);
    else
        standalone_job_changed(sv, j);
}

static run_rt *run_create(supervisor *sv, svc *s)
{
    run_rt *run = calloc(1, sizeof(*run));
    size_t n = strv_len(s->spec->actions);
    if (!run || !(run->jobs = calloc(n ? n : 1, sizeof(*run->jobs)))) {
        free(run);
        return NULL;
    }
    store_batch(sv->st);
    run->id = store_run_create(sv->st, s->name, wall_now());
    run->service = s;
    run->status = RUN_STARTING;
    const registry *r = sv->reg->r;
    for (size_t i = 0; i < n; i++) {
        const action_spec *a = registry_action(r, s->spec->actions[i]);
        job_rt *j = a ? job_create(sv, s, run, a, 1) : NULL;
        if (!j) continue;
        j->slot = run->n_jobs;
        run->jobs[run->n_jobs++] = j;
    }
    store_event_add(sv->st, wall_now(), "run.created", s->name, 0, run->id, NULL);
    return run;
}

/* Stops the jobs of the service's current run and lets it go. */
static void svc_end_run(supervisor *sv, svc *s, bool kill_now)
{
    run_rt *run = s->run;
    if (!run) return;
    s->run = NULL;
    run_retire(sv, run);
    for (size_t i = 0; i < run->n_jobs; i++)
        if (!job_phase_is_terminal(run->jobs[i]->phase)) job_stop(run->jobs[i], kill_now);
}

/* ---- starting and stopping services ----------------------------------- */

static bool running_by_name(void *ctx, const char *name)
{
    svc *s = svc_find(ctx, name);
    return s && svc_is_active(s);
}

json_t *supervisor_preflight(supervisor *sv, const char *name)
{
    svc *s = svc_find(sv, name);
    return s && !s->removed ? preflight_service(sv->reg->r, s->spec, running_by_name, sv) : NULL;
}

/* Refuses a start the way the guide shows: "Pre-flight check failed:
 * conflicts" and, on the next line, the service and what was found. */
static int preflight_refusal(supervisor *sv, svc *s, char *err, size_t errlen)
{
    json_t *checks = json_array();
    int rc = 0;
    if (!preflight_own(sv->reg->r, s->spec, running_by_name, sv, checks)) {
        const json_t *c = preflight_first_failure(checks);
        snprintf(err, errlen, "Pre-flight check failed: %s\n%s: %s",
                 json_string_value(json_object_get(c, "check")), s->name,
                 json_string_value(json_object_get(c, "message")));
        rc = -EPERM;
    }
    json_decref(checks);
    return rc;
}

/* A new run: the current one's jobs are stopped first; with
 * delete_old, the service's ended jobs are deleted (seed 002, 4.2). */
static void svc_begin_run(supervisor *sv, svc *s, bool delete_old)
{
    s->stop_queued = false;
    svc_end_run(sv, s, false);
    if (delete_old) {
        store_batch(sv->st);
        store_jobs_delete_terminated(sv->st, s->name);
    }
    free(s->restarts);
    s->restarts = NULL;
    free(s->last_restart);
    s->last_restart = NULL;
    svc_note_asker(sv, s, false);
    svc_explain(s, "starting");
    s->run = run_create(sv, s);
    if (s->run) run_advance(sv, s->run);
}

/* mark_wanted: an explicit start makes the service (and what it needs)
 * wanted "start"; a start at boot leaves the wanted status as it is. */
static int service_start(supervisor *sv, const char *name, const start_options *o, bool mark_wanted,
                         char *err, size_t errlen)
{
    svc *s = svc_find(sv, name);
    if (!s || s->removed) {
        snprintf(err, errlen, "no service named '%s'", name);
        return -ENOENT;
    }
    size_t n = sv->reg->r->n_services;
    bool *mark = calloc(n + 1, sizeof(*mark));
    size_t *order = calloc(n + 1, sizeof(*order)), count = 0;
    if (!mark || !order) {
        free(mark);
        free(order);
        return -ENOMEM;
    }
    graph_closure(&sv->deps, s->index, mark);
    /* Pre-flight: the service and what it will start (those running
     * already are available as they are). */
    for (size_t i = 0; i < n && !o->force; i++) {
        svc *x = sv->svcs[i];
        int rc =
            mark[i] && (x == s || !svc_is_active(x)) ? preflight_refusal(sv, x, err, errlen) : 0;
        if (rc < 0) {
            free(mark);
            free(order);
            return rc;
        }
    }
    deps_start_order(sv->reg->r, &sv->deps, mark, order, &count);
    free(mark);
    /* Dependencies first; those already up stay as they are. */
    for (size_t k = 0; k < count; k++) {
        svc *d = sv->svcs[order[k]];
        if (d == s) continue;
        if (mark_wanted) svc_set_wanted(sv, d, WANTED_START);
        if (d->stop_queued && svc_is_active(d)) {
            /* Wanted again before its turn to stop came: it stays up. */
            d->stop_queued = d->stop_kill = false;
            svc_explain(d, "running");
        }
        if (!svc_is_active(d) && svc_state(d) != SERVICE_SUCCESS) svc_begin_run(sv, d, true);
    }
    free(order);
    if (!o->replace_existing_jobs && svc_is_active(s)) {
        snprintf(err, errlen, "%s is already %s (and replace_existing_jobs is false)", s->name,
                 service_state_name(svc_state(s)));
        return -EALREADY;
    }
    if (mark_wanted) svc_set_wanted(sv, s, WANTED_START);
    svc_begin_run(sv, s, o->replace_existing_jobs);
    return 0;
}

int supervisor_service_start(supervisor *sv, const char *name, const start_options *o, char *err,
                             size_t errlen)
{
    return service_start(sv, name, o, true, err, errlen);
}

void svc_auto_start(supervisor *sv, svc *s)
{
    char err[256];
    start_options o = {.replace_existing_jobs = true};
    if (service_start(sv, s->name, &o, false, err, sizeof(err)) < 0) {
        for (char *nl = strchr(err, '\n'); nl; nl = strchr(nl, '\n')) *nl = ' ';
        svc_explain(s, "not started: %s", err);
    }
}

void svc_remove_jobs_when_idle(supervisor *sv, svc *s)
{
    if (s->run && !run_finished(s->run)) {
        s->remove_jobs_when_idle = true;
        return;
    }
    s->remove_jobs_when_idle = false;
    store_batch(sv->st);
    store_jobs_delete_terminated(sv->st, s->name);
}

int supervisor_service_restart(supervisor *sv, const char *name, bool force, char *err,
                               size_t errlen)
{
    start_options o = {.replace_existing_jobs = true, .force = force};
    return supervisor_service_start(sv, name, &o, err, errlen);
}

int64_t supervisor_job_create(supervisor *sv, const char *action, char *err, size_t errlen)
{
    const action_spec *a = registry_action(sv->reg->r, action);
    if (!a) {
        snprintf(err, errlen, "no action named '%s'", action);
        return -ENOENT;
    }
    job_rt *j = job_create(sv, NULL, NULL, a, 1);
    if (!j) {
        snprintf(err, errlen, "could not record the job: %s", store_error(sv->st));
        return -EIO;
    }
    int64_t id = j->id;
    job_launch(j);
    return id;
}

void supervisor_start_wanted(supervisor *sv)
{
    const registry *r = sv->reg->r;
    size_t *order = calloc(r->n_services + 1, sizeof(*order)), count = 0;
    if (!order) return;
    deps_start_order(r, &sv->deps, NULL, order, &count);
    for (size_t k = 0; k < count; k++) {
        svc *s = sv->svcs[order[k]];
        bool wanted =
            s->wanted == WANTED_START || (s->wanted == WANTED_SPEC && s->spec->startup.auto_start);
        if (wanted && !svc_is_active(s)) svc_auto_start(sv, s);
    }
    free(order);
}

/* ---- status ---------------------------------------------------------- */

json_t *supervisor_service_status(supervisor *sv, const char *name)
{
    svc *s = svc_find(sv, name);
    if (!s || s->removed) return NULL;
    service_state state = svc_state(s);
    json_t *o = json_pack("{s:s, s:s, s:s}", "name", s->name, "state", service_state_name(state),
                          "wanted", wanted_status_name(s->wanted));
    json_object_set_new(o, "reason", s->reason ? json_string(s->reason) : json_null());
    json_object_set_new(o, "since", json_real(s->since));
    json_object_set_new(o, "type", s->spec->type ? json_string(s->spec->type) : json_null());
    json_object_set_new(o, "category",
                        s->spec->category ? json_string(s->spec->category) : json_null());
    json_object_set_new(o, "deployment", json_string(deploy_mode_name(s->spec->deployment.mode)));
    json_object_set_new(o, "auto_start", json_boolean(s->spec->startup.auto_start));
    json_t *deps = json_array();
    for (size_t i = 0; s->spec->dependencies && s->spec->dependencies[i]; i++)
        json_array_append_new(deps, json_string(s->spec->dependencies[i]));
    json_object_set_new(o, "dependencies", deps);
    json_t *jobs = json_array();
    json_int_t pid = 0, restarts = 0;
    double started = 0;
    const job_rt *last_ended = NULL;
    for (size_t i = 0; s->run && i < s->run->n_jobs; i++) {
        const job_rt *j = s->run->jobs[i];
        json_t *job = json_pack("{s:I, s:s, s:s, s:i, s:I}", "id", (json_int_t)j->id, "action",
                                j->spec->name, "phase", job_phase_name(j->phase), "attempt",
                                j->attempt, "pid", (json_int_t)j->pid);
        if (j->spec->ready_notify) json_object_set_new(job, "notified", json_boolean(j->notified));
        if (j->status_text) json_object_set_new(job, "status_text", json_string(j->status_text));
        json_array_append_new(jobs, job);
        if (j->pid && !pid) pid = j->pid, started = j->started_at;
        restarts += j->attempt - 1;
        if (j->ended_at && (!last_ended || j->ended_at > last_ended->ended_at)) last_ended = j;
    }
    json_object_set_new(o, "jobs", jobs);
    json_object_set_new(o, "run_id", s->run ? json_integer(s->run->id) : json_null());
    json_object_set_new(o, "pid", pid ? json_integer(pid) : json_null());
    json_object_set_new(o, "uptime", pid ? json_real(wall_now() - started) : json_null());
    json_object_set_new(o, "restarts", json_integer(restarts));
    json_t *last = json_null();
    if (last_ended)
        last = json_pack(
            "{s:o, s:o}", "exit_code",
            last_ended->has_exit_code ? json_integer(last_ended->exit_code) : json_null(), "signal",
            last_ended->term_signal ? json_integer(last_ended->term_signal) : json_null());
    json_object_set_new(o, "last_exit", last);
    json_object_set_new(o, "health", svc_health_json(s));
    json_t *required_for = json_array();
    for (size_t i = 0; s->spec->required_for && s->spec->required_for[i]; i++)
        json_array_append_new(required_for, json_string(s->spec->required_for[i]));
    json_object_set_new(o, "required_for", required_for);
    return o;
}

json_t *supervisor_status_all(supervisor *sv)
{
    json_t *all = json_array();
    for (size_t i = 0; i < sv->reg->r->n_services; i++)
        json_array_append_new(all, supervisor_service_status(sv, sv->svcs[i]->name));
    return all;
}

/* ---- life of the supervisor ------------------------------------------- */

void svc_bury(supervisor *sv, svc *s)
{
    s->removed = true;
    s->index = SIZE_MAX; /* into no graph: svc_n_deps/svc_n_rdeps give it none */
    s->stop_queued = false;
    svc **grown = realloc(sv->buried, (sv->n_buried + 1) * sizeof(*grown));
    if (!grown) return; /* leaked rather than freed while its jobs end */
    sv->buried = grown;
    sv->buried[sv->n_buried++] = s;
}

void svc_drop_run(supervisor *sv, svc *s)
{
    (void)sv;
    if (s->run) run_free(s->run);
    s->run = NULL;
}

void supervisor_hooks_start(supervisor *sv)
{
    uv_check_init(sv->loop, &sv->end_check);
    sv->end_check.data = sv;
    uv_check_start(&sv->end_check, end_of_iteration);
    /* The check handle alone must not keep the loop alive. */
    uv_unref((uv_handle_t *)&sv->end_check);
}

static void supervisor_closed(uv_handle_t *handle)
{
    free(handle->data);
}

void supervisor_flush_retired(supervisor *sv)
{
    end_of_iteration(&sv->end_check);
    for (size_t i = 0; i < sv->n_retired; i++) run_free(sv->retired[i]);
    free(sv->retired);
    sv->retired = NULL;
    sv->n_retired = 0;
}

void supervisor_hooks_stop(supervisor *sv)
{
    /* The handle lives inside sv: sv is freed when libuv is done with it. */
    uv_close((uv_handle_t *)&sv->end_check, supervisor_closed);
}
