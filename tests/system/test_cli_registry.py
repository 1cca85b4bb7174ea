"""One registry for every command: with a daemon running, the registry
commands (validate, services validate, services dependencies, apply)
without -c work on the daemon's registry; -c FILE is that file; the
commands that only ask the daemon refuse -c and say why; global options
work before or after the command."""
import json
import subprocess

import pytest

from daemon import TEND_BIN, Daemon

SLEEPER = 'deployment = {{ mode = "binary", binary = {{ binary_path = "/bin/sleep", args = ["{n}"] }} }}'

REGISTRY = f'''[services.db]
{SLEEPER.format(n=1000)}
[services.web]
dependencies = ["db"]
required_for = ["deploy"]
{SLEEPER.format(n=1000)}
[services.docs]
required_for = ["deploy", "publish"]
{SLEEPER.format(n=1000)}
'''


@pytest.fixture
def started_with_c(tmp_path, home):
    """A daemon started with -c FILE, FILE outside TEND_HOME (so the
    default path $TEND_HOME/services.toml does not exist)."""
    config = tmp_path / 'elsewhere' / 'x.toml'
    config.parent.mkdir()
    config.write_text(REGISTRY)
    daemon = Daemon(home, config=config, extra_args=['--http', 'off']).start()
    yield daemon, config
    assert daemon.stop() == 0, daemon.output()


def test_registry_commands_without_c_use_the_daemons_file(started_with_c):
    d, config = started_with_c
    r = d.tend('validate')
    assert (r.returncode, r.stdout, r.stderr) == (0, 'OK: 3 services, 3 actions\n', '')
    r = d.tend('services', 'dependencies', 'web')
    assert r.returncode == 0, r.stderr
    assert 'web\n`-- db\n' in r.stdout
    r = d.tend('services', 'validate')
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith('Registry: 3 services, 3 actions, no errors\n')
    r = d.tend('apply')
    assert r.returncode == 0, r.stderr
    assert r.stdout == 'Plan: 0 added, 0 changed, 0 removed, 3 unchanged\n'
    # The file edited, then applied without -c: the daemon's file again.
    config.write_text(REGISTRY + f'[services.cache]\n{SLEEPER.format(n=1000)}\n')
    r = d.tend('apply')
    assert r.returncode == 0, r.stderr
    assert r.stdout == 'Plan: 1 added, 0 changed, 0 removed, 3 unchanged\n  + cache\n'
    assert d.call('registry.get')['file'] == str(config)


def test_registry_get_tells_the_file_and_what_runs(started_with_c):
    d, config = started_with_c
    got = d.call('registry.get')
    assert got['file'] == str(config)
    assert list(got['registry']['services']) == ['db', 'web', 'docs']
    with pytest.raises(Exception, match='-32602'):
        d.call('registry.get', {'file': 'x'})
    with pytest.raises(Exception, match="'file' must be an absolute path"):
        d.call('registry.apply', {'registry': got['registry'], 'file': 'rel.toml'})
    assert d.call('registry.get')['file'] == str(config)  # the bad call changed nothing


def test_apply_c_file_makes_it_the_daemons_file(d, home, tmp_path):
    other = tmp_path / 'other.toml'
    other.write_text(f'[services.a]\n{SLEEPER.format(n=1000)}\n')
    r = d.tend('apply', '-c', other)
    assert r.returncode == 0, r.stderr
    assert d.call('registry.get')['file'] == str(other)
    other.write_text('[services.a]\ndependencies = ["ghost"]\n')
    r = d.tend('validate')
    assert r.returncode == 1
    assert f'{other}:2:' in r.stderr and 'ghost' in r.stderr


def test_c_file_means_that_file_even_with_a_daemon(started_with_c, tmp_path):
    d, _ = started_with_c
    one = tmp_path / 'one.toml'
    one.write_text(f'[services.solo]\n{SLEEPER.format(n=1000)}\n')
    assert d.tend('validate', '-c', one).stdout == 'OK: 1 services, 1 actions\n'
    r = d.tend('services', 'dependencies', '-c', one)
    assert 'solo' in r.stdout and 'web' not in r.stdout


def test_no_daemon_and_no_default_file_says_where_and_what_to_do(tend):
    for command in (['validate'], ['services', 'dependencies'], ['services', 'validate'],
                    ['validate', '--json']):
        r = tend(*command)
        assert r.returncode == 1, command
        assert f'cannot read the registry {tend.home}/services.toml: No such file or directory' \
            in r.stderr, command
        assert "hint: no daemon runs, and this is the default path; pass -c FILE, or start a " \
               "daemon with 'tend daemon -c FILE'" in r.stderr, command
        words = ' '.join(command[:2]) if command[0] == 'services' else 'validate'
        assert r.stderr.startswith(f'tend {words}: '), command
    # Asking whether a daemon runs started none.
    assert not (tend.home / 'tend.sock').exists()


