/* supervisor_ops.c — operations on services and jobs beyond start and
 * stop: signalling (kill), the whole set at once (start_all),
 * one job at a time (cancel, retry), and the questions a person asks
 * (why, tree, which processes). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/clock.h"
#include "base/signame.h"
#include "daemon/joblog.h"
#include "daemon/supervisor_internal.h"
#include "model/deps.h"

static job_rt *live_job(supervisor *sv, int64_t id)
{
    for (job_rt *j = sv->live; j; j = j->next_live)
        if (j->id == id) return j;
    return NULL;
}

int supervisor_service_kill(supervisor *sv, const char *name, int sig, char *err, size_t errlen)
{
    svc *s = svc_find(sv, name);
    if (!s) {
        snprintf(err, errlen, "no service named '%s'", name);
        return -ENOENT;
    }
    int signalled = 0;
    for (size_t i = 0; s->run && i < s->run->n_jobs; i++) {
        job_rt *j = s->run->jobs[i];
        if (job_signal(j, sig) == 0) signalled++;
    }
    if (!signalled) {
        snprintf(err, errlen, "%s has no running process to signal", name);
        return -ESRCH;
    }
    return signalled;
}

int supervisor_job_cancel(supervisor *sv, int64_t id, char *err, size_t errlen)
{
    job_rt *j = live_job(sv, id);
    if (!j) {
        snprintf(err, errlen, "job %lld is not active", (long long)id);
        return -ESRCH;
    }
    if (j->service && j->run == j->service->run && j->service->wanted != WANTED_STOP) {
        /* A cancelled job of a supervised service must not come back by
         * itself, nor after the daemon restarts: the store keeps it. */
        svc_set_wanted(sv, j->service, WANTED_IGNORE);
    }
    job_stop(j, false);
    return 0;
}

int64_t supervisor_job_retry(supervisor *sv, int64_t id, char *err, size_t errlen)
{
    json_t *row = store_job_get(sv->st, id);
    if (!row) {
        snprintf(err, errlen, "no job %lld", (long long)id);
        return -ENOENT;
    }
    const char *phase = json_string_value(json_object_get(row, "phase"));
    const char *action = json_string_value(json_object_get(row, "action_id"));
    const char *service = json_string_value(json_object_get(row, "service_id"));
    int attempt = (int)json_integer_value(json_object_get(row, "attempt"));
    int64_t run_id = json_integer_value(json_object_get(row, "run_id"));
    int64_t result = -EINVAL;
    const action_spec *a = action ? registry_action(sv->reg->r, action) : NULL;
    svc *s = service ? svc_find(sv, service) : NULL;
    if (job_phase_from_name(phase) >= 0 && !job_phase_is_terminal(job_phase_from_name(phase))) {
        snprintf(err, errlen, "job %lld is still %s", (long long)id, phase);
    } else if (!a) {
        snprintf(err, errlen, "the action '%s' of job %lld no longer exists", action,
                 (long long)id);
    } else if (service && !(s && s->run && s->run->id == run_id)) {
        snprintf(err, errlen,
                 "job %lld belongs to an earlier run of %s; start the service to run it again",
                 (long long)id, service);
    } else {
        /* Same provenance: the same slot of the same run, or standalone again. */
        job_rt *old = NULL;
        for (size_t i = 0; s && i < s->run->n_jobs; i++)
            if (s->run->jobs[i]->id == id) old = s->run->jobs[i];
        job_rt *next = NULL;
        if (old) {
            next = job_replace(old, 0);
        } else if (!service) {
            next = job_create(sv, NULL, NULL, a, attempt + 1);
            if (next) job_launch(next);
        }
        result = next ? next->id : -EIO;
        if (!next) snprintf(err, errlen, "job %lld cannot be retried now", (long long)id);
    }
    json_decref(row);
    return result;
}

/* Every service in start order, each with its outcome. */
json_t *supervisor_start_all(supervisor *sv)
{
    const registry *r = sv->reg->r;
    size_t *order = calloc(r->n_services + 1, sizeof(*order)), count = 0;
    json_t *out = json_array();
    if (!order) return out;
    deps_start_order(r, &sv->deps, NULL, order, &count);
    for (size_t k = 0; k < count; k++) {
        svc *s = sv->svcs[order[k]];
        char err[512] = "";
        int rc = 0;
        start_options o = {.replace_existing_jobs = true};
        if (!svc_is_active(s)) rc = supervisor_service_start(sv, s->name, &o, err, sizeof(err));
        json_array_append_new(out, json_pack("{s:s, s:b, s:s}", "name", s->name, "ok", rc >= 0,
                                             "message", rc < 0 ? err : "ok"));
    }
    free(order);
    return out;
}

/* HH:MM:SS of a wall time, or "" for none. */
static void clock_text(double t, char *out, size_t size)
{
    out[0] = '\0';
    if (t <= 0) return;
    time_t secs = (time_t)t;
    struct tm tm;
    localtime_r(&secs, &tm);
    strftime(out, size, "%H:%M:%S", &tm);
}

