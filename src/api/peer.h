/* peer.h — who is on the other end of an accepted connection: the local
 * user behind a unix-socket or loopback TCP peer (SO_PEERCRED; the
 * kernel's sock_diag for TCP), or only an address for a peer elsewhere.
 * The HTTP servers give their connection slots by it. */
#ifndef TEND_API_PEER_H
#define TEND_API_PEER_H

#include <stdbool.h>
#include <sys/socket.h>
#include <sys/types.h>

typedef struct {
    bool local;             /* a user of this machine: uid is known */
    uid_t uid;              /* local only */
    pid_t pid;              /* a unix socket's: the process that connected; else 0 */
    unsigned char addr[16]; /* otherwise: the remote address (IPv4 in the first 4) */
} peer;

/* Learns who fd's peer (whose address is addr) is. A loopback TCP peer
 * whose socket the kernel cannot name counts as a remote address. */
void peer_identify(int fd, const struct sockaddr *addr, socklen_t addrlen, peer *out);
/* The daemon's own user or root: never limited to a guest's share. */
bool peer_is_owner(const peer *p);
/* Both the same guest (one local user, or one remote address). */
bool peer_same(const peer *a, const peer *b);

#endif