def test_a_daemon_whose_registry_comes_from_no_file_is_asked_for_it(d, home):
    d.call('quick_service.set', {'name': 'quick', 'exec': ['/bin/sleep', '1000']})
    assert d.call('registry.get')['file'] is None
    r = d.tend('validate')
    assert (r.returncode, r.stdout) == (0, 'OK: 1 services, 1 actions\n'), r.stderr
    r = d.tend('services', 'dependencies')
    assert r.returncode == 0 and '  1. quick (order: 100)' in r.stdout, r.stderr
    r = d.tend('apply')
    assert r.returncode == 1
    assert "hint: the running daemon's registry comes from no file; pass -c FILE" in r.stderr
    assert d.call('registry.get')['registry']['services'].keys() == {'quick'}


DAEMON_ONLY = [
    ['services', 'list'], ['services', 'status', 'web'], ['services', 'start', 'web'],
    ['services', 'stop', 'web'], ['services', 'restart', 'web'], ['services', 'logs', 'web'],
    ['services', 'health', 'web'], ['services', 'check', 'deploy'], ['services', 'readiness'],
    ['services', 'monitor', 'web', '--count', '1'], ['platform', 'status'],
    ['platform', 'start', 'web'], ['why', 'web'], ['jobs'], ['runs'], ['events'],
    ['rpc', 'service.list'], ['dashboard', '--no-open'], ['up', 'web'], ['ps'],
]


@pytest.mark.parametrize('command', DAEMON_ONLY, ids=' '.join)
def test_daemon_only_commands_refuse_c_with_the_reason(started_with_c, tmp_path, command):
    d, config = started_with_c
    other = tmp_path / 'other.toml'
    other.write_text(REGISTRY)
    r = d.tend(*command, '-c', other)
    assert r.returncode == 2, r.stdout + r.stderr
    assert r.stdout == ''
    words = ' '.join(command[:2]) if command[0] in ('services', 'platform') else command[0]
    assert r.stderr == (f'tend {words}: -c names a registry file; this command asks the '
                        f'running daemon (its registry: {config})\n'
                        "hint: 'tend apply -c FILE' loads a file into the daemon\n")
    assert d.state('web') == 'inactive'  # nothing happened


def test_refusing_c_without_a_daemon_starts_none(tend, tmp_path):
    r = tend('services', 'list', '-c', tmp_path / 'x.toml')
    assert r.returncode == 2
    assert 'this command asks the running daemon (none runs now)' in r.stderr
    assert not (tend.home / 'tend.sock').exists()


def test_global_options_before_or_after_the_command(started_with_c, tmp_path):
    d, config = started_with_c
    for args in (['--no-autostart', 'services', 'list'], ['services', 'list', '--no-autostart'],
                 ['--json', 'services', 'list'], ['services', '--json', 'list'],
                 ['--json', '--no-autostart', 'ps'], ['--no-autostart', 'rpc', 'service.list'],
                 ['rpc', 'service.list', '--no-autostart'], ['rpc', '--json', 'service.list']):
        r = d.tend(*args)
        assert r.returncode == 0, (args, r.stderr)
        if '--json' in args or 'rpc' in args:
            assert [s['name'] for s in json.loads(r.stdout)] == ['db', 'web', 'docs'], args
        else:
            assert r.stdout.splitlines()[0].split()[0] == 'name', args
    assert json.loads(d.tend('--json', 'why', 'web').stdout)['state'] == 'inactive'
    r = d.tend('-c', config, 'validate')
    assert (r.returncode, r.stdout) == (0, 'OK: 3 services, 3 actions\n')
    r = d.tend('--config', config, 'services', 'dependencies', 'web')
    assert r.returncode == 0 and 'web\n`-- db\n' in r.stdout
    r = d.tend('--help', 'services')
    assert r.returncode == 0 and r.stdout.startswith('usage: tend services SUBCOMMAND')
    assert d.tend('--json').returncode == 2


def test_no_autostart_before_the_command_starts_no_daemon(home):
    client = Daemon(home)
    for args in (['--no-autostart', 'services', 'list'], ['--no-autostart', 'why', 'x'],
                 ['--no-autostart', 'rpc', 'service.list'], ['platform', 'status', '--no-autostart']):
        r = client.tend(*args)
        assert r.returncode == 3, (args, r.stderr)
        assert 'no daemon answers' in r.stderr
    assert not (home / 'tend.sock').exists()


def test_check_of_an_operation_no_service_names_is_an_error(started_with_c):
    d, _ = started_with_c
    r = d.tend('services', 'check', 'nosuchop')
    assert (r.returncode, r.stdout) == (1, '')
    assert r.stderr == ("tend services check: no service's required_for names the operation "
                        "'nosuchop'; the operations are: deploy, publish\n")
    r = d.tend('services', 'check', 'deplyo')
    assert r.returncode == 1
    assert r.stderr.endswith("'deplyo'; did you mean 'deploy'?\n")
    r = d.tend('services', 'check', 'deploy')
    assert r.returncode == 1
    assert 'All running: false\n' in r.stdout and 'Not running: web, docs\n' in r.stdout


def test_check_when_no_service_names_any_operation(d):
    d.call('quick_service.set', {'name': 'quick', 'exec': ['/bin/sleep', '1000']})
    r = d.tend('services', 'check', 'deploy')
    assert r.returncode == 1
    assert r.stderr == ("tend services check: no service's required_for names the operation "
                        "'deploy' (no service names any)\n")
