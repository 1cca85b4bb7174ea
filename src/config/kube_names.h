/* kube_names.h — the names Kubernetes accepts (RFC 1123, as the API
 * server checks them), so that a registry is refused at its line and
 * column rather than by the cluster at the first start. */
#ifndef TEND_CONFIG_KUBE_NAMES_H
#define TEND_CONFIG_KUBE_NAMES_H

#include <stdbool.h>

/* A DNS-1123 label: 1 to 63 of [a-z0-9-], starting and ending with
 * [a-z0-9] (a namespace). */
bool dns1123_label(const char *name);
/* A DNS-1123 subdomain: at most 253 characters, labels joined by '.'
 * (a Deployment's name). */
bool dns1123_subdomain(const char *name);

#endif
