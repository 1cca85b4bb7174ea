/* methods.c — the JSON-RPC methods: parameters checked (a bad one is
 * -32602 naming it, and nothing changes), then one call into the
 * supervisor or the store. Spec changes (service.set, action.set, their
 * deletes, registry.apply) all build a whole new registry and pass it
 * through the one validation the registry file gets. */
#include "api/methods.h"
#include "api/methods_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "daemon/logs.h"
#include "model/state.h"

#define NO_PARAMS ((const char *const[]){NULL})

json_t *api_failed(rpc_error *err, const char *message)
{
    return rpc_fail(err, RPC_FAILED, "%s", message);
}

/* Validates doc as a registry and applies it; the plan is the result.
 * file: the absolute path doc was read from, or NULL. */
json_t *api_apply_document(api_ctx *ctx, json_t *doc, const char *file, rpc_error *err)
{
    diag_list diags;
    diag_init(&diags, "(api)");
    registry *r = registry_from_json(doc, &diags);
    if (!r) {
        json_t *problems = json_array();
        for (size_t i = 0; i < diags.len; i++)
            json_array_append_new(problems, json_string(diags.items[i].message));
        rpc_fail(err, RPC_INVALID_PARAMS, "invalid params: %s%s",
                 diags.len ? diags.items[0].message : "invalid registry",
                 diags.len > 1 ? " (and more)" : "");
        err->data = json_pack("{s:s, s:o}", "message", err->message, "problems", problems);
        diag_free(&diags);
        return NULL;
    }
    diag_free(&diags);
    char *path = file ? strdup(file) : NULL;
    if (path) {
        free(r->path);
        r->path = path;
    }
    json_t *plan = NULL;
    if (supervisor_apply(ctx->sv, r, &plan) < 0) {
        registry_free(r);
        return rpc_fail(err, RPC_INTERNAL_ERROR, "out of memory");
    }
    return plan;
}

/* The one parameter of most methods. */
json_t *api_history_json(store *st)
{
    store_write_state ws;
    store_write_state_get(st, &ws);
    json_t *o = json_pack("{s:b, s:I, s:I, s:I}", "failing", ws.failing, "pending",
                          (json_int_t)ws.pending, "write_errors", (json_int_t)ws.write_errors,
                          "events_dropped", (json_int_t)ws.events_dropped);
    json_object_set_new(o, "since", ws.failing ? json_real(ws.failing_since) : json_null());
    json_object_set_new(o, "error", ws.failing && ws.error ? json_string(ws.error) : json_null());
    return o;
}

int api_name_only(json_t *params, const char **name, rpc_error *err)
{
    if (param_names(params, NAMES("name"), err) < 0) return -1;
    return param_string(params, "name", true, name, err);
}

/* The current registry with one service or action replaced (spec) or
 * removed (spec NULL), validated and applied as a whole. */
json_t *api_change_spec(api_ctx *ctx, const char *section, const char *name, json_t *spec,
                        rpc_error *err)
{
    json_t *doc = registry_to_json(supervisor_registry(ctx->sv));
    json_t *table = json_object_get(doc, section);
    json_t *plan = NULL;
    if (spec) {
        json_t *copy = json_deep_copy(spec);
        if (strcmp(section, "services") == 0) json_object_set_new(copy, "name", json_string(name));
        json_object_set_new(table, name, copy);
        plan = api_apply_document(ctx, doc, NULL, err);
    } else if (json_object_del(table, name) == 0) {
        plan = api_apply_document(ctx, doc, NULL, err);
    } else {
        rpc_fail(err, RPC_FAILED, "no %s named '%s'%s",
                 strcmp(section, "services") == 0 ? "service" : "action", name,
                 strcmp(section, "actions") == 0
                     ? " (the action of a binary service goes with its service)"
                     : "");
    }
    json_decref(doc);
    return plan;
}

/* ---- services ---- */

