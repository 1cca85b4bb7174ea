/* notify.c — a job's sd_notify socket (see notify.h). */
#include "daemon/notify.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

struct notify_socket {
    uv_poll_t poll;
    int fd;
    notify_fn fn;
    void *ctx;
    char env[sizeof("NOTIFY_SOCKET=") + sizeof(((struct sockaddr_un *)0)->sun_path)];
    const char *path; /* inside env */
};

/* One datagram: lines of KEY=VALUE. */
static void deliver(notify_socket *n, char *msg)
{
    for (char *line = msg, *next; line && *line; line = next) {
        next = strchr(line, '\n');
        if (next) *next++ = '\0';
        char *eq = strchr(line, '=');
        if (!eq) continue;
        *eq = '\0';
        n->fn(n->ctx, line, eq + 1);
    }
}

static void readable(uv_poll_t *poll, int status, int events)
{
    notify_socket *n = poll->data;
    (void)events;
    if (status < 0) return;
    char buf[4097];
    for (;;) {
        ssize_t len = recv(n->fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);
        if (len < 0) break; /* EAGAIN: all read */
        buf[len] = '\0';
        deliver(n, buf);
        /* The owner may have closed us while handling a message. */
        if (uv_is_closing((uv_handle_t *)poll)) return;
    }
}

notify_socket *notify_open(uv_loop_t *loop, const char *dir, int64_t job_id, uid_t uid,
                           notify_fn fn, void *ctx, char *err, size_t errlen)
{
    notify_socket *n = calloc(1, sizeof(*n));
    if (!n) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    int len = snprintf(addr.sun_path, sizeof(addr.sun_path), "%s/%lld", dir, (long long)job_id);
    if (len < 0 || (size_t)len >= sizeof(addr.sun_path)) {
        snprintf(err, errlen, "notify socket path too long: %s/%lld", dir, (long long)job_id);
        free(n);
        return NULL;
    }
    mkdir(dir, 0711);
    unlink(addr.sun_path);
    n->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (n->fd < 0 || bind(n->fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
        (uid != (uid_t)-1 && chown(addr.sun_path, uid, (gid_t)-1) < 0) ||
        uv_poll_init(loop, &n->poll, n->fd) < 0) {
        snprintf(err, errlen, "notify socket %s: %s", addr.sun_path, strerror(errno));
        if (n->fd >= 0) close(n->fd);
        unlink(addr.sun_path);
        free(n);
        return NULL;
    }
    chmod(addr.sun_path, 0600);
    snprintf(n->env, sizeof(n->env), "NOTIFY_SOCKET=%s", addr.sun_path);
    n->path = n->env + strlen("NOTIFY_SOCKET=");
    n->fn = fn;
    n->ctx = ctx;
    n->poll.data = n;
    uv_poll_start(&n->poll, UV_READABLE, readable);
    return n;
}

const char *notify_env(const notify_socket *n)
{
    return n->env;
}

static void closed(uv_handle_t *handle)
{
    notify_socket *n = handle->data;
    close(n->fd);
    free(n);
}

void notify_close(notify_socket *n)
{
    if (!n) return;
    unlink(n->path);
    uv_poll_stop(&n->poll);
    uv_close((uv_handle_t *)&n->poll, closed);
}
