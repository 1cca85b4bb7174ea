/* supervisor_stop.c — stopping services in reverse dependency order, in
 * time: a service is signalled only once the dependents being stopped with
 * it have ended (an app that drains for 2 s still has its database), while
 * independent branches stop in parallel. One service (service.stop), a set
 * (service.stop_all, `platform stop`) and the daemon's shutdown all go
 * through the same queue.
 *
 * A queued service waits with s->stop_queued set. Whenever a job of a
 * service ends, the services it depends on that are queued look again
 * (sv->stop_advance, from run_job_changed): the work per event is the
 * service's dependencies and their dependents, never every service.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "daemon/supervisor_internal.h"
#include "model/deps.h"

/* Whether any process (or pending job) of s is still alive, in its
 * current run or in an old one still stopping. */
static bool svc_has_live_jobs(const svc *s)
{
    if (s->stopping_jobs > 0) return true;
    for (size_t i = 0; s->run && i < s->run->n_jobs; i++)
        if (!job_phase_is_terminal(s->run->jobs[i]->phase)) return true;
    return false;
}

/* A dependent of s that is on its way down but still has processes: s
 * waits for it. A dependent that keeps running (a forced stop of s) is no
 * reason to wait. */
static svc *stop_blocker(supervisor *sv, svc *s)
{
    for (size_t i = 0; i < svc_n_rdeps(sv, s); i++) {
        svc *d = svc_rdep(sv, s, i);
        if ((d->stop_queued || d->stopping_jobs > 0) && svc_has_live_jobs(d)) return d;
    }
    return NULL;
}

/* Sends the stop (or SIGKILL) to every live job of s, old runs' included. */
static void svc_stop_now(supervisor *sv, svc *s, bool kill)
{
    run_rt *run = s->run;
    if (run && svc_is_target(s)) {
        /* No processes: its run just ends. */
        if (run->status != RUN_STOPPED) run_set_status(sv, run, RUN_STOPPED);
        dependents_advance(sv, s);
    } else if (run) {
        for (size_t i = 0; i < run->n_jobs; i++)
            if (!job_phase_is_terminal(run->jobs[i]->phase)) job_stop(run->jobs[i], kill);
        run_advance(sv, run);
    }
    for (size_t r = 0; kill && r < sv->n_retired; r++) {
        run_rt *old = sv->retired[r];
        for (size_t i = 0; old->service == s && i < old->n_jobs; i++)
            if (!job_phase_is_terminal(old->jobs[i]->phase)) job_stop(old->jobs[i], true);
    }
}

/* Stops s now if nothing it waits for is left. */
static void svc_stop_when_free(supervisor *sv, svc *s)
{
    if (!s->stop_queued) return;
    svc *d = stop_blocker(sv, s);
    if (d) {
        if (!sv->shutting_down)
            svc_explain(s, "stopping after its dependent %s has stopped", d->name);
        return;
    }
    s->stop_queued = false;
    char who[128];
    if (!sv->shutting_down) svc_explain(s, "stopped by %s", svc_asker_words(s, who, sizeof(who)));
    svc_stop_now(sv, s, s->stop_kill);
    s->stop_kill = false;
}

/* sv->stop_advance: a job of s ended, so what s depends on may stop now. */
void svc_stop_advance(supervisor *sv, svc *s)
{
    if (svc_has_live_jobs(s)) return;
    for (size_t i = 0; i < svc_n_deps(sv, s); i++) {
        svc *x = svc_dep(sv, s, i);
        if (x->stop_queued) svc_stop_when_free(sv, x);
    }
}

void supervisor_stops_recheck(supervisor *sv)
{
    for (size_t i = 0; i < sv->reg->r->n_services; i++)
        if (sv->svcs[i]->stop_queued) svc_stop_when_free(sv, sv->svcs[i]);
}

/* The active dependents of s outside the set being stopped, "a, b". */
static size_t running_dependents(supervisor *sv, svc *s, const bool *in_set, char *list,
                                 size_t size)
{
    size_t len = 0;
    list[0] = '\0';
    for (size_t i = 0; i < svc_n_rdeps(sv, s); i++) {
        svc *d = svc_rdep(sv, s, i);
        if ((in_set && in_set[d->index]) || !svc_is_active(d) || d->stopping_jobs > 0) continue;
        if (d->stop_queued) continue;
        len += (size_t)snprintf(list + len, len < size ? size - len : 0, "%s%s", len ? ", " : "",
                                d->name);
    }
    return len;
}

static void svc_queue_stop(svc *s, bool kill)
{
    s->stop_queued = true;
    s->stop_kill = s->stop_kill || kill;
}

int supervisor_service_stop(supervisor *sv, const char *name, bool remove_jobs, bool force,
                            char *err, size_t errlen)
{
    svc *s = svc_find(sv, name);
    if (!s || s->removed) {
        snprintf(err, errlen, "no service named '%s'", name);
        return -ENOENT;
    }
    char list[512];
    if (!force && running_dependents(sv, s, NULL, list, sizeof(list))) {
        snprintf(err, errlen, "Cannot stop %s: Dependent services running: %s", s->name, list);
        return -EBUSY;
    }
    svc_set_wanted(sv, s, WANTED_STOP);
    svc_note_asker(sv, s, true);
    char who[128];
    svc_explain(s, "stopped by %s", svc_asker_words(s, who, sizeof(who)));
    if (force) {
        /* Its dependents keep running by the user's word: nothing to wait for. */
        s->stop_queued = false;
        svc_stop_now(sv, s, false);
    } else {
        svc_queue_stop(s, false);
        svc_stop_when_free(sv, s);
    }
    if (remove_jobs) svc_remove_jobs_when_idle(sv, s);
    return 0;
}

