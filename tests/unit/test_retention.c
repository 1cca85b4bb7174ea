/* Unit tests: bounded history (store/retention.c) on real database files —
 * what the pruner deletes, what it never deletes (active jobs, the newest
 * job of each action, a service's current run, runs still stopping), its
 * budget per step, and the file shrinking. */
/* cmocka needs these before it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "store/retention.h"
#include "store/store.h"

typedef struct {
    char dir[64];
    char path[128];
    store *st;
    store_pruner *p;
    int logs_told; /* log files the pruner said it deleted */
    char last_log[128];
    int web_runs, web_jobs; /* what service "web" keeps; others keep 20 and 100 */
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    snprintf(f->dir, sizeof(f->dir), "/tmp/tend-test-retention-XXXXXX");
    if (!mkdtemp(f->dir)) return -1;
    snprintf(f->path, sizeof(f->path), "%s/tend.db", f->dir);
    char err[256] = "";
    if (store_open(f->path, &f->st, err, sizeof(err)) < 0) return -1;
    f->p = store_pruner_new(f->st, err, sizeof(err));
    if (!f->p) return -1;
    f->web_runs = 3;
    f->web_jobs = 10;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    store_pruner_free(f->p);
    store_close(f->st);
    char cmd[160];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
    if (system(cmd) != 0) return -1;
    free(f);
    return 0;
}

static void service_keep(void *ctx, const char *service, int *runs, int *jobs_per_run)
{
    fixture *f = ctx;
    bool web = service && strcmp(service, "web") == 0;
    *runs = web ? f->web_runs : 20;
    *jobs_per_run = web ? f->web_jobs : 100;
}

static void log_deleted(void *ctx, const char *path)
{
    fixture *f = ctx;
    f->logs_told++;
    snprintf(f->last_log, sizeof(f->last_log), "%s", path);
}

static store_retention policy(fixture *f)
{
    return (store_retention){.service_keep = service_keep,
                             .ctx = f,
                             .standalone_jobs = 5,
                             .events = 200,
                             .log_deleted = log_deleted};
}

/* Steps until done; returns how many steps it took. */
static int prune_all(fixture *f, const store_retention *r, int budget)
{
    int steps = 0, rc;
    while ((rc = store_pruner_step(f->p, r, budget)) == 1) {
        steps++;
        assert_true(steps < 100000);
    }
    assert_int_equal(rc, 0);
    return steps + 1;
}

static int64_t count(fixture *f, const char *sql)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *stmt = NULL;
    assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &stmt, NULL), SQLITE_OK);
    int64_t n = sqlite3_step(stmt) == SQLITE_ROW ? sqlite3_column_int64(stmt, 0) : -1;
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    return n;
}

static int64_t add_job(fixture *f, const char *service, const char *action, int64_t run,
                       const char *phase)
{
    char log[64];
    store_job j = {.service_id = service,
                   .action_id = action,
                   .run_id = run,
                   .phase = phase,
                   .attempt = 1,
                   .created_at = 1000.0,
                   .log_path = log};
    snprintf(log, sizeof(log), "/logs/%s/next.log", service ? service : "_jobs");
    assert_int_equal(store_job_create(f->st, &j), 0);
    return j.id;
}

static void test_a_crash_loop_keeps_its_newest_attempts_and_every_slot(void **state)
{
    fixture *f = *state;
    store_service_put(f->st, "web", "{}", 1.0);
    int64_t run = store_run_create(f->st, "web", 1.0);
    /* A oneshot that succeeded first, then a process restarted 300 times. */
    int64_t setup_job = add_job(f, "web", "setup", run, "succeeded");
    for (int i = 0; i < 300; i++) add_job(f, "web", "server", run, "failed");
    int64_t current = add_job(f, "web", "server", run, "running");
    store_retention r = policy(f);
    prune_all(f, &r, 500);
    char sql[160];
    snprintf(sql, sizeof(sql), "SELECT count(*) FROM jobs WHERE run_id = %lld", (long long)run);
    assert_int_equal(count(f, sql), 10 + 1); /* the newest 10, and setup's slot */
    snprintf(sql, sizeof(sql), "SELECT phase = 'running' FROM jobs WHERE id = %lld",
             (long long)current);
    assert_int_equal(count(f, sql), 1);
    snprintf(sql, sizeof(sql), "SELECT count(*) FROM jobs WHERE id = %lld", (long long)setup_job);
    assert_int_equal(count(f, sql), 1);
    assert_int_equal(f->logs_told, 291);
    assert_string_equal(f->last_log, "/logs/web/next.log");
    assert_int_equal(count(f, "SELECT count(*) FROM runs"), 1);
}

static void test_active_attempts_are_never_deleted(void **state)
{
    fixture *f = *state;
    store_service_put(f->st, "web", "{}", 1.0);
    int64_t run = store_run_create(f->st, "web", 1.0);
    for (int i = 0; i < 50; i++) add_job(f, "web", "server", run, i % 2 ? "stopping" : "failed");
    store_retention r = policy(f);
    prune_all(f, &r, 500);
    assert_int_equal(count(f, "SELECT count(*) FROM jobs WHERE phase = 'stopping'"), 25);
    /* Of the 25 failed ones, those among the newest 10 stay. */
    assert_int_equal(count(f, "SELECT count(*) FROM jobs WHERE phase = 'failed'"), 5);
}

