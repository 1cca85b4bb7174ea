/* history.c — writing runs, jobs and events. store_job_create is the only
 * place a job row is inserted, and it always records provenance. */
#include <errno.h>

#include "store/store_internal.h"

int64_t store_run_create(store *st, const char *service, double now)
{
    sqlite3_stmt *stmt = store_stmt(st, SQL_RUN_CREATE);
    bind_text(stmt, 1, service);
    sqlite3_bind_double(stmt, 2, now);
    if (store_step_done(st, stmt) < 0) return -EIO;
    return sqlite3_last_insert_rowid(st->db);
}

int store_run_update(store *st, int64_t id, const char *status, const char *reason, double ended_at)
{
    sqlite3_stmt *stmt = store_stmt(st, SQL_RUN_UPDATE);
    sqlite3_bind_int64(stmt, 1, id);
    bind_text(stmt, 2, status);
    bind_text(stmt, 3, reason);
    bind_nonzero_double(stmt, 4, ended_at);
    return store_step_done(st, stmt);
}

static void bind_exit(sqlite3_stmt *stmt, int col, const store_job *job)
{
    if (job->has_exit_code)
        sqlite3_bind_int(stmt, col, job->exit_code);
    else
        sqlite3_bind_null(stmt, col);
}

int store_job_create(store *st, store_job *job)
{
    if (!job->action_id || !job->phase) return -EINVAL;
    sqlite3_stmt *stmt = store_stmt(st, SQL_JOB_CREATE);
    bind_text(stmt, 1, job->service_id);
    bind_text(stmt, 2, job->action_id);
    bind_nonzero_int64(stmt, 3, job->run_id);
    bind_text(stmt, 4, job->phase);
    sqlite3_bind_int(stmt, 5, job->attempt > 0 ? job->attempt : 1);
    bind_nonzero_int64(stmt, 6, job->pid);
    bind_exit(stmt, 7, job);
    bind_nonzero_int64(stmt, 8, job->term_signal);
    bind_text(stmt, 9, job->error);
    sqlite3_bind_double(stmt, 10, job->created_at);
    bind_nonzero_double(stmt, 11, job->started_at);
    bind_nonzero_double(stmt, 12, job->ended_at);
    bind_text(stmt, 13, job->spec_json);
    bind_text(stmt, 14, job->log_path);
    if (store_step_done(st, stmt) < 0) return -EIO;
    job->id = sqlite3_last_insert_rowid(st->db);
    return 0;
}

int store_job_update(store *st, const store_job *job)
{
    sqlite3_stmt *stmt = store_stmt(st, SQL_JOB_UPDATE);
    sqlite3_bind_int64(stmt, 1, job->id);
    bind_text(stmt, 2, job->phase);
    sqlite3_bind_int(stmt, 3, job->attempt > 0 ? job->attempt : 1);
    bind_nonzero_int64(stmt, 4, job->pid);
    bind_exit(stmt, 5, job);
    bind_nonzero_int64(stmt, 6, job->term_signal);
    bind_text(stmt, 7, job->error);
    bind_nonzero_double(stmt, 8, job->started_at);
    bind_nonzero_double(stmt, 9, job->ended_at);
    bind_text(stmt, 10, job->log_path);
    bind_nonzero_int64(stmt, 11, (int64_t)job->proc_start);
    bind_nonzero_double(stmt, 12, job->due_at);
    if (store_step_done(st, stmt) < 0) return -EIO;
    return sqlite3_changes(st->db) ? 0 : -ENOENT;
}

static const char *column_text(sqlite3_stmt *stmt, int col)
{
    return (const char *)sqlite3_column_text(stmt, col);
}

int store_jobs_left_active(store *st, int (*fn)(void *ctx, const store_job *row), void *ctx)
{
    sqlite3_stmt *stmt = store_stmt(st, SQL_JOBS_LEFT_ACTIVE);
    int rc, n = 0;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        store_job row = {
            .id = sqlite3_column_int64(stmt, 0),
            .service_id = column_text(stmt, 1),
            .action_id = column_text(stmt, 2),
            .run_id = sqlite3_column_int64(stmt, 3),
            .phase = column_text(stmt, 4),
            .attempt = sqlite3_column_int(stmt, 5),
            .pid = sqlite3_column_int(stmt, 6),
            .has_exit_code = sqlite3_column_type(stmt, 7) != SQLITE_NULL,
            .exit_code = sqlite3_column_int(stmt, 7),
            .term_signal = sqlite3_column_int(stmt, 8),
            .error = column_text(stmt, 9),
            .created_at = sqlite3_column_double(stmt, 10),
            .started_at = sqlite3_column_double(stmt, 11),
            .ended_at = sqlite3_column_double(stmt, 12),
            .log_path = column_text(stmt, 13),
            .proc_start = (uint64_t)sqlite3_column_int64(stmt, 14),
            .due_at = sqlite3_column_double(stmt, 15),
            .spec_json = column_text(stmt, 16),
        };
        n++;
        if (fn(ctx, &row) != 0) break;
    }
    sqlite3_reset(stmt);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? n : -EIO;
}

int store_job_delete(store *st, int64_t id)
{
    sqlite3_stmt *stmt = store_stmt(st, SQL_JOB_DELETE);
    sqlite3_bind_int64(stmt, 1, id);
    if (store_step_done(st, stmt) < 0) return -EIO;
    return sqlite3_changes(st->db) ? 0 : -ENOENT;
}

int store_jobs_delete_terminated(store *st, const char *service_id)
{
    sqlite3_stmt *stmt = store_stmt(st, SQL_JOBS_DELETE_TERMINATED);
    bind_text(stmt, 1, service_id);
    if (store_step_done(st, stmt) < 0) return -EIO;
    return sqlite3_changes(st->db);
}

int store_jobs_mark_lost(store *st, double now)
{
    sqlite3_stmt *stmt = store_stmt(st, SQL_JOBS_MARK_LOST);
    sqlite3_bind_double(stmt, 1, now);
    if (store_step_done(st, stmt) < 0) return -EIO;
    return sqlite3_changes(st->db);
}

int store_runs_close_left(store *st, double now, const char *reason)
{
    sqlite3_stmt *stmt = store_stmt(st, SQL_RUNS_CLOSE_LEFT);
    sqlite3_bind_double(stmt, 1, now);
    bind_text(stmt, 2, reason);
    if (store_step_done(st, stmt) < 0) return -EIO;
    return sqlite3_changes(st->db);
}

int64_t store_event_add(store *st, double now, const char *kind, const char *service,
                        int64_t job_id, int64_t run_id, const char *data_json)
{
    sqlite3_stmt *stmt = store_stmt(st, SQL_EVENT_ADD);
    sqlite3_bind_double(stmt, 1, now);
    bind_text(stmt, 2, kind);
    bind_text(stmt, 3, service);
    bind_nonzero_int64(stmt, 4, job_id);
    bind_nonzero_int64(stmt, 5, run_id);
    bind_text(stmt, 6, data_json);
    if (store_step_done(st, stmt) < 0) return -EIO;
    int64_t id = sqlite3_last_insert_rowid(st->db);
    if (st->on_event)
        st->on_event(st->on_event_ctx, id, now, kind, service, job_id, run_id, data_json);
    return id;
}

void store_set_event_listener(store *st, store_event_fn fn, void *ctx)
{
    st->on_event = fn;
    st->on_event_ctx = ctx;
}
