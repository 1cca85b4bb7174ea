/* registry_daemon.c — the registry's [daemon] table: where the daemon
 * serves its API to other hosts, and with which TLS files. Read with
 * located errors (an address that is not IP:PORT, plain HTTP on a
 * non-loopback address, a key without its certificate) and written back
 * as JSON in the registry's shape, so that the store keeps it.
 */
#include "config/registry_internal.h"

#include <stdlib.h>
#include <string.h>

#include "base/hostport.h"
#include "base/strv.h"

static const char *const daemon_keys[] = {"listen", "tls_cert", "tls_key", "tls_client_ca", NULL};

/* A file key: its path, kept absolute. */
static void read_file_key(reader *rd, const toml_value *t, const char *key, char **out)
{
    char *given = NULL, where[64];
    if (read_string(rd, t, "daemon", key, true, &given) != READ_OK) return;
    key_path(where, sizeof(where), "daemon", key);
    toml_pos pos = toml_get(t, key)->pos;
    if (!given[0])
        read_error(rd, pos, "'%s': expected the path of a file", where);
    else
        *out = registry_absolute_path(rd, pos, where, given);
    free(given);
}

static void check_listen(reader *rd, const toml_value *t, const daemon_spec *d)
{
    bool tls = toml_get(t, "tls_cert") != NULL;
    size_t n = strv_len(d->listen);
    if (n > REGISTRY_MAX_LISTEN)
        read_error(rd, toml_get(t, "listen")->pos, "'daemon.listen': %zu addresses, at most %d", n,
                   REGISTRY_MAX_LISTEN);
    for (size_t i = 0; i < n; i++) {
        char host[64];
        int port;
        toml_pos pos = source_item_pos(t, "listen", i);
        if (hostport_split(d->listen[i], host, sizeof(host), &port) < 0 || !hostport_is_ip(host))
            read_error(rd, pos,
                       "'daemon.listen[%zu]': \"%s\" is not IP:PORT (e.g. \"0.0.0.0:9443\", "
                       "\"[::]:9443\")",
                       i, d->listen[i]);
        else if (!tls && !hostport_is_loopback(host))
            read_error(rd, pos,
                       "'daemon.listen[%zu]': %s is not a loopback address, and plain HTTP would "
                       "carry the tokens in clear text: set tls_cert and tls_key",
                       i, d->listen[i]);
    }
}

/* A key or client CA without the certificate it goes with (a key that is
 * there but wrong was reported already). */
static void check_tls(reader *rd, const toml_value *t)
{
    const toml_value *cert = toml_get(t, "tls_cert"), *key = toml_get(t, "tls_key");
    const toml_value *ca = toml_get(t, "tls_client_ca");
    if (cert && !key)
        read_error(rd, cert->pos,
                   "'daemon.tls_cert' needs 'daemon.tls_key' (the certificate's private key)");
    if (key && !cert)
        read_error(rd, key->pos,
                   "'daemon.tls_key' needs 'daemon.tls_cert' (the key's certificate)");
    if (ca && !cert)
        read_error(rd, ca->pos, "'daemon.tls_client_ca' needs TLS: set tls_cert and tls_key too");
}

void read_registry_daemon(reader *rd, const toml_value *root, daemon_spec *out)
{
    *out = (daemon_spec){0};
    const toml_value *t = NULL;
    if (read_table(rd, root, "", "daemon", &t) != READ_OK) return;
    read_check_keys(rd, t, "daemon", daemon_keys);
    read_strv(rd, t, "daemon", "listen", true, &out->listen);
    read_file_key(rd, t, "tls_cert", &out->tls_cert);
    read_file_key(rd, t, "tls_key", &out->tls_key);
    read_file_key(rd, t, "tls_client_ca", &out->tls_client_ca);
    check_tls(rd, t);
    check_listen(rd, t, out);
}

void daemon_spec_clear(daemon_spec *d)
{
    strv_free(d->listen);
    free(d->tls_cert);
    free(d->tls_key);
    free(d->tls_client_ca);
    *d = (daemon_spec){0};
}

json_t *daemon_spec_to_json(const daemon_spec *d)
{
    if (!d->listen && !d->tls_cert && !d->tls_key && !d->tls_client_ca) return NULL;
    json_t *o = json_object(), *listen = json_array();
    for (size_t i = 0; d->listen && d->listen[i]; i++)
        json_array_append_new(listen, json_string(d->listen[i]));
    json_object_set_new(o, "listen", listen);
    if (d->tls_cert) json_object_set_new(o, "tls_cert", json_string(d->tls_cert));
    if (d->tls_key) json_object_set_new(o, "tls_key", json_string(d->tls_key));
    if (d->tls_client_ca) json_object_set_new(o, "tls_client_ca", json_string(d->tls_client_ca));
    return o;
}
