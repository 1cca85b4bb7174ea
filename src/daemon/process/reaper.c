/* reaper.c — learning of every exit of the daemon's children (see
 * reaper.h). */
#include "daemon/process/reaper.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <stdbool.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- the pid -> watcher table ---------------------------------------- */

typedef struct {
    pid_t pid; /* 0: empty; -1: deleted */
    reaper_fn fn;
    void *data;
} watcher;

typedef struct {
    pid_t pid;
    int status;
} early_exit;

static struct {
    uv_signal_t sigchld;
    bool ready;
    watcher *slots;
    size_t cap, used;  /* used counts live and deleted slots */
    int spawning;      /* spawns whose pid the loop does not know yet */
    early_exit *early; /* exits of unknown pids seen while spawning */
    size_t n_early, cap_early;
    void (*on_stray)(void); /* told when a pid nobody watched was reaped */
} rp;

/* The exit of a pid nobody watches yet. While spawns are in flight it may
 * be one of theirs, so it is kept for reaper_watch; otherwise it is an
 * orphaned grandchild, reaped and forgotten. */
static void keep_early_exit(pid_t pid, int status)
{
    if (!rp.spawning) return;
    if (rp.n_early == rp.cap_early) {
        size_t cap = rp.cap_early ? rp.cap_early * 2 : 16;
        early_exit *grown = realloc(rp.early, cap * sizeof(*grown));
        if (!grown) return;
        rp.early = grown;
        rp.cap_early = cap;
    }
    rp.early[rp.n_early++] = (early_exit){pid, status};
}

void reaper_spawn_begin(void)
{
    rp.spawning++;
}

void reaper_spawn_done(void)
{
    if (--rp.spawning == 0) rp.n_early = 0;
}

static void deliver(reaper_fn fn, void *data, pid_t pid, int status)
{
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    int sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    fn(data, pid, code, sig);
}

static size_t slot_of(pid_t pid, size_t cap)
{
    return ((size_t)pid * 2654435761u) & (cap - 1);
}

static watcher *find_slot(pid_t pid)
{
    if (!rp.cap) return NULL;
    for (size_t i = slot_of(pid, rp.cap);; i = (i + 1) & (rp.cap - 1)) {
        if (rp.slots[i].pid == pid) return &rp.slots[i];
        if (rp.slots[i].pid == 0) return NULL;
    }
}

static int grow_table(void)
{
    size_t cap = rp.cap ? rp.cap * 2 : 256;
    watcher *slots = calloc(cap, sizeof(*slots));
    if (!slots) return -ENOMEM;
    size_t used = 0;
    for (size_t i = 0; i < rp.cap; i++) {
        if (rp.slots[i].pid <= 0) continue;
        size_t j = slot_of(rp.slots[i].pid, cap);
        while (slots[j].pid) j = (j + 1) & (cap - 1);
        slots[j] = rp.slots[i];
        used++;
    }
    free(rp.slots);
    rp.slots = slots;
    rp.cap = cap;
    rp.used = used;
    return 0;
}

int reaper_watch(pid_t pid, reaper_fn fn, void *data)
{
    for (size_t i = 0; i < rp.n_early; i++) {
        if (rp.early[i].pid != pid) continue;
        int status = rp.early[i].status;
        rp.early[i] = rp.early[--rp.n_early];
        deliver(fn, data, pid, status);
        return 0;
    }
    if ((rp.used + 1) * 2 > rp.cap && grow_table() < 0) return -ENOMEM;
    size_t i = slot_of(pid, rp.cap);
    while (rp.slots[i].pid > 0 && rp.slots[i].pid != pid) i = (i + 1) & (rp.cap - 1);
    if (rp.slots[i].pid == 0) rp.used++;
    rp.slots[i] = (watcher){.pid = pid, .fn = fn, .data = data};
    return 0;
}

void reaper_forget(pid_t pid)
{
    watcher *w = find_slot(pid);
    if (w) w->pid = -1; /* a tombstone keeps later probes going */
}

/* ---- reaping ----------------------------------------------------------- */

static void on_sigchld(uv_signal_t *handle, int signum)
{
    (void)handle, (void)signum;
    bool strays = false;
    for (;;) {
        int status = 0;
        pid_t pid = waitpid(-1, &status, WNOHANG);
        if (pid <= 0) break; /* 0: none left that exited; -1: no children at all */
        watcher *w = find_slot(pid);
        if (!w) {
            keep_early_exit(pid, status);
            strays = true;
            continue;
        }
        watcher found = *w;
        w->pid = -1;
        deliver(found.fn, found.data, pid, status);
    }
    /* A stray that died may have left children of its own behind. */
    if (strays && rp.on_stray) rp.on_stray();
}

int reaper_init(uv_loop_t *loop)
{
    if (rp.ready) return 0;
    int rc = uv_signal_init(loop, &rp.sigchld);
    if (rc == 0) rc = uv_signal_start(&rp.sigchld, on_sigchld, SIGCHLD);
    if (rc < 0) return rc;
    /* Waiting for children is no reason to keep the loop running. */
    uv_unref((uv_handle_t *)&rp.sigchld);
    rp.ready = true;
    return 0;
}

void reaper_close(void)
{
    if (!rp.ready) return;
    uv_close((uv_handle_t *)&rp.sigchld, NULL);
    free(rp.slots);
    rp.slots = NULL;
    rp.cap = rp.used = 0;
    free(rp.early);
    rp.early = NULL;
    rp.n_early = rp.cap_early = 0;
    rp.ready = false;
}

int reaper_become_subreaper(void)
{
    return prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0 ? -errno : 0;
}

bool reaper_report(pid_t pid, int status)
{
    watcher *w = find_slot(pid);
    if (!w) return false;
    watcher found = *w;
    w->pid = -1;
    deliver(found.fn, found.data, pid, status);
    return true;
}

bool reaper_watches(pid_t pid)
{
    return find_slot(pid) != NULL;
}

void reaper_on_stray(void (*fn)(void))
{
    rp.on_stray = fn;
}
