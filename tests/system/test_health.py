"""Health checks, readiness and pre-flight checks against real servers
started by the tests: a python3 http.server, a plain TCP listener, a
command and a file; dependents that wait for health, start_timeout,
restarts of unhealthy services, sd_notify readiness, every pre-flight
refusal, the health commands and /metrics."""
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time

import pytest
import requests

from daemon import VALGRIND_ARGS, Daemon, RpcError

PY = sys.executable if os.path.exists('/usr/bin/python3') is False else '/usr/bin/python3'


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


@pytest.fixture
def listener():
    """A plain TCP listener the test owns (accepts and closes)."""
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(('127.0.0.1', 0))
    s.listen(16)
    yield s.getsockname()[1]
    s.close()


def health(d, name):
    return d.call('service.health', {'name': name})


def wait_health(d, name, status, timeout=10):
    return d.wait_for(lambda: health(d, name)['status'] == status and health(d, name),
                      timeout, f'{name} {status}')


def events(d, service, kind=None):
    return [e for e in d.call('events.list', {'service': service, 'limit': 1000})
            if kind is None or e['kind'] == kind]


def sleeper(name, extra=''):
    return f'''
[services.{name}]
deployment = {{ mode = "binary", binary = {{ binary_path = "/bin/sleep", args = ["1000"] }} }}
{extra}'''


# ---- each check type, passing and failing ----------------------------------

def test_http_check_passes_on_the_expected_status_and_fails_otherwise(daemon):
    port = free_port()
    d = daemon(f'''
[services.web]
deployment = {{ mode = "binary", binary = {{ binary_path = "{PY}", args = ["-m", "http.server", "{port}", "--bind", "127.0.0.1"] }} }}
health_check = {{ type = "http", interval = 0.2, http = {{ endpoint = "http://127.0.0.1:{port}/" }} }}
[services.wrong]
deployment = {{ mode = "binary", binary = {{ binary_path = "/bin/sleep", args = ["1000"] }} }}
health_check = {{ type = "http", interval = 0.2, http = {{ endpoint = "http://127.0.0.1:{port}/nope", expected_status = 200, method = "HEAD" }} }}
startup = {{ start_timeout = 0 }}
''')
    d.call('service.start', {'name': 'web'})
    h = wait_health(d, 'web', 'healthy')
    assert h['message'] == 'HTTP status 200 matches expected'
    assert h['check'] == 'http' and h['duration_ms'] >= 0 and h['failures'] == 0
    assert d.state('web') == 'running'
    # wrong checks web's port, which pre-flight finds taken: --force.
    d.call('service.start', {'name': 'wrong', 'force': True})
    d.wait_for(lambda: health(d, 'wrong')['message'] == 'HTTP status 404, expected 200',
               what='a 404')
    # Never healthy: still starting (start_timeout 0 waits for ever).
    assert health(d, 'wrong')['status'] == 'unknown' and d.state('wrong') == 'starting'


def test_http_check_names_a_refused_connection(daemon):
    port = free_port()
    d = daemon(sleeper('down', f'health_check = {{ type = "http", interval = 0.2, http = {{ endpoint = "http://127.0.0.1:{port}/health" }} }}\nstartup = {{ start_timeout = 0 }}'))
    d.call('service.start', {'name': 'down'})
    h = d.wait_for(lambda: health(d, 'down')['checked_at'] and health(d, 'down'), what='a check')
    assert h['message'].startswith(f'GET http://127.0.0.1:{port}/health: ')
    assert 'onnect' in h['message']


def test_tcp_check_passes_on_a_listener_and_names_a_refusal(daemon, listener):
    closed = free_port()
    d = daemon(sleeper('up', f'health_check = {{ type = "tcp", interval = 0.2, tcp = {{ host = "127.0.0.1", port = {listener} }} }}') +
               sleeper('down', f'health_check = {{ type = "tcp", interval = 0.2, tcp = {{ port = {closed} }} }}\nstartup = {{ start_timeout = 0 }}'))
    d.call('service.start', {'name': 'up', 'force': True})  # the test owns the port
    assert wait_health(d, 'up', 'healthy')['message'] == f'connected to 127.0.0.1:{listener}'
    d.call('service.start', {'name': 'down'})
    h = d.wait_for(lambda: health(d, 'down')['checked_at'] and health(d, 'down'), what='a check')
    # localhost is tried as 127.0.0.1 and ::1; the last refusal is reported.
    assert h['message'] == f'connect to localhost:{closed}: connection refused'
    assert h['status'] == 'unknown'


