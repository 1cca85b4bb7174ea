/* procstat.h — one process's line of /proc/PID/stat, parsed: the one
 * reader of that file (service.children, adoption's identity checks). */
#ifndef TEND_BASE_PROCSTAT_H
#define TEND_BASE_PROCSTAT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct {
    pid_t pid, ppid, pgid;
    char state;                /* R, S, D, Z (ended, not reaped), ... */
    unsigned long long cpu_ticks; /* user + system */
    long rss_pages;
    uint64_t start_time;       /* clock ticks after boot: with the pid, names one process */
    char comm[64];
} proc_stat;

/* false if pid is gone (or its line cannot be read). */
bool proc_stat_read(pid_t pid, proc_stat *out);

#endif
