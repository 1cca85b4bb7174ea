/* registry_services.c — [services.NAME] tables into service specs:
 * identity, deployment (one table per mode), health_check and startup. */
#include "config/registry_internal.h"

#include <stdlib.h>
#include <string.h>

#include "base/strv.h"
#include "config/kube_names.h"
#include "config/words.h"

static const char *const service_keys[] = {
    "name",         "type",          "category", "description", "required_for",
    "dependencies", "conflicts",     "actions",  "deployment",  "health_check",
    "startup",      "log_max_bytes", "retention", NULL,
};
static const char *const service_types[] = {"platform", "infrastructure", "utility", NULL};

/* Index i of mode_names is deploy_mode i + 1 (DEPLOY_NONE is not written). */
static const char *const mode_names[] = {"binary",     "docker", "docker-compose",
                                         "kubernetes", "remote", NULL};
/* The table that configures each mode, same order. */
static const char *const mode_tables[] = {"binary",     "docker", "docker_compose",
                                          "kubernetes", "remote", NULL};
static const char *const deployment_keys[] = {"mode",       "binary", "docker", "docker_compose",
                                              "kubernetes", "remote", NULL};
static const char *const binary_keys[] = {
    "binary_path", "args",        "working_dir",  "env",     "env_file",          "user",
    "ready",       "stop_signal", "stop_timeout", "timeout", "no_new_privileges", "umask",
    "limits",      NULL,
};
static const char *const docker_keys[] = {
    "image", "container_name", "ports",       "volumes",      "restart_policy", "env",
    "args",  "init",           "pull",        "stop_signal",  "stop_timeout",   NULL};
static const char *const pull_policies[] = {"missing", "always", "never", NULL};
static const char *const restart_policies[] = {"no", "always", "on-failure", "unless-stopped",
                                               NULL};
static const char *const compose_keys[] = {"compose_file", "service_name", "project_name", NULL};
static const char *const kubernetes_keys[] = {"namespace", "deployment_name", "manifests_path",
                                              "context", "replicas", NULL};
static const char *const remote_keys[] = {"endpoint", "tls_enabled", "auth_token_path", "ca_file",
                                          NULL};

static const char *const health_keys[] = {"type", "interval", "retries", "timeout", "http",
                                          "tcp",  "command",  "file",    NULL};
/* Index i is health_type i. */
static const char *const health_names[] = {"none", "http", "tcp", "command", "file", NULL};
static const char *const http_keys[] = {"endpoint", "expected_status", "method", NULL};
static const char *const http_methods[] = {"GET",    "HEAD",    "POST",  "PUT",
                                           "DELETE", "OPTIONS", "PATCH", NULL};
static const char *const tcp_keys[] = {"host", "port", NULL};
static const char *const command_keys[] = {"command", "expected_exit_code", "user", NULL};
static const char *const file_keys[] = {"path", "must_exist", NULL};

static const char *const startup_keys[] = {
    "auto_start",   "start_timeout",  "start_order",   "restart_on_failure", "restart",
    "max_restarts", "restart_window", "restart_delay", "restart_delay_max",  NULL,
};
/* Index i is restart_mode i. */
static const char *const restart_names[] = {"on-failure", "always", "never", NULL};

#define DAY (24.0 * 3600.0)

/* A remote endpoint's scheme, and tls_enabled agreeing with it. */
static void read_remote_endpoint(reader *rd, const toml_value *m, const char *mpath,
                                 const deployment_spec *d)
{
    const char *e = d->remote.endpoint;
    if (!e) return;
    bool tls = strncmp(e, "https://", 8) == 0 || strncmp(e, "tend+https://", 13) == 0;
    if (!tls && strncmp(e, "http://", 7) != 0) {
        read_error(rd, toml_get(m, "endpoint")->pos,
                   "'%s.endpoint': expected an http://, https:// or tend+https://HOST:PORT/SERVICE "
                   "URL",
                   mpath);
        return;
    }
    const char *svc = strncmp(e, "tend+", 5) == 0 ? strchr(e + 13, '/') : "/x";
    if (!svc || !svc[1] || strchr(svc + 1, '/'))
        read_error(rd, toml_get(m, "endpoint")->pos,
                   "'%s.endpoint': a tend+https:// endpoint names the service after the port "
                   "(tend+https://HOST:PORT/SERVICE)",
                   mpath);
    if (strncmp(e, "tend+", 5) == 0 && !d->remote.auth_token_path)
        read_error(rd, toml_get(m, "endpoint")->pos,
                   "'%s': a tend+https:// endpoint needs auth_token_path (a token of the daemon "
                   "there: tend token create)",
                   mpath);
    const toml_value *t = toml_get(m, "tls_enabled");
    if (t && d->remote.tls_enabled != tls)
        read_error(rd, t->pos, "'%s.tls_enabled' is %s, but the endpoint is %s", mpath,
                   tls ? "false" : "true", tls ? "https" : "plain http");
}

