/* daemon.c — `tend daemon`: the supervisor process. Runs in the
 * foreground (fit for systemd, a container's PID 1 or a terminal), owns
 * one libuv loop, and stops every job before it exits on SIGTERM, SIGINT or
 * SIGHUP (its terminal went away: services must not be left orphaned).
 *
 * Start-up: paths and the lock (takeover.c); then this process becomes
 * the keeper (process/keeper.h), and its child, the main process, comes
 * back here as `tend daemon --main-fd FD`: the store, the registry the
 * store kept, the runs and processes a daemon before this one left
 * (adopted under that registry, so none is lost for want of its spec),
 * then -c FILE applied over it as `tend apply` would (what FILE drops is
 * stopped and forgotten, and said), the API socket (the keeper's copy, if
 * it held one), the dashboard's loopback port, then the services that are
 * wanted and not running yet. A main process the keeper starts again
 * after the one before died (--resumed) goes on with the stored registry:
 * FILE was applied once, and what `tend apply` changed since stays.
 */
#include "daemon/adapters/adapter.h"
#include "daemon/daemon.h"
#include "base/clock.h"

#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "api/auth.h"
#include "api/dashboard.h"
#include "api/httpd.h"
#include "api/methods.h"
#include "api/metrics.h"
#include "api/remote.h"
#include "api/sse.h"
#include "base/job_umask.h"
#include "base/paths.h"
#include "daemon/http_check.h"
#include "daemon/launch.h"
#include "daemon/loop_lag.h"
#include "daemon/notify.h"
#include "daemon/process/process.h"
#include "daemon/pruner.h"
#include "daemon/store_watch.h"
#include "daemon/supervisor.h"
#include "daemon/takeover.h"
#include "store/retention.h"

static const char daemon_usage[] =
    "usage: tend daemon [-c FILE] [--http HOST:PORT|off] [--no-cgroups]\n"
    "                   [--listen IP:PORT]... [--tls-cert FILE --tls-key FILE\n"
    "                   [--tls-client-ca FILE]]\n"
    "\n"
    "Runs the supervisor in the foreground until SIGTERM, SIGINT or SIGHUP, which stop\n"
    "every job first. With -c, FILE becomes the registry as `tend apply` makes it:\n"
    "stored services it does not declare are stopped and dropped (and named).\n"
    "Without it, the services stored by the last run come back, each wanted as it was.\n"
    "\n"
    "  -c, --config FILE  the registry to load\n"
    "  --http HOST:PORT   where the web dashboard listens: a loopback address\n"
    "                     (default 127.0.0.1:9120; port 0 takes a free one; off: none).\n"
    "                     `tend dashboard` prints its URL with the access token\n"
    "  --listen IP:PORT   serve the API to other hosts there too (repeatable; port 0\n"
    "                     takes a free one): the same /rpc, /events, /logs, /metrics,\n"
    "                     each request with a token (Authorization: Bearer). Plain\n"
    "                     HTTP only on a loopback address; elsewhere TLS:\n"
    "  --tls-cert FILE    the server's certificate (PEM; its chain may follow)\n"
    "  --tls-key FILE     its private key (PEM)\n"
    "  --tls-client-ca FILE  take only clients whose certificate this CA signed\n"
    "                     (`tend --host ... --cert FILE --key FILE`)\n"
    "                     These replace the registry's [daemon] table, key by key\n"
    "  --no-cgroups       keep each job's processes together by process group and\n"
    "                     the subreaper, even where a cgroup v2 per job is possible\n"
    "  -h, --help         this text\n"
    "\n"
    "Files: $TEND_HOME/tend.sock, tend.db, logs/, dashboard.url and dashboard.token (the\n"
    "dashboard's access token; see tend token --help), 0600 in folders of yours alone\n"
    "(0700; others refused): umask 077; jobs get the umask the daemon was started\n"
    "with, or their action's `umask`.\n";

typedef struct {
    uv_loop_t *loop;
    store *st;
    supervisor *sv;
    httpd *http;
    sse_hub *events;
    dashboard *web;
    remote *remote;
    pruner *history;
    uv_signal_t sigterm, sigint, sighup;
    bool stopping;
} daemon_state;

static int collect_spec(void *ctx, const char *name, const char *spec_json, const char *wanted)
{
    json_t *into = ctx;
    json_t *spec = json_loads(spec_json, 0, NULL);
    if (spec)
        json_object_set_new(json_object_get(into, wanted ? "services" : "actions"), name, spec);
    return 0;
}

