/* cmd_platform.c — `tend platform start|stop|restart|status|health` (and `tend
 * up`, `tend down`): many services at once, with progress that follows the
 * daemon's event stream (no polling) until each one has settled. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/strv.h"
#include "cli/api_client.h"
#include "cli/cli.h"

static const char platform_usage[] =
    "usage: tend platform COMMAND [NAME...] [--force] [--json] [--no-autostart]\n"
    "\n"
    "  start [NAME...] [--force]  start the named services (default: every auto_start one),\n"
    "                             dependencies first, and wait until each runs or fails;\n"
    "                             --force restarts those already running\n"
    "  stop [NAME...] [--force]   stop the named services (default: every running one),\n"
    "                             dependents first; --force even while dependents run\n"
    "  restart [NAME...]          restart the named services (default: every running one)\n"
    "  status                     every service by category: state and uptime\n"
    "  health                     every service's health: the last check's outcome, and\n"
    "                             \"N healthy, N unhealthy, N not running\" (exit 1 if any\n"
    "                             is unhealthy)\n"
    "  logs NAME [--lines N] [--follow]\n"
    "                             its latest output; --follow keeps printing new lines\n"
    "\n"
    "Exit status: 0 success, 1 a service failed, 2 usage error, 3 daemon unreachable.\n";

/* Progress for people; with --json only the final JSON is printed. */
#define SAY(p, ...)                                                                                \
    do {                                                                                           \
        if (!(p)->json) printf(__VA_ARGS__);                                                       \
    } while (0)

typedef struct {
    char **names;   /* the services being waited for */
    char **settled; /* those that got there (or failed) */
    char **waiting; /* those said to be waiting for a dependency */
    bool stopping;  /* waiting for inactive rather than running */
    bool fancy;
    bool json; /* no progress lines: the final statuses as JSON instead */
    int failures;
} progress;

static const char *state_of(json_t *st)
{
    const char *s = json_string_value(json_object_get(st, "state"));
    return s ? s : "?";
}

/* Prints a service's outcome once; returns whether it has settled. */
static bool report(progress *p, const char *name)
{
    if (strv_contains(p->settled, name)) return true;
    json_t *st = NULL, *params = json_pack("{s:s}", "name", name);
    call_error err = {0};
    call_status got = api_call("service.status", params, &st, &err);
    json_decref(params);
    if (got != CALL_OK) return false;
    const char *state = state_of(st);
    bool done_ok = p->stopping ? strcmp(state, "inactive") == 0
                               : strcmp(state, "running") == 0 || strcmp(state, "success") == 0;
    bool done_bad =
        p->stopping ? false : strcmp(state, "failed") == 0 || strcmp(state, "exited") == 0;
    const char *why = json_string_value(json_object_get(st, "reason"));
    if (!done_ok && !done_bad && why && strncmp(why, "waiting for ", 12) == 0 &&
        !strv_contains(p->waiting, name)) {
        strv_push(&p->waiting, name);
        SAY(p, "%s%s: %s\n", p->fancy ? "⏳ " : "", name, why);
        fflush(stdout);
    }
    if (done_ok || done_bad) {
        strv_push(&p->settled, name);
        const char *reason = json_string_value(json_object_get(st, "reason"));
        json_t *pid = json_object_get(st, "pid");
        if (done_bad) {
            p->failures++;
            SAY(p, "%s%s failed: %s\n", p->fancy ? "❌ " : "", name, reason ? reason : state);
        } else if (p->stopping) {
            SAY(p, "%sStopped %s\n", p->fancy ? "⚪ " : "", name);
        } else if (json_is_integer(pid)) {
            SAY(p, "%sStarted %s with PID %lld\n", p->fancy ? "✅ " : "", name,
                (long long)json_integer_value(pid));
        } else {
            SAY(p, "%s%s: %s\n", p->fancy ? "✅ " : "", name, state);
        }
        fflush(stdout);
    }
    json_decref(st);
    return done_ok || done_bad;
}

