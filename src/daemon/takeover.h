/* takeover.h — one `tend daemon` per TEND_HOME, also across crashes.
 *
 * The lock: an flock on state_dir/daemon.lock, held by the keeper for the
 * daemon's life ("PID" in the file; "PID main" once a main process whose
 * keeper died holds it). A `tend daemon` that finds such a main process
 * takes its jobs' pipes and the API's socket over a socket the main
 * process listens on (its own user only), and the main process leaves
 * without stopping a job; the new daemon's keeper holds them and its main
 * process adopts the jobs.
 */
#ifndef TEND_DAEMON_TAKEOVER_H
#define TEND_DAEMON_TAKEOVER_H

#include <uv.h>

#include "daemon/supervisor.h"
#include "store/store.h"

/* What the keeper calls the API's listening socket. */
#define TAKEOVER_API_SOCKET "listen-api"

/* The lock's fd, taken over from a main process whose keeper died if one
 * holds it; -1 after saying why on stderr (another daemon runs). */
int takeover_lock(const char *state_dir);
/* Execs tend-keeper (next to this binary), which runs the main process
 * as `tend daemon --main-fd FD ARGS`; returns only if it cannot. */
void takeover_become_keeper(int lock_fd, int ready_fd, int argc, char **argv);

/* The main process, for what happens when its keeper dies. */
typedef struct {
    uv_loop_t *loop;
    store *st;
    supervisor *sv;
    const char *state_dir;
    int api_fd; /* the API's listening socket */
} takeover_daemon;

void takeover_watch(takeover_daemon *d);
/* For process_layer_keeper: the keeper went away. */
void takeover_keeper_lost(void);
void takeover_close(void);

#endif
