/* docker.c — the docker adapter: a container of an image, on the engine
 * that answers (engine.h: Docker's, or podman).
 *
 * The job's main process is the engine's client in the foreground
 * (`ENGINE run --rm ...` without -d): the container's stdout and stderr
 * are its own, so they are the job's log, and its exit code is the
 * container's. The container carries the labels tend.service, tend.job and
 * tend.instance (adapter_instance: which daemon's) and a name of its own,
 * so what a lost job left is found by name:
 *   before    removes a container of that name left by a job whose client
 *             died with the daemon (it may fail: mostly there is none);
 *   stop      `ENGINE stop --time T` (the stop signal was given to the
 *             container at run: --stop-signal), the client then ends;
 *   after     `ENGINE rm --force`, for a container whose client was
 *             killed before it could remove it;
 *   reattach  a daemon that takes over a job whose client is gone while
 *             the container runs attaches to it again (`ENGINE attach`),
 *             so it is adopted, not started twice.
 * --init (default) puts a PID 1 in the container that passes the stop
 * signal on: a program that is PID 1 itself ignores SIGTERM.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/signame.h"
#include "base/strv.h"
#include "daemon/adapters/engine.h"
#include "daemon/adapters/modes.h"
#include "daemon/preflight_checks.h"

/* The container's name: container_name, else tend-INSTANCE-SERVICE. */
static void container_name(const adapter_job *j, char *out, size_t size)
{
    const char *named = j->deployment->docker.container_name;
    if (named)
        snprintf(out, size, "%s", named);
    else
        snprintf(out, size, "tend-%s-%s", adapter_instance(),
                 j->service ? j->service : j->action->name);
}

/* ENGINE followed by words (NULL-terminated); NULL when no engine can run. */
static char **engine_argv(const char *first, ...) __attribute__((sentinel));
static char **engine_argv(const char *first, ...)
{
    char path[1024], words[512];
    if (!engine_pick(path, sizeof(path), words, sizeof(words))) return NULL;
    char **argv = NULL;
    strv_push(&argv, path);
    va_list ap;
    va_start(ap, first);
    for (const char *w = first; w; w = va_arg(ap, const char *)) strv_push(&argv, w);
    va_end(ap);
    return argv;
}

static void push_pair(char ***argv, const char *flag, const char *value)
{
    strv_push(argv, flag);
    strv_push(argv, value);
}

static adapter_step *docker_before(const adapter_job *j)
{
    char name[256];
    container_name(j, name, sizeof(name));
    adapter_step *steps = NULL;
    adapter_steps_push(&steps, engine_argv("rm", "--force", name, NULL), true);
    return steps;
}

static int docker_launch(const adapter_job *j, char *const *extra_env, proc_request *req, char *err,
                         size_t errlen)
{
    (void)extra_env;
    const deployment_spec *dep = j->deployment;
    char path[1024], name[256], label[512], number[64];
    *req = (proc_request){.stdout_fd = -1, .stderr_fd = -1};
    if (!engine_pick(path, sizeof(path), err, errlen)) return -1;
    container_name(j, name, sizeof(name));
    char **argv = NULL;
    strv_push(&argv, path);
    strv_push(&argv, "run");
    strv_push(&argv, "--rm");
    strv_push(&argv, "--restart=no"); /* tend's restart policy acts, not the engine's */
    push_pair(&argv, "--name", name);
    snprintf(label, sizeof(label), "tend.service=%s", j->service ? j->service : "");
    push_pair(&argv, "--label", label);
    snprintf(label, sizeof(label), "tend.job=%lld", (long long)j->id);
    push_pair(&argv, "--label", label);
    snprintf(label, sizeof(label), "tend.instance=%s", adapter_instance());
    push_pair(&argv, "--label", label);
    if (dep->docker.init) strv_push(&argv, "--init");
    push_pair(&argv, "--stop-signal", signal_name(j->action->stop_signal));
    snprintf(number, sizeof(number), "%d", (int)(j->action->stop_timeout + 0.999));
    push_pair(&argv, "--stop-timeout", number);
    snprintf(label, sizeof(label), "--pull=%s", dep->docker.pull ? dep->docker.pull : "missing");
    strv_push(&argv, label);
    for (size_t i = 0; dep->docker.ports && dep->docker.ports[i]; i++)
        push_pair(&argv, "--publish", dep->docker.ports[i]);
    for (size_t i = 0; dep->docker.volumes && dep->docker.volumes[i]; i++)
        push_pair(&argv, "--volume", dep->docker.volumes[i]);
    for (size_t i = 0; dep->docker.env && dep->docker.env[i]; i++)
        push_pair(&argv, "--env", dep->docker.env[i]);
    strv_push(&argv, dep->docker.image);
    for (size_t i = 0; dep->docker.args && dep->docker.args[i]; i++)
        strv_push(&argv, dep->docker.args[i]);
    return adapter_request(req, argv, err, errlen);
}

static char **docker_stop(const adapter_job *j)
{
    char name[256], seconds[64];
    container_name(j, name, sizeof(name));
    snprintf(seconds, sizeof(seconds), "%d", (int)(j->action->stop_timeout + 0.999));
    return engine_argv("stop", "--time", seconds, name, NULL);
}

static char **docker_after(const adapter_job *j)
{
    char name[256];
    container_name(j, name, sizeof(name));
    return engine_argv("rm", "--force", name, NULL);
}

static char **docker_reattach(const adapter_job *j)
{
    char name[256];
    container_name(j, name, sizeof(name));
    return engine_argv("attach", "--no-stdin", name, NULL);
}

static bool docker_preflight(const service_spec *s, const action_spec *a, bool ask, json_t *checks)
{
    (void)a;
    bool ok = engine_preflight(ask, checks);
    const char *image = s->deployment.docker.image;
    if (!ok || !ask) return ok;
    char path[1024], words[512];
    if (!engine_pick(path, sizeof(path), words, sizeof(words))) return false;
    char *const argv[] = {path, "image", "inspect", "--format", "{{.Id}}", (char *)image, NULL};
    int code = preflight_run(argv, 10, words, sizeof(words));
    bool pull_never = s->deployment.docker.pull && strcmp(s->deployment.docker.pull, "never") == 0;
    if (code == 0) return preflight_add(checks, "image", true, "Image present: %s", image);
    if (pull_never)
        return preflight_add(checks, "image", false, "Image not present and pull = \"never\": %s",
                             image);
    return preflight_add(checks, "image", true, "Image not present yet, to be pulled: %s", image);
}

const adapter docker_adapter = {
    .mode = "docker",
    .preflight = docker_preflight,
    .before = docker_before,
    .launch = docker_launch,
    .stop = docker_stop,
    .after = docker_after,
    .reattach = docker_reattach,
};
