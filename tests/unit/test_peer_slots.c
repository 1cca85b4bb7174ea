/* Unit tests: who is on the other end of a connection (real sockets: a
 * socketpair's SO_PEERCRED, a loopback TCP connection through sock_diag)
 * and the connection shares given by it. */
/* cmocka needs these before it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "api/peer.h"
#include "api/slots.h"

static void test_a_unix_peer_is_its_user(void **state)
{
    (void)state;
    int pair[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, pair), 0);
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    peer p;
    peer_identify(pair[0], (struct sockaddr *)&addr, sizeof(sa_family_t), &p);
    assert_true(p.local);
    assert_int_equal(p.uid, geteuid());
    assert_true(peer_is_owner(&p));
    close(pair[0]);
    close(pair[1]);
}

/* The uid peer_identify finds for the server end of a loopback TCP
 * connection to addr (of len bytes), or -1 when it finds none. */
static long loopback_uid(struct sockaddr *addr, socklen_t len)
{
    int listener = socket(addr->sa_family, SOCK_STREAM, 0);
    if (bind(listener, addr, len) < 0) {
        close(listener);
        return -2; /* no such loopback here */
    }
    assert_int_equal(listen(listener, 1), 0);
    assert_int_equal(getsockname(listener, addr, &len), 0);
    int client = socket(addr->sa_family, SOCK_STREAM, 0);
    assert_int_equal(connect(client, addr, len), 0);
    struct sockaddr_storage from;
    socklen_t fromlen = sizeof(from);
    int server = accept(listener, (struct sockaddr *)&from, &fromlen);
    assert_true(server >= 0);
    peer p;
    peer_identify(server, (struct sockaddr *)&from, fromlen, &p);
    close(server);
    close(client);
    close(listener);
    return p.local ? (long)p.uid : -1;
}

/* The kernel names the user behind a loopback TCP client (sock_diag). */
static void test_a_loopback_tcp_peer_is_its_user(void **state)
{
    (void)state;
    struct sockaddr_in v4 = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(loopback_uid((struct sockaddr *)&v4, sizeof(v4)), (long)geteuid());
    struct sockaddr_in6 v6 = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT};
    long uid6 = loopback_uid((struct sockaddr *)&v6, sizeof(v6));
    if (uid6 != -2) assert_int_equal(uid6, (long)geteuid());
}

static void test_a_remote_address_is_a_guest(void **state)
{
    (void)state;
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(5555)};
    inet_pton(AF_INET, "192.0.2.7", &addr.sin_addr);
    peer p;
    peer_identify(-1, (struct sockaddr *)&addr, sizeof(addr), &p);
    assert_false(p.local);
    assert_false(peer_is_owner(&p));
    assert_memory_equal(p.addr, &addr.sin_addr, 4);
}

static peer guest(uid_t uid)
{
    peer p = {.local = true, .uid = uid};
    return p;
}

static void test_a_guest_gets_its_share_and_no_more(void **state)
{
    (void)state;
    static slots s;
    memset(&s, 0, sizeof(s));
    peer g = guest(geteuid() + 4242), other = guest(geteuid() + 4243);
    for (int i = 0; i < SLOTS_PER_GUEST; i++) assert_true(slots_take(&s, &g));
    assert_false(slots_take(&s, &g));
    assert_true(slots_take(&s, &other)); /* shares are per guest */
    slots_give(&s, &g);
    assert_true(slots_take(&s, &g)); /* a slot given back is free again */
}

/* A remote address is one guest, whatever its port. */
static void test_each_remote_address_gets_its_share(void **state)
{
    (void)state;
    static slots s;
    memset(&s, 0, sizeof(s));
    struct sockaddr_in6 a = {.sin6_family = AF_INET6}, b = a;
    inet_pton(AF_INET6, "2001:db8::1", &a.sin6_addr);
    inet_pton(AF_INET6, "2001:db8::2", &b.sin6_addr);
    peer pa, pb;
    for (int i = 0; i < SLOTS_PER_GUEST; i++) {
        a.sin6_port = htons((uint16_t)(40000 + i));
        peer_identify(-1, (struct sockaddr *)&a, sizeof(a), &pa);
        assert_true(slots_take(&s, &pa));
    }
    assert_false(slots_take(&s, &pa));
    peer_identify(-1, (struct sockaddr *)&b, sizeof(b), &pb);
    assert_true(slots_take(&s, &pb));
}

static void test_guests_together_leave_the_owner_room(void **state)
{
    (void)state;
    static slots s;
    memset(&s, 0, sizeof(s));
    int taken = 0;
    for (uid_t u = 1; u < 1000; u++) {
        peer g = guest(geteuid() + 10000 + u);
        for (int i = 0; i < SLOTS_PER_GUEST; i++) taken += slots_take(&s, &g);
    }
    assert_int_equal(taken, SLOTS_GUESTS);
    peer owner = guest(geteuid());
    for (int i = 0; i < SLOTS_TOTAL - SLOTS_GUESTS; i++) assert_true(slots_take(&s, &owner));
    assert_false(slots_take(&s, &owner)); /* the server's own limit */
    peer root = guest(0);
    assert_true(peer_is_owner(&root));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_unix_peer_is_its_user),
        cmocka_unit_test(test_a_loopback_tcp_peer_is_its_user),
        cmocka_unit_test(test_a_remote_address_is_a_guest),
        cmocka_unit_test(test_a_guest_gets_its_share_and_no_more),
        cmocka_unit_test(test_each_remote_address_gets_its_share),
        cmocka_unit_test(test_guests_together_leave_the_owner_room),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
