/* hostport.h — "HOST:PORT" addresses as the daemon's listeners take them
 * (an IP address, IPv6 in brackets: "[::1]:9120"), and whether an address
 * stays on this machine. */
#ifndef TEND_BASE_HOSTPORT_H
#define TEND_BASE_HOSTPORT_H

#include <stdbool.h>
#include <stddef.h>

/* Splits addr into host (without brackets) and port (0-65535). Returns 0,
 * or -1 when addr is not of that shape. */
int hostport_split(const char *addr, char *host, size_t hostlen, int *port);
/* True for an IP address of this machine's loopback (127.0.0.0/8, ::1,
 * ::ffff:127.x.y.z); false for any other address or a name. */
bool hostport_is_loopback(const char *host);
/* True when host is an IPv4 or IPv6 address (not a name). */
bool hostport_is_ip(const char *host);

#endif
