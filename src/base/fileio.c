/* fileio.c — whole-file reads. */
#include "base/fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

int file_read_all(const char *path, size_t max_bytes, char **data, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -errno;
    struct stat st;
    if (fstat(fd, &st) < 0) {
        int e = -errno;
        close(fd);
        return e;
    }
    if (S_ISDIR(st.st_mode)) {
        close(fd);
        return -EISDIR;
    }
    size_t cap = st.st_size > 0 ? (size_t)st.st_size + 1 : 4096;
    char *out = malloc(cap);
    size_t used = 0;
    int err = out ? 0 : -ENOMEM;
    while (!err) {
        if (used + 1 >= cap) {
            char *grown = realloc(out, cap * 2);
            if (!grown) {
                err = -ENOMEM;
                break;
            }
            out = grown;
            cap *= 2;
        }
        ssize_t n = read(fd, out + used, cap - used - 1);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0)
            err = -errno;
        else if (n == 0)
            break;
        else
            used += (size_t)n;
        if (used > max_bytes) err = -EFBIG;
    }
    close(fd);
    if (err) {
        free(out);
        return err;
    }
    out[used] = '\0';
    *data = out;
    *len = used;
    return 0;
}
