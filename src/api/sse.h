/* sse.h — the live event stream, GET /events (server-sent events). */
#ifndef TEND_API_SSE_H
#define TEND_API_SSE_H

#include <stdint.h>
#include <uv.h>

#include "api/httpd.h"
#include "store/store.h"

typedef struct sse_hub sse_hub;

/* Serves /events on http and listens to every event st writes. */
sse_hub *sse_hub_new(uv_loop_t *loop, httpd *http, store *st);
/* Serves the same streams on another server too (the dashboard's). */
void sse_hub_serve(sse_hub *hub, httpd *http);
/* The store's event listener: sends one event to every matching client. */
void sse_publish(void *ctx, int64_t id, double at, const char *kind, const char *service,
                 int64_t job, int64_t run, const char *data);
/* Ends every stream; call before httpd_stop. */
void sse_hub_close(sse_hub *hub);
/* After httpd_stop. */
void sse_hub_free(sse_hub *hub);

#endif
