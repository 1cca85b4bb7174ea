/* curl_lazy.h — libcurl, loaded when first needed.
 *
 * The daemon and the CLI are one binary. Linking libcurl would map it and
 * its dependencies (OpenSSL, Kerberos, LDAP, ...) into the daemon too:
 * megabytes of resident memory it never uses. So the functions tend calls
 * are looked up with dlopen() the first time a client needs them.
 */
#ifndef TEND_BASE_CURL_LAZY_H
#define TEND_BASE_CURL_LAZY_H

#include <curl/curl.h>
#include <stddef.h>

typedef struct {
    CURL *(*easy_init)(void);
    CURLcode (*easy_setopt)(CURL *curl, CURLoption option, ...);
    CURLcode (*easy_perform)(CURL *curl);
    CURLcode (*easy_getinfo)(CURL *curl, CURLINFO info, ...);
    void (*easy_cleanup)(CURL *curl);
    const char *(*easy_strerror)(CURLcode code);
    struct curl_slist *(*slist_append)(struct curl_slist *list, const char *text);
    void (*slist_free_all)(struct curl_slist *list);
} curl_api;

/* The functions, or NULL with the reason in err (libcurl not installed). */
const curl_api *curl_load(char *err, size_t errlen);

#endif
