/* jobs.c — one job's life: created (with provenance, in one place),
 * launched through its adapter (adapters/adapter.h: its before commands,
 * then its main process as a proc of the process layer), watched until
 * it ends, stopped with its stop signal or its adapter's stop command and
 * then SIGKILL to its whole tree, cleared up after by its adapter's after
 * command, retried as its action's retry policy says.
 *
 * Every phase change goes through job_transition(), which writes the job
 * row and its event in the loop iteration's batch and then tells the
 * supervisor, so the run and the service can react.
 */
#include <errno.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "base/clock.h"
#include "base/procstat.h"
#include "base/signame.h"
#include "daemon/joblog.h"
#include "daemon/launch.h"
#include "daemon/notify.h"
#include "daemon/process/process.h"
#include "daemon/supervisor_internal.h"

enum { TIMER_NONE, TIMER_RETRY, TIMER_STOP, TIMER_TIMEOUT };

static void job_save(job_rt *j)
{
    store_job row = {
        .id = j->id,
        .phase = job_phase_name(j->phase),
        .attempt = j->attempt,
        .pid = j->pid,
        .has_exit_code = j->has_exit_code,
        .exit_code = j->exit_code,
        .term_signal = j->term_signal,
        .error = j->error,
        .started_at = j->started_at,
        .ended_at = j->ended_at,
        .log_path = j->log_path,
        .proc_start = j->pid ? j->proc_start : 0,
        .due_at = j->phase == JOB_PENDING ? j->due_at : 0,
    };
    store_batch(j->sv->st);
    store_job_update(j->sv->st, &row);
}

void job_set_pid(job_rt *j, pid_t pid)
{
    idmap *by_pid = &j->sv->job_by_pid;
    if (j->pid > 0 && idmap_get(by_pid, j->pid) == j) idmap_remove(by_pid, j->pid);
    j->pid = pid;
    /* Out of memory: the job's calls are nobody's (supervisor_set_caller). */
    if (pid > 0) idmap_put(by_pid, pid, j);
}

static void live_link(job_rt *j)
{
    supervisor *sv = j->sv;
    j->next_live = sv->live;
    if (sv->live) sv->live->prev_live = j;
    sv->live = j;
    sv->n_live++;
    if (j->service) j->service->n_live++;
}

static void live_unlink(job_rt *j)
{
    supervisor *sv = j->sv;
    if (j->prev_live)
        j->prev_live->next_live = j->next_live;
    else if (sv->live == j)
        sv->live = j->next_live;
    if (j->next_live) j->next_live->prev_live = j->prev_live;
    j->next_live = j->prev_live = NULL;
    sv->n_live--;
    if (j->service) j->service->n_live--;
}

/* A job_rt with its provenance; it holds reg, the registry spec is in.
 * Then job_settle. */
static job_rt *job_alloc(supervisor *sv, reg_ref *reg, svc *service, run_rt *run,
                         const action_spec *spec, job_phase phase, int attempt)
{
    job_rt *j = calloc(1, sizeof(*j));
    if (!j) return NULL;
    j->sv = sv;
    j->service = service;
    j->run = run;
    j->reg = reg_ref_get(reg);
    j->spec = spec;
    j->phase = phase;
    j->attempt = attempt;
    j->follow_fds[0] = j->follow_fds[1] = -1;
    return j;
}

/* Its row exists: its timer, and the live list unless it has ended. */
static void job_settle(job_rt *j)
{
    uv_timer_init(j->sv->loop, &j->timer);
    j->timer.data = j;
    if (!job_phase_is_terminal(j->phase)) live_link(j);
}