/* A remote service is what its check of the endpoint says: with no
 * health_check of its own, a GET of the endpoint (none for tend+https,
 * whose state comes from the daemon there); an http check is made with
 * the remote's CA and token. */
static void remote_health(service_spec *s)
{
    const deployment_spec *d = &s->deployment;
    health_spec *h = &s->health;
    if (d->mode != DEPLOY_REMOTE || !d->remote.endpoint) return;
    if (h->type == HEALTH_NONE && strncmp(d->remote.endpoint, "tend+", 5) != 0) {
        h->type = HEALTH_HTTP;
        free(h->http.endpoint);
        h->http.endpoint = strdup(d->remote.endpoint);
    }
    if (h->type != HEALTH_HTTP) return;
    if (d->remote.ca_file) h->http.ca_file = strdup(d->remote.ca_file);
    if (d->remote.auth_token_path) h->http.token_file = strdup(d->remote.auth_token_path);
}

/* deployment_name a DNS-1123 subdomain, namespace a DNS-1123 label (as
 * the API server would insist), manifests_path absolute, replicas >= 1. */
static void read_kubernetes_checked(reader *rd, const toml_value *m, const char *mpath,
                                  deployment_spec *d)
{
    const toml_value *v = toml_get(m, "deployment_name");
    if (v && d->kubernetes.deployment_name && !dns1123_subdomain(d->kubernetes.deployment_name))
        read_error(rd, v->pos,
                   "'%s.deployment_name': \"%s\" is not a valid Kubernetes name (lowercase "
                   "letters, digits, '-' and '.', starting and ending with a letter or digit, "
                   "at most 253 characters)",
                   mpath, d->kubernetes.deployment_name);
    if ((v = toml_get(m, "namespace")) && d->kubernetes.namespace_ &&
        !dns1123_label(d->kubernetes.namespace_))
        read_error(rd, v->pos,
                   "'%s.namespace': \"%s\" is not a valid namespace (lowercase letters, digits "
                   "and '-', starting and ending with a letter or digit, at most 63 characters)",
                   mpath, d->kubernetes.namespace_);
    char *given = NULL;
    if ((v = toml_get(m, "manifests_path")) &&
        read_string(rd, m, mpath, "manifests_path", true, &given) == READ_OK) {
        char where[600];
        key_path(where, sizeof(where), mpath, "manifests_path");
        d->kubernetes.manifests_path = registry_absolute_path(rd, v->pos, where, given);
    }
    free(given);
    d->kubernetes.replicas = 1;
    read_int(rd, m, mpath, "replicas", 1, 1000000, &d->kubernetes.replicas);
}

