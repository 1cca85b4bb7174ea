/* script_wait.c — tend.wait and tend.wait_job.
 *
 * tend.wait(NAME, STATE [, {timeout = SECONDS}]): waits
 * until a service is in STATE (one of service.status's states, or
 * "healthy", "unhealthy", or "stopped": none of starting, running,
 * stopping) and returns its status. "running" means started as `tend
 * services start` judges it (cli/started.h): running and ready, or
 * running for its first second when nothing else can tell. It follows the daemon's event stream
 * for that service and looks at the status again at each event; nothing
 * is polled. Raises a "timeout" error when the time runs out (default
 * 60 s) and a "failed" one as soon as the state cannot come: the service
 * failed or exited while a start was waited for, or is not wanted to
 * start at all.
 *
 * tend.wait_job(ID [, {timeout = SECONDS}]): waits until a job has ended
 * (succeeded, failed, cancelled or lost) and returns its row; a standalone
 * job (job_create) has no service to wait for. */
#include "script/script_wait.h"

#include <lauxlib.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "base/clock.h"
#include "cli/api_client.h"
#include "cli/started.h"
#include "script/bindings.h"
#include "script/lua_json.h"
#include "script/script_error.h"

#define DEFAULT_TIMEOUT 60.0
/* A stream that breaks this many times in a row is given up on, and a
 * read cut off so often too. */
#define MAX_BREAKS 3
#define MAX_TRIES 3

static const char *const targets[] = {"inactive", "starting", "running", "stopping",  "success",
                                      "failed",   "exited",   "healthy", "unhealthy", "stopped",
                                      NULL};