static job_rt *job_create_in(supervisor *sv, reg_ref *reg, svc *service, run_rt *run,
                             const action_spec *spec, int attempt)
{
    job_rt *j = job_alloc(sv, reg, service, run, spec, JOB_PENDING, attempt);
    if (!j) return NULL;
    j->created_at = wall_now();
    json_t *spec_json = action_spec_to_json(spec);
    char *spec_text = spec_json ? json_dumps(spec_json, JSON_COMPACT) : NULL;
    json_decref(spec_json);
    store_job row = {
        .service_id = service ? service->name : NULL,
        .action_id = spec->name,
        .run_id = run ? run->id : 0,
        .phase = job_phase_name(JOB_PENDING),
        .attempt = attempt,
        .created_at = j->created_at,
        .spec_json = spec_text,
    };
    store_batch(sv->st);
    int rc = store_job_create(sv->st, &row);
    free(spec_text);
    if (rc < 0) {
        reg_ref_put(j->reg);
        free(j);
        return NULL;
    }
    j->id = row.id;
    job_settle(j);
    char data[64];
    snprintf(data, sizeof(data), "{\"to\":\"pending\",\"attempt\":%d}", attempt);
    store_event_add(sv->st, j->created_at, "job.created", service ? service->name : NULL, j->id,
                    run ? run->id : 0, data);
    return j;
}

job_rt *job_create(supervisor *sv, svc *service, run_rt *run, const action_spec *spec, int attempt)
{
    return job_create_in(sv, sv->reg, service, run, spec, attempt);
}

void job_transition(job_rt *j, job_phase to, const char *reason)
{
    job_phase from = j->phase;
    if (from == to) return;
    j->phase = to;
    double now = wall_now();
    if (to == JOB_RUNNING && !j->started_at) j->started_at = now;
    if (job_phase_is_terminal(to)) {
        j->ended_at = now;
        if (reason && !j->error && (to == JOB_FAILED || to == JOB_LOST)) j->error = strdup(reason);
    }
    job_save(j);
    json_t *data = json_pack("{s:s, s:s}", "from", job_phase_name(from), "to", job_phase_name(to));
    if (reason) json_object_set_new(data, "reason", json_string(reason));
    if (j->has_exit_code) json_object_set_new(data, "exit_code", json_integer(j->exit_code));
    if (j->term_signal)
        json_object_set_new(data, "signal", json_string(signal_name(j->term_signal)));
    char *text = json_dumps(data, JSON_COMPACT);
    store_event_add(j->sv->st, now, "job.phase", j->service ? j->service->name : NULL, j->id,
                    j->run ? j->run->id : 0, text);
    free(text);
    json_decref(data);
    if (job_phase_is_terminal(to)) {
        uv_timer_stop(&j->timer);
        live_unlink(j);
        /* Nothing is listened to for a job that ended (an open socket would
         * also keep the loop, and a stopping daemon, alive). */
        notify_close(j->notify);
        j->notify = NULL;
    }
    j->sv->job_changed(j->sv, j);
}

static void job_timer_fired(uv_timer_t *timer);

/* Starts the job's one timer for purpose, replacing what it timed before. */
static void job_arm(job_rt *j, int purpose, double seconds)
{
    j->timer_purpose = purpose;
    uint64_t ms = seconds <= 0 ? 0 : (uint64_t)(seconds * 1000.0 + 0.5);
    uv_timer_start(&j->timer, job_timer_fired, ms, 0);
}

/* The main process is gone (the process layer kills what it left
 * behind, so a stop or a crash never leaves descendants running). */
static void job_process_exited(void *data, proc *p, int exit_code, int term_signal)
{
    job_rt *j = data;
    proc_release(p);
    j->proc = NULL;
    job_set_pid(j, 0);
    job_main_ended(j, exit_code, term_signal, false);
}

void job_main_ended(job_rt *j, int exit_code, int term_signal, bool lost)
{
    if (j->ending) return;
    j->ending = true;
    j->end_lost = lost;
    j->end_code = exit_code;
    j->end_signal = term_signal;
    j->end_stopped = j->phase == JOB_STOPPING;
    if (j->log) joblog_release(j->log), j->log = NULL;
    job_watch_stop(j);
    /* While its adapter clears up, it runs no more: it is stopping. */
    if (!j->end_stopped && job_steps_after_needed(j))
        job_transition(j, JOB_STOPPING, "ended; clearing up");
    job_steps_after(j);
}

