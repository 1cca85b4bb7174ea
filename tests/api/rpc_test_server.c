/* rpc_test_server.c — `rpc-test-server SOCKET`: tend's HTTP server and
 * JSON-RPC dispatcher with the JSON-RPC 2.0 specification's example
 * methods (subtract, sum, get_data, update, notify_hello, notify_sum), for
 * the conformance test. Built for tests only; prints "ready" once it
 * listens, stops on SIGTERM. */
#include <signal.h>
#include <stdio.h>

#include "api/httpd.h"

static json_t *subtract(void *ctx, json_t *params, rpc_error *err)
{
    (void)ctx;
    json_t *a = NULL, *b = NULL;
    if (json_is_array(params) && json_array_size(params) == 2) {
        a = json_array_get(params, 0);
        b = json_array_get(params, 1);
    } else if (json_is_object(params)) {
        a = json_object_get(params, "minuend");
        b = json_object_get(params, "subtrahend");
    }
    if (!json_is_number(a) || !json_is_number(b))
        return rpc_fail(err, RPC_INVALID_PARAMS, "invalid params: two numbers");
    if (json_is_integer(a) && json_is_integer(b))
        return json_integer(json_integer_value(a) - json_integer_value(b));
    return json_real(json_number_value(a) - json_number_value(b));
}

static json_t *sum(void *ctx, json_t *params, rpc_error *err)
{
    (void)ctx;
    json_int_t total = 0;
    size_t i;
    json_t *v;
    if (!json_is_array(params)) return rpc_fail(err, RPC_INVALID_PARAMS, "invalid params: numbers");
    json_array_foreach(params, i, v) total += json_integer_value(v);
    return json_integer(total);
}

static json_t *get_data(void *ctx, json_t *params, rpc_error *err)
{
    (void)ctx, (void)params, (void)err;
    return json_pack("[s, i]", "hello", 5);
}

static json_t *accept_anything(void *ctx, json_t *params, rpc_error *err)
{
    (void)ctx, (void)params, (void)err;
    return json_null();
}

static const rpc_method methods[] = {
    {"subtract", subtract, .by_position = true},
    {"sum", sum, .by_position = true},
    {"get_data", get_data},
    {"update", accept_anything},
    {"notify_hello", accept_anything},
    {"notify_sum", accept_anything},
};

static httpd *server;

static void on_signal(uv_signal_t *handle, int signum)
{
    (void)signum;
    httpd_stop(server);
    uv_close((uv_handle_t *)handle, NULL);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: rpc-test-server SOCKET\n");
        return 2;
    }
    uv_loop_t *loop = uv_default_loop();
    rpc_dispatcher d = {.methods = methods, .n_methods = sizeof(methods) / sizeof(methods[0])};
    char err[256];
    server = httpd_start(loop, argv[1], -1, &d, err, sizeof(err));
    if (!server) {
        fprintf(stderr, "rpc-test-server: %s\n", err);
        return 1;
    }
    uv_signal_t sig;
    uv_signal_init(loop, &sig);
    uv_signal_start(&sig, on_signal, SIGTERM);
    printf("ready\n");
    fflush(stdout);
    uv_run(loop, UV_RUN_DEFAULT);
    uv_loop_close(loop);
    return 0;
}
