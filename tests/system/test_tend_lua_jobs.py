"""Workflows inside the daemon's history (issue 15): an action with
interpreter = "tend-lua" runs its inline Lua as a job, with the tend
module talking to the daemon that runs it. The job has its row, its log
and its provenance; what its calls change is recorded as its doing
(by_job and by_action in the events, "started by job N" in why). Every
process a test starts carries a marker of its own (the `marks` fixture)
and is found by it alone; the daemons are stopped by their own pids."""
import json
import os
import subprocess
import time
from pathlib import Path

import pytest

from daemon import TEND_BIN, Daemon, RpcError, alive, tend_env, with_marker


def deploy_action(mark, name='deploy', extra=''):
    """A tend-lua oneshot that defines and starts `worker` (sleep MARK) and
    prints the state it waited for."""
    return f"""
[actions.{name}]
interpreter = "tend-lua"
kind = "oneshot"
{extra}
script = '''
tend.quick_service_start{{name = "worker", exec = {{"/bin/sleep", "{mark}"}}}}
print("worker is " .. tend.wait("worker", "running", {{timeout = 20}}).state)
'''
"""


def wait_ended(d, job_id, timeout=30):
    """The job's row once it has ended."""
    def ended():
        job = d.call('job.get', {'id': job_id})
        return job if job['phase'] in ('succeeded', 'failed', 'cancelled', 'lost') else None
    return d.wait_for(ended, timeout, f'job {job_id} to end')


def log_texts(d, job_id):
    return [line['text'] for line in d.call('logs.tail', {'job': job_id, 'lines': 200})['lines']]


def data_of(event):
    data = event.get('data')
    return data if isinstance(data, dict) else json.loads(data or '{}')


def wanted_events(d, service):
    return [e for e in d.call('events.list', {'service': service, 'limit': 1000})
            if e['kind'] == 'service.wanted']


def assert_worker_started_by(d, mark, job_id, action='deploy'):
    """worker runs (its sleep is alive), its service.wanted event and why
    name the job; the API's and the CLI's why say the same."""
    status = d.call('service.status', {'name': 'worker'})
    assert status['state'] == 'running', status
    pids = with_marker(mark)
    assert len(pids) == 1 and alive(pids[0]), pids
    [wanted] = wanted_events(d, 'worker')
    data = data_of(wanted)
    assert data['wanted'] == 'start'
    assert data['by_job'] == job_id and data['by_action'] == action, wanted
    why = d.call('service.why', {'name': 'worker'})
    words = f'started by job {job_id} (action {action})'
    assert why['why'].startswith('running') and why['why'].endswith('; ' + words), why
    assert why['by_job'] == job_id and why['by_action'] == action
    r = d.tend('why', 'worker')
    assert r.returncode == 0 and words in r.stdout, r.stdout + r.stderr


def test_a_standalone_tend_lua_job_starts_a_service_on_its_own_daemon(daemon, marks):
    mark = marks()
    d = daemon(deploy_action(mark))
    job_id = d.call('job.create', {'action': 'deploy'})['id']
    job = wait_ended(d, job_id)
    assert job['phase'] == 'succeeded', (job, log_texts(d, job_id))
    assert job['exit_code'] == 0 and job['action_id'] == 'deploy'
    assert job['service_id'] is None and job['run_id'] is None
    assert 'worker is running' in log_texts(d, job_id)
    assert_worker_started_by(d, mark, job_id)
    # The job's own events are the test's doing (it is no job): no by_job.
    own = [e for e in d.call('events.list', {'limit': 1000}) if e.get('job_id') == job_id]
    assert own and all('by_job' not in data_of(e) for e in own), own
    # What the worker's start wrote is the job's: its run and first job too.
    worker_events = d.call('events.list', {'service': 'worker', 'limit': 1000})
    created = [e for e in worker_events if e['kind'] in ('run.created', 'job.created')]
    assert len(created) == 2 and all(data_of(e)['by_job'] == job_id for e in created), created
    # A stop from anyone else is not the job's, and why says so.
    d.call('service.stop', {'name': 'worker'})
    d.wait_state('worker', 'inactive')
    assert 'by_job' not in data_of(wanted_events(d, 'worker')[-1])
    why = d.call('service.why', {'name': 'worker'})
    assert why['why'].startswith('inactive: stopped by user') and 'by_job' not in why, why
    assert with_marker(mark) == []


