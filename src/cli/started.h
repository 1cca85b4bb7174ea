/* started.h — whether a service that was started got there, judged from
 * its service.status: what `tend services start` waits for, and what
 * tend.wait(NAME, "running") in a script means. */
#ifndef TEND_CLI_STARTED_H
#define TEND_CLI_STARTED_H

#include <jansson.h>

/* How long a service with no readiness check must run to count as started. */
#define STARTED_FIRST_SECOND 1.0

/* 1: it got there — running and ready (its health check passed, or it
 * said READY=1), or running for a whole second when nothing else can
 * tell, or done (a oneshot); -1: it failed or exited; 0: not yet, and
 * *look_again_in (if not NULL) gets the seconds until its first second
 * is over, or 0 when only an event can change that. */
int started_outcome(json_t *status, double *look_again_in);

#endif
