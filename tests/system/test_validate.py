"""`tend validate`: every registry problem reported once, at its file:line:col,
all in one pass, and nothing accepted half-way."""
import json
from pathlib import Path

import pytest

from daemon import stand_in

REPO = Path(__file__).resolve().parents[2]
SEED = Path(__file__).parent / 'seed'


def errors_of(result):
    return [l for l in result.stderr.splitlines() if ': error: ' in l]


def test_example_registry_is_valid(tend):
    r = tend('validate', '-c', REPO / 'examples' / 'services.toml')
    assert r.returncode == 0, r.stderr
    assert r.stdout == 'OK: 6 services, 8 actions\n'


@pytest.mark.parametrize('name,services,actions', [
    ('orchestrator.toml', 1, 1),
    ('structure.toml', 3, 3),
    ('binary.toml', 1, 1),
    ('docker.toml', 1, 1),
    ('docker-compose.toml', 1, 1),
    ('kubernetes.toml', 1, 1),
    ('remote.toml', 1, 1),
    ('health-http.toml', 1, 0),
    ('health-tcp.toml', 1, 0),
    ('health-command.toml', 1, 0),
    ('health-file.toml', 1, 0),
    ('conflicts.toml', 1, 0),
    ('startup-and-health-config.toml', 1, 0),
    ('platform.toml', 7, 7),
])
def test_every_seed_example_is_accepted(tend, name, services, actions):
    r = tend('validate', '-c', SEED / name)
    assert r.returncode == 0, r.stderr
    assert r.stdout == f'OK: {services} services, {actions} actions\n'


def test_services_validate_checks_the_registry_first(tend, tmp_path):
    bad = tmp_path / 'bad.toml'
    bad.write_text('[services.a]\ndependencies = ["ghost"]\n')
    r = tend('services', 'validate', '-c', bad, '--no-autostart')
    assert r.returncode == 1
    assert f'{bad}:2:' in r.stderr and 'ghost' in r.stderr
    assert r.stdout == ''


def test_services_validate_adds_every_services_pre_flight_checks(tend):
    # A docker CLI whose engine does not answer, and a podman that fails:
    # the engine is asked, so the seed's three docker services cannot start.
    bin_dir = stand_in(tend.home.parent / 'bin', docker='exit 0',
                       podman='echo "Error: the storage is broken" >&2; exit 125')
    env = {'DOCKER_HOST': f'unix://{tend.home}/no-docker.sock'}
    r = tend('services', 'validate', '-c', SEED / 'platform.toml', '--no-autostart', env=env)
    assert r.returncode == 1
    lines = r.stdout.splitlines()
    assert lines[:6] == ['Registry: 7 services, 7 actions, no errors', '', 'Pre-flight checks:',
                         'Total services: 7', 'Valid: 4', 'Invalid: 3']
    assert lines[7:] == ['Invalid services:'] + [
        line for name in ('coredns', 'gitea', 'oci-registry') for line in (
            f'  {name}:', f'     - podman found: {bin_dir}/podman, but `podman info` failed: '
            'Error: the storage is broken')]
    r = tend('services', 'validate', '-c', SEED / 'platform.toml', '--no-autostart', '--json',
             env=env)
    out = json.loads(r.stdout)
    assert out['ok'] is False and out['services'] == 7
    orchestrator = out['results'][0]
    assert orchestrator['name'] == 'orchestrator' and orchestrator['ok'] is True
    assert [c['check'] for c in orchestrator['checks']] == [
        'binary', 'port', 'conflicts', 'dependencies']


def test_default_registry_lives_in_tend_home(tend):
    (tend.home / 'services.toml').write_text((SEED / 'orchestrator.toml').read_text())
    r = tend('validate')
    assert (r.returncode, r.stdout) == (0, 'OK: 1 services, 1 actions\n')


def test_missing_file_is_an_error_naming_it(tend, tmp_path):
    r = tend('validate', '-c', tmp_path / 'nope.toml')
    assert r.returncode == 1
    assert f'{tmp_path}/nope.toml: error: cannot read the registry: No such file or directory' \
        in r.stderr


def test_usage_errors_exit_2(tend):
    assert tend('validate', '--bogus').returncode == 2
    assert tend('validate', 'extra').returncode == 2
    assert tend('validate', '-c').returncode == 2
    assert tend('no-such-command').returncode == 2
    assert tend().returncode == 2


def test_help_documents_exit_codes(tend):
    r = tend('--help')
    assert r.returncode == 0
    assert '0 success, 1 the operation failed, 2 usage error' in r.stdout
    assert '3 daemon unreachable' in r.stdout
    assert tend('validate', '--help').returncode == 0


