/* Unit tests: splitting command strings without a shell. */
/* cmocka needs these before it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>

#include "base/strv.h"
#include "config/words.h"

static char **split_ok(const char *s)
{
    char **argv = NULL;
    const char *problem = NULL;
    assert_int_equal(split_words(s, &argv, &problem), 0);
    return argv;
}

static void test_splits_on_blanks(void **state)
{
    (void)state;
    char **v = split_ok("  systemctl   is-active\tmyservice ");
    assert_int_equal(strv_len(v), 3);
    assert_string_equal(v[0], "systemctl");
    assert_string_equal(v[2], "myservice");
    strv_free(v);
}

static void test_quotes_keep_text_and_expand_nothing(void **state)
{
    (void)state;
    char **v = split_ok("sh -c 'echo $HOME; ls *' \"a \\\"b\\\" $x\" it\\'s ''");
    assert_int_equal(strv_len(v), 6);
    assert_string_equal(v[2], "echo $HOME; ls *");
    assert_string_equal(v[3], "a \"b\" $x");
    assert_string_equal(v[4], "it's");
    assert_string_equal(v[5], "");
    strv_free(v);
}

static void test_unclosed_quote_is_an_error(void **state)
{
    (void)state;
    char **v = NULL;
    const char *problem = NULL;
    assert_int_equal(split_words("echo 'oops", &v, &problem), -EINVAL);
    assert_non_null(problem);
    assert_int_equal(split_words("echo \"oops", &v, &problem), -EINVAL);
    assert_int_equal(split_words("echo \\", &v, &problem), -EINVAL);
}

static void test_empty_string_gives_empty_argv(void **state)
{
    (void)state;
    char **v = split_ok("   ");
    assert_non_null(v);
    assert_null(v[0]);
    strv_free(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_splits_on_blanks),
        cmocka_unit_test(test_quotes_keep_text_and_expand_nothing),
        cmocka_unit_test(test_unclosed_quote_is_an_error),
        cmocka_unit_test(test_empty_string_gives_empty_argv),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
