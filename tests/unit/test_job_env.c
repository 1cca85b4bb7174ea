/* Unit tests: a job's environment (job_env.c): the daemon's for its own
 * user, a clean one for another, declared entries and tend's own on top. */
/* cmocka needs these before it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "env_lookup.h"
#include "base/strv.h"
#include "daemon/job_env.h"


static struct passwd someone(uid_t uid)
{
    return (struct passwd){.pw_name = "alice",
                           .pw_uid = uid,
                           .pw_gid = uid,
                           .pw_dir = "/home/alice",
                           .pw_shell = "/bin/zsh"};
}

static void test_another_user_gets_a_clean_environment(void **state)
{
    (void)state;
    setenv("JOB_ENV_SECRET", "root-only", 1);
    setenv("PATH", "/opt/bin:/usr/bin", 1);
    setenv("LANG", "de_DE.UTF-8", 1);
    setenv("TEND_JOB_UMASK", "0022", 1);
    struct passwd pw = someone(geteuid() + 1);
    char *declared[] = {"APP=1", "HOME=/srv/app", NULL};
    char *extra[] = {"NOTIFY_SOCKET=@tend/1/notify/2", NULL};
    char **env = job_env(&pw, declared, extra);
    assert_null(env_lookup(env, "JOB_ENV_SECRET"));
    assert_null(env_lookup(env, "TEND_JOB_UMASK"));
    assert_string_equal(env_lookup(env, "PATH"), "/opt/bin:/usr/bin");
    assert_string_equal(env_lookup(env, "LANG"), "de_DE.UTF-8");
    assert_string_equal(env_lookup(env, "USER"), "alice");
    assert_string_equal(env_lookup(env, "LOGNAME"), "alice");
    assert_string_equal(env_lookup(env, "SHELL"), "/bin/zsh");
    assert_string_equal(env_lookup(env, "HOME"), "/srv/app"); /* declared wins */
    assert_string_equal(env_lookup(env, "APP"), "1");
    assert_string_equal(env_lookup(env, "NOTIFY_SOCKET"), "@tend/1/notify/2");
    strv_free(env);
    /* No PATH in the daemon: a standard one. */
    unsetenv("PATH");
    env = job_env(&pw, NULL, NULL);
    assert_string_equal(env_lookup(env, "PATH"), JOB_ENV_DEFAULT_PATH);
    assert_string_equal(env_lookup(env, "HOME"), "/home/alice");
    strv_free(env);
}

static void test_the_daemons_own_user_keeps_its_environment(void **state)
{
    (void)state;
    setenv("JOB_ENV_SECRET", "root-only", 1);
    setenv("TEND_JOB_UMASK", "0022", 1);
    char *declared[] = {"JOB_ENV_SECRET=overridden", NULL};
    char **env = job_env(NULL, declared, NULL);
    assert_string_equal(env_lookup(env, "JOB_ENV_SECRET"), "overridden");
    assert_null(env_lookup(env, "TEND_JOB_UMASK"));
    strv_free(env);
    /* A user of the daemon's own uid: its HOME/USER/LOGNAME, the rest kept. */
    struct passwd pw = someone(geteuid());
    env = job_env(&pw, NULL, NULL);
    assert_string_equal(env_lookup(env, "JOB_ENV_SECRET"), "root-only");
    assert_string_equal(env_lookup(env, "USER"), "alice");
    assert_string_equal(env_lookup(env, "HOME"), "/home/alice");
    strv_free(env);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_another_user_gets_a_clean_environment),
        cmocka_unit_test(test_the_daemons_own_user_keeps_its_environment),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
