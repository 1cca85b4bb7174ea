/* script_error.h — the errors the tend module raises: a table with
 * `message`, `kind` ("argument", "rpc", "unreachable", "timeout",
 * "failed"), `code` (the JSON-RPC error code, for "rpc"), `method` (the
 * RPC method, if one was called), `func` (tend.FUNC) and `where` (the
 * script's FILE:LINE). tostring() of it reads "FILE:LINE: FUNC: message",
 * and pcall catches it like any Lua error. */
#ifndef TEND_SCRIPT_SCRIPT_ERROR_H
#define TEND_SCRIPT_SCRIPT_ERROR_H

#include <lua.h>

typedef enum {
    SCRIPT_ARGUMENT,    /* the script passed something wrong */
    SCRIPT_RPC,         /* the daemon answered with an error */
    SCRIPT_UNREACHABLE, /* no daemon answered */
    SCRIPT_TIMEOUT,     /* a wait ran out of time */
    SCRIPT_FAILED,      /* what was waited for cannot come any more */
} script_error_kind;

/* Sets up the error's metatable in L's registry (once per state). */
void script_error_setup(lua_State *L);

/* Raises an error of func ("service_start"); method is the RPC method
 * or NULL, code the RPC's error code (0: none). Does not return. */
int script_raise(lua_State *L, const char *func, script_error_kind kind, const char *method,
                 int code, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* The kind of the tend error at idx, or -1 for any other value. */
int script_error_kind_at(lua_State *L, int idx);

#endif
