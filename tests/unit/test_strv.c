/* Unit tests: string vectors and the string map. */
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
#include "base/strmap.h"
#include "base/strv.h"

static void test_strv_push_copy_equal(void **state)
{
    (void)state;
    char **v = NULL;
    assert_int_equal(strv_len(v), 0);
    assert_int_equal(strv_push(&v, "a"), 0);
    assert_int_equal(strv_push(&v, "b"), 0);
    assert_int_equal(strv_len(v), 2);
    assert_null(v[2]);
    assert_true(strv_contains(v, "b"));
    assert_false(strv_contains(v, "c"));
    char **c = strv_copy(v);
    assert_true(strv_equal(v, c));
    strv_push(&c, "c");
    assert_false(strv_equal(v, c));
    strv_free(v);
    strv_free(c);
}

static void test_strv_copy_of_null_is_empty_list(void **state)
{
    (void)state;
    char **c = strv_copy(NULL);
    assert_non_null(c);
    assert_null(c[0]);
    assert_true(strv_equal(c, NULL));
    strv_free(c);
}

static void test_strmap_thousands_of_names(void **state)
{
    (void)state;
    enum { N = 5000 };
    char *names[N];
    strmap m = {0};
    for (uintptr_t i = 0; i < N; i++) {
        assert_true(asprintf(&names[i], "svc%lu", (unsigned long)i) > 0);
        assert_int_equal(strmap_put(&m, names[i], (void *)(i + 1), NULL), 0);
    }
    assert_int_equal(m.len, N);
    for (uintptr_t i = 0; i < N; i++) assert_ptr_equal(strmap_get(&m, names[i]), (void *)(i + 1));
    assert_null(strmap_get(&m, "svc5000"));
    void *previous = NULL;
    assert_int_equal(strmap_put(&m, names[7], (void *)99, &previous), 0);
    assert_ptr_equal(previous, (void *)8);
    assert_int_equal(m.len, N);
    strmap_free(&m);
    for (int i = 0; i < N; i++) free(names[i]);
}

/* Removal in every order keeps every other name findable (entries after a
 * hole move back, so a probe never stops early). */
static void test_strmap_remove_keeps_the_rest(void **state)
{
    (void)state;
    enum { N = 3000 };
    char *names[N];
    strmap m = {0};
    for (uintptr_t i = 0; i < N; i++) {
        assert_true(asprintf(&names[i], "job-%lu", (unsigned long)i) > 0);
        assert_int_equal(strmap_put(&m, names[i], (void *)(i + 1), NULL), 0);
    }
    for (uintptr_t i = 0; i < N; i += 3) assert_ptr_equal(strmap_remove(&m, names[i]), (void *)(i + 1));
    assert_null(strmap_remove(&m, names[0]));
    assert_null(strmap_remove(&m, "job-none"));
    assert_int_equal(m.len, N - (N + 2) / 3);
    for (uintptr_t i = 0; i < N; i++)
        assert_ptr_equal(strmap_get(&m, names[i]), i % 3 == 0 ? NULL : (void *)(i + 1));
    for (uintptr_t i = N; i-- > 0;)
        if (i % 3) assert_ptr_equal(strmap_remove(&m, names[i]), (void *)(i + 1));
    assert_int_equal(m.len, 0);
    for (uintptr_t i = 0; i < N; i++) assert_null(strmap_get(&m, names[i]));
    assert_int_equal(strmap_put(&m, names[5], (void *)5, NULL), 0);
    assert_ptr_equal(strmap_get(&m, names[5]), (void *)5);
    strmap_free(&m);
    for (int i = 0; i < N; i++) free(names[i]);
}

static void test_buf_printf_grows(void **state)
{
    (void)state;
    buf b = {0};
    for (int i = 0; i < 1000; i++) buf_printf(&b, "%d,", i);
    assert_false(b.failed);
    assert_int_equal(b.len, strlen(b.data));
    char *s = buf_steal(&b);
    assert_string_equal(s + strlen(s) - 4, "999,");
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_strv_push_copy_equal),
        cmocka_unit_test(test_strv_copy_of_null_is_empty_list),
        cmocka_unit_test(test_strmap_thousands_of_names),
        cmocka_unit_test(test_strmap_remove_keeps_the_rest),
        cmocka_unit_test(test_buf_printf_grows),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
