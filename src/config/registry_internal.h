/* registry_internal.h — what the registry's files share and nobody else sees.
 *
 * registry.c drives a load: registry_actions.c and registry_services.c turn
 * one TOML table into one spec (always returning a spec, however broken, so
 * that later checks still see its name), registry_check.c cross-checks the
 * whole set while the TOML tree is still alive for error positions.
 */
#ifndef TEND_CONFIG_REGISTRY_INTERNAL_H
#define TEND_CONFIG_REGISTRY_INTERNAL_H

#include "config/reader.h"
#include "config/registry.h"

/* The TOML tables the specs came from, index for index (NULL for
 * synthesized actions). */
typedef struct {
    const toml_value **services;
    const toml_value **actions;
} registry_sources;

/* Names of services and actions: 1-64 of [A-Za-z0-9_.-], not starting
 * with '.' or '-' (they end up in paths and command lines). */
bool registry_name_valid(const char *name);

/* user, env_file, ready, timeout, stop_signal and stop_timeout of the
 * table at path into k (which holds the defaults), as [actions.NAME] and
 * deployment.binary both take them. */
void read_process_keys(reader *rd, const toml_value *t, const char *path, process_keys *k);
process_keys process_keys_default(void);
/* stop_signal and stop_timeout, as every mode that stops something has them. */
void read_stop_keys(reader *rd, const toml_value *t, const char *path, process_keys *k);
void process_keys_clear(process_keys *k);

action_spec *action_from_toml(reader *rd, const char *name, toml_pos name_pos,
                              const toml_value *table);
/* The one process action a deployment.binary service runs. */
action_spec *action_from_deployment(const service_spec *svc);
void action_spec_free(action_spec *a);

service_spec *service_from_toml(reader *rd, const char *key, toml_pos key_pos,
                                const toml_value *table);
void service_spec_free(service_spec *s);

/* Builds the name indexes and reports duplicates, unknown references,
 * contradictions and cycles. */
void registry_check(reader *rd, registry *r, const registry_sources *src);

/* registry_retention.c: the [retention] table of the file (defaults when
 * absent), and a service's own retention table. */
void read_registry_retention(reader *rd, const toml_value *root, retention_spec *out);
void read_service_retention(reader *rd, const toml_value *svc, const char *spath,
                            run_retention *out);
/* NULL when the service has no retention of its own. */
json_t *service_retention_to_json(const run_retention *r);

/* registry_daemon.c: the [daemon] table (empty when absent). */
void read_registry_daemon(reader *rd, const toml_value *root, daemon_spec *out);
void daemon_spec_clear(daemon_spec *d);

/* registry_actions.c: given as it is kept, absolute (a relative path is
 * taken from the registry file's folder); NULL after reporting at pos
 * why it cannot be (a relative path in a registry without a file). */
char *registry_absolute_path(reader *rd, toml_pos pos, const char *where, const char *given);

/* Position of items[i] of the array table.key, else of table.key, else of table. */
toml_pos source_item_pos(const toml_value *table, const char *key, size_t i);

#endif
