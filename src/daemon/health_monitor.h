/* health_monitor.h — the health checks of one running service.
 *
 * Owns a copy of the service's health_check spec (a registry can be
 * replaced while the service runs), one timer and the check in flight.
 * Checks run every `interval` seconds; while the service has never passed
 * one they run sooner (from 50 ms, doubling up to 1 s or the interval) so
 * that what waits for it starts soon after it works. model/health.h turns
 * the outcomes into a status; the owner hears of every change.
 */
#ifndef TEND_DAEMON_HEALTH_MONITOR_H
#define TEND_DAEMON_HEALTH_MONITOR_H

#include <stdbool.h>
#include <uv.h>

#include "config/registry.h"
#include "model/health.h"

typedef struct health_monitor health_monitor;

typedef struct {
    health_status status;
    bool was_healthy;  /* passed at least once since the checks began */
    bool passed;       /* the last check */
    char message[256]; /* the last check's outcome in words */
    double duration;   /* seconds the last check took */
    double checked_at; /* wall time of the last check; 0: none yet */
    double since;      /* wall time the status last changed */
    int failures;      /* failed checks in a row */
    unsigned checks;
} health_report;

/* Called after every status change; it may stop the monitor. */
typedef void (*health_change_fn)(void *ctx, health_status from, health_status to);

/* The first check runs on the next loop iteration. */
health_monitor *health_monitor_start(uv_loop_t *loop, const health_spec *spec,
                                     health_change_fn changed, void *ctx);
const health_report *health_monitor_report(const health_monitor *m);
/* Stops the checks (one in flight is abandoned) and frees the monitor. */
void health_monitor_stop(health_monitor *m);

#endif
