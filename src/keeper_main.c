/* keeper_main.c — tend-keeper, what the `tend daemon` process becomes
 * once it holds the daemon's lock: `tend daemon` execs it (same pid), so
 * the process that must never die maps libc and little else. It runs the
 * main process as `TEND daemon --main-fd FD [--resumed] ARGS...` (see
 * src/daemon/process/keeper.h). Not for people to run:
 *   tend-keeper LOCK_FD READY_FD TEND HELD ARGS...
 * HELD is "-", or "UNIT:OUT_FD:ERR_FD,...": job pipes a main process whose
 * keeper had died handed over, for this keeper to hold.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/process/keeper.h"

int main(int argc, char **argv)
{
    if (argc < 5) {
        fputs("tend-keeper is started by `tend daemon`, not by hand\n", stderr);
        return 2;
    }
    int lock_fd = atoi(argv[1]), ready_fd = atoi(argv[2]);
    fcntl(lock_fd, F_SETFD, FD_CLOEXEC);
    int link = -1;
    bool again = false;
    int code = keeper_run(lock_fd, ready_fd, argv[4], &link, &again);
    if (code >= 0) return code;
    /* The main process: tend itself, with the daemon's own arguments. */
    char fd_arg[16];
    snprintf(fd_arg, sizeof(fd_arg), "%d", link);
    fcntl(link, F_SETFD, 0);
    char **args = calloc((size_t)argc + 4, sizeof(*args));
    if (!args) _exit(1);
    int n = 0;
    args[n++] = argv[3];
    args[n++] = "daemon";
    args[n++] = "--main-fd";
    args[n++] = fd_arg;
    if (again) args[n++] = "--resumed";
    for (int i = 5; i < argc; i++) {
        /* The ready pipe was the first main process's: its number may be
         * anything in a later one. */
        if (again && strcmp(argv[i], "--ready-fd") == 0 && i + 1 < argc) {
            i++;
            continue;
        }
        if (again && strncmp(argv[i], "--ready-fd=", 11) == 0) continue;
        args[n++] = argv[i];
    }
    execv(argv[3], args);
    fprintf(stderr, "tend daemon: cannot run %s: %m\n", argv[3]);
    _exit(127);
}