def check(tend, registry, text, expected):
    """Validates text and asserts exactly the expected (line, col, fragment) errors."""
    path = registry(text)
    r = tend('validate', '-c', path)
    assert r.returncode == 1, r.stdout
    assert r.stdout == ''
    got = errors_of(r)
    assert len(got) == len(expected), r.stderr
    for line, (row, col, fragment) in zip(got, expected):
        assert line.startswith(f'{path}:{row}:{col}: error: '), line
        assert fragment in line, line
    return r


def test_toml_syntax_error_has_its_place(tend, registry):
    check(tend, registry, '[services.a]\ntype = "platform\n',
          [(2, 8, '')])


def test_unknown_key_suggests_the_closest(tend, registry):
    check(tend, registry, '''
[services.web]
deployment = { mode = "binary", binary = { binary_path = "/bin/true" } }
dependecies = ["db"]
[services.web.startup]
autostart = true
''', [(4, 1, "unknown key 'services.web.dependecies'; did you mean 'dependencies'?"),
      (6, 1, "unknown key 'services.web.startup.autostart'; did you mean 'auto_start'?")])


def test_unknown_key_without_near_match_lists_the_valid_ones(tend, registry):
    check(tend, registry, '[services.web.health_check]\ntype = "none"\ncolour = 1\n',
          [(3, 1, "expected one of: type, interval, retries, timeout, http, tcp, command, file")])


def test_unknown_top_level_table(tend, registry):
    check(tend, registry, '[service.web]\n', [(1, 2, "unknown key 'service'; did you mean 'services'?")])


def test_wrong_types_name_what_was_expected(tend, registry):
    check(tend, registry, '''[services.web]
dependencies = "db"
deployment = { mode = "binary", binary = { binary_path = 42, args = ["-v", 1] } }
startup = { auto_start = "yes", start_order = 1.5, start_timeout = -1 }
health_check = { type = "tcp", tcp = { port = 70000 } }
''', [(2, 16, "'services.web.dependencies': expected an array of strings, found string \"db\""),
      (3, 58, "'services.web.deployment.binary.binary_path': expected a string, found integer 42"),
      (3, 76, "'services.web.deployment.binary.args[1]': expected a string, found integer 1"),
      (4, 26, "'services.web.startup.auto_start': expected true or false, found string \"yes\""),
      (4, 47, "'services.web.startup.start_order': expected an integer"),
      (4, 68, "'services.web.startup.start_timeout': expected a number of seconds"),
      (5, 47, "'services.web.health_check.tcp.port': expected an integer from 1 to 65535, "
              "found integer 70000")])


def test_restart_policy_keys(tend, registry):
    ok = registry('[services.a]\nstartup = { restart = "always", restart_delay = 0.5, '
                  'restart_delay_max = 10, restart_window = 30, max_restarts = 64 }\n')
    assert tend('validate', '-c', ok).returncode == 0
    check(tend, registry, '[services.a]\nstartup = { restart_on_failure = false, restart = "always" }\n',
          [(2, 51, "'services.a.startup.restart' = \"always\" contradicts restart_on_failure = false")])
    check(tend, registry, '[services.a]\nstartup = { max_restarts = 65 }\n',
          [(2, 28, "expected an integer from 0 to 64")])


def test_bad_enum_value_suggests(tend, registry):
    check(tend, registry, '[services.web]\ntype = "platfrom"\n',
          [(2, 8, 'one of "platform", "infrastructure", "utility" (did you mean "platform"?)')])


def test_missing_required_keys_point_at_their_table(tend, registry):
    check(tend, registry, '''[services.web.deployment]
mode = "binary"
[services.web.deployment.binary]
args = ["x"]
[services.db.deployment]
mode = "docker"
[services.db.health_check]
type = "http"
''', [(3, 1, "'services.web.deployment.binary' is missing the required key 'binary_path'"),
      (5, 1, "'services.db.deployment' is missing the required key 'docker'"),
      (7, 1, "'services.db.health_check' is missing the required key 'http'")])


def test_action_needs_exactly_one_way_to_run(tend, registry):
    check(tend, registry, '''[actions.a]
kind = "oneshot"
[actions.b]
exec = ["/bin/true"]
script = "true"
''', [(1, 1, "'actions.a' has nothing to run: add 'exec' (a command) or 'script'"),
      (5, 10, "give either 'exec' (a command) or 'script', not both")])


def test_unknown_dependency_suggests_a_service(tend, registry):
    check(tend, registry, '''[services.postgres]
deployment = { mode = "binary", binary = { binary_path = "/bin/true" } }
[services.web]
dependencies = ["postgres", "postgress", "redis"]
''', [(4, 29, "service 'web' depends on 'postgress', which is not a service; did you mean 'postgres'?"),
      (4, 42, "service 'web' depends on 'redis', which is not a service")])


