/* preflight.c — a service's prerequisites (see preflight.h). */
#include "daemon/preflight.h"

#include <arpa/inet.h>
#include <errno.h>
#include <grp.h>
#include <netinet/in.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/procstat.h"
#include "base/strv.h"
#include "daemon/adapters/adapter.h"
#include "daemon/preflight_checks.h"

/* The host and port a health check talks to; false if it names none. */
static bool health_port(const health_spec *h, char *host, size_t size, int *port)
{
    if (h->type == HEALTH_TCP) {
        snprintf(host, size, "%s", h->tcp.host ? h->tcp.host : "localhost");
        *port = h->tcp.port;
        return true;
    }
    if (h->type != HEALTH_HTTP || !h->http.endpoint) return false;
    const char *url = h->http.endpoint;
    bool tls = strncmp(url, "https://", 8) == 0;
    const char *p = url + (tls ? 8 : 7);
    size_t len = strcspn(p, "/?#");
    char authority[300];
    snprintf(authority, sizeof(authority), "%.*s", (int)len, p);
    char *at = strrchr(authority, '@');
    char *hostpart = at ? at + 1 : authority;
    *port = tls ? 443 : 80;
    char *colon = NULL;
    if (hostpart[0] == '[') { /* [::1]:8080 */
        char *close = strchr(hostpart, ']');
        if (!close) return false;
        *close = '\0';
        hostpart++;
        colon = close[1] == ':' ? close + 1 : NULL;
    } else {
        colon = strrchr(hostpart, ':');
        if (colon) *colon = '\0';
    }
    if (colon && colon[1]) *port = atoi(colon + 1);
    snprintf(host, size, "%s", hostpart);
    return *port > 0 && *port < 65536;
}

/* Whether another socket on this machine holds the port: binding it
 * ourselves fails at once if so (SO_REUSEADDR only forgives TIME_WAIT). */
static bool port_taken(const char *host, int port)
{
    bool v6 = strcmp(host, "::1") == 0 || strcmp(host, "::") == 0;
    int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    int one = 1, rc;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (v6) {
        struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_port = htons((uint16_t)port)};
        a.sin6_addr = in6addr_loopback;
        rc = bind(fd, (struct sockaddr *)&a, sizeof(a));
    } else {
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        rc = bind(fd, (struct sockaddr *)&a, sizeof(a));
    }
    bool taken = rc < 0 && errno == EADDRINUSE;
    close(fd);
    return taken;
}

static bool is_local(const char *host)
{
    return strcmp(host, "localhost") == 0 || strncmp(host, "127.", 4) == 0 ||
           strcmp(host, "::1") == 0 || strcmp(host, "0.0.0.0") == 0 || strcmp(host, "::") == 0;
}

static bool check_port(json_t *checks, const service_spec *s)
{
    char host[300];
    int port = 0;
    if (!health_port(&s->health, host, sizeof(host), &port) || !is_local(host)) return true;
    if (port_taken(host, port))
        return preflight_add(checks, "port", false, "Port %d is already in use by another process",
                             port);
    return preflight_add(checks, "port", true, "Port %d is free", port);
}

static bool preflight_asks;

void preflight_set_ask(bool ask)
{
    preflight_asks = ask;
}

bool preflight_prerequisites(const registry *r, const service_spec *s, bool port_check,
                             json_t *checks)
{
    bool ok = true;
    /* Only what runs here needs the port of its check free (a service
     * elsewhere may well be reached through a local port). */
    bool runs_here = !s->actions || !s->actions[0];
    for (size_t i = 0; s->actions && s->actions[i]; i++) {
        const action_spec *a = registry_action(r, s->actions[i]);
        if (!a) continue;
        const adapter *ad = adapter_of(a);
        ok &= ad->preflight(s, a, preflight_asks, checks);
        if (ad->launch) runs_here = true;
    }
    if (s->health.type == HEALTH_COMMAND && s->health.command.user)
        ok &= preflight_check_user(checks, s->health.command.user, " (health check)");
    if (port_check && runs_here) ok &= check_port(checks, s);
    return ok;
}

/* The running services s conflicts with (conflicts hold both ways), as
 * "a, b"; returns how many. */