void job_conclude(job_rt *j)
{
    if (j->end_lost) {
        /* Found gone by a daemon that took over, with no status. */
        job_set_pid(j, 0);
        free(j->error);
        j->error = strdup(JOB_ENDED_WHILE_DOWN);
        job_transition(j, j->end_stopped ? JOB_CANCELLED : JOB_FAILED, j->error);
        return;
    }
    int exit_code = j->end_code, term_signal = j->end_signal;
    /* An adopted process that was not our child may leave no status. */
    bool unknown = exit_code < 0 && term_signal == 0;
    j->has_exit_code = !unknown && term_signal == 0;
    j->exit_code = unknown ? 0 : exit_code;
    j->term_signal = term_signal;
    char reason[96];
    if (term_signal)
        snprintf(reason, sizeof(reason), "killed by %s", signal_name(term_signal));
    else if (unknown)
        snprintf(reason, sizeof(reason), "ended (its exit status is unknown)");
    else
        snprintf(reason, sizeof(reason), "exit code %d", exit_code);
    if (j->end_stopped && !j->timed_out) {
        /* A job tend failed (start_timeout, ...) keeps that as its outcome. */
        if (j->failed_by_tend)
            job_transition(j, JOB_FAILED, j->error);
        else
            job_transition(j, JOB_CANCELLED, "stopped");
        return;
    }
    /* A job stopped for its timeout failed, however it ended. */
    bool ok = !j->timed_out && !unknown && term_signal == 0 && exit_code == 0;
    if (!ok && j->spec->kind == ACTION_ONESHOT && j->attempt < j->spec->retry.max_attempts) {
        double delay = j->spec->retry.delay;
        for (int i = 1; i < j->attempt; i++) delay *= j->spec->retry.backoff;
        job_replace(j, delay);
    }
    job_transition(j, ok ? JOB_SUCCEEDED : JOB_FAILED, reason);
}

job_rt *job_replace(job_rt *old, double delay)
{
    /* The current registry's copy, so that an older registry is not held
     * by a service that keeps restarting; one whose action went keeps its
     * own (a removed service is never restarted, but its runs end). */
    supervisor *sv = old->sv;
    const action_spec *now = registry_action(sv->reg->r, old->spec->name);
    job_rt *next = now ? job_create_in(sv, sv->reg, old->service, old->run, now, old->attempt + 1)
                       : job_create_in(sv, old->reg, old->service, old->run, old->spec,
                                       old->attempt + 1);
    if (!next) return NULL;
    if (old->run) {
        next->slot = old->slot;
        old->run->jobs[old->slot] = next;
        if (job_phase_is_terminal(old->phase)) job_release(old);
    }
    job_arm(next, TIMER_RETRY, delay);
    /* When it is due, for a daemon that takes over before then. */
    next->due_at = wall_now() + (delay > 0 ? delay : 0);
    job_save(next);
    return next;
}

/* The process layer's answer, on the loop. */
static void job_spawned(void *data, proc *p, pid_t pid, int rc, const char *err)
{
    job_rt *j = data;
    if (j->log) joblog_child_started(j->log);
    if (rc < 0) {
        proc_release(p);
        j->proc = NULL;
        if (j->log) joblog_release(j->log), j->log = NULL;
        job_transition(j, JOB_FAILED, err && err[0] ? err : strerror(-rc));
        return;
    }
    j->proc_start = proc_start_time(p);
    job_set_pid(j, pid);
    if (j->phase == JOB_STOPPING) {
        /* Stopped while it was being spawned. */
        proc_kill(p);
        return;
    }
    /* Without ready = "notify", a process is running once it is spawned;
     * with it, once it said READY=1 (which may have come already). Until
     * then the row has its pid all the same: a daemon that takes over
     * must find the process. */
    /* (A reattached job runs already: its row gets the new pid.) */
    if (job_is_ready(j) && j->phase != JOB_RUNNING)
        job_transition(j, JOB_RUNNING, NULL);
    else
        job_save(j);
    if (j->spec->timeout > 0) job_arm(j, TIMER_TIMEOUT, j->spec->timeout);
    job_watch_start(j);
}

