/* script_main.c — tend-lua, the program that runs workflow scripts:
 *
 *   tend-lua FILE.lua [ARGS...]     (what `tend script FILE.lua` runs)
 *   tend-lua -e CODE [ARGS...]      (an action's inline script)
 *
 * The script gets Lua 5.4's standard libraries, the tend module (global
 * `tend`, and require("tend")), ARGS in `arg` (arg[0] is the script) and
 * as `...`. It reaches the daemon as the CLI does: the local socket, or
 * the daemon named by TEND_HOST (`tend --host URL script ...` sets it).
 * Exit status: 0 the script returned, 1 an error nobody caught (printed
 * once, with its traceback), 2 usage, 3 no daemon answered. */
#include <lauxlib.h>
#include <lualib.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/api_client.h"
#include "cli/api_remote.h"
#include "script/bindings.h"
#include "script/script_error.h"

enum { EXIT_OK = 0, EXIT_ERROR = 1, EXIT_USAGE = 2, EXIT_UNREACHABLE = 3 };

static const char usage[] = "usage: tend script FILE.lua [ARGS...]\n"
                            "       tend-lua FILE.lua [ARGS...] | tend-lua -e CODE [ARGS...]\n";

/* The kind of the error the message handler last saw (script_error.h). */
static int uncaught_kind = -1;

/* The uncaught error, as text with the traceback where it happened. */
static int message_handler(lua_State *L)
{
    uncaught_kind = script_error_kind_at(L, 1);
    const char *text = luaL_tolstring(L, 1, NULL); /* __tostring for a tend error */
    luaL_traceback(L, L, text, 1);
    return 1;
}

/* arg = {[0] = script, ARGS...}, and ARGS pushed for the chunk. */
static void set_args(lua_State *L, const char *script, char **args, int n)
{
    lua_createtable(L, n, 1);
    lua_pushstring(L, script);
    lua_rawseti(L, -2, 0);
    for (int i = 0; i < n; i++) {
        lua_pushstring(L, args[i]);
        lua_rawseti(L, -2, i + 1);
    }
    lua_setglobal(L, "arg");
}

static int open_tend(lua_State *L)
{
    return bindings_open(L);
}

/* The tend binary next to this one: the daemon an autostart runs. */
static void name_daemon_program(char *out, size_t size)
{
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (n <= 0) return;
    self[n] = 0;
    char *slash = strrchr(self, '/');
    if (!slash) return;
    snprintf(out, size, "%.*s/tend", (int)(slash - self), self);
    api_set_daemon_program(out);
}

int main(int argc, char **argv)
{
    static char daemon_program[4200];
    if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
        fputs(usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? EXIT_USAGE : EXIT_OK;
    }
    bool inline_code = strcmp(argv[1], "-e") == 0;
    if (inline_code && argc < 3) {
        fputs(usage, stderr);
        return EXIT_USAGE;
    }
    char why[600];
    api_remote_options none = {0};
    if (api_remote_configure(&none, why, sizeof(why)) < 0) {
        fprintf(stderr, "tend script: %s\n", why);
        return EXIT_USAGE;
    }
    name_daemon_program(daemon_program, sizeof(daemon_program));
    const char *script = inline_code ? "-e" : argv[1];
    char **args = argv + (inline_code ? 3 : 2);
    int n_args = argc - (inline_code ? 3 : 2);

    lua_State *L = luaL_newstate();
    if (!L) {
        fputs("tend script: out of memory\n", stderr);
        return EXIT_ERROR;
    }
    luaL_openlibs(L);
    luaL_requiref(L, "tend", open_tend, 1); /* package.loaded.tend, and the global */
    lua_pop(L, 1);
    set_args(L, script, args, n_args);

    lua_pushcfunction(L, message_handler);
    int loaded = inline_code ? luaL_loadbufferx(L, argv[2], strlen(argv[2]), "=(-e)", "t")
                             : luaL_loadfilex(L, script, "t");
    if (loaded != LUA_OK) {
        /* A file that cannot be read is the command line's fault; a
         * syntax error is the script's. */
        fprintf(stderr, "tend script: %s\n", lua_tostring(L, -1));
        lua_close(L);
        return loaded == LUA_ERRFILE ? EXIT_USAGE : EXIT_ERROR;
    }
    for (int i = 0; i < n_args; i++) lua_pushstring(L, args[i]);
    int rc = EXIT_OK;
    if (lua_pcall(L, n_args, 0, 1) != LUA_OK) {
        fprintf(stderr, "tend script: %s\n", lua_tostring(L, -1));
        rc = uncaught_kind == SCRIPT_UNREACHABLE ? EXIT_UNREACHABLE : EXIT_ERROR;
    }
    lua_close(L);
    return rc;
}
