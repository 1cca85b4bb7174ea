/* lua_json.c — Lua values as JSON and JSON as Lua values (see lua_json.h). */
#include "script/lua_json.h"

#include <lauxlib.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* Tables nested deeper than this are a cycle or no spec; refusing them
 * keeps the recursion bounded. */
#define MAX_DEPTH 64

/* The address is the value: one light userdata nothing else can make. */
static const char null_marker = 0;

void lua_json_push_null(lua_State *L)
{
    lua_pushlightuserdata(L, (void *)&null_marker);
}

int lua_json_is_null(lua_State *L, int idx)
{
    return lua_islightuserdata(L, idx) && lua_touserdata(L, idx) == &null_marker;
}

static int box_collect(lua_State *L)
{
    json_t **v = lua_touserdata(L, 1);
    json_decref(*v);
    *v = NULL;
    return 0;
}

json_t **lua_json_box(lua_State *L, json_t *v)
{
    json_t **box = lua_newuserdatauv(L, sizeof(*box), 0);
    *box = v;
    if (luaL_newmetatable(L, "tend.json")) {
        lua_pushcfunction(L, box_collect);
        lua_setfield(L, -2, "__gc");
    }
    lua_setmetatable(L, -2);
    return box;
}

static void name_of(char *out, size_t size, const char *path)
{
    if (*path)
        snprintf(out, size, "'%s'", path);
    else
        snprintf(out, size, "the value");
}

static json_t *from(lua_State *L, int idx, const char *path, int depth, char *err, size_t errlen);

/* How a table's keys read: as a list of n items, as an object, or wrong. */
typedef enum { SHAPE_LIST, SHAPE_OBJECT, SHAPE_MIXED, SHAPE_HOLES, SHAPE_ODD_KEY } table_shape;

static table_shape shape_of(lua_State *L, int idx, lua_Integer *n_items)
{
    lua_Integer ints = 0, max = 0;
    size_t strings = 0;
    bool odd = false;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        lua_pop(L, 1);
        if (lua_type(L, -1) == LUA_TSTRING) {
            strings++;
        } else if (lua_isinteger(L, -1) && lua_tointeger(L, -1) > 0) {
            lua_Integer k = lua_tointeger(L, -1);
            ints++;
            if (k > max) max = k;
        } else {
            odd = true;
        }
    }
    *n_items = max;
    if (odd) return SHAPE_ODD_KEY;
    if (ints && strings) return SHAPE_MIXED;
    if (strings) return SHAPE_OBJECT;
    return ints == max ? SHAPE_LIST : SHAPE_HOLES;
}

