/* registry_json.c — specs as JSON documents in the registry's own shape,
 * for the API and the store. Every key is written with its effective value,
 * defaults included, so a reader sees what tend will do. */
#include <jansson.h>
#include <string.h>

#include "base/signame.h"
#include "config/registry_confine.h"
#include "config/registry_internal.h"

static void set_string(json_t *obj, const char *key, const char *value)
{
    if (value) json_object_set_new(obj, key, json_string(value));
}

static void set_strv(json_t *obj, const char *key, char *const *list)
{
    json_t *arr = json_array();
    for (size_t i = 0; list && list[i]; i++) json_array_append_new(arr, json_string(list[i]));
    json_object_set_new(obj, key, arr);
}

/* "K=V" entries back into { K = "V" }. */
static void set_env(json_t *obj, const char *key, char *const *env)
{
    json_t *t = json_object();
    for (size_t i = 0; env && env[i]; i++) {
        const char *eq = strchr(env[i], '=');
        if (!eq) continue;
        json_object_setn_new_nocheck(t, env[i], (size_t)(eq - env[i]), json_string(eq + 1));
    }
    json_object_set_new(obj, key, t);
}

/* The keys of how a process runs, as actions and deployment.binary write
 * them. env_file lists the files, never what is in them. */
static void set_process_keys(json_t *o, const process_keys *k)
{
    set_strv(o, "env_file", k->env_files);
    set_string(o, "user", k->user);
    json_object_set_new(o, "ready", json_string(k->ready_notify ? "notify" : "started"));
    json_object_set_new(o, "timeout", json_real(k->timeout));
    json_object_set_new(o, "stop_signal", json_string(signal_name(k->stop_signal)));
    json_object_set_new(o, "stop_timeout", json_real(k->stop_timeout));
    confinement_to_json(o, k->no_new_privileges, k->umask, k->limits, k->n_limits);
}

json_t *action_spec_to_json(const action_spec *a)
{
    json_t *o = json_object();
    set_string(o, "description", a->description);
    if (a->interpreter) json_object_set_new(o, "interpreter", json_string(a->interpreter));
    if (a->deployment)
        json_object_set_new(o, "deployment", json_string(deploy_mode_name(a->deployment->mode)));
    if (a->exec) set_strv(o, "exec", a->exec);
    set_string(o, "script", a->script);
    set_strv(o, "args", a->args);
    set_env(o, "env", a->env);
    set_string(o, "cwd", a->cwd);
    json_object_set_new(o, "kind", json_string(action_kind_name(a->kind)));
    const process_keys k = {
        .user = a->user,
        .env_files = a->env_files,
        .ready_notify = a->ready_notify,
        .timeout = a->timeout,
        .stop_signal = a->stop_signal,
        .stop_timeout = a->stop_timeout,
        .no_new_privileges = a->no_new_privileges,
        .umask = a->umask,
        .limits = a->limits,
        .n_limits = a->n_limits,
    };
    set_process_keys(o, &k);
    json_object_set_new(o, "retry",
                        json_pack("{s:i, s:f, s:f}", "max_attempts", a->retry.max_attempts, "delay",
                                  a->retry.delay, "backoff", a->retry.backoff));
    json_t *deps = json_object();
    set_strv(deps, "requires", a->requires);
    set_strv(deps, "after", a->after);
    json_object_set_new(o, "depends_on", deps);
    return o;
}

static json_t *deployment_to_json(const deployment_spec *d)
{
    json_t *o = json_object(), *m = json_object();
    json_object_set_new(o, "mode", json_string(deploy_mode_name(d->mode)));
    switch (d->mode) {
    case DEPLOY_BINARY:
        set_string(m, "binary_path", d->binary.binary_path);
        set_strv(m, "args", d->binary.args);
        set_string(m, "working_dir", d->binary.working_dir);
        set_env(m, "env", d->binary.env);
        set_process_keys(m, &d->binary.process);
        json_object_set_new(o, "binary", m);
        break;
    case DEPLOY_DOCKER:
        set_string(m, "image", d->docker.image);
        set_string(m, "container_name", d->docker.container_name);
        set_strv(m, "ports", d->docker.ports);
        set_strv(m, "volumes", d->docker.volumes);
        set_string(m, "restart_policy", d->docker.restart_policy);
        set_env(m, "env", d->docker.env);
        set_strv(m, "args", d->docker.args);
        json_object_set_new(m, "init", json_boolean(d->docker.init));
        set_string(m, "pull", d->docker.pull);
        json_object_set_new(m, "stop_signal", json_string(signal_name(d->stop.stop_signal)));
        json_object_set_new(m, "stop_timeout", json_real(d->stop.stop_timeout));
        json_object_set_new(o, "docker", m);
        break;
    case DEPLOY_DOCKER_COMPOSE:
        set_string(m, "compose_file", d->compose.compose_file);
        set_string(m, "service_name", d->compose.service_name);
        set_string(m, "project_name", d->compose.project_name);
        json_object_set_new(o, "docker_compose", m);
        break;
    case DEPLOY_KUBERNETES:
        set_string(m, "namespace", d->kubernetes.namespace_);
        set_string(m, "deployment_name", d->kubernetes.deployment_name);
        set_string(m, "manifests_path", d->kubernetes.manifests_path);
        set_string(m, "context", d->kubernetes.context);
        json_object_set_new(m, "replicas", json_integer(d->kubernetes.replicas));
        json_object_set_new(o, "kubernetes", m);
        break;
    case DEPLOY_REMOTE:
        set_string(m, "endpoint", d->remote.endpoint);
        json_object_set_new(m, "tls_enabled", json_boolean(d->remote.tls_enabled));
        set_string(m, "auth_token_path", d->remote.auth_token_path);
        set_string(m, "ca_file", d->remote.ca_file);
        json_object_set_new(o, "remote", m);
        break;
    case DEPLOY_NONE: json_decref(m); break;
    }
    return o;
}

