/* compose.c — the docker-compose adapter: one service of a compose
 * project, through the compose tool that works here (compose_tool.h:
 * `docker compose`, `docker-compose` or podman-compose).
 *
 * tend orders the project's services itself (each is a tend service with
 * tend dependencies), so a start must make this one service's container
 * and no other. podman-compose 1.0.3 ignores --no-deps for `up` (it
 * creates and starts every dependency too); its `run --no-deps` starts
 * only the one, but always exits 0, whatever the container's code. What
 * works with every tool is to let the tool create the container, not
 * start it, and start it attached with the engine:
 *   before    the compose file is read (compose_file_check: it has the
 *             service, with no restart policy of the engine's), then
 *             `ENGINE rm --force NAME` (may fail: a container a lost job
 *             left), then `TOOL -f F -p P up --no-start --no-deps S`:
 *             the tool makes the network and the container as the file
 *             says (podman-compose also creates a dependency's container
 *             that does not exist yet, never starts it);
 *   launch    `ENGINE start --attach NAME`, the job's main process: it
 *             lives as long as the container, the container's stdout and
 *             stderr are its own (the job's log), its exit code is the
 *             container's, and a signal to it is passed to the container;
 *   stop      `ENGINE stop --time T NAME` (the stop signal is the compose
 *             file's stop_signal, as compose gives it to the container);
 *   after     `ENGINE rm --force NAME`;
 *   reattach  `ENGINE attach --no-stdin NAME`, for a daemon that took
 *             over a job whose client is gone while the container runs.
 * NAME is compose's own name for the container (compose_container), so
 * `TOOL ps`, `logs` and `down` see it as theirs. The project's network
 * stays when the last service stops, as podman-compose's `down` leaves it:
 * services start in parallel, and removing it could pull it from under
 * a sibling's `up` that just found it there; the next start reuses it.
 */
#include <stdio.h>
#include <string.h>

#include "base/strv.h"
#include "daemon/adapters/compose_preflight.h"
#include "daemon/adapters/compose_tool.h"
#include "daemon/adapters/modes.h"

static adapter_step *compose_before(const adapter_job *j)
{
    compose_tool t;
    if (!compose_tool_pick(&t)) return NULL; /* the launch says why */
    char name[512];
    compose_container(&t, j->deployment, name, sizeof(name));
    adapter_step *steps = NULL;
    /* No check when it cannot be made (no python for podman-compose: its
     * pre-flight says so); the tool then reads the file itself. */
    char **check = compose_file_check(&t, j->deployment);
    if ((check && adapter_steps_push(&steps, check, false) < 0) ||
        adapter_steps_push(&steps, compose_engine_argv(&t, "rm", "--force", name, NULL), true) <
            0 ||
        adapter_steps_push(&steps,
                           compose_tool_argv(&t, j->deployment, "up", "--no-start", "--no-deps",
                                             j->deployment->compose.service_name, NULL),
                           false) < 0) {
        adapter_steps_free(steps);
        return NULL;
    }
    return steps;
}

static int compose_launch(const adapter_job *j, char *const *extra_env, proc_request *req,
                          char *err, size_t errlen)
{
    (void)extra_env;
    compose_tool t;
    char name[512];
    *req = (proc_request){.stdout_fd = -1, .stderr_fd = -1};
    if (!compose_tool_pick(&t)) {
        snprintf(err, errlen, "%s", t.words);
        return -1;
    }
    compose_container(&t, j->deployment, name, sizeof(name));
    return adapter_request(req, compose_engine_argv(&t, "start", "--attach", name, NULL), err,
                           errlen);
}

static char **compose_stop(const adapter_job *j)
{
    compose_tool t;
    if (!compose_tool_pick(&t)) return NULL;
    char name[512], seconds[64];
    compose_container(&t, j->deployment, name, sizeof(name));
    snprintf(seconds, sizeof(seconds), "%d", (int)(j->action->stop_timeout + 0.999));
    return compose_engine_argv(&t, "stop", "--time", seconds, name, NULL);
}

static char **compose_after(const adapter_job *j)
{
    compose_tool t;
    if (!compose_tool_pick(&t)) return NULL;
    char name[512];
    compose_container(&t, j->deployment, name, sizeof(name));
    return compose_engine_argv(&t, "rm", "--force", name, NULL);
}

static char **compose_reattach(const adapter_job *j)
{
    compose_tool t;
    if (!compose_tool_pick(&t)) return NULL;
    char name[512];
    compose_container(&t, j->deployment, name, sizeof(name));
    return compose_engine_argv(&t, "attach", "--no-stdin", name, NULL);
}

const adapter compose_adapter = {
    .mode = "docker-compose",
    .preflight = compose_preflight,
    .before = compose_before,
    .launch = compose_launch,
    .stop = compose_stop,
    .after = compose_after,
    .reattach = compose_reattach,
};
