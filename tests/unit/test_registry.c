/* Unit tests: services.toml into specs — values, defaults, synthesized
 * actions, and that a bad file yields every error and no registry. */
/* cmocka needs these before it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/strv.h"
#include "config/registry.h"

static registry *load(const char *text, diag_list *d)
{
    diag_init(d, "test.toml");
    return registry_load_bytes("test.toml", text, strlen(text), d);
}

static registry *load_ok(const char *text)
{
    diag_list d;
    registry *r = load(text, &d);
    for (size_t i = 0; i < d.len; i++)
        print_error("%d:%d: %s\n", d.items[i].line, d.items[i].col, d.items[i].message);
    assert_non_null(r);
    diag_free(&d);
    return r;
}

static const char orchestrator[] =
    "[services.orchestrator]\n"
    "name = \"orchestrator\"\n"
    "type = \"platform\"\n"
    "category = \"orchestration\"\n"
    "description = \"Rust-based orchestrator for workflow coordination\"\n"
    "required_for = [\"server\", \"taskserv\", \"cluster\", \"workflow\", \"batch\"]\n"
    "\n"
    "[services.orchestrator.deployment]\n"
    "mode = \"binary\"\n"
    "\n"
    "[services.orchestrator.deployment.binary]\n"
    "binary_path = \"${HOME}/.provisioning/bin/provisioning-orchestrator\"\n"
    "args = [\"--port\", \"8080\", \"--data-dir\", \"${HOME}/.provisioning/orchestrator/data\"]\n"
    "working_dir = \"/srv\"\n"
    "env = { RUST_LOG = \"info\" }\n"
    "\n"
    "[services.orchestrator.health_check]\n"
    "type = \"http\"\n"
    "\n"
    "[services.orchestrator.health_check.http]\n"
    "endpoint = \"http://localhost:9090/health\"\n"
    "expected_status = 200\n"
    "\n"
    "[services.orchestrator.startup]\n"
    "auto_start = true\n"
    "start_timeout = 30\n"
    "start_order = 10\n";

static void test_seed_orchestrator_example_reads_into_a_spec(void **state)
{
    (void)state;
    setenv("HOME", "/home/ann", 1);
    registry *r = load_ok(orchestrator);
    assert_int_equal(r->n_services, 1);
    const service_spec *s = registry_service(r, "orchestrator");
    assert_non_null(s);
    assert_string_equal(s->type, "platform");
    assert_string_equal(s->category, "orchestration");
    assert_int_equal(strv_len(s->required_for), 5);
    assert_int_equal(s->deployment.mode, DEPLOY_BINARY);
    assert_string_equal(s->deployment.binary.binary_path,
                        "/home/ann/.provisioning/bin/provisioning-orchestrator");
    assert_string_equal(s->deployment.binary.args[3], "/home/ann/.provisioning/orchestrator/data");
    assert_int_equal(s->health.type, HEALTH_HTTP);
    assert_string_equal(s->health.http.endpoint, "http://localhost:9090/health");
    assert_string_equal(s->health.http.method, "GET");
    assert_true(s->health.interval == 10 && s->health.retries == 3 && s->health.timeout == 5);
    assert_true(s->startup.auto_start);
    assert_int_equal(s->startup.start_order, 10);
    assert_true(s->startup.start_timeout == 30);
    assert_int_equal(s->startup.restart, RESTART_ON_FAILURE);
    assert_int_equal(s->pos.line, 2); /* where its name is written */
    registry_free(r);
}

static void test_binary_service_is_one_process_action_of_its_name(void **state)
{
    (void)state;
    setenv("HOME", "/home/ann", 1);
    registry *r = load_ok(orchestrator);
    const service_spec *s = registry_service(r, "orchestrator");
    assert_int_equal(strv_len(s->actions), 1);
    assert_string_equal(s->actions[0], "orchestrator");
    const action_spec *a = registry_action(r, "orchestrator");
    assert_non_null(a);
    assert_string_equal(a->interpreter, "exec");
    assert_string_equal(a->exec[0], "/home/ann/.provisioning/bin/provisioning-orchestrator");
    assert_int_equal(strv_len(a->exec), 1);
    assert_int_equal(strv_len(a->args), 4);
    assert_string_equal(a->env[0], "RUST_LOG=info");
    assert_string_equal(a->cwd, "/srv");
    assert_int_equal(a->kind, ACTION_PROCESS);
    assert_string_equal(a->from_service, "orchestrator");
    assert_int_equal(a->stop_signal, SIGTERM);
    assert_true(a->stop_timeout == 10);
    registry_free(r);
}

