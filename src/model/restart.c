/* restart.c — the restart decision (see restart.h). */
#include "model/restart.h"

#include <stdio.h>
#include <string.h>

#include "base/signame.h"

/* The smallest step of the growing delay, so that delay 0 can still grow. */
#define DELAY_STEP 0.1

static void forget_old(restart_history *h, double now, double window)
{
    size_t keep = 0;
    for (size_t i = 0; i < h->len; i++)
        if (now - h->at[i] <= window) h->at[keep++] = h->at[i];
    h->len = keep;
}

static void describe_exit(char *out, size_t size, int exit_code, int term_signal)
{
    if (term_signal > 0)
        snprintf(out, size, "killed by %s", signal_name(term_signal));
    else if (exit_code < 0)
        snprintf(out, size, "could not start");
    else
        snprintf(out, size, "exit code %d", exit_code);
}

restart_decision restart_decide(const restart_policy *p, restart_history *h, double started_at,
                                double now, int exit_code, int term_signal)
{
    char how[64];
    describe_exit(how, sizeof(how), exit_code, term_signal);
    return restart_decide_cause(p, h, started_at, now, how, term_signal > 0 || exit_code != 0);
}

restart_decision restart_decide_cause(const restart_policy *p, restart_history *h,
                                      double started_at, double now, const char *how, bool failed)
{
    restart_decision d = {.verdict = RESTART_NO};
    if (p->mode == RESTART_NEVER || (p->mode == RESTART_ON_FAILURE && !failed)) {
        snprintf(d.reason, sizeof(d.reason), "%s; restart policy is %s", how,
                 restart_mode_name(p->mode));
        return d;
    }
    /* A run that outlived the window was healthy: start the backoff afresh. */
    if (now - started_at > p->window) h->consecutive = 0;
    forget_old(h, now, p->window);
    if (p->max_restarts == 0) {
        d.verdict = RESTART_GIVE_UP;
        snprintf(d.reason, sizeof(d.reason), "%s; no restarts allowed (max_restarts = 0)", how);
        return d;
    }
    if ((int)h->len >= p->max_restarts) {
        d.verdict = RESTART_GIVE_UP;
        snprintf(d.reason, sizeof(d.reason), "crash loop: %zu restarts in %g s, last %s", h->len,
                 p->window, how);
        return d;
    }
    /* restart_delay first, then twice the one before each time (at least
     * DELAY_STEP): 1, 2, 4 s for restart_delay = 1; 0, 0.1, 0.2 s for 0. */
    double delay = p->delay;
    for (int i = 0; i < h->consecutive && delay < p->delay_max; i++)
        delay = delay * 2 > DELAY_STEP ? delay * 2 : DELAY_STEP;
    if (delay > p->delay_max) delay = p->delay_max;
    if (h->len == RESTART_HISTORY_MAX) {
        memmove(h->at, h->at + 1, (RESTART_HISTORY_MAX - 1) * sizeof(h->at[0]));
        h->len--;
    }
    h->at[h->len++] = now;
    h->consecutive++;
    d.verdict = RESTART_AFTER;
    d.delay = delay;
    snprintf(d.reason, sizeof(d.reason), "%s; restarting in %g s", how, delay);
    return d;
}
