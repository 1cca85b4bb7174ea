/* Unit tests: the process layer on its own, with a libuv loop of the test's
 * and real processes — a descendant that calls setsid dies with its proc,
 * in the cgroup mode and in the fallback; a failed start says why; a
 * released proc's tree is killed; a cgroup per proc, gone after it; a
 * main process found by its unit alone. */
/* cmocka needs these before it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/procstat.h"
#include "base/strv.h"
#include "daemon/process/containment.h"
#include "daemon/process/leftover.h"
#include "daemon/process/process.h"

extern char **environ;

typedef struct {
    proc *p;
    pid_t pid;
    int rc;
    char err[256];
    bool started, exited;
    int exit_code, term_signal;
} outcome;

static void on_started(void *data, proc *p, pid_t pid, int rc, const char *err)
{
    outcome *o = data;
    o->started = true;
    o->pid = pid;
    o->rc = rc;
    snprintf(o->err, sizeof(o->err), "%s", err ? err : "");
    if (rc < 0) proc_release(p), o->p = NULL;
}

static void on_exited(void *data, proc *p, int exit_code, int term_signal)
{
    outcome *o = data;
    o->exited = true;
    o->exit_code = exit_code;
    o->term_signal = term_signal;
    proc_release(p);
    o->p = NULL;
}

static char state_dir[] = "/tmp/tend-test-process-XXXXXX";

static void begin(uv_loop_t *loop, bool cgroups)
{
    uv_loop_init(loop);
    assert_int_equal(process_layer_init(loop, state_dir, cgroups), 0);
}

static void end(uv_loop_t *loop)
{
    process_layer_close();
    uv_run(loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(loop), 0);
}

static proc *start(const char *unit, const char *script, outcome *o)
{
    char *argv[] = {"/bin/sh", "-c", (char *)script, NULL};
    proc_request req = {
        .argv = strv_copy(argv),
        .env = strv_copy(environ),
        .uid = (uid_t)-1,
        .gid = (gid_t)-1,
        .stdout_fd = -1,
        .stderr_fd = -1,
    };
    memset(o, 0, sizeof(*o));
    o->p = proc_new(unit, on_started, on_exited, o);
    assert_non_null(o->p);
    proc_spawn(o->p, &req);
    return o->p;
}

static bool pid_gone(pid_t pid)
{
    proc_stat st;
    return !proc_stat_read(pid, &st) || st.state == 'Z';
}

typedef bool (*condition_fn)(void *arg);

static void tick(uv_timer_t *t)
{
    (void)t;
}

/* Runs the loop until cond holds (a timer wakes it to look; 10 s at most). */
static void run_until(uv_loop_t *loop, condition_fn cond, void *arg)
{
    uv_timer_t timer;
    uv_timer_init(loop, &timer);
    uv_timer_start(&timer, tick, 10, 10);
    for (int i = 0; i < 1000 && !cond(arg); i++) uv_run(loop, UV_RUN_ONCE);
    uv_close((uv_handle_t *)&timer, NULL);
    uv_run(loop, UV_RUN_NOWAIT);
    assert_true(cond(arg));
}

static bool has_exited(void *arg)
{
    return ((outcome *)arg)->exited;
}

static bool has_started(void *arg)
{
    return ((outcome *)arg)->started;
}

static bool path_gone(void *arg)
{
    struct stat st;
    return stat(arg, &st) < 0;
}

static pid_t read_pid(const char *path)
{
    FILE *f = fopen(path, "r");
    int pid = 0;
    if (f) {
        if (fscanf(f, "%d", &pid) != 1) pid = 0;
        fclose(f);
    }
    return pid;
}

static bool gone(void *arg)
{
    return pid_gone(*(pid_t *)arg);
}

static void escapee_dies_with_its_main(bool cgroups)
{
    uv_loop_t loop;
    begin(&loop, cgroups);
    char pidfile[256], script[512];
    snprintf(pidfile, sizeof(pidfile), "%s/escapee.pid", state_dir);
    unlink(pidfile);
    snprintf(script, sizeof(script), "setsid sleep 30 & echo $! > %s; exit 7", pidfile);
    outcome o;
    start(cgroups ? "job-a" : "job-b", script, &o);
    run_until(&loop, has_exited, &o);
    assert_int_equal(o.rc, 0);
    assert_int_equal(o.exit_code, 7);
    pid_t escapee = read_pid(pidfile);
    assert_true(escapee > 1);
    run_until(&loop, gone, &escapee);
    end(&loop);
}

static void test_setsid_descendant_dies_in_a_cgroup(void **state)
{
    (void)state;
    escapee_dies_with_its_main(true);
    unsetenv("TEND_CLONE_INTO_CGROUP");
}

static void test_setsid_descendant_dies_without_cgroups(void **state)
{
    (void)state;
    escapee_dies_with_its_main(false);
}

static void test_a_start_that_fails_says_why(void **state)
{
    (void)state;
    uv_loop_t loop;
    begin(&loop, true);
    char *argv[] = {"no-such-program-here", NULL};
    char *env[] = {"PATH=/nonexistent", NULL};
    proc_request req = {.argv = strv_copy(argv),
                        .env = strv_copy(env),
                        .uid = (uid_t)-1,
                        .gid = (gid_t)-1,
                        .stdout_fd = -1,
                        .stderr_fd = -1};
    outcome o = {0};
    o.p = proc_new("job-c", on_started, on_exited, &o);
    proc_spawn(o.p, &req);
    run_until(&loop, has_started, &o);
    assert_int_equal(o.rc, -ENOENT);
    assert_string_equal(o.err, "exec no-such-program-here: not found in PATH (/nonexistent)");
    assert_false(o.exited);
    end(&loop);
}

