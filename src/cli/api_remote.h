/* api_remote.h — the CLI's way to a daemon on another host: `tend --host
 * https://HOST:PORT --token-file FILE [--cacert FILE] [--cert FILE --key
 * FILE]` (or TEND_HOST, TEND_TOKEN_FILE, TEND_CACERT, TEND_CERT,
 * TEND_KEY). The server's certificate is checked (against --cacert, else
 * the system's CAs), the token goes in every request, and plain http://
 * is taken only for a loopback host. api_client.c asks it how to set up
 * each transfer and how to say what went wrong.
 */
#ifndef TEND_CLI_API_REMOTE_H
#define TEND_CLI_API_REMOTE_H

#include <stdbool.h>
#include <stddef.h>

#include "base/curl_lazy.h"

typedef struct {
    const char *host; /* URL: https://HOST:PORT */
    const char *token_file, *cacert, *cert, *key;
} api_remote_options;

/* Takes the options (what is NULL comes from the environment) and reads
 * the token. 0 (remote or not: api_remote_active says), or -1 with the
 * reason in err. */
int api_remote_configure(const api_remote_options *given, char *err, size_t errlen);
/* True when the CLI talks to a daemon on another host (--host). */
bool api_remote_active(void);
/* The URL given (https://HOST:PORT), for messages. */
const char *api_remote_host(void);

/* Sets curl up for GET or POST path ("/rpc", "/events?...") on the
 * remote host; returns headers with the token appended (the caller
 * frees the list). errbuf (CURL_ERROR_SIZE) gets curl's details. */
struct curl_slist *api_remote_setup(const curl_api *lib, CURL *curl, const char *path,
                                    struct curl_slist *headers, char *errbuf);

/* What a failed transfer means, in words: rc from curl, the HTTP status,
 * the body (the server's {"error": "..."}), curl's details. True when the
 * daemon could not be reached at all. */
bool api_remote_explain(const curl_api *lib, CURLcode rc, long status, const char *body,
                        const char *errbuf, char *out, size_t outlen);

#endif
