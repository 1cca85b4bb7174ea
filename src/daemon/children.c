/* children.c — spawning, reaping and signalling the daemon's children
 * (see children.h).
 *
 * Spawning uses posix_spawn, which glibc implements with
 * clone(CLONE_VM|CLONE_VFORK): no copy of the daemon's page tables, so a
 * thousand starts cost what a thousand execs cost. A job that runs as
 * another user needs setgroups/setgid/setuid, which posix_spawn cannot do;
 * only those take the fork() path.
 */
#include "daemon/children.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/perm.h"

/* ---- the pid -> watcher table ---------------------------------------- */

typedef struct {
    pid_t pid; /* 0: empty; -1: deleted */
    child_exit_fn fn;
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
} kids;

/* The exit of a pid nobody watches yet. While spawns are in flight it may
 * be one of theirs, so it is kept for children_watch; otherwise it is an
 * orphaned grandchild, reaped and forgotten. */
static void keep_early_exit(pid_t pid, int status)
{
    if (!kids.spawning) return;
    if (kids.n_early == kids.cap_early) {
        size_t cap = kids.cap_early ? kids.cap_early * 2 : 16;
        early_exit *grown = realloc(kids.early, cap * sizeof(*grown));
        if (!grown) return;
        kids.early = grown;
        kids.cap_early = cap;
    }
    kids.early[kids.n_early++] = (early_exit){pid, status};
}

void children_spawn_begin(void)
{
    kids.spawning++;
}

void children_spawn_done(void)
{
    if (--kids.spawning == 0) kids.n_early = 0;
}

static void deliver(child_exit_fn fn, void *data, pid_t pid, int status)
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
    if (!kids.cap) return NULL;
    for (size_t i = slot_of(pid, kids.cap);; i = (i + 1) & (kids.cap - 1)) {
        if (kids.slots[i].pid == pid) return &kids.slots[i];
        if (kids.slots[i].pid == 0) return NULL;
    }
}

static int grow_table(void)
{
    size_t cap = kids.cap ? kids.cap * 2 : 256;
    watcher *slots = calloc(cap, sizeof(*slots));
    if (!slots) return -ENOMEM;
    size_t used = 0;
    for (size_t i = 0; i < kids.cap; i++) {
        if (kids.slots[i].pid <= 0) continue;
        size_t j = slot_of(kids.slots[i].pid, cap);
        while (slots[j].pid) j = (j + 1) & (cap - 1);
        slots[j] = kids.slots[i];
        used++;
    }
    free(kids.slots);
    kids.slots = slots;
    kids.cap = cap;
    kids.used = used;
    return 0;
}

int children_watch(pid_t pid, child_exit_fn fn, void *data)
{
    for (size_t i = 0; i < kids.n_early; i++) {
        if (kids.early[i].pid != pid) continue;
        int status = kids.early[i].status;
        kids.early[i] = kids.early[--kids.n_early];
        deliver(fn, data, pid, status);
        return 0;
    }
    if ((kids.used + 1) * 2 > kids.cap && grow_table() < 0) return -ENOMEM;
    size_t i = slot_of(pid, kids.cap);
    while (kids.slots[i].pid > 0 && kids.slots[i].pid != pid) i = (i + 1) & (kids.cap - 1);
    if (kids.slots[i].pid == 0) kids.used++;
    kids.slots[i] = (watcher){.pid = pid, .fn = fn, .data = data};
    return 0;
}

void children_forget(pid_t pid)
{
    watcher *w = find_slot(pid);
    if (w) w->pid = -1; /* a tombstone keeps later probes going */
}

/* ---- reaping ----------------------------------------------------------- */

static void on_sigchld(uv_signal_t *handle, int signum)
{
    (void)handle, (void)signum;
    for (;;) {
        int status = 0;
        pid_t pid = waitpid(-1, &status, WNOHANG);
        if (pid <= 0) break; /* 0: none left that exited; -1: no children at all */
        watcher *w = find_slot(pid);
        if (!w) {
            keep_early_exit(pid, status);
            continue;
        }
        watcher found = *w;
        w->pid = -1;
        deliver(found.fn, found.data, pid, status);
    }
}

int children_init(uv_loop_t *loop)
{
    if (kids.ready) return 0;
    int rc = uv_signal_init(loop, &kids.sigchld);
    if (rc == 0) rc = uv_signal_start(&kids.sigchld, on_sigchld, SIGCHLD);
    if (rc < 0) return rc;
    /* Waiting for children is no reason to keep the loop running. */
    uv_unref((uv_handle_t *)&kids.sigchld);
    kids.ready = true;
    return 0;
}

void children_close(void)
{
    if (!kids.ready) return;
    uv_close((uv_handle_t *)&kids.sigchld, NULL);
    free(kids.slots);
    kids.slots = NULL;
    kids.cap = kids.used = 0;
    free(kids.early);
    kids.early = NULL;
    kids.n_early = kids.cap_early = 0;
    kids.ready = false;
}

int children_become_subreaper(void)
{
    return prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0 ? -errno : 0;
}

