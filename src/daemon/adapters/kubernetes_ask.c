/* kubernetes_ask.c — asks kubectl whether its context answers (see
 * kubernetes_ask.h). kubectl is run directly (argv, no shell), its
 * output read until it ends; past ASK_MS it is killed, whatever it was
 * waiting for. */
#include "daemon/adapters/kubernetes_ask.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/buf.h"
#include "daemon/preflight_checks.h"

extern char **environ;

#define ASK_MS 10000

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* Reads fds[0] (stdout) and fds[1] (stderr) to their end or the deadline. */
static void read_both(int fds[2], buf *out, buf *err, long deadline)
{
    struct pollfd p[2] = {{.fd = fds[0], .events = POLLIN}, {.fd = fds[1], .events = POLLIN}};
    while (p[0].fd >= 0 || p[1].fd >= 0) {
        long left = deadline - now_ms();
        if (left <= 0 || poll(p, 2, (int)left) <= 0) return;
        for (int k = 0; k < 2; k++) {
            if (p[k].fd < 0 || !p[k].revents) continue;
            char chunk[4096];
            ssize_t n = read(p[k].fd, chunk, sizeof(chunk));
            if (n > 0)
                buf_append(k ? err : out, chunk, (size_t)n);
            else if (n == 0 || errno != EINTR)
                p[k].fd = -1;
        }
    }
}

/* The last non-empty line of text, into words. */
static void last_line(const char *text, char *words, size_t size)
{
    const char *end = text + strlen(text);
    while (end > text && (end[-1] == '\n' || end[-1] == '\r')) end--;
    const char *start = end;
    while (start > text && start[-1] != '\n') start--;
    snprintf(words, size, "%.*s", (int)(end - start), start);
}

/* Runs argv; its stdout and stderr into out and err; its wait status, or
 * -1 if it could not be run. */
static int run(char *const argv[], buf *out, buf *err)
{
    int o[2], e[2];
    if (pipe2(o, O_CLOEXEC) < 0) return -1;
    if (pipe2(e, O_CLOEXEC) < 0) {
        close(o[0]), close(o[1]);
        return -1;
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, o[1], 1);
    posix_spawn_file_actions_adddup2(&fa, e[1], 2);
    pid_t pid;
    int rc = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(o[1]);
    close(e[1]);
    int fds[2] = {o[0], e[0]}, status = -1;
    if (rc == 0) {
        read_both(fds, out, err, now_ms() + ASK_MS);
        kill(pid, SIGKILL); /* gone already, unless it hung */
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        }
    }
    close(o[0]);
    close(e[0]);
    return status;
}

bool kube_ask_context(const char *kubectl, const char *context, json_t *checks)
{
    char *argv[8];
    int n = 0;
    argv[n++] = (char *)kubectl;
    if (context) {
        argv[n++] = "--context";
        argv[n++] = (char *)context;
    }
    argv[n++] = "version";
    argv[n++] = "-o";
    argv[n++] = "json";
    argv[n++] = "--request-timeout=5s";
    argv[n] = NULL;
    buf out = {0}, err = {0};
    int status = run(argv, &out, &err);
    json_t *doc = out.len ? json_loads(out.data, 0, NULL) : NULL;
    const char *server =
        json_string_value(json_object_get(json_object_get(doc, "serverVersion"), "gitVersion"));
    const char *which = context ? context : "current";
    bool ok;
    if (server && status == 0) {
        ok = preflight_add(checks, "kubectl", true, "kubectl reaches its context (%s): server %s",
                           which, server);
    } else {
        char words[300] = "";
        last_line(err.len ? err.data : "", words, sizeof(words));
        ok = preflight_add(checks, "kubectl", false, "kubectl cannot reach its context (%s)%s%s",
                           which, words[0] ? ": " : "", words);
    }
    json_decref(doc);
    buf_free(&out);
    buf_free(&err);
    return ok;
}