static json_t *service_list(void *c, json_t *params, rpc_error *err)
{
    api_ctx *ctx = c;
    if (param_names(params, NAMES("running", "category"), err) < 0) return NULL;
    bool running = false;
    const char *category = NULL;
    if (param_bool(params, "running", &running, err) < 0 ||
        param_string(params, "category", false, &category, err) < 0)
        return NULL;
    json_t *all = supervisor_status_all(ctx->sv), *out = json_array();
    size_t i;
    json_t *s;
    json_array_foreach(all, i, s)
    {
        const char *cat = json_string_value(json_object_get(s, "category"));
        if (running && strcmp(json_string_value(json_object_get(s, "state")), "running") != 0)
            continue;
        if (category && (!cat || strcmp(cat, category) != 0)) continue;
        json_object_del(s, "jobs");
        json_array_append(out, s);
    }
    json_decref(all);
    return out;
}

static json_t *service_get(void *c, json_t *params, rpc_error *err)
{
    api_ctx *ctx = c;
    const char *name = NULL;
    if (api_name_only(params, &name, err) < 0) return NULL;
    const service_spec *s = registry_service(supervisor_registry(ctx->sv), name);
    if (!s) return rpc_fail(err, RPC_FAILED, "no service named '%s'", name);
    return service_spec_to_json(s);
}

/* service.set / action.set (spec given) and their deletes (no spec). */
static json_t *change_named(void *c, json_t *params, rpc_error *err, const char *section, bool set)
{
    const char *name = NULL;
    json_t *spec = NULL;
    if (param_names(params, set ? NAMES("name", "spec") : NAMES("name"), err) < 0 ||
        param_string(params, "name", true, &name, err) < 0 ||
        (set && param_object(params, "spec", true, &spec, err) < 0))
        return NULL;
    return api_change_spec(c, section, name, spec, err);
}

static json_t *service_set(void *c, json_t *params, rpc_error *err)
{
    return change_named(c, params, err, "services", true);
}

static json_t *service_delete(void *c, json_t *params, rpc_error *err)
{
    return change_named(c, params, err, "services", false);
}

static json_t *service_start(void *c, json_t *params, rpc_error *err)
{
    api_ctx *ctx = c;
    const char *name = NULL;
    start_options o = {.replace_existing_jobs = true};
    if (param_names(params, NAMES("name", "replace_existing_jobs", "force"), err) < 0 ||
        param_string(params, "name", true, &name, err) < 0 ||
        param_bool(params, "replace_existing_jobs", &o.replace_existing_jobs, err) < 0 ||
        param_bool(params, "force", &o.force, err) < 0)
        return NULL;
    char why[512];
    int rc = supervisor_service_start(ctx->sv, name, &o, why, sizeof(why));
    if (rc < 0) return api_failed(err, why);
    return supervisor_service_status(ctx->sv, name);
}

static json_t *service_stop(void *c, json_t *params, rpc_error *err)
{
    api_ctx *ctx = c;
    const char *name = NULL;
    bool remove_jobs = false, force = false;
    if (param_names(params, NAMES("name", "remove_jobs", "force"), err) < 0 ||
        param_string(params, "name", true, &name, err) < 0 ||
        param_bool(params, "remove_jobs", &remove_jobs, err) < 0 ||
        param_bool(params, "force", &force, err) < 0)
        return NULL;
    char why[512];
    int rc = supervisor_service_stop(ctx->sv, name, remove_jobs, force, why, sizeof(why));
    if (rc < 0) return api_failed(err, why);
    return supervisor_service_status(ctx->sv, name);
}

static json_t *service_restart(void *c, json_t *params, rpc_error *err)
{
    api_ctx *ctx = c;
    const char *name = NULL;
    bool force = false;
    if (param_names(params, NAMES("name", "force"), err) < 0 ||
        param_string(params, "name", true, &name, err) < 0 ||
        param_bool(params, "force", &force, err) < 0)
        return NULL;
    char why[512];
    int rc = supervisor_service_restart(ctx->sv, name, force, why, sizeof(why));
    if (rc < 0) return api_failed(err, why);
    return supervisor_service_status(ctx->sv, name);
}

