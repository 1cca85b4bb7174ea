/* retention.h — bounded history: deleting the oldest runs, jobs and events
 * a little at a time, and giving the freed pages back to the file system.
 *
 * A store_pruner works through what was written since it last looked (by
 * id, in chunks), so one step costs in proportion to its budget, never to
 * the size of the history. Whatever the limits say, it never deletes an
 * active job (pending, starting, running, stopping), the newest job of
 * each action of a run (what the run's slots hold), a service's newest
 * run (its current or last one), or a run that has an active job. It
 * deletes rows only; the log files of the jobs it deleted are handed to
 * the caller, which removes them.
 */
#ifndef TEND_STORE_RETENTION_H
#define TEND_STORE_RETENTION_H

#include <stdint.h>

#include "store/store.h"

typedef struct store_pruner store_pruner;

typedef struct {
    /* How many runs of service to keep, and jobs per run (each >= 1). */
    void (*service_keep)(void *ctx, const char *service, int *runs, int *jobs_per_run);
    void *ctx;
    int standalone_jobs;  /* jobs of no run kept (>= 1) */
    int events;           /* events kept (>= 1) */
    double events_before; /* events written before this wall time go too; 0: no age limit */
    /* Told the log file of every job deleted (NULL paths are not told). */
    void (*log_deleted)(void *ctx, const char *path);
} store_retention;

/* The pruner of st, with its own prepared statements. Switches the
 * database to incremental auto-vacuum (one VACUUM) now if its live data is
 * under 64 MiB, else once pruning has brought it under 8 MiB, else at a
 * later start. Freed before st is closed. */
store_pruner *store_pruner_new(store *st, char *err, size_t errlen);
void store_pruner_free(store_pruner *p);

/* Rows inserted, updated or deleted through st since the last step (a
 * counter, no query): what tells the caller a step is worth making. */
int64_t store_pruner_writes(const store_pruner *p);

/* One step: commits st's open batch, then deletes at most budget rows in
 * one transaction of its own. Returns 1 when more remains to be done (call
 * again soon), 0 when history is within r, or -EIO. */
int store_pruner_step(store_pruner *p, const store_retention *r, int budget);

/* The limits changed: the next steps look at all of history again. */
void store_pruner_rescan(store_pruner *p);

/* Gives some free pages (2 MiB at most) back to the file system, when
 * more than an eighth of the file is free: less is kept for the next
 * writes. Returns the pages given back, or -EIO. */
int store_pruner_vacuum(store_pruner *p);

#endif