/* Reads the table of the chosen mode ([...deployment.binary] etc.) into d. */
static void read_mode_table(reader *rd, const toml_value *t, const char *path, deployment_spec *d)
{
    const char *key = mode_tables[d->mode - 1];
    char mpath[512];
    key_path(mpath, sizeof(mpath), path, key);
    const toml_value *m = NULL;
    if (!read_require(rd, t, path, key) || read_table(rd, t, path, key, &m) != READ_OK) return;
    switch (d->mode) {
    case DEPLOY_BINARY:
        read_check_keys(rd, m, mpath, binary_keys);
        if (read_require(rd, m, mpath, "binary_path"))
            read_string(rd, m, mpath, "binary_path", true, &d->binary.binary_path);
        read_strv(rd, m, mpath, "args", true, &d->binary.args);
        read_string(rd, m, mpath, "working_dir", true, &d->binary.working_dir);
        read_env(rd, m, mpath, "env", &d->binary.env);
        read_process_keys(rd, m, mpath, &d->binary.process);
        break;
    case DEPLOY_DOCKER:
        read_check_keys(rd, m, mpath, docker_keys);
        if (read_require(rd, m, mpath, "image"))
            read_string(rd, m, mpath, "image", true, &d->docker.image);
        read_string(rd, m, mpath, "container_name", true, &d->docker.container_name);
        read_strv(rd, m, mpath, "ports", true, &d->docker.ports);
        read_strv(rd, m, mpath, "volumes", true, &d->docker.volumes);
        int policy = 0;
        if (read_choice(rd, m, mpath, "restart_policy", restart_policies, &policy) == READ_OK)
            d->docker.restart_policy = strdup(restart_policies[policy]);
        read_env(rd, m, mpath, "env", &d->docker.env);
        read_strv(rd, m, mpath, "args", true, &d->docker.args);
        d->docker.init = true;
        read_bool(rd, m, mpath, "init", &d->docker.init);
        int pull = 0; /* "missing" unless it says */
        read_choice(rd, m, mpath, "pull", pull_policies, &pull);
        d->docker.pull = strdup(pull_policies[pull]);
        read_stop_keys(rd, m, mpath, &d->stop);
        break;
    case DEPLOY_DOCKER_COMPOSE:
        read_check_keys(rd, m, mpath, compose_keys);
        if (read_require(rd, m, mpath, "compose_file"))
            read_string(rd, m, mpath, "compose_file", true, &d->compose.compose_file);
        if (d->compose.compose_file) { /* kept absolute: the project's folder is its folder */
            char where[600], *full;
            key_path(where, sizeof(where), mpath, "compose_file");
            full = registry_absolute_path(rd, source_item_pos(m, "compose_file", 0), where,
                                          d->compose.compose_file);
            free(d->compose.compose_file);
            d->compose.compose_file = full;
        }
        if (read_require(rd, m, mpath, "service_name"))
            read_string(rd, m, mpath, "service_name", true, &d->compose.service_name);
        read_string(rd, m, mpath, "project_name", true, &d->compose.project_name);
        break;
    case DEPLOY_KUBERNETES:
        read_check_keys(rd, m, mpath, kubernetes_keys);
        if (read_require(rd, m, mpath, "deployment_name"))
            read_string(rd, m, mpath, "deployment_name", true, &d->kubernetes.deployment_name);
        read_string(rd, m, mpath, "namespace", true, &d->kubernetes.namespace_);
        read_string(rd, m, mpath, "context", true, &d->kubernetes.context);
        read_kubernetes_checked(rd, m, mpath, d);
        break;
    case DEPLOY_REMOTE:
        read_check_keys(rd, m, mpath, remote_keys);
        if (read_require(rd, m, mpath, "endpoint"))
            read_string(rd, m, mpath, "endpoint", true, &d->remote.endpoint);
        d->remote.tls_enabled =
            d->remote.endpoint && (strncmp(d->remote.endpoint, "https:", 6) == 0 ||
                                   strncmp(d->remote.endpoint, "tend+", 5) == 0);
        read_bool(rd, m, mpath, "tls_enabled", &d->remote.tls_enabled);
        read_string(rd, m, mpath, "auth_token_path", true, &d->remote.auth_token_path);
        read_string(rd, m, mpath, "ca_file", true, &d->remote.ca_file);
        read_remote_endpoint(rd, m, mpath, d);
        break;
    case DEPLOY_NONE: break;
    }
}

static void read_deployment(reader *rd, const toml_value *svc, const char *spath,
                            deployment_spec *d)
{
    const toml_value *t = NULL;
    if (read_table(rd, svc, spath, "deployment", &t) != READ_OK) return;
    char path[512];
    key_path(path, sizeof(path), spath, "deployment");
    read_check_keys(rd, t, path, deployment_keys);
    int mode = 0;
    if (!read_require(rd, t, path, "mode") ||
        read_choice(rd, t, path, "mode", mode_names, &mode) != READ_OK)
        return;
    d->mode = (deploy_mode)(mode + 1);
    /* A table for another mode is most likely a mode that was not switched. */
    for (int i = 0; mode_tables[i]; i++) {
        const toml_entry *e = toml_get_entry(t, mode_tables[i]);
        if (e && i != mode)
            read_error(rd, e->key_pos, "'%s.%s' is given, but mode is \"%s\"", path, mode_tables[i],
                       mode_names[mode]);
    }
    if (d->mode == DEPLOY_KUBERNETES && !d->kubernetes.namespace_)
        d->kubernetes.namespace_ = strdup("default");
    read_mode_table(rd, t, path, d);
}

