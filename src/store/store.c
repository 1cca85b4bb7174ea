/* store.c — opening the database, the prepared statements, and the spec
 * tables (actions, services). Batches and writes are in journal.c. */
#include "store/store_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/schema.h"

/* Indexed by sql_id. */
static const char *const sql_text[SQL_COUNT] = {
    [SQL_BEGIN] = "BEGIN",
    [SQL_COMMIT] = "COMMIT",
    [SQL_ROLLBACK] = "ROLLBACK",
    [SQL_ACTION_PUT] =
        "INSERT INTO actions (name, spec, created_at, updated_at) VALUES (?1, ?2, ?3, ?3)"
        " ON CONFLICT (name) DO UPDATE SET spec = ?2, updated_at = ?3",
    [SQL_ACTION_DELETE] = "DELETE FROM actions WHERE name = ?1",
    [SQL_ACTIONS_EACH] = "SELECT name, spec, NULL FROM actions ORDER BY rowid",
    [SQL_SERVICE_PUT] =
        "INSERT INTO services (name, spec, created_at, updated_at) VALUES (?1, ?2, ?3, ?3)"
        " ON CONFLICT (name) DO UPDATE SET spec = ?2, updated_at = ?3",
    [SQL_SERVICE_WANTED] = "UPDATE services SET wanted = ?2, updated_at = ?3 WHERE name = ?1",
    [SQL_SERVICE_DELETE] = "DELETE FROM services WHERE name = ?1",
    [SQL_SERVICES_EACH] = "SELECT name, spec, wanted FROM services ORDER BY rowid",
    [SQL_SETTING_PUT] = "INSERT INTO settings (key, value) VALUES (?1, ?2)"
                        " ON CONFLICT (key) DO UPDATE SET value = ?2",
    [SQL_SETTING_GET] = "SELECT value FROM settings WHERE key = ?1",
    [SQL_RUN_CREATE] =
        "INSERT INTO runs (id, service, status, started_at) VALUES (?1, ?2, 'starting', ?3)",
    [SQL_RUN_UPDATE] = "UPDATE runs SET status = ?2, reason = ?3, ended_at = ?4 WHERE id = ?1",
    [SQL_JOB_CREATE] = "INSERT INTO jobs (id, service_id, action_id, run_id, phase, attempt, pid,"
                       " exit_code, term_signal, error, created_at, started_at, ended_at, spec,"
                       " log_path) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12,"
                       " ?13, ?14, ?15)",
    [SQL_JOB_UPDATE] = "UPDATE jobs SET phase = ?2, attempt = ?3, pid = ?4, exit_code = ?5,"
                       " term_signal = ?6, error = ?7, started_at = ?8, ended_at = ?9,"
                       " log_path = ?10, proc_start = ?11, due_at = ?12 WHERE id = ?1",
    [SQL_JOB_DELETE] = "DELETE FROM jobs WHERE id = ?1",
    [SQL_JOBS_DELETE_TERMINATED] = "DELETE FROM jobs WHERE service_id = ?1 AND phase IN"
                                   " ('succeeded', 'failed', 'cancelled', 'lost')",
    [SQL_JOBS_MARK_LOST] = "UPDATE jobs SET phase = 'lost', ended_at = ?1,"
                           " error = 'the daemon stopped while the job was active'"
                           " WHERE phase IN ('pending', 'starting', 'running', 'stopping')",
    [SQL_JOBS_LEFT_ACTIVE] =
        "SELECT id, service_id, action_id, run_id, phase, attempt, pid, exit_code, term_signal,"
        " error, created_at, started_at, ended_at, log_path, proc_start, due_at, spec FROM jobs"
        " WHERE run_id IN (SELECT run_id FROM jobs WHERE phase IN"
        "   ('pending', 'starting', 'running', 'stopping') AND run_id IS NOT NULL)"
        " OR (run_id IS NULL AND phase IN ('pending', 'starting', 'running', 'stopping'))"
        " ORDER BY run_id, id",
    [SQL_RUNS_CLOSE_LEFT] =
        "UPDATE runs SET status = 'stopped', reason = ?2, ended_at = ?1"
        " WHERE status IN ('starting', 'running') AND id NOT IN (SELECT run_id FROM jobs"
        "   WHERE run_id IS NOT NULL AND phase IN ('pending', 'starting', 'running', 'stopping'))",
    [SQL_EVENT_ADD] = "INSERT INTO events (id, at, kind, service, job_id, run_id, data)"
                      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
#define JOB_COLUMNS                                                                                \
    "id, service_id, action_id, run_id, phase, attempt, pid, exit_code, term_signal, error,"       \
    " created_at, started_at, ended_at, log_path"
    [SQL_JOB_GET] = "SELECT " JOB_COLUMNS " FROM jobs WHERE id = ?1",
    /* NULL filters match everything; the planner still uses the indexes
     * for the bound ones (SQLite re-plans per binding with these forms). */
    [SQL_JOBS_LIST] = "SELECT " JOB_COLUMNS " FROM jobs"
                      " WHERE (?1 IS NULL OR service_id = ?1) AND (?2 IS NULL OR action_id = ?2)"
                      " AND (?3 IS NULL OR run_id = ?3) AND (?4 IS NULL OR phase = ?4)"
                      " ORDER BY id DESC LIMIT ?5",
    [SQL_RUN_GET] =
        "SELECT id, service, status, reason, started_at, ended_at FROM runs WHERE id = ?1",
    [SQL_RUNS_LIST] = "SELECT id, service, status, reason, started_at, ended_at FROM runs"
                      " WHERE (?1 IS NULL OR service = ?1) ORDER BY id DESC LIMIT ?2",
    [SQL_EVENTS_LIST] = "SELECT id, at, kind, service, job_id, run_id, data FROM events"
                        " WHERE id > ?1 AND (?2 IS NULL OR service = ?2) ORDER BY id LIMIT ?3",
    [SQL_EVENTS_TAIL] =
        "SELECT * FROM (SELECT id, at, kind, service, job_id, run_id, data FROM events"
        " WHERE (?1 IS NULL OR service = ?1) ORDER BY id DESC LIMIT ?2) ORDER BY id",
    [SQL_JOB_COUNTS] = "SELECT phase, COUNT(*) AS count FROM jobs GROUP BY phase ORDER BY phase",
#undef JOB_COLUMNS
    [SQL_TOKEN_PUT] = "INSERT INTO tokens (name, hash, read_only, created_at, expires_at)"
                      " VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (name) DO UPDATE SET hash = ?2,"
                      " read_only = ?3, created_at = ?4, expires_at = ?5, last_used_at = NULL,"
                      " revoked_at = NULL",
    [SQL_TOKEN_REVOKE] = "UPDATE tokens SET revoked_at = ?2 WHERE name = ?1",
    [SQL_TOKEN_USED] = "UPDATE tokens SET last_used_at = ?2 WHERE name = ?1",
    [SQL_TOKENS_EACH] = "SELECT name, hash, read_only, created_at, expires_at, last_used_at,"
                        " revoked_at FROM tokens ORDER BY created_at, name",
};

