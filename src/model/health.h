/* health.h — what a service's health checks add up to.
 *
 * Pure logic over a sequence of check outcomes. A service starts "unknown"
 * and turns healthy at its first passing check. Until then failures do not
 * count: the service is still coming up, and start_timeout (not this
 * module) decides when it has taken too long. Once it has been healthy,
 * `retries` failed checks in a row make it unhealthy; one passing check
 * makes it healthy again.
 */
#ifndef TEND_MODEL_HEALTH_H
#define TEND_MODEL_HEALTH_H

#include <stdbool.h>

typedef enum { HEALTH_UNKNOWN, HEALTH_HEALTHY, HEALTH_UNHEALTHY } health_status;

typedef struct {
    health_status status;
    int failures;     /* failed checks in a row */
    bool was_healthy; /* passed at least once since the checks began */
    unsigned checks;  /* checks recorded */
} health_track;

/* Records one check; returns true when the status changed. retries below
 * 1 count as 1. */
bool health_track_record(health_track *t, bool passed, int retries);

const char *health_status_name(health_status s);

#endif
