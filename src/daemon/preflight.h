/* preflight.h — whether a service can start, checked before it does
 * (seed 003 "Pre-flight Checks").
 *
 * The prerequisites of one service, from its spec and the machine alone:
 * its programs exist and are executable, its working directories exist,
 * its users exist (a command check's too), its env files can be read
 * (what they hold is wiped at once, never kept or told), the port its
 * health check names is not already taken (only asked when the service
 * itself is not running), and the CLI its deployment mode drives (docker
 * or podman, kubectl) is installed.
 * Conflicts and dependencies depend on what runs, which the caller knows
 * (the supervisor, or the CLI asking a daemon) and tells through a
 * callback. Used by the daemon before a start and by the CLI's
 * `services validate`, which checks a registry file without loading it.
 */
#ifndef TEND_DAEMON_PREFLIGHT_H
#define TEND_DAEMON_PREFLIGHT_H

#include <jansson.h>
#include <stdbool.h>

#include "config/registry.h"

/* Whether the service of that name runs (or is starting, or stopping). */
typedef bool (*preflight_running_fn)(void *ctx, const char *name);

/* Appends {check, ok, message} objects to checks; returns whether all
 * passed. check_port is false while the service itself runs. */
bool preflight_prerequisites(const registry *r, const service_spec *s, bool check_port,
                             json_t *checks);

/* The checks of s alone: its prerequisites, then "conflicts". */
bool preflight_own(const registry *r, const service_spec *s, preflight_running_fn running,
                   void *ctx, json_t *checks);

/* Every check a start of s runs, "dependencies" (each dependency that does
 * not run passes its own checks) included: {name, ok, checks}. */
json_t *preflight_service(const registry *r, const service_spec *s, preflight_running_fn running,
                          void *ctx);

/* The first failed check of a checks array, or NULL. */
const json_t *preflight_first_failure(const json_t *checks);

/* Whether the checks of a deployment mode ask the real thing (its engine,
 * its cluster, its endpoint), which may take a while: the CLI's do; the
 * daemon's do not (a start asks in its job's first steps, off the loop). */
void preflight_set_ask(bool ask);

#endif
