/* history.c — writing runs, jobs and events, each row one store_write
 * (journal.c) with the id the store hands out. store_job_create is the only
 * place a job row is inserted, and it always records provenance. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_internal.h"

int64_t store_run_create(store *st, const char *service, double now)
{
    int64_t id = store_next_id(st, ID_RUN);
    store_value v[] = {sv_int(id), sv_text(service), sv_real(now)};
    int changes;
    return store_write_values(st, SQL_RUN_CREATE, v, &changes) < 0 ? -EIO : id;
}

int store_run_update(store *st, int64_t id, const char *status, const char *reason, double ended_at)
{
    store_value v[] = {sv_int(id), sv_text(status), sv_text(reason), sv_nonzero_real(ended_at)};
    int changes;
    return store_write_values(st, SQL_RUN_UPDATE, v, &changes);
}

static store_value exit_value(const store_job *job)
{
    return job->has_exit_code ? sv_int(job->exit_code) : sv_nonzero_int(0);
}

int store_job_create(store *st, store_job *job)
{
    if (!job->action_id || !job->phase) return -EINVAL;
    int64_t id = store_next_id(st, ID_JOB);
    store_value v[] = {
        sv_int(id),
        sv_text(job->service_id),
        sv_text(job->action_id),
        sv_nonzero_int(job->run_id),
        sv_text(job->phase),
        sv_int(job->attempt > 0 ? job->attempt : 1),
        sv_nonzero_int(job->pid),
        exit_value(job),
        sv_nonzero_int(job->term_signal),
        sv_text(job->error),
        sv_real(job->created_at),
        sv_nonzero_real(job->started_at),
        sv_nonzero_real(job->ended_at),
        sv_text(job->spec_json),
        sv_text(job->log_path),
    };
    int changes;
    if (store_write_values(st, SQL_JOB_CREATE, v, &changes) < 0) return -EIO;
    job->id = id;
    return 0;
}

int store_job_update(store *st, const store_job *job)
{
    store_value v[] = {
        sv_int(job->id),
        sv_text(job->phase),
        sv_int(job->attempt > 0 ? job->attempt : 1),
        sv_nonzero_int(job->pid),
        exit_value(job),
        sv_nonzero_int(job->term_signal),
        sv_text(job->error),
        sv_nonzero_real(job->started_at),
        sv_nonzero_real(job->ended_at),
        sv_text(job->log_path),
        sv_nonzero_int((int64_t)job->proc_start),
        sv_nonzero_real(job->due_at),
    };
    int changes;
    if (store_write_values(st, SQL_JOB_UPDATE, v, &changes) < 0) return -EIO;
    return changes ? 0 : -ENOENT;
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

/* A write of one value: how many rows it changed (-1 while it is held),
 * or -EIO. */
static int write_one(store *st, sql_id id, store_value v)
{
    int changes;
    return store_write(st, id, &v, 1, &changes) < 0 ? -EIO : changes;
}

int store_job_delete(store *st, int64_t id)
{
    int changes = write_one(st, SQL_JOB_DELETE, sv_int(id));
    return changes < -1 ? changes : changes == 0 ? -ENOENT : 0;
}

int store_jobs_delete_terminated(store *st, const char *service_id)
{
    int changes = write_one(st, SQL_JOBS_DELETE_TERMINATED, sv_text(service_id));
    return changes < -1 ? changes : changes < 0 ? 0 : changes;
}

int store_jobs_mark_lost(store *st, double now)
{
    int changes = write_one(st, SQL_JOBS_MARK_LOST, sv_real(now));
    return changes < -1 ? changes : changes < 0 ? 0 : changes;
}

int store_runs_close_left(store *st, double now, const char *reason)
{
    store_value v[] = {sv_real(now), sv_text(reason)};
    int changes;
    if (store_write_values(st, SQL_RUNS_CLOSE_LEFT, v, &changes) < 0) return -EIO;
    return changes < 0 ? 0 : changes;
}

void store_event_cause(store *st, int64_t by_job, const char *by_action)
{
    st->cause[0] = '\0';
    if (by_job <= 0) return;
    json_t *name = json_string(by_action ? by_action : "");
    char *quoted = name ? json_dumps(name, JSON_ENCODE_ANY) : NULL;
    int n = quoted ? snprintf(st->cause, sizeof(st->cause), "\"by_job\":%lld,\"by_action\":%s",
                              (long long)by_job, quoted)
                   : -1;
    /* A name too long for the buffer (none the registry allows): the job alone. */
    if (n < 0 || (size_t)n >= sizeof(st->cause))
        snprintf(st->cause, sizeof(st->cause), "\"by_job\":%lld", (long long)by_job);
    free(quoted);
    json_decref(name);
}

/* data (a JSON object, or NULL) with the cause's members added; NULL
 * when it is not an object (then it is written as it is). */
static char *data_with_cause(const char *data, const char *cause)
{
    char *out = NULL;
    size_t len = data ? strlen(data) : 0;
    while (len && strchr(" \t\r\n", data[len - 1])) len--;
    if (!len) return asprintf(&out, "{%s}", cause) < 0 ? NULL : out;
    size_t start = strspn(data, " \t\r\n");
    if (data[start] != '{' || data[len - 1] != '}') return NULL;
    bool empty = start + 1 + strspn(data + start + 1, " \t\r\n") == len - 1;
    if (asprintf(&out, "%.*s%s%s}", (int)(len - 1), data, empty ? "" : ",", cause) < 0) return NULL;
    return out;
}

int64_t store_event_add(store *st, double now, const char *kind, const char *service,
                        int64_t job_id, int64_t run_id, const char *data_json)
{
    char *caused = st->cause[0] ? data_with_cause(data_json, st->cause) : NULL;
    if (caused) data_json = caused;
    int64_t id = store_next_id(st, ID_EVENT);
    store_value v[] = {sv_int(id),        sv_real(now),           sv_text(kind),
                       sv_text(service),  sv_nonzero_int(job_id), sv_nonzero_int(run_id),
                       sv_text(data_json)};
    int changes;
    if (store_write_values(st, SQL_EVENT_ADD, v, &changes) < 0) {
        free(caused);
        return -EIO;
    }
    /* Live listeners hear it now, also while it is held. */
    if (st->on_event)
        st->on_event(st->on_event_ctx, id, now, kind, service, job_id, run_id, data_json);
    free(caused);
    return id;
}

void store_set_event_listener(store *st, store_event_fn fn, void *ctx)
{
    st->on_event = fn;
    st->on_event_ctx = ctx;
}
