/* cmd_services.c — `tend services ...`: list, status, start, stop,
 * restart and logs through the daemon; dependencies offline; health,
 * monitor, readiness, check and validate in cmd_health.c.
 * Human output follows the service management guide; --json prints what
 * the API returned. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/api_client.h"
#include "cli/cli.h"

static const char services_usage[] =
    "usage: tend services SUBCOMMAND [ARGS] [--json] [--no-wait] [--no-autostart]\n"
    "\n"
    "  list [--running] [--category C]   services with their actual state\n"
    "  status NAME                       one service: state, wanted, health, PID, uptime,\n"
    "                                    restarts\n"
    "  start NAME [--force]              its pre-flight checks, then start it (dependencies\n"
    "                                    first) and wait until it runs (ready, or up for a\n"
    "                                    second) or fails; --force skips the checks\n"
    "  stop NAME [--force]               stop it and wait until its processes have ended;\n"
    "                                    refused while dependents run, unless --force\n"
    "  restart NAME [--force]            its pre-flight checks, then stop and start it again,\n"
    "                                    and wait until it runs or fails; --force skips the\n"
    "                                    checks\n"
    "  logs NAME [--lines N] [--follow]  its latest output (default 50 lines) as\n"
    "                                    TIME out|err TEXT, TIME in local time; --follow\n"
    "                                    then prints new lines as they come\n"
    "  dependencies [NAME] [-c FILE]     dependency tree, start order, reverse dependencies\n"
    "  health NAME                       its health: the last check's outcome (exit 1 unless\n"
    "                                    healthy)\n"
    "  monitor NAME [--interval S] [--count N]\n"
    "                                    its health every S seconds (default 30) until Ctrl+C\n"
    "                                    or N reports\n"
    "  readiness                         running services, those ready to start, and what\n"
    "                                    keeps the others from starting\n"
    "  check OPERATION [--start]         the services whose required_for names OPERATION and\n"
    "                                    whether they all run (exit 1 if not); --start starts\n"
    "                                    the missing ones\n"
    "  validate [-c FILE]                the registry, then every service's pre-flight checks\n"
    "                                    (binary, working_dir, user, port, container engine\n"
    "                                    and image, kubectl and its cluster, endpoint,\n"
    "                                    conflicts, dependencies), asking the engine, the\n"
    "                                    cluster and the endpoint; exit 1 if any fails\n"
    "\n"
    "start, stop and restart wait until the service has settled; --no-wait returns at once.\n"
    "dependencies and validate read the registry (-c FILE, else the running daemon's:\n"
    "see tend validate --help); the others ask the daemon, and refuse -c.\n"
    "\n"
    "Exit status: 0 success, 1 the operation failed, 2 usage error, 3 daemon unreachable.\n";

typedef struct {
    bool json, running, force, follow, no_wait;
    const char *category;
    long lines;
    const char *name;
} svc_args;

/* Returns 0, -1 for a usage error (said), or -2 when -c was given: these
 * subcommands ask the daemon, which has its own registry. */
