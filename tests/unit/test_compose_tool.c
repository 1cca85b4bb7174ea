/* Unit tests: the names the docker-compose adapter gives (compose_tool.h):
 * the project (project_name, else the compose file's folder as compose
 * makes a project name of it) and the service's container, per tool; the
 * argv of a tool call (no shell: every word its own). */
/* cmocka needs these before it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "base/strv.h"
#include "daemon/adapters/compose_tool.h"

static deployment_spec compose(const char *file, const char *service, const char *project)
{
    deployment_spec d = {.mode = DEPLOY_DOCKER_COMPOSE};
    d.compose.compose_file = (char *)file;
    d.compose.service_name = (char *)service;
    d.compose.project_name = (char *)project;
    return d;
}

static void test_the_project_is_the_folder_name_as_compose_makes_it(void **state)
{
    (void)state;
    char out[256];
    deployment_spec d = compose("/srv/My App.v2/docker-compose.yml", "web", NULL);
    compose_project(&d, out, sizeof(out));
    assert_string_equal(out, "myappv2");
    d = compose("/srv/shop_front-1/compose.yaml", "web", NULL);
    compose_project(&d, out, sizeof(out));
    assert_string_equal(out, "shop_front-1");
    d = compose("/srv/x/compose.yaml", "web", "given");
    compose_project(&d, out, sizeof(out));
    assert_string_equal(out, "given");
}

static void test_the_container_has_the_name_its_tool_gives(void **state)
{
    (void)state;
    char out[256];
    deployment_spec d = compose("/srv/shop/compose.yaml", "web", NULL);
    compose_tool podman = {.kind = COMPOSE_PODMAN}, docker = {.kind = COMPOSE_DOCKER_PLUGIN};
    compose_container(&podman, &d, out, sizeof(out));
    assert_string_equal(out, "shop_web_1");
    compose_container(&docker, &d, out, sizeof(out));
    assert_string_equal(out, "shop-web-1");
}

static void test_a_tool_call_is_an_argv(void **state)
{
    (void)state;
    deployment_spec d = compose("/srv/a b/compose.yaml", "web; rm -rf /", "p");
    compose_tool t = {.kind = COMPOSE_DOCKER_PLUGIN};
    strcpy(t.program, "/usr/bin/docker");
    char **argv = compose_tool_argv(&t, &d, "up", "--no-start", d.compose.service_name, NULL);
    char *const want[] = {
        "/usr/bin/docker", "compose",       "-f", "/srv/a b/compose.yaml", "-p", "p", "up",
        "--no-start",      "web; rm -rf /", NULL};
    assert_true(strv_equal(argv, want));
    strv_free(argv);
    t.kind = COMPOSE_PODMAN;
    strcpy(t.program, "/usr/bin/podman-compose");
    argv = compose_tool_argv(&t, &d, "up", NULL);
    assert_string_equal(argv[1], "-f");
    assert_int_equal(strv_len(argv), 6);
    strv_free(argv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_the_project_is_the_folder_name_as_compose_makes_it),
        cmocka_unit_test(test_the_container_has_the_name_its_tool_gives),
        cmocka_unit_test(test_a_tool_call_is_an_argv),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
