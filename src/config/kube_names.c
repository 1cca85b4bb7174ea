/* kube_names.c — DNS-1123 labels and subdomains (see kube_names.h). */
#include "config/kube_names.h"

#include <stddef.h>
#include <string.h>

static bool alnum_lower(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* The label of len bytes at s (the API server caps a subdomain's labels
 * only by the whole name's length). */
static bool label_ok(const char *s, size_t len)
{
    if (len == 0 || !alnum_lower(s[0]) || !alnum_lower(s[len - 1])) return false;
    for (size_t i = 0; i < len; i++)
        if (!alnum_lower(s[i]) && s[i] != '-') return false;
    return true;
}

bool dns1123_label(const char *name)
{
    size_t len = strlen(name);
    return len <= 63 && label_ok(name, len);
}

bool dns1123_subdomain(const char *name)
{
    size_t len = strlen(name);
    if (len == 0 || len > 253) return false;
    for (const char *s = name;;) {
        const char *dot = strchr(s, '.');
        size_t n = dot ? (size_t)(dot - s) : strlen(s);
        if (!label_ok(s, n)) return false;
        if (!dot) return true;
        s = dot + 1;
    }
}