bool job_is_ready(const job_rt *j)
{
    if (j->spec->ready_notify && !j->notified) return false;
    return !(j->adapter && j->adapter->ready_by_watch && !j->watch_up);
}

adapter_job job_adapter_view(const job_rt *j)
{
    return (adapter_job){
        .id = j->id,
        .service = j->service ? j->service->name : NULL,
        .action = j->spec,
        .deployment = j->spec->deployment,
        .log_since = j->follow_since,
    };
}

/* A message on the job's sd_notify socket. */
static void job_notified(void *ctx, const char *key, const char *value)
{
    job_rt *j = ctx;
    if (strcmp(key, "READY") == 0 && strcmp(value, "1") == 0 && !j->notified) {
        j->notified = true;
        if (j->phase == JOB_STARTING && j->pid && job_is_ready(j))
            job_transition(j, JOB_RUNNING, "READY=1");
    } else if (strcmp(key, "STATUS") == 0) {
        free(j->status_text);
        j->status_text = strdup(value);
    }
}

static uid_t action_uid(const action_spec *a)
{
    struct passwd pw, *user = NULL;
    char buf[4096];
    if (!a->user || getpwnam_r(a->user, &pw, buf, sizeof(buf), &user) != 0 || !user)
        return (uid_t)-1;
    return user->pw_uid;
}

static uint64_t job_log_budget(const job_rt *j)
{
    return j->service ? (uint64_t)j->service->spec->log_max_bytes : 64u << 20;
}

/* Its output's pipes, into its log file (appended to: a job's main
 * process may be started again, by a reattach). */
static void job_open_log(job_rt *j)
{
    free(j->log_path);
    j->log_path = NULL;
    j->log = joblog_open(j->sv->loop, j->sv->logs_dir, j->service ? j->service->name : NULL, j->id,
                         job_log_budget(j), &j->log_path);
}

void job_launch(job_rt *j)
{
    job_open_log(j);
    job_transition(j, JOB_STARTING, NULL);
    j->adapter = adapter_of(j->spec);
    job_steps_before(j);
}

/* A job whose adapter runs no process of its own: it is what its watch
 * (or, with none, its health check) says. */
static void job_start_without_process(job_rt *j)
{
    /* Its log is what its follow command writes, if it has one. */
    if (j->log && !j->adapter->follow) joblog_release(j->log), j->log = NULL;
    if (job_is_ready(j))
        job_transition(j, JOB_RUNNING, NULL);
    else
        job_save(j);
    if (j->spec->timeout > 0) job_arm(j, TIMER_TIMEOUT, j->spec->timeout);
    job_watch_start(j);
}

/* Spawns the main process with its output in the job's log (and a copy
 * of the pipes with the keeper: they outlive a crash of this process). */
static void job_spawn_logged(job_rt *j, const char *unit, proc_request *req)
{
    if (j->log) {
        joblog_child_fds(j->log, &req->stdout_fd, &req->stderr_fd);
        int out_fd, err_fd;
        joblog_read_fds(j->log, &out_fd, &err_fd);
        process_keep_fds(unit, out_fd, err_fd);
    }
    proc_spawn(j->proc, req);
}

