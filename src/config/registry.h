/* registry.h — the service registry (services.toml) as validated specs.
 *
 * Owns the specs it returns: registry_load*() gives either a complete,
 * cross-checked registry or NULL plus every problem it found, each with
 * file:line:col; never a half-loaded one. Names are unique within services
 * and within actions; every reference (dependencies, actions, depends_on)
 * resolves; neither graph has a cycle. docs/registry.md documents each key.
 */
#ifndef TEND_CONFIG_REGISTRY_H
#define TEND_CONFIG_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "base/diag.h"
#include "base/rlimits.h"
#include "base/strmap.h"

/* Where a spec was written in its file (1-based; 0 for synthesized parts). */
typedef struct {
    int line, col;
} spec_pos;

typedef enum { ACTION_PROCESS, ACTION_ONESHOT } action_kind;

/* How a process runs: the keys [actions.NAME] and a service's
 * deployment.binary share, read and checked by one function. */
typedef struct {
    char *user;          /* NULL: the daemon's user */
    char **env_files;    /* absolute paths, read at each start; "-/path": may be missing */
    bool ready_notify;   /* ready = "notify": ready once it sends READY=1 (sd_notify) */
    double timeout;      /* seconds; 0 = no limit */
    int stop_signal;     /* signal number, default SIGTERM */
    double stop_timeout; /* seconds between stop_signal and SIGKILL */
    bool no_new_privileges; /* PR_SET_NO_NEW_PRIVS before exec */
    int umask;              /* 0..0777; -1: the umask the daemon was started with */
    rlimit_entry *limits;   /* setrlimit before exec, n_limits of them */
    size_t n_limits;
} process_keys;

typedef struct {
    int max_attempts; /* total attempts, >= 1; 1 means no retry */
    double delay;     /* seconds before the first retry */
    double backoff;   /* each further delay is multiplied by this, >= 1 */
} retry_policy;

/* An executable template. Exactly one of exec (interpreter "exec") and
 * script (any other interpreter) is set, except in the action of a
 * service whose deployment is not binary: neither is, and its deployment
 * says what runs. */
typedef struct {
    char *name;
    char *description;
    /* "exec", "sh", "bash", "python3", "lua", "node", "perl", "nu", "tend-lua" */
    char *interpreter;
    char **exec;       /* argv, run directly (no shell) */
    char *script;      /* script text, given verbatim to the interpreter */
    char **args;       /* appended to the command line */
    char **env;        /* "KEY=VALUE" entries */
    char **env_files;  /* as process_keys.env_files; their values are never in a spec */
    char *cwd;         /* NULL: the daemon's working directory */
    char *user;        /* NULL: the daemon's user */
    action_kind kind;
    bool ready_notify; /* ready = "notify": ready once it sends READY=1 (sd_notify) */
    double timeout;    /* seconds; 0 = no limit */
    retry_policy retry;
    int stop_signal;     /* signal number, default SIGTERM */
    double stop_timeout; /* seconds between stop_signal and SIGKILL */
    bool no_new_privileges; /* as process_keys */
    int umask;
    rlimit_entry *limits;
    size_t n_limits;
    char **requires;     /* actions that must be running (or have succeeded) first */
    char **after;        /* actions that start first, without waiting for success */
    char *from_service;  /* set when synthesized from a service's deployment */
    /* That service's deployment (in the same registry), which the mode's
     * adapter runs; NULL for an action of the [actions] table. */
    const struct deployment_spec *deployment;
    spec_pos pos;
} action_spec;

typedef enum {
    DEPLOY_NONE, /* the service runs its listed actions */
    DEPLOY_BINARY,
    DEPLOY_DOCKER,
    DEPLOY_DOCKER_COMPOSE,
    DEPLOY_KUBERNETES,
    DEPLOY_REMOTE,
} deploy_mode;

