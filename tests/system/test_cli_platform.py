"""tend platform, why, jobs, runs, events and the short forms, through the
real binary against a real daemon, in human and --json form."""
import json
import subprocess

from daemon import TEND_BIN, stand_in

REGISTRY = '''
[services.db]
category = "storage"
deployment = { mode = "binary", binary = { binary_path = "/bin/sleep", args = ["1000"] } }
startup = { auto_start = true, start_order = 10 }
[services.web]
category = "api"
dependencies = ["db"]
deployment = { mode = "binary", binary = { binary_path = "/bin/sleep", args = ["1000"] } }
[services.dns]
category = "dns"
deployment = { mode = "docker", docker = { image = "coredns/coredns" } }
'''


def load(d, home):
    (home / 'services.toml').write_text(REGISTRY)
    assert d.tend('apply').returncode == 0


def test_platform_start_shows_progress_and_a_summary(d, home):
    # An engine with no image to run: dns cannot start.
    stand_in(home.parent / 'bin', podman='echo "Error: no such image" >&2; exit 125')
    load(d, home)
    r = d.tend('platform', 'start', 'web', 'dns')
    assert r.returncode == 1
    lines = r.stdout.splitlines()
    assert 'Starting web' in lines
    assert any(l.startswith('Started web with PID ') for l in lines)
    # Its reason is the service's when the CLI looks: the exit, a restart
    # or a crash loop, depending on how fast the machine is; each names it.
    assert any(l.startswith('dns failed: ') and 'exit code 125' in l for l in lines), lines
    assert lines[-1] == '1 running, 1 failed'
    assert '✅' not in r.stdout  # no symbols off a terminal
    r = d.tend('platform', 'start', 'web')
    assert r.returncode == 0 and 'web is already running' in r.stdout
    pid = d.call('service.status', {'name': 'web'})['pid']
    assert d.tend('platform', 'start', 'web', '--force').returncode == 0
    assert d.call('service.status', {'name': 'web'})['pid'] != pid


def test_platform_status_groups_by_category(d, home):
    load(d, home)
    assert d.tend('up').returncode == 0  # the auto_start services: db
    out = d.tend('platform', 'status').stdout
    assert out.startswith('Platform Services Status\nRunning: 1/3\n')
    assert '=== STORAGE ===\ndb - running (uptime: ' in out
    assert '=== API ===\nweb - inactive\n' in out
    data = json.loads(d.tend('platform', 'status', '--json').stdout)
    assert [s['state'] for s in data] == ['running', 'inactive', 'inactive']


def test_down_stops_everything_dependents_first(d, home):
    load(d, home)
    d.tend('platform', 'start', 'web')
    r = d.tend('down')
    assert r.returncode == 0 and r.stdout.splitlines()[-1] == '2 stopped'
    assert [s['state'] for s in d.call('service.status_all')] == ['inactive'] * 3
    assert d.tend('down').stdout == 'Nothing to stop.\n'


def test_why_jobs_runs(d, home):
    load(d, home)
    d.tend('platform', 'start', 'web')
    assert d.tend('why', 'web').stdout.startswith('running (since ')
    assert json.loads(d.tend('why', 'web', '--json').stdout)['state'] == 'running'
    assert d.tend('why').returncode == 2
    jobs = d.tend('jobs', '--service', 'web').stdout.splitlines()
    assert jobs[0].split() == ['id', 'service', 'action', 'run', 'phase', 'attempt', 'pid', 'exit']
    assert jobs[1].split()[1:3] == ['web', 'web'] and jobs[1].split()[4] == 'running'
    assert json.loads(d.tend('jobs', '--phase', 'running', '--json').stdout)[0]['phase'] == 'running'
    runs = d.tend('runs').stdout.splitlines()
    assert runs[0].split() == ['id', 'service', 'status', 'reason']
    assert {l.split()[1] for l in runs[1:]} == {'db', 'web'}


def test_events_and_events_follow(d, home):
    load(d, home)
    follower = subprocess.Popen([TEND_BIN, 'events', '--follow', '--service', 'web', '--json'],
                                env=d.env(), stdout=subprocess.PIPE, text=True)
    try:
        d.tend('platform', 'start', 'web')
        seen = []
        while 'running' not in [e['data'].get('to') for e in seen if e['kind'] == 'job.phase']:
            seen.append(json.loads(follower.stdout.readline()))
        assert {e['service'] for e in seen} == {'web'}
    finally:
        follower.terminate()
        follower.wait(10)
    out = d.tend('events', '--service', 'web').stdout.splitlines()
    assert any(' job.phase ' in l and '"to":"running"' in l for l in out)


