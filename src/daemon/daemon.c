/* daemon.c — `tend daemon`: the supervisor process. Runs in the
 * foreground (fit for systemd, a container's PID 1 or a terminal), owns
 * one libuv loop, and stops every job before it exits on SIGTERM, SIGINT or
 * SIGHUP (its terminal went away: services must not be left orphaned).
 *
 * Start-up: paths, the lock, the store, the registry (from -c FILE, else
 * the specs the store kept), the runs and processes a daemon before this
 * one left (adopted), the API socket, the dashboard's loopback port, then
 * the services that are wanted and not running yet.
 */
#include "daemon/daemon.h"
#include "base/clock.h"

#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <unistd.h>

#include "api/dashboard.h"
#include "api/httpd.h"
#include "api/methods.h"
#include "api/metrics.h"
#include "api/sse.h"
#include "base/paths.h"
#include "daemon/http_check.h"
#include "daemon/loop_lag.h"
#include "daemon/process/process.h"
#include "daemon/supervisor.h"

static const char daemon_usage[] =
    "usage: tend daemon [-c FILE] [--http HOST:PORT|off] [--no-cgroups]\n"
    "\n"
    "Runs the supervisor in the foreground until SIGTERM, SIGINT or SIGHUP, which stop\n"
    "every job first. With -c, the registry file is loaded (and stored);\n"
    "without it, the services stored by the last run come back.\n"
    "\n"
    "  -c, --config FILE  the registry to load\n"
    "  --http HOST:PORT   where the web dashboard listens: a loopback address\n"
    "                     (default 127.0.0.1:9120; port 0 takes a free one; off: none).\n"
    "                     `tend dashboard` prints its URL with the access token\n"
    "  --no-cgroups       keep each job's processes together by process group and\n"
    "                     the subreaper, even where a cgroup v2 per job is possible\n"
    "  -h, --help         this text\n"
    "\n"
    "Files: $TEND_HOME/tend.sock, tend.db, logs/ and dashboard.url (see tend --help).\n";

typedef struct {
    uv_loop_t *loop;
    store *st;
    supervisor *sv;
    httpd *http;
    sse_hub *events;
    dashboard *web;
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
    return r;
}

