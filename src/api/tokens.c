/* tokens.c — the set of API access tokens (see tokens.h): in memory for
 * the checks, in the store (hashes only) for the next daemon. */
#include "api/tokens.h"

#include <errno.h>
#include <gnutls/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "api/token_file.h"
#include "base/clock.h"

#define HASH_LEN     32 /* SHA-256 */
#define SECRET_BYTES 32
/* A use is written to the store at most this often per token (seconds):
 * `tend token list` tells the last use to the minute, and a busy scrape
 * costs no write per request. */
#define USE_WRITE_EVERY 60.0

typedef struct {
    char *name; /* allocated once: seen.name points at it for the set's life */
    unsigned char hash[HASH_LEN];
    bool read_only;
    double created_at, expires_at, last_used_at, revoked_at;
    double use_written_at; /* the last_used_at the store holds */
} token_entry;

struct token_set {
    store *st;
    token_entry *entries;
    size_t n, cap;
    char *dashboard_file;
    char dashboard_text[TOKEN_TEXT_LEN + 1];
    token_rotated_fn on_rotated;
    void *on_rotated_ctx;
};

static void sha256(const char *text, size_t len, unsigned char out[HASH_LEN])
{
    gnutls_hash_fast(GNUTLS_DIG_SHA256, text, len, out);
}

static void to_hex(const unsigned char *bytes, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[bytes[i] >> 4];
        out[2 * i + 1] = digits[bytes[i] & 15];
    }
    out[2 * n] = '\0';
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

static bool from_hex(const char *hex, unsigned char out[HASH_LEN])
{
    if (!hex || strlen(hex) != 2 * HASH_LEN) return false;
    for (size_t i = 0; i < HASH_LEN; i++) {
        int hi = hex_value(hex[2 * i]), lo = hex_value(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) return false;
        out[i] = (unsigned char)(hi << 4 | lo);
    }
    return true;
}

bool token_name_valid(const char *name)
{
    size_t len = strlen(name);
    if (len == 0 || len > TOKEN_NAME_MAX) return false;
    for (size_t i = 0; i < len; i++) {
        char c = name[i];
        bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        if (!alnum && (i == 0 || (c != '.' && c != '_' && c != '-'))) return false;
    }
    return true;
}

static token_entry *find(const token_set *ts, const char *name)
{
    for (size_t i = 0; i < ts->n; i++)
        if (strcmp(ts->entries[i].name, name) == 0) return &ts->entries[i];
    return NULL;
}

static token_entry *add_entry(token_set *ts, const char *name)
{
    if (ts->n == ts->cap) {
        size_t cap = ts->cap ? 2 * ts->cap : 8;
        token_entry *grown = realloc(ts->entries, cap * sizeof(*grown));
        if (!grown) return NULL;
        ts->entries = grown;
        ts->cap = cap;
    }
    token_entry *e = &ts->entries[ts->n];
    *e = (token_entry){.name = strdup(name)};
    if (!e->name) return NULL;
    ts->n++;
    return e;
}

/* A new random text for e: its hash replaces e's and goes to the store. */
static int new_text(token_set *ts, token_entry *e, double now, char out[TOKEN_TEXT_LEN + 1])
{
    unsigned char secret[SECRET_BYTES];
    if (getrandom(secret, sizeof(secret), 0) != (ssize_t)sizeof(secret)) return -EIO;
    memcpy(out, TOKEN_PREFIX, strlen(TOKEN_PREFIX));
    to_hex(secret, sizeof(secret), out + strlen(TOKEN_PREFIX));
    explicit_bzero(secret, sizeof(secret));
    unsigned char hash[HASH_LEN];
    char hex[2 * HASH_LEN + 1];
    sha256(out, TOKEN_TEXT_LEN, hash);
    to_hex(hash, sizeof(hash), hex);
    store_token row = {.name = e->name,
                       .hash = hex,
                       .read_only = e->read_only,
                       .created_at = now,
                       .expires_at = e->expires_at};
    if (store_token_put(ts->st, &row) < 0) return -EIO;
    memcpy(e->hash, hash, sizeof(hash));
    e->created_at = now;
    e->last_used_at = e->use_written_at = e->revoked_at = 0;
    return 0;
}

