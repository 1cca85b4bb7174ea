/* paths.h — where tend keeps its socket, database, logs and registry.
 *
 * TEND_HOME=DIR puts everything under DIR (DIR/tend.sock, DIR/tend.db,
 * DIR/logs/, DIR/services.toml). Otherwise root uses /run/tend (socket),
 * /var/lib/tend (database, logs) and /etc/tend/services.toml; a user uses
 * $XDG_RUNTIME_DIR/tend (/tmp/tend-UID without it), $XDG_STATE_HOME/tend
 * and $XDG_CONFIG_HOME/tend.
 *
 * Before the daemon keeps anything there, or a client believes what
 * answers on the socket, the directories pass trust.h's checks.
 */
#ifndef TEND_BASE_PATHS_H
#define TEND_BASE_PATHS_H

#include <stdbool.h>
#include <stddef.h>

typedef struct {
    char *runtime_dir; /* holds the socket */
    char *state_dir;   /* holds the database and logs/ */
    char *socket;
    char *db;
    char *logs;
    char *config;         /* the default registry file */
    bool runtime_private; /* runtime_dir is /tmp/tend-UID: TRUST_PRIVATE */
} tend_paths;

/* Fills p from the environment; returns 0 or -ENOMEM. */
int tend_paths_init(tend_paths *p);
/* Creates runtime_dir, state_dir and logs (mode 0700) if missing, and
 * checks them (trust.h) when they exist; 0, or -errno with the reason and
 * the fix in err. */
int tend_paths_create(const tend_paths *p, char *err, size_t errlen);
/* For a client, before it connects: runtime_dir passes the checks and the
 * socket is a socket of yours (or root's). 0; -ENOENT when either is not
 * there (no daemon yet); -EPERM etc. with the reason in err. */
int tend_paths_check_socket(const tend_paths *p, char *err, size_t errlen);
/* For a client, before it believes a file there (dashboard.url): the
 * state_dir passes the checks. 0, or -errno with the reason in err. */
int tend_paths_check_state(const tend_paths *p, char *err, size_t errlen);
/* The files an older tend left 0644 in state_dir (the database, its WAL
 * and shared memory, dashboard.url, ...) become 0600. */
void tend_paths_tighten(const tend_paths *p);
void tend_paths_free(tend_paths *p);

/* A short tag that tells this TEND_HOME's daemon from another's on the
 * same machine (its cgroup, the labels of its containers): 12 hex digits
 * of a hash of state_dir. */
void tend_paths_instance_tag(const char *state_dir, char tag[13]);

#endif
