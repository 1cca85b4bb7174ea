/* probe.c — one health check, of each type (see probe.h).
 *
 * A probe owns a deadline timer and, for tcp, a socket handle; it is freed
 * once it is over (result given or cancelled) and libuv has closed every
 * handle and answered every request it started ("busy" counts them).
 */
#include "daemon/probe.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/signame.h"
#include "base/strv.h"
#include "daemon/http_check.h"
#include "daemon/job_env.h"
#include "daemon/launch.h"
#include "daemon/process/process.h"

#define MAX_ADDRS 8

struct probe {
    uv_loop_t *loop;
    const health_spec *spec;
    probe_fn done;
    void *ctx;
    bool over;        /* the result was given, or the probe cancelled */
    bool starting;    /* inside probe_start: results wait for the loop */
    int busy;         /* open handles and requests */
    uv_timer_t timer; /* the deadline, or the delivery of an early result */
    bool result_passed;
    char result[256];
    /* tcp */
    uv_tcp_t tcp;
    bool tcp_open;
    uv_connect_t connect;
    uv_getaddrinfo_t resolve;
    bool resolving;
    struct sockaddr_storage addrs[MAX_ADDRS];
    int n_addrs, next_addr;
    int last_error;
    /* command */
    proc *proc;
    /* http */
    http_check *http;
};

static void probe_release(probe *p)
{
    if (p->over && p->busy == 0) free(p);
}

static void handle_closed(uv_handle_t *handle)
{
    probe *p = handle->data;
    p->busy--;
    probe_release(p);
}

/* Ends whatever is still going on; no callback comes after this. */
static void probe_wind_down(probe *p)
{
    p->over = true;
    if (!uv_is_closing((uv_handle_t *)&p->timer)) uv_close((uv_handle_t *)&p->timer, handle_closed);
    if (p->tcp_open && !uv_is_closing((uv_handle_t *)&p->tcp))
        uv_close((uv_handle_t *)&p->tcp, handle_closed);
    if (p->proc) {
        proc_release(p->proc); /* kills what still runs of it */
        p->proc = NULL;
    }
    if (p->http) http_check_cancel(p->http), p->http = NULL;
    /* A name lookup in flight answers later: it holds a busy count. */
    if (p->resolving) uv_cancel((uv_req_t *)&p->resolve);
}

static void deliver_now(uv_timer_t *timer)
{
    probe *p = timer->data;
    if (p->over) return;
    probe_wind_down(p);
    p->done(p->ctx, p->result_passed, p->result);
}

__attribute__((format(printf, 3, 4))) static void finish(probe *p, bool passed, const char *fmt,
                                                         ...)
{
    if (p->over) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->result, sizeof(p->result), fmt, ap);
    va_end(ap);
    p->result_passed = passed;
    if (p->starting) {
        uv_timer_start(&p->timer, deliver_now, 0, 0);
        return;
    }
    deliver_now(&p->timer);
}

/* ---- tcp ---------------------------------------------------------------- */

static const char *tcp_host(const probe *p)
{
    return p->spec->tcp.host ? p->spec->tcp.host : "localhost";
}

static void tcp_try_next(probe *p);

static void tcp_closed_try_next(uv_handle_t *handle)
{
    probe *p = handle->data;
    p->busy--;
    p->tcp_open = false;
    if (p->over)
        probe_release(p);
    else
        tcp_try_next(p);
}

static void tcp_connected(uv_connect_t *req, int status)
{
    probe *p = req->data;
    if (p->over) return; /* the close that cancelled it frees the probe */
    if (status == 0) {
        finish(p, true, "connected to %s:%d", tcp_host(p), p->spec->tcp.port);
        return;
    }
    p->last_error = status;
    uv_close((uv_handle_t *)&p->tcp, tcp_closed_try_next);
}