static int load_row(void *ctx, const store_token *row)
{
    token_set *ts = ctx;
    unsigned char hash[HASH_LEN];
    if (!from_hex(row->hash, hash)) return 0; /* never a match: as good as gone */
    token_entry *e = add_entry(ts, row->name);
    if (!e) return -ENOMEM;
    memcpy(e->hash, hash, sizeof(hash));
    e->read_only = row->read_only;
    e->created_at = row->created_at;
    e->expires_at = row->expires_at;
    e->last_used_at = e->use_written_at = row->last_used_at;
    e->revoked_at = row->revoked_at;
    return 0;
}

static bool text_is(const token_entry *e, const char *text)
{
    if (strlen(text) != TOKEN_TEXT_LEN || strncmp(text, TOKEN_PREFIX, 5) != 0) return false;
    unsigned char hash[HASH_LEN];
    sha256(text, TOKEN_TEXT_LEN, hash);
    unsigned char diff = 0;
    for (size_t i = 0; i < HASH_LEN; i++) diff |= hash[i] ^ e->hash[i];
    return diff == 0;
}

/* The dashboard's token: the one its file holds while that is still the
 * stored token's text, else a new one (a first start, a lost file). */
static int ensure_dashboard(token_set *ts, char *err, size_t errlen)
{
    token_entry *e = find(ts, TOKEN_DASHBOARD);
    char kept[TOKEN_TEXT_LEN + 2] = "";
    if (e && !e->revoked_at && !e->read_only && !e->expires_at &&
        token_file_read(ts->dashboard_file, kept, sizeof(kept)) == 0 && text_is(e, kept)) {
        memcpy(ts->dashboard_text, kept, sizeof(ts->dashboard_text));
        return 0;
    }
    if (!e && !(e = add_entry(ts, TOKEN_DASHBOARD))) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    e->read_only = false;
    e->expires_at = 0;
    if (new_text(ts, e, wall_now(), ts->dashboard_text) < 0) {
        snprintf(err, errlen, "cannot store the dashboard's token: %s", store_error(ts->st));
        return -1;
    }
    int rc = token_file_write(ts->dashboard_file, ts->dashboard_text);
    if (rc < 0) {
        snprintf(err, errlen, "cannot write %s: %s", ts->dashboard_file, strerror(-rc));
        return -1;
    }
    return 0;
}

