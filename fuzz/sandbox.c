/* sandbox.c — namespaces, a read-only mount tree and an unprivileged user
 * for the request-path fuzzer (sandbox.h says what and why). */
#include "sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif

/* Root runs the fuzzer as this uid, which no account has: RLIMIT_NPROC
 * binds it (it does not bind uid 0) and it owns no file outside. */
#define CAGED_UID ((uid_t)2100000000)
/* Processes and threads of the caged user: the fuzzer's own threads and
 * whatever its jobs fork within one input. */
#define CAGED_NPROC  256
#define MAX_WRITABLE 4

static const char *const device_names[] = {"null", "zero", "full", "random", "urandom"};

typedef struct {
    char *dirs[MAX_WRITABLE];
    size_t n;
} writable_dirs;

__attribute__((format(printf, 3, 4))) static int fail(char *err, size_t errlen, const char *fmt,
                                                      ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

static int add_writable(writable_dirs *w, const char *dir, const char *what, char *err,
                        size_t errlen)
{
    char *real = realpath(dir, NULL);
    struct stat st;
    if (!real || stat(real, &st) < 0 || !S_ISDIR(st.st_mode)) {
        free(real);
        return fail(err, errlen, "%s '%s' is not a directory", what, dir);
    }
    /* The cage's own tmpfs covers /tmp: what is there would be hidden. */
    if (strcmp(real, SANDBOX_TMP) == 0 || strncmp(real, SANDBOX_TMP "/", 5) == 0) {
        free(real);
        return fail(err, errlen, "%s '%s' is under " SANDBOX_TMP ", which the cage replaces", what,
                    dir);
    }
    if (w->n == MAX_WRITABLE) {
        free(real);
        return fail(err, errlen, "too many directories to write to");
    }
    w->dirs[w->n++] = real;
    return 0;
}

/* What libFuzzer writes to: its first corpus directory (new inputs) and
 * the directory of -artifact_prefix / -exact_artifact_path (crashes). */
static int find_writable(int argc, char **argv, writable_dirs *w, char *err, size_t errlen)
{
    bool corpus_seen = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *prefix = NULL;
        if (strncmp(a, "-artifact_prefix=", 17) == 0)
            prefix = a + 17;
        else if (strncmp(a, "-exact_artifact_path=", 21) == 0)
            prefix = a + 21;
        if (prefix) {
            char dir[PATH_MAX];
            snprintf(dir, sizeof(dir), "%s", prefix);
            char *slash = strrchr(dir, '/');
            if (!slash)
                snprintf(dir, sizeof(dir), ".");
            else if (slash == dir)
                dir[1] = '\0';
            else
                *slash = '\0';
            if (add_writable(w, dir, "the artifact directory", err, errlen) < 0) return -1;
        } else if (a[0] != '-' && !corpus_seen) {
            struct stat st;
            corpus_seen = true;
            if (stat(a, &st) == 0 && S_ISDIR(st.st_mode) &&
                add_writable(w, a, "the corpus directory", err, errlen) < 0)
                return -1;
        }
    }
    return 0;
}

static int write_file(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    ssize_t n = write(fd, text, strlen(text));
    int saved = errno;
    close(fd);
    errno = saved;
    return n == (ssize_t)strlen(text) ? 0 : -1;
}

/* Maps uid and gid 0 of the user namespace just entered to outer_uid and
 * outer_gid of the one above. */
static int map_ids(uid_t outer_uid, gid_t outer_gid)
{
    char line[64];
    if (write_file("/proc/self/setgroups", "deny") < 0) return -1;
    snprintf(line, sizeof(line), "0 %u 1", (unsigned)outer_uid);
    if (write_file("/proc/self/uid_map", line) < 0) return -1;
    snprintf(line, sizeof(line), "0 %u 1", (unsigned)outer_gid);
    return write_file("/proc/self/gid_map", line);
}

static pid_t caged_pid;

static void pass_signal(int sig)
{
    if (caged_pid > 0) kill(caged_pid, sig);
}

/* The outer process: passes the signals a terminal or a timeout sends on,
 * and ends as the caged fuzzer ended. */
