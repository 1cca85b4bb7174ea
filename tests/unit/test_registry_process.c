/* Unit tests: the keys of how a process runs (user, env_file, ready,
 * timeout, stop_signal, stop_timeout) on deployment.binary as on actions,
 * checked by the same code; env_file paths; a command check's user. */
/* cmocka needs these before it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/strv.h"
#include "config/registry.h"

static registry *load_at(const char *path, const char *text, diag_list *d)
{
    diag_init(d, path);
    registry *r = registry_load_bytes(path, text, strlen(text), d);
    diag_sort(d);
    return r;
}

static registry *load_ok(const char *path, const char *text)
{
    diag_list d;
    registry *r = load_at(path, text, &d);
    for (size_t i = 0; i < d.len; i++)
        print_error("%d:%d: %s\n", d.items[i].line, d.items[i].col, d.items[i].message);
    assert_non_null(r);
    diag_free(&d);
    return r;
}

static const char postgres[] = "[services.db.deployment]\n"
                               "mode = \"binary\"\n"
                               "[services.db.deployment.binary]\n"
                               "binary_path = \"/usr/lib/postgresql/15/bin/postgres\"\n"
                               "args = [\"-D\", \"/srv/pg\"]\n"
                               "user = \"postgres\"\n"
                               "stop_signal = \"SIGINT\"\n"
                               "stop_timeout = 60\n"
                               "ready = \"notify\"\n"
                               "timeout = 3600\n"
                               "env_file = [\"secrets/db.env\", \"-/etc/db/optional.env\"]\n";

static void test_binary_keys_reach_its_action(void **state)
{
    (void)state;
    registry *r = load_ok("/etc/tend/services.toml", postgres);
    const action_spec *a = registry_action(r, "db");
    assert_non_null(a);
    assert_string_equal(a->user, "postgres");
    assert_int_equal(a->stop_signal, SIGINT);
    assert_true(a->stop_timeout == 60);
    assert_true(a->ready_notify);
    assert_true(a->timeout == 3600);
    assert_int_equal(strv_len(a->env_files), 2);
    /* Relative to the registry file's folder; '-' (optional) is kept. */
    assert_string_equal(a->env_files[0], "/etc/tend/secrets/db.env");
    assert_string_equal(a->env_files[1], "-/etc/db/optional.env");
    registry_free(r);
}

static void test_binary_defaults_are_the_action_defaults(void **state)
{
    (void)state;
    registry *r = load_ok("/x/services.toml", "[services.s.deployment]\n"
                                              "mode = \"binary\"\n"
                                              "binary = { binary_path = \"/bin/true\" }\n");
    const action_spec *a = registry_action(r, "s");
    assert_null(a->user);
    assert_int_equal(a->stop_signal, SIGTERM);
    assert_true(a->stop_timeout == 10);
    assert_false(a->ready_notify);
    assert_true(a->timeout == 0);
    assert_int_equal(strv_len(a->env_files), 0);
    registry_free(r);
}

static void test_binary_key_errors_are_the_action_errors_in_place(void **state)
{
    (void)state;
    diag_list d;
    registry *r = load_at("/x/services.toml",
                          "[services.s.deployment]\n"
                          "mode = \"binary\"\n"
                          "[services.s.deployment.binary]\n"
                          "binary_path = \"/bin/true\"\n"
                          "stop_signal = \"SIGNOPE\"\n"
                          "stop_timeout = -1\n"
                          "timeout = -5\n"
                          "ready = \"soon\"\n"
                          "env_file = 3\n"
                          "user = 7\n"
                          "[actions.a]\n"
                          "exec = [\"/bin/true\"]\n"
                          "stop_signal = \"SIGNOPE\"\n",
                          &d);
    assert_null(r);
    assert_int_equal(d.len, 7);
    const char *keys[] = {"binary.stop_signal",   "binary.stop_timeout", "binary.timeout",
                          "binary.ready",         "binary.env_file",     "binary.user",
                          "actions.a.stop_signal"};
    const int lines[] = {5, 6, 7, 8, 9, 10, 13};
    for (size_t i = 0; i < 7; i++) {
        assert_int_equal(d.items[i].line, lines[i]);
        assert_true(d.items[i].col > 1);
        if (!strstr(d.items[i].message, keys[i])) print_error("%s\n", d.items[i].message);
        assert_non_null(strstr(d.items[i].message, keys[i]));
    }
    /* The same words for the same mistake, wherever it is made. */
    assert_non_null(strstr(d.items[0].message, "expected a signal name"));
    assert_string_equal(strstr(d.items[0].message, "expected"),
                        strstr(d.items[6].message, "expected"));
    assert_non_null(strstr(d.items[1].message, "seconds from 0"));
    diag_free(&d);
}

