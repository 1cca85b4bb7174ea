/* sse.c — the live streams, as server-sent events: GET /events (every
 * state change) and GET /logs/SERVICE (its output lines).
 *
 * Each client has a bounded buffer of formatted events. When it has
 * nothing to send its connection is suspended (no busy loop); a new event
 * resumes it. A client that reads too slowly to keep its buffer under
 * SSE_CLIENT_MAX is told so and dropped: it never slows the daemon. A
 * comment every SSE_KEEPALIVE_MS, only while clients exist, finds clients
 * that went away while suspended.
 */
#include "api/sse.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "daemon/joblog.h"
#include "daemon/logs.h"

#define SSE_CLIENT_MAX   (256u << 10)
#define SSE_KEEPALIVE_MS 15000

/* One HTTP server the streams are served on (the unix socket, the
 * dashboard's TCP port): a resumed connection needs its own server run. */
typedef struct {
    sse_hub *hub;
    httpd *http;
} sse_server;

#define SSE_MAX_SERVERS 2

typedef struct sse_client {
    sse_hub *hub;
    httpd *http;
    struct MHD_Connection *conn;
    buf pending;
    size_t sent;
    bool suspended, dropped, finished;
    bool logs;     /* a /logs stream rather than /events */
    char *service; /* only this service's events (or logs), or all */
    int64_t job;   /* /logs: only this job's lines, or all of the service's */
    struct sse_client *next, *prev;
} sse_client;

struct sse_hub {
    sse_server servers[SSE_MAX_SERVERS];
    int n_servers;
    store *st;
    sse_client *clients;
    int n_clients;
    uv_timer_t keepalive;
};

static void client_wake(sse_client *c)
{
    if (!c->suspended) return;
    c->suspended = false;
    MHD_resume_connection(c->conn);
    httpd_kick(c->http);
}

static void client_append(sse_client *c, const char *text, size_t len)
{
    if (c->dropped) return;
    if (c->pending.len - c->sent + len > SSE_CLIENT_MAX) {
        c->dropped = true;
        buf_puts(&c->pending, "event: dropped\ndata: {\"reason\":\"the client read too slowly; "
                              "reconnect with ?after=LAST_ID\"}\n\n");
    } else {
        buf_append(&c->pending, text, len);
    }
    client_wake(c);
}

static void format_event(buf *out, int64_t id, double at, const char *kind, const char *service,
                         int64_t job, int64_t run, const char *data)
{
    json_t *ev = json_pack("{s:I, s:f, s:s}", "id", (json_int_t)id, "at", at, "kind", kind);
    json_object_set_new(ev, "service", service ? json_string(service) : json_null());
    json_object_set_new(ev, "job_id", job ? json_integer(job) : json_null());
    json_object_set_new(ev, "run_id", run ? json_integer(run) : json_null());
    json_t *d = data ? json_loads(data, 0, NULL) : NULL;
    json_object_set_new(ev, "data", d ? d : json_null());
    char *text = json_dumps(ev, JSON_COMPACT);
    buf_printf(out, "id: %lld\nevent: %s\ndata: %s\n\n", (long long)id, kind, text ? text : "{}");
    free(text);
    json_decref(ev);
}

void sse_publish(void *ctx, int64_t id, double at, const char *kind, const char *service,
                 int64_t job, int64_t run, const char *data)
{
    sse_hub *hub = ctx;
    if (!hub->clients) return;
    buf text = {0};
    format_event(&text, id, at, kind, service, job, run, data);
    for (sse_client *c = hub->clients; c; c = c->next)
        if (!c->logs && (!c->service || (service && strcmp(c->service, service) == 0)))
            client_append(c, text.data, text.len);
    buf_free(&text);
}

/* One log line ("TIMESTAMP out TEXT") as an SSE event of its JSON form. */
static void format_line(buf *out, const char *line, size_t len, int64_t job)
{
    const char *sp = memchr(line, ' ', len);
    if (!sp || (size_t)(sp - line) + 5 > len) return;
    json_t *o =
        json_pack("{s:s%, s:s%, s:s%, s:I}", "at", line, (size_t)(sp - line), "stream", sp + 1,
                  (size_t)3, "text", sp + 5, len - (size_t)(sp + 5 - line), "job", (json_int_t)job);
    char *text = json_dumps(o, JSON_COMPACT);
    if (text) buf_printf(out, "event: line\ndata: %s\n\n", text);
    free(text);
    json_decref(o);
}