int process_group_signal(pid_t pgid, int sig)
{
    if (pgid <= 1) return -EINVAL; /* never the whole system, never init */
    if (kill(-pgid, sig) < 0 && errno != ESRCH) return -errno;
    return 0;
}

/* ---- spawning ------------------------------------------------------------ */

/* The program argv[0] names, searched in the job's own PATH as the job's
 * user would (a directory only root can enter is skipped for others). */
static int resolve_program(const spawn_request *req, char *out, size_t size, char *err,
                           size_t errlen)
{
    const char *name = req->argv[0];
    if (strchr(name, '/')) { /* exec judges it: its error names the problem */
        snprintf(out, size, "%s", name);
        return 0;
    }
    const char *path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    for (size_t i = 0; req->env && req->env[i]; i++)
        if (strncmp(req->env[i], "PATH=", 5) == 0) path = req->env[i] + 5;
    perm_identity id = {
        .uid = req->uid, .gid = req->gid, .groups = req->groups, .n_groups = req->n_groups};
    if (perm_find_program(name, path, &id, out, size)) return 0;
    snprintf(err, errlen, "exec %s: not found in PATH (%s)", name, path);
    return -ENOENT;
}

static int spawn_failed(int rc, const char *what, const char *arg, char *err, size_t errlen)
{
    snprintf(err, errlen, "%s %s: %s", what, arg, strerror(rc));
    return -rc;
}

/* fork() path for jobs that switch user; only async-signal-safe calls. */
static int spawn_as_user(const spawn_request *req, const char *program, pid_t *pid, char *err,
                         size_t errlen)
{
    int pipefd[2];
    if (pipe2(pipefd, O_CLOEXEC) < 0) return spawn_failed(errno, "pipe", "", err, errlen);
    pid_t child = fork();
    if (child < 0) {
        int e = errno;
        close(pipefd[0]), close(pipefd[1]);
        return spawn_failed(e, "fork", "", err, errlen);
    }
    if (child == 0) {
        int step = 0;
        sigset_t none;
        sigemptyset(&none);
        if (setsid() < 0) goto failed;
        step = 1;
        int devnull = open("/dev/null", O_RDWR);
        if (devnull < 0 || dup2(devnull, 0) < 0 ||
            dup2(req->stdout_fd >= 0 ? req->stdout_fd : devnull, 1) < 0 ||
            dup2(req->stderr_fd >= 0 ? req->stderr_fd : devnull, 2) < 0)
            goto failed;
        step = 2;
        if (req->cwd && chdir(req->cwd) < 0) goto failed;
        step = 3;
        if (setgroups(req->n_groups, req->groups) < 0 || setgid(req->gid) < 0 ||
            setuid(req->uid) < 0)
            goto failed;
        step = 4;
        signal(SIGPIPE, SIG_DFL);
        sigprocmask(SIG_SETMASK, &none, NULL);
        execve(program, req->argv, req->env);
    failed:;
        int report[2] = {step, errno};
        ssize_t unused = write(pipefd[1], report, sizeof(report));
        (void)unused;
        _exit(127);
    }
    close(pipefd[1]);
    int report[2];
    ssize_t n = read(pipefd[0], report, sizeof(report));
    close(pipefd[0]);
    if (n == (ssize_t)sizeof(report)) {
        static const char *const steps[] = {"setsid", "redirect output", "chdir", "switch user to",
                                            "exec"};
        waitpid(child, NULL, 0);
        const char *arg = report[0] == 2 ? req->cwd : report[0] == 4 ? program : "";
        return spawn_failed(report[1], steps[report[0]], arg, err, errlen);
    }
    *pid = child;
    return 0;
}

int child_spawn(const spawn_request *req, pid_t *pid, char *err, size_t errlen)
{
    char program[4096];
    int rc = resolve_program(req, program, sizeof(program), err, errlen);
    if (rc < 0) return rc;
    if (req->cwd && access(req->cwd, X_OK) < 0)
        return spawn_failed(errno, "chdir", req->cwd, err, errlen);
    if (req->uid != (uid_t)-1) return spawn_as_user(req, program, pid, err, errlen);

    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    posix_spawn_file_actions_init(&fa);
    posix_spawnattr_init(&attr);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    if (req->stdout_fd >= 0)
        posix_spawn_file_actions_adddup2(&fa, req->stdout_fd, 1);
    else
        posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    if (req->stderr_fd >= 0)
        posix_spawn_file_actions_adddup2(&fa, req->stderr_fd, 2);
    else
        posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    if (req->cwd) posix_spawn_file_actions_addchdir_np(&fa, req->cwd);
    /* Everything else the daemon has open stays behind. */
    posix_spawn_file_actions_addclosefrom_np(&fa, 3);
    sigset_t none, defaults;
    sigemptyset(&none);
    sigfillset(&defaults);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &defaults);
    posix_spawnattr_setflags(&attr,
                             POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    rc = posix_spawn(pid, program, &fa, &attr, req->argv, req->env);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    if (rc != 0) return spawn_failed(rc, "exec", program, err, errlen);
    return 0;
}