static void read_health_command(reader *rd, const toml_value *t, const char *path, health_spec *h)
{
    const toml_value *v = toml_get(t, "command");
    if (!v) return;
    if (v->type == TOML_ARRAY) {
        if (read_strv(rd, t, path, "command", true, &h->command.argv) == READ_OK &&
            !h->command.argv[0])
            read_error(rd, v->pos, "'%s.command': the command cannot be empty", path);
        return;
    }
    char *line = NULL;
    if (read_string(rd, t, path, "command", true, &line) != READ_OK) return;
    const char *problem = NULL;
    if (split_words(line, &h->command.argv, &problem) < 0)
        read_error(rd, v->pos, "'%s.command': %s", path, problem ? problem : "out of memory");
    else if (!h->command.argv[0])
        read_error(rd, v->pos, "'%s.command': the command cannot be empty", path);
    free(line);
}

static void read_health_type_table(reader *rd, const toml_value *t, const char *hpath,
                                   health_spec *h)
{
    const char *key = health_names[h->type];
    char path[512];
    key_path(path, sizeof(path), hpath, key);
    const toml_value *m = NULL;
    if (!read_require(rd, t, hpath, key) || read_table(rd, t, hpath, key, &m) != READ_OK) return;
    switch (h->type) {
    case HEALTH_HTTP:
        read_check_keys(rd, m, path, http_keys);
        if (read_require(rd, m, path, "endpoint"))
            read_string(rd, m, path, "endpoint", true, &h->http.endpoint);
        if (h->http.endpoint && strncmp(h->http.endpoint, "http://", 7) != 0 &&
            strncmp(h->http.endpoint, "https://", 8) != 0)
            read_error(rd, toml_get(m, "endpoint")->pos,
                       "'%s.endpoint': expected an http:// or https:// URL", path);
        read_int(rd, m, path, "expected_status", 100, 599, &h->http.expected_status);
        int method = 0;
        if (read_choice(rd, m, path, "method", http_methods, &method) == READ_OK) {
            free(h->http.method);
            h->http.method = strdup(http_methods[method]);
        }
        break;
    case HEALTH_TCP:
        read_check_keys(rd, m, path, tcp_keys);
        read_string(rd, m, path, "host", true, &h->tcp.host);
        if (read_require(rd, m, path, "port"))
            read_int(rd, m, path, "port", 1, 65535, &h->tcp.port);
        break;
    case HEALTH_COMMAND:
        read_check_keys(rd, m, path, command_keys);
        if (read_require(rd, m, path, "command")) read_health_command(rd, m, path, h);
        read_int(rd, m, path, "expected_exit_code", 0, 255, &h->command.expected_exit_code);
        read_string(rd, m, path, "user", true, &h->command.user);
        break;
    case HEALTH_FILE:
        read_check_keys(rd, m, path, file_keys);
        if (read_require(rd, m, path, "path"))
            read_string(rd, m, path, "path", true, &h->file.path);
        read_bool(rd, m, path, "must_exist", &h->file.must_exist);
        break;
    case HEALTH_NONE: break;
    }
}

static void read_health(reader *rd, const toml_value *svc, const char *spath, health_spec *h)
{
    h->http.expected_status = 200;
    h->http.method = strdup("GET");
    h->tcp.host = strdup("localhost");
    h->file.must_exist = true;
    const toml_value *t = NULL;
    if (read_table(rd, svc, spath, "health_check", &t) != READ_OK) return;
    char path[512];
    key_path(path, sizeof(path), spath, "health_check");
    read_check_keys(rd, t, path, health_keys);
    read_seconds(rd, t, path, "interval", DAY, &h->interval);
    read_int(rd, t, path, "retries", 1, 1000, &h->retries);
    read_seconds(rd, t, path, "timeout", 3600, &h->timeout);
    if (h->interval == 0) {
        const toml_value *v = toml_get(t, "interval");
        read_error(rd, v ? v->pos : t->pos, "'%s.interval': expected at least some seconds", path);
    }
    int type = 0;
    if (!read_require(rd, t, path, "type") ||
        read_choice(rd, t, path, "type", health_names, &type) != READ_OK)
        return;
    h->type = (health_type)type;
    for (int i = 1; health_names[i]; i++) {
        const toml_entry *e = toml_get_entry(t, health_names[i]);
        if (e && i != type)
            read_error(rd, e->key_pos, "'%s.%s' is given, but type is \"%s\"", path,
                       health_names[i], health_names[type]);
    }
    if (h->type != HEALTH_NONE) read_health_type_table(rd, t, path, h);
}

