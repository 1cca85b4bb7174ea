/* words.h — splitting a command string into argv without a shell.
 *
 * For registry values such as health_check.command = "pg_isready -h db".
 * Words are separated by blanks; '...' keeps everything literally, "..."
 * allows \" \\ \$ \` escapes, a backslash outside quotes escapes the next
 * character. Nothing is expanded: no variables, globs or substitutions.
 */
#ifndef TEND_CONFIG_WORDS_H
#define TEND_CONFIG_WORDS_H

/* Returns 0 and a new strv in *argv, or -EINVAL with *problem set to a
 * static description, or -ENOMEM. */
int split_words(const char *s, char ***argv, const char **problem);

#endif
