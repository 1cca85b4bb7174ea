/* retention.c — the store's pruner (see retention.h): its own prepared
 * statements, two cursors (the newest job and run id it has looked at),
 * incremental vacuum, and the saved registry-wide retention.
 *
 * A run gains rows only through new jobs and a service only through new
 * runs, so looking at the jobs and runs written since the cursors finds
 * every run and service that may be over its limits. Each step reads one
 * chunk of ids and deletes at most its budget; a cursor moves on only
 * once its chunk is done, so a step cut short by its budget is resumed.
 */
#include "store/retention.h"

#include "base/strv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_internal.h"

/* Ids of jobs (runs) looked at per step. */
#define CHUNK 1000
/* A database whose live data is at most this is rewritten (VACUUM) to
 * switch to incremental auto-vacuum: at open, before the loop serves
 * anyone, up to 64 MiB (well under a second); on the loop, once pruning
 * has made it small, 8 MiB (a few tens of milliseconds). A database too
 * big for both is switched at a later start, once pruned. */
#define CONVERT_AT_OPEN_BYTES (64 << 20)
#define CONVERT_ON_LOOP_BYTES (8 << 20)
/* Pages one vacuum step gives back (4 KiB each by default). */
#define VACUUM_PAGES 512
#define STR_(x)      #x
#define STR(x)       STR_(x)

#define TERMINAL "('succeeded', 'failed', 'cancelled', 'lost')"
#define ACTIVE   "('pending', 'starting', 'running', 'stopping')"

typedef enum {
    P_BEGIN,
    P_COMMIT,
    P_ROLLBACK,
    P_MAX_IDS,
    P_NEW_JOB_RUNS,
    P_NEW_RUN_SERVICES,
    P_ATTEMPTS_CUT,
    P_ATTEMPTS_DELETE,
    P_STANDALONE_CUT,
    P_STANDALONE_DELETE,
    P_RUNS_CUT,
    P_OLD_RUN,
    P_OLD_RUN_JOBS_DELETE,
    P_RUN_DELETE,
    P_EVENTS_CUT,
    P_EVENTS_DELETE,
    P_OLDEST_EVENT,
    P_OLD_EVENTS_DELETE,
    P_PAGES,
    P_VACUUM,
    P_COUNT
} pruner_sql;

