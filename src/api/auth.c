/* auth.c — the bearer-token check of the TCP servers (see auth.h). */
#include "api/auth.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/clock.h"

/* The reason of the last refusal: the loop is single-threaded and httpd
 * copies it into its answer at once. */
static char reason[256];

static void utc_text(double t, char *out, size_t size)
{
    time_t secs = (time_t)t;
    struct tm tm;
    gmtime_r(&secs, &tm);
    strftime(out, size, "%Y-%m-%d %H:%M:%S UTC", &tm);
}

static bool refuse(unsigned *status, unsigned code, const char **why)
{
    *status = code;
    *why = reason;
    return false;
}

bool auth_check(token_set *ts, struct MHD_Connection *c, const char *url, const char *method,
                unsigned *status, const char **why, const char **read_only_as)
{
    *read_only_as = NULL;
    const char *auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
    if (!auth || strncmp(auth, "Bearer ", 7) != 0) {
        snprintf(reason, sizeof(reason),
                 "no access token: send Authorization: Bearer TOKEN (tend token create makes "
                 "one; the dashboard's is in `tend dashboard`'s URL)");
        return refuse(status, MHD_HTTP_UNAUTHORIZED, why);
    }
    token_seen seen = {0};
    char when[40];
    switch (token_set_check(ts, auth + 7, wall_now(), &seen)) {
    case TOKEN_OK: break;
    case TOKEN_UNKNOWN:
        snprintf(reason, sizeof(reason),
                 "wrong access token: no token has this text (never made, or rotated since)");
        return refuse(status, MHD_HTTP_UNAUTHORIZED, why);
    case TOKEN_EXPIRED:
        utc_text(seen.expires_at, when, sizeof(when));
        snprintf(reason, sizeof(reason), "token '%s' expired at %s", seen.name, when);
        return refuse(status, MHD_HTTP_UNAUTHORIZED, why);
    case TOKEN_REVOKED:
        utc_text(seen.revoked_at, when, sizeof(when));
        snprintf(reason, sizeof(reason), "token '%s' was revoked at %s", seen.name, when);
        return refuse(status, MHD_HTTP_UNAUTHORIZED, why);
    }
    if (seen.read_only && strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0 &&
        strcmp(url, "/rpc") != 0) {
        snprintf(reason, sizeof(reason),
                 "token '%s' is read-only: it may only GET and call methods that change "
                 "nothing",
                 seen.name);
        return refuse(status, MHD_HTTP_FORBIDDEN, why);
    }
    if (seen.read_only) *read_only_as = seen.name;
    return true;
}

bool auth_guard(void *ctx, struct MHD_Connection *c, const char *url, const char *method,
                unsigned *status, const char **why, const char **read_only_as)
{
    return auth_check(ctx, c, url, method, status, why, read_only_as);
}