static void wait_for_cage(pid_t pid)
{
    caged_pid = pid;
    struct sigaction sa = {.sa_handler = pass_signal};
    sigemptyset(&sa.sa_mask);
    int forwarded[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};
    for (size_t i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++)
        sigaction(forwarded[i], &sa, NULL);
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) _exit(1);
    if (WIFEXITED(status)) _exit(WEXITSTATUS(status));
    signal(WTERMSIG(status), SIG_DFL);
    raise(WTERMSIG(status));
    _exit(128 + WTERMSIG(status));
}

/* /dev with the harmless devices only: made on a tmpfs of its own, then
 * moved over /dev (the host's disks and terminals are not in it). */
static int make_dev(char *err, size_t errlen)
{
    const char *staging = SANDBOX_TMP "/.dev";
    if (mkdir(staging, 0755) < 0 || mount("tmpfs", staging, "tmpfs", MS_NOSUID, "mode=0755") < 0)
        return fail(err, errlen, "cannot make a tmpfs for /dev: %s", strerror(errno));
    for (size_t i = 0; i < sizeof(device_names) / sizeof(device_names[0]); i++) {
        char host[64], node[64];
        snprintf(host, sizeof(host), "/dev/%s", device_names[i]);
        snprintf(node, sizeof(node), "%s/%s", staging, device_names[i]);
        int fd = open(node, O_CREAT | O_WRONLY | O_CLOEXEC, 0666);
        if (fd >= 0) close(fd);
        if (fd < 0 || mount(host, node, NULL, MS_BIND, NULL) < 0)
            return fail(err, errlen, "cannot bind %s: %s", host, strerror(errno));
    }
    if (symlink("/proc/self/fd", SANDBOX_TMP "/.dev/fd") < 0 ||
        symlink("/proc/self/fd/0", SANDBOX_TMP "/.dev/stdin") < 0 ||
        symlink("/proc/self/fd/1", SANDBOX_TMP "/.dev/stdout") < 0 ||
        symlink("/proc/self/fd/2", SANDBOX_TMP "/.dev/stderr") < 0 ||
        mkdir(SANDBOX_TMP "/.dev/shm", 01777) < 0 ||
        mount(staging, "/dev", NULL, MS_MOVE, NULL) < 0)
        return fail(err, errlen, "cannot put the new /dev in place: %s", strerror(errno));
    rmdir(staging);
    return 0;
}

static int loopback_up(void)
{
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0) return -1;
    struct ifreq ifr = {0};
    snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
    int rc = ioctl(s, SIOCGIFFLAGS, &ifr);
    ifr.ifr_flags |= IFF_UP;
    if (rc == 0) rc = ioctl(s, SIOCSIFFLAGS, &ifr);
    close(s);
    return rc;
}

/* Everything read-only, then the writable places: libFuzzer's directories
 * (bound on themselves first, so that each is a mount of its own to make
 * writable again), a tmpfs on /tmp, the new /dev and /proc. */
static int build_mounts(const writable_dirs *w, char *err, size_t errlen)
{
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
        return fail(err, errlen, "cannot make the mounts private: %s", strerror(errno));
    for (size_t i = 0; i < w->n; i++)
        if (mount(w->dirs[i], w->dirs[i], NULL, MS_BIND, NULL) < 0)
            return fail(err, errlen, "cannot bind %s: %s", w->dirs[i], strerror(errno));
    struct mount_attr ro = {.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID};
    if (mount_setattr(AT_FDCWD, "/", AT_RECURSIVE, &ro, sizeof(ro)) < 0)
        return fail(err, errlen, "cannot make the mount tree read-only (mount_setattr): %s",
                    strerror(errno));
    struct mount_attr rw = {.attr_clr = MOUNT_ATTR_RDONLY};
    for (size_t i = 0; i < w->n; i++)
        if (mount_setattr(AT_FDCWD, w->dirs[i], 0, &rw, sizeof(rw)) < 0)
            return fail(err, errlen, "cannot make %s writable: %s", w->dirs[i], strerror(errno));
    if (mount("tmpfs", SANDBOX_TMP, "tmpfs", MS_NOSUID | MS_NODEV, "size=512m,mode=0755") < 0)
        return fail(err, errlen, "cannot mount a tmpfs on " SANDBOX_TMP ": %s", strerror(errno));
    if (make_dev(err, errlen) < 0) return -1;
    if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
        return fail(err, errlen, "cannot mount /proc for the PID namespace: %s", strerror(errno));
    return 0;
}

