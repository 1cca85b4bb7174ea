/* dashboard.h — the web dashboard's server: a second HTTP server on a
 * loopback TCP address that serves the page (embedded assets, public) and
 * the same JSON-RPC API, streams and metrics, each only with one of the
 * API's tokens (Authorization: Bearer TOKEN; api/auth.h), and POSTs only
 * from the page's own origin. The page's own token is the "dashboard"
 * token (api/tokens.h), kept until `tend token rotate dashboard`.
 *
 * Owns the server and the URL file (mode 0600) through which `tend
 * dashboard` learns the URL with the token, rewritten when it is rotated.
 */
#ifndef TEND_API_DASHBOARD_H
#define TEND_API_DASHBOARD_H

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

/* Listens on host:port, checking tokens against api->tokens, and writes
 * the URL to url_file. NULL with the reason in err. */
dashboard *dashboard_start(uv_loop_t *loop, const char *host, int port, const rpc_dispatcher *rpc,
                           sse_hub *hub, api_ctx *api, const char *url_file, char *err,
                           size_t errlen);
/* http://HOST:PORT/ (without the token). */
const char *dashboard_address(const dashboard *d);
/* The same with ?token=TOKEN. */
const char *dashboard_url(const dashboard *d);
/* Stops serving and removes the URL file. */
void dashboard_stop(dashboard *d);

#endif
