/* methods_ops.c — the API methods beyond the core set: full views, kill,
 * why, tree, process stats, all-at-once starts and stops, quick services,
 * job retry/cancel/delete, events and log search, health and pre-flight,
 * and what an operation needs (service.required_for). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/methods_internal.h"
#include "base/buf.h"
#include "base/signame.h"
#include "base/strv.h"
#include "config/suggest.h"
#include "daemon/logs.h"
#include "daemon/procinfo.h"
#include "model/state.h"

#define MAX_GROUPS 64

json_t *api_service_list_full(void *c, json_t *params, rpc_error *err)
{
    api_ctx *ctx = c;
    if (param_names(params, NO_PARAMS, err) < 0) return NULL;
    json_t *all = supervisor_status_all(ctx->sv);
    size_t i;
    json_t *st;
    json_array_foreach(all, i, st)
    {
        const char *name = json_string_value(json_object_get(st, "name"));
        json_object_set_new(
            st, "spec", service_spec_to_json(registry_service(supervisor_registry(ctx->sv), name)));
    }
    return all;
}

json_t *api_service_status_full(void *c, json_t *params, rpc_error *err)
{
    api_ctx *ctx = c;
    const char *name = NULL;
    if (api_name_only(params, &name, err) < 0) return NULL;
    json_t *st = supervisor_service_status(ctx->sv, name);
    if (!st) return rpc_fail(err, RPC_FAILED, "no service named '%s'", name);
    json_object_set_new(st, "spec",
                        service_spec_to_json(registry_service(supervisor_registry(ctx->sv), name)));
    json_object_set_new(st, "runs", store_runs_list(ctx->st, name, 10));
    json_int_t run = json_integer_value(json_object_get(st, "run_id"));
    json_object_set_new(st, "jobs",
                        run ? store_jobs_list(ctx->st, &(store_job_filter){.run_id = run})
                            : json_array());
    return st;
}

json_t *api_service_kill(void *c, json_t *params, rpc_error *err)
{
    api_ctx *ctx = c;
    const char *name = NULL, *signame = "SIGKILL";
    if (param_names(params, NAMES("name", "signal"), err) < 0 ||
        param_string(params, "name", true, &name, err) < 0 ||
        param_string(params, "signal", false, &signame, err) < 0)
        return NULL;
    int sig = signal_from_name(signame);
    if (sig < 0)
        return rpc_fail(err, RPC_INVALID_PARAMS,
                        "invalid params: 'signal' must be a signal name such as \"SIGKILL\"");
    char why[256];
    int n = supervisor_service_kill(ctx->sv, name, sig, why, sizeof(why));
    if (n < 0) return api_failed(err, why);
    return json_pack("{s:s, s:s, s:i}", "name", name, "signal", signal_name(sig), "groups", n);
}

json_t *api_service_is_running(void *c, json_t *params, rpc_error *err)
{
    api_ctx *ctx = c;
    const char *name = NULL;
    if (api_name_only(params, &name, err) < 0) return NULL;
    json_t *st = supervisor_service_status(ctx->sv, name);
    if (!st) return rpc_fail(err, RPC_FAILED, "no service named '%s'", name);
    bool running = strcmp(json_string_value(json_object_get(st, "state")), "running") == 0;
    json_decref(st);
    return json_pack("{s:s, s:b}", "name", name, "running", running);
}

json_t *api_service_why(void *c, json_t *params, rpc_error *err)
{
    api_ctx *ctx = c;
    const char *name = NULL;
    if (api_name_only(params, &name, err) < 0) return NULL;
    json_t *why = supervisor_why(ctx->sv, name);
    if (!why) return rpc_fail(err, RPC_FAILED, "no service named '%s'", name);
    /* A service's story is incomplete while its history is not written. */
    json_object_set_new(why, "history", api_history_json(ctx->st));
    return why;
}

json_t *api_service_tree(void *c, json_t *params, rpc_error *err)
{
    api_ctx *ctx = c;
    const char *name = NULL;
    if (param_names(params, NAMES("name"), err) < 0 ||
        param_string(params, "name", false, &name, err) < 0)
        return NULL;
    json_t *tree = supervisor_tree(ctx->sv, name);
    return tree ? tree : rpc_fail(err, RPC_FAILED, "no service named '%s'", name);
}

