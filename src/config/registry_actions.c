/* registry_actions.c — [actions.NAME] tables into action specs. */
#include "config/registry_internal.h"

#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/signame.h"
#include "base/strv.h"
#include "config/registry_confine.h"

static const char *const action_keys[] = {
    "description",
    "interpreter",
    "exec",
    "script",
    "args",
    "env",
    "env_file",
    "cwd",
    "user",
    "kind",
    "timeout",
    "retry",
    "stop_signal",
    "stop_timeout",
    "depends_on",
    "ready",
    "no_new_privileges",
    "umask",
    "limits",
    NULL,
};
static const char *const retry_keys[] = {"max_attempts", "delay", "backoff", NULL};
static const char *const depends_keys[] = {"requires", "after", NULL};
static const char *const kind_names[] = {"process", "oneshot", NULL};
/* Index 1 is ready_notify. */
static const char *const ready_names[] = {"started", "notify", NULL};

/* Interpreters a script can name; "exec" runs the exec argv directly;
 * "tend-lua" is tend's own (the tend module, talking to this daemon). */
static const char *const interpreters[] = {"exec", "sh",   "bash", "python3",  "lua",
                                           "node", "perl", "nu",   "tend-lua", NULL};

#define DAY (24.0 * 3600.0)

process_keys process_keys_default(void)
{
    return (process_keys){.stop_signal = SIGTERM, .stop_timeout = 10.0, .umask = -1};
}

void process_keys_clear(process_keys *k)
{
    free(k->user);
    strv_free(k->env_files);
    free(k->limits);
    *k = process_keys_default();
}

static action_spec *action_new(const char *name)
{
    action_spec *a = calloc(1, sizeof(*a));
    if (!a) return NULL;
    a->name = strdup(name);
    a->kind = ACTION_PROCESS;
    a->retry = (retry_policy){.max_attempts = 1, .delay = 1.0, .backoff = 2.0};
    process_keys k = process_keys_default();
    a->stop_signal = k.stop_signal;
    a->stop_timeout = k.stop_timeout;
    a->umask = k.umask;
    if (!a->name) {
        free(a);
        return NULL;
    }
    return a;
}

static void read_stop_signal(reader *rd, const toml_value *t, const char *path, process_keys *a)
{
    const toml_value *v = toml_get(t, "stop_signal");
    if (!v) return;
    int sig = -1;
    if (v->type == TOML_STRING)
        sig = signal_from_name(v->u.string.ptr);
    else if (v->type == TOML_INTEGER && v->u.integer >= 1 && v->u.integer <= 64)
        sig = (int)v->u.integer;
    if (sig < 0 || sig == SIGKILL || sig == SIGSTOP) {
        read_error(rd, v->pos,
                   "'%s.stop_signal': expected a signal name such as \"SIGTERM\" or \"INT\" "
                   "(SIGKILL comes anyway after stop_timeout)",
                   path);
        return;
    }
    a->stop_signal = sig;
}

static void read_retry(reader *rd, const toml_value *t, const char *path, action_spec *a)
{
    const toml_value *retry = NULL;
    if (read_table(rd, t, path, "retry", &retry) != READ_OK) return;
    char rpath[512];
    key_path(rpath, sizeof(rpath), path, "retry");
    read_check_keys(rd, retry, rpath, retry_keys);
    read_int(rd, retry, rpath, "max_attempts", 1, 1000000, &a->retry.max_attempts);
    read_seconds(rd, retry, rpath, "delay", DAY, &a->retry.delay);
    double backoff = a->retry.backoff;
    if (read_seconds(rd, retry, rpath, "backoff", 100, &backoff) == READ_OK) {
        if (backoff < 1.0)
            read_error(rd, toml_get(retry, "backoff")->pos,
                       "'%s.backoff': expected a multiplier of at least 1", rpath);
        else
            a->retry.backoff = backoff;
    }
}

static void read_depends_on(reader *rd, const toml_value *t, const char *path, action_spec *a)
{
    const toml_value *deps = NULL;
    if (read_table(rd, t, path, "depends_on", &deps) != READ_OK) return;
    char dpath[512];
    key_path(dpath, sizeof(dpath), path, "depends_on");
    read_check_keys(rd, deps, dpath, depends_keys);
    read_strv(rd, deps, dpath, "requires", false, &a->requires);
    read_strv(rd, deps, dpath, "after", false, &a->after);
}

/* folder/file with "." and ".." steps resolved by their names (the files
 * need not exist yet); NULL when out of memory. */
static char *join_clean(const char *folder, const char *file)
{
    char *joined = NULL;
    if (asprintf(&joined, "%s/%s", folder, file) < 0) return NULL;
    char *out = joined; /* written in place: the result is never longer */
    size_t len = 0;
    for (char *p = joined; *p;) {
        while (*p == '/') p++;
        size_t n = strcspn(p, "/");
        if (n == 0) break;
        if (n == 1 && p[0] == '.') {
            /* nothing */
        } else if (n == 2 && p[0] == '.' && p[1] == '.') {
            while (len > 0 && out[len - 1] != '/') len--;
            if (len > 0) len--;
        } else {
            out[len++] = '/';
            memmove(out + len, p, n);
            len += n;
        }
        p += n;
    }
    if (len == 0) out[len++] = '/';
    out[len] = '\0';
    return out;
}

