/* health_monitor.c — a service's checks on a timer (see health_monitor.h). */
#include "daemon/health_monitor.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "daemon/probe.h"

#define FIRST_STARTUP_DELAY 0.05
#define MAX_STARTUP_DELAY   1.0

struct health_monitor {
    uv_loop_t *loop;
    health_spec spec;
    health_change_fn changed;
    void *ctx;
    uv_timer_t timer;
    probe *inflight;
    uint64_t began; /* uv_hrtime() when the check in flight began */
    health_track track;
    health_report report;
    double startup_delay;
};

static void check_now(uv_timer_t *timer);

static void schedule_next(health_monitor *m)
{
    double delay = m->spec.interval;
    if (!m->track.was_healthy) {
        double cap = m->spec.interval < MAX_STARTUP_DELAY ? m->spec.interval : MAX_STARTUP_DELAY;
        delay = m->startup_delay < cap ? m->startup_delay : cap;
        m->startup_delay *= 2;
    }
    uv_timer_start(&m->timer, check_now, (uint64_t)(delay * 1000.0 + 0.5), 0);
}

static void check_done(void *ctx, bool passed, const char *message)
{
    health_monitor *m = ctx;
    m->inflight = NULL;
    health_report *r = &m->report;
    health_status from = m->track.status;
    bool changed = health_track_record(&m->track, passed, m->spec.retries);
    r->passed = passed;
    snprintf(r->message, sizeof(r->message), "%s", message);
    r->duration = (double)(uv_hrtime() - m->began) / 1e9;
    r->checked_at = wall_now();
    r->status = m->track.status;
    r->was_healthy = m->track.was_healthy;
    r->failures = m->track.failures;
    r->checks = m->track.checks;
    if (changed) r->since = r->checked_at;
    schedule_next(m);
    /* Last: the owner may stop (free) the monitor. */
    if (changed) m->changed(m->ctx, from, m->track.status);
}

static void check_now(uv_timer_t *timer)
{
    health_monitor *m = timer->data;
    m->began = uv_hrtime();
    m->inflight = probe_start(m->loop, &m->spec, check_done, m);
    if (!m->inflight) schedule_next(m); /* out of memory: try again later */
}

health_monitor *health_monitor_start(uv_loop_t *loop, const health_spec *spec,
                                     health_change_fn changed, void *ctx)
{
    health_monitor *m = calloc(1, sizeof(*m));
    if (!m) return NULL;
    m->loop = loop;
    m->spec = health_spec_copy(spec);
    m->changed = changed;
    m->ctx = ctx;
    m->startup_delay = FIRST_STARTUP_DELAY;
    m->report.since = wall_now();
    snprintf(m->report.message, sizeof(m->report.message), "no check yet");
    uv_timer_init(loop, &m->timer);
    m->timer.data = m;
    uv_timer_start(&m->timer, check_now, 0, 0);
    return m;
}

const health_report *health_monitor_report(const health_monitor *m)
{
    return &m->report;
}

static void monitor_closed(uv_handle_t *handle)
{
    health_monitor *m = handle->data;
    health_spec_clear(&m->spec);
    free(m);
}

void health_monitor_stop(health_monitor *m)
{
    if (!m) return;
    probe_cancel(m->inflight);
    m->inflight = NULL;
    uv_close((uv_handle_t *)&m->timer, monitor_closed);
}
