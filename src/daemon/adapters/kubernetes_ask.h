/* kubernetes_ask.h — the pre-flight question only the CLI asks (it
 * blocks, for at most a few seconds): does kubectl reach the cluster of
 * its context? */
#ifndef TEND_DAEMON_ADAPTERS_KUBERNETES_ASK_H
#define TEND_DAEMON_ADAPTERS_KUBERNETES_ASK_H

#include <jansson.h>
#include <stdbool.h>

/* Runs `kubectl [--context C] version -o json --request-timeout=5s` and
 * appends the "kubectl" check: ok when the server answered (its
 * version), else kubectl's own last words. */
bool kube_ask_context(const char *kubectl, const char *context, json_t *checks);

#endif