void job_start_main(job_rt *j)
{
    if (!j->adapter->launch) {
        job_start_without_process(j);
        return;
    }
    char *extra[2] = {NULL, NULL};
    if (j->spec->ready_notify) {
        char err[256];
        j->notify =
            notify_open(j->sv->loop, j->id, 0, action_uid(j->spec), job_notified, j, err, sizeof(err));
        if (!j->notify) {
            if (j->log) joblog_release(j->log), j->log = NULL;
            job_transition(j, JOB_FAILED, err);
            return;
        }
        extra[0] = (char *)notify_env(j->notify);
    }
    char unit[48], err[256];
    snprintf(unit, sizeof(unit), "job-%lld", (long long)j->id);
    proc_request req;
    adapter_job view = job_adapter_view(j);
    bool prepared = j->adapter->launch(&view, extra, &req, err, sizeof(err)) == 0;
    if (prepared && !(j->proc = proc_new(unit, job_spawned, job_process_exited, j))) {
        launch_request_free(&req);
        snprintf(err, sizeof(err), "out of memory");
        prepared = false;
    }
    if (!prepared) {
        if (j->log) joblog_release(j->log), j->log = NULL;
        job_transition(j, JOB_FAILED, err);
        return;
    }
    job_spawn_logged(j, unit, &req);
}

void job_fail(job_rt *j, const char *reason)
{
    j->failed_by_tend = true;
    free(j->error);
    j->error = strdup(reason);
    switch (j->phase) {
    case JOB_PENDING: job_transition(j, JOB_FAILED, reason); return;
    case JOB_STARTING:
    case JOB_RUNNING: job_stop(j, false); return;
    default: return;
    }
}

void job_stop(job_rt *j, bool kill_now)
{
    switch (j->phase) {
    case JOB_PENDING: job_transition(j, JOB_CANCELLED, "stopped before it started"); return;
    case JOB_STARTING:
    case JOB_RUNNING:
        if (j->ending) {
            /* Its main process ended; the after command finishes it. */
            job_transition(j, JOB_STOPPING, kill_now ? "killed" : "stop requested");
            return;
        }
        if (!j->proc) {
            /* Its before commands, or an adapter with no process: its
             * stop command (if any) ends it, killed or not (there is no
             * process to kill: a Deployment is scaled to 0 all the same). */
            job_steps_cancel(j);
            job_transition(j, JOB_STOPPING, kill_now ? "killed" : "stop requested");
            if (!job_steps_stop(j)) job_main_ended(j, 0, 0, false);
            else job_arm(j, TIMER_STOP, j->spec->stop_timeout);
            return;
        }
        if (kill_now)
            proc_kill(j->proc);
        else if (!job_steps_stop(j))
            proc_signal(j->proc, j->spec->stop_signal);
        job_transition(j, JOB_STOPPING, kill_now ? "killed" : "stop requested");
        if (!kill_now) job_arm(j, TIMER_STOP, j->spec->stop_timeout);
        return;
    case JOB_STOPPING:
        if (kill_now && j->proc) proc_kill(j->proc);
        return;
    default: return;
    }
}

int job_signal(job_rt *j, int sig)
{
    return j->pid ? proc_signal(j->proc, sig) : -ESRCH;
}

static void job_timer_fired(uv_timer_t *timer)
{
    job_rt *j = timer->data;
    switch (j->timer_purpose) {
    case TIMER_RETRY:
        if (j->phase != JOB_PENDING) break;
        /* The process it replaces is still stopping: the run starts this
         * one when it has ended (run_advance). */
        if (j->service && j->service->stopping_jobs > 0) break;
        if (j->sv->shutting_down)
            job_transition(j, JOB_CANCELLED, "daemon shutting down");
        else
            job_launch(j);
        break;
    case TIMER_STOP:
        /* stop_timeout passed and the tree still lives: all of it goes.
         * (A stop command gets a little longer: it has the timeout too.) */
        if (j->proc && j->stopper && !j->stop_overdue) {
            j->stop_overdue = true;
            job_arm(j, TIMER_STOP, 2.0);
        } else if (j->proc) {
            proc_kill(j->proc);
        } else if (!j->ending) {
            job_steps_cancel(j);
            job_main_ended(j, 0, 0, false);
        }
        break;
    case TIMER_TIMEOUT:
        /* Stopped the way a stop does (stop_signal, stop_timeout, then
         * SIGKILL): a timeout is no reason to deny it a clean exit. */
        if (j->phase == JOB_RUNNING || j->phase == JOB_STARTING) {
            char words[64];
            snprintf(words, sizeof(words), "timed out after %g s", j->spec->timeout);
            free(j->error);
            j->error = strdup(words);
            j->timed_out = true;
            job_stop(j, false);
        }
        break;
    }
}

