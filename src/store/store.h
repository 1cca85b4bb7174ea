/* store.h — tend's SQLite database: the schema and its migrations, and
 * every read and write of specs (actions, services) and history (runs,
 * jobs, events).
 *
 * One connection, used from the daemon's loop thread only; WAL,
 * synchronous=NORMAL, foreign keys on; every statement prepared once.
 * Writes of one loop iteration are batched into one transaction
 * (store_batch / store_flush; a batch past 256 KiB is committed at the next
 * store_batch, where a new change begins), so a job transition and its
 * event row always commit together. Jobs are created in exactly one place, store_job_create,
 * which records their provenance (service_id, action_id, run_id).
 *
 * A write that fails (a full disk: SQLITE_FULL, SQLITE_IOERR, ...) loses
 * nothing: the batch is rolled back and held in memory, later writes are
 * held after it, and store_retry writes them all, in order, with the ids
 * already handed out (run, job and event ids come from the store, not from
 * SQLite). While writes are held, reads see only what was committed.
 */
#ifndef TEND_STORE_STORE_H
#define TEND_STORE_STORE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct store store;

/* The schema version store_open migrates to. */
#define STORE_SCHEMA_VERSION 5

/* Opens (creating if needed) and migrates the database. Returns 0 or a
 * negative errno with a message in err. */
int store_open(const char *path, store **out, char *err, size_t errlen);
void store_close(store *st);
int store_schema_version(store *st);
/* The last SQLite error message, for logs. */
const char *store_error(store *st);

/* Opens the current batch transaction unless one is open. */
int store_batch(store *st);
/* Commits the current batch, if any. -EIO if it could not be written
 * (it is held: see store_retry). */
int store_flush(store *st);

/* ---- when writing fails ---- */

/* How writing goes: for logs, metrics and `tend why`. */
typedef struct {
    bool failing;            /* the last attempt failed: writes are held in memory */
    double failing_since;    /* when writing began to fail (wall clock); 0: it does not */
    const char *error;       /* SQLite's words for the last failure, or NULL */
    size_t pending;          /* changes held, waiting to be written */
    uint64_t write_errors;   /* failed writes and commits since the store was opened */
    uint64_t events_dropped; /* held event rows given up to stay within the memory cap */
    double retry_in;         /* seconds the next store_retry should wait */
} store_write_state;

void store_write_state_get(store *st, store_write_state *out);
/* Told when writing begins to fail (failing true, changes: how many are
 * held) and when held writes are written again (failing false, changes:
 * how many were written). One listener. */
typedef void (*store_write_fn)(void *ctx, bool failing, size_t changes, const char *error);
void store_set_write_listener(store *st, store_write_fn fn, void *ctx);
/* Writes what is held, in one transaction. 0 if nothing is held any more;
 * -EIO if it failed again (the next wait, retry_in, doubles up to 30 s).
 * The store keeps no timer: its owner calls this (the daemon, on a timer). */
int store_retry(store *st);
/* The memory held writes may take before the oldest held events are
 * dropped (counted in events_dropped; job and run rows never are). */
void store_set_hold_limit(store *st, size_t bytes);

/* ---- specs ---- */
int store_action_put(store *st, const char *name, const char *spec_json, double now);
int store_action_delete(store *st, const char *name);
int store_service_put(store *st, const char *name, const char *spec_json, double now);
int store_service_set_wanted(store *st, const char *name, const char *wanted, double now);
/* Deletes the service and, through the foreign keys, its runs and jobs. */
int store_service_delete(store *st, const char *name);

/* The daemon's settings: value NULL clears one; get returns a copy to
 * free, or NULL when unset. */
#define STORE_REGISTRY_FILE "registry_file" /* the absolute path it was read from */
/* The registry-wide [retention] as JSON, for a daemon that starts with no
 * registry file (a service's own retention is in its spec). */
#define STORE_RETENTION "retention"
/* The registry's [daemon] table as JSON (unset when it has none), for the
 * same reason. */
#define STORE_DAEMON "daemon"
int store_setting_put(store *st, const char *key, const char *value);
char *store_setting_get(store *st, const char *key);

typedef int (*store_spec_fn)(void *ctx, const char *name, const char *spec_json,
                             const char *wanted);
/* Calls fn for every service (every action, with wanted NULL) in the order
 * they were first stored;
 * stops at and returns fn's first non-zero result. */
int store_services_each(store *st, store_spec_fn fn, void *ctx);
int store_actions_each(store *st, store_spec_fn fn, void *ctx);

