/* peer.c — the user behind a connection (see peer.h).
 *
 * A unix socket tells its peer's credentials (SO_PEERCRED: the uid, and
 * the pid of the process that connected, as the kernel saw them at
 * connect(); nothing the client writes can change them). A TCP socket
 * does not, but on loopback both ends live in this kernel: a sock_diag
 * query for the exact 4-tuple, seen from the client's side, returns the
 * uid that created the client's socket (what `ss -e` shows). */
#include "api/peer.h"

#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/un.h>
#include <unistd.h>

static bool is_loopback(const struct sockaddr *addr)
{
    if (addr->sa_family == AF_INET)
        return (ntohl(((const struct sockaddr_in *)addr)->sin_addr.s_addr) >> 24) == 127;
    if (addr->sa_family != AF_INET6) return false;
    const struct in6_addr *a = &((const struct sockaddr_in6 *)addr)->sin6_addr;
    return IN6_IS_ADDR_LOOPBACK(a) || (IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127);
}

/* Puts an address (and port) into sock_diag's form. */
static void diag_address(const struct sockaddr *addr, __be16 *port, __be32 out[4])
{
    if (addr->sa_family == AF_INET) {
        const struct sockaddr_in *v4 = (const struct sockaddr_in *)addr;
        *port = v4->sin_port;
        out[0] = v4->sin_addr.s_addr;
    } else {
        const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)addr;
        *port = v6->sin6_port;
        memcpy(out, &v6->sin6_addr, 16);
    }
}

/* The uid owning the client socket of the loopback connection fd; -1 if
 * the kernel does not find it. */
static int loopback_uid(int fd, const struct sockaddr *remote, uid_t *uid)
{
    struct sockaddr_storage local;
    socklen_t len = sizeof(local);
    if (getsockname(fd, (struct sockaddr *)&local, &len) < 0) return -1;
    struct {
        struct nlmsghdr nlh;
        struct inet_diag_req_v2 req;
    } ask = {
        .nlh = {.nlmsg_len = sizeof(ask),
                .nlmsg_type = SOCK_DIAG_BY_FAMILY,
                .nlmsg_flags = NLM_F_REQUEST},
        .req = {.sdiag_family = (__u8)remote->sa_family,
                .sdiag_protocol = IPPROTO_TCP,
                .idiag_states = ~0u},
    };
    /* Seen from the client: its source is our peer, its destination us. */
    diag_address(remote, &ask.req.id.idiag_sport, ask.req.id.idiag_src);
    diag_address((struct sockaddr *)&local, &ask.req.id.idiag_dport, ask.req.id.idiag_dst);
    ask.req.id.idiag_cookie[0] = ask.req.id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
    int nl = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
    if (nl < 0) return -1;
    struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
    long answer[2048 / sizeof(long)];
    int rc = -1;
    if (sendto(nl, &ask, sizeof(ask), 0, (struct sockaddr *)&kernel, sizeof(kernel)) ==
        (ssize_t)sizeof(ask)) {
        /* The kernel answers a lookup of one socket within sendto. */
        ssize_t n = recv(nl, answer, sizeof(answer), MSG_DONTWAIT);
        struct nlmsghdr *h = (struct nlmsghdr *)answer;
        if (n >= (ssize_t)sizeof(*h) && NLMSG_OK(h, (size_t)n) &&
            h->nlmsg_type == SOCK_DIAG_BY_FAMILY &&
            h->nlmsg_len >= NLMSG_LENGTH(sizeof(struct inet_diag_msg))) {
            *uid = ((struct inet_diag_msg *)NLMSG_DATA(h))->idiag_uid;
            rc = 0;
        }
    }
    close(nl);
    return rc;
}

void peer_identify(int fd, const struct sockaddr *addr, socklen_t addrlen, peer *out)
{
    memset(out, 0, sizeof(*out));
    (void)addrlen;
    if (addr->sa_family == AF_UNIX) {
        struct ucred cred;
        socklen_t len = sizeof(cred);
        /* Unknown credentials are nobody's: a guest at most. */
        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
            cred.uid = (uid_t)-1;
            cred.pid = 0;
        }
        out->local = true;
        out->uid = cred.uid;
        out->pid = cred.pid > 0 ? cred.pid : 0;
        return;
    }
    if (is_loopback(addr) && loopback_uid(fd, addr, &out->uid) == 0) {
        out->local = true;
        return;
    }
    __be16 port;
    __be32 raw[4] = {0};
    diag_address(addr, &port, raw);
    memcpy(out->addr, raw, sizeof(out->addr));
}

bool peer_is_owner(const peer *p)
{
    return p->local && (p->uid == 0 || p->uid == geteuid());
}

bool peer_same(const peer *a, const peer *b)
{
    if (a->local != b->local) return false;
    return a->local ? a->uid == b->uid : memcmp(a->addr, b->addr, sizeof(a->addr)) == 0;
}