def test_a_tend_lua_oneshot_of_a_service_is_that_services_job(daemon, marks):
    mark = marks()
    d = daemon(deploy_action(mark) + '''
[services.rollout]
actions = ["deploy"]
''')
    d.call('service.start', {'name': 'rollout'})
    d.wait_state('rollout', 'success', timeout=30)
    [job] = d.call('job.list', {'service_id': 'rollout'})
    assert job['phase'] == 'succeeded' and job['exit_code'] == 0, (job, log_texts(d, job['id']))
    assert job['action_id'] == 'deploy' and job['run_id'] is not None
    assert 'worker is running' in log_texts(d, job['id'])
    assert d.call('logs.tail', {'name': 'rollout'})['lines'][-1]['text'] == 'worker is running'
    assert_worker_started_by(d, mark, job['id'])
    # rollout itself was started by the test over the socket: nobody's job.
    assert 'by_job' not in data_of(wanted_events(d, 'rollout')[0])
    assert 'started by' not in d.call('service.why', {'name': 'rollout'})['why']


def test_a_job_stopping_a_service_is_named_in_why(daemon, marks):
    mark = marks()
    d = daemon(f'''
[services.worker]
deployment = {{ mode = "binary", binary = {{ binary_path = "/bin/sleep", args = ["{mark}"] }} }}

[actions.halt]
interpreter = "tend-lua"
kind = "oneshot"
script = 'tend.service_stop{{name = "worker"}}'
''')
    d.call('service.start', {'name': 'worker'})
    d.wait_state('worker', 'running')
    job_id = d.call('job.create', {'action': 'halt'})['id']
    job = wait_ended(d, job_id)
    assert job['phase'] == 'succeeded', (job, log_texts(d, job_id))
    d.wait_state('worker', 'inactive')
    why = d.call('service.why', {'name': 'worker'})
    assert why['why'].startswith(f'inactive: stopped by job {job_id} (action halt)'), why
    assert data_of(wanted_events(d, 'worker')[-1])['by_job'] == job_id
    assert with_marker(mark) == []


def test_a_lua_error_fails_the_job_with_the_error_and_traceback_in_its_log(daemon):
    d = daemon("""
[actions.broken]
interpreter = "tend-lua"
kind = "oneshot"
script = '''
local function deeper()
  error("the deploy went wrong")
end
deeper()
'''
""")
    job_id = d.call('job.create', {'action': 'broken'})['id']
    job = wait_ended(d, job_id)
    assert job['phase'] == 'failed' and job['exit_code'] == 1, job
    assert job['error'] == 'exit code 1'
    log = '\n'.join(log_texts(d, job_id))
    assert 'the deploy went wrong' in log and 'stack traceback:' in log, log
    assert 'deeper' in log, log  # the traceback names where it happened
    assert 'tend script: ' in log and log.count('the deploy went wrong') == 1, log


def test_args_reach_arg_and_the_chunks_varargs(daemon):
    d = daemon("""
[actions.echo]
interpreter = "tend-lua"
kind = "oneshot"
script = 'print(#arg, arg[1], arg[2], select("#", ...), ...)'
args = ["blue", "two words"]
""")
    job_id = d.call('job.create', {'action': 'echo'})['id']
    assert wait_ended(d, job_id)['phase'] == 'succeeded'
    assert log_texts(d, job_id) == ['2\tblue\ttwo words\t2\tblue\ttwo words']


