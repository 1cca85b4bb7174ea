/* store_internal.h — the store's connection and its prepared statements
 * (private to src/store/). Each statement is prepared once, at open. */
#ifndef TEND_STORE_INTERNAL_H
#define TEND_STORE_INTERNAL_H

#include <sqlite3.h>

#include "store/store.h"

typedef enum {
    SQL_BEGIN,
    SQL_COMMIT,
    SQL_ACTION_PUT,
    SQL_ACTION_DELETE,
    SQL_ACTIONS_EACH,
    SQL_SERVICE_PUT,
    SQL_SERVICE_WANTED,
    SQL_SERVICE_DELETE,
    SQL_SERVICES_EACH,
    SQL_SETTING_PUT,
    SQL_SETTING_GET,
    SQL_RUN_CREATE,
    SQL_RUN_UPDATE,
    SQL_JOB_CREATE,
    SQL_JOB_UPDATE,
    SQL_JOB_DELETE,
    SQL_JOBS_DELETE_TERMINATED,
    SQL_JOBS_MARK_LOST,
    SQL_JOBS_LEFT_ACTIVE,
    SQL_RUNS_CLOSE_LEFT,
    SQL_EVENT_ADD,
    SQL_JOB_GET,
    SQL_JOBS_LIST,
    SQL_RUN_GET,
    SQL_RUNS_LIST,
    SQL_EVENTS_LIST,
    SQL_EVENTS_TAIL,
    SQL_JOB_COUNTS,
    SQL_COUNT
} sql_id;

struct store {
    sqlite3 *db;
    sqlite3_stmt *stmt[SQL_COUNT];
    int in_batch;
    store_event_fn on_event; /* told of every event written */
    void *on_event_ctx;
};

/* The statement, reset and with its bindings cleared, ready to bind. */
sqlite3_stmt *store_stmt(store *st, sql_id id);
/* Steps a write statement to completion; 0 or -EIO. */
int store_step_done(store *st, sqlite3_stmt *stmt);

/* Binds text or NULL. */
void bind_text(sqlite3_stmt *stmt, int col, const char *text);
/* Binds a positive number, or NULL for 0. */
void bind_nonzero_int64(sqlite3_stmt *stmt, int col, int64_t v);
void bind_nonzero_double(sqlite3_stmt *stmt, int col, double v);

#endif