/* A "cut" is the newest id beyond what is kept: ids up to it may go. */
static const char *const pruner_text[P_COUNT] = {
    [P_BEGIN] = "BEGIN IMMEDIATE",
    [P_COMMIT] = "COMMIT",
    [P_ROLLBACK] = "ROLLBACK",
    [P_MAX_IDS] = "SELECT (SELECT max(id) FROM jobs), (SELECT max(id) FROM runs)",
    [P_NEW_JOB_RUNS] = "SELECT DISTINCT run_id, service_id FROM jobs WHERE id > ?1 AND id <= ?2",
    [P_NEW_RUN_SERVICES] = "SELECT DISTINCT service FROM runs WHERE id > ?1 AND id <= ?2",
    [P_ATTEMPTS_CUT] = "SELECT id FROM jobs WHERE run_id = ?1 ORDER BY id DESC LIMIT 1 OFFSET ?2",
    /* The newest job of each action fills the run's slot for it: kept. */
    [P_ATTEMPTS_DELETE] =
        "DELETE FROM jobs WHERE id IN (SELECT id FROM jobs AS j WHERE run_id = ?1 AND id <= ?2"
        " AND phase IN " TERMINAL " AND EXISTS (SELECT 1 FROM jobs AS newer"
        "   WHERE newer.run_id = j.run_id AND newer.action_id = j.action_id AND newer.id > j.id)"
        " ORDER BY id LIMIT ?3) RETURNING log_path",
    [P_STANDALONE_CUT] =
        "SELECT id FROM jobs WHERE run_id IS NULL ORDER BY id DESC LIMIT 1 OFFSET ?1",
    [P_STANDALONE_DELETE] = "DELETE FROM jobs WHERE id IN (SELECT id FROM jobs WHERE run_id IS NULL"
                            " AND id <= ?1 AND phase IN " TERMINAL " ORDER BY id LIMIT ?2)"
                            " RETURNING log_path",
    [P_RUNS_CUT] = "SELECT id FROM runs WHERE service = ?1 ORDER BY id DESC LIMIT 1 OFFSET ?2",
    /* Active jobs are few: the subquery reads them by idx_jobs_phase. */
    [P_OLD_RUN] = "SELECT id FROM runs WHERE service = ?1 AND id > ?2 AND id <= ?3 AND id NOT IN"
                  " (SELECT run_id FROM jobs WHERE phase IN " ACTIVE " AND run_id IS NOT NULL)"
                  " ORDER BY id LIMIT 1",
    [P_OLD_RUN_JOBS_DELETE] =
        "DELETE FROM jobs WHERE id IN (SELECT id FROM jobs WHERE run_id = ?1 AND phase IN " TERMINAL
        " ORDER BY id LIMIT ?2) RETURNING log_path",
    /* Only once its jobs are gone (the foreign key would take them all). */
    [P_RUN_DELETE] =
        "DELETE FROM runs WHERE id = ?1 AND NOT EXISTS (SELECT 1 FROM jobs WHERE run_id = ?1)",
    /* Event ids are handed out in order and only the oldest are deleted,
     * so they have no gaps: the newest n are those above max(id) - n.
     * (Were there gaps, fewer would be kept, never more.) */
    [P_EVENTS_CUT] = "SELECT max(id) - ?1 FROM events",
    [P_EVENTS_DELETE] = "DELETE FROM events WHERE id IN (SELECT id FROM events WHERE id <= ?1 "
                        "ORDER BY id LIMIT ?2)",
    /* By age: the oldest first, as long as they are old. */
    [P_OLDEST_EVENT] = "SELECT at FROM events ORDER BY id LIMIT 1",
    [P_OLD_EVENTS_DELETE] = "DELETE FROM events WHERE id IN (SELECT id FROM events ORDER BY id"
                            " LIMIT ?2) AND at < ?1",
    [P_PAGES] = "SELECT * FROM pragma_freelist_count(), pragma_page_count(),"
                " pragma_page_size(), pragma_auto_vacuum()",
    [P_VACUUM] = "PRAGMA incremental_vacuum(" STR(VACUUM_PAGES) ")",
};

struct store_pruner {
    store *st;
    sqlite3 *db;
    sqlite3_stmt *stmt[P_COUNT];
    int64_t job_cursor, run_cursor; /* ids up to these have been looked at */
    int64_t changes_seen;           /* sqlite3_total_changes64 after the last step */
    bool incremental;               /* auto_vacuum = INCREMENTAL */
    /* Services with an old run that had to stay (its jobs were still
     * stopping): looked at again at every step until it has gone, since no
     * new id would bring them back under a cursor. */
    char **deferred; /* a strv */
};

static sqlite3_stmt *ps(store_pruner *p, pruner_sql id)
{
    sqlite3_stmt *stmt = p->stmt[id];
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    return stmt;
}

static int step_done(sqlite3_stmt *stmt)
{
    int rc = sqlite3_step(stmt);
    sqlite3_reset(stmt);
    return rc == SQLITE_DONE ? 0 : -EIO;
}

/* The first column of the first row, 0 when there is none. */
static int64_t first_id(sqlite3_stmt *stmt)
{
    int64_t id = sqlite3_step(stmt) == SQLITE_ROW ? sqlite3_column_int64(stmt, 0) : 0;
    sqlite3_reset(stmt);
    return id;
}

typedef struct {
    int64_t free_pages, pages, page_size;
    int auto_vacuum;
} page_counts;

