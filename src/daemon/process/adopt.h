/* adopt.h — watching a process that is not our child (private to the
 * process layer): the main process of a job that a daemon before this one
 * started, and that outlived it. A pidfd says when it ends, and the
 * kernel keeps its exit status for us where it can (PIDFD_INFO_EXIT). */
#ifndef TEND_DAEMON_PROCESS_ADOPT_H
#define TEND_DAEMON_PROCESS_ADOPT_H

#include <stdint.h>
#include <sys/types.h>
#include <uv.h>

typedef struct adopted adopted;

/* exit_code -1 and term_signal 0: ended, with no status to tell. */
typedef void (*adopted_fn)(void *data, pid_t pid, int exit_code, int term_signal);

/* Watches pid if it is still the process that started at start_time;
 * ended is called once, on the loop, and the watch frees itself. NULL if
 * the process is gone (or another has its pid). */
adopted *adopt_watch(uv_loop_t *loop, pid_t pid, uint64_t start_time, adopted_fn ended, void *data);

/* No call comes any more (its end was learnt another way). */
void adopt_cancel(adopted *a);
/* sig to the process's group while it lives (its pid may be another's
 * once it ended: it is not our child); 0 or -errno. */
int adopt_signal_group(adopted *a, int sig);

#endif
