/* http_check.c — libcurl's multi interface on libuv (see http_check.h).
 *
 * The dance: curl_multi_socket_action() is told about each socket event
 * and timer expiry; in return curl calls on_socket (watch this socket for
 * these events) and on_timeout (wake me in N ms). Finished transfers are
 * collected with curl_multi_info_read() after every call.
 */
#include "daemon/http_check.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/curl_lazy.h"

struct http_check {
    CURL *easy;
    http_check_fn done;
    void *ctx;
    char error[CURL_ERROR_SIZE];
};

typedef struct {
    uv_poll_t poll;
    curl_socket_t fd;
} watched_socket;

static const curl_api *curl;
static CURLM *multi;
static uv_loop_t *multi_loop;
static uv_timer_t *wakeup; /* allocated: closed asynchronously */

static void collect_finished(void)
{
    CURLMsg *msg;
    int left;
    while ((msg = curl->multi_info_read(multi, &left))) {
        if (msg->msg != CURLMSG_DONE) continue;
        CURL *easy = msg->easy_handle;
        CURLcode result = msg->data.result;
        http_check *c = NULL;
        long status = 0;
        curl->easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&c);
        curl->easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
        curl->multi_remove_handle(multi, easy);
        curl->easy_cleanup(easy);
        if (result != CURLE_OK && !c->error[0])
            snprintf(c->error, sizeof(c->error), "%s", curl->easy_strerror(result));
        c->done(c->ctx, result == CURLE_OK ? status : 0, result == CURLE_OK ? NULL : c->error);
        free(c);
    }
}

static void on_wakeup(uv_timer_t *timer)
{
    (void)timer;
    int running;
    curl->multi_socket_action(multi, CURL_SOCKET_TIMEOUT, 0, &running);
    collect_finished();
}

static int on_timeout(CURLM *m, long timeout_ms, void *userp)
{
    (void)m;
    (void)userp;
    /* Never call back into curl from here: a 0 ms timer does it next. */
    if (timeout_ms < 0)
        uv_timer_stop(wakeup);
    else
        uv_timer_start(wakeup, on_wakeup, (uint64_t)timeout_ms, 0);
    return 0;
}

static void on_socket_ready(uv_poll_t *poll, int status, int events)
{
    watched_socket *w = poll->data;
    int flags = 0;
    if (status < 0) flags = CURL_CSELECT_ERR;
    if (events & UV_READABLE) flags |= CURL_CSELECT_IN;
    if (events & UV_WRITABLE) flags |= CURL_CSELECT_OUT;
    int running;
    curl->multi_socket_action(multi, w->fd, flags, &running);
    collect_finished();
}

static void free_handle(uv_handle_t *handle)
{
    free(handle->data);
}

static int on_socket(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
    (void)easy;
    (void)userp;
    watched_socket *w = socketp;
    if (what == CURL_POLL_REMOVE) {
        if (w) {
            /* Stopped now, before curl closes the descriptor. */
            uv_poll_stop(&w->poll);
            uv_close((uv_handle_t *)&w->poll, free_handle);
            curl->multi_assign(multi, fd, NULL);
        }
        return 0;
    }
    if (!w) {
        if (!(w = calloc(1, sizeof(*w)))) return -1;
        w->fd = fd;
        if (uv_poll_init_socket(multi_loop, &w->poll, fd) < 0) {
            free(w);
            return -1;
        }
        w->poll.data = w;
        uv_unref((uv_handle_t *)&w->poll);
        curl->multi_assign(multi, fd, w);
    }
    int events = 0;
    if (what & CURL_POLL_IN) events |= UV_READABLE;
    if (what & CURL_POLL_OUT) events |= UV_WRITABLE;
    uv_poll_start(&w->poll, events, on_socket_ready);
    return 0;
}

static size_t discard_body(char *data, size_t size, size_t n, void *userp)
{
    (void)data;
    (void)userp;
    return size * n;
}

