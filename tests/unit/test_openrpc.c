/* Unit tests: the OpenRPC document and the dispatcher list the same
 * methods, every described parameter is one the method accepts, and every
 * method is classified for read-only tokens as the document says. */
/* cmocka needs these before it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/methods.h"
#include "store/store.h"

static void test_document_and_dispatcher_list_the_same_methods(void **state)
{
    (void)state;
    json_t *doc = json_loads(api_openrpc_document(), 0, NULL);
    assert_non_null(doc);
    rpc_dispatcher d;
    api_ctx ctx = {0};
    api_dispatcher_init(&d, &ctx);
    json_t *described = json_object_get(doc, "methods");
    assert_int_equal(json_array_size(described), d.n_methods);
    for (size_t i = 0; i < d.n_methods; i++) {
        bool found = false;
        size_t k;
        json_t *m;
        json_array_foreach(described, k, m) found |=
            strcmp(json_string_value(json_object_get(m, "name")), d.methods[i].name) == 0;
        if (!found) fail_msg("%s is served but not described", d.methods[i].name);
    }
    json_decref(doc);
}

/* A parameter the document names but the method would refuse as unknown. */
static void test_described_params_are_accepted(void **state)
{
    (void)state;
    json_t *doc = json_loads(api_openrpc_document(), 0, NULL);
    rpc_dispatcher d;
    api_ctx ctx = {0};
    api_dispatcher_init(&d, &ctx);
    size_t k;
    json_t *m;
    json_array_foreach(json_object_get(doc, "methods"), k, m)
    {
        const char *name = json_string_value(json_object_get(m, "name"));
        size_t p;
        json_t *param;
        json_array_foreach(json_object_get(m, "params"), p, param)
        {
            /* A value of the wrong type for every parameter: the method must
             * answer -32602 naming it, never "is not a parameter". */
            json_t *params = json_object();
            json_object_set_new(params, json_string_value(json_object_get(param, "name")),
                                json_pack("[[]]"));
            json_t *req = json_pack("{s:s, s:i, s:s, s:o}", "jsonrpc", "2.0", "id", 1, "method",
                                    name, "params", params);
            char *body = json_dumps(req, 0);
            char *answer = rpc_handle(&d, body, strlen(body));
            if (answer && strstr(answer, "is not a parameter")) fail_msg("%s: %s", name, answer);
            free(answer);
            free(body);
            json_decref(req);
        }
    }
    json_decref(doc);
}

static const char *access_word(rpc_access a)
{
    switch (a) {
    case RPC_READS: return "reads";
    case RPC_CHANGES: return "changes";
    case RPC_ADMIN: return "admin";
    case RPC_UNCLASSIFIED: break;
    }
    return NULL;
}

/* A new method must say whether a read-only token may call it, in the
 * table and in the document (x-access) alike. */
static void test_every_method_is_classified_as_described(void **state)
{
    (void)state;
    json_t *doc = json_loads(api_openrpc_document(), 0, NULL);
    rpc_dispatcher d;
    api_ctx ctx = {0};
    api_dispatcher_init(&d, &ctx);
    for (size_t i = 0; i < d.n_methods; i++) {
        const char *word = access_word(d.methods[i].access);
        if (!word)
            fail_msg("%s is not classified (RPC_READS, RPC_CHANGES or RPC_ADMIN)",
                     d.methods[i].name);
        size_t k;
        json_t *m;
        json_array_foreach(json_object_get(doc, "methods"), k, m)
        {
            if (strcmp(json_string_value(json_object_get(m, "name")), d.methods[i].name) != 0)
                continue;
            const char *described = json_string_value(json_object_get(m, "x-access"));
            if (!described || strcmp(described, word) != 0)
                fail_msg("%s: the table says %s, the document's x-access %s", d.methods[i].name,
                         word, described ? described : "nothing");
        }
    }
    /* What reads is what a read-only token may call: nothing that acts. */
    const char *changing[] = {"service.start", "service.stop", "service.set",  "registry.apply",
                              "job.create",    "service.kill", "token.create", "token.list"};
    for (size_t i = 0; i < sizeof(changing) / sizeof(changing[0]); i++)
        for (size_t k = 0; k < d.n_methods; k++)
            if (strcmp(d.methods[k].name, changing[i]) == 0)
                assert_int_not_equal(d.methods[k].access, RPC_READS);
    json_decref(doc);
}

