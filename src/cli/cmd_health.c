/* cmd_health.c — health, readiness and pre-flight from the command line:
 * `tend services health|monitor|readiness|check|validate` and `tend
 * platform health`, worded as the service management guide shows them.
 * Each takes --json and then prints what the API returned. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/strv.h"
#include "cli/api_client.h"
#include "cli/api_remote.h"
#include "cli/cli.h"
#include "daemon/preflight.h"

typedef struct {
    bool json, start;
    double interval;
    long count;
    const char *config;
    const char *operand;
} health_args;

static const char *text_of(json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

static void print_json(json_t *v, size_t flags)
{
    char *text = json_dumps(v, flags | JSON_ENCODE_ANY);
    puts(text ? text : "null");
    free(text);
}

static int call(const char *method, json_t *params, json_t **result)
{
    call_error err = {0};
    call_status st = api_call(method, params, result, &err);
    json_decref(params);
    return cli_report_call(method, st, &err);
}

/* Parses the options of `services SUB`; argv[0] is SUB. Returns 0, -1
 * for a usage error (said), or -2 for a -c that SUB has no use for. */
static int parse(int argc, char **argv, health_args *a, bool operand, const char *usage)
{
    static const struct option options[] = {
        {"json", no_argument, NULL, 'j'},         {"interval", required_argument, NULL, 'i'},
        {"count", required_argument, NULL, 'n'},  {"start", no_argument, NULL, 's'},
        {"config", required_argument, NULL, 'c'}, {"no-autostart", no_argument, NULL, 'A'},
        {"help", no_argument, NULL, 'h'},         {0},
    };
    *a = (health_args){.interval = 30};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "c:h", options, NULL)) != -1) {
        char *end = NULL;
        switch (c) {
        case 'j': a->json = true; break;
        case 's': a->start = true; break;
        case 'c': a->config = optarg; break;
        case 'A': api_set_autostart(false); break;
        case 'i':
            a->interval = strtod(optarg, &end);
            if (*end || !(a->interval >= 0.1 && a->interval <= 86400)) {
                fprintf(stderr, "tend %s: --interval needs seconds from 0.1 to 86400\n",
                        cli_command());
                return -1;
            }
            break;
        case 'n':
            a->count = strtol(optarg, &end, 10);
            if (*end || a->count < 1) {
                fprintf(stderr, "tend %s: --count needs a number of at least 1\n", cli_command());
                return -1;
            }
            break;
        case 'h': fputs(usage, stdout); exit(EXIT_OK);
        default: return -1;
        }
    }
    /* Only validate reads a registry file; the others ask the daemon. */
    if (a->config && strcmp(argv[0], "validate") != 0) return -2;
    if (operand && argc - optind != 1) {
        fprintf(stderr, "tend %s: give one %s\n", cli_command(),
                strcmp(argv[0], "check") == 0 ? "OPERATION" : "service NAME");
        return -1;
    }
    if (!operand && argc - optind != 0) {
        fprintf(stderr, "tend %s: unexpected argument '%s'\n", cli_command(), argv[optind]);
        return -1;
    }
    a->operand = operand ? argv[optind] : NULL;
    return 0;
}

static bool is_up(const char *state)
{
    return strcmp(state, "running") == 0 || strcmp(state, "starting") == 0 ||
           strcmp(state, "stopping") == 0;
}

/* ---- services health / platform health ------------------------------ */

static int services_health(const health_args *a)
{
    json_t *h = NULL;
    int rc = call("service.health", json_pack("{s:s}", "name", a->operand), &h);
    if (rc) return rc;
    const char *status = text_of(h, "status");
    bool healthy = strcmp(status, "healthy") == 0;
    if (a->json) {
        print_json(h, JSON_INDENT(2));
    } else {
        printf("Service: %s\n", text_of(h, "name"));
        printf("Status: %s\n", is_up(text_of(h, "state")) ? status : "not running");
        printf("Healthy: %s\n", healthy ? "true" : "false");
        printf("Message: %s\n", text_of(h, "message"));
        printf("Check type: %s\n", text_of(h, "check"));
        json_t *ms = json_object_get(h, "duration_ms");
        if (json_is_number(ms))
            printf("Check duration: %.0f ms\n", ceil(json_number_value(ms)));
        else
            printf("Check duration: -\n");
    }
    json_decref(h);
    return healthy ? EXIT_OK : EXIT_FAILED;
}

