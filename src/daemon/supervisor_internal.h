/* supervisor_internal.h — the supervisor's runtime structures (private to
 * src/daemon/supervisor*.c and jobs.c).
 *
 * A svc lives as long as its service is in the registry; once removed it
 * is buried, and freed at the end of the first loop iteration in which no
 * job of it is live. A run_rt lives as long as it is the service's current
 * run or has live jobs; a job_rt while it is not terminal or sits in its
 * run's slot (history lives in the store). Registries are shared by
 * reference count: a job keeps using the action spec it was created from,
 * and a svc the service spec it was given, after a newer registry came.
 *
 * Invariant: a service's rows of the dependency graph (sv->deps, sv->rdeps
 * into sv->svcs) are only read through svc_n_deps/svc_dep and
 * svc_n_rdeps/svc_rdep, which give a buried service none: its index was
 * into a graph that is gone. An apply swaps registry, graph, table and
 * every index and spec in one step before anything reacts to it.
 */
#ifndef TEND_DAEMON_SUPERVISOR_INTERNAL_H
#define TEND_DAEMON_SUPERVISOR_INTERNAL_H

#include <stdlib.h>

#include "base/idmap.h"
#include "base/strmap.h"
#include "daemon/adapters/adapter.h"
#include "daemon/supervisor.h"
#include "model/graph.h"
#include "model/restart.h"
#include "model/state.h"

typedef struct reg_ref {
    registry *r;
    int refs;
} reg_ref;

typedef struct svc svc;
typedef struct run_rt run_rt;
typedef struct job_rt job_rt;

struct job_rt {
    int64_t id;
    supervisor *sv;
    svc *service; /* NULL for a standalone job */
    run_rt *run;  /* NULL for a standalone job */
    size_t slot;  /* its index in run->jobs */
    reg_ref *reg; /* keeps spec alive */
    const action_spec *spec;
    job_phase phase;
    int attempt;
    pid_t pid;          /* its main process, while it runs */
    uint64_t proc_start; /* and that process's start time (process_start_time) */
    double due_at;       /* pending a retry: when it is due */
    struct proc *proc;  /* its processes, from launch until the main one ended */
    double created_at, started_at, ended_at;
    bool has_exit_code;
    int exit_code, term_signal;
    char *error;
    char *log_path;
    uv_timer_t timer; /* retry delay, stop timeout, or job timeout */
    int timer_purpose;
    struct job_log *log;          /* stdout/stderr capture while the process lives */
    struct notify_socket *notify; /* ready = "notify": its NOTIFY_SOCKET */
    bool notified;                /* sent READY=1 */
    char *status_text;            /* the last STATUS= it sent */
    bool failed_by_tend;          /* failed on purpose (start_timeout...): no restart */
    bool timed_out;               /* stopped because its timeout passed: failed */
    bool ended_while_down;        /* its process ended while no main process ran */
    bool stopping_counted;        /* counted in its service's stopping_jobs */
    /* Its adapter (adapters/adapter.h) and the commands it runs beside
     * the main process (job_steps.c, job_watch.c). */
    const adapter *adapter;
    struct job_command *step;    /* a before or after command in flight */
    adapter_step *before;        /* the before commands; step_next is the next */
    size_t step_next;
    struct job_command *stopper; /* the adapter's stop command */
    struct job_command *watch;   /* the adapter's watch */
    void *watch_state;
    uv_timer_t *watch_again;     /* a watch that ended runs again after this */
    struct proc *follower;       /* the adapter's follow (its log), while it runs */
    uv_timer_t *follow_again;    /* ... and when it runs again */
    int follow_fds[2];           /* its output's copies, until it started */
    double follow_since;         /* what the log holds lines up to (adapter_job.log_since) */
    struct adapter_ear *ear;
    bool watch_up;               /* its watch says it serves */
    bool ending;                 /* its main process ended; the after command runs */
    bool end_lost;               /* ... and nothing says how it ended */
    bool end_stopped;            /* ... while it was being stopped */
    bool stop_overdue;           /* its stop command had its stop_timeout */
    int end_code, end_signal;
    job_rt *next_live, *prev_live;
};

/* What a watch reports to (adapter_report). */
struct adapter_ear {
    job_rt *job;
};

struct run_rt {
    int64_t id;
    svc *service;
    job_rt **jobs; /* one current job per action of the service */
    size_t n_jobs;
    run_status status;
};

