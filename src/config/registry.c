/* registry.c — loading a services.toml: parse, read every table into a
 * spec, synthesize the action of each service with a deployment, check the
 * whole, and hand over either all of it or nothing. */
#include "config/registry_internal.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/fileio.h"
#include "base/strv.h"
#include "config/json_toml.h"

/* A registry file larger than this is a mistake, not a configuration. */
#define REGISTRY_MAX_BYTES (64u << 20)

static const char *const root_keys[] = {"services", "actions", "retention", "daemon", NULL};

bool registry_name_valid(const char *name)
{
    size_t len = strlen(name);
    if (len == 0 || len > 64 || name[0] == '.' || name[0] == '-') return false;
    for (const char *p = name; *p; p++)
        if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
              *p == '_' || *p == '-' || *p == '.'))
            return false;
    return true;
}

/* Appends a spec and the table it came from (NULL if synthesized). */
static int push_action(registry *r, registry_sources *src, action_spec *a, const toml_value *t)
{
    const toml_value **tables = realloc(src->actions, (r->n_actions + 1) * sizeof(*tables));
    if (!tables) return -ENOMEM;
    src->actions = tables;
    action_spec **grown = realloc(r->actions, (r->n_actions + 1) * sizeof(*grown));
    if (!grown) return -ENOMEM;
    r->actions = grown;
    tables[r->n_actions] = t;
    grown[r->n_actions++] = a;
    return 0;
}

static int push_service(registry *r, registry_sources *src, service_spec *s, const toml_value *t)
{
    const toml_value **tables = realloc(src->services, (r->n_services + 1) * sizeof(*tables));
    if (!tables) return -ENOMEM;
    src->services = tables;
    service_spec **grown = realloc(r->services, (r->n_services + 1) * sizeof(*grown));
    if (!grown) return -ENOMEM;
    r->services = grown;
    tables[r->n_services] = t;
    grown[r->n_services++] = s;
    return 0;
}

static void check_key_name(reader *rd, const toml_entry *e, const char *section)
{
    if (!registry_name_valid(e->key))
        read_error(rd, e->key_pos,
                   "'%s': \"%s\" is not a valid name (1-64 letters, digits, '_', '.', '-'; not "
                   "starting with '.' or '-')",
                   section, e->key);
}

static void read_actions(reader *rd, registry *r, const toml_value *root, registry_sources *src)
{
    const toml_value *actions = NULL;
    if (read_table(rd, root, "", "actions", &actions) != READ_OK) return;
    for (size_t i = 0; i < actions->u.table.len; i++) {
        const toml_entry *e = &actions->u.table.entries[i];
        check_key_name(rd, e, "actions");
        if (e->value->type != TOML_TABLE) {
            read_error(rd, e->value->pos, "'actions.%s': expected a table, found %s", e->key,
                       toml_type_name(e->value->type));
            continue;
        }
        action_spec *a = action_from_toml(rd, e->key, e->key_pos, e->value);
        if (!a || push_action(r, src, a, e->value) < 0) {
            rd->diags->alloc_failed = 1;
            action_spec_free(a);
            return;
        }
    }
}

static void read_services(reader *rd, registry *r, const toml_value *root, registry_sources *src)
{
    const toml_value *services = NULL;
    if (read_table(rd, root, "", "services", &services) != READ_OK) return;
    for (size_t i = 0; i < services->u.table.len; i++) {
        const toml_entry *e = &services->u.table.entries[i];
        check_key_name(rd, e, "services");
        if (e->value->type != TOML_TABLE) {
            read_error(rd, e->value->pos, "'services.%s': expected a table, found %s", e->key,
                       toml_type_name(e->value->type));
            continue;
        }
        service_spec *s = service_from_toml(rd, e->key, e->key_pos, e->value);
        if (!s || push_service(r, src, s, e->value) < 0) {
            rd->diags->alloc_failed = 1;
            service_spec_free(s);
            return;
        }
    }
}

/* A service with a deployment runs one action of its own name, which
 * its mode's adapter runs (src/daemon/adapters/). */
static void synthesize_deployment_actions(reader *rd, registry *r, registry_sources *src)
{
    for (size_t i = 0; i < r->n_services; i++) {
        service_spec *s = r->services[i];
        if (s->deployment.mode == DEPLOY_NONE || s->actions) continue;
        action_spec *a = action_from_deployment(s);
        if (!a || strv_push(&s->actions, s->name) < 0 || push_action(r, src, a, NULL) < 0) {
            rd->diags->alloc_failed = 1;
            action_spec_free(a);
            return;
        }
    }
}

/* The absolute folder of the file at path, which relative paths in it
 * (env_file) are relative to; NULL when out of memory. */
