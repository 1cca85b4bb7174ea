/* cmd_validate.c — `tend validate`: check a registry without a daemon. */
#include <stdlib.h>
#include <unistd.h>

#include "cli/cli.h"

static const char validate_usage[] =
    "usage: tend validate [-c FILE]\n"
    "\n"
    "Reads the service registry and reports every problem in it, each as\n"
    "FILE:LINE:COL, without starting anything and without a daemon.\n"
    "\n"
    "  --json             {\"ok\", \"services\", \"actions\", \"errors\": [{file, line, col,\n"
    "                     message}]} instead of text\n"
    "  -c, --config FILE  the registry (default: $TEND_HOME/services.toml,\n"
    "                     /etc/tend/services.toml for root,\n"
    "                     else $XDG_CONFIG_HOME/tend/services.toml)\n"
    "  -h, --help         this text\n"
    "\n"
    "Exit status: 0 valid, 1 invalid, 2 usage error.\n";

/* {"ok", "services", "actions"} or {"ok": false, "errors": [{file, line,
 * col, message}]}. */
static int validate_json(const char *option)
{
    char *path = NULL;
    json_t *content = NULL;
    if (cli_registry_locate(option, false, &path, &content) < 0) return EXIT_FAILED;
    diag_list diags;
    diag_init(&diags, path ? path : "(the running daemon's registry)");
    registry *r = path ? registry_load_file(path, &diags) : registry_from_json(content, &diags);
    diag_sort(&diags);
    json_t *out = json_pack("{s:b}", "ok", r != NULL);
    if (r) {
        json_object_set_new(out, "services", json_integer((json_int_t)r->n_services));
        json_object_set_new(out, "actions", json_integer((json_int_t)r->n_actions));
    }
    json_t *errors = json_array();
    for (size_t i = 0; i < diags.len; i++)
        json_array_append_new(errors, json_pack("{s:s, s:i, s:i, s:s}", "file", diags.file, "line",
                                                diags.items[i].line, "col", diags.items[i].col,
                                                "message", diags.items[i].message));
    json_decref(content);
    json_object_set_new(out, "errors", errors);
    char *text = json_dumps(out, JSON_INDENT(2));
    puts(text);
    free(text);
    json_decref(out);
    diag_free(&diags);
    free(path);
    int rc = r ? EXIT_OK : EXIT_FAILED;
    registry_free(r);
    return rc;
}

int cmd_validate(int argc, char **argv)
{
    const char *config = NULL;
    bool json = false;
    int done = cli_config_options(argc, argv, validate_usage, &config, &json);
    if (done >= 0) return done;
    if (optind < argc) {
        fprintf(stderr, "tend validate: unexpected argument '%s'\n%s", argv[optind],
                validate_usage);
        return EXIT_USAGE;
    }
    if (json) return validate_json(config);
    registry *r = cli_registry_open(config, false, NULL);
    if (!r) return EXIT_FAILED;
    printf("OK: %zu services, %zu actions\n", r->n_services, r->n_actions);
    registry_free(r);
    return EXIT_OK;
}