def test_the_job_reaches_its_own_daemon_whatever_its_env_says(daemon, home):
    # Its env names another TEND_HOME and a remote daemon: it still talks
    # to the daemon that runs it, and may start none (TEND_NO_AUTOSTART).
    d = daemon("""
[actions.where]
interpreter = "tend-lua"
kind = "oneshot"
env = { TEND_HOME = "/nonexistent/tend", TEND_HOST = "https://127.0.0.1:1" }
script = '''
print(#tend.service_list(), os.getenv("TEND_HOME"), os.getenv("TEND_NO_AUTOSTART"),
      os.getenv("TEND_HOST") == "")
'''

[services.one]
deployment = { mode = "binary", binary = { binary_path = "/bin/true" } }
""")
    job_id = d.call('job.create', {'action': 'where'})['id']
    job = wait_ended(d, job_id)
    assert job['phase'] == 'succeeded', (job, log_texts(d, job_id))
    assert log_texts(d, job_id) == [f'1\t{os.path.realpath(home)}\t1\ttrue']
    assert not Path('/nonexistent/tend').exists()


def test_a_tend_lua_action_with_another_user_is_refused_at_its_place(registry, d):
    other = 'root' if os.geteuid() != 0 else 'nobody'
    path = registry("""
[actions.deploy]
interpreter = "tend-lua"
script = 'print(1)'
user = "%s"
""" % other)
    r = d.tend('validate', '-c', path)
    assert r.returncode == 1, r.stdout + r.stderr
    assert f"{path}:5:8: error: 'actions.deploy.user': a tend-lua job talks to its daemon, " \
           "whose API lets only the daemon's own user in" in r.stderr, r.stderr
    # The same through the API, which reads what it is given the same way.
    with pytest.raises(RpcError) as refused:
        d.call('action.set', {'name': 'deploy', 'spec': {
            'interpreter': 'tend-lua', 'script': 'print(1)', 'user': other}})
    assert refused.value.code == -32602
    assert "'actions.deploy.user': a tend-lua job talks to its daemon" in \
        refused.value.data['message']
    assert d.call('action.list') == []  # nothing changed


def test_a_daemon_on_the_default_paths_is_reached_by_its_jobs(tmp_path, marks):
    """A daemon started without TEND_HOME: root's default paths (/run/tend,
    /var/lib/tend), given a mount namespace of their own (fresh /run and
    /var/lib) so that no daemon of the machine is touched. Its job inherits
    the daemon's environment and finds the same socket."""
    if os.geteuid() != 0:
        pytest.skip("root's default paths in a mount namespace of their own need root")
    if subprocess.run(['unshare', '-m', '--propagation', 'private', 'true'],
                      capture_output=True).returncode != 0:
        pytest.skip('no mount namespace can be made here (unshare -m)')
    mark = marks()
    cfg = tmp_path / 'services.toml'
    cfg.write_text(deploy_action(mark))
    env = tend_env(tmp_path / 'home')
    del env['TEND_HOME']
    out = open(tmp_path / 'daemon.out', 'wb')
    # unshare and sh exec: the pid is the daemon's (its keeper's) own.
    proc = subprocess.Popen(
        ['unshare', '-m', '--propagation', 'private', 'sh', '-c',
         'mount -t tmpfs tmpfs /run && mount -t tmpfs tmpfs /var/lib && '
         'exec "$0" daemon -c "$1" --no-cgroups --http off', TEND_BIN, str(cfg)],
        env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    d = Daemon(tmp_path / 'home')
    d.proc = proc
    d.output_path = tmp_path / 'daemon.out'
    d.socket = f'/proc/{proc.pid}/root/run/tend/tend.sock'
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                d.call('service.list')
                break
            except (FileNotFoundError, ConnectionRefusedError, ConnectionResetError):
                assert proc.poll() is None and time.monotonic() < deadline, d.output()
                time.sleep(0.05)
        job_id = d.call('job.create', {'action': 'deploy'})['id']
        job = wait_ended(d, job_id)
        assert job['phase'] == 'succeeded', (job, log_texts(d, job_id), d.output())
        assert job['log_path'].startswith('/var/lib/tend/')
        assert 'worker is running' in log_texts(d, job_id)
        [wanted] = wanted_events(d, 'worker')
        assert data_of(wanted)['by_job'] == job_id
        assert len(with_marker(mark)) == 1
    finally:
        assert d.stop() == 0, d.output()
    assert with_marker(mark) == []
