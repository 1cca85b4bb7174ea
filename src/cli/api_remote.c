/* api_remote.c — the CLI's side of the remote API (see api_remote.h). */
#include "cli/api_remote.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/fileio.h"
#include "base/hostport.h"

static struct {
    bool active;
    char *host; /* without a trailing '/' */
    char *token_file, *cacert, *cert, *key;
    char *authorization; /* "Authorization: Bearer TOKEN" */
} remote;

static const char *given_or_env(const char *given, const char *variable)
{
    const char *v = given ? given : getenv(variable);
    return v && *v ? v : NULL;
}

/* "https://HOST:PORT[/]": the host part, for the loopback check. */
static int url_host(const char *url, bool *tls, char *host, size_t hostlen)
{
    const char *rest;
    if (strncmp(url, "https://", 8) == 0)
        *tls = true, rest = url + 8;
    else if (strncmp(url, "http://", 7) == 0)
        *tls = false, rest = url + 7;
    else
        return -1;
    size_t len = rest[0] == '[' ? strcspn(rest, "]") + 1 : strcspn(rest, ":/");
    if (len == 0 || len >= hostlen || (rest[0] == '[' && rest[len - 1] != ']')) return -1;
    const char *after = rest + len;
    if (*after == ':') after += 1 + strspn(after + 1, "0123456789");
    if (*after && strcmp(after, "/") != 0) return -1; /* no path: tend adds its own */
    if (rest[0] == '[')
        snprintf(host, hostlen, "%.*s", (int)len - 2, rest + 1);
    else
        snprintf(host, hostlen, "%.*s", (int)len, rest);
    return 0;
}

/* The token: the file's first line, without the line's end. */
static int read_token(const char *file, char *err, size_t errlen)
{
    char *text = NULL;
    size_t len = 0;
    int rc = file_read_all(file, 4096, &text, &len);
    if (rc < 0) {
        snprintf(err, errlen, "cannot read the token file %s: %s", file, strerror(-rc));
        return -1;
    }
    text[strcspn(text, "\r\n")] = '\0';
    bool ok = text[0] && !strpbrk(text, " \t") &&
              asprintf(&remote.authorization, "Authorization: Bearer %s", text) >= 0;
    explicit_bzero(text, len);
    free(text);
    if (!ok) snprintf(err, errlen, "the token file %s holds no token (one line, no spaces)", file);
    return ok ? 0 : -1;
}

int api_remote_configure(const api_remote_options *given, char *err, size_t errlen)
{
    const char *host = given_or_env(given->host, "TEND_HOST");
    if (!host) return 0;
    const char *token_file = given_or_env(given->token_file, "TEND_TOKEN_FILE");
    bool tls = false;
    char name[256];
    if (url_host(host, &tls, name, sizeof(name)) < 0) {
        snprintf(err, errlen, "--host %s: expected https://HOST:PORT", host);
        return -1;
    }
    /* The token must not cross a network in clear text. */
    if (!tls && !hostport_is_loopback(name) && strcmp(name, "localhost") != 0) {
        snprintf(err, errlen,
                 "--host %s: plain http:// would send the token in clear text to another "
                 "host; use https://",
                 host);
        return -1;
    }
    if (!token_file) {
        snprintf(err, errlen,
                 "--host %s needs a token: --token-file FILE (or TEND_TOKEN_FILE), a file "
                 "holding one the daemon's owner made",
                 host);
        return -1;
    }
    const char *cert = given_or_env(given->cert, "TEND_CERT");
    const char *key = given_or_env(given->key, "TEND_KEY");
    if (!cert != !key) {
        snprintf(err, errlen, "a client certificate needs both --cert FILE and --key FILE");
        return -1;
    }
    if (read_token(token_file, err, errlen) < 0) return -1;
    const char *cacert = given_or_env(given->cacert, "TEND_CACERT");
    remote.host = strndup(host, strlen(host) - (host[strlen(host) - 1] == '/'));
    remote.token_file = strdup(token_file);
    remote.cacert = cacert ? strdup(cacert) : NULL;
    remote.cert = cert ? strdup(cert) : NULL;
    remote.key = key ? strdup(key) : NULL;
    remote.active = true;
    return 0;
}

