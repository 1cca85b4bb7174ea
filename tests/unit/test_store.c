/* Unit tests: the SQLite store — schema, provenance, cleanup, migration
 * from the pre-provenance schema, writes held through a full database —
 * on real database files. */
/* cmocka needs these before it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/schema.h"
#include "store/store.h"
#include "store/store_internal.h" /* the connection, to make the database full */

typedef struct {
    char dir[64];
    char path[128];
} tmpdb;

static int setup(void **state)
{
    tmpdb *t = calloc(1, sizeof(*t));
    snprintf(t->dir, sizeof(t->dir), "/tmp/tend-test-store-XXXXXX");
    if (!mkdtemp(t->dir)) return -1;
    snprintf(t->path, sizeof(t->path), "%s/tend.db", t->dir);
    *state = t;
    return 0;
}

static int teardown(void **state)
{
    tmpdb *t = *state;
    char cmd[160];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t->dir);
    if (system(cmd) != 0) return -1;
    free(t);
    return 0;
}

static store *open_ok(const char *path)
{
    store *st = NULL;
    char err[256] = "";
    int rc = store_open(path, &st, err, sizeof(err));
    if (rc < 0) print_error("%s\n", err);
    assert_int_equal(rc, 0);
    return st;
}

/* The first column of the first row of sql, as text (static buffer). */
static const char *query1(const char *path, const char *sql)
{
    static char out[256];
    sqlite3 *db = NULL;
    sqlite3_stmt *stmt = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &stmt, NULL), SQLITE_OK);
    out[0] = '\0';
    if (sqlite3_step(stmt) == SQLITE_ROW) {
        const char *text = (const char *)sqlite3_column_text(stmt, 0);
        snprintf(out, sizeof(out), "%s", text ? text : "NULL");
    }
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    return out;
}

static store_job job_of(const char *service, const char *action, int64_t run, const char *phase)
{
    return (store_job){.service_id = service,
                       .action_id = action,
                       .run_id = run,
                       .phase = phase,
                       .attempt = 1,
                       .created_at = 1000.0};
}

static void test_new_database_has_the_latest_schema(void **state)
{
    tmpdb *t = *state;
    store *st = open_ok(t->path);
    assert_int_equal(store_schema_version(st), STORE_SCHEMA_VERSION);
    store_close(st);
    assert_string_equal(query1(t->path, "PRAGMA journal_mode"), "wal");
    const char *indexes[] = {"idx_jobs_service_id", "idx_jobs_action_id",
                             "idx_jobs_service_id_phase"};
    for (size_t i = 0; i < 3; i++) {
        char sql[160];
        snprintf(sql, sizeof(sql),
                 "SELECT name FROM sqlite_master WHERE type = 'index' AND name = '%s'", indexes[i]);
        assert_string_equal(query1(t->path, sql), indexes[i]);
    }
}

static void test_jobs_record_their_provenance(void **state)
{
    tmpdb *t = *state;
    store *st = open_ok(t->path);
    assert_int_equal(store_service_put(st, "web", "{}", 1.0), 0);
    int64_t run = store_run_create(st, "web", 2.0);
    assert_true(run > 0);
    store_job j = job_of("web", "server", run, "running");
    assert_int_equal(store_job_create(st, &j), 0);
    assert_true(j.id > 0);
    store_job standalone = job_of(NULL, "cleanup", 0, "pending");
    assert_int_equal(store_job_create(st, &standalone), 0);
    store_close(st);

    char sql[200];
    snprintf(sql, sizeof(sql),
             "SELECT service_id || '/' || action_id || '/' || run_id FROM jobs WHERE id = %lld",
             (long long)j.id);
    char expected[64];
    snprintf(expected, sizeof(expected), "web/server/%lld", (long long)run);
    assert_string_equal(query1(t->path, sql), expected);
    snprintf(sql, sizeof(sql),
             "SELECT coalesce(service_id, 'NULL') || '/' || action_id FROM jobs WHERE id = %lld",
             (long long)standalone.id);
    assert_string_equal(query1(t->path, sql), "NULL/cleanup");
}

static void test_a_job_needs_an_action(void **state)
{
    tmpdb *t = *state;
    store *st = open_ok(t->path);
    store_job j = job_of(NULL, NULL, 0, "pending");
    assert_int_equal(store_job_create(st, &j), -EINVAL);
    store_close(st);
}

