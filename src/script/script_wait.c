/* script_wait.c — tend.wait(NAME, STATE [, {timeout = SECONDS}]): waits
 * until a service is in STATE (one of service.status's states, or
 * "healthy", "unhealthy", or "stopped": none of starting, running,
 * stopping) and returns its status. It follows the daemon's event stream
 * for that service and looks at the status again at each event; nothing
 * is polled. Raises a "timeout" error when the time runs out (default
 * 60 s) and a "failed" one as soon as the state cannot come: the service
 * failed or exited while a start was waited for, or is not wanted to
 * start at all. */
#include "script/script_wait.h"

#include <lauxlib.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli/api_client.h"
#include "script/bindings.h"
#include "script/lua_json.h"
#include "script/script_error.h"

#define DEFAULT_TIMEOUT 60.0

static const char *const targets[] = {"inactive", "starting", "running", "stopping",  "success",
                                      "failed",   "exited",   "healthy", "unhealthy", "stopped",
                                      NULL};

static double now_monotonic(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char *text(json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

static bool up(const char *state)
{
    return !strcmp(state, "starting") || !strcmp(state, "running") || !strcmp(state, "stopping");
}

/* 1: the status is in target; -1: it cannot get there; 0: not yet. */
static int judge(json_t *st, const char *target)
{
    const char *state = text(st, "state");
    const char *health = text(json_object_get(st, "health"), "status");
    if (!strcmp(target, "stopped")) return !up(state);
    if (strstr(target, "healthy") && !strcmp(text(json_object_get(st, "health"), "check"), "none"))
        return -1;
    if (!strcmp(target, "healthy") || !strcmp(target, "unhealthy"))
        if (!strcmp(state, "running") && !strcmp(health, target)) return 1;
    if (!strcmp(state, target)) return 1;
    bool start_awaited =
        !strcmp(target, "running") || !strcmp(target, "healthy") || !strcmp(target, "success");
    if (start_awaited && (!strcmp(state, "failed") || !strcmp(state, "exited"))) return -1;
    if (start_awaited && !up(state) && strcmp(text(st, "wanted"), "start") != 0) return -1;
    return 0;
}

static int newest_event(json_t *ev, void *ctx)
{
    json_int_t *last = ctx, id = json_integer_value(json_object_get(ev, "id"));
    if (id > *last) *last = id;
    return 1; /* something about the service moved: look again */
}

/* The id of the newest event, so that none after it is missed. */
static json_int_t last_event_id(lua_State *L)
{
    json_t **box = lua_json_box(L, json_pack("{s:i}", "tail", 1));
    json_t **tail = lua_json_box(L, bindings_call(L, "wait", "events.list", *box));
    json_int_t id = json_integer_value(json_object_get(json_array_get(*tail, 0), "id"));
    lua_pop(L, 2);
    return id;
}

static void url_encode(const char *s, char *out, size_t size)
{
    size_t n = 0;
    for (; *s && n + 4 < size; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
            strchr("-._~", c))
            out[n++] = (char)c;
        else
            n += (size_t)snprintf(out + n, size - n, "%%%02X", c);
    }
    out[n] = 0;
}

static double timeout_of(lua_State *L)
{
    if (lua_isnoneornil(L, 3)) return DEFAULT_TIMEOUT;
    if (!lua_istable(L, 3))
        script_raise(L, "wait", SCRIPT_ARGUMENT, NULL, 0,
                     "argument 3 must be a table of options ({timeout = SECONDS}), not a %s",
                     luaL_typename(L, 3));
    lua_getfield(L, 3, "timeout");
    double t = lua_isnil(L, -1) ? DEFAULT_TIMEOUT : lua_tonumber(L, -1);
    if (!lua_isnil(L, -1) && (!lua_isnumber(L, -1) || !(t > 0) || !isfinite(t)))
        script_raise(L, "wait", SCRIPT_ARGUMENT, NULL, 0,
                     "'timeout' must be a number of seconds above 0");
    lua_pop(L, 1);
    return t;
}

int script_wait(lua_State *L)
{
    const char *name = lua_tostring(L, 1), *target = lua_tostring(L, 2);
    if (lua_type(L, 1) != LUA_TSTRING)
        script_raise(L, "wait", SCRIPT_ARGUMENT, NULL, 0,
                     "argument 1 must be a service's name, not a %s", luaL_typename(L, 1));
    bool known = false;
    for (size_t i = 0; lua_type(L, 2) == LUA_TSTRING && targets[i]; i++)
        known |= strcmp(target, targets[i]) == 0;
    if (!known)
        script_raise(L, "wait", SCRIPT_ARGUMENT, NULL, 0,
                     "argument 2 must be a state to wait for: inactive, starting, running, "
                     "stopping, success, failed, exited, healthy, unhealthy or stopped");
    double timeout = timeout_of(L), deadline = now_monotonic() + timeout;
    char encoded[512], query[640];
    url_encode(name, encoded, sizeof(encoded));
    json_int_t last = last_event_id(L);
    json_t **params = lua_json_box(L, json_pack("{s:s}", "name", name));
    json_t **st = lua_json_box(L, NULL);
    for (;;) {
        json_decref(*st);
        *st = NULL;
        *st = bindings_call(L, "wait", "service.status", *params);
        int verdict = judge(*st, target);
        const char *reason = json_string_value(json_object_get(*st, "reason"));
        if (verdict > 0) break;
        if (verdict < 0 && strstr(target, "healthy") &&
            !strcmp(text(json_object_get(*st, "health"), "check"), "none"))
            script_raise(L, "wait", SCRIPT_FAILED, NULL, 0, "'%s' has no health check", name);
        if (verdict < 0)
            script_raise(L, "wait", SCRIPT_FAILED, NULL, 0, "'%s' will not be %s: it is %s%s%s",
                         name, target, text(*st, "state"), reason ? ": " : "",
                         reason ? reason : "");
        double left = deadline - now_monotonic();
        if (left <= 0)
            script_raise(L, "wait", SCRIPT_TIMEOUT, NULL, 0,
                         "'%s' is not %s after %g s: it is %s%s%s", name, target, timeout,
                         text(*st, "state"), reason ? ": " : "", reason ? reason : "");
        snprintf(query, sizeof(query), "after=%lld&service=%s", (long long)last, encoded);
        call_error err = {0};
        call_status got = api_follow_events_for(query, left, newest_event, &last, &err);
        if (got == CALL_UNREACHABLE)
            script_raise(L, "wait", SCRIPT_UNREACHABLE, NULL, 0, "%s", err.message);
        if (got != CALL_OK) script_raise(L, "wait", SCRIPT_RPC, NULL, err.code, "%s", err.message);
    }
    lua_json_push(L, *st);
    return 1;
}