/* The registry the store kept from the last run (empty when none). */
static registry *stored_registry(store *st)
{
    json_t *doc = json_pack("{s:{}, s:{}}", "services", "actions");
    store_services_each(st, collect_spec, doc);
    store_actions_each(st, collect_spec, doc);
    char *retention = store_setting_get(st, STORE_RETENTION);
    json_t *keep = retention ? json_loads(retention, 0, NULL) : NULL;
    if (keep) json_object_set_new(doc, "retention", keep);
    free(retention);
    char *listen = store_setting_get(st, STORE_DAEMON);
    json_t *serve = listen ? json_loads(listen, 0, NULL) : NULL;
    if (serve) json_object_set_new(doc, "daemon", serve);
    free(listen);
    diag_list diags;
    diag_init(&diags, "(stored registry)");
    registry *r = registry_from_json(doc, &diags);
    if (!r) {
        fprintf(stderr, "tend: the stored registry is invalid; starting with none\n");
        diag_print(&diags, stderr);
        json_t *empty = json_object();
        r = registry_from_json(empty, &diags);
        json_decref(empty);
    }
    diag_free(&diags);
    json_decref(doc);
    /* Under the name of the file it was read from, if any (registry.get). */
    char *file = store_setting_get(st, STORE_REGISTRY_FILE);
    if (file) {
        free(r->path);
        r->path = file;
    }
    return r;
}

static void all_stopped(void *ctx)
{
    daemon_state *d = ctx;
    sse_hub_close(d->events);
    dashboard_stop(d->web);
    d->web = NULL;
    remote_stop(d->remote);
    d->remote = NULL;
    httpd_stop(d->http);
    sse_hub_free(d->events);
    d->http = NULL;
    uv_close((uv_handle_t *)&d->sigterm, NULL);
    uv_close((uv_handle_t *)&d->sigint, NULL);
    uv_close((uv_handle_t *)&d->sighup, NULL);
    takeover_close();
}

static void on_stop_signal(uv_signal_t *handle, int signum)
{
    daemon_state *d = handle->data;
    if (d->stopping) {
        fprintf(stderr, "tend: %s again: still waiting for jobs to stop\n", strsignal(signum));
        return;
    }
    d->stopping = true;
    fprintf(stderr, "tend: %s: stopping every job\n", strsignal(signum));
    supervisor_shutdown(d->sv, all_stopped, d);
}

/* A thousand jobs need three thousand descriptors (two pipes and a log each). */
static void raise_fd_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

/* Tells a waiting client (tend's autostart) that the daemon listens, and
 * how many running processes it adopted: "1 ADOPTED\n". */
static void signal_ready(int fd, int adopted)
{
    if (fd < 0) return;
    char line[32];
    int len = snprintf(line, sizeof(line), "1 %d\n", adopted);
    ssize_t n = write(fd, line, (size_t)len);
    (void)n;
    close(fd);
}

/* The dashboard, unless --http off; a port that cannot be had costs the
 * dashboard, not the daemon. */
static void start_dashboard(daemon_state *d, const char *http, const tend_paths *paths,
                            const rpc_dispatcher *rpc, api_ctx *api)
{
    char host[64], err[256], *url_file = NULL;
    int port = 0;
    if (strcmp(http, "off") == 0) return;
    if (dashboard_parse_address(http, host, sizeof(host), &port, err, sizeof(err)) < 0 ||
        asprintf(&url_file, "%s/dashboard.url", paths->state_dir) < 0 ||
        !(d->web = dashboard_start(d->loop, host, port, rpc, d->events, api, url_file, err,
                                   sizeof(err)))) {
        fprintf(stderr, "tend daemon: no dashboard: %s\n", err);
        free(url_file);
        return;
    }
    free(url_file);
    /* The token goes to a terminal, never into a log file. */
    if (isatty(STDERR_FILENO))
        fprintf(stderr, "tend daemon: dashboard at %s\n", dashboard_url(d->web));
    else
        fprintf(stderr, "tend daemon: dashboard at %s (`tend dashboard` prints its URL)\n",
                dashboard_address(d->web));
}

/* Says which stored services FILE did not declare: they were stopped and
 * dropped with their history, not hidden until a daemon without -c. */
static void report_dropped(const char *config, json_t *plan)
{
    json_t *removed = json_object_get(plan, "removed");
    size_t n = json_array_size(removed);
    if (!n) return;
    fprintf(stderr, "tend daemon: %s does not declare %zu service(s) the store had: ", config, n);
    for (size_t i = 0; i < n; i++)
        fprintf(stderr, "%s%s", i ? ", " : "", json_string_value(json_array_get(removed, i)));
    fputs("; stopped and dropped with their history\n", stderr);
}

