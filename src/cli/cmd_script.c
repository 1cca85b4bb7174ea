/* cmd_script.c — `tend script FILE.lua [ARGS...]`: runs a workflow
 * script by becoming tend-lua (next to this binary; src/script), which
 * links Lua so that tend itself does not. What --host and its company
 * said goes along in the environment, where tend-lua reads it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"

static const char script_usage[] =
    "usage: tend script [--no-autostart] FILE.lua [ARGS...]\n"
    "\n"
    "Runs a Lua 5.4 workflow script with the tend module: one function per API\n"
    "method (tend.service_set, tend.service_start, tend.job_list, ...), tend.wait\n"
    "for a state or for health, tend.call for any method. ARGS are in `arg`.\n"
    "It reaches the daemon as every client command does (--host too).\n"
    "See docs/scripting.md.\n"
    "\n"
    "Exit status: 0 the script returned, 1 an error it did not catch (printed\n"
    "with the script's line and a traceback), 2 usage, 3 no daemon answered.\n";

int cmd_script(int argc, char **argv, const api_remote_options *remote)
{
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            fputs(script_usage, stdout);
            return EXIT_OK;
        }
        if (!strcmp(argv[i], "--no-autostart")) {
            setenv("TEND_NO_AUTOSTART", "1", 1);
            continue;
        }
        if (!strcmp(argv[i], "-c") || !strncmp(argv[i], "--config", 8)) return cli_refuse_config();
        fprintf(stderr, "tend script: unknown option '%s'\n%s", argv[i], script_usage);
        return EXIT_USAGE;
    }
    if (i >= argc) {
        fputs(script_usage, stderr);
        return EXIT_USAGE;
    }
    const struct {
        const char *variable, *value;
    } given[] = {
        {"TEND_HOST", remote->host},     {"TEND_TOKEN_FILE", remote->token_file},
        {"TEND_CACERT", remote->cacert}, {"TEND_CERT", remote->cert},
        {"TEND_KEY", remote->key},
    };
    for (size_t k = 0; k < sizeof(given) / sizeof(given[0]); k++)
        if (given[k].value) setenv(given[k].variable, given[k].value, 1);
    char self[4096], program[4200];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (n <= 0) {
        fprintf(stderr, "tend script: cannot find this program: %s\n", strerror(errno));
        return EXIT_FAILED;
    }
    self[n] = 0;
    const char *slash = strrchr(self, '/');
    snprintf(program, sizeof(program), "%.*s/tend-lua", (int)(slash - self), self);
    /* tend-lua FILE ARGS...: argv from FILE on, with tend-lua before it. */
    argv[i - 1] = program;
    execv(program, argv + i - 1);
    fprintf(stderr, "tend script: cannot run %s: %s\n", program, strerror(errno));
    return EXIT_FAILED;
}
