/* Unit tests: the cage of the request-path fuzzer (fuzz/sandbox.h). A
 * child enters it for real and tries what a fuzzed job could try: write
 * host files, see host /tmp, signal a process outside, reach a network,
 * fork without end, undo the read-only mounts. Skipped where namespaces
 * cannot be made (not root and no unprivileged user namespaces). */
/* cmocka needs these before it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sandbox.h"

#define CANNOT_CAGE 77

static char base[PATH_MAX / 2], outside[PATH_MAX], corpus[PATH_MAX], host_tmp_file[PATH_MAX];

static bool only_harmless_devices(void)
{
    static const char *const allowed[] = {".",       "..", "null",  "zero",   "full",   "random",
                                          "urandom", "fd", "stdin", "stdout", "stderr", "shm"};
    DIR *dir = opendir("/dev");
    if (!dir) return false;
    struct dirent *e;
    bool ok = true;
    while ((e = readdir(dir))) {
        bool known = false;
        for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
            known |= strcmp(e->d_name, allowed[i]) == 0;
        ok &= known;
    }
    closedir(dir);
    return ok;
}

/* Forks until the kernel says no; every child waits to be killed. */
static int fork_until_refused(void)
{
    int n = 0;
    for (; n < 10000; n++) {
        pid_t pid = fork();
        if (pid == 0) {
            pause();
            _exit(0);
        }
        if (pid < 0) break;
    }
    kill(-1, SIGKILL); /* process 1 of the namespace: every other one */
    while (wait(NULL) > 0) continue;
    return n;
}

/* In the cage: 0, or the number of the first thing that got out. */
static int try_to_get_out(pid_t outer, bool was_root)
{
    char path[PATH_MAX + 16];
    snprintf(path, sizeof(path), "%s/marker", outside);
    if (open(path, O_CREAT | O_WRONLY, 0644) >= 0) return 10;
    snprintf(path, sizeof(path), "%s/marker", corpus);
    int fd = open(path, O_CREAT | O_WRONLY, 0644);
    if (fd < 0) return 11;
    close(fd);
    if (mkdir(SANDBOX_TMP "/scratch", 0700) < 0) return 12;
    if (access(host_tmp_file, F_OK) == 0) return 13;
    if (getpid() != 1) return 14;
    if (kill(outer, 0) == 0 || errno != ESRCH) return 15;
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in far = {.sin_family = AF_INET, .sin_port = htons(9)};
    inet_pton(AF_INET, "192.0.2.1", &far.sin_addr); /* TEST-NET-1: no route here */
    if (s < 0 || connect(s, (struct sockaddr *)&far, sizeof(far)) == 0) return 16;
    close(s);
    if ((fd = open("/dev/null", O_WRONLY)) < 0 || write(fd, "x", 1) != 1) return 17;
    close(fd);
    if (!only_harmless_devices()) return 18;
    if (fork_until_refused() >= 256) return 19;
    struct mount_attr rw = {.attr_clr = MOUNT_ATTR_RDONLY};
    if (mount_setattr(AT_FDCWD, "/", 0, &rw, sizeof(rw)) == 0) return 20;
    if (was_root && setuid(0) == 0) return 21;
    struct rlimit more = {RLIM_INFINITY, RLIM_INFINITY};
    if (setrlimit(RLIMIT_NPROC, &more) == 0) return 22;
    return 0;
}

static int setup(void **state)
{
    (void)state;
    /* Not under /tmp, which the cage replaces (a clone may well be there). */
    snprintf(base, sizeof(base), "/var/tmp/tend-sandbox-test-XXXXXX");
    if (!mkdtemp(base) || chmod(base, 0755) < 0) return -1;
    snprintf(outside, sizeof(outside), "%s/outside", base);
    snprintf(corpus, sizeof(corpus), "%s/corpus", base);
    snprintf(host_tmp_file, sizeof(host_tmp_file), "/tmp/tend-sandbox-test-%d", (int)getpid());
    int fd = open(host_tmp_file, O_CREAT | O_WRONLY, 0644);
    if (fd >= 0) close(fd);
    return mkdir(outside, 0777) < 0 || mkdir(corpus, 0755) < 0 || chmod(outside, 0777) < 0 ||
           fd < 0;
}

static int teardown(void **state)
{
    (void)state;
    char path[PATH_MAX + 16];
    snprintf(path, sizeof(path), "%s/marker", corpus);
    unlink(path);
    snprintf(path, sizeof(path), "%s/marker", outside);
    unlink(path);
    rmdir(corpus);
    rmdir(outside);
    rmdir(base);
    unlink(host_tmp_file);
    return 0;
}

static void test_a_caged_process_cannot_reach_the_host(void **state)
{
    (void)state;
    pid_t outer = getpid();
    bool was_root = geteuid() == 0;
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        char *argv[] = {"fuzz-rpc", "-max_len=10", corpus, NULL};
        char err[512] = "";
        if (sandbox_enter(3, argv, err, sizeof(err)) < 0) {
            fprintf(stderr, "no cage here: %s\n", err);
            _exit(CANNOT_CAGE);
        }
        _exit(try_to_get_out(outer, was_root));
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    if (WEXITSTATUS(status) == CANNOT_CAGE && !was_root) skip();
    assert_int_equal(WEXITSTATUS(status), 0);
    char path[PATH_MAX + 16];
    snprintf(path, sizeof(path), "%s/marker", outside);
    assert_int_equal(access(path, F_OK), -1);
    snprintf(path, sizeof(path), "%s/marker", corpus);
    assert_int_equal(access(path, F_OK), 0);
}

static void test_a_corpus_under_tmp_is_refused_before_anything_changes(void **state)
{
    (void)state;
    char dir[] = "/tmp/tend-sandbox-corpus-XXXXXX";
    assert_non_null(mkdtemp(dir));
    struct stat before, after;
    assert_int_equal(stat("/proc/self/ns/mnt", &before), 0);
    char *argv[] = {"fuzz-rpc", dir, NULL};
    char err[512] = "";
    assert_int_equal(sandbox_enter(2, argv, err, sizeof(err)), -1);
    assert_non_null(strstr(err, dir));
    assert_non_null(strstr(err, "under /tmp"));
    /* Still in the mount namespace it started in. */
    assert_int_equal(stat("/proc/self/ns/mnt", &after), 0);
    assert_int_equal(before.st_ino, after.st_ino);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_caged_process_cannot_reach_the_host),
        cmocka_unit_test(test_a_corpus_under_tmp_is_refused_before_anything_changes),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
