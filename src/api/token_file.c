/* token_file.c — reading and writing a token's file (see token_file.h). */
#include "api/token_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int token_file_read(const char *path, char *out, size_t size)
{
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return -errno;
    struct stat sb;
    /* A token others could have written is not taken for ours. */
    if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode) || sb.st_uid != geteuid() ||
        (sb.st_mode & 022)) {
        close(fd);
        return -EPERM;
    }
    ssize_t n = read(fd, out, size - 1);
    int saved = errno;
    close(fd);
    if (n < 0) return -saved;
    out[n] = '\0';
    out[strcspn(out, "\r\n")] = '\0';
    return 0;
}

int token_file_write(const char *path, const char *text)
{
    char *tmp = NULL;
    if (asprintf(&tmp, "%s.new", path) < 0) return -ENOMEM;
    unlink(tmp);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        int saved = errno;
        free(tmp);
        return -saved;
    }
    size_t len = strlen(text);
    /* fchmod: the mode stays 0600 whatever the umask. */
    bool ok = fchmod(fd, 0600) == 0 && write(fd, text, len) == (ssize_t)len &&
              write(fd, "\n", 1) == 1 && fsync(fd) == 0;
    int saved = ok ? 0 : (errno ? errno : EIO);
    close(fd);
    /* Renamed over the old file: a reader sees the old token or the new. */
    if (ok && rename(tmp, path) < 0) saved = errno, ok = false;
    if (!ok) unlink(tmp);
    free(tmp);
    return ok ? 0 : -saved;
}