def test_short_forms(d, home):
    load(d, home)
    assert d.tend('ps').stdout.splitlines()[0].split()[0] == 'name'
    d.tend('up', 'web')
    assert d.call('service.status', {'name': 'web'})['state'] == 'running'
    assert d.tend('logs', 'web').returncode == 0
    assert d.tend('down', 'web').returncode == 0
    assert d.call('service.status', {'name': 'web'})['state'] == 'inactive'


def test_json_forms_of_platform_validate_and_dependencies(d, home):
    load(d, home)
    started = json.loads(d.tend('platform', 'start', 'web', '--json').stdout)
    assert [(s['name'], s['state']) for s in started] == [('web', 'running')]
    stopped = json.loads(d.tend('down', '--json').stdout)
    assert sorted((s['name'], s['state']) for s in stopped) == [('db', 'inactive'), ('web', 'inactive')]
    assert json.loads(d.tend('down', '--json').stdout) == []
    ok = json.loads(d.tend('validate', '--json').stdout)
    assert ok == {'ok': True, 'services': 3, 'actions': 3, 'errors': []}
    bad = home / 'bad.toml'
    bad.write_text('[services.a]\ndependencies = ["b"]\n')
    r = d.tend('validate', '-c', bad, '--json')
    assert r.returncode == 1
    assert json.loads(r.stdout)['errors'] == [{
        'file': str(bad), 'line': 2, 'col': 17,
        'message': "service 'a' depends on 'b', which is not a service"}]
    deps = json.loads(d.tend('services', 'dependencies', 'web', '--json').stdout)
    assert deps['start_order'] == ['db', 'web']
    assert deps['services'][0]['required_by'] == ['web']


def test_platform_start_says_what_it_waits_for(d, home):
    (home / 'services.toml').write_text('''
[actions.slow]
kind = "oneshot"
interpreter = "sh"
script = "sleep 1.5"
[services.prep]
actions = ["slow"]
[services.app]
dependencies = ["prep"]
deployment = { mode = "binary", binary = { binary_path = "/bin/sleep", args = ["1000"] } }
''')
    d.tend('apply')
    r = d.tend('platform', 'start', 'app')
    assert r.returncode == 0, r.stdout
    assert 'app: waiting for prep' in r.stdout.splitlines()
    assert r.stdout.splitlines()[-1] == '1 running, 0 failed'


def test_remaining_commands_in_both_forms(d, home):
    load(d, home)
    d.tend('up', 'web')
    pid = d.call('service.status', {'name': 'web'})['pid']
    r = d.tend('services', 'restart', 'web')
    assert r.returncode == 0 and r.stdout.startswith('Restarting web\nStarted web with PID ')
    assert json.loads(d.tend('services', 'restart', 'web', '--json').stdout)[0]['name'] == 'web'
    d.wait_state('web', 'running')
    assert d.call('service.status', {'name': 'web'})['pid'] != pid
    assert d.tend('platform', 'restart', 'web').stdout.splitlines()[-1] == '1 running, 0 failed'
    runs = json.loads(d.tend('runs', '--service', 'web', '--json').stdout)
    assert len(runs) >= 1 and {r['service'] for r in runs} == {'web'}
    events = json.loads(d.tend('events', '--service', 'web', '--json').stdout)
    assert events and {e['service'] for e in events} == {'web'}
    assert json.loads(d.tend('ps', '--json').stdout)[0]['name'] == 'db'
    r = d.tend('platform', 'logs', 'web', '--json')  # sleep prints nothing: no lines
    assert r.returncode == 0 and r.stdout == ''
    for command in (['services'], ['platform'], ['why'], ['jobs'], ['runs'], ['events'], ['apply'],
                    ['rpc'], ['validate'], ['daemon'], ['dashboard'], ['services', 'dependencies'],
                    ['services', 'health']):
        r = d.tend(*command, '--help')
        assert r.returncode == 0 and r.stdout.startswith('usage: tend'), command


def test_logs_of_one_job_by_its_id(d):
    d.call('action.set', {'name': 'hello', 'spec': {'interpreter': 'sh', 'kind': 'oneshot',
                                                     'script': 'echo hello from a job'}})
    job = d.call('job.create', {'action': 'hello'})['id']
    d.wait_for(lambda: d.call('job.get', {'id': job})['phase'] == 'succeeded', what='done')
    status, body = d.post_get(f'/logs/{job}?lines=5')
    assert status == 200 and b'hello from a job' in body
