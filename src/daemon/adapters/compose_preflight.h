/* compose_preflight.h — the docker-compose adapter's pre-flight
 * (private to adapters/; compose_preflight.c). */
#ifndef TEND_DAEMON_ADAPTERS_COMPOSE_PREFLIGHT_H
#define TEND_DAEMON_ADAPTERS_COMPOSE_PREFLIGHT_H

#include <jansson.h>
#include <stdbool.h>

#include "config/registry.h"
#include "daemon/adapters/compose_tool.h"

/* container_cli: a compose tool is there (with ask: its engine answers);
 * compose_file: the file can be read (with ask: it parses and has the
 * service). */
bool compose_preflight(const service_spec *s, const action_spec *a, bool ask, json_t *checks);

/* The command that reads the compose file and fails, saying why, when it
 * does not parse, has no such service, or gives it an engine's restart
 * policy (podman-compose: python3's yaml; Docker's tools: `config
 * --quiet SERVICE`); run by the check and before each start. NULL when it
 * cannot be made. */
char **compose_file_check(const compose_tool *t, const deployment_spec *d);

#endif
