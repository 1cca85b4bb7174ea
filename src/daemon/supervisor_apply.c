/* supervisor_apply.c — the supervisor's life and its registry: creating it,
 * taking a new registry (the plan of added, changed, removed and unchanged
 * services, and acting on it), restoring wanted states, shutting down;
 * and the removed (buried) services, freed once none of their jobs lives.
 *
 * An apply decides first (plan_make: nothing changes), swaps registry,
 * graph, table, indices and specs in one step (plan_swap), and only then
 * acts (plan_act): whatever reacts to a stop or start sees one registry. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "daemon/health_monitor.h"
#include "daemon/supervisor_internal.h"
#include "model/deps.h"
#include "store/retention.h"

static svc *svc_new(supervisor *sv, const char *name)
{
    svc *s = calloc(1, sizeof(*s));
    if (!s || !(s->name = strdup(name))) {
        free(s);
        return NULL;
    }
    s->sv = sv;
    s->wanted = WANTED_SPEC;
    return s;
}

static void free_timer(uv_handle_t *handle)
{
    free(handle);
}

static void svc_free(svc *s)
{
    reg_ref_put(s->reg);
    health_monitor_stop(s->health);
    if (s->start_timer) uv_close((uv_handle_t *)s->start_timer, free_timer);
    free(s->restarts);
    free(s->last_restart);
    free(s->name);
    free(s->reason);
    free(s->asked_by_action);
    free(s);
}

static bool same_spec(const service_spec *a, const service_spec *b, const registry *ra,
                      const registry *rb)
{
    json_t *x = service_spec_to_json(a), *y = service_spec_to_json(b);
    /* How much of its history is kept is no reason to restart it. */
    json_object_del(x, "retention");
    json_object_del(y, "retention");
    bool same = json_equal(x, y);
    json_decref(x);
    json_decref(y);
    /* A service also changes when an action it runs changes. */
    for (size_t i = 0; same && a->actions && a->actions[i]; i++) {
        const action_spec *p = registry_action(ra, a->actions[i]);
        const action_spec *q = registry_action(rb, a->actions[i]);
        if (!p || !q) return false;
        x = action_spec_to_json(p), y = action_spec_to_json(q);
        same = json_equal(x, y);
        json_decref(x);
        json_decref(y);
    }
    return same;
}

static void store_specs(supervisor *sv, const registry *r, const registry *old)
{
    double now = wall_now();
    store_batch(sv->st);
    /* The file it came from, for registry.get after the daemon restarts. */
    store_setting_put(sv->st, STORE_REGISTRY_FILE, r->path && r->path[0] == '/' ? r->path : NULL);
    for (size_t i = 0; i < r->n_services; i++) {
        json_t *spec = service_spec_to_json(r->services[i]);
        char *text = json_dumps(spec, JSON_COMPACT);
        store_service_put(sv->st, r->services[i]->name, text, now);
        free(text);
        json_decref(spec);
    }
    for (size_t i = 0; i < r->n_actions; i++) {
        if (r->actions[i]->from_service) continue;
        json_t *spec = action_spec_to_json(r->actions[i]);
        char *text = json_dumps(spec, JSON_COMPACT);
        store_action_put(sv->st, r->actions[i]->name, text, now);
        free(text);
        json_decref(spec);
    }
    for (size_t i = 0; old && i < old->n_actions; i++)
        if (!old->actions[i]->from_service && !registry_action(r, old->actions[i]->name))
            store_action_delete(sv->st, old->actions[i]->name);
    json_t *keep = retention_spec_to_json(&r->retention);
    char *text = json_dumps(keep, JSON_COMPACT);
    if (text) store_setting_put(sv->st, STORE_RETENTION, text);
    free(text);
    json_decref(keep);
    json_t *daemon = daemon_spec_to_json(&r->daemon);
    text = daemon ? json_dumps(daemon, JSON_COMPACT) : NULL;
    store_setting_put(sv->st, STORE_DAEMON, text);
    free(text);
    json_decref(daemon);
}

/* What an apply will do, decided before anything changes. */
typedef struct {
    svc **svcs;    /* index-parallel to the new registry's services */
    strmap by_name;
    bool *restart; /* changed and running: a new run */
    bool *fresh;   /* added */
    svc **gone;    /* removed */
    size_t n_gone;
    dep_graph deps, rdeps;
} apply_plan;

static void plan_free(apply_plan *p)
{
    free(p->svcs);
    strmap_free(&p->by_name);
    free(p->restart);
    free(p->fresh);
    free(p->gone);
}

/* Which service is which in r, and what becomes of each: reads the
 * supervisor, changes nothing in it (a failure leaves it as it was). */
