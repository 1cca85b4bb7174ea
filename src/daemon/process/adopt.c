/* adopt.c — a pidfd per adopted process (see adopt.h).
 *
 * The pidfd is opened first and the start time checked after: if the pid
 * had been reused in between, the process it names now started later, so
 * a pidfd that passes the check refers to the process we mean. A pidfd is
 * readable once its process has exited; the kernel records the exit
 * status when the process's parent (init, or a subreaper above tend)
 * reaps it, which normally follows at once, so a status not there yet is
 * asked for again a little later, three times at most.
 */
#include "daemon/process/adopt.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/procstat.h"
#include "daemon/process/keeper_link.h"
#include "daemon/process/process.h"

/* linux/pidfd.h of Linux 6.15 (Debian 12's headers are older). */
#define PIDFD_INFO_EXIT_BIT (1ULL << 3)
typedef struct {
    uint64_t mask, cgroupid;
    uint32_t pid, tgid, ppid, ruid, rgid, euid, egid, suid, sgid, fsuid, fsgid;
    int32_t exit_code; /* a wait status */
} pidfd_info_v0;
#define PIDFD_GET_INFO_V0 _IOWR(0xFF, 11, pidfd_info_v0)

/* How long the keeper's word on an exit may take before we ask the kernel. */
#define KEEPER_WAIT_MS 1000
/* How long to wait for the reaper of a process that is not ours. */
static const unsigned status_retry_ms[] = {20, 100, 400};

struct adopted {
    uv_poll_t poll;
    uv_timer_t retry;
    int pidfd;
    pid_t pid;
    bool keeper_reaps; /* its parent is our keeper, which tells its end */
    unsigned retries;
    adopted_fn ended;
    void *data;
    int closing;
};

uint64_t process_start_time(pid_t pid)
{
    proc_stat st;
    /* A zombie has ended, only not been reaped. */
    if (!proc_stat_read(pid, &st) || st.state == 'Z' || st.state == 'X') return 0;
    return st.start_time;
}

static void closed(uv_handle_t *handle)
{
    adopted *a = handle->data;
    if (--a->closing) return;
    close(a->pidfd);
    free(a);
}

static void finish(adopted *a, int exit_code, int term_signal)
{
    a->ended(a->data, a->pid, exit_code, term_signal);
    a->closing = 2;
    uv_close((uv_handle_t *)&a->poll, closed);
    uv_close((uv_handle_t *)&a->retry, closed);
}

/* true, with its status, once the kernel has it. */
static int exit_status(adopted *a, int *status)
{
    pidfd_info_v0 info = {.mask = PIDFD_INFO_EXIT_BIT};
    if (ioctl(a->pidfd, PIDFD_GET_INFO_V0, &info) < 0) return -errno;
    if (!(info.mask & PIDFD_INFO_EXIT_BIT)) return -EAGAIN;
    *status = info.exit_code;
    return 0;
}

static void tell(adopted *a, int status)
{
    finish(a, WIFEXITED(status) ? WEXITSTATUS(status) : -1,
           WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

static void retry_status(uv_timer_t *timer)
{
    adopted *a = timer->data;
    int status, rc = exit_status(a, &status);
    if (rc == 0)
        tell(a, status);
    else if (rc == -EAGAIN && a->retries < sizeof(status_retry_ms) / sizeof(status_retry_ms[0]))
        uv_timer_start(&a->retry, retry_status, status_retry_ms[a->retries++], 0);
    else
        finish(a, -1, 0);
}

void adopt_cancel(adopted *a)
{
    if (!a || a->closing) return;
    a->closing = 2;
    uv_close((uv_handle_t *)&a->poll, closed);
    uv_close((uv_handle_t *)&a->retry, closed);
}

static void on_pidfd(uv_poll_t *poll, int status, int events)
{
    adopted *a = poll->data;
    (void)events;
    uv_poll_stop(poll);
    /* Its parent is our keeper: its word, with the status, follows at
     * once (adopt_cancel); if it does not come, the kernel is asked. */
    if (a->keeper_reaps && keeper_link_connected()) {
        uv_timer_start(&a->retry, retry_status, KEEPER_WAIT_MS, 0);
        return;
    }
    int wait_status;
    int rc = status < 0 ? status : exit_status(a, &wait_status);
    if (rc == 0)
        tell(a, wait_status);
    else if (rc == -EAGAIN)
        uv_timer_start(&a->retry, retry_status, status_retry_ms[a->retries++], 0);
    else
        finish(a, -1, 0); /* a kernel that keeps no status (before 6.15) */
}

int adopt_signal_group(adopted *a, int sig)
{
    /* Not our child, so its pid is ours to use only while it lives. */
    struct pollfd pfd = {.fd = a->pidfd, .events = POLLIN};
    if (a->closing || poll(&pfd, 1, 0) != 0) return -ESRCH;
    if (kill(-a->pid, sig) < 0 && syscall(SYS_pidfd_send_signal, a->pidfd, sig, NULL, 0) < 0)
        return -errno;
    return 0;
}

adopted *adopt_watch(uv_loop_t *loop, pid_t pid, uint64_t start_time, adopted_fn ended, void *data)
{
    int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    if (pidfd < 0) return NULL;
    adopted *a = calloc(1, sizeof(*a));
    if (!a || process_start_time(pid) != start_time || uv_poll_init(loop, &a->poll, pidfd) < 0) {
        free(a);
        close(pidfd);
        return NULL;
    }
    uv_timer_init(loop, &a->retry);
    a->poll.data = a->retry.data = a;
    a->pidfd = pidfd;
    a->pid = pid;
    /* Orphaned to our keeper (when a main process died), or to init (when
     * the keeper had died too): only the keeper tells us how it ended. */
    proc_stat st;
    a->keeper_reaps =
        keeper_link_connected() && proc_stat_read(pid, &st) && st.ppid == getppid();
    a->ended = ended;
    a->data = data;
    uv_poll_start(&a->poll, UV_READABLE, on_pidfd);
    return a;
}
