/* Unit tests: the API's access tokens (api/tokens.c) on a real store and a
 * real token file: made, checked, expired, revoked, rotated; only hashes
 * in the database; the dashboard's token kept across a reload (a daemon
 * restart) until rotated, and its file 0600. */
/* cmocka needs these before it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api/token_file.h"
#include "api/tokens.h"
#include "base/fileio.h"

typedef struct {
    char dir[64], db[128], file[128];
    store *st;
    token_set *ts;
} fixture;

static token_set *load_ok(fixture *f)
{
    char err[256] = "";
    token_set *ts = token_set_load(f->st, f->file, err, sizeof(err));
    if (!ts) print_error("%s\n", err);
    assert_non_null(ts);
    return ts;
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    snprintf(f->dir, sizeof(f->dir), "/tmp/tend-test-tokens-XXXXXX");
    if (!mkdtemp(f->dir)) return -1;
    snprintf(f->db, sizeof(f->db), "%s/tend.db", f->dir);
    snprintf(f->file, sizeof(f->file), "%s/dashboard.token", f->dir);
    char err[256];
    if (store_open(f->db, &f->st, err, sizeof(err)) < 0) return -1;
    f->ts = load_ok(f);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    token_set_free(f->ts);
    store_close(f->st);
    char cmd[160];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
    if (system(cmd) != 0) return -1;
    free(f);
    return 0;
}

static token_verdict check(fixture *f, const char *text, double now, token_seen *seen)
{
    token_seen ignored;
    return token_set_check(f->ts, text, now, seen ? seen : &ignored);
}

static void make(fixture *f, const char *name, bool read_only, double expires_at, char *out)
{
    char why[256] = "";
    int rc = token_set_create(f->ts, name, read_only, expires_at, 1000, out, why, sizeof(why));
    if (rc < 0) print_error("%s\n", why);
    assert_int_equal(rc, 0);
}

static void test_a_made_token_is_checked_with_its_rights(void **state)
{
    fixture *f = *state;
    char admin[TOKEN_TEXT_LEN + 1], viewer[TOKEN_TEXT_LEN + 1];
    make(f, "ci", false, 0, admin);
    make(f, "viewer", true, 0, viewer);
    assert_int_equal(strlen(admin), TOKEN_TEXT_LEN);
    assert_memory_equal(admin, TOKEN_PREFIX, 5);
    assert_string_not_equal(admin, viewer);
    token_seen seen;
    assert_int_equal(check(f, admin, 2000, &seen), TOKEN_OK);
    assert_string_equal(seen.name, "ci");
    assert_false(seen.read_only);
    assert_int_equal(check(f, viewer, 2000, &seen), TOKEN_OK);
    assert_string_equal(seen.name, "viewer");
    assert_true(seen.read_only);
    /* One character off, a prefix, nothing at all. */
    admin[TOKEN_TEXT_LEN - 1] ^= 1;
    assert_int_equal(check(f, admin, 2000, NULL), TOKEN_UNKNOWN);
    admin[10] = '\0';
    assert_int_equal(check(f, admin, 2000, NULL), TOKEN_UNKNOWN);
    assert_int_equal(check(f, "", 2000, NULL), TOKEN_UNKNOWN);
    assert_int_equal(check(f, NULL, 2000, NULL), TOKEN_UNKNOWN);
}

static void test_a_name_is_taken_once_and_must_be_a_word(void **state)
{
    fixture *f = *state;
    char text[TOKEN_TEXT_LEN + 1], why[256] = "";
    make(f, "ci", false, 0, text);
    assert_int_equal(token_set_create(f->ts, "ci", true, 0, 1000, text, why, sizeof(why)), -1);
    assert_non_null(strstr(why, "a token named 'ci' already exists"));
    assert_int_equal(token_set_create(f->ts, TOKEN_DASHBOARD, false, 0, 1, text, why, 256), -1);
    assert_int_equal(token_set_create(f->ts, "a b", false, 0, 1, text, why, sizeof(why)), -1);
    assert_non_null(strstr(why, "'name'"));
    assert_false(token_name_valid(""));
    assert_false(token_name_valid("-x"));
    assert_false(token_name_valid("x\"y"));
    assert_true(token_name_valid("prometheus.scrape-1_a"));
}

static void test_an_expired_token_is_refused_as_expired(void **state)
{
    fixture *f = *state;
    char text[TOKEN_TEXT_LEN + 1];
    make(f, "short", true, 1500, text);
    assert_int_equal(check(f, text, 1499, NULL), TOKEN_OK);
    token_seen seen;
    assert_int_equal(check(f, text, 1500, &seen), TOKEN_EXPIRED);
    assert_string_equal(seen.name, "short");
    assert_true(seen.expires_at == 1500);
}

