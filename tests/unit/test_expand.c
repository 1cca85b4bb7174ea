/* Unit tests: ${VAR} expansion. */
/* cmocka needs these before it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "config/expand.h"

static const char *fake_env(const char *name, void *ctx)
{
    (void)ctx;
    if (strcmp(name, "HOME") == 0) return "/home/ann";
    if (strcmp(name, "EMPTY") == 0) return "";
    return NULL;
}

static char *expand_ok(const char *in)
{
    char *out = NULL, *problem = NULL;
    assert_int_equal(expand_vars(in, strlen(in), fake_env, NULL, &out, &problem), EXPAND_OK);
    assert_null(problem);
    return out;
}

static void test_expands_set_variables(void **state)
{
    (void)state;
    char *s = expand_ok("${HOME}/.provisioning/bin/x");
    assert_string_equal(s, "/home/ann/.provisioning/bin/x");
    free(s);
    s = expand_ok("a${EMPTY}b${HOME}");
    assert_string_equal(s, "ab/home/ann");
    free(s);
}

static void test_keeps_other_dollars_and_escapes(void **state)
{
    (void)state;
    char *s = expand_ok("cost $5, $HOME, $${HOME}, $");
    assert_string_equal(s, "cost $5, $HOME, ${HOME}, $");
    free(s);
}

static void test_unset_variable_is_an_error_naming_it(void **state)
{
    (void)state;
    char *out = NULL, *problem = NULL;
    const char *in = "${HOME}/${NOPE}";
    assert_int_equal(expand_vars(in, strlen(in), fake_env, NULL, &out, &problem), EXPAND_UNSET);
    assert_null(out);
    assert_string_equal(problem, "NOPE");
    free(problem);
}

static void test_unterminated_and_bad_names(void **state)
{
    (void)state;
    char *out = NULL, *problem = NULL;
    assert_int_equal(expand_vars("x${HOME", 7, fake_env, NULL, &out, &problem),
                     EXPAND_UNTERMINATED);
    assert_string_equal(problem, "${HOME");
    free(problem);
    assert_int_equal(expand_vars("${}", 3, fake_env, NULL, &out, &problem), EXPAND_BAD_NAME);
    free(problem);
    assert_int_equal(expand_vars("${A B}", 6, fake_env, NULL, &out, &problem), EXPAND_BAD_NAME);
    assert_string_equal(problem, "A B");
    free(problem);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_expands_set_variables),
        cmocka_unit_test(test_keeps_other_dollars_and_escapes),
        cmocka_unit_test(test_unset_variable_is_an_error_naming_it),
        cmocka_unit_test(test_unterminated_and_bad_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