/* The remote API as the command line (cli) and the registry's [daemon]
 * table say, the command line's options first, key by key; *out NULL
 * when it listens nowhere. -1 after saying why it cannot be. */
static int prepare_remote(const remote_config *cli, const registry *r, remote **out)
{
    const daemon_spec *table = r ? &r->daemon : &(daemon_spec){0};
    remote_config cfg = {
        .listen = cli->listen ? cli->listen : table->listen,
        .tls_cert = cli->tls_cert ? cli->tls_cert : table->tls_cert,
        .tls_key = cli->tls_key ? cli->tls_key : table->tls_key,
        .tls_client_ca = cli->tls_client_ca ? cli->tls_client_ca : table->tls_client_ca,
    };
    *out = NULL;
    char err[512];
    if (!cfg.listen || !cfg.listen[0]) {
        if (cli->tls_cert || cli->tls_key || cli->tls_client_ca)
            fprintf(stderr, "tend daemon: --tls-* options without --listen (or a [daemon] listen "
                            "in the registry): nothing would use them\n");
        return cli->tls_cert || cli->tls_key || cli->tls_client_ca ? -1 : 0;
    }
    if (!(*out = remote_prepare(&cfg, err, sizeof(err)))) {
        fprintf(stderr, "tend daemon: cannot serve the remote API: %s\n", err);
        return -1;
    }
    return 0;
}

/* The remote API's listeners, which take the API's tokens. Like the
 * dashboard's, an address that cannot be had costs the remote API, not
 * the daemon (nor, after a crash, the jobs it adopted); bad options and
 * files were refused before anything started. */
static void start_remote(daemon_state *d, const rpc_dispatcher *rpc, api_ctx *api)
{
    char err[512];
    if (!d->remote) return;
    if (!api->tokens)
        snprintf(err, sizeof(err), "it takes the API's tokens, and there are none (see above)");
    if (!api->tokens || remote_start(d->remote, d->loop, rpc, d->events, api, auth_guard,
                                     api->tokens, err, sizeof(err)) < 0) {
        fprintf(stderr, "tend daemon: no remote API: %s\n", err);
        remote_stop(d->remote);
        d->remote = NULL;
        return;
    }
    for (size_t i = 0; i < remote_count(d->remote); i++)
        fprintf(stderr, "tend daemon: remote API at %s\n", remote_url(d->remote, i));
}