struct svc {
    supervisor *sv;
    char *name;
    const service_spec *spec;
    reg_ref *reg; /* holds spec's registry */
    size_t index; /* in the current registry; SIZE_MAX once buried */
    int n_live;   /* its jobs not terminal, in any run */
    wanted_status wanted;
    run_rt *run;               /* the current run, or NULL */
    restart_history *restarts; /* allocated at the first restart decision */
    char *reason;              /* why it is in its state, in words */
    double since;              /* when it entered its state */
    char *last_restart;        /* the reason of the latest restart of this run */
    double last_restart_at;
    int stopping_jobs;             /* jobs of old runs still stopping: new ones wait */
    struct health_monitor *health; /* checks, while its processes run */
    uv_timer_t *start_timer;       /* start_timeout while it comes up */
    bool remove_jobs_when_idle;
    bool stop_queued; /* to stop once its dependents being stopped have ended */
    bool stop_kill;   /* and then with SIGKILL (platform stop --force) */
    bool removed;     /* gone from the registry; freed once idle */
    /* The job whose API call asked for its latest start or stop (0: no
     * job did: a person, the boot, the restart policy...), its action,
     * and which of the two it asked for. */
    int64_t asked_by_job;
    char *asked_by_action;
    bool asked_to_stop;
};

/* Who asks for what the supervisor is doing now (supervisor_set_caller). */
typedef struct {
    int64_t job; /* a running job of this daemon, by its main process; 0: nobody known */
    char action[80];
} caller_job;

struct supervisor {
    uv_loop_t *loop;
    store *st;
    char *logs_dir;
    reg_ref *reg;
    svc **svcs; /* index-parallel to reg->r->services */
    strmap svc_by_name;
    dep_graph deps, rdeps;
    uv_check_t end_check; /* commits each loop iteration's writes, frees old runs */
    run_rt **retired;     /* old runs waiting for their jobs to end */
    size_t n_retired;
    job_rt *live; /* every non-terminal job */
    int n_live;
    idmap job_by_pid; /* jobs by their main process's pid (job_set_pid) */
    caller_job caller;
    svc **buried; /* services removed from the registry, freed at the end */
    size_t n_buried;
    bool shutting_down; /* nothing starts or restarts any more */
    bool applied;       /* a registry was applied before (not the boot one) */
    void (*job_changed)(supervisor *sv, job_rt *j); /* supervisor_job_changed */
    void (*follow)(supervisor *sv, svc *s);          /* svc_follow */
    void (*stop_advance)(supervisor *sv, svc *s);    /* svc_stop_advance */
    void (*on_idle)(void *ctx);
    void *on_idle_ctx;
};

/* The first words of the error of a job whose process ended while no
 * main process ran. */
#define JOB_ENDED_WHILE_DOWN "ended while the daemon was down"

/* jobs.c */
/* j's main process is pid (0: none), in sv->job_by_pid too. */
void job_set_pid(job_rt *j, pid_t pid);
job_rt *job_create(supervisor *sv, svc *service, run_rt *run, const action_spec *spec, int attempt);
void job_transition(job_rt *j, job_phase to, const char *reason);
void job_launch(job_rt *j);
/* The next attempt of old's action in old's place, launched after delay
 * seconds, with the action as the current registry has it (old itself is
 * left to end as it does; if it has ended, it is released: no slot holds
 * it any more). */
job_rt *job_replace(job_rt *old, double delay);
void job_stop(job_rt *j, bool kill_now);
/* sig to its main process's group: 0, or -ESRCH when none runs. */
int job_signal(job_rt *j, int sig);
/* A job_rt for a row a daemon before this one left, in its phase, with no
 * process yet; job_resume then takes its process over (or records that it
 * ended while no daemon ran) and re-arms its timers. resume: true if it
 * lives on. */
job_rt *job_restore(supervisor *sv, svc *service, run_rt *run, const action_spec *spec,
                    const store_job *row);
bool job_resume(job_rt *j);
/* Ends a job as failed with reason, whatever its phase: stopped if it
 * runs, and not restarted (the restart policy is for what ends by itself). */
void job_fail(job_rt *j, const char *reason);
/* Frees j's runtime part once the loop closes its timer: until then (the
 * rest of the callback that released it) j and its spec may still be read. */
void job_release(job_rt *j);
/* Whether it may count as running: READY=1 came, if it must; its watch
 * says it serves, if its adapter's readiness is the watch's. */
bool job_is_ready(const job_rt *j);
/* The adapter's view of j. */
adapter_job job_adapter_view(const job_rt *j);
/* jobs.c: its main process ended (or was found gone: lost, no status). */
void job_main_ended(job_rt *j, int exit_code, int term_signal, bool lost);
/* jobs.c: the before commands are done; the main process starts. */
void job_start_main(job_rt *j);

/* job_steps.c: the before commands of a start, then job_start_main; the
 * after command of an end, then the end is concluded (job_conclude). A
 * step that fails fails the job with its words. */
void job_steps_before(job_rt *j);
void job_steps_after(job_rt *j);
/* Whether its adapter has an after command to run. */
bool job_steps_after_needed(const job_rt *j);
/* The stop command of its adapter; done: the job's main process ends by
 * itself (or, with none, the job is over when the command is). */
bool job_steps_stop(job_rt *j);
/* jobs.c: what its end comes to, once the after command is done. */
void job_conclude(job_rt *j);
/* The commands in flight are killed (a job being released). */
void job_steps_cancel(job_rt *j);

