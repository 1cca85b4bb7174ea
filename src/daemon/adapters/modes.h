/* modes.h — the adapters this build has, one per deployment mode (private
 * to adapters/: the rest of tend finds them through adapter_of). */
#ifndef TEND_DAEMON_ADAPTERS_MODES_H
#define TEND_DAEMON_ADAPTERS_MODES_H

#include "daemon/adapters/adapter.h"

extern const adapter binary_adapter;  /* binary.c: plain actions and deployment.binary */
extern const adapter docker_adapter;  /* docker.c */
extern const adapter compose_adapter; /* compose.c: docker-compose */

/* remote.c: deployment.remote, an endpoint only watched, or another tend's
 * service (tend+https://) driven through its API; remote_watch.c reads the
 * latter's events. */
const adapter *remote_adapter_of(const deployment_spec *d);
void remote_watch_read(void **state, const char *data, size_t len, adapter_ear *ear);
void remote_watch_free(void *state);
extern const adapter kubernetes_adapter; /* kubernetes.c: a Deployment, through kubectl */

#endif