static void test_revoked_and_rotated_texts_are_refused(void **state)
{
    fixture *f = *state;
    char old[TOKEN_TEXT_LEN + 1], fresh[TOKEN_TEXT_LEN + 1], why[256] = "";
    make(f, "ci", false, 1000 + 86400, old);
    assert_int_equal(token_set_rotate(f->ts, "ci", 5000, fresh, why, sizeof(why)), 0);
    assert_int_equal(check(f, old, 6000, NULL), TOKEN_UNKNOWN);
    assert_int_equal(check(f, fresh, 6000, NULL), TOKEN_OK);
    /* Same lifetime, from the rotation on. */
    json_t *list = token_set_list(f->ts, 6000);
    json_t *ci = json_array_get(list, 1);
    assert_string_equal(json_string_value(json_object_get(ci, "name")), "ci");
    assert_true(json_number_value(json_object_get(ci, "expires_at")) == 5000 + 86400);
    json_decref(list);
    assert_int_equal(token_set_revoke(f->ts, "ci", 7000, why, sizeof(why)), 0);
    token_seen seen;
    assert_int_equal(check(f, fresh, 8000, &seen), TOKEN_REVOKED);
    assert_true(seen.revoked_at == 7000);
    assert_int_equal(token_set_revoke(f->ts, "ci", 7000, why, sizeof(why)), -1);
    assert_int_equal(token_set_revoke(f->ts, TOKEN_DASHBOARD, 7000, why, sizeof(why)), -1);
    assert_non_null(strstr(why, "only rotated"));
    /* A revoked token's name may be used again. */
    make(f, "ci", true, 0, fresh);
    assert_int_equal(check(f, fresh, 9000, NULL), TOKEN_OK);
}

/* Neither the list nor the database file holds a token's text. */
static void test_only_hashes_are_stored(void **state)
{
    fixture *f = *state;
    char text[TOKEN_TEXT_LEN + 1];
    make(f, "ci", false, 0, text);
    json_t *list = token_set_list(f->ts, 2000);
    char *dump = json_dumps(list, 0);
    assert_null(strstr(dump, text + 5));
    free(dump);
    json_decref(list);
    store_close(f->st);
    f->st = NULL;
    const char *files[] = {"tend.db", "tend.db-wal"};
    for (size_t i = 0; i < 2; i++) {
        char path[160], *bytes = NULL;
        size_t len = 0;
        snprintf(path, sizeof(path), "%s/%s", f->dir, files[i]);
        if (file_read_all(path, 64 << 20, &bytes, &len) < 0) continue;
        assert_null(memmem(bytes, len, text + 5, TOKEN_TEXT_LEN - 5));
        assert_null(memmem(bytes, len, token_set_dashboard_text(f->ts) + 5, 20));
        free(bytes);
    }
    char err[256];
    assert_int_equal(store_open(f->db, &f->st, err, sizeof(err)), 0);
}

static void test_the_dashboard_token_outlives_a_reload_until_rotated(void **state)
{
    fixture *f = *state;
    char first[TOKEN_TEXT_LEN + 1], text[TOKEN_TEXT_LEN + 1], kept[TOKEN_TEXT_LEN + 2];
    char made[TOKEN_TEXT_LEN + 1], why[256];
    snprintf(first, sizeof(first), "%s", token_set_dashboard_text(f->ts));
    make(f, "ci", true, 0, made);
    struct stat sb;
    assert_int_equal(stat(f->file, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    assert_int_equal(token_file_read(f->file, kept, sizeof(kept)), 0);
    assert_string_equal(kept, first);
    /* A new daemon: the same store, the same file. */
    token_set_free(f->ts);
    f->ts = load_ok(f);
    assert_string_equal(token_set_dashboard_text(f->ts), first);
    assert_int_equal(check(f, first, 2000, NULL), TOKEN_OK);
    assert_int_equal(check(f, made, 2000, NULL), TOKEN_OK);
    /* Rotated: a new text, in the file too; the old one is refused. */
    assert_int_equal(token_set_rotate(f->ts, TOKEN_DASHBOARD, 3000, text, why, sizeof(why)), 0);
    assert_string_not_equal(text, first);
    assert_string_equal(token_set_dashboard_text(f->ts), text);
    assert_int_equal(token_file_read(f->file, kept, sizeof(kept)), 0);
    assert_string_equal(kept, text);
    assert_int_equal(check(f, first, 3000, NULL), TOKEN_UNKNOWN);
    /* A file that no longer holds the stored token's text is replaced. */
    assert_int_equal(token_file_write(f->file, first), 0);
    token_set_free(f->ts);
    f->ts = load_ok(f);
    assert_string_not_equal(token_set_dashboard_text(f->ts), first);
    assert_string_not_equal(token_set_dashboard_text(f->ts), text);
    assert_int_equal(check(f, first, 4000, NULL), TOKEN_UNKNOWN);
}

/* A token file others could have written (group or world writable) is
 * not taken for the dashboard's token: a new one is made, in a 0600 file. */
static void test_a_token_file_others_could_write_is_not_taken(void **state)
{
    fixture *f = *state;
    char first[TOKEN_TEXT_LEN + 1];
    snprintf(first, sizeof(first), "%s", token_set_dashboard_text(f->ts));
    assert_int_equal(chmod(f->file, 0622), 0);
    char kept[TOKEN_TEXT_LEN + 2];
    assert_int_equal(token_file_read(f->file, kept, sizeof(kept)), -EPERM);
    token_set_free(f->ts);
    f->ts = load_ok(f);
    assert_string_not_equal(token_set_dashboard_text(f->ts), first);
    struct stat sb;
    assert_int_equal(stat(f->file, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    assert_int_equal(token_file_read(f->file, kept, sizeof(kept)), 0);
    assert_string_equal(kept, token_set_dashboard_text(f->ts));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_a_made_token_is_checked_with_its_rights, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_a_name_is_taken_once_and_must_be_a_word, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_an_expired_token_is_refused_as_expired, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_revoked_and_rotated_texts_are_refused, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_only_hashes_are_stored, setup, teardown),
        cmocka_unit_test_setup_teardown(test_the_dashboard_token_outlives_a_reload_until_rotated,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_token_file_others_could_write_is_not_taken, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
