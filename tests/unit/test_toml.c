/* Unit tests: the TOML parser's API as the registry uses it — typed values,
 * positions, document order, located errors, big and hostile inputs. */
/* cmocka needs these before it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "config/toml.h"

static toml_value *parse_ok(const char *text)
{
    toml_error err;
    toml_value *root = toml_parse(text, strlen(text), &err);
    if (!root) print_error("%d:%d: %s\n", err.pos.line, err.pos.col, err.message);
    assert_non_null(root);
    return root;
}

static toml_error parse_bad(const char *text)
{
    toml_error err;
    toml_value *root = toml_parse(text, strlen(text), &err);
    assert_null(root);
    return err;
}

static void test_typed_values_and_lookup(void **state)
{
    (void)state;
    toml_value *root = parse_ok("s = \"x\"\ni = 0x10\nf = 1e3\nb = true\n"
                                "d = 1979-05-27T07:32:00-07:00\n[t]\na = [1, \"two\"]\n");
    assert_int_equal(toml_get(root, "s")->type, TOML_STRING);
    assert_int_equal(toml_get(root, "f")->type, TOML_FLOAT);
    assert_true(toml_get(root, "f")->u.number == 1000.0);
    assert_true(toml_get(root, "b")->u.boolean);
    const toml_value *d = toml_get(root, "d");
    assert_int_equal(d->type, TOML_DATETIME);
    assert_int_equal(d->u.datetime.offset_minutes, -420);
    const toml_value *a = toml_get(toml_get(root, "t"), "a");
    assert_int_equal(a->u.array.len, 2);
    assert_string_equal(a->u.array.items[1]->u.string.ptr, "two");
    assert_null(toml_get(root, "missing"));
    assert_null(toml_get(toml_get(root, "s"), "x")); /* not a table */
    assert_string_equal(toml_type_name(TOML_DATE_LOCAL), "local date");
    toml_free(root);
}

static void test_hex_with_sign_is_refused(void **state)
{
    (void)state;
    toml_error err = parse_bad("i = -0x10\n");
    assert_int_equal(err.pos.line, 1);
    assert_int_equal(err.pos.col, 5);
}

static void test_positions_of_values_keys_and_headers(void **state)
{
    (void)state;
    toml_value *root = parse_ok("# comment\n"
                                "[services.web]\n"
                                "  name = \"é€😀\"\n"
                                "  port =   8080\n"
                                "a.b.c = 1\n");
    const toml_value *services = toml_get(root, "services");
    assert_int_equal(services->pos.line, 2); /* implicit: the header that made it */
    assert_int_equal(services->pos.col, 1);
    const toml_value *web = toml_get(services, "web");
    assert_int_equal(web->pos.line, 2);
    const toml_entry *name = toml_get_entry(web, "name");
    assert_int_equal(name->key_pos.line, 3);
    assert_int_equal(name->key_pos.col, 3);
    assert_int_equal(name->value->pos.col, 10);
    const toml_entry *port = toml_get_entry(web, "port");
    assert_int_equal(port->value->pos.line, 4);
    assert_int_equal(port->value->pos.col, 12);
    const toml_entry *a = toml_get_entry(web, "a");
    assert_int_equal(a->key_pos.line, 5);
    assert_int_equal(a->value->pos.col, 1); /* dotted: the key that made it */
    const toml_entry *c = toml_get_entry(toml_get(toml_get(web, "a"), "b"), "c");
    assert_int_equal(c->key_pos.col, 5);
    toml_free(root);
}

static void test_positions_after_a_byte_order_mark(void **state)
{
    (void)state;
    toml_value *root = parse_ok("\xEF\xBB\xBF[t]\nx = 1\n");
    assert_int_equal(toml_get(root, "t")->pos.line, 1);
    assert_int_equal(toml_get(root, "t")->pos.col, 1);
    toml_free(root);
}

/* Positions asked for out of order (a header after its keys) stay right
 * and cheap: a big file parses in linear time. */
static void test_many_headers_parse_in_linear_time(void **state)
{
    (void)state;
    buf text = {0};
    for (int i = 0; i < 20000; i++) buf_printf(&text, "[services.s%d.deployment]\nmode = \"x\"\n", i);
    toml_value *root = parse_ok(text.data);
    const toml_value *last = toml_get(toml_get(toml_get(root, "services"), "s19999"), "deployment");
    assert_int_equal(last->pos.line, 39999);
    assert_int_equal(last->pos.col, 1);
    toml_free(root);
    buf_free(&text);
}

static void test_columns_count_characters_not_bytes(void **state)
{
    (void)state;
    toml_error err = parse_bad("k = \"é€😀\" x\n");
    assert_int_equal(err.pos.line, 1);
    assert_int_equal(err.pos.col, 11);
}

static void test_keys_keep_document_order(void **state)
{
    (void)state;
    toml_value *root = parse_ok("zeta = 1\nalpha = 2\n[mid]\n[beta]\n");
    const char *expected[] = {"zeta", "alpha", "mid", "beta"};
    assert_int_equal(root->u.table.len, 4);
    for (size_t i = 0; i < 4; i++) assert_string_equal(root->u.table.entries[i].key, expected[i]);
    toml_free(root);
}

