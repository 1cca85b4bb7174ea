/* lua_json.h — Lua values as JSON and JSON as Lua values, for the tend
 * module (src/script). A table whose keys are 1..n is a list, one whose
 * keys are strings is an object; an empty table is an empty list (leave
 * an empty map out instead). JSON null is tend.null inside a list and
 * leaves the key out of a table. */
#ifndef TEND_SCRIPT_LUA_JSON_H
#define TEND_SCRIPT_LUA_JSON_H

#include <jansson.h>
#include <lua.h>
#include <stddef.h>

/* The value at idx as JSON (a new reference), or NULL with err saying
 * what is wrong and where: "'dependencies' mixes list items and named
 * keys". path names the value in that message ("" for none). */
json_t *lua_json_from(lua_State *L, int idx, const char *path, char *err, size_t errlen);

/* Pushes v (borrowed) as a Lua value. */
void lua_json_push(lua_State *L, const json_t *v);

/* Pushes a box that owns v (a reference) until Lua collects it, and
 * returns where v is kept: JSON built or received during a call is
 * freed even when a Lua error cuts the call short. */
json_t **lua_json_box(lua_State *L, json_t *v);

/* Pushes tend.null, the one value that stands for JSON null in a list. */
void lua_json_push_null(lua_State *L);
/* Whether the value at idx is tend.null. */
int lua_json_is_null(lua_State *L, int idx);

#endif
