/* perm.c — permission checks for another user (see perm.h). */
#include "base/perm.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static bool in_groups(gid_t gid, const perm_identity *id)
{
    if (gid == id->gid) return true;
    for (size_t i = 0; i < id->n_groups; i++)
        if (id->groups[i] == gid) return true;
    return false;
}

/* The x bit that applies to id for st (owner, group or other). */
static bool may_x(const struct stat *st, const perm_identity *id)
{
    if (id->uid == 0) return st->st_mode & (S_IXUSR | S_IXGRP | S_IXOTH);
    if (st->st_uid == id->uid) return st->st_mode & S_IXUSR;
    if (in_groups(st->st_gid, id)) return st->st_mode & S_IXGRP;
    return st->st_mode & S_IXOTH;
}

bool perm_may_execute(const char *path, const perm_identity *id)
{
    if (id->uid == (uid_t)-1) return access(path, X_OK) == 0;
    struct stat st;
    if (stat(path, &st) < 0 || !S_ISREG(st.st_mode) || !may_x(&st, id)) return false;
    if (id->uid == 0) return true; /* root searches every directory */
    /* Every directory on the way must let id through. */
    char dir[PATH_MAX];
    if (snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir)) return false;
    for (char *slash = strrchr(dir, '/'); slash; slash = strrchr(dir, '/')) {
        *slash = '\0';
        const char *d = dir[0] ? dir : "/";
        if (stat(d, &st) < 0 || !may_x(&st, id)) return false;
        if (!dir[0]) break;
    }
    return true;
}

bool perm_find_program(const char *name, const char *path, const perm_identity *id, char *out,
                       size_t size)
{
    if (strchr(name, '/')) {
        snprintf(out, size, "%s", name);
        return perm_may_execute(name, id);
    }
    for (const char *dir = path; dir && *dir;) {
        const char *end = strchr(dir, ':');
        size_t len = end ? (size_t)(end - dir) : strlen(dir);
        snprintf(out, size, "%.*s/%s", (int)len, len ? dir : ".", name);
        if (perm_may_execute(out, id)) return true;
        dir = end ? end + 1 : NULL;
    }
    snprintf(out, size, "%s", name);
    return false;
}