void svc_stop_removed(supervisor *sv, svc *s)
{
    svc_set_wanted(sv, s, WANTED_STOP);
    svc_explain(s, "removed from the registry");
    s->stop_queued = s->stop_kill = false;
    svc_stop_now(sv, s, false);
    sv->follow(sv, s); /* its checks and start_timeout end now, not when it is freed */
    /* Its history goes with its row (the store's foreign keys): nothing is
     * deleted by its name later, which a service added again under that
     * name may own by then. */
    s->remove_jobs_when_idle = false;
}

/* Checks every name first: an unknown one, or one whose dependents
 * outside the set run (without force), changes nothing. */
static int check_set(supervisor *sv, char **names, bool force, bool *in_set, char *err,
                     size_t errlen)
{
    size_t n = sv->reg->r->n_services;
    for (size_t k = 0; names && names[k]; k++) {
        svc *s = svc_find(sv, names[k]);
        if (!s || s->removed) {
            snprintf(err, errlen, "no service named '%s'", names[k]);
            return -ENOENT;
        }
        in_set[s->index] = true;
    }
    for (size_t i = 0; !names && i < n; i++)
        in_set[i] = svc_has_live_jobs(sv->svcs[i]) ||
                    (svc_is_target(sv->svcs[i]) && svc_is_active(sv->svcs[i]));
    for (size_t i = 0; !force && i < n; i++) {
        char list[512];
        if (in_set[i] && running_dependents(sv, sv->svcs[i], in_set, list, sizeof(list))) {
            snprintf(err, errlen, "Cannot stop %s: Dependent services running: %s",
                     sv->svcs[i]->name, list);
            return -EBUSY;
        }
    }
    return 0;
}

int supervisor_stop_all(supervisor *sv, char **names, bool force, json_t **results, char *err,
                        size_t errlen)
{
    size_t n = sv->reg->r->n_services;
    bool *in_set = calloc(n + 1, sizeof(*in_set));
    size_t *order = calloc(n + 1, sizeof(*order)), count = 0;
    if (!in_set || !order) {
        free(in_set);
        free(order);
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    int rc = check_set(sv, names, force, in_set, err, errlen);
    if (rc == 0) {
        json_t *out = json_array();
        deps_start_order(sv->reg->r, &sv->deps, NULL, order, &count);
        /* All are queued before any looks, so that a dependency never goes
         * first because its dependent was not queued yet. */
        for (size_t k = 0; k < count; k++) {
            svc *s = sv->svcs[order[k]];
            if (!in_set[s->index]) continue;
            svc_set_wanted(sv, s, WANTED_STOP);
            svc_note_asker(sv, s, true);
            char who[128];
            svc_explain(s, "stopped by %s", svc_asker_words(s, who, sizeof(who)));
            svc_queue_stop(s, force);
        }
        for (size_t k = count; k-- > 0;) {
            svc *s = sv->svcs[order[k]];
            if (!in_set[s->index]) continue;
            svc_stop_when_free(sv, s);
            json_array_append_new(out,
                                  json_pack("{s:s, s:b, s:s}", "name", s->name, "ok", 1, "message",
                                            s->stop_queued ? s->reason : "stopping"));
        }
        *results = out;
    }
    free(in_set);
    free(order);
    return rc;
}

void supervisor_shutdown(supervisor *sv, void (*done)(void *ctx), void *ctx)
{
    sv->shutting_down = true;
    sv->on_idle = done;
    sv->on_idle_ctx = ctx;
    size_t n = sv->reg->r->n_services;
    for (size_t i = 0; i < n; i++) svc_queue_stop(sv->svcs[i], false);
    /* Jobs of no service, or of services already removed, stop at once.
     * Stopping may end jobs at once (pending ones): walk a snapshot. */
    job_rt **jobs = calloc((size_t)sv->n_live + 1, sizeof(*jobs));
    size_t count = 0;
    for (job_rt *j = sv->live; jobs && j; j = j->next_live)
        if (!j->service || j->service->removed) jobs[count++] = j;
    for (size_t i = 0; i < count; i++)
        if (!job_phase_is_terminal(jobs[i]->phase)) job_stop(jobs[i], false);
    free(jobs);
    /* Dependents first, so that each finds what waits for it queued. */
    size_t *order = calloc(n + 1, sizeof(*order)), k = 0;
    if (order) {
        deps_start_order(sv->reg->r, &sv->deps, NULL, order, &k);
        while (k-- > 0) svc_stop_when_free(sv, sv->svcs[order[k]]);
        free(order);
    } else {
        for (size_t i = 0; i < n; i++) svc_stop_when_free(sv, sv->svcs[i]);
    }
    if (sv->n_live == 0 && sv->on_idle) {
        sv->on_idle = NULL;
        done(ctx);
    }
}
