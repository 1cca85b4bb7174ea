/* store_watch.c — says when the history cannot be written and retries the
 * held writes on a backoff timer (see store_watch.h). Supervision never
 * waits for the store: jobs go on, and their rows wait in its memory.
 * The timer runs only while writes are held, and never keeps a stopping
 * daemon alive (it is unreferenced).
 */
#include "daemon/store_watch.h"

#include <stdio.h>

static struct {
    store *st;
    uv_timer_t timer;
    bool started;
} watch;

static void on_retry(uv_timer_t *timer);

/* The next attempt, after the wait the store asks for. */
static void arm(void)
{
    store_write_state ws;
    store_write_state_get(watch.st, &ws);
    uv_timer_start(&watch.timer, on_retry, (uint64_t)(ws.retry_in * 1000), 0);
}

static void on_retry(uv_timer_t *timer)
{
    (void)timer;
    if (store_retry(watch.st) < 0) arm();
}

static void on_write(void *ctx, bool failing, size_t changes, const char *error)
{
    (void)ctx;
    if (failing) {
        fprintf(stderr,
                "tend: cannot write the history (%s); supervision goes on, %zu change(s) held "
                "in memory\n",
                error ? error : "unknown error", changes);
        arm();
        return;
    }
    uv_timer_stop(&watch.timer);
    fprintf(stderr, "tend: history written again: %zu held change(s) written\n", changes);
}

void store_watch_start(uv_loop_t *loop, store *st)
{
    watch.st = st;
    uv_timer_init(loop, &watch.timer);
    uv_unref((uv_handle_t *)&watch.timer);
    watch.started = true;
    store_set_write_listener(st, on_write, NULL);
}

void store_watch_stop(void)
{
    if (!watch.started) return;
    watch.started = false;
    if (store_retry(watch.st) < 0) {
        store_write_state ws;
        store_write_state_get(watch.st, &ws);
        fprintf(stderr, "tend: the history could not be written (%s): %zu change(s) lost\n",
                ws.error ? ws.error : "unknown error", ws.pending);
    }
    store_set_write_listener(watch.st, NULL, NULL);
    uv_close((uv_handle_t *)&watch.timer, NULL);
}
