/* script_error.c — the tend module's error values (see script_error.h). */
#include "script/script_error.h"

#include <lauxlib.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define METATABLE "tend.error"

static const char *const kind_names[] = {"argument", "rpc", "unreachable", "timeout", "failed"};

static int error_tostring(lua_State *L)
{
    lua_getfield(L, 1, "where");
    lua_getfield(L, 1, "func");
    lua_getfield(L, 1, "message");
    const char *where = lua_tostring(L, -3), *func = lua_tostring(L, -2);
    lua_pushfstring(L, "%s%s%s%s%s", where && *where ? where : "", where && *where ? ": " : "",
                    func ? func : "", func ? ": " : "", luaL_optstring(L, -1, "?"));
    return 1;
}

void script_error_setup(lua_State *L)
{
    if (luaL_newmetatable(L, METATABLE)) {
        lua_pushcfunction(L, error_tostring);
        lua_setfield(L, -2, "__tostring");
    }
    lua_pop(L, 1);
}

/* FILE:LINE of the innermost Lua function on the stack: the script's
 * line that called tend (through pcall too, which is a C function). */
static void push_where(lua_State *L)
{
    lua_Debug ar;
    for (int level = 1; lua_getstack(L, level, &ar); level++) {
        if (!lua_getinfo(L, "Sl", &ar) || ar.currentline <= 0) continue;
        lua_pushfstring(L, "%s:%d", ar.short_src, ar.currentline);
        return;
    }
    lua_pushliteral(L, "");
}

int script_raise(lua_State *L, const char *func, script_error_kind kind, const char *method,
                 int code, const char *fmt, ...)
{
    char message[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof(message), fmt, ap);
    va_end(ap);
    lua_createtable(L, 0, 6);
    lua_pushstring(L, message);
    lua_setfield(L, -2, "message");
    lua_pushstring(L, kind_names[kind]);
    lua_setfield(L, -2, "kind");
    if (code) {
        lua_pushinteger(L, code);
        lua_setfield(L, -2, "code");
    }
    if (method) {
        lua_pushstring(L, method);
        lua_setfield(L, -2, "method");
    }
    lua_pushstring(L, func);
    lua_setfield(L, -2, "func");
    push_where(L);
    lua_setfield(L, -2, "where");
    luaL_setmetatable(L, METATABLE);
    return lua_error(L);
}

int script_error_kind_at(lua_State *L, int idx)
{
    idx = lua_absindex(L, idx);
    if (!lua_istable(L, idx) || !lua_getmetatable(L, idx)) return -1;
    luaL_getmetatable(L, METATABLE);
    int ours = lua_rawequal(L, -1, -2);
    lua_pop(L, 2);
    if (!ours) return -1;
    lua_getfield(L, idx, "kind");
    const char *kind = lua_tostring(L, -1);
    int found = -1;
    for (int i = 0; kind && i < (int)(sizeof(kind_names) / sizeof(kind_names[0])); i++)
        if (strcmp(kind, kind_names[i]) == 0) found = i;
    lua_pop(L, 1);
    return found;
}
