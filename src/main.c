/* main.c — tend's entry point: turns argv into one command and returns
 * its exit status. `tend daemon` will be the supervisor; every other
 * command is a client or, like validate, works on the registry file alone. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "daemon/daemon.h"

#ifndef TEND_VERSION
#define TEND_VERSION "0.1.0"
#endif

static const char main_usage[] =
    "usage: tend COMMAND [ARGS]\n"
    "\n"
    "tend supervises services: it starts them in dependency order, keeps them\n"
    "running, and tells you what actually runs.\n"
    "\n"
    "Daemon:\n"
    "  daemon [-c FILE]                    run the supervisor in the foreground\n"
    "  apply [-c FILE]                     load a registry into the daemon, print the plan\n"
    "  services list|status|start|stop|restart|logs ...\n"
    "                                      manage services (tend services --help)\n"
    "  rpc METHOD ['JSON params']          call any API method, print the JSON result\n"
    "\n"
    "Registry commands (no daemon needed):\n"
    "  validate [-c FILE]                  check the registry, every error as FILE:LINE:COL\n"
    "  services dependencies [NAME] [-c FILE]\n"
    "                                      dependency tree, start order, reverse dependencies\n"
    "\n"
    "Client commands start a user daemon when none answers; --no-autostart or\n"
    "TEND_NO_AUTOSTART=1 prevents that.\n"
    "\n"
    "Options:\n"
    "  -h, --help      this text (COMMAND --help for a command's own)\n"
    "  -V, --version   the version\n"
    "\n"
    "Environment:\n"
    "  TEND_HOME       keep socket, database, logs and services.toml under this folder\n"
    "  NO_COLOR        no colours or symbols, even on a terminal\n"
    "\n"
    "Exit status: 0 success, 1 the operation failed, 2 usage error,\n"
    "3 daemon unreachable.\n";

int main(int argc, char **argv)
{
    if (argc < 2) {
        fputs(main_usage, stderr);
        return EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "help") == 0) {
        fputs(main_usage, stdout);
        return EXIT_OK;
    }
    if (strcmp(cmd, "-V") == 0 || strcmp(cmd, "--version") == 0) {
        printf("tend %s\n", TEND_VERSION);
        return EXIT_OK;
    }
    if (strcmp(cmd, "validate") == 0) return cmd_validate(argc - 1, argv + 1);
    if (strcmp(cmd, "daemon") == 0) return daemon_main(argc - 1, argv + 1);
    if (strcmp(cmd, "services") == 0) return cmd_services(argc - 1, argv + 1);
    if (strcmp(cmd, "rpc") == 0) return cmd_rpc(argc - 1, argv + 1);
    if (strcmp(cmd, "apply") == 0) return cmd_apply(argc - 1, argv + 1);
    fprintf(stderr, "tend: unknown command '%s'\n%s", cmd, main_usage);
    return EXIT_USAGE;
}
