/* remote_tls.h — the remote API's TLS material: the certificate, key and
 * client CA files read and checked at start (every problem named with its
 * file), and the check of a client's certificate on each request when a
 * client CA is set (libmicrohttpd only asks the client for one).
 */
#ifndef TEND_API_REMOTE_TLS_H
#define TEND_API_REMOTE_TLS_H

#include <microhttpd.h>
#include <stdbool.h>
#include <stddef.h>

#include "api/httpd.h"

typedef struct {
    char *cert, *key, *client_ca; /* PEM text; client_ca NULL when none */
    httpd_tls pem;                /* the same, as the server takes them */
} remote_tls;

/* Reads cert_file and key_file (and client_ca_file unless NULL), checks
 * that each holds what it should and that the key is the certificate's.
 * Returns 0, or -1 with the reason, naming the file, in err. */
int remote_tls_load(remote_tls *t, const char *cert_file, const char *key_file,
                    const char *client_ca_file, char *err, size_t errlen);
void remote_tls_clear(remote_tls *t);

/* Whether the client of c showed a certificate the client CA signed;
 * false with the reason in *why. */
bool remote_tls_client_verified(struct MHD_Connection *c, const char **why);

#endif
