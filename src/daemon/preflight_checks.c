/* preflight_checks.c — single pre-flight checks (see preflight_checks.h). */
#include "daemon/preflight_checks.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/perm.h"
#include "base/strv.h"
#include "daemon/env_files.h"
#include "daemon/launch.h"

bool preflight_add(json_t *checks, const char *check, bool ok, const char *fmt, ...)
{
    char message[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof(message), fmt, ap);
    va_end(ap);
    json_array_append_new(
        checks, json_pack("{s:s, s:b, s:s}", "check", check, "ok", ok, "message", message));
    return ok;
}

/* The PATH an action's process gets: its own env's, else the daemon's. */
static const char *search_path(const action_spec *a)
{
    for (size_t i = 0; a && a->env && a->env[i]; i++)
        if (strncmp(a->env[i], "PATH=", 5) == 0) return a->env[i] + 5;
    const char *path = getenv("PATH");
    return path ? path : "/usr/local/bin:/usr/bin:/bin";
}

/* Who the action runs as; false if its user does not exist. groups has
 * room for max entries. */
static bool action_identity(const action_spec *a, perm_identity *id, gid_t *groups, int max)
{
    *id = PERM_DAEMON;
    if (!a->user) return true;
    struct passwd pw, *user = NULL;
    char pwbuf[4096];
    if (getpwnam_r(a->user, &pw, pwbuf, sizeof(pwbuf), &user) != 0 || !user) return false;
    int n = max;
    if (getgrouplist(user->pw_name, user->pw_gid, groups, &n) < 0) n = 0;
    *id = (perm_identity){
        .uid = user->pw_uid, .gid = user->pw_gid, .groups = groups, .n_groups = (size_t)n};
    return true;
}

static bool check_program(json_t *checks, const action_spec *a)
{
    const char *program = action_program(a);
    char found[1024];
    gid_t groups[256];
    perm_identity id;
    if (!action_identity(a, &id, groups, 256)) return true; /* the user check says it */
    const char *as = a->user ? " for user " : "", *who = a->user ? a->user : "";
    if (perm_find_program(program, search_path(a), &id, found, sizeof(found)))
        return preflight_add(checks, "binary", true, "Binary found: %s", found);
    if (strchr(program, '/')) {
        struct stat st;
        if (stat(program, &st) == 0)
            return preflight_add(checks, "binary", false, "Binary is not executable%s%s: %s", as,
                                 who, program);
        return preflight_add(checks, "binary", false, "Binary not found: %s", program);
    }
    return preflight_add(checks, "binary", false, "Binary not found in PATH%s%s: %s", as, who,
                         program);
}

bool preflight_check_user(json_t *checks, const char *name, const char *what)
{
    struct passwd pw, *user = NULL;
    char pwbuf[4096];
    if (getpwnam_r(name, &pw, pwbuf, sizeof(pwbuf), &user) == 0 && user)
        return preflight_add(checks, "user", true, "User exists: %s%s", name, what);
    return preflight_add(checks, "user", false, "No such user: %s%s", name, what);
}

/* The file is there (unless optional) and reads as an env file; what it
 * holds is wiped at once and never said. */
static bool check_env_file(json_t *checks, const char *file)
{
    char *const one[] = {(char *)file, NULL};
    char **env = NULL, err[600];
    const char *path = file + (file[0] == '-');
    int rc = env_files_read(one, &env, err, sizeof(err));
    strv_free_wiped(env);
    if (rc == -ENOENT)
        return preflight_add(checks, "env_file", false, "Env file not found: %s", path);
    if (rc < 0) return preflight_add(checks, "env_file", false, "%s", err);
    if (file[0] == '-' && access(path, F_OK) != 0)
        return preflight_add(checks, "env_file", true, "Optional env file absent: %s", path);
    return preflight_add(checks, "env_file", true, "Env file readable: %s", path);
}

bool preflight_check_action(json_t *checks, const action_spec *a)
{
    bool ok = check_program(checks, a);
    if (a->cwd) {
        struct stat st;
        if (stat(a->cwd, &st) == 0 && S_ISDIR(st.st_mode))
            preflight_add(checks, "working_dir", true, "Working directory exists: %s", a->cwd);
        else
            ok = preflight_add(checks, "working_dir", false, "Working directory not found: %s",
                               a->cwd);
    }
    if (a->user) ok &= preflight_check_user(checks, a->user, "");
    for (size_t i = 0; a->env_files && a->env_files[i]; i++)
        ok &= check_env_file(checks, a->env_files[i]);
    return ok;
}

const char *preflight_find_cli(const char *const *names, char *found, size_t size)
{
    for (size_t i = 0; names[i]; i++)
        if (perm_find_program(names[i], search_path(NULL), &PERM_DAEMON, found, size))
            return names[i];
    return NULL;
}

extern char **environ;

/* Reads fds[0] into out and fds[1] into err until both end; false if the
 * deadline came first. */
static bool read_both(int fds[2], buf *out, buf *err, double deadline)
{
    struct pollfd p[2] = {{.fd = fds[0], .events = POLLIN}, {.fd = fds[1], .events = POLLIN}};
    while (p[0].fd >= 0 || p[1].fd >= 0) {
        double left = deadline - monotonic_now();
        int ready = left > 0 ? poll(p, 2, (int)(left * 1000) + 1) : 0;
        if (ready < 0 && errno == EINTR) continue;
        if (ready <= 0) return false;
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
    return true;
}

int preflight_capture(char *const *argv, double timeout, buf *out, buf *err)
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
    int rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(o[1]);
    close(e[1]);
    int fds[2] = {o[0], e[0]}, code = -1;
    if (rc != 0) {
        char words[300];
        int n = snprintf(words, sizeof(words), "%s: %s\n", argv[0], strerror(rc));
        buf_append(err, words, (size_t)n);
    } else {
        bool in_time = read_both(fds, out, err, monotonic_now() + timeout);
        if (!in_time) kill(pid, SIGKILL);
        int status = 0;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        }
        code = !in_time ? -2 : WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
    close(o[0]);
    close(e[0]);
    return code;
}

void preflight_last_line(const char *text, size_t len, char *words, size_t size)
{
    const char *end = text + len;
    while (end > text && (end[-1] == '\n' || end[-1] == '\r')) end--;
    const char *start = end;
    while (start > text && start[-1] != '\n') start--;
    snprintf(words, size, "%.*s", (int)(end - start), start);
}

int preflight_run(char *const *argv, double timeout, char *words, size_t size)
{
    buf out = {0}, err = {0};
    int code = preflight_capture(argv, timeout, &out, &err);
    words[0] = '\0';
    if (code == -2)
        snprintf(words, size, "no answer within %g s", timeout);
    else if (err.len)
        preflight_last_line(err.data, err.len, words, size);
    else if (out.len)
        preflight_last_line(out.data, out.len, words, size);
    buf_free(&out);
    buf_free(&err);
    return code < 0 ? -1 : code;
}
