/* spawner.c — worker threads for spawn_process (see spawner.h). The queue
 * and the list of results are the only shared state, each under the one
 * mutex; a uv_async wakes the loop when results are ready. */
#include "daemon/process/spawner.h"

#include <malloc.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/job_umask.h"
#include "base/strv.h"
#include "daemon/process/containment.h"
#include "daemon/process/reaper.h"
#include "daemon/process/spawn.h"

#define MAX_WORKERS 4

typedef struct spawn_task {
    proc_request req;
    char unit[64];
    spawn_done_fn done;
    void *data;
    pid_t pid;
    uint64_t start_time;
    int rc;
    char err[256];
    struct spawn_task *next;
} spawn_task;

static struct {
    bool ready;
    int n_workers;
    pthread_t workers[MAX_WORKERS];
    pthread_mutex_t lock;
    pthread_cond_t wake;
    spawn_task *queue, *queue_tail; /* waiting for a worker */
    spawn_task *results;            /* done, waiting for the loop */
    bool quit;
    bool async_open;
    uv_async_t async;
} sp = {.lock = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER};

static void task_free(spawn_task *t)
{
    strv_free(t->req.argv);
    strv_free_wiped(t->req.env);
    free(t->req.cwd);
    free(t->req.groups);
    free(t->req.limits);
    free(t);
}

/* On a worker thread: the cgroup, then the process in it. */
static void task_run(spawn_task *t)
{
    bool reused;
    int cgroup_fd = containment_enter(t->unit, &reused, t->err, sizeof(t->err));
    if (cgroup_fd < -1) {
        t->rc = cgroup_fd;
        return;
    }
    spawn_plan plan = {
        .name = t->unit,
        .argv = t->req.argv,
        .env = t->req.env,
        .cwd = t->req.cwd,
        .uid = t->req.uid,
        .gid = t->req.gid,
        .groups = t->req.groups,
        .n_groups = t->req.n_groups,
        .stdout_fd = t->req.stdout_fd,
        .stderr_fd = t->req.stderr_fd,
        .cgroup_fd = cgroup_fd,
        .join_after_birth = reused,
        .umask = t->req.has_umask ? t->req.umask : job_umask(),
        .no_new_privs = t->req.no_new_privs,
        .limits = t->req.limits,
        .n_limits = t->req.n_limits,
    };
    t->rc = spawn_process(&plan, &t->pid, t->err, sizeof(t->err));
    if (cgroup_fd >= 0) close(cgroup_fd);
    /* What names this process for a daemon that adopts it one day. */
    if (t->rc == 0) t->start_time = process_start_time(t->pid);
}

static void task_finish(spawn_task *t)
{
    /* The callback watches the pid first; only then may early exits go. */
    t->done(t->data, t->pid, t->start_time, t->rc, t->err);
    reaper_spawn_done();
    task_free(t);
}

static void *worker(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&sp.lock);
    for (;;) {
        while (!sp.queue && !sp.quit) pthread_cond_wait(&sp.wake, &sp.lock);
        if (sp.quit) break;
        spawn_task *t = sp.queue;
        sp.queue = t->next;
        if (!sp.queue) sp.queue_tail = NULL;
        pthread_mutex_unlock(&sp.lock);
        task_run(t);
        pthread_mutex_lock(&sp.lock);
        t->next = sp.results;
        sp.results = t;
        uv_async_send(&sp.async);
    }
    pthread_mutex_unlock(&sp.lock);
    return NULL;
}

static void on_results(uv_async_t *async)
{
    (void)async;
    pthread_mutex_lock(&sp.lock);
    spawn_task *list = sp.results;
    sp.results = NULL;
    pthread_mutex_unlock(&sp.lock);
    /* Reverse to call back in completion order. */
    spawn_task *ordered = NULL;
    while (list) {
        spawn_task *next = list->next;
        list->next = ordered;
        ordered = list;
        list = next;
    }
    while (ordered) {
        spawn_task *next = ordered->next;
        task_finish(ordered);
        ordered = next;
    }
    /* A burst of starts held every request's argv and environment at once;
     * give that memory back once the burst is over. */
    pthread_mutex_lock(&sp.lock);
    bool idle = !sp.queue;
    pthread_mutex_unlock(&sp.lock);
    if (idle) malloc_trim(0);
}

