/* supervisor_adopt.c — taking over what a daemon before this one left:
 * after a crash (kill -9, OOM, a bug), its services' processes still run.
 * Each run that had a job still active comes back as the service's current
 * run, with the same run and job ids, its jobs in the phases the store
 * says; then each job's process is taken over by pid and start time (so a
 * reused pid is never taken for it), or recorded as ended while no daemon
 * ran, which the restart policy answers as for any end. A retry waiting
 * keeps the time it was due. Nothing that still runs is started twice:
 * a job whose pid never reached the store (the daemon died while it was
 * spawned) has its process found by its unit, and what runs in a unit no
 * job takes over is killed before anything new starts.
 * A run that no job continues (a target's, or one whose jobs had all
 * ended) is closed as stopped: none stays open with no process.
 *
 * Called once at start-up, after the registry was applied and before the
 * wanted services are started (a service that runs is left alone then).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/strv.h"
#include "daemon/supervisor_internal.h"

typedef struct {
    store_job row; /* with strings of its own */
} left_job;

typedef struct {
    left_job *rows;
    size_t n, cap;
} left_jobs;

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

static int collect(void *ctx, const store_job *row)
{
    left_jobs *all = ctx;
    if (all->n == all->cap) {
        size_t cap = all->cap ? all->cap * 2 : 64;
        left_job *grown = realloc(all->rows, cap * sizeof(*grown));
        if (!grown) return -1;
        all->rows = grown;
        all->cap = cap;
    }
    store_job copy = *row;
    copy.service_id = dup_or_null(row->service_id);
    copy.action_id = dup_or_null(row->action_id);
    copy.phase = dup_or_null(row->phase);
    copy.error = dup_or_null(row->error);
    copy.log_path = dup_or_null(row->log_path);
    copy.spec_json = NULL;
    all->rows[all->n++] = (left_job){copy};
    return 0;
}

static void free_rows(left_jobs *all)
{
    for (size_t i = 0; i < all->n; i++) {
        store_job *r = &all->rows[i].row;
        free((char *)r->service_id);
        free((char *)r->action_id);
        free((char *)r->phase);
        free((char *)r->error);
        free((char *)r->log_path);
    }
    free(all->rows);
}

/* A job that cannot come back (its service or action is gone): recorded
 * as lost, as before adoption existed; its process is left as it is. */
static void mark_lost(supervisor *sv, const store_job *row, const char *why)
{
    store_job r = *row;
    r.phase = job_phase_name(JOB_LOST);
    r.error = why;
    r.ended_at = wall_now();
    store_batch(sv->st);
    store_job_update(sv->st, &r);
    store_event_add(sv->st, r.ended_at, "job.phase", r.service_id, r.id, r.run_id, NULL);
}

static bool active(const store_job *row)
{
    int phase = job_phase_from_name(row->phase);
    return phase >= 0 && !job_phase_is_terminal((job_phase)phase);
}

/* ---- what no job takes over ------------------------------------------------ */

typedef struct {
    int64_t *ids; /* sorted */
    size_t n;
} claimed_jobs;

