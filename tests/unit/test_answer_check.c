/* Unit tests: the request-path fuzzer's judge of answers
 * (fuzz/answer_check.h) passes what JSON-RPC 2.0 allows and catches what
 * it does not; and rpc_handle's own answers pass it. */
/* cmocka needs these before it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "answer_check.h"

static json_t *echo(void *ctx, json_t *params, rpc_error *err)
{
    (void)ctx, (void)err;
    return params ? json_incref(params) : json_null();
}

static json_t *refuse(void *ctx, json_t *params, rpc_error *err)
{
    (void)ctx, (void)params;
    return rpc_fail(err, RPC_INVALID_PARAMS, "invalid params: 'x' is required");
}

static const rpc_method methods[] = {{"echo", echo}, {"refuse", refuse}};
static const rpc_dispatcher d = {.methods = methods, .n_methods = 2};

static const char *check(const char *body, const char *answer)
{
    return answer_check(&d, body, strlen(body), answer);
}

static void test_right_answers_pass(void **state)
{
    (void)state;
    assert_null(check("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"echo\"}",
                      "{\"jsonrpc\":\"2.0\",\"result\":null,\"id\":1}"));
    assert_null(check("{\"jsonrpc\":\"2.0\",\"method\":\"echo\"}", NULL));
    assert_null(check("[{\"jsonrpc\":\"2.0\",\"method\":\"echo\"}]", NULL));
    assert_null(check("{\"jsonrpc\":", "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32700,"
                                       "\"message\":\"Parse error\"},\"id\":null}"));
    assert_null(check("[]", "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32600,"
                            "\"message\":\"Invalid Request\"},\"id\":null}"));
    assert_null(check("[1,{\"jsonrpc\":\"2.0\",\"id\":\"a\",\"method\":\"nope\"}]",
                      "[{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32600,\"message\":\"Invalid "
                      "Request\"},\"id\":null},{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32601,"
                      "\"message\":\"Method not found\"},\"id\":\"a\"}]"));
}

static void test_wrong_answers_are_caught(void **state)
{
    (void)state;
    const char *call = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"echo\"}";
    assert_non_null(check(call, NULL));
    assert_non_null(check(call, "{\"jsonrpc\":\"2.0\",\"result\":null,\"id\":2}"));
    assert_non_null(check(call, "{\"result\":null,\"id\":1}"));
    assert_non_null(check(call, "{\"jsonrpc\":\"2.0\",\"result\":null,\"id\":1,\"x\":0}"));
    assert_non_null(check(call, "{\"jsonrpc\":\"2.0\",\"result\":null,\"error\":{},\"id\":1}"));
    assert_non_null(check(call, "{\"jsonrpc\":\"2.0\",\"result\":null,\"id\":1"));
    assert_non_null(check(call, "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32601,"
                                "\"message\":\"Method not found\"},\"id\":1}"));
    assert_non_null(check("{\"jsonrpc\":\"2.0\",\"method\":\"echo\"}",
                          "{\"jsonrpc\":\"2.0\",\"result\":null,\"id\":null}"));
    assert_non_null(check("{\"jsonrpc\":", "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32600,"
                                           "\"message\":\"Invalid Request\"},\"id\":null}"));
    /* A method name with U+0000 in it is none of the dispatcher's. */
    assert_non_null(check("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"echo\\u0000x\"}",
                          "{\"jsonrpc\":\"2.0\",\"result\":null,\"id\":1}"));
    assert_non_null(check("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"refuse\"}",
                          "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32602,"
                          "\"message\":\"Invalid params\",\"data\":\"no\"},\"id\":1}"));
    assert_non_null(check("[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"echo\"},"
                          "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"echo\"}]",
                          "[{\"jsonrpc\":\"2.0\",\"result\":null,\"id\":1}]"));
}

static void test_rpc_handle_answers_pass(void **state)
{
    (void)state;
    static const char *const bodies[] = {
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"echo\",\"params\":{\"a\":[1]}}",
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"echo\",\"params\":[]}",
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"echo\",\"params\":[1]}",
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"refuse\"}",
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"echo\\u0000\"}",
        "{\"jsonrpc\":\"2.0\\u0000\",\"id\":1,\"method\":\"echo\"}",
        "[{\"jsonrpc\":\"2.0\",\"method\":\"echo\"},{\"id\":[]},7]",
        "{\"a\\u0000\":1}",
        "\"x\"",
        "",
    };
    for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
        char *answer = rpc_handle(&d, bodies[i], strlen(bodies[i]));
        const char *wrong = answer_check(&d, bodies[i], strlen(bodies[i]), answer);
        if (wrong) fail_msg("%s: %s (answer %s)", bodies[i], wrong, answer ? answer : "none");
        free(answer);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_right_answers_pass),
        cmocka_unit_test(test_wrong_answers_are_caught),
        cmocka_unit_test(test_rpc_handle_answers_pass),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
