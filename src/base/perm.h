/* perm.h — whether a user may run a program, asked for that user rather
 * than for the daemon (which is often root, for whom access() says yes to
 * what the user cannot reach: a program under /root, say). */
#ifndef TEND_BASE_PERM_H
#define TEND_BASE_PERM_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Who a process runs as. uid (uid_t)-1: the daemon itself. */
typedef struct {
    uid_t uid;
    gid_t gid;
    const gid_t *groups; /* supplementary groups */
    size_t n_groups;
} perm_identity;

#define PERM_DAEMON ((perm_identity){.uid = (uid_t)-1})

/* path is a regular file that id may execute: every directory on the way
 * searchable by id, the file executable by id (mode bits; root needs one
 * x bit, as exec does). For the daemon itself, access(X_OK). */
bool perm_may_execute(const char *path, const perm_identity *id);

/* Where name runs from for id: itself when it has a '/' (true if id may
 * execute it), else the first program of that name on path (a ':' list,
 * empty entries meaning ".") that id may execute. out gets the path tried
 * last; false when none qualifies. */
bool perm_find_program(const char *name, const char *path, const perm_identity *id, char *out,
                       size_t size);

#endif
