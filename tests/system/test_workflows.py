"""examples/workflows/: each example script run with `tend script` against
a real daemon, and held to the runs, jobs and events it leaves behind, not
only to what it prints: one run of two ordered jobs for the runner; a
build that installs and restarts only what changed; a rolling restart one
service at a time; an operation's services up before its work runs."""
import json
import subprocess
import urllib.request

import pytest

from daemon import REPO, TEND_BIN, first_event, free_port, tend_env

EXAMPLES = REPO / 'examples' / 'workflows'


def run_example(d, name, *args, timeout=180):
    """`tend script examples/workflows/NAME ARGS...` against d."""
    return subprocess.run([TEND_BIN, 'script', str(EXAMPLES / name), *map(str, args)],
                          capture_output=True, text=True, env=tend_env(d.home), timeout=timeout)


def ok(r):
    assert r.returncode == 0, r.stdout + r.stderr
    return r.stdout


def data(event):
    d = event['data']
    return json.loads(d) if isinstance(d, str) else (d or {})


def events_after(d, after=0):
    return d.call('events.list', {'after_id': after, 'limit': 10000})


def last_event_id(d):
    tail = d.call('events.list', {'tail': 1})
    return tail[-1]['id'] if tail else 0


def get(port):
    with urllib.request.urlopen(f'http://127.0.0.1:{port}/', timeout=10) as resp:
        return resp.status, resp.read().decode()


def run_ids(d, service):
    return [r['id'] for r in d.call('run.list', {'service': service})]


def became_healthy(events, service, after):
    """The id of service's first change to healthy after event id AFTER."""
    return first_event(events, 'service.health', service,
                       lambda e: e['id'] > after and data(e).get('to') == 'healthy')


def http_service(name, port, folder, category=None, extra=''):
    """A python3 http.server on 127.0.0.1:PORT with an HTTP health check."""
    exec_ = ['python3', '-m', 'http.server', '--bind', '127.0.0.1', str(port)]
    return f'''
[actions.{name}]
exec = {json.dumps(exec_)}
cwd = "{folder}"

[services.{name}]
actions = ["{name}"]
{f'category = "{category}"' if category else ''}
{extra}
health_check = {{ type = "http", interval = 1, http = {{ endpoint = "http://127.0.0.1:{port}/" }} }}
'''


# ---- 1_runner.lua ----------------------------------------------------------

def test_runner_is_one_service_one_run_of_two_jobs_the_ui_after_the_server(d, tmp_path):
    server, ui = free_port(), free_port()
    out = ok(run_example(d, '1_runner.lua', server, ui, tmp_path))

    # One service, not one per program.
    assert [s['name'] for s in d.call('service.list')] == ['runner']
    assert sorted(a['name'] for a in d.call('action.list')) == ['runner_server', 'runner_ui']
    # One start: exactly one run, of two jobs.
    runs = d.call('run.list', {'service': 'runner'})
    assert len(runs) == 1, runs
    run = d.call('run.get', {'id': runs[0]['id']})
    assert len(run['jobs']) == 2, run
    jobs = {j['action_id']: j for j in run['jobs']}
    assert sorted(jobs) == ['runner_server', 'runner_ui']
    assert all(j['phase'] == 'running' and j['run_id'] == run['id'] for j in run['jobs'])

    # The UI's job left pending only after the server's job was running.
    events = events_after(d)
    server_running = first_event(events, 'job.phase', 'runner',
                                 lambda e: e['job_id'] == jobs['runner_server']['id']
                                 and data(e)['to'] == 'running')
    ui_started = first_event(events, 'job.phase', 'runner',
                             lambda e: e['job_id'] == jobs['runner_ui']['id']
                             and data(e)['from'] == 'pending')
    assert server_running < ui_started, events
    assert jobs['runner_server']['started_at'] <= jobs['runner_ui']['started_at']

    # The script waited for the service to work, and printed the jobs in order.
    assert get(server)[0] == 200 and get(ui)[0] == 200
    lines = out.splitlines()
    assert lines[0] == f"runner is running (health healthy), run {run['id']}"
    assert lines[1].startswith(f"  job 1: runner_server (job {jobs['runner_server']['id']},")
    assert lines[2].startswith(f"  job 2: runner_ui (job {jobs['runner_ui']['id']},")
