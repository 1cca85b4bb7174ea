/* loop_lag.c — the loop's busy time per iteration (see loop_lag.h). */
#include "daemon/loop_lag.h"

#include <stdlib.h>

static uv_prepare_t *before_poll; /* allocated: closed asynchronously */
static uint64_t last_at, last_idle;
static loop_lag_stats stats;

static void measure(uv_prepare_t *handle)
{
    uint64_t now = uv_hrtime(), idle = uv_metrics_idle_time(handle->loop);
    if (last_at) {
        uint64_t spent = now - last_at, blocked = idle - last_idle;
        double busy = spent > blocked ? (double)(spent - blocked) / 1e9 : 0;
        if (busy > stats.max_busy) stats.max_busy = busy;
        stats.busy_total += busy;
    }
    last_at = now;
    last_idle = idle;
}

void loop_lag_start(uv_loop_t *loop)
{
    if (before_poll || uv_loop_configure(loop, UV_METRICS_IDLE_TIME) < 0) return;
    if (!(before_poll = malloc(sizeof(*before_poll)))) return;
    uv_prepare_init(loop, before_poll);
    before_poll->data = before_poll;
    uv_prepare_start(before_poll, measure);
    uv_unref((uv_handle_t *)before_poll); /* measuring never keeps the daemon up */
}

static void closed(uv_handle_t *handle)
{
    free(handle->data);
}

void loop_lag_stop(void)
{
    if (!before_poll) return;
    uv_close((uv_handle_t *)before_poll, closed);
    before_poll = NULL;
}

loop_lag_stats loop_lag_take(void)
{
    loop_lag_stats out = stats;
    stats.max_busy = 0;
    return out;
}
