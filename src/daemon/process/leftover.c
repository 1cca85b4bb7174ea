/* leftover.c — a job's main process the store has no pid for, and the
 * processes nobody takes over (see leftover.h).
 *
 * Which process of a unit is its main one: the first born of it, since
 * everything else in the unit descends from it. Two things tell it from
 * its descendants when start times tie (they count in clock ticks): its
 * parent is outside the unit (the keeper, or init), and it leads a
 * session of its own (spawn.c's setsid) or, not yet past that step, is
 * still in the daemon's. A descendant orphaned by a parent that died
 * has a parent outside too, but leads no session unless it called setsid
 * itself: a program that daemonizes and whose first process already
 * ended is taken for its own main process, which keeps it supervised.
 *
 * Without cgroups only the keeper's children can be found: the dead main
 * process's own children (jobs' main processes, check commands) and the
 * orphans among their descendants. Descendants whose parent lives are
 * reached through their main process's group; one that cleared TEND_UNIT
 * from its environment is nobody's; and with the keeper gone too, the
 * orphans went to init, where tend does not look.
 */
#include "daemon/process/leftover.h"

#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/procstat.h"
#include "daemon/process/containment.h"
#include "daemon/process/keeper_link.h"

/* The kernel cuts a command name at 15 bytes. */
#define COMM_MAX 15

typedef struct {
    pid_t *pids;
    size_t n, cap;
} pid_list;

static void push(pid_list *l, pid_t pid)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        pid_t *grown = realloc(l->pids, cap * sizeof(*grown));
        if (!grown) return;
        l->pids = grown;
        l->cap = cap;
    }
    l->pids[l->n++] = pid;
}

static pid_t keeper_pid(void)
{
    return keeper_link_connected() ? getppid() : 0;
}

/* The keeper's children but this process. */
static pid_list keeper_children(void)
{
    pid_list l = {0};
    pid_t keeper = keeper_pid();
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/task", (int)keeper);
    DIR *tasks = keeper ? opendir(path) : NULL;
    if (!tasks) return l;
    struct dirent *e;
    while ((e = readdir(tasks))) {
        if (e->d_name[0] == '.') continue;
        char children[400];
        snprintf(children, sizeof(children), "%s/%s/children", path, e->d_name);
        FILE *f = fopen(children, "re");
        int pid;
        while (f && fscanf(f, "%d", &pid) == 1)
            if (pid > 1 && pid != getpid()) push(&l, pid);
        if (f) fclose(f);
    }
    closedir(tasks);
    return l;
}

/* pid still runs this daemon's program: a child before its exec. */
static bool runs_tend(pid_t pid)
{
    char path[64];
    struct stat theirs, ours;
    snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
    return stat(path, &theirs) == 0 && stat("/proc/self/exe", &ours) == 0 &&
           theirs.st_dev == ours.st_dev && theirs.st_ino == ours.st_ino;
}

/* Whose pid is: TEND_UNIT, or before its exec its command name. */
static bool unit_of(pid_t pid, char *unit, size_t size)
{
    if (proc_environ_get(pid, "TEND_UNIT", unit, size)) return true;
    proc_stat st;
    if (!runs_tend(pid) || !proc_stat_read(pid, &st)) return false;
    snprintf(unit, size, "%s", st.comm);
    return true;
}

/* found (perhaps a command name, cut short) names unit. */
static bool names_unit(const char *found, const char *unit)
{
    return strlen(found) == COMM_MAX ? strncmp(found, unit, COMM_MAX) == 0
                                     : strcmp(found, unit) == 0;
}

/* unit's processes, in *pids (caller frees). */
static size_t members(const char *unit, pid_t **pids)
{
    if (containment_has_cgroups()) return containment_procs(unit, pids);
    pid_list all = keeper_children(), mine = {0};
    for (size_t i = 0; i < all.n; i++) {
        char found[64];
        if (unit_of(all.pids[i], found, sizeof(found)) && names_unit(found, unit))
            push(&mine, all.pids[i]);
    }
    free(all.pids);
    *pids = mine.pids;
    return mine.n;
}

static int pid_order(const void *a, const void *b)
{
    pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;
    return (x > y) - (x < y);
}

/* pid is among pids, sorted. */
static bool holds(const pid_t *pids, size_t n, pid_t pid)
{
    return n && bsearch(&pid, pids, n, sizeof(*pids), pid_order) != NULL;
}

bool leftover_main(const char *unit, pid_t *pid, uint64_t *start_time)
{
    pid_t *pids = NULL, own_session = getsid(0), best = 0;
    size_t n = members(unit, &pids);
    if (n) qsort(pids, n, sizeof(*pids), pid_order);
    uint64_t best_start = 0;
    bool tie = false;
    for (size_t i = 0; i < n; i++) {
        proc_stat st;
        if (!proc_stat_read(pids[i], &st) || st.state == 'Z' || st.state == 'X') continue;
        if (holds(pids, n, st.ppid)) continue; /* a descendant, its parent alive */
        if (st.sid != st.pid && st.sid != own_session) continue; /* one orphaned */
        if (!best || st.start_time < best_start) {
            best = st.pid;
            best_start = st.start_time;
            tie = false;
        } else if (st.start_time == best_start) {
            tie = true;
        }
    }
    free(pids);
    if (!best || tie) return false;
    *pid = best;
    *start_time = best_start;
    return true;
}

/* SIGKILL to a child of the keeper and, if it leads one, its group; by a
 * pidfd, checked to be the keeper's child still (its pid is not reused
 * while it is, reaped or not). */
static void kill_keeper_child(pid_t pid)
{
    int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    if (pidfd < 0) return;
    proc_stat st;
    if (proc_stat_read(pid, &st) && st.ppid == keeper_pid()) {
        if (st.pgid == pid) kill(-pid, SIGKILL);
        syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
    }
    close(pidfd);
}

void leftover_kill(const char *unit)
{
    if (containment_has_cgroups()) {
        containment_kill(unit, 0);
        return;
    }
    pid_t *pids = NULL;
    size_t n = members(unit, &pids);
    for (size_t i = 0; i < n; i++) kill_keeper_child(pids[i]);
    free(pids);
}

typedef struct {
    bool (*wanted)(void *ctx, const char *unit);
    void *ctx;
} unwanted;

static void kill_unless_wanted(void *ctx, const char *unit)
{
    unwanted *u = ctx;
    if (!u->wanted(u->ctx, unit)) containment_kill(unit, 0);
}

void leftover_kill_unwanted(bool (*wanted)(void *ctx, const char *unit), void *ctx)
{
    unwanted u = {wanted, ctx};
    if (containment_has_cgroups()) {
        containment_each_unit(kill_unless_wanted, &u);
        return;
    }
    pid_list all = keeper_children();
    for (size_t i = 0; i < all.n; i++) {
        char unit[64];
        if (unit_of(all.pids[i], unit, sizeof(unit)) && !wanted(ctx, unit))
            kill_keeper_child(all.pids[i]);
    }
    free(all.pids);
}
