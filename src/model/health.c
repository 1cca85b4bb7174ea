/* health.c — health status from check outcomes (see health.h). */
#include "model/health.h"

bool health_track_record(health_track *t, bool passed, int retries)
{
    health_status before = t->status;
    t->checks++;
    if (passed) {
        t->failures = 0;
        t->was_healthy = true;
        t->status = HEALTH_HEALTHY;
    } else {
        t->failures++;
        if (t->was_healthy && t->failures >= (retries < 1 ? 1 : retries))
            t->status = HEALTH_UNHEALTHY;
    }
    return t->status != before;
}

const char *health_status_name(health_status s)
{
    switch (s) {
    case HEALTH_HEALTHY: return "healthy";
    case HEALTH_UNHEALTHY: return "unhealthy";
    default: return "unknown";
    }
}