static void test_multi_action_service_keeps_depends_on(void **state)
{
    (void)state;
    registry *r = load_ok("[actions.build]\n"
                          "interpreter = \"bash\"\n"
                          "script = \"make ${TARGET}\"\n"
                          "kind = \"oneshot\"\n"
                          "retry = { max_attempts = 3, delay = 0.5, backoff = 2 }\n"
                          "[actions.server]\n"
                          "exec = [\"/bin/sleep\", \"1000\"]\n"
                          "stop_signal = \"INT\"\n"
                          "stop_timeout = 2.5\n"
                          "depends_on = { requires = [\"build\"] }\n"
                          "[services.app]\n"
                          "actions = [\"build\", \"server\"]\n");
    const action_spec *build = registry_action(r, "build");
    assert_string_equal(build->interpreter, "bash");
    assert_string_equal(build->script, "make ${TARGET}"); /* scripts are not expanded */
    assert_int_equal(build->kind, ACTION_ONESHOT);
    assert_int_equal(build->retry.max_attempts, 3);
    assert_true(build->retry.delay == 0.5);
    const action_spec *server = registry_action(r, "server");
    assert_int_equal(server->stop_signal, SIGINT);
    assert_true(server->stop_timeout == 2.5);
    assert_string_equal(server->requires[0], "build");
    assert_int_equal(r->n_actions, 2);
    assert_int_equal(registry_service(r, "app")->deployment.mode, DEPLOY_NONE);
    registry_free(r);
}

static void test_health_command_string_becomes_argv(void **state)
{
    (void)state;
    registry *r = load_ok("[services.custom.health_check]\n"
                          "type = \"command\"\n"
                          "[services.custom.health_check.command]\n"
                          "command = \"systemctl is-active 'my service'\"\n"
                          "expected_exit_code = 0\n");
    const service_spec *s = registry_service(r, "custom");
    assert_int_equal(strv_len(s->health.command.argv), 3);
    assert_string_equal(s->health.command.argv[2], "my service");
    registry_free(r);
}

static void test_bad_file_gives_every_error_and_no_registry(void **state)
{
    (void)state;
    diag_list d;
    registry *r = load("[services.a]\n"
                       "dependecies = [\"b\"]\n"              /* unknown key */
                       "startup = { start_order = \"x\" }\n"  /* wrong type */
                       "deployment = { mode = \"binary\" }\n" /* missing binary */
                       "[services.b]\n"
                       "dependencies = [\"nope\"]\n", /* unknown service */
                       &d);
    assert_null(r);
    assert_int_equal(d.len, 4);
    diag_sort(&d);
    assert_int_equal(d.items[0].line, 2);
    assert_non_null(strstr(d.items[0].message, "did you mean 'dependencies'"));
    assert_int_equal(d.items[1].line, 3);
    assert_int_equal(d.items[3].line, 6);
    assert_int_equal(d.items[3].col, 17);
    diag_free(&d);
}

static void test_retention_defaults_bound_every_service(void **state)
{
    (void)state;
    registry *r =
        load_ok("[services.web]\n"
                "deployment = { mode = \"binary\", binary = { binary_path = \"/bin/true\" } }\n");
    assert_int_equal(r->retention.runs.runs, 20);
    assert_int_equal(r->retention.runs.jobs_per_run, 100);
    assert_int_equal(r->retention.standalone_jobs, 1000);
    assert_int_equal(r->retention.events, 10000);
    assert_int_equal(r->retention.event_days, 0);
    run_retention keep = registry_service_retention(r, registry_service(r, "web"));
    assert_int_equal(keep.runs, 20);
    assert_int_equal(keep.jobs_per_run, 100);
    registry_free(r);
}