static void test_update_and_delete_terminated_jobs(void **state)
{
    tmpdb *t = *state;
    store *st = open_ok(t->path);
    store_service_put(st, "web", "{}", 1.0);
    store_service_put(st, "db", "{}", 1.0);
    const char *phases[] = {"running", "succeeded", "failed", "cancelled", "lost", "pending"};
    for (size_t i = 0; i < 6; i++) {
        store_job j = job_of("web", "server", 0, phases[i]);
        assert_int_equal(store_job_create(st, &j), 0);
    }
    store_job other = job_of("db", "db", 0, "failed");
    store_job_create(st, &other);
    assert_int_equal(store_jobs_delete_terminated(st, "web"), 4);
    json_t *left = store_jobs_list(st, &(store_job_filter){.service_id = "web"});
    assert_int_equal(json_array_size(left), 2);
    json_decref(left);
    other.phase = "succeeded";
    other.has_exit_code = true;
    other.exit_code = 0;
    other.ended_at = 5.0;
    assert_int_equal(store_job_update(st, &other), 0);
    json_t *got = store_job_get(st, other.id);
    assert_string_equal(json_string_value(json_object_get(got, "phase")), "succeeded");
    assert_int_equal(json_integer_value(json_object_get(got, "exit_code")), 0);
    assert_true(json_is_null(json_object_get(got, "pid")));
    json_decref(got);
    assert_int_equal(store_job_delete(st, other.id), 0);
    assert_int_equal(store_job_delete(st, other.id), -ENOENT);
    store_close(st);
}

static void test_filters_and_events(void **state)
{
    tmpdb *t = *state;
    store *st = open_ok(t->path);
    store_service_put(st, "web", "{}", 1.0);
    int64_t run = store_run_create(st, "web", 2.0);
    assert_int_equal(store_batch(st), 0);
    for (int i = 0; i < 10; i++) {
        store_job j = job_of("web", i % 2 ? "a" : "b", run, i < 3 ? "running" : "succeeded");
        store_job_create(st, &j);
        store_event_add(st, 3.0 + i, "job.phase", "web", j.id, run, "{\"to\":\"running\"}");
    }
    assert_int_equal(store_flush(st), 0);
    json_t *rows = store_jobs_list(st, &(store_job_filter){.phase = "running"});
    assert_int_equal(json_array_size(rows), 3);
    json_decref(rows);
    rows = store_jobs_list(st, &(store_job_filter){.action_id = "a", .run_id = run, .limit = 2});
    assert_int_equal(json_array_size(rows), 2);
    json_decref(rows);
    rows = store_events_list(st, 5, "web", 0);
    assert_int_equal(json_array_size(rows), 5);
    json_t *data = json_object_get(json_array_get(rows, 0), "data");
    assert_string_equal(json_string_value(json_object_get(data, "to")), "running");
    json_decref(rows);
    assert_int_equal(store_run_update(st, run, "ok", NULL, 9.0), 0);
    json_t *r = store_run_get(st, run);
    assert_string_equal(json_string_value(json_object_get(r, "status")), "ok");
    json_decref(r);
    store_close(st);
}

/* The job that asked, in the data of every event written meanwhile
 * (none, {}, an object), and in none after. */
static void test_events_carry_their_cause_while_it_is_set(void **state)
{
    tmpdb *t = *state;
    store *st = open_ok(t->path);
    store_event_add(st, 1.0, "before", "web", 0, 0, "{\"wanted\":\"start\"}");
    store_event_cause(st, 12, "deploy");
    store_event_add(st, 2.0, "caused", "web", 0, 0, "{\"wanted\":\"start\"}");
    store_event_add(st, 3.0, "caused", "web", 0, 0, NULL);
    store_event_add(st, 4.0, "caused", "web", 0, 0, "{ }");
    store_event_cause(st, 0, NULL);
    store_event_add(st, 5.0, "after", "web", 0, 0, "{\"wanted\":\"stop\"}");
    json_t *rows = store_events_list(st, 0, "web", 0);
    assert_int_equal(json_array_size(rows), 5);
    for (size_t i = 0; i < 5; i++) {
        json_t *data = json_object_get(json_array_get(rows, i), "data");
        bool caused = i >= 1 && i <= 3;
        assert_int_equal(json_integer_value(json_object_get(data, "by_job")), caused ? 12 : 0);
        if (caused)
            assert_string_equal(json_string_value(json_object_get(data, "by_action")), "deploy");
        else
            assert_null(json_object_get(data, "by_action"));
        if (i == 1 || i == 0 || i == 4)
            assert_non_null(json_string_value(json_object_get(data, "wanted")));
    }
    json_decref(rows);
    store_close(st);
}

