/* cmd_misc.c — the smaller commands: `tend why`, `tend jobs`, `tend runs`,
 * `tend events [--follow]`. Tables for people, --json for programs. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/api_client.h"
#include "cli/cli.h"

typedef struct {
    bool json, follow;
    const char *service, *phase;
} misc_args;

static int parse_misc(int argc, char **argv, misc_args *a, const char *usage, int operands)
{
    static const struct option options[] = {
        {"json", no_argument, NULL, 'j'},
        {"follow", no_argument, NULL, 'f'},
        {"service", required_argument, NULL, 's'},
        {"phase", required_argument, NULL, 'p'},
        {"no-autostart", no_argument, NULL, 'A'},
        {"config", required_argument, NULL, 'c'},
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    *a = (misc_args){0};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "c:fh", options, NULL)) != -1) {
        switch (c) {
        case 'j': a->json = true; break;
        case 'f': a->follow = true; break;
        case 's': a->service = optarg; break;
        case 'p': a->phase = optarg; break;
        case 'A': api_set_autostart(false); break;
        case 'c': cli_refuse_config(); return -1;
        case 'h': fputs(usage, stdout); exit(EXIT_OK);
        default: fputs(usage, stderr); return -1;
        }
    }
    if (argc - optind != operands) {
        fputs(usage, stderr);
        return -1;
    }
    return 0;
}

static int call_print(const char *method, json_t *params, bool json, void (*print)(json_t *))
{
    json_t *result = NULL;
    call_error err = {0};
    call_status st = api_call(method, params, &result, &err);
    json_decref(params);
    if (st != CALL_OK) return cli_report_call(method, st, &err);
    if (json) {
        char *text = json_dumps(result, JSON_INDENT(2) | JSON_ENCODE_ANY);
        puts(text);
        free(text);
    } else {
        print(result);
    }
    json_decref(result);
    return EXIT_OK;
}

static const char *str(json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "-";
}

bool cli_history_text(json_t *history, char *out, size_t size)
{
    if (!json_is_true(json_object_get(history, "failing"))) return false;
    char since[32];
    cli_clock_text(json_number_value(json_object_get(history, "since")), since, sizeof(since));
    snprintf(out, size, "not written since %s (%s), %lld change(s) waiting", since,
             str(history, "error"),
             (long long)json_integer_value(json_object_get(history, "pending")));
    return true;
}

static void print_why(json_t *why)
{
    printf("%s\n", str(why, "why"));
    char history[256];
    if (cli_history_text(json_object_get(why, "history"), history, sizeof(history)))
        printf("history: %s\n", history);
}

int cmd_why(int argc, char **argv)
{
    static const char usage[] = "usage: tend why NAME [--json]\n\n"
                                "Says in words why the service is in its state.\n";
    misc_args a;
    if (parse_misc(argc, argv, &a, usage, 1) < 0) return EXIT_USAGE;
    return call_print("service.why", json_pack("{s:s}", "name", argv[optind]), a.json, print_why);
}

/* An integer member as text, or "-" when it is null. */
static const char *num(json_t *o, const char *key, char *out, size_t size)
{
    json_t *v = json_object_get(o, key);
    if (!json_is_integer(v)) return "-";
    snprintf(out, size, "%lld", (long long)json_integer_value(v));
    return out;
}

static void print_jobs(json_t *jobs)
{
    printf("%-6s %-16s %-16s %-6s %-10s %-7s %-8s %s\n", "id", "service", "action", "run", "phase",
           "attempt", "pid", "exit");
    size_t i;
    json_t *j;
    json_array_foreach(jobs, i, j)
    {
        char run[24], pid[24], code[24];
        printf("%-6lld %-16s %-16s %-6s %-10s %-7lld %-8s %s\n",
               (long long)json_integer_value(json_object_get(j, "id")), str(j, "service_id"),
               str(j, "action_id"), num(j, "run_id", run, sizeof(run)), str(j, "phase"),
               (long long)json_integer_value(json_object_get(j, "attempt")),
               num(j, "pid", pid, sizeof(pid)), num(j, "exit_code", code, sizeof(code)));
    }
}

