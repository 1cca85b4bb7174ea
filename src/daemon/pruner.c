/* pruner.c — history kept within [retention] (see pruner.h): a check
 * handle that decides when a step is due, an idle handle while a backlog
 * remains, and the removal of pruned jobs' log files. */
#include "daemon/pruner.h"

#include <stdio.h>
#include <stdlib.h>

#include "base/clock.h"
#include "store/retention.h"

/* Rows written before a step is worth making: a restart writes about
 * seven (a job, its updates and events), so a crash loop is pruned every
 * few dozen restarts and history overshoots its limits by little. */
#define STEP_AFTER_WRITES 256
/* Rows one step deletes: at least a few hundred, and as many as were
 * written since the last one (up to a cap), so that pruning keeps up with
 * a storm of writes while costing no more than the writes did. */
#define STEP_MIN_BUDGET 500
#define STEP_MAX_BUDGET 2000

struct pruner {
    uv_loop_t *loop;
    store_pruner *sp;
    const supervisor *sv;
    const registry *seen; /* the registry the steps so far pruned by */
    uv_check_t check;
    uv_idle_t idle;
    bool backlog;
    int open_handles;
};

static void unlinked(uv_fs_t *req)
{
    uv_fs_req_cleanup(req);
    free(req);
}

static void unlink_async(uv_loop_t *loop, const char *path)
{
    uv_fs_t *req = malloc(sizeof(*req));
    if (req && uv_fs_unlink(loop, req, path, unlinked) < 0) free(req);
}

typedef struct {
    pruner *p;
    const registry *r;
} step_ctx;

/* What a service keeps; an empty registry (calloc'd, all 0) means the
 * defaults, and so does a service no longer in it. */
static void step_service_keep(void *ctx, const char *service, int *runs, int *jobs_per_run)
{
    const registry *r = ((step_ctx *)ctx)->r;
    run_retention keep =
        registry_service_retention(r, service ? registry_service(r, service) : NULL);
    *runs = keep.runs > 0 ? keep.runs : RETENTION_DEFAULT_RUNS;
    *jobs_per_run = keep.jobs_per_run > 0 ? keep.jobs_per_run : RETENTION_DEFAULT_JOBS_PER_RUN;
}

/* A job's log, and its older half when it was cut in two (joblog.h). */
static void step_log_deleted(void *ctx, const char *path)
{
    pruner *p = ((step_ctx *)ctx)->p;
    char older[4096];
    unlink_async(p->loop, path);
    if (snprintf(older, sizeof(older), "%s.1", path) < (int)sizeof(older))
        unlink_async(p->loop, older);
}

static store_retention retention_of(const registry *r, step_ctx *ctx)
{
    const retention_spec *k = &r->retention;
    return (store_retention){
        .service_keep = step_service_keep,
        .ctx = ctx,
        .standalone_jobs =
            k->standalone_jobs > 0 ? k->standalone_jobs : RETENTION_DEFAULT_STANDALONE_JOBS,
        .events = k->events > 0 ? k->events : RETENTION_DEFAULT_EVENTS,
        .events_before = k->event_days > 0 ? wall_now() - k->event_days * 86400.0 : 0,
        .log_deleted = step_log_deleted,
    };
}

static void keep_turning(uv_idle_t *idle)
{
    (void)idle; /* its being active is what matters: the loop does not block */
}

/* After every loop iteration: a step when enough was written, or while a
 * backlog remains. */
static void after_iteration(uv_check_t *check)
{
    pruner *p = check->data;
    const registry *r = supervisor_registry(p->sv);
    if (r != p->seen) {
        /* New limits (or the first look): all of history, a chunk at a time. */
        p->seen = r;
        store_pruner_rescan(p->sp);
        p->backlog = true;
    }
    int64_t writes = store_pruner_writes(p->sp);
    if (!p->backlog && writes < STEP_AFTER_WRITES) return;
    int budget = writes < STEP_MIN_BUDGET   ? STEP_MIN_BUDGET
                 : writes > STEP_MAX_BUDGET ? STEP_MAX_BUDGET
                                            : (int)writes;
    step_ctx ctx = {.p = p, .r = r};
    store_retention keep = retention_of(r, &ctx);
    int rc = store_pruner_step(p->sp, &keep, budget);
    int given = rc >= 0 ? store_pruner_vacuum(p->sp) : 0;
    /* On an error (a full disk...), the next writes try again. */
    p->backlog = rc == 1 || given > 0;
    if (p->backlog)
        uv_idle_start(&p->idle, keep_turning);
    else
        uv_idle_stop(&p->idle);
}

pruner *pruner_start(uv_loop_t *loop, store *st, const supervisor *sv)
{
    pruner *p = calloc(1, sizeof(*p));
    char err[256];
    if (!p || !(p->sp = store_pruner_new(st, err, sizeof(err)))) {
        if (p) fprintf(stderr, "tend daemon: history will not be pruned: %s\n", err);
        free(p);
        return NULL;
    }
    p->loop = loop;
    p->sv = sv;
    uv_check_init(loop, &p->check);
    uv_idle_init(loop, &p->idle);
    p->check.data = p->idle.data = p;
    p->open_handles = 2;
    uv_check_start(&p->check, after_iteration);
    /* Neither keeps the daemon alive; an active idle handle still makes
     * the loop poll without blocking, which is all it is for. */
    uv_unref((uv_handle_t *)&p->check);
    uv_unref((uv_handle_t *)&p->idle);
    return p;
}

static void handle_closed(uv_handle_t *handle)
{
    pruner *p = handle->data;
    if (--p->open_handles == 0) free(p);
}

void pruner_stop(pruner *p)
{
    if (!p) return;
    store_pruner_free(p->sp);
    p->sp = NULL;
    uv_close((uv_handle_t *)&p->check, handle_closed);
    uv_close((uv_handle_t *)&p->idle, handle_closed);
}