typedef struct deployment_spec {
    deploy_mode mode;
    struct {
        char *binary_path;
        char **args;
        char *working_dir;
        char **env;           /* "KEY=VALUE" */
        process_keys process; /* user, env_file, ready, timeout, stop_signal, stop_timeout */
    } binary;
    struct {
        char *image;
        char *container_name;
        char **ports;   /* "host:container[/proto]" as docker -p takes them */
        char **volumes; /* "src:dst[:opts]" as docker -v takes them */
        char *restart_policy;
        char **env;
        char **args; /* arguments for the image's entrypoint */
        bool init;   /* --init: a PID 1 that passes the stop signal on (default true) */
        char *pull;  /* "missing" (default), "always" or "never" */
    } docker;
    struct {
        char *compose_file;
        char *service_name;
        char *project_name;
    } compose;
    struct {
        char *namespace_;
        char *deployment_name;
        char *manifests_path;
        char *context;
        int replicas; /* scaled to on start (to 0 on stop), >= 1 */
    } kubernetes;
    struct {
        char *endpoint; /* http://, https:// or tend+https://HOST:PORT/SERVICE */
        bool tls_enabled;
        char *auth_token_path;
        char *ca_file; /* the CA its certificate is checked against; NULL: the system's */
    } remote;
    /* stop_signal and stop_timeout of the modes other than binary (whose
     * are in binary.process); the other fields stay at their defaults. */
    process_keys stop;
} deployment_spec;

typedef enum { HEALTH_NONE, HEALTH_HTTP, HEALTH_TCP, HEALTH_COMMAND, HEALTH_FILE } health_type;

typedef struct {
    health_type type;
    double interval; /* seconds between checks (default 10) */
    int retries;     /* failed checks in a row before unhealthy (default 3) */
    double timeout;  /* seconds one check may take (default 5) */
    struct {
        char *endpoint;
        int expected_status; /* default 200 */
        char *method;        /* default "GET" */
        /* Not keys of the check: a remote service's own (deployment.remote),
         * for the check of the endpoint elsewhere. NULL: none. */
        char *ca_file;
        char *token_file; /* its bearer token, read at each check */
    } http;
    struct {
        char *host; /* default "localhost" */
        int port;
    } tcp;
    struct {
        char **argv; /* the command, split into words without a shell */
        int expected_exit_code;
        char *user; /* NULL: the daemon's user */
    } command;
    struct {
        char *path;
        bool must_exist; /* default true */
    } file;
} health_spec;

/* A deep copy, for a check that must outlive the registry it came from;
 * health_spec_clear frees what a copy owns. */
health_spec health_spec_copy(const health_spec *h);
void health_spec_clear(health_spec *h);

typedef enum { RESTART_ON_FAILURE, RESTART_ALWAYS, RESTART_NEVER } restart_mode;

/* The most restarts a window can allow (tend remembers that many). */
#define REGISTRY_MAX_RESTARTS 64

typedef struct {
    bool auto_start;
    double start_timeout;     /* seconds to become running (and healthy) */
    int start_order;          /* lower starts earlier among ready services; default 100 */
    restart_mode restart;     /* from restart_on_failure, or restart = "always" etc. */
    int max_restarts;         /* restarts within restart_window before failed; default 5 */
    double restart_window;    /* seconds; default 60 */
    double restart_delay;     /* before the first restart; default 0 (immediately) */
    double restart_delay_max; /* cap of the doubling delay; default 30 */
} startup_spec;

/* How much of a service's history the store keeps ([retention] and
 * [services.NAME.retention]); a service's current run, its last run and
 * every active job are kept whatever these say. */
typedef struct {
    int runs;         /* runs kept per service, the current one included */
    int jobs_per_run; /* jobs kept per run: a crash loop's attempts */
} run_retention;

/* The registry-wide [retention]: the runs of services that say nothing,
 * and what no service owns. */
