/* procstat.c — parsing /proc/PID/stat (see procstat.h; proc(5) numbers
 * the fields: comm is 2, state 3, session 6, starttime 22, rss 24). */
#include "base/procstat.h"

#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The first size - 1 bytes of /proc/PID/WHAT into buf, NUL-terminated;
 * returns how many, or 0 if none could be read. */
static size_t read_proc_file(pid_t pid, const char *what, char *buf, size_t size)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, what);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    ssize_t n = read(fd, buf, size - 1);
    close(fd);
    if (n <= 0) return 0;
    buf[n] = '\0';
    return (size_t)n;
}

bool proc_stat_read(pid_t pid, proc_stat *out)
{
    char text[1024];
    if (!read_proc_file(pid, "stat", text, sizeof(text))) return false;
    /* comm may hold spaces and parentheses: it ends at the last ')'. */
    char *open_paren = strchr(text, '('), *close_paren = strrchr(text, ')');
    if (!open_paren || !close_paren || close_paren < open_paren || close_paren[1] != ' ')
        return false;
    snprintf(out->comm, sizeof(out->comm), "%.*s", (int)(close_paren - open_paren - 1),
             open_paren + 1);
    int ppid, pgid, sid;
    unsigned long long utime, stime, start;
    long rss;
    if (sscanf(close_paren + 2,
               "%c %d %d %d %*d %*d %*u %*u %*u %*u %*u %llu %llu %*d %*d %*d %*d %*d %*d "
               "%llu %*u %ld",
               &out->state, &ppid, &pgid, &sid, &utime, &stime, &start, &rss) != 8)
        return false;
    out->pid = pid;
    out->ppid = ppid;
    out->pgid = pgid;
    out->sid = sid;
    out->cpu_ticks = utime + stime;
    out->rss_pages = rss;
    out->start_time = start;
    return true;
}

bool proc_environ_get(pid_t pid, const char *key, char *out, size_t size)
{
    char env[32768];
    size_t n = read_proc_file(pid, "environ", env, sizeof(env));
    if (!n) return false;
    size_t klen = strlen(key);
    for (char *entry = env; entry < env + n; entry += strlen(entry) + 1)
        if (strncmp(entry, key, klen) == 0 && entry[klen] == '=') {
            snprintf(out, size, "%s", entry + klen + 1);
            return true;
        }
    return false;
}

/* The last part of pid's argv[0] into out; false if it has none (a
 * kernel thread) or cannot be read. */
static bool argv0_name(pid_t pid, char *out, size_t size)
{
    char cmd[4096]; /* argv[0] ends at the first NUL */
    if (!read_proc_file(pid, "cmdline", cmd, sizeof(cmd))) return false;
    const char *slash = strrchr(cmd, '/'), *base = slash ? slash + 1 : cmd;
    size_t len = strlen(base);
    if (!len || len >= size) return false; /* no name, or longer than any asked for */
    memcpy(out, base, len + 1);
    return true;
}

size_t proc_find_by_name(const char *name, pid_t *pids, size_t max)
{
    DIR *dir = opendir("/proc");
    if (!dir) return 0;
    size_t found = 0, len = strlen(name);
    struct dirent *e;
    while ((e = readdir(dir))) {
        if (!isdigit((unsigned char)e->d_name[0])) continue;
        pid_t pid = (pid_t)atoi(e->d_name);
        proc_stat st;
        if (!proc_stat_read(pid, &st) || st.state == 'Z') continue;
        /* comm holds at most 15 bytes: a longer name is found by argv[0]. */
        char arg0[256];
        bool match = (len <= 15 && strcmp(st.comm, name) == 0) ||
                     (argv0_name(pid, arg0, sizeof(arg0)) && strcmp(arg0, name) == 0);
        if (!match) continue;
        if (found < max) pids[found] = pid;
        found++;
    }
    closedir(dir);
    return found;
}
