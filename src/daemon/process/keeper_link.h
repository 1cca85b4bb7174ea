/* keeper_link.h — the main process's side of the keeper (see keeper.h;
 * private to the process layer, whose interface in process.h exposes what
 * the rest of the daemon needs). */
#ifndef TEND_DAEMON_PROCESS_KEEPER_LINK_H
#define TEND_DAEMON_PROCESS_KEEPER_LINK_H

#include <stdbool.h>
#include <sys/types.h>
#include <uv.h>

/* Says hello on sock and takes what the keeper holds (the pipes of jobs a
 * main process before this one ran, the exits it reaped); then listens
 * for exits as they come. lost is called if the keeper goes away. */
int keeper_link_open(uv_loop_t *loop, int sock, void (*lost)(void));
bool keeper_link_connected(void);
/* The held pipes of unit, once: true and fds[0..1] (the caller owns them). */
bool keeper_link_take(const char *unit, int fds[2]);
/* An exit the keeper reaped before anyone watched pid: true and *status. */
bool keeper_link_take_exit(pid_t pid, int *status);
void keeper_link_hold(const char *unit, int out_fd, int err_fd);
void keeper_link_ready(void);
/* Closes held pipes nobody took (jobs that are gone for good). */
void keeper_link_drop_unclaimed(void);
void keeper_link_close(void);

/* A hand-over between the main process of a daemon whose keeper died and
 * the `tend daemon` that takes over from it, on a socket between the two:
 * the pipes of each job (pass), then the end. 0 or -errno. */
int keeper_link_pass(int sock, const char *unit, int out_fd, int err_fd);
int keeper_link_pass_end(int sock);
/* 1 with unit and fds[0..1] (both -1 for a message to skip), 0 at the
 * end, or -errno. */
int keeper_link_receive(int sock, char *unit, size_t size, int fds[2]);

#endif