static page_counts pages_now(store_pruner *p)
{
    page_counts c = {0};
    sqlite3_stmt *stmt = ps(p, P_PAGES);
    if (sqlite3_step(stmt) == SQLITE_ROW)
        c = (page_counts){sqlite3_column_int64(stmt, 0), sqlite3_column_int64(stmt, 1),
                          sqlite3_column_int64(stmt, 2), sqlite3_column_int(stmt, 3)};
    sqlite3_reset(stmt);
    return c;
}

/* auto_vacuum can only change by rewriting the file; done while the live
 * data is small, so that the rewrite is short. */
static void convert_when_small(store_pruner *p, int64_t max_bytes)
{
    page_counts c = pages_now(p);
    p->incremental = c.auto_vacuum == 2;
    if (p->incremental || (c.pages - c.free_pages) * c.page_size > max_bytes) return;
    if (!sqlite3_get_autocommit(p->db)) return; /* VACUUM cannot run in a transaction */
    if (sqlite3_exec(p->db, "PRAGMA auto_vacuum = INCREMENTAL; VACUUM;", NULL, NULL, NULL) ==
        SQLITE_OK)
        p->incremental = pages_now(p).auto_vacuum == 2;
}

store_pruner *store_pruner_new(store *st, char *err, size_t errlen)
{
    store_pruner *p = calloc(1, sizeof(*p));
    if (!p) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    p->st = st;
    p->db = st->db;
    for (int i = 0; i < P_COUNT; i++) {
        if (sqlite3_prepare_v3(p->db, pruner_text[i], -1, SQLITE_PREPARE_PERSISTENT, &p->stmt[i],
                               NULL) != SQLITE_OK) {
            snprintf(err, errlen, "%s: %s", pruner_text[i], sqlite3_errmsg(p->db));
            store_pruner_free(p);
            return NULL;
        }
    }
    store_flush(st);
    convert_when_small(p, CONVERT_AT_OPEN_BYTES);
    p->changes_seen = sqlite3_total_changes64(p->db);
    return p;
}

void store_pruner_free(store_pruner *p)
{
    if (!p) return;
    for (int i = 0; i < P_COUNT; i++) sqlite3_finalize(p->stmt[i]);
    strv_free(p->deferred);
    free(p);
}

int64_t store_pruner_writes(const store_pruner *p)
{
    return sqlite3_total_changes64(p->db) - p->changes_seen;
}

void store_pruner_rescan(store_pruner *p)
{
    p->job_cursor = p->run_cursor = 0;
}

/* Steps a DELETE ... RETURNING log_path; returns the rows deleted. */
static int delete_jobs(sqlite3_stmt *stmt, const store_retention *r)
{
    int n = 0, rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        n++;
        const char *path = (const char *)sqlite3_column_text(stmt, 0);
        if (path && r->log_deleted) r->log_deleted(r->ctx, path);
    }
    sqlite3_reset(stmt);
    return rc == SQLITE_DONE ? n : -EIO;
}

/* The oldest ended attempts of a run beyond its newest keep. */
static int prune_attempts(store_pruner *p, const store_retention *r, int64_t run, int keep,
                          int *left)
{
    sqlite3_stmt *stmt = ps(p, P_ATTEMPTS_CUT);
    sqlite3_bind_int64(stmt, 1, run);
    sqlite3_bind_int(stmt, 2, keep);
    int64_t cut = first_id(stmt);
    if (!cut) return 0;
    stmt = ps(p, P_ATTEMPTS_DELETE);
    sqlite3_bind_int64(stmt, 1, run);
    sqlite3_bind_int64(stmt, 2, cut);
    sqlite3_bind_int(stmt, 3, *left);
    int n = delete_jobs(stmt, r);
    if (n < 0) return n;
    *left -= n;
    return 0;
}