static json_t *service_status(void *c, json_t *params, rpc_error *err)
{
    api_ctx *ctx = c;
    const char *name = NULL;
    if (api_name_only(params, &name, err) < 0) return NULL;
    json_t *st = supervisor_service_status(ctx->sv, name);
    if (!st) return rpc_fail(err, RPC_FAILED, "no service named '%s'", name);
    json_object_set_new(st, "history", api_history_json(ctx->st));
    return st;
}

static json_t *service_status_all(void *c, json_t *params, rpc_error *err)
{
    api_ctx *ctx = c;
    if (param_names(params, NO_PARAMS, err) < 0) return NULL;
    return supervisor_status_all(ctx->sv);
}

/* ---- actions ---- */

static json_t *action_get(void *c, json_t *params, rpc_error *err)
{
    api_ctx *ctx = c;
    const char *name = NULL;
    if (api_name_only(params, &name, err) < 0) return NULL;
    const action_spec *a = registry_action(supervisor_registry(ctx->sv), name);
    if (!a) return rpc_fail(err, RPC_FAILED, "no action named '%s'", name);
    json_t *o = action_spec_to_json(a);
    json_object_set_new(o, "name", json_string(a->name));
    if (a->from_service) json_object_set_new(o, "from_service", json_string(a->from_service));
    return o;
}

static json_t *action_list(void *c, json_t *params, rpc_error *err)
{
    api_ctx *ctx = c;
    if (param_names(params, NO_PARAMS, err) < 0) return NULL;
    const registry *r = supervisor_registry(ctx->sv);
    json_t *out = json_array();
    for (size_t i = 0; i < r->n_actions; i++) {
        json_t *o = action_spec_to_json(r->actions[i]);
        json_object_set_new(o, "name", json_string(r->actions[i]->name));
        if (r->actions[i]->from_service)
            json_object_set_new(o, "from_service", json_string(r->actions[i]->from_service));
        json_array_append_new(out, o);
    }
    return out;
}

static json_t *action_set(void *c, json_t *params, rpc_error *err)
{
    return change_named(c, params, err, "actions", true);
}

static json_t *action_delete(void *c, json_t *params, rpc_error *err)
{
    return change_named(c, params, err, "actions", false);
}

/* ---- jobs and runs ---- */

static json_t *job_create(void *c, json_t *params, rpc_error *err)
{
    api_ctx *ctx = c;
    const char *action = NULL;
    if (param_names(params, NAMES("action"), err) < 0 ||
        param_string(params, "action", true, &action, err) < 0)
        return NULL;
    char why[512];
    int64_t id = supervisor_job_create(ctx->sv, action, why, sizeof(why));
    if (id < 0) return api_failed(err, why);
    return json_pack("{s:I}", "id", (json_int_t)id);
}

static json_t *job_get(void *c, json_t *params, rpc_error *err)
{
    api_ctx *ctx = c;
    json_int_t id = 0;
    if (param_names(params, NAMES("id"), err) < 0 ||
        param_int(params, "id", true, 1, INT64_MAX, &id, err) < 0)
        return NULL;
    json_t *job = store_job_get(ctx->st, id);
    return job ? job : rpc_fail(err, RPC_FAILED, "no job %lld", (long long)id);
}

static json_t *job_list(void *c, json_t *params, rpc_error *err)
{
    api_ctx *ctx = c;
    store_job_filter f = {0};
    json_int_t run_id = 0, limit = 0;
    if (param_names(params, NAMES("service_id", "action_id", "run_id", "phase", "limit"), err) <
            0 ||
        param_string(params, "service_id", false, &f.service_id, err) < 0 ||
        param_string(params, "action_id", false, &f.action_id, err) < 0 ||
        param_int(params, "run_id", false, 1, INT64_MAX, &run_id, err) < 0 ||
        param_string(params, "phase", false, &f.phase, err) < 0 ||
        param_int(params, "limit", false, 1, 100000, &limit, err) < 0)
        return NULL;
    if (f.phase && job_phase_from_name(f.phase) < 0)
        return rpc_fail(err, RPC_INVALID_PARAMS,
                        "invalid params: 'phase' must be one of pending, starting, running, "
                        "stopping, succeeded, failed, cancelled, lost");
    f.run_id = run_id;
    f.limit = limit;
    return store_jobs_list(ctx->st, &f);
}

