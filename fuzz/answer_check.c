/* answer_check.c — the JSON-RPC 2.0 contract, checked from outside the
 * dispatcher (answer_check.h). Written from the specification, not from
 * rpc.c: where the two disagree, the fuzzer stops. */
#include "answer_check.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

typedef enum { NOT_JSON, WRONG_SHAPE, NOTIFICATION, CALL } member_kind;

static bool valid_id(json_t *id)
{
    return json_is_string(id) || json_is_number(id) || json_is_null(id);
}

static member_kind classify(json_t *m)
{
    if (!json_is_object(m)) return WRONG_SHAPE;
    json_t *id = json_object_get(m, "id");
    json_t *version = json_object_get(m, "jsonrpc");
    json_t *params = json_object_get(m, "params");
    bool ok = (!id || valid_id(id)) && json_is_string(version) &&
              strcmp(json_string_value(version), "2.0") == 0 && json_string_length(version) == 3 &&
              json_is_string(json_object_get(m, "method")) &&
              (!params || json_is_object(params) || json_is_array(params));
    if (!ok) return WRONG_SHAPE;
    return id ? CALL : NOTIFICATION;
}

/* Whether the dispatcher has a method of exactly this name (a name with
 * U+0000 in it is none of them). */
static bool known_method(const rpc_dispatcher *d, json_t *name)
{
    for (size_t i = 0; i < d->n_methods; i++)
        if (strlen(d->methods[i].name) == json_string_length(name) &&
            strcmp(d->methods[i].name, json_string_value(name)) == 0)
            return true;
    return false;
}

static bool starts_with(const char *s, const char *prefix)
{
    return s && strncmp(s, prefix, strlen(prefix)) == 0;
}

/* The error object's own shape, and the words a -32602 owes its caller. */
static const char *check_error(json_t *error)
{
    if (!json_is_object(error)) return "error is not an object";
    json_t *code = json_object_get(error, "code");
    json_t *message = json_object_get(error, "message");
    json_t *data = json_object_get(error, "data");
    size_t keys = 2 + (data != NULL);
    if (!json_is_integer(code) || !json_is_string(message) || json_string_length(message) == 0 ||
        json_object_size(error) != keys)
        return "error is not {code, message[, data]} with an integer code and a message";
    if (json_integer_value(code) == RPC_INVALID_PARAMS) {
        const char *words = json_is_string(data) ? json_string_value(data)
                            : json_is_object(data)
                                ? json_string_value(json_object_get(data, "message"))
                                : NULL;
        if (!starts_with(words, "invalid params: "))
            return "a -32602 error does not say which input is invalid";
    }
    return NULL;
}

/* One response: its shape, its id (want_id), and, from the member it
 * answers, which codes it may carry. */
static const char *check_response(const rpc_dispatcher *d, json_t *r, json_t *member,
                                  member_kind kind)
{
    if (!json_is_object(r)) return "a response is not an object";
    json_t *version = json_object_get(r, "jsonrpc");
    json_t *id = json_object_get(r, "id");
    json_t *result = json_object_get(r, "result");
    json_t *error = json_object_get(r, "error");
    if (!json_is_string(version) || strcmp(json_string_value(version), "2.0") != 0)
        return "a response lacks \"jsonrpc\": \"2.0\"";
    if (!id || !valid_id(id)) return "a response lacks a valid id";
    if ((result != NULL) == (error != NULL))
        return "a response has not exactly one of result, error";
    if (json_object_size(r) != 3) return "a response has members besides jsonrpc, id, result/error";
    /* A malformed request whose id could still be read gets it back;
     * the specification's null is for an id that cannot be. */
    json_t *sent_id = json_is_object(member) ? json_object_get(member, "id") : NULL;
    json_t *want_id = sent_id && valid_id(sent_id) ? sent_id : json_null();
    if (!json_equal(id, want_id)) return "a response's id is not its request's";
    if (error) {
        const char *why = check_error(error);
        if (why) return why;
    }
    json_int_t code = error ? json_integer_value(json_object_get(error, "code")) : 0;
    if (kind == WRONG_SHAPE)
        return code == RPC_INVALID_REQUEST ? NULL : "a malformed request is not -32600";
    if (code == RPC_PARSE_ERROR || code == RPC_INVALID_REQUEST)
        return "a well-formed request got -32700 or -32600";
    bool known = known_method(d, json_object_get(member, "method"));
    if (!known && code != RPC_METHOD_NOT_FOUND) return "an unknown method is not -32601";
    if (known && code == RPC_METHOD_NOT_FOUND) return "a known method got -32601";
    return NULL;
}

/* A batch: a response per member that is not a notification, in order. */
static const char *check_batch(const rpc_dispatcher *d, json_t *req, json_t *ans)
{
    size_t answered = 0, k = 0;
    size_t i;
    json_t *member;
    json_array_foreach(req, i, member) answered += classify(member) != NOTIFICATION;
    if (answered == 0) return ans ? "a batch of notifications got an answer" : NULL;
    if (!json_is_array(ans)) return "a batch did not get an array";
    if (json_array_size(ans) != answered) return "a batch got a wrong number of responses";
    json_array_foreach(req, i, member)
    {
        member_kind kind = classify(member);
        if (kind == NOTIFICATION) continue;
        const char *why = check_response(d, json_array_get(ans, k++), member, kind);
        if (why) return why;
    }
    return NULL;
}

static const char *check_parsed(const rpc_dispatcher *d, json_t *req, json_t *ans)
{
    if (json_is_array(req) && json_array_size(req) > 0) return check_batch(d, req, ans);
    if (json_is_array(req)) {
        if (!ans) return "an empty batch got no answer";
        return check_response(d, ans, req, WRONG_SHAPE);
    }
    member_kind kind = classify(req);
    if (kind == NOTIFICATION) return ans ? "a notification got an answer" : NULL;
    if (!ans) return "a request got no answer";
    return check_response(d, ans, req, kind);
}

/* A body that is not JSON: one -32700 with a null id (or -32600 when the
 * only fault is U+0000 in an object key, valid JSON jansson cannot hold). */
static const char *check_unparsed(json_t *ans, const json_error_t *jerr)
{
    if (!json_is_object(ans)) return "a body that is not JSON did not get one error";
    json_t *error = json_object_get(ans, "error");
    const char *why = check_error(error);
    if (why) return why;
    if (!json_is_null(json_object_get(ans, "id"))) return "a parse error has an id";
    json_int_t code = json_integer_value(json_object_get(error, "code"));
    bool nul_key = strstr(jerr->text, "NUL") != NULL;
    if (code != RPC_PARSE_ERROR && !(nul_key && code == RPC_INVALID_REQUEST))
        return "a body that is not JSON is not -32700";
    return NULL;
}

const char *answer_check(const rpc_dispatcher *d, const char *body, size_t len, const char *answer)
{
    json_error_t jerr, aerr;
    json_t *ans = NULL;
    if (answer) {
        ans = json_loads(answer, JSON_ALLOW_NUL, &aerr);
        if (!ans) return "the answer is not JSON";
    }
    json_t *req = memchr(body, '\0', len)
                      ? NULL
                      : json_loadb(body, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
    if (!req && memchr(body, '\0', len)) snprintf(jerr.text, sizeof(jerr.text), "a zero byte");
    const char *why = req ? check_parsed(d, req, ans) : check_unparsed(ans, &jerr);
    json_decref(req);
    json_decref(ans);
    return why;
}