def test_unknown_action_of_a_service(tend, registry):
    check(tend, registry, '''[actions.server]
exec = ["/bin/sleep", "9"]
[services.app]
actions = ["server", "sever", "client"]
''', [(4, 22, "service 'app' runs action 'sever', which is not defined; did you mean 'server'?"),
      (4, 31, "service 'app' runs action 'client', which is not defined")])


def test_dependency_cycle_prints_the_cycle(tend, registry):
    r = check(tend, registry, '''[services.a]
dependencies = ["b"]
[services.b]
dependencies = ["c"]
[services.c]
dependencies = ["a"]
''', [(6, 17, 'dependency cycle: a -> b -> c -> a')])
    assert r.stderr.count(' cycle: ') == 1


def test_self_dependency_is_a_cycle(tend, registry):
    check(tend, registry, '[services.a]\ndependencies = ["a"]\n',
          [(2, 17, 'dependency cycle: a -> a')])


def test_depends_on_and_conflicts_with_the_same_service(tend, registry):
    check(tend, registry, '''[services.db]
[services.web]
dependencies = ["db"]
conflicts = ["other", "db"]
''', [(4, 23, "service 'web' both depends on and conflicts with 'db'")])


def test_duplicate_service_names(tend, registry):
    check(tend, registry, '''[services.db]
name = "database"
[services.db2]
name = "database"
''', [(4, 8, "duplicate service name 'database' (first used at 2:8)")])


def test_the_standalone_jobs_log_folder_is_no_service_name(tend, registry):
    check(tend, registry, '[services._jobs]\n', [
        (1, 11, "service name '_jobs' is reserved: standalone jobs keep their logs in logs/_jobs/")])


def test_duplicate_table_is_a_toml_error(tend, registry):
    check(tend, registry, '[services.db]\n[services.db]\n', [(2, 1, '')])


def test_binary_action_clashing_with_an_explicit_action(tend, registry):
    check(tend, registry, '''[actions.web]
exec = ["/bin/true"]
[services.web]
deployment = { mode = "binary", binary = { binary_path = "/bin/true" } }
''', [(3, 11, "service 'web' runs its deployment.binary as an action named 'web', but "
              "[actions.web] already exists at 1:10")])


def test_action_depends_on_outside_its_service(tend, registry):
    check(tend, registry, '''[actions.build]
exec = ["/bin/true"]
[actions.server]
exec = ["/bin/sleep", "9"]
depends_on = { requires = ["build"], after = ["ghost"] }
[services.app]
actions = ["server"]
''', [(5, 28, "action 'server' depends on 'build', which is not one of service 'app''s actions"),
      (5, 47, "action 'server' depends on 'ghost', which is not an action")])


def test_action_dependency_cycle(tend, registry):
    check(tend, registry, '''[actions.a]
exec = ["/bin/true"]
depends_on = { requires = ["b"] }
[actions.b]
exec = ["/bin/true"]
depends_on = { after = ["a"] }
''', [(6, 25, 'action dependency cycle: a -> b -> a')])


def test_unset_environment_variable_is_an_error(tend, registry):
    r = check(tend, registry, '''[services.web.deployment]
mode = "binary"
binary = { binary_path = "${TEND_TEST_NOT_SET}/bin/web" }
''', [(3, 26, "environment variable 'TEND_TEST_NOT_SET' is not set")])
    # ...and set, it expands.
    path = registry('[services.web.deployment]\nmode = "binary"\n'
                    'binary = { binary_path = "${TEND_TEST_NOT_SET}/bin/web" }\n')
    assert tend('validate', '-c', path, env={'TEND_TEST_NOT_SET': '/opt'}).returncode == 0


def test_bad_names_are_refused(tend, registry):
    check(tend, registry, '[services."../etc"]\n[services.ok]\nname = "-x"\n',
          [(1, 11, '"../etc" is not a valid name'), (3, 8, '"-x" is not a valid name')])


def test_all_errors_are_reported_in_one_pass_in_file_order(tend, registry):
    r = check(tend, registry, '''[services.a]
dependencies = ["missing"]
typo = 1
[services.b]
startup = { max_restarts = -1 }
[actions.x]
kind = "daemon"
exec = ["/bin/true"]
''', [(2, 17, "not a service"),
      (3, 1, "unknown key"),
      (5, 28, "max_restarts"),
      (7, 8, '"process", "oneshot"')])
    assert r.stderr.splitlines()[-1] == '4 errors'
