/* main.c — tend's entry point: turns argv into one command and returns
 * its exit status. `tend daemon` will be the supervisor; every other
 * command is a client or, like validate, works on the registry file alone. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cli/api_remote.h"
#include "cli/cli.h"
#include "daemon/daemon.h"

#ifndef TEND_VERSION
#define TEND_VERSION "0.1.0"
#endif

static const char main_usage[] =
    "usage: tend [--host URL --token-file FILE [--cacert FILE] [--cert FILE --key FILE]]\n"
    "            COMMAND [ARGS]\n"
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
    "  token create|list|revoke|rotate NAME\n"
    "                                      access tokens for the TCP API (tend token --help)\n"
    "  jobs [--service S] [--phase P]      jobs with their provenance\n"
    "  runs [--service S]                  runs (one per service start)\n"
    "  events [--follow] [--service S]     state changes, live with --follow\n"
    "  up|down [NAME...], ps, logs NAME    short for platform start|stop, services list|logs\n"
    "  rpc METHOD ['JSON params']          call any API method, print the JSON result\n"
    "\n"
    "Registry commands (no daemon needed; without -c, a running daemon's registry):\n"
    "  validate [-c FILE]                  check the registry, every error as FILE:LINE:COL\n"
    "  services validate [-c FILE]         the registry, then every service's pre-flight checks\n"
    "  services dependencies [NAME] [-c FILE]\n"
    "                                      dependency tree, start order, reverse dependencies\n"
    "\n"
    "Client commands start a user daemon when none answers; --no-autostart or\n"
    "TEND_NO_AUTOSTART=1 prevents that. --json prints the API's JSON instead of text.\n"
    "-c FILE names a registry file: the registry commands, daemon and apply take it;\n"
    "the commands that ask the daemon refuse it. These options may come before or\n"
    "after the command (tend --json ps, tend ps --json). Times are local time,\n"
    "YYYY-MM-DD HH:MM:SS; errors start with the command: tend services start: ...\n"
    "\n"
    "Options:\n"
    "  -h, --help      this text (COMMAND --help for a command's own)\n"
    "  -V, --version   the version\n"
    "\n"
    "A daemon on another host (`tend daemon --listen`; these come before COMMAND):\n"
    "  --host URL          https://HOST:PORT of its remote API (http:// only to a\n"
    "                      loopback address); no daemon is started there\n"
    "  --token-file FILE   the file holding the access token sent with each request\n"
    "  --cacert FILE       the CA that signed the server's certificate (default: the\n"
    "                      system's CAs)\n"
    "  --cert FILE --key FILE  a client certificate, for a daemon with --tls-client-ca\n"
    "  Every client command works so, but those that read the daemon's own files\n"
    "  on its host: dashboard, and apply without -c FILE.\n"
    "\n"
    "Environment:\n"
    "  TEND_HOME       keep socket, database, logs and services.toml under this folder\n"
    "                  (yours alone: one others may write to is refused; docs/cli.md)\n"
    "  TEND_HOST, TEND_TOKEN_FILE, TEND_CACERT, TEND_CERT, TEND_KEY\n"
    "                  --host, --token-file, --cacert, --cert, --key\n"
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

/* The global options: also before the command (`tend --json ps`). */
static int global_option(char **argv, int i, int argc)
{
    const char *a = argv[i];
    if (strcmp(a, "--json") == 0 || strcmp(a, "--no-autostart") == 0 || strcmp(a, "-h") == 0 ||
        strcmp(a, "--help") == 0 || strncmp(a, "--config=", 9) == 0 ||
        (strncmp(a, "-c", 2) == 0 && a[2]))
        return 1;
    if ((strcmp(a, "-c") == 0 || strcmp(a, "--config") == 0) && i + 1 < argc) return 2;
    return 0;
}

static bool is_group(const char *cmd)
{
    return strcmp(cmd, "services") == 0 || strcmp(cmd, "platform") == 0 ||
           strcmp(cmd, "token") == 0;
}

/* Moves global options given before the command words ("services
 * list") to just after them, where each command's own parser reads them:
 * `tend --json services list` and `tend services --json list` are `tend
 * services list --json`. Returns 0 when there is no command at all. */
static int hoist_globals(int argc, char **argv)
{
    char *globals[64], *words[2];
    int n_globals = 0, n_words = 0, i = 1, n;
    while (i < argc && n_words < 2) {
        if ((n = global_option(argv, i, argc)) > 0 && n_globals + n <= 64) {
            for (int k = 0; k < n; k++) globals[n_globals++] = argv[i + k];
            i += n;
            continue;
        }
        if (argv[i][0] == '-') break; /* not ours: the command's parser says so */
        words[n_words++] = argv[i++];
        if (!is_group(words[0])) break;
    }
    if (n_words == 0) return i < argc ? 1 : 0; /* leave an unknown option first */
    int at = 1;
    for (int k = 0; k < n_words; k++) argv[at++] = words[k];
    for (int k = 0; k < n_globals; k++) argv[at++] = globals[k];
    return 1;
}

