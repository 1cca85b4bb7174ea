/* probe.h — one health check of any type (http, tcp, command, file), run
 * on the daemon's loop without blocking it.
 *
 * http goes through libcurl's multi interface (http_check.h), tcp is a
 * non-blocking connect to each address of the host in turn, command is a
 * supervised child process killed (with its group) at the timeout, file is
 * a stat(). The result always arrives later on the loop, never inside
 * probe_start, so the caller can store the probe first.
 */
#ifndef TEND_DAEMON_PROBE_H
#define TEND_DAEMON_PROBE_H

#include <stdbool.h>
#include <uv.h>

#include "config/registry.h"

typedef struct probe probe;

/* message says what was seen, in words ("HTTP status 200 matches
 * expected", "connect to localhost:5432: connection refused"). */
typedef void (*probe_fn)(void *ctx, bool passed, const char *message);

/* spec must stay valid until done is called or the probe is cancelled. */
probe *probe_start(uv_loop_t *loop, const health_spec *spec, probe_fn done, void *ctx);
/* Stops a check in flight; done is not called. */
void probe_cancel(probe *p);

#endif
