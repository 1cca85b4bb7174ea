/* Unit tests: the restart policy — immediate restarts, backoff, crash loops. */
/* cmocka needs these before it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "model/restart.h"

static const restart_policy on_failure = {
    .mode = RESTART_ON_FAILURE, .max_restarts = 5, .window = 60, .delay = 0, .delay_max = 30};

static void test_first_restart_is_immediate_when_delay_is_zero(void **state)
{
    (void)state;
    restart_history h = {0};
    restart_decision d = restart_decide(&on_failure, &h, 100, 101, 1, 0);
    assert_int_equal(d.verdict, RESTART_AFTER);
    assert_true(d.delay == 0);
    assert_int_equal(h.len, 1);
}

static void test_delays_grow_and_are_capped(void **state)
{
    (void)state;
    restart_policy p = on_failure;
    p.max_restarts = 64;
    p.delay_max = 1.0;
    restart_history h = {0};
    double expected[] = {0, 0.1, 0.2, 0.4, 0.8, 1.0, 1.0};
    double now = 100;
    for (size_t i = 0; i < sizeof(expected) / sizeof(expected[0]); i++) {
        restart_decision d = restart_decide(&p, &h, now, now + 0.5, 0, 9);
        assert_int_equal(d.verdict, RESTART_AFTER);
        assert_true(d.delay > expected[i] - 1e-9 && d.delay < expected[i] + 1e-9);
        now += 1;
    }
}

/* The registry's words: each further restart waits twice as long as the
 * one before, starting from restart_delay (1, 2, 4 s; not 1, 1, 2). */
static void test_delays_double_from_restart_delay(void **state)
{
    (void)state;
    restart_policy p = on_failure;
    p.max_restarts = 64;
    p.delay = 1.0;
    p.delay_max = 6.0;
    restart_history h = {0};
    double expected[] = {1, 2, 4, 6, 6};
    double now = 100;
    for (size_t i = 0; i < sizeof(expected) / sizeof(expected[0]); i++) {
        restart_decision d = restart_decide(&p, &h, now, now + 0.5, 3, 0);
        assert_int_equal(d.verdict, RESTART_AFTER);
        assert_true(d.delay > expected[i] - 1e-9 && d.delay < expected[i] + 1e-9);
        now += 1;
    }
}

static void test_crash_loop_gives_up_with_a_reason(void **state)
{
    (void)state;
    restart_history h = {0};
    for (int i = 0; i < 5; i++)
        assert_int_equal(restart_decide(&on_failure, &h, 100 + i, 100.5 + i, 1, 0).verdict,
                         RESTART_AFTER);
    restart_decision d = restart_decide(&on_failure, &h, 106, 106.5, 1, 0);
    assert_int_equal(d.verdict, RESTART_GIVE_UP);
    assert_string_equal(d.reason, "crash loop: 5 restarts in 60 s, last exit code 1");
}

static void test_old_restarts_leave_the_window(void **state)
{
    (void)state;
    restart_history h = {0};
    for (int i = 0; i < 5; i++) restart_decide(&on_failure, &h, 100 + i, 100.5 + i, 1, 0);
    /* Much later, after a long healthy run: allowed again, and immediate. */
    restart_decision d = restart_decide(&on_failure, &h, 200, 1000, 1, 0);
    assert_int_equal(d.verdict, RESTART_AFTER);
    assert_true(d.delay == 0);
    assert_int_equal(h.len, 1);
}

static void test_clean_exit_and_never(void **state)
{
    (void)state;
    restart_history h = {0};
    restart_decision d = restart_decide(&on_failure, &h, 100, 101, 0, 0);
    assert_int_equal(d.verdict, RESTART_NO);
    assert_string_equal(d.reason, "exit code 0; restart policy is on-failure");
    restart_policy always = on_failure;
    always.mode = RESTART_ALWAYS;
    assert_int_equal(restart_decide(&always, &h, 100, 101, 0, 0).verdict, RESTART_AFTER);
    restart_policy never = on_failure;
    never.mode = RESTART_NEVER;
    d = restart_decide(&never, &h, 100, 101, 0, 15);
    assert_int_equal(d.verdict, RESTART_NO);
    assert_string_equal(d.reason, "killed by SIGTERM; restart policy is never");
}

static void test_a_process_that_never_started_counts_as_failed(void **state)
{
    (void)state;
    restart_history h = {0};
    restart_decision d = restart_decide(&on_failure, &h, 0, 101, -1, 0);
    assert_int_equal(d.verdict, RESTART_AFTER);
    assert_string_equal(d.reason, "could not start; restarting in 0 s");
}

static void test_zero_max_restarts_gives_up_at_once(void **state)
{
    (void)state;
    restart_policy p = on_failure;
    p.max_restarts = 0;
    restart_history h = {0};
    restart_decision d = restart_decide(&p, &h, 100, 101, 2, 0);
    assert_int_equal(d.verdict, RESTART_GIVE_UP);
    assert_string_equal(d.reason, "exit code 2; no restarts allowed (max_restarts = 0)");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_first_restart_is_immediate_when_delay_is_zero),
        cmocka_unit_test(test_delays_grow_and_are_capped),
        cmocka_unit_test(test_delays_double_from_restart_delay),
        cmocka_unit_test(test_crash_loop_gives_up_with_a_reason),
        cmocka_unit_test(test_old_restarts_leave_the_window),
        cmocka_unit_test(test_clean_exit_and_never),
        cmocka_unit_test(test_a_process_that_never_started_counts_as_failed),
        cmocka_unit_test(test_zero_max_restarts_gives_up_at_once),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
