"""The CLI's words as a newcomer reads them: a reason says what happened,
`why` says when the restart policy gave up, an error comes first and
alone, a summary says OK only when everything is, errors start with the
command words the user typed, and every time is local time in one
format."""
import json
import re
import subprocess
from datetime import datetime, timedelta, timezone

import pytest

from daemon import TEND_BIN, Daemon

REGISTRY = '''[actions.once-a]
exec = ["/bin/true"]
kind = "oneshot"
[services.once]
actions = ["once-a"]
[services.crasher]
deployment = { mode = "binary", binary = { binary_path = "/bin/false" } }
startup = { max_restarts = 2, restart_delay = 0.1 }
[services.talker]
deployment = { mode = "binary", binary = { binary_path = "/bin/sh", args = ["-c", "echo hello; exec sleep 1000"] } }
'''


@pytest.fixture
def d(tmp_path, home):
    config = tmp_path / 'words.toml'
    config.write_text(REGISTRY)
    daemon = Daemon(home, config=config, extra_args=['--http', 'off']).start()
    yield daemon
    assert daemon.stop() == 0, daemon.output()


def test_a_oneshot_that_succeeded_says_it_completed(d):
    r = d.tend('services', 'start', 'once')
    assert r.returncode == 0, r.stdout + r.stderr
    d.wait_state('once', 'success')
    status = d.tend('services', 'status', 'once').stdout
    assert 'Status: success\n' in status
    assert 'Reason: completed: once-a exited 0\n' in status
    assert re.fullmatch(r'success: completed: once-a exited 0 \(since \d\d:\d\d:\d\d\)\n',
                        d.tend('why', 'once').stdout)
    # The run's own record says how it ended, not what the service said before.
    run = d.call('run.list', {'service': 'once'})[0]
    assert (run['status'], run['reason']) == ('ok', 'completed: once-a exited 0')
    assert 'completed: once-a exited 0' in d.tend('runs', '--service', 'once').stdout


def test_why_says_the_restart_policy_gave_up(d):
    d.call('service.start', {'name': 'crasher'})
    d.wait_state('crasher', 'failed')
    why = d.tend('why', 'crasher').stdout
    assert 'restarting in' not in why
    assert re.fullmatch(r'failed: crash loop: 2 restarts in 60 s, last exit code 1 '
                        r'\(since \d\d:\d\d:\d\d\); gave up restarting '
                        r'\(the last restart was at \d\d:\d\d:\d\d\)\n', why), why


def test_monitor_of_an_unknown_service_prints_the_error_alone(d):
    r = d.tend('services', 'monitor', 'nosuch', '--count', '1')
    assert (r.returncode, r.stdout) == (1, '')
    assert r.stderr == "tend services monitor: no service named 'nosuch'\n"


def test_services_validate_says_ok_only_when_every_check_passed(d, tmp_path):
    bad = tmp_path / 'bad.toml'
    bad.write_text('[services.lost]\n'
                   'deployment = { mode = "binary", binary = { binary_path = "/nonexistent/x" } }\n')
    r = d.tend('services', 'validate', '-c', bad)
    assert r.returncode == 1
    assert 'OK' not in r.stdout
    assert r.stdout.splitlines()[:6] == ['Registry: 1 services, 1 actions, no errors', '',
                                         'Pre-flight checks:', 'Total services: 1', 'Valid: 0',
                                         'Invalid: 1']


@pytest.mark.parametrize('command', [
    ['services', 'status'], ['services', 'start'], ['services', 'logs'], ['services', 'health'],
    ['services', 'logs', '--follow'], ['why'], ['logs'], ['platform', 'logs'],
], ids=' '.join)
def test_errors_start_with_the_command_words_typed(d, command):
    r = d.tend(*command[:2], 'nosuch', *command[2:]) if command[0] in ('services', 'platform') \
        else d.tend(command[0], 'nosuch')
    words = ' '.join(command[:2]) if command[0] in ('services', 'platform') else command[0]
    assert r.returncode == 1
    assert r.stderr == f"tend {words}: no service named 'nosuch'\n"


def test_rpc_errors_name_the_command_too(d):
    r = d.tend('rpc', 'service.status', '{"name": "nosuch"}')
    assert (r.returncode, r.stderr) == (1, "tend rpc: no service named 'nosuch'\n")


def test_events_logs_and_monitor_print_local_time_in_one_format(d):
    d.call('service.start', {'name': 'talker'})
    d.wait_for(lambda: d.call('logs.tail', {'name': 'talker'})['lines'], what='a log line')
    env = dict(d.env(), TZ='XYZ-9')  # nine hours east of UTC, whatever tzdata holds
    run = lambda *args: subprocess.run([TEND_BIN, *args], capture_output=True, text=True,
                                       env=env, timeout=30)
    at = d.call('logs.tail', {'name': 'talker'})['lines'][0]['at']
    utc = datetime.strptime(at, '%Y-%m-%dT%H:%M:%S.%fZ')
    local = (utc + timedelta(hours=9)).strftime('%Y-%m-%d %H:%M:%S')
    assert run('services', 'logs', 'talker').stdout == f'{local} out hello\n'
    event = d.call('events.list', {'tail': 1})[0]
    when = datetime.fromtimestamp(int(event['at']), timezone(timedelta(hours=9)))
    last = run('events', '--service', 'talker').stdout.splitlines()[-1]
    assert last.startswith(when.strftime('%Y-%m-%d %H:%M:%S') + ' '), last
    line = run('services', 'monitor', 'talker', '--count', '1').stdout.splitlines()[-1]
    assert re.fullmatch(r'\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \S+ talker: .*', line), line


@pytest.mark.parametrize('args,message', [
    (['services', 'logs', 'talker', '--lines', '0'],
     'tend services logs: --lines needs a number from 1 to 100000\n'),
    (['logs', 'talker', '--lines', '0'], 'tend logs: --lines needs a number from 1 to 100000\n'),
    (['platform', 'logs', 'talker', '--lines', '5x'],
     'tend platform logs: --lines needs a number from 1 to 100000\n'),
    (['services', 'monitor', 'talker', '--count', '0'],
     'tend services monitor: --count needs a number of at least 1\n'),
    (['jobs', '--phase', 'bogus'],
     "tend jobs: --phase must be one of pending, starting, running, stopping, succeeded, "
     "failed, cancelled, lost (not 'bogus')\n"),
], ids=lambda v: ' '.join(v) if isinstance(v, list) else '')
def test_bad_options_are_named_as_typed(d, args, message):
    r = d.tend(*args)
    assert (r.returncode, r.stdout, r.stderr) == (2, '', message)
