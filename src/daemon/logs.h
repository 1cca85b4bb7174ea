/* logs.h — reading job logs back: the last lines of a job, or of a
 * service's recent jobs merged in time order. */
#ifndef TEND_DAEMON_LOGS_H
#define TEND_DAEMON_LOGS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

/* {"lines": [{"at", "stream", "text", "job"}...]} — the last n lines of
 * job job_id, or (job_id 0) of service's latest jobs. */
json_t *logs_tail_lines(store *st, const char *service, int64_t job_id, size_t n);

#endif
