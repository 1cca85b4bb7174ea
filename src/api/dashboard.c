/* dashboard.c — the dashboard's server and URL file (see dashboard.h);
 * its token is the "dashboard" token of the API's tokens (api/tokens.h). */
#include "api/dashboard.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/auth.h"
#include "api/httpd.h"
#include "api/metrics.h"
#include "api/web_assets.h"
#include "base/hostport.h"

struct dashboard {
    httpd *http;
    token_set *tokens;
    char address[96]; /* http://HOST:PORT/ */
    char url[192];    /* address?token=TOKEN */
    char origins[3][80];
    char *url_file;
};

int dashboard_parse_address(const char *addr, char *host, size_t hostlen, int *port, char *err,
                            size_t errlen)
{
    if (hostport_split(addr, host, hostlen, port) < 0) {
        snprintf(err, errlen, "'%s': expected HOST:PORT, e.g. 127.0.0.1:9120 (or off)", addr);
        return -1;
    }
    if (!hostport_is_loopback(host)) {
        snprintf(err, errlen,
                 "'%s' is not a loopback address: the dashboard is only served on this machine "
                 "(127.0.0.1 or ::1; reach it from elsewhere through an SSH tunnel)",
                 host);
        return -1;
    }
    return 0;
}

static const web_asset *find_asset(const char *url)
{
    for (const web_asset *a = web_assets; a->path; a++)
        if (strcmp(a->path, url) == 0) return a;
    return NULL;
}

static bool guard(void *ctx, struct MHD_Connection *c, const char *url, const char *method,
                  unsigned *status, const char **why, const char **read_only_as)
{
    dashboard *d = ctx;
    *read_only_as = NULL;
    /* The page itself holds no data: anyone on this machine may load it. */
    if (strcmp(method, "GET") == 0 && find_asset(url)) return true;
    /* Any of the API's tokens: the page's own (the dashboard token), or
     * one made for a scraper or a script. */
    if (!auth_check(d->tokens, c, url, method, status, why, read_only_as)) return false;
    /* A page of another site must not act for the user (and a browser
     * always says where a POST comes from). */
    const char *origin = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Origin");
    if (strcmp(method, "GET") != 0 && origin) {
        for (int i = 0; i < 3; i++)
            if (d->origins[i][0] && strcmp(origin, d->origins[i]) == 0) return true;
        *status = MHD_HTTP_FORBIDDEN;
        *why = "request from a foreign origin refused";
        return false;
    }
    return true;
}

static enum MHD_Result serve_asset(void *ctx, struct MHD_Connection *c, const char *url)
{
    (void)ctx;
    const web_asset *a = find_asset(url);
    if (!a) return httpd_reply(c, MHD_HTTP_NOT_FOUND, NULL, NULL);
    struct MHD_Response *r =
        MHD_create_response_from_buffer(a->len, (void *)a->bytes, MHD_RESPMEM_PERSISTENT);
    if (!r) return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, a->content_type);
    /* Nothing but the page's own files runs or loads, whatever text a
     * service's logs or names hold. */
    MHD_add_response_header(r, "Content-Security-Policy",
                            "default-src 'self'; script-src 'self'; style-src 'self'; "
                            "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; "
                            "base-uri 'none'; form-action 'none'");
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    /* The token is in the page's first URL: it must not travel further. */
    MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
    /* no-store also keeps the page out of the back/forward cache, where
     * it would hold its streams (and the browser's connections) open. */
    MHD_add_response_header(r, "Cache-Control", "no-store");
    enum MHD_Result ok = MHD_queue_response(c, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    return ok;
}

/* The URL with the token, readable by the daemon's user only. */
static int write_url_file(const char *path, const char *url)
{
    unlink(path);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) return -errno;
    size_t len = strlen(url);
    bool ok = write(fd, url, len) == (ssize_t)len && write(fd, "\n", 1) == 1;
    close(fd);
    return ok ? 0 : -EIO;
}

/* The URL with the dashboard's current token, in memory and in its file. */
static int update_url(dashboard *d, const char *text)
{
    snprintf(d->url, sizeof(d->url), "%s?token=%s", d->address, text);
    return write_url_file(d->url_file, d->url);
}

static void on_token_rotated(void *ctx, const char *text)
{
    dashboard *d = ctx;
    int rc = update_url(d, text);
    if (rc < 0) fprintf(stderr, "tend daemon: cannot write %s: %s\n", d->url_file, strerror(-rc));
}

dashboard *dashboard_start(uv_loop_t *loop, const char *host, int port, const rpc_dispatcher *rpc,
                           sse_hub *hub, api_ctx *api, const char *url_file, char *err,
                           size_t errlen)
{
    dashboard *d = calloc(1, sizeof(*d));
    if (!d || !(d->url_file = strdup(url_file))) {
        snprintf(err, errlen, "out of memory");
        if (d) free(d->url_file);
        free(d);
        return NULL;
    }
    d->tokens = api->tokens;
    d->http = httpd_start_tcp(loop, host, port, rpc, guard, d, err, errlen);
    if (!d->http) {
        free(d->url_file);
        free(d);
        return NULL;
    }
    port = httpd_port(d->http);
    bool v6 = strchr(host, ':') != NULL;
    snprintf(d->address, sizeof(d->address), v6 ? "http://[%s]:%d/" : "http://%s:%d/", host, port);
    snprintf(d->origins[0], sizeof(d->origins[0]), v6 ? "http://[%s]:%d" : "http://%s:%d", host,
             port);
    if (!v6) snprintf(d->origins[1], sizeof(d->origins[1]), "http://localhost:%d", port);
    httpd_route_get(d->http, "/", serve_asset, d);
    httpd_route_get(d->http, "/assets/", serve_asset, d);
    sse_hub_serve(hub, d->http);
    metrics_register(d->http, api);
    int rc = update_url(d, token_set_dashboard_text(d->tokens));
    if (rc < 0) {
        snprintf(err, errlen, "cannot write %s: %s", url_file, strerror(-rc));
        dashboard_stop(d);
        return NULL;
    }
    token_set_on_dashboard_rotated(d->tokens, on_token_rotated, d);
    return d;
}

const char *dashboard_address(const dashboard *d)
{
    return d->address;
}

const char *dashboard_url(const dashboard *d)
{
    return d->url;
}

void dashboard_stop(dashboard *d)
{
    if (!d) return;
    token_set_on_dashboard_rotated(d->tokens, NULL, NULL);
    unlink(d->url_file);
    httpd_stop(d->http);
    free(d->url_file);
    free(d);
}
