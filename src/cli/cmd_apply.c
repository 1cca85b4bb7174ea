/* cmd_apply.c — `tend apply [-c FILE]`: validate a registry here (with this
 * shell's environment for ${VAR}), send it to the daemon, print the plan
 * it carried out. Unchanged running services are left alone. */
#include <getopt.h>
#include <stdlib.h>

#include "cli/api_client.h"
#include "cli/cli.h"

static const char apply_usage[] =
    "usage: tend apply [-c FILE] [--json] [--no-autostart]\n"
    "\n"
    "Loads the registry into the running daemon and prints the plan: services\n"
    "added (+), changed (~, restarted if running), removed (-, stopped and\n"
    "forgotten) and unchanged (left as they are). The file is checked first;\n"
    "an invalid one changes nothing.\n";

static void print_names(json_t *plan, const char *key, const char *mark)
{
    size_t i;
    json_t *name;
    json_array_foreach(json_object_get(plan, key), i, name)
        printf("  %s %s\n", mark, json_string_value(name));
}

int cmd_apply(int argc, char **argv)
{
    static const struct option options[] = {
        {"config", required_argument, NULL, 'c'},
        {"json", no_argument, NULL, 'j'},
        {"no-autostart", no_argument, NULL, 'A'},
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    const char *config = NULL;
    bool json = false;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "c:h", options, NULL)) != -1) {
        switch (c) {
        case 'c': config = optarg; break;
        case 'j': json = true; break;
        case 'A': api_set_autostart(false); break;
        case 'h': fputs(apply_usage, stdout); return EXIT_OK;
        default: fputs(apply_usage, stderr); return EXIT_USAGE;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "tend apply: unexpected argument '%s'\n%s", argv[optind], apply_usage);
        return EXIT_USAGE;
    }
    char *file = NULL;
    registry *r = cli_registry_open(config, true, &file);
    if (!r) return EXIT_FAILED;
    json_t *params = json_pack("{s:o, s:s?}", "registry", registry_to_json(r), "file", file);
    registry_free(r);
    free(file);
    json_t *plan = NULL;
    call_error err = {0};
    call_status st = api_call("registry.apply", params, &plan, &err);
    json_decref(params);
    if (st != CALL_OK) return cli_report_call("apply", st, &err);
    if (json) {
        char *text = json_dumps(plan, JSON_INDENT(2));
        puts(text);
        free(text);
    } else {
        printf("Plan: %zu added, %zu changed, %zu removed, %zu unchanged\n",
               json_array_size(json_object_get(plan, "added")),
               json_array_size(json_object_get(plan, "changed")),
               json_array_size(json_object_get(plan, "removed")),
               json_array_size(json_object_get(plan, "unchanged")));
        print_names(plan, "added", "+");
        print_names(plan, "changed", "~");
        print_names(plan, "removed", "-");
    }
    json_decref(plan);
    return EXIT_OK;
}