static int id_order(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* unit is "job-ID" of a job that may have a process to take over. */
static bool unit_claimed(void *ctx, const char *unit)
{
    claimed_jobs *c = ctx;
    long long id;
    int used = 0;
    if (sscanf(unit, "job-%lld%n", &id, &used) != 1 || unit[used] || !c->n) return false;
    int64_t key = id;
    return bsearch(&key, c->ids, c->n, sizeof(key), id_order) != NULL;
}

/* What the daemon before left running in units no job takes over goes,
 * before anything new starts: the process of a spawn whose job row was
 * never written (its id comes again, for a new job), of a job stored as
 * pending or ended, commands that ran beside a job (its adapter's steps,
 * watch, follow), checks. The jobs that were starting, running or
 * stopping keep their units: job_resume takes over, or kills, what is
 * there. */
static void kill_unclaimed(const left_jobs *all)
{
    claimed_jobs c = {calloc(all->n + 1, sizeof(*c.ids)), 0};
    for (size_t i = 0; c.ids && i < all->n; i++) {
        int phase = job_phase_from_name(all->rows[i].row.phase);
        if (phase == JOB_STARTING || phase == JOB_RUNNING || phase == JOB_STOPPING)
            c.ids[c.n++] = all->rows[i].row.id;
    }
    /* Out of memory: nothing is killed rather than everything. */
    if (c.ids) {
        qsort(c.ids, c.n, sizeof(*c.ids), id_order);
        proc_kill_unclaimed(unit_claimed, &c);
    }
    free(c.ids);
}

/* rows[from, to) are one run's jobs, oldest first: the latest of each of
 * the service's actions fills its slot. */
static run_rt *restore_run(supervisor *sv, svc *s, left_job *rows, size_t from, size_t to)
{
    size_t n = strv_len(s->spec->actions);
    run_rt *run = calloc(1, sizeof(*run));
    if (!run || !(run->jobs = calloc(n ? n : 1, sizeof(*run->jobs)))) {
        free(run);
        return NULL;
    }
    run->id = rows[from].row.run_id;
    run->service = s;
    run->status = RUN_STARTING;
    const registry *r = sv->reg->r;
    for (size_t i = 0; i < n; i++) {
        const action_spec *a = registry_action(r, s->spec->actions[i]);
        if (!a) continue;
        const store_job *latest = NULL;
        for (size_t k = from; k < to; k++)
            if (rows[k].row.action_id && strcmp(rows[k].row.action_id, a->name) == 0)
                latest = &rows[k].row;
        /* An action the registry added since: a new job in its slot. */
        job_rt *j = latest ? job_restore(sv, s, run, a, latest) : job_create(sv, s, run, a, 1);
        if (!j) continue;
        j->slot = run->n_jobs;
        run->jobs[run->n_jobs++] = j;
    }
    return run;
}

int supervisor_adopt(supervisor *sv, int *ended)
{
    left_jobs all = {0};
    *ended = 0;
    if (store_jobs_left_active(sv->st, collect, &all) < 0) {
        free_rows(&all);
        return -1;
    }
    kill_unclaimed(&all);
    /* First every run and job as it was, then their processes: a job that
     * ended while no daemon ran sets off what its end sets off, among
     * services that are all in place. */
    svc **restored = calloc(all.n + 1, sizeof(*restored));
    job_rt **jobs = calloc(all.n + 1, sizeof(*jobs));
    size_t n_restored = 0, n_jobs = 0;
    for (size_t i = 0; restored && jobs && i < all.n;) {
        store_job *row = &all.rows[i].row;
        if (!row->run_id) { /* a job of no service */
            const action_spec *a = registry_action(sv->reg->r, row->action_id);
            job_rt *j = a && active(row) ? job_restore(sv, NULL, NULL, a, row) : NULL;
            if (j)
                jobs[n_jobs++] = j;
            else if (active(row))
                mark_lost(sv, row, "its action is no longer in the registry");
            i++;
            continue;
        }
        size_t end = i;
        while (end < all.n && all.rows[end].row.run_id == row->run_id) end++;
        svc *s = row->service_id ? svc_find(sv, row->service_id) : NULL;
        run_rt *run = s && !s->removed && !s->run ? restore_run(sv, s, all.rows, i, end) : NULL;
        if (run) {
            s->run = run;
            svc_explain(s, "taken over from the daemon before");
            restored[n_restored++] = s;
            for (size_t k = 0; k < run->n_jobs; k++)
                if (!job_phase_is_terminal(run->jobs[k]->phase)) jobs[n_jobs++] = run->jobs[k];
        } else {
            for (size_t k = i; k < end; k++)
                if (active(&all.rows[k].row))
                    mark_lost(sv, &all.rows[k].row, "its service is no longer in the registry");
        }
        i = end;
    }
    int adopted = 0;
    for (size_t k = 0; k < n_jobs; k++) {
        /* (A job whose pid was never stored may have it now.) */
        if (job_resume(jobs[k]))
            adopted += jobs[k]->pid != 0;
        else
            (*ended)++;
    }
    for (size_t k = 0; k < n_restored; k++) {
        svc *s = restored[k];
        if (s->run) run_advance(sv, s->run);
        sv->follow(sv, s);
    }
    for (size_t k = 0; k < n_restored; k++) dependents_advance(sv, restored[k]);
    /* What no job continues is over: no run stays open with nothing in it. */
    store_batch(sv->st);
    store_runs_close_left(sv->st, wall_now(), "the daemon before this one ended during the run");
    free(restored);
    free(jobs);
    free_rows(&all);
    return adopted;
}