static int prune_standalone(store_pruner *p, const store_retention *r, int *left)
{
    sqlite3_stmt *stmt = ps(p, P_STANDALONE_CUT);
    sqlite3_bind_int(stmt, 1, r->standalone_jobs);
    int64_t cut = first_id(stmt);
    if (!cut) return 0;
    stmt = ps(p, P_STANDALONE_DELETE);
    sqlite3_bind_int64(stmt, 1, cut);
    sqlite3_bind_int(stmt, 2, *left);
    int n = delete_jobs(stmt, r);
    if (n < 0) return n;
    *left -= n;
    return 0;
}

/* Deletes an old run's ended jobs, then the run once none is left.
 * Returns 1 when the run is gone, 0 when some of it is left, or -EIO. */
static int delete_run(store_pruner *p, const store_retention *r, int64_t run, int *left)
{
    sqlite3_stmt *stmt = ps(p, P_OLD_RUN_JOBS_DELETE);
    sqlite3_bind_int64(stmt, 1, run);
    sqlite3_bind_int(stmt, 2, *left);
    int n = delete_jobs(stmt, r);
    if (n < 0) return n;
    *left -= n;
    if (*left <= 0) return 0;
    stmt = ps(p, P_RUN_DELETE);
    sqlite3_bind_int64(stmt, 1, run);
    if (step_done(stmt) < 0) return -EIO;
    if (sqlite3_changes(p->db) == 0) return 0;
    (*left)--;
    return 1;
}

/* What a service keeps: its own limits, else the registry's. */
static void keep_of(const store_retention *r, const char *service, int *runs, int *jobs)
{
    *runs = *jobs = 0;
    if (r->service_keep) r->service_keep(r->ctx, service, runs, jobs);
    if (*runs < 1) *runs = 1;
    if (*jobs < 1) *jobs = 1;
}

/* A service's oldest runs beyond its newest keep, with their jobs; a run
 * with an active job stays (its jobs are still stopping): then *stayed. */
static int prune_runs(store_pruner *p, const store_retention *r, const char *service, int keep,
                      int *left, bool *stayed)
{
    sqlite3_stmt *stmt = ps(p, P_RUNS_CUT);
    bind_text(stmt, 1, service);
    sqlite3_bind_int(stmt, 2, keep);
    int64_t cut = first_id(stmt), after = 0;
    *stayed = false;
    while (cut && *left > 0) {
        stmt = ps(p, P_OLD_RUN);
        bind_text(stmt, 1, service);
        sqlite3_bind_int64(stmt, 2, after);
        sqlite3_bind_int64(stmt, 3, cut);
        int64_t run = first_id(stmt);
        if (!run) break;
        int rc = delete_run(p, r, run, left);
        if (rc < 0) return rc;
        /* A run that stays (a job in a phase no one ends) is stepped over. */
        if (rc == 0 && *left > 0) after = run;
    }
    if (cut && *left > 0) {
        /* More than keep are left: runs whose jobs are still active. */
        stmt = ps(p, P_RUNS_CUT);
        bind_text(stmt, 1, service);
        sqlite3_bind_int(stmt, 2, keep);
        *stayed = first_id(stmt) != 0;
    }
    return 0;
}

/* The services whose old runs had to stay, again; those done leave. */
static int prune_deferred(store_pruner *p, const store_retention *r, int *left)
{
    size_t kept = 0;
    int rc = 0;
    for (size_t i = 0; p->deferred && p->deferred[i]; i++) {
        bool stayed = true;
        if (rc == 0 && *left > 0) {
            int keep_runs, keep_jobs;
            keep_of(r, p->deferred[i], &keep_runs, &keep_jobs);
            rc = prune_runs(p, r, p->deferred[i], keep_runs, left, &stayed);
        }
        if (stayed || *left <= 0 || rc < 0)
            p->deferred[kept++] = p->deferred[i];
        else
            free(p->deferred[i]);
    }
    if (p->deferred) p->deferred[kept] = NULL;
    return rc;
}

typedef struct {
    int64_t run;
    char *service;
} touched;

static void touched_free(touched *t, size_t n)
{
    for (size_t i = 0; i < n; i++) free(t[i].service);
    free(t);
}

