/* engine.h — which container engine the docker and compose adapters
 * drive (private to adapters/): Docker's when its daemon answers, else
 * podman, whose CLI is the same for what tend asks of it. "Answers" is
 * asked the cheap way, without blocking: Docker's socket (DOCKER_HOST's
 * unix path, else /var/run/docker.sock) accepts a connection. */
#ifndef TEND_DAEMON_ADAPTERS_ENGINE_H
#define TEND_DAEMON_ADAPTERS_ENGINE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* "docker" or "podman", with its full path in path; NULL when neither
 * can run containers here, with why in words. */
const char *engine_pick(char *path, size_t size, char *words, size_t wsize);

/* The "container_cli" check: the engine picked and why; with ask, the
 * engine is asked (`ENGINE info`) too. */
bool engine_preflight(bool ask, json_t *checks);

#endif
