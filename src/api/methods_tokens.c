/* methods_tokens.c — token.create, token.list, token.revoke and
 * token.rotate: the API's access tokens (api/tokens.h), managed through
 * the API so that they can be managed remotely too. Only full rights (the
 * socket's owner, an admin token) reach them: they are RPC_ADMIN. */
#include "api/methods_internal.h"

#include <math.h>
#include <string.h>

#include "base/clock.h"

/* At most a hundred years: any longer is "never", said by leaving it out. */
#define MAX_DAYS 36500.0

static token_set *tokens_of(void *c, rpc_error *err)
{
    api_ctx *ctx = c;
    if (!ctx->tokens) rpc_fail(err, RPC_FAILED, "this daemon keeps no access tokens");
    return ctx->tokens;
}

/* expires_in_days: a positive number of days, fractions allowed (0.5 is
 * twelve hours); absent: the token never expires. */
static int param_days(json_t *params, double *days, rpc_error *err)
{
    json_t *v = json_object_get(params, "expires_in_days");
    if (!v) return 0;
    double d = json_is_number(v) ? json_number_value(v) : -1;
    if (!isfinite(d) || d <= 0 || d > MAX_DAYS) {
        rpc_fail(err, RPC_INVALID_PARAMS,
                 "invalid params: 'expires_in_days' must be a number of days above 0 and at "
                 "most %.0f (fractions allowed: 0.5 is twelve hours)",
                 MAX_DAYS);
        return -1;
    }
    *days = d;
    return 0;
}

static json_t *time_or_null(double t)
{
    return t ? json_real(t) : json_null();
}

json_t *api_token_create(void *c, json_t *params, rpc_error *err)
{
    const char *name = NULL;
    bool read_only = false;
    double days = 0;
    if (param_names(params, NAMES("name", "read_only", "expires_in_days"), err) < 0 ||
        param_string(params, "name", true, &name, err) < 0 ||
        param_bool(params, "read_only", &read_only, err) < 0 || param_days(params, &days, err) < 0)
        return NULL;
    token_set *ts = tokens_of(c, err);
    if (!ts) return NULL;
    double now = wall_now(), expires_at = days ? now + days * 86400.0 : 0;
    char text[TOKEN_TEXT_LEN + 1], why[512];
    if (token_set_create(ts, name, read_only, expires_at, now, text, why, sizeof(why)) < 0)
        return rpc_fail(err, token_name_valid(name) ? RPC_FAILED : RPC_INVALID_PARAMS, "%s", why);
    return json_pack("{s:s, s:s, s:b, s:f, s:o}", "name", name, "token", text, "read_only",
                     read_only, "created_at", now, "expires_at", time_or_null(expires_at));
}

json_t *api_token_list(void *c, json_t *params, rpc_error *err)
{
    if (param_names(params, NO_PARAMS, err) < 0) return NULL;
    token_set *ts = tokens_of(c, err);
    return ts ? token_set_list(ts, wall_now()) : NULL;
}

json_t *api_token_revoke(void *c, json_t *params, rpc_error *err)
{
    const char *name = NULL;
    if (api_name_only(params, &name, err) < 0) return NULL;
    token_set *ts = tokens_of(c, err);
    if (!ts) return NULL;
    double now = wall_now();
    char why[512];
    if (token_set_revoke(ts, name, now, why, sizeof(why)) < 0) return api_failed(err, why);
    return json_pack("{s:s, s:f}", "name", name, "revoked_at", now);
}

json_t *api_token_rotate(void *c, json_t *params, rpc_error *err)
{
    const char *name = NULL;
    if (api_name_only(params, &name, err) < 0) return NULL;
    token_set *ts = tokens_of(c, err);
    if (!ts) return NULL;
    char text[TOKEN_TEXT_LEN + 1], why[512];
    if (token_set_rotate(ts, name, wall_now(), text, why, sizeof(why)) < 0)
        return api_failed(err, why);
    json_t *list = token_set_list(ts, wall_now()), *entry, *out = NULL;
    size_t i;
    json_array_foreach(list, i, entry) if (strcmp(json_string_value(json_object_get(entry, "name")),
                                                  name) == 0) out = json_incref(entry);
    json_decref(list);
    if (!out) out = json_pack("{s:s}", "name", name);
    json_object_set_new(out, "token", json_string(text));
    return out;
}
