/* job_umask.c — umask 077 for the daemon, the first one for its jobs (see
 * job_umask.h). */
#include "base/job_umask.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

static mode_t for_jobs;
static bool entered;

void job_umask_enter_daemon(void)
{
    mode_t current = umask(077);
    const char *kept = getenv(JOB_UMASK_ENV);
    char *end = NULL;
    unsigned long given = kept && *kept ? strtoul(kept, &end, 8) : 0;
    bool valid = kept && *kept && end && !*end && given <= 0777;
    for_jobs = valid ? (mode_t)given : current;
    entered = true;
    char text[16];
    snprintf(text, sizeof(text), "%04o", (unsigned)for_jobs & 0777);
    setenv(JOB_UMASK_ENV, text, 1);
}

mode_t job_umask(void)
{
    if (entered) return for_jobs;
    mode_t current = umask(0);
    umask(current);
    return current;
}