static void test_deleting_a_service_removes_its_history(void **state)
{
    tmpdb *t = *state;
    store *st = open_ok(t->path);
    store_service_put(st, "web", "{}", 1.0);
    int64_t run = store_run_create(st, "web", 2.0);
    store_job j = job_of("web", "server", run, "succeeded");
    store_job_create(st, &j);
    assert_int_equal(store_service_delete(st, "web"), 0);
    assert_null(store_job_get(st, j.id));
    assert_null(store_run_get(st, run));
    assert_int_equal(store_service_delete(st, "web"), -ENOENT);
    store_close(st);
}

static int count_services(void *ctx, const char *name, const char *spec, const char *wanted)
{
    (void)name, (void)spec;
    int *n = ctx;
    if (wanted && strcmp(wanted, "start") == 0) n[1]++;
    n[0]++;
    return 0;
}

static void test_specs_and_wanted_status(void **state)
{
    tmpdb *t = *state;
    store *st = open_ok(t->path);
    store_service_put(st, "a", "{\"v\":1}", 1.0);
    store_service_put(st, "a", "{\"v\":2}", 2.0); /* replaces */
    store_service_put(st, "b", "{}", 1.0);
    assert_int_equal(store_service_set_wanted(st, "b", "start", 3.0), 0);
    assert_int_equal(store_service_set_wanted(st, "nope", "start", 3.0), -ENOENT);
    assert_int_equal(store_service_set_wanted(st, "b", "sideways", 3.0), -EIO);
    int n[2] = {0, 0};
    assert_int_equal(store_services_each(st, count_services, n), 0);
    assert_int_equal(n[0], 2);
    assert_int_equal(n[1], 1);
    store_action_put(st, "x", "{}", 1.0);
    assert_int_equal(store_action_delete(st, "x"), 0);
    store_close(st);
    assert_string_equal(query1(t->path, "SELECT spec FROM services WHERE name = 'a'"), "{\"v\":2}");
}

/* A database written by the version before provenance: jobs named their
 * service and action in one string. */
static void test_migrates_a_version_1_database(void **state)
{
    tmpdb *t = *state;
    sqlite3 *db = NULL;
    char err[256] = "";
    assert_int_equal(sqlite3_open(t->path, &db), SQLITE_OK);
    assert_int_equal(schema_migrate(db, 1, err, sizeof(err)), 0);
    assert_int_equal(sqlite3_exec(db,
                                  "INSERT INTO services (name, spec, created_at, updated_at)"
                                  "  VALUES ('web', '{}', 1, 1);"
                                  "INSERT INTO jobs (action, phase, created_at) VALUES"
                                  "  ('web.server', 'succeeded', 1),"
                                  "  ('cleanup', 'failed', 2),"
                                  "  ('ghost.task', 'succeeded', 3);",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    assert_string_equal(query1(t->path, "PRAGMA user_version"), "1");

    store *st = open_ok(t->path);
    assert_int_equal(store_schema_version(st), STORE_SCHEMA_VERSION);
    json_t *web = store_jobs_list(st, &(store_job_filter){.service_id = "web"});
    assert_int_equal(json_array_size(web), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(web, 0), "action_id")),
                        "server");
    json_decref(web);
    json_t *ghost = store_job_get(st, 3); /* no such service: the string is the action */
    assert_true(json_is_null(json_object_get(ghost, "service_id")));
    assert_string_equal(json_string_value(json_object_get(ghost, "action_id")), "ghost.task");
    json_decref(ghost);
    store_close(st);
}

static void test_refuses_a_newer_database(void **state)
{
    tmpdb *t = *state;
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(t->path, &db), SQLITE_OK);
    sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL, NULL);
    sqlite3_close(db);
    store *st = NULL;
    char err[256] = "";
    assert_true(store_open(t->path, &st, err, sizeof(err)) < 0);
    assert_non_null(strstr(err, "version 99, newer"));
}

/* ---- a full database ---------------------------------------------------- */

