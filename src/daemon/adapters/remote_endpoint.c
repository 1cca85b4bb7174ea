/* remote_endpoint.c — a remote service's endpoint taken apart (see
 * remote_endpoint.h). */
#include "daemon/adapters/remote_endpoint.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int remote_endpoint_parse(const char *url, remote_endpoint *out)
{
    memset(out, 0, sizeof(*out));
    const char *rest = strstr(url, "://");
    if (!rest) return -1;
    out->tend = strncmp(url, "tend+https://", 13) == 0;
    rest += 3;
    /* The authority: up to the path; a user@ part is not taken. */
    size_t len = strcspn(rest, "/?#");
    if (len == 0 || memchr(rest, '@', len)) return -1;
    const char *host = rest, *end;
    if (host[0] == '[') {
        host++;
        if (!(end = memchr(host, ']', len - 1))) return -1;
    } else {
        end = memchr(host, ':', len);
        if (!end) end = rest + len;
    }
    size_t hlen = (size_t)(end - host);
    if (hlen == 0 || hlen >= sizeof(out->host)) return -1;
    memcpy(out->host, host, hlen);
    if (!out->tend) return 0;
    const char *path = rest + len;
    if (path[0] != '/' || !path[1] || strchr(path + 1, '/') ||
        strlen(path + 1) >= sizeof(out->service) || len + 9 > sizeof(out->api))
        return -1;
    snprintf(out->api, sizeof(out->api), "https://%.*s", (int)len, rest);
    snprintf(out->service, sizeof(out->service), "%s", path + 1);
    return 0;
}

const char *remote_tend_binary(void)
{
    static char self[PATH_MAX];
    if (!self[0]) {
        ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
        if (n <= 0) {
            snprintf(self, sizeof(self), "/proc/self/exe");
        } else {
            self[n] = '\0';
            /* A binary replaced since (a rebuild): the path names the new one. */
            char *deleted = strstr(self, " (deleted)");
            if (deleted && deleted[10] == '\0') *deleted = '\0';
        }
    }
    return self;
}
