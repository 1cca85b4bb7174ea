/* takeover.c — one `tend daemon` per TEND_HOME, also across crashes:
 * the lock, this process becoming the keeper, and the hand-over between a
 * main process whose keeper died and the `tend daemon` that takes over
 * from it (see takeover.h).
 */
#include "daemon/takeover.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "base/buf.h"
#include "daemon/process/process.h"

/* The main process this file acts for (takeover_watch). */
static takeover_daemon *the_daemon;
static uv_signal_t sigusr2;

/* ---- the lock, and taking over ------------------------------------------ */

static void on_alarm(int sig)
{
    (void)sig; /* only to end a wait for the lock */
}

/* flock(fd) within seconds; 0, or -1. */
static int wait_for_lock(int fd, unsigned seconds)
{
    struct sigaction sa = {.sa_handler = on_alarm}, old;
    sigaction(SIGALRM, &sa, &old);
    alarm(seconds);
    int rc = flock(fd, LOCK_EX);
    alarm(0);
    sigaction(SIGALRM, &old, NULL);
    return rc;
}

/* The pipes a main process handed over, for the keeper to hold:
 * "UNIT:OUT:ERR,..." (descriptors of this process), or NULL. */
static buf taken_pipes;

/* Takes the job pipes the main process pid hands over on its socket
 * (listen_for_taker); false if it does not listen. */
static bool take_pipes_from(int pid)
{
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    int n = snprintf(addr.sun_path + 1, sizeof(addr.sun_path) - 1, "tend/%d/handover", pid);
    int sock = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (sock < 0 || connect(sock, (struct sockaddr *)&addr,
                            (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)n)) < 0) {
        if (sock >= 0) close(sock);
        return false;
    }
    char unit[64];
    int fds[2], got;
    while ((got = process_receive_pipes(sock, unit, sizeof(unit), fds)) > 0) {
        if (fds[0] < 0) continue;
        /* Kept across the exec into the keeper, which holds them. */
        fcntl(fds[0], F_SETFD, 0);
        fcntl(fds[1], F_SETFD, 0);
        buf_printf(&taken_pipes, "%s%s:%d:%d", taken_pipes.len ? "," : "", unit, fds[0], fds[1]);
    }
    close(sock);
    return true;
}

/* The lock is held by the main process of a daemon whose keeper died
 * ("PID main" in the file): it hands its jobs' pipes over and leaves (or,
 * if it does not listen, is asked to leave with SIGUSR2), and its lock is
 * waited for (10 s at most). 0 once the lock is ours, else -1 (errno
 * EWOULDBLOCK: a daemon that is whole holds it). */
static int take_over_main(int fd)
{
    char owner[48] = "";
    int pid = 0;
    ssize_t n = pread(fd, owner, sizeof(owner) - 1, 0);
    owner[n > 0 ? n : 0] = 0;
    if (sscanf(owner, "%d main", &pid) != 1 || !strstr(owner, " main") || pid <= 1 ||
        (!take_pipes_from(pid) && kill(pid, SIGUSR2) < 0)) {
        errno = EWOULDBLOCK;
        return -1;
    }
    if (wait_for_lock(fd, 10) < 0) {
        errno = EWOULDBLOCK;
        return -1;
    }
    fprintf(stderr, "tend daemon: took over from the main process (pid %d) of a daemon whose "
                    "keeper had died\n",
            pid);
    return 0;
}

/* One daemon per TEND_HOME: an flock on state_dir/daemon.lock, held for
 * the daemon's life (a lock, not a pid file: it goes when the process
 * does, however it ends). The file says whose it is, for the message. */
int takeover_lock(const char *state_dir)
{
    char path[4096], owner[32] = "";
    snprintf(path, sizeof(path), "%s/daemon.lock", state_dir);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        fprintf(stderr, "tend daemon: cannot open %s: %s\n", path, strerror(errno));
        return -1;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) < 0 && take_over_main(fd) < 0) {
        int e = errno;
        ssize_t n = pread(fd, owner, sizeof(owner) - 1, 0);
        owner[n > 0 ? n : 0] = 0;
        owner[strcspn(owner, "\n")] = 0;
        if (e == EWOULDBLOCK)
            fprintf(stderr,
                    "tend daemon: another tend daemon%s%s%s runs on %s (it holds %s); stop it "
                    "first, or use another TEND_HOME\n",
                    owner[0] ? " (pid " : "", owner, owner[0] ? ")" : "", state_dir, path);
        else
            fprintf(stderr, "tend daemon: cannot lock %s: %s\n", path, strerror(e));
        close(fd);
        return -1;
    }
    snprintf(owner, sizeof(owner), "%d\n", (int)getpid());
    if (ftruncate(fd, 0) == 0 && pwrite(fd, owner, strlen(owner), 0) < 0) {
        /* The lock holds without the words. */
    }
    return fd;
}

/* ---- becoming the keeper -------------------------------------------------- */

/* This process holds the lock: it becomes the keeper (tend-keeper, next
 * to this binary), which runs the main process as `tend daemon --main-fd
 * FD ARGS`. Returns only if that cannot be done: then this process is
 * the main process itself, with no keeper. */
