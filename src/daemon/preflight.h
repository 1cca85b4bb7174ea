/* preflight.h — whether a service can start, checked before it does
 * (seed 003 "Pre-flight Checks").
 *
 * The prerequisites of one service, from its spec and the machine alone:
 * its programs exist and are executable, its working directories exist,
 * its users exist, the port its health check names is not already taken
 * (only asked when the service itself is not running), and the CLI its
 * deployment mode drives (docker or podman, kubectl) is installed.
 * Conflicts and dependencies need the supervisor's state: supervisor.c
 * adds those two checks.
 */
#ifndef TEND_DAEMON_PREFLIGHT_H
#define TEND_DAEMON_PREFLIGHT_H

#include <jansson.h>
#include <stdbool.h>

#include "config/registry.h"

/* Appends {check, ok, message} objects to checks; returns whether all
 * passed. check_port is false while the service itself runs. */
bool preflight_prerequisites(const registry *r, const service_spec *s, bool check_port,
                             json_t *checks);

/* Appends one {check, ok, message} to checks and returns ok. */
bool preflight_add(json_t *checks, const char *check, bool ok, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
