/* remote_tls.c — the remote API's certificate files and its clients'
 * certificates, checked with GnuTLS (see remote_tls.h). */
#include "api/remote_tls.h"

#include <errno.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/fileio.h"

/* PEM files are small; anything larger is not one. */
#define PEM_MAX (1u << 20)

static int read_pem(const char *what, const char *path, char **out, char *err, size_t errlen)
{
    size_t len = 0;
    int rc = file_read_all(path, PEM_MAX, out, &len);
    if (rc < 0) {
        snprintf(err, errlen, "%s %s: cannot read it: %s", what, path, strerror(-rc));
        return -1;
    }
    return 0;
}

/* How many certificates the PEM text holds (0 if none or not PEM). */
static unsigned count_certs(const char *pem)
{
    gnutls_datum_t data = {(unsigned char *)pem, (unsigned)strlen(pem)};
    gnutls_x509_crt_t *certs = NULL;
    unsigned n = 0;
    if (gnutls_x509_crt_list_import2(&certs, &n, &data, GNUTLS_X509_FMT_PEM, 0) < 0) return 0;
    for (unsigned i = 0; i < n; i++) gnutls_x509_crt_deinit(certs[i]);
    gnutls_free(certs);
    return n;
}

/* The key parses, and it is the certificate's. */
static int check_pair(const remote_tls *t, const char *cert_file, const char *key_file, char *err,
                      size_t errlen)
{
    gnutls_datum_t key = {(unsigned char *)t->key, (unsigned)strlen(t->key)};
    gnutls_x509_privkey_t pk;
    int rc = gnutls_x509_privkey_init(&pk);
    if (rc == 0) {
        rc = gnutls_x509_privkey_import2(pk, &key, GNUTLS_X509_FMT_PEM, NULL, 0);
        gnutls_x509_privkey_deinit(pk);
    }
    if (rc < 0) {
        snprintf(err, errlen, "TLS key %s: not a private key in PEM form (%s)", key_file,
                 gnutls_strerror(rc));
        return -1;
    }
    gnutls_certificate_credentials_t cred;
    if (gnutls_certificate_allocate_credentials(&cred) < 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    gnutls_datum_t cert = {(unsigned char *)t->cert, (unsigned)strlen(t->cert)};
    rc = gnutls_certificate_set_x509_key_mem2(cred, &cert, &key, GNUTLS_X509_FMT_PEM, NULL, 0);
    gnutls_certificate_free_credentials(cred);
    if (rc == GNUTLS_E_CERTIFICATE_KEY_MISMATCH)
        snprintf(err, errlen, "TLS key %s is not the key of the certificate in %s", key_file,
                 cert_file);
    else if (rc < 0)
        snprintf(err, errlen, "TLS certificate %s with key %s: %s", cert_file, key_file,
                 gnutls_strerror(rc));
    return rc < 0 ? -1 : 0;
}

int remote_tls_load(remote_tls *t, const char *cert_file, const char *key_file,
                    const char *client_ca_file, char *err, size_t errlen)
{
    *t = (remote_tls){0};
    if (read_pem("TLS certificate", cert_file, &t->cert, err, errlen) < 0 ||
        read_pem("TLS key", key_file, &t->key, err, errlen) < 0 ||
        (client_ca_file &&
         read_pem("TLS client CA", client_ca_file, &t->client_ca, err, errlen) < 0))
        goto fail;
    if (!count_certs(t->cert)) {
        snprintf(err, errlen, "TLS certificate %s: no certificate in PEM form in it", cert_file);
        goto fail;
    }
    if (check_pair(t, cert_file, key_file, err, errlen) < 0) goto fail;
    if (t->client_ca && !count_certs(t->client_ca)) {
        snprintf(err, errlen, "TLS client CA %s: no certificate in PEM form in it", client_ca_file);
        goto fail;
    }
    t->pem = (httpd_tls){.cert = t->cert, .key = t->key, .client_ca = t->client_ca};
    return 0;
fail:
    remote_tls_clear(t);
    return -1;
}

void remote_tls_clear(remote_tls *t)
{
    free(t->cert);
    if (t->key) explicit_bzero(t->key, strlen(t->key));
    free(t->key);
    free(t->client_ca);
    *t = (remote_tls){0};
}

bool remote_tls_client_verified(struct MHD_Connection *c, const char **why)
{
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
    gnutls_session_t session = info ? (gnutls_session_t)info->tls_session : NULL;
    unsigned n = 0, status = 0;
    if (!session || !gnutls_certificate_get_peers(session, &n) || n == 0) {
        *why = "this server takes only clients with a certificate its client CA signed: "
               "pass --cert FILE --key FILE";
        return false;
    }
    if (gnutls_certificate_verify_peers2(session, &status) < 0 || status != 0) {
        *why = "your client certificate is not signed by this server's client CA (or it "
               "expired)";
        return false;
    }
    return true;
}
