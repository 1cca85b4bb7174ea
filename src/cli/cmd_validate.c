/* cmd_validate.c — `tend validate`: check a registry without a daemon. */
#include <getopt.h>
#include <stdlib.h>

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
    static const struct option options[] = {
        {"config", required_argument, NULL, 'c'},
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    const char *config = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "+c:h", options, NULL)) != -1) {
        switch (c) {
        case 'c': config = optarg; break;
        case 'h': fputs(validate_usage, stdout); return EXIT_OK;
        default: fputs(validate_usage, stderr); return EXIT_USAGE;
        }
    }
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
