/* instance.c — tend's daemon objects in the fuzzer's process, and their
 * reset between inputs (instance.h). */
#include "instance.h"

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/methods.h"
#include "base/paths.h"
#include "daemon/process/process.h"
#include "daemon/store_watch.h"
#include "daemon/supervisor.h"
#include "sandbox.h"
#include "store/retention.h"

/* Loop turns after each input: enough for a spawn to be reported and a
 * quick process to be reaped, few enough to keep inputs fast. */
#define LOOP_TURNS 8
/* A supervisor whose processes are all dead stops at once; this long
 * means it never will (a bug, reported as such). */
#define SHUTDOWN_LIMIT_MS 20000

static struct {
    uv_loop_t *loop;
    tend_paths paths;
    store *st;
    store_pruner *writes; /* only its count of rows written */
    supervisor *sv;
    token_set *tokens;
    char *token_file;
    api_ctx api;
    rpc_dispatcher rpc;
    uv_timer_t watchdog;
} t;

/* A fresh database, made once: its bytes are written back at each reset,
 * cheaper than creating the schema again. */
static struct {
    char *bytes;
    size_t len;
} template_db;

static void keep_template(void)
{
    FILE *f = fopen(t.paths.db, "rb");
    if (!f || fseek(f, 0, SEEK_END) < 0) abort();
    long len = ftell(f);
    rewind(f);
    template_db.bytes = malloc((size_t)len);
    if (len <= 0 || !template_db.bytes ||
        fread(template_db.bytes, 1, (size_t)len, f) != (size_t)len)
        abort();
    template_db.len = (size_t)len;
    fclose(f);
}

static void restore_template(void)
{
    int fd = open(t.paths.db, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0 || write(fd, template_db.bytes, template_db.len) != (ssize_t)template_db.len)
        abort();
    close(fd);
}

static void open_instance(void)
{
    char err[512];
    /* The token.* methods get a real token set (the dashboard's among
     * them), loaded from this database like the daemon's: before the
     * count of writes starts, or its first token would count as one. */
    if (store_open(t.paths.db, &t.st, err, sizeof(err)) < 0 ||
        !(t.tokens = token_set_load(t.st, t.token_file, err, sizeof(err))) ||
        !(t.writes = store_pruner_new(t.st, err, sizeof(err)))) {
        fprintf(stderr, "fuzz-rpc: %s\n", err);
        abort();
    }
    store_watch_start(t.loop, t.st);
    t.sv = supervisor_new(t.loop, t.st, t.paths.logs);
    if (!t.sv) abort();
    t.api = (api_ctx){.sv = t.sv, .st = t.st, .tokens = t.tokens};
    api_dispatcher_init(&t.rpc, &t.api);
}

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb, (void)flag;
    if (ftw->level > 0) remove(path);
    return 0;
}

/* SIGKILL to every process of the namespace that is not in this
 * process's session: every job's (each starts a session of its own) and
 * whatever they started, but not the sanitizers' symbolizer. */
static void kill_jobs(void)
{
    pid_t self = getpid(), session = getsid(0);
    DIR *proc = opendir("/proc");
    struct dirent *e;
    while (proc && (e = readdir(proc))) {
        pid_t pid = (pid_t)atoi(e->d_name);
        if (pid > 0 && pid != self && getsid(pid) != session) kill(pid, SIGKILL);
    }
    if (proc) closedir(proc);
}

static void on_idle(void *ctx)
{
    *(bool *)ctx = true;
}

static void on_watchdog(uv_timer_t *timer)
{
    (void)timer;
    fprintf(stderr, "fuzz-rpc: the supervisor did not stop within %d ms of its processes' end\n",
            SHUTDOWN_LIMIT_MS);
    abort();
}

static void close_instance(void)
{
    supervisor_free(t.sv);
    token_set_free(t.tokens);
    store_watch_stop();
    store_pruner_free(t.writes);
    store_close(t.st);
    for (int i = 0; i < LOOP_TURNS; i++) uv_run(t.loop, UV_RUN_NOWAIT); /* closing handles */
}

void instance_reset(void)
{
    bool idle = false;
    kill_jobs();
    supervisor_shutdown(t.sv, on_idle, &idle);
    uv_timer_start(&t.watchdog, on_watchdog, SHUTDOWN_LIMIT_MS, 0);
    while (!idle) {
        uv_run(t.loop, UV_RUN_ONCE);
        /* A spawn that was under way when the first kill went out. */
        kill_jobs();
    }
    uv_timer_stop(&t.watchdog);
    close_instance();
    nftw(t.paths.state_dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    char err[256];
    if (tend_paths_create(&t.paths, err, sizeof(err)) < 0) abort();
    restore_template();
    open_instance();
}

void instance_init(void)
{
    setenv("TEND_HOME", SANDBOX_TMP "/tend-fuzz", 1);
    signal(SIGPIPE, SIG_IGN);
    t.loop = uv_default_loop();
    char err[256] = "";
    if (tend_paths_init(&t.paths) < 0 || tend_paths_create(&t.paths, err, sizeof(err)) < 0 ||
        asprintf(&t.token_file, "%s/dashboard.token", t.paths.state_dir) < 0 ||
        process_layer_init(t.loop, t.paths.state_dir, false) < 0) {
        fprintf(stderr, "fuzz-rpc: cannot set up TEND_HOME and the process layer %s\n", err);
        exit(1);
    }
    /* Referenced: while it runs, it keeps the loop alive and waking, so a
     * supervisor that never becomes idle is reported, not spun on. */
    uv_timer_init(t.loop, &t.watchdog);
    open_instance();
    close_instance();
    keep_template();
    open_instance();
}

const rpc_dispatcher *instance_dispatcher(void)
{
    return &t.rpc;
}

void instance_turn_loop(void)
{
    for (int i = 0; i < LOOP_TURNS; i++) uv_run(t.loop, UV_RUN_NOWAIT);
}

bool instance_wrote(void)
{
    return store_pruner_writes(t.writes) > 0;
}
