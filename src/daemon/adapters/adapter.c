/* adapter.c — which adapter runs which mode, and what every adapter
 * shares (see adapter.h). */
#include "daemon/adapters/adapter.h"

#include <errno.h>
#include <stdlib.h>

#include "base/strv.h"
#include "daemon/adapters/modes.h"
#include "daemon/job_env.h"

const adapter *adapter_for_mode(deploy_mode mode)
{
    switch (mode) {
    case DEPLOY_NONE:
    case DEPLOY_BINARY: return &binary_adapter;
    case DEPLOY_DOCKER:
    case DEPLOY_DOCKER_COMPOSE:
    case DEPLOY_KUBERNETES:
    case DEPLOY_REMOTE: return NULL;
    }
    return NULL;
}

const adapter *adapter_of(const action_spec *a)
{
    return adapter_for_mode(a->deployment ? a->deployment->mode : DEPLOY_NONE);
}

char **adapter_environment(void)
{
    return job_env(NULL, NULL, NULL);
}

void adapter_cmds_free(char ***cmds)
{
    for (size_t i = 0; cmds && cmds[i]; i++) strv_free(cmds[i]);
    free(cmds);
}

int adapter_cmds_push(char ****cmds, char **argv)
{
    size_t n = 0;
    while (*cmds && (*cmds)[n]) n++;
    char ***grown = argv ? realloc(*cmds, (n + 2) * sizeof(*grown)) : NULL;
    if (!grown) {
        strv_free(argv);
        return -ENOMEM;
    }
    grown[n] = argv;
    grown[n + 1] = NULL;
    *cmds = grown;
    return 0;
}
