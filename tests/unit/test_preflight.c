/* Unit tests: pre-flight checks — programs on PATH, working directories,
 * users, the port of tcp and http checks (held by a real socket here),
 * deployment modes, conflicts and dependencies through the callback. */
/* cmocka needs these before it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/strv.h"
#include "daemon/preflight.h"

static registry *load(const char *text)
{
    diag_list d;
    diag_init(&d, "test.toml");
    registry *r = registry_load_bytes("test.toml", text, strlen(text), &d);
    diag_free(&d);
    assert_non_null(r);
    return r;
}

static bool nothing_runs(void *ctx, const char *name)
{
    (void)ctx;
    (void)name;
    return false;
}

static bool listed(void *ctx, const char *name)
{
    return strv_contains(ctx, name);
}

/* The message of the check named check, or NULL if it did not run. */
static const char *message_of(json_t *result, const char *check, bool *ok)
{
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(result, "checks"), i, c)
    {
        if (strcmp(json_string_value(json_object_get(c, "check")), check) != 0) continue;
        if (ok) *ok = json_is_true(json_object_get(c, "ok"));
        return json_string_value(json_object_get(c, "message"));
    }
    return NULL;
}

static json_t *check(const char *toml, const char *service, preflight_running_fn fn, void *ctx,
                     registry **keep)
{
    registry *r = load(toml);
    json_t *out = preflight_service(r, registry_service(r, service), fn, ctx);
    *keep = r;
    return out;
}

/* A listening socket on a free loopback port (v6 when asked). */
static int listen_on(bool v6, int *port)
{
    int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_storage ss = {0};
    socklen_t len;
    if (v6) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
        a->sin6_family = AF_INET6;
        a->sin6_addr = in6addr_loopback;
        len = sizeof(*a);
    } else {
        struct sockaddr_in *a = (struct sockaddr_in *)&ss;
        a->sin_family = AF_INET;
        a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        len = sizeof(*a);
    }
    if (bind(fd, (struct sockaddr *)&ss, len) < 0) {
        close(fd);
        return -1;
    }
    assert_int_equal(listen(fd, 1), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&ss, &len), 0);
    *port =
        ntohs(v6 ? ((struct sockaddr_in6 *)&ss)->sin6_port : ((struct sockaddr_in *)&ss)->sin_port);
    return fd;
}

static void test_program_found_in_path_or_not(void **state)
{
    (void)state;
    registry *r;
    json_t *out =
        check("[services.a]\n"
              "deployment = { mode = \"binary\", binary = { binary_path = \"sleep\" } }\n",
              "a", nothing_runs, NULL, &r);
    bool ok = false;
    const char *m = message_of(out, "binary", &ok);
    assert_true(ok);
    assert_true(strncmp(m, "Binary found: /", 15) == 0 && strstr(m, "/sleep"));
    assert_true(json_is_true(json_object_get(out, "ok")));
    json_decref(out);
    registry_free(r);

    out = check("[actions.x]\nexec = [\"no-such-program-anywhere\"]\n"
                "[services.a]\nactions = [\"x\"]\n",
                "a", nothing_runs, NULL, &r);
    assert_string_equal(message_of(out, "binary", &ok),
                        "Binary not found in PATH: no-such-program-anywhere");
    assert_false(ok);
    assert_false(json_is_true(json_object_get(out, "ok")));
    json_decref(out);
    registry_free(r);
}

static void test_scripts_need_their_interpreter_and_the_action_path_counts(void **state)
{
    (void)state;
    registry *r;
    json_t *out = check("[actions.x]\nscript = \"echo hi\"\ninterpreter = \"perl\"\n"
                        "env = { PATH = \"/nonexistent\" }\n"
                        "[services.a]\nactions = [\"x\"]\n",
                        "a", nothing_runs, NULL, &r);
    assert_string_equal(message_of(out, "binary", NULL), "Binary not found in PATH: perl");
    json_decref(out);
    registry_free(r);
}

/* A program in a folder only its owner (root, running the tests) may
 * enter: found for root, not for nobody, whom access() cannot speak for. */
