/* spawn.c — one clone and exec (see spawn.h).
 *
 * Like glibc's posix_spawn, the child is a clone(CLONE_VM | CLONE_VFORK)
 * running on a stack of its own: no copy of the daemon's page tables, so a
 * thousand starts cost what a thousand execs cost, and the calling thread
 * waits only until the child has exec'd. Unlike posix_spawn, the child can
 * join its cgroup before it execs (so nothing the program forks is ever
 * outside it), switch user, and say which step failed, through memory it
 * shares with the parent.
 *
 * Sharing memory is also the danger: the child makes system calls and
 * nothing else. It switches user with the raw system calls, because
 * glibc's setuid() would try to change the credentials of every thread of
 * what it takes for its own process: the daemon's.
 */
#include "daemon/process/spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/perm.h"

#define CHILD_STACK (64 * 1024)

enum { STEP_CGROUP, STEP_SETSID, STEP_REDIRECT, STEP_CHDIR, STEP_USER, STEP_EXEC };

typedef struct {
    const spawn_plan *plan;
    const char *program;
    int devnull;
    volatile int step;  /* the step the child is at */
    volatile int error; /* its errno, when a step failed */
} child_args;

/* In the child, on its own stack, before exec. ASan's bookkeeping is not
 * for a process that shares the daemon's memory: left out here. */
__attribute__((no_sanitize_address)) static int child_main(void *arg)
{
    child_args *c = arg;
    const spawn_plan *p = c->plan;
    /* Handlers are the daemon's code and ignored signals stay ignored
     * across exec: every signal goes back to its default. */
    for (int sig = 1; sig < NSIG; sig++) {
        struct sigaction sa;
        if (sig == SIGKILL || sig == SIGSTOP || sigaction(sig, NULL, &sa) < 0) continue;
        if (sa.sa_handler == SIG_DFL) continue;
        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = SIG_DFL;
        sigaction(sig, &sa, NULL);
    }
    c->step = STEP_CGROUP;
    if (p->cgroup_procs_fd >= 0 && write(p->cgroup_procs_fd, "0", 1) != 1) goto failed;
    c->step = STEP_SETSID;
    if (setsid() < 0) goto failed;
    c->step = STEP_REDIRECT;
    if (dup2(c->devnull, 0) < 0 || dup2(p->stdout_fd >= 0 ? p->stdout_fd : c->devnull, 1) < 0 ||
        dup2(p->stderr_fd >= 0 ? p->stderr_fd : c->devnull, 2) < 0)
        goto failed;
    /* Everything else the daemon has open stays behind. */
    syscall(SYS_close_range, 3u, ~0u, 0u);
    c->step = STEP_CHDIR;
    if (p->cwd && chdir(p->cwd) < 0) goto failed;
    c->step = STEP_USER;
    if (p->uid != (uid_t)-1 &&
        (syscall(SYS_setgroups, p->n_groups, p->groups) < 0 ||
         syscall(SYS_setresgid, p->gid, p->gid, p->gid) < 0 ||
         syscall(SYS_setresuid, p->uid, p->uid, p->uid) < 0))
        goto failed;
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    c->step = STEP_EXEC;
    execve(c->program, p->argv, p->env);
failed:
    c->error = errno ? errno : EIO;
    _exit(127);
}

/* The program argv[0] names, searched in the job's own PATH as the job's
 * user would (a directory only root can enter is skipped for others). */
static int resolve_program(const spawn_plan *plan, char *out, size_t size, char *err,
                           size_t errlen)
{
    const char *name = plan->argv[0];
    if (strchr(name, '/')) { /* exec judges it: its error names the problem */
        snprintf(out, size, "%s", name);
        return 0;
    }
    const char *path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    for (size_t i = 0; plan->env && plan->env[i]; i++)
        if (strncmp(plan->env[i], "PATH=", 5) == 0) path = plan->env[i] + 5;
    perm_identity id = {
        .uid = plan->uid, .gid = plan->gid, .groups = plan->groups, .n_groups = plan->n_groups};
    if (perm_find_program(name, path, &id, out, size)) return 0;
    snprintf(err, errlen, "exec %s: not found in PATH (%s)", name, path);
    return -ENOENT;
}

static int spawn_failed(int rc, const char *what, const char *arg, char *err, size_t errlen)
{
    snprintf(err, errlen, "%s%s%s: %s", what, arg[0] ? " " : "", arg, strerror(rc));
    return -rc;
}

static int devnull_fd = -1;
static void open_devnull(void)
{
    devnull_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
}

int spawn_process(const spawn_plan *plan, pid_t *pid, char *err, size_t errlen)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    char program[4096];
    int rc = resolve_program(plan, program, sizeof(program), err, errlen);
    if (rc < 0) return rc;
    if (plan->cwd && access(plan->cwd, X_OK) < 0)
        return spawn_failed(errno, "chdir", plan->cwd, err, errlen);
    pthread_once(&once, open_devnull);
    if (devnull_fd < 0) return spawn_failed(EBADF, "open", "/dev/null", err, errlen);
    char *stack = malloc(CHILD_STACK);
    if (!stack) return spawn_failed(ENOMEM, "clone", "", err, errlen);
    child_args args = {.plan = plan, .program = program, .devnull = devnull_fd};
    /* No handler of the daemon may run in the child before it has reset
     * them: block everything across the clone. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pid_t child = clone(child_main, stack + CHILD_STACK, CLONE_VM | CLONE_VFORK | SIGCHLD, &args);
    int clone_errno = errno;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    free(stack);
    if (child < 0) return spawn_failed(clone_errno, "clone", "", err, errlen);
    if (args.error) {
        /* It exited with 127 already; the loop may be the one to reap it. */
        waitpid(child, NULL, 0);
        switch (args.step) {
        case STEP_CGROUP: return spawn_failed(args.error, "join cgroup", "", err, errlen);
        case STEP_SETSID: return spawn_failed(args.error, "setsid", "", err, errlen);
        case STEP_REDIRECT: return spawn_failed(args.error, "redirect output", "", err, errlen);
        case STEP_CHDIR: return spawn_failed(args.error, "chdir", plan->cwd, err, errlen);
        case STEP_USER: return spawn_failed(args.error, "switch user", "", err, errlen);
        default: return spawn_failed(args.error, "exec", program, err, errlen);
        }
    }
    *pid = child;
    return 0;
}
