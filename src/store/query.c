/* query.c — reading history as JSON for the API: rows become objects whose
 * keys are the column names, NULL columns become null. */
#include <string.h>

#include "store/store_internal.h"

/* The current row as an object; JSON-valued columns are parsed. */
static json_t *row_object(sqlite3_stmt *stmt)
{
    json_t *obj = json_object();
    int n = sqlite3_column_count(stmt);
    for (int i = 0; obj && i < n; i++) {
        const char *name = sqlite3_column_name(stmt, i);
        json_t *v = NULL;
        switch (sqlite3_column_type(stmt, i)) {
        case SQLITE_INTEGER: v = json_integer(sqlite3_column_int64(stmt, i)); break;
        case SQLITE_FLOAT: v = json_real(sqlite3_column_double(stmt, i)); break;
        case SQLITE_NULL: v = json_null(); break;
        default: {
            const char *text = (const char *)sqlite3_column_text(stmt, i);
            /* The data column of events holds JSON; keep it structured. */
            if (text && strcmp(name, "data") == 0) v = json_loads(text, 0, NULL);
            if (!v) v = json_string(text ? text : "");
            break;
        }
        }
        json_object_set_new(obj, name, v);
    }
    return obj;
}

/* Steps stmt (bound by the caller) and collects every row. */
static json_t *collect(sqlite3_stmt *stmt)
{
    json_t *rows = json_array();
    while (rows && sqlite3_step(stmt) == SQLITE_ROW) json_array_append_new(rows, row_object(stmt));
    sqlite3_reset(stmt);
    return rows;
}

static json_t *one(sqlite3_stmt *stmt)
{
    json_t *row = sqlite3_step(stmt) == SQLITE_ROW ? row_object(stmt) : NULL;
    sqlite3_reset(stmt);
    return row;
}

static void bind_limit(sqlite3_stmt *stmt, int col, int64_t limit)
{
    sqlite3_bind_int64(stmt, col, limit > 0 ? limit : -1); /* negative: no limit */
}

json_t *store_job_get(store *st, int64_t id)
{
    sqlite3_stmt *stmt = store_stmt(st, SQL_JOB_GET);
    sqlite3_bind_int64(stmt, 1, id);
    return one(stmt);
}

json_t *store_jobs_list(store *st, const store_job_filter *f)
{
    sqlite3_stmt *stmt = store_stmt(st, SQL_JOBS_LIST);
    bind_text(stmt, 1, f->service_id);
    bind_text(stmt, 2, f->action_id);
    bind_nonzero_int64(stmt, 3, f->run_id);
    bind_text(stmt, 4, f->phase);
    bind_limit(stmt, 5, f->limit);
    return collect(stmt);
}

json_t *store_run_get(store *st, int64_t id)
{
    sqlite3_stmt *stmt = store_stmt(st, SQL_RUN_GET);
    sqlite3_bind_int64(stmt, 1, id);
    return one(stmt);
}

json_t *store_runs_list(store *st, const char *service, int64_t limit)
{
    sqlite3_stmt *stmt = store_stmt(st, SQL_RUNS_LIST);
    bind_text(stmt, 1, service);
    bind_limit(stmt, 2, limit);
    return collect(stmt);
}

json_t *store_events_list(store *st, int64_t after_id, const char *service, int64_t limit)
{
    sqlite3_stmt *stmt = store_stmt(st, SQL_EVENTS_LIST);
    sqlite3_bind_int64(stmt, 1, after_id);
    bind_text(stmt, 2, service);
    bind_limit(stmt, 3, limit);
    return collect(stmt);
}

json_t *store_events_tail(store *st, const char *service, int64_t n)
{
    sqlite3_stmt *stmt = store_stmt(st, SQL_EVENTS_TAIL);
    bind_text(stmt, 1, service);
    sqlite3_bind_int64(stmt, 2, n);
    return collect(stmt);
}

json_t *store_job_counts(store *st)
{
    return collect(store_stmt(st, SQL_JOB_COUNTS));
}
