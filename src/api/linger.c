/* linger.c — lingering close (see linger.h): a uv_poll drains the socket,
 * a uv_timer bounds how long. */
#include "api/linger.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

struct lingering {
    uv_poll_t poll;
    uv_timer_t timer;
    int fd;
    int open_handles;
    void (*done)(void *ctx);
    void *ctx;
};

static void on_handle_closed(uv_handle_t *handle)
{
    lingering *l = handle->data;
    if (--l->open_handles == 0) free(l);
}

static void finish(lingering *l, bool notify)
{
    if (l->fd < 0) return;
    /* libuv lets go of the fd before it is closed. */
    uv_close((uv_handle_t *)&l->poll, on_handle_closed);
    uv_close((uv_handle_t *)&l->timer, on_handle_closed);
    close(l->fd);
    l->fd = -1;
    if (notify && l->done) l->done(l->ctx);
}

/* Reads and drops; true once the client has closed (or the socket failed). */
static bool drain(int fd)
{
    static char sink[16384];
    for (;;) {
        ssize_t n = recv(fd, sink, sizeof(sink), MSG_DONTWAIT);
        if (n > 0) continue;
        return n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
    }
}

static void on_readable(uv_poll_t *poll, int status, int events)
{
    (void)events;
    lingering *l = poll->data;
    if (status < 0 || drain(l->fd)) finish(l, true);
}

static void on_timeout(uv_timer_t *timer)
{
    finish(timer->data, true);
}

lingering *linger_close(uv_loop_t *loop, int fd, void (*done)(void *ctx), void *ctx)
{
    shutdown(fd, SHUT_WR);
    lingering *l = drain(fd) ? NULL : calloc(1, sizeof(*l));
    if (!l || uv_poll_init(loop, &l->poll, fd) < 0) {
        free(l);
        close(fd);
        return NULL;
    }
    l->fd = fd;
    l->done = done;
    l->ctx = ctx;
    l->open_handles = 2;
    l->poll.data = l->timer.data = l;
    uv_timer_init(loop, &l->timer);
    uv_poll_start(&l->poll, UV_READABLE, on_readable);
    uv_timer_start(&l->timer, on_timeout, LINGER_MS, 0);
    return l;
}

void linger_abort(lingering *l)
{
    finish(l, false);
}
