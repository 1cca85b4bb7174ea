/* methods.h — the daemon's JSON-RPC methods (see docs/api.md). */
#ifndef TEND_API_METHODS_H
#define TEND_API_METHODS_H

#include "api/rpc.h"
#include "daemon/supervisor.h"
#include "store/store.h"

typedef struct {
    supervisor *sv;
    store *st;
} api_ctx;

void api_dispatcher_init(rpc_dispatcher *d, api_ctx *ctx);

#endif
