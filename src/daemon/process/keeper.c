/* keeper.c — the `tend daemon` process itself, kept very small so that it
 * does not crash: it holds the daemon's lock, is the child subreaper,
 * keeps a copy of every job's output pipes, and runs the main process
 * (which does everything else) as its child, starting it again when it
 * dies. See keeper.h.
 *
 * Why: when the process reading a job's pipes dies, the job's next write
 * gets SIGPIPE, and most programs die of it; and a job whose parent died
 * is reparented, so its exit status goes to whoever reaps it. With the
 * keeper alive, a crash of the main process costs neither: the pipes stay
 * open (what is written meanwhile waits in them), the jobs are reparented
 * to the keeper, which reaps them and tells the next main process how
 * they ended. This is what systemd's fd store and s6-fdholder do.
 *
 * One loop over epoll: its signals (through a signalfd), the main
 * process's socket, and one held pipe per job, watched once for hang-up
 * (its writers all gone) so that its copy can be closed.
 */
#include "daemon/process/keeper.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "daemon/process/keeper_proto.h"

#define SIGNAL_TAG UINT64_MAX
#define MAIN_TAG (UINT64_MAX - 1)

typedef struct {
    char unit[52];
    int fds[2]; /* -1, -1: a free slot */
    bool dead;  /* its writers are gone (and no main process had it) */
} held_pipes;

typedef struct {
    pid_t pid;
    int status;
} kept_exit;

static struct {
    int epoll, signals, sock; /* sock: to the main process, or -1 */
    pid_t main;               /* 0 while none runs */
    bool main_ready;          /* it said KEEP_READY */
    bool stopping;            /* a stop signal came: the main's end is ours */
    int stop_signal;
    held_pipes *held;
    size_t n_held, cap_held;
    size_t *free_slots; /* of held, released: reused first */
    size_t n_free;
    kept_exit *exits; /* reaped while no main process listened */
    size_t n_exits, cap_exits;
    int main_starts;       /* main processes started, the first included */
    int crashes;           /* of the main process, in a row */
    double last_crash;
} k = {.sock = -1};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void release(size_t slot)
{
    held_pipes *h = &k.held[slot];
    epoll_ctl(k.epoll, EPOLL_CTL_DEL, h->fds[0], NULL);
    close(h->fds[0]);
    if (h->fds[1] >= 0) close(h->fds[1]);
    h->fds[0] = h->fds[1] = -1;
    h->dead = false;
    k.free_slots[k.n_free++] = slot; /* room for every slot was made with it */
}

static void hold(const keep_msg *m, const int fds[2])
{
    size_t slot;
    if (k.n_free) {
        slot = k.free_slots[--k.n_free];
    } else {
        if (k.n_held == k.cap_held) {
            size_t cap = k.cap_held ? k.cap_held * 2 : 64;
            held_pipes *grown = realloc(k.held, cap * sizeof(*grown));
            size_t *grown_free = grown ? realloc(k.free_slots, cap * sizeof(*grown_free)) : NULL;
            if (grown) k.held = grown;
            if (!grown_free) {
                close(fds[0]);
                if (fds[1] >= 0) close(fds[1]);
                return;
            }
            k.free_slots = grown_free;
            k.cap_held = cap;
        }
        slot = k.n_held++;
    }
    held_pipes *h = &k.held[slot];
    snprintf(h->unit, sizeof(h->unit), "%s", m->unit);
    h->fds[0] = fds[0];
    h->fds[1] = fds[1];
    h->dead = false;
    /* Hang-up needs no event bit; once, or a dead pipe would wake us on
     * every round while no main process takes it. */
    struct epoll_event ev = {.events = EPOLLONESHOT, .data.u64 = slot};
    epoll_ctl(k.epoll, EPOLL_CTL_ADD, fds[0], &ev);
}

static void pipe_hung_up(size_t slot)
{
    held_pipes *h = &k.held[slot];
    if (h->fds[0] < 0) return;
    /* The main process has its own copies (and reads what is left); with
     * none running, the next one takes these. */
    if (k.sock >= 0)
        release(slot);
    else
        h->dead = true;
}

