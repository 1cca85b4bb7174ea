/* Unit tests: health status from check outcomes — startup, retries, recovery. */
/* cmocka needs these before it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "model/health.h"

static void test_starts_unknown_and_first_pass_is_healthy(void **state)
{
    (void)state;
    health_track t = {0};
    assert_int_equal(t.status, HEALTH_UNKNOWN);
    assert_true(health_track_record(&t, true, 3));
    assert_int_equal(t.status, HEALTH_HEALTHY);
    assert_true(t.was_healthy);
    assert_false(health_track_record(&t, true, 3));
}

static void test_failures_before_the_first_pass_do_not_count(void **state)
{
    (void)state;
    health_track t = {0};
    for (int i = 0; i < 10; i++) assert_false(health_track_record(&t, false, 3));
    assert_int_equal(t.status, HEALTH_UNKNOWN);
    assert_int_equal(t.failures, 10);
    assert_true(health_track_record(&t, true, 3));
    assert_int_equal(t.failures, 0);
}

static void test_retries_failures_in_a_row_make_it_unhealthy(void **state)
{
    (void)state;
    health_track t = {0};
    health_track_record(&t, true, 3);
    assert_false(health_track_record(&t, false, 3));
    assert_false(health_track_record(&t, false, 3));
    assert_int_equal(t.status, HEALTH_HEALTHY);
    assert_true(health_track_record(&t, false, 3));
    assert_int_equal(t.status, HEALTH_UNHEALTHY);
    assert_false(health_track_record(&t, false, 3));
}

static void test_a_pass_between_failures_resets_the_count(void **state)
{
    (void)state;
    health_track t = {0};
    health_track_record(&t, true, 2);
    health_track_record(&t, false, 2);
    health_track_record(&t, true, 2);
    assert_false(health_track_record(&t, false, 2));
    assert_int_equal(t.status, HEALTH_HEALTHY);
}

static void test_recovers_with_one_pass(void **state)
{
    (void)state;
    health_track t = {0};
    health_track_record(&t, true, 1);
    assert_true(health_track_record(&t, false, 1));
    assert_int_equal(t.status, HEALTH_UNHEALTHY);
    assert_true(health_track_record(&t, true, 1));
    assert_int_equal(t.status, HEALTH_HEALTHY);
}

static void test_zero_retries_count_as_one(void **state)
{
    (void)state;
    health_track t = {0};
    health_track_record(&t, true, 0);
    assert_true(health_track_record(&t, false, 0));
    assert_string_equal(health_status_name(t.status), "unhealthy");
    assert_string_equal(health_status_name(HEALTH_UNKNOWN), "unknown");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_starts_unknown_and_first_pass_is_healthy),
        cmocka_unit_test(test_failures_before_the_first_pass_do_not_count),
        cmocka_unit_test(test_retries_failures_in_a_row_make_it_unhealthy),
        cmocka_unit_test(test_a_pass_between_failures_resets_the_count),
        cmocka_unit_test(test_recovers_with_one_pass),
        cmocka_unit_test(test_zero_retries_count_as_one),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
