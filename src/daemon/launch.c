/* launch.c — an action spec as a process request: argv by interpreter (never a
 * string handed to a shell unless the action's own interpreter is one),
 * its environment (job_env.h: the action's env and then its env files on
 * top, read now, at each start), its user and cwd, and how it is confined
 * (no_new_privileges, umask, limits). The environment may hold secrets:
 * it is wiped when freed, here and in the process layer.
 *
 * A tend-lua job runs the tend-lua next to this daemon's own binary and
 * must reach this daemon and no other: its environment names the daemon
 * the way tend-lua looks for one (TEND_HOME, else the default paths),
 * whatever its env says, and forbids an autostart. */
#include "daemon/launch.h"

#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/strv.h"
#include "config/envfile.h"
#include "daemon/env_files.h"
#include "daemon/job_env.h"

extern char **environ;

/* What a tend-lua job is launched with, found once (launch_init). */
static struct {
    bool found;
    char program[PATH_MAX + 16]; /* DIR/tend-lua, DIR this daemon's binary's folder */
    char home[PATH_MAX];         /* the daemon's TEND_HOME, absolute; "" without one */
} own;

void launch_init(void)
{
    if (own.found) return;
    own.found = true;
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    char *slash = NULL;
    if (n > 0) {
        self[n] = '\0';
        /* A binary replaced since (a rebuild): the path names the new one. */
        char *deleted = strstr(self, " (deleted)");
        if (deleted && deleted[10] == '\0') *deleted = '\0';
        slash = strrchr(self, '/');
    }
    if (slash)
        snprintf(own.program, sizeof(own.program), "%.*s/tend-lua", (int)(slash - self), self);
    else
        snprintf(own.program, sizeof(own.program), "tend-lua"); /* then from PATH */
    const char *home = getenv("TEND_HOME");
    if (home && *home) {
        char *absolute = realpath(home, NULL);
        snprintf(own.home, sizeof(own.home), "%s", absolute ? absolute : home);
        free(absolute);
    }
}

const char *launch_tend_lua_program(void)
{
    launch_init();
    return own.program;
}

static bool is_tend_lua(const action_spec *a)
{
    return a->script && a->interpreter && strcmp(a->interpreter, "tend-lua") == 0;
}

const char *action_program(const action_spec *a)
{
    if (a->exec) return a->exec[0];
    return is_tend_lua(a) ? launch_tend_lua_program() : a->interpreter;
}

/* The inline-code flag of each script interpreter. */
static const char *code_flag(const char *interpreter)
{
    static const struct {
        const char *name, *flag;
    } table[] = {
        {"sh", "-c"},   {"bash", "-c"}, {"python3", "-c"}, {"node", "-e"},
        {"perl", "-e"}, {"nu", "-c"},   {"lua", "-e"},     {"tend-lua", "-e"},
    };
    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
        if (strcmp(table[i].name, interpreter) == 0) return table[i].flag;
    return NULL;
}

char **action_argv(const action_spec *a)
{
    char **argv = NULL;
    if (a->exec) {
        argv = strv_copy(a->exec);
    } else {
        const char *flag = code_flag(a->interpreter);
        if (!flag) return NULL;
        strv_push(&argv, action_program(a));
        strv_push(&argv, flag);
        strv_push(&argv, a->script);
        /* sh -c takes $0 next; name it after the action, as error messages show it. */
        if (strcmp(a->interpreter, "sh") == 0 || strcmp(a->interpreter, "bash") == 0)
            strv_push(&argv, a->name);
    }
    for (size_t i = 0; argv && a->args && a->args[i]; i++) strv_push(&argv, a->args[i]);
    return argv;
}

/* Who name is: req's uid, gid and supplementary groups, and *user (whose
 * strings live in buf). */
static int identity(const char *name, struct passwd *pw, char *buf, size_t size,
                    struct passwd **user, proc_request *req, char *err, size_t errlen)
{
    if (getpwnam_r(name, pw, buf, size, user) != 0 || !*user) {
        snprintf(err, errlen, "no such user: %s", name);
        return -ESRCH;
    }
    int n_groups = 256;
    gid_t *groups = calloc((size_t)n_groups, sizeof(*groups));
    if (!groups || getgrouplist((*user)->pw_name, (*user)->pw_gid, groups, &n_groups) < 0)
        n_groups = 0;
    req->groups = groups;
    req->n_groups = (size_t)n_groups;
    req->uid = (*user)->pw_uid;
    req->gid = (*user)->pw_gid;
    return 0;
}

