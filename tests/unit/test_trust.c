/* Unit tests: trust.c's StrictModes-style checks on real directories,
 * symlinks and sockets in a private temporary folder. */
/* cmocka needs these before it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "base/trust.h"

typedef struct {
    char root[64];
    char path[256];
    char err[1024];
} scratch;

static int setup(void **state)
{
    scratch *s = calloc(1, sizeof(*s));
    snprintf(s->root, sizeof(s->root), "/tmp/tend-trust-XXXXXX");
    if (!mkdtemp(s->root)) return -1;
    *state = s;
    return 0;
}

static int teardown(void **state)
{
    scratch *s = *state;
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", s->root);
    if (system(cmd) != 0) return -1;
    free(s);
    return 0;
}

static const char *at(scratch *s, const char *name)
{
    snprintf(s->path, sizeof(s->path), "%s/%s", s->root, name);
    return s->path;
}

static void test_a_private_folder_passes(void **state)
{
    scratch *s = *state;
    const char *dir = at(s, "home");
    assert_int_equal(mkdir(dir, 0700), 0);
    assert_int_equal(trust_check_dir(dir, TRUST_OWN, s->err, sizeof(s->err)), 0);
    assert_int_equal(trust_check_dir(dir, TRUST_PRIVATE, s->err, sizeof(s->err)), 0);
}

static void test_a_writable_folder_is_refused_with_the_fix(void **state)
{
    scratch *s = *state;
    const char *dir = at(s, "home");
    assert_int_equal(mkdir(dir, 0700), 0);
    assert_int_equal(chmod(dir, 0770), 0);
    assert_int_equal(trust_check_dir(dir, TRUST_OWN, s->err, sizeof(s->err)), -EPERM);
    assert_non_null(strstr(s->err, "is writable by group or others (mode 0770)"));
    assert_non_null(strstr(s->err, "chmod 700 "));
    /* Readable by others only: fine for TRUST_OWN, not for /tmp/tend-UID. */
    assert_int_equal(chmod(dir, 0755), 0);
    assert_int_equal(trust_check_dir(dir, TRUST_OWN, s->err, sizeof(s->err)), 0);
    assert_int_equal(trust_check_dir(dir, TRUST_PRIVATE, s->err, sizeof(s->err)), -EPERM);
    assert_non_null(strstr(s->err, "has mode 0755, not 0700"));
}

static void test_a_symlink_is_refused(void **state)
{
    scratch *s = *state;
    char real[256];
    snprintf(real, sizeof(real), "%s", at(s, "real"));
    assert_int_equal(mkdir(real, 0700), 0);
    const char *link = at(s, "home");
    assert_int_equal(symlink(real, link), 0);
    assert_int_equal(trust_check_dir(link, TRUST_OWN, s->err, sizeof(s->err)), -EPERM);
    assert_non_null(strstr(s->err, "is a symlink"));
    /* And trust_make_dir does not follow it either. */
    assert_int_equal(trust_make_dir(link, TRUST_OWN, s->err, sizeof(s->err)), -EPERM);
}

static void test_a_parent_others_may_write_is_refused_unless_sticky(void **state)
{
    scratch *s = *state;
    char parent[256];
    snprintf(parent, sizeof(parent), "%s", at(s, "shared"));
    assert_int_equal(mkdir(parent, 0777), 0);
    assert_int_equal(chmod(parent, 0777), 0);
    char dir[300];
    snprintf(dir, sizeof(dir), "%s/home", parent);
    assert_int_equal(mkdir(dir, 0700), 0);
    assert_int_equal(trust_check_dir(dir, TRUST_OWN, s->err, sizeof(s->err)), -EPERM);
    assert_non_null(strstr(s->err, "(a parent of "));
    assert_non_null(strstr(s->err, "mode 0777, not sticky"));
    assert_int_equal(chmod(parent, 01777), 0);
    assert_int_equal(trust_check_dir(dir, TRUST_OWN, s->err, sizeof(s->err)), 0);
}

static void test_make_dir_creates_0700_and_closes_a_readable_one(void **state)
{
    scratch *s = *state;
    char dir[256];
    snprintf(dir, sizeof(dir), "%s/a/b/c", s->root);
    assert_int_equal(trust_make_dir(dir, TRUST_OWN, s->err, sizeof(s->err)), 0);
    struct stat st;
    assert_int_equal(stat(dir, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0700);
    assert_int_equal(chmod(dir, 0755), 0);
    assert_int_equal(trust_make_dir(dir, TRUST_OWN, s->err, sizeof(s->err)), 0);
    assert_int_equal(stat(dir, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0700);
}

static void test_someone_elses_folder_is_refused(void **state)
{
    scratch *s = *state;
    if (geteuid() != 0) skip();
    const char *dir = at(s, "theirs");
    assert_int_equal(mkdir(dir, 0700), 0);
    assert_int_equal(chown(dir, 65534, 65534), 0);
    assert_int_equal(trust_check_dir(dir, TRUST_PRIVATE, s->err, sizeof(s->err)), -EPERM);
    assert_non_null(strstr(s->err, "belongs to uid 65534 (not you): someone may be impersonating "
                                   "tend; remove it (or set XDG_RUNTIME_DIR or TEND_HOME)"));
    assert_int_equal(trust_check_dir(dir, TRUST_OWN, s->err, sizeof(s->err)), -EPERM);
    assert_non_null(strstr(s->err, "belongs to uid 65534 (not you or root)"));
}

static void test_the_socket_must_be_a_socket_of_ours(void **state)
{
    scratch *s = *state;
    const char *path = at(s, "tend.sock");
    assert_int_equal(trust_check_socket(path, s->err, sizeof(s->err)), -ENOENT);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fclose(f);
    assert_int_equal(trust_check_socket(path, s->err, sizeof(s->err)), -EPERM);
    assert_non_null(strstr(s->err, "is not a socket"));
    unlink(path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    assert_true(strlen(path) < sizeof(addr.sun_path));
    memcpy(addr.sun_path, path, strlen(path) + 1);
    assert_int_equal(bind(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
    assert_int_equal(trust_check_socket(path, s->err, sizeof(s->err)), 0);
    if (geteuid() == 0) {
        assert_int_equal(lchown(path, 65534, 65534), 0);
        assert_int_equal(trust_check_socket(path, s->err, sizeof(s->err)), -EPERM);
        assert_non_null(strstr(s->err, "belongs to uid 65534 (not you)"));
    }
    close(fd);
}

static void test_tighten_makes_0644_files_0600_and_leaves_symlinks(void **state)
{
    scratch *s = *state;
    char file[256];
    snprintf(file, sizeof(file), "%s", at(s, "tend.db"));
    FILE *f = fopen(file, "w");
    assert_non_null(f);
    fclose(f);
    assert_int_equal(chmod(file, 0644), 0);
    assert_true(trust_tighten_file(file));
    struct stat st;
    assert_int_equal(stat(file, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0600);
    assert_int_equal(chmod(file, 0644), 0);
    const char *link = at(s, "link");
    assert_int_equal(symlink(file, link), 0);
    assert_false(trust_tighten_file(link));
    assert_int_equal(stat(file, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0644);
    assert_false(trust_tighten_file(at(s, "missing")));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_a_private_folder_passes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_writable_folder_is_refused_with_the_fix, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_a_symlink_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_parent_others_may_write_is_refused_unless_sticky,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_make_dir_creates_0700_and_closes_a_readable_one, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_someone_elses_folder_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_the_socket_must_be_a_socket_of_ours, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tighten_makes_0644_files_0600_and_leaves_symlinks,
                                        setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
