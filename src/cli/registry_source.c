/* registry_source.c — which registry a command means: one rule for all.
 * `-c FILE` is that file. Without it, a daemon that runs is asked
 * (registry.get, never starting one): the file it read (`tend daemon -c`,
 * `tend apply`), else the default path, else the registry it runs. With
 * no daemon, the default path, and a hint when it cannot be read. The
 * commands that only ask the daemon refuse -c with the reason. Over --host,
 * the registry the remote daemon runs (its file is on its host). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/api_remote.h"
#include "cli/cli.h"

#define DAEMON_REGISTRY "(the running daemon's registry)"

/* The running daemon's {file, registry}, or NULL when none answers. */
static json_t *daemon_registry(void)
{
    json_t *got = NULL;
    call_error err = {0};
    if (api_call_running("registry.get", NULL, &got, &err) != CALL_OK) return NULL;
    return got;
}

static registry *from_daemon_content(json_t *doc)
{
    diag_list diags;
    diag_init(&diags, DAEMON_REGISTRY);
    registry *r = registry_from_json(doc, &diags);
    if (!r) {
        diag_print(&diags, stderr);
    } else {
        free(r->path);
        r->path = strdup(DAEMON_REGISTRY);
    }
    diag_free(&diags);
    return r;
}

/* Over --host the daemon's file is on its host, not here: what it runs,
 * unless the command needs a file to read. */
static int remote_registry(json_t *running, bool need_file, json_t **content)
{
    int rc = 0;
    if (!running) {
        fprintf(stderr, "tend %s: no answer from %s: pass -c FILE to use a registry file here\n",
                cli_command(), api_remote_host());
        rc = -1;
    } else if (need_file) {
        fprintf(stderr,
                "tend %s: the daemon at %s reads its registry on its own host; pass -c FILE to "
                "send one from here\n",
                cli_command(), api_remote_host());
        rc = -1;
    } else {
        *content = json_incref(json_object_get(running, "registry"));
    }
    json_decref(running);
    return rc;
}

int cli_registry_locate(const char *option, bool need_file, char **path, json_t **content)
{
    *path = NULL;
    *content = NULL;
    if (option) return (*path = strdup(option)) ? 0 : -1;
    json_t *running = daemon_registry();
    if (api_remote_active()) return remote_registry(running, need_file, content);
    const char *file = json_string_value(json_object_get(running, "file"));
    char *where = file ? strdup(file) : cli_config_path(NULL);
    int rc = 0;
    if (!where) {
        fprintf(stderr, "tend %s: no registry location: pass -c FILE or set TEND_HOME\n",
                cli_command());
        rc = -1;
    } else if (file || access(where, F_OK) == 0) {
        *path = where;
        where = NULL;
    } else if (running && !need_file) {
        /* Its registry came from no file (stored, or changed through the
         * API), and there is none at the default path: what it runs. */
        *content = json_incref(json_object_get(running, "registry"));
    } else {
        fprintf(stderr, "tend %s: cannot read the registry %s: %s\n", cli_command(), where,
                strerror(errno));
        fprintf(stderr, "hint: %s; pass -c FILE%s\n",
                running ? "the running daemon's registry comes from no file"
                        : "no daemon runs, and this is the default path",
                running ? "" : ", or start a daemon with 'tend daemon -c FILE'");
        rc = -1;
    }
    free(where);
    json_decref(running);
    return rc;
}

registry *cli_registry_open(const char *option, bool need_file, char **file_out)
{
    if (file_out) *file_out = NULL;
    char *path = NULL;
    json_t *content = NULL;
    if (cli_registry_locate(option, need_file, &path, &content) < 0) return NULL;
    registry *r = path ? cli_load_registry(path) : from_daemon_content(content);
    if (r && path && file_out) *file_out = realpath(path, NULL);
    free(path);
    json_decref(content);
    return r;
}

int cli_refuse_config(void)
{
    json_t *running = daemon_registry();
    const char *file = json_string_value(json_object_get(running, "file"));
    fprintf(stderr, "tend %s: -c names a registry file; this command asks the running daemon ",
            cli_command());
    if (file)
        fprintf(stderr, "(its registry: %s)\n", file);
    else if (running)
        fprintf(stderr, "(its registry comes from no file)\n");
    else
        fprintf(stderr, "(none runs now)\n");
    fprintf(stderr, "hint: 'tend apply -c FILE' loads a file into the daemon\n");
    json_decref(running);
    return EXIT_USAGE;
}
