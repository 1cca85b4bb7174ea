/* bindings.h — the tend module: one Lua function per JSON-RPC method
 * (tend.service_start for service.start, ...), plus tend.wait,
 * tend.wait_job, tend.call,
 * tend.null and tend.bindings. Each binding is a thin layer over its one
 * method: Lua arguments become its params, its result comes back as Lua
 * values, its error is raised as a tend error (script_error.h).
 *
 * How arguments become params: the method's leading parameters may be
 * given in order (tend.service_start("web")), and a table after them
 * holds the rest by name (tend.service_start("web", {force = true}));
 * a single table holds them all by name (tend.service_start{name =
 * "web"}). The set methods also take one table with the name in it:
 * tend.action_set{name = "server", exec = {"/bin/server"}}. */
#ifndef TEND_SCRIPT_BINDINGS_H
#define TEND_SCRIPT_BINDINGS_H

#include <jansson.h>
#include <lua.h>

/* Pushes the tend module (a table). */
int bindings_open(lua_State *L);

/* Calls method with params (borrowed; NULL for none) for the binding
 * func: the result (a new reference), or a raised tend error (so params
 * had better be boxed: lua_json_box). */
json_t *bindings_call(lua_State *L, const char *func, const char *method, json_t *params);

/* The same for a call that changes nothing (a status, a job's row),
 * asked up to tries times while the daemon cannot be reached: a request
 * cut off by a restart of its main process is simply asked again. */
json_t *bindings_read(lua_State *L, const char *func, const char *method, json_t *params,
                      int tries);

#endif
