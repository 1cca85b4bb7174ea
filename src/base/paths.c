/* paths.c — tend's file locations from the environment (see paths.h). */
#include "base/paths.h"

#include "base/trust.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *join(const char *dir, const char *name)
{
    char *out = NULL;
    return asprintf(&out, "%s/%s", dir, name) < 0 ? NULL : out;
}

/* $VAR/tend if VAR is set, else $HOME/fallback/tend. */
static char *xdg_dir(const char *var, const char *fallback)
{
    const char *base = getenv(var);
    if (base && *base) return join(base, "tend");
    const char *home = getenv("HOME");
    char *out = NULL;
    if (asprintf(&out, "%s/%s/tend", home && *home ? home : "/tmp", fallback) < 0) return NULL;
    return out;
}

int tend_paths_init(tend_paths *p)
{
    *p = (tend_paths){0};
    const char *home = getenv("TEND_HOME");
    char *config_dir = NULL;
    if (home && *home) {
        p->runtime_dir = strdup(home);
        p->state_dir = strdup(home);
        config_dir = strdup(home);
    } else if (geteuid() == 0) {
        p->runtime_dir = strdup("/run/tend");
        p->state_dir = strdup("/var/lib/tend");
        config_dir = strdup("/etc/tend");
    } else {
        const char *run = getenv("XDG_RUNTIME_DIR");
        if (run && *run)
            p->runtime_dir = join(run, "tend");
        else if (asprintf(&p->runtime_dir, "/tmp/tend-%u", (unsigned)geteuid()) < 0)
            p->runtime_dir = NULL;
        else
            p->runtime_private = true; /* under /tmp: anybody could have made it */
        p->state_dir = xdg_dir("XDG_STATE_HOME", ".local/state");
        config_dir = xdg_dir("XDG_CONFIG_HOME", ".config");
    }
    if (p->runtime_dir) p->socket = join(p->runtime_dir, "tend.sock");
    if (p->state_dir) {
        p->db = join(p->state_dir, "tend.db");
        p->logs = join(p->state_dir, "logs");
    }
    if (config_dir) p->config = join(config_dir, "services.toml");
    free(config_dir);
    if (!p->runtime_dir || !p->state_dir || !p->socket || !p->db || !p->logs || !p->config) {
        tend_paths_free(p);
        return -ENOMEM;
    }
    return 0;
}

int tend_paths_create(const tend_paths *p, char *err, size_t errlen)
{
    trust_rule runtime = p->runtime_private ? TRUST_PRIVATE : TRUST_OWN;
    int rc = trust_make_dir(p->runtime_dir, runtime, err, errlen);
    if (rc == 0) rc = trust_make_dir(p->state_dir, TRUST_OWN, err, errlen);
    if (rc == 0) rc = trust_make_dir(p->logs, TRUST_OWN, err, errlen);
    return rc;
}

int tend_paths_check_socket(const tend_paths *p, char *err, size_t errlen)
{
    int rc = trust_check_dir(p->runtime_dir, p->runtime_private ? TRUST_PRIVATE : TRUST_OWN, err,
                             errlen);
    return rc < 0 ? rc : trust_check_socket(p->socket, err, errlen);
}

int tend_paths_check_state(const tend_paths *p, char *err, size_t errlen)
{
    return trust_check_dir(p->state_dir, TRUST_OWN, err, errlen);
}

void tend_paths_tighten(const tend_paths *p)
{
    static const char *const files[] = {"tend.db",       "tend.db-wal", "tend.db-shm",
                                        "dashboard.url", "daemon.log",  "daemon.lock"};
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        char *path = join(p->state_dir, files[i]);
        if (path) trust_tighten_file(path);
        free(path);
    }
}

void tend_paths_free(tend_paths *p)
{
    free(p->runtime_dir);
    free(p->state_dir);
    free(p->socket);
    free(p->db);
    free(p->logs);
    free(p->config);
    *p = (tend_paths){0};
}

void tend_paths_instance_tag(const char *state_dir, char tag[13])
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (const char *c = state_dir; *c; c++) h = (h ^ (unsigned char)*c) * 1099511628211ull;
    snprintf(tag, 13, "%012llx", (unsigned long long)(h & 0xffffffffffffull));
}