static json_t *service_processes(api_ctx *ctx, json_t *params, const char **name, rpc_error *err)
{
    if (api_name_only(params, name, err) < 0) return NULL;
    pid_t groups[MAX_GROUPS];
    int n = supervisor_process_groups(ctx->sv, *name, groups, MAX_GROUPS);
    if (n < 0) return rpc_fail(err, RPC_FAILED, "no service named '%s'", *name);
    return procinfo_groups(groups, (size_t)n);
}

json_t *api_service_children(void *c, json_t *params, rpc_error *err)
{
    const char *name = NULL;
    json_t *procs = service_processes(c, params, &name, err);
    return procs ? json_pack("{s:s, s:o}", "name", name, "processes", procs) : NULL;
}

json_t *api_service_stats(void *c, json_t *params, rpc_error *err)
{
    const char *name = NULL;
    json_t *procs = service_processes(c, params, &name, err);
    if (!procs) return NULL;
    double cpu = 0;
    json_int_t rss = 0;
    size_t i;
    json_t *p;
    json_array_foreach(procs, i, p)
    {
        cpu += json_real_value(json_object_get(p, "cpu_seconds"));
        rss += json_integer_value(json_object_get(p, "rss_kb"));
    }
    json_t *out = json_pack("{s:s, s:I, s:f, s:I}", "name", name, "processes",
                            (json_int_t)json_array_size(procs), "cpu_seconds", cpu, "rss_kb", rss);
    json_decref(procs);
    return out;
}

json_t *api_service_start_all(void *c, json_t *params, rpc_error *err)
{
    api_ctx *ctx = c;
    if (param_names(params, NO_PARAMS, err) < 0) return NULL;
    return supervisor_start_all(ctx->sv);
}

json_t *api_service_stop_all(void *c, json_t *params, rpc_error *err)
{
    api_ctx *ctx = c;
    char **names = NULL;
    bool force = false;
    if (param_names(params, NAMES("names", "force"), err) < 0 ||
        param_strings(params, "names", &names, err) < 0 ||
        param_bool(params, "force", &force, err) < 0) {
        free(names);
        return NULL;
    }
    json_t *results = NULL;
    char why[640];
    int rc = supervisor_stop_all(ctx->sv, names, force, &results, why, sizeof(why));
    free(names);
    return rc < 0 ? api_failed(err, why) : results;
}

json_t *api_quick_service_set(void *c, json_t *params, rpc_error *err)
{
    api_ctx *ctx = c;
    const char *name = NULL;
    if (!json_is_object(params) || param_string(params, "name", true, &name, err) < 0) {
        if (!err->code) rpc_fail(err, RPC_INVALID_PARAMS, "invalid params: 'name' is required");
        return NULL;
    }
    /* One action of the service's name, whose spec is the rest of params. */
    json_t *action = json_deep_copy(params);
    json_object_del(action, "name");
    json_t *doc = registry_to_json(supervisor_registry(ctx->sv));
    json_object_set_new(json_object_get(doc, "actions"), name, action);
    json_object_set_new(json_object_get(doc, "services"), name,
                        json_pack("{s:s, s:[s]}", "name", name, "actions", name));
    json_t *plan = api_apply_document(ctx, doc, NULL, err);
    json_decref(doc);
    return plan;
}

json_t *api_quick_service_start(void *c, json_t *params, rpc_error *err)
{
    api_ctx *ctx = c;
    json_t *plan = api_quick_service_set(c, params, err);
    if (!plan) return NULL;
    json_decref(plan);
    const char *name = json_string_value(json_object_get(params, "name"));
    char why[512];
    start_options o = {.replace_existing_jobs = true};
    int rc = supervisor_service_start(ctx->sv, name, &o, why, sizeof(why));
    if (rc < 0) return api_failed(err, why);
    return supervisor_service_status(ctx->sv, name);
}

static int job_id(json_t *params, json_int_t *id, rpc_error *err)
{
    if (param_names(params, NAMES("id"), err) < 0) return -1;
    return param_int(params, "id", true, 1, INT64_MAX, id, err);
}

