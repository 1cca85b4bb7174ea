/* proc.c — one process tree from spawn to its last process (see
 * process.h), and the layer's start and end.
 *
 * A proc goes: spawning (a worker thread makes its cgroup and starts the
 * main process) -> running (the reaper watches the main pid) -> reaped
 * (the main process ended: the rest of the tree is killed) -> removed
 * (its cgroup is empty and gone; in cgroup.events, "populated 0" is the
 * word for it, so the wait is an inotify watch, not a poll). It is freed
 * once it is removed and its caller released it.
 */
#include "daemon/process/process.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/strmap.h"
#include "base/strv.h"
#include "daemon/process/containment.h"
#include "daemon/process/reaper.h"
#include "daemon/process/spawner.h"
#include "daemon/process/adopt.h"
#include "daemon/process/keeper_link.h"
#include "daemon/process/leftover.h"

struct proc {
    char unit[48];
    pid_t pid;     /* the main process, while it runs */
    bool spawning; /* the spawner has it */
    bool reaped;   /* its main process ended (or never started) */
    bool removing; /* its cgroup is waited for to empty */
    bool released; /* the caller wants no more callbacks */
    bool calling;  /* inside a callback, which may release it */
    proc_started_fn started;
    proc_exited_fn exited;
    void *data;
    uv_fs_event_t *events; /* cgroup.events, while removing */
    struct adopted *adopted; /* a main process a daemon before this one started */
    bool was_adopted;
    uint64_t start_time; /* of the main process */
};

static struct {
    uv_loop_t *loop;
    strmap live;  /* unit -> proc, until its main process ended */
    int removing; /* procs whose cgroup is waited for */
    bool ready, closing;
} layer;

static bool unit_is_live(const char *unit)
{
    return strmap_get(&layer.live, unit) != NULL;
}

static void maybe_free(proc *p)
{
    if (p->released && !p->calling && !p->spawning && p->reaped && !p->removing) free(p);
}

/* ---- removal ------------------------------------------------------------- */

static void events_closed(uv_handle_t *handle)
{
    proc *p = handle->data;
    free(handle);
    p->events = NULL;
    p->removing = false;
    /* The last group gone after the layer closed: tend's own goes too. */
    if (--layer.removing == 0 && layer.closing) containment_close();
    maybe_free(p);
}

static void events_changed(uv_fs_event_t *handle, const char *file, int what, int status)
{
    (void)file, (void)what;
    proc *p = handle->data;
    if (status == 0 && containment_remove(p->unit) == -EBUSY) return;
    uv_close((uv_handle_t *)handle, events_closed);
}

/* The cgroup goes once its last process has; until then, cgroup.events
 * says when. */
static void remove_tree(proc *p)
{
    if (containment_remove(p->unit) != -EBUSY) return;
    char *path = containment_events_path(p->unit);
    uv_fs_event_t *w = path ? calloc(1, sizeof(*w)) : NULL;
    if (!w || uv_fs_event_init(layer.loop, w) < 0) {
        free(w);
        free(path);
        return;
    }
    w->data = p;
    p->events = w;
    p->removing = true;
    layer.removing++;
    if (uv_fs_event_start(w, events_changed, path, 0) < 0) uv_close((uv_handle_t *)w, events_closed);
    free(path);
    /* It may have emptied before the watch began. */
    if (!uv_is_closing((uv_handle_t *)w) && containment_remove(p->unit) == 0)
        uv_close((uv_handle_t *)w, events_closed);
}

/* ---- the main process ---------------------------------------------------- */

static void kill_strays(void)
{
    containment_kill_strays(unit_is_live, false);
}

static void proc_reaped(void *data, pid_t pid, int exit_code, int term_signal)
{
    /* (For an adopted proc, the pidfd said it ended: adopt.c calls this.) */
    proc *p = data;
    p->pid = 0;
    p->reaped = true;
    strmap_remove(&layer.live, p->unit);
    /* Whatever it left behind goes too, so a stop or a crash never leaves
     * descendants running. (An adopted process was not our child: its pid,
     * and so its group's, may be another's by now.) */
    containment_kill(p->unit, p->was_adopted ? 0 : pid);
    if (!containment_has_cgroups()) kill_strays();
    remove_tree(p);
    if (!p->released) {
        p->calling = true;
        p->exited(p->data, p, exit_code, term_signal);
        p->calling = false;
    }
    maybe_free(p);
}

