/* remote_watch.c — the state of a service of another tend, read from that
 * daemon's events (`tend --host ... --json events --follow --service S`:
 * one JSON object a line, the latest ones first, then each as it comes).
 *
 * Its run says it: running is up; starting, a failed job (which its
 * restart policy may replace) or an unhealthy check is down; a run that
 * ended (error, stopped, ok) failed, in words. Events from before the
 * watch began only bring it up to date: what they say failed counts as
 * down, so that an old run's end read again never fails a new job. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "daemon/adapters/modes.h"

#define LINE_MAX_BYTES (64 * 1024)

typedef struct {
    char *line; /* what came of the current line */
    size_t len, cap;
    double since;           /* when the watch began (wall clock) */
    char last_failure[256]; /* a job's failure there, for the run that ends in error */
} watch_state;

static const char *str(json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

/* True if it failed the job: then the watch may be gone. */
static bool judge(watch_state *w, json_t *e, adapter_ear *ear)
{
    const char *kind = str(e, "kind");
    json_t *data = json_object_get(e, "data");
    bool history = json_number_value(json_object_get(e, "at")) < w->since;
    char words[400];
    adapter_verdict v;
    if (strcmp(kind, "run.created") == 0) {
        w->last_failure[0] = '\0';
        v = ADAPTER_DOWN;
        snprintf(words, sizeof(words), "starting on the remote tend");
    } else if (strcmp(kind, "run.status") == 0) {
        const char *status = str(data, "status");
        if (strcmp(status, "running") == 0) {
            v = ADAPTER_UP;
            snprintf(words, sizeof(words), "running on the remote tend");
        } else if (strcmp(status, "starting") == 0) {
            v = ADAPTER_DOWN;
            snprintf(words, sizeof(words), "starting on the remote tend");
        } else {
            v = ADAPTER_FAILED;
            snprintf(words, sizeof(words), "%s on the remote tend%s%s",
                     strcmp(status, "error") == 0 ? "failed"
                     : strcmp(status, "ok") == 0  ? "completed"
                                                  : status,
                     w->last_failure[0] ? ": " : "", w->last_failure);
        }
    } else if (strcmp(kind, "job.phase") == 0 && strcmp(str(data, "to"), "failed") == 0) {
        snprintf(w->last_failure, sizeof(w->last_failure), "%s", str(data, "reason"));
        v = ADAPTER_DOWN;
        snprintf(words, sizeof(words), "a job failed on the remote tend: %s", w->last_failure);
    } else if (strcmp(kind, "service.health") == 0) {
        bool healthy = strcmp(str(data, "to"), "healthy") == 0;
        v = healthy ? ADAPTER_UP : ADAPTER_DOWN;
        snprintf(words, sizeof(words), "%s on the remote tend: %s", str(data, "to"),
                 str(data, "message"));
    } else {
        return false;
    }
    if (history && v == ADAPTER_FAILED) v = ADAPTER_DOWN;
    adapter_report(ear, v, words);
    return v == ADAPTER_FAILED;
}

void remote_watch_read(void **state, const char *data, size_t len, adapter_ear *ear)
{
    watch_state *w = *state;
    if (!w) {
        if (!(w = calloc(1, sizeof(*w)))) return;
        w->since = wall_now();
        *state = w;
    }
    for (size_t i = 0; i < len; i++) {
        if (data[i] != '\n') {
            if (w->len >= LINE_MAX_BYTES) continue; /* no event is that long: dropped */
            if (w->len == w->cap) {
                size_t cap = w->cap ? 2 * w->cap : 512;
                char *grown = realloc(w->line, cap);
                if (!grown) return;
                w->line = grown;
                w->cap = cap;
            }
            w->line[w->len++] = data[i];
            continue;
        }
        json_t *e = w->len ? json_loadb(w->line, w->len, 0, NULL) : NULL;
        w->len = 0;
        bool failed = json_is_object(e) && judge(w, e, ear);
        json_decref(e);
        if (failed) return;
    }
}

void remote_watch_free(void *state)
{
    watch_state *w = state;
    if (!w) return;
    free(w->line);
    free(w);
}