static void test_programs_are_checked_for_the_actions_user(void **state)
{
    (void)state;
    if (getuid() != 0) return; /* needs two users */
    char dir[] = "/tmp/tend-perm-XXXXXX";
    assert_non_null(mkdtemp(dir)); /* mode 0700 */
    char program[64], toml[512];
    snprintf(program, sizeof(program), "%s/prog", dir);
    FILE *f = fopen(program, "w");
    assert_non_null(f);
    fputs("#!/bin/sh\n", f);
    fclose(f);
    chmod(program, 0755);
    snprintf(toml, sizeof(toml),
             "[actions.x]\nexec = [\"%s\"]\nuser = \"nobody\"\n[actions.y]\nexec = [\"%s\"]\n"
             "[services.a]\nactions = [\"x\"]\n[services.b]\nactions = [\"y\"]\n",
             program, program);
    registry *r = load(toml);
    json_t *as_nobody = preflight_service(r, registry_service(r, "a"), nothing_runs, NULL);
    json_t *as_root = preflight_service(r, registry_service(r, "b"), nothing_runs, NULL);
    bool ok = true;
    char want[128];
    snprintf(want, sizeof(want), "Binary is not executable for user nobody: %s", program);
    assert_string_equal(message_of(as_nobody, "binary", &ok), want);
    assert_false(ok);
    message_of(as_root, "binary", &ok);
    assert_true(ok);
    chmod(dir, 0755); /* now nobody may enter */
    json_decref(as_nobody);
    as_nobody = preflight_service(r, registry_service(r, "a"), nothing_runs, NULL);
    message_of(as_nobody, "binary", &ok);
    assert_true(ok);
    json_decref(as_nobody);
    json_decref(as_root);
    registry_free(r);
    unlink(program);
    rmdir(dir);
}

static void test_working_dir_and_user(void **state)
{
    (void)state;
    registry *r;
    json_t *out = check("[actions.x]\nexec = [\"/bin/true\"]\ncwd = \"/nonexistent/dir\"\n"
                        "user = \"root\"\n"
                        "[services.a]\nactions = [\"x\"]\n",
                        "a", nothing_runs, NULL, &r);
    bool ok = true;
    assert_string_equal(message_of(out, "working_dir", &ok),
                        "Working directory not found: /nonexistent/dir");
    assert_false(ok);
    assert_string_equal(message_of(out, "user", &ok), "User exists: root");
    assert_true(ok);
    json_decref(out);
    registry_free(r);
}

static void check_port_form(const char *health, bool expect_taken)
{
    char toml[512];
    snprintf(toml, sizeof(toml),
             "[services.a]\n"
             "deployment = { mode = \"binary\", binary = { binary_path = \"/bin/true\" } }\n"
             "health_check = %s\n",
             health);
    registry *r;
    json_t *out = check(toml, "a", nothing_runs, NULL, &r);
    bool ok = true;
    const char *m = message_of(out, "port", &ok);
    assert_non_null(m);
    assert_int_equal(ok, !expect_taken);
    json_decref(out);
    registry_free(r);
}

static void test_port_of_tcp_and_http_checks(void **state)
{
    (void)state;
    int port = 0, fd = listen_on(false, &port);
    char health[256];
    snprintf(health, sizeof(health),
             "{ type = \"tcp\", tcp = { host = \"127.0.0.1\", port = %d } }", port);
    check_port_form(health, true);
    snprintf(health, sizeof(health),
             "{ type = \"http\", http = { endpoint = \"http://localhost:%d/health\" } }", port);
    check_port_form(health, true);
    snprintf(health, sizeof(health),
             "{ type = \"http\", http = { endpoint = \"http://user:pw@127.0.0.1:%d?x=1\" } }",
             port);
    check_port_form(health, true);
    close(fd);
    /* Closed again: free. */
    snprintf(health, sizeof(health),
             "{ type = \"tcp\", tcp = { host = \"127.0.0.1\", port = %d } }", port);
    check_port_form(health, false);
    int fd6 = listen_on(true, &port);
    if (fd6 >= 0) { /* no IPv6 here: nothing to test */
        snprintf(health, sizeof(health),
                 "{ type = \"http\", http = { endpoint = \"http://[::1]:%d/\" } }", port);
        check_port_form(health, true);
        close(fd6);
    }
}

