/* bindings.c — the tend module's functions, one per JSON-RPC method (see
 * bindings.h). The table below is the whole of it: a method added to the
 * API without a line here fails tests/system/test_script.py, which holds
 * tend.bindings() against rpc.discover. */
#include "script/bindings.h"

#include <lauxlib.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cli/api_client.h"
#include "script/lua_json.h"
#include "script/script_error.h"
#include "script/script_wait.h"

#define MAX_LEADING 3

typedef struct {
    const char *func;   /* tend.FUNC */
    const char *method; /* the JSON-RPC method it calls */
    /* The parameters that may be given in order, before a table of the rest. */
    const char *leading[MAX_LEADING];
    /* The leading parameter that is itself a table (a spec, a registry). */
    const char *table_param;
} binding;

static const binding bindings[] = {
    {"service_list", "service.list", {0}, NULL},
    {"service_list_full", "service.list_full", {0}, NULL},
    {"service_get", "service.get", {"name"}, NULL},
    {"service_set", "service.set", {"name", "spec"}, "spec"},
    {"service_delete", "service.delete", {"name"}, NULL},
    {"service_start", "service.start", {"name"}, NULL},
    {"service_stop", "service.stop", {"name"}, NULL},
    {"service_restart", "service.restart", {"name"}, NULL},
    {"service_kill", "service.kill", {"name", "signal"}, NULL},
    {"service_status", "service.status", {"name"}, NULL},
    {"service_status_full", "service.status_full", {"name"}, NULL},
    {"service_status_all", "service.status_all", {0}, NULL},
    {"service_is_running", "service.is_running", {"name"}, NULL},
    {"service_why", "service.why", {"name"}, NULL},
    {"service_health", "service.health", {"name"}, NULL},
    {"service_health_all", "service.health_all", {0}, NULL},
    {"service_preflight", "service.preflight", {"name"}, NULL},
    {"service_tree", "service.tree", {"name"}, NULL},
    {"service_stats", "service.stats", {"name"}, NULL},
    {"service_children", "service.children", {"name"}, NULL},
    {"service_start_all", "service.start_all", {0}, NULL},
    {"service_stop_all", "service.stop_all", {0}, NULL},
    {"service_required_for", "service.required_for", {"operation"}, NULL},
    {"quick_service_set", "quick_service.set", {"name"}, NULL},
    {"quick_service_start", "quick_service.start", {"name"}, NULL},
    {"action_list", "action.list", {0}, NULL},
    {"action_get", "action.get", {"name"}, NULL},
    {"action_set", "action.set", {"name", "spec"}, "spec"},
    {"action_delete", "action.delete", {"name"}, NULL},
    {"job_create", "job.create", {"action"}, NULL},
    {"job_get", "job.get", {"id"}, NULL},
    {"job_list", "job.list", {0}, NULL},
    {"job_retry", "job.retry", {"id"}, NULL},
    {"job_cancel", "job.cancel", {"id"}, NULL},
    {"job_delete", "job.delete", {"id"}, NULL},
    {"run_get", "run.get", {"id"}, NULL},
    {"run_list", "run.list", {0}, NULL},
    {"logs_tail", "logs.tail", {"name"}, NULL},
    {"logs_search", "logs.search", {"name", "query"}, NULL},
    {"events_list", "events.list", {0}, NULL},
    {"registry_apply", "registry.apply", {"registry"}, "registry"},
    {"registry_get", "registry.get", {0}, NULL},
    {"rpc_discover", "rpc.discover", {0}, NULL},
    {"token_create", "token.create", {"name"}, NULL},
    {"token_list", "token.list", {0}, NULL},
    {"token_revoke", "token.revoke", {"name"}, NULL},
    {"token_rotate", "token.rotate", {"name"}, NULL},
};

json_t *bindings_call(lua_State *L, const char *func, const char *method, json_t *params)
{
    return bindings_read(L, func, method, params, 1);
}

json_t *bindings_read(lua_State *L, const char *func, const char *method, json_t *params,
                      int tries)
{
    json_t *result = NULL;
    call_error err = {0};
    call_status st;
    do {
        memset(&err, 0, sizeof(err));
        st = api_call(method, params, &result, &err);
    } while (st == CALL_UNREACHABLE && --tries > 0);
    if (st == CALL_OK) return result;
    if (st == CALL_UNREACHABLE)
        script_raise(L, func, SCRIPT_UNREACHABLE, method, 0, "%s", err.message);
    script_raise(L, func, SCRIPT_RPC, method, err.code, "%s", err.message);
    return NULL;
}

/* Sets params[key] from the Lua value at idx, or raises. */
static void put(lua_State *L, const char *func, json_t *params, const char *key, int idx)
{
    char err[600];
    json_t *v = lua_json_from(L, idx, key, err, sizeof(err));
    if (!v) script_raise(L, func, SCRIPT_ARGUMENT, NULL, 0, "%s", err);
    json_object_set_new(params, key, v);
}

/* Every field of the table at idx into params, by name. */
static void put_named(lua_State *L, const binding *b, json_t *params, int idx, const char *skip)
{
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        if (lua_type(L, -2) != LUA_TSTRING)
            script_raise(L, b->func, SCRIPT_ARGUMENT, NULL, 0,
                         "its table of parameters has a key that is not a name "
                         "(the parameters of %s are named)",
                         b->method);
        const char *key = lua_tostring(L, -2);
        if (!skip || strcmp(key, skip) != 0) put(L, b->func, params, key, lua_gettop(L));
        lua_pop(L, 1);
    }
}

