/* leftover.h — what a main process before this one left running that its
 * store cannot name (private to the process layer).
 *
 * A spawn's pid reaches the store a loop iteration or two after the
 * spawn; a main process killed in between leaves a job row with no pid,
 * or no row at all, and a process that runs all the same. The next main
 * process finds such processes by their unit: in the unit's cgroup, or,
 * without cgroups, among the keeper's children (the dead main process's
 * children were orphaned to it), by TEND_UNIT in their environment or,
 * before their exec, by their command name (spawn.c names each child
 * after its unit first thing).
 */
#ifndef TEND_DAEMON_PROCESS_LEFTOVER_H
#define TEND_DAEMON_PROCESS_LEFTOVER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* unit's main process, started by a main process before this one: true
 * with its pid and start time. It is the first-started process of the
 * unit whose parent is not in the unit and which leads its own session
 * (or is still in the daemon's: a child not yet past its setsid). False
 * if there is none, or if two could be it. */
bool leftover_main(const char *unit, pid_t *pid, uint64_t *start_time);
/* SIGKILL to every process of unit: its whole cgroup; without cgroups,
 * the keeper's children of unit, each with its process group. */
void leftover_kill(const char *unit);
/* leftover_kill of every unit with processes that wanted(ctx, unit) does
 * not want. */
void leftover_kill_unwanted(bool (*wanted)(void *ctx, const char *unit), void *ctx);

#endif