json_t *api_job_retry(void *c, json_t *params, rpc_error *err)
{
    api_ctx *ctx = c;
    json_int_t id = 0;
    if (job_id(params, &id, err) < 0) return NULL;
    char why[256];
    int64_t next = supervisor_job_retry(ctx->sv, id, why, sizeof(why));
    if (next < 0) return api_failed(err, why);
    return json_pack("{s:I}", "id", (json_int_t)next);
}

json_t *api_job_cancel(void *c, json_t *params, rpc_error *err)
{
    api_ctx *ctx = c;
    json_int_t id = 0;
    if (job_id(params, &id, err) < 0) return NULL;
    char why[256];
    int rc = supervisor_job_cancel(ctx->sv, id, why, sizeof(why));
    if (rc < 0) return api_failed(err, why);
    return store_job_get(ctx->st, id);
}

json_t *api_job_delete(void *c, json_t *params, rpc_error *err)
{
    api_ctx *ctx = c;
    json_int_t id = 0;
    if (job_id(params, &id, err) < 0) return NULL;
    json_t *job = store_job_get(ctx->st, id);
    if (!job) return rpc_fail(err, RPC_FAILED, "no job %lld", (long long)id);
    int phase = job_phase_from_name(json_string_value(json_object_get(job, "phase")));
    json_decref(job);
    if (phase >= 0 && !job_phase_is_terminal((job_phase)phase))
        return rpc_fail(err, RPC_FAILED, "job %lld is still active; cancel it first",
                        (long long)id);
    store_job_delete(ctx->st, id);
    return json_pack("{s:I, s:b}", "id", id, "deleted", 1);
}

json_t *api_events_list(void *c, json_t *params, rpc_error *err)
{
    api_ctx *ctx = c;
    const char *service = NULL;
    json_int_t after = 0, limit = 100, tail = 0;
    if (param_names(params, NAMES("after_id", "service", "limit", "tail"), err) < 0 ||
        param_int(params, "after_id", false, 0, INT64_MAX, &after, err) < 0 ||
        param_string(params, "service", false, &service, err) < 0 ||
        param_int(params, "limit", false, 1, 100000, &limit, err) < 0 ||
        param_int(params, "tail", false, 1, 100000, &tail, err) < 0)
        return NULL;
    if (tail) return store_events_tail(ctx->st, service, tail);
    return store_events_list(ctx->st, after, service, limit);
}

json_t *api_logs_search(void *c, json_t *params, rpc_error *err)
{
    api_ctx *ctx = c;
    const char *name = NULL, *query = NULL;
    json_int_t limit = 100;
    if (param_names(params, NAMES("name", "query", "limit"), err) < 0 ||
        param_string(params, "name", true, &name, err) < 0 ||
        param_string(params, "query", true, &query, err) < 0 ||
        param_int(params, "limit", false, 1, 100000, &limit, err) < 0)
        return NULL;
    if (!registry_service(supervisor_registry(ctx->sv), name))
        return rpc_fail(err, RPC_FAILED, "no service named '%s'", name);
    /* The recent end of the logs, newest last; matches keep that order. */
    json_t *tail = logs_tail_lines(ctx->st, name, 0, 100000);
    json_t *found = json_array();
    size_t i;
    json_t *line;
    json_array_foreach(json_object_get(tail, "lines"), i,
                       line) if (strstr(json_string_value(json_object_get(line, "text")), query))
        json_array_append(found, line);
    json_decref(tail);
    while (json_array_size(found) > (size_t)limit) json_array_remove(found, 0);
    return json_pack("{s:o}", "lines", found);
}

/* ---- health and pre-flight ---- */

json_t *api_service_health(void *c, json_t *params, rpc_error *err)
{
    api_ctx *ctx = c;
    const char *name = NULL;
    if (api_name_only(params, &name, err) < 0) return NULL;
    json_t *h = supervisor_service_health(ctx->sv, name);
    return h ? h : rpc_fail(err, RPC_FAILED, "no service named '%s'", name);
}

