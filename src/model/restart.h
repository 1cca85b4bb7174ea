/* restart.h — the restart policy: after a service's process ends, whether
 * to start it again, after how long, or to give up.
 *
 * Pure logic. Restarts are counted within a sliding window; more than
 * max_restarts of them in the window is a crash loop, which ends in
 * `failed` with a reason instead of spinning. Delays grow exponentially
 * from restart_delay (the first restart waits exactly restart_delay, which
 * may be 0: immediately) up to restart_delay_max.
 */
#ifndef TEND_MODEL_RESTART_H
#define TEND_MODEL_RESTART_H

#include <stdbool.h>
#include <stddef.h>

#include "config/registry.h" /* restart_mode */

typedef struct {
    restart_mode mode;
    int max_restarts; /* within window; 0 = never restart */
    double window;    /* seconds */
    double delay;     /* before the first restart */
    double delay_max; /* cap of the growing delay */
} restart_policy;

/* Restarts made recently (their times), newest last. Owned by the caller;
 * restart_decide keeps it to the window. */
#define RESTART_HISTORY_MAX REGISTRY_MAX_RESTARTS
typedef struct {
    double at[RESTART_HISTORY_MAX];
    size_t len;
    int consecutive; /* restarts since the service last ran longer than the window */
} restart_history;

typedef enum { RESTART_NO, RESTART_AFTER, RESTART_GIVE_UP } restart_verdict;

typedef struct {
    restart_verdict verdict;
    double delay;     /* RESTART_AFTER: seconds to wait */
    char reason[512]; /* RESTART_GIVE_UP and RESTART_NO: in words (a path may be in them) */
} restart_decision;

/* The process ended at now with exit_code (or term_signal > 0; exit_code
 * -1: it could not be started at all), having started at started_at.
 * Records the restart in h when it decides one. */
restart_decision restart_decide(const restart_policy *p, restart_history *h, double started_at,
                                double now, int exit_code, int term_signal);

/* The same for a cause in words (how: "unhealthy"); failed says whether
 * restart_on_failure counts it as a failure. */
restart_decision restart_decide_cause(const restart_policy *p, restart_history *h,
                                      double started_at, double now, const char *how, bool failed);

#endif
