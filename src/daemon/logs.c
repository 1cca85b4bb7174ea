/* logs.c — the last lines of job log files (see logs.h). Log lines start
 * with an ISO timestamp, so lines of several jobs merge by plain string
 * order. */
#include "daemon/logs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Only the end of a big log file is read. */
#define TAIL_BYTES (4u << 20)

static json_t *parse_line(const char *line, size_t len, int64_t job)
{
    /* "2026-11-24T22:17:43.123Z out text" */
    const char *sp1 = memchr(line, ' ', len);
    if (!sp1 || (size_t)(sp1 - line) + 5 > len) return NULL;
    const char *text = sp1 + 5;
    return json_pack("{s:s%, s:s%, s:s%, s:I}", "at", line, (size_t)(sp1 - line), "stream", sp1 + 1,
                     (size_t)3, "text", text, len - (size_t)(text - line), "job", (json_int_t)job);
}

/* Appends the last n lines of path to out. */
static void tail_file(const char *path, int64_t job, size_t n, json_t *out)
{
    FILE *f = path ? fopen(path, "re") : NULL;
    if (!f) return;
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    long from = size > (long)TAIL_BYTES ? size - (long)TAIL_BYTES : 0;
    fseek(f, from, SEEK_SET);
    char *data = malloc((size_t)(size - from) + 1);
    size_t len = data ? fread(data, 1, (size_t)(size - from), f) : 0;
    fclose(f);
    if (!data) return;
    size_t count = 0, start = len;
    /* Walk back n newlines from the end. */
    while (start > 0 && count <= n) {
        start--;
        if (data[start] == '\n' && start + 1 < len) count++;
        if (count > n) {
            start++;
            break;
        }
    }
    if (from > 0 && start == 0) { /* skip a partial first line */
        char *nl = memchr(data, '\n', len);
        start = nl ? (size_t)(nl - data) + 1 : len;
    }
    for (size_t i = start; i < len;) {
        char *nl = memchr(data + i, '\n', len - i);
        size_t end = nl ? (size_t)(nl - data) : len;
        json_t *line = parse_line(data + i, end - i, job);
        if (line) json_array_append_new(out, line);
        i = end + 1;
    }
    free(data);
}

/* A line of the merge: where it came from breaks ties of time. */
typedef struct {
    json_t *line;
    json_int_t job;
    size_t pos; /* in its job's lines */
} tail_item;

/* By time; lines of the same millisecond by job (a restart's come after
 * its predecessor's), then in their file's order (qsort is not stable). */
static int by_time(const void *a, const void *b)
{
    const tail_item *x = a, *y = b;
    int c = strcmp(json_string_value(json_object_get(x->line, "at")),
                   json_string_value(json_object_get(y->line, "at")));
    if (c) return c;
    if (x->job != y->job) return x->job < y->job ? -1 : 1;
    return x->pos < y->pos ? -1 : x->pos > y->pos;
}

json_t *logs_tail_lines(store *st, const char *service, int64_t job_id, size_t n)
{
    json_t *lines = json_array();
    if (job_id) {
        json_t *job = store_job_get(st, job_id);
        if (!job) {
            json_decref(lines);
            return NULL;
        }
        tail_file(json_string_value(json_object_get(job, "log_path")), job_id, n, lines);
        json_decref(job);
    } else {
        json_t *jobs = store_jobs_list(st, &(store_job_filter){.service_id = service, .limit = 16});
        size_t i;
        json_t *job;
        json_array_foreach(jobs, i, job)
            tail_file(json_string_value(json_object_get(job, "log_path")),
                      json_integer_value(json_object_get(job, "id")), n, lines);
        json_decref(jobs);
        /* Merge by time, keep the last n. */
        size_t total = json_array_size(lines);
        tail_item *items = malloc((total + 1) * sizeof(*items));
        for (size_t k = 0; items && k < total; k++) {
            json_t *line = json_array_get(lines, k);
            items[k] = (tail_item){.line = json_incref(line),
                                   .job = json_integer_value(json_object_get(line, "job")),
                                   .pos = k};
        }
        if (items) qsort(items, total, sizeof(*items), by_time);
        json_array_clear(lines);
        for (size_t k = 0; items && k < total; k++) {
            if (k + n >= total) json_array_append(lines, items[k].line);
            json_decref(items[k].line);
        }
        free(items);
    }
    return json_pack("{s:o}", "lines", lines);
}
