/* dashboard.h — the web dashboard's server: a second HTTP server on a
 * loopback TCP address that serves the page (embedded assets, public) and
 * the same JSON-RPC API, streams and metrics, each only with the access
 * token the daemon generates at start (Authorization: Bearer TOKEN), and
 * POSTs only from the page's own origin.
 *
 * Owns the token, the server, and the URL file (mode 0600) through which
 * `tend dashboard` learns the URL with the token.
 */
#ifndef TEND_API_DASHBOARD_H
#define TEND_API_DASHBOARD_H

#include <microhttpd.h>
#include <stdbool.h>
#include <stddef.h>
#include <uv.h>

#include "api/methods.h"
#include "api/rpc.h"
#include "api/sse.h"

typedef struct dashboard dashboard;

/* Splits "HOST:PORT" ("[::1]:9120" for IPv6); HOST must be a loopback IP
 * address. Returns 0, or -1 with the reason in err. */
int dashboard_parse_address(const char *addr, char *host, size_t hostlen, int *port, char *err,
                            size_t errlen);

/* Listens on host:port and writes the URL to url_file. NULL with the
 * reason in err. */
dashboard *dashboard_start(uv_loop_t *loop, const char *host, int port, const rpc_dispatcher *rpc,
                           sse_hub *hub, api_ctx *api, const char *url_file, char *err,
                           size_t errlen);
/* http://HOST:PORT/ (without the token). */
const char *dashboard_address(const dashboard *d);
/* The same with ?token=TOKEN. */
const char *dashboard_url(const dashboard *d);
/* The token check alone (an httpd_guard_fn, ctx the dashboard): the
 * remote API's listeners take the same token. */
bool dashboard_token_guard(void *ctx, struct MHD_Connection *c, const char *url,
                           const char *method, unsigned *status, const char **why);
/* Stops serving and removes the URL file. */
void dashboard_stop(dashboard *d);

#endif
