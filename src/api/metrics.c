/* metrics.c — Prometheus text for GET /metrics (see metrics.h). */
#include "api/metrics.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "daemon/joblog.h"
#include "daemon/loop_lag.h"
#include "model/state.h"

static const char *const service_states[] = {"inactive", "starting", "running", "stopping",
                                             "success",  "failed",   "exited",  NULL};
static const char *const health_states[] = {"healthy", "unhealthy", "unknown", NULL};

static void family(buf *b, const char *name, const char *type, const char *help)
{
    buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A label value as the format wants it: \\, \" and \n escaped. */
static void label(buf *b, const char *value)
{
    for (const char *p = value; *p; p++) {
        if (*p == '\\' || *p == '"')
            buf_putc(b, '\\'), buf_putc(b, *p);
        else if (*p == '\n')
            buf_puts(b, "\\n");
        else
            buf_putc(b, *p);
    }
}

static void service_sample(buf *b, const char *metric, const char *service, const char *key,
                           const char *value, double number)
{
    buf_printf(b, "%s{service=\"", metric);
    label(b, service);
    if (key) {
        buf_printf(b, "\",%s=\"", key);
        label(b, value);
    }
    buf_printf(b, "\"} %.17g\n", number);
}

static const char *text(json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

static void service_metrics(buf *b, json_t *statuses)
{
    size_t i;
    json_t *st;
    family(b, "tend_service_state", "gauge", "1 for the service's actual state, 0 for the others.");
    json_array_foreach(statuses, i, st) for (int k = 0; service_states[k]; k++)
        service_sample(b, "tend_service_state", text(st, "name"), "state", service_states[k],
                       strcmp(text(st, "state"), service_states[k]) == 0);
    family(b, "tend_service_health", "gauge",
           "1 for the outcome of the service's health checks, 0 for the others.");
    json_array_foreach(statuses, i, st)
    {
        const char *health = text(json_object_get(st, "health"), "status");
        for (int k = 0; health_states[k]; k++)
            service_sample(b, "tend_service_health", text(st, "name"), "health", health_states[k],
                           strcmp(health, health_states[k]) == 0);
    }
    family(b, "tend_service_restarts", "gauge",
           "Restarts of the service's current run (after crashes or failed health checks).");
    json_array_foreach(statuses, i, st)
        service_sample(b, "tend_service_restarts", text(st, "name"), NULL, NULL,
                       (double)json_integer_value(json_object_get(st, "restarts")));
    family(b, "tend_service_uptime_seconds", "gauge",
           "Seconds since the service's process started (0 when it runs none).");
    json_array_foreach(statuses, i, st)
        service_sample(b, "tend_service_uptime_seconds", text(st, "name"), NULL, NULL,
                       json_number_value(json_object_get(st, "uptime")));
}

static void job_metrics(buf *b, store *st)
{
    family(b, "tend_jobs", "gauge", "Recorded jobs by phase.");
    json_t *counts = store_job_counts(st);
    for (int p = 0; p < JOB_PHASE_COUNT; p++) {
        json_int_t n = 0;
        size_t i;
        json_t *row;
        json_array_foreach(counts, i, row) if (strcmp(text(row, "phase"), job_phase_name(p)) == 0)
            n = json_integer_value(json_object_get(row, "count"));
        buf_printf(b, "tend_jobs{phase=\"%s\"} %lld\n", job_phase_name(p), (long long)n);
    }
    json_decref(counts);
}

/* Whether the history is written: a full disk shows here first. */
static void store_metrics(buf *b, store *st)
{
    store_write_state ws;
    store_write_state_get(st, &ws);
    family(b, "tend_store_write_errors_total", "counter",
           "Writes of the history (statements or commits) that failed, retries included.");
    buf_printf(b, "tend_store_write_errors_total %llu\n", (unsigned long long)ws.write_errors);
    family(b, "tend_store_pending_writes", "gauge",
           "Changes to the history held in memory because writing failed (0: all written).");
    buf_printf(b, "tend_store_pending_writes %zu\n", ws.pending);
    family(b, "tend_store_events_dropped_total", "counter",
           "Held event rows given up to keep a long outage within tend's memory cap.");
    buf_printf(b, "tend_store_events_dropped_total %llu\n", (unsigned long long)ws.events_dropped);
}

static long resident_bytes(void)
{
    long pages = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "re");
    if (!f) return 0;
    if (fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
    fclose(f);
    return resident * sysconf(_SC_PAGESIZE);
}

static void daemon_metrics(buf *b)
{
    joblog_stats logs = joblog_totals();
    family(b, "tend_log_bytes_total", "counter", "Bytes of output read from every job.");
    buf_printf(b, "tend_log_bytes_total %llu\n", (unsigned long long)logs.bytes);
    family(b, "tend_log_lines_cut_total", "counter",
           "Output lines cut because they were longer than tend keeps.");
    buf_printf(b, "tend_log_lines_cut_total %llu\n", (unsigned long long)logs.lines_cut);
    family(b, "tend_log_files_pruned_total", "counter",
           "Old log files deleted to keep each service within its log budget.");
    buf_printf(b, "tend_log_files_pruned_total %llu\n", (unsigned long long)logs.files_pruned);
    family(b, "tend_log_bytes_dropped_total", "counter",
           "Log bytes that could not be written (a full disk, an unwritable log file).");
    buf_printf(b, "tend_log_bytes_dropped_total %llu\n", (unsigned long long)logs.bytes_dropped);
    family(b, "tend_daemon_resident_bytes", "gauge", "The daemon's resident memory.");
    buf_printf(b, "tend_daemon_resident_bytes %ld\n", resident_bytes());
    loop_lag_stats lag = loop_lag_take();
    family(b, "tend_loop_lag_seconds", "gauge",
           "The longest time the event loop was busy between polls since the previous scrape.");
    buf_printf(b, "tend_loop_lag_seconds %.9f\n", lag.max_busy);
    family(b, "tend_loop_busy_seconds_total", "counter", "Time the event loop spent working.");
    buf_printf(b, "tend_loop_busy_seconds_total %.9f\n", lag.busy_total);
}

static enum MHD_Result metrics_route(void *c, struct MHD_Connection *conn, const char *url)
{
    api_ctx *ctx = c;
    (void)url;
    buf b = {0};
    json_t *statuses = supervisor_status_all(ctx->sv);
    service_metrics(&b, statuses);
    json_decref(statuses);
    job_metrics(&b, ctx->st);
    store_metrics(&b, ctx->st);
    daemon_metrics(&b);
    if (b.failed) {
        buf_free(&b);
        return httpd_reply(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, NULL, NULL);
    }
    return httpd_reply(conn, MHD_HTTP_OK, buf_steal(&b),
                       "text/plain; version=0.0.4; charset=utf-8");
}

void metrics_register(httpd *h, api_ctx *ctx)
{
    httpd_route_get(h, "/metrics", metrics_route, ctx);
}