int spawner_init(uv_loop_t *loop)
{
    if (sp.ready) return 0;
    /* One CPU gains nothing from threads: spawn on the loop. Setting
     * TEND_SPAWN_THREADS=N (0 to 4) chooses instead. */
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    long want = cpus > 1 ? cpus : 0;
    const char *forced = getenv("TEND_SPAWN_THREADS");
    if (forced && *forced) want = strtol(forced, NULL, 10);
    int n = want > MAX_WORKERS ? MAX_WORKERS : want < 0 ? 0 : (int)want;
    sp.quit = false;
    sp.n_workers = 0;
    if (n > 0) {
        if (uv_async_init(loop, &sp.async, on_results) < 0) return -1;
        uv_unref((uv_handle_t *)&sp.async);
        sp.async_open = true;
        for (int i = 0; i < n; i++)
            if (pthread_create(&sp.workers[sp.n_workers], NULL, worker, NULL) == 0) sp.n_workers++;
    }
    sp.ready = true;
    return 0;
}

void spawner_close(void)
{
    if (!sp.ready) return;
    pthread_mutex_lock(&sp.lock);
    sp.quit = true;
    pthread_cond_broadcast(&sp.wake);
    pthread_mutex_unlock(&sp.lock);
    for (int i = 0; i < sp.n_workers; i++) pthread_join(sp.workers[i], NULL);
    for (spawn_task *lists[] = {sp.queue, sp.results}, **l = lists; l < lists + 2; l++)
        while (*l) {
            spawn_task *next = (*l)->next;
            task_free(*l);
            *l = next;
        }
    sp.queue = sp.queue_tail = sp.results = NULL;
    if (sp.async_open) uv_close((uv_handle_t *)&sp.async, NULL);
    sp.async_open = false;
    sp.n_workers = 0;
    sp.ready = false;
}

void spawner_settle(void)
{
    if (!sp.ready || !sp.n_workers) return;
    pthread_mutex_lock(&sp.lock);
    spawn_task *dropped = sp.queue;
    sp.queue = sp.queue_tail = NULL;
    sp.quit = true;
    pthread_cond_broadcast(&sp.wake);
    pthread_mutex_unlock(&sp.lock);
    while (dropped) {
        spawn_task *next = dropped->next;
        reaper_spawn_done();
        task_free(dropped);
        dropped = next;
    }
    for (int i = 0; i < sp.n_workers; i++) pthread_join(sp.workers[i], NULL);
    sp.n_workers = 0; /* from now on, spawns are carried out on the loop */
    on_results(&sp.async);
}

void spawner_submit(proc_request *req, const char *unit, spawn_done_fn done, void *data)
{
    spawn_task *t = calloc(1, sizeof(*t));
    if (!t) {
        strv_free(req->argv);
        strv_free_wiped(req->env);
        free(req->cwd);
        free(req->groups);
        free(req->limits);
        done(data, 0, 0, -12 /* ENOMEM */, "out of memory");
        return;
    }
    t->req = *req;
    snprintf(t->unit, sizeof(t->unit), "%s", unit);
    t->done = done;
    t->data = data;
    reaper_spawn_begin();
    if (!sp.n_workers) {
        task_run(t);
        task_finish(t);
        return;
    }
    pthread_mutex_lock(&sp.lock);
    if (sp.queue_tail)
        sp.queue_tail->next = t;
    else
        sp.queue = t;
    sp.queue_tail = t;
    pthread_cond_signal(&sp.wake);
    pthread_mutex_unlock(&sp.lock);
}
