/* keeper_proto.h — the messages between the keeper and the main process
 * (private to the process layer): one per SOCK_SEQPACKET datagram, some
 * with descriptors (SCM_RIGHTS): the read ends of a job's stdout and
 * stderr pipes, or the API's listening socket ("listen-api"). */
#ifndef TEND_DAEMON_PROCESS_KEEPER_PROTO_H
#define TEND_DAEMON_PROCESS_KEEPER_PROTO_H

#include <stdint.h>

enum {
    KEEP_HOLD = 1, /* main -> keeper: keep these two fds for unit */
    KEEP_HELLO,    /* main -> keeper: a new main process; send what you hold */
    KEEP_HELD,     /* keeper -> main: unit's two fds */
    KEEP_END,      /* keeper -> main: that was all; exits follow as they come */
    KEEP_READY,    /* main -> keeper: it serves the API */
    KEEP_EXIT,     /* keeper -> main: pid (a job's, orphaned to it) ended with status */
};

typedef struct {
    uint32_t type;
    int32_t pid;
    int32_t status;
    char unit[52];
} keep_msg;

/* 0, or -errno. fds: NULL, or two descriptors to pass along (the second
 * -1: one, a listening socket). */
int keep_send(int sock, const keep_msg *m, const int *fds);
/* The message's size, 0 at end of file, or -errno; fds[0..1] get the
 * descriptors that came with it, else -1. flags: 0, or MSG_DONTWAIT
 * (then -EAGAIN when none is there). */
int keep_recv(int sock, keep_msg *m, int fds[2], int flags);

#endif
