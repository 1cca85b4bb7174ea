"""The CLI against a real daemon: apply and its plan, services commands in
human and --json form, tend rpc, exit codes, and the autostarted daemon."""
import json
import signal
import os

import pytest

from daemon import Daemon

SLEEPER = 'deployment = {{ mode = "binary", binary = {{ binary_path = "/bin/sleep", args = ["{n}"] }} }}'


def write(home, text):
    path = home / 'services.toml'
    path.write_text(text)
    return path


def test_apply_prints_the_plan_and_leaves_unchanged_services_running(d, home):
    write(home, f'[services.a]\n{SLEEPER.format(n=1000)}\n[services.b]\n{SLEEPER.format(n=1000)}\n'
                f'[services.old]\n{SLEEPER.format(n=1000)}\n')
    r = d.tend('apply')
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[0] == 'Plan: 3 added, 0 changed, 0 removed, 0 unchanged'
    for name in ('a', 'b', 'old'):
        d.call('service.start', {'name': name})
        d.wait_state(name, 'running')
    pid_a = d.call('service.status', {'name': 'a'})['pid']
    pid_b = d.call('service.status', {'name': 'b'})['pid']
    write(home, f'[services.a]\n{SLEEPER.format(n=1000)}\n[services.b]\n{SLEEPER.format(n=2000)}\n'
                f'[services.new]\n{SLEEPER.format(n=1000)}\n')
    r = d.tend('apply', '--json')
    assert r.returncode == 0, r.stderr
    plan = json.loads(r.stdout)
    assert plan == {'added': ['new'], 'changed': ['b'], 'removed': ['old'], 'unchanged': ['a']}
    assert d.call('service.status', {'name': 'a'})['pid'] == pid_a
    d.wait_for(lambda: d.call('service.status', {'name': 'b'})['pid'] not in (None, pid_b),
               what='b restarted')
    names = [s['name'] for s in d.call('service.list')]
    assert names == ['a', 'b', 'new']


def test_invalid_registry_is_refused_and_changes_nothing(d, home):
    write(home, f'[services.a]\n{SLEEPER.format(n=1000)}\n')
    assert d.tend('apply').returncode == 0
    bad = write(home, '[services.a]\ndependencies = ["ghost"]\n')
    r = d.tend('apply', '-c', bad)
    assert r.returncode == 1
    assert "depends on 'ghost', which is not a service" in r.stderr
    assert d.call('service.get', {'name': 'a'})['dependencies'] == []


def test_services_commands_human_and_json(d, home):
    write(home, f'''[services.db]
type = "infrastructure"
category = "storage"
{SLEEPER.format(n=1000)}
[services.web]
type = "platform"
category = "api"
dependencies = ["db"]
deployment = {{ mode = "binary", binary = {{ binary_path = "/bin/sh", args = ["-c", "echo hello from web; exec sleep 1000"] }} }}
''')
    assert d.tend('apply').returncode == 0
    r = d.tend('services', 'start', 'web')
    assert r.returncode == 0, r.stderr
    d.wait_state('web', 'running')
    r = d.tend('services', 'list')
    assert r.returncode == 0
    lines = r.stdout.splitlines()
    assert lines[0].split() == ['name', 'type', 'category', 'status', 'deployment_mode', 'auto_start']
    assert lines[1].split() == ['db', 'infrastructure', 'storage', 'running', 'binary', 'false']
    assert json.loads(d.tend('services', 'list', '--category', 'api', '--json').stdout)[0]['name'] == 'web'
    status = d.tend('services', 'status', 'web').stdout
    assert 'Service: web\n' in status and 'Status: running\n' in status and 'Wanted: start\n' in status
    assert 'Dependencies: [db]\n' in status
    assert json.loads(d.tend('services', 'status', 'web', '--json').stdout)['state'] == 'running'
    d.wait_for(lambda: 'hello from web' in d.tend('services', 'logs', 'web').stdout, what='log line')
    logs = json.loads(d.tend('services', 'logs', 'web', '--json').stdout)
    assert logs['lines'][-1]['stream'] == 'out' and logs['lines'][-1]['text'] == 'hello from web'
    r = d.tend('services', 'stop', 'db')
    assert r.returncode == 1
    assert 'Cannot stop db: Dependent services running: web' in r.stderr
    assert d.tend('services', 'stop', 'db', '--force').returncode == 0
    assert d.tend('services', 'stop', 'nope').returncode == 1
    assert d.tend('services', 'status').returncode == 2
    assert d.tend('services', 'logs', 'web', '--lines', 'x').returncode == 2


def test_rpc_command(d):
    r = d.tend('rpc', 'service.list')
    assert r.returncode == 0 and json.loads(r.stdout) == []
    r = d.tend('rpc', 'service.status', '{"name": "nope"}')
    assert r.returncode == 1 and "no service named 'nope'" in r.stderr
    r = d.tend('rpc', 'no.such.method')
    assert r.returncode == 1 and 'Method not found' in r.stderr
    assert d.tend('rpc', 'service.list', '{not json').returncode == 2
    assert d.tend('rpc').returncode == 2


def test_unreachable_daemon_exits_3(home):
    r = Daemon(home).tend('services', 'list', '--no-autostart')
    assert r.returncode == 3 and 'no daemon answers' in r.stderr
    r = Daemon(home).tend('rpc', '--no-autostart', 'service.list')
    assert r.returncode == 3


def test_clients_start_a_daemon_when_none_answers(home):
    client = Daemon(home)
    r = client.tend('services', 'list')
    assert r.returncode == 0, r.stderr
    # The daemon is running now: a second call finds it without starting another.
    assert client.tend('services', 'list', '--no-autostart').returncode == 0
    client.call('service.list')
    # Stop it through its pid (it is nobody's child here).
    out = (home / 'daemon.log').read_text()
    assert 'listening on' in out
    procs = [p for p in os.listdir('/proc') if p.isdigit()]
    for p in procs:
        try:
            cmd = open(f'/proc/{p}/cmdline', 'rb').read().split(b'\0')
            env = open(f'/proc/{p}/environ', 'rb').read()
        except OSError:
            continue
        if len(cmd) > 1 and cmd[1] == b'daemon' and f'TEND_HOME={home}'.encode() in env:
            os.kill(int(p), signal.SIGTERM)
    client.wait_for(lambda: not (home / 'tend.sock').exists(), what='daemon gone')
