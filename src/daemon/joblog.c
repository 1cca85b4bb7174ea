/* joblog.c — capturing job output into log files (see joblog.h). */
#include "daemon/joblog.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/buf.h"

typedef struct {
    uv_pipe_t pipe;
    job_log *log;
    int tag;       /* 1 out, 2 err */
    int child_fd;  /* the write end, until the child has it */
    bool open;     /* the pipe handle is not closed yet */
    char *partial; /* an unfinished last line */
    size_t partial_len;
    bool cutting; /* dropping the rest of an over-long line */
} log_stream;

struct job_log {
    log_stream out, err;
    int fd;           /* the log file, opened at the first output (-1 until then) */
    uint64_t written; /* bytes in the current file */
    uint64_t budget;  /* for all of the service's logs */
    char *dir, *path; /* where it goes */
    char *service;    /* NULL for a job of no service */
    int64_t job_id;
    bool released;
    uv_timer_t *drain; /* after release: the end of waiting for end-of-file */
};

/* Who follows logs live (GET /logs/...): told of every block of lines. */
static joblog_listener_fn listener;
static void *listener_ctx;

void joblog_set_listener(joblog_listener_fn fn, void *ctx)
{
    listener = fn;
    listener_ctx = ctx;
}

static joblog_stats totals;
/* Reads land here one at a time: the loop runs one callback at a time. */
static char read_buffer[256 * 1024];

joblog_stats joblog_totals(void)
{
    return totals;
}

static void format_time(char *out, size_t size)
{
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    snprintf(out, size, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000);
}

static void emit_line(buf *out, const char *stamp, int tag, const char *text, size_t len, bool cut)
{
    buf_printf(out, "%s %s ", stamp, tag == 1 ? "out" : "err");
    buf_append(out, text, len);
    buf_puts(out, cut ? " [line cut]\n" : "\n");
}

/* Splits data into lines, keeping an unfinished one for next time. */
static void stream_lines(log_stream *s, const char *data, size_t len, buf *out, const char *stamp)
{
    while (len) {
        const char *nl = memchr(data, '\n', len);
        size_t take = nl ? (size_t)(nl - data) : len;
        if (s->cutting) {
            if (nl) s->cutting = false;
        } else if (s->partial_len + take >= JOBLOG_LINE_MAX) {
            size_t room = JOBLOG_LINE_MAX - s->partial_len;
            buf line = {0};
            buf_append(&line, s->partial, s->partial_len);
            buf_append(&line, data, room);
            emit_line(out, stamp, s->tag, line.data, line.len, true);
            buf_free(&line);
            s->partial_len = 0;
            s->cutting = !nl;
            totals.lines_cut++;
        } else if (nl) {
            if (s->partial_len) {
                buf line = {0};
                buf_append(&line, s->partial, s->partial_len);
                buf_append(&line, data, take);
                emit_line(out, stamp, s->tag, line.data, line.len, false);
                buf_free(&line);
                s->partial_len = 0;
            } else {
                emit_line(out, stamp, s->tag, data, take, false);
            }
        } else {
            char *grown = realloc(s->partial, s->partial_len + take);
            if (grown) {
                memcpy(grown + s->partial_len, data, take);
                s->partial = grown;
                s->partial_len += take;
            }
        }
        if (!nl) break;
        len -= take + 1;
        data = nl + 1;
    }
    if (!s->partial_len && s->partial) {
        free(s->partial);
        s->partial = NULL;
    }
}

/* Returns how many bytes it could not write: a full disk must not stop
 * supervision, but what it costs is counted (tend_log_bytes_dropped_total). */
