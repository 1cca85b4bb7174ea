/* instance.h — tend's daemon, in the fuzzer's own process.
 *
 * The objects `tend daemon` assembles (daemon.c): a store, the process
 * layer (process groups, no cgroups), the supervisor and the API's
 * dispatcher, on the default libuv loop, in TEND_HOME=/tmp/tend-fuzz (the
 * cage's tmpfs, sandbox.h). No HTTP server: the fuzzer hands bodies to
 * rpc_handle as httpd.c does.
 */
#ifndef TEND_FUZZ_INSTANCE_H
#define TEND_FUZZ_INSTANCE_H

#include <stdbool.h>

#include "api/rpc.h"

/* Once, inside the cage: exits with a message if it cannot be had. */
void instance_init(void);
const rpc_dispatcher *instance_dispatcher(void);
/* Turns the loop a few times without waiting: what a call set off
 * happens (spawns reported, timers that are due, exits reaped). */
void instance_turn_loop(void);
/* Whether anything was written to the store since the last reset. */
bool instance_wrote(void);
/* Back to an empty TEND_HOME: every process of the jobs' sessions killed,
 * the supervisor shut down (it must be idle within 20 s, else abort), and
 * a new one on a fresh copy of an empty database. */
void instance_reset(void);

#endif
