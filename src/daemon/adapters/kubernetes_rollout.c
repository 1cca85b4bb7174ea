/* kubernetes_rollout.c — a Deployment's rollout from its status, and the
 * watch's reader (see kubernetes_rollout.h).
 *
 * The reader keeps what came and is not a whole document yet; each whole
 * one is decoded where it starts (jansson, stopping at its end) and told.
 * What cannot be read (a watch cut off mid-document, then started again,
 * which prints the whole object first) is dropped up to where the next
 * document starts, so the reader finds its feet again. */
#include "daemon/adapters/kubernetes_rollout.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"

/* More than any Deployment's JSON: past it, what is kept is dropped. */
#define KEPT_MAX (4u << 20)

static json_int_t int_at(json_t *o, const char *key, json_int_t none)
{
    json_t *v = json_object_get(o, key);
    return json_is_integer(v) ? json_integer_value(v) : none;
}

static const char *text_at(json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

/* The condition of that type, or NULL. */
static json_t *condition(json_t *status, const char *type)
{
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(status, "conditions"), i,
                       c) if (strcmp(text_at(c, "type"), type) == 0) return c;
    return NULL;
}

static void failure_words(json_t *c, char *out, size_t size)
{
    const char *reason = text_at(c, "reason"), *message = text_at(c, "message");
    snprintf(out, size, "%s%s%s", reason, reason[0] && message[0] ? ": " : "", message);
}

static int deployment_verdict(json_t *d, char *out, size_t size)
{
    json_t *meta = json_object_get(d, "metadata"), *spec = json_object_get(d, "spec"),
           *status = json_object_get(d, "status");
    const char *name = text_at(meta, "name");
    json_int_t generation = int_at(meta, "generation", 0),
               observed = int_at(status, "observedGeneration", 0),
               wanted = int_at(spec, "replicas", 1), replicas = int_at(status, "replicas", 0),
               updated = int_at(status, "updatedReplicas", 0),
               available = int_at(status, "availableReplicas", 0);
    if (observed < generation) {
        snprintf(out, size, "Waiting for deployment spec update to be observed...");
        return ADAPTER_DOWN;
    }
    json_t *c = condition(status, "Progressing");
    if (c && strcmp(text_at(c, "reason"), "ProgressDeadlineExceeded") == 0) {
        failure_words(c, out, size);
        return ADAPTER_FAILED;
    }
    c = condition(status, "ReplicaFailure");
    if (c && strcmp(text_at(c, "status"), "True") == 0) {
        failure_words(c, out, size);
        return ADAPTER_FAILED;
    }
    if (wanted == 0) {
        snprintf(out, size, "deployment \"%s\" is scaled to 0 replicas", name);
        return ADAPTER_DOWN;
    }
    if (updated < wanted)
        snprintf(out, size,
                 "Waiting for deployment \"%s\" rollout to finish: %lld out of %lld new replicas "
                 "have been updated...",
                 name, (long long)updated, (long long)wanted);
    else if (replicas > updated)
        snprintf(out, size,
                 "Waiting for deployment \"%s\" rollout to finish: %lld old replicas are pending "
                 "termination...",
                 name, (long long)(replicas - updated));
    else if (available < updated)
        snprintf(out, size,
                 "Waiting for deployment \"%s\" rollout to finish: %lld of %lld updated replicas "
                 "are available...",
                 name, (long long)available, (long long)updated);
    else {
        snprintf(out, size, "deployment \"%s\" successfully rolled out (%lld/%lld available)", name,
                 (long long)available, (long long)wanted);
        return ADAPTER_UP;
    }
    return ADAPTER_DOWN;
}

int kube_rollout_verdict(json_t *doc, char *out, size_t size)
{
    json_t *object = json_object_get(doc, "object");
    const char *type = text_at(doc, "type");
    if (json_is_object(object) && type[0]) {
        if (strcmp(type, "DELETED") == 0) {
            snprintf(out, size, "deployment \"%s\" was deleted",
                     text_at(json_object_get(object, "metadata"), "name"));
            return ADAPTER_FAILED;
        }
        if (strcmp(type, "ADDED") != 0 && strcmp(type, "MODIFIED") != 0) return -1;
        doc = object;
    }
    if (strcmp(text_at(doc, "kind"), "Deployment") != 0) return -1;
    return deployment_verdict(doc, out, size);
}

/* ---- the watch's reader --------------------------------------------------- */

typedef struct {
    buf kept; /* what came and is not told yet */
} reader_state;

/* Drops the first n bytes kept. */
static void drop(reader_state *r, size_t n)
{
    memmove(r->kept.data, r->kept.data + n, r->kept.len - n);
    r->kept.len -= n;
    r->kept.data[r->kept.len] = '\0';
}

/* Where the next document after from may start: kubectl prints each
 * with 4 spaces per level (json.MarshalIndent), so a '{' that starts a
 * line, or one followed by a line at the first level, opens a document
 * (inner objects follow a key or open deeper lines). NULL if none. */
static const char *next_document(const char *from)
{
    const char *line = strstr(from, "\n{"), *opened = strstr(from, "{\n    \"");
    if (line) line++;
    if (!line) return opened;
    return opened && opened < line ? opened : line;
}

/* Past what cannot be read: to where the next document may start. */
static void skip_unreadable(reader_state *r, size_t start)
{
    const char *next = next_document(r->kept.data + start + 1);
    drop(r, next ? (size_t)(next - r->kept.data) : r->kept.len);
}

void kube_reader_feed(void **state, const char *data, size_t len, kube_doc_fn fn, void *ctx)
{
    reader_state *r = *state;
    if (!r && !(r = *state = calloc(1, sizeof(*r)))) return;
    buf_append(&r->kept, data, len);
    if (r->kept.failed || r->kept.len > KEPT_MAX) {
        buf_free(&r->kept);
        r->kept = (buf){0};
        return;
    }
    while (r->kept.len) {
        size_t start = strspn(r->kept.data, " \t\r\n");
        if (start == r->kept.len) {
            drop(r, start);
            return;
        }
        json_error_t err;
        json_t *doc =
            json_loadb(r->kept.data + start, r->kept.len - start, JSON_DISABLE_EOF_CHECK, &err);
        if (!doc) {
            bool unfinished = json_error_code(&err) == json_error_premature_end_of_input ||
                              (json_error_code(&err) == json_error_invalid_utf8 &&
                               (size_t)err.position + 4 >= r->kept.len - start);
            /* Unless another document started since: this one was cut
             * off (its watch ended), and the next watch printed anew. */
            if (unfinished && !next_document(r->kept.data + start + 1)) return;
            skip_unreadable(r, start);
            continue;
        }
        drop(r, start + (size_t)err.position);
        fn(ctx, doc);
        json_decref(doc);
    }
}

static void tell(void *ctx, json_t *doc)
{
    char words[512];
    int verdict = kube_rollout_verdict(doc, words, sizeof(words));
    if (verdict >= 0) adapter_report(ctx, (adapter_verdict)verdict, words);
}

void kube_watch_read(void **state, const char *data, size_t len, adapter_ear *ear)
{
    kube_reader_feed(state, data, len, tell, ear);
}

void kube_watch_free(void *state)
{
    reader_state *r = state;
    if (!r) return;
    buf_free(&r->kept);
    free(r);
}
