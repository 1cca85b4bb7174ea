/* wait.c — acting on services (start, restart, stop) and then waiting,
 * with progress, until each has settled: it runs (or became ready), it
 * failed, or it has stopped. The wait follows the daemon's event stream;
 * nothing is polled.
 *
 * A start succeeds only when the service got there: running and ready
 * (its health check passed, or it said READY=1), or running for a whole
 * second when nothing else can tell (a program that exits at once is a
 * failed start, not "Started with PID N"), or done (a oneshot). A restart
 * of its processes meanwhile is a failure too.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/strv.h"
#include "cli/api_client.h"
#include "cli/cli.h"
#include "cli/started.h"

/* Progress for people; with --json only the final JSON is printed. */
#define SAY(p, ...)                                                                                \
    do {                                                                                           \
        if (!(p)->json) printf(__VA_ARGS__);                                                       \
    } while (0)

typedef struct {
    char **names;   /* the services being waited for */
    char **settled; /* those that got there (or failed) */
    char **waiting; /* those said to be waiting for something */
    bool stopping;  /* waiting for them to stop rather than run */
    bool fancy;
    bool json;       /* no progress lines: the final statuses as JSON instead */
    double trial_at; /* the earliest end of a service's first second, or 0 */
    json_int_t last_event;
    int failures;
    int refused; /* of them, refused at once: a summary of those alone says nothing */
} progress;

static const char *text(json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "?";
}

static bool is(const char *state, const char *a)
{
    return strcmp(state, a) == 0;
}

static void say_waiting(progress *p, const char *name, const char *why)
{
    if (strv_contains(p->waiting, name)) return;
    strv_push(&p->waiting, name);
    SAY(p, "%s%s: %s\n", p->fancy ? "⏳ " : "", name, why);
}

/* Where a start stands: 1 got there, -1 failed, 0 not yet. */
static int start_outcome(progress *p, json_t *st)
{
    /* Its processes were restarted since this start: it did not come up. */
    const char *state = text(st, "state");
    if (json_integer_value(json_object_get(st, "restarts")) > 0 && !is(state, "stopping") &&
        !is(state, "success"))
        return -1;
    double left;
    int outcome = started_outcome(st, &left);
    if (outcome == 0 && left > 0) {
        double at = monotonic_now() + left;
        if (!p->trial_at || at < p->trial_at) p->trial_at = at;
    }
    return outcome;
}

/* Prints a service's outcome once; returns whether it has settled. */
/* A start that failed by being restarted, while the service is up again
 * (its reason says "running"): what ended its process, from the newest
 * failed job. Returns out. */
static const char *restarted_words(const char *name, char *out, size_t size)
{
    json_t *jobs = NULL, *params = json_pack("{s:s, s:s, s:i}", "service_id", name, "phase",
                                             "failed", "limit", 1);
    call_error err = {0};
    const char *error = NULL;
    if (api_call("job.list", params, &jobs, &err) == CALL_OK)
        error = json_string_value(json_object_get(json_array_get(jobs, 0), "error"));
    snprintf(out, size, "restarted after %s", error ? error : "it ended");
    json_decref(params);
    json_decref(jobs);
    return out;
}

static bool report(progress *p, const char *name)
{
    if (strv_contains(p->settled, name)) return true;
    json_t *st = NULL, *params = json_pack("{s:s}", "name", name);
    call_error err = {0};
    call_status got = api_call("service.status", params, &st, &err);
    json_decref(params);
    if (got != CALL_OK) return false;
    const char *state = text(st, "state");
    const char *reason = json_string_value(json_object_get(st, "reason"));
    int outcome;
    if (p->stopping)
        outcome = is(state, "running") || is(state, "starting") || is(state, "stopping") ? 0 : 1;
    else
        outcome = start_outcome(p, st);
    if (outcome == 0 && reason &&
        (strncmp(reason, "waiting for ", 12) == 0 || strncmp(reason, "stopping after ", 15) == 0))
        say_waiting(p, name, reason);
    if (outcome != 0) {
        strv_push(&p->settled, name);
        json_t *pid = json_object_get(st, "pid");
        if (outcome < 0) {
            char words[600];
            /* Restarted and up again: its reason no longer tells the failure. */
            bool came_back = !is(state, "failed") && !is(state, "exited") &&
                             (!reason || is(reason, "running") || is(reason, "starting"));
            p->failures++;
            SAY(p, "%s%s failed: %s\n", p->fancy ? "❌ " : "", name,
                came_back ? restarted_words(name, words, sizeof(words)) : reason ? reason : state);
        } else if (p->stopping) {
            SAY(p, "%sStopped %s\n", p->fancy ? "⚪ " : "", name);
        } else if (json_is_integer(pid) && is(state, "running")) {
            SAY(p, "%sStarted %s with PID %lld\n", p->fancy ? "✅ " : "", name,
                (long long)json_integer_value(pid));
        } else {
            SAY(p, "%s%s: %s\n", p->fancy ? "✅ " : "", name, state);
        }
    }
    fflush(stdout);
    json_decref(st);
    return outcome != 0;
}

