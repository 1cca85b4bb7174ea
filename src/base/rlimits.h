/* rlimits.h — the resource limits a job may be given (`limits` in the
 * registry), by the names systemd and ulimit use without their RLIMIT_
 * prefix: nofile, nproc, core, as, fsize, cpu, ... */
#ifndef TEND_BASE_RLIMITS_H
#define TEND_BASE_RLIMITS_H

#include <stddef.h>
#include <sys/resource.h>

/* One limit: resource is an RLIMIT_* number; RLIM_INFINITY for none. */
typedef struct {
    int resource;
    rlim_t soft, hard;
} rlimit_entry;

/* Every name, NULL-terminated (for "did you mean"). */
extern const char *const rlimit_names[];

/* The RLIMIT_* of "nofile" etc., or -1. */
int rlimit_from_name(const char *name);
/* "nofile" for RLIMIT_NOFILE; "?" for none. */
const char *rlimit_name(int resource);

#endif