static int plan_make(supervisor *sv, registry *r, apply_plan *p, json_t *lists[4])
{
    const registry *old = sv->reg->r;
    size_t n = r->n_services;
    p->svcs = calloc(n + 1, sizeof(*p->svcs));
    p->restart = calloc(n + 1, sizeof(*p->restart));
    p->fresh = calloc(n + 1, sizeof(*p->fresh));
    p->gone = calloc(old->n_services + 1, sizeof(*p->gone));
    if (!p->svcs || !p->restart || !p->fresh || !p->gone) return -ENOMEM;
    for (size_t i = 0; i < n; i++) {
        const service_spec *spec = r->services[i];
        svc *s = svc_find(sv, spec->name);
        if (s) {
            bool same = same_spec(s->spec, spec, old, r);
            json_array_append_new(same ? lists[3] : lists[1], json_string(spec->name));
            /* One the user is stopping stays stopped. */
            p->restart[i] = !same && svc_is_active(s) && s->wanted != WANTED_STOP;
        } else {
            if (!(s = svc_new(sv, spec->name))) return -ENOMEM;
            json_array_append_new(lists[0], json_string(spec->name));
            p->fresh[i] = true;
        }
        p->svcs[i] = s;
        strmap_put(&p->by_name, s->name, s, NULL);
    }
    for (size_t i = 0; i < old->n_services; i++) {
        svc *s = sv->svcs[i];
        if (strmap_get(&p->by_name, s->name) == s) continue;
        json_array_append_new(lists[2], json_string(s->name));
        p->gone[p->n_gone++] = s;
    }
    if (deps_graph(r, &p->deps) < 0) return -ENOMEM;
    if (graph_reverse(&p->deps, &p->rdeps) < 0) {
        graph_free(&p->deps);
        return -ENOMEM;
    }
    return 0;
}

/* The services plan_make created, freed again after a failure. */
static void plan_undo(apply_plan *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p->fresh && p->fresh[i] && p->svcs && p->svcs[i]) svc_free(p->svcs[i]);
}

static void svc_take_spec(svc *s, reg_ref *ref, const service_spec *spec, size_t index)
{
    reg_ref *was = s->reg;
    s->reg = reg_ref_get(ref);
    s->spec = spec;
    s->index = index;
    reg_ref_put(was);
}

/* One step: registry, graph, table, every index and spec; removed
 * services leave the graph. Nothing reacts until it is done. */
static void plan_swap(supervisor *sv, reg_ref *ref, apply_plan *p)
{
    for (size_t i = 0; i < ref->r->n_services; i++)
        svc_take_spec(p->svcs[i], ref, ref->r->services[i], i);
    for (size_t k = 0; k < p->n_gone; k++) svc_bury(sv, p->gone[k]);
    free(sv->svcs);
    sv->svcs = p->svcs;
    p->svcs = NULL;
    strmap_free(&sv->svc_by_name);
    sv->svc_by_name = p->by_name;
    p->by_name = (strmap){0};
    graph_free(&sv->deps);
    graph_free(&sv->rdeps);
    sv->deps = p->deps;
    sv->rdeps = p->rdeps;
    sv->reg = ref;
}

/* Then the supervisor acts on it: removed services stop, changed running
 * ones restart, new ones come up as they would at boot. */
static void plan_act(supervisor *sv, const apply_plan *p, bool had_services)
{
    const registry *r = sv->reg->r;
    for (size_t k = 0; k < p->n_gone; k++) {
        svc_stop_removed(sv, p->gone[k]);
        store_batch(sv->st);
        store_service_delete(sv->st, p->gone[k]->name);
    }
    supervisor_stops_recheck(sv);
    for (size_t i = 0; i < r->n_services; i++) {
        char err[512];
        if (!p->restart[i] || supervisor_service_restart(sv, r->services[i]->name, false, err,
                                                         sizeof(err)) == 0)
            continue;
        /* Its processes of the spec before go on: better than none at all. */
        for (char *nl = strchr(err, '\n'); nl; nl = strchr(nl, '\n')) *nl = ' ';
        svc_explain(sv->svcs[i], "still runs as before the registry changed: %s", err);
    }
    /* New services that declare auto_start come up as they would at boot,
     * but not on the daemon's own first apply (it starts what is wanted). */
    for (size_t i = 0; had_services && i < r->n_services; i++)
        if (p->fresh[i] && r->services[i]->startup.auto_start) svc_auto_start(sv, sv->svcs[i]);
}

/* persist: the specs are written to the store (not when they came from
 * it). */
