/* Unit tests: the kubernetes adapter's reading of a Deployment watch —
 * the verdict on each document (as `kubectl rollout status` decides, plus
 * the failure conditions) and the reader of documents that come one after
 * another, cut anywhere by the pipe, or cut off by a watch that ended. */
/* cmocka needs these before it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/adapters/kubernetes_rollout.h"

/* A Deployment (generation, observedGeneration, spec.replicas, status
 * replicas, updated, available), with conditions (a JSON array) or "[]". */
static json_t *deployment(int gen, int observed, int wanted, int replicas, int updated,
                          int available, const char *conditions)
{
    char text[2048];
    snprintf(text, sizeof(text),
             "{\"apiVersion\": \"apps/v1\", \"kind\": \"Deployment\", \"metadata\": {\"name\": "
             "\"web\", \"generation\": %d}, \"spec\": {\"replicas\": %d}, \"status\": "
             "{\"observedGeneration\": %d, \"replicas\": %d, \"updatedReplicas\": %d, "
             "\"readyReplicas\": %d, \"availableReplicas\": %d, \"conditions\": %s}}",
             gen, wanted, observed, replicas, updated, available, available, conditions);
    json_t *doc = json_loads(text, 0, NULL);
    assert_non_null(doc);
    return doc;
}

static int verdict(json_t *doc, char *words)
{
    int v = kube_rollout_verdict(doc, words, 512);
    json_decref(doc);
    return v;
}

static void test_rollout_steps_as_kubectl_rollout_status(void **state)
{
    (void)state;
    char w[512];
    assert_int_equal(verdict(deployment(2, 1, 3, 1, 1, 1, "[]"), w), ADAPTER_DOWN);
    assert_string_equal(w, "Waiting for deployment spec update to be observed...");
    assert_int_equal(verdict(deployment(2, 2, 3, 3, 1, 1, "[]"), w), ADAPTER_DOWN);
    assert_string_equal(w, "Waiting for deployment \"web\" rollout to finish: 1 out of 3 new "
                           "replicas have been updated...");
    assert_int_equal(verdict(deployment(2, 2, 3, 4, 3, 2, "[]"), w), ADAPTER_DOWN);
    assert_string_equal(w, "Waiting for deployment \"web\" rollout to finish: 1 old replicas are "
                           "pending termination...");
    assert_int_equal(verdict(deployment(2, 2, 3, 3, 3, 2, "[]"), w), ADAPTER_DOWN);
    assert_string_equal(w, "Waiting for deployment \"web\" rollout to finish: 2 of 3 updated "
                           "replicas are available...");
    assert_int_equal(verdict(deployment(2, 2, 3, 3, 3, 3, "[]"), w), ADAPTER_UP);
    assert_string_equal(w, "deployment \"web\" successfully rolled out (3/3 available)");
    /* Scaled to 0 (by someone else): complete, but nothing serves. */
    assert_int_equal(verdict(deployment(3, 3, 0, 0, 0, 0, "[]"), w), ADAPTER_DOWN);
}

static void test_failure_conditions_fail_with_their_words(void **state)
{
    (void)state;
    char w[512];
    const char *deadline =
        "[{\"type\": \"Progressing\", \"status\": \"False\", \"reason\": "
        "\"ProgressDeadlineExceeded\", \"message\": \"ReplicaSet \\\"web-5d9c\\\" has timed out "
        "progressing.\"}]";
    assert_int_equal(verdict(deployment(2, 2, 3, 3, 1, 1, deadline), w), ADAPTER_FAILED);
    assert_string_equal(w, "ProgressDeadlineExceeded: ReplicaSet \"web-5d9c\" has timed out "
                           "progressing.");
    /* Of a generation not observed yet, a condition is stale. */
    assert_int_equal(verdict(deployment(3, 2, 3, 3, 1, 1, deadline), w), ADAPTER_DOWN);
    const char *quota = "[{\"type\": \"ReplicaFailure\", \"status\": \"True\", \"reason\": "
                        "\"FailedCreate\", \"message\": \"exceeded quota: compute\"}]";
    assert_int_equal(verdict(deployment(2, 2, 3, 0, 0, 0, quota), w), ADAPTER_FAILED);
    assert_string_equal(w, "FailedCreate: exceeded quota: compute");
    const char *cleared = "[{\"type\": \"ReplicaFailure\", \"status\": \"False\"}]";
    assert_int_equal(verdict(deployment(2, 2, 3, 3, 3, 3, cleared), w), ADAPTER_UP);
}

