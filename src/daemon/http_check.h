/* http_check.h — HTTP requests for health checks, on the daemon's loop.
 *
 * Owns one libcurl multi handle per process, driven by libuv: curl tells
 * which sockets to watch (uv_poll) and when to wake it (uv_timer), so any
 * number of checks run at once without a thread or a blocking call.
 * libcurl itself is loaded on the first check (base/curl_lazy.h).
 */
#ifndef TEND_DAEMON_HTTP_CHECK_H
#define TEND_DAEMON_HTTP_CHECK_H

#include <stddef.h>
#include <uv.h>

typedef struct http_check http_check;

/* status: the HTTP status received, or 0 with the transfer's error in
 * words. Called on the loop, never from inside http_check_start. */
typedef void (*http_check_fn)(void *ctx, long status, const char *error);

/* Starts method url with a timeout. NULL with the reason in err when it
 * cannot start (libcurl missing). */
http_check *http_check_start(uv_loop_t *loop, const char *method, const char *url, double timeout,
                             http_check_fn done, void *ctx, char *err, size_t errlen);
/* The same, for a service elsewhere: its certificate checked against
 * ca_file (NULL: the system's CAs), bearer sent as its Authorization
 * (NULL: none). */
http_check *http_check_start_with(uv_loop_t *loop, const char *method, const char *url,
                                  double timeout, const char *ca_file, const char *bearer,
                                  http_check_fn done, void *ctx, char *err, size_t errlen);
/* Abandons a check: done is not called. */
void http_check_cancel(http_check *c);
/* Frees the multi handle (daemon exit); checks must be over. */
void http_checks_close(void);

#endif
