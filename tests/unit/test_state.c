/* Unit tests: a service's actual state derived from its jobs. */
/* cmocka needs these before it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "model/state.h"

static service_state state_of(job_phase a, job_phase b, bool process_succeeded)
{
    job_tally t = {.process_succeeded = process_succeeded};
    t.phase[a]++;
    t.phase[b]++;
    return service_actual_state(&t);
}

static void test_no_jobs_is_inactive_whatever_is_wanted(void **state)
{
    (void)state;
    job_tally t = {0};
    assert_int_equal(service_actual_state(&t), SERVICE_INACTIVE);
}

static void test_activity_wins_over_history(void **state)
{
    (void)state;
    assert_int_equal(state_of(JOB_STOPPING, JOB_RUNNING, false), SERVICE_STOPPING);
    assert_int_equal(state_of(JOB_PENDING, JOB_RUNNING, false), SERVICE_STARTING);
    assert_int_equal(state_of(JOB_SUCCEEDED, JOB_STARTING, false), SERVICE_STARTING);
    assert_int_equal(state_of(JOB_SUCCEEDED, JOB_RUNNING, false), SERVICE_RUNNING);
    assert_int_equal(state_of(JOB_FAILED, JOB_RUNNING, false), SERVICE_RUNNING);
}

static void test_terminal_outcomes(void **state)
{
    (void)state;
    assert_int_equal(state_of(JOB_SUCCEEDED, JOB_FAILED, false), SERVICE_FAILED);
    assert_int_equal(state_of(JOB_LOST, JOB_SUCCEEDED, false), SERVICE_FAILED);
    assert_int_equal(state_of(JOB_CANCELLED, JOB_SUCCEEDED, false), SERVICE_INACTIVE);
    assert_int_equal(state_of(JOB_SUCCEEDED, JOB_SUCCEEDED, false), SERVICE_SUCCESS);
    assert_int_equal(state_of(JOB_SUCCEEDED, JOB_SUCCEEDED, true), SERVICE_EXITED);
}

static void test_names_round_trip(void **state)
{
    (void)state;
    for (int p = 0; p < JOB_PHASE_COUNT; p++)
        assert_int_equal(job_phase_from_name(job_phase_name((job_phase)p)), p);
    assert_int_equal(job_phase_from_name("sleeping"), -1);
    assert_string_equal(service_state_name(SERVICE_EXITED), "exited");
    assert_string_equal(run_status_name(RUN_STOPPED), "stopped");
    assert_int_equal(wanted_status_from_name("ignore"), WANTED_IGNORE);
    assert_true(job_phase_is_terminal(JOB_LOST));
    assert_false(job_phase_is_terminal(JOB_STOPPING));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_jobs_is_inactive_whatever_is_wanted),
        cmocka_unit_test(test_activity_wins_over_history),
        cmocka_unit_test(test_terminal_outcomes),
        cmocka_unit_test(test_names_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
