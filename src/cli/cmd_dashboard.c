/* cmd_dashboard.c — `tend dashboard`: the URL of the daemon's web
 * dashboard, with its access token, and the browser opened on it when
 * there is a display to open it on. */
#include <fcntl.h>
#include <getopt.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "base/fileio.h"
#include "base/paths.h"
#include "cli/api_client.h"
#include "cli/cli.h"

extern char **environ;

static const char dashboard_usage[] =
    "usage: tend dashboard [--no-open] [--json] [--no-autostart]\n"
    "\n"
    "Prints the URL of the daemon's web dashboard. It carries the dashboard's\n"
    "access token (kept across restarts until `tend token rotate dashboard`):\n"
    "whoever has the URL can act on your services.\n"
    "With a display ($DISPLAY or $WAYLAND_DISPLAY) the URL is also opened in\n"
    "the browser (xdg-open), unless --no-open.\n"
    "\n"
    "  --json          {\"url\": ...}\n"
    "\n"
    "The daemon serves it on 127.0.0.1:9120 unless started with --http.\n"
    "Exit status: 0 printed, 1 the daemon serves no dashboard, 3 daemon unreachable.\n";

/* xdg-open URL, without a shell and without waiting for the browser. */
static bool open_browser(const char *url)
{
    if (!getenv("DISPLAY") && !getenv("WAYLAND_DISPLAY")) return false;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    char *argv[] = {"xdg-open", (char *)url, NULL};
    pid_t pid;
    int rc = posix_spawnp(&pid, "xdg-open", &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    int status = 0;
    /* xdg-open hands the URL to the browser and returns. */
    return rc == 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
           WEXITSTATUS(status) == 0;
}

int cmd_dashboard(int argc, char **argv)
{
    static const struct option options[] = {
        {"no-open", no_argument, NULL, 'n'},
        {"json", no_argument, NULL, 'j'},
        {"no-autostart", no_argument, NULL, 'A'},
        {"config", required_argument, NULL, 'c'},
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    bool open = true, json = false;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "c:h", options, NULL)) != -1) {
        switch (c) {
        case 'n': open = false; break;
        case 'j': json = true; break;
        case 'A': api_set_autostart(false); break;
        case 'c': return cli_refuse_config();
        case 'h': fputs(dashboard_usage, stdout); return EXIT_OK;
        default: fputs(dashboard_usage, stderr); return EXIT_USAGE;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "tend dashboard: unexpected argument '%s'\n%s", argv[optind],
                dashboard_usage);
        return EXIT_USAGE;
    }
    /* Any call: it finds (or starts) the daemon that writes the URL. */
    json_t *result = NULL, *params = json_pack("{s:i}", "tail", 1);
    call_error err = {0};
    call_status st = api_call("events.list", params, &result, &err);
    json_decref(params);
    json_decref(result);
    if (st != CALL_OK) return cli_report_call("dashboard", st, &err);
    tend_paths paths;
    char *path = NULL, *url = NULL;
    size_t len = 0;
    if (tend_paths_init(&paths) < 0 || asprintf(&path, "%s/dashboard.url", paths.state_dir) < 0)
        path = NULL;
    tend_paths_free(&paths);
    if (!path || file_read_all(path, 4096, &url, &len) < 0 || len == 0) {
        fprintf(stderr,
                "tend dashboard: the daemon serves no dashboard (it was started with --http off, "
                "or its port was taken: see its output)\n");
        free(path);
        free(url);
        return EXIT_FAILED;
    }
    free(path);
    url[strcspn(url, "\n")] = '\0';
    if (json) {
        json_t *out = json_pack("{s:s}", "url", url);
        char *text = json_dumps(out, JSON_INDENT(2));
        puts(text);
        free(text);
        json_decref(out);
    } else {
        puts(url);
        if (open && open_browser(url)) fprintf(stderr, "Opened in your browser.\n");
    }
    free(url);
    return EXIT_OK;
}
