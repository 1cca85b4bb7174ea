/* rpc.c — JSON-RPC 2.0 requests, batches, notifications and errors. */
#include "api/rpc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

json_t *rpc_fail(rpc_error *err, int code, const char *fmt, ...)
{
    err->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof(err->message), fmt, ap);
    va_end(ap);
    return NULL;
}

static json_t *error_response(json_t *id, int code, const char *message, json_t *data)
{
    json_t *error = json_pack("{s:i, s:s}", "code", code, "message", message);
    if (data) json_object_set_new(error, "data", data);
    return json_pack("{s:s, s:o, s:O}", "jsonrpc", "2.0", "error", error, "id",
                     id ? id : json_null());
}

/* The spec's own words for the standard codes. */
static const char *standard_message(int code)
{
    switch (code) {
    case RPC_PARSE_ERROR: return "Parse error";
    case RPC_INVALID_REQUEST: return "Invalid Request";
    case RPC_METHOD_NOT_FOUND: return "Method not found";
    case RPC_INVALID_PARAMS: return "Invalid params";
    case RPC_INTERNAL_ERROR: return "Internal error";
    }
    return NULL;
}

/* By the whole name: one that holds U+0000 names no method, although its
 * C string may read like one. */
static const rpc_method *find_method(const rpc_dispatcher *d, json_t *name)
{
    for (size_t i = 0; i < d->n_methods; i++)
        if (strlen(d->methods[i].name) == json_string_length(name) &&
            strcmp(d->methods[i].name, json_string_value(name)) == 0)
            return &d->methods[i];
    return NULL;
}

/* Whether a string anywhere in v holds U+0000. JSON allows it (and the
 * parser takes it), but everything after the NUL would be lost in the C
 * strings tend makes of it: such params are refused instead. */
static bool holds_nul(json_t *v)
{
    if (json_is_string(v)) return strlen(json_string_value(v)) != json_string_length(v);
    size_t i;
    json_t *item;
    const char *key;
    if (json_is_array(v)) json_array_foreach(v, i, item) if (holds_nul(item)) return true;
    if (json_is_object(v)) json_object_foreach(v, key, item) if (holds_nul(item)) return true;
    return false;
}

/* One request object; NULL when it is a notification. */
static json_t *handle_one(const rpc_dispatcher *d, json_t *req, const char *read_only_as)
{
    json_t *id = json_is_object(req) ? json_object_get(req, "id") : NULL;
    bool valid_id =
        !id || json_is_string(id) || json_is_integer(id) || json_is_real(id) || json_is_null(id);
    json_t *version = json_is_object(req) ? json_object_get(req, "jsonrpc") : NULL;
    json_t *method = json_is_object(req) ? json_object_get(req, "method") : NULL;
    json_t *params = json_is_object(req) ? json_object_get(req, "params") : NULL;
    if (!json_is_object(req) || !valid_id || !json_is_string(version) ||
        json_string_length(version) != 3 || strcmp(json_string_value(version), "2.0") != 0 ||
        !json_is_string(method) || (params && !json_is_object(params) && !json_is_array(params)))
        return error_response(valid_id ? id : NULL, RPC_INVALID_REQUEST, "Invalid Request", NULL);
    bool notification = !id;
    const rpc_method *m = find_method(d, method);
    if (!m) {
        if (notification) return NULL;
        return error_response(id, RPC_METHOD_NOT_FOUND, "Method not found", NULL);
    }
    rpc_error err = {0};
    json_t *result = NULL;
    /* A method of named parameters (every tend method: paramStructure
     * "by-name" in the OpenRPC document): [] names none, so it is the same
     * as no params; anything by position is refused before it runs. */
    if (!m->by_position && json_is_array(params) && json_array_size(params) == 0) params = NULL;
    if (read_only_as && m->access != RPC_READS)
        rpc_fail(&err, RPC_READ_ONLY,
                 "%s %s and token '%s' is read-only: it may only call methods that change "
                 "nothing",
                 m->name, m->access == RPC_ADMIN ? "manages access tokens" : "changes things",
                 read_only_as);
    else if (!m->by_position && json_is_array(params))
        rpc_fail(&err, RPC_INVALID_PARAMS,
                 "invalid params: 'params' must be an object: %s takes named parameters, "
                 "not parameters by position",
                 m->name);
    else if (holds_nul(params))
        rpc_fail(&err, RPC_INVALID_PARAMS,
                 "invalid params: a string holds U+0000 (a NUL character)");
    else
        result = m->fn(d->ctx, params, &err);
    if (notification) {
        json_decref(result);
        json_decref(err.data);
        return NULL;
    }
    if (!result) {
        const char *standard = standard_message(err.code);
        json_t *data = err.data;
        /* Standard codes keep the spec's message; the detail goes to data. */
        if (standard && err.message[0] && !data) data = json_string(err.message);
        return error_response(id, err.code ? err.code : RPC_INTERNAL_ERROR,
                              standard ? standard : err.message, data);
    }
    return json_pack("{s:s, s:o, s:O}", "jsonrpc", "2.0", "result", result, "id", id);
}

