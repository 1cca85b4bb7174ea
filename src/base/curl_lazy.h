/* curl_lazy.h — libcurl, loaded when first needed.
 *
 * The daemon and the CLI are one binary. Linking libcurl would map it and
 * its dependencies (OpenSSL, Kerberos, LDAP, ...) into the daemon too:
 * megabytes of resident memory it never uses. So the functions tend calls
 * are looked up with dlopen() the first time a client, or an HTTP health
 * check, needs them.
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
    /* The multi interface: many transfers driven by an event loop. */
    CURLM *(*multi_init)(void);
    CURLMcode (*multi_setopt)(CURLM *multi, CURLMoption option, ...);
    CURLMcode (*multi_add_handle)(CURLM *multi, CURL *curl);
    CURLMcode (*multi_remove_handle)(CURLM *multi, CURL *curl);
    CURLMcode (*multi_socket_action)(CURLM *multi, curl_socket_t s, int ev_bitmask,
                                     int *running_handles);
    CURLMsg *(*multi_info_read)(CURLM *multi, int *msgs_in_queue);
    CURLMcode (*multi_assign)(CURLM *multi, curl_socket_t sockfd, void *sockp);
    CURLMcode (*multi_cleanup)(CURLM *multi);
} curl_api;

/* The functions, or NULL with the reason in err (libcurl not installed). */
const curl_api *curl_load(char *err, size_t errlen);

#endif