static void test_a_released_proc_is_killed_with_its_tree(void **state)
{
    (void)state;
    uv_loop_t loop;
    begin(&loop, true);
    char pidfile[256], script[512];
    snprintf(pidfile, sizeof(pidfile), "%s/child.pid", state_dir);
    unlink(pidfile);
    snprintf(script, sizeof(script), "setsid sleep 30 & echo $! > %s; exec sleep 30", pidfile);
    outcome o;
    proc *p = start("job-d", script, &o);
    run_until(&loop, has_started, &o);
    pid_t main_pid = o.pid;
    /* Wait for the child to exist before giving up on the tree. */
    for (int i = 0; i < 1000 && read_pid(pidfile) <= 1; i++) usleep(10000);
    pid_t escapee = read_pid(pidfile);
    assert_true(escapee > 1);
    char *events = containment_events_path("job-d");
    proc_release(p);
    run_until(&loop, gone, &main_pid);
    run_until(&loop, gone, &escapee);
    /* (Gone is a zombie too: until the cgroup is removed, the proc may
     * not be reaped, nor freed.) */
    if (events) run_until(&loop, path_gone, events);
    free(events);
    assert_false(o.exited); /* released: no callback */
    end(&loop);
}

static void each_proc_has_a_cgroup_removed_after_it(void)
{
    uv_loop_t loop;
    begin(&loop, true);
    if (!process_layer_uses_cgroups()) {
        end(&loop);
        skip();
    }
    outcome o;
    start("job-e", "cat /proc/self/cgroup > /dev/null; exec sleep 30", &o);
    run_until(&loop, has_started, &o);
    char path[64], line[1024] = "";
    snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)o.pid);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    while (fgets(line, sizeof(line), f) && strncmp(line, "0::", 3) != 0) {
    }
    fclose(f);
    assert_non_null(strstr(line, "/job-e\n"));
    /* The folder: where the containment line says, plus the unit. */
    const char *words = process_layer_containment();
    const char *open = strchr(words, '(');
    char folder[1024];
    snprintf(folder, sizeof(folder), "%.*s/job-e", (int)(strchr(open, ')') - open - 1), open + 1);
    struct stat st;
    assert_int_equal(stat(folder, &st), 0);
    assert_int_equal(proc_signal(o.p, SIGTERM), 0);
    run_until(&loop, has_exited, &o);
    assert_int_equal(o.term_signal, SIGTERM);
    end(&loop);
    assert_int_equal(stat(folder, &st), -1);
    folder[strlen(folder) - strlen("/job-e")] = 0;
    assert_int_equal(stat(folder, &st), -1); /* tend's own, too */
}

/* Born in its cgroup (clone3 with CLONE_INTO_CGROUP on x86-64). */
static void test_each_proc_has_a_cgroup_removed_after_it(void **state)
{
    (void)state;
    each_proc_has_a_cgroup_removed_after_it();
}

/* Moved in by the child before exec: the way elsewhere. */
static void test_a_child_that_joins_by_writing_is_contained_too(void **state)
{
    (void)state;
    setenv("TEND_CLONE_INTO_CGROUP", "0", 1);
    each_proc_has_a_cgroup_removed_after_it();
    escapee_dies_with_its_main(true);
    unsetenv("TEND_CLONE_INTO_CGROUP");
}

/* What a main process that died before it stored a spawn's pid leaves:
 * its unit's main process is found, not a descendant that left its
 * session, nor one orphaned by a parent that ended. */
static void test_a_main_process_is_found_by_its_unit(void **state)
{
    (void)state;
    uv_loop_t loop;
    begin(&loop, true);
    if (!process_layer_uses_cgroups()) {
        end(&loop);
        skip();
    }
    outcome o;
    proc *p = start("job-g", "(sleep 30 &); setsid sleep 30 & exec sleep 30", &o);
    run_until(&loop, has_started, &o);
    pid_t *pids = NULL;
    size_t n = 0;
    for (int i = 0; i < 1000 && (n = containment_procs("job-g", &pids)) < 3; i++) {
        free(pids);
        usleep(10000);
    }
    free(pids);
    assert_int_equal(n, 3);
    pid_t found = 0;
    uint64_t start_time = 0;
    assert_true(leftover_main("job-g", &found, &start_time));
    assert_int_equal(found, o.pid);
    assert_true(start_time == process_start_time(o.pid));
    assert_false(leftover_main("job-nobody", &found, &start_time));
    /* Released: killed, reaped, its cgroup removed (and the proc freed). */
    char *events = containment_events_path("job-g");
    assert_non_null(events);
    proc_release(p);
    run_until(&loop, path_gone, events);
    free(events);
    end(&loop);
}

int main(void)
{
    assert_non_null(mkdtemp(state_dir));
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_setsid_descendant_dies_in_a_cgroup),
        cmocka_unit_test(test_setsid_descendant_dies_without_cgroups),
        cmocka_unit_test(test_a_start_that_fails_says_why),
        cmocka_unit_test(test_a_released_proc_is_killed_with_its_tree),
        cmocka_unit_test(test_each_proc_has_a_cgroup_removed_after_it),
        cmocka_unit_test(test_a_child_that_joins_by_writing_is_contained_too),
        cmocka_unit_test(test_a_main_process_is_found_by_its_unit),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "%s/escapee.pid", state_dir);
    unlink(cmd);
    snprintf(cmd, sizeof(cmd), "%s/child.pid", state_dir);
    unlink(cmd);
    rmdir(state_dir);
    return failed;
}