static json_t *run_get(void *c, json_t *params, rpc_error *err)
{
    api_ctx *ctx = c;
    json_int_t id = 0;
    if (param_names(params, NAMES("id"), err) < 0 ||
        param_int(params, "id", true, 1, INT64_MAX, &id, err) < 0)
        return NULL;
    json_t *run = store_run_get(ctx->st, id);
    if (!run) return rpc_fail(err, RPC_FAILED, "no run %lld", (long long)id);
    json_object_set_new(run, "jobs", store_jobs_list(ctx->st, &(store_job_filter){.run_id = id}));
    return run;
}

static json_t *run_list(void *c, json_t *params, rpc_error *err)
{
    api_ctx *ctx = c;
    const char *service = NULL;
    json_int_t limit = 0;
    if (param_names(params, NAMES("service", "limit"), err) < 0 ||
        param_string(params, "service", false, &service, err) < 0 ||
        param_int(params, "limit", false, 1, 100000, &limit, err) < 0)
        return NULL;
    return store_runs_list(ctx->st, service, limit);
}

static json_t *logs_tail(void *c, json_t *params, rpc_error *err)
{
    api_ctx *ctx = c;
    const char *name = NULL;
    json_int_t job = 0, lines = 50;
    if (param_names(params, NAMES("name", "job", "lines"), err) < 0 ||
        param_string(params, "name", false, &name, err) < 0 ||
        param_int(params, "job", false, 1, INT64_MAX, &job, err) < 0 ||
        param_int(params, "lines", false, 1, 100000, &lines, err) < 0)
        return NULL;
    if (!name == !job)
        return rpc_fail(err, RPC_INVALID_PARAMS, "invalid params: give 'name' or 'job'");
    if (name && !registry_service(supervisor_registry(ctx->sv), name))
        return rpc_fail(err, RPC_FAILED, "no service named '%s'", name);
    json_t *out = logs_tail_lines(ctx->st, name, job, (size_t)lines);
    return out ? out : rpc_fail(err, RPC_FAILED, "no logs");
}

static json_t *registry_apply(void *c, json_t *params, rpc_error *err)
{
    api_ctx *ctx = c;
    json_t *doc = NULL;
    const char *file = NULL;
    if (param_names(params, NAMES("registry", "file"), err) < 0 ||
        param_object(params, "registry", true, &doc, err) < 0 ||
        param_string(params, "file", false, &file, err) < 0)
        return NULL;
    if (file && file[0] != '/')
        return rpc_fail(err, RPC_INVALID_PARAMS, "invalid params: 'file' must be an absolute path");
    return api_apply_document(ctx, doc, file, err);
}

/* The registry the daemon runs: {file, registry}. file is the absolute
 * path it was read from (tend daemon -c, tend apply), null when it came
 * from no file (stored by a daemon before, or changed through the API). */
static json_t *registry_get(void *c, json_t *params, rpc_error *err)
{
    api_ctx *ctx = c;
    if (param_names(params, NO_PARAMS, err) < 0) return NULL;
    const registry *r = supervisor_registry(ctx->sv);
    bool from_file = r->path && r->path[0] == '/';
    return json_pack("{s:s?, s:o}", "file", from_file ? r->path : NULL, "registry",
                     registry_to_json(r));
}

extern const char openrpc_json[];