int launch_user(const char *name, proc_request *req, char *err, size_t errlen)
{
    struct passwd pw, *user = NULL;
    char buf[4096];
    int rc = identity(name, &pw, buf, sizeof(buf), &user, req, err, errlen);
    if (rc < 0) return rc;
    /* The environment follows the user, as a job's does. */
    char **env = job_env(user, NULL, NULL);
    if (!env) {
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    strv_free_wiped(req->env);
    req->env = env;
    return 0;
}

/* Whether env has an entry for key that is not empty. */
static bool env_has(char *const *env, const char *key)
{
    size_t n = strlen(key);
    for (size_t i = 0; env && env[i]; i++)
        if (strncmp(env[i], key, n) == 0 && env[i][n] == '=' && env[i][n + 1]) return true;
    return false;
}

static void push_entry(char ***env, const char *key, const char *value)
{
    char *entry = NULL;
    if (asprintf(&entry, "%s=%s", key, value ? value : "") >= 0) strv_push_take(env, entry);
}

/* extra (NULL or entries), and over it what makes a tend-lua job reach
 * this daemon: tend-lua finds the socket by TEND_HOME, else by the
 * default paths (XDG_RUNTIME_DIR for a user), and goes elsewhere with
 * TEND_HOST. Its env (declared) may not point it elsewhere: an empty
 * value is none to tend-lua. A job of the daemon's own user (the registry
 * allows no other) inherits the daemon's own values. */
static char **tend_lua_env(char *const *declared, char *const *extra)
{
    char **env = strv_copy(extra);
    if (!env) return NULL;
    push_entry(&env, "TEND_NO_AUTOSTART", "1");
    if (own.home[0])
        push_entry(&env, "TEND_HOME", own.home); /* absolute: its cwd is its own */
    else if (env_has(declared, "TEND_HOME"))
        push_entry(&env, "TEND_HOME", "");
    if (!own.home[0] && geteuid() != 0 && env_has(declared, "XDG_RUNTIME_DIR"))
        push_entry(&env, "XDG_RUNTIME_DIR", getenv("XDG_RUNTIME_DIR"));
    if (env_has(declared, "TEND_HOST") || env_has(environ, "TEND_HOST"))
        push_entry(&env, "TEND_HOST", "");
    return env;
}

/* The action's env with its env files' entries over it. */
static int declared_env(const action_spec *a, char ***out, char *err, size_t errlen)
{
    char **env = strv_copy(a->env);
    if (!env) {
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    int rc = env_files_read(a->env_files, &env, err, errlen);
    if (rc < 0) {
        strv_free_wiped(env);
        return rc;
    }
    *out = env;
    return 0;
}

int launch_request(const action_spec *a, char *const *extra_env, proc_request *req, char *err,
                   size_t errlen)
{
    struct passwd pw, *user = NULL;
    char pwbuf[4096];
    *req = (proc_request){.uid = (uid_t)-1, .gid = (gid_t)-1, .stdout_fd = -1, .stderr_fd = -1};
    if (a->script && strcmp(a->interpreter, "lua") == 0 && a->args && a->args[0]) {
        snprintf(err, errlen, "lua -e scripts take no args");
        return -EINVAL;
    }
    int rc = a->user ? identity(a->user, &pw, pwbuf, sizeof(pwbuf), &user, req, err, errlen) : 0;
    char **declared = NULL;
    if (rc == 0) rc = declared_env(a, &declared, err, errlen);
    if (rc < 0) {
        launch_request_free(req);
        return rc;
    }
    req->argv = action_argv(a);
    if (is_tend_lua(a)) {
        launch_init();
        char **extra = tend_lua_env(declared, extra_env);
        req->env = extra ? job_env(user, declared, extra) : NULL;
        strv_free(extra);
    } else {
        req->env = job_env(user, declared, extra_env);
    }
    strv_free_wiped(declared);
    req->cwd = a->cwd ? strdup(a->cwd) : NULL;
    req->no_new_privs = a->no_new_privileges;
    req->has_umask = a->umask >= 0;
    req->umask = a->umask >= 0 ? (mode_t)a->umask : 0;
    if (a->n_limits) {
        req->limits = malloc(a->n_limits * sizeof(*req->limits));
        if (req->limits) memcpy(req->limits, a->limits, a->n_limits * sizeof(*req->limits));
        req->n_limits = req->limits ? a->n_limits : 0;
    }
    if (!req->argv || !req->env || (a->cwd && !req->cwd) || (a->n_limits && !req->limits)) {
        launch_request_free(req);
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    return 0;
}

void launch_request_free(proc_request *req)
{
    strv_free(req->argv);
    strv_free_wiped(req->env);
    free(req->cwd);
    free(req->groups);
    free(req->limits);
    *req = (proc_request){0};
}