static void read_startup(reader *rd, const toml_value *svc, const char *spath, startup_spec *s)
{
    const toml_value *t = NULL;
    if (read_table(rd, svc, spath, "startup", &t) != READ_OK) return;
    char path[512];
    key_path(path, sizeof(path), spath, "startup");
    read_check_keys(rd, t, path, startup_keys);
    read_bool(rd, t, path, "auto_start", &s->auto_start);
    read_seconds(rd, t, path, "start_timeout", DAY, &s->start_timeout);
    read_int(rd, t, path, "start_order", -1000000, 1000000, &s->start_order);
    bool on_failure = true;
    read_result given = read_bool(rd, t, path, "restart_on_failure", &on_failure);
    if (given == READ_OK) s->restart = on_failure ? RESTART_ON_FAILURE : RESTART_NEVER;
    int mode = 0;
    if (read_choice(rd, t, path, "restart", restart_names, &mode) == READ_OK) {
        if (given == READ_OK && (mode == RESTART_NEVER) == on_failure)
            read_error(rd, toml_get(t, "restart")->pos,
                       "'%s.restart' = \"%s\" contradicts restart_on_failure = %s", path,
                       restart_names[mode], on_failure ? "true" : "false");
        s->restart = (restart_mode)mode;
    }
    read_int(rd, t, path, "max_restarts", 0, REGISTRY_MAX_RESTARTS, &s->max_restarts);
    read_seconds(rd, t, path, "restart_window", DAY, &s->restart_window);
    read_seconds(rd, t, path, "restart_delay", DAY, &s->restart_delay);
    read_seconds(rd, t, path, "restart_delay_max", DAY, &s->restart_delay_max);
    if (s->restart_window == 0)
        read_error(rd, toml_get(t, "restart_window")->pos,
                   "'%s.restart_window': expected some seconds", path);
}

/* The engine's restart policy and tend's cannot both act on a container:
 * the engine is always told --restart=no, and restart_policy says what
 * tend does (docs/registry.md): "no" is restart = "never", "on-failure"
 * is "on-failure", "always" and "unless-stopped" are "always" (tend
 * never restarts what was stopped). A startup.restart that says else
 * is refused. */
static void read_engine_restart(reader *rd, const toml_value *svc, const char *spath,
                                service_spec *s)
{
    static const restart_mode implied[] = {RESTART_NEVER, RESTART_ALWAYS, RESTART_ON_FAILURE,
                                           RESTART_ALWAYS};
    const char *policy = s->deployment.docker.restart_policy;
    if (s->deployment.mode != DEPLOY_DOCKER || !policy) return;
    int k = 0;
    while (restart_policies[k] && strcmp(restart_policies[k], policy) != 0) k++;
    if (!restart_policies[k]) return;
    const toml_value *startup = toml_get(svc, "startup");
    bool explicit = startup && startup->type == TOML_TABLE &&
                    (toml_get(startup, "restart") || toml_get(startup, "restart_on_failure"));
    if (!explicit) {
        s->startup.restart = implied[k];
        return;
    }
    if (s->startup.restart == implied[k]) return;
    const toml_value *dep = toml_get(svc, "deployment");
    const toml_value *docker = dep ? toml_get(dep, "docker") : NULL;
    const toml_value *at = docker ? toml_get(docker, "restart_policy") : NULL;
    read_error(rd, at ? at->pos : svc->pos,
               "'%s.deployment.docker.restart_policy' = \"%s\" means tend restarts the container "
               "as restart = \"%s\" (the engine itself never does), but startup.restart says "
               "\"%s\": give one of the two",
               spath, policy, restart_names[implied[k]], restart_names[s->startup.restart]);
}

static service_spec *service_new(void)
{
    service_spec *s = calloc(1, sizeof(*s));
    if (!s) return NULL;
    s->health.interval = 10;
    s->health.retries = 3;
    s->health.timeout = 5;
    s->log_max_bytes = 64L << 20;
    s->deployment.binary.process = process_keys_default();
    s->deployment.stop = process_keys_default();
    s->startup = (startup_spec){
        .auto_start = false,
        .start_timeout = 30,
        .start_order = 100,
        .restart = RESTART_ON_FAILURE,
        .max_restarts = 5,
        .restart_window = 60,
        .restart_delay = 0,
        .restart_delay_max = 30,
    };
    return s;
}

