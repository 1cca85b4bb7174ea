/* supervisor_apply.c — the supervisor's life and its registry: creating it,
 * taking a new registry (the plan of added, changed, removed and unchanged
 * services, and acting on it), restoring wanted states, shutting down. */
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
    health_monitor_stop(s->health);
    if (s->start_timer) uv_close((uv_handle_t *)s->start_timer, free_timer);
    free(s->restarts);
    free(s->last_restart);
    free(s->name);
    free(s->reason);
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
}

int supervisor_apply(supervisor *sv, registry *r, json_t **plan)
{
    reg_ref *ref = calloc(1, sizeof(*ref));
    svc **svcs = calloc(r->n_services + 1, sizeof(*svcs));
    dep_graph deps, rdeps;
    if (!ref || !svcs || deps_graph(r, &deps) < 0) {
        free(ref);
        free(svcs);
        return -ENOMEM;
    }
    if (graph_reverse(&deps, &rdeps) < 0) {
        graph_free(&deps);
        free(ref);
        free(svcs);
        return -ENOMEM;
    }
    ref->r = r;
    ref->refs = 1;
    const registry *old = sv->reg->r;
    bool had_services = sv->applied;
    sv->applied = true;
    json_t *added = json_array(), *changed = json_array(), *removed = json_array(),
           *unchanged = json_array();
    strmap by_name = {0};
    bool *restart = calloc(r->n_services + 1, sizeof(*restart));
    bool *fresh = calloc(r->n_services + 1, sizeof(*fresh));
    for (size_t i = 0; i < r->n_services; i++) {
        const service_spec *spec = r->services[i];
        svc *s = svc_find(sv, spec->name);
        if (s && !s->removed) {
            bool same = same_spec(s->spec, spec, old, r);
            json_array_append_new(same ? unchanged : changed, json_string(spec->name));
            if (!same && restart) restart[i] = svc_is_active(s);
        } else {
            s = svc_new(sv, spec->name);
            if (!s) continue;
            json_array_append_new(added, json_string(spec->name));
            if (fresh) fresh[i] = true;
        }
        s->spec = spec;
        s->index = i;
        svcs[i] = s;
        strmap_put(&by_name, s->name, s, NULL);
    }
    /* Services no longer declared: stopped, forgotten with their history. */
    for (size_t i = 0; i < old->n_services; i++) {
        svc *s = sv->svcs[i];
        if (strmap_get(&by_name, s->name) == s) continue;
        json_array_append_new(removed, json_string(s->name));
        char err[128];
        supervisor_service_stop(sv, s->name, true, true, err, sizeof(err));
        s->removed = true;
        store_batch(sv->st);
        store_service_delete(sv->st, s->name);
        svc_bury(sv, s);
    }
    free(sv->svcs);
    sv->svcs = svcs;
    strmap_free(&sv->svc_by_name);
    sv->svc_by_name = by_name;
    graph_free(&sv->deps);
    graph_free(&sv->rdeps);
    sv->deps = deps;
    sv->rdeps = rdeps;
    reg_ref *old_ref = sv->reg;
    sv->reg = ref;
    store_specs(sv, r, old);
    reg_ref_put(old_ref);
    supervisor_stops_recheck(sv);
    for (size_t i = 0; restart && i < r->n_services; i++) {
        char err[512];
        if (!restart[i] || supervisor_service_restart(sv, r->services[i]->name, false, err,
                                                      sizeof(err)) == 0)
            continue;
        /* Its processes of the spec before go on: better than none at all. */
        for (char *nl = strchr(err, '\n'); nl; nl = strchr(nl, '\n')) *nl = ' ';
        svc_explain(svcs[i], "still runs as before the registry changed: %s", err);
    }
    free(restart);
    /* New services that declare auto_start come up as they would at boot,
     * but not on the daemon's own first apply (it starts what is wanted). */
    for (size_t i = 0; fresh && had_services && i < r->n_services; i++)
        if (fresh[i] && r->services[i]->startup.auto_start) svc_auto_start(sv, svcs[i]);
    free(fresh);
    json_t *p = json_pack("{s:o, s:o, s:o, s:o}", "added", added, "changed", changed, "removed",
                          removed, "unchanged", unchanged);
    if (plan)
        *plan = p;
    else
        json_decref(p);
    return 0;
}

int supervisor_apply_at_boot(supervisor *sv, registry *r, json_t **plan)
{
    sv->applied = false;
    return supervisor_apply(sv, r, plan);
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