static void test_env_file_one_path_or_several_on_actions_too(void **state)
{
    (void)state;
    registry *r = load_ok("relative/services.toml", "[actions.a]\n"
                                                    "exec = [\"/bin/true\"]\n"
                                                    "env_file = \"-app.env\"\n"
                                                    "[actions.b]\n"
                                                    "exec = [\"/bin/true\"]\n"
                                                    "env_file = [\"/abs/one.env\", \"two.env\"]\n");
    char cwd[4096], want[4200];
    assert_non_null(getcwd(cwd, sizeof(cwd)));
    const action_spec *a = registry_action(r, "a");
    assert_int_equal(strv_len(a->env_files), 1);
    snprintf(want, sizeof(want), "-%s/relative/app.env", cwd);
    assert_string_equal(a->env_files[0], want);
    const action_spec *b = registry_action(r, "b");
    assert_string_equal(b->env_files[0], "/abs/one.env");
    snprintf(want, sizeof(want), "%s/relative/two.env", cwd);
    assert_string_equal(b->env_files[1], want);
    registry_free(r);
}

static void test_env_file_problems(void **state)
{
    (void)state;
    diag_list d;
    assert_null(load_at("/x/services.toml",
                        "[actions.a]\n"
                        "exec = [\"/bin/true\"]\n"
                        "env_file = [\"/ok.env\", \"-\", 4]\n"
                        "[actions.b]\n"
                        "exec = [\"/bin/true\"]\n"
                        "env_file = \"\"\n",
                        &d));
    assert_int_equal(d.len, 2);
    assert_int_equal(d.items[0].line, 3);
    assert_int_equal(d.items[1].line, 6);
    assert_int_equal(d.items[1].col, 12);
    assert_non_null(strstr(d.items[1].message, "'actions.b.env_file': expected the path"));
    diag_free(&d);
}

static void test_process_keys_round_trip_through_json(void **state)
{
    (void)state;
    registry *r = load_ok("/etc/tend/services.toml", postgres);
    json_t *doc = registry_to_json(r);
    json_t *bin = json_object_get(
        json_object_get(json_object_get(json_object_get(doc, "services"), "db"), "deployment"),
        "binary");
    assert_string_equal(json_string_value(json_object_get(bin, "stop_signal")), "SIGINT");
    assert_string_equal(json_string_value(json_object_get(bin, "user")), "postgres");
    assert_string_equal(json_string_value(json_array_get(json_object_get(bin, "env_file"), 0)),
                        "/etc/tend/secrets/db.env");
    diag_list d;
    diag_init(&d, "(api)");
    registry *again = registry_from_json(doc, &d);
    assert_non_null(again);
    json_t *second = registry_to_json(again);
    assert_true(json_equal(doc, second));
    assert_int_equal(registry_action(again, "db")->stop_signal, SIGINT);
    json_decref(second);
    registry_free(again);
    /* A document without a file has nothing a relative path could be relative to. */
    json_array_set_new(json_object_get(bin, "env_file"), 0, json_string("db.env"));
    assert_null(registry_from_json(doc, &d));
    assert_int_equal(d.len, 1);
    assert_non_null(strstr(d.items[0].message, "relative path"));
    diag_free(&d);
    json_decref(doc);
    registry_free(r);
}

static void test_command_check_user(void **state)
{
    (void)state;
    registry *r =
        load_ok("/x/services.toml", "[services.c.health_check]\n"
                                    "type = \"command\"\n"
                                    "command = { command = \"id -un\", user = \"nobody\" }\n");
    const service_spec *s = registry_service(r, "c");
    assert_string_equal(s->health.command.user, "nobody");
    health_spec copy = health_spec_copy(&s->health);
    assert_string_equal(copy.command.user, "nobody");
    health_spec_clear(&copy);
    json_t *j = service_spec_to_json(s);
    assert_string_equal(
        json_string_value(json_object_get(
            json_object_get(json_object_get(j, "health_check"), "command"), "user")),
        "nobody");
    json_decref(j);
    registry_free(r);
    diag_list d;
    assert_null(load_at("/x/services.toml",
                        "[services.c.health_check]\n"
                        "type = \"command\"\n"
                        "command = { command = \"id -un\", user = [\"nobody\"] }\n",
                        &d));
    assert_int_equal(d.len, 1);
    assert_int_equal(d.items[0].line, 3);
    assert_non_null(strstr(d.items[0].message, "command.user"));
    diag_free(&d);
}

