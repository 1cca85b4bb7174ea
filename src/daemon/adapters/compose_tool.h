/* compose_tool.h — which compose tool the docker-compose adapter drives
 * (private to adapters/), and the names it gives: `docker compose` or
 * `docker-compose` when Docker's engine answers (engine.h), else
 * podman-compose with podman. The project is project_name, else the
 * compose file's folder name as compose makes it (lower case, only
 * a-z 0-9 _ -); the service's container is PROJECT-SERVICE-1 for
 * Docker's tools (compose v2), PROJECT_SERVICE_1 for podman-compose. */
#ifndef TEND_DAEMON_ADAPTERS_COMPOSE_TOOL_H
#define TEND_DAEMON_ADAPTERS_COMPOSE_TOOL_H

#include <stdbool.h>
#include <stddef.h>

#include "config/registry.h"

typedef enum {
    COMPOSE_DOCKER_PLUGIN,  /* docker compose */
    COMPOSE_DOCKER_COMPOSE, /* docker-compose */
    COMPOSE_PODMAN,         /* podman-compose */
} compose_kind;

typedef struct {
    compose_kind kind;
    char program[1024]; /* docker, docker-compose or podman-compose, full path */
    char engine[1024];  /* the engine's CLI it drives (docker or podman), full path */
    char words[2560];   /* what was found, or why nothing was */
} compose_tool;

/* Fills t; false when no compose tool can run here (t->words says why). */
bool compose_tool_pick(compose_tool *t);

/* The project's name and the service's container's name. */
void compose_project(const deployment_spec *d, char *out, size_t size);
void compose_container(const compose_tool *t, const deployment_spec *d, char *out, size_t size);

/* TOOL -f FILE -p PROJECT followed by words (NULL-terminated): a new strv. */
char **compose_tool_argv(const compose_tool *t, const deployment_spec *d, const char *first, ...)
    __attribute__((sentinel));
/* ENGINE followed by words: a new strv. */
char **compose_engine_argv(const compose_tool *t, const char *first, ...) __attribute__((sentinel));

#endif
