/* keeper.h — the `tend daemon` process: a small keeper, and the main
 * process it runs as its child (which does all the rest).
 *
 * The keeper holds the daemon's lock, is the child subreaper, keeps a
 * copy of each job's output pipes (read ends) and reaps jobs orphaned to
 * it; when the main process dies it starts a new one, which takes the
 * pipes and the exit statuses back (keeper_link.h) and adopts the jobs.
 * SIGTERM, SIGINT and SIGHUP go to the main process, which stops every
 * job; then the keeper exits with its exit code.
 */
#ifndef TEND_DAEMON_PROCESS_KEEPER_H
#define TEND_DAEMON_PROCESS_KEEPER_H

#include <stdbool.h>

/* Becomes the keeper (holding lock_fd; main_only_fd, or -1, is closed in
 * the keeper once the first main process has it): returns -1 in the main
 * process, with *link its end of the keeper's socket; in the keeper, the
 * exit code of `tend daemon` once the daemon is done. */
/* held: "-" or "UNIT:OUT_FD:ERR_FD,...", pipes to hold from the start.
 * *again: the main process is not the keeper's first (one before it
 * died), so it goes on with the registry the daemon had. */
int keeper_run(int lock_fd, int main_only_fd, const char *held, int *link, bool *again);

#endif