static const char confined[] = "[actions.a]\n"
                               "exec = [\"/bin/true\"]\n"
                               "no_new_privileges = true\n"
                               "umask = \"027\"\n"
                               "limits = { nofile = 1024, nproc = { soft = 10, hard = 20 }, "
                               "core = \"infinity\" }\n"
                               "[services.b.deployment]\n"
                               "mode = \"binary\"\n"
                               "binary = { binary_path = \"/bin/true\", umask = \"0077\", "
                               "limits = { fsize = 4096 } }\n";

/* no_new_privileges, umask and limits: read on both, kept through JSON. */
static void test_confinement_keys_reach_the_action_and_round_trip(void **state)
{
    (void)state;
    registry *r = load_ok("/etc/tend/services.toml", confined);
    const action_spec *a = registry_action(r, "a"), *b = registry_action(r, "b");
    assert_true(a->no_new_privileges);
    assert_int_equal(a->umask, 027);
    assert_int_equal(a->n_limits, 3);
    assert_int_equal(a->limits[0].resource, RLIMIT_NOFILE);
    assert_true(a->limits[0].soft == 1024 && a->limits[0].hard == 1024);
    assert_int_equal(a->limits[1].resource, RLIMIT_NPROC);
    assert_true(a->limits[1].soft == 10 && a->limits[1].hard == 20);
    assert_true(a->limits[2].soft == RLIM_INFINITY && a->limits[2].hard == RLIM_INFINITY);
    assert_false(b->no_new_privileges);
    assert_int_equal(b->umask, 077);
    assert_int_equal(b->n_limits, 1);
    assert_int_equal(b->limits[0].resource, RLIMIT_FSIZE);
    json_t *doc = registry_to_json(r);
    diag_list d;
    diag_init(&d, "(api)");
    registry *again = registry_from_json(doc, &d);
    assert_non_null(again);
    json_t *second = registry_to_json(again);
    assert_true(json_equal(doc, second));
    assert_int_equal(registry_action(again, "a")->limits[1].hard, 20);
    /* No umask given: none written, the daemon's applies. */
    registry *plain = load_ok("/x.toml", "[actions.p]\nexec = [\"/bin/true\"]\n");
    assert_int_equal(registry_action(plain, "p")->umask, -1);
    json_t *pdoc = registry_to_json(plain);
    assert_null(json_object_get(json_object_get(json_object_get(pdoc, "actions"), "p"), "umask"));
    json_decref(pdoc);
    registry_free(plain);
    json_decref(second);
    json_decref(doc);
    diag_free(&d);
    registry_free(again);
    registry_free(r);
}

static void test_tend_lua_takes_inline_code_and_args(void **state)
{
    (void)state;
    registry *r = load_ok("/x/services.toml", "[actions.deploy]\n"
                                              "interpreter = \"tend-lua\"\n"
                                              "script = \"print(arg[1], ...) -- ${not} expanded\"\n"
                                              "args = [\"blue\", \"--fast\"]\n"
                                              "kind = \"oneshot\"\n");
    const action_spec *a = registry_action(r, "deploy");
    assert_non_null(a);
    assert_string_equal(a->interpreter, "tend-lua");
    assert_string_equal(a->script, "print(arg[1], ...) -- ${not} expanded");
    assert_int_equal(strv_len(a->args), 2);
    assert_string_equal(a->args[0], "blue");
    assert_null(a->exec);
    /* The JSON form keeps it, for the daemon that reads it back. */
    json_t *doc = registry_to_json(r);
    diag_list d;
    diag_init(&d, "(api)");
    registry *again = registry_from_json(doc, &d);
    assert_non_null(again);
    assert_string_equal(registry_action(again, "deploy")->interpreter, "tend-lua");
    registry_free(again);
    json_decref(doc);
    diag_free(&d);
    registry_free(r);
}