json_t *api_service_health_all(void *c, json_t *params, rpc_error *err)
{
    api_ctx *ctx = c;
    if (param_names(params, NO_PARAMS, err) < 0) return NULL;
    return supervisor_health_all(ctx->sv);
}

json_t *api_service_preflight(void *c, json_t *params, rpc_error *err)
{
    api_ctx *ctx = c;
    const char *name = NULL;
    if (param_names(params, NAMES("name"), err) < 0 ||
        param_string(params, "name", false, &name, err) < 0)
        return NULL;
    json_t *out = json_array();
    if (name) {
        json_t *one = supervisor_preflight(ctx->sv, name);
        if (!one) {
            json_decref(out);
            return rpc_fail(err, RPC_FAILED, "no service named '%s'", name);
        }
        json_array_append_new(out, one);
        return out;
    }
    const registry *r = supervisor_registry(ctx->sv);
    for (size_t i = 0; i < r->n_services; i++)
        json_array_append_new(out, supervisor_preflight(ctx->sv, r->services[i]->name));
    return out;
}

/* ---- what an operation needs ---- */

/* Every operation some service's required_for names, once each, in the
 * registry's order. */
static char **operations(const registry *r)
{
    char **ops = NULL;
    for (size_t i = 0; i < r->n_services; i++)
        for (char **o = r->services[i]->required_for; o && *o; o++)
            if (!strv_contains(ops, *o)) strv_push(&ops, *o);
    return ops;
}

/* An operation no service names is a mistake, not "nothing is missing":
 * -32602 naming 'operation', with the closest operation or all of them. */
static json_t *unknown_operation(const registry *r, const char *op, rpc_error *err)
{
    char **ops = operations(r);
    const char *close = ops ? suggest_closest(op, (const char *const *)ops) : NULL;
    buf words = {0};
    buf_printf(&words, "no service's required_for names the operation '%s'", op);
    if (close) {
        buf_printf(&words, "; did you mean '%s'?", close);
    } else if (ops) {
        buf_puts(&words, "; the operations are: ");
        for (size_t i = 0; ops[i]; i++) buf_printf(&words, "%s%s", i ? ", " : "", ops[i]);
    } else {
        buf_puts(&words, " (no service names any)");
    }
    json_t *known = json_array();
    for (size_t i = 0; ops && ops[i]; i++) json_array_append_new(known, json_string(ops[i]));
    rpc_fail(err, RPC_INVALID_PARAMS, "invalid params: 'operation': %s",
             words.failed ? "out of memory" : words.data);
    /* data.message is what the CLI shows (tend services check). */
    err->data = json_pack("{s:s, s:s, s:s, s:s?, s:o}", "message",
                          words.failed ? "out of memory" : words.data, "parameter", "operation",
                          "operation", op, "suggestion", close, "operations", known);
    buf_free(&words);
    strv_free(ops);
    return NULL;
}

/* The services whose required_for names the operation, in the registry's
 * order, and those of them whose actual state is not "running". */
json_t *api_service_required_for(void *c, json_t *params, rpc_error *err)
{
    api_ctx *ctx = c;
    const char *op = NULL;
    if (param_names(params, NAMES("operation"), err) < 0 ||
        param_string(params, "operation", true, &op, err) < 0)
        return NULL;
    const registry *r = supervisor_registry(ctx->sv);
    json_t *required = json_array(), *not_running = json_array();
    for (size_t i = 0; i < r->n_services; i++) {
        const service_spec *s = r->services[i];
        if (!strv_contains(s->required_for, op)) continue;
        json_array_append_new(required, json_string(s->name));
        json_t *st = supervisor_service_status(ctx->sv, s->name);
        const char *state = json_string_value(json_object_get(st, "state"));
        if (!state || strcmp(state, "running") != 0)
            json_array_append_new(not_running, json_string(s->name));
        json_decref(st);
    }
    if (json_array_size(required) == 0) {
        json_decref(required);
        json_decref(not_running);
        return unknown_operation(r, op, err);
    }
    bool all_running = json_array_size(not_running) == 0;
    return json_pack("{s:s, s:o, s:o, s:b}", "operation", op, "required", required, "not_running",
                     not_running, "all_running", all_running);
}
