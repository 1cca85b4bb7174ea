/* answer_check.h — what the request-path fuzzer holds every answer to.
 *
 * Independently of rpc.c, from the request body as sent: the answer is
 * JSON; it is one response to one request, one response per answered
 * member of a batch (in order, with that member's id), or nothing for a
 * notification or a batch of them; each response is {jsonrpc, id, result
 * or error} and nothing else; a body that is not JSON is -32700 and one
 * that is JSON never is; a request of the wrong shape is -32600; a method
 * that is not in the dispatcher is -32601 and one that is never is; a
 * -32602 names the bad input ("invalid params: ...").
 */
#ifndef TEND_FUZZ_ANSWER_CHECK_H
#define TEND_FUZZ_ANSWER_CHECK_H

#include <stddef.h>

#include "api/rpc.h"

/* NULL when answer (NULL: none) is right for body, else what is wrong. */
const char *answer_check(const rpc_dispatcher *d, const char *body, size_t len, const char *answer);

#endif