/* "services start", "why", "logs": what error messages start with. */
static void set_command_words(int argc, char **argv)
{
    char words[128];
    if (is_group(argv[1]) && argc > 2 && argv[2][0] != '-')
        snprintf(words, sizeof(words), "%s %s", argv[1], argv[2]);
    else
        snprintf(words, sizeof(words), "%s", argv[1]);
    cli_set_command(words);
}

/* --host, --token-file, --cacert, --cert, --key before the command
 * (among the other global options there, as in `tend --json --host URL
 * ps`): taken out of argv. Returns how many words they took, or -1. */
static int take_remote_options(int argc, char **argv, api_remote_options *o)
{
    const struct {
        const char *name;
        const char **value;
    } names[] = {
        {"--host", &o->host},     {"--token-file", &o->token_file},
        {"--cacert", &o->cacert}, {"--cert", &o->cert},
        {"--key", &o->key},
    };
    const size_t n_names = sizeof(names) / sizeof(names[0]);
    int i = 1, kept = 1, n;
    while (i < argc) {
        if ((n = global_option(argv, i, argc)) > 0) {
            for (int k = 0; k < n; k++) argv[kept++] = argv[i++];
            continue;
        }
        size_t k = 0, len = 0;
        for (; k < n_names; k++) {
            len = strlen(names[k].name);
            if (strncmp(argv[i], names[k].name, len) == 0 && (!argv[i][len] || argv[i][len] == '='))
                break;
        }
        if (k == n_names) break;                 /* the command, or an option for it to judge */
        bool inline_value = argv[i][len] == '='; /* --host=URL */
        if (!inline_value && i + 1 >= argc) {
            fprintf(stderr, "tend: %s needs a value\n", names[k].name);
            return -1;
        }
        *names[k].value = inline_value ? argv[i] + len + 1 : argv[i + 1];
        i += inline_value ? 1 : 2;
    }
    memmove(argv + kept, argv + i, (size_t)(argc - i + 1) * sizeof(*argv));
    return i - kept;
}

int main(int argc, char **argv)
{
    api_remote_options remote = {0};
    int taken = take_remote_options(argc, argv, &remote);
    if (taken < 0) return EXIT_USAGE;
    argc -= taken;
    int at = argc < 2 ? 0 : hoist_globals(argc, argv);
    bool help = false; /* `tend --json --help`: options alone, one of them help */
    for (int i = 1; at == 0 && i < argc; i++)
        help |= strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0;
    if (help) argv[1] = "--help";
    if (argc < 2 || (at == 0 && !help)) {
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
    set_command_words(argc, argv);
    if (strcmp(cmd, "daemon") == 0 && remote.host) {
        fprintf(stderr, "tend daemon: runs on this machine; --host is for the commands that ask "
                        "a daemon\n");
        return EXIT_USAGE;
    }
    char why[600];
    if (strcmp(cmd, "daemon") != 0 && api_remote_configure(&remote, why, sizeof(why)) < 0) {
        fprintf(stderr, "tend: %s\n", why);
        return EXIT_USAGE;
    }
    if (api_remote_active() && strcmp(cmd, "dashboard") == 0) {
        fprintf(stderr,
                "tend dashboard: not over --host %s: the dashboard's URL and token are "
                "in a file on the daemon's host; run `tend dashboard` there\n",
                api_remote_host());
        return EXIT_USAGE;
    }
    if (strcmp(cmd, "validate") == 0) return cmd_validate(argc - 1, argv + 1);
    if (strcmp(cmd, "daemon") == 0) return daemon_main(argc - 1, argv + 1);
    if (strcmp(cmd, "services") == 0) return cmd_services(argc - 1, argv + 1);
    if (strcmp(cmd, "rpc") == 0) return cmd_rpc(argc - 1, argv + 1);
    if (strcmp(cmd, "apply") == 0) return cmd_apply(argc - 1, argv + 1);
    if (strcmp(cmd, "platform") == 0) return cmd_platform(argc - 1, argv + 1);
    if (strcmp(cmd, "why") == 0) return cmd_why(argc - 1, argv + 1);
    if (strcmp(cmd, "dashboard") == 0) return cmd_dashboard(argc - 1, argv + 1);
    if (strcmp(cmd, "token") == 0) return cmd_token(argc - 1, argv + 1);
    if (strcmp(cmd, "script") == 0) return cmd_script(argc - 1, argv + 1, &remote);
    if (strcmp(cmd, "jobs") == 0) return cmd_jobs(argc - 1, argv + 1);
    if (strcmp(cmd, "runs") == 0) return cmd_runs(argc - 1, argv + 1);
    if (strcmp(cmd, "events") == 0) return cmd_events(argc - 1, argv + 1);
    return short_form(argc, argv);
}
