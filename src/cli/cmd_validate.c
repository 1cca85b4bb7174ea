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
    "  -c, --config FILE  the registry (default: $TEND_HOME/services.toml,\n"
    "                     /etc/tend/services.toml for root,\n"
    "                     else $XDG_CONFIG_HOME/tend/services.toml)\n"
    "  -h, --help         this text\n"
    "\n"
    "Exit status: 0 valid, 1 invalid, 2 usage error.\n";

int cmd_validate(int argc, char **argv)
{
    const char *config = NULL;
    int done = cli_config_options(argc, argv, validate_usage, &config);
    if (done >= 0) return done;
    if (optind < argc) {
        fprintf(stderr, "tend validate: unexpected argument '%s'\n%s", argv[optind],
                validate_usage);
        return EXIT_USAGE;
    }
    char *path = cli_config_path(config);
    if (!path) {
        fputs("tend validate: no registry location: pass -c FILE or set TEND_HOME\n", stderr);
        return EXIT_USAGE;
    }
    registry *r = cli_load_registry(path);
    free(path);
    if (!r) return EXIT_FAILED;
    printf("OK: %zu services, %zu actions\n", r->n_services, r->n_actions);
    registry_free(r);
    return EXIT_OK;
}
