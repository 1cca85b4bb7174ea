/* front.c — accepting connections for libmicrohttpd (see front.h).
 *
 * A connection is a slot holder from accept to its last close; on the way
 * it is, in turn: waited for (its first bytes are peeked at, not read, so
 * MHD still gets them), MHD's, and lingering. */
#include "api/front.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "api/deadline.h"
#include "api/linger.h"
#include "api/peer.h"
#include "api/slots.h"

#define ACCEPTS_PER_TURN 64 /* then other work gets its turn */
#define SNIFF_BYTES      1024

typedef enum { CONN_WAITING, CONN_HANDING_OVER, CONN_IN_MHD, CONN_LINGERING } conn_state;

typedef struct waiter waiter;

typedef struct conn {
    front *f;
    peer who;
    conn_state state;
    int fd; /* while waiting */
    struct sockaddr_storage addr;
    socklen_t addrlen;
    waiter *waiting;
    lingering *lingering;
    deadline head_due; /* in MHD: when the request line and headers must be in */
    struct conn *next, *prev;
} conn;

struct waiter {
    uv_poll_t poll;
    uv_timer_t timer;
    int open_handles;
    conn *c;
};

struct front {
    uv_loop_t *loop;
    uv_poll_t listen_poll;
    int listen_fd;
    int spare_fd; /* given up for a moment when out of fds (see on_acceptable) */
    bool stopping;
    int open_handles; /* the listener's poll, the deadlines' timer */
    bool free_asked;
    deadline_queue heads; /* connections whose request head is due */
    front_options opt;
    struct MHD_Daemon *mhd;
    conn *adopting; /* the connection inside MHD_add_connection */
    conn *conns;
    slots slots;
};

static void conn_free(conn *c)
{
    front *f = c->f;
    deadline_disarm(&f->heads, &c->head_due);
    slots_give(&f->slots, &c->who);
    if (c->prev)
        c->prev->next = c->next;
    else
        f->conns = c->next;
    if (c->next) c->next->prev = c->prev;
    free(c);
}

/* A request head still not in: MHD finds its socket shut and closes it
 * (the fd is MHD's; only shutdown, never close, may touch it). */
static void on_head_overdue(deadline_queue *q, deadline *d)
{
    (void)q;
    conn *c = (conn *)((char *)d - offsetof(conn, head_due));
    shutdown(c->fd, SHUT_RDWR);
}

static void on_lingered(void *ctx)
{
    conn_free(ctx);
}

/* Closes fd without a reset; the slot is given back after. */
static void conn_close(conn *c, int fd)
{
    c->state = CONN_LINGERING;
    c->lingering = linger_close(c->f->loop, fd, on_lingered, c);
    if (!c->lingering) conn_free(c);
}

/* A complete answer of our own, in one write into an empty socket buffer. */
static void send_answer(int fd, unsigned status, const char *reason, const char *message)
{
    char text[512];
    int body = (int)strlen(message) + 12;
    int n = snprintf(text, sizeof(text),
                     "HTTP/1.1 %u %s\r\nContent-Type: application/json\r\n"
                     "Content-Length: %d\r\nConnection: close\r\n\r\n{\"error\":\"%s\"}",
                     status, reason, body, message);
    if (n > 0 && n < (int)sizeof(text)) (void)!send(fd, text, (size_t)n, MSG_NOSIGNAL);
}

static void on_waiter_closed(uv_handle_t *handle)
{
    waiter *w = handle->data;
    if (--w->open_handles == 0) free(w);
}

/* Ends the wait; the fd stays open (it goes on to MHD, or is closed). */
static void waiter_end(conn *c)
{
    waiter *w = c->waiting;
    c->waiting = NULL;
    uv_close((uv_handle_t *)&w->poll, on_waiter_closed);
    uv_close((uv_handle_t *)&w->timer, on_waiter_closed);
}

