/* auth.h — who a request over TCP comes from: the bearer token of its
 * Authorization header, checked against the API's tokens (api/tokens.h).
 * Any TCP server passes auth_guard (with its token_set as the context) to
 * httpd_start_tcp; the dashboard adds its own rules around auth_check.
 *
 * A read-only token may GET (/metrics, /events, /logs/...) and POST /rpc,
 * where it may call only the methods that change nothing: the guard tells
 * httpd so through *read_only_as (the token's name), and rpc_handle_as
 * refuses the others. Refusals say why in words: a missing or unknown
 * token, which token expired when, which was revoked.
 */
#ifndef TEND_API_AUTH_H
#define TEND_API_AUTH_H

#include <microhttpd.h>
#include <stdbool.h>

#include "api/tokens.h"

/* Checks the request's token: true with *read_only_as set (the token's
 * name if it is read-only, else NULL), or false with a status (401, 403)
 * and the reason (valid until the next call). */
bool auth_check(token_set *ts, struct MHD_Connection *c, const char *url, const char *method,
                unsigned *status, const char **why, const char **read_only_as);
/* auth_check as an httpd_guard_fn: ctx is the token_set. */
bool auth_guard(void *ctx, struct MHD_Connection *c, const char *url, const char *method,
                unsigned *status, const char **why, const char **read_only_as);

#endif
