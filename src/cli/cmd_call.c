/* cmd_call.c — `tend rpc METHOD [PARAMS]`: any API method from the shell. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/api_client.h"
#include "cli/cli.h"

static const char rpc_usage[] =
    "usage: tend rpc [--no-autostart] METHOD ['JSON params']\n"
    "\n"
    "Calls METHOD on the daemon with PARAMS (a JSON object or array) and prints\n"
    "the result as JSON. Starts a daemon first when none answers, unless\n"
    "--no-autostart (or TEND_NO_AUTOSTART=1) says not to.\n"
    "\n"
    "Exit status: 0 success, 1 the method returned an error (printed),\n"
    "2 usage error (including params that are not JSON), 3 daemon unreachable.\n";

static char command_words[128];

void cli_set_command(const char *words)
{
    snprintf(command_words, sizeof(command_words), "%s", words);
}

const char *cli_command(void)
{
    return command_words[0] ? command_words : "tend";
}

int cli_report_call(const char *what, call_status status, const call_error *err)
{
    if (status == CALL_OK) return EXIT_OK;
    fprintf(stderr, "tend %s: %s\n", command_words[0] ? command_words : what, err->message);
    return status == CALL_UNREACHABLE ? EXIT_UNREACHABLE : EXIT_FAILED;
}

int cmd_rpc(int argc, char **argv)
{
    static const struct option options[] = {
        {"no-autostart", no_argument, NULL, 'n'},
        {"json", no_argument, NULL, 'j'},
        {"config", required_argument, NULL, 'c'},
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "c:h", options, NULL)) != -1) {
        switch (c) {
        case 'n': api_set_autostart(false); break;
        case 'j': break; /* the result is JSON anyway */
        case 'c': return cli_refuse_config();
        case 'h': fputs(rpc_usage, stdout); return EXIT_OK;
        default: fputs(rpc_usage, stderr); return EXIT_USAGE;
        }
    }
    if (argc - optind < 1 || argc - optind > 2) {
        fputs(rpc_usage, stderr);
        return EXIT_USAGE;
    }
    const char *method = argv[optind];
    json_t *params = NULL;
    if (argc - optind == 2) {
        json_error_t jerr;
        params = json_loads(argv[optind + 1], JSON_DECODE_ANY, &jerr);
        if (!params || !(json_is_object(params) || json_is_array(params))) {
            fprintf(stderr, "tend rpc: params must be a JSON object or array: %s\n",
                    params ? "got another JSON value" : jerr.text);
            json_decref(params);
            return EXIT_USAGE;
        }
    }
    json_t *result = NULL;
    call_error err = {0};
    call_status status = api_call(method, params, &result, &err);
    json_decref(params);
    if (status != CALL_OK) return cli_report_call(method, status, &err);
    char *text = json_dumps(result, JSON_INDENT(2) | JSON_ENCODE_ANY);
    puts(text ? text : "null");
    free(text);
    json_decref(result);
    return EXIT_OK;
}
