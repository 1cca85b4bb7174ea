/* engine.c — picking the container engine (see engine.h). */
#include "daemon/adapters/engine.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "daemon/preflight_checks.h"

/* Whether Docker's daemon takes connections: 0, or -errno. A TCP
 * DOCKER_HOST is taken as answering (its CLI says it if not). */
static int docker_answers(char *where, size_t size)
{
    const char *host = getenv("DOCKER_HOST");
    const char *path = "/var/run/docker.sock";
    if (host && host[0]) {
        if (strncmp(host, "unix://", 7) != 0) {
            snprintf(where, size, "%s", host);
            return 0;
        }
        path = host + 7;
    }
    snprintf(where, size, "%s", path);
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof(a.sun_path)) return -ENAMETOOLONG;
    memcpy(a.sun_path, path, strlen(path) + 1);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) return -errno;
    int rc = connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0 || errno == EAGAIN ? 0 : -errno;
    close(fd);
    return rc;
}

const char *engine_pick(char *path, size_t size, char *words, size_t wsize)
{
    static const char *const docker[] = {"docker", NULL}, *const podman[] = {"podman", NULL};
    char where[256];
    bool has_docker = preflight_find_cli(docker, path, size) != NULL;
    int answer = has_docker ? docker_answers(where, sizeof(where)) : -ENOENT;
    if (has_docker && answer == 0) {
        snprintf(words, wsize, "docker found: %s (engine at %s)", path, where);
        return "docker";
    }
    if (preflight_find_cli(podman, path, size)) {
        snprintf(words, wsize, "podman found: %s", path);
        return "podman";
    }
    if (has_docker)
        snprintf(words, wsize,
                 "docker is installed but its engine does not answer (%s: %s), and podman is "
                 "not installed",
                 where, strerror(-answer));
    else
        snprintf(words, wsize, "Neither docker nor podman is installed (not in PATH)");
    return NULL;
}

bool engine_preflight(bool ask, json_t *checks)
{
    char path[1024], words[512];
    const char *engine = engine_pick(path, sizeof(path), words, sizeof(words));
    if (!engine) return preflight_add(checks, "container_cli", false, "%s", words);
    if (!ask) return preflight_add(checks, "container_cli", true, "%s", words);
    char said[512];
    char *const argv[] = {path, "info", NULL};
    int code = preflight_run(argv, 10, said, sizeof(said));
    if (code != 0)
        return preflight_add(checks, "container_cli", false, "%s, but `%s info` failed: %s", words,
                             engine, said[0] ? said : "no output");
    return preflight_add(checks, "container_cli", true, "%s; its engine answers", words);
}