int cmd_jobs(int argc, char **argv)
{
    static const char usage[] = "usage: tend jobs [--service S] [--phase P] [--json]\n\n"
                                "Jobs, newest first, with their provenance.\n";
    misc_args a;
    if (parse_misc(argc, argv, &a, usage, 0) < 0) return EXIT_USAGE;
    static const char *const phases[] = {"pending", "starting",  "running", "stopping", "succeeded",
                                         "failed",  "cancelled", "lost",    NULL};
    bool known = !a.phase;
    for (size_t i = 0; phases[i] && !known; i++) known = strcmp(a.phase, phases[i]) == 0;
    if (!known) {
        fprintf(stderr,
                "tend jobs: --phase must be one of pending, starting, running, stopping, "
                "succeeded, failed, cancelled, lost (not '%s')\n",
                a.phase);
        return EXIT_USAGE;
    }
    json_t *params = json_pack("{s:i}", "limit", 100);
    if (a.service) json_object_set_new(params, "service_id", json_string(a.service));
    if (a.phase) json_object_set_new(params, "phase", json_string(a.phase));
    return call_print("job.list", params, a.json, print_jobs);
}

static void print_runs(json_t *runs)
{
    printf("%-6s %-20s %-10s %s\n", "id", "service", "status", "reason");
    size_t i;
    json_t *r;
    json_array_foreach(runs, i, r)
        printf("%-6lld %-20s %-10s %s\n", (long long)json_integer_value(json_object_get(r, "id")),
               str(r, "service"), str(r, "status"), str(r, "reason"));
}

int cmd_runs(int argc, char **argv)
{
    static const char usage[] = "usage: tend runs [--service S] [--json]\n\n"
                                "Runs (one per service start), newest first.\n";
    misc_args a;
    if (parse_misc(argc, argv, &a, usage, 0) < 0) return EXIT_USAGE;
    json_t *params = json_pack("{s:i}", "limit", 100);
    if (a.service) json_object_set_new(params, "service", json_string(a.service));
    return call_print("run.list", params, a.json, print_runs);
}

static void print_event(json_t *e, bool json)
{
    if (json) {
        char *text = json_dumps(e, JSON_COMPACT);
        puts(text);
        free(text);
    } else {
        char when[32];
        cli_clock_text(json_number_value(json_object_get(e, "at")), when, sizeof(when));
        char *data = json_dumps(json_object_get(e, "data"), JSON_COMPACT | JSON_ENCODE_ANY);
        printf("%s %-15s %-16s %s\n", when, str(e, "kind"), str(e, "service"),
               data && strcmp(data, "null") ? data : "");
        free(data);
    }
    fflush(stdout);
}

static void print_events(json_t *events)
{
    size_t i;
    json_t *e;
    json_array_foreach(events, i, e) print_event(e, false);
}

static int on_followed(json_t *e, void *ctx)
{
    print_event(e, *(bool *)ctx);
    return 0;
}

int cmd_events(int argc, char **argv)
{
    static const char usage[] =
        "usage: tend events [--follow] [--service S] [--json]\n\n"
        "The latest 50 events (every state change and its cause), each as\n"
        "TIME KIND SERVICE DATA, TIME in local time (YYYY-MM-DD HH:MM:SS); with\n"
        "--follow, then every new one as it happens, until interrupted.\n";
    misc_args a;
    if (parse_misc(argc, argv, &a, usage, 0) < 0) return EXIT_USAGE;
    json_t *params = json_pack("{s:i}", "tail", 50);
    if (a.service) json_object_set_new(params, "service", json_string(a.service));
    if (!a.follow) return call_print("events.list", params, a.json, print_events);
    json_t *past = NULL;
    call_error err = {0};
    call_status st = api_call("events.list", params, &past, &err);
    json_decref(params);
    if (st != CALL_OK) return cli_report_call("events.list", st, &err);
    json_int_t last = 0;
    size_t i;
    json_t *e;
    json_array_foreach(past, i, e)
    {
        print_event(e, a.json);
        last = json_integer_value(json_object_get(e, "id"));
    }
    json_decref(past);
    char query[256];
    snprintf(query, sizeof(query), "after=%lld%s%s", (long long)last, a.service ? "&service=" : "",
             a.service ? a.service : "");
    st = api_follow_events(query, on_followed, &a.json, &err);
    return cli_report_call("events", st, &err);
}
