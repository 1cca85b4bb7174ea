/* Unit tests: job_command, the commands an adapter runs beside a job, on
 * a libuv loop of the test's with real processes: the exit status and the
 * last line come once, output reaches a watch as it comes, a cancel at
 * any moment (before the spawn answered, while it runs) calls nothing and
 * frees everything (ASan says so), a program that is not there says why. */
/* cmocka needs these before it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/strv.h"
#include "daemon/job_command.h"
#include "daemon/process/process.h"

extern char **environ;

typedef struct {
    int done_calls;
    int exit_code, term_signal;
    char words[256];
    char output[4096];
    size_t output_len;
} seen;

static void on_output(void *ctx, const char *data, size_t len)
{
    seen *s = ctx;
    size_t room = sizeof(s->output) - 1 - s->output_len;
    if (len > room) len = room;
    memcpy(s->output + s->output_len, data, len);
    s->output_len += len;
    s->output[s->output_len] = '\0';
}

static void on_done(void *ctx, int exit_code, int term_signal, const char *words)
{
    seen *s = ctx;
    s->done_calls++;
    s->exit_code = exit_code;
    s->term_signal = term_signal;
    snprintf(s->words, sizeof(s->words), "%s", words);
}

static char state_dir[] = "/tmp/tend-test-job-command-XXXXXX";
static uv_loop_t loop;

static job_command *run_sh(const char *script, seen *s, bool watch)
{
    char *argv[] = {"/bin/sh", "-c", (char *)script, NULL};
    memset(s, 0, sizeof(*s));
    return job_command_run(&loop, "job-1-test", strv_copy(argv), strv_copy(environ),
                           watch ? on_output : NULL, on_done, s);
}

static void tick(uv_timer_t *t)
{
    (void)t;
}

/* Runs the loop until done was called (a timer wakes it; 10 s at most). */
static void run_until_done(seen *s)
{
    uv_timer_t timer;
    uv_timer_init(&loop, &timer);
    uv_timer_start(&timer, tick, 10, 10);
    for (int i = 0; i < 1000 && !s->done_calls; i++) uv_run(&loop, UV_RUN_ONCE);
    uv_close((uv_handle_t *)&timer, NULL);
    uv_run(&loop, UV_RUN_NOWAIT);
}

/* What is left on the loop (closing handles, a cancelled command's
 * processes) finishes, for ASan to see nothing leaked. */
static void drain(void)
{
    uv_timer_t timer;
    uv_timer_init(&loop, &timer);
    uv_timer_start(&timer, tick, 10, 10);
    for (int i = 0; i < 50; i++) uv_run(&loop, UV_RUN_ONCE);
    uv_close((uv_handle_t *)&timer, NULL);
    uv_run(&loop, UV_RUN_NOWAIT);
}

static void test_the_end_and_the_last_line_come_once(void **state)
{
    (void)state;
    seen s;
    assert_non_null(run_sh("echo first; echo 'the last words' >&2; exit 3", &s, false));
    run_until_done(&s);
    drain();
    assert_int_equal(s.done_calls, 1);
    assert_int_equal(s.exit_code, 3);
    assert_int_equal(s.term_signal, 0);
    assert_string_equal(s.words, "the last words");
}

static void test_a_partial_last_line_counts(void **state)
{
    (void)state;
    seen s;
    assert_non_null(run_sh("printf 'line\\nno newline'", &s, false));
    run_until_done(&s);
    assert_int_equal(s.exit_code, 0);
    assert_string_equal(s.words, "no newline");
}

static void test_a_watch_gets_stdout_as_it_comes(void **state)
{
    (void)state;
    seen s;
    assert_non_null(run_sh("echo one; echo two; echo err >&2", &s, true));
    run_until_done(&s);
    assert_string_equal(s.output, "one\ntwo\n");
    assert_string_equal(s.words, "err"); /* stderr still says why */
}

static void test_a_missing_program_says_why(void **state)
{
    (void)state;
    seen s;
    memset(&s, 0, sizeof(s));
    char *argv[] = {"/nonexistent/tend-test-program", NULL};
    assert_non_null(job_command_run(&loop, "job-1-test", strv_copy(argv), strv_copy(environ), NULL,
                                    on_done, &s));
    run_until_done(&s);
    drain();
    assert_int_equal(s.done_calls, 1);
    assert_int_not_equal(s.exit_code, 0);
    assert_non_null(strstr(s.words, "tend-test-program"));
}

static void test_a_cancel_at_once_calls_nothing(void **state)
{
    (void)state;
    seen s;
    job_command *c = run_sh("sleep 30", &s, false);
    assert_non_null(c);
    job_command_cancel(c); /* before the spawn answered */
    drain();
    assert_int_equal(s.done_calls, 0);
}

static void test_a_cancel_while_it_runs_kills_it(void **state)
{
    (void)state;
    seen s;
    job_command *c = run_sh("echo started; exec sleep 30", &s, true);
    assert_non_null(c);
    for (int i = 0; i < 1000 && !s.output_len; i++) uv_run(&loop, UV_RUN_ONCE);
    assert_string_equal(s.output, "started\n");
    job_command_cancel(c);
    drain();
    assert_int_equal(s.done_calls, 0);
}

int main(void)
{
    assert_non_null(mkdtemp(state_dir));
    uv_loop_init(&loop);
    if (process_layer_init(&loop, state_dir, true) < 0) return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_the_end_and_the_last_line_come_once),
        cmocka_unit_test(test_a_partial_last_line_counts),
        cmocka_unit_test(test_a_watch_gets_stdout_as_it_comes),
        cmocka_unit_test(test_a_missing_program_says_why),
        cmocka_unit_test(test_a_cancel_at_once_calls_nothing),
        cmocka_unit_test(test_a_cancel_while_it_runs_kills_it),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    process_layer_close();
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    rmdir(state_dir);
    return failed;
}