int cli_platform_health(bool json)
{
    json_t *all = NULL;
    int rc = call("service.health_all", NULL, &all);
    if (rc) return rc;
    size_t i, healthy = 0, unhealthy = 0, down = 0, unknown = 0;
    json_t *h;
    bool fancy = cli_fancy(stdout);
    if (!json) printf("Platform Health Check\n\n");
    json_array_foreach(all, i, h)
    {
        const char *name = text_of(h, "name"), *status = text_of(h, "status");
        const char *mark, *word;
        if (!is_up(text_of(h, "state")))
            down++, mark = "⚪ ", word = "Not running";
        else if (strcmp(status, "healthy") == 0)
            healthy++, mark = "✅ ", word = "Healthy";
        else if (strcmp(status, "unhealthy") == 0)
            unhealthy++, mark = "❌ ", word = "Unhealthy";
        else
            unknown++, mark = "❔ ", word = "Unknown";
        if (json) continue;
        if (strcmp(word, "Not running") == 0)
            printf("%s%s: %s\n", fancy ? mark : "", name, word);
        else
            printf("%s%s: %s - %s\n", fancy ? mark : "", name, word, text_of(h, "message"));
    }
    if (json) {
        print_json(all, JSON_INDENT(2));
    } else {
        printf("\nSummary: %zu healthy, %zu unhealthy, %zu not running", healthy, unhealthy, down);
        if (unknown) printf(", %zu unknown", unknown);
        printf("\n");
    }
    json_decref(all);
    return unhealthy ? EXIT_FAILED : EXIT_OK;
}

/* ---- services monitor ------------------------------------------------ */

static void sleep_for(double seconds)
{
    struct timespec ts = {.tv_sec = (time_t)seconds,
                          .tv_nsec = (long)((seconds - floor(seconds)) * 1e9)};
    while (nanosleep(&ts, &ts) < 0) {
    }
}

static int services_monitor(const health_args *a)
{
    bool fancy = cli_fancy(stdout);
    for (long n = 0; !a->count || n < a->count; n++) {
        if (n) sleep_for(a->interval);
        json_t *h = NULL;
        int rc = call("service.health", json_pack("{s:s}", "name", a->operand), &h);
        if (rc) return rc;
        /* The header once the service is known: an error comes alone. */
        if (n == 0 && !a->json)
            printf("Starting health monitoring for %s (interval: %gs)\nPress Ctrl+C to stop\n",
                   a->operand, a->interval);
        if (a->json) {
            print_json(h, JSON_COMPACT);
        } else {
            json_t *at = json_object_get(h, "checked_at");
            char stamp[32];
            cli_clock_text(json_is_number(at) ? json_number_value(at) : (double)time(NULL), stamp,
                           sizeof(stamp));
            const char *status = text_of(h, "status");
            if (!is_up(text_of(h, "state"))) status = "not running";
            const char *mark = strcmp(status, "healthy") == 0     ? "✅"
                               : strcmp(status, "unhealthy") == 0 ? "❌"
                               : strcmp(status, "unknown") == 0   ? "❔"
                                                                  : "⚪";
            if (fancy)
                printf("%s %s %s: %s\n", stamp, mark, a->operand, text_of(h, "message"));
            else
                printf("%s %s %s: %s\n", stamp, status, a->operand, text_of(h, "message"));
        }
        fflush(stdout);
        json_decref(h);
    }
    return EXIT_OK;
}

/* ---- services readiness ---------------------------------------------- */

static json_t *find_named(json_t *list, const char *name)
{
    size_t i;
    json_t *o;
    json_array_foreach(list, i, o) if (strcmp(text_of(o, "name"), name) == 0) return o;
    return NULL;
}

static const char *first_problem(json_t *preflight)
{
    const json_t *c = preflight_first_failure(json_object_get(preflight, "checks"));
    return c ? json_string_value(json_object_get(c, "message")) : "";
}

