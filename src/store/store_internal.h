/* store_internal.h — the store's connection, its prepared statements and
 * its journal of writes (private to src/store/). Each statement is
 * prepared once, at open; every write goes through store_write (journal.c). */
#ifndef TEND_STORE_INTERNAL_H
#define TEND_STORE_INTERNAL_H

#include <sqlite3.h>
#include <stddef.h>

#include "store/store.h"

typedef enum {
    SQL_BEGIN,
    SQL_COMMIT,
    SQL_ROLLBACK,
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
    SQL_TOKEN_PUT,
    SQL_TOKEN_REVOKE,
    SQL_TOKEN_USED,
    SQL_TOKENS_EACH,
    SQL_COUNT
} sql_id;

/* One bound value of a write: what store_write binds, and what the
 * journal keeps a copy of. */
typedef enum { SV_NULL, SV_INT, SV_REAL, SV_TEXT } store_value_type;
typedef struct {
    store_value_type type;
    union {
        int64_t i;
        double d;
        const char *s;
    } u;
} store_value;

static inline store_value sv_int(int64_t v)
{
    return (store_value){SV_INT, {.i = v}};
}
static inline store_value sv_real(double v)
{
    return (store_value){SV_REAL, {.d = v}};
}
/* Text, or NULL. */
static inline store_value sv_text(const char *s)
{
    return s ? (store_value){SV_TEXT, {.s = s}} : (store_value){SV_NULL, {.i = 0}};
}
/* A number that is NULL when 0 (none). */
static inline store_value sv_nonzero_int(int64_t v)
{
    return v ? sv_int(v) : (store_value){SV_NULL, {.i = 0}};
}
static inline store_value sv_nonzero_real(double v)
{
    return v != 0 ? sv_real(v) : (store_value){SV_NULL, {.i = 0}};
}

typedef struct journal_entry journal_entry;

/* The writes of the open batch, in order; while the store is failing,
 * also every write since the failed one (see journal.c). */
typedef struct {
    journal_entry **entries; /* NULL: superseded or dropped */
    size_t n, cap;
    size_t live;       /* non-NULL entries */
    size_t bytes;      /* memory the live entries hold */
    size_t hold_max;   /* cap on bytes while failing: older events are dropped beyond it */
    size_t event_scan; /* no event to drop before this index */
    int64_t *upd_keys; /* job id -> index of its latest held update (open addressing) */
    size_t *upd_index;
    size_t upd_cap, upd_used;
} journal;

/* Ids are handed out here, not by SQLite: a row held in memory keeps the
 * id the daemon already uses. */
enum { ID_RUN, ID_JOB, ID_EVENT, ID_COUNT };

struct store {
    sqlite3 *db;
    sqlite3_stmt *stmt[SQL_COUNT];
    int in_batch;
    store_event_fn on_event; /* told of every event written */
    void *on_event_ctx;
    char cause[160]; /* JSON members every event's data gets (store_event_cause), or "" */
    int64_t next_id[ID_COUNT];
    journal jl;
    bool failing; /* the last attempt to write failed: writes are held in jl */
    double failing_since;
    double retry_delay; /* seconds to wait before the next attempt */
    char last_error[128];
    uint64_t write_errors, events_dropped;
    store_write_fn on_write; /* told when writing fails and when it works again */
    void *on_write_ctx;
};

/* Runs (or, while failing, holds) one write of statement id with the
 * values v[0..n-1] bound to ?1..?n. Returns 0 with *changes set to the
 * rows it changed (-1: held, not known yet), or -EIO if the statement
 * itself failed (a constraint): nothing was written, nothing is held. */
int store_write(store *st, sql_id id, const store_value *v, int n, int *changes);
#define STORE_HOLD_MAX_DEFAULT ((size_t)32 << 20)
/* store_write with a whole array of values. */
#define store_write_values(st, id, values, changes)                                                \
    store_write((st), (id), (values), (int)(sizeof(values) / sizeof((values)[0])), (changes))
/* A new id for a row of table which (ID_RUN, ...). */
int64_t store_next_id(store *st, int which);
/* At open: the first free ids, from sqlite_sequence and the tables. */
int store_ids_init(store *st);
/* At close: frees what the journal holds. */
void journal_free(journal *jl);
/* A failed batch or commit: rolls back, holds the journal, tells the listener. */
void store_fail(store *st, int sqlite_rc);
/* A committed batch: the journal is done with. */
void journal_clear(journal *jl);

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