static void all_stopped(void *ctx)
{
    daemon_state *d = ctx;
    sse_hub_close(d->events);
    dashboard_stop(d->web);
    d->web = NULL;
    httpd_stop(d->http);
    sse_hub_free(d->events);
    d->http = NULL;
    uv_close((uv_handle_t *)&d->sigterm, NULL);
    uv_close((uv_handle_t *)&d->sigint, NULL);
    uv_close((uv_handle_t *)&d->sighup, NULL);
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

/* One daemon per TEND_HOME: an flock on state_dir/daemon.lock, held for
 * the daemon's life (a lock, not a pid file: it goes when the process
 * does, however it ends). The file says whose it is, for the message. */
static int take_daemon_lock(const tend_paths *paths)
{
    char path[4096], owner[32] = "";
    snprintf(path, sizeof(path), "%s/daemon.lock", paths->state_dir);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        fprintf(stderr, "tend daemon: cannot open %s: %s\n", path, strerror(errno));
        return -1;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
        int e = errno;
        ssize_t n = pread(fd, owner, sizeof(owner) - 1, 0);
        owner[n > 0 ? n : 0] = 0;
        owner[strcspn(owner, "\n")] = 0;
        if (e == EWOULDBLOCK)
            fprintf(stderr,
                    "tend daemon: another tend daemon%s%s%s runs on %s (it holds %s); stop it "
                    "first, or use another TEND_HOME\n",
                    owner[0] ? " (pid " : "", owner, owner[0] ? ")" : "", paths->state_dir, path);
        else
            fprintf(stderr, "tend daemon: cannot lock %s: %s\n", path, strerror(e));
        close(fd);
        return -1;
    }
    snprintf(owner, sizeof(owner), "%d\n", (int)getpid());
    if (ftruncate(fd, 0) == 0 && pwrite(fd, owner, strlen(owner), 0) < 0) {
        /* The lock holds without the words. */
    }
    return fd;
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

static int run_daemon(const char *config, int ready_fd, const char *http, bool cgroups)
{
    tend_paths paths;
    if (tend_paths_init(&paths) < 0) return 1;
    int rc = tend_paths_create(&paths);
    if (rc < 0) {
        fprintf(stderr, "tend daemon: cannot create %s: %s\n", paths.state_dir, strerror(-rc));
        tend_paths_free(&paths);
        return 1;
    }
    int lock_fd = take_daemon_lock(&paths);
    if (lock_fd < 0) {
        tend_paths_free(&paths);
        return 1;
    }
    registry *from_file = NULL;
    if (config) {
        diag_list diags;
        diag_init(&diags, config);
        from_file = registry_load_file(config, &diags);
        diag_sort(&diags);
        diag_print(&diags, stderr);
        diag_free(&diags);
        if (!from_file) {
            close(lock_fd);
            tend_paths_free(&paths);
            return 1;
        }
    }
    daemon_state d = {.loop = uv_default_loop()};
    char err[512];
    if (store_open(paths.db, &d.st, err, sizeof(err)) < 0) {
        fprintf(stderr, "tend daemon: %s\n", err);
        registry_free(from_file);
        close(lock_fd);
        tend_paths_free(&paths);
        return 1;
    }
    signal(SIGPIPE, SIG_IGN);
    /* The spawner's threads allocate a little; an arena each would cost
     * megabytes of resident memory for nothing. */
    mallopt(M_ARENA_MAX, 1);
    raise_fd_limit();
    if (process_layer_init(d.loop, paths.state_dir, cgroups) < 0) {
        fprintf(stderr, "tend daemon: cannot watch child processes\n");
        store_close(d.st);
        registry_free(from_file);
        close(lock_fd);
        tend_paths_free(&paths);
        return 1;
    }
    fprintf(stderr, "tend daemon: each job's processes kept together by %s\n",
            process_layer_containment());
    d.sv = supervisor_new(d.loop, d.st, paths.logs);
    registry *r = from_file ? from_file : stored_registry(d.st);
    supervisor_apply(d.sv, r, NULL);
    supervisor_restore_wanted(d.sv);
    int ended = 0, adopted = supervisor_adopt(d.sv, &ended);
    if (adopted > 0 || ended > 0)
        fprintf(stderr,
                "tend daemon: took over from the daemon before: %d running process(es) adopted, "
                "%d job(s) had ended while no daemon ran\n",
                adopted, ended);
    api_ctx api = {.sv = d.sv, .st = d.st};
    rpc_dispatcher dispatcher;
    api_dispatcher_init(&dispatcher, &api);
    d.http = httpd_start(d.loop, paths.socket, &dispatcher, err, sizeof(err));
    if (!d.http) {
        fprintf(stderr, "tend daemon: %s\n", err);
        supervisor_free(d.sv);
        process_layer_close();
        uv_run(d.loop, UV_RUN_DEFAULT);
        store_close(d.st);
        close(lock_fd);
        tend_paths_free(&paths);
        return 1;
    }
    d.events = sse_hub_new(d.loop, d.http, d.st);
    metrics_register(d.http, &api);
    start_dashboard(&d, http, &paths, &dispatcher, &api);
    loop_lag_start(d.loop);
    uv_signal_init(d.loop, &d.sigterm);
    uv_signal_init(d.loop, &d.sigint);
    uv_signal_init(d.loop, &d.sighup);
    d.sigterm.data = d.sigint.data = d.sighup.data = &d;
    uv_signal_start(&d.sigterm, on_stop_signal, SIGTERM);
    uv_signal_start(&d.sigint, on_stop_signal, SIGINT);
    uv_signal_start(&d.sighup, on_stop_signal, SIGHUP);
    double t0 = wall_now();
    supervisor_start_wanted(d.sv);
    fprintf(stderr, "tend daemon: %zu services (wanted ones started in %.3f s); listening on %s\n",
            supervisor_registry(d.sv)->n_services, wall_now() - t0, paths.socket);
    signal_ready(ready_fd, adopted > 0 ? adopted : 0);
    uv_run(d.loop, UV_RUN_DEFAULT);

    supervisor_free(d.sv);
    http_checks_close();
    loop_lag_stop();
    process_layer_close();
    uv_run(d.loop, UV_RUN_DEFAULT); /* let the handles close */
    uv_loop_close(d.loop);
    store_close(d.st);
    close(lock_fd);
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
        {0},
    };
    const char *config = NULL, *http = "127.0.0.1:9120";
    int ready_fd = -1;
    bool cgroups = true;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "c:h", options, NULL)) != -1) {
        switch (c) {
        case 'c': config = optarg; break;
        case 'h': fputs(daemon_usage, stdout); return 0;
        case 'r': ready_fd = atoi(optarg); break;
        case 'G': cgroups = false; break;
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
    return run_daemon(config, ready_fd, http, cgroups);
}