/* Rewrites each \\u0000 escape inside a string as \\u0001, in place. */
static void mask_nul_escapes(char *text, size_t len)
{
    bool in_string = false;
    for (size_t i = 0; i < len; i++) {
        if (text[i] == '"') {
            in_string = !in_string;
        } else if (in_string && text[i] == '\\' && i + 1 < len) {
            if (text[i + 1] == 'u' && i + 5 < len && memcmp(text + i + 2, "0000", 4) == 0)
                text[i + 5] = '1';
            i++; /* the escaped character is not a quote or a backslash */
        }
    }
}

/* The body as JSON (RFC 8259): any value parses (a lone scalar is then an
 * Invalid Request, not a Parse error), a repeated key keeps its last value,
 * a raw NUL byte is an error (jansson would stop reading there). jansson
 * cannot hold U+0000 in an object key; such a body is valid JSON all the
 * same: *nul_key is set (and NULL returned) so that it is answered as an
 * Invalid Request. */
static json_t *parse_body(const char *body, size_t len, json_error_t *err, bool *nul_key)
{
    *nul_key = false;
    if (memchr(body, '\0', len)) {
        snprintf(err->text, sizeof(err->text), "a NUL byte outside any string");
        return NULL;
    }
    json_t *v = json_loadb(body, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, err);
    if (v || !strstr(err->text, "NUL")) return v;
    char *copy = malloc(len ? len : 1);
    if (!copy) return NULL;
    memcpy(copy, body, len);
    mask_nul_escapes(copy, len);
    json_error_t again;
    v = json_loadb(copy, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &again);
    free(copy);
    *nul_key = v != NULL; /* else invalid anyway: the first error stands */
    json_decref(v);
    return NULL;
}

char *rpc_handle(const rpc_dispatcher *d, const char *body, size_t len)
{
    return rpc_handle_as(d, body, len, NULL);
}

char *rpc_handle_as(const rpc_dispatcher *d, const char *body, size_t len, const char *read_only_as)
{
    return rpc_handle_from(d, body, len, read_only_as, 0);
}