/* ---- API access tokens (tokens.c) ---- */
typedef struct {
    const char *name;
    const char *hash; /* SHA-256 of the token, 64 hex digits */
    bool read_only;
    double created_at;
    double expires_at;   /* 0: never */
    double last_used_at; /* 0: never used */
    double revoked_at;   /* 0: not revoked */
} store_token;

/* Creates the token, or replaces the row of that name (a rotation, or a
 * name used again after a revoke). */
int store_token_put(store *st, const store_token *t);
int store_token_revoke(store *st, const char *name, double now);
int store_token_used(store *st, const char *name, double at);
/* Calls fn for every token row (revoked ones too), oldest first; the
 * strings last until fn returns. Stops at fn's first non-zero result. */
int store_tokens_each(store *st, int (*fn)(void *ctx, const store_token *row), void *ctx);

/* ---- runs ---- */
int64_t store_run_create(store *st, const char *service, double now);
/* ended_at 0 means the run is still going. */
int store_run_update(store *st, int64_t id, const char *status, const char *reason,
                     double ended_at);

/* ---- jobs ---- */
typedef struct {
    int64_t id;             /* set by store_job_create */
    const char *service_id; /* NULL for a standalone job */
    const char *action_id;  /* the action it executes; never NULL */
    int64_t run_id;         /* 0: not part of a run */
    const char *phase;
    int attempt;
    int pid; /* 0: none */
    bool has_exit_code;
    int exit_code;
    int term_signal; /* 0: none */
    const char *error;
    double created_at, started_at, ended_at; /* 0: not yet */
    const char *spec_json;                   /* the action as it was when the job was created */
    const char *log_path;
    uint64_t proc_start; /* its process's start time (/proc/PID/stat), 0: none */
    double due_at;       /* a retry waiting: when it starts; 0: none */
} store_job;

/* The one way a job comes to exist. Sets job->id; returns 0 or -errno. */
int store_job_create(store *st, store_job *job);
/* Writes phase, attempt, pid, exit, signal, error, times and log path. */
int store_job_update(store *st, const store_job *job);
int store_job_delete(store *st, int64_t id);
/* Every job of a run that has a job still active (pending, starting,
 * running, stopping), and every active job of no run, as rows ordered by
 * run and id: what a daemon finds when it starts after one that died.
 * The strings in a row last until fn returns. */
int store_jobs_left_active(store *st, int (*fn)(void *ctx, const store_job *row), void *ctx);
/* Deletes the service's jobs in a terminal phase; returns how many, or -errno. */
int store_jobs_delete_terminated(store *st, const char *service_id);

/* Jobs a previous daemon left active: their processes are no longer
 * watched. Marks them lost; returns how many, or -errno. */
int store_jobs_mark_lost(store *st, double now);

/* Runs a daemon before this one left open that no active job continues
 * (a target's run, a run whose jobs all ended in its last moments): marked
 * stopped with reason, now. Returns how many, or -errno. */
int store_runs_close_left(store *st, double now, const char *reason);

/* ---- events ---- */
int64_t store_event_add(store *st, double now, const char *kind, const char *service,
                        int64_t job_id, int64_t run_id, const char *data_json);

/* Until called again, every event written carries in its data (an
 * object, made one if it is none) who asked for what is being done: a job
 * of this daemon, "by_job": ID, "by_action": NAME; by_job 0: nobody known,
 * the data stays as written. */
void store_event_cause(store *st, int64_t by_job, const char *by_action);

/* Who hears of each event as it is written (live streams): one listener. */
typedef void (*store_event_fn)(void *ctx, int64_t id, double at, const char *kind,
                               const char *service, int64_t job_id, int64_t run_id,
                               const char *data_json);
void store_set_event_listener(store *st, store_event_fn fn, void *ctx);

/* ---- queries (for the API; results are new jansson references) ---- */
typedef struct {
    const char *service_id; /* NULL: any */
    const char *action_id;
    int64_t run_id; /* 0: any */
    const char *phase;
    int64_t limit; /* 0: no limit */
} store_job_filter;

json_t *store_job_get(store *st, int64_t id);
json_t *store_jobs_list(store *st, const store_job_filter *filter);
json_t *store_run_get(store *st, int64_t id);
json_t *store_runs_list(store *st, const char *service, int64_t limit);
json_t *store_events_list(store *st, int64_t after_id, const char *service, int64_t limit);
/* The newest n events (of service, or all), oldest first. */
json_t *store_events_tail(store *st, const char *service, int64_t n);
/* [{phase, count}]: every recorded job, counted by phase. */
json_t *store_job_counts(store *st);

#endif