static void job_timer_closed(uv_handle_t *handle)
{
    job_rt *j = handle->data;
    reg_ref_put(j->reg);
    free(j->error);
    free(j->log_path);
    free(j->status_text);
    free(j);
}

/* Frees a terminal job's runtime part; its history stays in the store. */
void job_release(job_rt *j)
{
    /* Out of the pid index (its pid stays, for what reads it until freed). */
    if (j->pid > 0 && idmap_get(&j->sv->job_by_pid, j->pid) == j)
        idmap_remove(&j->sv->job_by_pid, j->pid);
    job_steps_cancel(j);
    job_watch_stop(j);
    proc_release(j->proc);
    j->proc = NULL;
    if (j->log) joblog_release(j->log);
    j->log = NULL;
    notify_close(j->notify);
    j->notify = NULL;
    uv_close((uv_handle_t *)&j->timer, job_timer_closed);
}

/* ---- taking over from a daemon before this one ---------------------------- */

job_rt *job_restore(supervisor *sv, svc *service, run_rt *run, const action_spec *spec,
                    const store_job *row)
{
    int phase = job_phase_from_name(row->phase);
    job_rt *j = phase < 0 ? NULL
                          : job_alloc(sv, sv->reg, service, run, spec, (job_phase)phase,
                                      row->attempt);
    if (!j) return NULL;
    j->id = row->id;
    j->proc_start = row->proc_start;
    /* The process of a job that ended is no job's any more. */
    if (job_phase_is_terminal(j->phase))
        j->pid = row->pid;
    else
        job_set_pid(j, row->pid);
    j->due_at = row->due_at;
    j->created_at = row->created_at;
    j->started_at = row->started_at;
    j->ended_at = row->ended_at;
    j->has_exit_code = row->has_exit_code;
    j->exit_code = row->exit_code;
    j->term_signal = row->term_signal;
    j->error = row->error ? strdup(row->error) : NULL;
    j->log_path = row->log_path ? strdup(row->log_path) : NULL;
    job_settle(j);
    return j;
}

/* An adopted job still to say READY=1: the socket its NOTIFY_SOCKET names
 * is bound again, under the name it was given (after the keeper, which may
 * have died since: an abstract name is free once its socket closed). False
 * if it cannot be heard: then it counts as running. */
static bool job_listen_again(job_rt *j)
{
    char err[256], where[128];
    if (!j->spec->ready_notify || !proc_environ_get(j->pid, "NOTIFY_SOCKET", where, sizeof(where)))
        return false;
    pid_t named = notify_name_pid(where, j->id);
    if (!named) return false;
    j->notify = notify_open(j->sv->loop, j->id, named, action_uid(j->spec), job_notified, j, err,
                            sizeof(err));
    return j->notify != NULL;
}

/* A daemon before this one ran j's main process, which is gone: its
 * adapter's reattach command takes its place (what it drove may still
 * run); false if it has none. */
static bool job_reattach(job_rt *j)
{
    adapter_job view = job_adapter_view(j);
    char **argv = j->phase != JOB_STOPPING && j->adapter->reattach ? j->adapter->reattach(&view) : NULL;
    if (!argv) return false;
    char unit[48];
    snprintf(unit, sizeof(unit), "job-%lld", (long long)j->id);
    job_open_log(j);
    proc_request req;
    char err[64];
    if (adapter_request(&req, argv, err, sizeof(err)) < 0 ||
        !(j->proc = proc_new(unit, job_spawned, job_process_exited, j))) {
        launch_request_free(&req);
        if (j->log) joblog_release(j->log), j->log = NULL;
        return false;
    }
    job_set_pid(j, 0);
    job_spawn_logged(j, unit, &req);
    return true;
}