/* One env_file entry as it is kept: "-" if optional, then an absolute
 * path (a relative one is taken from the registry file's folder). */
static void push_env_file(reader *rd, const toml_value *v, const char *where, const char *given,
                          char ***out)
{
    bool optional = given[0] == '-';
    const char *file = given + optional;
    if (!file[0]) {
        read_error(rd, v->pos, "'%s': expected the path of a file", where);
        return;
    }
    char *entry = NULL, *full = registry_absolute_path(rd, v->pos, where, file);
    if (!full) return;
    if (asprintf(&entry, "%s%s", optional ? "-" : "", full) < 0 || strv_push_take(out, entry) < 0)
        rd->diags->alloc_failed = 1;
    free(full);
}

char *registry_absolute_path(reader *rd, toml_pos pos, const char *where, const char *given)
{
    if (given[0] != '/' && !rd->base_dir) {
        read_error(rd, pos,
                   "'%s': \"%s\" is a relative path, and this registry has no file it would be "
                   "relative to; give an absolute path",
                   where, given);
        return NULL;
    }
    char *full = given[0] == '/' ? strdup(given) : join_clean(rd->base_dir, given);
    if (!full) rd->diags->alloc_failed = 1;
    return full;
}

/* env_file: a path or a list of paths (read at each start, in order). */
static void read_env_files(reader *rd, const toml_value *t, const char *path, char ***out)
{
    const toml_value *v = toml_get(t, "env_file");
    if (!v) return;
    char where[600];
    key_path(where, sizeof(where), path, "env_file");
    char **given = NULL, *one = NULL;
    if (v->type == TOML_ARRAY) {
        if (read_strv(rd, t, path, "env_file", true, &given) != READ_OK) return;
    } else if (v->type == TOML_STRING) {
        if (read_string(rd, t, path, "env_file", true, &one) != READ_OK) return;
        strv_push_take(&given, one);
    } else {
        read_error(rd, v->pos, "'%s': expected a path or an array of paths, found %s", where,
                   toml_type_name(v->type));
        return;
    }
    char **files = calloc(1, sizeof(*files));
    if (!files) rd->diags->alloc_failed = 1;
    for (size_t i = 0; files && given && given[i]; i++) {
        const toml_value *item = v->type == TOML_ARRAY ? v->u.array.items[i] : v;
        push_env_file(rd, item, where, given[i], &files);
    }
    strv_free(given);
    strv_free(*out);
    *out = files;
}

void read_process_keys(reader *rd, const toml_value *t, const char *path, process_keys *k)
{
    read_string(rd, t, path, "user", true, &k->user);
    read_env_files(rd, t, path, &k->env_files);
    int ready = 0;
    if (read_choice(rd, t, path, "ready", ready_names, &ready) == READ_OK)
        k->ready_notify = ready == 1;
    read_seconds(rd, t, path, "timeout", 365 * DAY, &k->timeout);
    read_stop_keys(rd, t, path, k);
    read_confinement(rd, t, path, k);
}

void read_stop_keys(reader *rd, const toml_value *t, const char *path, process_keys *k)
{
    read_stop_signal(rd, t, path, k);
    read_seconds(rd, t, path, "stop_timeout", DAY, &k->stop_timeout);
}

/* exec argv or script + interpreter: exactly one way to run. */
static void read_command(reader *rd, const toml_value *t, const char *path, action_spec *a)
{
    const toml_value *exec = toml_get(t, "exec"), *script = toml_get(t, "script");
    int which = 0;
    read_choice(rd, t, path, "interpreter", interpreters, &which);
    if (exec && script) {
        read_error(rd, script->pos, "'%s': give either 'exec' (a command) or 'script', not both",
                   path);
        return;
    }
    if (!exec && !script) {
        read_error(rd, t->pos, "'%s' has nothing to run: add 'exec' (a command) or 'script'", path);
        return;
    }
    const toml_value *interp = toml_get(t, "interpreter");
    if (exec) {
        if (read_strv(rd, t, path, "exec", true, &a->exec) == READ_OK && !a->exec[0])
            read_error(rd, exec->pos, "'%s.exec': the command cannot be empty", path);
        if (interp && which != 0)
            read_error(rd, interp->pos,
                       "'%s.interpreter': \"%s\" runs a 'script'; 'exec' runs a command directly",
                       path, interpreters[which]);
        a->interpreter = strdup("exec");
    } else {
        /* Scripts are passed verbatim: "${x}" in them belongs to the interpreter. */
        read_string(rd, t, path, "script", false, &a->script);
        if (interp && which == 0)
            read_error(rd, interp->pos,
                       "'%s.interpreter': \"exec\" runs 'exec', not a 'script'; "
                       "name the script's interpreter, e.g. \"sh\"",
                       path);
        a->interpreter = strdup(interp && which ? interpreters[which] : "sh");
    }
}

