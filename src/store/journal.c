/* journal.c — writes that survive a full disk: batches, the journal of
 * their writes, and writing it again when a write or a COMMIT has failed.
 *
 * Every write goes through store_write, which binds a value array to one
 * prepared statement. Inside a batch each write is also copied into the
 * journal (one allocation: the entry with its text), so that a batch whose
 * statement or COMMIT fails (SQLITE_FULL, SQLITE_IOERR, ...) is rolled
 * back and can be written again in full. After such a failure the store is
 * failing: writes are only appended to the journal (a job row's updates
 * coalesced, the oldest events dropped beyond a memory cap) until
 * store_retry writes all of it in one transaction.
 *
 * Invariants: the journal is empty unless a batch is open or the store is
 * failing (never both); its entries are in the order the writes were made.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "store/store_internal.h"

struct journal_entry {
    size_t size; /* bytes of this allocation, for the cap */
    sql_id id;
    int n;
    store_value v[]; /* then the text of its SV_TEXT values */
};

#define RETRY_FIRST_S 1.0
#define RETRY_MAX_S   30.0
/* After an outage, arrays this large are given back rather than kept. */
#define KEEP_ENTRIES 4096
/* Bytes a batch holds before the next store_batch commits it. */
#define BATCH_MAX_BYTES (256u << 10)

/* Failures of the storage, not of the statement: the same write can work
 * once the disk has room (or the lock is free) again. */
static bool storage_error(int rc)
{
    switch (rc & 0xff) {
    case SQLITE_FULL:
    case SQLITE_IOERR:
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_NOMEM:
    case SQLITE_READONLY:
    case SQLITE_CANTOPEN:
    case SQLITE_PROTOCOL:
    case SQLITE_NOLFS:
    case SQLITE_CORRUPT: return true;
    default: return false;
    }
}

/* Steps statement id with v bound; SQLite's result (SQLITE_DONE: done). */
static int execute(store *st, sql_id id, const store_value *v, int n)
{
    sqlite3_stmt *stmt = store_stmt(st, id);
    for (int i = 0; i < n; i++) {
        switch (v[i].type) {
        case SV_NULL: sqlite3_bind_null(stmt, i + 1); break;
        case SV_INT: sqlite3_bind_int64(stmt, i + 1, v[i].u.i); break;
        case SV_REAL: sqlite3_bind_double(stmt, i + 1, v[i].u.d); break;
        case SV_TEXT: sqlite3_bind_text(stmt, i + 1, v[i].u.s, -1, SQLITE_STATIC); break;
        }
    }
    int rc = sqlite3_step(stmt);
    sqlite3_reset(stmt);
    return rc;
}

/* ---- entries ---------------------------------------------------------- */

static journal_entry *entry_new(sql_id id, const store_value *v, int n)
{
    size_t head = sizeof(journal_entry) + (size_t)n * sizeof(store_value), text = 0;
    for (int i = 0; i < n; i++)
        if (v[i].type == SV_TEXT) text += strlen(v[i].u.s) + 1;
    journal_entry *e = malloc(head + text);
    if (!e) return NULL;
    e->size = head + text;
    e->id = id;
    e->n = n;
    char *p = (char *)e + head;
    for (int i = 0; i < n; i++) {
        e->v[i] = v[i];
        if (v[i].type != SV_TEXT) continue;
        size_t len = strlen(v[i].u.s) + 1;
        memcpy(p, v[i].u.s, len);
        e->v[i].u.s = p;
        p += len;
    }
    return e;
}

static int journal_add(journal *jl, sql_id id, const store_value *v, int n)
{
    if (jl->n == jl->cap) {
        size_t cap = jl->cap ? jl->cap * 2 : 64;
        journal_entry **grown = realloc(jl->entries, cap * sizeof(*grown));
        if (!grown) return -ENOMEM;
        jl->entries = grown;
        jl->cap = cap;
    }
    journal_entry *e = entry_new(id, v, n);
    if (!e) return -ENOMEM;
    jl->entries[jl->n++] = e;
    jl->live++;
    jl->bytes += e->size;
    return 0;
}

