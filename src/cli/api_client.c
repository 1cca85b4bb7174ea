/* api_client.c — JSON-RPC calls to the daemon with libcurl over its unix
 * socket. When nothing answers and autostart is allowed, `tend daemon` is
 * started in its own session, and the call waits for it on a readiness
 * pipe (the daemon writes one byte once it listens) instead of polling.
 * Nothing is sent to a socket, nor a daemon started, before the socket's
 * directory and the socket pass paths.h's checks: another user must not
 * be able to stand in for the daemon. With --host the same calls go to a
 * daemon on another host (api_remote.c: TLS, the token, the words for
 * what failed); none is ever started there. */
#include "cli/api_client.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/curl_lazy.h"
#include "base/paths.h"
#include "cli/api_remote.h"

static bool autostart = true;
/* The tend binary that `tend daemon` is started from. */
static const char *daemon_program = "/proc/self/exe";
static const curl_api *lib; /* libcurl, loaded by the first call */

static bool curl_ready(call_error *err)
{
    if (!lib) lib = curl_load(err->message, sizeof(err->message));
    return lib != NULL;
}

void api_set_autostart(bool allowed)
{
    autostart = allowed;
}

void api_set_daemon_program(const char *path)
{
    daemon_program = path;
}

static size_t on_body(char *data, size_t size, size_t n, void *ctx)
{
    buf_append(ctx, data, size * n);
    return size * n;
}

/* One POST; returns CURLE_* and the body (errbuf: CURL_ERROR_SIZE). */
static CURLcode post(const char *socket_path, const char *body, buf *out, long *status,
                     char *errbuf)
{
    CURL *curl = lib->easy_init();
    if (!curl) return CURLE_FAILED_INIT;
    struct curl_slist *headers = lib->slist_append(NULL, "Content-Type: application/json");
    if (api_remote_active()) {
        headers = api_remote_setup(lib, curl, "/rpc", headers, errbuf);
    } else {
        lib->easy_setopt(curl, CURLOPT_UNIX_SOCKET_PATH, socket_path);
        lib->easy_setopt(curl, CURLOPT_URL, "http://localhost/rpc");
    }
    lib->easy_setopt(curl, CURLOPT_POSTFIELDS, body);
    lib->easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    lib->easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
    lib->easy_setopt(curl, CURLOPT_WRITEDATA, out);
    lib->easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    lib->easy_setopt(curl, CURLOPT_TIMEOUT, 120L);
    CURLcode rc = lib->easy_perform(curl);
    lib->easy_getinfo(curl, CURLINFO_RESPONSE_CODE, status);
    lib->slist_free_all(headers);
    lib->easy_cleanup(curl);
    return rc;
}

/* Whether the socket may be talked to: 1 yes, 0 nothing is there yet (no
 * daemon: one may be started), -1 no (another user's socket or folder;
 * the reason in err). */
static int socket_trusted(const tend_paths *paths, call_error *err)
{
    char why[sizeof(err->message)];
    int rc = tend_paths_check_socket(paths, why, sizeof(why));
    if (rc == 0) return 1;
    if (rc == -ENOENT) return 0;
    snprintf(err->message, sizeof(err->message), "%s", why);
    return -1;
}

/* Starts `tend daemon` detached and waits until it listens (or dies);
 * says so on stderr, with how many running processes it took over from a
 * daemon before it (one that crashed leaves them running). 1: started; 0:
 * it did not come up; -1: its folders are not to be trusted (err says
 * why; nothing was started). */
static int start_daemon(const tend_paths *paths, call_error *err)
{
    int ready[2];
    char why[sizeof(err->message)];
    if (tend_paths_create(paths, why, sizeof(why)) < 0) {
        snprintf(err->message, sizeof(err->message), "%s", why);
        return -1;
    }
    if (pipe2(ready, O_CLOEXEC) < 0) return 0;
    pid_t pid = fork();
    if (pid < 0) return 0;
    if (pid == 0) {
        /* Double fork: the daemon is nobody's child but init's (or a subreaper's). */
        if (setsid() < 0 || fork() != 0) _exit(0);
        char *log = NULL;
        if (asprintf(&log, "%s/daemon.log", paths->state_dir) < 0) _exit(1);
        int out = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
        int in = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (out < 0 || in < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0) _exit(1);
        /* The daemon gets the ready pipe as fd 3 and nothing else this
         * shell had open. */
        if (dup2(ready[1], 3) < 0 || fcntl(3, F_SETFD, 0) < 0) _exit(1);
        syscall(SYS_close_range, 4u, ~0u, 0u);
        execl(daemon_program, "tend", "daemon", "--ready-fd", "3", (char *)NULL);
        _exit(127);
    }
    close(ready[1]);
    waitpid(pid, NULL, 0);
    char line[32] = "";
    size_t got = 0;
    ssize_t n;
    /* "1 ADOPTED\n", written at once by the daemon when it listens. */
    while (
        got < sizeof(line) - 1 && !memchr(line, '\n', got) &&
        ((n = read(ready[0], line + got, sizeof(line) - 1 - got)) > 0 || (n < 0 && errno == EINTR)))
        if (n > 0) got += (size_t)n;
    close(ready[0]);
    line[got] = 0;
    int adopted = 0;
    if (got == 0 || sscanf(line, "1 %d", &adopted) < 0 || line[0] != '1') return 0;
    fprintf(stderr, "tend: started a daemon (log: %s/daemon.log)", paths->state_dir);
    if (adopted > 0)
        fprintf(stderr, "; it took over %d running process(es) left by the daemon before it",
                adopted);
    fputs("\n", stderr);
    return 1;
}