static const char *text(json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

static bool up(const char *state)
{
    return !strcmp(state, "starting") || !strcmp(state, "running") || !strcmp(state, "stopping");
}

/* 1: the status is in target; -1: it cannot get there; 0: not yet, and
 * *look_again_in seconds from now if no event comes first (0: at an
 * event only). "running" is what `tend services start` waits for: running
 * and ready, or running for its first second when nothing can tell. */
static int judge(json_t *st, const char *target, double *look_again_in)
{
    *look_again_in = 0;
    const char *state = text(st, "state");
    const char *health = text(json_object_get(st, "health"), "status");
    if (!strcmp(target, "stopped")) return !up(state);
    if (strstr(target, "healthy") && !strcmp(text(json_object_get(st, "health"), "check"), "none"))
        return -1;
    if (!strcmp(target, "healthy") || !strcmp(target, "unhealthy"))
        if (!strcmp(state, "running") && !strcmp(health, target)) return 1;
    if (!strcmp(target, "running")) {
        int outcome = started_outcome(st, look_again_in);
        if (outcome != 0) return outcome;
    } else if (!strcmp(state, target)) {
        return 1;
    }
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
    json_t **tail = lua_json_box(L, bindings_read(L, "wait", "events.list", *box, MAX_TRIES));
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

/* {timeout = SECONDS} at idx, if given. */
static double timeout_of(lua_State *L, int idx, const char *func)
{
    if (lua_isnoneornil(L, idx)) return DEFAULT_TIMEOUT;
    if (!lua_istable(L, idx))
        script_raise(L, func, SCRIPT_ARGUMENT, NULL, 0,
                     "argument %d must be a table of options ({timeout = SECONDS}), not a %s", idx,
                     luaL_typename(L, idx));
    lua_getfield(L, idx, "timeout");
    double t = lua_isnil(L, -1) ? DEFAULT_TIMEOUT : lua_tonumber(L, -1);
    if (!lua_isnil(L, -1) && (!lua_isnumber(L, -1) || !(t > 0) || !isfinite(t)))
        script_raise(L, func, SCRIPT_ARGUMENT, NULL, 0,
                     "'timeout' must be a number of seconds above 0");
    lua_pop(L, 1);
    return t;
}


/* Follows events (matching query) for at most left seconds, until
 * on_event ends the stream. A stream that broke off (the daemon's main
 * process was restarted, say) is no error while it does not keep
 * breaking: the caller looks at the status again and follows anew.
 * *breaks counts them in a row; raises when there is no daemon. */
static void follow(lua_State *L, const char *func, const char *query, double left,
                   int (*on_event)(json_t *ev, void *ctx), void *ctx, int *breaks)
{
    call_error err = {0};
    call_status got = api_follow_events_for(query, left, on_event, ctx, &err);
    if (got == CALL_UNREACHABLE)
        script_raise(L, func, SCRIPT_UNREACHABLE, NULL, 0, "%s", err.message);
    if (got == CALL_OK) {
        *breaks = 0;
    } else if (++*breaks >= MAX_BREAKS) {
        script_raise(L, func, SCRIPT_RPC, NULL, err.code, "%s", err.message);
    }
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
    double timeout = timeout_of(L, 3, "wait"), deadline = monotonic_now() + timeout;
    char encoded[512], query[640];
    url_encode(name, encoded, sizeof(encoded));
    json_int_t last = last_event_id(L);
    json_t **params = lua_json_box(L, json_pack("{s:s}", "name", name));
    json_t **st = lua_json_box(L, NULL);
    int breaks = 0;
    for (;;) {
        json_decref(*st);
        *st = NULL;
        *st = bindings_read(L, "wait", "service.status", *params, MAX_TRIES);
        double look_again_in;
        int verdict = judge(*st, target, &look_again_in);
        const char *reason = json_string_value(json_object_get(*st, "reason"));
        if (verdict > 0) break;
        if (verdict < 0 && strstr(target, "healthy") &&
            !strcmp(text(json_object_get(*st, "health"), "check"), "none"))
            script_raise(L, "wait", SCRIPT_FAILED, NULL, 0, "'%s' has no health check", name);
        if (verdict < 0)
            script_raise(L, "wait", SCRIPT_FAILED, NULL, 0, "'%s' will not be %s: it is %s%s%s",
                         name, target, text(*st, "state"), reason ? ": " : "",
                         reason ? reason : "");
        double left = deadline - monotonic_now();
        if (left <= 0)
            script_raise(L, "wait", SCRIPT_TIMEOUT, NULL, 0,
                         "'%s' is not %s after %g s: it is %s%s%s", name, target, timeout,
                         text(*st, "state"), reason ? ": " : "", reason ? reason : "");
        snprintf(query, sizeof(query), "after=%lld&service=%s", (long long)last, encoded);
        follow(L, "wait", query, look_again_in > 0 && look_again_in < left ? look_again_in : left,
               newest_event, &last, &breaks);
    }
    lua_json_push(L, *st);
    return 1;
}

typedef struct {
    json_int_t last, job;
} job_watch;

static int event_of_job(json_t *ev, void *ctx)
{
    job_watch *w = ctx;
    json_int_t id = json_integer_value(json_object_get(ev, "id"));
    if (id > w->last) w->last = id;
    return json_integer_value(json_object_get(ev, "job_id")) == w->job;
}

static bool ended(const char *phase)
{
    return !strcmp(phase, "succeeded") || !strcmp(phase, "failed") ||
           !strcmp(phase, "cancelled") || !strcmp(phase, "lost");
}

int script_wait_job(lua_State *L)
{
    if (!lua_isinteger(L, 1))
        script_raise(L, "wait_job", SCRIPT_ARGUMENT, NULL, 0,
                     "argument 1 must be a job's id (an integer), not a %s", luaL_typename(L, 1));
    job_watch w = {.job = (json_int_t)lua_tointeger(L, 1)};
    double timeout = timeout_of(L, 2, "wait_job"), deadline = monotonic_now() + timeout;
    w.last = last_event_id(L);
    json_t **params = lua_json_box(L, json_pack("{s:I}", "id", w.job));
    json_t **job = lua_json_box(L, NULL);
    int breaks = 0;
    for (;;) {
        json_decref(*job);
        *job = NULL;
        *job = bindings_read(L, "wait_job", "job.get", *params, MAX_TRIES);
        if (ended(text(*job, "phase"))) break;
        double left = deadline - monotonic_now();
        if (left <= 0)
            script_raise(L, "wait_job", SCRIPT_TIMEOUT, NULL, 0,
                         "job %lld has not ended after %g s: it is %s", (long long)w.job, timeout,
                         text(*job, "phase"));
        char query[64];
        snprintf(query, sizeof(query), "after=%lld", (long long)w.last);
        follow(L, "wait_job", query, left, event_of_job, &w, &breaks);
    }
    lua_json_push(L, *job);
    return 1;
}
