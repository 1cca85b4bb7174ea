/* adapter.h — the seam between tend and a deployment mode.
 *
 * A service's start is one job per action (jobs.c); each job is run by
 * the adapter of its action's mode, so the supervisor and the job layer
 * know no mode by name. Plain actions and deployment.binary are the
 * binary adapter: a process tend runs. Every other mode drives something
 * that runs outside tend's process tree (a container, a compose service,
 * a Deployment, an endpoint elsewhere), and says, through these hooks,
 * how:
 *
 *   preflight  what must hold before a start; with ask, the real thing
 *              is asked (the engine answers, the file parses ...). The
 *              CLI asks; the daemon's own checks stay cheap, and the job's
 *              steps ask at start, off the loop.
 *   before     commands a start runs first, in order, each to exit 0
 *              unless it may fail (remove a container a lost job left;
 *              apply manifests).
 *   launch     the main process, whose life is the job's and whose output
 *              is the job's log (the binary; the attached engine client).
 *              NULL: the job has no process of its own.
 *   stop       a command that stops it (`podman stop`); NULL: the stop
 *              signal to the main process. Either way the main process
 *              has the stop timeout to end (2 s more after a command),
 *              then its tree is killed. For a job with no process the
 *              command is the whole stop, a forced one too.
 *   after      a command that clears what the main process leaves once
 *              it ended, also one found gone by a daemon that took over.
 *   watch      a long-running command whose output tells the actual
 *              state (a Deployment's status); the adapter reads it
 *              (watch_read) and reports through adapter_report.
 *   follow     a long-running command whose output is the job's log, for
 *              an adapter with no main process (`kubectl logs -f`).
 *   Watch and follow run while the job does, and again a second after
 *   they end by themselves.
 *   reattach   the main process again, for a daemon that takes over a
 *              job whose main process is gone while what it drove may
 *              still run (`podman attach`); NULL: the job ended then.
 *
 * Default readiness: a job is running once its main process runs, unless
 * the adapter has a watch (ready_by_watch): then once the watch says so.
 * What a hook returns is the caller's to free (strv_free; adapter_steps_free).
 */
#ifndef TEND_DAEMON_ADAPTERS_ADAPTER_H
#define TEND_DAEMON_ADAPTERS_ADAPTER_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/registry.h"
#include "daemon/process/process.h"

/* What an adapter knows of one job. */
typedef struct adapter_job {
    int64_t id;
    const char *service;               /* NULL for a standalone job */
    const action_spec *action;         /* what the job runs */
    const deployment_spec *deployment; /* action->deployment: NULL for a plain action */
    /* For follow: the wall time up to which the job's log holds what an
     * earlier follow wrote (it ended, or a daemon before this one ran
     * it), so that this one starts there; 0 the first time. */
    double log_since;
} adapter_job;

/* One before command; a list of them ends with argv NULL. */
typedef struct {
    char **argv;
    bool may_fail; /* its exit status does not matter (removing what may not be there) */
} adapter_step;

/* What a watch says of the thing it watches. */
typedef enum {
    ADAPTER_UP,     /* it serves: the job is running */
    ADAPTER_DOWN,   /* not (or no longer) serving, on its way: starting */
    ADAPTER_FAILED, /* it will not come up by itself: the job fails with words */
} adapter_verdict;

/* The job layer's ear for a watch (adapter_report). */
typedef struct adapter_ear adapter_ear;
void adapter_report(adapter_ear *ear, adapter_verdict verdict, const char *words);

typedef struct adapter {
    const char *mode; /* deploy_mode_name, or "binary" for plain actions */
    bool (*preflight)(const service_spec *s, const action_spec *a, bool ask, json_t *checks);
    adapter_step *(*before)(const adapter_job *j);
    int (*launch)(const adapter_job *j, char *const *extra_env, proc_request *req, char *err,
                  size_t errlen);
    char **(*stop)(const adapter_job *j);
    char **(*after)(const adapter_job *j);
    char **(*watch)(const adapter_job *j);
    /* Output of the watch as it comes (not split at lines); *state is the
     * adapter's own, per job (NULL at first; freed with watch_free). */
    void (*watch_read)(void **state, const char *data, size_t len, adapter_ear *ear);
    void (*watch_free)(void *state);
    char **(*follow)(const adapter_job *j);
    char **(*reattach)(const adapter_job *j);
    bool ready_by_watch;
} adapter;

/* The daemon on state_dir: what tells its containers from another
 * daemon's (adapter_instance, 12 hex digits). */
void adapters_init(const char *state_dir);
const char *adapter_instance(void);

/* The adapter of a's mode (every mode has one). */
const adapter *adapter_of(const action_spec *a);

/* The environment for a command an adapter runs (the engine's CLI, kubectl):
 * the daemon's own, which says where the engine is (PATH, DOCKER_HOST,
 * CONTAINERS_CONF, KUBECONFIG). A new strv. */
char **adapter_environment(void);

/* Fills req for a launch hook: argv (taken) run with adapter_environment,
 * as the daemon's user, output wired by the caller. 0, or -1 with the
 * reason in err (argv NULL: out of memory). */
int adapter_request(proc_request *req, char **argv, char *err, size_t errlen);

/* A list of steps, as before returns, freed. */
void adapter_steps_free(adapter_step *steps);
/* Appends argv to *steps (taking it): 0, or -ENOMEM (argv freed). */
int adapter_steps_push(adapter_step **steps, char **argv, bool may_fail);

#endif