static bool all_settled(progress *p)
{
    bool all = true;
    for (size_t i = 0; p->names && p->names[i]; i++) all &= report(p, p->names[i]);
    return all;
}

static int on_event(json_t *ev, void *ctx)
{
    progress *p = ctx;
    const char *service = json_string_value(json_object_get(ev, "service"));
    if (!service || !strv_contains(p->names, service)) return 0;
    return all_settled(p);
}

static json_int_t last_event_id(void)
{
    json_t *tail = NULL, *params = json_pack("{s:i}", "tail", 1);
    call_error err = {0};
    json_int_t id = 0;
    call_status got = api_call("events.list", params, &tail, &err);
    json_decref(params);
    if (got == CALL_OK) id = json_integer_value(json_object_get(json_array_get(tail, 0), "id"));
    json_decref(tail);
    return id;
}

/* Names given, or the services the filter picks from service.list. */
static char **pick(char **given, int n, bool (*want)(json_t *s))
{
    char **names = NULL;
    for (int i = 0; i < n; i++) strv_push(&names, given[i]);
    if (n) return names;
    json_t *list = NULL;
    call_error err = {0};
    if (api_call("service.list", NULL, &list, &err) != CALL_OK) return NULL;
    size_t i;
    json_t *s;
    json_array_foreach(list, i, s) if (want(s))
        strv_push(&names, json_string_value(json_object_get(s, "name")));
    json_decref(list);
    return names ? names : strv_copy(NULL);
}

static bool is_auto_start(json_t *s)
{
    return json_is_true(json_object_get(s, "auto_start"));
}

static bool is_active(json_t *s)
{
    const char *st = state_of(s);
    return strcmp(st, "running") == 0 || strcmp(st, "starting") == 0;
}

/* Issues method for each name, then follows events until all settled. */
/* --json: every named service's status after the wait. */
static void print_statuses(char **names)
{
    json_t *all = json_array();
    for (size_t i = 0; names[i]; i++) {
        json_t *st = NULL, *params = json_pack("{s:s}", "name", names[i]);
        call_error err = {0};
        if (api_call("service.status", params, &st, &err) == CALL_OK)
            json_array_append_new(all, st);
        json_decref(params);
    }
    char *text = json_dumps(all, JSON_INDENT(2));
    puts(text);
    free(text);
    json_decref(all);
}

/* force: restart what runs (start), stop despite dependents (stop);
 * skip_checks: no pre-flight checks (start). */
static int act_and_wait(const char *method, char **names, bool force, bool stopping, bool json,
                        bool skip_checks)
{
    progress p = {.names = names, .stopping = stopping, .fancy = cli_fancy(stdout), .json = json};
    json_int_t after = last_event_id();
    for (size_t i = 0; names[i]; i++) {
        json_t *params = json_pack("{s:s}", "name", names[i]);
        bool starting = strcmp(method, "service.start") == 0;
        /* Without --force, a running service is left as it is. */
        if (starting) json_object_set_new(params, "replace_existing_jobs", json_boolean(force));
        if ((force && stopping) || (starting && skip_checks))
            json_object_set_new(params, "force", json_true());
        json_t *result = NULL;
        call_error err = {0};
        call_status st = api_call(method, params, &result, &err);
        json_decref(params);
        json_decref(result);
        if (st == CALL_UNREACHABLE) return cli_report_call(method, st, &err);
        if (st != CALL_OK && starting && strstr(err.message, " is already ")) {
            SAY(&p, "%s%s is already running\n", p.fancy ? "✅ " : "", names[i]);
            strv_push(&p.settled, names[i]);
            continue;
        }
        if (st != CALL_OK) {
            /* The daemon's words name the service already. */
            SAY(&p, "%s%s\n", p.fancy ? "❌ " : "", err.message);
            strv_push(&p.settled, names[i]);
            p.failures++;
            continue;
        }
        if (!stopping) SAY(&p, "%s%s\n", p.fancy ? "⏳ Starting " : "Starting ", names[i]);
        fflush(stdout);
    }
    if (!all_settled(&p)) {
        char query[64];
        snprintf(query, sizeof(query), "after=%lld", (long long)after);
        call_error err = {0};
        call_status st = api_follow_events(query, on_event, &p, &err);
        if (st != CALL_OK) return cli_report_call("events", st, &err);
    }
    if (json) print_statuses(names);
    size_t n = strv_len(names);
    SAY(&p, "%zu %s, %d failed\n", n - (size_t)p.failures, stopping ? "stopped" : "running",
        p.failures);
    strv_free(p.settled);
    strv_free(p.waiting);
    return p.failures ? EXIT_FAILED : EXIT_OK;
}