static void hand_over(conn *c)
{
    front *f = c->f;
    c->state = CONN_HANDING_OVER;
    f->adopting = c;
    MHD_add_connection(f->mhd, c->fd, (struct sockaddr *)&c->addr, c->addrlen);
    /* MHD closed the socket without ever taking the connection. */
    if (f->adopting == c) {
        f->adopting = NULL;
        conn_free(c);
    }
    f->opt.kick(f->opt.kick_ctx);
}

/* A first line (after any empty ones) that is complete and has no space
 * in it: not METHOD TARGET VERSION. An incomplete one goes on to MHD. */
static bool garbage_request_line(const char *data, size_t len)
{
    size_t i = 0;
    while (i < len && (data[i] == '\r' || data[i] == '\n')) i++;
    const char *start = data + i, *end = memchr(start, '\n', len - i);
    return end && !memchr(start, ' ', (size_t)(end - start));
}

static void on_first_bytes(uv_poll_t *poll, int status, int events)
{
    (void)events;
    conn *c = ((waiter *)poll->data)->c;
    char peek[SNIFF_BYTES];
    ssize_t n = status < 0 ? -1 : recv(c->fd, peek, sizeof(peek), MSG_PEEK | MSG_DONTWAIT);
    if (n < 0 && status == 0 && (errno == EAGAIN || errno == EINTR)) return;
    waiter_end(c);
    if (n <= 0) { /* gone before a word */
        close(c->fd);
        conn_free(c);
    } else if (garbage_request_line(peek, (size_t)n)) {
        send_answer(c->fd, 400, "Bad Request",
                    "malformed request line: expected METHOD TARGET HTTP/VERSION");
        conn_close(c, c->fd);
    } else {
        hand_over(c);
    }
}

static void on_wait_timeout(uv_timer_t *timer)
{
    conn *c = ((waiter *)timer->data)->c;
    waiter_end(c);
    close(c->fd);
    conn_free(c);
}

static void wait_for_request(conn *c)
{
    waiter *w = calloc(1, sizeof(*w));
    if (!w || uv_poll_init(c->f->loop, &w->poll, c->fd) < 0) {
        free(w);
        close(c->fd);
        conn_free(c);
        return;
    }
    w->c = c;
    w->open_handles = 2;
    w->poll.data = w->timer.data = w;
    uv_timer_init(c->f->loop, &w->timer);
    c->waiting = w;
    c->state = CONN_WAITING;
    uv_poll_start(&w->poll, UV_READABLE, on_first_bytes);
    uv_timer_start(&w->timer, on_wait_timeout, FRONT_WAIT_MS, 0);
}

static void accepted(front *f, int fd, const struct sockaddr_storage *addr, socklen_t addrlen)
{
    peer who;
    peer_identify(fd, (const struct sockaddr *)addr, addrlen, &who);
    if (!slots_take(&f->slots, &who)) {
        send_answer(fd, 503, "Service Unavailable",
                    "too many connections from your user or address");
        close(fd);
        return;
    }
    conn *c = calloc(1, sizeof(*c));
    if (!c) {
        slots_give(&f->slots, &who);
        close(fd);
        return;
    }
    c->f = f;
    c->who = who;
    c->fd = fd;
    c->addr = *addr;
    c->addrlen = addrlen;
    c->next = f->conns;
    if (f->conns) f->conns->prev = c;
    f->conns = c;
    if (f->opt.owner_only && !peer_is_owner(&who)) {
        send_answer(fd, 403, "Forbidden", "this socket serves only the daemon's own user and root");
        conn_close(c, fd);
    } else if (f->opt.sniff_request_line) {
        wait_for_request(c);
    } else {
        hand_over(c);
    }
}

static void on_acceptable(uv_poll_t *poll, int status, int events)
{
    (void)status, (void)events;
    front *f = poll->data;
    for (int i = 0; i < ACCEPTS_PER_TURN; i++) {
        struct sockaddr_storage addr;
        socklen_t len = sizeof(addr);
        int fd =
            accept4(f->listen_fd, (struct sockaddr *)&addr, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd >= 0) {
            accepted(f, fd, &addr, len);
            continue;
        }
        if ((errno == EMFILE || errno == ENFILE) && f->spare_fd >= 0) {
            /* Out of fds: the queue would keep the socket readable, and
             * this loop spinning. The spare fd makes room to take the
             * connection and close it. */
            close(f->spare_fd);
            fd = accept4(f->listen_fd, NULL, NULL, SOCK_CLOEXEC);
            if (fd >= 0) close(fd);
            f->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
            continue;
        }
        if (errno != ECONNABORTED && errno != EINTR && errno != EPROTO) return;
    }
}

