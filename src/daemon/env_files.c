/* env_files.c — reading an action's env files (see env_files.h). Files are
 * read whole into a buffer of their size (no realloc leaves a copy behind),
 * parsed, and the buffer wiped. */
#include "daemon/env_files.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/envfile.h"

/* The file's bytes in a new buffer of exactly its size (+1). 0 or -errno. */
static int read_whole(const char *path, char **data, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) return -errno;
    struct stat st;
    int rc = 0;
    if (fstat(fd, &st) < 0)
        rc = -errno;
    else if (!S_ISREG(st.st_mode))
        rc = S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
    else if ((size_t)st.st_size > ENV_FILE_MAX_BYTES)
        rc = -EFBIG;
    char *buf = rc ? NULL : malloc((size_t)st.st_size + 1);
    if (!rc && !buf) rc = -ENOMEM;
    size_t used = 0;
    while (!rc && used < (size_t)st.st_size) {
        ssize_t n = read(fd, buf + used, (size_t)st.st_size - used);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) rc = -errno;
        if (n <= 0) break;
        used += (size_t)n;
    }
    close(fd);
    if (rc) {
        if (buf) explicit_bzero(buf, used);
        free(buf);
        return rc;
    }
    buf[used] = '\0';
    *data = buf;
    *len = used;
    return 0;
}

int env_files_read(char *const *files, char ***env, char *err, size_t errlen)
{
    for (size_t i = 0; files && files[i]; i++) {
        bool optional = files[i][0] == '-';
        const char *path = files[i] + optional;
        char *text = NULL;
        size_t len = 0;
        int rc = read_whole(path, &text, &len);
        if (rc == -ENOENT && optional) continue;
        if (rc < 0) {
            snprintf(err, errlen, "env file %s: %s", path,
                     rc == -EFBIG ? "larger than 1 MiB" : strerror(-rc));
            return rc;
        }
        int line = 0;
        const char *problem = NULL;
        rc = envfile_parse(text, len, env, &line, &problem);
        explicit_bzero(text, len);
        free(text);
        if (rc == -EINVAL) {
            snprintf(err, errlen, "env file %s: line %d: %s", path, line, problem);
            return rc;
        }
        if (rc < 0) {
            snprintf(err, errlen, "env file %s: out of memory", path);
            return rc;
        }
    }
    return 0;
}