static void journal_drop(journal *jl, size_t k)
{
    journal_entry *e = jl->entries[k];
    if (!e) return;
    jl->live--;
    jl->bytes -= e->size;
    free(e);
    jl->entries[k] = NULL;
}

/* ---- coalescing a job row's updates ------------------------------------ */

static void updates_forget(journal *jl)
{
    if (!jl->upd_used) return;
    memset(jl->upd_keys, 0, jl->upd_cap * sizeof(*jl->upd_keys));
    jl->upd_used = 0;
}

/* The slot of job id (ids are > 0; 0 marks a free slot). */
static size_t updates_slot(const journal *jl, int64_t job)
{
    size_t mask = jl->upd_cap - 1, k = (size_t)((uint64_t)job * 0x9E3779B97F4A7C15ull) & mask;
    while (jl->upd_keys[k] && jl->upd_keys[k] != job) k = (k + 1) & mask;
    return k;
}

static int updates_grow(journal *jl)
{
    size_t cap = jl->upd_cap ? jl->upd_cap * 2 : 256;
    int64_t *keys = calloc(cap, sizeof(*keys));
    size_t *index = malloc(cap * sizeof(*index));
    if (!keys || !index) {
        free(keys);
        free(index);
        return -ENOMEM;
    }
    journal old = *jl;
    jl->upd_keys = keys;
    jl->upd_index = index;
    jl->upd_cap = cap;
    for (size_t k = 0; k < old.upd_cap; k++) {
        if (!old.upd_keys[k]) continue;
        size_t slot = updates_slot(jl, old.upd_keys[k]);
        jl->upd_keys[slot] = old.upd_keys[k];
        jl->upd_index[slot] = old.upd_index[k];
    }
    free(old.upd_keys);
    free(old.upd_index);
    return 0;
}

/* Entry k is held: a job update makes the job's earlier held update
 * useless (it writes every column again). A delete, a mark-lost or the
 * closing of left runs reads the rows as they are then, so updates before it are kept as they were. */
static void hold_index(journal *jl, size_t k)
{
    journal_entry *e = jl->entries[k];
    if (!e) return;
    switch (e->id) {
    case SQL_JOB_UPDATE: {
        if ((jl->upd_used + 1) * 2 > jl->upd_cap && updates_grow(jl) < 0) return;
        int64_t job = e->v[0].u.i;
        size_t slot = updates_slot(jl, job);
        if (jl->upd_keys[slot])
            journal_drop(jl, jl->upd_index[slot]);
        else
            jl->upd_used++;
        jl->upd_keys[slot] = job;
        jl->upd_index[slot] = k;
        break;
    }
    case SQL_JOB_DELETE:
    case SQL_JOBS_DELETE_TERMINATED:
    case SQL_JOBS_MARK_LOST:
    case SQL_RUNS_CLOSE_LEFT:
    case SQL_SERVICE_DELETE: updates_forget(jl); break;
    default: break;
    }
}

/* ---- the cap on held memory -------------------------------------------- */

/* Events are the one kind of row an outage may cost; the store's own
 * events (the outage itself) are kept. */
static bool droppable(const journal_entry *e)
{
    return e && e->id == SQL_EVENT_ADD && e->v[2].type == SV_TEXT &&
           strncmp(e->v[2].u.s, "store.", 6) != 0;
}

/* Moves the live entries together once most are gone, so that a long
 * outage of many short jobs does not grow the array of entries. */
static void journal_compact(journal *jl)
{
    if (jl->n < 1024 || jl->live > jl->n / 2) return;
    size_t to = 0;
    for (size_t k = 0; k < jl->n; k++)
        if (jl->entries[k]) jl->entries[to++] = jl->entries[k];
    jl->n = to;
    jl->event_scan = 0;
    updates_forget(jl);
    for (size_t k = 0; k < jl->n; k++) hold_index(jl, k);
}

