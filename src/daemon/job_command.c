/* job_command.c — a command beside a job (see job_command.h).
 *
 * The command is over when its main process has ended and both pipes
 * reached end-of-file (the process layer kills what the main process
 * left, so that comes); then done is called and the command freed, its
 * handles closed already. A cancel before the spawn answered waits for
 * that answer: the spawner still uses the pipes' write ends until then.
 */
#include "daemon/job_command.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/strv.h"
#include "daemon/process/process.h"

typedef struct {
    uv_pipe_t pipe;
    bool open; /* the handle is not closed (or closing) yet */
    bool is_out;
    struct job_command *cmd;
} stream;

struct job_command {
    proc *proc;
    stream out, err;
    int child_out, child_err; /* the write ends, until the spawn answered */
    bool spawned;             /* the spawn answered */
    bool exited;              /* the main process ended (or never started) */
    bool cancelled;
    int exit_code, term_signal;
    char words[256]; /* the last complete line */
    char line[256];  /* the line being written */
    size_t line_len;
    job_command_output_fn output;
    job_command_done_fn done;
    void *ctx;
};

static void close_child_fds(job_command *c)
{
    if (c->child_out >= 0) close(c->child_out);
    if (c->child_err >= 0) close(c->child_err);
    c->child_out = c->child_err = -1;
}

/* Frees c once nothing of it is left on the loop; whether it did. */
static bool maybe_free(job_command *c)
{
    if (c->out.open || c->err.open || c->proc || !c->spawned) return false;
    if (!c->cancelled && !c->exited) return false;
    free(c);
    return true;
}

/* Calls done once the command is over, then frees it; whether it did
 * (c is gone then). */
static bool finish_if_over(job_command *c)
{
    if (c->cancelled || !c->exited || c->out.open || c->err.open) return false;
    const char *words = c->line_len ? c->line : c->words;
    c->cancelled = true; /* no second call */
    c->done(c->ctx, c->exit_code, c->term_signal, words);
    return maybe_free(c);
}

static void stream_closed(uv_handle_t *h)
{
    stream *s = h->data;
    job_command *c = s->cmd;
    s->open = false;
    if (!finish_if_over(c)) maybe_free(c);
}

static void stream_close(stream *s)
{
    if (!s->open || uv_is_closing((uv_handle_t *)&s->pipe)) return;
    uv_close((uv_handle_t *)&s->pipe, stream_closed);
}

/* Keeps the last line written (a trailing partial one counts). */
static void keep_words(job_command *c, const char *data, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (data[i] == '\n') {
            if (c->line_len) {
                memcpy(c->words, c->line, c->line_len + 1);
                c->line_len = 0;
                c->line[0] = '\0';
            }
        } else if (data[i] != '\r' && c->line_len + 1 < sizeof(c->line)) {
            c->line[c->line_len++] = data[i];
            c->line[c->line_len] = '\0';
        }
    }
}

static void alloc_buffer(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    static char chunk[16384]; /* used and done with inside each read callback */
    (void)h;
    (void)suggested;
    *buf = uv_buf_init(chunk, sizeof(chunk));
}

static void stream_read(uv_stream_t *h, ssize_t n, const uv_buf_t *buf)
{
    stream *s = h->data;
    job_command *c = s->cmd;
    if (n > 0) {
        if (s->is_out && c->output && !c->cancelled)
            c->output(c->ctx, buf->base, (size_t)n);
        else
            keep_words(c, buf->base, (size_t)n);
    } else if (n < 0) {
        stream_close(s);
    }
}

static void command_exited(void *data, proc *p, int exit_code, int term_signal)
{
    job_command *c = data;
    proc_release(p);
    c->proc = NULL;
    c->exited = true;
    c->exit_code = exit_code;
    c->term_signal = term_signal;
    finish_if_over(c);
}

static void command_started(void *data, proc *p, pid_t pid, int rc, const char *err)
{
    job_command *c = data;
    (void)pid;
    c->spawned = true;
    close_child_fds(c);
    if (c->cancelled) {
        proc_release(p);
        c->proc = NULL;
        maybe_free(c);
        return;
    }
    if (rc < 0) {
        proc_release(p);
        c->proc = NULL;
        c->exited = true;
        c->exit_code = -1;
        snprintf(c->line, sizeof(c->line), "%s", err && err[0] ? err : strerror(-rc));
        c->line_len = strlen(c->line);
        stream_close(&c->out);
        stream_close(&c->err);
        finish_if_over(c);
    }
}

static int stream_open(uv_loop_t *loop, job_command *c, stream *s, bool is_out, int *child_fd)
{
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) < 0) return -errno;
    s->cmd = c;
    s->is_out = is_out;
    uv_pipe_init(loop, &s->pipe, 0);
    s->pipe.data = s;
    s->open = true;
    int rc = uv_pipe_open(&s->pipe, fds[0]);
    if (rc == 0) rc = uv_read_start((uv_stream_t *)&s->pipe, alloc_buffer, stream_read);
    if (rc < 0)
        close(fds[1]);
    else
        *child_fd = fds[1];
    return rc;
}

job_command *job_command_run(uv_loop_t *loop, const char *unit, char **argv, char **env,
                             job_command_output_fn output, job_command_done_fn done, void *ctx)
{
    job_command *c = calloc(1, sizeof(*c));
    proc_request req = {
        .argv = argv,
        .env = env,
        .uid = (uid_t)-1,
        .gid = (gid_t)-1,
        .stdout_fd = -1,
        .stderr_fd = -1,
    };
    if (!c || !argv || !env) {
        free(c);
        strv_free(argv);
        strv_free(env);
        return NULL;
    }
    c->child_out = c->child_err = -1;
    c->output = output;
    c->done = done;
    c->ctx = ctx;
    int rc = stream_open(loop, c, &c->out, true, &c->child_out);
    if (rc == 0) rc = stream_open(loop, c, &c->err, false, &c->child_err);
    if (rc == 0 && !(c->proc = proc_new(unit, command_started, command_exited, c))) rc = -ENOMEM;
    if (rc < 0) {
        strv_free(argv);
        strv_free(env);
        close_child_fds(c);
        c->spawned = c->cancelled = true;
        stream_close(&c->out);
        stream_close(&c->err);
        maybe_free(c);
        return NULL;
    }
    req.stdout_fd = c->child_out;
    req.stderr_fd = c->child_err;
    proc_spawn(c->proc, &req);
    return c;
}

void job_command_cancel(job_command *c)
{
    if (!c) return;
    c->cancelled = true;
    stream_close(&c->out);
    stream_close(&c->err);
    if (c->spawned && c->proc) {
        proc_release(c->proc); /* kills what still runs of it */
        c->proc = NULL;
    }
    maybe_free(c);
}
