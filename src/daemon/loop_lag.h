/* loop_lag.h — how long the daemon's event loop is busy between polls.
 *
 * Every event waits at most as long as the loop's longest busy stretch,
 * so that stretch is the loop's lag. Measured each iteration just before
 * the loop polls: the time since the previous poll began, minus the time
 * libuv spent blocked in it (uv_metrics_idle_time). Two clock reads per
 * iteration; nothing runs while the daemon is idle.
 */
#ifndef TEND_DAEMON_LOOP_LAG_H
#define TEND_DAEMON_LOOP_LAG_H

#include <uv.h>

/* Before uv_run: turns on libuv's idle-time metric and starts measuring. */
void loop_lag_start(uv_loop_t *loop);
void loop_lag_stop(void);

typedef struct {
    double max_busy;   /* seconds: the longest busy stretch since the last take */
    double busy_total; /* seconds busy since the start */
} loop_lag_stats;

/* The figures, restarting max_busy. */
loop_lag_stats loop_lag_take(void);

#endif