static void test_old_runs_go_with_their_jobs_but_not_the_current_one_or_a_stopping_one(void **state)
{
    fixture *f = *state;
    store_service_put(f->st, "web", "{}", 1.0);
    store_service_put(f->st, "db", "{}", 1.0);
    int64_t runs[30], stopping = 0, stopping_job = 0;
    for (int i = 0; i < 30; i++) {
        runs[i] = store_run_create(f->st, "web", 1.0 + i);
        int64_t job = add_job(f, "web", "server", runs[i], i == 4 ? "stopping" : "cancelled");
        if (i == 4) stopping_job = job;
        add_job(f, "web", "setup", runs[i], "succeeded");
        if (i == 4) stopping = runs[i];
        if (i < 25) store_run_create(f->st, "db", 1.0 + i);
    }
    store_retention r = policy(f);
    prune_all(f, &r, 500);
    /* web keeps 3 runs and the one whose job is still stopping; db its 20. */
    assert_int_equal(count(f, "SELECT count(*) FROM runs WHERE service = 'web'"), 4);
    char sql[160];
    snprintf(sql, sizeof(sql), "SELECT count(*) FROM runs WHERE id IN (%lld, %lld)",
             (long long)runs[29], (long long)stopping);
    assert_int_equal(count(f, sql), 2);
    assert_int_equal(count(f, "SELECT count(*) FROM runs WHERE service = 'db'"), 20);
    /* No job is left without its run. */
    assert_int_equal(
        count(f, "SELECT count(*) FROM jobs WHERE run_id NOT IN (SELECT id FROM runs)"), 0);
    assert_int_equal(count(f, "SELECT count(*) FROM jobs"), 8);
    assert_int_equal(f->logs_told, 26 * 2);

    /* Its job ends; no new run or job comes: the next step still sees it. */
    store_job ended = {.id = stopping_job, .phase = "cancelled", .attempt = 1, .ended_at = 2.0};
    assert_int_equal(store_job_update(f->st, &ended), 0);
    prune_all(f, &r, 500);
    assert_int_equal(count(f, "SELECT count(*) FROM runs WHERE service = 'web'"), 3);
}

static void test_a_new_run_lets_the_old_ones_go(void **state)
{
    fixture *f = *state;
    store_service_put(f->st, "web", "{}", 1.0);
    store_retention r = policy(f);
    for (int i = 0; i < 10; i++) {
        int64_t run = store_run_create(f->st, "web", 1.0 + i);
        add_job(f, "web", "server", run, "failed");
        prune_all(f, &r, 500);
        assert_true(count(f, "SELECT count(*) FROM runs") <= 3);
    }
    assert_int_equal(count(f, "SELECT count(*) FROM runs"), 3);
    /* Limits lowered: a rescan applies them to what is there. */
    f->web_runs = 1;
    store_pruner_rescan(f->p);
    prune_all(f, &r, 500);
    assert_int_equal(count(f, "SELECT count(*) FROM runs"), 1);
    assert_int_equal(count(f, "SELECT max(id) = (SELECT max(id) FROM runs) FROM runs"), 1);
}

static void test_standalone_jobs_are_bounded_but_active_ones_stay(void **state)
{
    fixture *f = *state;
    for (int i = 0; i < 40; i++) add_job(f, NULL, "cleanup", 0, i < 3 ? "running" : "succeeded");
    store_retention r = policy(f);
    prune_all(f, &r, 500);
    assert_int_equal(count(f, "SELECT count(*) FROM jobs WHERE phase = 'running'"), 3);
    assert_int_equal(count(f, "SELECT count(*) FROM jobs WHERE phase = 'succeeded'"), 5);
}

static void test_events_keep_the_newest_and_lose_the_old(void **state)
{
    fixture *f = *state;
    for (int i = 0; i < 1000; i++)
        store_event_add(f->st, 1000.0 + i, "job.phase", "web", 0, 0, NULL);
    store_retention r = policy(f);
    prune_all(f, &r, 500);
    assert_int_equal(count(f, "SELECT count(*) FROM events"), 200);
    assert_int_equal(count(f, "SELECT min(at) FROM events"), 1800);
    /* And by age: those written before the time go, however few. */
    r.events = 100000;
    r.events_before = 1950.0;
    prune_all(f, &r, 500);
    assert_int_equal(count(f, "SELECT count(*) FROM events"), 50);
}

