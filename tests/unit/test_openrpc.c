/* Unit tests: the OpenRPC document and the dispatcher list the same
 * methods, and every described parameter is one the method accepts. */
/* cmocka needs these before it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "api/methods.h"

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_document_and_dispatcher_list_the_same_methods),
        cmocka_unit_test(test_described_params_are_accepted),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