def test_command_check_compares_the_exit_code_and_times_out(daemon, home):
    flag, pids = home / 'flag', home / 'check-pids'
    d = daemon(sleeper('cmd', f'health_check = {{ type = "command", interval = 0.2, command = {{ command = "test -e {flag}", expected_exit_code = 0 }} }}\nstartup = {{ start_timeout = 0 }}') +
               sleeper('slow', f'health_check = {{ type = "command", interval = 0.2, timeout = 0.3, command = {{ command = ["sh", "-c", "echo $$ >> {pids}; exec sleep 1000"] }} }}\nstartup = {{ start_timeout = 0 }}'))
    d.call('service.start', {'name': 'cmd'})
    d.wait_for(lambda: health(d, 'cmd')['message'] == 'test exited with 1, expected 0',
               what='a failing command')
    flag.write_text('')
    assert wait_health(d, 'cmd', 'healthy')['message'] == 'test exited with 0 as expected'
    d.call('service.start', {'name': 'slow'})
    d.wait_for(lambda: health(d, 'slow')['message'] == 'no answer within 0.3 s',
               what='a timed out command')
    # Each timed-out check's process was killed (and reaped), not left
    # behind: every pid the checks wrote is gone once its check ended. The
    # check sleeps far longer than the test waits, so only a kill ends it.
    d.call('service.stop', {'name': 'slow'})
    d.wait_state('slow', 'inactive')
    started = [int(p) for p in pids.read_text().split()]
    assert started
    try:
        d.wait_for(lambda: not any(os.path.exists(f'/proc/{p}') for p in started), timeout=5,
                   what='every timed-out check process gone')
    except AssertionError:
        for p in started:  # what this test's checks left, never a reused pid
            try:
                if open(f'/proc/{p}/cmdline', 'rb').read() == b'sleep\x001000\x00':
                    os.kill(p, signal.SIGKILL)
            except (OSError, ProcessLookupError):
                pass
        raise


def test_file_check_with_must_exist_both_ways(daemon, home):
    pidfile, lockfile = home / 'svc.pid', home / 'maintenance'
    d = daemon(sleeper('present', f'health_check = {{ type = "file", interval = 0.2, file = {{ path = "{pidfile}" }} }}\nstartup = {{ start_timeout = 0 }}') +
               sleeper('absent', f'health_check = {{ type = "file", interval = 0.2, file = {{ path = "{lockfile}", must_exist = false }} }}'))
    d.call('service.start', {'name': 'present'})
    d.wait_for(lambda: health(d, 'present')['message'] == f'{pidfile} does not exist',
               what='no file yet')
    pidfile.write_text('1')
    assert wait_health(d, 'present', 'healthy')['message'] == f'{pidfile} exists'
    d.call('service.start', {'name': 'absent'})
    assert wait_health(d, 'absent', 'healthy')['message'] == f'{lockfile} does not exist'


# ---- readiness ----------------------------------------------------------------

def test_dependent_waits_for_health_and_starts_right_after(daemon):
    port = free_port()
    d = daemon(f'''
[services.api]
deployment = {{ mode = "binary", binary = {{ binary_path = "/bin/sh", args = ["-c", "sleep 0.6; exec {PY} -m http.server {port} --bind 127.0.0.1"] }} }}
health_check = {{ type = "http", interval = 5, http = {{ endpoint = "http://127.0.0.1:{port}/" }} }}
[services.web]
dependencies = ["api"]
deployment = {{ mode = "binary", binary = {{ binary_path = "/bin/sleep", args = ["1000"] }} }}
''')
    d.call('service.start', {'name': 'web'})
    time.sleep(0.3)
    # api's process runs, but it does not answer yet: both are starting.
    assert d.state('api') == 'starting'
    assert d.call('service.status', {'name': 'api'})['pid'] is not None
    assert d.state('web') == 'starting'
    assert d.call('service.why', {'name': 'web'})['why'].startswith('starting: waiting for api')
    d.wait_state('web', 'running')
    healthy = [e for e in events(d, 'api', 'service.health') if e['data']['to'] == 'healthy']
    assert len(healthy) == 1
    web_job = d.call('job.list', {'service_id': 'web'})[0]
    # web started after api became healthy, not before (and not an interval later).
    assert healthy[0]['at'] <= web_job['started_at'] < healthy[0]['at'] + 2