/* The log listener: lines of a job, to every follower of its service or job. */
/* A log follower of this job, or of its service. */
static bool follows(const sse_client *c, const char *service, int64_t job)
{
    if (!c->logs) return false;
    if (c->job) return c->job == job;
    return service && strcmp(c->service, service) == 0;
}

static void publish_lines(void *ctx, const char *service, int64_t job, const char *lines,
                          size_t len)
{
    sse_hub *hub = ctx;
    bool wanted = false;
    for (sse_client *c = hub->clients; c && !wanted; c = c->next) wanted = follows(c, service, job);
    if (!wanted) return;
    buf text = {0};
    for (const char *p = lines, *end = lines + len; p < end;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        format_line(&text, p, n, job);
        p += n + 1;
    }
    for (sse_client *c = hub->clients; c; c = c->next)
        if (follows(c, service, job)) client_append(c, text.data, text.len);
    buf_free(&text);
}

static ssize_t client_read(void *cls, uint64_t pos, char *out, size_t max)
{
    (void)pos;
    sse_client *c = cls;
    size_t avail = c->pending.len - c->sent;
    if (avail) {
        size_t n = avail < max ? avail : max;
        memcpy(out, c->pending.data + c->sent, n);
        c->sent += n;
        if (c->sent == c->pending.len) c->pending.len = c->sent = 0;
        return (ssize_t)n;
    }
    if (c->dropped || c->finished) return MHD_CONTENT_READER_END_OF_STREAM;
    /* Nothing to say: park the connection until an event comes. */
    c->suspended = true;
    MHD_suspend_connection(c->conn);
    return 0;
}

static void on_keepalive(uv_timer_t *timer)
{
    sse_hub *hub = timer->data;
    for (sse_client *c = hub->clients; c; c = c->next) client_append(c, ": keepalive\n\n", 13);
}

static void client_free(void *cls)
{
    sse_client *c = cls;
    sse_hub *hub = c->hub;
    if (c->prev)
        c->prev->next = c->next;
    else
        hub->clients = c->next;
    if (c->next) c->next->prev = c->prev;
    if (--hub->n_clients == 0) uv_timer_stop(&hub->keepalive);
    buf_free(&c->pending);
    free(c->service);
    free(c);
}

/* Queues the stream's response; the client joins the hub's list. */
static enum MHD_Result start_stream(sse_hub *hub, sse_client *c)
{
    struct MHD_Response *r =
        MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 64 * 1024, client_read, c, client_free);
    if (!r) {
        buf_free(&c->pending);
        free(c->service);
        free(c);
        return MHD_NO;
    }
    c->next = hub->clients;
    if (hub->clients) hub->clients->prev = c;
    hub->clients = c;
    if (hub->n_clients++ == 0)
        uv_timer_start(&hub->keepalive, on_keepalive, SSE_KEEPALIVE_MS, SSE_KEEPALIVE_MS);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/event-stream");
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
    enum MHD_Result ok = MHD_queue_response(c->conn, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    return ok;
}

/* GET /logs/SERVICE or /logs/JOB_ID [?lines=N][&follow=1][&job=ID]: the
 * last N lines (50), then, with follow, every new one. */