/* An exit the main process has yet to learn of: kept, then sent (once a
 * main process listens; hello sends those kept while none did). */
static void keep_exit(pid_t pid, int status)
{
    if (k.n_exits == k.cap_exits) {
        size_t cap = k.cap_exits ? k.cap_exits * 2 : 64;
        kept_exit *grown = realloc(k.exits, cap * sizeof(*grown));
        if (!grown) return;
        k.exits = grown;
        k.cap_exits = cap;
    }
    k.exits[k.n_exits++] = (kept_exit){pid, status};
}

static void send_exits(void)
{
    size_t sent = 0;
    while (k.sock >= 0 && sent < k.n_exits) {
        keep_msg m = {.type = KEEP_EXIT, .pid = k.exits[sent].pid, .status = k.exits[sent].status};
        if (keep_send(k.sock, &m, NULL) < 0) break;
        sent++;
    }
    if (!sent) return;
    memmove(k.exits, k.exits + sent, (k.n_exits - sent) * sizeof(*k.exits));
    k.n_exits -= sent;
}

/* A new main process asks: every held pipe, every exit it missed. */
static void hello(void)
{
    for (size_t i = 0; i < k.n_held; i++) {
        held_pipes *h = &k.held[i];
        if (h->fds[0] < 0) continue;
        keep_msg m = {.type = KEEP_HELD};
        snprintf(m.unit, sizeof(m.unit), "%s", h->unit);
        keep_send(k.sock, &m, h->fds);
        if (h->dead) release(i); /* it has them now */
    }
    for (size_t i = 0; i < k.n_exits; i++) {
        keep_msg m = {.type = KEEP_EXIT, .pid = k.exits[i].pid, .status = k.exits[i].status};
        keep_send(k.sock, &m, NULL);
    }
    k.n_exits = 0;
    keep_msg end = {.type = KEEP_END};
    keep_send(k.sock, &end, NULL);
}

static void take_message(const keep_msg *m, int fds[2])
{
    switch (m->type) {
    case KEEP_HOLD:
        if (fds[0] >= 0) hold(m, fds);
        return;
    case KEEP_HELLO: hello(); return;
    case KEEP_READY:
        k.main_ready = true;
        if (k.stopping && k.main) kill(k.main, k.stop_signal);
        return;
    default:
        if (fds[0] >= 0) close(fds[0]);
        if (fds[1] >= 0) close(fds[1]);
        return;
    }
}

/* The main process's socket goes: what it sent before it died is taken
 * first (pipes to hold). */
static void main_socket_close(void)
{
    if (k.sock < 0) return;
    keep_msg m;
    int fds[2];
    while (keep_recv(k.sock, &m, fds, MSG_DONTWAIT) > 0) take_message(&m, fds);
    epoll_ctl(k.epoll, EPOLL_CTL_DEL, k.sock, NULL);
    close(k.sock);
    k.sock = -1;
}

/* Never waits: a wake-up with nothing to read is no message. */
static void from_main(void)
{
    keep_msg m;
    int fds[2];
    int n = keep_recv(k.sock, &m, fds, MSG_DONTWAIT);
    if (n == -EAGAIN || n == -EINTR) return;
    if (n <= 0) {
        /* It is gone (SIGCHLD says how); its messages with it. */
        main_socket_close();
        return;
    }
    take_message(&m, fds);
}

/* Closes every fd from 3 up but keep and also (-1: none). */
static void close_all_but(int keep, int also)
{
    int lo = keep < also ? keep : also, hi = keep < also ? also : keep;
    if (lo < 0) lo = hi; /* one fd to keep */
    unsigned from = 3;
    for (int fd = lo;; fd = hi) {
        if (fd >= 3) {
            if ((unsigned)fd > from) syscall(SYS_close_range, from, (unsigned)fd - 1, 0u);
            from = (unsigned)fd + 1;
        }
        if (fd == hi) break;
    }
    syscall(SYS_close_range, from, ~0u, 0u);
}

