/* containment.c — a cgroup v2 per proc, or process groups and strays
 * (see containment.h).
 *
 * tend's groups live under its own cgroup, in tend-<hash of TEND_HOME>,
 * so that daemons on different homes never touch each other's, and a
 * daemon started again on the same home finds the groups of the one
 * before. The cgroup v2 hierarchy is wherever /proc/self/mountinfo says
 * (/sys/fs/cgroup on a pure v2 machine, /sys/fs/cgroup/unified on a
 * hybrid one); tend's place in it is the "0::" line of /proc/self/cgroup.
 * Nothing is enabled in subtree_control: the groups are for membership
 * and cgroup.kill, not for limits.
 */
#include "base/paths.h"
#include "daemon/process/containment.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/procstat.h"
#include "daemon/process/reaper.h"

#define PATH_SIZE 4096

static struct {
    bool cgroups;
    char base[PATH_SIZE];     /* tend's cgroup folder, when cgroups */
    char relative[PATH_SIZE]; /* the same, as /proc/PID/cgroup says it */
    char words[PATH_SIZE + 200];
} ct;

/* base/name into out; false if it does not fit. */
static bool in_base(char *out, const char *name, const char *file)
{
    int n = snprintf(out, PATH_SIZE, "%s/%s%s%s", ct.base, name, file ? "/" : "", file ? file : "");
    return n > 0 && n < PATH_SIZE;
}

/* The cgroup2 mount point from /proc/self/mountinfo. */
static bool find_cgroup2_mount(char *out, size_t size)
{
    FILE *f = fopen("/proc/self/mountinfo", "re");
    if (!f) return false;
    char line[4096];
    bool found = false;
    while (!found && fgets(line, sizeof(line), f)) {
        const char *sep = strstr(line, " - cgroup2 ");
        char root[1024], point[1024];
        if (!sep || sscanf(line, "%*s %*s %*s %1023s %1023s", root, point) != 2) continue;
        if (strcmp(root, "/") != 0) continue; /* a bind of a subtree: not the hierarchy */
        found = snprintf(out, size, "%s", point) < (int)size;
    }
    fclose(f);
    return found;
}

/* This process's cgroup v2 path ("/" or "/system.slice/x.service"). */
static bool own_cgroup(char *out, size_t size)
{
    FILE *f = fopen("/proc/self/cgroup", "re");
    if (!f) return false;
    char line[2048];
    bool found = false;
    while (!found && fgets(line, sizeof(line), f)) {
        if (strncmp(line, "0::", 3) != 0) continue;
        line[strcspn(line, "\n")] = 0;
        found = snprintf(out, size, "%s", line + 3) < (int)size;
    }
    fclose(f);
    return found;
}

/* Why cgroups cannot be used, or "" when they can (ct.base is set). */
static const char *try_cgroups(const char *state_dir, char *why, size_t size)
{
    char mount[1024], own[1024];
    if (!find_cgroup2_mount(mount, sizeof(mount))) return "no cgroup v2 hierarchy is mounted";
    if (!own_cgroup(own, sizeof(own))) return "no cgroup v2 line in /proc/self/cgroup";
    const char *sep = strcmp(own, "/") == 0 ? "" : own;
    char procs[PATH_SIZE];
    char tag[13];
    tend_paths_instance_tag(state_dir, tag);
    int n = snprintf(ct.base, sizeof(ct.base), "%s%s/tend-%s", mount, sep, tag);
    int m = snprintf(procs, sizeof(procs), "%s%s/cgroup.procs", mount, sep);
    int r = snprintf(ct.relative, sizeof(ct.relative), "%s", ct.base + strlen(mount));
    if (r < 0) return "the cgroup path is too long";
    if (n < 0 || n >= (int)sizeof(ct.base) || m < 0 || m >= (int)sizeof(procs))
        return "the cgroup path is too long";
    if (mkdir(ct.base, 0755) < 0 && errno != EEXIST) {
        n = snprintf(why, size, "cannot create %s: %s", ct.base, strerror(errno));
        return n > 0 ? why : "cannot create a cgroup";
    }
    /* Moving a process needs write access to its current cgroup's
     * cgroup.procs as well (the daemon's: a delegated subtree has it). */
    if (access(procs, W_OK) < 0) {
        n = snprintf(why, size, "cannot move processes out of %s: %s", procs, strerror(errno));
        rmdir(ct.base);
        return n > 0 ? why : "cannot move processes";
    }
    return "";
}

static void remove_empty_groups(void);

void containment_init(const char *state_dir, bool cgroups)
{
    char why[PATH_SIZE + 100], home[PATH_SIZE];
    /* The same home gives the same group, however it was spelt. */
    if (!realpath(state_dir, home)) snprintf(home, sizeof(home), "%s", state_dir);
    const char *no = cgroups ? try_cgroups(home, why, sizeof(why)) : "--no-cgroups";
    ct.cgroups = !no[0];
    if (ct.cgroups) remove_empty_groups();
    int n = ct.cgroups ? snprintf(ct.words, sizeof(ct.words), "cgroup v2 (%s)", ct.base)
                       : snprintf(ct.words, sizeof(ct.words),
                                  "process groups and the subreaper (no cgroup: %.3000s)", no);
    (void)n; /* words cut short are still words */
}

bool containment_has_cgroups(void)
{
    return ct.cgroups;
}

const char *containment_describe(void)
{
    return ct.words;
}