static void test_remote_hosts_and_running_services_skip_the_port(void **state)
{
    (void)state;
    registry *r;
    json_t *out =
        check("[services.a]\n"
              "deployment = { mode = \"binary\", binary = { binary_path = \"/bin/true\" } }\n"
              "health_check = { type = \"http\", http = { endpoint = "
              "\"https://example.com/health\" } }\n",
              "a", nothing_runs, NULL, &r);
    assert_null(message_of(out, "port", NULL));
    json_decref(out);
    registry_free(r);
    char *running[] = {"a", NULL};
    out = check("[services.a]\n"
                "deployment = { mode = \"binary\", binary = { binary_path = \"/bin/true\" } }\n"
                "health_check = { type = \"tcp\", tcp = { port = 1 } }\n",
                "a", listed, running, &r);
    assert_null(message_of(out, "port", NULL));
    json_decref(out);
    registry_free(r);
}

/* The daemon's own checks: kubectl in PATH (it is not asked here: only
 * the CLI asks the cluster) and the manifests there. */
static void test_kubernetes_needs_kubectl_and_its_manifests(void **state)
{
    (void)state;
    char *path = getenv("PATH") ? strdup(getenv("PATH")) : NULL;
    setenv("PATH", "/nonexistent", 1);
    registry *r;
    json_t *out = check("[services.k]\n"
                        "deployment = { mode = \"kubernetes\", kubernetes = { deployment_name = "
                        "\"k\", manifests_path = \"/nonexistent/k8s\" } }\n",
                        "k", nothing_runs, NULL, &r);
    bool ok = true;
    assert_string_equal(message_of(out, "kubectl", &ok), "kubectl is not installed (not in PATH)");
    assert_false(ok);
    ok = true;
    assert_string_equal(message_of(out, "manifests", &ok), "Manifests not found: /nonexistent/k8s");
    assert_false(ok);
    assert_false(json_is_true(json_object_get(out, "ok")));
    json_decref(out);
    registry_free(r);
    if (path) setenv("PATH", path, 1);
    else unsetenv("PATH");
    free(path);
}

static void test_conflicts_both_ways_and_dependencies(void **state)
{
    (void)state;
    const char *toml =
        "[services.dnsmasq]\n"
        "deployment = { mode = \"binary\", binary = { binary_path = \"/bin/true\" } }\n"
        "[services.coredns]\nconflicts = [\"dnsmasq\"]\n"
        "deployment = { mode = \"binary\", binary = { binary_path = \"/bin/true\" } }\n"
        "[services.broken]\n"
        "deployment = { mode = \"binary\", binary = { binary_path = \"/no/such\" } }\n"
        "[services.mid]\ndependencies = [\"broken\"]\n"
        "[services.top]\ndependencies = [\"mid\"]\n"
        "deployment = { mode = \"binary\", binary = { binary_path = \"/bin/true\" } }\n";
    char *dnsmasq[] = {"dnsmasq", NULL}, *coredns[] = {"coredns", NULL},
         *broken[] = {"broken", NULL};
    registry *r;
    bool ok = true;
    json_t *out = check(toml, "coredns", listed, dnsmasq, &r);
    assert_string_equal(message_of(out, "conflicts", &ok), "Conflicting services running: dnsmasq");
    assert_false(ok);
    json_decref(out);
    registry_free(r);
    /* dnsmasq names no conflict; coredns names it: still a conflict. */
    out = check(toml, "dnsmasq", listed, coredns, &r);
    assert_string_equal(message_of(out, "conflicts", &ok), "Conflicting services running: coredns");
    json_decref(out);
    registry_free(r);
    /* A dependency of a dependency that cannot start. */
    out = check(toml, "top", nothing_runs, NULL, &r);
    assert_string_equal(message_of(out, "dependencies", &ok),
                        "Dependency broken is not available: Binary not found: /no/such");
    assert_false(ok);
    json_decref(out);
    registry_free(r);
    /* ... unless it runs already. */
    out = check(toml, "top", listed, broken, &r);
    assert_string_equal(message_of(out, "dependencies", &ok), "All dependencies available");
    assert_true(ok);
    json_decref(out);
    registry_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_program_found_in_path_or_not),
        cmocka_unit_test(test_scripts_need_their_interpreter_and_the_action_path_counts),
        cmocka_unit_test(test_programs_are_checked_for_the_actions_user),
        cmocka_unit_test(test_working_dir_and_user),
        cmocka_unit_test(test_port_of_tcp_and_http_checks),
        cmocka_unit_test(test_remote_hosts_and_running_services_skip_the_port),
        cmocka_unit_test(test_kubernetes_needs_kubectl_and_its_manifests),
        cmocka_unit_test(test_conflicts_both_ways_and_dependencies),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