int cli_start_and_wait(char **names, bool json, bool skip_checks)
{
    return act_and_wait("service.start", names, false, false, json, skip_checks);
}

/* Everything that runs: the daemon stops it dependents first. */
static int stop_everything(char **running, bool json)
{
    progress p = {.names = running, .stopping = true, .fancy = cli_fancy(stdout), .json = json};
    json_int_t after = last_event_id();
    json_t *results = NULL;
    call_error err = {0};
    call_status st = api_call("service.stop_all", NULL, &results, &err);
    if (st != CALL_OK) return cli_report_call("service.stop_all", st, &err);
    json_decref(results);
    if (!all_settled(&p)) {
        char query[64];
        snprintf(query, sizeof(query), "after=%lld", (long long)after);
        st = api_follow_events(query, on_event, &p, &err);
        if (st != CALL_OK) return cli_report_call("events", st, &err);
    }
    if (json) print_statuses(running);
    SAY(&p, "%zu stopped\n", strv_len(running));
    strv_free(p.settled);
    strv_free(p.waiting);
    return EXIT_OK;
}

static int platform_status(bool json)
{
    json_t *all = NULL;
    call_error err = {0};
    call_status st = api_call("service.status_all", NULL, &all, &err);
    if (st != CALL_OK) return cli_report_call("service.status_all", st, &err);
    if (json) {
        char *text = json_dumps(all, JSON_INDENT(2));
        puts(text);
        free(text);
        json_decref(all);
        return EXIT_OK;
    }
    bool fancy = cli_fancy(stdout);
    size_t running = 0, i, k;
    json_t *s, *t;
    json_array_foreach(all, i, s) running += strcmp(state_of(s), "running") == 0;
    printf("Platform Services Status\nRunning: %zu/%zu\n", running, json_array_size(all));
    /* Categories in the order they first appear. */
    json_array_foreach(all, i, s)
    {
        const char *cat = json_string_value(json_object_get(s, "category"));
        bool seen = false;
        for (k = 0; k < i && !seen; k++) {
            const char *c2 = json_string_value(json_object_get(json_array_get(all, k), "category"));
            seen = (c2 && cat && strcmp(c2, cat) == 0) || (!c2 && !cat);
        }
        if (seen) continue;
        char upper[64];
        snprintf(upper, sizeof(upper), "%s", cat ? cat : "other");
        for (char *c = upper; *c; c++)
            if (*c >= 'a' && *c <= 'z') *c -= 32;
        printf("\n=== %s ===\n", upper);
        json_array_foreach(all, k, t)
        {
            const char *c2 = json_string_value(json_object_get(t, "category"));
            if (!((c2 && cat && strcmp(c2, cat) == 0) || (!c2 && !cat))) continue;
            const char *state = state_of(t);
            const char *mark = !fancy                           ? ""
                               : strcmp(state, "running") == 0  ? "🟢 "
                               : strcmp(state, "failed") == 0   ? "🔴 "
                               : strcmp(state, "starting") == 0 ? "🟡 "
                                                                : "⚪ ";
            json_t *up = json_object_get(t, "uptime");
            if (json_is_number(up))
                printf("%s%s - %s (uptime: %.0fs)\n", mark,
                       json_string_value(json_object_get(t, "name")), state,
                       floor(json_number_value(up)));
            else
                printf("%s%s - %s\n", mark, json_string_value(json_object_get(t, "name")), state);
        }
    }
    json_decref(all);
    return EXIT_OK;
}