/* The distinct rows (run id, service) of stmt, bound to an id range. */
static int collect_touched(sqlite3_stmt *stmt, bool with_run, touched **out, size_t *n)
{
    size_t cap = 0;
    *out = NULL;
    *n = 0;
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 16;
            touched *grown = realloc(*out, cap * sizeof(*grown));
            if (!grown) break;
            *out = grown;
        }
        const char *service = (const char *)sqlite3_column_text(stmt, with_run ? 1 : 0);
        (*out)[*n] = (touched){.run = with_run ? sqlite3_column_int64(stmt, 0) : 0,
                               .service = service ? strdup(service) : NULL};
        (*n)++;
    }
    sqlite3_reset(stmt);
    if (rc != SQLITE_DONE) {
        touched_free(*out, *n);
        *out = NULL;
        *n = 0;
        return -EIO;
    }
    return 0;
}

/* The end of the next chunk of ids after cursor. */
static int64_t chunk_end(int64_t cursor, int64_t max_id)
{
    return cursor + CHUNK < max_id ? cursor + CHUNK : max_id;
}

/* What the ids in (from, to] of a chunk touched: runs with their service
 * (P_NEW_JOB_RUNS), or services (P_NEW_RUN_SERVICES). */
static int collect_chunk(store_pruner *p, pruner_sql id, int64_t from, int64_t to, touched **out,
                         size_t *n)
{
    sqlite3_stmt *stmt = ps(p, id);
    sqlite3_bind_int64(stmt, 1, from);
    sqlite3_bind_int64(stmt, 2, to);
    return collect_touched(stmt, id == P_NEW_JOB_RUNS, out, n);
}

/* The runs that gained jobs in the next chunk after the job cursor. */
static int prune_new_jobs(store_pruner *p, const store_retention *r, int64_t max_id, int *left)
{
    int64_t hi = chunk_end(p->job_cursor, max_id);
    if (hi <= p->job_cursor) return 0;
    touched *runs = NULL;
    size_t n = 0;
    int rc = collect_chunk(p, P_NEW_JOB_RUNS, p->job_cursor, hi, &runs, &n);
    bool standalone_done = false;
    for (size_t i = 0; rc == 0 && i < n && *left > 0; i++) {
        int keep_runs, keep_jobs;
        keep_of(r, runs[i].service, &keep_runs, &keep_jobs);
        if (runs[i].run)
            rc = prune_attempts(p, r, runs[i].run, keep_jobs, left);
        else if (!standalone_done)
            rc = prune_standalone(p, r, left), standalone_done = true;
    }
    touched_free(runs, n);
    if (rc == 0 && *left > 0) p->job_cursor = hi;
    return rc;
}

/* The services that gained runs in the next chunk after the run cursor. */
static int prune_new_runs(store_pruner *p, const store_retention *r, int64_t max_id, int *left)
{
    int64_t hi = chunk_end(p->run_cursor, max_id);
    if (hi <= p->run_cursor) return 0;
    touched *services = NULL;
    size_t n = 0;
    int rc = collect_chunk(p, P_NEW_RUN_SERVICES, p->run_cursor, hi, &services, &n);
    for (size_t i = 0; rc == 0 && i < n && *left > 0; i++) {
        int keep_runs, keep_jobs;
        keep_of(r, services[i].service, &keep_runs, &keep_jobs);
        bool stayed = false;
        if (services[i].service)
            rc = prune_runs(p, r, services[i].service, keep_runs, left, &stayed);
        if (stayed && !strv_contains(p->deferred, services[i].service))
            strv_push(&p->deferred, services[i].service);
    }
    touched_free(services, n);
    if (rc == 0 && *left > 0) p->run_cursor = hi;
    return rc;
}

/* Runs a bound delete of events; *left loses what it deleted. */
static int delete_events(store_pruner *p, sqlite3_stmt *stmt, int *left)
{
    sqlite3_bind_int(stmt, 2, *left);
    if (step_done(stmt) < 0) return -EIO;
    *left -= sqlite3_changes(p->db);
    return 0;
}