static size_t write_all(int fd, const char *data, size_t len)
{
    while (len) {
        ssize_t n = write(fd, data, len);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return len;
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

static int make_dir(const char *path)
{
    return mkdir(path, 0700) < 0 && errno != EEXIST ? -errno : 0;
}

/* "123.log" or "123.log.1": the job id, and whether it is the older half. */
static bool log_name(const char *name, long long *job, int *older)
{
    char *end = NULL;
    *job = strtoll(name, &end, 10);
    if (end == name) return false;
    if (strcmp(end, ".log") == 0)
        *older = 0;
    else if (strcmp(end, ".log.1") == 0)
        *older = 1;
    else
        return false;
    return true;
}

typedef struct {
    char *path;
    long long job;
    int older;
    off_t size;
} log_file;

static log_file *realloc_files(log_file *files, size_t *cap)
{
    size_t grown_cap = *cap ? *cap * 2 : 16;
    log_file *grown = realloc(files, grown_cap * sizeof(*grown));
    if (!grown) {
        free(files);
        return NULL;
    }
    *cap = grown_cap;
    return grown;
}

static int oldest_first(const void *a, const void *b)
{
    const log_file *x = a, *y = b;
    if (x->job != y->job) return x->job < y->job ? -1 : 1;
    return y->older - x->older;
}

/* Keeps a service's logs within budget bytes and
 * JOBLOG_SERVICE_FILES files, deleting the oldest jobs' logs first. */
static void prune_service_logs(const char *dir, uint64_t budget)
{
    DIR *d = opendir(dir);
    if (!d) return;
    log_file *files = NULL;
    size_t n = 0, cap = 0;
    uint64_t total = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        long long job;
        int older;
        struct stat st;
        char *path = NULL;
        if (!log_name(e->d_name, &job, &older) || asprintf(&path, "%s/%s", dir, e->d_name) < 0)
            continue;
        if (stat(path, &st) < 0 || (n == cap && !(files = realloc_files(files, &cap)))) {
            free(path);
            continue;
        }
        files[n++] = (log_file){.path = path, .job = job, .older = older, .size = st.st_size};
        total += (uint64_t)st.st_size;
    }
    closedir(d);
    if (files) qsort(files, n, sizeof(*files), oldest_first);
    for (size_t i = 0; i < n; i++) {
        if (total > budget || n - i > JOBLOG_SERVICE_FILES) {
            if (unlink(files[i].path) == 0) totals.files_pruned++;
            total -= (uint64_t)files[i].size;
        }
        free(files[i].path);
    }
    free(files);
}

/* Most services print little or nothing: the file (and its folder) is
 * created when the first output arrives, not for every job. A file that
 * outgrows a quarter of the budget becomes JOB.log.1 and a new one starts. */
static void log_write(job_log *log, const char *data, size_t len)
{
    if (log->fd >= 0 && log->written + len > log->budget / 4) {
        char *older = NULL;
        close(log->fd);
        log->fd = -1;
        if (asprintf(&older, "%s.1", log->path) >= 0) rename(log->path, older);
        free(older);
    }
    if (log->fd < 0 && log->path) {
        make_dir(log->dir);
        prune_service_logs(log->dir, log->budget);
        log->fd = open(log->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
        log->written = 0;
        if (log->fd < 0) {
            free(log->path); /* unwritable: given up; what comes is counted as dropped */
            log->path = NULL;
        }
    }
    size_t lost = log->fd >= 0 ? write_all(log->fd, data, len) : len;
    log->written += len - lost;
    totals.bytes_dropped += lost;
}

static void maybe_free(job_log *log);

static void drain_closed(uv_handle_t *handle)
{
    job_log *log = handle->data;
    free(handle);
    log->drain = NULL;
    maybe_free(log);
}

static void maybe_free(job_log *log)
{
    if (!log->released || log->out.open || log->err.open) return;
    if (log->drain) {
        if (!uv_is_closing((uv_handle_t *)log->drain)) uv_close((uv_handle_t *)log->drain, drain_closed);
        return;
    }
    if (log->fd >= 0) {
        close(log->fd);
        /* Written to after the next job's file pruned the folder (a fast
         * restart): the service's logs are brought back within budget. */
        prune_service_logs(log->dir, log->budget);
    }
    free(log->dir);
    free(log->path);
    free(log->service);
    free(log->out.partial);
    free(log->err.partial);
    free(log);
}

static void flush_partial(log_stream *s)
{
    if (!s->partial_len) return;
    char stamp[64];
    format_time(stamp, sizeof(stamp));
    buf out = {0};
    emit_line(&out, stamp, s->tag, s->partial, s->partial_len, false);
    log_write(s->log, out.data, out.len);
    buf_free(&out);
    s->partial_len = 0;
}

static void on_stream_closed(uv_handle_t *handle)
{
    log_stream *s = handle->data;
    s->open = false;
    maybe_free(s->log);
}

static void on_alloc(uv_handle_t *handle, size_t suggested, uv_buf_t *out)
{
    (void)handle, (void)suggested;
    *out = uv_buf_init(read_buffer, sizeof(read_buffer));
}

static void on_read(uv_stream_t *stream, ssize_t n, const uv_buf_t *data)
{
    log_stream *s = stream->data;
    if (n > 0) {
        char stamp[64];
        format_time(stamp, sizeof(stamp));
        buf out = {0};
        stream_lines(s, data->base, (size_t)n, &out, stamp);
        if (out.len) log_write(s->log, out.data, out.len);
        if (out.len && listener)
            listener(listener_ctx, s->log->service, s->log->job_id, out.data, out.len);
        buf_free(&out);
        totals.bytes += (uint64_t)n;
        return;
    }
    if (n == 0) return;
    /* End of file (or an error): flush an unfinished last line, then close. */
    flush_partial(s);
    uv_close((uv_handle_t *)&s->pipe, on_stream_closed);
}

/* Reads fd (a pipe's read end) into log from now on. */
static int stream_attach(uv_loop_t *loop, job_log *log, log_stream *s, int tag, int fd)
{
    /* Our end never blocks; the child's end is an ordinary blocking pipe. */
    fcntl(fd, F_SETFL, O_NONBLOCK);
    s->log = log;
    s->tag = tag;
    if (uv_pipe_init(loop, &s->pipe, 0) < 0 || uv_pipe_open(&s->pipe, fd) < 0) {
        close(fd);
        return -EIO;
    }
    s->open = true;
    s->pipe.data = s;
    uv_read_start((uv_stream_t *)&s->pipe, on_alloc, on_read);
    return 0;
}

static int stream_open(uv_loop_t *loop, job_log *log, log_stream *s, int tag)
{
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) < 0) return -errno;
    s->child_fd = fds[1];
    if (stream_attach(loop, log, s, tag, fds[0]) < 0) {
        close(fds[1]);
        s->child_fd = -1;
        return -EIO;
    }
    return 0;
}

