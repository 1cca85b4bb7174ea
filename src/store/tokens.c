/* tokens.c — the tokens table: one row per API access token, holding the
 * token's SHA-256 and never the token (api/tokens.c makes and checks
 * them). Writes go through the journal like every other write. */
#include "store/store_internal.h"

#include <errno.h>

int store_token_put(store *st, const store_token *t)
{
    store_value v[] = {sv_text(t->name), sv_text(t->hash), sv_int(t->read_only),
                       sv_real(t->created_at), sv_nonzero_real(t->expires_at)};
    int changes;
    return store_write_values(st, SQL_TOKEN_PUT, v, &changes);
}

int store_token_revoke(store *st, const char *name, double now)
{
    store_value v[] = {sv_text(name), sv_real(now)};
    int changes;
    return store_write_values(st, SQL_TOKEN_REVOKE, v, &changes);
}

int store_token_used(store *st, const char *name, double at)
{
    store_value v[] = {sv_text(name), sv_real(at)};
    int changes;
    return store_write_values(st, SQL_TOKEN_USED, v, &changes);
}

int store_tokens_each(store *st, int (*fn)(void *ctx, const store_token *row), void *ctx)
{
    sqlite3_stmt *stmt = store_stmt(st, SQL_TOKENS_EACH);
    int rc = 0, step = SQLITE_DONE;
    while (rc == 0 && (step = sqlite3_step(stmt)) == SQLITE_ROW) {
        store_token row = {
            .name = (const char *)sqlite3_column_text(stmt, 0),
            .hash = (const char *)sqlite3_column_text(stmt, 1),
            .read_only = sqlite3_column_int(stmt, 2) != 0,
            .created_at = sqlite3_column_double(stmt, 3),
            .expires_at = sqlite3_column_double(stmt, 4),
            .last_used_at = sqlite3_column_double(stmt, 5),
            .revoked_at = sqlite3_column_double(stmt, 6),
        };
        rc = fn(ctx, &row);
    }
    if (rc == 0 && step != SQLITE_DONE) rc = -EIO;
    sqlite3_reset(stmt);
    return rc;
}
