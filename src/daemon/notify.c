/* notify.c — a job's sd_notify socket (see notify.h). */
#include "daemon/notify.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

struct notify_socket {
    uv_poll_t poll;
    int fd;
    uid_t uid; /* whose messages count (root's always do) */
    notify_fn fn;
    void *ctx;
    char env[96]; /* NOTIFY_SOCKET=@tend/PID/notify/JOB */
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

/* The sender's uid from the datagram's credentials, or -1 without them. */
static long sender_uid(struct msghdr *msg)
{
    for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_CREDENTIALS) continue;
        struct ucred cred;
        memcpy(&cred, CMSG_DATA(c), sizeof(cred));
        return (long)cred.uid;
    }
    return -1;
}

static void readable(uv_poll_t *poll, int status, int events)
{
    notify_socket *n = poll->data;
    (void)events;
    if (status < 0) return;
    for (;;) {
        char buf[4097];
        union {
            struct cmsghdr align;
            char bytes[CMSG_SPACE(sizeof(struct ucred))];
        } control;
        struct iovec iov = {.iov_base = buf, .iov_len = sizeof(buf) - 1};
        struct msghdr msg = {.msg_iov = &iov,
                             .msg_iovlen = 1,
                             .msg_control = control.bytes,
                             .msg_controllen = sizeof(control.bytes)};
        ssize_t len = recvmsg(n->fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
        if (len < 0) break; /* EAGAIN: all read */
        long uid = sender_uid(&msg);
        if (uid != 0 && uid != (long)n->uid) continue; /* not the job's: not heard */
        buf[len] = '\0';
        deliver(n, buf);
        /* The owner may have closed us while handling a message. */
        if (uv_is_closing((uv_handle_t *)poll)) return;
    }
}

static pid_t daemon_pid;

void notify_set_daemon_pid(pid_t pid)
{
    daemon_pid = pid;
}

pid_t notify_name_pid(const char *value, int64_t job_id)
{
    long pid = 0;
    long long job = 0;
    int end = 0;
    if (sscanf(value, "@tend/%ld/notify/%lld%n", &pid, &job, &end) != 2 || value[end] ||
        job != job_id || pid <= 0)
        return 0;
    return (pid_t)pid;
}

notify_socket *notify_open(uv_loop_t *loop, int64_t job_id, pid_t named_pid, uid_t uid,
                           notify_fn fn, void *ctx, char *err, size_t errlen)
{
    notify_socket *n = calloc(1, sizeof(*n));
    if (!n) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    int len = snprintf(n->env, sizeof(n->env), "NOTIFY_SOCKET=@tend/%ld/notify/%lld",
                       (long)(named_pid     ? named_pid
                              : daemon_pid ? daemon_pid
                                           : getpid()),
                       (long long)job_id);
    const char *name = n->env + strlen("NOTIFY_SOCKET=@");
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    /* Abstract: a NUL first, then the name (not NUL-terminated). */
    size_t name_len = (size_t)len - strlen("NOTIFY_SOCKET=@");
    memcpy(addr.sun_path + 1, name, name_len);
    socklen_t addr_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + name_len);
    int one = 1;
    n->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (n->fd < 0 || setsockopt(n->fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) < 0 ||
        bind(n->fd, (struct sockaddr *)&addr, addr_len) < 0 ||
        uv_poll_init(loop, &n->poll, n->fd) < 0) {
        snprintf(err, errlen, "notify socket @%s: %s", name, strerror(errno));
        if (n->fd >= 0) close(n->fd);
        free(n);
        return NULL;
    }
    n->uid = uid == (uid_t)-1 ? getuid() : uid;
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
    uv_poll_stop(&n->poll);
    uv_close((uv_handle_t *)&n->poll, closed);
}
