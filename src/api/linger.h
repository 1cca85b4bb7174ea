/* linger.h — the close of a connection that the client may still be
 * writing to. Closing a TCP socket with unread input makes the kernel
 * send a reset, and a reset can destroy the answer just sent (a 414 or a
 * 401) before the client reads it. So: no more writing (shutdown), read
 * and drop what still comes until the client closes too, or for at most
 * LINGER_MS, then close. */
#ifndef TEND_API_LINGER_H
#define TEND_API_LINGER_H

#include <uv.h>

#define LINGER_MS 2000

typedef struct lingering lingering;

/* Takes fd over; calls done(ctx) once it is closed. NULL (fd already
 * closed, done not called) if the client had closed already or on error. */
lingering *linger_close(uv_loop_t *loop, int fd, void (*done)(void *ctx), void *ctx);
/* Closes at once, without calling done. */
void linger_abort(lingering *l);

#endif
