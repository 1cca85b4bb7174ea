/* modes.h — the adapters this build has, one per deployment mode (private
 * to adapters/: the rest of tend finds them through adapter_of). */
#ifndef TEND_DAEMON_ADAPTERS_MODES_H
#define TEND_DAEMON_ADAPTERS_MODES_H

#include "daemon/adapters/adapter.h"

extern const adapter binary_adapter; /* binary.c: plain actions and deployment.binary */
extern const adapter docker_adapter; /* docker.c */
extern const adapter compose_adapter; /* compose.c: docker-compose */

#endif