static bool is_table_param(const binding *b, int i)
{
    return b->table_param && strcmp(b->leading[i], b->table_param) == 0;
}

static int n_leading(const binding *b)
{
    int n = 0;
    while (n < MAX_LEADING && b->leading[n]) n++;
    return n;
}

/* {name = "x", k = v, ...} for a set method: name, and the rest as the spec. */
static void params_of_spec_table(lua_State *L, const binding *b, json_t *params)
{
    lua_getfield(L, 1, "name");
    if (lua_type(L, -1) != LUA_TSTRING)
        script_raise(L, b->func, SCRIPT_ARGUMENT, NULL, 0,
                     "'name' must be a string (%s(NAME, SPEC) or %s{name = NAME, ...})", b->func,
                     b->func);
    put(L, b->func, params, "name", lua_gettop(L));
    lua_pop(L, 1);
    json_t *spec = json_object();
    json_object_set_new(params, b->table_param, spec);
    put_named(L, b, spec, 1, "name");
}

/* The nargs Lua arguments of a call into the method's params. */
static void params_of(lua_State *L, const binding *b, int nargs, json_t *params)
{
    int n = n_leading(b);
    /* One table for everything: by name (unless the first parameter is a table). */
    if (nargs == 1 && lua_istable(L, 1) && !(n && is_table_param(b, 0))) {
        if (b->table_param && n == 2 && is_table_param(b, 1))
            params_of_spec_table(L, b, params);
        else
            put_named(L, b, params, 1, NULL);
        return;
    }
    int i = 0;
    for (; i < nargs && i < n; i++) {
        int idx = i + 1;
        /* A table where a plain leading parameter goes: the named rest. */
        if (lua_istable(L, idx) && !is_table_param(b, i)) break;
        if (lua_isnil(L, idx)) continue; /* not given */
        put(L, b->func, params, b->leading[i], idx);
    }
    if (i < nargs && lua_istable(L, i + 1) && i + 1 == nargs) {
        put_named(L, b, params, i + 1, NULL);
        i++;
    }
    if (i < nargs)
        script_raise(L, b->func, SCRIPT_ARGUMENT, NULL, 0,
                     "argument %d (a %s) has no place: it takes %s%s%s%s%s, then a table of the "
                     "other parameters by name",
                     i + 1, luaL_typename(L, i + 1), n ? b->leading[0] : "nothing in order",
                     n > 1 ? ", " : "", n > 1 ? b->leading[1] : "", n > 2 ? ", " : "",
                     n > 2 ? b->leading[2] : "");
}

static int call_binding(lua_State *L)
{
    const binding *b = lua_touserdata(L, lua_upvalueindex(1));
    int nargs = lua_gettop(L);
    json_t **params = lua_json_box(L, json_object());
    params_of(L, b, nargs, *params);
    json_t **result = lua_json_box(L, bindings_call(L, b->func, b->method, *params));
    lua_json_push(L, *result);
    return 1;
}

/* tend.call(METHOD [, PARAMS]): any method by its name, params as given. */
static int call_any(lua_State *L)
{
    const char *method = luaL_checkstring(L, 1);
    json_t **params = lua_json_box(L, NULL);
    if (!lua_isnoneornil(L, 2)) {
        char err[600];
        *params = lua_json_from(L, 2, "params", err, sizeof(err));
        if (!*params) script_raise(L, "call", SCRIPT_ARGUMENT, NULL, 0, "%s", err);
    }
    json_t **result = lua_json_box(L, bindings_call(L, "call", method, *params));
    lua_json_push(L, *result);
    return 1;
}

/* tend.bindings(): {FUNC = METHOD, ...}, what the module mirrors. */
static int list_bindings(lua_State *L)
{
    lua_createtable(L, 0, (int)(sizeof(bindings) / sizeof(bindings[0])));
    for (size_t i = 0; i < sizeof(bindings) / sizeof(bindings[0]); i++) {
        lua_pushstring(L, bindings[i].method);
        lua_setfield(L, -2, bindings[i].func);
    }
    return 1;
}

int bindings_open(lua_State *L)
{
    script_error_setup(L);
    lua_createtable(L, 0, (int)(sizeof(bindings) / sizeof(bindings[0])) + 5);
    for (size_t i = 0; i < sizeof(bindings) / sizeof(bindings[0]); i++) {
        lua_pushlightuserdata(L, (void *)&bindings[i]);
        lua_pushcclosure(L, call_binding, 1);
        lua_setfield(L, -2, bindings[i].func);
    }
    lua_pushcfunction(L, call_any);
    lua_setfield(L, -2, "call");
    lua_pushcfunction(L, list_bindings);
    lua_setfield(L, -2, "bindings");
    lua_pushcfunction(L, script_wait);
    lua_setfield(L, -2, "wait");
    lua_pushcfunction(L, script_wait_job);
    lua_setfield(L, -2, "wait_job");
    lua_json_push_null(L);
    lua_setfield(L, -2, "null");
    return 1;
}