static int run_daemon(const char *config, int ready_fd, const char *http, bool cgroups, int main_fd,
                      bool resumed, const remote_config *remote_cli, int argc, char **argv)
{
    /* Before the first file: everything the daemon writes is its user's alone. */
    job_umask_enter_daemon();
    tend_paths paths;
    if (tend_paths_init(&paths) < 0) return 1;
    char path_err[1024];
    if (tend_paths_create(&paths, path_err, sizeof(path_err)) < 0) {
        fprintf(stderr, "tend daemon: %s\n", path_err);
        tend_paths_free(&paths);
        return 1;
    }
    tend_paths_tighten(&paths);
    /* The main process under a keeper: the keeper holds the lock. */
    int lock_fd = -1, keeper_sock = main_fd;
    if (main_fd >= 0) fcntl(main_fd, F_SETFD, FD_CLOEXEC);
    if (main_fd < 0) {
        lock_fd = takeover_lock(paths.state_dir);
        if (lock_fd < 0) {
            tend_paths_free(&paths);
            return 1;
        }
        takeover_become_keeper(lock_fd, ready_fd, argc, argv);
    }
    registry *from_file = NULL;
    if (config && !resumed) {
        /* Kept absolute: registry.get tells clients in other folders. */
        char *absolute = realpath(config, NULL);
        diag_list diags;
        diag_init(&diags, config);
        from_file = registry_load_file(absolute ? absolute : config, &diags);
        free(absolute);
        diag_sort(&diags);
        diag_print(&diags, stderr);
        diag_free(&diags);
        if (!from_file) {
            if (lock_fd >= 0) close(lock_fd);
            tend_paths_free(&paths);
            return 1;
        }
    }
    daemon_state d = {.loop = uv_default_loop()};
    /* Bad TLS files change nothing: checked before the store is touched
     * (with FILE's [daemon] table; without FILE, once the store gave the
     * one it kept). */
    if (from_file && prepare_remote(remote_cli, from_file, &d.remote) < 0) {
        registry_free(from_file);
        if (lock_fd >= 0) close(lock_fd);
        tend_paths_free(&paths);
        return 1;
    }
    char err[512];
    if (store_open(paths.db, &d.st, err, sizeof(err)) < 0) {
        fprintf(stderr, "tend daemon: %s\n", err);
        registry_free(from_file);
        if (lock_fd >= 0) close(lock_fd);
        tend_paths_free(&paths);
        return 1;
    }
    store_watch_start(d.loop, d.st);
    signal(SIGPIPE, SIG_IGN);
    /* The spawner's threads allocate a little; an arena each would cost
     * megabytes of resident memory for nothing. */
    mallopt(M_ARENA_MAX, 1);
    raise_fd_limit();
    adapters_init(paths.state_dir);
    launch_init();
    if (process_layer_init(d.loop, paths.state_dir, cgroups) < 0) {
        fprintf(stderr, "tend daemon: cannot watch child processes\n");
        store_close(d.st);
        registry_free(from_file);
        if (lock_fd >= 0) close(lock_fd);
        tend_paths_free(&paths);
        return 1;
    }
    fprintf(stderr, "tend daemon: each job's processes kept together by %s\n",
            process_layer_containment());
    if (keeper_sock >= 0 && process_layer_keeper(keeper_sock, takeover_keeper_lost) < 0)
        fprintf(stderr, "tend daemon: the keeper does not answer; going on without it\n");
    if (keeper_sock >= 0) notify_set_daemon_pid(getppid());
    d.sv = supervisor_new(d.loop, d.st, paths.logs);
    supervisor_apply_stored(d.sv, stored_registry(d.st));
    supervisor_restore_wanted(d.sv);
    double adopt_t0 = wall_now();
    int ended = 0, adopted = supervisor_adopt(d.sv, &ended);
    if (adopted > 0 || ended > 0)
        fprintf(stderr,
                "tend daemon: took over from the daemon before: %d running process(es) adopted, "
                "%d job(s) had ended while no daemon ran (in %.3f s)\n",
                adopted, ended, wall_now() - adopt_t0);
    if (from_file) {
        json_t *plan = NULL;
        supervisor_apply_at_boot(d.sv, from_file, &plan);
        report_dropped(config, plan);
        json_decref(plan);
    }
    /* The API's tokens, the dashboard's among them (its text in a file of
     * its own, for a Prometheus bearer_token_file). */
    char *token_file = NULL;
    if (asprintf(&token_file, "%s/dashboard.token", paths.state_dir) < 0) token_file = NULL;
    if (!token_file) snprintf(err, sizeof(err), "out of memory");
    token_set *tokens = token_file ? token_set_load(d.st, token_file, err, sizeof(err)) : NULL;
    free(token_file);
    if (!tokens) fprintf(stderr, "tend daemon: no access tokens, no dashboard: %s\n", err);
    api_ctx api = {.sv = d.sv, .st = d.st, .tokens = tokens};
    rpc_dispatcher dispatcher;
    api_dispatcher_init(&dispatcher, &api);
    /* The API's socket outlives a main process: the keeper holds it, and
     * clients that connect while none runs wait in its backlog. */
    int kept[2], api_fd = process_kept_fds(TAKEOVER_API_SOCKET, kept) ? kept[0] : -1;
    bool remote_ok =
        from_file || prepare_remote(remote_cli, supervisor_registry(d.sv), &d.remote) == 0;
    d.http =
        remote_ok ? httpd_start(d.loop, paths.socket, api_fd, &dispatcher, err, sizeof(err)) : NULL;
    if (d.http && api_fd < 0) process_keep_fds(TAKEOVER_API_SOCKET, httpd_listen_fd(d.http), -1);
    if (!d.http) {
        if (remote_ok) fprintf(stderr, "tend daemon: %s\n", err);
        remote_stop(d.remote);
        supervisor_free(d.sv);
        store_watch_stop();
        process_layer_close();
        uv_run(d.loop, UV_RUN_DEFAULT);
        store_close(d.st);
        if (lock_fd >= 0) close(lock_fd);
        tend_paths_free(&paths);
        return 1;
    }
    d.history = pruner_start(d.loop, d.st, d.sv);
    d.events = sse_hub_new(d.loop, d.http, d.st);
    metrics_register(d.http, &api);
    if (tokens) start_dashboard(&d, http, &paths, &dispatcher, &api);
    start_remote(&d, &dispatcher, &api);
    loop_lag_start(d.loop);
    uv_signal_init(d.loop, &d.sigterm);
    uv_signal_init(d.loop, &d.sigint);
    uv_signal_init(d.loop, &d.sighup);
    d.sigterm.data = d.sigint.data = d.sighup.data = &d;
    uv_signal_start(&d.sigterm, on_stop_signal, SIGTERM);
    uv_signal_start(&d.sigint, on_stop_signal, SIGINT);
    uv_signal_start(&d.sighup, on_stop_signal, SIGHUP);
    takeover_daemon successor = {.loop = d.loop,
                                 .st = d.st,
                                 .sv = d.sv,
                                 .state_dir = paths.state_dir,
                                 .api_fd = httpd_listen_fd(d.http)};
    takeover_watch(&successor);
    double t0 = wall_now();
    supervisor_start_wanted(d.sv);
    fprintf(stderr, "tend daemon: %zu services (wanted ones started in %.3f s); listening on %s\n",
            supervisor_registry(d.sv)->n_services, wall_now() - t0, paths.socket);
    process_layer_ready();
    signal_ready(ready_fd, adopted > 0 ? adopted : 0);
    uv_run(d.loop, UV_RUN_DEFAULT);

    supervisor_free(d.sv);
    store_watch_stop();
    pruner_stop(d.history);
    http_checks_close();
    loop_lag_stop();
    process_layer_close();
    uv_run(d.loop, UV_RUN_DEFAULT); /* let the handles close */
    uv_loop_close(d.loop);
    token_set_free(tokens);
    store_close(d.st);
    if (lock_fd >= 0) close(lock_fd);
    tend_paths_free(&paths);
    fprintf(stderr, "tend daemon: stopped\n");
    return 0;
}