static char *file_folder(const char *path)
{
    const char *slash = strrchr(path, '/');
    char *folder = NULL, cwd[4096];
    if (path[0] == '/')
        folder = slash == path ? strdup("/") : strndup(path, (size_t)(slash - path));
    else if (!getcwd(cwd, sizeof(cwd)))
        folder = strdup("/");
    else if (!slash)
        folder = strdup(cwd);
    else if (asprintf(&folder, "%s/%.*s", strcmp(cwd, "/") ? cwd : "", (int)(slash - path), path) <
             0)
        folder = NULL;
    return folder;
}

/* Reads and checks a whole registry from a parsed tree. */
static registry *registry_from_tree(const char *path, const toml_value *root, bool verbatim,
                                    diag_list *diags)
{
    char *folder = verbatim ? NULL : file_folder(path);
    reader rd = {.diags = diags, .verbatim = verbatim, .base_dir = folder};
    registry_sources src = {0};
    registry *r = calloc(1, sizeof(*r));
    if (!r || !(r->path = strdup(path)) || (!verbatim && !folder)) {
        diags->alloc_failed = 1;
        goto fail;
    }
    read_check_keys(&rd, root, "", root_keys);
    read_registry_retention(&rd, root, &r->retention);
    read_registry_daemon(&rd, root, &r->daemon);
    read_actions(&rd, r, root, &src);
    read_services(&rd, r, root, &src);
    synthesize_deployment_actions(&rd, r, &src);
    registry_check(&rd, r, &src);
    if (diags->len || diags->alloc_failed) goto fail;
    free(folder);
    free(src.services);
    free(src.actions);
    return r;
fail:
    free(folder);
    free(src.services);
    free(src.actions);
    registry_free(r);
    return NULL;
}

registry *registry_load_bytes(const char *path, const char *bytes, size_t len, diag_list *diags)
{
    toml_error err;
    toml_value *root = toml_parse(bytes, len, &err);
    if (!root) {
        diag_add(diags, err.pos.line, err.pos.col, "%s", err.message);
        return NULL;
    }
    registry *r = registry_from_tree(path, root, false, diags);
    toml_free(root);
    return r;
}

registry *registry_from_json(const json_t *doc, diag_list *diags)
{
    char err[256];
    toml_value *root = json_to_toml(doc, err, sizeof(err));
    if (!root) {
        diag_add(diags, 0, 0, "%s", err);
        return NULL;
    }
    registry *r = registry_from_tree("(api)", root, true, diags);
    toml_free(root);
    return r;
}

registry *registry_load_file(const char *path, diag_list *diags)
{
    char *data = NULL;
    size_t len = 0;
    int rc = file_read_all(path, REGISTRY_MAX_BYTES, &data, &len);
    if (rc < 0) {
        diag_add(diags, 0, 0, "cannot read the registry: %s",
                 rc == -EFBIG ? "larger than 64 MiB" : strerror(-rc));
        return NULL;
    }
    registry *r = registry_load_bytes(path, data, len, diags);
    free(data);
    return r;
}

long registry_service_index(const registry *r, const char *name)
{
    uintptr_t v = (uintptr_t)strmap_get(&r->service_index, name);
    return v ? (long)v - 1 : -1;
}

long registry_action_index(const registry *r, const char *name)
{
    uintptr_t v = (uintptr_t)strmap_get(&r->action_index, name);
    return v ? (long)v - 1 : -1;
}

const service_spec *registry_service(const registry *r, const char *name)
{
    long i = registry_service_index(r, name);
    return i >= 0 ? r->services[i] : NULL;
}

const action_spec *registry_action(const registry *r, const char *name)
{
    long i = registry_action_index(r, name);
    return i >= 0 ? r->actions[i] : NULL;
}

void registry_free(registry *r)
{
    if (!r) return;
    for (size_t i = 0; i < r->n_services; i++) service_spec_free(r->services[i]);
    for (size_t i = 0; i < r->n_actions; i++) action_spec_free(r->actions[i]);
    free(r->services);
    free(r->actions);
    strmap_free(&r->service_index);
    strmap_free(&r->action_index);
    daemon_spec_clear(&r->daemon);
    free(r->path);
    free(r);
}

const char *deploy_mode_name(deploy_mode mode)
{
    static const char *const names[] = {"none",           "binary",     "docker",
                                        "docker-compose", "kubernetes", "remote"};
    return (size_t)mode < sizeof(names) / sizeof(names[0]) ? names[mode] : "?";
}

const char *health_type_name(health_type type)
{
    static const char *const names[] = {"none", "http", "tcp", "command", "file"};
    return (size_t)type < sizeof(names) / sizeof(names[0]) ? names[type] : "?";
}

const char *restart_mode_name(restart_mode mode)
{
    static const char *const names[] = {"on-failure", "always", "never"};
    return (size_t)mode < sizeof(names) / sizeof(names[0]) ? names[mode] : "?";
}

const char *action_kind_name(action_kind kind)
{
    return kind == ACTION_ONESHOT ? "oneshot" : "process";
}
