/* supervisor_health.c — what health checks and readiness do to services:
 * a health monitor runs while a service's processes run; the service is
 * `starting` until its check first passes (or its READY=1 comes), and
 * start_timeout bounds that; a service that turns unhealthy is restarted as
 * its restart policy allows. Also the health part of status views.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "daemon/health_monitor.h"
#include "daemon/supervisor_internal.h"

static void health_event(supervisor *sv, svc *s, const char *kind, const char *from, const char *to,
                         const char *message)
{
    json_t *data = json_pack("{s:s, s:s, s:s}", "from", from, "to", to, "message", message);
    char *text = json_dumps(data, JSON_COMPACT);
    store_batch(sv->st);
    store_event_add(sv->st, wall_now(), kind, s->name, 0, s->run ? s->run->id : 0, text);
    free(text);
    json_decref(data);
}

/* A job with nothing of its own running (a service elsewhere, only
 * watched) is only what its check says: unhealthy and not restarted, it
 * fails, in the check's words. */
static void svc_fail_processless(svc *s, const char *message)
{
    char why[400];
    snprintf(why, sizeof(why), "unhealthy: %s", message);
    size_t n = s->run ? s->run->n_jobs : 0, count = 0;
    job_rt **ending = calloc(n ? n : 1, sizeof(*ending));
    if (!ending) return;
    for (size_t i = 0; i < n; i++) {
        job_rt *j = s->run->jobs[i];
        if (j->adapter && !j->adapter->launch && !job_phase_is_terminal(j->phase))
            ending[count++] = j;
    }
    for (size_t i = 0; i < count; i++) job_fail(ending[i], why);
    free(ending);
}

/* Its health check failed `retries` times in a row after it had passed:
 * a restart, as the restart policy allows, counted like one after a crash. */
static void svc_unhealthy(supervisor *sv, svc *s, const char *message)
{
    if (!s->run || !svc_supervised(s) || sv->shutting_down) {
        svc_explain(s, "unhealthy: %s", message);
        return;
    }
    double started = 0;
    for (size_t i = 0; i < s->run->n_jobs; i++) {
        const job_rt *j = s->run->jobs[i];
        if (j->phase == JOB_RUNNING && (!started || j->started_at < started))
            started = j->started_at;
    }
    restart_policy policy = svc_restart_policy(s);
    restart_history *h = svc_restart_history(s);
    if (!h) return;
    restart_decision d = restart_decide_cause(&policy, h, started, wall_now(), "unhealthy", true);
    if (d.verdict != RESTART_AFTER) {
        svc_explain(s, "unhealthy: %s; %s", message, d.reason);
        if (d.verdict == RESTART_GIVE_UP)
            store_event_add(sv->st, wall_now(), "service.gave_up", s->name, 0, s->run->id, NULL);
        svc_fail_processless(s, message);
        return;
    }
    /* Snapshot first: stopping and replacing change the run's slots. */
    size_t n = s->run->n_jobs;
    job_rt **live = calloc(n ? n : 1, sizeof(*live));
    if (!live) return;
    size_t count = 0;
    for (size_t i = 0; i < n; i++) {
        job_rt *j = s->run->jobs[i];
        if (j->spec->kind == ACTION_PROCESS &&
            (j->phase == JOB_RUNNING || j->phase == JOB_STARTING))
            live[count++] = j;
    }
    svc_explain(s, "unhealthy: %s; %s", message, d.reason);
    svc_note_restart(s);
    store_event_add(sv->st, wall_now(), "service.restart", s->name, 0, s->run->id,
                    "{\"cause\":\"unhealthy\"}");
    /* The new process starts once the old one has ended: run_advance
     * launches it then (a delay's timer waits for that too). */
    for (size_t i = 0; i < count; i++) {
        job_rt *next = job_replace(live[i], d.delay);
        job_stop(live[i], false);
        if (next && d.delay <= 0) uv_timer_stop(&next->timer);
    }
    free(live);
}

static void svc_health_changed(void *ctx, health_status from, health_status to)
{
    svc *s = ctx;
    supervisor *sv = s->sv;
    const health_report *r = health_monitor_report(s->health);
    char message[sizeof(r->message)];
    snprintf(message, sizeof(message), "%s", r->message);
    health_event(sv, s, "service.health", health_status_name(from), health_status_name(to),
                 message);
    if (to == HEALTH_HEALTHY) {
        svc_explain(s, "healthy: %s", message);
        svc_follow(sv, s); /* it is running now: start_timeout is over */
        if (s->run) run_advance(sv, s->run);
        dependents_advance(sv, s);
    } else if (to == HEALTH_UNHEALTHY) {
        svc_unhealthy(sv, s, message);
    }
}