/* An adopted job of an adapter that runs no process: it goes on (or, if
 * it was being stopped, is stopped now). */
static bool job_resume_without_process(job_rt *j)
{
    if (j->phase == JOB_STOPPING) {
        if (!job_steps_stop(j)) {
            job_main_ended(j, 0, 0, false);
            return !job_phase_is_terminal(j->phase);
        }
        job_arm(j, TIMER_STOP, j->spec->stop_timeout);
        return true;
    }
    if (j->phase == JOB_STARTING && job_is_ready(j)) job_transition(j, JOB_RUNNING, "adopted");
    if (j->adapter->follow) {
        /* What the daemon before wrote of it is in the log already. */
        struct stat st;
        if (j->log_path && stat(j->log_path, &st) == 0)
            j->follow_since = (double)st.st_mtim.tv_sec + st.st_mtim.tv_nsec / 1e9;
        job_open_log(j);
    }
    job_watch_start(j);
    return true;
}

bool job_resume(job_rt *j)
{
    double now = wall_now();
    switch (j->phase) {
    case JOB_PENDING:
        /* A retry keeps the time it was due; one waiting for its turn
         * is started by its run, as before. */
        if (j->due_at > 0) job_arm(j, TIMER_RETRY, j->due_at - now);
        return true;
    case JOB_STARTING:
    case JOB_RUNNING:
    case JOB_STOPPING: {
        j->adapter = adapter_of(j->spec);
        if (!j->adapter->launch) return job_resume_without_process(j);
        char unit[48];
        snprintf(unit, sizeof(unit), "job-%lld", (long long)j->id);
        int status = -1, fds[2];
        bool kept = process_kept_fds(unit, fds);
        /* With no pid stored (the main process before died while it was
         * spawned), the process layer finds it by its unit. */
        j->proc = proc_adopt(unit, &j->pid, &j->proc_start, job_process_exited, j, &status);
        if (kept) {
            /* What it wrote while no main process read is in the pipes. */
            j->log = joblog_attach(j->sv->loop, j->sv->logs_dir,
                                   j->service ? j->service->name : NULL, j->id, job_log_budget(j),
                                   fds);
        }
        j->ended_while_down = !j->proc;
        if (!j->proc && status >= 0) {
            /* It ended while the main process was down; the keeper saw how. */
            int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
            int sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
            if (code != 0 && j->phase != JOB_STOPPING) {
                char words[96];
                if (sig)
                    snprintf(words, sizeof(words), JOB_ENDED_WHILE_DOWN ": killed by %s",
                             signal_name(sig));
                else
                    snprintf(words, sizeof(words), JOB_ENDED_WHILE_DOWN ": exit code %d",
                             code);
                free(j->error);
                j->error = strdup(words);
            }
            job_set_pid(j, 0);
            job_main_ended(j, code, sig, false);
            return !job_phase_is_terminal(j->phase);
        }
        if (!j->proc) {
            if (j->log) joblog_release(j->log), j->log = NULL;
            if (job_reattach(j)) {
                j->ended_while_down = false;
                return true;
            }
            job_main_ended(j, -1, 0, true);
            return !job_phase_is_terminal(j->phase);
        }
        if (j->phase == JOB_STOPPING) {
            /* It was being stopped: that is finished now. */
            proc_kill(j->proc);
        } else {
            if (!(j->phase == JOB_STARTING && job_listen_again(j)))
                job_transition(j, JOB_RUNNING, "adopted");
            /* (One still starting has no start time yet: all of it.) */
            if (j->spec->timeout > 0)
                job_arm(j, TIMER_TIMEOUT,
                        j->spec->timeout - (j->started_at ? now - j->started_at : 0));
            job_watch_start(j);
        }
        return true;
    }
    default: return false;
    }
}