/* Root: the unused uid, which owns the writable places. Others: a user
 * namespace below the one that owns the mounts, so no capability is left
 * to undo them. */
static int drop_user(bool root, const writable_dirs *w, char *err, size_t errlen)
{
    if (root) {
        if (chown(SANDBOX_TMP, CAGED_UID, CAGED_UID) < 0)
            return fail(err, errlen, "chown " SANDBOX_TMP ": %s", strerror(errno));
        for (size_t i = 0; i < w->n; i++)
            if (chown(w->dirs[i], CAGED_UID, CAGED_UID) < 0)
                return fail(err, errlen, "chown %s: %s", w->dirs[i], strerror(errno));
        if (setgroups(0, NULL) < 0 || setresgid(CAGED_UID, CAGED_UID, CAGED_UID) < 0 ||
            setresuid(CAGED_UID, CAGED_UID, CAGED_UID) < 0)
            return fail(err, errlen, "cannot become uid %u: %s", (unsigned)CAGED_UID,
                        strerror(errno));
    } else if (unshare(CLONE_NEWUSER) < 0 || map_ids(0, 0) < 0) {
        return fail(err, errlen, "cannot enter a user namespace without capabilities: %s",
                    strerror(errno));
    }
    /* LeakSanitizer stops the world with ptrace, which a changed uid
     * would forbid. */
    if (prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) < 0 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        return fail(err, errlen, "prctl: %s", strerror(errno));
    return 0;
}

/* Proof rather than trust: the host's files, mounts and network are out
 * of reach. */
static int check_cage(char *err, size_t errlen)
{
    char probe[64];
    snprintf(probe, sizeof(probe), "/etc/.tend-fuzz-probe-%d", (int)getpid());
    if (mkdir(probe, 0700) == 0) {
        rmdir(probe);
        return fail(err, errlen, "/etc is still writable");
    }
    struct mount_attr rw = {.attr_clr = MOUNT_ATTR_RDONLY};
    if (mount_setattr(AT_FDCWD, "/", 0, &rw, sizeof(rw)) == 0)
        return fail(err, errlen, "the mount tree can still be made writable");
    struct if_nameindex *ifs = if_nameindex();
    size_t n = 0;
    for (struct if_nameindex *i = ifs; i && i->if_index; i++) n++;
    bool only_lo = ifs && n == 1 && strcmp(ifs[0].if_name, "lo") == 0;
    if (ifs) if_freenameindex(ifs);
    if (!only_lo) return fail(err, errlen, "network interfaces other than lo are visible");
    if (getpid() != 1) return fail(err, errlen, "not process 1 of a PID namespace");
    return 0;
}

int sandbox_enter(int argc, char **argv, char *err, size_t errlen)
{
    writable_dirs w = {0};
    if (find_writable(argc, argv, &w, err, errlen) < 0) return -1;
    bool root = geteuid() == 0;
    uid_t uid = geteuid();
    gid_t gid = getegid();
    int flags = CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWPID | CLONE_NEWIPC;
    if (unshare(root ? flags : flags | CLONE_NEWUSER) < 0)
        return fail(err, errlen, "cannot create namespaces (unshare: %s)%s", strerror(errno),
                    root ? "" : "; unprivileged user namespaces may be disabled");
    if (!root && map_ids(uid, gid) < 0)
        return fail(err, errlen, "cannot map the user namespace: %s", strerror(errno));
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) return fail(err, errlen, "fork: %s", strerror(errno));
    if (pid > 0) wait_for_cage(pid);
    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    struct rlimit nproc = {CAGED_NPROC, CAGED_NPROC}, core = {0, 0};
    if (build_mounts(&w, err, errlen) < 0) goto refuse;
    (void)loopback_up(); /* without it, loopback connections fail: no harm */
    if (setrlimit(RLIMIT_NPROC, &nproc) < 0 || setrlimit(RLIMIT_CORE, &core) < 0 ||
        drop_user(root, &w, err, errlen) < 0 || check_cage(err, errlen) < 0)
        goto refuse;
    for (size_t i = 0; i < w.n; i++) free(w.dirs[i]);
    return 0;
refuse:
    if (!err[0]) snprintf(err, errlen, "%s", strerror(errno));
    fprintf(stderr, "fuzz-rpc: refusing to run: %s\n", err);
    _exit(1);
}