static void tcp_try_next(probe *p)
{
    if (p->next_addr >= p->n_addrs) {
        finish(p, false, "connect to %s:%d: %s", tcp_host(p), p->spec->tcp.port,
               p->last_error ? uv_strerror(p->last_error) : "no address");
        return;
    }
    const struct sockaddr *addr = (const struct sockaddr *)&p->addrs[p->next_addr++];
    uv_tcp_init(p->loop, &p->tcp);
    p->tcp.data = p;
    p->tcp_open = true;
    p->busy++;
    p->connect.data = p;
    int rc = uv_tcp_connect(&p->connect, &p->tcp, addr, tcp_connected);
    if (rc < 0) {
        p->last_error = rc;
        uv_close((uv_handle_t *)&p->tcp, tcp_closed_try_next);
    }
}

static void tcp_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
    probe *p = req->data;
    p->busy--;
    p->resolving = false;
    if (p->over) {
        uv_freeaddrinfo(res);
        probe_release(p);
        return;
    }
    for (struct addrinfo *a = res; status == 0 && a && p->n_addrs < MAX_ADDRS; a = a->ai_next)
        if (a->ai_family == AF_INET || a->ai_family == AF_INET6)
            memcpy(&p->addrs[p->n_addrs++], a->ai_addr, a->ai_addrlen);
    uv_freeaddrinfo(res);
    if (status < 0) {
        finish(p, false, "resolve %s: %s", tcp_host(p), uv_strerror(status));
        return;
    }
    tcp_try_next(p);
}

static void tcp_begin(probe *p)
{
    const char *host = tcp_host(p);
    int port = p->spec->tcp.port;
    /* Numbers and localhost need no resolver thread. */
    if (strcmp(host, "localhost") == 0) {
        uv_ip4_addr("127.0.0.1", port, (struct sockaddr_in *)&p->addrs[0]);
        uv_ip6_addr("::1", port, (struct sockaddr_in6 *)&p->addrs[1]);
        p->n_addrs = 2;
    } else if (uv_ip4_addr(host, port, (struct sockaddr_in *)&p->addrs[0]) == 0 ||
               uv_ip6_addr(host, port, (struct sockaddr_in6 *)&p->addrs[0]) == 0) {
        p->n_addrs = 1;
    } else {
        char service[16];
        snprintf(service, sizeof(service), "%d", port);
        struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV};
        p->resolve.data = p;
        int rc = uv_getaddrinfo(p->loop, &p->resolve, tcp_resolved, host, service, &hints);
        if (rc < 0)
            finish(p, false, "resolve %s: %s", host, uv_strerror(rc));
        else
            p->busy++, p->resolving = true;
        return;
    }
    tcp_try_next(p);
}

/* ---- command ------------------------------------------------------------ */

static void command_exited(void *data, proc *child, int exit_code, int term_signal)
{
    probe *p = data;
    proc_release(child);
    p->proc = NULL;
    int expected = p->spec->command.expected_exit_code;
    if (term_signal)
        finish(p, false, "%s killed by %s", p->spec->command.argv[0], signal_name(term_signal));
    else if (exit_code == expected)
        finish(p, true, "%s exited with %d as expected", p->spec->command.argv[0], exit_code);
    else
        finish(p, false, "%s exited with %d, expected %d", p->spec->command.argv[0], exit_code,
               expected);
}

static void command_started(void *data, proc *child, pid_t pid, int rc, const char *err)
{
    probe *p = data;
    (void)pid;
    if (rc == 0) return;
    proc_release(child);
    p->proc = NULL;
    finish(p, false, "%s", err);
}

static void command_begin(probe *p)
{
    static unsigned long checks; /* names each command's cgroup */
    char unit[48];
    snprintf(unit, sizeof(unit), "check-%lu", ++checks);
    proc_request req = {
        .argv = strv_copy(p->spec->command.argv),
        .env = job_env(NULL, NULL, NULL), /* the daemon's, as a job of its user gets */
        .uid = (uid_t)-1,
        .gid = (gid_t)-1,
        .stdout_fd = -1,
        .stderr_fd = -1,
    };
    char err[256];
    /* A check with a user runs as that user, with its groups, as an action does. */
    if (p->spec->command.user && launch_user(p->spec->command.user, &req, err, sizeof(err)) < 0) {
        launch_request_free(&req);
        finish(p, false, "%s", err);
        return;
    }
    if (!req.argv || !req.env || !(p->proc = proc_new(unit, command_started, command_exited, p))) {
        launch_request_free(&req);
        finish(p, false, "out of memory");
        return;
    }
    proc_spawn(p->proc, &req);
}

