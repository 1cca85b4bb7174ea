/* notify.h — the sd_notify protocol for one job (ready = "notify").
 *
 * Owns a unix datagram socket in the abstract namespace, named after the
 * daemon and the job ("@tend/PID/notify/JOB", PID the `tend daemon`
 * process's: the keeper's, which outlives main processes), handed to the process as
 * NOTIFY_SOCKET as systemd does. An abstract name needs no directory the
 * job (perhaps another user) must be able to reach, and leaves no file
 * behind; in exchange anyone could send to it, so each datagram's sender
 * credentials (SCM_CREDENTIALS) are checked: only the job's user, or root,
 * is heard. Messages are split into KEY=VALUE lines (READY=1, STATUS=...,
 * as sd_notify(3) defines them) and given to the owner.
 */
#ifndef TEND_DAEMON_NOTIFY_H
#define TEND_DAEMON_NOTIFY_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <uv.h>

typedef struct notify_socket notify_socket;

typedef void (*notify_fn)(void *ctx, const char *key, const char *value);

/* The pid that names the sockets (the default: this process's). */
void notify_set_daemon_pid(pid_t pid);
/* A socket for job_id that hears uid (and root), named after named_pid
 * (0: the daemon's pid; a job adopted from a keeper that died keeps the
 * name it was given). NULL with the reason in err. */
notify_socket *notify_open(uv_loop_t *loop, int64_t job_id, pid_t named_pid, uid_t uid,
                           notify_fn fn, void *ctx, char *err, size_t errlen);
/* The pid a job's NOTIFY_SOCKET value ("@tend/PID/notify/JOB") is named
 * after, if it names job_id's socket; else 0. */
pid_t notify_name_pid(const char *value, int64_t job_id);
/* NOTIFY_SOCKET=@... for the job's environment. */
const char *notify_env(const notify_socket *n);
/* Closes the socket; no callback comes after this. */
void notify_close(notify_socket *n);

#endif
