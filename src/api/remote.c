/* remote.c — the remote API's listeners (see remote.h). */
#include "api/remote.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "api/metrics.h"
#include "api/remote_tls.h"
#include "base/hostport.h"
#include "daemon/process/process.h"

typedef struct {
    char host[64];
    int port;
    char url[96];
    httpd *http;
} listener;

struct remote {
    listener listeners[REMOTE_MAX_LISTEN];
    size_t n;
    bool tls;
    remote_tls pem;
    httpd_guard_fn token_guard;
    void *token_ctx;
};

int remote_check_address(const char *addr, bool tls, char *err, size_t errlen)
{
    char host[64];
    int port;
    if (hostport_split(addr, host, sizeof(host), &port) < 0 || !hostport_is_ip(host)) {
        snprintf(err, errlen,
                 "'%s': expected IP:PORT, e.g. 10.0.0.5:9443, 0.0.0.0:9443 or [::]:9443", addr);
        return -1;
    }
    if (!tls && !hostport_is_loopback(host)) {
        snprintf(err, errlen,
                 "'%s' is not a loopback address, and plain HTTP would carry the tokens in clear "
                 "text: give --tls-cert FILE and --tls-key FILE (or tls_cert and tls_key in the "
                 "registry's [daemon] table)",
                 addr);
        return -1;
    }
    return 0;
}

remote *remote_prepare(const remote_config *cfg, char *err, size_t errlen)
{
    size_t n = 0;
    while (cfg->listen && cfg->listen[n]) n++;
    if (n > REMOTE_MAX_LISTEN) {
        snprintf(err, errlen, "%zu addresses to listen on: at most %d", n, REMOTE_MAX_LISTEN);
        return NULL;
    }
    if (!cfg->tls_cert != !cfg->tls_key) {
        snprintf(err, errlen, "TLS needs both a certificate and its key (%s is missing)",
                 cfg->tls_cert ? "--tls-key" : "--tls-cert");
        return NULL;
    }
    if (cfg->tls_client_ca && !cfg->tls_cert) {
        snprintf(err, errlen,
                 "a client CA (--tls-client-ca) needs TLS: give --tls-cert and "
                 "--tls-key too");
        return NULL;
    }
    remote *r = calloc(1, sizeof(*r));
    if (!r) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    r->tls = cfg->tls_cert != NULL;
    for (size_t i = 0; i < n; i++) {
        listener *l = &r->listeners[i];
        if (remote_check_address(cfg->listen[i], r->tls, err, errlen) < 0) goto fail;
        hostport_split(cfg->listen[i], l->host, sizeof(l->host), &l->port);
    }
    r->n = n;
    if (r->tls &&
        remote_tls_load(&r->pem, cfg->tls_cert, cfg->tls_key, cfg->tls_client_ca, err, errlen) < 0)
        goto fail;
    return r;
fail:
    free(r);
    return NULL;
}

/* The client certificate first (when asked for), then the token. */
static bool guard(void *ctx, struct MHD_Connection *c, const char *url, const char *method,
                  unsigned *status, const char **why, const char **read_only_as)
{
    remote *r = ctx;
    *read_only_as = NULL;
    if (r->pem.client_ca && !remote_tls_client_verified(c, why)) {
        *status = MHD_HTTP_FORBIDDEN;
        return false;
    }
    return r->token_guard(r->token_ctx, c, url, method, status, why, read_only_as);
}

/* The port a socket is bound to (what port 0 became). */
static int bound_port(int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0) return -1;
    return ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                          : ((struct sockaddr_in *)&ss)->sin_port);
}

/* What the keeper calls a listener's socket: named by its address (a
 * hash, to fit the keeper's names), so that a main process started again
 * after `tend apply` changed the addresses takes only the ones it serves. */
static void keeper_name(const listener *l, char *out, size_t size)
{
    uint64_t hash = 1469598103934665603u; /* FNV-1a */
    for (const char *p = l->host; *p; p++) hash = (hash ^ (unsigned char)*p) * 1099511628211u;
    snprintf(out, size, "listen-remote-%016llx-%d", (unsigned long long)hash, l->port);
}

int remote_start(remote *r, uv_loop_t *loop, const rpc_dispatcher *rpc, sse_hub *hub, api_ctx *api,
                 httpd_guard_fn token_guard, void *token_ctx, char *err, size_t errlen)
{
    r->token_guard = token_guard;
    r->token_ctx = token_ctx;
    char name[REMOTE_MAX_LISTEN][48];
    bool was_kept[REMOTE_MAX_LISTEN] = {0};
    for (size_t i = 0; i < r->n; i++) {
        listener *l = &r->listeners[i];
        int kept[2];
        keeper_name(l, name[i], sizeof(name[i]));
        was_kept[i] = process_kept_fds(name[i], kept);
        l->http = httpd_start_tcp_tls(loop, l->host, l->port, was_kept[i] ? kept[0] : -1,
                                      r->tls ? &r->pem.pem : NULL, rpc, guard, r, err, errlen);
        if (!l->http) {
            for (size_t k = 0; k < i; k++) {
                httpd_stop(r->listeners[k].http);
                r->listeners[k].http = NULL;
            }
            return -1;
        }
    }
    for (size_t i = 0; i < r->n; i++) {
        listener *l = &r->listeners[i];
        if (!was_kept[i]) process_keep_fds(name[i], httpd_listen_fd(l->http), -1);
        sse_hub_serve(hub, l->http);
        metrics_register(l->http, api);
        bool v6 = strchr(l->host, ':') != NULL;
        snprintf(l->url, sizeof(l->url), v6 ? "%s://[%s]:%d" : "%s://%s:%d",
                 r->tls ? "https" : "http", l->host, bound_port(httpd_listen_fd(l->http)));
    }
    return 0;
}

size_t remote_count(const remote *r)
{
    return r ? r->n : 0;
}

const char *remote_url(const remote *r, size_t i)
{
    return r->listeners[i].url;
}

void remote_stop(remote *r)
{
    if (!r) return;
    for (size_t i = 0; i < r->n; i++) httpd_stop(r->listeners[i].http);
    remote_tls_clear(&r->pem);
    free(r);
}