static void test_service_retention_overrides_the_registry_wide_one(void **state)
{
    (void)state;
    registry *r =
        load_ok("[retention]\n"
                "runs = 7\n"
                "jobs_per_run = 30\n"
                "events = 500\n"
                "event_days = 14\n"
                "standalone_jobs = 50\n"
                "[services.web]\n"
                "deployment = { mode = \"binary\", binary = { binary_path = \"/bin/true\" } }\n"
                "retention = { runs = 3 }\n"
                "[services.db]\n"
                "deployment = { mode = \"binary\", binary = { binary_path = \"/bin/true\" } }\n");
    assert_int_equal(r->retention.events, 500);
    assert_int_equal(r->retention.event_days, 14);
    assert_int_equal(r->retention.standalone_jobs, 50);
    run_retention web = registry_service_retention(r, registry_service(r, "web"));
    assert_int_equal(web.runs, 3);
    assert_int_equal(web.jobs_per_run, 30); /* not given: the registry's */
    run_retention db = registry_service_retention(r, registry_service(r, "db"));
    assert_int_equal(db.runs, 7);
    /* The JSON form keeps what the service said, and only that. */
    json_t *doc = registry_to_json(r);
    json_t *web_keep =
        json_object_get(json_object_get(json_object_get(doc, "services"), "web"), "retention");
    assert_int_equal(json_integer_value(json_object_get(web_keep, "runs")), 3);
    assert_null(json_object_get(web_keep, "jobs_per_run"));
    assert_null(
        json_object_get(json_object_get(json_object_get(doc, "services"), "db"), "retention"));
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(doc, "retention"), "events")), 500);
    diag_list d;
    diag_init(&d, "(api)");
    registry *again = registry_from_json(doc, &d);
    assert_non_null(again);
    assert_int_equal(registry_service_retention(again, registry_service(again, "web")).runs, 3);
    assert_int_equal(registry_service_retention(again, registry_service(again, "db")).runs, 7);
    assert_int_equal(again->retention.event_days, 14);
    registry_free(again);
    diag_free(&d);
    json_decref(doc);
    registry_free(r);
}

static void test_bad_retention_values_are_errors_at_their_place(void **state)
{
    (void)state;
    diag_list d;
    registry *r =
        load("[retention]\n"
             "runs = 0\n"    /* the current run is always kept */
             "events = 10\n" /* too few for why and live views */
             "event_days = -1\n"
             "jobs_per_run = \"many\"\n"
             "keep = 3\n" /* unknown */
             "[services.web]\n"
             "deployment = { mode = \"binary\", binary = { binary_path = \"/bin/true\" } }\n"
             "retention = { runs = 5, events = 100, jobs_per_rum = 2 }\n",
             &d);
    assert_null(r);
    diag_sort(&d);
    assert_int_equal(d.len, 7);
    assert_int_equal(d.items[0].line, 2);
    assert_int_equal(d.items[0].col, 8);
    assert_non_null(strstr(d.items[0].message, "'retention.runs': expected an integer from 1"));
    assert_int_equal(d.items[1].line, 3);
    assert_non_null(strstr(d.items[1].message, "'retention.events': expected an integer from 100"));
    assert_int_equal(d.items[2].line, 4);
    assert_non_null(strstr(d.items[2].message, "'retention.event_days'"));
    assert_int_equal(d.items[3].line, 5);
    assert_non_null(strstr(d.items[3].message, "found string \"many\""));
    assert_int_equal(d.items[4].line, 6);
    assert_non_null(strstr(d.items[4].message, "unknown key 'retention.keep'"));
    assert_int_equal(d.items[5].line, 9);
    assert_int_equal(d.items[5].col, 25);
    assert_non_null(
        strstr(d.items[5].message, "'services.web.retention.events': bounded daemon-wide only"));
    assert_int_equal(d.items[6].line, 9);
    assert_non_null(strstr(d.items[6].message, "did you mean 'jobs_per_run'"));
    diag_free(&d);
}

static void test_unset_variable_is_an_error_at_the_value(void **state)
{
    (void)state;
    unsetenv("TEND_TEST_UNSET");
    diag_list d;
    registry *r = load("[services.a.deployment]\n"
                       "mode = \"binary\"\n"
                       "binary = { binary_path = \"${TEND_TEST_UNSET}/x\" }\n",
                       &d);
    assert_null(r);
    assert_int_equal(d.len, 1);
    assert_int_equal(d.items[0].line, 3);
    assert_int_equal(d.items[0].col, 26);
    assert_non_null(strstr(d.items[0].message, "'TEND_TEST_UNSET' is not set"));
    diag_free(&d);
}

