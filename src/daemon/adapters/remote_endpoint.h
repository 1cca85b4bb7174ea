/* remote_endpoint.h — what a remote service's endpoint says (private to
 * the remote adapter): its host, and for tend+https://HOST:PORT/SERVICE
 * the API of the tend there and the service it runs. */
#ifndef TEND_DAEMON_ADAPTERS_REMOTE_ENDPOINT_H
#define TEND_DAEMON_ADAPTERS_REMOTE_ENDPOINT_H

#include <stdbool.h>
#include <stddef.h>

typedef struct {
    bool tend;        /* tend+https:// */
    char host[256];   /* without brackets, for the resolver */
    char api[320];    /* tend: https://HOST:PORT, as `tend --host` takes it */
    char service[96]; /* tend: the service there */
} remote_endpoint;

/* 0, or -1 when url is not of a form the registry takes. */
int remote_endpoint_parse(const char *url, remote_endpoint *out);

/* The tend binary this daemon runs (/proc/self/exe, read once): the CLI
 * that reaches another tend. */
const char *remote_tend_binary(void);

#endif
