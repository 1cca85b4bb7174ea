/* kubernetes_rollout.h — what a Deployment's status says of its rollout,
 * and the reader of `kubectl get deployment NAME -o json --watch
 * --output-watch-events`: JSON documents one after another (indented, so
 * each spans many lines), cut anywhere by the pipe. The verdict follows
 * what `kubectl rollout status` decides, plus the failure conditions. */
#ifndef TEND_DAEMON_ADAPTERS_KUBERNETES_ROLLOUT_H
#define TEND_DAEMON_ADAPTERS_KUBERNETES_ROLLOUT_H

#include <jansson.h>
#include <stddef.h>

#include "daemon/adapters/adapter.h"

/* The verdict on one watch document: a watch event ({"type", "object"})
 * or a Deployment itself; words (a sentence) go to out. Returns -1 for a
 * document that says nothing of the Deployment (a bookmark, another
 * kind). */
int kube_rollout_verdict(json_t *doc, char *out, size_t size);

/* Each whole document of what came so far, to fn, in order; what is
 * not whole yet is kept in *state (NULL at first; kube_watch_free). */
typedef void (*kube_doc_fn)(void *ctx, json_t *doc);
void kube_reader_feed(void **state, const char *data, size_t len, kube_doc_fn fn, void *ctx);

/* watch_read (kube_reader_feed, each verdict to adapter_report) and
 * watch_free of the kubernetes adapter. */
void kube_watch_read(void **state, const char *data, size_t len, adapter_ear *ear);
void kube_watch_free(void *state);

#endif
