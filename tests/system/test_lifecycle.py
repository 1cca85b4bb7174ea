"""Lifecycle semantics users rely on (issue 11), through a real daemon and
the real CLI: stops in reverse dependency order *in time*, stop and restart
that wait, timeouts that stop the way a stop does, restarts that run the
pre-flight checks, targets, conflicts with host processes, what a
successful start is, and the backoff. Every process a test starts carries
a marker of its own (the `marks` fixture) and is found by it alone."""
import json
import shutil
import sqlite3
import subprocess

import pytest

from daemon import Daemon, alive, with_marker


def drainer(name, mark, deps=(), extra=''):
    """A service whose process takes 0.5 s to end after SIGTERM (it drains)."""
    script = f"trap 'sleep 0.5; exit 0' TERM; sleep {mark} & wait"
    return f'''
[actions.{name}]
exec = ["/bin/sh", "-c", "{script}"]
stop_timeout = 10
{extra}
[services.{name}]
actions = ["{name}"]
dependencies = {json.dumps(list(deps))}
'''


CHAIN = ['s1', 's2', 's3', 's4', 's5']  # s5 depends on s4 ... on s1


def chain_registry(mark):
    return ''.join(drainer(n, mark, [CHAIN[i - 1]] if i else []) for i, n in enumerate(CHAIN))


def stop_times(events):
    """{service: (when its job was signalled, when it ended)} from job.phase events."""
    out = {}
    for e in events:
        if e['kind'] != 'job.phase' or not e['service']:
            continue
        data = e['data'] if isinstance(e['data'], dict) else json.loads(e['data'])
        signalled, ended = out.get(e['service'], (None, None))
        if data['to'] == 'stopping':
            signalled = e['at']
        elif data['to'] in ('cancelled', 'failed', 'succeeded'):
            ended = e['at']
        out[e['service']] = (signalled, ended)
    return out


def assert_chain_stopped_in_order(times):
    for i in range(len(CHAIN) - 1):
        dep, dependent = CHAIN[i], CHAIN[i + 1]
        signalled = times[dep][0]
        ended = times[dependent][1]
        assert signalled is not None and ended is not None, times
        # The dependency hears of its stop only once its dependent exited.
        assert signalled >= ended, (dep, dependent, times)
    # And each took its 0.5 s to drain: the waits were real.
    for name in CHAIN:
        assert times[name][1] - times[name][0] >= 0.45, (name, times)


