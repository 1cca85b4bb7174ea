/* registry_confine.h — no_new_privileges, umask and limits: how a process
 * is confined before it execs (private to the registry's files). */
#ifndef TEND_CONFIG_REGISTRY_CONFINE_H
#define TEND_CONFIG_REGISTRY_CONFINE_H

#include <jansson.h>

#include "config/reader.h"
#include "config/registry.h"

/* The three keys of the table at path into k; bad values reported at
 * their line:col, an unknown limit with the closest name. */
void read_confinement(reader *rd, const toml_value *t, const char *path, process_keys *k);
/* A copy of n limits (never NULL unless out of memory). */
rlimit_entry *limits_copy(const rlimit_entry *limits, size_t n);
/* The keys as the registry takes them: "umask" only when set; each limit
 * as { soft, hard }, "infinity" for none. */
void confinement_to_json(json_t *o, bool no_new_privileges, int umask, const rlimit_entry *limits,
                         size_t n_limits);

#endif
