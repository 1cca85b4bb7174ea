/* httpd.c — libmicrohttpd inside the libuv loop.
 *
 * MHD runs in "external epoll" mode: its epoll fd is watched with a
 * uv_poll, MHD_run() does the work when it is readable, and a uv_timer is
 * armed from MHD_get_timeout() after every run. Connections come in
 * through the front (front.h), which accepts them, gives slots by user
 * and closes them without resets. A server listens on a unix socket (the
 * API) or a loopback TCP port (the dashboard, whose guard checks every
 * request first).
 *
 * Every request is judged on its request line and headers alone, before
 * any of its body is read: the guard, the route (404, 405 with Allow), and
 * the body's announced size against what the route takes (413). Only
 * then is the body read (capped as it comes, chunked or not) and
 * answered in one piece.
 */
#include "api/httpd.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "api/front.h"
#include "api/slots.h"
#include "base/buf.h"

/* The largest JSON-RPC request: `tend apply` of a registry of 1000
 * services with env, args and health checks each sends about 1.1 MB. */
#define RPC_BODY_MAX (8u << 20)
/* What a request line and headers may take: more is 414 or 431. */
#define REQUEST_HEAD_MAX ((size_t)32 << 10)
/* A request (or the next one on a kept-alive connection) that stops
 * arriving for this long is dropped. Streams are not affected: MHD does
 * not time a suspended connection, and counts its resumption (an event,
 * or the keep-alive comment every 15 s) as activity. */
#define REQUEST_TIMEOUT_S 10u

#define MAX_ROUTES 8

struct httpd {
    struct MHD_Daemon *mhd;
    struct {
        const char *path;
        httpd_get_fn fn;
        void *ctx;
    } routes[MAX_ROUTES];
    int n_routes;
    uv_poll_t poll;
    uv_timer_t timer;
    const rpc_dispatcher *rpc;
    httpd_guard_fn guard;
    void *guard_ctx;
    char *socket_path; /* NULL for a TCP server */
    int listen_fd;
    int port;
    int closing;                       /* handles still closing */
    unsigned tls_flag;                 /* MHD_USE_TLS, or 0 */
    struct MHD_OptionItem tls_opts[5]; /* cert, key, versions, client CA, MHD_OPTION_END (0) */
    front *front;
};

typedef struct {
    int route; /* the GET route answering it, or -1 for POST /rpc */
    size_t body_max;
    buf body;
    bool big_answer;
    const char *read_only_as; /* from the guard: a read-only token's name */
} request;

/* After an answer this large (status_all of a thousand services), the
 * memory it took goes back to the system instead of lingering in malloc. */
#define BIG_ANSWER (64u << 10)

static void httpd_run(httpd *h);

static void on_poll(uv_poll_t *poll, int status, int events)
{
    (void)status, (void)events;
    httpd_run(poll->data);
}

static void on_timer(uv_timer_t *timer)
{
    httpd_run(timer->data);
}

static void httpd_run(httpd *h)
{
    MHD_run(h->mhd);
    MHD_UNSIGNED_LONG_LONG timeout = 0;
    if (MHD_get_timeout(h->mhd, &timeout) == MHD_YES)
        uv_timer_start(&h->timer, on_timer, (uint64_t)timeout, 0);
    else
        uv_timer_stop(&h->timer);
}

void httpd_route_get(httpd *h, const char *path, httpd_get_fn fn, void *ctx)
{
    if (h->n_routes == MAX_ROUTES) return;
    h->routes[h->n_routes].path = path;
    h->routes[h->n_routes].fn = fn;
    h->routes[h->n_routes].ctx = ctx;
    h->n_routes++;
}

void httpd_kick(httpd *h)
{
    /* A resumed connection is not in MHD's epoll set until MHD runs once. */
    uv_timer_start(&h->timer, on_timer, 0, 0);
}

enum MHD_Result httpd_reply(struct MHD_Connection *c, unsigned status, char *body, const char *type)
{
    struct MHD_Response *r =
        body ? MHD_create_response_from_buffer(strlen(body), body, MHD_RESPMEM_MUST_FREE)
             : MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    if (!r) {
        free(body);
        return MHD_NO;
    }
    if (type) MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    enum MHD_Result ok = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ok;
}