char *rpc_handle_from(const rpc_dispatcher *d, const char *body, size_t len,
                      const char *read_only_as, pid_t pid)
{
    if (d->caller) d->caller(d->ctx, pid);
    json_error_t jerr;
    bool nul_key = false;
    json_t *req = parse_body(body, len, &jerr, &nul_key);
    json_t *resp = NULL;
    if (nul_key) {
        resp = error_response(NULL, RPC_INVALID_REQUEST, "Invalid Request",
                              json_string("an object key holds U+0000 (a NUL character)"));
    } else if (!req) {
        resp = error_response(NULL, RPC_PARSE_ERROR, "Parse error", json_string(jerr.text));
    } else if (json_is_array(req)) {
        if (json_array_size(req) == 0) {
            resp = error_response(NULL, RPC_INVALID_REQUEST, "Invalid Request", NULL);
        } else {
            resp = json_array();
            size_t i;
            json_t *item;
            json_array_foreach(req, i, item)
            {
                json_t *one = handle_one(d, item, read_only_as);
                if (one) json_array_append_new(resp, one);
            }
            if (json_array_size(resp) == 0) {
                json_decref(resp);
                resp = NULL;
            }
        }
    } else {
        resp = handle_one(d, req, read_only_as);
    }
    json_decref(req);
    if (d->caller) d->caller(d->ctx, 0);
    if (d->settle) d->settle(d->ctx);
    if (!resp) return NULL;
    char *text = json_dumps(resp, JSON_COMPACT);
    json_decref(resp);
    return text;
}

/* ---- parameters ---- */

/* "invalid params: 'NAME' WHAT" — the parameter is always named. */
static int bad_param(rpc_error *err, const char *name, const char *what)
{
    err->code = RPC_INVALID_PARAMS;
    snprintf(err->message, sizeof(err->message), "invalid params: '%s' %s", name, what);
    return -1;
}

int param_names(json_t *params, const char *const *allowed, rpc_error *err)
{
    if (!params) return 0;
    if (!json_is_object(params))
        return bad_param(err, "params", "must be an object of named parameters");
    const char *key;
    json_t *value;
    json_object_foreach(params, key, value)
    {
        bool known = false;
        for (size_t i = 0; allowed[i] && !known; i++) known = strcmp(allowed[i], key) == 0;
        if (!known) return bad_param(err, key, "is not a parameter of this method");
    }
    return 0;
}

static json_t *param_get(json_t *params, const char *name)
{
    return json_is_object(params) ? json_object_get(params, name) : NULL;
}

int param_string(json_t *params, const char *name, bool required, const char **out, rpc_error *err)
{
    json_t *v = param_get(params, name);
    if (!v) return required ? bad_param(err, name, "is required") : 0;
    if (!json_is_string(v)) return bad_param(err, name, "must be a string");
    *out = json_string_value(v);
    return 0;
}

int param_bool(json_t *params, const char *name, bool *out, rpc_error *err)
{
    json_t *v = param_get(params, name);
    if (!v) return 0;
    if (!json_is_boolean(v)) return bad_param(err, name, "must be true or false");
    *out = json_is_true(v);
    return 0;
}

int param_int(json_t *params, const char *name, bool required, json_int_t min, json_int_t max,
              json_int_t *out, rpc_error *err)
{
    json_t *v = param_get(params, name);
    if (!v) return required ? bad_param(err, name, "is required") : 0;
    if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max) {
        err->code = RPC_INVALID_PARAMS;
        snprintf(err->message, sizeof(err->message),
                 "invalid params: '%s' must be an integer from %lld to %lld", name, (long long)min,
                 (long long)max);
        return -1;
    }
    *out = json_integer_value(v);
    return 0;
}

int param_object(json_t *params, const char *name, bool required, json_t **out, rpc_error *err)
{
    json_t *v = param_get(params, name);
    if (!v) return required ? bad_param(err, name, "is required") : 0;
    if (!json_is_object(v)) return bad_param(err, name, "must be an object");
    *out = v;
    return 0;
}

int param_strings(json_t *params, const char *name, char ***out, rpc_error *err)
{
    json_t *v = param_get(params, name);
    if (!v) return 0;
    if (!json_is_array(v)) return bad_param(err, name, "must be an array of strings");
    char **list = calloc(json_array_size(v) + 1, sizeof(*list));
    if (!list) return bad_param(err, name, "is too long");
    size_t i;
    json_t *item;
    json_array_foreach(v, i, item)
    {
        if (!json_is_string(item)) {
            free(list);
            return bad_param(err, name, "must be an array of strings");
        }
        list[i] = (char *)json_string_value(item);
    }
    *out = list;
    return 0;
}
