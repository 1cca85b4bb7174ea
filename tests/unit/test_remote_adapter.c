/* Unit tests: the remote adapter's parts — an endpoint taken apart, and
 * another tend's events read into up, down and failed (adapter_report is
 * this file's own, which records what it was told). */
/* cmocka needs these before it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "base/clock.h"
#include "daemon/adapters/modes.h"
#include "daemon/adapters/remote_endpoint.h"

static struct {
    int count;
    adapter_verdict verdict;
    char words[400];
} told;

void adapter_report(adapter_ear *ear, adapter_verdict verdict, const char *words)
{
    (void)ear;
    told.count++;
    told.verdict = verdict;
    snprintf(told.words, sizeof(told.words), "%s", words ? words : "");
}

static void test_a_tend_endpoint_names_its_api_and_service(void **unused)
{
    (void)unused;
    remote_endpoint ep;
    assert_int_equal(remote_endpoint_parse("tend+https://10.1.2.3:9443/web", &ep), 0);
    assert_true(ep.tend);
    assert_string_equal(ep.host, "10.1.2.3");
    assert_string_equal(ep.api, "https://10.1.2.3:9443");
    assert_string_equal(ep.service, "web");
    assert_int_equal(remote_endpoint_parse("tend+https://[::1]:9443/db", &ep), 0);
    assert_string_equal(ep.host, "::1");
    assert_string_equal(ep.api, "https://[::1]:9443");
    assert_int_equal(remote_endpoint_parse("https://api.example.org/health?x=1", &ep), 0);
    assert_false(ep.tend);
    assert_string_equal(ep.host, "api.example.org");

    assert_int_equal(remote_endpoint_parse("tend+https://10.1.2.3:9443", &ep), -1);
    assert_int_equal(remote_endpoint_parse("tend+https://10.1.2.3:9443/a/b", &ep), -1);
    assert_int_equal(remote_endpoint_parse("https://user@host/", &ep), -1);
    assert_int_equal(remote_endpoint_parse("no-scheme", &ep), -1);
}

static void feed(void **state, const char *text)
{
    remote_watch_read(state, text, strlen(text), NULL);
}

static void test_old_events_bring_the_state_up_to_date_and_never_fail(void **unused)
{
    (void)unused;
    void *state = NULL;
    memset(&told, 0, sizeof(told));
    /* Written before the watch began: an old run's end, then a new run. */
    feed(&state, "{\"at\": 1.0, \"kind\": \"run.status\", \"data\": {\"status\": \"stopped\"}}\n");
    assert_int_equal(told.verdict, ADAPTER_DOWN);
    feed(&state, "{\"at\": 2.0, \"kind\": \"run.created\", \"data\": null}\n"
                 "{\"at\": 3.0, \"kind\": \"run.status\", \"data\": {\"status\": \"run");
    assert_int_equal(told.count, 2); /* the half line waits for its end */
    feed(&state, "ning\"}}\n");
    assert_int_equal(told.count, 3);
    assert_int_equal(told.verdict, ADAPTER_UP);
    remote_watch_free(state);
}

static void test_a_run_that_ends_now_fails_in_words(void **unused)
{
    (void)unused;
    void *state = NULL;
    memset(&told, 0, sizeof(told));
    char line[256];
    double now = wall_now() + 5;
    feed(&state, "\n"); /* the watch begins */
    snprintf(line, sizeof(line),
             "{\"at\": %f, \"kind\": \"job.phase\", \"data\": {\"to\": \"failed\", \"reason\": "
             "\"exit code 3\"}}\n",
             now);
    feed(&state, line);
    assert_int_equal(told.verdict, ADAPTER_DOWN);
    snprintf(line, sizeof(line),
             "{\"at\": %f, \"kind\": \"run.status\", \"data\": {\"status\": \"error\"}}\n", now);
    feed(&state, line);
    assert_int_equal(told.verdict, ADAPTER_FAILED);
    assert_string_equal(told.words, "failed on the remote tend: exit code 3");
    /* What is not an event is passed over. */
    int count = told.count;
    feed(&state, "not json\n{\"kind\": \"service.wanted\"}\n");
    assert_int_equal(told.count, count);
    remote_watch_free(state);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_tend_endpoint_names_its_api_and_service),
        cmocka_unit_test(test_old_events_bring_the_state_up_to_date_and_never_fail),
        cmocka_unit_test(test_a_run_that_ends_now_fails_in_words),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