static int apply(supervisor *sv, registry *r, json_t **plan, bool persist)
{
    reg_ref *ref = calloc(1, sizeof(*ref));
    apply_plan p = {0};
    json_t *lists[4] = {json_array(), json_array(), json_array(), json_array()};
    if (!ref || plan_make(sv, r, &p, lists) < 0) {
        plan_undo(&p, r->n_services);
        plan_free(&p);
        for (int i = 0; i < 4; i++) json_decref(lists[i]);
        free(ref);
        return -ENOMEM;
    }
    ref->r = r;
    ref->refs = 1;
    bool had_services = sv->applied;
    sv->applied = true;
    reg_ref *old_ref = sv->reg;
    plan_swap(sv, ref, &p);
    if (persist) store_specs(sv, r, old_ref->r);
    plan_act(sv, &p, had_services);
    reg_ref_put(old_ref);
    plan_free(&p);
    json_t *out = json_pack("{s:o, s:o, s:o, s:o}", "added", lists[0], "changed", lists[1],
                            "removed", lists[2], "unchanged", lists[3]);
    if (plan)
        *plan = out;
    else
        json_decref(out);
    return 0;
}

int supervisor_apply(supervisor *sv, registry *r, json_t **plan)
{
    return apply(sv, r, plan, true);
}

int supervisor_apply_stored(supervisor *sv, registry *r)
{
    return apply(sv, r, NULL, false);
}

int supervisor_apply_at_boot(supervisor *sv, registry *r, json_t **plan)
{
    sv->applied = false;
    return apply(sv, r, plan, true);
}

static bool svc_has_retired_run(const supervisor *sv, const svc *s)
{
    for (size_t i = 0; i < sv->n_retired; i++)
        if (sv->retired[i]->service == s) return true;
    return false;
}

void supervisor_free_idle_buried(supervisor *sv)
{
    size_t keep = 0;
    for (size_t i = 0; i < sv->n_buried; i++) {
        svc *s = sv->buried[i];
        if (s->n_live == 0 && !svc_has_retired_run(sv, s)) {
            svc_drop_run(sv, s);
            svc_free(s);
        } else {
            sv->buried[keep++] = s;
        }
    }
    sv->n_buried = keep;
}

static int restore_one(void *ctx, const char *name, const char *spec_json, const char *wanted)
{
    (void)spec_json;
    supervisor *sv = ctx;
    svc *s = svc_find(sv, name);
    int w = wanted ? wanted_status_from_name(wanted) : -1;
    if (s && w >= 0) s->wanted = (wanted_status)w;
    return 0;
}

void supervisor_restore_wanted(supervisor *sv)
{
    store_services_each(sv->st, restore_one, sv);
}

supervisor *supervisor_new(uv_loop_t *loop, store *st, const char *logs_dir)
{
    supervisor *sv = calloc(1, sizeof(*sv));
    registry *empty = calloc(1, sizeof(*empty));
    reg_ref *ref = calloc(1, sizeof(*ref));
    if (!sv || !empty || !ref || !(sv->logs_dir = strdup(logs_dir)) ||
        !(empty->path = strdup("(none)")) || graph_init(&sv->deps, 0) < 0 ||
        graph_init(&sv->rdeps, 0) < 0) {
        if (empty) free(empty->path);
        free(empty);
        free(ref);
        if (sv) free(sv->logs_dir);
        free(sv);
        return NULL;
    }
    ref->r = empty;
    ref->refs = 1;
    sv->reg = ref;
    sv->job_changed = supervisor_job_changed;
    sv->follow = svc_follow;
    sv->stop_advance = svc_stop_advance;
    sv->loop = loop;
    sv->st = st;
    supervisor_hooks_start(sv);
    return sv;
}

void supervisor_free(supervisor *sv)
{
    if (!sv) return;
    supervisor_flush_retired(sv);
    for (size_t i = 0; i < sv->reg->r->n_services; i++) {
        svc_drop_run(sv, sv->svcs[i]);
        svc_free(sv->svcs[i]);
    }
    for (size_t i = 0; i < sv->n_buried; i++) {
        svc_drop_run(sv, sv->buried[i]);
        svc_free(sv->buried[i]);
    }
    free(sv->buried);
    free(sv->svcs);
    strmap_free(&sv->svc_by_name);
    idmap_free(&sv->job_by_pid);
    graph_free(&sv->deps);
    graph_free(&sv->rdeps);
    reg_ref_put(sv->reg);
    free(sv->logs_dir);
    supervisor_hooks_stop(sv); /* last: frees sv once its handle has closed */
}

const registry *supervisor_registry(const supervisor *sv)
{
    return sv->reg->r;
}