typedef struct {
    run_retention runs;  /* default 20 runs, 100 jobs per run */
    int standalone_jobs; /* jobs of no service kept; default 1000 */
    int events;          /* events kept; default 10000 */
    int event_days;      /* events older than this many days go too; 0 (default): no age limit */
} retention_spec;

#define RETENTION_DEFAULT_RUNS 20
#define RETENTION_DEFAULT_JOBS_PER_RUN 100
#define RETENTION_DEFAULT_STANDALONE_JOBS 1000
#define RETENTION_DEFAULT_EVENTS 10000

typedef struct {
    char *name;
    char *type;     /* "platform", "infrastructure" or "utility" */
    char *category; /* free text: "orchestration", "dns", ... */
    char *description;
    char **required_for; /* operations that need this service */
    char **dependencies; /* services that must run first */
    char **conflicts;    /* services that must not run at the same time */
    char **actions;      /* the actions a start runs, one job each */
    deployment_spec deployment;
    health_spec health;
    startup_spec startup;
    long log_max_bytes; /* the service's job logs are kept within this; default 64 MiB */
    run_retention retention; /* its own [retention]; a 0 field: the registry's */
    spec_pos pos;
} service_spec;

/* The registry's [daemon] table: where the daemon serves its API to
 * other hosts (tend daemon --listen and --tls-* replace it key by key).
 * Read when the daemon starts; `tend apply` stores it for the next start.
 * Paths are absolute (a relative one is taken from the file's folder). */
#define REGISTRY_MAX_LISTEN 6

typedef struct {
    char **listen; /* "IP:PORT" each, at most REGISTRY_MAX_LISTEN; NULL: none */
    char *tls_cert, *tls_key, *tls_client_ca;
} daemon_spec;

typedef struct {
    char *path;
    service_spec **services; /* in file order */
    size_t n_services;
    action_spec **actions; /* explicit actions in file order, then synthesized ones */
    size_t n_actions;
    strmap service_index; /* name -> position in services + 1, as a pointer */
    strmap action_index;  /* name -> position in actions + 1, as a pointer */
    retention_spec retention;
    daemon_spec daemon;
} registry;

/* Loads and validates a file. Returns the registry, or NULL with every
 * problem in diags (which the caller initialised with diag_init). */
registry *registry_load_file(const char *path, diag_list *diags);

/* The same from bytes already in memory; path only names them in errors. */
registry *registry_load_bytes(const char *path, const char *bytes, size_t len, diag_list *diags);

/* The same from a JSON document of the same shape ({"services": {...},
 * "actions": {...}}), as the API receives and the store keeps it. Strings
 * are taken verbatim: ${VAR} was expanded where the file was read. Problems
 * have no line:col; their messages name the key path. */
registry *registry_from_json(const json_t *doc, diag_list *diags);

/* The registry as such a document: what the user declared, with defaults
 * filled in; actions synthesized from a deployment are left out, as
 * they follow from their service. registry_from_json() of it gives the
 * same registry. */
json_t *registry_to_json(const registry *r);
json_t *service_spec_to_json(const service_spec *s);
json_t *action_spec_to_json(const action_spec *a);
json_t *retention_spec_to_json(const retention_spec *r);
/* NULL when the table is empty. */
json_t *daemon_spec_to_json(const daemon_spec *d);

const service_spec *registry_service(const registry *r, const char *name);
const action_spec *registry_action(const registry *r, const char *name);
/* Position of a service in r->services (an action in r->actions), or -1. */
long registry_service_index(const registry *r, const char *name);
long registry_action_index(const registry *r, const char *name);

void registry_free(registry *r);

/* What the store keeps of s's runs: its own retention, else the registry's. */
run_retention registry_service_retention(const registry *r, const service_spec *s);

const char *deploy_mode_name(deploy_mode mode);
const char *health_type_name(health_type type);
const char *action_kind_name(action_kind kind);
const char *restart_mode_name(restart_mode mode);

#endif