def test_start_timeout_fails_the_dependency_and_dependents_do_not_start(daemon):
    closed = free_port()
    d = daemon(sleeper('db', f'health_check = {{ type = "tcp", interval = 0.1, tcp = {{ host = "127.0.0.1", port = {closed} }} }}\nstartup = {{ start_timeout = 0.5 }}') +
               sleeper('api', 'dependencies = ["db"]'))
    d.call('service.start', {'name': 'api'})
    d.wait_state('db', 'failed')
    d.wait_state('api', 'failed')
    reason = (f'did not become healthy within 0.5 s (last check: connect to 127.0.0.1:{closed}: '
              'connection refused)')
    assert d.call('service.status', {'name': 'db'})['reason'] == reason
    db_job = d.call('job.list', {'service_id': 'db'})[0]
    assert db_job['phase'] == 'failed' and db_job['error'] == reason
    api_jobs = d.call('job.list', {'service_id': 'api'})
    assert [j['phase'] for j in api_jobs] == ['failed']
    assert api_jobs[0]['started_at'] is None and api_jobs[0]['pid'] is None
    assert api_jobs[0]['error'] == 'dependency db failed: ' + reason
    assert len(d.call('job.list', {'service_id': 'db'})) == 1  # not restarted
    assert d.call('service.why', {'name': 'api'})['why'].startswith('failed: dependency db failed')


def test_unhealthy_service_is_restarted_and_why_says_so(daemon, home):
    marker = home / 'alive'
    d = daemon(f'''
[services.flaky]
deployment = {{ mode = "binary", binary = {{ binary_path = "/bin/sh", args = ["-c", "touch {marker}; exec sleep 1000"] }} }}
health_check = {{ type = "file", interval = 0.1, retries = 2, file = {{ path = "{marker}" }} }}
''')
    d.call('service.start', {'name': 'flaky'})
    wait_health(d, 'flaky', 'healthy')
    first_pid = d.call('service.status', {'name': 'flaky'})['pid']
    marker.unlink()
    d.wait_for(lambda: d.call('service.status', {'name': 'flaky'})['restarts'] == 1 and
               d.state('flaky') == 'running', what='a restart')
    st = d.call('service.status', {'name': 'flaky'})
    assert st['pid'] != first_pid and st['health']['status'] == 'healthy'
    kinds = [(e['kind'], e['data']) for e in events(d, 'flaky')
             if e['kind'] in ('service.health', 'service.restart')]
    assert kinds[:3] == [
        ('service.health', {'from': 'unknown', 'to': 'healthy', 'message': f'{marker} exists'}),
        ('service.health', {'from': 'healthy', 'to': 'unhealthy',
                            'message': f'{marker} does not exist'}),
        ('service.restart', {'cause': 'unhealthy'})]
    why = d.call('service.why', {'name': 'flaky'})['why']
    assert why.startswith('running: healthy: ')
    assert re.search(r'restarted at \d\d:\d\d:\d\d: unhealthy: .* does not exist; unhealthy; '
                     r'restarting in 0 s', why), why
    jobs = d.call('job.list', {'service_id': 'flaky'})
    assert sorted(j['phase'] for j in jobs) == ['cancelled', 'running']


def test_unhealthy_service_with_restart_never_stays_and_says_so(daemon, home):
    marker = home / 'alive'
    d = daemon(f'''
[services.keep]
deployment = {{ mode = "binary", binary = {{ binary_path = "/bin/sh", args = ["-c", "touch {marker}; exec sleep 1000"] }} }}
health_check = {{ type = "file", interval = 0.1, retries = 1, file = {{ path = "{marker}" }} }}
startup = {{ restart = "never" }}
''')
    d.call('service.start', {'name': 'keep'})
    wait_health(d, 'keep', 'healthy')
    marker.unlink()
    wait_health(d, 'keep', 'unhealthy')
    assert d.state('keep') == 'running'
    assert d.call('service.status', {'name': 'keep'})['restarts'] == 0
    assert 'restart policy is never' in d.call('service.why', {'name': 'keep'})['why']


NOTIFY = '''
import os, socket, sys, time
time.sleep(float(sys.argv[1]))
path = os.environ["NOTIFY_SOCKET"]
if path.startswith("@"):  # the abstract namespace, as sd_notify(3) reads it
    path = "\\0" + path[1:]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.sendto(b"STATUS=warming up", path)
if sys.argv[2] == "ready":
    s.sendto(b"READY=1\\nSTATUS=serving", path)
time.sleep(1000)
'''


def test_sd_notify_ready_gates_the_service_and_its_dependents(daemon, home):
    script = home / 'notify.py'
    script.write_text(NOTIFY)
    d = daemon(f'''
[actions.server]
exec = ["{PY}", "{script}", "0.5", "ready"]
ready = "notify"
[services.db]
actions = ["server"]
[services.app]
dependencies = ["db"]
deployment = {{ mode = "binary", binary = {{ binary_path = "/bin/sleep", args = ["1000"] }} }}
''')
    d.call('service.start', {'name': 'app'})
    time.sleep(0.2)
    st = d.call('service.status', {'name': 'db'})
    assert st['state'] == 'starting' and st['jobs'][0]['phase'] == 'starting'
    assert st['jobs'][0]['notified'] is False
    assert d.state('app') == 'starting'
    d.wait_state('app', 'running')
    st = d.call('service.status', {'name': 'db'})
    assert st['jobs'][0]['notified'] is True and st['jobs'][0]['status_text'] == 'serving'
    db_job = d.call('job.list', {'service_id': 'db'})[0]
    app_job = d.call('job.list', {'service_id': 'app'})[0]
    ready = [e for e in events(d, 'db', 'job.phase') if e['data'].get('reason') == 'READY=1']
    assert ready and ready[0]['at'] <= app_job['started_at']
    assert db_job['phase'] == 'running'


