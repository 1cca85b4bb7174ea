/* Unit tests: edit distance and "did you mean". */
/* cmocka needs these before it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "config/suggest.h"

static void test_edit_distance_counts_swaps_as_one(void **state)
{
    (void)state;
    assert_int_equal(edit_distance("", ""), 0);
    assert_int_equal(edit_distance("abc", ""), 3);
    assert_int_equal(edit_distance("kitten", "sitting"), 3);
    assert_int_equal(edit_distance("dependecnies", "dependencies"), 1);
}

static void test_suggests_close_keys_only(void **state)
{
    (void)state;
    const char *keys[] = {"auto_start", "start_timeout", "start_order", "max_restarts", NULL};
    assert_string_equal(suggest_closest("autostart", keys), "auto_start");
    assert_string_equal(suggest_closest("start_ordr", keys), "start_order");
    assert_null(suggest_closest("colour", keys));
    assert_null(suggest_closest("x", NULL));
    const char *names[] = {"b", "db", "web", NULL};
    assert_null(suggest_closest("zz", names));
    assert_string_equal(suggest_closest("dbb", names), "db");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_edit_distance_counts_swaps_as_one),
        cmocka_unit_test(test_suggests_close_keys_only),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