static enum MHD_Result logs_route(void *ctx, struct MHD_Connection *conn, const char *url)
{
    sse_server *server = ctx;
    sse_hub *hub = server->hub;
    const char *target = url + strlen("/logs/");
    sse_client *c = calloc(1, sizeof(*c));
    if (!c) return MHD_NO;
    c->hub = hub;
    c->http = server->http;
    c->conn = conn;
    c->logs = true;
    /* /logs/123 is job 123 (of whichever service); /logs/web a service. */
    bool is_job = target[strspn(target, "0123456789")] == '\0';
    if (is_job) {
        c->job = strtoll(target, NULL, 10);
        json_t *row = store_job_get(hub->st, c->job);
        const char *service = row ? json_string_value(json_object_get(row, "service_id")) : NULL;
        c->service = strdup(service ? service : "");
        json_decref(row);
    } else {
        c->service = strdup(target);
    }
    if (!c->service) {
        free(c);
        return MHD_NO;
    }
    const char *lines = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "lines");
    const char *follow = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "follow");
    const char *job = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "job");
    long n = lines ? strtol(lines, NULL, 10) : 50;
    if (job) c->job = strtoll(job, NULL, 10);
    c->finished = !(follow && strcmp(follow, "0") != 0);
    buf_puts(&c->pending, ": tend logs\n\n");
    json_t *past = logs_tail_lines(hub->st, c->job ? NULL : c->service, c->job,
                                   n > 0 && n <= 100000 ? (size_t)n : 50);
    size_t i;
    json_t *line;
    json_array_foreach(json_object_get(past, "lines"), i, line)
    {
        char *text = json_dumps(line, JSON_COMPACT);
        if (text) buf_printf(&c->pending, "event: line\ndata: %s\n\n", text);
        free(text);
    }
    json_decref(past);
    return start_stream(hub, c);
}

/* GET /events[?service=NAME][&after=ID]: past events after ID first. */
static enum MHD_Result events_route(void *ctx, struct MHD_Connection *conn, const char *url)
{
    (void)url;
    sse_server *server = ctx;
    sse_hub *hub = server->hub;
    sse_client *c = calloc(1, sizeof(*c));
    if (!c) return MHD_NO;
    c->hub = hub;
    c->http = server->http;
    c->conn = conn;
    const char *service = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "service");
    const char *after = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "after");
    if (service) c->service = strdup(service);
    buf_puts(&c->pending, ": tend events\n\n");
    if (after) {
        json_t *past = store_events_list(hub->st, strtoll(after, NULL, 10), service, 10000);
        size_t i;
        json_t *e;
        json_array_foreach(past, i, e)
        {
            char *data = json_dumps(json_object_get(e, "data"), JSON_COMPACT | JSON_ENCODE_ANY);
            format_event(&c->pending, json_integer_value(json_object_get(e, "id")),
                         json_real_value(json_object_get(e, "at")),
                         json_string_value(json_object_get(e, "kind")),
                         json_string_value(json_object_get(e, "service")),
                         json_integer_value(json_object_get(e, "job_id")),
                         json_integer_value(json_object_get(e, "run_id")), data);
            free(data);
        }
        json_decref(past);
    }
    return start_stream(hub, c);
}

sse_hub *sse_hub_new(uv_loop_t *loop, httpd *http, store *st)
{
    sse_hub *hub = calloc(1, sizeof(*hub));
    if (!hub) return NULL;
    hub->st = st;
    uv_timer_init(loop, &hub->keepalive);
    hub->keepalive.data = hub;
    sse_hub_serve(hub, http);
    store_set_event_listener(st, sse_publish, hub);
    joblog_set_listener(publish_lines, hub);
    return hub;
}

void sse_hub_serve(sse_hub *hub, httpd *http)
{
    if (hub->n_servers == SSE_MAX_SERVERS) return;
    sse_server *server = &hub->servers[hub->n_servers++];
    server->hub = hub;
    server->http = http;
    httpd_route_get(http, "/events", events_route, server);
    httpd_route_get(http, "/logs/", logs_route, server);
}

/* Ends every stream (the servers are about to stop). */
void sse_hub_close(sse_hub *hub)
{
    if (!hub) return;
    store_set_event_listener(hub->st, NULL, NULL);
    joblog_set_listener(NULL, NULL);
    for (sse_client *c = hub->clients; c; c = c->next) {
        c->finished = true;
        client_wake(c);
    }
}

static void hub_closed(uv_handle_t *handle)
{
    free(handle->data);
}

void sse_hub_free(sse_hub *hub)
{
    if (hub) uv_close((uv_handle_t *)&hub->keepalive, hub_closed);
}