int containment_enter(const char *unit, bool *reused, char *err, size_t errlen)
{
    *reused = false;
    if (!ct.cgroups) return -1;
    char path[PATH_SIZE];
    if (!in_base(path, unit, NULL)) return -ENAMETOOLONG;
    if (mkdir(path, 0755) == 0) {
        /* new */
    } else if (errno == EEXIST) {
        *reused = true;
    } else {
        int e = errno;
        if (snprintf(err, errlen, "cannot create cgroup %s: %s", path, strerror(e)) < 0) err[0] = 0;
        return -e;
    }
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        if (snprintf(err, errlen, "cannot open %s: %s", path, strerror(e)) < 0) err[0] = 0;
        return -e;
    }
    return fd;
}

/* Without cgroup.kill (Linux before 5.14): each member, until none is left
 * that a round of kills has not reached. */
static void kill_members(const char *unit)
{
    char path[PATH_SIZE];
    if (!in_base(path, unit, "cgroup.procs")) return;
    for (int round = 0; round < 8; round++) {
        FILE *f = fopen(path, "re");
        if (!f) return;
        int pid, n = 0;
        while (fscanf(f, "%d", &pid) == 1)
            if (pid > 1 && kill(pid, SIGKILL) == 0) n++;
        fclose(f);
        if (!n) return;
    }
}

void containment_kill(const char *unit, pid_t pgid)
{
    if (pgid > 1) kill(-pgid, SIGKILL);
    char path[PATH_SIZE];
    if (!ct.cgroups || !in_base(path, unit, "cgroup.kill")) return;
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd >= 0) {
        ssize_t n = write(fd, "1", 1);
        close(fd);
        if (n == 1) return;
    }
    kill_members(unit);
}

int containment_remove(const char *unit)
{
    char path[PATH_SIZE];
    if (!ct.cgroups || !in_base(path, unit, NULL)) return 0;
    if (rmdir(path) == 0 || errno == ENOENT) return 0;
    return -errno;
}

bool containment_holds(const char *unit, pid_t pid)
{
    char path[64], line[PATH_SIZE + 16], want[PATH_SIZE + 64];
    if (!ct.cgroups) return true;
    snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
    int n = snprintf(want, sizeof(want), "0::%s/%s\n", ct.relative, unit);
    FILE *f = fopen(path, "re");
    bool found = false;
    while (f && n > 0 && !found && fgets(line, sizeof(line), f)) found = strcmp(line, want) == 0;
    if (f) fclose(f);
    return found;
}

char *containment_events_path(const char *unit)
{
    char *path = NULL;
    if (!ct.cgroups || asprintf(&path, "%s/%s/cgroup.events", ct.base, unit) < 0) return NULL;
    return path;
}

size_t containment_procs(const char *unit, pid_t **pids)
{
    char path[PATH_SIZE];
    *pids = NULL;
    if (!ct.cgroups || !in_base(path, unit, "cgroup.procs")) return 0;
    FILE *f = fopen(path, "re");
    if (!f) return 0;
    size_t n = 0, cap = 0;
    int pid;
    while (fscanf(f, "%d", &pid) == 1) {
        if (n == cap) {
            size_t grown_cap = cap ? cap * 2 : 8;
            pid_t *grown = realloc(*pids, grown_cap * sizeof(*grown));
            if (!grown) break;
            *pids = grown;
            cap = grown_cap;
        }
        (*pids)[n++] = pid;
    }
    fclose(f);
    return n;
}

void containment_each_unit(void (*fn)(void *ctx, const char *unit), void *ctx)
{
    DIR *d = ct.cgroups ? opendir(ct.base) : NULL;
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d)))
        if (e->d_type == DT_DIR && e->d_name[0] != '.') fn(ctx, e->d_name);
    closedir(d);
}

/* ---- strays -------------------------------------------------------------- */

/* Every child of the daemon is listed under the thread that is its
 * parent: /proc/self/task/TID/children, for each thread. */
void containment_kill_strays(bool (*live)(const char *unit), bool all)
{
    DIR *tasks = opendir("/proc/self/task");
    if (!tasks) return;
    struct dirent *e;
    while ((e = readdir(tasks))) {
        if (e->d_name[0] == '.') continue;
        char path[300];
        snprintf(path, sizeof(path), "/proc/self/task/%s/children", e->d_name);
        FILE *f = fopen(path, "re");
        if (!f) continue;
        int pid;
        while (fscanf(f, "%d", &pid) == 1) {
            /* Its pid cannot be reused while it is our child, reaped or not. */
            if (pid <= 1 || reaper_watches(pid)) continue;
            char unit[64] = "";
            proc_environ_get(pid, "TEND_UNIT", unit, sizeof(unit));
            if (!all && (!unit[0] || live(unit))) continue;
            kill(pid, SIGKILL);
            if (getpgid(pid) == pid) kill(-pid, SIGKILL);
        }
        fclose(f);
    }
    closedir(tasks);
}

/* Removes every empty group under tend's (rmdir refuses one that still
 * has processes): those of jobs that ended while no daemon ran, or whose
 * daemon exited before the kernel had emptied them. */
static void remove_empty_groups(void)
{
    DIR *d = opendir(ct.base);
    if (!d) return;
    struct dirent *e;
    char path[PATH_SIZE];
    while ((e = readdir(d)))
        if (e->d_type == DT_DIR && e->d_name[0] != '.' && in_base(path, e->d_name, NULL))
            rmdir(path);
    closedir(d);
}

void containment_close(void)
{
    if (!ct.cgroups) return;
    remove_empty_groups();
    rmdir(ct.base);
}
