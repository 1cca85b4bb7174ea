/* paths.h — where tend keeps its socket, database, logs and registry.
 *
 * TEND_HOME=DIR puts everything under DIR (DIR/tend.sock, DIR/tend.db,
 * DIR/logs/, DIR/services.toml). Otherwise root uses /run/tend (socket),
 * /var/lib/tend (database, logs) and /etc/tend/services.toml; a user uses
 * $XDG_RUNTIME_DIR/tend, $XDG_STATE_HOME/tend and $XDG_CONFIG_HOME/tend.
 */
#ifndef TEND_BASE_PATHS_H
#define TEND_BASE_PATHS_H

typedef struct {
    char *runtime_dir; /* holds the socket */
    char *state_dir;   /* holds the database and logs/ */
    char *socket;
    char *db;
    char *logs;
    char *config; /* the default registry file */
} tend_paths;

/* Fills p from the environment; returns 0 or -ENOMEM. */
int tend_paths_init(tend_paths *p);
/* Creates runtime_dir, state_dir and logs (mode 0700) if missing. */
int tend_paths_create(const tend_paths *p);
void tend_paths_free(tend_paths *p);

#endif
