/* remote.h — the remote API: TCP listeners (`tend daemon --listen`, or
 * the registry's [daemon] listen) serving what the unix socket serves
 * (/rpc, /events, /logs/..., /metrics) to other hosts. With a certificate
 * and key they speak TLS (and, with a client CA, take only clients with a
 * certificate it signed, as Docker's --tlsverify does); plain HTTP only on
 * a loopback address. Every request needs a token (the guard given).
 *
 * Owns the listeners and the TLS material. A main process the keeper
 * starts again finds its listening sockets held by the keeper: clients
 * that connect meanwhile wait in their backlog.
 */
#ifndef TEND_API_REMOTE_H
#define TEND_API_REMOTE_H

#include <stddef.h>
#include <uv.h>

#include "api/httpd.h"
#include "api/methods.h"
#include "api/rpc.h"
#include "api/sse.h"

#include "config/registry.h"

/* At most this many addresses (the event streams serve as many servers). */
#define REMOTE_MAX_LISTEN REGISTRY_MAX_LISTEN

typedef struct {
    char *const *listen; /* "HOST:PORT" each (an IP address; "[::]:9443" for IPv6) */
    const char *tls_cert, *tls_key, *tls_client_ca; /* files; NULL: none */
} remote_config;

typedef struct remote remote;

/* Checks one address: 0, or -1 with the reason in err. */
int remote_check_address(const char *addr, bool tls, char *err, size_t errlen);

/* Checks every address and reads the TLS files (a non-loopback address
 * needs TLS; a key needs its certificate). Nothing listens yet. NULL with
 * the reason, naming the address or file, in err. */
remote *remote_prepare(const remote_config *cfg, char *err, size_t errlen);
/* Listens on each address, every request passing token_guard (after the
 * client certificate, when a client CA is set). 0, or -1 with the reason
 * in err (then nothing listens). */
int remote_start(remote *r, uv_loop_t *loop, const rpc_dispatcher *rpc, sse_hub *hub, api_ctx *api,
                 httpd_guard_fn token_guard, void *token_ctx, char *err, size_t errlen);
/* "https://10.0.0.1:9443" of listener i (i < remote_count), for the log. */
size_t remote_count(const remote *r);
const char *remote_url(const remote *r, size_t i);
/* Stops serving (NULL: nothing). */
void remote_stop(remote *r);

#endif
