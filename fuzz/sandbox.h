/* sandbox.h — the cage the request-path fuzzer runs in.
 *
 * The fuzzer turns job.create and service.set into arbitrary commands, so
 * before the first input this process moves into namespaces of its own:
 *   - a PID namespace, in which it is process 1: every process its jobs
 *     start can be killed with kill(-1) and dies with it, and none can
 *     signal anything outside;
 *   - a network namespace with nothing but a loopback interface;
 *   - a mount namespace in which the whole tree is read-only but a fresh
 *     tmpfs on /tmp (TEND_HOME lives there) and the directories libFuzzer
 *     writes to (the first corpus directory, -artifact_prefix); /dev is a
 *     tmpfs holding null, zero, full, random and urandom only; /proc is
 *     the new PID namespace's;
 *   - a user that owns nothing outside: root becomes an unused uid, any
 *     other user enters a user namespace that has no capability over the
 *     mount and network namespaces; no_new_privs (no setuid way back);
 *   - RLIMIT_NPROC bounds the processes (threads included) of that user.
 * The process that called sandbox_enter stays outside, waits for the
 * fuzzer and exits with its status (signals are passed on to it).
 */
#ifndef TEND_FUZZ_SANDBOX_H
#define TEND_FUZZ_SANDBOX_H

#include <stddef.h>

/* The tmpfs that holds TEND_HOME. */
#define SANDBOX_TMP "/tmp"

/* Enters the cage (argv: libFuzzer's, for the directories it writes).
 * Returns 0 in the caged process; the outer process never returns. -1
 * with the reason in err when the cage cannot be had: do not run then. */
int sandbox_enter(int argc, char **argv, char *err, size_t errlen);

#endif