/* joblog_open's body: with read_fds, the pipes exist already. */
static job_log *log_new(uv_loop_t *loop, const char *logs_dir, const char *service, int64_t job_id,
                        uint64_t budget, char **path, const int *read_fds)
{
    job_log *log = calloc(1, sizeof(*log));
    if (!log) return NULL;
    log->fd = -1;
    log->budget = budget;
    log->job_id = job_id;
    if (service && !(log->service = strdup(service))) {
        free(log);
        return NULL;
    }
    log->out.child_fd = log->err.child_fd = -1;
    if (asprintf(&log->dir, "%s/%s", logs_dir, service ? service : "_jobs") < 0) log->dir = NULL;
    if (!log->dir || asprintf(&log->path, "%s/%lld.log", log->dir, (long long)job_id) < 0 ||
        !(*path = strdup(log->path)) ||
        (read_fds ? stream_attach(loop, log, &log->out, 1, read_fds[0])
                  : stream_open(loop, log, &log->out, 1)) < 0) {
        free(log->dir);
        free(log->path);
        free(log->service);
        free(log);
        return NULL;
    }
    if ((read_fds ? stream_attach(loop, log, &log->err, 2, read_fds[1])
                  : stream_open(loop, log, &log->err, 2)) < 0) {
        free(*path);
        *path = NULL;
        close(log->out.child_fd);
        log->out.child_fd = -1;
        uv_close((uv_handle_t *)&log->out.pipe, on_stream_closed);
        log->released = true; /* frees itself once the handle is closed */
        return NULL;
    }
    return log;
}

job_log *joblog_open(uv_loop_t *loop, const char *logs_dir, const char *service, int64_t job_id,
                     uint64_t budget, char **path)
{
    return log_new(loop, logs_dir, service, job_id, budget, path, NULL);
}

job_log *joblog_attach(uv_loop_t *loop, const char *logs_dir, const char *service, int64_t job_id,
                       uint64_t budget, const int read_fds[2])
{
    char *path = NULL;
    job_log *log = log_new(loop, logs_dir, service, job_id, budget, &path, read_fds);
    free(path);
    return log;
}

void joblog_read_fds(job_log *log, int *out_fd, int *err_fd)
{
    int fd = -1;
    *out_fd = uv_fileno((uv_handle_t *)&log->out.pipe, &fd) == 0 ? fd : -1;
    *err_fd = uv_fileno((uv_handle_t *)&log->err.pipe, &fd) == 0 ? fd : -1;
}

void joblog_child_fds(job_log *log, int *out_fd, int *err_fd)
{
    *out_fd = log->out.child_fd;
    *err_fd = log->err.child_fd;
}

void joblog_child_started(job_log *log)
{
    if (log->out.child_fd >= 0) close(log->out.child_fd);
    if (log->err.child_fd >= 0) close(log->err.child_fd);
    log->out.child_fd = log->err.child_fd = -1;
}

/* What is in the pipe now is read; a writer left alive (a descendant
 * that escaped being killed) gets no more of the job's log. */
static void stop_draining(uv_timer_t *timer)
{
    job_log *log = timer->data;
    log_stream *streams[] = {&log->out, &log->err};
    for (int i = 0; i < 2; i++) {
        log_stream *s = streams[i];
        if (!s->open || uv_is_closing((uv_handle_t *)&s->pipe)) continue;
        char data[65536];
        ssize_t n;
        int fd = -1;
        uv_fileno((uv_handle_t *)&s->pipe, &fd);
        while (fd >= 0 && (n = read(fd, data, sizeof(data))) > 0) {
            uv_buf_t chunk = uv_buf_init(data, (unsigned)n);
            on_read((uv_stream_t *)&s->pipe, n, &chunk);
        }
        flush_partial(s);
        uv_close((uv_handle_t *)&s->pipe, on_stream_closed);
    }
}

void joblog_release(job_log *log)
{
    if (!log) return;
    /* A job that never started still holds the write ends: without them
     * closed, end-of-file would never come. */
    joblog_child_started(log);
    log->released = true;
    /* End-of-file comes once every process that has the pipes is gone;
     * one that escaped does not keep the log (and a stopping daemon)
     * waiting longer than JOBLOG_DRAIN_MS. */
    if ((log->out.open || log->err.open) && !log->drain &&
        (log->drain = calloc(1, sizeof(*log->drain)))) {
        uv_timer_init(log->out.pipe.loop, log->drain);
        log->drain->data = log;
        uv_timer_start(log->drain, stop_draining, JOBLOG_DRAIN_MS, 0);
    }
    maybe_free(log);
}