def test_sd_notify_silence_ends_in_start_timeout(daemon, home):
    script = home / 'notify.py'
    script.write_text(NOTIFY)
    d = daemon(f'''
[actions.mute]
exec = ["{PY}", "{script}", "0", "silent"]
ready = "notify"
[services.mute]
actions = ["mute"]
startup = {{ start_timeout = 0.5 }}
''')
    d.call('service.start', {'name': 'mute'})
    d.wait_state('mute', 'failed')
    assert d.call('service.status', {'name': 'mute'})['reason'] == \
        'did not become ready within 0.5 s'


SEND = '''
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.sendto(sys.argv[2].encode(), "\\0" + sys.argv[1][1:])
'''


def test_sd_notify_hears_only_the_jobs_user(daemon, home):
    """The socket is in the abstract namespace: anyone can send, but only
    the job's own user (here nobody, which the job runs as) and root count."""
    # Inline: nobody may not read files under the test's private folders.
    # python3 is looked up in PATH as nobody would (a python3 under /root,
    # first in root's PATH, is no program nobody can run).
    d = daemon(f"""
[actions.quiet]
interpreter = "python3"
script = '''{NOTIFY}'''
args = ["0", "silent"]
ready = "notify"
user = "nobody"
cwd = "/"
[services.quiet]
actions = ["quiet"]
startup = {{ start_timeout = 0 }}
""")
    d.call('service.start', {'name': 'quiet'})
    job = d.wait_for(lambda: d.call('service.status', {'name': 'quiet'})['jobs'][0].get('status_text')
                     and d.call('service.status', {'name': 'quiet'})['jobs'][0], what='STATUS=')
    assert job['status_text'] == 'warming up'  # sent by the job itself, as nobody
    sock = f'@tend/{d.proc.pid}/notify/{job["id"]}'
    daemon_user = os.getuid()
    if daemon_user == 0:
        # Another user (not nobody, not root) is not heard.
        other = subprocess.run([PY, '-c', SEND, sock, 'READY=1'], user=1, capture_output=True)
        assert other.returncode == 0, other.stderr
        time.sleep(0.3)
        assert d.state('quiet') == 'starting'
    subprocess.run([PY, '-c', SEND, sock, 'READY=1'], check=True)
    d.wait_state('quiet', 'running')


def test_a_notify_job_that_cannot_start_leaves_nothing_open(daemon):
    # Its socket closes with the job: the daemon still stops at once (the
    # fixture checks the exit).
    d = daemon('''
[actions.ghost]
exec = ["/no/such/program"]
ready = "notify"
[services.ghost]
actions = ["ghost"]
startup = { max_restarts = 0 }
''')
    d.call('service.start', {'name': 'ghost', 'force': True})
    d.wait_state('ghost', 'failed')
    assert d.stop(timeout=5) == 0


# ---- pre-flight ----------------------------------------------------------------

def refusal(d, name, **params):
    with pytest.raises(RpcError) as e:
        d.call('service.start', dict(name=name, **params))
    return e.value.message