/* An error answer {"error": message}, with one extra header (or none). */
static enum MHD_Result reply_error_with(struct MHD_Connection *c, unsigned status,
                                        const char *message, const char *header, const char *value)
{
    char *body = NULL;
    if (asprintf(&body, "{\"error\":\"%s\"}", message) < 0) return MHD_NO;
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(body), body, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(body);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    if (header) MHD_add_response_header(r, header, value);
    enum MHD_Result ok = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ok;
}

static enum MHD_Result reply_error(struct MHD_Connection *c, unsigned status, const char *message)
{
    /* Every 401 says how to authenticate (RFC 9110 11.6.1). */
    if (status == MHD_HTTP_UNAUTHORIZED)
        return reply_error_with(c, status, message, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
                                "Bearer realm=\"tend\"");
    return reply_error_with(c, status, message, NULL, NULL);
}

/* The GET route for url ("/logs/" takes what is below it; "/" and other
 * paths match exactly), or -1. */
static int find_route(const httpd *h, const char *url)
{
    for (int i = 0; i < h->n_routes; i++) {
        const char *path = h->routes[i].path;
        size_t len = strlen(path);
        bool match = len > 1 && path[len - 1] == '/' ? strncmp(url, path, len) == 0 && url[len]
                                                     : strcmp(url, path) == 0;
        if (match) return i;
    }
    return -1;
}

/* The body the headers announce: its Content-Length, or SIZE_MAX for a
 * chunked one (counted as it comes). */
static size_t announced_body(struct MHD_Connection *c)
{
    const char *length =
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (length) return (size_t)strtoull(length, NULL, 10); /* MHD checked its form */
    return MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING)
               ? SIZE_MAX
               : 0;
}

/* The first call, with the headers complete and none of the body read:
 * refuses what it can refuse now, or prepares the request. */
static enum MHD_Result on_headers(httpd *h, struct MHD_Connection *c, const char *url,
                                  const char *method, request *req)
{
    if (h->guard) {
        unsigned status = 0;
        const char *why = NULL;
        if (!h->guard(h->guard_ctx, c, url, method, &status, &why, &req->read_only_as))
            return reply_error(c, status, why);
    }
    req->route = find_route(h, url);
    if (req->route >= 0) {
        if (strcmp(method, "GET") != 0)
            return reply_error_with(c, MHD_HTTP_METHOD_NOT_ALLOWED, "only GET is served here",
                                    MHD_HTTP_HEADER_ALLOW, "GET");
        req->body_max = 0;
    } else if (strcmp(url, "/rpc") == 0) {
        if (strcmp(method, "POST") != 0)
            return reply_error_with(c, MHD_HTTP_METHOD_NOT_ALLOWED,
                                    "POST JSON-RPC requests to /rpc", MHD_HTTP_HEADER_ALLOW,
                                    "POST");
        req->route = -1;
        req->body_max = RPC_BODY_MAX;
    } else {
        return reply_error(c, MHD_HTTP_NOT_FOUND, "no such path");
    }
    size_t body = announced_body(c);
    if (body != SIZE_MAX && body > req->body_max)
        return reply_error(c, MHD_HTTP_CONTENT_TOO_LARGE,
                           req->body_max ? "request body too large (the limit is 8 MiB)"
                                         : "this path takes no request body");
    return MHD_YES;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    (void)version;
    httpd *h = cls;
    request *req = *con_cls;
    if (!req) {
        req = calloc(1, sizeof(*req));
        if (!req) return MHD_NO;
        *con_cls = req;
        front_request_arrived(c);
        return on_headers(h, c, url, method, req);
    }
    if (*upload_data_size) {
        /* A chunked body over the cap: MHD 0.9.75 cannot answer in the
         * middle of a body, so the connection ends here. */
        if (*upload_data_size > req->body_max - req->body.len) return MHD_NO;
        buf_append(&req->body, upload_data, *upload_data_size);
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (req->route >= 0) return h->routes[req->route].fn(h->routes[req->route].ctx, c, url);
    /* Over the unix socket the kernel names the process that sent it
     * (the supervisor tells its own jobs by it). */
    pid_t from = h->socket_path ? front_peer_pid(c) : 0;
    char *answer = rpc_handle_from(h->rpc, req->body.data ? req->body.data : "", req->body.len,
                                   req->read_only_as, from);
    if (!answer) return httpd_reply(c, MHD_HTTP_NO_CONTENT, NULL, NULL);
    req->big_answer = strlen(answer) > BIG_ANSWER;
    return httpd_reply(c, MHD_HTTP_OK, answer, "application/json");
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode why)
{
    (void)cls, (void)why;
    front_request_done(c);
    request *req = *con_cls;
    if (!req) return;
    bool trim = req->big_answer;
    buf_free(&req->body);
    free(req);
    *con_cls = NULL;
    if (trim) malloc_trim(0);
}

static int listen_unix(const char *path, char *err, size_t errlen)
{
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof(addr.sun_path)) {
        snprintf(err, errlen, "socket path too long: %s", path);
        return -1;
    }
    strcpy(addr.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) goto fail;
    /* A socket file someone still answers on belongs to a running daemon. */
    if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0) {
        close(fd);
        snprintf(err, errlen, "another tend daemon is already listening on %s", path);
        return -1;
    }
    close(fd);
    unlink(path);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    mode_t old = umask(0177);
    int rc = fd < 0 ? -1 : bind(fd, (struct sockaddr *)&addr, sizeof(addr));
    umask(old);
    if (rc < 0 || chmod(path, 0600) < 0 || listen(fd, 1024) < 0) goto fail;
    return fd;
