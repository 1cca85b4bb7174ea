/* binary.c — the binary adapter: a process tend runs itself, for plain
 * actions and deployment.binary alike. Its main process is the program;
 * a stop is its stop signal; re-adoption is by pid and start time (the
 * process layer's); it runs once spawned, or once it said READY=1. */
#include "daemon/adapters/modes.h"
#include "daemon/launch.h"
#include "daemon/preflight_checks.h"

static bool binary_preflight(const service_spec *s, const action_spec *a, bool ask, json_t *checks)
{
    (void)s;
    (void)ask; /* nothing here is slow to ask */
    return preflight_check_action(checks, a);
}

static int binary_launch(const adapter_job *j, char *const *extra_env, proc_request *req, char *err,
                         size_t errlen)
{
    return launch_request(j->action, extra_env, req, err, errlen);
}

const adapter binary_adapter = {
    .mode = "binary",
    .preflight = binary_preflight,
    .launch = binary_launch,
};