static char *call_as(rpc_dispatcher *d, const char *method, const char *read_only_as)
{
    char body[256];
    snprintf(body, sizeof(body),
             "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"%s\",\"params\":{\"name\":\"x\"}}",
             method);
    return rpc_handle_as(d, body, strlen(body), read_only_as);
}

/* A read-only caller gets -32001 naming the method and the token, before
 * the method runs (the context here has no supervisor to run it on). */
static void test_a_read_only_caller_is_refused_what_changes(void **state)
{
    (void)state;
    rpc_dispatcher d;
    api_ctx ctx = {0};
    api_dispatcher_init(&d, &ctx);
    char *answer = call_as(&d, "service.stop", "viewer");
    assert_non_null(strstr(answer, "\"code\":-32001"));
    assert_non_null(strstr(answer, "service.stop changes things and token 'viewer' is read-only"));
    free(answer);
    answer = call_as(&d, "token.list", "viewer");
    assert_non_null(strstr(answer, "token.list manages access tokens and token 'viewer'"));
    free(answer);
    const char *batch = "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"rpc.discover\"},"
                        "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"job.create\"}]";
    answer = rpc_handle_as(&d, batch, strlen(batch), "viewer");
    assert_non_null(strstr(answer, "\"openrpc\""));
    assert_non_null(strstr(answer, "job.create changes things"));
    free(answer);
    /* Full rights: the method runs (and fails on its own terms). */
    answer = call_as(&d, "token.revoke", NULL);
    assert_non_null(strstr(answer, "keeps no access tokens"));
    free(answer);
}

/* What the methods of a body wrote is committed before its answer is
 * made: a client told "done" must find it done after a crash. */
static void test_an_answer_comes_after_its_changes_are_committed(void **state)
{
    (void)state;
    char dir[] = "/tmp/tend-test-settle-XXXXXX", path[64], err[256];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/tend.db", dir);
    store *st = NULL;
    assert_int_equal(store_open(path, &st, err, sizeof(err)), 0);
    api_ctx ctx = {.st = st};
    rpc_dispatcher d;
    api_dispatcher_init(&d, &ctx);
    /* A change made in the loop iteration's batch, as a method makes it. */
    store_batch(st);
    assert_int_equal(store_setting_put(st, "settle-test", "written"), 0);
    const char *body = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"rpc.discover\"}";
    free(rpc_handle(&d, body, strlen(body)));
    /* Another connection sees committed rows only. */
    sqlite3 *other = NULL;
    sqlite3_stmt *q = NULL;
    assert_int_equal(sqlite3_open_v2(path, &other, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(other,
                                        "SELECT value FROM settings WHERE key = 'settle-test'", -1,
                                        &q, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(q), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(q, 0), "written");
    sqlite3_finalize(q);
    sqlite3_close(other);
    store_close(st);
    char wal[80];
    snprintf(wal, sizeof(wal), "%s-wal", path);
    unlink(wal);
    snprintf(wal, sizeof(wal), "%s-shm", path);
    unlink(wal);
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_document_and_dispatcher_list_the_same_methods),
        cmocka_unit_test(test_described_params_are_accepted),
        cmocka_unit_test(test_every_method_is_classified_as_described),
        cmocka_unit_test(test_a_read_only_caller_is_refused_what_changes),
        cmocka_unit_test(test_an_answer_comes_after_its_changes_are_committed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