static void test_a_step_deletes_at_most_its_budget(void **state)
{
    fixture *f = *state;
    store_service_put(f->st, "web", "{}", 1.0);
    int64_t run = store_run_create(f->st, "web", 1.0);
    for (int i = 0; i < 400; i++) add_job(f, "web", "server", run, "failed");
    for (int i = 0; i < 700; i++)
        store_event_add(f->st, 1000.0 + i, "job.phase", "web", 0, 0, NULL);
    store_retention r = policy(f);
    int64_t rows = count(f, "SELECT (SELECT count(*) FROM jobs) + (SELECT count(*) FROM events)");
    int steps = 0, rc;
    do {
        rc = store_pruner_step(f->p, &r, 50);
        assert_true(rc >= 0);
        int64_t now =
            count(f, "SELECT (SELECT count(*) FROM jobs) + (SELECT count(*) FROM events)");
        assert_true(rows - now <= 50);
        rows = now;
        steps++;
    } while (rc == 1);
    assert_int_equal(rows, 10 + 200);
    assert_true(steps >= (390 + 500) / 50);
}

static void test_writes_are_counted_until_a_step(void **state)
{
    fixture *f = *state;
    assert_int_equal(store_pruner_writes(f->p), 0);
    for (int i = 0; i < 7; i++) store_event_add(f->st, 1.0, "x", NULL, 0, 0, NULL);
    assert_int_equal(store_pruner_writes(f->p), 7);
    store_retention r = policy(f);
    prune_all(f, &r, 500);
    assert_int_equal(store_pruner_writes(f->p), 0);
}

static off_t file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? st.st_size : -1;
}

static void test_the_file_shrinks_once_history_is_pruned(void **state)
{
    fixture *f = *state;
    /* A new database is switched to incremental auto-vacuum at once. */
    assert_int_equal(count(f, "PRAGMA auto_vacuum"), 2);
    char data[600];
    memset(data, 'x', sizeof(data) - 3);
    data[0] = '"';
    data[sizeof(data) - 3] = '"';
    data[sizeof(data) - 2] = '\0';
    store_batch(f->st);
    for (int i = 0; i < 20000; i++) store_event_add(f->st, 1.0 + i, "job.phase", "web", 0, 0, data);
    store_flush(f->st);
    sqlite3 *db = NULL;
    sqlite3_open(f->path, &db);
    sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
    sqlite3_close(db);
    off_t big = file_size(f->path);
    store_retention r = policy(f);
    prune_all(f, &r, 5000);
    int given, total = 0;
    while ((given = store_pruner_vacuum(f->p)) > 0) total += given;
    assert_true(given == 0);
    assert_true(total > 0);
    sqlite3_open(f->path, &db);
    sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
    sqlite3_close(db);
    off_t small = file_size(f->path);
    print_message("%lld -> %lld bytes\n", (long long)big, (long long)small);
    assert_true(big > 10 * 1000 * 1000);
    assert_true(small < big / 4);
}

static void test_an_existing_database_is_switched_to_incremental_vacuum(void **state)
{
    fixture *f = *state;
    store_pruner_free(f->p);
    f->p = NULL;
    store_close(f->st);
    sqlite3 *db = NULL;
    sqlite3_open(f->path, &db);
    assert_int_equal(sqlite3_exec(db, "PRAGMA auto_vacuum = NONE; VACUUM;", NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    assert_int_equal(count(f, "PRAGMA auto_vacuum"), 0);
    char err[256];
    assert_int_equal(store_open(f->path, &f->st, err, sizeof(err)), 0);
    f->p = store_pruner_new(f->st, err, sizeof(err));
    assert_non_null(f->p);
    assert_int_equal(count(f, "PRAGMA auto_vacuum"), 2);
}

static void test_the_registry_wide_retention_is_saved(void **state)
{
    fixture *f = *state;
    assert_null(store_setting_get(f->st, STORE_RETENTION));
    assert_int_equal(store_setting_put(f->st, STORE_RETENTION, "{\"runs\":5}"), 0);
    assert_int_equal(store_setting_put(f->st, STORE_RETENTION, "{\"runs\":7}"), 0);
    char *text = store_setting_get(f->st, STORE_RETENTION);
    assert_string_equal(text, "{\"runs\":7}");
    free(text);
    assert_int_equal(store_setting_put(f->st, STORE_RETENTION, NULL), 0);
    assert_null(store_setting_get(f->st, STORE_RETENTION));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_a_crash_loop_keeps_its_newest_attempts_and_every_slot,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_active_attempts_are_never_deleted, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_old_runs_go_with_their_jobs_but_not_the_current_one_or_a_stopping_one, setup,
            teardown),
        cmocka_unit_test_setup_teardown(test_a_new_run_lets_the_old_ones_go, setup, teardown),
        cmocka_unit_test_setup_teardown(test_standalone_jobs_are_bounded_but_active_ones_stay,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_events_keep_the_newest_and_lose_the_old, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_a_step_deletes_at_most_its_budget, setup, teardown),
        cmocka_unit_test_setup_teardown(test_writes_are_counted_until_a_step, setup, teardown),
        cmocka_unit_test_setup_teardown(test_the_file_shrinks_once_history_is_pruned, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_an_existing_database_is_switched_to_incremental_vacuum,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_the_registry_wide_retention_is_saved, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
