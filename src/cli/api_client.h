/* api_client.h — the CLI's side of the API: one JSON-RPC call over the
 * daemon's unix socket, and starting a user daemon when none answers. */
#ifndef TEND_CLI_API_CLIENT_H
#define TEND_CLI_API_CLIENT_H

#include <jansson.h>
#include <stdbool.h>

typedef enum { CALL_OK, CALL_FAILED, CALL_UNREACHABLE } call_status;

typedef struct {
    int code;
    char message[512]; /* with error.data's detail appended when there is one */
} call_error;

/* Calls method with params (borrowed; NULL for none). On CALL_OK *result
 * is a new reference. */
call_status api_call(const char *method, json_t *params, json_t **result, call_error *err);

/* The same, but only to a daemon that already runs: none is started,
 * whatever api_set_autostart says (for asking whether one runs). */
call_status api_call_running(const char *method, json_t *params, json_t **result,
                             call_error *err);

/* Follows GET /events?QUERY: on_event gets each event object (borrowed);
 * returning non-zero ends the stream. Returns CALL_OK when on_event ended
 * it, CALL_FAILED when it broke off, CALL_UNREACHABLE. */
call_status api_follow_events(const char *query, int (*on_event)(json_t *ev, void *ctx), void *ctx,
                              call_error *err);

/* The same for at most seconds; the time running out is CALL_OK too. */
call_status api_follow_events_for(const char *query, double seconds,
                                  int (*on_event)(json_t *ev, void *ctx), void *ctx,
                                  call_error *err);

/* The same for any stream path (e.g. "/logs/web?follow=1"); a stream the
 * daemon ends normally is CALL_OK too. */
call_status api_follow(const char *path, int (*on_event)(json_t *ev, void *ctx), void *ctx,
                       call_error *err);

/* Whether api_call may start a daemon when none answers (default yes;
 * --no-autostart and TEND_NO_AUTOSTART=1 say no). */
void api_set_autostart(bool allowed);
/* The tend binary such a daemon is started from (default: this very
 * program; tend-lua names the tend next to it). path must last. */
void api_set_daemon_program(const char *path);

#endif
