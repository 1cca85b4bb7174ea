/* metrics.h — GET /metrics: the daemon's figures in the Prometheus text
 * exposition format (version 0.0.4), built from the same views the API
 * gives (service.status_all, service.health_all) so the two never differ. */
#ifndef TEND_API_METRICS_H
#define TEND_API_METRICS_H

#include "api/httpd.h"
#include "api/methods.h"

/* Adds the route; ctx must outlive the server. */
void metrics_register(httpd *h, api_ctx *ctx);

#endif