static int services_readiness(const health_args *a)
{
    json_t *all = NULL, *checks = NULL;
    int rc = call("service.status_all", NULL, &all);
    if (!rc) rc = call("service.preflight", NULL, &checks);
    if (rc) {
        json_decref(all);
        return rc;
    }
    size_t i, running = 0, ready = 0, issues = 0;
    json_t *s;
    json_array_foreach(all, i, s)
    {
        json_t *pf = find_named(checks, text_of(s, "name"));
        bool ok = pf && json_is_true(json_object_get(pf, "ok"));
        bool up = strcmp(text_of(s, "state"), "running") == 0;
        running += up;
        ready += ok && !up; /* as the list below says: running, ready to start, not ready */
        issues += !ok;
        json_object_set(s, "preflight", pf ? pf : json_null());
        json_object_set_new(s, "ready_to_start", json_boolean(ok));
    }
    if (a->json) {
        json_t *out =
            json_pack("{s:I, s:I, s:I, s:O}", "total", (json_int_t)json_array_size(all), "running",
                      (json_int_t)running, "ready_to_start", (json_int_t)ready, "services", all);
        print_json(out, JSON_INDENT(2));
        json_decref(out);
    } else {
        bool fancy = cli_fancy(stdout);
        printf("Platform Readiness Report\n\nTotal services: %zu\nRunning: %zu\nReady to start: "
               "%zu\n\nServices:\n",
               json_array_size(all), running, ready);
        json_array_foreach(all, i, s)
        {
            bool up = strcmp(text_of(s, "state"), "running") == 0;
            bool ok = json_is_true(json_object_get(s, "ready_to_start"));
            const char *mark = up ? "🟢 " : ok ? "⚪ " : "🔴 ";
            const char *type = json_string_value(json_object_get(s, "type"));
            const char *cat = json_string_value(json_object_get(s, "category"));
            printf("  %s%s - %s - %s (%s)\n", fancy ? mark : "", text_of(s, "name"),
                   type ? type : "-", cat ? cat : "-",
                   up   ? "running"
                   : ok ? "ready to start"
                        : "not ready");
        }
        printf("\nIssues: %zu\n", issues);
        json_array_foreach(all, i, s)
        {
            if (json_is_true(json_object_get(s, "ready_to_start"))) continue;
            printf("  %s%s: %s\n", fancy ? "🔴 " : "", text_of(s, "name"),
                   first_problem(json_object_get(s, "preflight")));
        }
    }
    json_decref(all);
    json_decref(checks);
    return EXIT_OK;
}

/* ---- services check OPERATION ---------------------------------------- */

/* What op needs, asked of the daemon (which words an operation no service
 * names as a mistake): {operation, required, not_running, all_running}. */
static int required_for(const char *op, json_t **needs)
{
    return call("service.required_for", json_pack("{s:s}", "operation", op), needs);
}

static void print_names(json_t *names)
{
    size_t i;
    json_t *n;
    json_array_foreach(names, i, n) printf("%s%s", i ? ", " : "", json_string_value(n));
}

static int services_check(const health_args *a)
{
    json_t *needs = NULL;
    int rc = required_for(a->operand, &needs);
    if (rc) return rc;
    json_t *missing = json_object_get(needs, "not_running");
    if (json_array_size(missing) && a->start) {
        /* Started with their dependencies, waiting until each runs. */
        char **names = NULL;
        size_t i;
        json_t *n;
        json_array_foreach(missing, i, n) strv_push(&names, json_string_value(n));
        cli_act_options o = {.json = a->json, .wait = true};
        rc = cli_act_and_wait(CLI_START, names, &o);
        strv_free(names);
        json_decref(needs);
        if (rc == EXIT_UNREACHABLE) return rc;
        if (required_for(a->operand, &needs)) return EXIT_FAILED;
        missing = json_object_get(needs, "not_running");
        if (!a->json) printf("\n");
    }
    bool all_running = json_array_size(missing) == 0;
    if (a->json) {
        print_json(needs, JSON_INDENT(2));
    } else {
        json_t *required = json_object_get(needs, "required");
        printf("Operation: %s\nRequired services: ", a->operand);
        print_names(required);
        printf("%s\nAll running: %s\n", json_array_size(required) ? "" : "(none)",
               all_running ? "true" : "false");
        if (!all_running) {
            printf("Not running: ");
            print_names(missing);
            printf("\nStart them with: tend services check %s --start\n", a->operand);
        }
    }
    json_decref(needs);
    return all_running ? EXIT_OK : EXIT_FAILED;
}

