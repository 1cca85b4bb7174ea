/* procstat.c — parsing /proc/PID/stat (see procstat.h; proc(5) numbers
 * the fields: comm is 2, state 3, starttime 22, rss 24). */
#include "base/procstat.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

bool proc_stat_read(pid_t pid, proc_stat *out)
{
    char path[64], text[1024];
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    ssize_t n = read(fd, text, sizeof(text) - 1);
    close(fd);
    if (n <= 0) return false;
    text[n] = '\0';
    /* comm may hold spaces and parentheses: it ends at the last ')'. */
    char *open_paren = strchr(text, '('), *close_paren = strrchr(text, ')');
    if (!open_paren || !close_paren || close_paren < open_paren || close_paren[1] != ' ')
        return false;
    snprintf(out->comm, sizeof(out->comm), "%.*s", (int)(close_paren - open_paren - 1),
             open_paren + 1);
    int ppid, pgid;
    unsigned long long utime, stime, start;
    long rss;
    if (sscanf(close_paren + 2,
               "%c %d %d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %*d %*d %*d %*d %*d %*d "
               "%llu %*u %ld",
               &out->state, &ppid, &pgid, &utime, &stime, &start, &rss) != 7)
        return false;
    out->pid = pid;
    out->ppid = ppid;
    out->pgid = pgid;
    out->cpu_ticks = utime + stime;
    out->rss_pages = rss;
    out->start_time = start;
    return true;
}

bool proc_environ_get(pid_t pid, const char *key, char *out, size_t size)
{
    char path[64], env[32768];
    snprintf(path, sizeof(path), "/proc/%d/environ", (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    ssize_t n = read(fd, env, sizeof(env) - 1);
    close(fd);
    if (n <= 0) return false;
    env[n] = 0;
    size_t klen = strlen(key);
    for (char *entry = env; entry < env + n; entry += strlen(entry) + 1)
        if (strncmp(entry, key, klen) == 0 && entry[klen] == '=') {
            snprintf(out, size, "%s", entry + klen + 1);
            return true;
        }
    return false;
}
