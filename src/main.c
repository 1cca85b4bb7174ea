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
    "  daemon [-c FILE] [--http ADDR|off]  run the supervisor in the foreground\n"
    "  apply [-c FILE]                     load a registry into the daemon, print the plan\n"
    "  services list|status|start|stop|restart|logs|health|monitor|readiness|check ...\n"
    "                                      manage services (tend services --help)\n"
    "  platform start|stop|restart [NAME...] [--force]\n"
    "                                      many services at once, with progress\n"
    "  platform status|health              every service by category; every one's health\n"
    "  platform logs NAME [--follow]       a service's output, live with --follow\n"
    "  why NAME                            why a service is in its state, in words\n"
    "  dashboard [--no-open]               the web dashboard's URL (with its access token)\n"
    "  jobs [--service S] [--phase P]      jobs with their provenance\n"
    "  runs [--service S]                  runs (one per service start)\n"
    "  events [--follow] [--service S]     state changes, live with --follow\n"
    "  up|down [NAME...], ps, logs NAME    short for platform start|stop, services list|logs\n"
    "  rpc METHOD ['JSON params']          call any API method, print the JSON result\n"
    "\n"
    "Registry commands (no daemon needed):\n"
    "  validate [-c FILE]                  check the registry, every error as FILE:LINE:COL\n"
    "  services validate [-c FILE]         the registry, then every service's pre-flight checks\n"
    "  services dependencies [NAME] [-c FILE]\n"
    "                                      dependency tree, start order, reverse dependencies\n"
    "\n"
    "Client commands start a user daemon when none answers; --no-autostart or\n"
    "TEND_NO_AUTOSTART=1 prevents that. --json prints the API's JSON instead of text.\n"
    "\n"
    "Options:\n"
    "  -h, --help      this text (COMMAND --help for a command's own)\n"
    "  -V, --version   the version\n"
    "\n"
    "Environment:\n"
    "  TEND_HOME       keep socket, database, logs and services.toml under this folder\n"
    "  NO_COLOR        no colours or symbols, even on a terminal\n"
    "  TEND_SPAWN_THREADS  threads the daemon spawns processes on (0-4; default: one\n"
    "                  per CPU, none on one CPU)\n"
    "\n"
    "Exit status: 0 success, 1 the operation failed, 2 usage error,\n"
    "3 daemon unreachable.\n";

/* tend up|down|ps|logs: the short forms of platform start|stop, services
 * list, services logs. */
static int short_form(int argc, char **argv)
{
    static const struct {
        const char *word, *group, *sub;
    } forms[] = {
        {"up", "platform", "start"},
        {"down", "platform", "stop"},
        {"ps", "services", "list"},
        {"logs", "services", "logs"},
    };
    for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
        if (strcmp(argv[1], forms[i].word) != 0) continue;
        /* "tend up ..." is read as "platform start ...": argv[1] becomes the
         * subcommand, as the group's command expects after its own name. */
        argv[1] = (char *)forms[i].sub;
        return strcmp(forms[i].group, "platform") == 0 ? cmd_platform(argc, argv)
                                                       : cmd_services(argc, argv);
    }
    fprintf(stderr, "tend: unknown command '%s'\n%s", argv[1], main_usage);
    return EXIT_USAGE;
}

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
    if (strcmp(cmd, "platform") == 0) return cmd_platform(argc - 1, argv + 1);
    if (strcmp(cmd, "why") == 0) return cmd_why(argc - 1, argv + 1);
    if (strcmp(cmd, "dashboard") == 0) return cmd_dashboard(argc - 1, argv + 1);
    if (strcmp(cmd, "jobs") == 0) return cmd_jobs(argc - 1, argv + 1);
    if (strcmp(cmd, "runs") == 0) return cmd_runs(argc - 1, argv + 1);
    if (strcmp(cmd, "events") == 0) return cmd_events(argc - 1, argv + 1);
    return short_form(argc, argv);
}