/* k's values into a, which takes what k owns. */
static void take_process_keys(action_spec *a, process_keys *k)
{
    a->user = k->user;
    a->env_files = k->env_files;
    a->ready_notify = k->ready_notify;
    a->timeout = k->timeout;
    a->stop_signal = k->stop_signal;
    a->stop_timeout = k->stop_timeout;
    a->no_new_privileges = k->no_new_privileges;
    a->umask = k->umask;
    a->limits = k->limits;
    a->n_limits = k->n_limits;
    *k = process_keys_default();
}

/* A tend-lua job calls its daemon's API, which lets only the daemon's own
 * user in (the user reading this registry): another `user` could never
 * reach it. */
static void check_tend_lua_user(reader *rd, const toml_value *t, const char *path,
                                const action_spec *a)
{
    if (!a->user || !a->interpreter || strcmp(a->interpreter, "tend-lua") != 0) return;
    struct passwd pw, *self = NULL, *named = NULL;
    char buf[4096], own[256] = "";
    if (getpwuid_r(geteuid(), &pw, buf, sizeof(buf), &self) == 0 && self)
        snprintf(own, sizeof(own), "%s", self->pw_name);
    else
        snprintf(own, sizeof(own), "uid %u", (unsigned)geteuid());
    if (strcmp(a->user, own) == 0) return;
    if (getpwnam_r(a->user, &pw, buf, sizeof(buf), &named) == 0 && named &&
        named->pw_uid == geteuid())
        return;
    read_error(rd, toml_get(t, "user")->pos,
               "'%s.user': a tend-lua job talks to its daemon, whose API lets only the "
               "daemon's own user in, and \"%s\" is not %s: drop 'user' (the job runs as %s)",
               path, a->user, own, own);
}

action_spec *action_from_toml(reader *rd, const char *name, toml_pos name_pos,
                              const toml_value *table)
{
    action_spec *a = action_new(name);
    if (!a) return NULL;
    a->pos = (spec_pos){name_pos.line, name_pos.col};
    char path[512];
    key_path(path, sizeof(path), "actions", name);
    read_check_keys(rd, table, path, action_keys);
    read_string(rd, table, path, "description", false, &a->description);
    read_command(rd, table, path, a);
    read_strv(rd, table, path, "args", true, &a->args);
    read_env(rd, table, path, "env", &a->env);
    read_string(rd, table, path, "cwd", true, &a->cwd);
    int kind = 0;
    if (read_choice(rd, table, path, "kind", kind_names, &kind) == READ_OK)
        a->kind = (action_kind)kind;
    process_keys k = process_keys_default();
    read_process_keys(rd, table, path, &k);
    take_process_keys(a, &k);
    check_tend_lua_user(rd, table, path, a);
    read_retry(rd, table, path, a);
    read_depends_on(rd, table, path, a);
    return a;
}

/* The action of a service with a deployment: binary's is a process like
 * any action's; the other modes' carry only what tend does around it
 * (stop signal and timeout), their adapter the rest. */
action_spec *action_from_deployment(const service_spec *svc)
{
    action_spec *a = action_new(svc->name);
    if (!a) return NULL;
    a->pos = svc->pos;
    a->from_service = strdup(svc->name);
    a->deployment = &svc->deployment;
    const process_keys *k = &svc->deployment.stop;
    if (svc->deployment.mode == DEPLOY_BINARY) {
        a->interpreter = strdup("exec");
        if (svc->deployment.binary.binary_path)
            strv_push(&a->exec, svc->deployment.binary.binary_path);
        a->args = strv_copy(svc->deployment.binary.args);
        a->env = strv_copy(svc->deployment.binary.env);
        if (svc->deployment.binary.working_dir) a->cwd = strdup(svc->deployment.binary.working_dir);
        k = &svc->deployment.binary.process;
    }
    if (k->user) a->user = strdup(k->user);
    if (k->env_files) a->env_files = strv_copy(k->env_files);
    a->ready_notify = k->ready_notify;
    a->timeout = k->timeout;
    a->stop_signal = k->stop_signal;
    a->stop_timeout = k->stop_timeout;
    a->no_new_privileges = k->no_new_privileges;
    a->umask = k->umask;
    if (k->n_limits) {
        a->limits = limits_copy(k->limits, k->n_limits);
        a->n_limits = a->limits ? k->n_limits : 0;
    }
    return a;
}

void action_spec_free(action_spec *a)
{
    if (!a) return;
    free(a->name);
    free(a->description);
    free(a->interpreter);
    strv_free(a->exec);
    free(a->script);
    strv_free(a->args);
    strv_free(a->env);
    strv_free(a->env_files);
    free(a->cwd);
    free(a->user);
    strv_free(a->requires);
    strv_free(a->after);
    free(a->from_service);
    free(a->limits);
    free(a);
}
