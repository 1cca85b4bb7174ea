/* fuzz_rpc.c — libFuzzer target for the API's request path: an HTTP body
 * (any bytes) through rpc_handle — the JSON parse, the dispatch, the
 * method against a real supervisor and store on a TEND_HOME of its own —
 * to the answer, which answer_check.c holds to the JSON-RPC contract
 * (a wrong answer aborts, like a crash).
 *
 * The supervisor is the daemon's: the same store, process layer (without
 * cgroups), supervisor and dispatcher that daemon.c assembles, on the
 * default libuv loop. After each input the loop turns a few times without
 * waiting, so what the call set off happens (spawns, exits, timers due).
 * An input that wrote anything leaves nothing behind for the next one:
 * every process of the cage is killed (this process is the PID
 * namespace's process 1, sandbox.h), the supervisor shuts down, and a new
 * one starts on a fresh database; inputs stay independent and memory
 * bounded. All of this runs inside the cage that sandbox_enter builds.
 */
#include <ftw.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "answer_check.h"
#include "api/methods.h"
#include "base/paths.h"
#include "daemon/process/process.h"
#include "daemon/store_watch.h"
#include "daemon/supervisor.h"
#include "sandbox.h"
#include "store/retention.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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
    api_ctx api;
    rpc_dispatcher rpc;
    uv_timer_t watchdog;
    unsigned long inputs, resets; /* said at exit */
} t;

static void say_counts(void)
{
    fprintf(stderr, "fuzz-rpc: %lu inputs, %lu of them wrote and were cleared away\n", t.inputs,
            t.resets);
}

static void open_instance(void)
{
    char err[512];
    if (store_open(t.paths.db, &t.st, err, sizeof(err)) < 0 ||
        !(t.writes = store_pruner_new(t.st, err, sizeof(err)))) {
        fprintf(stderr, "fuzz-rpc: %s\n", err);
        abort();
    }
    store_watch_start(t.loop, t.st);
    t.sv = supervisor_new(t.loop, t.st, t.paths.logs);
    if (!t.sv) abort();
    t.api = (api_ctx){.sv = t.sv, .st = t.st};
    api_dispatcher_init(&t.rpc, &t.api);
}

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb, (void)flag;
    if (ftw->level > 0) remove(path);
    return 0;
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

/* Back to an empty TEND_HOME: no process, no spec, no history. */
static void reset_instance(void)
{
    bool idle = false;
    kill(-1, SIGKILL);
    supervisor_shutdown(t.sv, on_idle, &idle);
    uv_timer_start(&t.watchdog, on_watchdog, SHUTDOWN_LIMIT_MS, 0);
    while (!idle) {
        uv_run(t.loop, UV_RUN_ONCE);
        /* A spawn that was under way when the first kill went out. */
        kill(-1, SIGKILL);
    }
    uv_timer_stop(&t.watchdog);
    supervisor_free(t.sv);
    store_watch_stop();
    store_pruner_free(t.writes);
    store_close(t.st);
    for (int i = 0; i < LOOP_TURNS; i++) uv_run(t.loop, UV_RUN_NOWAIT); /* closing handles */
    nftw(t.paths.state_dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    if (tend_paths_create(&t.paths) < 0) abort();
    open_instance();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    char err[512] = "";
    if (sandbox_enter(*argc, *argv, err, sizeof(err)) < 0) {
        fprintf(stderr, "fuzz-rpc: refusing to run: %s\n", err);
        exit(1);
    }
    setenv("TEND_HOME", SANDBOX_TMP "/tend-fuzz", 1);
    signal(SIGPIPE, SIG_IGN);
    t.loop = uv_default_loop();
    if (tend_paths_init(&t.paths) < 0 || tend_paths_create(&t.paths) < 0 ||
        process_layer_init(t.loop, t.paths.state_dir, false) < 0) {
        fprintf(stderr, "fuzz-rpc: cannot set up TEND_HOME and the process layer\n");
        exit(1);
    }
    uv_timer_init(t.loop, &t.watchdog);
    uv_unref((uv_handle_t *)&t.watchdog);
    open_instance();
    atexit(say_counts);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *body = (const char *)data;
    char *answer = rpc_handle(&t.rpc, body, size);
    const char *wrong = answer_check(&t.rpc, body, size, answer);
    if (wrong) {
        fprintf(stderr, "fuzz-rpc: wrong answer: %s\nrequest: %.*s\nanswer: %s\n", wrong,
                (int)(size < 4096 ? size : 4096), body, answer ? answer : "(none)");
        abort();
    }
    free(answer);
    for (int i = 0; i < LOOP_TURNS; i++) uv_run(t.loop, UV_RUN_NOWAIT);
    t.inputs++;
    if (store_pruner_writes(t.writes) > 0) {
        t.resets++;
        reset_instance();
    }
    return 0;
}
