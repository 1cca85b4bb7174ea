/* procinfo.c — what /proc says about a service's processes: every member
 * of its jobs' process groups, with CPU time, memory and command line. */
#include "daemon/procinfo.h"

#include "base/procstat.h"

#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static json_t *cmdline(pid_t pid)
{
    char path[64], text[4096];
    snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
    FILE *f = fopen(path, "re");
    json_t *argv = json_array();
    if (!f) return argv;
    size_t n = fread(text, 1, sizeof(text) - 1, f);
    fclose(f);
    for (size_t i = 0; i < n;) {
        size_t len = strnlen(text + i, n - i);
        json_array_append_new(argv, json_stringn(text + i, len));
        i += len + 1;
    }
    return argv;
}

json_t *procinfo_groups(const pid_t *groups, size_t n_groups)
{
    json_t *procs = json_array();
    DIR *d = opendir("/proc");
    if (!d) return procs;
    long page_kb = sysconf(_SC_PAGESIZE) / 1024;
    long hz = sysconf(_SC_CLK_TCK);
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!isdigit((unsigned char)e->d_name[0])) continue;
        proc_stat st;
        if (!proc_stat_read((pid_t)atoi(e->d_name), &st)) continue;
        bool member = false;
        for (size_t i = 0; i < n_groups && !member; i++) member = st.pgid == groups[i];
        if (!member) continue;
        json_array_append_new(
            procs, json_pack("{s:i, s:i, s:i, s:s, s:o, s:f, s:I}", "pid", (int)st.pid, "ppid",
                             (int)st.ppid, "pgid", (int)st.pgid, "name", st.comm, "cmdline",
                             cmdline(st.pid), "cpu_seconds", (double)st.cpu_ticks / (double)hz,
                             "rss_kb", (json_int_t)(st.rss_pages * page_kb)));
    }
    closedir(d);
    return procs;
}
