/* started.c — whether a started service got there (see started.h). */
#include "cli/started.h"

#include <stdbool.h>
#include <string.h>

static const char *text(json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "?";
}

/* Whether something other than time says the service is ready: a health
 * check (the daemon reports "starting" until it passes) or READY=1. */
static bool has_readiness(json_t *st)
{
    if (strcmp(text(json_object_get(st, "health"), "check"), "none") != 0) return true;
    size_t i;
    json_t *job;
    json_array_foreach(json_object_get(st, "jobs"), i, job) if (json_object_get(job, "notified"))
        return true;
    return false;
}

int started_outcome(json_t *st, double *look_again_in)
{
    const char *state = text(st, "state");
    if (look_again_in) *look_again_in = 0;
    if (!strcmp(state, "success")) return 1;
    if (!strcmp(state, "failed") || !strcmp(state, "exited")) return -1;
    if (strcmp(state, "running") != 0) return 0;
    if (has_readiness(st)) return 1;
    json_t *uptime = json_object_get(st, "uptime");
    if (!json_is_number(uptime)) return 1; /* no process of its own: a target */
    double left = STARTED_FIRST_SECOND - json_number_value(uptime);
    if (left <= 0) return 1;
    if (look_again_in) *look_again_in = left;
    return 0;
}
