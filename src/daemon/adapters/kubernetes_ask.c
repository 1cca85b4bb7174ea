/* kubernetes_ask.c — asks kubectl whether its context answers (see
 * kubernetes_ask.h). kubectl is run directly (argv, no shell), its
 * output read until it ends; past ASK_S it is killed, whatever it was
 * waiting for (preflight_capture). */
#include "daemon/adapters/kubernetes_ask.h"

#include <stdio.h>
#include <string.h>

#include "base/buf.h"
#include "daemon/preflight_checks.h"

#define ASK_S 10 /* seconds kubectl has to answer */

bool kube_ask_context(const char *kubectl, const char *context, json_t *checks)
{
    char *argv[8];
    int n = 0;
    argv[n++] = (char *)kubectl;
    if (context) {
        argv[n++] = "--context";
        argv[n++] = (char *)context;
    }
    argv[n++] = "version";
    argv[n++] = "-o";
    argv[n++] = "json";
    argv[n++] = "--request-timeout=5s";
    argv[n] = NULL;
    buf out = {0}, err = {0};
    int status = preflight_capture(argv, ASK_S, &out, &err);
    json_t *doc = out.len ? json_loads(out.data, 0, NULL) : NULL;
    const char *server =
        json_string_value(json_object_get(json_object_get(doc, "serverVersion"), "gitVersion"));
    const char *which = context ? context : "current";
    bool ok;
    if (server && status == 0) {
        ok = preflight_add(checks, "kubectl", true, "kubectl reaches its context (%s): server %s",
                           which, server);
    } else {
        char words[300] = "";
        preflight_last_line(err.data ? err.data : "", err.len, words, sizeof(words));
        ok = preflight_add(checks, "kubectl", false, "kubectl cannot reach its context (%s)%s%s",
                           which, words[0] ? ": " : "", words);
    }
    json_decref(doc);
    buf_free(&out);
    buf_free(&err);
    return ok;
}
