/* job_env.c — a job's environment: the daemon's for its own user, a clean
 * one for another (see job_env.h). */
#include "daemon/job_env.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/job_umask.h"
#include "base/strv.h"

extern char **environ;

static size_t key_len(const char *entry)
{
    const char *eq = strchr(entry, '=');
    return eq ? (size_t)(eq - entry) : strlen(entry);
}

static bool sets_key(char *const *entries, const char *key, size_t klen)
{
    for (size_t k = 0; entries && entries[k]; k++)
        if (strncmp(entries[k], key, klen) == 0 && entries[k][klen] == '=') return true;
    return false;
}

static bool is_key(const char *entry, const char *key)
{
    size_t n = strlen(key);
    return strncmp(entry, key, n) == 0 && entry[n] == '=';
}

/* What another user's job takes from the daemon's environment. */
static bool passed_to_others(const char *entry)
{
    return is_key(entry, "PATH") || is_key(entry, "LANG") || is_key(entry, "TZ");
}

/* The user's identity, replacing the daemon's. */
static bool is_identity(const char *entry, bool with_shell)
{
    return is_key(entry, "HOME") || is_key(entry, "USER") || is_key(entry, "LOGNAME") ||
           (with_shell && is_key(entry, "SHELL"));
}

static void push_format(char ***env, const char *key, const char *value)
{
    char *entry = NULL;
    if (asprintf(&entry, "%s=%s", key, value) >= 0) strv_push_take(env, entry);
}

char **job_env(const struct passwd *user, char *const *declared, char *const *extra)
{
    bool other = user && user->pw_uid != geteuid();
    char **env = calloc(1, sizeof(*env));
    if (!env) return NULL;
    bool has_path = false;
    for (size_t i = 0; environ && environ[i]; i++) {
        const char *e = environ[i];
        size_t klen = key_len(e);
        /* Internal to the daemon's processes (job_umask.h). */
        if (is_key(e, JOB_UMASK_ENV)) continue;
        if (other && !passed_to_others(e)) continue;
        if (user && is_identity(e, other)) continue;
        if (sets_key(declared, e, klen) || sets_key(extra, e, klen)) continue;
        has_path = has_path || is_key(e, "PATH");
        strv_push(&env, e);
    }
    if (other && !has_path && !sets_key(declared, "PATH", 4) && !sets_key(extra, "PATH", 4))
        push_format(&env, "PATH", JOB_ENV_DEFAULT_PATH);
    if (user) {
        push_format(&env, "HOME", user->pw_dir);
        push_format(&env, "USER", user->pw_name);
        push_format(&env, "LOGNAME", user->pw_name);
        if (other)
            push_format(&env, "SHELL",
                        user->pw_shell && *user->pw_shell ? user->pw_shell : "/bin/sh");
    }
    /* Declared entries over the identity: an action may set its HOME. */
    for (size_t k = 0; declared && declared[k]; k++) {
        size_t klen = key_len(declared[k]);
        if (sets_key(extra, declared[k], klen)) continue;
        for (size_t i = 0; env[i]; i++)
            if (strncmp(env[i], declared[k], klen) == 0 && env[i][klen] == '=') {
                free(env[i]);
                memmove(&env[i], &env[i + 1], (strv_len(env) - i) * sizeof(*env));
                break;
            }
        strv_push(&env, declared[k]);
    }
    for (size_t k = 0; extra && extra[k]; k++) strv_push(&env, extra[k]);
    return env;
}