def test_each_pre_flight_check_refuses_a_start_and_force_skips_it(daemon, home, listener):
    d = daemon(f'''
[services.nobin]
deployment = {{ mode = "binary", binary = {{ binary_path = "{home}/missing" }} }}
[services.nodir]
deployment = {{ mode = "binary", binary = {{ binary_path = "/bin/sleep", args = ["1000"], working_dir = "{home}/nowhere" }} }}
[actions.asghost]
exec = ["/bin/sleep", "1000"]
user = "no-such-user-here"
[services.nouser]
actions = ["asghost"]
[services.taken]
deployment = {{ mode = "binary", binary = {{ binary_path = "/bin/sleep", args = ["1000"] }} }}
health_check = {{ type = "tcp", tcp = {{ port = {listener} }} }}
[services.dnsmasq]
deployment = {{ mode = "binary", binary = {{ binary_path = "/bin/sleep", args = ["1000"] }} }}
[services.coredns]
conflicts = ["dnsmasq"]
deployment = {{ mode = "binary", binary = {{ binary_path = "/bin/sleep", args = ["1000"] }} }}
[services.needsbin]
dependencies = ["nobin"]
deployment = {{ mode = "binary", binary = {{ binary_path = "/bin/sleep", args = ["1000"] }} }}
[services.box]
deployment = {{ mode = "docker", docker = {{ image = "alpine" }} }}
[services.kube]
deployment = {{ mode = "kubernetes", kubernetes = {{ deployment_name = "x" }} }}
''', env={'PATH': str(home)})  # no docker, podman or kubectl on this PATH
    assert refusal(d, 'nobin') == \
        f'Pre-flight check failed: binary\nnobin: Binary not found: {home}/missing'
    assert refusal(d, 'nodir') == \
        f'Pre-flight check failed: working_dir\nnodir: Working directory not found: {home}/nowhere'
    assert refusal(d, 'nouser') == \
        'Pre-flight check failed: user\nnouser: No such user: no-such-user-here'
    assert refusal(d, 'taken') == \
        f'Pre-flight check failed: port\ntaken: Port {listener} is already in use by another process'
    d.call('service.start', {'name': 'dnsmasq'})
    assert refusal(d, 'coredns') == \
        'Pre-flight check failed: conflicts\ncoredns: Conflicting services running: dnsmasq'
    assert refusal(d, 'needsbin') == \
        f'Pre-flight check failed: binary\nnobin: Binary not found: {home}/missing'
    # No engine to run the container on.
    assert refusal(d, 'box') == ('Pre-flight check failed: container_cli\n'
                                 'box: Neither docker nor podman is installed (not in PATH)')
    assert refusal(d, 'kube') == \
        'Pre-flight check failed: kubectl\nkube: kubectl is not installed (not in PATH)'
    # Refused starts changed nothing.
    for name in ('nobin', 'nodir', 'nouser', 'taken', 'coredns', 'needsbin'):
        assert d.state(name) == 'inactive'
        assert d.call('job.list', {'service_id': name}) == []
    report = {r['name']: r for r in d.call('service.preflight')}
    deps = {c['check']: c for c in report['needsbin']['checks']}['dependencies']
    assert deps == {'check': 'dependencies', 'ok': False,
                    'message': f'Dependency nobin is not available: Binary not found: {home}/missing'}
    assert report['dnsmasq']['ok'] is True
    # --force skips the checks: the start happens, and fails for real.
    d.call('service.start', {'name': 'nodir', 'force': True})
    d.wait_state('nodir', 'failed')
    d.call('service.start', {'name': 'taken', 'force': True})
    d.wait_for(lambda: d.state('taken') in ('running', 'starting'), what='taken started')


def test_cli_start_shows_the_pre_flight_checks_as_the_guide(daemon, home):
    d = daemon(sleeper('dnsmasq') + sleeper('coredns', 'conflicts = ["dnsmasq"]') +
               sleeper('web', 'dependencies = ["dnsmasq"]'))
    r = d.tend('services', 'start', 'web')
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == [
        'Running pre-flight checks for web...', '  ok: Binary found: /bin/sleep',
        '  ok: No conflicts detected', '  ok: All dependencies available',
        'Starting service: web', 'Starting web']  + r.stdout.splitlines()[6:]
    assert r.stdout.splitlines()[-2].startswith('Started web with PID ')
    assert r.stdout.splitlines()[-1] == '1 running, 0 failed'
    assert d.state('web') == 'running' and d.state('dnsmasq') == 'running'
    r = d.tend('services', 'start', 'coredns')
    assert r.returncode == 1
    assert '  FAILED: Conflicting services running: dnsmasq' in r.stdout.splitlines()
    assert r.stderr == ('error: Pre-flight check failed: conflicts\n'
                        'Conflicting services running: dnsmasq\nUse --force to start anyway\n')
    assert d.state('coredns') == 'inactive'
    r = d.tend('services', 'start', 'coredns', '--force')
    assert r.returncode == 0, r.stderr
    assert 'Running pre-flight checks' not in r.stdout
    assert d.state('coredns') == 'running'


# ---- commands --------------------------------------------------------------

def registry_for_commands(home, port):
    return f'''
[services.web]
type = "platform"
category = "ui"
required_for = ["deploy"]
deployment = {{ mode = "binary", binary = {{ binary_path = "{PY}", args = ["-m", "http.server", "{port}", "--bind", "127.0.0.1"] }} }}
health_check = {{ type = "http", interval = 0.2, http = {{ endpoint = "http://127.0.0.1:{port}/" }} }}
[services.worker]
type = "utility"
category = "jobs"
required_for = ["deploy", "batch"]
dependencies = ["web"]
deployment = {{ mode = "binary", binary = {{ binary_path = "/bin/sleep", args = ["1000"] }} }}
[services.broken]
type = "utility"
category = "jobs"
deployment = {{ mode = "binary", binary = {{ binary_path = "{home}/missing" }} }}
'''