static bool all_settled(progress *p)
{
    bool all = true;
    p->trial_at = 0;
    for (size_t i = 0; p->names && p->names[i]; i++) all &= report(p, p->names[i]);
    return all;
}

static int on_event(json_t *ev, void *ctx)
{
    progress *p = ctx;
    json_int_t id = json_integer_value(json_object_get(ev, "id"));
    if (id > p->last_event) p->last_event = id;
    const char *service = json_string_value(json_object_get(ev, "service"));
    if (!service || !strv_contains(p->names, service)) return 0;
    /* Only the service the event is about can have moved. */
    report(p, service);
    /* A service in its first second: the stream ends, so that the next
     * one is followed no longer than that second. */
    bool all = true;
    for (size_t i = 0; all && p->names[i]; i++) all = strv_contains(p->settled, p->names[i]);
    return all || p->trial_at;
}

static json_int_t last_event_id(void)
{
    json_t *tail = NULL, *params = json_pack("{s:i}", "tail", 1);
    call_error err = {0};
    json_int_t id = 0;
    call_status got = api_call("events.list", params, &tail, &err);
    json_decref(params);
    if (got == CALL_OK) id = json_integer_value(json_object_get(json_array_get(tail, 0), "id"));
    json_decref(tail);
    return id;
}

/* Follows events until every name has settled; a service in its first
 * second is looked at again when that second is over. */
static int follow_until_settled(progress *p)
{
    while (!all_settled(p)) {
        char query[64];
        snprintf(query, sizeof(query), "after=%lld", (long long)p->last_event);
        double wait = p->trial_at ? p->trial_at - monotonic_now() : 0;
        call_error err = {0};
        call_status st =
            api_follow_events_for(query, wait > 0 ? wait : (p->trial_at ? 0.001 : 0), on_event,
                                  p, &err);
        if (st != CALL_OK) return cli_report_call("events", st, &err);
    }
    return EXIT_OK;
}

/* --json: every named service's status after the wait. */
static void print_statuses(char **names)
{
    json_t *all = json_array();
    for (size_t i = 0; names[i]; i++) {
        json_t *st = NULL, *params = json_pack("{s:s}", "name", names[i]);
        call_error err = {0};
        if (api_call("service.status", params, &st, &err) == CALL_OK)
            json_array_append_new(all, st);
        json_decref(params);
    }
    char *dump = json_dumps(all, JSON_INDENT(2));
    puts(dump);
    free(dump);
    json_decref(all);
}

static int finish(progress *p, const char *done_word)
{
    int rc = follow_until_settled(p);
    if (rc) return rc;
    if (p->json) print_statuses(p->names);
    size_t n = strv_len(p->names);
    if ((size_t)p->refused == n) {
        /* Every one refused, each said why: a count adds nothing. */
    } else if (p->stopping && !p->failures) {
        SAY(p, "%zu %s\n", n, done_word);
    } else {
        SAY(p, "%zu %s, %d failed\n", n - (size_t)p->failures, done_word, p->failures);
    }
    strv_free(p->settled);
    strv_free(p->waiting);
    return p->failures ? EXIT_FAILED : EXIT_OK;
}

/* The call's own outcome when the wait is not wanted. */
static void say_no_wait(progress *p, const char *name, json_t *result)
{
    if (p->json) {
        char *dump = json_dumps(result, JSON_INDENT(2));
        puts(dump ? dump : "null");
        free(dump);
    } else {
        printf("%s: %s\n", name, text(result, "state"));
    }
}

bool cli_force_would_help_check(const char *check)
{
    /* A container engine or kubectl that is not there stays so with
     * --force: the start would fail. */
    static const char *const hopeless[] = {"container_cli", "kubectl", NULL};
    for (size_t i = 0; hopeless[i]; i++)
        if (strcmp(check, hopeless[i]) == 0) return false;
    return true;
}