/* Forks the main process; 0 in it (with *link and *again set), 1 in the
 * keeper. It gets exactly its end of the link and pass_fd (the first
 * one's ready pipe, or -1): nothing else the keeper holds or inherited. */
static int start_main(int lock_fd, int pass_fd, int *link, bool *again)
{
    int pair[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0) return -1;
    k.main_starts++;
    pid_t pid = fork();
    if (pid < 0) {
        close(pair[0]), close(pair[1]);
        return -1;
    }
    if (pid == 0) {
        /* The main process: none of the keeper's descriptors but its end
         * of the socket (the lock stays the keeper's alone). */
        close(pair[0]);
        close(lock_fd);
        close(k.epoll);
        close(k.signals);
        if (k.sock >= 0) close(k.sock);
        for (size_t i = 0; i < k.n_held; i++) {
            if (k.held[i].fds[0] >= 0) close(k.held[i].fds[0]);
            if (k.held[i].fds[1] >= 0) close(k.held[i].fds[1]);
        }
        free(k.held);
        free(k.free_slots);
        free(k.exits);
        /* And whatever tend daemon's own parent left open without
         * close-on-exec (a shell's pipe): none of the main's business. */
        close_all_but(pair[1], pass_fd);
        sigset_t mask;
        sigemptyset(&mask);
        sigprocmask(SIG_SETMASK, &mask, NULL);
        *link = pair[1];
        *again = k.main_starts > 1;
        return 0;
    }
    close(pair[1]);
    k.sock = pair[0];
    k.main = pid;
    k.main_ready = false;
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = MAIN_TAG};
    epoll_ctl(k.epoll, EPOLL_CTL_ADD, k.sock, &ev);
    return 1;
}

static const char *describe(int status, char *out, size_t size)
{
    if (WIFSIGNALED(status))
        snprintf(out, size, "killed by signal %d", WTERMSIG(status));
    else
        snprintf(out, size, "exit code %d", WEXITSTATUS(status));
    return out;
}

/* Reaps; returns the exit code for `tend daemon` when it is done, else
 * -1, and in *restart_in the delay before the main process starts again
 * (-1: none to start). */
static int reap(double *restart_in)
{
    int status, done = -1;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        if (pid != k.main) {
            keep_exit(pid, status); /* a job, orphaned to us when its parent died */
            continue;
        }
        k.main = 0;
        /* Its socket goes now, not at its end of file: a child it was
         * spawning shares its descriptors until it execs, and keeps that
         * end open meanwhile. (Exits sent there would be lost, and the
         * next main process's socket taken for it.) */
        main_socket_close();
        char how[64];
        bool crashed = WIFSIGNALED(status) || (WIFEXITED(status) && WEXITSTATUS(status) != 0);
        if (k.stopping || !crashed) {
            done = WIFEXITED(status) ? WEXITSTATUS(status) : 1;
        } else if (!k.main_ready) {
            /* It never came up (a bad registry, a port taken): its own
             * words said why; starting it again would say them again. */
            done = WIFEXITED(status) ? WEXITSTATUS(status) : 1;
        } else {
            double t = now_s();
            k.crashes = t - k.last_crash < 60 ? k.crashes + 1 : 1;
            k.last_crash = t;
            double delay = 0;
            for (int i = 1; i < k.crashes && delay < 5; i++) delay = delay ? delay * 2 : 0.1;
            if (delay > 5) delay = 5;
            fprintf(stderr,
                    "tend daemon: the main process (pid %d) died (%s); starting it again in %g s, "
                    "its jobs keep running\n",
                    (int)pid, describe(status, how, sizeof(how)), delay);
            *restart_in = delay;
        }
    }
    send_exits();
    return done;
}

