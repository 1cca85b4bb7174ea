/* curl_lazy.c — dlopen() of libcurl on first use (see curl_lazy.h). */
#include "base/curl_lazy.h"

#include <dlfcn.h>
#include <stdio.h>

static curl_api api;
static int loaded; /* 0 not tried, 1 loaded, -1 failed */

/* dlsym gives an object pointer; this is how POSIX says to make it a
 * function pointer. */
#define LOOKUP(field, symbol)                                                                      \
    do {                                                                                           \
        void *p = dlsym(lib, symbol);                                                              \
        if (!p) goto missing;                                                                      \
        *(void **)(&api.field) = p;                                                                \
    } while (0)

const curl_api *curl_load(char *err, size_t errlen)
{
    if (loaded == 1) return &api;
    void *lib = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        snprintf(err, errlen, "cannot load libcurl: %s", dlerror());
        loaded = -1;
        return NULL;
    }
    LOOKUP(easy_init, "curl_easy_init");
    LOOKUP(easy_setopt, "curl_easy_setopt");
    LOOKUP(easy_perform, "curl_easy_perform");
    LOOKUP(easy_getinfo, "curl_easy_getinfo");
    LOOKUP(easy_cleanup, "curl_easy_cleanup");
    LOOKUP(easy_strerror, "curl_easy_strerror");
    LOOKUP(slist_append, "curl_slist_append");
    LOOKUP(slist_free_all, "curl_slist_free_all");
    LOOKUP(multi_init, "curl_multi_init");
    LOOKUP(multi_setopt, "curl_multi_setopt");
    LOOKUP(multi_add_handle, "curl_multi_add_handle");
    LOOKUP(multi_remove_handle, "curl_multi_remove_handle");
    LOOKUP(multi_socket_action, "curl_multi_socket_action");
    LOOKUP(multi_info_read, "curl_multi_info_read");
    LOOKUP(multi_assign, "curl_multi_assign");
    LOOKUP(multi_cleanup, "curl_multi_cleanup");
    loaded = 1;
    return &api;
missing:
    snprintf(err, errlen, "libcurl lacks a function tend needs: %s", dlerror());
    dlclose(lib);
    loaded = -1;
    return NULL;
}
