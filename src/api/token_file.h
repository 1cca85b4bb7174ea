/* token_file.h — a file holding one token's text, for the programs that
 * read it (a Prometheus bearer_token_file, `tend dashboard`): written
 * whole (a new file renamed over the old one) with mode 0600, read only
 * when it is a regular file of this user. */
#ifndef TEND_API_TOKEN_FILE_H
#define TEND_API_TOKEN_FILE_H

#include <stddef.h>

/* Reads the first line of path into out (at most size - 1 bytes).
 * 0, or a negative errno (-EPERM: not a regular file of this user). */
int token_file_read(const char *path, char *out, size_t size);
/* Writes text and a newline to path, mode 0600. 0 or a negative errno. */
int token_file_write(const char *path, const char *text);

#endif