static json_t *from_list(lua_State *L, int idx, lua_Integer n, const char *path, int depth,
                         char *err, size_t errlen)
{
    json_t *a = json_array();
    for (lua_Integer i = 1; a && i <= n; i++) {
        char sub[512];
        snprintf(sub, sizeof(sub), "%s[%lld]", path, (long long)i);
        lua_rawgeti(L, idx, i);
        json_t *item = from(L, lua_gettop(L), sub, depth + 1, err, errlen);
        lua_pop(L, 1);
        if (!item || json_array_append_new(a, item) < 0) {
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

static json_t *from_object(lua_State *L, int idx, const char *path, int depth, char *err,
                           size_t errlen)
{
    json_t *o = json_object();
    lua_pushnil(L);
    while (o && lua_next(L, idx)) {
        const char *key = lua_tostring(L, -2); /* a string: shape_of said so */
        char sub[512];
        snprintf(sub, sizeof(sub), "%s%s%s", path, *path ? "." : "", key);
        json_t *v = from(L, lua_gettop(L), sub, depth + 1, err, errlen);
        lua_pop(L, 1);
        if (!v || json_object_set_new(o, key, v) < 0) {
            if (v) snprintf(err, errlen, "'%s' is not UTF-8 text", sub);
            lua_pop(L, 1); /* the key: the traversal ends here */
            json_decref(o);
            return NULL;
        }
    }
    return o;
}

static json_t *from_table(lua_State *L, int idx, const char *path, int depth, char *err,
                          size_t errlen)
{
    char name[512];
    name_of(name, sizeof(name), path);
    /* Each level holds a key and a value on Lua's stack. */
    if (depth > MAX_DEPTH || !lua_checkstack(L, 4)) {
        snprintf(err, errlen, "%s is nested too deep (a table that holds itself?)", name);
        return NULL;
    }
    lua_Integer n = 0;
    switch (shape_of(L, idx, &n)) {
    case SHAPE_LIST: return from_list(L, idx, n, path, depth, err, errlen);
    case SHAPE_OBJECT: return from_object(L, idx, path, depth, err, errlen);
    case SHAPE_MIXED:
        snprintf(err, errlen, "%s mixes list items and named keys", name);
        return NULL;
    case SHAPE_HOLES:
        snprintf(err, errlen, "%s is a list with holes (nil between its items)", name);
        return NULL;
    case SHAPE_ODD_KEY: break;
    }
    snprintf(err, errlen, "%s has a key that is neither a name nor a list index", name);
    return NULL;
}

static json_t *from_number(lua_State *L, int idx, const char *name, char *err, size_t errlen)
{
    if (lua_isinteger(L, idx)) return json_integer((json_int_t)lua_tointeger(L, idx));
    lua_Number x = lua_tonumber(L, idx);
    if (!isfinite(x)) {
        snprintf(err, errlen, "%s is not a finite number", name);
        return NULL;
    }
    /* 30.0 (what 60 / 2 gives in Lua) is the integer 30 to the API. */
    if (x == floor(x) && fabs(x) < 9007199254740992.0) return json_integer((json_int_t)x);
    return json_real(x);
}

static json_t *from(lua_State *L, int idx, const char *path, int depth, char *err, size_t errlen)
{
    char name[512];
    name_of(name, sizeof(name), path);
    switch (lua_type(L, idx)) {
    case LUA_TNIL: return json_null();
    case LUA_TBOOLEAN: return json_boolean(lua_toboolean(L, idx));
    case LUA_TNUMBER: return from_number(L, idx, name, err, errlen);
    case LUA_TSTRING: {
        size_t len;
        const char *s = lua_tolstring(L, idx, &len);
        json_t *j = json_stringn(s, len);
        if (!j) snprintf(err, errlen, "%s is not UTF-8 text", name);
        return j;
    }
    case LUA_TTABLE: return from_table(L, idx, path, depth, err, errlen);
    case LUA_TLIGHTUSERDATA:
        if (lua_json_is_null(L, idx)) return json_null();
        break;
    default: break;
    }
    snprintf(err, errlen, "%s is a %s, which has no JSON form", name, luaL_typename(L, idx));
    return NULL;
}

json_t *lua_json_from(lua_State *L, int idx, const char *path, char *err, size_t errlen)
{
    return from(L, lua_absindex(L, idx), path, 0, err, errlen);
}

void lua_json_push(lua_State *L, const json_t *v)
{
    luaL_checkstack(L, 4, "JSON nested too deep");
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        lua_createtable(L, 0, (int)json_object_size(v));
        const char *key;
        json_t *item;
        json_object_foreach((json_t *)v, key, item)
        {
            if (json_is_null(item)) continue; /* a nil field is an absent one */
            lua_json_push(L, item);
            lua_setfield(L, -2, key);
        }
        return;
    }
    case JSON_ARRAY: {
        lua_createtable(L, (int)json_array_size(v), 0);
        size_t i;
        json_t *item;
        json_array_foreach(v, i, item)
        {
            lua_json_push(L, item);
            lua_rawseti(L, -2, (lua_Integer)i + 1);
        }
        return;
    }
    case JSON_STRING: lua_pushlstring(L, json_string_value(v), json_string_length(v)); return;
    case JSON_INTEGER: lua_pushinteger(L, (lua_Integer)json_integer_value(v)); return;
    case JSON_REAL: lua_pushnumber(L, json_real_value(v)); return;
    case JSON_TRUE: lua_pushboolean(L, 1); return;
    case JSON_FALSE: lua_pushboolean(L, 0); return;
    case JSON_NULL: lua_json_push_null(L); return;
    }
}
