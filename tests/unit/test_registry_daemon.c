/* Unit tests: IP:PORT addresses (base/hostport.c) and the registry's
 * [daemon] table (config/registry_daemon.c): paths from the file's folder,
 * a JSON round trip (what the store keeps), errors at their place. */
/* cmocka needs these before it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "base/hostport.h"
#include "config/registry.h"

static void test_addresses_split_and_loopback(void **state)
{
    (void)state;
    char host[64];
    int port = -1;
    assert_int_equal(hostport_split("10.0.0.5:9443", host, sizeof(host), &port), 0);
    assert_string_equal(host, "10.0.0.5");
    assert_int_equal(port, 9443);
    assert_int_equal(hostport_split("[::1]:0", host, sizeof(host), &port), 0);
    assert_string_equal(host, "::1");
    assert_int_equal(port, 0);
    assert_int_equal(hostport_split("10.0.0.5", host, sizeof(host), &port), -1);
    assert_int_equal(hostport_split("10.0.0.5:65536", host, sizeof(host), &port), -1);
    assert_int_equal(hostport_split("10.0.0.5:9x", host, sizeof(host), &port), -1);
    assert_int_equal(hostport_split("[::1:9443", host, sizeof(host), &port), -1);
    assert_int_equal(hostport_split(":9443", host, sizeof(host), &port), -1);

    assert_true(hostport_is_loopback("127.0.0.1"));
    assert_true(hostport_is_loopback("127.255.0.9"));
    assert_true(hostport_is_loopback("::1"));
    assert_true(hostport_is_loopback("::ffff:127.0.0.1"));
    assert_false(hostport_is_loopback("0.0.0.0"));
    assert_false(hostport_is_loopback("::"));
    assert_false(hostport_is_loopback("128.0.0.1"));
    assert_false(hostport_is_loopback("localhost")); /* a name, not an address */
    assert_true(hostport_is_ip("::"));
    assert_false(hostport_is_ip("example.org"));
}

static registry *load(const char *path, const char *text, diag_list *d)
{
    diag_init(d, path);
    return registry_load_bytes(path, text, strlen(text), d);
}

static void test_the_table_takes_paths_from_the_files_folder_and_round_trips(void **state)
{
    (void)state;
    diag_list d;
    registry *r = load("/etc/tend/services.toml",
                       "[daemon]\n"
                       "listen = [\"0.0.0.0:9443\", \"127.0.0.1:9444\"]\n"
                       "tls_cert = \"tls/../tls/server.pem\"\n"
                       "tls_key = \"/keys/server.key\"\n"
                       "tls_client_ca = \"ca.pem\"\n",
                       &d);
    assert_non_null(r);
    assert_string_equal(r->daemon.listen[0], "0.0.0.0:9443");
    assert_string_equal(r->daemon.listen[1], "127.0.0.1:9444");
    assert_null(r->daemon.listen[2]);
    assert_string_equal(r->daemon.tls_cert, "/etc/tend/tls/server.pem");
    assert_string_equal(r->daemon.tls_key, "/keys/server.key");
    assert_string_equal(r->daemon.tls_client_ca, "/etc/tend/ca.pem");

    /* What the store keeps gives the same table back. */
    json_t *doc = registry_to_json(r);
    diag_list d2;
    diag_init(&d2, "(stored)");
    registry *back = registry_from_json(doc, &d2);
    assert_non_null(back);
    json_t *again = registry_to_json(back);
    assert_true(json_equal(json_object_get(doc, "daemon"), json_object_get(again, "daemon")));
    json_decref(again);
    json_decref(doc);
    registry_free(back);
    registry_free(r);
    diag_free(&d);
    diag_free(&d2);
}

static void test_no_table_is_no_listener_and_no_json(void **state)
{
    (void)state;
    diag_list d;
    registry *r = load("/x/services.toml", "", &d);
    assert_non_null(r);
    assert_null(r->daemon.listen);
    json_t *doc = registry_to_json(r);
    assert_null(json_object_get(doc, "daemon"));
    json_decref(doc);
    registry_free(r);
    diag_free(&d);
}

static bool has_error(const diag_list *d, int line, int col, const char *words)
{
    for (size_t i = 0; i < d->len; i++)
        if (d->items[i].line == line && d->items[i].col == col &&
            strstr(d->items[i].message, words))
            return true;
    return false;
}

static void test_errors_at_their_place(void **state)
{
    (void)state;
    diag_list d;
    registry *r = load("/x/services.toml",
                       "[daemon]\n"
                       "listen = [\"10.0.0.1:9443\", \"nowhere\"]\n"
                       "tls_client_ca = \"ca.pem\"\n"
                       "tls_key = \"\"\n",
                       &d);
    assert_null(r);
    assert_true(has_error(&d, 2, 11, "is not a loopback address"));
    assert_true(has_error(&d, 2, 28, "\"nowhere\" is not IP:PORT"));
    assert_true(has_error(&d, 3, 17, "'daemon.tls_client_ca' needs TLS"));
    assert_true(has_error(&d, 4, 11, "'daemon.tls_key': expected the path of a file"));
    diag_free(&d);

    /* From the API, where there is no folder: only absolute paths. */
    json_t *doc =
        json_pack("{s:{s:s, s:s}}", "daemon", "tls_cert", "server.pem", "tls_key", "/k.pem");
    diag_init(&d, "(api)");
    assert_null(registry_from_json(doc, &d));
    assert_true(d.len == 1 && strstr(d.items[0].message, "give an absolute path"));
    json_decref(doc);
    diag_free(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_addresses_split_and_loopback),
        cmocka_unit_test(test_the_table_takes_paths_from_the_files_folder_and_round_trips),
        cmocka_unit_test(test_no_table_is_no_listener_and_no_json),
        cmocka_unit_test(test_errors_at_their_place),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