static void tell_started(proc *p, pid_t pid, int rc, const char *err)
{
    if (p->released) return;
    p->calling = true;
    p->started(p->data, p, pid, rc, err);
    p->calling = false;
}

/* Its pidfd said it ended (with no keeper to tell the status). */
static void adopted_ended(void *data, pid_t pid, int exit_code, int term_signal)
{
    proc *p = data;
    p->adopted = NULL; /* adopt.c frees its part itself */
    reaper_forget(pid);
    proc_reaped(p, pid, exit_code, term_signal);
}

/* The keeper reaped it (it was orphaned to the keeper). */
static void adopted_reaped(void *data, pid_t pid, int exit_code, int term_signal)
{
    proc *p = data;
    adopt_cancel(p->adopted);
    p->adopted = NULL;
    proc_reaped(p, pid, exit_code, term_signal);
}

/* unit's process, as *pid and *start_time say or, with no pid, as its
 * unit says (leftover.h): watched, or NULL. */
static proc *adopt_main(const char *unit, pid_t *pid, uint64_t *start_time,
                        proc_exited_fn exited, void *data, int *status)
{
    if (*pid <= 0 && !leftover_main(unit, pid, start_time)) return NULL;
    if (*pid <= 1 || !*start_time) return NULL;
    if (keeper_link_take_exit(*pid, status)) return NULL;
    if (containment_has_cgroups() && !containment_holds(unit, *pid)) return NULL;
    proc *p = proc_new(unit, NULL, exited, data);
    if (!p) return NULL;
    if (strmap_put(&layer.live, p->unit, p, NULL) < 0 ||
        !(p->adopted = adopt_watch(layer.loop, *pid, *start_time, adopted_ended, p))) {
        strmap_remove(&layer.live, p->unit);
        free(p);
        return NULL;
    }
    reaper_watch(*pid, adopted_reaped, p);
    p->pid = *pid;
    p->start_time = *start_time;
    p->reaped = false;
    p->was_adopted = true;
    return p;
}

proc *proc_adopt(const char *unit, pid_t *pid, uint64_t *start_time, proc_exited_fn exited,
                 void *data, int *status)
{
    *status = -1;
    bool stored = *pid > 0;
    proc *p = adopt_main(unit, pid, start_time, exited, data, status);
    if (p) return p;
    if (!stored) *pid = 0, *start_time = 0;
    /* Its main process gone (or never found): the rest of its tree goes
     * too, as when a main process ends under this daemon's eyes. */
    leftover_kill(unit);
    return NULL;
}

typedef struct {
    bool (*claimed)(void *ctx, const char *unit);
    void *ctx;
} claims;

static bool wanted(void *ctx, const char *unit)
{
    claims *c = ctx;
    return unit_is_live(unit) || c->claimed(c->ctx, unit);
}

void proc_kill_unclaimed(bool (*claimed)(void *ctx, const char *unit), void *ctx)
{
    claims c = {claimed, ctx};
    leftover_kill_unwanted(wanted, &c);
}

static void proc_spawned(void *data, pid_t pid, uint64_t start_time, int rc, const char *err)
{
    proc *p = data;
    p->start_time = start_time;
    p->spawning = false;
    if (rc < 0) {
        p->reaped = true;
        strmap_remove(&layer.live, p->unit);
        containment_remove(p->unit);
        tell_started(p, 0, rc, err);
        maybe_free(p);
        return;
    }
    p->pid = pid;
    if (p->released)
        containment_kill(p->unit, pid);
    else
        tell_started(p, pid, 0, NULL);
    /* Last: an exit the reaper saw already is delivered at once. */
    reaper_watch(pid, proc_reaped, p);
}