static int platform_logs(const char *name, long lines, bool follow, bool json)
{
    json_t *st = NULL, *params = json_pack("{s:s}", "name", name);
    call_error err = {0};
    call_status got = api_call("service.status", params, &st, &err);
    json_decref(params);
    json_decref(st);
    if (got != CALL_OK) return cli_report_call("logs", got, &err);
    if (follow) return cli_follow_logs(name, lines, json);
    /* Without --follow the stream ends after the last lines. */
    char path[512];
    snprintf(path, sizeof(path), "/logs/%s?lines=%ld", name, lines);
    return cli_follow_logs_path(path, json);
}

int cmd_platform(int argc, char **argv)
{
    static const struct option options[] = {
        {"force", no_argument, NULL, 'f'},
        {"json", no_argument, NULL, 'j'},
        {"follow", no_argument, NULL, 'F'},
        {"lines", required_argument, NULL, 'n'},
        {"no-autostart", no_argument, NULL, 'A'},
        {"config", required_argument, NULL, 'c'},
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    if (argc < 2) {
        fputs(platform_usage, stderr);
        return EXIT_USAGE;
    }
    const char *sub = argv[1];
    if (strcmp(sub, "-h") == 0 || strcmp(sub, "--help") == 0) {
        fputs(platform_usage, stdout);
        return EXIT_OK;
    }
    bool force = false, json = false, follow = false;
    long lines = 50;
    int c;
    optind = 1;
    while ((c = getopt_long(argc - 1, argv + 1, "c:n:h", options, NULL)) != -1) {
        switch (c) {
        case 'f': force = true; break;
        case 'F': follow = true; break;
        case 'n': {
            char *end = NULL;
            lines = strtol(optarg, &end, 10);
            if (*end || lines < 1 || lines > 100000) {
                fputs("tend platform logs: --lines needs a number from 1 to 100000\n", stderr);
                return EXIT_USAGE;
            }
            break;
        }
        case 'j': json = true; break;
        case 'A': api_set_autostart(false); break;
        case 'c': return cli_refuse_config();
        case 'h': fputs(platform_usage, stdout); return EXIT_OK;
        default: fputs(platform_usage, stderr); return EXIT_USAGE;
        }
    }
    char **names = argv + 1 + optind;
    int n = argc - 1 - optind;
    if (strcmp(sub, "status") == 0 && n == 0) return platform_status(json);
    if (strcmp(sub, "health") == 0 && n == 0) return cli_platform_health(json);
    if (strcmp(sub, "logs") == 0 && n == 1) return platform_logs(names[0], lines, follow, json);
    bool start = strcmp(sub, "start") == 0, stop = strcmp(sub, "stop") == 0,
         restart = strcmp(sub, "restart") == 0;
    if (!start && !stop && !restart) {
        fprintf(stderr, "tend platform: unknown command '%s'\n%s", sub, platform_usage);
        return EXIT_USAGE;
    }
    char **picked = pick(names, n, start ? is_auto_start : is_active);
    if (!picked) return EXIT_UNREACHABLE;
    int rc = EXIT_OK;
    if (!picked[0] && json)
        puts("[]");
    else if (!picked[0])
        printf("Nothing to %s.\n", sub);
    else if (start)
        rc = act_and_wait("service.start", picked, force, false, json, false);
    else if (stop && n == 0)
        rc = stop_everything(picked, json);
    else if (stop)
        rc = act_and_wait("service.stop", picked, force, true, json, false);
    else
        rc = act_and_wait("service.restart", picked, false, false, json, false);
    strv_free(picked);
    return rc;
}
