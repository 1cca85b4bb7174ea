/* Unit tests: the last lines of a service's logs (daemon/logs.c) merged
 * from the log files of several jobs, on a real store and real files. */
/* cmocka needs these before it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/logs.h"
#include "store/store.h"

#define STAMP "2026-12-01T20:00:00.123Z"

/* A job of web whose log file holds lines first..last ("line N"), all
 * stamped in the same millisecond. */
static int64_t job_with_lines(store *st, const char *dir, int attempt, int first, int last)
{
    char path[128];
    snprintf(path, sizeof(path), "%s/%d.log", dir, attempt);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    for (int i = first; i <= last; i++) fprintf(f, STAMP " out line %d\n", i);
    fclose(f);
    store_job j = {.service_id = "web",
                   .action_id = "web",
                   .phase = "failed",
                   .attempt = attempt,
                   .created_at = 1.0,
                   .log_path = path};
    assert_int_equal(store_job_create(st, &j), 0);
    return j.id;
}

/* Restarts quicker than the clock's millisecond: the last lines are the
 * newest job's, in their order, whatever order the merge's sort leaves
 * equal stamps in. */
static void test_lines_of_one_millisecond_keep_job_and_file_order(void **state)
{
    (void)state;
    char dir[] = "/tmp/tend-test-tail-XXXXXX", db[64], err[256];
    assert_non_null(mkdtemp(dir));
    snprintf(db, sizeof(db), "%s/tend.db", dir);
    store *st = NULL;
    assert_int_equal(store_open(db, &st, err, sizeof(err)), 0);
    assert_int_equal(store_service_put(st, "web", "{}", 1.0), 0);
    int64_t newest = 0;
    for (int attempt = 1; attempt <= 12; attempt++)
        newest = job_with_lines(st, dir, attempt, 0, 40);
    json_t *got = logs_tail_lines(st, "web", 0, 3);
    json_t *lines = json_object_get(got, "lines");
    assert_int_equal(json_array_size(lines), 3);
    for (size_t i = 0; i < 3; i++) {
        json_t *line = json_array_get(lines, i);
        char want[16];
        snprintf(want, sizeof(want), "line %zu", 38 + i);
        assert_string_equal(json_string_value(json_object_get(line, "text")), want);
        assert_int_equal(json_integer_value(json_object_get(line, "job")), newest);
    }
    json_decref(got);
    store_close(st);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf -- '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lines_of_one_millisecond_keep_job_and_file_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