static json_t *health_to_json(const health_spec *h)
{
    json_t *o = json_pack("{s:s, s:f, s:i, s:f}", "type", health_type_name(h->type), "interval",
                          h->interval, "retries", h->retries, "timeout", h->timeout);
    json_t *m = json_object();
    switch (h->type) {
    case HEALTH_HTTP:
        set_string(m, "endpoint", h->http.endpoint);
        json_object_set_new(m, "expected_status", json_integer(h->http.expected_status));
        set_string(m, "method", h->http.method);
        break;
    case HEALTH_TCP:
        set_string(m, "host", h->tcp.host);
        json_object_set_new(m, "port", json_integer(h->tcp.port));
        break;
    case HEALTH_COMMAND:
        set_strv(m, "command", h->command.argv);
        json_object_set_new(m, "expected_exit_code", json_integer(h->command.expected_exit_code));
        set_string(m, "user", h->command.user);
        break;
    case HEALTH_FILE:
        set_string(m, "path", h->file.path);
        json_object_set_new(m, "must_exist", json_boolean(h->file.must_exist));
        break;
    case HEALTH_NONE: break;
    }
    if (h->type != HEALTH_NONE)
        json_object_set_new(o, health_type_name(h->type), m);
    else
        json_decref(m);
    return o;
}

json_t *service_spec_to_json(const service_spec *s)
{
    json_t *o = json_object();
    json_object_set_new(o, "name", json_string(s->name));
    set_string(o, "type", s->type);
    set_string(o, "category", s->category);
    set_string(o, "description", s->description);
    set_strv(o, "required_for", s->required_for);
    set_strv(o, "dependencies", s->dependencies);
    set_strv(o, "conflicts", s->conflicts);
    /* A deployment's one action follows from it. */
    if (s->deployment.mode == DEPLOY_NONE && s->actions && s->actions[0])
        set_strv(o, "actions", s->actions);
    if (s->deployment.mode != DEPLOY_NONE)
        json_object_set_new(o, "deployment", deployment_to_json(&s->deployment));
    json_object_set_new(o, "health_check", health_to_json(&s->health));
    json_object_set_new(o, "log_max_bytes", json_integer(s->log_max_bytes));
    json_t *keep = service_retention_to_json(&s->retention);
    if (keep) json_object_set_new(o, "retention", keep);
    const startup_spec *st = &s->startup;
    json_object_set_new(o, "startup",
                        json_pack("{s:b, s:f, s:i, s:s, s:i, s:f, s:f, s:f}", "auto_start",
                                  st->auto_start, "start_timeout", st->start_timeout, "start_order",
                                  st->start_order, "restart", restart_mode_name(st->restart),
                                  "max_restarts", st->max_restarts, "restart_window",
                                  st->restart_window, "restart_delay", st->restart_delay,
                                  "restart_delay_max", st->restart_delay_max));
    return o;
}

json_t *registry_to_json(const registry *r)
{
    json_t *services = json_object(), *actions = json_object();
    for (size_t i = 0; i < r->n_services; i++)
        json_object_set_new(services, r->services[i]->name, service_spec_to_json(r->services[i]));
    for (size_t i = 0; i < r->n_actions; i++)
        if (!r->actions[i]->from_service)
            json_object_set_new(actions, r->actions[i]->name, action_spec_to_json(r->actions[i]));
    json_t *doc = json_pack("{s:o, s:o, s:o}", "services", services, "actions", actions,
                            "retention", retention_spec_to_json(&r->retention));
    json_t *daemon = daemon_spec_to_json(&r->daemon);
    if (daemon) json_object_set_new(doc, "daemon", daemon);
    return doc;
}