def test_health_commands_human_and_json(daemon, home):
    port = free_port()
    d = daemon(registry_for_commands(home, port))
    r = d.tend('services', 'health', 'web')
    assert r.returncode == 1 and 'Status: not running\nHealthy: false\n' in r.stdout
    d.call('service.start', {'name': 'web'})
    wait_health(d, 'web', 'healthy')
    r = d.tend('services', 'health', 'web')
    assert r.returncode == 0
    lines = r.stdout.splitlines()
    assert lines[:5] == ['Service: web', 'Status: healthy', 'Healthy: true',
                         'Message: HTTP status 200 matches expected', 'Check type: http']
    assert re.fullmatch(r'Check duration: \d+ ms', lines[5])
    r = d.tend('services', 'health', 'web', '--json')
    assert json.loads(r.stdout)['status'] == 'healthy'

    r = d.tend('platform', 'health')
    assert r.returncode == 0
    assert r.stdout.splitlines() == [
        'Platform Health Check', '', 'web: Healthy - HTTP status 200 matches expected',
        'worker: Not running', 'broken: Not running', '',
        'Summary: 1 healthy, 0 unhealthy, 2 not running']
    out = json.loads(d.tend('platform', 'health', '--json').stdout)
    assert [h['name'] for h in out] == ['web', 'worker', 'broken']

    r = d.tend('services', 'monitor', 'web', '--interval', '0.1', '--count', '3')
    lines = r.stdout.splitlines()
    assert r.returncode == 0
    assert lines[:2] == ['Starting health monitoring for web (interval: 0.1s)', 'Press Ctrl+C to stop']
    assert len(lines) == 5
    assert all(re.fullmatch(r'\d{4}-\d\d-\d\d \d\d:\d\d:\d\d healthy web: HTTP status 200 '
                            r'matches expected', l) for l in lines[2:])
    r = d.tend('services', 'monitor', 'web', '--interval', '0.1', '--count', '2', '--json')
    assert [json.loads(l)['status'] for l in r.stdout.splitlines()] == ['healthy', 'healthy']
    assert d.tend('services', 'monitor', 'web', '--interval', 'x').returncode == 2


def test_readiness_and_check_commands(daemon, home):
    port = free_port()
    d = daemon(registry_for_commands(home, port))
    d.call('service.start', {'name': 'web'})
    d.wait_state('web', 'running')
    r = d.tend('services', 'readiness')
    assert r.returncode == 0
    assert r.stdout.splitlines() == [
        'Platform Readiness Report', '', 'Total services: 3', 'Running: 1', 'Ready to start: 1',
        '', 'Services:', '  web - platform - ui (running)',
        '  worker - utility - jobs (ready to start)', '  broken - utility - jobs (not ready)', '',
        'Issues: 1', f'  broken: Binary not found: {home}/missing']
    out = json.loads(d.tend('services', 'readiness', '--json').stdout)
    assert (out['total'], out['running'], out['ready_to_start']) == (3, 1, 1)

    r = d.tend('services', 'check', 'deploy')
    assert r.returncode == 1
    assert r.stdout.splitlines()[:4] == ['Operation: deploy', 'Required services: web, worker',
                                         'All running: false', 'Not running: worker']
    out = json.loads(d.tend('services', 'check', 'deploy', '--json').stdout)
    assert out == {'operation': 'deploy', 'required': ['web', 'worker'],
                   'not_running': ['worker'], 'all_running': False}
    r = d.tend('services', 'check', 'deploy', '--start')
    assert r.returncode == 0, r.stdout
    assert 'Starting worker' in r.stdout
    assert r.stdout.splitlines()[-3:] == ['Operation: deploy', 'Required services: web, worker',
                                          'All running: true']
    assert d.state('worker') == 'running'
    r = d.tend('services', 'check', 'nothing-needs-this')  # no service names it: a mistake
    assert (r.returncode, r.stdout) == (1, '')
    assert r.stderr == ("tend services check: no service's required_for names the operation "
                        "'nothing-needs-this'; the operations are: deploy, batch\n")


def registry_of_operations(port):
    """db runs, web does not, slow is `starting` (its check never passes)
    and other names no operation; db names deploy twice."""
    sleeper = 'deployment = { mode = "binary", binary = { binary_path = "/bin/sleep", args = ["1000"] } }'
    return f'''
[services.db]
required_for = ["deploy", "backup", "deploy"]
{sleeper}
[services.web]
required_for = ["deploy"]
dependencies = ["db"]
{sleeper}
[services.slow]
required_for = ["deploy", "publish"]
{sleeper}
health_check = {{ type = "tcp", interval = 0.2, tcp = {{ port = {port} }} }}
startup = {{ start_timeout = 1000 }}
[services.other]
{sleeper}
'''