/* The database may not grow (max_page_count at its size): SQLITE_FULL, as
 * a full disk gives, for any write that needs a new page. */
static void make_full(store *st, bool full)
{
    const char *sql = full ? "SELECT page_count FROM pragma_page_count" : NULL;
    char pragma[64] = "PRAGMA max_page_count = 1000000";
    if (sql) {
        sqlite3_stmt *stmt = NULL;
        assert_int_equal(sqlite3_prepare_v2(st->db, sql, -1, &stmt, NULL), SQLITE_OK);
        assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
        snprintf(pragma, sizeof(pragma), "PRAGMA max_page_count = %d", sqlite3_column_int(stmt, 0));
        sqlite3_finalize(stmt);
    }
    assert_int_equal(sqlite3_exec(st->db, pragma, NULL, NULL, NULL), SQLITE_OK);
}

typedef struct {
    int failed, recovered;
    size_t held, written;
    int64_t last_event;
    int heard;
} watcher;

static void on_write(void *ctx, bool failing, size_t changes, const char *error)
{
    watcher *w = ctx;
    if (failing) {
        w->failed++;
        w->held = changes;
        assert_non_null(strstr(error, "full"));
    } else {
        w->recovered++;
        w->written = changes;
    }
}

static void on_event(void *ctx, int64_t id, double at, const char *kind, const char *service,
                     int64_t job_id, int64_t run_id, const char *data_json)
{
    (void)at, (void)kind, (void)service, (void)job_id, (void)run_id, (void)data_json;
    watcher *w = ctx;
    assert_true(id > w->last_event); /* ids are never handed out twice */
    w->last_event = id;
    w->heard++;
}

/* A spec large enough that its row needs pages of its own. */
static char *big_spec(void)
{
    char *spec = malloc(9000);
    memset(spec, 'x', 8999);
    spec[8999] = '\0';
    return spec;
}

static int64_t count_rows(const char *path, const char *sql)
{
    return strtoll(query1(path, sql), NULL, 10);
}

static void test_a_full_database_holds_writes_until_there_is_room(void **state)
{
    tmpdb *t = *state;
    store *st = open_ok(t->path);
    watcher w = {0};
    store_set_write_listener(st, on_write, &w);
    store_set_event_listener(st, on_event, &w);
    store_service_put(st, "web", "{}", 1.0);
    char *spec = big_spec();
    make_full(st, true);

    /* One loop iteration's batch: a run, its jobs and their events. */
    assert_int_equal(store_batch(st), 0);
    int64_t run = store_run_create(st, "web", 2.0);
    assert_true(run > 0);
    store_job jobs[5];
    for (int i = 0; i < 5; i++) {
        jobs[i] = job_of("web", "server", run, "pending");
        jobs[i].spec_json = spec;
        assert_int_equal(store_job_create(st, &jobs[i]), 0);
        assert_true(i == 0 || jobs[i].id == jobs[i - 1].id + 1);
        assert_true(store_event_add(st, 3.0, "job.created", "web", jobs[i].id, run, NULL) > 0);
    }
    store_flush(st);
    store_write_state ws;
    store_write_state_get(st, &ws);
    assert_true(ws.failing);
    assert_true(ws.write_errors >= 1);
    assert_int_equal(w.failed, 1);
    assert_true(ws.failing_since > 0);
    assert_non_null(strstr(ws.error, "full"));

    /* Reads see what was committed: none of it yet. */
    json_t *rows = store_jobs_list(st, &(store_job_filter){.service_id = "web"});
    assert_int_equal(json_array_size(rows), 0);
    json_decref(rows);

    /* Supervision goes on: every job runs and ends, each update held. */
    for (int step = 0; step < 3; step++) {
        assert_int_equal(store_batch(st), 0);
        for (int i = 0; i < 5; i++) {
            jobs[i].phase = step < 2 ? "running" : "succeeded";
            jobs[i].pid = 100 + i;
            if (step == 2) jobs[i].has_exit_code = true, jobs[i].ended_at = 9.0;
            assert_int_equal(store_job_update(st, &jobs[i]), 0);
            store_event_add(st, 4.0 + step, "job.phase", "web", jobs[i].id, run, NULL);
        }
        assert_int_equal(store_run_update(st, run, step < 2 ? "running" : "ok", NULL, 0), 0);
        store_flush(st);
    }
    store_write_state_get(st, &ws);
    /* 1 run + 5 jobs + 5 events, 5 job rows updated (the same rows
     * coalesced), 15 events, 3 run updates, 1 store.write_failed. */
    assert_int_equal(ws.pending, 1 + 5 + 5 + 5 + 15 + 3 + 1);

    /* Still full: the retry fails, and waits longer next time. */
    assert_int_equal(store_retry(st), -EIO);
    store_write_state_get(st, &ws);
    assert_true(ws.failing);
    assert_true(ws.retry_in >= 2.0);
    assert_int_equal(w.failed, 1); /* said once */

    make_full(st, false);
    assert_int_equal(store_retry(st), 0);
    store_write_state_get(st, &ws);
    assert_false(ws.failing);
    assert_int_equal(ws.pending, 0);
    assert_int_equal(w.recovered, 1);
    assert_int_equal(w.written, 1 + 5 + 5 + 5 + 15 + 3 + 1);
    /* Written after: a new batch commits again. */
    store_job later = job_of("web", "server", run, "succeeded");
    assert_int_equal(store_batch(st), 0);
    assert_int_equal(store_job_create(st, &later), 0);
    assert_int_equal(store_flush(st), 0);
    assert_int_equal(later.id, jobs[4].id + 1);
    store_close(st);
    free(spec);

    assert_int_equal(count_rows(t->path, "SELECT count(DISTINCT id) FROM jobs"), 6);
    assert_int_equal(count_rows(t->path, "SELECT count(*) FROM jobs WHERE phase = 'succeeded'"
                                         " AND pid IS NOT NULL AND exit_code = 0"),
                     6 - 1);
    assert_int_equal(count_rows(t->path, "SELECT count(*) FROM jobs WHERE phase IN"
                                         " ('pending', 'starting', 'running', 'stopping')"),
                     0);
    assert_string_equal(query1(t->path, "SELECT status FROM runs"), "ok");
    assert_int_equal(count_rows(t->path, "SELECT count(*) FROM events"), 5 + 15 + 2);
    assert_int_equal(count_rows(t->path, "SELECT max(id) FROM events"), w.last_event);
    assert_int_equal(w.heard, 5 + 15 + 2);
    assert_string_equal(query1(t->path, "SELECT group_concat(kind) FROM (SELECT kind FROM events"
                                        " WHERE kind LIKE 'store.%' ORDER BY id)"),
                        "store.write_failed,store.write_recovered");
}