static void test_duplicate_key_names_both_places(void **state)
{
    (void)state;
    toml_error err = parse_bad("[a]\nname = 1\n\nname = 2\n");
    assert_int_equal(err.pos.line, 4);
    assert_int_equal(err.pos.col, 1);
    assert_non_null(strstr(err.message, "duplicate key 'name' (first defined at 2:1)"));
}

static void test_typical_mistakes_are_located(void **state)
{
    (void)state;
    toml_error err = parse_bad("a = 1\nb 2\n");
    assert_int_equal(err.pos.line, 2);
    assert_int_equal(err.pos.col, 3);
    assert_non_null(strstr(err.message, "expected '='"));

    err = parse_bad("a = \"open\nb = 1\n");
    assert_int_equal(err.pos.line, 1);
    assert_int_equal(err.pos.col, 5);
    assert_non_null(strstr(err.message, "not closed"));

    err = parse_bad("a = \"bad \\q escape\"\n");
    assert_int_equal(err.pos.col, 10);
    assert_non_null(strstr(err.message, "invalid escape '\\q'"));

    err = parse_bad("[t]\nx = 1\n[t]\n");
    assert_int_equal(err.pos.line, 3);
    assert_non_null(strstr(err.message, "table [t] defined twice"));

    err = parse_bad("i = 99999999999999999999\n");
    assert_non_null(strstr(err.message, "out of range"));
}

static void test_thousands_of_keys_stay_findable(void **state)
{
    (void)state;
    buf text = {0};
    for (int i = 0; i < 5000; i++) buf_printf(&text, "[services.svc%d]\nport = %d\n", i, i);
    toml_value *root = parse_ok(text.data);
    const toml_value *services = toml_get(root, "services");
    assert_int_equal(services->u.table.len, 5000);
    for (int i = 0; i < 5000; i++) {
        char key[32];
        snprintf(key, sizeof(key), "svc%d", i);
        const toml_value *svc = toml_get(services, key);
        assert_non_null(svc);
        assert_int_equal(toml_get(svc, "port")->u.integer, i);
    }
    toml_free(root);
    buf_free(&text);
}

static void test_strings_may_hold_nul(void **state)
{
    (void)state;
    toml_value *root = parse_ok("s = \"a\\u0000b\"\n\"\\u0000\" = 1\n");
    const toml_value *s = toml_get(root, "s");
    assert_int_equal(s->u.string.len, 3);
    assert_memory_equal(s->u.string.ptr, "a\0b", 3);
    assert_int_equal(root->u.table.entries[1].key_len, 1);
    toml_free(root);
}

static void test_deep_nesting_is_refused_cleanly(void **state)
{
    (void)state;
    buf text = {0};
    buf_puts(&text, "a = ");
    for (int i = 0; i < 100000; i++) buf_putc(&text, '[');
    toml_error err = parse_bad(text.data);
    assert_non_null(strstr(err.message, "nested"));
    buf_free(&text);
}

/* Found by the fuzzer: the parts of an over-long dotted key leaked. */
static void test_overlong_dotted_key_is_refused_without_leaks(void **state)
{
    (void)state;
    buf text = {0};
    for (int i = 0; i < 70; i++) buf_printf(&text, "%sk%d", i ? "." : "", i);
    buf_puts(&text, " = 1\n");
    toml_error err = parse_bad(text.data);
    assert_non_null(strstr(err.message, "at most 64 dotted parts"));
    buf_free(&text);
}

static void test_input_need_not_end_in_nul(void **state)
{
    (void)state;
    const char text[] = {'a', ' ', '=', ' ', '1', '2'}; /* no terminator */
    toml_error err;
    toml_value *root = toml_parse(text, 5, &err);
    assert_non_null(root);
    assert_int_equal(toml_get(root, "a")->u.integer, 1);
    toml_free(root);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_typed_values_and_lookup),
        cmocka_unit_test(test_hex_with_sign_is_refused),
        cmocka_unit_test(test_positions_of_values_keys_and_headers),
        cmocka_unit_test(test_positions_after_a_byte_order_mark),
        cmocka_unit_test(test_many_headers_parse_in_linear_time),
        cmocka_unit_test(test_columns_count_characters_not_bytes),
        cmocka_unit_test(test_keys_keep_document_order),
        cmocka_unit_test(test_duplicate_key_names_both_places),
        cmocka_unit_test(test_typical_mistakes_are_located),
        cmocka_unit_test(test_thousands_of_keys_stay_findable),
        cmocka_unit_test(test_strings_may_hold_nul),
        cmocka_unit_test(test_deep_nesting_is_refused_cleanly),
        cmocka_unit_test(test_overlong_dotted_key_is_refused_without_leaks),
        cmocka_unit_test(test_input_need_not_end_in_nul),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