static void svc_start_timed_out(uv_timer_t *timer)
{
    svc *s = timer->data;
    supervisor *sv = s->sv;
    if (!s->run || svc_state(s) != SERVICE_STARTING) return;
    double limit = s->spec->startup.start_timeout;
    char why[400];
    if (svc_awaits_health(s) && svc_process_state(s) == SERVICE_RUNNING)
        snprintf(why, sizeof(why), "did not become healthy within %g s (last check: %s)", limit,
                 s->health ? health_monitor_report(s->health)->message : "none ran");
    else
        snprintf(why, sizeof(why), "did not become ready within %g s", limit);
    svc_explain(s, "%s", why);
    health_event(sv, s, "service.start_timeout", "starting", "failed", why);
    size_t n = s->run->n_jobs;
    job_rt **jobs = calloc(n ? n : 1, sizeof(*jobs));
    if (!jobs) return;
    memcpy(jobs, s->run->jobs, n * sizeof(*jobs));
    for (size_t i = 0; i < n; i++)
        if (!job_phase_is_terminal(jobs[i]->phase)) job_fail(jobs[i], why);
    free(jobs);
}

/* Whether the service says when it is ready (health check, READY=1):
 * only then does start_timeout apply. */
static bool svc_signals_readiness(const svc *s)
{
    if (svc_has_health_check(s)) return true;
    for (size_t i = 0; s->run && i < s->run->n_jobs; i++)
        if (s->run->jobs[i]->spec->ready_notify) return true;
    return false;
}

static bool svc_launched(const svc *s)
{
    for (size_t i = 0; s->run && i < s->run->n_jobs; i++) {
        job_phase p = s->run->jobs[i]->phase;
        if (p == JOB_STARTING || p == JOB_RUNNING) return true;
    }
    return false;
}

/* After any change: health checks run while its processes do, and a
 * service coming up has start_timeout to become ready. The supervisor
 * calls it through sv->follow (set by supervisor_new): supervisor.c
 * never calls up into this file by name. */
void svc_follow(supervisor *sv, svc *s)
{
    service_state base = svc_process_state(s);
    /* A removed service is only ending: nothing new is watched or timed. */
    bool check = svc_has_health_check(s) && s->run && !sv->shutting_down && !s->removed &&
                 (base == SERVICE_RUNNING || base == SERVICE_SUCCESS);
    if (check && !s->health) {
        s->health = health_monitor_start(sv->loop, &s->spec->health, svc_health_changed, s);
    } else if (!check && s->health) {
        health_monitor_stop(s->health);
        s->health = NULL;
    }
    double limit = s->spec->startup.start_timeout;
    bool coming_up = limit > 0 && !sv->shutting_down && !s->removed &&
                     svc_state(s) == SERVICE_STARTING &&
                     svc_launched(s) && svc_signals_readiness(s);
    if (coming_up && !s->start_timer) {
        if (!(s->start_timer = malloc(sizeof(*s->start_timer)))) return;
        uv_timer_init(sv->loop, s->start_timer);
        s->start_timer->data = s;
    }
    if (coming_up && !uv_is_active((uv_handle_t *)s->start_timer))
        uv_timer_start(s->start_timer, svc_start_timed_out, (uint64_t)(limit * 1000.0 + 0.5), 0);
    else if (!coming_up && s->start_timer)
        uv_timer_stop(s->start_timer);
}

json_t *supervisor_service_health(supervisor *sv, const char *name)
{
    svc *s = svc_find(sv, name);
    if (!s || s->removed) return NULL;
    json_t *o = svc_health_json(s);
    json_object_set_new(o, "name", json_string(s->name));
    json_object_set_new(o, "state", json_string(service_state_name(svc_state(s))));
    return o;
}

json_t *supervisor_health_all(supervisor *sv)
{
    json_t *all = json_array();
    for (size_t i = 0; i < sv->reg->r->n_services; i++)
        json_array_append_new(all, supervisor_service_health(sv, sv->svcs[i]->name));
    return all;
}
