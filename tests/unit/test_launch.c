/* Unit tests: what an action launches (launch.c): a tend-lua job's
 * command line (the tend-lua next to this binary, by its absolute path,
 * "-e", the script, its args) and the environment that makes it reach
 * its own daemon and start none. */
/* cmocka needs these before it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "env_lookup.h"
#include "base/strv.h"
#include "config/registry.h"
#include "daemon/launch.h"


static registry *load(const char *text)
{
    diag_list d;
    diag_init(&d, "/x/services.toml");
    registry *r = registry_load_bytes("/x/services.toml", text, strlen(text), &d);
    for (size_t i = 0; i < d.len; i++)
        print_error("%d:%d: %s\n", d.items[i].line, d.items[i].col, d.items[i].message);
    assert_non_null(r);
    diag_free(&d);
    return r;
}

static const char deploy[] = "[actions.deploy]\n"
                             "interpreter = \"tend-lua\"\n"
                             "script = \"print(arg[1])\"\n"
                             "args = [\"blue\", \"two words\"]\n"
                             "env = { TEND_HOME = \"/elsewhere\", TEND_HOST = \"https://x:1\", "
                             "APP = \"1\" }\n"
                             "[actions.shell]\n"
                             "script = \"echo hi\"\n"
                             "env = { TEND_HOME = \"/elsewhere\" }\n";

static void test_tend_lua_runs_the_one_next_to_this_binary(void **state)
{
    (void)state;
    registry *r = load(deploy);
    char **argv = action_argv(registry_action(r, "deploy"));
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    assert_true(n > 0);
    self[n] = '\0';
    *strrchr(self, '/') = '\0';
    char expected[PATH_MAX + 16];
    snprintf(expected, sizeof(expected), "%s/tend-lua", self);
    assert_int_equal(strv_len(argv), 5);
    assert_string_equal(argv[0], expected);
    assert_string_equal(argv[1], "-e");
    assert_string_equal(argv[2], "print(arg[1])");
    assert_string_equal(argv[3], "blue"); /* tend-lua -e takes args: arg and ... */
    assert_string_equal(argv[4], "two words");
    assert_string_equal(action_program(registry_action(r, "deploy")), expected);
    assert_string_equal(action_program(registry_action(r, "shell")), "sh");
    strv_free(argv);
    registry_free(r);
}

static void test_tend_lua_reaches_its_own_daemon_and_starts_none(void **state)
{
    (void)state;
    registry *r = load(deploy);
    char *extra[] = {"NOTIFY_SOCKET=@tend/1/notify/2", NULL};
    proc_request req;
    char err[256];
    assert_int_equal(launch_request(registry_action(r, "deploy"), extra, &req, err, sizeof(err)),
                     0);
    assert_string_equal(env_lookup(req.env, "TEND_NO_AUTOSTART"), "1");
    /* The daemon's TEND_HOME, made absolute, over the one its env gives. */
    char cwd[PATH_MAX], home[PATH_MAX + 16];
    assert_non_null(getcwd(cwd, sizeof(cwd)));
    snprintf(home, sizeof(home), "%s/build", cwd);
    assert_string_equal(env_lookup(req.env, "TEND_HOME"), home);
    assert_string_equal(env_lookup(req.env, "TEND_HOST"), ""); /* empty: no remote daemon */
    assert_string_equal(env_lookup(req.env, "APP"), "1");
    assert_string_equal(env_lookup(req.env, "NOTIFY_SOCKET"), "@tend/1/notify/2");
    launch_request_free(&req);
    /* Another interpreter's job keeps its env as it is. */
    assert_int_equal(launch_request(registry_action(r, "shell"), NULL, &req, err, sizeof(err)), 0);
    assert_string_equal(env_lookup(req.env, "TEND_HOME"), "/elsewhere");
    assert_null(env_lookup(req.env, "TEND_NO_AUTOSTART"));
    launch_request_free(&req);
    registry_free(r);
}

static void test_lua_e_still_takes_no_args(void **state)
{
    (void)state;
    registry *r = load("[actions.plain]\n"
                       "interpreter = \"lua\"\n"
                       "script = \"print(1)\"\n"
                       "args = [\"x\"]\n");
    proc_request req;
    char err[256];
    assert_int_equal(launch_request(registry_action(r, "plain"), NULL, &req, err, sizeof(err)),
                     -EINVAL);
    assert_string_equal(err, "lua -e scripts take no args");
    registry_free(r);
}

int main(void)
{
    /* The daemon's TEND_HOME, relative (tests run in the source tree);
     * read once, at the first launch. */
    setenv("TEND_HOME", "build", 1);
    unsetenv("TEND_HOST");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tend_lua_runs_the_one_next_to_this_binary),
        cmocka_unit_test(test_tend_lua_reaches_its_own_daemon_and_starts_none),
        cmocka_unit_test(test_lua_e_still_takes_no_args),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
