/* cli.h — what the command-line front end shares: exit codes, the commands
 * main.c dispatches to, and the few helpers they have in common. */
#ifndef TEND_CLI_CLI_H
#define TEND_CLI_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "cli/api_client.h"
#include "cli/api_remote.h"
#include "config/registry.h"

enum {
    EXIT_OK = 0,
    EXIT_FAILED = 1,      /* the operation failed (or the registry is invalid) */
    EXIT_USAGE = 2,       /* the command line is wrong */
    EXIT_UNREACHABLE = 3, /* no daemon answered */
};

/* The registry path: -c FILE, else $TEND_HOME/services.toml, else
 * /etc/tend/services.toml for root, else $XDG_CONFIG_HOME/tend/services.toml.
 * Returns a new string, or NULL when no location can be derived. */
char *cli_config_path(const char *from_option);

/* Parses -c FILE, --json and --help for the offline commands. Returns -1 to go on
 * (optind at the first operand), or the exit status to end with. */
int cli_config_options(int argc, char **argv, const char *usage, const char **config, bool *json);

/* Loads the registry, printing every problem to stderr on failure. */
registry *cli_load_registry(const char *path);

/* The registry a command works on (registry_source.c): option (-c FILE)
 * if given; else the file a running daemon read, else the default path,
 * else (unless need_file) the registry the daemon runs. Prints why on
 * failure. *file_out (if wanted) gets the absolute path of the file read,
 * or NULL. */
registry *cli_registry_open(const char *option, bool need_file, char **file_out);
/* Where that registry is, without reading it: *path (a file to read) or
 * *content (the daemon's {services, actions}, new reference). Returns 0,
 * or -1 after saying why there is none. */
int cli_registry_locate(const char *option, bool need_file, char **path, json_t **content);
/* For a command that only asks the daemon and was given -c: says why -c
 * has no place there; returns EXIT_USAGE. */
int cli_refuse_config(void);

/* The command words the user typed ("services start"), which every error
 * message starts with: "tend services start: ...". Set once by main. */
void cli_set_command(const char *words);
const char *cli_command(void);

/* A time as the CLI prints it (clock_text.c): local time, YYYY-MM-DD
 * HH:MM:SS. From seconds since the epoch, or from a UTC stamp
 * (YYYY-MM-DDTHH:MM:SS.mmmZ; anything else is printed as it is). */
void cli_clock_text(double epoch, char *out, size_t size);
void cli_clock_text_utc(const char *stamp, char *out, size_t size);

/* The daemon's history, from the `history` member of service.status and
 * service.why, when it is not written: "not written since TIME (ERROR),
 * N changes waiting". False (out untouched) while it is written. */
bool cli_history_text(json_t *history, char *out, size_t size);

/* True when out is a terminal that may get colour and symbols (and
 * NO_COLOR is not set). */
bool cli_fancy(FILE *out);

/* Prints a failed call's message as "tend COMMAND WORDS: message" (what
 * names the call only when no command words were set); returns the exit
 * status it means. */
int cli_report_call(const char *what, call_status status, const call_error *err);

/* Prints the last lines of a service's logs, then new ones until stopped. */
int cli_follow_logs(const char *name, long lines, bool json);
/* Prints the log lines of a /logs/... stream until it ends. */
int cli_follow_logs_path(const char *path, bool json);

int cmd_validate(int argc, char **argv);
int cmd_rpc(int argc, char **argv);
int cmd_apply(int argc, char **argv);
int cmd_services(int argc, char **argv);
int cmd_platform(int argc, char **argv);
int cmd_why(int argc, char **argv);
int cmd_jobs(int argc, char **argv);
int cmd_runs(int argc, char **argv);
int cmd_events(int argc, char **argv);
int cmd_dependencies(int argc, char **argv);
int cmd_dashboard(int argc, char **argv);
int cmd_token(int argc, char **argv);
/* cmd_script.c: execs tend-lua with the remote options in its environment. */
int cmd_script(int argc, char **argv, const api_remote_options *remote);
/* `services health|monitor|readiness|check|validate`: argv[0] is the subcommand. */
int cmd_services_health(int argc, char **argv, const char *usage);
int cli_platform_health(bool json);
/* wait.c: acting on services, then waiting with progress until each has
 * settled (see wait.c for what a successful start is). */
typedef enum { CLI_START, CLI_RESTART, CLI_STOP } cli_act;
typedef struct {
    bool json;        /* the final statuses as JSON, no progress lines */
    bool wait;        /* false: --no-wait, the call's answer only */
    bool force;       /* start: restart what runs; stop: despite running dependents */
    bool skip_checks; /* start: no pre-flight checks */
} cli_act_options;
/* Whether --force could get past a pre-flight refusal (the daemon's
 * "Pre-flight check failed: CHECK..."): not for a check of what the
 * mode needs (a container engine, kubectl). */
bool cli_force_would_help(const char *refusal);
/* The same for the name of the check that failed. */
bool cli_force_would_help_check(const char *check);
/* act on each name in turn; exit status 1 if any failed. */
int cli_act_and_wait(cli_act act, char **names, const cli_act_options *o);
/* service.stop_all on names (all: every running service) in dependency
 * order in time; force: SIGKILL. */
int cli_stop_set_and_wait(char **names, bool all, const cli_act_options *o);

#endif