void takeover_become_keeper(int lock_fd, int ready_fd, int argc, char **argv)
{
    char self[4096], keeper[4200], lock_arg[16], ready_arg[16], none[] = "-";
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (n <= 0) return;
    self[n] = 0;
    const char *slash = strrchr(self, '/');
    snprintf(keeper, sizeof(keeper), "%.*s/tend-keeper", (int)(slash - self), self);
    snprintf(lock_arg, sizeof(lock_arg), "%d", lock_fd);
    snprintf(ready_arg, sizeof(ready_arg), "%d", ready_fd);
    char **args = calloc((size_t)argc + 5, sizeof(*args));
    if (!args) return;
    int k = 0;
    args[k++] = keeper;
    args[k++] = lock_arg;
    args[k++] = ready_arg;
    args[k++] = self;
    /* The pipes taken over: the keeper's to hold. */
    args[k++] = taken_pipes.len ? taken_pipes.data : none;
    for (int i = 1; i < argc; i++) args[k++] = argv[i]; /* after "daemon" */
    fcntl(lock_fd, F_SETFD, 0);
    execv(keeper, args);
    fprintf(stderr, "tend daemon: cannot run %s (%s); running without a keeper: a crash of this "
                    "process would cost its jobs' output pipes\n",
            keeper, strerror(errno));
    fcntl(lock_fd, F_SETFD, FD_CLOEXEC);
    free(args);
}


/* ---- a main process whose keeper died ------------------------------------ */

/* Leaves without stopping a job, for the daemon that takes over (it
 * adopts them): the spawns under way are waited for, so that their pids
 * are in the store, and what the store has yet to write (or holds, after
 * a failed write) is written first. */
static void hand_over(void)
{
    fprintf(stderr, "tend daemon: handing over to the new daemon on %s; every job keeps running\n",
            the_daemon->state_dir);
    process_layer_settle();
    if (store_flush(the_daemon->st) < 0) store_retry(the_daemon->st);
    _exit(0);
}

static void pass_one(void *ctx, const char *unit, int out_fd, int err_fd)
{
    process_pass_pipes(*(int *)ctx, unit, out_fd, err_fd);
}

/* The new `tend daemon` connected: every job's pipes go to it (so that
 * the jobs' output keeps a reader), then this process leaves. Only its
 * own user (or root) is answered. */
static void on_taker(uv_poll_t *poll, int status, int events)
{
    (void)events;
    int conn = status < 0 ? -1 : accept4(poll->io_watcher.fd, NULL, NULL, SOCK_CLOEXEC);
    if (conn < 0) return;
    struct ucred peer;
    socklen_t len = sizeof(peer);
    if (getsockopt(conn, SOL_SOCKET, SO_PEERCRED, &peer, &len) < 0 ||
        (peer.uid != getuid() && peer.uid != 0)) {
        close(conn);
        return;
    }
    supervisor_each_job_pipes(the_daemon->sv, pass_one, &conn);
    process_pass_pipes(conn, TAKEOVER_API_SOCKET, the_daemon->api_fd, -1);
    process_pass_end(conn);
    hand_over();
}

/* Where a `tend daemon` taking over finds this process: the abstract
 * socket @tend/PID/handover (PID this process's, which the lock file
 * names). */
static void listen_for_taker(void)
{
    static uv_poll_t poll;
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    int n = snprintf(addr.sun_path + 1, sizeof(addr.sun_path) - 1, "tend/%d/handover",
                     (int)getpid());
    int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&addr,
                       (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)n)) < 0 ||
        listen(fd, 1) < 0 || uv_poll_init_socket(the_daemon->loop, &poll, fd) < 0) {
        if (fd >= 0) close(fd);
        return; /* a SIGUSR2 still makes it hand over, without the pipes */
    }
    uv_poll_start(&poll, UV_READABLE, on_taker);
    uv_unref((uv_handle_t *)&poll);
}

/* The keeper went away (killed): this process goes on alone and takes the
 * lock, so that one daemon runs on this home; a new `tend daemon` that
 * finds it there asks it to hand over (SIGUSR2). If a new daemon has the
 * lock already, this one hands over at once. */
void takeover_keeper_lost(void)
{
    char path[4096], line[48];
    snprintf(path, sizeof(path), "%s/daemon.lock", the_daemon->state_dir);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    /* The keeper's lock goes with the last of its descriptors, a moment
     * after its socket: a short wait, then whoever has it is the daemon. */
    if (fd < 0 || wait_for_lock(fd, 2) < 0) hand_over();
    int n = snprintf(line, sizeof(line), "%d main\n", (int)getpid());
    if (ftruncate(fd, 0) < 0 || pwrite(fd, line, (size_t)n, 0) < 0) {
        /* The lock holds without the words. */
    }
    listen_for_taker();
    fprintf(stderr, "tend daemon: the keeper process is gone; the main process (pid %d) goes on "
                    "alone, until a new `tend daemon` takes over\n",
            (int)getpid());
}

static void on_hand_over(uv_signal_t *handle, int signum)
{
    (void)handle, (void)signum;
    if (!process_layer_has_keeper()) hand_over();
}

void takeover_watch(takeover_daemon *d)
{
    the_daemon = d;
    uv_signal_init(d->loop, &sigusr2);
    uv_signal_start(&sigusr2, on_hand_over, SIGUSR2);
    uv_unref((uv_handle_t *)&sigusr2);
}

void takeover_close(void)
{
    if (the_daemon) uv_close((uv_handle_t *)&sigusr2, NULL);
    the_daemon = NULL;
}