static int multi_open(uv_loop_t *loop, char *err, size_t errlen)
{
    if (multi) return 0;
    if (!(curl = curl_load(err, errlen))) return -1;
    if (!(wakeup = malloc(sizeof(*wakeup))) || !(multi = curl->multi_init())) {
        free(wakeup);
        wakeup = NULL;
        snprintf(err, errlen, "cannot start libcurl");
        return -1;
    }
    multi_loop = loop;
    uv_timer_init(loop, wakeup);
    wakeup->data = wakeup;
    /* Checks belong to services: curl alone never keeps the daemon up. */
    uv_unref((uv_handle_t *)wakeup);
    curl->multi_setopt(multi, CURLMOPT_SOCKETFUNCTION, on_socket);
    curl->multi_setopt(multi, CURLMOPT_TIMERFUNCTION, on_timeout);
    return 0;
}

/* libcurl before 8.17 opens its sockets without close-on-exec. */
static int cloexec_socket(void *ctx, curl_socket_t fd, curlsocktype purpose)
{
    (void)ctx, (void)purpose;
    return fcntl(fd, F_SETFD, FD_CLOEXEC) < 0 ? CURL_SOCKOPT_ERROR : CURL_SOCKOPT_OK;
}

http_check *http_check_start(uv_loop_t *loop, const char *method, const char *url, double timeout,
                             http_check_fn done, void *ctx, char *err, size_t errlen)
{
    return http_check_start_with(loop, method, url, timeout, NULL, NULL, done, ctx, err, errlen);
}

http_check *http_check_start_with(uv_loop_t *loop, const char *method, const char *url,
                                  double timeout, const char *ca_file, const char *bearer,
                                  http_check_fn done, void *ctx, char *err, size_t errlen)
{
    if (multi_open(loop, err, errlen) < 0) return NULL;
    http_check *c = calloc(1, sizeof(*c));
    if (!c || !(c->easy = curl->easy_init())) {
        free(c);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    c->done = done;
    c->ctx = ctx;
    CURL *e = c->easy;
    curl->easy_setopt(e, CURLOPT_URL, url);
    if (method && strcmp(method, "HEAD") == 0)
        curl->easy_setopt(e, CURLOPT_NOBODY, 1L);
    else if (method && strcmp(method, "GET") != 0)
        curl->easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
    curl->easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)(timeout * 1000.0 + 0.5));
    curl->easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl->easy_setopt(e, CURLOPT_PRIVATE, c);
    curl->easy_setopt(e, CURLOPT_ERRORBUFFER, c->error);
    curl->easy_setopt(e, CURLOPT_WRITEFUNCTION, discard_body);
    curl->easy_setopt(e, CURLOPT_USERAGENT, "tend-health-check");
    /* A health check asks the service itself, never a proxy in between. */
    curl->easy_setopt(e, CURLOPT_NOPROXY, "*");
    curl->easy_setopt(e, CURLOPT_SOCKOPTFUNCTION, cloexec_socket);
    if (ca_file) curl->easy_setopt(e, CURLOPT_CAINFO, ca_file);
    if (bearer) {
        /* The only method: sent with the first request (curl copies it). */
        curl->easy_setopt(e, CURLOPT_HTTPAUTH, CURLAUTH_BEARER);
        curl->easy_setopt(e, CURLOPT_XOAUTH2_BEARER, bearer);
    }
    if (curl->multi_add_handle(multi, e) != CURLM_OK) {
        curl->easy_cleanup(e);
        free(c);
        snprintf(err, errlen, "libcurl refused the request");
        return NULL;
    }
    return c;
}

void http_check_cancel(http_check *c)
{
    if (!c) return;
    curl->multi_remove_handle(multi, c->easy);
    curl->easy_cleanup(c->easy);
    free(c);
}

void http_checks_close(void)
{
    if (!multi) return;
    curl->multi_cleanup(multi);
    multi = NULL;
    uv_close((uv_handle_t *)wakeup, free_handle);
    wakeup = NULL;
}