static void hold_within_cap(store *st)
{
    journal *jl = &st->jl;
    while (jl->bytes > jl->hold_max) {
        size_t k = jl->event_scan;
        while (k < jl->n && !droppable(jl->entries[k])) k++;
        jl->event_scan = k; /* nothing before k can ever be dropped */
        if (k == jl->n) break;
        journal_drop(jl, k);
        st->events_dropped++;
    }
    journal_compact(jl);
}

static int hold(store *st, sql_id id, const store_value *v, int n)
{
    if (journal_add(&st->jl, id, v, n) < 0) return -ENOMEM;
    hold_index(&st->jl, st->jl.n - 1);
    hold_within_cap(st);
    return 0;
}

/* ---- writing ------------------------------------------------------------ */

int store_write(store *st, sql_id id, const store_value *v, int n, int *changes)
{
    *changes = -1;
    if (st->failing) return hold(st, id, v, n);
    journal *jl = &st->jl;
    bool logged = st->in_batch && journal_add(jl, id, v, n) == 0;
    int rc = execute(st, id, v, n);
    if (rc == SQLITE_DONE) {
        *changes = sqlite3_changes(st->db);
        return 0;
    }
    if (!storage_error(rc)) {
        /* SQLite undid the statement, and the batch goes on without it. */
        if (logged) journal_drop(jl, --jl->n);
        return -EIO;
    }
    if (!logged && journal_add(jl, id, v, n) < 0) return -ENOMEM;
    store_fail(st, rc);
    return 0;
}

int64_t store_next_id(store *st, int which)
{
    return st->next_id[which]++;
}

int store_ids_init(store *st)
{
    static const char *const tables[ID_COUNT] = {"runs", "jobs", "events"};
    for (int i = 0; i < ID_COUNT; i++) {
        /* sqlite_sequence: AUTOINCREMENT's memory of ids used before,
         * deleted rows included; explicit ids keep it up to date. */
        char *sql =
            sqlite3_mprintf("SELECT max(coalesce((SELECT seq FROM sqlite_sequence"
                            " WHERE name = '%s'), 0), coalesce((SELECT max(id) FROM %s), 0))",
                            tables[i], tables[i]);
        sqlite3_stmt *stmt = NULL;
        int ok = sql && sqlite3_prepare_v2(st->db, sql, -1, &stmt, NULL) == SQLITE_OK &&
                 sqlite3_step(stmt) == SQLITE_ROW;
        if (ok) st->next_id[i] = sqlite3_column_int64(stmt, 0) + 1;
        sqlite3_finalize(stmt);
        sqlite3_free(sql);
        if (!ok) return -EIO;
    }
    return 0;
}

void journal_clear(journal *jl)
{
    for (size_t k = 0; k < jl->n; k++) free(jl->entries[k]);
    jl->n = jl->live = jl->bytes = jl->event_scan = 0;
    updates_forget(jl);
    if (jl->cap > KEEP_ENTRIES) {
        free(jl->entries);
        free(jl->upd_keys);
        free(jl->upd_index);
        jl->entries = NULL;
        jl->upd_keys = NULL;
        jl->upd_index = NULL;
        jl->cap = jl->upd_cap = 0;
    }
}

void journal_free(journal *jl)
{
    jl->cap = KEEP_ENTRIES + 1; /* give everything back */
    journal_clear(jl);
}

static void rollback(store *st)
{
    if (!sqlite3_get_autocommit(st->db)) execute(st, SQL_ROLLBACK, NULL, 0);
    st->in_batch = 0;
}

static void note_error(store *st, int rc)
{
    st->write_errors++;
    snprintf(st->last_error, sizeof(st->last_error), "%s", sqlite3_errstr(rc));
}