static int on_signals(double *restart_in)
{
    struct signalfd_siginfo si;
    int done = -1;
    while (read(k.signals, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
        if ((int)si.ssi_signo == SIGCHLD) {
            int d = reap(restart_in);
            if (d >= 0) done = d;
            continue;
        }
        /* A stop: the main process stops every job, then so do we. */
        k.stopping = true;
        k.stop_signal = (int)si.ssi_signo;
        if (k.main && k.main_ready) kill(k.main, k.stop_signal);
    }
    return done;
}

/* Pipes handed over to the `tend daemon` that became this keeper. */
static void hold_handed_over(const char *held)
{
    while (held && *held && *held != '-') {
        keep_msg m = {.type = KEEP_HOLD};
        int fds[2], used = 0;
        if (sscanf(held, "%51[^:]:%d:%d%n", m.unit, &fds[0], &fds[1], &used) != 3) return;
        fcntl(fds[0], F_SETFD, FD_CLOEXEC);
        if (fds[1] >= 0) fcntl(fds[1], F_SETFD, FD_CLOEXEC);
        hold(&m, fds);
        held += used;
        if (*held == ',') held++;
    }
}

static bool is_held(int fd)
{
    for (size_t i = 0; i < k.n_held; i++)
        if (k.held[i].fds[0] == fd || k.held[i].fds[1] == fd) return true;
    return false;
}

/* What `tend daemon` inherited without close-on-exec from whoever started
 * it (a shell's pipe, say) is closed: held for the daemon's whole life, it
 * would keep that pipe open (and its reader waiting) forever. */
static void close_inherited(int lock_fd, int main_only_fd)
{
    DIR *dir = opendir("/proc/self/fd");
    if (!dir) return;
    int own = dirfd(dir);
    struct dirent *e;
    while ((e = readdir(dir))) {
        char *end;
        long fd = strtol(e->d_name, &end, 10);
        if (*end || end == e->d_name || fd < 3 || fd == own || fd == lock_fd ||
            fd == main_only_fd || fd == k.epoll || fd == k.signals || is_held((int)fd))
            continue;
        close((int)fd);
    }
    closedir(dir);
}

int keeper_run(int lock_fd, int main_only_fd, const char *held, int *link, bool *again)
{
    prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGCHLD);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGHUP);
    sigprocmask(SIG_BLOCK, &mask, NULL);
    k.signals = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
    k.epoll = epoll_create1(EPOLL_CLOEXEC);
    if (k.signals < 0 || k.epoll < 0) return 1;
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = SIGNAL_TAG};
    epoll_ctl(k.epoll, EPOLL_CTL_ADD, k.signals, &ev);
    hold_handed_over(held);
    close_inherited(lock_fd, main_only_fd);
    double restart_in = 0; /* the first start, at once */
    for (;;) {
        if (!k.main && restart_in == 0) {
            int rc = start_main(lock_fd, main_only_fd, link, again);
            if (rc == 0) return -1; /* in the main process */
            /* The first main process has it now (autostart's ready pipe:
             * the keeper must not keep it open past the main's death). */
            if (main_only_fd >= 0) close(main_only_fd);
            main_only_fd = -1;
            if (rc < 0) {
                fprintf(stderr, "tend daemon: cannot start the main process: %s\n",
                        strerror(errno));
                return 1;
            }
            restart_in = -1;
        }
        int timeout = restart_in > 0 ? (int)(restart_in * 1000) : -1;
        double waited_from = now_s();
        struct epoll_event events[64];
        int n = epoll_wait(k.epoll, events, 64, timeout);
        if (restart_in > 0) {
            restart_in -= now_s() - waited_from;
            if (restart_in <= 0) restart_in = 0;
        }
        for (int i = 0; i < n; i++) {
            uint64_t tag = events[i].data.u64;
            if (tag == SIGNAL_TAG) {
                int done = on_signals(&restart_in);
                if (done >= 0) return done;
                /* A stop while no main process runs: one starts now, to
                 * stop the jobs (it is told once it is ready). */
                if (k.stopping && !k.main) restart_in = 0;
            } else if (tag == MAIN_TAG) {
                if (k.sock >= 0) from_main();
            } else if (tag < k.n_held) {
                pipe_hung_up((size_t)tag);
            }
        }
    }
}