static int parse(int argc, char **argv, svc_args *a, bool needs_name)
{
    static const struct option options[] = {
        {"json", no_argument, NULL, 'j'},
        {"running", no_argument, NULL, 'r'},
        {"force", no_argument, NULL, 'f'},
        {"category", required_argument, NULL, 'C'},
        {"config", required_argument, NULL, 'c'},
        {"lines", required_argument, NULL, 'n'},
        {"no-autostart", no_argument, NULL, 'A'},
        {"follow", no_argument, NULL, 'F'},
        {"no-wait", no_argument, NULL, 'W'},
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    int c;
    optind = 1;
    *a = (svc_args){.lines = 50};
    bool config = false;
    while ((c = getopt_long(argc, argv, "c:n:fh", options, NULL)) != -1) {
        switch (c) {
        case 'j': a->json = true; break;
        case 'r': a->running = true; break;
        case 'f':
            /* -f is --follow for logs, --force elsewhere. */
            if (strcmp(argv[0], "logs") == 0)
                a->follow = true;
            else
                a->force = true;
            break;
        case 'C': a->category = optarg; break;
        case 'c': config = true; break;
        case 'n': {
            char *end = NULL;
            a->lines = strtol(optarg, &end, 10);
            if (*end || a->lines < 1 || a->lines > 100000) {
                fprintf(stderr, "tend %s: --lines needs a number from 1 to 100000\n",
                        cli_command());
                return -1;
            }
            break;
        }
        case 'A': api_set_autostart(false); break;
        case 'F': a->follow = true; break;
        case 'W': a->no_wait = true; break;
        case 'h': fputs(services_usage, stdout); exit(EXIT_OK);
        default: return -1;
        }
    }
    if (config) return -2;
    if (needs_name && argc - optind != 1) {
        fprintf(stderr, "tend %s: give one service NAME\n", cli_command());
        return -1;
    }
    if (!needs_name && argc - optind != 0) {
        fprintf(stderr, "tend %s: unexpected argument '%s'\n", cli_command(), argv[optind]);
        return -1;
    }
    a->name = needs_name ? argv[optind] : NULL;
    return 0;
}

static const char *text_of(json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "-";
}

static int print_json(json_t *v)
{
    char *text = json_dumps(v, JSON_INDENT(2) | JSON_ENCODE_ANY);
    puts(text ? text : "null");
    free(text);
    return EXIT_OK;
}

static int call(const char *method, json_t *params, json_t **result)
{
    call_error err = {0};
    call_status st = api_call(method, params, result, &err);
    json_decref(params);
    return cli_report_call(method, st, &err);
}

static int services_list(const svc_args *a)
{
    json_t *params = json_object(), *result = NULL;
    if (a->running) json_object_set_new(params, "running", json_true());
    if (a->category) json_object_set_new(params, "category", json_string(a->category));
    int rc = call("service.list", params, &result);
    if (rc) return rc;
    if (a->json)
        rc = print_json(result);
    else {
        printf("%-20s %-15s %-15s %-9s %-15s %s\n", "name", "type", "category", "status",
               "deployment_mode", "auto_start");
        size_t i;
        json_t *s;
        json_array_foreach(result, i, s)
            printf("%-20s %-15s %-15s %-9s %-15s %s\n", text_of(s, "name"), text_of(s, "type"),
                   text_of(s, "category"), text_of(s, "state"), text_of(s, "deployment"),
                   json_is_true(json_object_get(s, "auto_start")) ? "true" : "false");
    }
    json_decref(result);
    return rc;
}

static int services_status(const svc_args *a)
{
    json_t *result = NULL;
    int rc = call("service.status", json_pack("{s:s}", "name", a->name), &result);
    if (rc) return rc;
    if (a->json) {
        print_json(result);
        json_decref(result);
        return EXIT_OK;
    }
    printf("Service: %s\n", text_of(result, "name"));
    printf("Type: %s\n", text_of(result, "type"));
    printf("Category: %s\n", text_of(result, "category"));
    printf("Status: %s\n", text_of(result, "state"));
    printf("Wanted: %s\n", text_of(result, "wanted"));
    printf("Deployment: %s\n", text_of(result, "deployment"));
    printf("Health: %s\n", text_of(json_object_get(result, "health"), "status"));
    printf("Auto-start: %s\n",
           json_is_true(json_object_get(result, "auto_start")) ? "true" : "false");
    json_t *pid = json_object_get(result, "pid");
    if (json_is_integer(pid))
        printf("PID: %lld\n", (long long)json_integer_value(pid));
    else
        printf("PID: -\n");
    json_t *uptime = json_object_get(result, "uptime");
    if (json_is_number(uptime))
        printf("Uptime: %.0fs\n", floor(json_number_value(uptime)));
    else
        printf("Uptime: -\n");
    printf("Restarts: %lld\n", (long long)json_integer_value(json_object_get(result, "restarts")));
    printf("Reason: %s\n", text_of(result, "reason"));
    char history[256];
    if (cli_history_text(json_object_get(result, "history"), history, sizeof(history)))
        printf("History: %s\n", history);
    printf("Dependencies: [");
    size_t i;
    json_t *d;
    json_array_foreach(json_object_get(result, "dependencies"), i, d)
        printf("%s%s", i ? ", " : "", json_string_value(d));
    printf("]\n");
    json_decref(result);
    return EXIT_OK;
}

/* The guide's "Check Process": each pre-flight check, then the start with
 * progress until the service (and what it needs) runs or fails. */
static int services_start(const svc_args *a)
{
    if (!a->force && !a->json) {
        json_t *results = NULL;
        int rc = call("service.preflight", json_pack("{s:s}", "name", a->name), &results);
        if (rc) return rc;
        bool fancy = cli_fancy(stdout), ok = true;
        const char *failed_check = NULL, *failed_message = NULL;
        printf("Running pre-flight checks for %s...\n", a->name);
        size_t i;
        json_t *c;
        json_array_foreach(json_object_get(json_array_get(results, 0), "checks"), i, c)
        {
            bool passed = json_is_true(json_object_get(c, "ok"));
            printf("%s%s\n", passed ? (fancy ? "✅ " : "  ok: ") : (fancy ? "❌ " : "  FAILED: "),
                   text_of(c, "message"));
            if (!passed && ok) {
                ok = false;
                failed_check = text_of(c, "check");
                failed_message = text_of(c, "message");
            }
        }
        if (!ok) {
            fprintf(stderr, "%sPre-flight check failed: %s\n%s\n",
                    cli_fancy(stderr) ? "❌ " : "error: ", failed_check, failed_message);
            if (cli_force_would_help_check(failed_check))
                fprintf(stderr, "Use --force to start anyway\n");
            json_decref(results);
            return EXIT_FAILED;
        }
        json_decref(results);
        printf("Starting service: %s\n", a->name);
        fflush(stdout);
    }
    char *names[] = {(char *)a->name, NULL};
    cli_act_options o = {.json = a->json, .wait = !a->no_wait, .skip_checks = a->force};
    return cli_act_and_wait(CLI_START, names, &o);
}

/* stop and restart wait until the service has stopped or runs again. */
static int services_act(const char *verb, const svc_args *a)
{
    char *names[] = {(char *)a->name, NULL};
    bool stop = strcmp(verb, "stop") == 0;
    cli_act_options o = {
        .json = a->json, .wait = !a->no_wait, .force = stop && a->force, .skip_checks = a->force};
    return cli_act_and_wait(stop ? CLI_STOP : CLI_RESTART, names, &o);
}

/* "2026-12-01 15:04:05 out TEXT", in local time as every time the CLI prints. */
static void print_log_line(json_t *line)
{
    char when[32];
    cli_clock_text_utc(json_string_value(json_object_get(line, "at")), when, sizeof(when));
    printf("%s %s %s\n", when, text_of(line, "stream"), text_of(line, "text"));
}

static int print_followed_line(json_t *line, void *ctx)
{
    if (*(bool *)ctx) {
        char *text = json_dumps(line, JSON_COMPACT);
        puts(text);
        free(text);
    } else {
        print_log_line(line);
    }
    fflush(stdout);
    return 0;
}

int cli_follow_logs_path(const char *path, bool json)
{
    bool as_json = json;
    call_error err = {0};
    call_status st = api_follow(path, print_followed_line, &as_json, &err);
    return cli_report_call("logs", st, &err);
}

int cli_follow_logs(const char *name, long lines, bool json)
{
    char path[512];
    snprintf(path, sizeof(path), "/logs/%s?follow=1&lines=%ld", name, lines);
    return cli_follow_logs_path(path, json);
}

static int services_logs(const svc_args *a)
{
    if (a->follow) {
        json_t *st = NULL;
        int rc = call("service.status", json_pack("{s:s}", "name", a->name), &st);
        json_decref(st);
        return rc ? rc : cli_follow_logs(a->name, a->lines, a->json);
    }
    json_t *result = NULL;
    int rc = call("logs.tail",
                  json_pack("{s:s, s:I}", "name", a->name, "lines", (json_int_t)a->lines), &result);
    if (rc) return rc;
    if (a->json)
        print_json(result);
    else {
        size_t i;
        json_t *line;
        json_array_foreach(json_object_get(result, "lines"), i, line) print_log_line(line);
    }
    json_decref(result);
    return EXIT_OK;
}

int cmd_services(int argc, char **argv)
{
    if (argc < 2) {
        fputs(services_usage, stderr);
        return EXIT_USAGE;
    }
    const char *sub = argv[1];
    if (strcmp(sub, "-h") == 0 || strcmp(sub, "--help") == 0) {
        fputs(services_usage, stdout);
        return EXIT_OK;
    }
    if (strcmp(sub, "dependencies") == 0) return cmd_dependencies(argc - 1, argv + 1);
    static const char *const health_subs[] = {"health", "monitor",  "readiness",
                                              "check",  "validate", NULL};
    for (size_t i = 0; health_subs[i]; i++)
        if (strcmp(sub, health_subs[i]) == 0)
            return cmd_services_health(argc - 1, argv + 1, services_usage);
    static const char *const with_name[] = {"status", "start", "stop", "restart", "logs", NULL};
    bool needs_name = false, known = strcmp(sub, "list") == 0;
    for (size_t i = 0; with_name[i]; i++)
        if (strcmp(sub, with_name[i]) == 0) known = needs_name = true;
    if (!known) {
        fprintf(stderr, "tend services: unknown subcommand '%s'\n%s", sub, services_usage);
        return EXIT_USAGE;
    }
    svc_args a;
    int parsed = parse(argc - 1, argv + 1, &a, needs_name);
    if (parsed == -2) return cli_refuse_config();
    if (parsed < 0) return EXIT_USAGE;
    if (strcmp(sub, "list") == 0) return services_list(&a);
    if (strcmp(sub, "status") == 0) return services_status(&a);
    if (strcmp(sub, "logs") == 0) return services_logs(&a);
    if (strcmp(sub, "start") == 0) return services_start(&a);
    return services_act(sub, &a);
}
