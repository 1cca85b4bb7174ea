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
 *
 * Until it execs, the child is named after its unit (its command name,
 * /proc/PID/comm), the one thing that says whose it is before its
 * environment does.
 *
 * Before exec the child also closes every fd but 0-2 (close-on-exec or
 * not), sets the job's limits (while still root, who alone may raise a
 * hard limit), its umask (never the daemon's 077) and, after the switch
 * of user, no_new_privs: each one system call, each failure reported as
 * the step it was, like an exec that fails.
 *
 * Joining a cgroup: on x86-64 the child is made with clone3 and
 * CLONE_INTO_CGROUP, so it is born in its cgroup. Moving a process in
 * afterwards (writing to cgroup.procs) takes the kernel's cgroup
 * threadgroup lock for writing, which waits for an RCU grace period:
 * hundreds of microseconds a spawn, a third more time to bring a thousand
 * services up. Elsewhere, where clone3 is refused, or into a cgroup that
 * was there before (spawn.h: join_after_birth), the child writes "0" to
 * cgroup.procs before it execs.
 */
#include "daemon/process/spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/perm.h"

#define CHILD_STACK (64 * 1024)

#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif

/* The kernel's struct clone_args (linux/sched.h, which clashes with glibc's
 * sched.h), as far as CLONE_INTO_CGROUP. */
typedef struct {
    uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid,
        set_tid_size, cgroup;
} clone3_args;

enum {
    STEP_CGROUP,
    STEP_SETSID,
    STEP_REDIRECT,
    STEP_CHDIR,
    STEP_LIMITS,
    STEP_USER,
    STEP_NO_NEW_PRIVS,
    STEP_EXEC
};

typedef struct {
    const spawn_plan *plan;
    const char *program;
    int devnull;
    int cgroup_procs_fd; /* to join by writing, when not born in the cgroup */
    int max_fd;          /* above every open fd, should close_range be missing */
    volatile int step;  /* the step the child is at */
    volatile int limit; /* at STEP_LIMITS: the index of the limit refused */
    volatile int error; /* its errno, when a step failed */
} child_args;

/* In the child, on its own stack, before exec. ASan's bookkeeping is not
 * for a process that shares the daemon's memory: left out here. */
__attribute__((no_sanitize_address)) static int child_main(void *arg)
{
    child_args *c = arg;
    const spawn_plan *p = c->plan;
    /* Named after its unit at once: should the daemon die before this
     * child execs, the next one tells whose it is (leftover.c). */
    if (p->name) syscall(SYS_prctl, PR_SET_NAME, p->name, 0L, 0L, 0L);
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
    if (c->cgroup_procs_fd >= 0 && write(c->cgroup_procs_fd, "0", 1) != 1) goto failed;
    c->step = STEP_SETSID;
    if (setsid() < 0) goto failed;
    c->step = STEP_REDIRECT;
    if (dup2(c->devnull, 0) < 0 || dup2(p->stdout_fd >= 0 ? p->stdout_fd : c->devnull, 1) < 0 ||
        dup2(p->stderr_fd >= 0 ? p->stderr_fd : c->devnull, 2) < 0)
        goto failed;
    /* Everything else the daemon has open stays behind, close-on-exec
     * or not (what it inherited from whoever started it, above all). */
    if (syscall(SYS_close_range, 3u, ~0u, 0u) < 0)
        for (int fd = 3; fd < c->max_fd; fd++) close(fd);
    c->step = STEP_CHDIR;
    if (p->cwd && chdir(p->cwd) < 0) goto failed;
    /* Limits while still root (only root may raise a hard limit). */
    c->step = STEP_LIMITS;
    for (size_t i = 0; i < p->n_limits; i++) {
        c->limit = (int)i;
        struct rlimit rl = {.rlim_cur = p->limits[i].soft, .rlim_max = p->limits[i].hard};
        if (setrlimit(p->limits[i].resource, &rl) < 0) goto failed;
    }
    umask(p->umask); /* the daemon's own 077 is not the job's */
    c->step = STEP_USER;
    if (p->uid != (uid_t)-1 &&
        (syscall(SYS_setgroups, p->n_groups, p->groups) < 0 ||
         syscall(SYS_setresgid, p->gid, p->gid, p->gid) < 0 ||
         syscall(SYS_setresuid, p->uid, p->uid, p->uid) < 0))
        goto failed;
    c->step = STEP_NO_NEW_PRIVS;
    if (p->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) goto failed;
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    c->step = STEP_EXEC;
    execve(c->program, p->argv, p->env);
failed:
    c->error = errno ? errno : EIO;
    _exit(127);
}

#if defined(__x86_64__)
#define HAVE_CLONE3_RUN 1
/* clone3 that runs fn(arg) in the child on args->stack and exits with its
 * result: glibc has no clone3 wrapper, and a child sharing memory cannot
 * return through the caller's frames. Returns the child's pid (or -errno)
 * in the parent. */
static long clone3_run(clone3_args *args, int (*fn)(void *), void *arg)
{
    long ret;
    register int (*child_fn)(void *) __asm__("r12") = fn;
    register void *child_arg __asm__("r13") = arg;
    __asm__ volatile("syscall\n\t"
                     "test %%rax, %%rax\n\t"
                     "jnz 1f\n\t"
                     /* The child: a new stack, the registers as they were. */
                     "xor %%ebp, %%ebp\n\t"
                     "mov %%r13, %%rdi\n\t"
                     "call *%%r12\n\t"
                     "mov %%eax, %%edi\n\t"
                     "mov %[exit], %%eax\n\t"
                     "syscall\n\t"
                     "hlt\n\t"
                     "1:\n\t"
                     : "=a"(ret)
                     : "a"((long)SYS_clone3), "D"(args), "S"(sizeof(*args)), "r"(child_fn),
                       "r"(child_arg), [exit] "i"(SYS_exit)
                     : "rcx", "r11", "memory");
    return ret;
}
#endif

/* Starts the child on stack; into the cgroup of cgroup_fd (-1: none) at
 * birth where the kernel can, else by the child itself. */
static pid_t start_child(child_args *args, char *stack, const spawn_plan *plan)
{
#ifdef HAVE_CLONE3_RUN
    /* Remembered: a kernel that refused it once refuses it always.
     * TEND_CLONE_INTO_CGROUP=0 chooses the other way (to test it). */
    static volatile int clone3_refused;
    const char *choice = getenv("TEND_CLONE_INTO_CGROUP");
    if (plan->cgroup_fd >= 0 && !plan->join_after_birth && !clone3_refused &&
        !(choice && strcmp(choice, "0") == 0)) {
        clone3_args ca = {
            .flags = CLONE_VM | CLONE_VFORK | CLONE_INTO_CGROUP,
            .exit_signal = SIGCHLD,
            .stack = (uint64_t)(uintptr_t)stack,
            .stack_size = CHILD_STACK,
            .cgroup = (uint64_t)plan->cgroup_fd,
        };
        long pid = clone3_run(&ca, child_main, args);
        if (pid > 0) return (pid_t)pid;
        if (pid != -ENOSYS && pid != -EINVAL && pid != -E2BIG) {
            errno = (int)-pid;
            return -1;
        }
        clone3_refused = 1;
    }
#endif
    if (plan->cgroup_fd >= 0) {
        args->cgroup_procs_fd = openat(plan->cgroup_fd, "cgroup.procs", O_WRONLY | O_CLOEXEC);
        if (args->cgroup_procs_fd < 0) return -1;
    }
    pid_t pid = clone(child_main, stack + CHILD_STACK, CLONE_VM | CLONE_VFORK | SIGCHLD, args);
    if (args->cgroup_procs_fd >= 0) {
        int e = errno;
        close(args->cgroup_procs_fd);
        errno = e;
    }
    return pid;
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

/* "setrlimit nofile 1024:4096: Operation not permitted". */
static int limit_failed(const spawn_plan *plan, int i, int rc, char *err, size_t errlen)
{
    const rlimit_entry *l = &plan->limits[i];
    char soft[24] = "infinity", hard[24] = "infinity";
    if (l->soft != RLIM_INFINITY) snprintf(soft, sizeof(soft), "%llu", (unsigned long long)l->soft);
    if (l->hard != RLIM_INFINITY) snprintf(hard, sizeof(hard), "%llu", (unsigned long long)l->hard);
    snprintf(err, errlen, "setrlimit %s %s:%s: %s", rlimit_name(l->resource), soft, hard,
             strerror(rc));
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
    struct rlimit files;
    child_args args = {.plan = plan,
                       .program = program,
                       .devnull = devnull_fd,
                       .cgroup_procs_fd = -1,
                       .max_fd = getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < 65536
                                     ? (int)files.rlim_cur
                                     : 65536};
    /* No handler of the daemon may run in the child before it has reset
     * them: block everything across the clone. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pid_t child = start_child(&args, stack, plan);
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
        case STEP_LIMITS: return limit_failed(plan, args.limit, args.error, err, errlen);
        case STEP_USER: return spawn_failed(args.error, "switch user", "", err, errlen);
        case STEP_NO_NEW_PRIVS:
            return spawn_failed(args.error, "prctl", "PR_SET_NO_NEW_PRIVS", err, errlen);
        default: return spawn_failed(args.error, "exec", program, err, errlen);
        }
    }
    *pid = child;
    return 0;
}
