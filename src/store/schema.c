/* schema.c — the migrations that build tend's database.
 *
 * Version 1 is the job model before provenance (seed 002, section 2): a job
 * names what it runs by a string, "service.action" or "action". Version 2
 * adds the provenance columns service_id and action_id with their indexes
 * (section 4.1), fills them in from the legacy string where it names a
 * service that exists (section 6), and drops the string. Version 3 adds
 * what adoption needs; version 4 what bounded history needs (retention.c);
 * version 5 the API's access tokens (tokens.c: only their hashes).
 *
 * auto_vacuum is not set here: switching an existing file needs a VACUUM,
 * which cannot run in a migration's transaction (retention.c does it while
 * the database is small).
 */
#include "store/schema.h"

#include <stdio.h>

#include "store/store.h"

static const char *const migrations[STORE_SCHEMA_VERSION] = {
    /* 0 -> 1 */
    "CREATE TABLE actions ("
    "  name TEXT PRIMARY KEY,"
    "  spec TEXT NOT NULL,"
    "  created_at REAL NOT NULL,"
    "  updated_at REAL NOT NULL);"
    "CREATE TABLE services ("
    "  name TEXT PRIMARY KEY,"
    "  spec TEXT NOT NULL,"
    "  wanted TEXT NOT NULL DEFAULT 'spec'"
    "    CHECK (wanted IN ('start', 'stop', 'ignore', 'spec')),"
    "  created_at REAL NOT NULL,"
    "  updated_at REAL NOT NULL);"
    /* AUTOINCREMENT: an id is never handed out twice, even after deletes. */
    "CREATE TABLE runs ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  service TEXT NOT NULL REFERENCES services(name) ON DELETE CASCADE,"
    "  status TEXT NOT NULL,"
    "  reason TEXT,"
    "  started_at REAL NOT NULL,"
    "  ended_at REAL);"
    "CREATE INDEX idx_runs_service ON runs(service);"
    "CREATE TABLE jobs ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  action TEXT NOT NULL,"
    "  run_id INTEGER REFERENCES runs(id) ON DELETE CASCADE,"
    "  phase TEXT NOT NULL,"
    "  attempt INTEGER NOT NULL DEFAULT 1,"
    "  pid INTEGER,"
    "  exit_code INTEGER,"
    "  term_signal INTEGER,"
    "  error TEXT,"
    "  created_at REAL NOT NULL,"
    "  started_at REAL,"
    "  ended_at REAL,"
    "  spec TEXT,"
    "  log_path TEXT);"
    "CREATE TABLE events ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  at REAL NOT NULL,"
    "  kind TEXT NOT NULL,"
    "  service TEXT,"
    "  job_id INTEGER,"
    "  run_id INTEGER,"
    "  data TEXT);"
    "CREATE INDEX idx_events_service ON events(service, id);",

    /* 1 -> 2: job provenance */
    "ALTER TABLE jobs ADD COLUMN service_id TEXT REFERENCES services(name) ON DELETE CASCADE;"
    "ALTER TABLE jobs ADD COLUMN action_id TEXT;"
    "UPDATE jobs SET service_id = substr(action, 1, instr(action, '.') - 1),"
    "                action_id = substr(action, instr(action, '.') + 1)"
    "  WHERE instr(action, '.') > 0"
    "    AND substr(action, 1, instr(action, '.') - 1) IN (SELECT name FROM services);"
    "UPDATE jobs SET action_id = action WHERE action_id IS NULL;"
    "ALTER TABLE jobs DROP COLUMN action;"
    "CREATE INDEX idx_jobs_service_id ON jobs(service_id);"
    "CREATE INDEX idx_jobs_action_id ON jobs(action_id);"
    "CREATE INDEX idx_jobs_service_id_phase ON jobs(service_id, phase);"
    "CREATE INDEX idx_jobs_run_id ON jobs(run_id);",

    /* 2 -> 3: what a new daemon needs to adopt a job whose process outlived
     * the old one: the process's start time (clock ticks after boot, from
     * /proc/PID/stat; with the pid, it names one process and no other) and
     * when a job waiting to retry is due. */
    "ALTER TABLE jobs ADD COLUMN proc_start INTEGER;"
    "ALTER TABLE jobs ADD COLUMN due_at REAL;"
    "CREATE INDEX idx_jobs_phase ON jobs(phase);",

    /* 3 -> 4: bounded history (retention.c), and the daemon's own settings
     * that outlive it (the registry-wide retention, the file the registry
     * was last read from). Pruning a run's attempts keeps the newest job of
     * each action, found by (run_id, action_id). */
    "CREATE INDEX idx_jobs_run_id_action_id ON jobs(run_id, action_id);"
    "CREATE TABLE settings ("
    "  key TEXT PRIMARY KEY,"
    "  value TEXT);",

    /* 4 -> 5: API access tokens. hash is the SHA-256 of the token (hex);
     * the token itself is never stored. A revoked token keeps its row
     * (until its name is used again) so that it is refused in words. */
    "CREATE TABLE tokens ("
    "  name TEXT PRIMARY KEY,"
    "  hash TEXT NOT NULL,"
    "  read_only INTEGER NOT NULL DEFAULT 0,"
    "  created_at REAL NOT NULL,"
    "  expires_at REAL,"
    "  last_used_at REAL,"
    "  revoked_at REAL);",
};

static int user_version(sqlite3 *db)
{
    sqlite3_stmt *stmt = NULL;
    int version = -1;
    if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &stmt, NULL) == SQLITE_OK &&
        sqlite3_step(stmt) == SQLITE_ROW)
        version = sqlite3_column_int(stmt, 0);
    sqlite3_finalize(stmt);
    return version;
}

static int apply(sqlite3 *db, int from, char *err, size_t errlen)
{
    char *msg = NULL;
    char pragma[64];
    snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d;", from + 1);
    if (sqlite3_exec(db, "BEGIN IMMEDIATE;", NULL, NULL, &msg) != SQLITE_OK ||
        sqlite3_exec(db, migrations[from], NULL, NULL, &msg) != SQLITE_OK ||
        sqlite3_exec(db, pragma, NULL, NULL, &msg) != SQLITE_OK ||
        sqlite3_exec(db, "COMMIT;", NULL, NULL, &msg) != SQLITE_OK) {
        snprintf(err, errlen, "migrating the database to version %d: %s", from + 1,
                 msg ? msg : sqlite3_errmsg(db));
        sqlite3_free(msg);
        sqlite3_exec(db, "ROLLBACK;", NULL, NULL, NULL);
        return -1;
    }
    return 0;
}

int schema_migrate(sqlite3 *db, int target, char *err, size_t errlen)
{
    int version = user_version(db);
    if (version < 0) {
        snprintf(err, errlen, "reading the schema version: %s", sqlite3_errmsg(db));
        return -1;
    }
    if (version > STORE_SCHEMA_VERSION) {
        snprintf(err, errlen,
                 "the database has schema version %d, newer than this tend understands (%d)",
                 version, STORE_SCHEMA_VERSION);
        return -1;
    }
    for (; version < target; version++)
        if (apply(db, version, err, errlen) < 0) return -1;
    return 0;
}
