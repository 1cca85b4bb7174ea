/* adapter.c — which adapter runs which mode, and what every adapter
 * shares (see adapter.h). */
#include "daemon/adapters/adapter.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "base/paths.h"
#include "base/strv.h"
#include "daemon/adapters/modes.h"
#include "daemon/job_env.h"

static char instance[13] = "000000000000";

void adapters_init(const char *state_dir)
{
    tend_paths_instance_tag(state_dir, instance);
}

const char *adapter_instance(void)
{
    return instance;
}

const adapter *adapter_of(const action_spec *a)
{
    switch (a->deployment ? a->deployment->mode : DEPLOY_NONE) {
    case DEPLOY_DOCKER: return &docker_adapter;
    case DEPLOY_DOCKER_COMPOSE: return &compose_adapter;
    case DEPLOY_KUBERNETES: return &kubernetes_adapter;
    /* A remote endpoint's adapter depends on what the endpoint is. */
    case DEPLOY_REMOTE: return remote_adapter_of(a->deployment);
    case DEPLOY_NONE:
    case DEPLOY_BINARY: break;
    }
    return &binary_adapter;
}

char **adapter_environment(void)
{
    return job_env(NULL, NULL, NULL);
}

int adapter_request(proc_request *req, char **argv, char *err, size_t errlen)
{
    *req = (proc_request){
        .argv = argv,
        .env = argv ? adapter_environment() : NULL,
        .uid = (uid_t)-1,
        .gid = (gid_t)-1,
        .stdout_fd = -1,
        .stderr_fd = -1,
    };
    if (req->argv && req->env) return 0;
    strv_free(req->argv);
    strv_free(req->env);
    req->argv = req->env = NULL;
    snprintf(err, errlen, "out of memory");
    return -1;
}

void adapter_steps_free(adapter_step *steps)
{
    for (size_t i = 0; steps && steps[i].argv; i++) strv_free(steps[i].argv);
    free(steps);
}

int adapter_steps_push(adapter_step **steps, char **argv, bool may_fail)
{
    size_t n = 0;
    while (*steps && (*steps)[n].argv) n++;
    adapter_step *grown = argv ? realloc(*steps, (n + 2) * sizeof(*grown)) : NULL;
    if (!grown) {
        strv_free(argv);
        return -ENOMEM;
    }
    grown[n] = (adapter_step){.argv = argv, .may_fail = may_fail};
    grown[n + 1] = (adapter_step){0};
    *steps = grown;
    return 0;
}