json_t *supervisor_why(supervisor *sv, const char *name)
{
    json_t *st = supervisor_service_status(sv, name);
    if (!st) return NULL;
    svc *s = svc_find(sv, name);
    const char *state = json_string_value(json_object_get(st, "state"));
    char when[32] = "", restart_when[32] = "";
    clock_text(s->since, when, sizeof(when));
    clock_text(s->last_restart_at, restart_when, sizeof(restart_when));
    char text[1024];
    int len;
    if (!s->reason && strcmp(state, "inactive") == 0)
        len = snprintf(text, sizeof(text), "inactive: never started");
    else if (!s->reason || strcmp(s->reason, state) == 0) /* "running: running" says it twice */
        len = snprintf(text, sizeof(text), "%s%s%s%s", state, when[0] ? " (since " : "", when,
                       when[0] ? ")" : "");
    else
        len = snprintf(text, sizeof(text), "%s: %s%s%s%s", state, s->reason,
                       when[0] ? " (since " : "", when, when[0] ? ")" : "");
    /* Running again after a restart: the restart is part of the story.
     * Failed after restarts: the policy gave up, and the last restart's
     * "restarting in" is no longer true. */
    bool up = strcmp(state, "running") == 0 || strcmp(state, "starting") == 0;
    bool gave_up = strcmp(state, "failed") == 0 || strcmp(state, "exited") == 0;
    if (s->last_restart && len > 0 && (size_t)len < sizeof(text) && up &&
        strcmp(s->reason ? s->reason : "", s->last_restart) != 0)
        snprintf(text + len, sizeof(text) - (size_t)len, "; restarted at %s: %s", restart_when,
                 s->last_restart);
    else if (s->last_restart && len > 0 && (size_t)len < sizeof(text) && gave_up)
        snprintf(text + len, sizeof(text) - (size_t)len,
                 "; gave up restarting (the last restart was at %s)", restart_when);
    /* A run a job started (a tend-lua workflow): the job is part of the
     * story, for as long as that run is the service's. (A stop by a job
     * says so in its reason.) */
    len = (int)strlen(text);
    char who[128];
    if (s->asked_by_job && !s->asked_to_stop && strcmp(state, "inactive") != 0)
        snprintf(text + len, sizeof(text) - (size_t)len, "; started by %s",
                 svc_asker_words(s, who, sizeof(who)));
    json_t *out = json_pack("{s:s, s:s, s:s, s:s}", "name", name, "state", state, "wanted",
                            json_string_value(json_object_get(st, "wanted")), "why", text);
    if (s->asked_by_job) {
        json_object_set_new(out, "by_job", json_integer(s->asked_by_job));
        json_object_set_new(out, "by_action", json_string(s->asked_by_action));
    }
    json_decref(st);
    return out;
}

static json_t *tree_node(supervisor *sv, svc *s, int depth)
{
    json_t *st = supervisor_service_status(sv, s->name);
    json_t *node = json_pack("{s:s, s:O}", "name", s->name, "state", json_object_get(st, "state"));
    json_decref(st);
    json_t *deps = json_array();
    /* The graph is acyclic; the depth bound only guards the stack. */
    for (size_t k = 0; depth < 64 && k < svc_n_deps(sv, s); k++)
        json_array_append_new(deps, tree_node(sv, svc_dep(sv, s, k), depth + 1));
    json_object_set_new(node, "dependencies", deps);
    return node;
}

json_t *supervisor_tree(supervisor *sv, const char *name)
{
    if (name) {
        svc *s = svc_find(sv, name);
        return s ? tree_node(sv, s, 0) : NULL;
    }
    json_t *roots = json_array();
    for (size_t i = 0; i < sv->reg->r->n_services; i++)
        if (svc_n_rdeps(sv, sv->svcs[i]) == 0)
            json_array_append_new(roots, tree_node(sv, sv->svcs[i], 0));
    return roots;
}

int supervisor_process_groups(supervisor *sv, const char *name, pid_t *groups, size_t max)
{
    svc *s = svc_find(sv, name);
    if (!s) return -ENOENT;
    size_t n = 0;
    for (size_t i = 0; s->run && i < s->run->n_jobs && n < max; i++)
        if (s->run->jobs[i]->pid) groups[n++] = s->run->jobs[i]->pid;
    return (int)n;
}

void supervisor_each_job_pipes(supervisor *sv,
                               void (*fn)(void *ctx, const char *unit, int out_fd, int err_fd),
                               void *ctx)
{
    for (job_rt *j = sv->live; j; j = j->next_live) {
        if (!j->log) continue;
        char unit[48];
        int out_fd, err_fd;
        snprintf(unit, sizeof(unit), "job-%lld", (long long)j->id);
        joblog_read_fds(j->log, &out_fd, &err_fd);
        if (out_fd >= 0 && err_fd >= 0) fn(ctx, unit, out_fd, err_fd);
    }
}