bool api_remote_active(void)
{
    return remote.active;
}

const char *api_remote_host(void)
{
    return remote.host;
}

struct curl_slist *api_remote_setup(const curl_api *lib, CURL *curl, const char *path,
                                    struct curl_slist *headers, char *errbuf)
{
    char *url = NULL;
    if (asprintf(&url, "%s%s", remote.host, path) < 0) return headers;
    lib->easy_setopt(curl, CURLOPT_URL, url); /* curl copies it */
    free(url);
    /* Never anything but the URL's own scheme: no redirect elsewhere. */
    lib->easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
    lib->easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
    lib->easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
    if (remote.cacert) lib->easy_setopt(curl, CURLOPT_CAINFO, remote.cacert);
    if (remote.cert) {
        lib->easy_setopt(curl, CURLOPT_SSLCERT, remote.cert);
        lib->easy_setopt(curl, CURLOPT_SSLKEY, remote.key);
    }
    lib->easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 10L);
    lib->easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
    errbuf[0] = '\0';
    return lib->slist_append(headers, remote.authorization);
}

/* The server's own words: {"error": "..."}, or a JSON-RPC error. */
static const char *server_words(json_t *body)
{
    json_t *e = json_object_get(body, "error");
    if (json_is_string(e)) return json_string_value(e);
    return json_string_value(json_object_get(e, "message"));
}

bool api_remote_explain(const curl_api *lib, CURLcode rc, long status, const char *body,
                        const char *errbuf, char *out, size_t outlen)
{
    const char *detail = errbuf && errbuf[0] ? errbuf : lib->easy_strerror(rc);
    const char *h = remote.host;
    switch (rc) {
    case CURLE_OK: break;
    case CURLE_COULDNT_CONNECT:
        snprintf(out, outlen, "no daemon answers at %s (%s)", h, detail);
        return true;
    case CURLE_COULDNT_RESOLVE_HOST:
        snprintf(out, outlen, "cannot find the host of %s (%s)", h, detail);
        return true;
    case CURLE_OPERATION_TIMEDOUT:
        snprintf(out, outlen, "%s did not answer in time (%s)", h, detail);
        return true;
    case CURLE_PEER_FAILED_VERIFICATION:
        snprintf(out, outlen,
                 "the server's certificate at %s is not trusted (%s): pass --cacert FILE with "
                 "the CA that signed it (or TEND_CACERT)",
                 h, detail);
        return true;
    case CURLE_GOT_NOTHING:
    case CURLE_RECV_ERROR:
        snprintf(out, outlen, "%s closed the connection without an answer (%s)%s", h, detail,
                 strncmp(h, "http://", 7) == 0 ? ": it may speak TLS; use https://" : "");
        return true;
    case CURLE_SSL_CONNECT_ERROR:
        snprintf(out, outlen,
                 "no TLS connection with %s (%s): a plain-HTTP port, or it wants a client "
                 "certificate (--cert FILE --key FILE)",
                 h, detail);
        return true;
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CACERT_BADFILE:
        snprintf(out, outlen, "cannot use the certificate files given (%s)", detail);
        return true;
    default: snprintf(out, outlen, "talking to %s: %s", h, detail); return true;
    }
    json_t *doc = body ? json_loads(body, 0, NULL) : NULL;
    const char *said = server_words(doc);
    if (status == 401)
        snprintf(out, outlen,
                 "%s refused the token in %s: it is wrong, expired or revoked (the server said: "
                 "%s)",
                 h, remote.token_file, said ? said : "401 Unauthorized");
    else if (status == 403)
        snprintf(out, outlen, "%s refused the request: %s", h, said ? said : "403 Forbidden");
    else
        snprintf(out, outlen, "unexpected answer from %s (HTTP %ld%s%s)", h, status,
                 said ? ": " : "", said ? said : "");
    json_decref(doc);
    return false;
}
