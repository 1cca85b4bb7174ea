/* process.h — the process layer: every process tree tend runs (a job's,
 * or a health check command's), from spawn to the last descendant gone.
 *
 * A proc is one such tree, named by a unit ("job-12", "check-3"). Its
 * main process is started in a session of its own; its descendants are
 * kept together, so that killing the proc reaches every one of them, also
 * those that double-forked or called setsid:
 *   - cgroup v2, where the machine lets tend create groups: each proc gets
 *     <tend's cgroup>/tend-<hash of TEND_HOME>/<unit>, joined by the child
 *     before it execs (nothing it forks can be outside), killed with
 *     cgroup.kill, removed once empty;
 *   - else process groups and the subreaper: descendants that leave their
 *     group are reparented to the daemon ("strays"), and TEND_UNIT in
 *     their environment tells whose they were; a stray whose proc ended is
 *     killed, and every stray when the layer closes.
 * The caller (jobs.c, probe.c) sees only the main process: started, then
 * exited; the rest of the tree goes with it.
 *
 * A daemon started after one that died takes over the procs it left:
 * proc_adopt, by pid and start time, watched through a pidfd; a main
 * process whose pid never reached the store is found by its unit, and
 * what nobody takes over is killed (proc_kill_unclaimed).
 *
 * Files below: reaper (exits), spawn (one clone+exec), spawner (threads),
 * containment (cgroups or the fallback), adopt (a pidfd per adopted
 * process), leftover (what a main process before this one left that the
 * store cannot name), proc (this interface).
 */
#ifndef TEND_DAEMON_PROCESS_PROCESS_H
#define TEND_DAEMON_PROCESS_PROCESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <uv.h>

#include "base/rlimits.h"

/* The layer's state for the daemon on state_dir; cgroups false forces the
 * fallback. Returns 0, or -errno when the loop's handles cannot be made. */
int process_layer_init(uv_loop_t *loop, const char *state_dir, bool cgroups);
/* What keeps a job's processes together, in words, for the start-up line
 * and the API: "cgroup v2 (/sys/fs/cgroup/.../tend-ab12)" or "process
 * groups (why no cgroup)". */
const char *process_layer_containment(void);
bool process_layer_uses_cgroups(void);
/* The keeper (keeper.h) this main process runs under: its socket, and
 * what to do if it goes away. */
int process_layer_keeper(int sock, void (*lost)(void));
bool process_layer_has_keeper(void);
/* The main process serves the API: the keeper is told, and the pipes it
 * held for jobs that did not come back are closed. */
void process_layer_ready(void);
/* The keeper keeps a copy of name's descriptors: a job's pipes' read ends
 * (unit, out, err), or a listening socket (name, fd, -1). */
void process_keep_fds(const char *name, int fd, int second_fd);
/* Those a main process before this one had kept, once: true and fds[0..1]. */
bool process_kept_fds(const char *name, int fds[2]);
/* Hand-over of a main process whose keeper died (keeper_link.h). */
int process_pass_pipes(int sock, const char *unit, int out_fd, int err_fd);
int process_pass_end(int sock);
int process_receive_pipes(int sock, char *unit, size_t size, int fds[2]);
/* Before a main process leaves its jobs running for another (a hand-over):
 * the spawns under way are waited for and told, so that each pid reaches
 * the store; those not begun are dropped (their jobs stay starting with
 * no process, which the next main process finds so). */
void process_layer_settle(void);
/* Kills every stray left and removes tend's cgroup. After the loop ran
 * out of work (which includes removing each proc's cgroup). */
void process_layer_close(void);

typedef struct proc proc;

/* What to run. The strings and arrays are taken (freed by the layer). */
typedef struct {
    char **argv;   /* argv[0] without '/' is looked up in PATH from env */
    char **env;    /* the whole environment; TEND_UNIT is added */
    char *cwd;     /* NULL: the daemon's */
    uid_t uid;     /* (uid_t)-1: the daemon's user */
    gid_t gid;
    gid_t *groups; /* supplementary groups, with uid */
    size_t n_groups;
    int stdout_fd, stderr_fd; /* -1: /dev/null; the caller closes its copy */
    /* Confinement, applied in the child before exec; a step that fails
     * is the start's error. */
    bool no_new_privs; /* PR_SET_NO_NEW_PRIVS */
    bool has_umask;    /* else the umask the daemon was started with */
    mode_t umask;
    rlimit_entry *limits; /* setrlimit, n_limits of them (taken) */
    size_t n_limits;
} proc_request;

/* rc 0: the main process runs as pid; else -errno and the reason in err. */
typedef void (*proc_started_fn)(void *data, proc *p, pid_t pid, int rc, const char *err);
/* The main process ended; the rest of its tree is being killed. */
typedef void (*proc_exited_fn)(void *data, proc *p, int exit_code, int term_signal);

/* A proc for unit, not started yet; NULL when out of memory. */
proc *proc_new(const char *unit, proc_started_fn started, proc_exited_fn exited, void *data);
/* Starts req's program (taking what req owns). It is spawned off the
 * loop; started comes on the loop, perhaps before this returns, and then
 * exited once, if it started. */
void proc_spawn(proc *p, proc_request *req);
/* The start time of pid: clock ticks after boot (/proc/PID/stat), which
 * with the pid names one process and no other; 0 if there is none. */
uint64_t process_start_time(pid_t pid);
/* Takes over unit's main process, started by a daemon before this one:
 * *pid, if it is still the process that started at *start_time (and,
 * with cgroups, in unit's cgroup); with *pid 0 (a main process died
 * before the pid of its spawn was stored), the one unit's processes say
 * is its main process, in *pid and *start_time (leftover.h). Its end
 * comes to exited, on the loop, with its exit status: from the keeper,
 * which reaps it, or where the kernel keeps it for a process that is not
 * our child (PIDFD_INFO_EXIT, Linux 6.15+); else exit_code is -1 and
 * term_signal 0. NULL if it is not there any more, and then what still
 * runs of unit is killed; *status is then its wait status if the keeper
 * saw it end, else -1. */
proc *proc_adopt(const char *unit, pid_t *pid, uint64_t *start_time, proc_exited_fn exited,
                 void *data, int *status);
/* Kills what a daemon before this one left running in every unit that
 * neither a proc of this daemon has nor claimed says will be adopted: a
 * spawn whose job row was never written, a job stored as pending or
 * ended, a command beside a job, a check. Called once, before anything
 * new starts (a new job may get the id of one whose row was lost). */
void proc_kill_unclaimed(bool (*claimed)(void *ctx, const char *unit), void *ctx);
/* The main process's start time (for the store), 0 before it started. */
uint64_t proc_start_time(const proc *p);
/* sig to the main process's group (its session); 0 or -errno. */
int proc_signal(proc *p, int sig);
/* SIGKILL to every process of the tree. */
void proc_kill(proc *p);
/* No callback comes any more; a tree still running is killed. The proc
 * frees itself once its processes and its cgroup are gone. Every proc is
 * released once, also one that failed to start. */
void proc_release(proc *p);

#endif