static size_t running_conflicts(const registry *r, const service_spec *s,
                                preflight_running_fn running, void *ctx, char *list, size_t size)
{
    size_t count = 0, len = 0;
    list[0] = '\0';
    for (size_t i = 0; i < r->n_services; i++) {
        const service_spec *other = r->services[i];
        /* Names first: most services conflict with nothing, and asking
         * whether a service runs costs more than a pointer test. */
        if (other == s || (!strv_contains(s->conflicts, other->name) &&
                           !strv_contains(other->conflicts, s->name)))
            continue;
        if (!running(ctx, other->name)) continue;
        count++;
        if (len < size)
            len += (size_t)snprintf(list + len, size - len, "%s%s", len ? ", " : "", other->name);
    }
    return count;
}

/* The conflicts of s that are no service of the registry are programs
 * (the guide's dnsmasq): each one running on this machine, with its pids,
 * appended to list as "name (pid N)". Returns how many names run. */
static size_t host_conflicts(const registry *r, const service_spec *s, char *list, size_t size)
{
    size_t count = 0, len = strlen(list);
    for (size_t i = 0; s->conflicts && s->conflicts[i]; i++) {
        const char *name = s->conflicts[i];
        pid_t pids[4];
        size_t n = registry_service_index(r, name) >= 0 ? 0 : proc_find_by_name(name, pids, 4);
        if (!n) continue;
        count++;
        if (len < size)
            len += (size_t)snprintf(list + len, size - len, "%s%s (pid%s ", len ? ", " : "", name,
                                    n > 1 ? "s" : "");
        for (size_t k = 0; k < n && k < 4 && len < size; k++)
            len += (size_t)snprintf(list + len, size - len, "%s%d", k ? ", " : "", (int)pids[k]);
        if (len < size)
            len += (size_t)snprintf(list + len, size - len, "%s)", n > 4 ? ", ..." : "");
    }
    return count;
}

bool preflight_own(const registry *r, const service_spec *s, preflight_running_fn running,
                   void *ctx, json_t *checks)
{
    bool ok = preflight_prerequisites(r, s, !running(ctx, s->name), checks);
    char list[512];
    if (running_conflicts(r, s, running, ctx, list, sizeof(list)) +
        host_conflicts(r, s, list, sizeof(list)))
        ok = preflight_add(checks, "conflicts", false, "Conflicting services running: %s", list);
    else
        preflight_add(checks, "conflicts", true, "No conflicts detected");
    return ok;
}

const json_t *preflight_first_failure(const json_t *checks)
{
    size_t i;
    const json_t *c;
    json_array_foreach(checks, i, c) if (!json_is_true(json_object_get(c, "ok"))) return c;
    return NULL;
}

/* Depth first through the dependencies of s: the first one that does not
 * run and fails its own checks, in words. */
static bool dependencies_available(const registry *r, const service_spec *s,
                                   preflight_running_fn running, void *ctx, bool *seen,
                                   char *problem, size_t size)
{
    for (size_t i = 0; s->dependencies && s->dependencies[i]; i++) {
        long k = registry_service_index(r, s->dependencies[i]);
        if (k < 0 || seen[k]) continue;
        seen[k] = true;
        const service_spec *d = r->services[k];
        if (running(ctx, d->name)) continue; /* it runs: available as it is */
        json_t *theirs = json_array();
        bool ok = preflight_own(r, d, running, ctx, theirs);
        if (!ok)
            snprintf(
                problem, size, "Dependency %s is not available: %s", d->name,
                json_string_value(json_object_get(preflight_first_failure(theirs), "message")));
        json_decref(theirs);
        if (!ok || !dependencies_available(r, d, running, ctx, seen, problem, size)) return false;
    }
    return true;
}

json_t *preflight_service(const registry *r, const service_spec *s, preflight_running_fn running,
                          void *ctx)
{
    json_t *checks = json_array();
    bool ok = preflight_own(r, s, running, ctx, checks);
    bool *seen = calloc(r->n_services + 1, sizeof(*seen));
    char problem[600] = "";
    if (!seen || !dependencies_available(r, s, running, ctx, seen, problem, sizeof(problem))) {
        ok = preflight_add(checks, "dependencies", false, "%s",
                           problem[0] ? problem : "out of memory");
    } else {
        preflight_add(checks, "dependencies", true, "All dependencies available");
    }
    free(seen);
    return json_pack("{s:s, s:b, s:o}", "name", s->name, "ok", ok, "checks", checks);
}