static void test_empty_file_is_an_empty_registry(void **state)
{
    (void)state;
    registry *r = load_ok("# nothing yet\n");
    assert_int_equal(r->n_services, 0);
    assert_int_equal(r->n_actions, 0);
    assert_null(registry_service(r, "x"));
    registry_free(r);
}

/* The JSON form the API and the store use gives back the same registry. */
static void round_trip(const char *path)
{
    diag_list d;
    diag_init(&d, path);
    registry *r = registry_load_file(path, &d);
    for (size_t i = 0; i < d.len; i++) print_error("%s: %s\n", path, d.items[i].message);
    assert_non_null(r);
    json_t *first = registry_to_json(r);
    registry *again = registry_from_json(first, &d);
    for (size_t i = 0; i < d.len; i++) print_error("%s: %s\n", path, d.items[i].message);
    assert_non_null(again);
    assert_int_equal(again->n_services, r->n_services);
    assert_int_equal(again->n_actions, r->n_actions);
    json_t *second = registry_to_json(again);
    if (!json_equal(first, second)) {
        char *a = json_dumps(first, JSON_SORT_KEYS), *b = json_dumps(second, JSON_SORT_KEYS);
        print_error("%s\n%s\n", a, b);
        free(a), free(b);
        fail();
    }
    json_decref(first);
    json_decref(second);
    registry_free(r);
    registry_free(again);
    diag_free(&d);
}

static void test_json_form_round_trips(void **state)
{
    (void)state;
    setenv("HOME", "/home/ann", 1);
    round_trip("examples/services.toml");
    const char *seeds[] = {"orchestrator", "structure", "docker",         "docker-compose",
                           "kubernetes",   "remote",    "health-command", "health-file",
                           "health-tcp",   "platform"};
    for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
        char path[128];
        snprintf(path, sizeof(path), "tests/system/seed/%s.toml", seeds[i]);
        round_trip(path);
    }
}

static void test_json_is_taken_verbatim_and_checked_like_toml(void **state)
{
    (void)state;
    json_error_t jerr;
    json_t *doc = json_loads("{\"services\": {\"web\": {\"dependencies\": [\"db\"],"
                             " \"deployment\": {\"mode\": \"binary\", \"binary\": "
                             "{\"binary_path\": \"${NOT_EXPANDED}/x\"}},"
                             " \"startup\": {\"start_order\": null}}}}",
                             0, &jerr);
    assert_non_null(doc);
    diag_list d;
    diag_init(&d, "(api)");
    assert_null(registry_from_json(doc, &d));
    assert_int_equal(d.len, 1);
    assert_non_null(strstr(d.items[0].message, "'services.web.startup.start_order': null"));
    diag_free(&d);
    json_object_del(json_object_get(json_object_get(doc, "services"), "web"), "startup");
    diag_init(&d, "(api)");
    assert_null(registry_from_json(doc, &d));
    assert_int_equal(d.len, 1);
    assert_int_equal(d.items[0].line, 0);
    assert_non_null(strstr(d.items[0].message, "depends on 'db', which is not a service"));
    diag_free(&d);
    json_object_set_new(json_object_get(json_object_get(doc, "services"), "web"), "dependencies",
                        json_array());
    diag_init(&d, "(api)");
    registry *r = registry_from_json(doc, &d);
    assert_non_null(r);
    assert_string_equal(registry_action(r, "web")->exec[0], "${NOT_EXPANDED}/x");
    registry_free(r);
    diag_free(&d);
    json_decref(doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seed_orchestrator_example_reads_into_a_spec),
        cmocka_unit_test(test_binary_service_is_one_process_action_of_its_name),
        cmocka_unit_test(test_multi_action_service_keeps_depends_on),
        cmocka_unit_test(test_health_command_string_becomes_argv),
        cmocka_unit_test(test_bad_file_gives_every_error_and_no_registry),
        cmocka_unit_test(test_retention_defaults_bound_every_service),
        cmocka_unit_test(test_service_retention_overrides_the_registry_wide_one),
        cmocka_unit_test(test_bad_retention_values_are_errors_at_their_place),
        cmocka_unit_test(test_unset_variable_is_an_error_at_the_value),
        cmocka_unit_test(test_empty_file_is_an_empty_registry),
        cmocka_unit_test(test_json_form_round_trips),
        cmocka_unit_test(test_json_is_taken_verbatim_and_checked_like_toml),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
