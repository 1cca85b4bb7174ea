/* remote.c — the remote adapter: a service that runs elsewhere. tend
 * starts nothing of it; its job has no process, and is what the service's
 * health check of the endpoint says (the registry gives a remote service
 * without one a GET of its endpoint, with the remote's CA and token):
 * starting until it first passes, running while it passes, failed once
 * it fails (supervisor_health.c). A stop ends the job: tend stops
 * watching. A daemon that takes over resumes the job and checks again.
 *
 * An endpoint that is another tend (tend+https://HOST:PORT/SERVICE) is
 * driven through its API with this tend's own CLI (argv, never a shell):
 * start and stop are forwarded, its logs followed into the job's log, its
 * state read from its events (remote_watch.c). */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/strv.h"
#include "daemon/adapters/modes.h"
#include "daemon/adapters/remote_endpoint.h"
#include "daemon/preflight_checks.h"

static bool check_endpoint(json_t *checks, const char *url, bool ask, remote_endpoint *ep)
{
    if (remote_endpoint_parse(url, ep) < 0)
        return preflight_add(checks, "endpoint", false, "Endpoint %s is not a URL tend takes", url);
    if (!ask) return preflight_add(checks, "endpoint", true, "Endpoint %s", url);
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = NULL;
    int rc = getaddrinfo(ep->host, NULL, &hints, &res);
    if (res) freeaddrinfo(res);
    if (rc != 0)
        return preflight_add(checks, "endpoint", false, "Endpoint host %s does not resolve: %s",
                             ep->host, gai_strerror(rc));
    return preflight_add(checks, "endpoint", true, "Endpoint host %s resolves", ep->host);
}

static bool check_token_file(json_t *checks, const char *path)
{
    struct stat st;
    if (access(path, R_OK) != 0 || stat(path, &st) != 0)
        return preflight_add(checks, "auth_token", false, "Token file %s cannot be read: %s", path,
                             strerror(errno));
    if (!S_ISREG(st.st_mode))
        return preflight_add(checks, "auth_token", false, "Token file %s is not a file", path);
    if (st.st_mode & 077)
        return preflight_add(checks, "auth_token", false,
                             "Token file %s is readable by others (mode %03o): chmod 600 it", path,
                             (unsigned)(st.st_mode & 0777));
    return preflight_add(checks, "auth_token", true, "Token file %s is readable and private", path);
}

static bool remote_preflight(const service_spec *s, const action_spec *a, bool ask, json_t *checks)
{
    (void)s;
    const deployment_spec *d = a->deployment;
    remote_endpoint ep;
    bool ok = check_endpoint(checks, d->remote.endpoint, ask, &ep);
    if (d->remote.auth_token_path) ok &= check_token_file(checks, d->remote.auth_token_path);
    if (d->remote.ca_file) {
        struct stat st;
        int problem = stat(d->remote.ca_file, &st) < 0 ? errno : S_ISREG(st.st_mode) ? 0 : EISDIR;
        ok &= problem
                  ? preflight_add(checks, "ca_file", false, "CA file %s: %s", d->remote.ca_file,
                                  strerror(problem))
                  : preflight_add(checks, "ca_file", true, "CA file %s exists", d->remote.ca_file);
    }
    return ok;
}

/* `tend --host API --token-file F [--cacert CA] ARGS... SERVICE` */
static char **tend_there(const adapter_job *j, const char *const *args)
{
    const deployment_spec *d = j->deployment;
    remote_endpoint ep;
    if (remote_endpoint_parse(d->remote.endpoint, &ep) < 0 || !ep.tend ||
        !d->remote.auth_token_path)
        return NULL;
    const char *head[] = {remote_tend_binary(),      "--host", ep.api, "--token-file",
                          d->remote.auth_token_path, NULL};
    char **argv = strv_copy((char *const *)head);
    int rc = argv ? 0 : -ENOMEM;
    if (rc == 0 && d->remote.ca_file) {
        rc = strv_push(&argv, "--cacert");
        if (rc == 0) rc = strv_push(&argv, d->remote.ca_file);
    }
    for (size_t i = 0; rc == 0 && args[i]; i++) rc = strv_push(&argv, args[i]);
    if (rc == 0) rc = strv_push(&argv, ep.service);
    if (rc < 0) {
        strv_free(argv);
        return NULL;
    }
    return argv;
}

static adapter_step *tend_before(const adapter_job *j)
{
    static const char *const start[] = {"services", "start", NULL};
    adapter_step *steps = NULL;
    char **argv = tend_there(j, start);
    if (adapter_steps_push(&steps, argv, false) < 0) return NULL;
    return steps;
}

static char **tend_stop(const adapter_job *j)
{
    static const char *const stop[] = {"services", "stop", NULL};
    return tend_there(j, stop);
}

static char **tend_follow(const adapter_job *j)
{
    static const char *const logs[] = {"services", "logs", "--follow", NULL};
    return tend_there(j, logs);
}

static char **tend_watch(const adapter_job *j)
{
    static const char *const events[] = {"--json", "events", "--follow", "--service", NULL};
    return tend_there(j, events);
}

/* A service elsewhere, only watched: its health check says everything. */
const adapter remote_adapter = {
    .mode = "remote",
    .preflight = remote_preflight,
};

/* A service of another tend, driven through that daemon's API. */
const adapter remote_tend_adapter = {
    .mode = "remote",
    .preflight = remote_preflight,
    .before = tend_before,
    .stop = tend_stop,
    .follow = tend_follow,
    .watch = tend_watch,
    .watch_read = remote_watch_read,
    .watch_free = remote_watch_free,
    .ready_by_watch = true,
};

const adapter *remote_adapter_of(const deployment_spec *d)
{
    return d->remote.endpoint && strncmp(d->remote.endpoint, "tend+", 5) == 0 ? &remote_tend_adapter
                                                                              : &remote_adapter;
}
