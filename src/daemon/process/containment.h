/* containment.h — keeping each proc's processes together (private to the
 * process layer): a cgroup v2 per proc where tend may create them, else
 * process groups plus the subreaper's strays (see process.h). */
#ifndef TEND_DAEMON_PROCESS_CONTAINMENT_H
#define TEND_DAEMON_PROCESS_CONTAINMENT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Chooses the mode for the daemon on state_dir (cgroups false: the
 * fallback, whatever the machine allows). */
void containment_init(const char *state_dir, bool cgroups);
bool containment_has_cgroups(void);
const char *containment_describe(void);

/* An fd of unit's new cgroup folder (thread-safe; the spawner's threads
 * call it), for the child to be born in; -1 in the fallback mode;
 * -errno with words in err when the cgroup cannot be made. *reused: the
 * folder was there already (a unit started again: see spawn.h). */
int containment_enter(const char *unit, bool *reused, char *err, size_t errlen);
/* SIGKILL to every process of unit (whose main process led group pgid,
 * 0 if unknown). */
void containment_kill(const char *unit, pid_t pgid);
/* Removes unit's cgroup: 0, or -EBUSY while processes are still in it
 * (then wait for containment_events_path to change). */
int containment_remove(const char *unit);
/* pid is in unit's cgroup (always true without cgroups). */
bool containment_holds(const char *unit, pid_t pid);
/* unit's cgroup.events, or NULL (caller frees). */
char *containment_events_path(const char *unit);
/* The pids in unit's cgroup, in *pids (caller frees): how many (0 without
 * cgroups, or with none). */
size_t containment_procs(const char *unit, pid_t **pids);
/* fn for each unit that has a cgroup (none without cgroups). */
void containment_each_unit(void (*fn)(void *ctx, const char *unit), void *ctx);

/* Strays: children of the daemon nobody started, orphaned descendants of
 * its procs. Kills each whose TEND_UNIT is not live (every one when all),
 * with its process group. */
void containment_kill_strays(bool (*live)(const char *unit), bool all);

/* Removes tend's own cgroup once empty. */
void containment_close(void);

#endif
