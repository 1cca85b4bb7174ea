/* trust.h — whether a directory or socket may be trusted before tend
 * puts secrets in it or believes what answers there, checked the way
 * OpenSSH's StrictModes checks ~/.ssh: owned by you (or root), not a
 * symlink, not writable by group or others; its parents as well (a
 * parent someone else may write to lets them swap the directory), except
 * that a sticky parent (/tmp) is fine. A private directory under /tmp
 * (the /tmp/tend-UID fallback) must be owned by exactly you and be mode
 * 0700: anybody could have made it first.
 *
 * Every refusal says what is wrong and how to fix it, in err. */
#ifndef TEND_BASE_TRUST_H
#define TEND_BASE_TRUST_H

#include <stdbool.h>
#include <stddef.h>

typedef enum {
    TRUST_OWN,     /* owned by you or root, not group/other-writable */
    TRUST_PRIVATE, /* owned by you, mode exactly 0700 */
} trust_rule;

/* path is an existing directory that passes rule, and its parents pass
 * too. 0; -ENOENT (err set) when it does not exist; -EPERM with the
 * reason and the fix. */
int trust_check_dir(const char *path, trust_rule rule, char *err, size_t errlen);

/* Makes path (and missing parents) mode 0700 where missing, then checks
 * it as trust_check_dir does. 0 or -errno with the reason in err. */
int trust_make_dir(const char *path, trust_rule rule, char *err, size_t errlen);

/* path is a unix socket owned by you or root (not a symlink). 0, -ENOENT
 * when nothing is there, or -EPERM with the reason. */
int trust_check_socket(const char *path, char *err, size_t errlen);

/* A file tend made in a directory it trusts is mode 0600: one an older
 * tend made 0644 is tightened. Nothing there, a symlink or someone
 * else's file: left alone (false); true if it is (now) 0600. */
bool trust_tighten_file(const char *path);

#endif