def test_platform_stop_waits_for_each_dependent_before_its_dependency(daemon, marks):
    mark = marks()
    d = daemon(chain_registry(mark))
    r = d.tend('platform', 'start', 's5')
    assert r.returncode == 0, r.stdout + r.stderr
    assert len(with_marker(mark)) == 5
    after = d.call('events.list', {'tail': 1})[-1]['id']
    r = d.tend('platform', 'stop', timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    lines = r.stdout.splitlines()
    assert lines[-1] == '5 stopped'
    assert [l for l in lines if l.startswith('Stopped ')] == [f'Stopped {n}' for n in reversed(CHAIN)]
    assert 's4: stopping after its dependent s5 has stopped' in lines
    assert_chain_stopped_in_order(stop_times(d.call('events.list', {'after_id': after, 'limit': 10000})))
    assert with_marker(mark) == []


def test_daemon_sigterm_stops_in_reverse_dependency_order_too(home, marks):
    mark = marks()
    cfg = home / 'services.toml'
    cfg.write_text(chain_registry(mark).replace('[services.s5]', '[services.s5]\nstartup = { auto_start = true }'))
    d = Daemon(home, cfg).start()
    d.wait_for(lambda: len(with_marker(mark)) == 5, what='the chain up')
    d.wait_state('s5', 'running')
    assert d.stop(timeout=60) == 0, d.output()
    assert with_marker(mark) == []
    db = sqlite3.connect(home / 'tend.db')
    rows = db.execute("SELECT id, at, kind, service, data FROM events ORDER BY id").fetchall()
    db.close()
    events = [{'id': i, 'at': at, 'kind': k, 'service': s, 'data': json.loads(data) if data else {}}
              for i, at, k, s, data in rows]
    assert_chain_stopped_in_order(stop_times(events))


def test_platform_stop_names_refuses_while_other_dependents_run_and_force_kills(daemon, marks):
    mark = marks()
    deaf = f"trap '' TERM; sleep {mark} & wait; wait"
    d = daemon(drainer('db', mark) + f'''
[actions.app]
exec = ["/bin/sh", "-c", "{deaf}"]
stop_timeout = 30
[services.app]
actions = ["app"]
dependencies = ["db"]
''')
    assert d.tend('platform', 'start', 'app').returncode == 0
    r = d.tend('platform', 'stop', 'db')
    assert r.returncode == 1
    assert 'Cannot stop db: Dependent services running: app' in r.stderr
    assert d.state('db') == 'running' and d.state('app') == 'running'  # nothing changed
    # --force is kill -9 (the guide): app ignores SIGTERM and goes at once.
    r = d.tend('platform', 'stop', 'db', 'app', '--force', timeout=20)
    assert r.returncode == 0, r.stdout + r.stderr
    assert d.state('db') == 'inactive' and d.state('app') == 'inactive'
    jobs = d.call('job.list', {'service_id': 'app'})
    assert jobs[0]['term_signal'] in ('SIGKILL', 9), jobs[0]
    assert with_marker(mark) == []


def test_services_stop_returns_once_the_process_is_gone(daemon, marks):
    mark = marks()
    d = daemon(drainer('slow', mark))
    assert d.tend('services', 'start', 'slow').returncode == 0
    pid = d.call('service.status', {'name': 'slow'})['pid']
    r = d.tend('services', 'stop', 'slow')
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == ['Stopped slow', '1 stopped']
    assert not alive(pid) and with_marker(mark) == []
    assert d.state('slow') == 'inactive'
    # --no-wait: the old behaviour, back while it still drains.
    assert d.tend('services', 'start', 'slow').returncode == 0
    pid = d.call('service.status', {'name': 'slow'})['pid']
    r = d.tend('services', 'stop', 'slow', '--no-wait')
    assert r.returncode == 0 and r.stdout == 'slow: stopping\n'
    assert alive(pid)
    d.wait_state('slow', 'inactive')


def test_services_restart_waits_until_healthy_again(daemon, marks, home):
    mark = marks()
    flag = home / 'up'
    d = daemon(f'''
[actions.web]
exec = ["/bin/sh", "-c", "trap 'rm -f {flag}; exit 0' TERM; sleep 0.3; touch {flag}; sleep {mark} & wait"]
[services.web]
actions = ["web"]
health_check = {{ type = "file", interval = 0.1, file = {{ path = "{flag}", must_exist = true }} }}
''')
    assert d.tend('services', 'start', 'web').returncode == 0
    r = d.tend('services', 'restart', 'web')
    assert r.returncode == 0, r.stdout + r.stderr
    assert flag.exists()  # the new process got as far as being healthy
    r = d.tend('services', 'health', 'web')
    assert r.returncode == 0 and 'Status: healthy' in r.stdout, r.stdout


def test_action_timeout_stops_with_the_stop_signal_first(daemon, home, marks):
    mark = marks()
    got = home / 'got-term'
    d = daemon(f'''
[actions.slow]
kind = "oneshot"
exec = ["/bin/sh", "-c", "trap 'echo TERM > {got}; exit 0' TERM; sleep {mark} & wait"]
timeout = 0.5
stop_timeout = 5
''')
    job = d.call('job.create', {'action': 'slow'})['id']
    d.wait_for(lambda: d.call('job.get', {'id': job})['phase'] == 'failed', what='timed out')
    row = d.call('job.get', {'id': job})
    assert row['error'] == 'timed out after 0.5 s'
    assert got.read_text() == 'TERM\n'  # asked to stop, not SIGKILLed at once
    assert with_marker(mark) == []


CONFLICTING = '''
[services.a]
conflicts = ["b"]
deployment = {{ mode = "binary", binary = {{ binary_path = "/bin/sleep", args = ["{mark}"] }} }}
[services.b]
deployment = {{ mode = "binary", binary = {{ binary_path = "/bin/sleep", args = ["{mark}"] }} }}
'''


def test_every_restart_path_runs_the_pre_flight_checks(daemon, marks):
    mark = marks()
    d = daemon(CONFLICTING.format(mark=mark))
    assert d.tend('services', 'start', 'a').returncode == 0
    r = d.tend('services', 'restart', 'b')
    assert r.returncode == 1
    assert 'Pre-flight check failed: conflicts' in r.stderr and 'Use --force to restart anyway' in r.stderr
    assert d.tend('platform', 'restart', 'b').returncode == 1
    with pytest.raises(Exception) as e:
        d.call('service.restart', {'name': 'b'})
    assert 'Pre-flight check failed: conflicts' in str(e.value)
    assert d.state('b') == 'inactive' and len(with_marker(mark)) == 1
    # --force is there for those who know better.
    assert d.tend('services', 'restart', 'b', '--force').returncode == 0
    assert d.state('b') == 'running'


def test_a_registry_change_to_a_missing_binary_keeps_the_old_process(daemon, home, marks):
    mark = marks()
    d = daemon(f'''
[services.web]
deployment = {{ mode = "binary", binary = {{ binary_path = "/bin/sleep", args = ["{mark}"] }} }}
''')
    assert d.tend('services', 'start', 'web').returncode == 0
    pid = d.call('service.status', {'name': 'web'})['pid']
    (home / 'services.toml').write_text(f'''
[services.web]
deployment = {{ mode = "binary", binary = {{ binary_path = "{home}/gone", args = ["{mark}"] }} }}
''')
    assert d.tend('apply').returncode == 0
    st = d.call('service.status', {'name': 'web'})
    assert st['state'] == 'running' and st['pid'] == pid and alive(pid)
    assert 'Pre-flight check failed: binary' in st['reason'] and f'{home}/gone' in st['reason']


def test_a_missing_binary_says_why_in_why(daemon, home):
    d = daemon(f'''
[services.ghost]
deployment = {{ mode = "binary", binary = {{ binary_path = "{home}/nope" }} }}
startup = {{ restart = "always", max_restarts = 2, restart_delay = 0 }}
''')
    d.tend('services', 'start', 'ghost', '--force')
    d.wait_state('ghost', 'failed')
    why = d.tend('why', 'ghost').stdout
    assert f'could not start: exec {home}/nope: No such file or directory' in why, why


def test_a_target_comes_up_and_goes_down_with_its_dependencies(daemon, marks):
    mark = marks()
    d = daemon(f'''
[services.base]
deployment = {{ mode = "binary", binary = {{ binary_path = "/bin/sleep", args = ["{mark}"] }} }}
[services.group]
description = "everything the app needs, like a systemd target"
dependencies = ["base"]
''')
    r = d.tend('services', 'start', 'group', timeout=20)
    assert r.returncode == 0, r.stdout + r.stderr
    assert d.state('group') == 'running' and d.state('base') == 'running'
    # Down with what it needs...
    assert d.tend('services', 'stop', 'base', '--force').returncode == 0
    assert d.state('group') == 'inactive'
    # ... up again with it, and stopped on its own word.
    assert d.tend('services', 'start', 'base').returncode == 0
    d.wait_state('group', 'running')
    r = d.tend('platform', 'stop')
    assert r.returncode == 0, r.stdout + r.stderr
    assert d.state('group') == 'inactive' and d.state('base') == 'inactive'
    assert with_marker(mark) == []


def test_a_conflict_with_a_host_process_blocks_the_start(daemon, home, marks):
    mark = marks()
    # A program of a name nobody else runs, started by the test, not by tend.
    prog = home / f'tc{mark.split(".")[1][:8]}'
    shutil.copy('/bin/sleep', prog)
    other = subprocess.Popen([str(prog), mark])
    try:
        d = daemon(f'''
[services.dns]
conflicts = ["{prog.name}"]
deployment = {{ mode = "binary", binary = {{ binary_path = "/bin/sleep", args = ["{mark}"] }} }}
''')
        r = d.tend('services', 'start', 'dns')
        assert r.returncode == 1
        assert f'Conflicting services running: {prog.name} (pid {other.pid})' in r.stderr, r.stderr
        assert d.state('dns') == 'inactive'
    finally:
        other.kill()
        other.wait()
    assert d.tend('services', 'start', 'dns').returncode == 0


def test_a_program_that_exits_at_once_is_a_failed_start(daemon):
    d = daemon('''
[services.crasher]
deployment = { mode = "binary", binary = { binary_path = "/bin/sh", args = ["-c", "sleep 0.2; exit 3"] } }
startup = { restart = "never" }
[services.looper]
deployment = { mode = "binary", binary = { binary_path = "/bin/sh", args = ["-c", "sleep 0.2; exit 3"] } }
startup = { restart = "always", restart_delay = 0.1 }
[services.badexit]
deployment = { mode = "binary", binary = { binary_path = "/bin/sh", args = ["-c", "exit 7"] } }
startup = { restart = "never" }
''')
    r = d.tend('services', 'start', 'crasher')
    assert r.returncode == 1, r.stdout
    assert 'Started crasher' not in r.stdout
    assert 'crasher failed: exit code 3; restart policy is never' in r.stdout
    assert r.stdout.splitlines()[-1] == '0 running, 1 failed'
    r = d.tend('services', 'start', 'looper')
    assert r.returncode == 1 and 'looper failed: exit code 3; restarting in ' in r.stdout, r.stdout
    r = d.tend('services', 'start', 'badexit')
    assert 'badexit failed: exit code 7; restart policy is never' in r.stdout.splitlines(), r.stdout
    d.call('service.stop', {'name': 'looper'})


def test_backoff_doubles_from_restart_delay(daemon):
    d = daemon('''
[services.flaky]
deployment = { mode = "binary", binary = { binary_path = "/bin/sh", args = ["-c", "exit 1"] } }
startup = { restart = "always", restart_delay = 0.2, restart_delay_max = 5, max_restarts = 10 }
''')
    d.call('service.start', {'name': 'flaky', 'force': True})

    def ended():
        jobs = sorted(d.call('job.list', {'service_id': 'flaky'}), key=lambda j: j['id'])
        done = [j for j in jobs if j['ended_at'] and j['started_at']]
        return done if len(done) >= 4 else None
    jobs = d.wait_for(ended, timeout=20, what='four attempts that ran')[:4]
    d.call('service.stop', {'name': 'flaky'})
    waits = [jobs[i + 1]['started_at'] - jobs[i]['ended_at'] for i in range(3)]
    # 0.2, 0.4, 0.8 s (it was 0.2, 0.2, 0.4): lower bounds only.
    assert waits[0] >= 0.19 and waits[1] >= 0.39 and waits[2] >= 0.79, waits


def test_force_is_not_offered_where_it_cannot_help(daemon, home):
    # No container engine on the daemon's PATH: a forced start would fail too.
    d = daemon('''
[services.box]
deployment = { mode = "docker", docker = { image = "alpine" } }
''', env={'PATH': str(home)})
    r = d.tend('services', 'start', 'box')
    assert r.returncode == 1
    assert 'Pre-flight check failed' in r.stderr and '--force' not in r.stderr, r.stderr
