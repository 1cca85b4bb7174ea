/* Unit tests: env files in systemd's EnvironmentFile= syntax — comments,
 * quotes, escapes, continued lines, later keys winning, and errors that
 * name the line without repeating its text. */
/* cmocka needs these before it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "base/strv.h"
#include "config/envfile.h"

static char **parse_ok(const char *text)
{
    char **env = NULL;
    int line = 0;
    const char *problem = NULL;
    int rc = envfile_parse(text, strlen(text), &env, &line, &problem);
    if (rc != 0) print_error("line %d: %s\n", line, problem ? problem : "?");
    assert_int_equal(rc, 0);
    return env;
}

/* The line of the error, and that it is one. */
static int parse_bad(const char *text)
{
    char **env = NULL;
    int line = 0;
    const char *problem = NULL;
    assert_int_equal(envfile_parse(text, strlen(text), &env, &line, &problem), -EINVAL);
    assert_non_null(problem);
    strv_free_wiped(env);
    return line;
}

static void test_plain_lines_comments_and_blanks(void **state)
{
    (void)state;
    char **env = parse_ok("# a comment\n"
                          "\n"
                          "A=1\n"
                          "  ; another comment\n"
                          "   B = two words  \n"
                          "C=\n"
                          "D=x=y\n");
    assert_int_equal(strv_len(env), 4);
    assert_string_equal(env[0], "A=1");
    assert_string_equal(env[1], "B=two words");
    assert_string_equal(env[2], "C=");
    assert_string_equal(env[3], "D=x=y");
    strv_free_wiped(env);
}

static void test_quotes_and_escapes_as_systemd_reads_them(void **state)
{
    (void)state;
    char **env = parse_ok("S='a \"b\" \\n $c '\n"
                          "D=\"q\\\"x\\\\y\\$z\\`w\\n\"\n"
                          "J=\"a\"'b'c\n"
                          "U=a\\ b\\\\c\n"
                          "M=\"line1\nline2\"\n"
                          "T=\"keep  \"   \n");
    assert_int_equal(strv_len(env), 6);
    assert_string_equal(env[0], "S=a \"b\" \\n $c ");
    assert_string_equal(env[1], "D=q\"x\\y$z`w\\n");
    assert_string_equal(env[2], "J=abc");
    assert_string_equal(env[3], "U=a b\\c");
    assert_string_equal(env[4], "M=line1\nline2");
    assert_string_equal(env[5], "T=keep  ");
    strv_free_wiped(env);
}

static void test_trailing_backslash_continues_the_line(void **state)
{
    (void)state;
    char **env = parse_ok("LONG=first \\\nsecond\nNEXT=\"in quotes \\\ngoes on\"\nLAST=1");
    assert_int_equal(strv_len(env), 3);
    assert_string_equal(env[0], "LONG=first second");
    assert_string_equal(env[1], "NEXT=in quotes goes on");
    assert_string_equal(env[2], "LAST=1");
    strv_free_wiped(env);
}

static void test_later_key_wins_also_across_files(void **state)
{
    (void)state;
    char **env = parse_ok("A=1\nB=2\nA=3\n");
    assert_int_equal(strv_len(env), 2);
    assert_string_equal(env[0], "A=3");
    int line = 0;
    const char *problem = NULL;
    const char second[] = "B=from the second file\r\nC=new\r\n";
    assert_int_equal(envfile_parse(second, strlen(second), &env, &line, &problem), 0);
    assert_int_equal(strv_len(env), 3);
    assert_string_equal(env[1], "B=from the second file");
    assert_string_equal(env[2], "C=new");
    strv_free_wiped(env);
}

static void test_malformed_lines_name_their_line(void **state)
{
    (void)state;
    assert_int_equal(parse_bad("A=1\n\nno equals sign here\n"), 3);
    assert_int_equal(parse_bad("A=1\n2BAD=x\n"), 2);
    assert_int_equal(parse_bad("A=1\nSPACE IN KEY=x\n"), 2);
    assert_int_equal(parse_bad("=value\n"), 1);
    assert_int_equal(parse_bad("A=1\nB=\"never closed\nC=2\n"), 2);
    assert_int_equal(parse_bad("A=1\nB='never closed"), 2);
    assert_int_equal(parse_bad("A=1\nLAST"), 2);
    char nul[] = "A=1\nB=x\0y\n";
    char **env = NULL;
    int line = 0;
    const char *problem = NULL;
    assert_int_equal(envfile_parse(nul, sizeof(nul) - 1, &env, &line, &problem), -EINVAL);
    assert_int_equal(line, 2);
    strv_free_wiped(env);
}

static void test_problem_never_repeats_the_text(void **state)
{
    (void)state;
    const char text[] = "TOKEN\"s3cr3t-value\n";
    char **env = NULL;
    int line = 0;
    const char *problem = NULL;
    assert_int_equal(envfile_parse(text, strlen(text), &env, &line, &problem), -EINVAL);
    assert_null(strstr(problem, "s3cr3t"));
    assert_null(env);
}

static void test_empty_and_comment_only_files_set_nothing(void **state)
{
    (void)state;
    char **env = parse_ok("");
    assert_null(env);
    env = parse_ok("# only a comment \\\n continued comment\n\n");
    assert_null(env);
}

/* The example of docs/registry.md ("Env files"), read from the doc itself. */
static void test_the_documented_example_reads_as_documented(void **state)
{
    (void)state;
    FILE *f = fopen("docs/registry.md", "r");
    assert_non_null(f);
    char line[512], text[4096] = "";
    bool in_section = false, in_block = false;
    while (fgets(line, sizeof(line), f)) {
        if (strncmp(line, "## ", 3) == 0) in_section = strcmp(line, "## Env files\n") == 0;
        if (!in_section) continue;
        if (strncmp(line, "```", 3) == 0) {
            if (in_block) break;
            in_block = true;
            continue;
        }
        if (in_block) strncat(text, line, sizeof(text) - strlen(text) - 1);
    }
    fclose(f);
    char **env = parse_ok(text);
    assert_int_equal(strv_len(env), 5);
    assert_string_equal(env[0], "DATABASE_URL=postgres://app@127.0.0.1/app");
    assert_string_equal(env[1], "API_TOKEN=s3cr3t with spaces");
    assert_string_equal(env[2], "GREETING=single quotes: taken as they are, $HOME and \\ too");
    assert_string_equal(env[3], "ESCAPED=double quotes: \" \\ $ ` stand for the character");
    assert_string_equal(env[4], "LONG=a value that goes on on the next line");
    strv_free_wiped(env);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_lines_comments_and_blanks),
        cmocka_unit_test(test_quotes_and_escapes_as_systemd_reads_them),
        cmocka_unit_test(test_trailing_backslash_continues_the_line),
        cmocka_unit_test(test_later_key_wins_also_across_files),
        cmocka_unit_test(test_malformed_lines_name_their_line),
        cmocka_unit_test(test_problem_never_repeats_the_text),
        cmocka_unit_test(test_empty_and_comment_only_files_set_nothing),
        cmocka_unit_test(test_the_documented_example_reads_as_documented),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