proc *proc_new(const char *unit, proc_started_fn started, proc_exited_fn exited, void *data)
{
    proc *p = calloc(1, sizeof(*p));
    if (!p) return NULL;
    snprintf(p->unit, sizeof(p->unit), "%s", unit);
    p->reaped = true; /* nothing runs yet */
    p->started = started;
    p->exited = exited;
    p->data = data;
    return p;
}

void proc_spawn(proc *p, proc_request *req)
{
    char *marker = NULL;
    if (asprintf(&marker, "TEND_UNIT=%s", p->unit) < 0 || strv_push_take(&req->env, marker) < 0 ||
        strmap_put(&layer.live, p->unit, p, NULL) < 0) {
        strv_free(req->argv);
        strv_free_wiped(req->env);
        free(req->cwd);
        free(req->groups);
        free(req->limits);
        *req = (proc_request){0};
        tell_started(p, 0, -ENOMEM, "out of memory");
        maybe_free(p);
        return;
    }
    p->reaped = false;
    p->spawning = true;
    spawner_submit(req, p->unit, proc_spawned, p);
    *req = (proc_request){0};
}

uint64_t proc_start_time(const proc *p)
{
    return p ? p->start_time : 0;
}

int proc_signal(proc *p, int sig)
{
    if (!p || p->pid <= 1) return -ESRCH;
    if (p->adopted) return adopt_signal_group(p->adopted, sig);
    if (kill(-p->pid, sig) < 0 && errno != ESRCH) return -errno;
    return 0;
}

void proc_kill(proc *p)
{
    if (!p || p->pid <= 1) return;
    if (p->adopted) {
        containment_kill(p->unit, 0);
        adopt_signal_group(p->adopted, SIGKILL);
        return;
    }
    containment_kill(p->unit, p->pid);
}

void proc_release(proc *p)
{
    if (!p) return;
    /* An adopted tree being killed: its pidfd still says when it ended. */
    p->released = true;
    proc_kill(p);
    maybe_free(p);
}

/* ---- the layer ----------------------------------------------------------- */

int process_layer_init(uv_loop_t *loop, const char *state_dir, bool cgroups)
{
    if (layer.ready) return 0;
    layer.loop = loop;
    reaper_become_subreaper();
    int rc = reaper_init(loop);
    if (rc == 0) rc = spawner_init(loop);
    if (rc < 0) return rc;
    containment_init(state_dir, cgroups);
    if (!containment_has_cgroups()) reaper_on_stray(kill_strays);
    layer.ready = true;
    return 0;
}

int process_layer_keeper(int sock, void (*lost)(void))
{
    return keeper_link_open(layer.loop, sock, lost);
}

bool process_layer_has_keeper(void)
{
    return keeper_link_connected();
}

void process_layer_ready(void)
{
    keeper_link_ready();
    keeper_link_drop_unclaimed();
}

void process_keep_fds(const char *unit, int out_fd, int err_fd)
{
    keeper_link_hold(unit, out_fd, err_fd);
}

bool process_kept_fds(const char *unit, int fds[2])
{
    return keeper_link_take(unit, fds);
}

int process_pass_pipes(int sock, const char *unit, int out_fd, int err_fd)
{
    return keeper_link_pass(sock, unit, out_fd, err_fd);
}

int process_pass_end(int sock)
{
    return keeper_link_pass_end(sock);
}

int process_receive_pipes(int sock, char *unit, size_t size, int fds[2])
{
    return keeper_link_receive(sock, unit, size, fds);
}

const char *process_layer_containment(void)
{
    return containment_describe();
}

bool process_layer_uses_cgroups(void)
{
    return containment_has_cgroups();
}

void process_layer_settle(void)
{
    spawner_settle();
}

void process_layer_close(void)
{
    if (!layer.ready) return;
    spawner_close();
    keeper_link_close();
    containment_kill_strays(unit_is_live, true);
    reaper_on_stray(NULL);
    reaper_close();
    strmap_free(&layer.live);
    layer.ready = false;
    layer.closing = true;
    if (!layer.removing) containment_close();
}
