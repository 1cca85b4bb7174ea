/* registry_actions.c — [actions.NAME] tables into action specs. */
#include "config/registry_internal.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "base/signame.h"
#include "base/strv.h"

static const char *const action_keys[] = {
    "description",  "interpreter", "exec",  "script",  "args",  "env",
    "cwd",          "user",        "kind",  "timeout", "retry", "stop_signal",
    "stop_timeout", "depends_on",  "ready", NULL,
};
static const char *const retry_keys[] = {"max_attempts", "delay", "backoff", NULL};
static const char *const depends_keys[] = {"requires", "after", NULL};
static const char *const kind_names[] = {"process", "oneshot", NULL};
/* Index 1 is ready_notify. */
static const char *const ready_names[] = {"started", "notify", NULL};

/* Interpreters a script can name; "exec" runs the exec argv directly. */
static const char *const interpreters[] = {"exec", "sh",   "bash", "python3", "lua",
                                           "node", "perl", "nu",   NULL};

#define DAY (24.0 * 3600.0)

static action_spec *action_new(const char *name)
{
    action_spec *a = calloc(1, sizeof(*a));
    if (!a) return NULL;
    a->name = strdup(name);
    a->kind = ACTION_PROCESS;
    a->retry = (retry_policy){.max_attempts = 1, .delay = 1.0, .backoff = 2.0};
    a->stop_signal = SIGTERM;
    a->stop_timeout = 10.0;
    if (!a->name) {
        free(a);
        return NULL;
    }
    return a;
}

static void read_stop_signal(reader *rd, const toml_value *t, const char *path, action_spec *a)
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
    read_string(rd, table, path, "user", true, &a->user);
    int kind = 0;
    if (read_choice(rd, table, path, "kind", kind_names, &kind) == READ_OK)
        a->kind = (action_kind)kind;
    int ready = 0;
    if (read_choice(rd, table, path, "ready", ready_names, &ready) == READ_OK)
        a->ready_notify = ready == 1;
    read_seconds(rd, table, path, "timeout", 365 * DAY, &a->timeout);
    read_retry(rd, table, path, a);
    read_stop_signal(rd, table, path, a);
    read_seconds(rd, table, path, "stop_timeout", DAY, &a->stop_timeout);
    read_depends_on(rd, table, path, a);
    return a;
}

action_spec *action_from_binary(const service_spec *svc)
{
    action_spec *a = action_new(svc->name);
    if (!a) return NULL;
    a->pos = svc->pos;
    a->interpreter = strdup("exec");
    a->from_service = strdup(svc->name);
    if (svc->deployment.binary.binary_path) strv_push(&a->exec, svc->deployment.binary.binary_path);
    a->args = strv_copy(svc->deployment.binary.args);
    a->env = strv_copy(svc->deployment.binary.env);
    if (svc->deployment.binary.working_dir) a->cwd = strdup(svc->deployment.binary.working_dir);
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
    free(a->cwd);
    free(a->user);
    strv_free(a->requires);
    strv_free(a->after);
    free(a->from_service);
    free(a);
}