void store_fail(store *st, int rc)
{
    note_error(st, rc);
    rollback(st);
    if (st->failing) return;
    st->failing = true;
    st->failing_since = wall_now();
    st->retry_delay = RETRY_FIRST_S;
    for (size_t k = 0; k < st->jl.n; k++) hold_index(&st->jl, k);
    json_t *data =
        json_pack("{s:s, s:I}", "error", st->last_error, "pending", (json_int_t)st->jl.live);
    char *text = data ? json_dumps(data, JSON_COMPACT) : NULL;
    /* Held with the rest: it lands when they do, and is heard live now. */
    store_event_add(st, st->failing_since, "store.write_failed", NULL, 0, 0, text);
    free(text);
    json_decref(data);
    if (st->on_write) st->on_write(st->on_write_ctx, true, st->jl.live, st->last_error);
}

int store_batch(store *st)
{
    /* A batch grown large is committed where a new one may begin (between
     * two changes, never inside one): what is held for a retry stays small
     * when thousands of services start in one loop iteration. */
    if (st->in_batch && !st->failing && st->jl.bytes > BATCH_MAX_BYTES) store_flush(st);
    if (st->failing || st->in_batch) return 0;
    int rc = execute(st, SQL_BEGIN, NULL, 0);
    if (rc == SQLITE_DONE) {
        st->in_batch = 1;
        return 0;
    }
    store_fail(st, rc);
    return -EIO;
}

int store_flush(store *st)
{
    if (st->failing) return -EIO;
    if (!st->in_batch) return 0;
    int rc = execute(st, SQL_COMMIT, NULL, 0);
    if (rc != SQLITE_DONE) {
        store_fail(st, rc);
        return -EIO;
    }
    st->in_batch = 0;
    journal_clear(&st->jl);
    return 0;
}

/* Every held write, in order, in one transaction; SQLite's result. */
static int write_held(store *st)
{
    journal *jl = &st->jl;
    int rc = execute(st, SQL_BEGIN, NULL, 0);
    for (size_t k = 0; rc == SQLITE_DONE && k < jl->n; k++) {
        journal_entry *e = jl->entries[k];
        if (!e) continue;
        rc = execute(st, e->id, e->v, e->n);
        /* A write its statement refuses would have failed in its batch too. */
        if (rc != SQLITE_DONE && !storage_error(rc)) {
            journal_drop(jl, k);
            rc = SQLITE_DONE;
        }
    }
    return rc == SQLITE_DONE ? execute(st, SQL_COMMIT, NULL, 0) : rc;
}

int store_retry(store *st)
{
    if (!st->failing) return 0;
    int rc = write_held(st);
    if (rc != SQLITE_DONE) {
        note_error(st, rc);
        rollback(st);
        st->retry_delay = st->retry_delay * 2 > RETRY_MAX_S ? RETRY_MAX_S : st->retry_delay * 2;
        return -EIO;
    }
    size_t written = st->jl.live;
    double since = st->failing_since, now = wall_now();
    journal_clear(&st->jl);
    st->failing = false;
    st->failing_since = 0;
    /* Told first: should this event's own write fail, "failing" comes after. */
    if (st->on_write) st->on_write(st->on_write_ctx, false, written, NULL);
    json_t *data = json_pack("{s:I, s:f, s:I}", "written", (json_int_t)written, "failed_for",
                             now - since, "events_dropped", (json_int_t)st->events_dropped);
    char *text = data ? json_dumps(data, JSON_COMPACT) : NULL;
    store_event_add(st, now, "store.write_recovered", NULL, 0, 0, text);
    free(text);
    json_decref(data);
    return st->failing ? -EIO : 0;
}

/* ---- what the owner sees ---------------------------------------------- */

void store_write_state_get(store *st, store_write_state *out)
{
    *out = (store_write_state){
        .failing = st->failing,
        .failing_since = st->failing_since,
        .error = st->last_error[0] ? st->last_error : NULL,
        .pending = st->failing ? st->jl.live : 0,
        .write_errors = st->write_errors,
        .events_dropped = st->events_dropped,
        .retry_in = st->failing ? st->retry_delay : 0,
    };
}

void store_set_write_listener(store *st, store_write_fn fn, void *ctx)
{
    st->on_write = fn;
    st->on_write_ctx = ctx;
}

void store_set_hold_limit(store *st, size_t bytes)
{
    st->jl.hold_max = bytes;
}