static int fail(sqlite3 *db, const char *what, char *err, size_t errlen)
{
    snprintf(err, errlen, "%s: %s", what, db ? sqlite3_errmsg(db) : "out of memory");
    return -EIO;
}

int store_open(const char *path, store **out, char *err, size_t errlen)
{
    store *st = sqlite3_malloc(sizeof(*st));
    if (!st) return -ENOMEM;
    memset(st, 0, sizeof(*st));
    st->jl.hold_max = STORE_HOLD_MAX_DEFAULT;
    int rc = 0;
    if (sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
        SQLITE_OK) {
        rc = fail(st->db, path, err, errlen);
        goto bad;
    }
    sqlite3_busy_timeout(st->db, 5000);
    /* journal_size_limit: a WAL a storm of writes grew is cut back to 4 MiB
     * at the next checkpoint, so bounded history means a bounded disk. */
    if (sqlite3_exec(st->db,
                     "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;"
                     " PRAGMA foreign_keys = ON; PRAGMA cache_size = -512;"
                     " PRAGMA journal_size_limit = 4194304;",
                     NULL, NULL, NULL) != SQLITE_OK) {
        rc = fail(st->db, "configuring the database", err, errlen);
        goto bad;
    }
    if (schema_migrate(st->db, STORE_SCHEMA_VERSION, err, errlen) < 0) {
        rc = -EIO;
        goto bad;
    }
    if (store_ids_init(st) < 0) {
        rc = fail(st->db, "reading the last ids", err, errlen);
        goto bad;
    }
    for (int i = 0; i < SQL_COUNT; i++) {
        if (sqlite3_prepare_v3(st->db, sql_text[i], -1, SQLITE_PREPARE_PERSISTENT, &st->stmt[i],
                               NULL) != SQLITE_OK) {
            rc = fail(st->db, sql_text[i], err, errlen);
            goto bad;
        }
    }
    *out = st;
    return 0;
bad:
    store_close(st);
    return rc;
}

void store_close(store *st)
{
    if (!st) return;
    /* The last chance for what is held; what still cannot be written is lost. */
    if (st->stmt[SQL_COMMIT] && store_flush(st) < 0) store_retry(st);
    st->on_event = NULL;
    st->on_write = NULL;
    journal_free(&st->jl);
    for (int i = 0; i < SQL_COUNT; i++) sqlite3_finalize(st->stmt[i]);
    sqlite3_close(st->db);
    sqlite3_free(st);
}