static void describe_error(json_t *error, call_error *err)
{
    /* The HTTP server's own refusals (401, 403, 413, 503) are {"error": "words"}. */
    if (json_is_string(error)) {
        snprintf(err->message, sizeof(err->message), "%s", json_string_value(error));
        return;
    }
    json_t *data = json_object_get(error, "data");
    err->code = (int)json_integer_value(json_object_get(error, "code"));
    const char *message = json_string_value(json_object_get(error, "message"));
    const char *detail = json_is_string(data) ? json_string_value(data)
                         : json_is_object(data)
                             ? json_string_value(json_object_get(data, "message"))
                             : NULL;
    snprintf(err->message, sizeof(err->message), "%s", detail ? detail : message ? message : "?");
}

call_status api_call(const char *method, json_t *params, json_t **result, call_error *err)
{
    if (!curl_ready(err)) return CALL_FAILED;
    tend_paths paths;
    if (tend_paths_init(&paths) < 0) {
        snprintf(err->message, sizeof(err->message), "out of memory");
        return CALL_FAILED;
    }
    json_t *req = json_pack("{s:s, s:i, s:s}", "jsonrpc", "2.0", "id", 1, "method", method);
    if (params) json_object_set(req, "params", params);
    char *body = json_dumps(req, JSON_COMPACT);
    json_decref(req);
    buf out = {0};
    long status = 0;
    char errbuf[CURL_ERROR_SIZE] = "";
    bool remote = api_remote_active();
    /* A remote daemon is vouched for by its certificate instead. */
    int trusted = remote ? 1 : socket_trusted(&paths, err);
    CURLcode rc =
        trusted > 0 ? post(paths.socket, body, &out, &status, errbuf) : CURLE_COULDNT_CONNECT;
    const char *no = getenv("TEND_NO_AUTOSTART");
    bool may_start = autostart && !remote && !(no && strcmp(no, "1") == 0);
    if (trusted >= 0 && rc == CURLE_COULDNT_CONNECT && may_start) {
        int started = start_daemon(&paths, err);
        if (started < 0) trusted = -1;
        if (started > 0 && (trusted = socket_trusted(&paths, err)) > 0) {
            buf_free(&out);
            rc = post(paths.socket, body, &out, &status, errbuf);
        }
    }
    free(body);
    call_status result_status = CALL_FAILED;
    if (trusted < 0) {
        /* err says whose socket it is: nothing was sent. */
    } else if (remote && (rc != CURLE_OK || (status != 200 && status != 204))) {
        buf_append(&out, "", 1); /* the server's words, as a string */
        bool unreachable = api_remote_explain(lib, rc, status, out.data, errbuf, err->message,
                                              sizeof(err->message));
        result_status = unreachable ? CALL_UNREACHABLE : CALL_FAILED;
    } else if (rc == CURLE_COULDNT_CONNECT) {
        snprintf(err->message, sizeof(err->message), "no daemon answers at %s%s", paths.socket,
                 may_start ? " and none could be started" : " (start one with 'tend daemon')");
        result_status = CALL_UNREACHABLE;
    } else if (rc != CURLE_OK) {
        snprintf(err->message, sizeof(err->message), "talking to the daemon: %s",
                 lib->easy_strerror(rc));
        result_status = CALL_UNREACHABLE;
    } else {
        json_t *resp = json_loadb(out.data ? out.data : "", out.len, 0, NULL);
        json_t *error = json_object_get(resp, "error");
        if (error) {
            describe_error(error, err);
        } else if (resp && json_object_get(resp, "result")) {
            *result = json_incref(json_object_get(resp, "result"));
            result_status = CALL_OK;
        } else {
            snprintf(err->message, sizeof(err->message), "unexpected answer (HTTP %ld)", status);
        }
        json_decref(resp);
    }
    buf_free(&out);
    tend_paths_free(&paths);
    return result_status;
}

call_status api_call_running(const char *method, json_t *params, json_t **result, call_error *err)
{
    bool allowed = autostart;
    autostart = false;
    call_status st = api_call(method, params, result, err);
    autostart = allowed;
    return st;
}

typedef struct {
    buf pending;
    int (*on_event)(json_t *ev, void *ctx);
    void *ctx;
    bool ended_by_caller;
} event_reader;