int daemon_main(int argc, char **argv)
{
    static const struct option options[] = {
        {"config", required_argument, NULL, 'c'},
        {"help", no_argument, NULL, 'h'},
        {"ready-fd", required_argument, NULL, 'r'},
        {"http", required_argument, NULL, 'H'},
        {"no-cgroups", no_argument, NULL, 'G'},
        {"main-fd", required_argument, NULL, 'M'},
        {"resumed", no_argument, NULL, 'R'},
        {"listen", required_argument, NULL, 'L'},
        {"tls-cert", required_argument, NULL, 'C'},
        {"tls-key", required_argument, NULL, 'K'},
        {"tls-client-ca", required_argument, NULL, 'T'},
        {0},
    };
    static char *listen[REMOTE_MAX_LISTEN + 1];
    size_t n_listen = 0;
    remote_config remote_cli = {0};
    const char *config = NULL, *http = "127.0.0.1:9120";
    int ready_fd = -1, main_fd = -1;
    bool cgroups = true, resumed = false;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "c:h", options, NULL)) != -1) {
        switch (c) {
        case 'c': config = optarg; break;
        case 'h': fputs(daemon_usage, stdout); return 0;
        case 'r': ready_fd = atoi(optarg); break;
        case 'G': cgroups = false; break;
        case 'M': main_fd = atoi(optarg); break;
        case 'R': resumed = true; break;
        case 'L':
            if (n_listen == REMOTE_MAX_LISTEN) {
                fprintf(stderr, "tend daemon: --listen: at most %d addresses\n", REMOTE_MAX_LISTEN);
                return 2;
            }
            listen[n_listen++] = optarg;
            remote_cli.listen = listen;
            break;
        case 'C': remote_cli.tls_cert = optarg; break;
        case 'K': remote_cli.tls_key = optarg; break;
        case 'T': remote_cli.tls_client_ca = optarg; break;
        case 'H': {
            char host[64], err[256];
            int port;
            if (strcmp(optarg, "off") != 0 &&
                dashboard_parse_address(optarg, host, sizeof(host), &port, err, sizeof(err)) < 0) {
                fprintf(stderr, "tend daemon: --http %s\n", err);
                return 2;
            }
            http = optarg;
            break;
        }
        default: fputs(daemon_usage, stderr); return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "tend daemon: unexpected argument '%s'\n%s", argv[optind], daemon_usage);
        return 2;
    }
    /* The words of an address (not yet whether it needs TLS). */
    for (size_t i = 0; i < n_listen; i++) {
        char err[512];
        if (remote_check_address(listen[i], true, err, sizeof(err)) < 0) {
            fprintf(stderr, "tend daemon: --listen %s\n", err);
            return 2;
        }
    }
    return run_daemon(config, ready_fd, http, cgroups, main_fd, resumed, &remote_cli, argc, argv);
}
