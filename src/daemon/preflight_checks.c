/* preflight_checks.c — single pre-flight checks (see preflight_checks.h). */
#include "daemon/preflight_checks.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/perm.h"
#include "base/strv.h"
#include "daemon/env_files.h"

bool preflight_add(json_t *checks, const char *check, bool ok, const char *fmt, ...)
{
    char message[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof(message), fmt, ap);
    va_end(ap);
    json_array_append_new(
        checks, json_pack("{s:s, s:b, s:s}", "check", check, "ok", ok, "message", message));
    return ok;
}

/* The PATH an action's process gets: its own env's, else the daemon's. */
static const char *search_path(const action_spec *a)
{
    for (size_t i = 0; a && a->env && a->env[i]; i++)
        if (strncmp(a->env[i], "PATH=", 5) == 0) return a->env[i] + 5;
    const char *path = getenv("PATH");
    return path ? path : "/usr/local/bin:/usr/bin:/bin";
}

/* Who the action runs as; false if its user does not exist. groups has
 * room for max entries. */
static bool action_identity(const action_spec *a, perm_identity *id, gid_t *groups, int max)
{
    *id = PERM_DAEMON;
    if (!a->user) return true;
    struct passwd pw, *user = NULL;
    char buf[4096];
    if (getpwnam_r(a->user, &pw, buf, sizeof(buf), &user) != 0 || !user) return false;
    int n = max;
    if (getgrouplist(user->pw_name, user->pw_gid, groups, &n) < 0) n = 0;
    *id = (perm_identity){
        .uid = user->pw_uid, .gid = user->pw_gid, .groups = groups, .n_groups = (size_t)n};
    return true;
}

static bool check_program(json_t *checks, const action_spec *a)
{
    const char *program = a->exec ? a->exec[0] : a->interpreter;
    char found[1024];
    gid_t groups[256];
    perm_identity id;
    if (!action_identity(a, &id, groups, 256)) return true; /* the user check says it */
    const char *as = a->user ? " for user " : "", *who = a->user ? a->user : "";
    if (perm_find_program(program, search_path(a), &id, found, sizeof(found)))
        return preflight_add(checks, "binary", true, "Binary found: %s", found);
    if (strchr(program, '/')) {
        struct stat st;
        if (stat(program, &st) == 0)
            return preflight_add(checks, "binary", false, "Binary is not executable%s%s: %s", as,
                                 who, program);
        return preflight_add(checks, "binary", false, "Binary not found: %s", program);
    }
    return preflight_add(checks, "binary", false, "Binary not found in PATH%s%s: %s", as, who,
                         program);
}

bool preflight_check_user(json_t *checks, const char *name, const char *what)
{
    struct passwd pw, *user = NULL;
    char buf[4096];
    if (getpwnam_r(name, &pw, buf, sizeof(buf), &user) == 0 && user)
        return preflight_add(checks, "user", true, "User exists: %s%s", name, what);
    return preflight_add(checks, "user", false, "No such user: %s%s", name, what);
}

/* The file is there (unless optional) and reads as an env file; what it
 * holds is wiped at once and never said. */
static bool check_env_file(json_t *checks, const char *file)
{
    char *const one[] = {(char *)file, NULL};
    char **env = NULL, err[600];
    const char *path = file + (file[0] == '-');
    int rc = env_files_read(one, &env, err, sizeof(err));
    strv_free_wiped(env);
    if (rc == -ENOENT)
        return preflight_add(checks, "env_file", false, "Env file not found: %s", path);
    if (rc < 0) return preflight_add(checks, "env_file", false, "%s", err);
    if (file[0] == '-' && access(path, F_OK) != 0)
        return preflight_add(checks, "env_file", true, "Optional env file absent: %s", path);
    return preflight_add(checks, "env_file", true, "Env file readable: %s", path);
}

bool preflight_check_action(json_t *checks, const action_spec *a)
{
    bool ok = check_program(checks, a);
    if (a->cwd) {
        struct stat st;
        if (stat(a->cwd, &st) == 0 && S_ISDIR(st.st_mode))
            preflight_add(checks, "working_dir", true, "Working directory exists: %s", a->cwd);
        else
            ok = preflight_add(checks, "working_dir", false, "Working directory not found: %s",
                               a->cwd);
    }
    if (a->user) ok &= preflight_check_user(checks, a->user, "");
    for (size_t i = 0; a->env_files && a->env_files[i]; i++)
        ok &= check_env_file(checks, a->env_files[i]);
    return ok;
}


const char *preflight_find_cli(const char *const *names, char *found, size_t size)
{
    for (size_t i = 0; names[i]; i++)
        if (perm_find_program(names[i], search_path(NULL), &PERM_DAEMON, found, size))
            return names[i];
    return NULL;
}