int store_schema_version(store *st)
{
    sqlite3_stmt *stmt = NULL;
    int version = -1;
    if (sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &stmt, NULL) == SQLITE_OK &&
        sqlite3_step(stmt) == SQLITE_ROW)
        version = sqlite3_column_int(stmt, 0);
    sqlite3_finalize(stmt);
    return version;
}

const char *store_error(store *st)
{
    return sqlite3_errmsg(st->db);
}

sqlite3_stmt *store_stmt(store *st, sql_id id)
{
    sqlite3_stmt *stmt = st->stmt[id];
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    return stmt;
}

int store_step_done(store *st, sqlite3_stmt *stmt)
{
    (void)st;
    int rc = sqlite3_step(stmt);
    sqlite3_reset(stmt);
    return rc == SQLITE_DONE ? 0 : -EIO;
}

void bind_text(sqlite3_stmt *stmt, int col, const char *text)
{
    if (text)
        sqlite3_bind_text(stmt, col, text, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(stmt, col);
}

void bind_nonzero_int64(sqlite3_stmt *stmt, int col, int64_t v)
{
    if (v)
        sqlite3_bind_int64(stmt, col, v);
    else
        sqlite3_bind_null(stmt, col);
}

void bind_nonzero_double(sqlite3_stmt *stmt, int col, double v)
{
    if (v != 0)
        sqlite3_bind_double(stmt, col, v);
    else
        sqlite3_bind_null(stmt, col);
}

/* ---- specs ---- */

static int put_spec(store *st, sql_id id, const char *name, const char *spec_json, double now)
{
    store_value v[] = {sv_text(name), sv_text(spec_json), sv_real(now)};
    int changes;
    return store_write_values(st, id, v, &changes);
}

/* A one-name write, and whether it touched a row (-ENOENT if not; held
 * writes are taken to have). */
static int write_by_name(store *st, sql_id id, const store_value *v, int n)
{
    int changes;
    if (store_write(st, id, v, n, &changes) < 0) return -EIO;
    return changes ? 0 : -ENOENT;
}

int store_action_put(store *st, const char *name, const char *spec_json, double now)
{
    return put_spec(st, SQL_ACTION_PUT, name, spec_json, now);
}

int store_action_delete(store *st, const char *name)
{
    store_value v[] = {sv_text(name)};
    return write_by_name(st, SQL_ACTION_DELETE, v, 1);
}

int store_service_put(store *st, const char *name, const char *spec_json, double now)
{
    return put_spec(st, SQL_SERVICE_PUT, name, spec_json, now);
}

int store_service_set_wanted(store *st, const char *name, const char *wanted, double now)
{
    store_value v[] = {sv_text(name), sv_text(wanted), sv_real(now)};
    return write_by_name(st, SQL_SERVICE_WANTED, v, 3);
}

int store_service_delete(store *st, const char *name)
{
    store_value v[] = {sv_text(name)};
    return write_by_name(st, SQL_SERVICE_DELETE, v, 1);
}

int store_setting_put(store *st, const char *key, const char *value)
{
    store_value v[] = {sv_text(key), sv_text(value)};
    int changes;
    return store_write_values(st, SQL_SETTING_PUT, v, &changes);
}

char *store_setting_get(store *st, const char *key)
{
    sqlite3_stmt *stmt = store_stmt(st, SQL_SETTING_GET);
    bind_text(stmt, 1, key);
    const char *value =
        sqlite3_step(stmt) == SQLITE_ROW ? (const char *)sqlite3_column_text(stmt, 0) : NULL;
    char *copy = value ? strdup(value) : NULL;
    sqlite3_reset(stmt);
    return copy;
}

static int each_spec(store *st, sql_id id, store_spec_fn fn, void *ctx)
{
    sqlite3_stmt *stmt = store_stmt(st, id);
    int rc = 0, step = SQLITE_DONE;
    while (rc == 0 && (step = sqlite3_step(stmt)) == SQLITE_ROW)
        rc = fn(ctx, (const char *)sqlite3_column_text(stmt, 0),
                (const char *)sqlite3_column_text(stmt, 1),
                (const char *)sqlite3_column_text(stmt, 2));
    if (rc == 0 && step != SQLITE_DONE) rc = -EIO;
    sqlite3_reset(stmt);
    return rc;
}

int store_services_each(store *st, store_spec_fn fn, void *ctx)
{
    return each_spec(st, SQL_SERVICES_EACH, fn, ctx);
}

int store_actions_each(store *st, store_spec_fn fn, void *ctx)
{
    return each_spec(st, SQL_ACTIONS_EACH, fn, ctx);
}
