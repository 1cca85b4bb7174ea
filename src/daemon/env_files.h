/* env_files.h — an action's env files, read when one of its jobs starts
 * (and by pre-flight): each file in order, a later key replacing an
 * earlier one. The syntax is config/envfile.h's.
 *
 * What the files hold is secret: it goes into the environment being built
 * and nowhere else. Buffers are wiped before they are freed, and an error
 * names the file and the line, never what is on it.
 */
#ifndef TEND_DAEMON_ENV_FILES_H
#define TEND_DAEMON_ENV_FILES_H

#include <stddef.h>

/* The largest env file read; a bigger one is a mistake. */
#define ENV_FILE_MAX_BYTES (1u << 20)

/* Reads files ("-/path": a path that may be missing) into *env (a strv,
 * NULL or not; free it with strv_free_wiped). 0, or -errno with the
 * reason in err ("env file /etc/app.env: line 3: expected KEY=VALUE ..."),
 * *env then holding what came before. */
int env_files_read(char *const *files, char ***env, char *err, size_t errlen);

#endif
