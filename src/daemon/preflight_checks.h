/* preflight_checks.h — the single checks a pre-flight is made of, which
 * the adapters of the deployment modes (adapters/) and preflight.c put
 * together: each appends one {check, ok, message} to a checks array and
 * returns ok. */
#ifndef TEND_DAEMON_PREFLIGHT_CHECKS_H
#define TEND_DAEMON_PREFLIGHT_CHECKS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "base/buf.h"
#include "config/registry.h"

bool preflight_add(json_t *checks, const char *check, bool ok, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* What a process action needs: its program is there and executable for
 * its user, its working directory exists, its user exists, its env files
 * read (what they hold is wiped at once, never kept or told). */
bool preflight_check_action(json_t *checks, const action_spec *a);
/* what: words after the name ("" or " (health check)"). */
bool preflight_check_user(json_t *checks, const char *name, const char *what);

/* The first of names found in the daemon's PATH (its full path in found),
 * or NULL. */
const char *preflight_find_cli(const char *const *names, char *found, size_t size);

/* Runs argv (no shell, PATH searched) for at most timeout seconds, for a
 * check that asks the real thing (the CLI's: it blocks). Its exit code,
 * or -1 if it could not run or ran out of time (words then say which);
 * words gets the last line it wrote. */
int preflight_run(char *const *argv, double timeout, char *words, size_t size);
/* The same with what it wrote: stdout into out, stderr into err (which
 * also says why it could not run). Its exit code; -1 if it could not run
 * or was killed by a signal, -2 if it ran out of time (then killed). */
int preflight_capture(char *const *argv, double timeout, buf *out, buf *err);
/* The last non-empty line of len bytes of text, into words. */
void preflight_last_line(const char *text, size_t len, char *words, size_t size);

#endif
