/* kubernetes.c — the kubernetes adapter: a Deployment in a cluster,
 * driven through kubectl (found in PATH; `--context` when the registry
 * names one, `-n NAMESPACE` always). A start applies the manifests (if
 * any) and scales the Deployment to its replicas; a stop scales it to 0.
 * The job runs no process of its own: its watch (`get -o json --watch`)
 * says where the rollout is (kubernetes_rollout.c), and its follow
 * (`logs -f deployment/NAME`) is its log. A daemon that takes over only
 * watches again: nothing is applied or scaled twice. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>

#include "base/strv.h"
#include "daemon/adapters/kubernetes_ask.h"
#include "daemon/adapters/kubernetes_rollout.h"
#include "daemon/adapters/modes.h"
#include "daemon/preflight_checks.h"

/* kubectl [--context C] -n NS, then the arguments up to NULL; NULL when
 * out of memory. */
static char **kubectl(const adapter_job *j, ...)
{
    const deployment_spec *d = j->deployment;
    char **argv = NULL;
    int rc = strv_push(&argv, "kubectl");
    if (d->kubernetes.context) {
        rc |= strv_push(&argv, "--context");
        rc |= strv_push(&argv, d->kubernetes.context);
    }
    rc |= strv_push(&argv, "-n");
    rc |= strv_push(&argv, d->kubernetes.namespace_ ? d->kubernetes.namespace_ : "default");
    va_list ap;
    va_start(ap, j);
    for (const char *arg; (arg = va_arg(ap, const char *));) rc |= strv_push(&argv, arg);
    va_end(ap);
    if (rc < 0) {
        strv_free(argv);
        return NULL;
    }
    return argv;
}

static char **scale(const adapter_job *j, int replicas)
{
    char target[300], count[32];
    snprintf(target, sizeof(target), "deployment/%s", j->deployment->kubernetes.deployment_name);
    snprintf(count, sizeof(count), "--replicas=%d", replicas);
    return kubectl(j, "scale", target, count, (char *)NULL);
}

static adapter_step *kube_before(const adapter_job *j)
{
    adapter_step *steps = NULL;
    const char *manifests = j->deployment->kubernetes.manifests_path;
    if (manifests &&
        adapter_steps_push(&steps, kubectl(j, "apply", "-f", manifests, (char *)NULL), false) < 0)
        goto fail;
    if (adapter_steps_push(&steps, scale(j, j->deployment->kubernetes.replicas), false) < 0)
        goto fail;
    return steps;
fail:
    adapter_steps_free(steps);
    return NULL;
}

static char **kube_stop(const adapter_job *j)
{
    return scale(j, 0);
}

static char **kube_watch(const adapter_job *j)
{
    return kubectl(j, "get", "deployment", j->deployment->kubernetes.deployment_name, "-o", "json",
                   "--watch", "--output-watch-events", (char *)NULL);
}

/* Again (the pod it followed went, or a daemon took over): from where the
 * log is, to the second (a line of that second may come twice, none is
 * lost). */
static char **kube_follow(const adapter_job *j)
{
    char target[300], since[64] = "";
    snprintf(target, sizeof(target), "deployment/%s", j->deployment->kubernetes.deployment_name);
    time_t at = (time_t)j->log_since;
    struct tm tm;
    if (j->log_since > 0 && gmtime_r(&at, &tm))
        strftime(since, sizeof(since), "--since-time=%Y-%m-%dT%H:%M:%SZ", &tm);
    return kubectl(j, "logs", "-f", target, since[0] ? since : (char *)NULL, (char *)NULL);
}

static bool kube_preflight(const service_spec *s, const action_spec *a, bool ask, json_t *checks)
{
    (void)s;
    const deployment_spec *d = a->deployment;
    static const char *const names[] = {"kubectl", NULL};
    char found[1024];
    bool ok = true;
    if (!preflight_find_cli(names, found, sizeof(found)))
        ok = preflight_add(checks, "kubectl", false, "kubectl is not installed (not in PATH)");
    else if (!ask)
        preflight_add(checks, "kubectl", true, "kubectl found: %s", found);
    else
        ok = kube_ask_context(found, d->kubernetes.context, checks);
    const char *manifests = d->kubernetes.manifests_path;
    struct stat st;
    if (manifests && stat(manifests, &st) != 0)
        ok = preflight_add(checks, "manifests", false, "Manifests not found: %s", manifests);
    else if (manifests)
        preflight_add(checks, "manifests", true, "Manifests found: %s", manifests);
    return ok;
}

const adapter kubernetes_adapter = {
    .mode = "kubernetes",
    .preflight = kube_preflight,
    .before = kube_before,
    .stop = kube_stop,
    .watch = kube_watch,
    .watch_read = kube_watch_read,
    .watch_free = kube_watch_free,
    .follow = kube_follow,
    .ready_by_watch = true,
};
