/* fuzz_rpc.c — libFuzzer target for the API's request path: an HTTP body
 * (any bytes) through rpc_handle — the JSON parse, the dispatch, the
 * method against a real supervisor and store on a TEND_HOME of its own —
 * to the answer, which answer_check.c holds to the JSON-RPC contract
 * (a wrong answer aborts, like a crash).
 *
 * The supervisor is the daemon's (instance.c). After each input the loop
 * turns a few times without waiting, so what the call set off happens; an
 * input that wrote anything is cleared away before the next one, so that
 * inputs stay independent (a crash replays from its file) and memory
 * bounded. All of this runs inside the cage sandbox_enter builds, and
 * json_mutator.c keeps half the mutations valid JSON.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "answer_check.h"
#include "api/methods.h"
#include "instance.h"
#include "json_mutator.h"
#include "sandbox.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed);

/* Inputs, and those of them that wrote (said at exit). */
static unsigned long inputs, resets;

static void say_counts(void)
{
    fprintf(stderr, "fuzz-rpc: %lu inputs, %lu of them wrote and were cleared away\n", inputs,
            resets);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    char err[512] = "";
    if (sandbox_enter(*argc, *argv, err, sizeof(err)) < 0) {
        fprintf(stderr, "fuzz-rpc: refusing to run: %s\n", err);
        exit(1);
    }
    instance_init();
    json_mutator_init(api_openrpc_document());
    atexit(say_counts);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *body = (const char *)data;
    const rpc_dispatcher *rpc = instance_dispatcher();
    char *answer = rpc_handle(rpc, body, size);
    const char *wrong = answer_check(rpc, body, size, answer);
    if (wrong) {
        fprintf(stderr, "fuzz-rpc: wrong answer: %s\nrequest: %.*s\nanswer: %s\n", wrong,
                (int)(size < 4096 ? size : 4096), body, answer ? answer : "(none)");
        abort();
    }
    free(answer);
    instance_turn_loop();
    inputs++;
    if (instance_wrote()) {
        resets++;
        instance_reset();
    }
    return 0;
}
/* Half the time a change to the JSON tree, which keeps the body a
 * request the methods see; else libFuzzer's byte mutations, which keep
 * the parser and the request checks busy. */
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed)
{
    if (seed % 2 == 0) {
        size_t n = json_mutate(data, size, max_size, seed / 2);
        if (n) return n;
    }
    return LLVMFuzzerMutate(data, size, max_size);
}
