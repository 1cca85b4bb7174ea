/* Unit tests: the integer map (base/idmap.c) the supervisor finds a job
 * by its main process's pid in. */
/* cmocka needs these before it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include "base/idmap.h"

static void test_put_get_replace_remove(void **state)
{
    (void)state;
    idmap m = {0};
    int a, b;
    assert_null(idmap_get(&m, 7));
    assert_null(idmap_remove(&m, 7));
    assert_int_equal(idmap_put(&m, 7, &a), 0);
    assert_ptr_equal(idmap_get(&m, 7), &a);
    assert_int_equal(idmap_put(&m, 7, &b), 0); /* replaced, not added */
    assert_int_equal(m.len, 1);
    assert_ptr_equal(idmap_remove(&m, 7), &b);
    assert_null(idmap_get(&m, 7));
    assert_int_equal(m.len, 0);
    assert_int_equal(idmap_put(&m, 0, &a), -EINVAL);
    assert_int_equal(idmap_put(&m, -3, &a), -EINVAL);
    assert_int_equal(idmap_put(&m, 3, NULL), -EINVAL);
    idmap_free(&m);
}

/* Thousands of keys put and removed in a shuffled order: every lookup
 * agrees with a plain array (removal's backward shift keeps each probe
 * chain whole). */
static void test_agrees_with_an_array_under_churn(void **state)
{
    (void)state;
    enum { N = 5000 };
    static int values[N];
    static bool in[N];
    idmap m = {0};
    srand(15);
    for (int round = 0; round < 40000; round++) {
        int k = 1 + rand() % (N - 1);
        if (rand() % 3) {
            assert_int_equal(idmap_put(&m, k, &values[k]), 0);
            in[k] = true;
        } else {
            assert_ptr_equal(idmap_remove(&m, k), in[k] ? &values[k] : NULL);
            in[k] = false;
        }
        if (round % 997 == 0) {
            size_t count = 0;
            for (int i = 1; i < N; i++) {
                assert_ptr_equal(idmap_get(&m, i), in[i] ? &values[i] : NULL);
                count += in[i];
            }
            assert_int_equal(m.len, count);
        }
    }
    idmap_free(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_put_get_replace_remove),
        cmocka_unit_test(test_agrees_with_an_array_under_churn),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