fail:
    snprintf(err, errlen, "cannot listen on %s: %s", path, strerror(errno));
    if (fd >= 0) close(fd);
    return -1;
}

/* A loopback TCP listener on host:port (port 0: any free one). */
static int listen_tcp(const char *host, int port, int *bound, char *err, size_t errlen)
{
    struct sockaddr_storage ss = {0};
    socklen_t len;
    struct sockaddr_in *v4 = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&ss;
    if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons((uint16_t)port);
        len = sizeof(*v4);
    } else if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons((uint16_t)port);
        len = sizeof(*v6);
    } else {
        snprintf(err, errlen, "'%s' is not an IP address", host);
        return -1;
    }
    int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0), one = 1;
    if (fd >= 0) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (fd < 0 || bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, 1024) < 0 ||
        getsockname(fd, (struct sockaddr *)&ss, &len) < 0) {
        snprintf(err, errlen, "cannot listen on %s:%d: %s", host, port, strerror(errno));
        if (fd >= 0) close(fd);
        return -1;
    }
    *bound = ntohs(ss.ss_family == AF_INET ? v4->sin_port : v6->sin6_port);
    return fd;
}

static void kick(void *ctx)
{
    httpd_kick(ctx);
}

static httpd *httpd_serve(uv_loop_t *loop, httpd *h, char *err, size_t errlen)
{
    /* The unix socket is the owner's alone. (A TLS server must not sniff:
     * its first bytes are a handshake, not a request line.) */
    front_options door = {.owner_only = h->socket_path != NULL,
                          .sniff_request_line = !h->tls_flag,
                          .kick = kick,
                          .kick_ctx = h};
    h->front = front_new(loop, h->listen_fd, &door);
    if (!h->front) {
        snprintf(err, errlen, "cannot watch the listening socket");
        goto bad;
    }
    /* The front accepts; MHD is never handed the listening socket. Its
     * own limit is above the front's, which counts lingering closes too. */
    h->mhd = MHD_start_daemon(
        MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_NO_LISTEN_SOCKET | h->tls_flag, 0, NULL,
        NULL, on_request, h, MHD_OPTION_ARRAY, h->tls_opts, MHD_OPTION_NOTIFY_COMPLETED,
        on_completed, h, MHD_OPTION_NOTIFY_CONNECTION, front_notify, h->front,
        MHD_OPTION_CONNECTION_TIMEOUT, REQUEST_TIMEOUT_S, MHD_OPTION_CONNECTION_LIMIT,
        (unsigned)(2 * SLOTS_TOTAL), MHD_OPTION_CONNECTION_MEMORY_LIMIT, REQUEST_HEAD_MAX,
        MHD_OPTION_END);
    if (!h->mhd) {
        snprintf(err, errlen, "cannot start the HTTP server");
        goto bad;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(h->mhd, MHD_DAEMON_INFO_EPOLL_FD);
    if (!info || front_start(h->front, h->mhd) < 0 ||
        uv_poll_init(loop, &h->poll, info->epoll_fd) < 0) {
        snprintf(err, errlen, "cannot watch the HTTP server");
        MHD_stop_daemon(h->mhd);
        goto bad;
    }
    h->poll.data = h;
    uv_timer_init(loop, &h->timer);
    h->timer.data = h;
    uv_poll_start(&h->poll, UV_READABLE, on_poll);
    httpd_run(h);
    return h;
bad:
    if (h->front) {
        front_stop(h->front); /* closes the listening socket */
        front_free(h->front);
    } else if (h->listen_fd >= 0) {
        close(h->listen_fd);
    }
    if (h->socket_path) unlink(h->socket_path);
    free(h->socket_path);
    free(h);
    return NULL;
}

httpd *httpd_start(uv_loop_t *loop, const char *socket_path, int listen_fd,
                   const rpc_dispatcher *rpc, char *err, size_t errlen)
{
    httpd *h = calloc(1, sizeof(*h));
    if (!h || !(h->socket_path = strdup(socket_path))) {
        free(h);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    h->rpc = rpc;
    if (listen_fd >= 0) fcntl(listen_fd, F_SETFL, fcntl(listen_fd, F_GETFL) | O_NONBLOCK);
    h->listen_fd = listen_fd >= 0 ? listen_fd : listen_unix(socket_path, err, errlen);
    if (h->listen_fd < 0) {
        free(h->socket_path);
        free(h);
        return NULL;
    }
    return httpd_serve(loop, h, err, errlen);
}

httpd *httpd_start_tcp(uv_loop_t *loop, const char *host, int port, const rpc_dispatcher *rpc,
                       httpd_guard_fn guard, void *guard_ctx, char *err, size_t errlen)
{
    return httpd_start_tcp_tls(loop, host, port, -1, NULL, rpc, guard, guard_ctx, err, errlen);
}

httpd *httpd_start_tcp_tls(uv_loop_t *loop, const char *host, int port, int listen_fd,
                           const httpd_tls *tls, const rpc_dispatcher *rpc, httpd_guard_fn guard,
                           void *guard_ctx, char *err, size_t errlen)
{
    httpd *h = calloc(1, sizeof(*h));
    if (!h) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    h->rpc = rpc;
    h->guard = guard;
    h->guard_ctx = guard_ctx;
    if (tls) {
        int n = 0;
        h->tls_flag = MHD_USE_TLS;
        h->tls_opts[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0, (void *)tls->cert};
        h->tls_opts[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0, (void *)tls->key};
        /* TLS 1.2 and later: 1.0 and 1.1 are deprecated (RFC 8996). */
        h->tls_opts[n++] =
            (struct MHD_OptionItem){MHD_OPTION_HTTPS_PRIORITIES, 0,
                                    (void *)"NORMAL:-VERS-TLS1.0:-VERS-TLS1.1:-VERS-DTLS-ALL"};
        if (tls->client_ca)
            h->tls_opts[n++] =
                (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_TRUST, 0, (void *)tls->client_ca};
    }
    if (listen_fd >= 0) {
        fcntl(listen_fd, F_SETFL, fcntl(listen_fd, F_GETFL) | O_NONBLOCK);
        h->port = port;
    }
    h->listen_fd = listen_fd >= 0 ? listen_fd : listen_tcp(host, port, &h->port, err, errlen);
    if (h->listen_fd < 0) {
        free(h);
        return NULL;
    }
    return httpd_serve(loop, h, err, errlen);
}

int httpd_listen_fd(const httpd *h)
{
    return h->listen_fd;
}

int httpd_port(const httpd *h)
{
    return h->port;
}

/* Two handles close; the second to finish frees the server. */
static void on_closed(uv_handle_t *handle)
{
    httpd *h = handle->data;
    if (--h->closing > 0) return;
    free(h->socket_path);
    free(h);
}

void httpd_stop(httpd *h)
{
    if (!h) return;
    uv_poll_stop(&h->poll);
    front_stop(h->front); /* closes the listening socket */
    MHD_stop_daemon(h->mhd);
    front_free(h->front);
    if (h->socket_path) unlink(h->socket_path);
    h->closing = 2;
    uv_close((uv_handle_t *)&h->poll, on_closed);
    uv_close((uv_handle_t *)&h->timer, on_closed);
}