def test_required_for_names_what_an_operation_needs_and_what_does_not_run(daemon):
    d = daemon(registry_of_operations(free_port()))
    d.call('service.start', {'name': 'db'})
    d.call('service.start', {'name': 'slow'})
    d.wait_state('db', 'running')
    d.wait_state('slow', 'starting')
    # Registry order, each service once; only "running" counts as running.
    assert d.call('service.required_for', {'operation': 'deploy'}) == {
        'operation': 'deploy', 'required': ['db', 'web', 'slow'],
        'not_running': ['web', 'slow'], 'all_running': False}
    assert d.call('service.required_for', {'operation': 'backup'}) == {
        'operation': 'backup', 'required': ['db'], 'not_running': [], 'all_running': True}
    r = d.tend('rpc', 'service.required_for', '{"operation": "publish"}')
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == {'operation': 'publish', 'required': ['slow'],
                                    'not_running': ['slow'], 'all_running': False}
    # The CLI prints the method's answer as it is.
    r = d.tend('services', 'check', 'deploy', '--json')
    assert r.returncode == 1
    assert json.loads(r.stdout) == d.call('service.required_for', {'operation': 'deploy'})
    # Asking changes nothing.
    assert (d.state('web'), d.state('other')) == ('inactive', 'inactive')


def test_required_for_an_operation_no_service_names_is_invalid_params(daemon):
    d = daemon(registry_of_operations(free_port()))
    with pytest.raises(RpcError) as e:
        d.call('service.required_for', {'operation': 'deplyo'})
    assert e.value.code == -32602
    assert e.value.data == {
        'message': "no service's required_for names the operation 'deplyo'; "
                   "did you mean 'deploy'?",
        'parameter': 'operation', 'operation': 'deplyo', 'suggestion': 'deploy',
        'operations': ['deploy', 'backup', 'publish']}
    with pytest.raises(RpcError) as e:
        d.call('service.required_for', {'operation': 'nosuch'})
    assert e.value.code == -32602
    assert e.value.data['message'] == ("no service's required_for names the operation "
                                       "'nosuch'; the operations are: deploy, backup, publish")
    assert e.value.data['suggestion'] is None
    r = d.tend('rpc', 'service.required_for', '{"operation": "deplyo"}')
    assert (r.returncode, r.stdout) == (1, '')
    assert r.stderr == ("tend rpc: no service's required_for names the operation 'deplyo'; "
                        "did you mean 'deploy'?\n")


def test_required_for_when_no_service_names_any_operation(d):
    d.call('quick_service.set', {'name': 'quick', 'exec': ['/bin/sleep', '1000']})
    with pytest.raises(RpcError) as e:
        d.call('service.required_for', {'operation': 'deploy'})
    assert e.value.code == -32602
    assert e.value.data['message'] == ("no service's required_for names the operation "
                                       "'deploy' (no service names any)")
    assert (e.value.data['suggestion'], e.value.data['operations']) == (None, [])


def test_required_for_names_a_missing_or_mistyped_operation(d):
    for params, words in ((None, "'operation' is required"), ({}, "'operation' is required"),
                          ({'operation': 5}, "'operation' must be a string"),
                          ({'operation': None}, "'operation' must be a string"),
                          ({'operation': 'x', 'op': 'x'}, "'op' is not a parameter")):
        with pytest.raises(RpcError) as e:
            d.call('service.required_for', params)
        assert e.value.code == -32602, params
        assert words in e.value.data, (params, e.value.data)
    r = d.tend('rpc', 'service.required_for')
    assert r.returncode == 1
    assert r.stderr == "tend rpc: invalid params: 'operation' is required\n"


# ---- /metrics ------------------------------------------------------------------

