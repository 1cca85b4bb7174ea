/* tokens.h — the API's access tokens: made, checked, listed, revoked and
 * rotated here, kept in the store as their SHA-256 only.
 *
 * A token is "tend_" and 64 hex digits (32 random bytes); it is shown once,
 * when it is made. Its rights are admin (everything) or read-only (methods
 * that change nothing, and GET /metrics, /events, /logs). The set is held
 * in memory (tokens are few): a check hashes the given text once and
 * compares it with every token's hash in constant time, with no SQLite
 * read. The token named "dashboard" (admin, no expiry) is the dashboard's
 * own: its text is also kept in a file of mode 0600 (STATE_DIR/
 * dashboard.token) so that it outlives daemon restarts until rotated.
 */
#ifndef TEND_API_TOKENS_H
#define TEND_API_TOKENS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "store/store.h"

#define TOKEN_PREFIX    "tend_"
#define TOKEN_TEXT_LEN  (5 + 64)
#define TOKEN_NAME_MAX  64
#define TOKEN_DASHBOARD "dashboard"

typedef struct token_set token_set;

typedef enum {
    TOKEN_OK,
    TOKEN_UNKNOWN, /* no token has this text (never made, or rotated since) */
    TOKEN_EXPIRED,
    TOKEN_REVOKED,
} token_verdict;

/* What a check found (for TOKEN_OK, TOKEN_EXPIRED and TOKEN_REVOKED). The
 * name stays valid as long as the set. */
typedef struct {
    const char *name;
    bool read_only;
    double expires_at; /* 0: never */
    double revoked_at; /* 0: not revoked */
} token_seen;

/* Loads every token from the store and makes sure the dashboard's token
 * exists and its text is in dashboard_file (reusing the text found there
 * when it is still the token's). NULL with the reason in err. */
token_set *token_set_load(store *st, const char *dashboard_file, char *err, size_t errlen);
void token_set_free(token_set *ts);

/* The verdict on a given token text at time now (wall clock). */
token_verdict token_set_check(token_set *ts, const char *given, double now, token_seen *seen);

/* Makes a token called name (expires_at 0: never). Its text goes to out,
 * once. -1 with the reason in why (a name taken or malformed). */
int token_set_create(token_set *ts, const char *name, bool read_only, double expires_at, double now,
                     char out[TOKEN_TEXT_LEN + 1], char *why, size_t whylen);
/* A new text for the token called name, with the same rights and as long
 * a lifetime; the old text stops working at once. */
int token_set_rotate(token_set *ts, const char *name, double now, char out[TOKEN_TEXT_LEN + 1],
                     char *why, size_t whylen);
/* The token stops working (it is then refused as revoked). The
 * dashboard's token cannot be revoked, only rotated. */
int token_set_revoke(token_set *ts, const char *name, double now, char *why, size_t whylen);
/* [{name, read_only, created_at, expires_at, expired, last_used_at}] of
 * the tokens not revoked; never a token's text or hash. */
json_t *token_set_list(const token_set *ts, double now);

/* The dashboard token's text (for its URL). */
const char *token_set_dashboard_text(const token_set *ts);
/* Told after the dashboard's token was rotated (one listener). */
typedef void (*token_rotated_fn)(void *ctx, const char *text);
void token_set_on_dashboard_rotated(token_set *ts, token_rotated_fn fn, void *ctx);

/* Whether name may name a token: 1 to 64 letters, digits, '.', '_', '-',
 * starting with a letter or digit. */
bool token_name_valid(const char *name);

#endif