/* job_watch.c: the adapter's watch and follow, from the main process's
 * start (the job's, with none) until its end (run again if they end
 * before); what the watch reports moves the job. */
void job_watch_start(job_rt *j);
void job_watch_stop(job_rt *j);

/* supervisor.c: what the supervisor does whenever a job changed phase.
 * jobs.c calls it through sv->job_changed: jobs never call up into the
 * supervisor by name (supervisor -> jobs -> process layer). */
void supervisor_job_changed(supervisor *sv, job_rt *j);

static inline void reg_ref_put(reg_ref *ref)
{
    if (ref && --ref->refs == 0) {
        registry_free(ref->r);
        free(ref);
    }
}

static inline reg_ref *reg_ref_get(reg_ref *ref)
{
    ref->refs++;
    return ref;
}

/* The graph rows of s in the current registry: what it depends on
 * (deps) and what depends on it (rdeps). A buried service has none. */
static inline size_t svc_n_deps(const supervisor *sv, const svc *s)
{
    return s->removed ? 0 : sv->deps.n_deps[s->index];
}

static inline svc *svc_dep(const supervisor *sv, const svc *s, size_t i)
{
    return sv->svcs[sv->deps.deps[s->index][i]];
}

static inline size_t svc_n_rdeps(const supervisor *sv, const svc *s)
{
    return s->removed ? 0 : sv->rdeps.n_deps[s->index];
}

static inline svc *svc_rdep(const supervisor *sv, const svc *s, size_t i)
{
    return sv->svcs[sv->rdeps.deps[s->index][i]];
}

/* supervisor.c, for supervisor_apply.c, supervisor_ops.c and
 * supervisor_health.c */
__attribute__((format(printf, 2, 3))) void svc_explain(svc *s, const char *fmt, ...);
/* The state its processes alone say; svc_state adds readiness. */
service_state svc_process_state(const svc *s);
service_state svc_state(const svc *s);
/* Whether a process that ends by itself is restarted. */
bool svc_supervised(const svc *s);
/* Starts what may start of a run, and updates its status. */
void run_advance(supervisor *sv, run_rt *run);
/* Records a run's new status (and its event). */
void run_set_status(supervisor *sv, run_rt *run, run_status status);
/* A service of dependencies alone (no actions, no deployment): a target,
 * up while they are. */
bool svc_is_target(const svc *s);
/* The runs of the services waiting on s, advanced. */
void dependents_advance(supervisor *sv, svc *s);
restart_policy svc_restart_policy(const svc *s);
restart_history *svc_restart_history(svc *s);
/* Keeps the reason of the restart being made, for why. */
void svc_note_restart(svc *s);

/* supervisor.c: what its health monitor says */
bool svc_has_health_check(const svc *s);
/* Its processes run, but its health check has not passed yet. */
bool svc_awaits_health(const svc *s);
/* The health part of a status: {status, check, message, ...}. */
json_t *svc_health_json(const svc *s);

/* supervisor_health.c: after any change of the service, health checks and
 * start_timeout follow (through sv->follow: supervisor -> health). */
void svc_follow(supervisor *sv, svc *s);

/* supervisor_stop.c: a job of s ended, so the services s depends on that
 * wait to stop may go now (through sv->stop_advance: supervisor -> stop). */
void svc_stop_advance(supervisor *sv, svc *s);
/* After a registry change: every waiting stop looks again. */
void supervisor_stops_recheck(supervisor *sv);
/* A buried service's processes go (its dependents, if any, went with it
 * or no longer depend on it: nothing to wait for). */
void svc_stop_removed(supervisor *sv, svc *s);

/* supervisor.c, for supervisor_stop.c */
void svc_set_wanted(supervisor *sv, svc *s, wanted_status w);
/* s is asked to start or stop (stop) now: by the caller's job, if any. */
void svc_note_asker(supervisor *sv, svc *s, bool stop);
/* Who asked for s's latest start or stop in words: "job 12 (action
 * deploy)", or "user" when no job did. */
const char *svc_asker_words(const svc *s, char *out, size_t size);
/* The service's ended jobs are deleted once its current run has ended. */
void svc_remove_jobs_when_idle(supervisor *sv, svc *s);

/* supervisor.c, for supervisor_apply.c */
svc *svc_find(supervisor *sv, const char *name);
bool svc_is_active(const svc *s);
/* Takes s out of the graph: it stops, and is freed once idle. */
void svc_bury(supervisor *sv, svc *s);
/* supervisor_apply.c: frees the buried services none of whose jobs live
 * (at the end of a loop iteration, never under a callback's feet). */
void supervisor_free_idle_buried(supervisor *sv);
/* Starts a service as the daemon does at boot: its wanted status stays. */
void svc_auto_start(supervisor *sv, svc *s);
void svc_drop_run(supervisor *sv, svc *s);
void supervisor_hooks_start(supervisor *sv);
/* Frees sv itself, once libuv has closed its handle. */
void supervisor_hooks_stop(supervisor *sv);
void supervisor_flush_retired(supervisor *sv);

#endif
