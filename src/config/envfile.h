/* envfile.h — the text of an env file (systemd's EnvironmentFile= syntax)
 * into "KEY=VALUE" entries. Pure: no I/O, nothing logged.
 *
 * Syntax, as systemd reads it: one KEY=VALUE a line; blank lines and lines
 * whose first non-blank character is '#' or ';' are ignored; whitespace
 * around the key and before the value is dropped, and after an unquoted
 * value too; a value may be quoted, 'single' (taken as it is) or "double"
 * (\" \\ \` \$ stand for the character, other backslashes stay); parts of
 * one value join ("a"'b'c is abc); an unquoted backslash escapes the next
 * character; a backslash at the end of a line continues it on the next;
 * quoted values may span lines. Stricter than systemd: a line without '=',
 * a key that is no variable name and an unterminated quote are errors
 * (systemd skips the first two silently, which hides typos in secrets).
 *
 * Values are secrets: what this file builds on the way is wiped before it
 * is freed, and a problem is told by its line alone, never its text.
 */
#ifndef TEND_CONFIG_ENVFILE_H
#define TEND_CONFIG_ENVFILE_H

#include <stddef.h>

/* Parses text (len bytes) and sets each entry in *env (a strv, NULL or
 * not), replacing an entry of the same key, so a later line and a later
 * file win. Returns 0; or -EINVAL with *line (1-based) and *problem (a
 * static string) saying what is wrong, *env then holding the entries of
 * the lines before; or -ENOMEM. */
int envfile_parse(const char *text, size_t len, char ***env, int *line, const char **problem);

/* Sets "KEY=VALUE" in *env, replacing the entry of the same key (the old
 * one wiped). Takes entry; 0 or -ENOMEM (entry then wiped and freed). */
int env_set_take(char ***env, char *entry);

#endif
