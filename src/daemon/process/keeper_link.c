/* keeper_link.c — the main process's side of the keeper (see
 * keeper_link.h). At start-up the keeper's answer to hello is read at
 * once (the pipes and exits a new main process needs before it adopts
 * anything); afterwards a uv_poll hands each exit to the reaper, as if
 * this process had reaped it. */
#include "daemon/process/keeper_link.h"

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/strmap.h"
#include "daemon/process/keeper_proto.h"
#include "daemon/process/reaper.h"

typedef struct {
    char unit[52];
    int fds[2];
} held_entry;

static struct {
    int sock;
    uv_poll_t poll;
    bool polling;
    void (*lost)(void);
    held_entry *held;
    size_t n_held;
    strmap held_by_unit; /* unit -> its entry's index + 1 (0 is "none") */
    keep_msg *exits; /* reaped before a watcher existed */
    size_t n_exits;
} kl = {.sock = -1};

static void remember_exit(const keep_msg *m)
{
    keep_msg *grown = realloc(kl.exits, (kl.n_exits + 1) * sizeof(*grown));
    if (!grown) return;
    kl.exits = grown;
    kl.exits[kl.n_exits++] = *m;
}

static void link_lost(void)
{
    if (kl.polling) uv_close((uv_handle_t *)&kl.poll, NULL);
    kl.polling = false;
    close(kl.sock);
    kl.sock = -1;
    if (kl.lost) kl.lost();
}

static void on_message(uv_poll_t *poll, int status, int events)
{
    (void)poll, (void)events;
    keep_msg m;
    int fds[2];
    int n = status < 0 ? -EIO : keep_recv(kl.sock, &m, fds, MSG_DONTWAIT);
    if (n == -EAGAIN) return;
    if (n <= 0) {
        link_lost();
        return;
    }
    if (fds[0] >= 0) close(fds[0]);
    if (fds[1] >= 0) close(fds[1]);
    if (m.type == KEEP_EXIT && !reaper_report(m.pid, m.status)) remember_exit(&m);
}

int keeper_link_open(uv_loop_t *loop, int sock, void (*lost)(void))
{
    kl.sock = sock;
    kl.lost = lost;
    keep_msg hello = {.type = KEEP_HELLO};
    if (keep_send(sock, &hello, NULL) < 0) return -EIO;
    for (;;) {
        keep_msg m;
        int fds[2];
        /* The keeper answers at once; a keeper that cannot is no keeper. */
        struct pollfd pfd = {.fd = sock, .events = POLLIN};
        if (poll(&pfd, 1, 5000) != 1 || keep_recv(sock, &m, fds, 0) <= 0) return -EIO;
        if (m.type == KEEP_END) break;
        if (m.type == KEEP_EXIT) remember_exit(&m);
        if (m.type != KEEP_HELD || fds[0] < 0) continue;
        held_entry *grown = realloc(kl.held, (kl.n_held + 1) * sizeof(*grown));
        if (!grown) {
            close(fds[0]);
            if (fds[1] >= 0) close(fds[1]);
            continue;
        }
        kl.held = grown;
        held_entry *e = &kl.held[kl.n_held++];
        snprintf(e->unit, sizeof(e->unit), "%s", m.unit);
        e->fds[0] = fds[0];
        e->fds[1] = fds[1];
    }
    /* Keys point into kl.held, which no longer moves. */
    for (size_t i = 0; i < kl.n_held; i++)
        strmap_put(&kl.held_by_unit, kl.held[i].unit, (void *)(uintptr_t)(i + 1), NULL);
    if (uv_poll_init(loop, &kl.poll, sock) < 0) return -EIO;
    kl.polling = true;
    uv_poll_start(&kl.poll, UV_READABLE, on_message);
    /* Listening to the keeper keeps no daemon alive. */
    uv_unref((uv_handle_t *)&kl.poll);
    return 0;
}

bool keeper_link_connected(void)
{
    return kl.sock >= 0;
}

bool keeper_link_take(const char *unit, int fds[2])
{
    uintptr_t index = (uintptr_t)strmap_get(&kl.held_by_unit, unit);
    if (!index || kl.held[index - 1].fds[0] < 0) return false;
    held_entry *e = &kl.held[index - 1];
    fds[0] = e->fds[0];
    fds[1] = e->fds[1];
    e->fds[0] = e->fds[1] = -1;
    return true;
}

bool keeper_link_take_exit(pid_t pid, int *status)
{
    for (size_t i = 0; i < kl.n_exits; i++) {
        if (kl.exits[i].pid != pid) continue;
        *status = kl.exits[i].status;
        kl.exits[i] = kl.exits[--kl.n_exits];
        return true;
    }
    return false;
}

void keeper_link_hold(const char *unit, int out_fd, int err_fd)
{
    if (kl.sock < 0) return;
    keep_msg m = {.type = KEEP_HOLD};
    snprintf(m.unit, sizeof(m.unit), "%s", unit);
    int fds[2] = {out_fd, err_fd};
    keep_send(kl.sock, &m, fds);
}

void keeper_link_ready(void)
{
    keep_msg m = {.type = KEEP_READY};
    if (kl.sock >= 0) keep_send(kl.sock, &m, NULL);
}

void keeper_link_drop_unclaimed(void)
{
    for (size_t i = 0; i < kl.n_held; i++) {
        if (kl.held[i].fds[0] >= 0) close(kl.held[i].fds[0]);
        if (kl.held[i].fds[1] >= 0) close(kl.held[i].fds[1]);
    }
    strmap_free(&kl.held_by_unit);
    free(kl.held);
    kl.held = NULL;
    kl.n_held = 0;
    free(kl.exits);
    kl.exits = NULL;
    kl.n_exits = 0;
}

void keeper_link_close(void)
{
    keeper_link_drop_unclaimed();
    if (kl.polling) uv_close((uv_handle_t *)&kl.poll, NULL);
    kl.polling = false;
    if (kl.sock >= 0) close(kl.sock);
    kl.sock = -1;
}

int keeper_link_pass(int sock, const char *unit, int out_fd, int err_fd)
{
    keep_msg m = {.type = KEEP_HELD};
    snprintf(m.unit, sizeof(m.unit), "%s", unit);
    int fds[2] = {out_fd, err_fd};
    return keep_send(sock, &m, fds);
}

int keeper_link_pass_end(int sock)
{
    keep_msg m = {.type = KEEP_END};
    return keep_send(sock, &m, NULL);
}

int keeper_link_receive(int sock, char *unit, size_t size, int fds[2])
{
    keep_msg m;
    struct pollfd pfd = {.fd = sock, .events = POLLIN};
    if (poll(&pfd, 1, 5000) != 1) return -ETIMEDOUT;
    int n = keep_recv(sock, &m, fds, 0);
    if (n <= 0) return n < 0 ? n : -EPIPE;
    if (m.type == KEEP_END) return 0;
    if (m.type != KEEP_HELD || fds[0] < 0) {
        if (fds[0] >= 0) close(fds[0]);
        if (fds[1] >= 0) close(fds[1]);
        fds[0] = fds[1] = -1;
        unit[0] = 0;
        return 1;
    }
    snprintf(unit, size, "%s", m.unit);
    return 1;
}
