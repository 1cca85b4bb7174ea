/* notify.h — the sd_notify protocol for one job (ready = "notify").
 *
 * Owns a unix datagram socket at DIR/JOB_ID, handed to the process as
 * NOTIFY_SOCKET. Anything the job (or any process of its) sends there is
 * split into KEY=VALUE lines, as systemd's sd_notify(3) defines them
 * (READY=1, STATUS=..., STOPPING=1, ...), and given to the owner. The
 * socket is per job, so the sender needs no credentials check to be known.
 */
#ifndef TEND_DAEMON_NOTIFY_H
#define TEND_DAEMON_NOTIFY_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <uv.h>

typedef struct notify_socket notify_socket;

typedef void (*notify_fn)(void *ctx, const char *key, const char *value);

/* Creates the socket, owned by uid when it is not (uid_t)-1 (a job run as
 * another user must be able to send). NULL with the reason in err. */
notify_socket *notify_open(uv_loop_t *loop, const char *dir, int64_t job_id, uid_t uid,
                           notify_fn fn, void *ctx, char *err, size_t errlen);
/* NOTIFY_SOCKET=... for the job's environment. */
const char *notify_env(const notify_socket *n);
/* Closes and removes the socket; no callback comes after this. */
void notify_close(notify_socket *n);

#endif
