/* methods_internal.h — what the files of the API methods share. */
#ifndef TEND_API_METHODS_INTERNAL_H
#define TEND_API_METHODS_INTERNAL_H

#include "api/methods.h"

#define NAMES(...) ((const char *const[]){__VA_ARGS__, NULL})
#define NO_PARAMS  ((const char *const[]){NULL})

/* An operation that failed: -32000 with the reason as the message. */
json_t *api_failed(rpc_error *err, const char *message);
/* Validates doc as a whole registry and applies it; returns the plan.
 * file: the absolute path doc was read from (registry.get tells it), or
 * NULL when it comes from no file. */
json_t *api_apply_document(api_ctx *ctx, json_t *doc, const char *file, rpc_error *err);
/* Whether the history is written: {failing, since, error, pending,
 * write_errors, events_dropped} (service.status and service.why). */
json_t *api_history_json(store *st);
/* The one parameter of most methods. */
int api_name_only(json_t *params, const char **name, rpc_error *err);
/* The current registry with one service or action replaced (spec) or
 * removed (spec NULL), validated and applied as a whole; returns the plan. */
json_t *api_change_spec(api_ctx *ctx, const char *section, const char *name, json_t *spec,
                        rpc_error *err);

/* methods_ops.c */
json_t *api_service_list_full(void *c, json_t *params, rpc_error *err);
json_t *api_service_status_full(void *c, json_t *params, rpc_error *err);
json_t *api_service_kill(void *c, json_t *params, rpc_error *err);
json_t *api_service_is_running(void *c, json_t *params, rpc_error *err);
json_t *api_service_why(void *c, json_t *params, rpc_error *err);
json_t *api_service_tree(void *c, json_t *params, rpc_error *err);
json_t *api_service_stats(void *c, json_t *params, rpc_error *err);
json_t *api_service_children(void *c, json_t *params, rpc_error *err);
json_t *api_service_start_all(void *c, json_t *params, rpc_error *err);
json_t *api_service_stop_all(void *c, json_t *params, rpc_error *err);
json_t *api_quick_service_set(void *c, json_t *params, rpc_error *err);
json_t *api_quick_service_start(void *c, json_t *params, rpc_error *err);
json_t *api_job_retry(void *c, json_t *params, rpc_error *err);
json_t *api_job_cancel(void *c, json_t *params, rpc_error *err);
json_t *api_job_delete(void *c, json_t *params, rpc_error *err);
json_t *api_events_list(void *c, json_t *params, rpc_error *err);
json_t *api_logs_search(void *c, json_t *params, rpc_error *err);
json_t *api_service_health(void *c, json_t *params, rpc_error *err);
json_t *api_service_health_all(void *c, json_t *params, rpc_error *err);
json_t *api_service_preflight(void *c, json_t *params, rpc_error *err);
json_t *api_service_required_for(void *c, json_t *params, rpc_error *err);

/* methods_tokens.c */
json_t *api_token_create(void *c, json_t *params, rpc_error *err);
json_t *api_token_list(void *c, json_t *params, rpc_error *err);
json_t *api_token_revoke(void *c, json_t *params, rpc_error *err);
json_t *api_token_rotate(void *c, json_t *params, rpc_error *err);

#endif