bool cli_force_would_help(const char *refusal)
{
    static const char lead[] = "Pre-flight check failed: ";
    if (strncmp(refusal, lead, sizeof(lead) - 1) != 0) return false;
    const char *check = refusal + sizeof(lead) - 1;
    char name[64];
    snprintf(name, sizeof(name), "%.*s", (int)strcspn(check, "\n"), check);
    return cli_force_would_help_check(name);
}

int cli_act_and_wait(cli_act act, char **names, const cli_act_options *o)
{
    static const char *const methods[] = {"service.start", "service.restart", "service.stop"};
    const char *method = methods[act];
    progress p = {.names = names,
                  .stopping = act == CLI_STOP,
                  .fancy = cli_fancy(stdout),
                  .json = o->json,
                  .last_event = o->wait ? last_event_id() : 0};
    for (size_t i = 0; names[i]; i++) {
        json_t *params = json_pack("{s:s}", "name", names[i]);
        if (act == CLI_START) /* without --force, a running service is left as it is */
            json_object_set_new(params, "replace_existing_jobs", json_boolean(o->force));
        if ((act == CLI_STOP && o->force) || (act != CLI_STOP && o->skip_checks))
            json_object_set_new(params, "force", json_true());
        json_t *result = NULL;
        call_error err = {0};
        call_status st = api_call(method, params, &result, &err);
        json_decref(params);
        if (st == CALL_UNREACHABLE) return cli_report_call(method, st, &err);
        if (st == CALL_OK && !o->wait) say_no_wait(&p, names[i], result);
        json_decref(result);
        if (st != CALL_OK && act == CLI_START && strstr(err.message, " is already ")) {
            SAY(&p, "%s%s is already running\n", p.fancy ? "✅ " : "", names[i]);
            strv_push(&p.settled, names[i]);
            continue;
        }
        if (st != CALL_OK && strncmp(err.message, "no service named ", 17) == 0) {
            cli_report_call(method, st, &err); /* tend services stop: no service named 'x' */
            strv_push(&p.settled, names[i]);
            p.failures++, p.refused++;
            continue;
        }
        if (st != CALL_OK) {
            /* The guide's refusals: they name the service already. */
            fprintf(stderr, "%s%s\n", cli_fancy(stderr) ? "❌ " : "error: ", err.message);
            if (act == CLI_STOP && strstr(err.message, "Dependent services running"))
                fprintf(stderr, "Use --force to stop anyway\n");
            if (act == CLI_RESTART && cli_force_would_help(err.message))
                fprintf(stderr, "Use --force to restart anyway\n");
            strv_push(&p.settled, names[i]);
            p.failures++, p.refused++;
            continue;
        }
        if (o->wait && act != CLI_STOP) {
            SAY(&p, "%s%s %s\n", p.fancy ? "⏳ " : "", act == CLI_START ? "Starting" : "Restarting",
                names[i]);
            fflush(stdout);
        }
    }
    if (!o->wait) {
        strv_free(p.settled);
        return p.failures ? EXIT_FAILED : EXIT_OK;
    }
    return finish(&p, act == CLI_STOP ? "stopped" : "running");
}

int cli_stop_set_and_wait(char **names, bool all, const cli_act_options *o)
{
    progress p = {.names = names,
                  .stopping = true,
                  .fancy = cli_fancy(stdout),
                  .json = o->json,
                  .last_event = last_event_id()};
    json_t *params = json_object(), *results = NULL;
    if (!all) {
        json_t *list = json_array();
        for (size_t i = 0; names[i]; i++) json_array_append_new(list, json_string(names[i]));
        json_object_set_new(params, "names", list);
    }
    if (o->force) json_object_set_new(params, "force", json_true());
    call_error err = {0};
    call_status st = api_call("service.stop_all", params, &results, &err);
    json_decref(params);
    if (st != CALL_OK) {
        if (st == CALL_UNREACHABLE) return cli_report_call("service.stop_all", st, &err);
        fprintf(stderr, "%s%s\n", cli_fancy(stderr) ? "❌ " : "error: ", err.message);
        if (strstr(err.message, "Dependent services running"))
            fprintf(stderr, "Use --force to kill them all anyway\n");
        return EXIT_FAILED;
    }
    json_decref(results);
    if (!o->wait) {
        SAY(&p, "Stopping %zu service(s)\n", strv_len(names));
        return EXIT_OK;
    }
    return finish(&p, "stopped");
}