/* SSE arrives in pieces: handle each complete "data:" line as it comes. */
static size_t on_stream(char *data, size_t size, size_t n, void *arg)
{
    event_reader *r = arg;
    buf_append(&r->pending, data, size * n);
    char *start = r->pending.data, *nl;
    while ((nl = memchr(start, '\n', r->pending.len - (size_t)(start - r->pending.data)))) {
        *nl = '\0';
        if (strncmp(start, "data: ", 6) == 0) {
            json_t *ev = json_loads(start + 6, 0, NULL);
            int stop = ev ? r->on_event(ev, r->ctx) : 0;
            json_decref(ev);
            if (stop) {
                r->ended_by_caller = true;
                return 0; /* makes curl stop */
            }
        }
        start = nl + 1;
    }
    size_t rest = r->pending.len - (size_t)(start - r->pending.data);
    memmove(r->pending.data, start, rest);
    r->pending.len = rest;
    return size * n;
}

/* seconds <= 0: as long as the stream lasts. */
static call_status follow(const char *path, double seconds, int (*on_event)(json_t *ev, void *ctx),
                          void *ctx, call_error *err);

call_status api_follow_events(const char *query, int (*on_event)(json_t *ev, void *ctx), void *ctx,
                              call_error *err)
{
    return api_follow_events_for(query, 0, on_event, ctx, err);
}

call_status api_follow_events_for(const char *query, double seconds,
                                  int (*on_event)(json_t *ev, void *ctx), void *ctx,
                                  call_error *err)
{
    char *path = NULL;
    if (asprintf(&path, "/events%s%s", query && *query ? "?" : "", query ? query : "") < 0)
        return CALL_FAILED;
    call_status st = follow(path, seconds, on_event, ctx, err);
    free(path);
    return st;
}

call_status api_follow(const char *path, int (*on_event)(json_t *ev, void *ctx), void *ctx,
                       call_error *err)
{
    return follow(path, 0, on_event, ctx, err);
}

static call_status follow(const char *path, double seconds, int (*on_event)(json_t *ev, void *ctx),
                          void *ctx, call_error *err)
{
    if (!curl_ready(err)) return CALL_FAILED;
    tend_paths paths;
    if (tend_paths_init(&paths) < 0) return CALL_FAILED;
    char *url = NULL;
    if (asprintf(&url, "http://localhost%s", path) < 0) {
        tend_paths_free(&paths);
        return CALL_FAILED;
    }
    event_reader r = {.on_event = on_event, .ctx = ctx};
    int trusted = api_remote_active() ? 1 : socket_trusted(&paths, err);
    CURL *curl = trusted > 0 ? lib->easy_init() : NULL;
    CURLcode rc = trusted > 0 ? CURLE_FAILED_INIT : CURLE_COULDNT_CONNECT;
    long status = 0;
    char errbuf[CURL_ERROR_SIZE] = "";
    struct curl_slist *headers = NULL;
    if (curl) {
        if (api_remote_active()) {
            headers = api_remote_setup(lib, curl, path, NULL, errbuf);
            lib->easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
        } else {
            lib->easy_setopt(curl, CURLOPT_UNIX_SOCKET_PATH, paths.socket);
            lib->easy_setopt(curl, CURLOPT_URL, url);
        }
        lib->easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_stream);
        lib->easy_setopt(curl, CURLOPT_WRITEDATA, &r);
        lib->easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
        if (seconds > 0) lib->easy_setopt(curl, CURLOPT_TIMEOUT_MS, (long)(seconds * 1000) + 1);
        rc = lib->easy_perform(curl);
        lib->easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
        lib->easy_cleanup(curl);
        lib->slist_free_all(headers);
    }
    free(url);
    call_status st = CALL_FAILED;
    /* CURLE_OK: the daemon ended the stream; a timeout is the time given. */
    bool timed_out = seconds > 0 && rc == CURLE_OPERATION_TIMEDOUT;
    if (trusted < 0) {
        st = CALL_FAILED; /* err says why: nothing was asked */
    } else if (api_remote_active() && !r.ended_by_caller && status != 200 &&
               !(timed_out && !status)) {
        /* Refused, or never reached: what is left unread is the server's
         * answer ({"error": ...}). */
        buf_append(&r.pending, "", 1);
        bool unreachable = api_remote_explain(lib, rc, status, r.pending.data, errbuf, err->message,
                                              sizeof(err->message));
        st = unreachable ? CALL_UNREACHABLE : CALL_FAILED;
    } else if (r.ended_by_caller || rc == CURLE_OK || timed_out) {
        st = CALL_OK;
    } else if (rc == CURLE_COULDNT_CONNECT) {
        snprintf(err->message, sizeof(err->message), "no daemon answers at %s", paths.socket);
        st = CALL_UNREACHABLE;
    } else {
        snprintf(err->message, sizeof(err->message), "the stream broke off: %s",
                 lib->easy_strerror(rc));
    }
    buf_free(&r.pending);
    tend_paths_free(&paths);
    return st;
}
