/* compose_tool.c — picking the compose tool and naming what it makes
 * (see compose_tool.h). Picking asks nothing slow: programs in PATH,
 * Docker's compose plugin on disk, Docker's socket (engine_pick). */
#include "daemon/adapters/compose_tool.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/strv.h"
#include "daemon/adapters/engine.h"
#include "daemon/preflight_checks.h"

/* Docker's compose plugin where the docker CLI looks for it. */
static bool docker_plugin_found(void)
{
    static const char *const dirs[] = {
        "/usr/local/lib/docker/cli-plugins", "/usr/local/libexec/docker/cli-plugins",
        "/usr/lib/docker/cli-plugins", "/usr/libexec/docker/cli-plugins", NULL};
    char path[1024];
    const char *config = getenv("DOCKER_CONFIG"), *home = getenv("HOME");
    if (config && config[0]) {
        snprintf(path, sizeof(path), "%s/cli-plugins/docker-compose", config);
        if (access(path, X_OK) == 0) return true;
    } else if (home && home[0]) {
        snprintf(path, sizeof(path), "%s/.docker/cli-plugins/docker-compose", home);
        if (access(path, X_OK) == 0) return true;
    }
    for (size_t i = 0; dirs[i]; i++) {
        snprintf(path, sizeof(path), "%s/docker-compose", dirs[i]);
        if (access(path, X_OK) == 0) return true;
    }
    return false;
}

bool compose_tool_pick(compose_tool *t)
{
    static const char *const docker_compose[] = {"docker-compose", NULL},
                             *const podman_compose[] = {"podman-compose", NULL},
                             *const podman[] = {"podman", NULL};
    char why[512];
    memset(t, 0, sizeof(*t));
    const char *engine = engine_pick(t->engine, sizeof(t->engine), why, sizeof(why));
    if (engine && strcmp(engine, "docker") == 0) {
        if (docker_plugin_found()) {
            t->kind = COMPOSE_DOCKER_PLUGIN;
            snprintf(t->program, sizeof(t->program), "%s", t->engine);
            snprintf(t->words, sizeof(t->words), "docker compose (%s)", why);
            return true;
        }
        if (preflight_find_cli(docker_compose, t->program, sizeof(t->program))) {
            t->kind = COMPOSE_DOCKER_COMPOSE;
            snprintf(t->words, sizeof(t->words), "docker-compose found: %s (%s)", t->program, why);
            return true;
        }
    }
    /* podman-compose drives podman, whatever engine_pick chose. */
    bool has_tool = preflight_find_cli(podman_compose, t->program, sizeof(t->program)) != NULL;
    bool has_podman = preflight_find_cli(podman, t->engine, sizeof(t->engine)) != NULL;
    if (has_tool && has_podman) {
        t->kind = COMPOSE_PODMAN;
        snprintf(t->words, sizeof(t->words), "podman-compose found: %s (podman: %s)", t->program,
                 t->engine);
        return true;
    }
    if (has_tool)
        snprintf(t->words, sizeof(t->words), "podman-compose is installed but podman is not");
    else if (engine && strcmp(engine, "docker") == 0)
        snprintf(t->words, sizeof(t->words),
                 "Docker's engine answers but neither its compose plugin nor docker-compose nor "
                 "podman-compose is installed");
    else
        snprintf(t->words, sizeof(t->words),
                 "No compose tool: podman-compose is not installed, and docker compose needs "
                 "Docker's engine (%s)",
                 why);
    return false;
}

void compose_project(const deployment_spec *d, char *out, size_t size)
{
    if (d->compose.project_name) {
        snprintf(out, size, "%s", d->compose.project_name);
        return;
    }
    /* The folder's name, as compose makes a project name of it. */
    const char *file = d->compose.compose_file ? d->compose.compose_file : "";
    const char *end = strrchr(file, '/');
    const char *start = end;
    if (end && end > file) {
        start = end - 1;
        while (start > file && *start != '/') start--;
        if (*start == '/') start++;
    }
    size_t n = 0;
    for (const char *c = start; c && c < end && n + 1 < size; c++) {
        int ch = tolower((unsigned char)*c);
        if (isdigit(ch) || (ch >= 'a' && ch <= 'z') || ch == '_' || ch == '-') out[n++] = (char)ch;
    }
    out[n] = '\0';
    if (n == 0) snprintf(out, size, "default");
}

void compose_container(const compose_tool *t, const deployment_spec *d, char *out, size_t size)
{
    char project[256];
    compose_project(d, project, sizeof(project));
    const char *sep = t->kind == COMPOSE_PODMAN ? "_" : "-";
    snprintf(out, size, "%s%s%s%s1", project, sep, d->compose.service_name, sep);
}

static char **push_words(char **argv, const char *first, va_list ap)
{
    for (const char *w = first; w && argv; w = va_arg(ap, const char *))
        if (strv_push(&argv, w) < 0) strv_free(argv), argv = NULL;
    return argv;
}

char **compose_tool_argv(const compose_tool *t, const deployment_spec *d, const char *first, ...)
{
    char project[256];
    compose_project(d, project, sizeof(project));
    char **argv = NULL;
    strv_push(&argv, t->program);
    if (t->kind == COMPOSE_DOCKER_PLUGIN) strv_push(&argv, "compose");
    strv_push(&argv, "-f");
    strv_push(&argv, d->compose.compose_file);
    strv_push(&argv, "-p");
    strv_push(&argv, project);
    if (strv_len(argv) != (t->kind == COMPOSE_DOCKER_PLUGIN ? 6u : 5u)) {
        strv_free(argv);
        return NULL;
    }
    va_list ap;
    va_start(ap, first);
    argv = push_words(argv, first, ap);
    va_end(ap);
    return argv;
}

char **compose_engine_argv(const compose_tool *t, const char *first, ...)
{
    char **argv = NULL;
    if (strv_push(&argv, t->engine) < 0) return NULL;
    va_list ap;
    va_start(ap, first);
    argv = push_words(argv, first, ap);
    va_end(ap);
    return argv;
}
