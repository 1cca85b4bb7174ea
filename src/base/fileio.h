/* fileio.h — whole-file reads for configuration and small state files. */
#ifndef TEND_BASE_FILEIO_H
#define TEND_BASE_FILEIO_H

#include <stddef.h>

/* Reads the whole file into a new NUL-terminated buffer (the NUL is not
 * counted in *len). Returns 0 or a negative errno; refuses files over
 * max_bytes with -EFBIG. */
int file_read_all(const char *path, size_t max_bytes, char **data, size_t *len);

#endif
