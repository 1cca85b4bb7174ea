/* rlimits.c — names of the resource limits (see rlimits.h). */
#include "base/rlimits.h"

#include <string.h>

static const int resources[] = {
    RLIMIT_AS,      RLIMIT_CORE,     RLIMIT_CPU,        RLIMIT_DATA,   RLIMIT_FSIZE, RLIMIT_LOCKS,
    RLIMIT_MEMLOCK, RLIMIT_MSGQUEUE, RLIMIT_NICE,       RLIMIT_NOFILE, RLIMIT_NPROC, RLIMIT_RSS,
    RLIMIT_RTPRIO,  RLIMIT_RTTIME,   RLIMIT_SIGPENDING, RLIMIT_STACK,
};

const char *const rlimit_names[] = {
    "as",     "core",  "cpu", "data",   "fsize",  "locks",      "memlock", "msgqueue", "nice",
    "nofile", "nproc", "rss", "rtprio", "rttime", "sigpending", "stack",   NULL,
};

int rlimit_from_name(const char *name)
{
    for (size_t i = 0; rlimit_names[i]; i++)
        if (strcmp(rlimit_names[i], name) == 0) return resources[i];
    return -1;
}

const char *rlimit_name(int resource)
{
    for (size_t i = 0; rlimit_names[i]; i++)
        if (resources[i] == resource) return rlimit_names[i];
    return "?";
}