/* ---- services validate ----------------------------------------------- */

/* Names of the services a daemon runs, if one answers; no daemon is
 * started to find out. */
static char **running_names(void)
{
    json_t *all = NULL;
    call_error err = {0};
    char **names = NULL;
    if (api_call_running("service.status_all", NULL, &all, &err) == CALL_OK) {
        size_t i;
        json_t *s;
        json_array_foreach(all, i, s) if (is_up(text_of(s, "state")))
            strv_push(&names, text_of(s, "name"));
    }
    json_decref(all);
    return names;
}

static bool in_list(void *ctx, const char *name)
{
    return strv_contains(ctx, name);
}

static int services_validate(const health_args *a)
{
    registry *r = cli_registry_open(a->config, false, NULL);
    if (!r) return EXIT_FAILED;
    char **running = NULL;
    json_t *results = NULL;
    size_t invalid = 0;
    if (api_remote_active() && !a->config) {
        /* The checks are of the daemon's host (its binaries, its ports). */
        if (call("service.preflight", NULL, &results) != EXIT_OK) {
            registry_free(r);
            return EXIT_FAILED;
        }
    } else {
        running = running_names();
        results = json_array();
        preflight_set_ask(true); /* here, the engine and the cluster are asked */
        for (size_t i = 0; i < r->n_services; i++)
            json_array_append_new(results, preflight_service(r, r->services[i], in_list, running));
    }
    for (size_t i = 0; i < json_array_size(results); i++)
        invalid += !json_is_true(json_object_get(json_array_get(results, i), "ok"));
    if (a->json) {
        json_t *out = json_pack("{s:b, s:I, s:I, s:o}", "ok", invalid == 0, "services",
                                (json_int_t)r->n_services, "actions", (json_int_t)r->n_actions,
                                "results", results);
        print_json(out, JSON_INDENT(2));
        json_decref(out);
    } else {
        bool fancy = cli_fancy(stdout);
        printf("Registry: %zu services, %zu actions, no errors\n\nPre-flight checks:\n"
               "Total services: %zu\nValid: %zu\nInvalid: %zu\n",
               r->n_services, r->n_actions, r->n_services, r->n_services - invalid, invalid);
        if (invalid) printf("\nInvalid services:\n");
        size_t i;
        json_t *one;
        json_array_foreach(results, i, one)
        {
            if (json_is_true(json_object_get(one, "ok"))) continue;
            printf("  %s%s:\n", fancy ? "❌ " : "", text_of(one, "name"));
            size_t k;
            json_t *c;
            json_array_foreach(json_object_get(one, "checks"), k,
                               c) if (!json_is_true(json_object_get(c, "ok")))
                printf("     - %s\n", text_of(c, "message"));
        }
        json_decref(results);
    }
    strv_free(running);
    registry_free(r);
    return invalid ? EXIT_FAILED : EXIT_OK;
}

int cmd_services_health(int argc, char **argv, const char *usage)
{
    const char *sub = argv[0];
    bool operand =
        strcmp(sub, "health") == 0 || strcmp(sub, "monitor") == 0 || strcmp(sub, "check") == 0;
    health_args a;
    int parsed = parse(argc, argv, &a, operand, usage);
    if (parsed == -2) return cli_refuse_config();
    if (parsed < 0) return EXIT_USAGE;
    if (strcmp(sub, "health") == 0) return services_health(&a);
    if (strcmp(sub, "monitor") == 0) return services_monitor(&a);
    if (strcmp(sub, "readiness") == 0) return services_readiness(&a);
    if (strcmp(sub, "check") == 0) return services_check(&a);
    return services_validate(&a);
}
