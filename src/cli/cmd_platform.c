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
    "usage: tend platform COMMAND [NAME...] [--force] [--no-wait] [--json] [--no-autostart]\n"
    "\n"
    "  start [NAME...] [--force]  start the named services (default: every auto_start one),\n"
    "                             dependencies first, and wait until each runs (ready, or up\n"
    "                             for a second) or fails; --force restarts those running\n"
    "  stop [NAME...] [--force]   stop the named services (default: every running one) in\n"
    "                             reverse dependency order: each once its dependents have\n"
    "                             ended; refused while other dependents run; --force kills\n"
    "                             (SIGKILL), dependents or not\n"
    "  restart [NAME...]          restart the named services (default: every running one),\n"
    "                             pre-flight checks first, and wait until each runs again\n"
    "  status                     every service by category: state and uptime\n"
    "  health                     every service's health: the last check's outcome, and\n"
    "                             \"N healthy, N unhealthy, N not running\" (exit 1 if any\n"
    "                             is unhealthy)\n"
    "  logs NAME [--lines N] [--follow]\n"
    "                             its latest output; --follow keeps printing new lines\n"
    "\n"
    "start, stop and restart wait until each service has settled; --no-wait returns at once.\n"
    "Exit status: 0 success, 1 a service failed, 2 usage error, 3 daemon unreachable.\n";

static const char *state_of(json_t *st)
{
    const char *s = json_string_value(json_object_get(st, "state"));
    return s ? s : "?";
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
    return strcmp(st, "running") == 0 || strcmp(st, "starting") == 0 ||
           strcmp(st, "stopping") == 0;
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
        {"no-wait", no_argument, NULL, 'W'},
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
    bool force = false, json = false, follow = false, wait = true;
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
        case 'W': wait = false; break;
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
    cli_act_options o = {.json = json, .wait = wait, .force = force};
    int rc = EXIT_OK;
    if (!picked[0] && json)
        puts("[]");
    else if (!picked[0])
        printf("Nothing to %s.\n", sub);
    else if (start)
        rc = cli_act_and_wait(CLI_START, picked, &o);
    else if (stop)
        rc = cli_stop_set_and_wait(picked, n == 0, &o);
    else
        rc = cli_act_and_wait(CLI_RESTART, picked, &(cli_act_options){.json = json, .wait = wait});
    strv_free(picked);
    return rc;
}
