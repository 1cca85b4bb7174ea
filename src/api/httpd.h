/* httpd.h — the daemon's HTTP server: libmicrohttpd driven by the daemon's
 * libuv loop (no threads of its own), listening on a unix socket of mode
 * 0600, or on a loopback TCP port for the dashboard. POST /rpc is
 * JSON-RPC; other routes are added by path ("/x/" takes what is below it).
 * Connections come in through front.h; docs/api.md ("HTTP at the edges")
 * lists what is refused, and when. */
#ifndef TEND_API_HTTPD_H
#define TEND_API_HTTPD_H

#include <microhttpd.h>
#include <stdbool.h>
#include <stddef.h>
#include <uv.h>

#include "api/rpc.h"

typedef struct httpd httpd;

/* Binds the socket (refusing if a live server answers there, replacing a
 * stale one) and starts serving; with listen_fd >= 0, serves that socket,
 * already bound to socket_path (one the keeper held while no main process
 * ran: the connections made meanwhile wait in it). Returns NULL with the
 * reason in err. */
httpd *httpd_start(uv_loop_t *loop, const char *socket_path, int listen_fd,
                   const rpc_dispatcher *rpc, char *err, size_t errlen);
/* The listening socket (the server's own). */
int httpd_listen_fd(const httpd *h);
/* Decides whether a request may go on: false with an HTTP status and a
 * reason to refuse it (401 without the token, 403 from a foreign origin).
 * *read_only_as: the name of the caller's read-only token (its /rpc calls
 * are limited to methods that change nothing), NULL for full rights. */
typedef bool (*httpd_guard_fn)(void *ctx, struct MHD_Connection *c, const char *url,
                               const char *method, unsigned *status, const char **why,
                               const char **read_only_as);
/* The same server on host:port (an IP address; port 0 takes a free one),
 * every request passing guard first. */
httpd *httpd_start_tcp(uv_loop_t *loop, const char *host, int port, const rpc_dispatcher *rpc,
                       httpd_guard_fn guard, void *guard_ctx, char *err, size_t errlen);
/* TLS for a TCP server: PEM text, kept alive while the server runs;
 * client_ca NULL unless clients are asked for a certificate it signed
 * (which the guard must then check: libmicrohttpd only asks). */
typedef struct {
    const char *cert, *key, *client_ca;
} httpd_tls;
/* The same with TLS when tls is given; with listen_fd >= 0, that socket
 * (already bound and listening) instead of host:port. */
httpd *httpd_start_tcp_tls(uv_loop_t *loop, const char *host, int port, int listen_fd,
                           const httpd_tls *tls, const rpc_dispatcher *rpc, httpd_guard_fn guard,
                           void *guard_ctx, char *err, size_t errlen);
/* The TCP port it listens on. */
int httpd_port(const httpd *h);

/* GET PATH is answered by fn (a stream may suspend its connection); a
 * PATH ending in '/' takes every path below it. */
typedef enum MHD_Result (*httpd_get_fn)(void *ctx, struct MHD_Connection *c, const char *url);
void httpd_route_get(httpd *h, const char *path, httpd_get_fn fn, void *ctx);
/* Answers with body (taken over; NULL for none) of the given type. */
enum MHD_Result httpd_reply(struct MHD_Connection *c, unsigned status, char *body,
                            const char *type);
/* Lets MHD carry on after a suspended connection was resumed. */
void httpd_kick(httpd *h);

/* Stops serving and removes the socket file. */
void httpd_stop(httpd *h);

#endif