front *front_new(uv_loop_t *loop, int listen_fd, const front_options *opt)
{
    front *f = calloc(1, sizeof(*f));
    if (!f || uv_poll_init(loop, &f->listen_poll, listen_fd) < 0) {
        free(f);
        return NULL;
    }
    f->loop = loop;
    f->listen_fd = listen_fd;
    f->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    f->opt = *opt;
    f->listen_poll.data = f;
    deadline_queue_init(loop, &f->heads, FRONT_HEAD_MS, on_head_overdue, f);
    f->open_handles = 2;
    return f;
}

int front_start(front *f, struct MHD_Daemon *mhd)
{
    f->mhd = mhd;
    return uv_poll_start(&f->listen_poll, UV_READABLE, on_acceptable);
}

void front_notify(void *cls, struct MHD_Connection *mc, void **socket_context,
                  enum MHD_ConnectionNotificationCode code)
{
    front *f = cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        conn *c = f->adopting;
        f->adopting = NULL;
        *socket_context = c;
        if (!c) return;
        c->state = CONN_IN_MHD;
        deadline_arm(&f->heads, &c->head_due);
        return;
    }
    conn *c = *socket_context;
    *socket_context = NULL;
    if (!c) return;
    deadline_disarm(&f->heads, &c->head_due);
    /* MHD closes its fd after this: a copy keeps the socket for the
     * lingering close. */
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(mc, MHD_CONNECTION_INFO_CONNECTION_FD);
    int copy = f->stopping || !info ? -1 : fcntl(info->connect_fd, F_DUPFD_CLOEXEC, 0);
    if (copy < 0)
        conn_free(c);
    else
        conn_close(c, copy);
}

/* The connection behind an MHD connection (NULL if none). */
static conn *conn_of(struct MHD_Connection *mc)
{
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(mc, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return info ? info->socket_context : NULL;
}

pid_t front_peer_pid(struct MHD_Connection *mc)
{
    conn *c = conn_of(mc);
    return c ? c->who.pid : 0;
}

void front_request_arrived(struct MHD_Connection *mc)
{
    conn *c = conn_of(mc);
    if (c) deadline_disarm(&c->f->heads, &c->head_due);
}

void front_request_done(struct MHD_Connection *mc)
{
    conn *c = conn_of(mc);
    if (c && !c->f->stopping) deadline_arm(&c->f->heads, &c->head_due);
}

static void handle_closed(front *f)
{
    if (--f->open_handles == 0 && f->free_asked) free(f);
}

static void on_listen_closed(uv_handle_t *handle)
{
    handle_closed(handle->data);
}

static void on_heads_closed(uv_handle_t *handle)
{
    handle_closed(((deadline_queue *)handle->data)->ctx);
}

void front_stop(front *f)
{
    f->stopping = true;
    for (conn *c = f->conns, *next; c; c = next) {
        next = c->next;
        if (c->state == CONN_WAITING) {
            waiter_end(c);
            close(c->fd);
            conn_free(c);
        } else if (c->state == CONN_LINGERING) {
            linger_abort(c->lingering);
            conn_free(c);
        }
    }
    uv_poll_stop(&f->listen_poll);
    close(f->listen_fd);
    if (f->spare_fd >= 0) close(f->spare_fd);
    uv_close((uv_handle_t *)&f->listen_poll, on_listen_closed);
    deadline_queue_close(&f->heads, on_heads_closed);
}

void front_free(front *f)
{
    /* What MHD held it gave back at its stop. */
    while (f->conns) conn_free(f->conns);
    f->free_asked = true;
    if (f->open_handles == 0) free(f);
}