/* ---- file and http ------------------------------------------------------ */

static void file_check(probe *p)
{
    const char *path = p->spec->file.path;
    bool must_exist = p->spec->file.must_exist;
    struct stat st;
    if (stat(path, &st) == 0)
        finish(p, must_exist, "%s exists", path);
    else if (errno == ENOENT || errno == ENOTDIR)
        finish(p, !must_exist, "%s does not exist", path);
    else
        finish(p, false, "%s: %s", path, strerror(errno));
}

static void http_answered(void *ctx, long status, const char *error)
{
    probe *p = ctx;
    p->http = NULL;
    const char *method = p->spec->http.method ? p->spec->http.method : "GET";
    int expected = p->spec->http.expected_status ? p->spec->http.expected_status : 200;
    if (status == 0)
        finish(p, false, "%s %s: %s", method, p->spec->http.endpoint, error ? error : "failed");
    else if (status == expected)
        finish(p, true, "HTTP status %ld matches expected", status);
    else if ((status == 401 || status == 403) && p->spec->http.token_file)
        finish(p, false, "HTTP status %ld, expected %d: the token in %s was refused", status,
               expected, p->spec->http.token_file);
    else
        finish(p, false, "HTTP status %ld, expected %d", status, expected);
}

/* The bearer token of a check of a service elsewhere: the first line of
 * its file, read at each check (a rotated token is taken at once). */
static int read_token(const char *path, char *out, size_t size, char *err, size_t errlen)
{
    FILE *f = fopen(path, "re");
    if (!f) {
        snprintf(err, errlen, "token file %s: %s", path, strerror(errno));
        return -1;
    }
    bool got = fgets(out, (int)size, f) != NULL;
    fclose(f);
    out[got ? strcspn(out, "\r\n") : 0] = '\0';
    if (!out[0]) {
        snprintf(err, errlen, "token file %s is empty", path);
        return -1;
    }
    return 0;
}

static void http_begin(probe *p)
{
    char err[256];
    const char *method = p->spec->http.method ? p->spec->http.method : "GET";
    char token[512] = "";
    if (p->spec->http.token_file &&
        read_token(p->spec->http.token_file, token, sizeof(token), err, sizeof(err)) < 0) {
        finish(p, false, "%s", err);
        return;
    }
    p->http = http_check_start_with(p->loop, method, p->spec->http.endpoint, p->spec->timeout,
                                    p->spec->http.ca_file, token[0] ? token : NULL, http_answered,
                                    p, err, sizeof(err));
    explicit_bzero(token, sizeof(token));
    if (!p->http) finish(p, false, "%s", err);
}

/* ---- the probe ---------------------------------------------------------- */

static void deadline_passed(uv_timer_t *timer)
{
    probe *p = timer->data;
    finish(p, false, "no answer within %g s", p->spec->timeout);
}

probe *probe_start(uv_loop_t *loop, const health_spec *spec, probe_fn done, void *ctx)
{
    probe *p = calloc(1, sizeof(*p));
    if (!p) return NULL;
    p->loop = loop;
    p->spec = spec;
    p->done = done;
    p->ctx = ctx;
    p->starting = true;
    uv_timer_init(loop, &p->timer);
    p->timer.data = p;
    p->busy = 1;
    /* curl keeps its own deadline; the others get this one. */
    if (spec->timeout > 0 && spec->type != HEALTH_HTTP)
        uv_timer_start(&p->timer, deadline_passed, (uint64_t)(spec->timeout * 1000.0 + 0.5), 0);
    switch (spec->type) {
    case HEALTH_HTTP: http_begin(p); break;
    case HEALTH_TCP: tcp_begin(p); break;
    case HEALTH_COMMAND: command_begin(p); break;
    case HEALTH_FILE: file_check(p); break;
    case HEALTH_NONE: finish(p, true, "no health check"); break;
    }
    p->starting = false;
    return p;
}

void probe_cancel(probe *p)
{
    if (!p || p->over) return;
    probe_wind_down(p);
    probe_release(p);
}
