/* procinfo.h — the processes of some process groups, read from /proc. */
#ifndef TEND_DAEMON_PROCINFO_H
#define TEND_DAEMON_PROCINFO_H

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

/* [{pid, ppid, pgid, name, cmdline, cpu_seconds, rss_kb}] of every process
 * whose process group is one of groups. */
json_t *procinfo_groups(const pid_t *groups, size_t n_groups);

#endif