service_spec *service_from_toml(reader *rd, const char *key, toml_pos key_pos,
                                const toml_value *table)
{
    service_spec *s = service_new();
    if (!s) return NULL;
    char path[512];
    key_path(path, sizeof(path), "services", key);
    s->pos = (spec_pos){key_pos.line, key_pos.col};
    read_check_keys(rd, table, path, service_keys);
    if (read_string(rd, table, path, "name", false, &s->name) == READ_OK) {
        toml_pos p = toml_get(table, "name")->pos;
        s->pos = (spec_pos){p.line, p.col};
        if (!registry_name_valid(s->name))
            read_error(rd, p,
                       "'%s.name': \"%s\" is not a valid name (1-64 letters, digits, '_', '.', "
                       "'-'; not starting with '.' or '-')",
                       path, s->name);
    }
    if (!s->name) s->name = strdup(key);
    int type = 0;
    if (read_choice(rd, table, path, "type", service_types, &type) == READ_OK)
        s->type = strdup(service_types[type]);
    read_string(rd, table, path, "category", false, &s->category);
    read_string(rd, table, path, "description", false, &s->description);
    read_strv(rd, table, path, "required_for", false, &s->required_for);
    read_strv(rd, table, path, "dependencies", false, &s->dependencies);
    read_strv(rd, table, path, "conflicts", false, &s->conflicts);
    if (read_strv(rd, table, path, "actions", false, &s->actions) == READ_OK && !s->actions[0])
        read_error(rd, toml_get(table, "actions")->pos,
                   "'%s.actions': list at least one action, or leave the key out", path);
    read_deployment(rd, table, path, &s->deployment);
    read_health(rd, table, path, &s->health);
    remote_health(s);
    read_startup(rd, table, path, &s->startup);
    read_engine_restart(rd, table, path, s);
    read_service_retention(rd, table, path, &s->retention);
    const toml_value *lmb = toml_get(table, "log_max_bytes");
    if (lmb && lmb->type == TOML_INTEGER && lmb->u.integer >= 65536 &&
        lmb->u.integer <= (1LL << 40))
        s->log_max_bytes = (long)lmb->u.integer;
    else if (lmb)
        read_error(rd, lmb->pos,
                   "'%s.log_max_bytes': expected an integer from 65536 to 1099511627776", path);

    const toml_entry *actions = toml_get_entry(table, "actions");
    if (actions && s->deployment.mode != DEPLOY_NONE)
        read_error(rd, actions->key_pos, "'%s': give either 'actions' or a 'deployment', not both",
                   path);
    return s;
}

void service_spec_free(service_spec *s)
{
    if (!s) return;
    free(s->name);
    free(s->type);
    free(s->category);
    free(s->description);
    strv_free(s->required_for);
    strv_free(s->dependencies);
    strv_free(s->conflicts);
    strv_free(s->actions);
    deployment_spec *d = &s->deployment;
    free(d->binary.binary_path);
    strv_free(d->binary.args);
    free(d->binary.working_dir);
    strv_free(d->binary.env);
    process_keys_clear(&d->binary.process);
    free(d->docker.image);
    free(d->docker.container_name);
    strv_free(d->docker.ports);
    strv_free(d->docker.volumes);
    free(d->docker.restart_policy);
    free(d->docker.pull);
    strv_free(d->docker.env);
    strv_free(d->docker.args);
    free(d->compose.compose_file);
    free(d->compose.service_name);
    free(d->compose.project_name);
    free(d->kubernetes.namespace_);
    free(d->kubernetes.deployment_name);
    free(d->kubernetes.manifests_path);
    free(d->kubernetes.context);
    free(d->remote.endpoint);
    free(d->remote.auth_token_path);
    free(d->remote.ca_file);
    health_spec_clear(&s->health);
    free(s);
}

void health_spec_clear(health_spec *h)
{
    free(h->http.endpoint);
    free(h->http.method);
    free(h->http.ca_file);
    free(h->http.token_file);
    free(h->tcp.host);
    strv_free(h->command.argv);
    free(h->command.user);
    free(h->file.path);
    memset(h, 0, sizeof(*h));
}

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

health_spec health_spec_copy(const health_spec *h)
{
    health_spec c = *h;
    c.http.endpoint = dup_or_null(h->http.endpoint);
    c.http.method = dup_or_null(h->http.method);
    c.http.ca_file = dup_or_null(h->http.ca_file);
    c.http.token_file = dup_or_null(h->http.token_file);
    c.tcp.host = dup_or_null(h->tcp.host);
    c.command.argv = strv_copy(h->command.argv);
    c.command.user = dup_or_null(h->command.user);
    c.file.path = dup_or_null(h->file.path);
    return c;
}
