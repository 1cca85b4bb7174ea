/* procstat.h — what /proc says of one process: its line of /proc/PID/stat,
 * parsed (service.children, adoption's identity checks), a variable of
 * its environment (whose job a stray is, where a NOTIFY_SOCKET goes); and
 * which processes run a program of a given name (conflicts with host
 * processes). */
#ifndef TEND_BASE_PROCSTAT_H
#define TEND_BASE_PROCSTAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct {
    pid_t pid, ppid, pgid, sid;
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

/* The pids (up to max) of live processes running a program called name:
 * its command name (which the kernel cuts at 15 bytes) or the last part
 * of its argv[0]. Returns how many there are (it may exceed max). */
size_t proc_find_by_name(const char *name, pid_t *pids, size_t max);

#endif