static void test_tend_lua_runs_a_script_not_exec(void **state)
{
    (void)state;
    diag_list d;
    registry *r = load_at("/x/services.toml",
                          "[actions.deploy]\n"
                          "interpreter = \"tend-lua\"\n"
                          "exec = [\"/bin/true\"]\n",
                          &d);
    assert_null(r);
    assert_int_equal(d.len, 1);
    assert_int_equal(d.items[0].line, 2);
    assert_non_null(strstr(d.items[0].message, "\"tend-lua\" runs a 'script'"));
    diag_free(&d);
}

/* The name of the user running the tests. */
static const char *own_user(void)
{
    static char name[256];
    struct passwd *pw = getpwuid(geteuid());
    assert_non_null(pw);
    snprintf(name, sizeof(name), "%s", pw->pw_name);
    return name;
}

static void test_tend_lua_may_name_the_daemons_own_user(void **state)
{
    (void)state;
    char text[512];
    snprintf(text, sizeof(text),
             "[actions.deploy]\ninterpreter = \"tend-lua\"\nscript = \"print(1)\"\n"
             "user = \"%s\"\n",
             own_user());
    registry *r = load_ok("/x/services.toml", text);
    assert_string_equal(registry_action(r, "deploy")->user, own_user());
    registry_free(r);
}

static void test_tend_lua_with_another_user_is_refused_at_the_user(void **state)
{
    (void)state;
    /* Another user that exists (whoever runs the tests, one of these is
     * not them) and one that does not: neither could reach the API. */
    const char *other = strcmp(own_user(), "nobody") == 0 ? "root" : "nobody";
    const char *users[] = {other, "no-such-user-tendlua"};
    for (size_t i = 0; i < 2; i++) {
        char text[512];
        snprintf(text, sizeof(text),
                 "[actions.deploy]\n"
                 "interpreter = \"tend-lua\"\n"
                 "script = \"print(1)\"\n"
                 "user   = \"%s\"\n"
                 "[actions.shell]\n"
                 "script = \"id\"\n"
                 "user = \"%s\"\n",
                 users[i], users[i]);
        diag_list d;
        registry *r = load_at("/x/services.toml", text, &d);
        assert_null(r);
        /* Only the tend-lua action: a shell script may run as anyone. */
        assert_int_equal(d.len, 1);
        assert_int_equal(d.items[0].line, 4);
        assert_int_equal(d.items[0].col, 10);
        char expected[1024];
        snprintf(expected, sizeof(expected),
                 "'actions.deploy.user': a tend-lua job talks to its daemon, whose API lets only "
                 "the daemon's own user in, and \"%s\" is not %s: drop 'user' (the job runs as "
                 "%s)",
                 users[i], own_user(), own_user());
        assert_string_equal(d.items[0].message, expected);
        diag_free(&d);
    }
    /* The API's registries (action.set, registry.apply) are read the same way. */
    json_t *doc = json_pack("{s:{s:{s:s, s:s, s:s}}}", "actions", "deploy", "interpreter",
                            "tend-lua", "script", "print(1)", "user", other);
    diag_list d;
    diag_init(&d, "(api)");
    assert_null(registry_from_json(doc, &d));
    assert_int_equal(d.len, 1);
    assert_non_null(strstr(d.items[0].message, "a tend-lua job talks to its daemon"));
    diag_free(&d);
    json_decref(doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_binary_keys_reach_its_action),
        cmocka_unit_test(test_binary_defaults_are_the_action_defaults),
        cmocka_unit_test(test_binary_key_errors_are_the_action_errors_in_place),
        cmocka_unit_test(test_env_file_one_path_or_several_on_actions_too),
        cmocka_unit_test(test_env_file_problems),
        cmocka_unit_test(test_process_keys_round_trip_through_json),
        cmocka_unit_test(test_command_check_user),
        cmocka_unit_test(test_confinement_keys_reach_the_action_and_round_trip),
        cmocka_unit_test(test_tend_lua_takes_inline_code_and_args),
        cmocka_unit_test(test_tend_lua_runs_a_script_not_exec),
        cmocka_unit_test(test_tend_lua_may_name_the_daemons_own_user),
        cmocka_unit_test(test_tend_lua_with_another_user_is_refused_at_the_user),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