static json_t *rpc_discover(void *c, json_t *params, rpc_error *err)
{
    (void)c;
    if (param_names(params, NO_PARAMS, err) < 0) return NULL;
    json_t *doc = json_loads(openrpc_json, 0, NULL);
    return doc ? doc : rpc_fail(err, RPC_INTERNAL_ERROR, "the OpenRPC document is damaged");
}

static const rpc_method methods[] = {
    {"rpc.discover", rpc_discover, RPC_READS},
    {"service.list", service_list, RPC_READS},
    {"service.get", service_get, RPC_READS},
    {"service.set", service_set, RPC_CHANGES},
    {"service.delete", service_delete, RPC_CHANGES},
    {"service.start", service_start, RPC_CHANGES},
    {"service.stop", service_stop, RPC_CHANGES},
    {"service.restart", service_restart, RPC_CHANGES},
    {"service.status", service_status, RPC_READS},
    {"service.status_all", service_status_all, RPC_READS},
    {"action.get", action_get, RPC_READS},
    {"action.list", action_list, RPC_READS},
    {"action.set", action_set, RPC_CHANGES},
    {"action.delete", action_delete, RPC_CHANGES},
    {"job.create", job_create, RPC_CHANGES},
    {"job.get", job_get, RPC_READS},
    {"job.list", job_list, RPC_READS},
    {"run.get", run_get, RPC_READS},
    {"run.list", run_list, RPC_READS},
    {"logs.tail", logs_tail, RPC_READS},
    {"registry.apply", registry_apply, RPC_CHANGES},
    {"registry.get", registry_get, RPC_READS},
    {"service.list_full", api_service_list_full, RPC_READS},
    {"service.status_full", api_service_status_full, RPC_READS},
    {"service.kill", api_service_kill, RPC_CHANGES},
    {"service.is_running", api_service_is_running, RPC_READS},
    {"service.why", api_service_why, RPC_READS},
    {"service.tree", api_service_tree, RPC_READS},
    {"service.stats", api_service_stats, RPC_READS},
    {"service.children", api_service_children, RPC_READS},
    {"service.start_all", api_service_start_all, RPC_CHANGES},
    {"service.stop_all", api_service_stop_all, RPC_CHANGES},
    {"quick_service.set", api_quick_service_set, RPC_CHANGES},
    {"quick_service.start", api_quick_service_start, RPC_CHANGES},
    {"job.retry", api_job_retry, RPC_CHANGES},
    {"job.cancel", api_job_cancel, RPC_CHANGES},
    {"job.delete", api_job_delete, RPC_CHANGES},
    {"events.list", api_events_list, RPC_READS},
    {"logs.search", api_logs_search, RPC_READS},
    {"service.health", api_service_health, RPC_READS},
    {"service.health_all", api_service_health_all, RPC_READS},
    {"service.preflight", api_service_preflight, RPC_READS},
    {"service.required_for", api_service_required_for, RPC_READS},
    {"token.create", api_token_create, RPC_ADMIN},
    {"token.list", api_token_list, RPC_ADMIN},
    {"token.revoke", api_token_revoke, RPC_ADMIN},
    {"token.rotate", api_token_rotate, RPC_ADMIN},
};

const char *api_openrpc_document(void)
{
    return openrpc_json;
}

/* The batch the methods wrote into is committed before the answer goes
 * out (else it would be at the end of the loop iteration, after it). */
static void settle(void *c)
{
    api_ctx *ctx = c;
    if (ctx->st) store_flush(ctx->st);
}

/* A call from a job's own process (a tend-lua workflow) is that job's:
 * what it changes is recorded as its doing (supervisor_set_caller). */
static void caller(void *c, pid_t pid)
{
    api_ctx *ctx = c;
    if (ctx->sv) supervisor_set_caller(ctx->sv, pid);
}

void api_dispatcher_init(rpc_dispatcher *d, api_ctx *ctx)
{
    *d = (rpc_dispatcher){.methods = methods,
                          .n_methods = sizeof(methods) / sizeof(methods[0]),
                          .ctx = ctx,
                          .settle = settle,
                          .caller = caller};
}
