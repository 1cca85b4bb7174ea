/* front.h — the door of an HTTP server: accepts every connection itself,
 * learns who is on the other end (peer.h), gives it a slot by its share
 * (slots.h), answers at once what libmicrohttpd would drop without a word,
 * hands the rest to libmicrohttpd (MHD_add_connection), and closes each
 * connection MHD is done with without a reset (linger.h).
 *
 * Answered here, never reaching MHD: 503 when the peer's share of slots is
 * full; 403 to a peer of another user on a server for the owner only (the
 * unix socket); 400 for a first line with no space in it (MHD 0.9.75 just
 * closes such a connection). A connection that sends nothing within
 * FRONT_WAIT_MS is closed, and one whose request head is not complete
 * FRONT_HEAD_MS after its first byte is ended. */
#ifndef TEND_API_FRONT_H
#define TEND_API_FRONT_H

#include <microhttpd.h>
#include <stdbool.h>
#include <sys/types.h>
#include <uv.h>

#define FRONT_WAIT_MS 10000
/* From a connection's first byte (or its last answer), its request line
 * and headers must be in within this: a trickle is no way around it. */
#define FRONT_HEAD_MS 10000

typedef struct front front;

typedef struct {
    bool owner_only;         /* refuse other users (403) */
    bool sniff_request_line; /* plain HTTP: 400 for a garbage first line (not under TLS) */
    void (*kick)(void *ctx); /* MHD has a new connection to run */
    void *kick_ctx;
} front_options;

/* Serves listen_fd (taken over) on loop; NULL on error. */
front *front_new(uv_loop_t *loop, int listen_fd, const front_options *opt);
/* Starts accepting into mhd, started with MHD_USE_NO_LISTEN_SOCKET and
 * MHD_OPTION_NOTIFY_CONNECTION, front_notify, f. */
int front_start(front *f, struct MHD_Daemon *mhd);
/* MHD's connection notifications. */
void front_notify(void *cls, struct MHD_Connection *c, void **socket_context,
                  enum MHD_ConnectionNotificationCode code);
/* From the request handler: the request line and headers are in (its
 * head deadline ends) / its answer is done (the next head is due). */
void front_request_arrived(struct MHD_Connection *c);
void front_request_done(struct MHD_Connection *c);
/* The pid of the process that connected c over a unix socket (SO_PEERCRED),
 * or 0 (a TCP peer, or not known). */
pid_t front_peer_pid(struct MHD_Connection *c);
/* Stops accepting and closes what MHD does not hold; before MHD_stop_daemon. */
void front_stop(front *f);
/* After MHD_stop_daemon. */
void front_free(front *f);

#endif
