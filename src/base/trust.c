/* trust.c — StrictModes-style checks of tend's own directories and its
 * socket (see trust.h). */
#include "base/trust.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define IMPOSTOR "someone may be impersonating tend"

static bool owned_by_us(const struct stat *st)
{
    return st->st_uid == geteuid() || st->st_uid == 0;
}

/* A parent (already resolved, no symlinks) that someone else could use
 * to swap what lies under it: owned by another user, or writable by
 * group/others without the sticky bit. */
static int check_parent(const char *dir, const char *path, char *err, size_t errlen)
{
    struct stat st;
    if (stat(dir, &st) < 0) {
        snprintf(err, errlen, "%s: %s", dir, strerror(errno));
        return -errno;
    }
    if (!owned_by_us(&st)) {
        snprintf(err, errlen,
                 "%s (a parent of %s) belongs to uid %u (not you or root): its owner could "
                 "replace %s; use a directory of your own (set TEND_HOME)",
                 dir, path, (unsigned)st.st_uid, path);
        return -EPERM;
    }
    if ((st.st_mode & (S_IWGRP | S_IWOTH)) && !(st.st_mode & S_ISVTX)) {
        snprintf(err, errlen,
                 "%s (a parent of %s) is writable by group or others (mode %04o, not sticky): "
                 "they could replace %s; chmod go-w %s (or set TEND_HOME elsewhere)",
                 dir, path, (unsigned)(st.st_mode & 07777), path, dir);
        return -EPERM;
    }
    return 0;
}

/* Every parent of path, after symlinks are resolved; and no symlink on
 * the way that someone else owns (they could point it elsewhere). */
static int check_parents(const char *path, char *err, size_t errlen)
{
    char walk[PATH_MAX];
    if (snprintf(walk, sizeof(walk), "%s", path) >= (int)sizeof(walk)) {
        snprintf(err, errlen, "%s: path too long", path);
        return -ENAMETOOLONG;
    }
    for (char *s = walk + 1; (s = strchr(s, '/')); s++) {
        *s = '\0';
        struct stat st;
        if (lstat(walk, &st) == 0 && S_ISLNK(st.st_mode) && !owned_by_us(&st)) {
            snprintf(err, errlen,
                     "%s (on the way to %s) is a symlink that uid %u owns: they could point it "
                     "elsewhere; use a path without it (set TEND_HOME)",
                     walk, path, (unsigned)st.st_uid);
            return -EPERM;
        }
        *s = '/';
    }
    char *slash = strrchr(walk, '/');
    if (!slash) return 0; /* relative to the working directory: as given */
    *slash = '\0';
    char real[PATH_MAX];
    if (!realpath(walk[0] ? walk : "/", real)) {
        snprintf(err, errlen, "%s: %s", walk[0] ? walk : "/", strerror(errno));
        return -errno;
    }
    for (;;) {
        int rc = check_parent(real[0] ? real : "/", path, err, errlen);
        if (rc < 0) return rc;
        char *up = strrchr(real, '/');
        if (!up || !real[0]) return 0;
        *up = '\0';
    }
}

static int check_self(const char *path, trust_rule rule, char *err, size_t errlen)
{
    struct stat st;
    if (lstat(path, &st) < 0) {
        int e = errno;
        snprintf(err, errlen, "%s: %s", path, strerror(e));
        return -e;
    }
    unsigned mode = (unsigned)(st.st_mode & 07777);
    if (S_ISLNK(st.st_mode)) {
        snprintf(err, errlen,
                 "%s is a symlink: tend does not follow one to its own directory (its target "
                 "could change under it); replace it with a directory (rm %s; mkdir -m 700 %s)",
                 path, path, path);
        return -EPERM;
    }
    if (!S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "%s is not a directory; remove it or set TEND_HOME elsewhere", path);
        return -ENOTDIR;
    }
    if (rule == TRUST_PRIVATE && st.st_uid != geteuid()) {
        snprintf(err, errlen,
                 "%s belongs to uid %u (not you): " IMPOSTOR
                 "; remove it (or set XDG_RUNTIME_DIR or TEND_HOME)",
                 path, (unsigned)st.st_uid);
        return -EPERM;
    }
    if (rule == TRUST_PRIVATE && mode != 0700) {
        snprintf(err, errlen,
                 "%s has mode %04o, not 0700: " IMPOSTOR
                 " (or others can reach tend's socket); remove it, or chmod 700 %s",
                 path, mode, path);
        return -EPERM;
    }
    if (!owned_by_us(&st)) {
        snprintf(err, errlen,
                 "%s belongs to uid %u (not you or root): tend keeps its socket, database and "
                 "logs only in a directory of yours; chown it, or set TEND_HOME elsewhere",
                 path, (unsigned)st.st_uid);
        return -EPERM;
    }
    if (st.st_mode & (S_IWGRP | S_IWOTH)) {
        snprintf(err, errlen,
                 "%s is writable by group or others (mode %04o): they could replace tend's "
                 "socket or database; chmod 700 %s",
                 path, mode, path);
        return -EPERM;
    }
    return 0;
}

int trust_check_dir(const char *path, trust_rule rule, char *err, size_t errlen)
{
    int rc = check_self(path, rule, err, errlen);
    return rc < 0 ? rc : check_parents(path, err, errlen);
}

static int make_parents(const char *path)
{
    /* Parents first: XDG state dirs may not exist yet on a fresh account. */
    char *copy = strdup(path);
    if (!copy) return -ENOMEM;
    for (char *s = copy + 1; *s; s++) {
        if (*s != '/') continue;
        *s = '\0';
        if (mkdir(copy, 0700) < 0 && errno != EEXIST) {
            int e = -errno;
            free(copy);
            return e;
        }
        *s = '/';
    }
    free(copy);
    return 0;
}

int trust_make_dir(const char *path, trust_rule rule, char *err, size_t errlen)
{
    int rc = make_parents(path);
    if (rc == 0 && mkdir(path, 0700) < 0 && errno != EEXIST) rc = -errno;
    if (rc < 0) {
        snprintf(err, errlen, "cannot create %s: %s", path, strerror(-rc));
        return rc;
    }
    rc = trust_check_dir(path, rule, err, errlen);
    if (rc < 0) return rc;
    /* Passed: not writable by others. One an older tend left readable by
     * them (0755) is closed now, when it is ours to close. */
    struct stat st;
    if (lstat(path, &st) == 0 && st.st_uid == geteuid() && (st.st_mode & 077)) chmod(path, 0700);
    return 0;
}

int trust_check_socket(const char *path, char *err, size_t errlen)
{
    struct stat st;
    if (lstat(path, &st) < 0) {
        int e = errno;
        snprintf(err, errlen, "%s: %s", path, strerror(e));
        return -e;
    }
    if (!S_ISSOCK(st.st_mode)) {
        snprintf(err, errlen, "%s is not a socket (%s): " IMPOSTOR "; remove it", path,
                 S_ISLNK(st.st_mode) ? "a symlink" : "some other file");
        return -EPERM;
    }
    if (!owned_by_us(&st)) {
        snprintf(err, errlen, "%s belongs to uid %u (not you): " IMPOSTOR "; remove it", path,
                 (unsigned)st.st_uid);
        return -EPERM;
    }
    return 0;
}

bool trust_tighten_file(const char *path)
{
    struct stat st;
    if (lstat(path, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid()) return false;
    return (st.st_mode & 07777) == 0600 || chmod(path, 0600) == 0;
}
