/* Unit tests: a run's jobs as a workflow — requires vs after, blocking, run status. */
/* cmocka needs these before it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "model/workflow.h"

/* build (oneshot) <-requires- server (process) <-after- warmup (oneshot) */
static const size_t needs_build[] = {0};
static const size_t after_server[] = {1};

static void three(wf_job *jobs, job_phase build, job_phase server, bool server_ready)
{
    jobs[0] = (wf_job){.phase = build, .oneshot = true};
    jobs[1] =
        (wf_job){.phase = server, .ready = server_ready, .requires = needs_build, .n_requires = 1};
    jobs[2] = (wf_job){.phase = JOB_PENDING, .oneshot = true, .after = after_server, .n_after = 1};
}

static void test_requires_waits_for_a_oneshot_to_succeed(void **state)
{
    (void)state;
    wf_job jobs[3];
    size_t culprit = 99;
    three(jobs, JOB_RUNNING, JOB_PENDING, false);
    assert_int_equal(workflow_readiness(jobs, 0, NULL), WF_READY);
    assert_int_equal(workflow_readiness(jobs, 1, &culprit), WF_WAIT);
    assert_int_equal(culprit, 0);
    three(jobs, JOB_SUCCEEDED, JOB_PENDING, false);
    assert_int_equal(workflow_readiness(jobs, 1, NULL), WF_READY);
}

static void test_requires_blocks_when_the_dependency_fails(void **state)
{
    (void)state;
    wf_job jobs[3];
    size_t culprit = 99;
    three(jobs, JOB_FAILED, JOB_PENDING, false);
    assert_int_equal(workflow_readiness(jobs, 1, &culprit), WF_BLOCKED);
    assert_int_equal(culprit, 0);
}

static void test_after_only_orders(void **state)
{
    (void)state;
    wf_job jobs[3];
    three(jobs, JOB_SUCCEEDED, JOB_STARTING, false);
    assert_int_equal(workflow_readiness(jobs, 2, NULL), WF_WAIT);
    three(jobs, JOB_SUCCEEDED, JOB_RUNNING, false);
    assert_int_equal(workflow_readiness(jobs, 2, NULL), WF_READY);
    three(jobs, JOB_SUCCEEDED, JOB_FAILED, false);
    assert_int_equal(workflow_readiness(jobs, 2, NULL), WF_READY); /* whatever the outcome */
}

static void test_requires_a_ready_process(void **state)
{
    (void)state;
    static const size_t needs_server[] = {1};
    wf_job jobs[3];
    three(jobs, JOB_SUCCEEDED, JOB_RUNNING, false);
    jobs[2].requires = needs_server, jobs[2].n_requires = 1, jobs[2].n_after = 0;
    assert_int_equal(workflow_readiness(jobs, 2, NULL), WF_WAIT);
    jobs[1].ready = true;
    assert_int_equal(workflow_readiness(jobs, 2, NULL), WF_READY);
    jobs[1].phase = JOB_SUCCEEDED; /* a process that exited is no longer there */
    assert_int_equal(workflow_readiness(jobs, 2, NULL), WF_BLOCKED);
}

static void test_run_status(void **state)
{
    (void)state;
    wf_job jobs[3];
    three(jobs, JOB_SUCCEEDED, JOB_RUNNING, true);
    jobs[2].phase = JOB_SUCCEEDED;
    assert_int_equal(workflow_run_status(jobs, 3), RUN_RUNNING);
    jobs[1].ready = false;
    assert_int_equal(workflow_run_status(jobs, 3), RUN_STARTING);
    three(jobs, JOB_SUCCEEDED, JOB_FAILED, false);
    jobs[2].phase = JOB_CANCELLED;
    assert_int_equal(workflow_run_status(jobs, 3), RUN_ERROR);
    three(jobs, JOB_SUCCEEDED, JOB_CANCELLED, false);
    jobs[2].phase = JOB_SUCCEEDED;
    assert_int_equal(workflow_run_status(jobs, 3), RUN_STOPPED);
    three(jobs, JOB_SUCCEEDED, JOB_SUCCEEDED, false);
    jobs[2].phase = JOB_SUCCEEDED;
    assert_int_equal(workflow_run_status(jobs, 3), RUN_OK);
    assert_int_equal(workflow_run_status(jobs, 0), RUN_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_requires_waits_for_a_oneshot_to_succeed),
        cmocka_unit_test(test_requires_blocks_when_the_dependency_fails),
        cmocka_unit_test(test_after_only_orders),
        cmocka_unit_test(test_requires_a_ready_process),
        cmocka_unit_test(test_run_status),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