def parse_metrics(text):
    """The Prometheus text format: every sample as {(name, labels): value},
    and every sample's family declared by # TYPE first."""
    samples, types = {}, {}
    for line in text.splitlines():
        if line.startswith('# TYPE '):
            _, _, name, kind = line.split(' ')
            types[name] = kind
            continue
        if line.startswith('#') or not line:
            continue
        m = re.fullmatch(r'([a-z_]+)(?:\{(.*)\})? (\S+)', line)
        assert m, line
        name, labels, value = m.groups()
        assert name in types, f'{name} has no # TYPE'
        pairs = tuple(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', labels or ''))
        samples[(name, pairs)] = float(value)
    return samples, types


def test_metrics_in_prometheus_text_format(daemon, home):
    port = free_port()
    d = daemon(registry_for_commands(home, port))
    d.call('service.start', {'name': 'web'})
    wait_health(d, 'web', 'healthy')
    status, body = d.post_get('/metrics')
    assert status == 200
    samples, types = parse_metrics(body.decode())
    assert types['tend_service_state'] == 'gauge'
    assert types['tend_log_bytes_total'] == 'counter'
    web = (('service', 'web'),)
    assert samples[('tend_service_state', web + (('state', 'running'),))] == 1
    assert samples[('tend_service_state', web + (('state', 'inactive'),))] == 0
    assert samples[('tend_service_state', (('service', 'worker'), ('state', 'inactive')))] == 1
    assert samples[('tend_service_health', web + (('health', 'healthy'),))] == 1
    assert samples[('tend_service_health', (('service', 'worker'), ('health', 'unknown')))] == 1
    assert samples[('tend_service_restarts', web)] == 0
    assert samples[('tend_service_uptime_seconds', web)] > 0
    assert samples[('tend_jobs', (('phase', 'running'),))] == 1
    assert samples[('tend_log_bytes_total', ())] > 0  # http.server logs each check
    assert samples[('tend_log_lines_cut_total', ())] == 0
    assert 1e6 < samples[('tend_daemon_resident_bytes', ())] < 64e6
    assert 0 <= samples[('tend_loop_lag_seconds', ())] < 5
    assert samples[('tend_loop_busy_seconds_total', ())] > 0


def test_health_readiness_and_dashboard_are_valgrind_clean(home, listener):
    """Every kind of check (passing, failing, timing out), a start_timeout,
    an unhealthy restart, sd_notify, the dashboard's guarded server and
    /metrics, then shutdown — under valgrind: no invalid access, no leak."""
    import shutil
    valgrind = shutil.which('valgrind')
    if not valgrind or 'asan' in os.environ.get('TEND_BIN', ''):
        pytest.skip('needs valgrind and a build without sanitizers')
    marker, port = home / 'alive', free_port()
    cfg = home / 'services.toml'
    cfg.write_text(f'''
[services.web]
deployment = {{ mode = "binary", binary = {{ binary_path = "{PY}", args = ["-m", "http.server", "{port}", "--bind", "127.0.0.1"] }} }}
health_check = {{ type = "http", interval = 0.2, http = {{ endpoint = "http://127.0.0.1:{port}/" }} }}
[services.tcp]
dependencies = ["web"]
deployment = {{ mode = "binary", binary = {{ binary_path = "/bin/sleep", args = ["1000"] }} }}
health_check = {{ type = "tcp", interval = 0.2, tcp = {{ host = "127.0.0.1", port = {listener} }} }}
[services.flaky]
deployment = {{ mode = "binary", binary = {{ binary_path = "/bin/sh", args = ["-c", "touch {marker}; exec sleep 1000"] }} }}
health_check = {{ type = "file", interval = 0.1, retries = 1, file = {{ path = "{marker}" }} }}
[services.slowcheck]
deployment = {{ mode = "binary", binary = {{ binary_path = "/bin/sleep", args = ["1000"] }} }}
health_check = {{ type = "command", interval = 0.1, timeout = 0.2, command = {{ command = ["sleep", "5"] }} }}
startup = {{ start_timeout = 1 }}
[actions.ready]
interpreter = "python3"
script = \'\'\'{NOTIFY}\'\'\'
args = ["0.2", "ready"]
env = {{ PATH = "/usr/bin:/bin" }}
ready = "notify"
[services.notified]
actions = ["ready"]
''')
    d = Daemon(home, cfg, extra_args=['--http', '127.0.0.1:0'],
               valgrind=[valgrind, *VALGRIND_ARGS])
    d.start(timeout=60)
    try:
        for name in ('tcp', 'notified', 'slowcheck'):
            d.call('service.start', {'name': name, 'force': True})
        d.call('service.start', {'name': 'flaky'})
        d.wait_state('tcp', 'running', timeout=30)
        d.wait_state('notified', 'running', timeout=30)
        d.wait_state('slowcheck', 'failed', timeout=30)
        d.wait_state('flaky', 'running', timeout=30)
        marker.unlink()
        d.wait_for(lambda: d.call('service.status', {'name': 'flaky'})['restarts'] == 1,
                   timeout=30, what='an unhealthy restart')
        url = (home / 'dashboard.url').read_text().strip()
        base, token = url.split('?')[0], url.split('token=')[1]
        assert requests.get(base).status_code == 200
        assert requests.post(base + 'rpc', json={'jsonrpc': '2.0', 'id': 1, 'method': 'service.list'}).status_code == 401
        r = requests.post(base + 'rpc', json={'jsonrpc': '2.0', 'id': 1, 'method': 'service.health_all'},
                          headers={'Authorization': f'Bearer {token}'})
        assert r.status_code == 200 and len(r.json()['result']) == 5
        assert d.post_get('/metrics')[0] == 200
        d.call('service.preflight')
    finally:
        code = d.stop(timeout=60)
    assert code == 0, d.output()
    assert '==' not in d.output(), d.output()