token_set *token_set_load(store *st, const char *dashboard_file, char *err, size_t errlen)
{
    token_set *ts = calloc(1, sizeof(*ts));
    if (!ts || !(ts->dashboard_file = strdup(dashboard_file))) {
        free(ts);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    ts->st = st;
    if (store_tokens_each(st, load_row, ts) < 0) {
        snprintf(err, errlen, "cannot read the tokens: %s", store_error(st));
        token_set_free(ts);
        return NULL;
    }
    if (ensure_dashboard(ts, err, errlen) < 0) {
        token_set_free(ts);
        return NULL;
    }
    return ts;
}

void token_set_free(token_set *ts)
{
    if (!ts) return;
    for (size_t i = 0; i < ts->n; i++) free(ts->entries[i].name);
    free(ts->entries);
    free(ts->dashboard_file);
    explicit_bzero(ts->dashboard_text, sizeof(ts->dashboard_text));
    free(ts);
}

token_verdict token_set_check(token_set *ts, const char *given, double now, token_seen *seen)
{
    if (!given) return TOKEN_UNKNOWN;
    unsigned char hash[HASH_LEN];
    sha256(given, strlen(given), hash);
    /* Every hash is compared whole, whichever matches: the time taken
     * tells nothing of how close a guess came. */
    token_entry *hit = NULL;
    for (size_t i = 0; i < ts->n; i++) {
        unsigned char diff = 0;
        for (size_t k = 0; k < HASH_LEN; k++) diff |= hash[k] ^ ts->entries[i].hash[k];
        if (diff == 0) hit = &ts->entries[i];
    }
    if (!hit) return TOKEN_UNKNOWN;
    *seen = (token_seen){.name = hit->name,
                         .read_only = hit->read_only,
                         .expires_at = hit->expires_at,
                         .revoked_at = hit->revoked_at};
    if (hit->revoked_at) return TOKEN_REVOKED;
    if (hit->expires_at && now >= hit->expires_at) return TOKEN_EXPIRED;
    hit->last_used_at = now;
    if (now - hit->use_written_at >= USE_WRITE_EVERY &&
        store_token_used(ts->st, hit->name, now) == 0)
        hit->use_written_at = now;
    return TOKEN_OK;
}

int token_set_create(token_set *ts, const char *name, bool read_only, double expires_at, double now,
                     char out[TOKEN_TEXT_LEN + 1], char *why, size_t whylen)
{
    if (!token_name_valid(name)) {
        snprintf(why, whylen,
                 "invalid params: 'name' must be 1 to %d letters, digits, '.', '_' or '-', "
                 "starting with a letter or digit",
                 TOKEN_NAME_MAX);
        return -1;
    }
    token_entry *e = find(ts, name);
    if (e && !e->revoked_at) {
        snprintf(why, whylen,
                 "a token named '%s' already exists (tend token rotate %s gives it a new text; "
                 "tend token revoke %s ends it)",
                 name, name, name);
        return -1;
    }
    if (!e && !(e = add_entry(ts, name))) {
        snprintf(why, whylen, "out of memory");
        return -1;
    }
    token_entry before = *e;
    e->read_only = read_only;
    e->expires_at = expires_at;
    if (new_text(ts, e, now, out) < 0) {
        *e = before;
        snprintf(why, whylen, "cannot store the token: %s", store_error(ts->st));
        return -1;
    }
    return 0;
}

/* The token called name, or NULL with why said. */
static token_entry *find_live(token_set *ts, const char *name, char *why, size_t whylen)
{
    token_entry *e = find(ts, name);
    if (!e || e->revoked_at) {
        snprintf(why, whylen, "no token named '%s'%s (tend token list shows them)", name,
                 e ? " (it was revoked)" : "");
        return NULL;
    }
    return e;
}

int token_set_rotate(token_set *ts, const char *name, double now, char out[TOKEN_TEXT_LEN + 1],
                     char *why, size_t whylen)
{
    token_entry *e = find_live(ts, name, why, whylen);
    if (!e) return -1;
    token_entry before = *e;
    double lifetime = e->expires_at ? e->expires_at - e->created_at : 0;
    e->expires_at = lifetime > 0 ? now + lifetime : 0;
    if (new_text(ts, e, now, out) < 0) {
        *e = before;
        snprintf(why, whylen, "cannot store the token: %s", store_error(ts->st));
        return -1;
    }
    if (strcmp(name, TOKEN_DASHBOARD) == 0) {
        memcpy(ts->dashboard_text, out, sizeof(ts->dashboard_text));
        int rc = token_file_write(ts->dashboard_file, out);
        if (rc < 0)
            fprintf(stderr, "tend daemon: cannot write %s: %s\n", ts->dashboard_file,
                    strerror(-rc));
        if (ts->on_rotated) ts->on_rotated(ts->on_rotated_ctx, out);
    }
    return 0;
}

int token_set_revoke(token_set *ts, const char *name, double now, char *why, size_t whylen)
{
    if (strcmp(name, TOKEN_DASHBOARD) == 0) {
        snprintf(why, whylen,
                 "the dashboard's token cannot be revoked, only rotated "
                 "(tend token rotate dashboard)");
        return -1;
    }
    token_entry *e = find_live(ts, name, why, whylen);
    if (!e) return -1;
    if (store_token_revoke(ts->st, name, now) < 0) {
        snprintf(why, whylen, "cannot store the revocation: %s", store_error(ts->st));
        return -1;
    }
    e->revoked_at = now;
    return 0;
}

static json_t *time_or_null(double t)
{
    return t ? json_real(t) : json_null();
}

json_t *token_set_list(const token_set *ts, double now)
{
    json_t *out = json_array();
    for (size_t i = 0; i < ts->n; i++) {
        const token_entry *e = &ts->entries[i];
        if (e->revoked_at) continue;
        json_array_append_new(out, json_pack("{s:s, s:b, s:f, s:o, s:b, s:o}", "name", e->name,
                                             "read_only", e->read_only, "created_at", e->created_at,
                                             "expires_at", time_or_null(e->expires_at), "expired",
                                             e->expires_at && now >= e->expires_at, "last_used_at",
                                             time_or_null(e->last_used_at)));
    }
    return out;
}

const char *token_set_dashboard_text(const token_set *ts)
{
    return ts->dashboard_text;
}

void token_set_on_dashboard_rotated(token_set *ts, token_rotated_fn fn, void *ctx)
{
    ts->on_rotated = fn;
    ts->on_rotated_ctx = ctx;
}