/* The oldest events beyond the newest r->events, then those too old. */
static int prune_events(store_pruner *p, const store_retention *r, int *left)
{
    sqlite3_stmt *stmt = ps(p, P_EVENTS_CUT);
    sqlite3_bind_int(stmt, 1, r->events > 0 ? r->events : 1);
    int64_t cut = first_id(stmt);
    if (cut > 0) {
        stmt = ps(p, P_EVENTS_DELETE);
        sqlite3_bind_int64(stmt, 1, cut);
        if (delete_events(p, stmt, left) < 0) return -EIO;
    }
    if (r->events_before <= 0 || *left <= 0) return 0;
    stmt = ps(p, P_OLDEST_EVENT);
    bool old =
        sqlite3_step(stmt) == SQLITE_ROW && sqlite3_column_double(stmt, 0) < r->events_before;
    sqlite3_reset(stmt);
    if (!old) return 0;
    stmt = ps(p, P_OLD_EVENTS_DELETE);
    sqlite3_bind_double(stmt, 1, r->events_before);
    return delete_events(p, stmt, left);
}

static int prune_all(store_pruner *p, const store_retention *r, int64_t max_job, int64_t max_run,
                     int *left)
{
    int rc = prune_new_jobs(p, r, max_job, left);
    if (rc == 0 && *left > 0) rc = prune_deferred(p, r, left);
    if (rc == 0 && *left > 0) rc = prune_new_runs(p, r, max_run, left);
    if (rc == 0 && *left > 0) rc = prune_events(p, r, left);
    return rc;
}

int store_pruner_step(store_pruner *p, const store_retention *r, int budget)
{
    /* What the loop wrote is committed first: the step sees it, and it
     * never waits on the step's transaction. */
    if (store_flush(p->st) < 0 || !sqlite3_get_autocommit(p->db)) return -EIO;
    sqlite3_stmt *stmt = ps(p, P_MAX_IDS);
    int64_t max_job = 0, max_run = 0;
    if (sqlite3_step(stmt) == SQLITE_ROW)
        max_job = sqlite3_column_int64(stmt, 0), max_run = sqlite3_column_int64(stmt, 1);
    sqlite3_reset(stmt);
    /* Ids are never handed out twice, but a database rewritten by hand
     * may start lower: then look at everything again. */
    if (max_job < p->job_cursor || max_run < p->run_cursor) store_pruner_rescan(p);
    int64_t job_cursor = p->job_cursor, run_cursor = p->run_cursor;
    if (step_done(ps(p, P_BEGIN)) < 0) return -EIO;
    int left = budget > 0 ? budget : 1;
    int rc = prune_all(p, r, max_job, max_run, &left);
    if (rc < 0 || step_done(ps(p, P_COMMIT)) < 0) {
        step_done(ps(p, P_ROLLBACK));
        p->job_cursor = job_cursor, p->run_cursor = run_cursor;
        return -EIO;
    }
    p->changes_seen = sqlite3_total_changes64(p->db);
    bool more = left <= 0 || p->job_cursor < max_job || p->run_cursor < max_run;
    if (!more && !p->incremental) convert_when_small(p, CONVERT_ON_LOOP_BYTES);
    return more ? 1 : 0;
}

int store_pruner_vacuum(store_pruner *p)
{
    if (!p->incremental || store_flush(p->st) < 0 || !sqlite3_get_autocommit(p->db)) return 0;
    page_counts before = pages_now(p);
    if (before.free_pages < 64 || before.free_pages * 8 <= before.pages) return 0;
    int rc;
    sqlite3_stmt *stmt = ps(p, P_VACUUM);
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) continue;
    sqlite3_reset(stmt);
    if (rc != SQLITE_DONE) return -EIO;
    p->changes_seen = sqlite3_total_changes64(p->db);
    return (int)(before.free_pages - pages_now(p).free_pages);
}
