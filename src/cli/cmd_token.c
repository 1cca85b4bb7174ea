/* cmd_token.c — `tend token create|list|revoke|rotate`: the API's access
 * tokens (docs/api.md, Tokens), through the token.* methods, so that they
 * work on a remote daemon as on the local one. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/api_client.h"
#include "cli/cli.h"

static const char token_usage[] =
    "usage: tend token create NAME [--read-only] [--expires DAYS] [--json]\n"
    "       tend token list [--json]\n"
    "       tend token revoke NAME\n"
    "       tend token rotate NAME [--json]\n"
    "\n"
    "Access tokens for the daemon's TCP servers (the dashboard's port, a remote\n"
    "listener): a request carries one as Authorization: Bearer TOKEN.\n"
    "\n"
    "  create   makes a token and prints it, once: tend keeps only its hash.\n"
    "           --read-only: it may call only the methods that change nothing\n"
    "           and read /metrics, /events and logs (default: admin, everything).\n"
    "           --expires DAYS: refused after that many days; fractions allowed\n"
    "           (0.5 is twelve hours). Default: never.\n"
    "  list     name, rights, created, expires and last use (to the minute) of\n"
    "           every token; never a token itself.\n"
    "  revoke   the token is refused from now on.\n"
    "  rotate   prints a new token for NAME, with the same rights and lifetime;\n"
    "           the old one is refused at once. `tend token rotate dashboard`\n"
    "           renews the dashboard's token (kept across restarts until then,\n"
    "           also in STATE_DIR/dashboard.token, e.g. for a Prometheus\n"
    "           bearer_token_file).\n"
    "\n"
    "Only the daemon's owner (its unix socket) and admin tokens manage tokens.\n"
    "Exit status: 0 done, 1 refused (a name taken or unknown), 2 usage error,\n"
    "3 daemon unreachable.\n";

/* At most a hundred years, as the daemon allows. */
#define MAX_DAYS 36500.0

/* DAYS: a number above 0, fractions allowed. */
static int parse_days(const char *text, double *days)
{
    char *end = NULL;
    errno = 0;
    double d = strtod(text, &end);
    if (!*text || *end || errno || !isfinite(d) || d <= 0 || d > MAX_DAYS) {
        fprintf(stderr,
                "tend %s: --expires: '%s' is not a number of days above 0 and at most 36500 "
                "(e.g. 30, or 0.5 for twelve hours)\n",
                cli_command(), text);
        return -1;
    }
    *days = d;
    return 0;
}

static void print_json(json_t *v)
{
    char *text = json_dumps(v, JSON_INDENT(2) | JSON_ENCODE_ANY);
    puts(text ? text : "null");
    free(text);
}

static void when_text(json_t *t, const char *none, char *out, size_t size)
{
    if (json_is_number(t))
        cli_clock_text(json_number_value(t), out, size);
    else
        snprintf(out, size, "%s", none);
}

static void print_list(json_t *tokens)
{
    printf("%-20s %-10s %-19s  %-19s  %s\n", "NAME", "RIGHTS", "CREATED", "EXPIRES", "LAST USED");
    size_t i;
    json_t *t;
    json_array_foreach(tokens, i, t)
    {
        char created[32], expires[48], used[32];
        when_text(json_object_get(t, "created_at"), "-", created, sizeof(created));
        when_text(json_object_get(t, "expires_at"), "never", expires, sizeof(expires));
        when_text(json_object_get(t, "last_used_at"), "never", used, sizeof(used));
        if (json_is_true(json_object_get(t, "expired")))
            strncat(expires, " (expired)", sizeof(expires) - strlen(expires) - 1);
        printf("%-20s %-10s %-19s  %-19s  %s\n", json_string_value(json_object_get(t, "name")),
               json_is_true(json_object_get(t, "read_only")) ? "read-only" : "admin", created,
               expires, used);
    }
}

/* The token on stdout (alone, for $(...)), what it is on stderr. */
static void print_made(json_t *made, const char *verb)
{
    puts(json_string_value(json_object_get(made, "token")));
    char expires[32];
    when_text(json_object_get(made, "expires_at"), "never", expires, sizeof(expires));
    fprintf(stderr,
            "%s token '%s' (%s, expires %s). It is shown this once: tend keeps only its hash.\n",
            verb, json_string_value(json_object_get(made, "name")),
            json_is_true(json_object_get(made, "read_only")) ? "read-only" : "admin", expires);
}

int cmd_token(int argc, char **argv)
{
    static const struct option options[] = {
        {"read-only", no_argument, NULL, 'r'},
        {"expires", required_argument, NULL, 'e'},
        {"json", no_argument, NULL, 'j'},
        {"no-autostart", no_argument, NULL, 'A'},
        {"config", required_argument, NULL, 'c'},
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    bool read_only = false, json = false, have_days = false;
    double days = 0;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "c:h", options, NULL)) != -1) {
        switch (c) {
        case 'r': read_only = true; break;
        case 'e':
            if (parse_days(optarg, &days) < 0) return EXIT_USAGE;
            have_days = true;
            break;
        case 'j': json = true; break;
        case 'A': api_set_autostart(false); break;
        case 'c': return cli_refuse_config();
        case 'h': fputs(token_usage, stdout); return EXIT_OK;
        default: fputs(token_usage, stderr); return EXIT_USAGE;
        }
    }
    const char *sub = optind < argc ? argv[optind] : NULL;
    bool create = sub && strcmp(sub, "create") == 0, list = sub && strcmp(sub, "list") == 0;
    bool named = create || (sub && (strcmp(sub, "revoke") == 0 || strcmp(sub, "rotate") == 0));
    if (!sub || (!named && !list)) {
        if (sub) fprintf(stderr, "tend token: unknown subcommand '%s'\n", sub);
        fputs(token_usage, stderr);
        return EXIT_USAGE;
    }
    int operands = argc - optind - 1;
    if (operands != (named ? 1 : 0)) {
        fprintf(stderr, "tend %s: %s\n%s", cli_command(),
                named ? "give one NAME" : "takes no arguments", token_usage);
        return EXIT_USAGE;
    }
    if (!create && (read_only || have_days)) {
        fprintf(stderr, "tend %s: --read-only and --expires go with create\n", cli_command());
        return EXIT_USAGE;
    }
    json_t *params = named ? json_pack("{s:s}", "name", argv[optind + 1]) : NULL;
    if (read_only) json_object_set_new(params, "read_only", json_true());
    if (have_days) json_object_set_new(params, "expires_in_days", json_real(days));
    char method[32];
    snprintf(method, sizeof(method), "token.%s", sub);
    json_t *result = NULL;
    call_error err = {0};
    call_status st = api_call(method, params, &result, &err);
    json_decref(params);
    if (st != CALL_OK) return cli_report_call(method, st, &err);
    if (json)
        print_json(result);
    else if (list)
        print_list(result);
    else if (strcmp(sub, "revoke") == 0)
        fprintf(stderr, "Revoked token '%s': it is refused from now on.\n", argv[optind + 1]);
    else
        print_made(result, create ? "Made" : "Rotated");
    json_decref(result);
    return EXIT_OK;
}