static void test_a_failed_write_outside_a_batch_is_held_too(void **state)
{
    tmpdb *t = *state;
    store *st = open_ok(t->path);
    store_service_put(st, "web", "{}", 1.0);
    char *spec = big_spec();
    make_full(st, true);
    store_job j = job_of("web", "server", 0, "failed");
    j.spec_json = spec;
    assert_int_equal(store_job_create(st, &j), 0);
    assert_int_equal(store_job_delete(st, j.id), 0); /* held after it */
    store_job k = job_of("web", "server", 0, "failed");
    k.spec_json = spec;
    assert_int_equal(store_job_create(st, &k), 0);
    assert_int_equal(k.id, j.id + 1);
    make_full(st, false);
    assert_int_equal(store_retry(st), 0);
    assert_null(store_job_get(st, j.id));
    json_t *row = store_job_get(st, k.id);
    assert_non_null(row);
    json_decref(row);
    store_close(st);
    free(spec);
}

static void test_a_refused_statement_does_not_stop_the_batch(void **state)
{
    tmpdb *t = *state;
    store *st = open_ok(t->path);
    store_service_put(st, "b", "{}", 1.0);
    assert_int_equal(store_batch(st), 0);
    assert_int_equal(store_service_set_wanted(st, "b", "sideways", 3.0), -EIO);
    assert_int_equal(store_service_set_wanted(st, "b", "start", 3.0), 0);
    assert_int_equal(store_flush(st), 0);
    store_write_state ws;
    store_write_state_get(st, &ws);
    assert_false(ws.failing);
    assert_int_equal(ws.write_errors, 0);
    store_close(st);
    assert_string_equal(query1(t->path, "SELECT wanted FROM services"), "start");
}

