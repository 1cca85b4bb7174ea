/* Unit tests: deadlines of one length on one timer, on a real libuv loop. */
/* cmocka needs these before it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <uv.h>

#include "api/deadline.h"

typedef struct {
    deadline d;
    int order; /* when it expired: 1, 2, ... (0: never) */
} item;

static int expired_so_far;

static void on_expired(deadline_queue *q, deadline *d)
{
    (void)q;
    assert_false(d->armed);
    ((item *)d)->order = ++expired_so_far;
}

static void test_deadlines_expire_in_order_and_disarmed_ones_never(void **state)
{
    (void)state;
    uv_loop_t loop;
    uv_loop_init(&loop);
    deadline_queue q;
    deadline_queue_init(&loop, &q, 20, on_expired, NULL);
    item a = {0}, b = {0}, c = {0}, d = {0};
    expired_so_far = 0;
    deadline_arm(&q, &a.d);
    deadline_arm(&q, &b.d);
    deadline_arm(&q, &c.d);
    deadline_arm(&q, &d.d);
    deadline_disarm(&q, &b.d);     /* from the middle */
    deadline_arm(&q, &a.d);        /* the head re-armed goes last */
    deadline_disarm(&q, &b.d);     /* twice: nothing happens */
    uv_run(&loop, UV_RUN_DEFAULT); /* returns once nothing is armed */
    assert_int_equal(c.order, 1);
    assert_int_equal(d.order, 2);
    assert_int_equal(a.order, 3);
    assert_int_equal(b.order, 0);
    assert_null(q.head);
    deadline_queue_close(&q, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_deadlines_expire_in_order_and_disarmed_ones_never),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
