/* procstat.h — what /proc says of one process: its line of /proc/PID/stat,
 * parsed (service.children, adoption's identity checks), and a variable
 * of its environment (whose job a stray is, where a NOTIFY_SOCKET goes). */
#ifndef TEND_BASE_PROCSTAT_H
#define TEND_BASE_PROCSTAT_H

#include <stdbool.h>
#include <stddef.h>
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

/* The value of key in pid's environment as it was at exec (/proc/PID/
 * environ), into out; false if it has none (or cannot be read). */
bool proc_environ_get(pid_t pid, const char *key, char *out, size_t size);

#endif