/* A long outage costs the oldest events beyond the cap, never a job. */
static void test_held_events_beyond_the_cap_are_dropped_never_jobs(void **state)
{
    tmpdb *t = *state;
    store *st = open_ok(t->path);
    store_service_put(st, "web", "{}", 1.0);
    char *spec = big_spec();
    store_set_hold_limit(st, 256 * 1024);
    make_full(st, true);
    char data[1024];
    memset(data, ' ', sizeof(data) - 1);
    data[0] = '"', data[sizeof(data) - 2] = '"', data[sizeof(data) - 1] = '\0';
    int64_t last_job = 0;
    for (int i = 0; i < 3000; i++) {
        store_batch(st);
        if (i % 10 == 0) {
            store_job j = job_of("web", "server", 0, "succeeded");
            j.spec_json = i == 0 ? spec : NULL; /* the first write fails */
            assert_int_equal(store_job_create(st, &j), 0);
            last_job = j.id;
        }
        store_event_add(st, 5.0, "job.phase", "web", last_job, 0, data);
        store_flush(st);
    }
    store_write_state ws;
    store_write_state_get(st, &ws);
    assert_true(ws.failing);
    assert_true(ws.events_dropped > 2000);
    make_full(st, false);
    assert_int_equal(store_retry(st), 0);
    store_close(st);
    free(spec);
    assert_int_equal(count_rows(t->path, "SELECT count(*) FROM jobs"), 300);
    assert_int_equal(count_rows(t->path, "SELECT count(*) FROM events WHERE kind = 'job.phase'"),
                     3000 - (int64_t)ws.events_dropped);
    /* The newest events are the ones kept, and the outage's own. */
    assert_int_equal(count_rows(t->path, "SELECT count(*) FROM events WHERE job_id = "
                                         "(SELECT max(id) FROM jobs)"),
                     10);
    assert_string_equal(query1(t->path, "SELECT count(*) FROM events WHERE kind LIKE 'store.%'"),
                        "2");
}

/* Ids come from the store: deleted rows' ids are not handed out again,
 * also by a store opened later. */
static void test_ids_are_never_handed_out_twice(void **state)
{
    tmpdb *t = *state;
    store *st = open_ok(t->path);
    store_service_put(st, "web", "{}", 1.0);
    store_job a = job_of("web", "server", 0, "failed"), b = a;
    store_job_create(st, &a);
    store_job_create(st, &b);
    store_job_delete(st, b.id);
    store_close(st);
    st = open_ok(t->path);
    store_job c = job_of("web", "server", 0, "failed");
    store_job_create(st, &c);
    assert_int_equal(c.id, b.id + 1);
    store_close(st);
}

/* Thousands of changes in one loop iteration (a thousand services
 * started at once) are committed in parts, each at the start of a change:
 * what the batch holds in memory for a retry stays small. */
static void test_a_large_batch_is_committed_in_parts(void **state)
{
    tmpdb *t = *state;
    store *st = open_ok(t->path);
    char data[1024];
    memset(data, 'x', sizeof(data) - 1);
    data[sizeof(data) - 1] = 0;
    int n = 0;
    for (; n < 1000 && atoi(query1(t->path, "SELECT COUNT(*) FROM events")) == 0; n++) {
        assert_int_equal(store_batch(st), 0);
        assert_true(store_event_add(st, 1.0, "test.big", "svc", 0, 0, data) > 0);
    }
    assert_true(n > 1 && n < 1000);
    assert_true(st->jl.bytes < 2 * sizeof(data));
    assert_int_equal(store_flush(st), 0);
    store_close(st);
    assert_int_equal(atoi(query1(t->path, "SELECT COUNT(*) FROM events")), n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_new_database_has_the_latest_schema, setup, teardown),
        cmocka_unit_test_setup_teardown(test_jobs_record_their_provenance, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_job_needs_an_action, setup, teardown),
        cmocka_unit_test_setup_teardown(test_update_and_delete_terminated_jobs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_filters_and_events, setup, teardown),
        cmocka_unit_test_setup_teardown(test_events_carry_their_cause_while_it_is_set, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_deleting_a_service_removes_its_history, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_specs_and_wanted_status, setup, teardown),
        cmocka_unit_test_setup_teardown(test_migrates_a_version_1_database, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refuses_a_newer_database, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_full_database_holds_writes_until_there_is_room,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_failed_write_outside_a_batch_is_held_too, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_a_refused_statement_does_not_stop_the_batch, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_held_events_beyond_the_cap_are_dropped_never_jobs,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_ids_are_never_handed_out_twice, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_large_batch_is_committed_in_parts, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
