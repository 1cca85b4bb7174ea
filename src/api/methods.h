/* methods.h — the daemon's JSON-RPC methods (see docs/api.md). */
#ifndef TEND_API_METHODS_H
#define TEND_API_METHODS_H

#include "api/rpc.h"
#include "api/tokens.h"
#include "daemon/supervisor.h"
#include "store/store.h"

typedef struct {
    supervisor *sv;
    store *st;
    token_set *tokens; /* NULL: none kept (token.* methods fail) */
} api_ctx;

/* The dispatcher's table is the code's list of methods; the OpenRPC
 * document (served by rpc.discover) is the described one. A unit test
 * keeps the two identical. */
void api_dispatcher_init(rpc_dispatcher *d, api_ctx *ctx);
const char *api_openrpc_document(void);

#endif