static void test_watch_events_and_other_documents(void **state)
{
    (void)state;
    char w[512];
    json_t *ev =
        json_pack("{s:s, s:o}", "type", "MODIFIED", "object", deployment(1, 1, 1, 1, 1, 1, "[]"));
    assert_int_equal(verdict(ev, w), ADAPTER_UP);
    ev = json_pack("{s:s, s:o}", "type", "DELETED", "object", deployment(1, 1, 1, 1, 1, 1, "[]"));
    assert_int_equal(verdict(ev, w), ADAPTER_FAILED);
    assert_string_equal(w, "deployment \"web\" was deleted");
    ev = json_pack("{s:s, s:{s:s}}", "type", "BOOKMARK", "object", "kind", "Deployment");
    assert_int_equal(verdict(ev, w), -1);
    assert_int_equal(verdict(json_pack("{s:s}", "kind", "Status"), w), -1);
}

/* ---- the reader ---------------------------------------------------------- */

typedef struct {
    int n;
    json_int_t available[8];
} seen;

static void saw(void *ctx, json_t *doc)
{
    seen *s = ctx;
    json_t *st = json_object_get(json_object_get(json_object_get(doc, "object"), "status"),
                                 "availableReplicas");
    if (s->n < 8) s->available[s->n] = json_integer_value(st);
    s->n++;
}

/* A watch event as kubectl prints it: indented, a line of its own. */
static char *event_text(int available)
{
    json_t *ev = json_pack("{s:s, s:o}", "type", "MODIFIED", "object",
                           deployment(1, 1, 3, 3, 3, available, "[]"));
    char *text = json_dumps(ev, JSON_INDENT(4));
    json_decref(ev);
    char *line = NULL;
    assert_true(asprintf(&line, "%s\n", text) > 0);
    free(text);
    return line;
}

static void test_documents_cut_anywhere_are_read_whole(void **state)
{
    (void)state;
    char *a = event_text(1), *b = event_text(2), *c = event_text(3);
    char *all = NULL;
    assert_true(asprintf(&all, "%s%s%s", a, b, c) > 0);
    size_t len = strlen(all);
    /* Every cut of the stream in two, and one byte at a time. */
    for (size_t cut = 0; cut <= len; cut += 7) {
        void *st = NULL;
        seen s = {0};
        kube_reader_feed(&st, all, cut, saw, &s);
        kube_reader_feed(&st, all + cut, len - cut, saw, &s);
        assert_int_equal(s.n, 3);
        assert_int_equal(s.available[0], 1);
        assert_int_equal(s.available[2], 3);
        kube_watch_free(st);
    }
    void *st = NULL;
    seen s = {0};
    for (size_t i = 0; i < len; i++) kube_reader_feed(&st, all + i, 1, saw, &s);
    assert_int_equal(s.n, 3);
    kube_watch_free(st);
    free(a), free(b), free(c), free(all);
}

static void test_a_document_cut_off_is_dropped_for_the_next(void **state)
{
    (void)state;
    char *a = event_text(1), *b = event_text(2);
    void *st = NULL;
    seen s = {0};
    /* The watch ended in the middle of a; the next one prints b whole. */
    kube_reader_feed(&st, a, strlen(a) / 2, saw, &s);
    assert_int_equal(s.n, 0);
    kube_reader_feed(&st, b, strlen(b), saw, &s);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.available[0], 2);
    /* Garbage (a line kubectl wrote of its own) is passed over too. */
    kube_reader_feed(&st, "W1201 warning\n", 14, saw, &s);
    kube_reader_feed(&st, a, strlen(a), saw, &s);
    assert_int_equal(s.n, 2);
    assert_int_equal(s.available[1], 1);
    kube_watch_free(st);
    free(a), free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rollout_steps_as_kubectl_rollout_status),
        cmocka_unit_test(test_failure_conditions_fail_with_their_words),
        cmocka_unit_test(test_watch_events_and_other_documents),
        cmocka_unit_test(test_documents_cut_anywhere_are_read_whole),
        cmocka_unit_test(test_a_document_cut_off_is_dropped_for_the_next),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
