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


# ---- 2_build_install.lua ---------------------------------------------------

HELLO_C = r'''/* hello: answers every HTTP request on 127.0.0.1:PORT with its version. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#define VERSION "@VERSION@"

int main(int argc, char **argv)
{
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons(atoi(argc > 1 ? argv[1] : "8090"))};
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    int s = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(s, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(s, 16) < 0) {
        perror("hello");
        return 1;
    }
    const char reply[] = "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\n"
                         "hello version " VERSION "\n";
    for (;;) {
        int c = accept(s, NULL, NULL);
        if (c < 0) continue;
        char req[4096];
        if (read(c, req, sizeof(req)) > 0 && write(c, reply, sizeof(reply) - 1) < 0) perror("hello");
        close(c);
    }
}
'''

MAKEFILE = 'hello: hello.c\n\tcc -O2 -o hello hello.c\n'


def git(repo, *args):
    subprocess.run(['git', '-C', str(repo), '-c', 'user.name=tend test',
                    '-c', 'user.email=test@tend.invalid', *args],
                   check=True, capture_output=True, text=True)


def hello_repo(path, version):
    """A git repository of a tiny C HTTP server built by make."""
    path.mkdir()
    (path / 'hello.c').write_text(HELLO_C.replace('@VERSION@', version))
    (path / 'Makefile').write_text(MAKEFILE)
    git(path, 'init', '-q')
    git(path, 'add', '.')
    git(path, 'commit', '-qm', f'version {version}')


def new_version(repo, version):
    (repo / 'hello.c').write_text(HELLO_C.replace('@VERSION@', version))
    git(repo, 'commit', '-qam', f'version {version}')


def running_jobs(d, service):
    return d.call('job.list', {'service_id': service, 'phase': 'running'})


def test_build_install_builds_then_restarts_only_what_changed(d, tmp_path, marks):
    repo, prefix, port = tmp_path / 'hello', tmp_path / 'prefix', free_port()
    hello_repo(repo, '1')
    # A service that has nothing to do with the build: it must stay as it is.
    mark = marks()
    d.call('action.set', {'name': 'other', 'spec': {'exec': ['sleep', mark]}})
    d.call('service.set', {'name': 'other', 'spec': {'actions': ['other']}})
    ok(d.tend('services', 'start', 'other'))
    other_runs, other_job = run_ids(d, 'other'), running_jobs(d, 'other')

    # First run: fetch, make, install as one run of the build service, in
    # order; then the service runs the installed program and is healthy.
    out = ok(run_example(d, '2_build_install.lua', repo, port, prefix))
    assert 'starting hello' in out
    build_runs = run_ids(d, 'hello-build')
    assert len(build_runs) == 1
    steps = sorted(d.call('run.get', {'id': build_runs[0]})['jobs'], key=lambda j: j['id'])
    assert [j['action_id'] for j in steps] == ['hello-fetch', 'hello-make', 'hello-install']
    assert all(j['phase'] == 'succeeded' for j in steps), steps
    for before, after in zip(steps, steps[1:]):
        assert before['ended_at'] <= after['started_at'], steps
    assert (prefix / 'bin' / 'hello').is_file()
    status = d.call('service.status', {'name': 'hello'})
    assert (status['state'], status['health']['status']) == ('running', 'healthy')
    assert get(port) == (200, 'hello version 1\n')
    first_runs = run_ids(d, 'hello')
    assert len(first_runs) == 1
    first_pid = status['pid']

    # Second run, the source changed: rebuilt, and only hello restarted.
    new_version(repo, '2')
    out = ok(run_example(d, '2_build_install.lua', repo, port, prefix))
    assert 'hello changed: restarting it' in out
    assert len(run_ids(d, 'hello-build')) == 2
    runs = run_ids(d, 'hello')
    assert len(runs) == 2 and runs[1:] == first_runs, runs  # newest first: one new run
    assert get(port) == (200, 'hello version 2\n')
    assert [s['name'] for s in d.call('service.list')].count('hello') == 1
    jobs = running_jobs(d, 'hello')
    assert len(jobs) == 1 and jobs[0]['run_id'] == runs[0], jobs
    status = d.call('service.status', {'name': 'hello'})
    assert (status['state'], status['health']['status']) == ('running', 'healthy')
    assert status['pid'] != first_pid
    assert run_ids(d, 'other') == other_runs and running_jobs(d, 'other') == other_job

    # Third run, nothing changed: built again, nothing restarted.
    second_pid = status['pid']
    out = ok(run_example(d, '2_build_install.lua', repo, port, prefix))
    assert 'hello is up to date: left running' in out
    assert len(run_ids(d, 'hello-build')) == 3
    assert run_ids(d, 'hello') == runs
    assert running_jobs(d, 'hello') == jobs
    assert d.call('service.status', {'name': 'hello'})['pid'] == second_pid
    assert get(port) == (200, 'hello version 2\n')
    assert run_ids(d, 'other') == other_runs and running_jobs(d, 'other') == other_job


def test_build_install_stops_at_the_failed_step_and_says_which(d, tmp_path):
    repo, prefix, port = tmp_path / 'hello', tmp_path / 'prefix', free_port()
    hello_repo(repo, '1')
    (repo / 'hello.c').write_text('this is not C\n')
    git(repo, 'commit', '-qam', 'broken')
    r = run_example(d, '2_build_install.lua', repo, port, prefix)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "'hello-build' will not be success: it is failed" in r.stderr
    steps = {j['action_id']: j['phase'] for j in d.call('job.list', {'service_id': 'hello-build'})}
    assert steps['hello-fetch'] == 'succeeded' and steps['hello-make'] == 'failed', steps
    assert steps['hello-install'] != 'succeeded', steps
    # Nothing was installed, and no service runs it.
    assert not (prefix / 'bin' / 'hello').exists()
    assert 'hello' not in [s['name'] for s in d.call('service.list')]


# ---- 3_rolling_restart.lua -------------------------------------------------

def test_rolling_restart_restarts_one_at_a_time_each_healthy_before_the_next(daemon, tmp_path):
    web = ['web1', 'web2', 'web3']
    ports = {name: free_port() for name in web + ['db']}
    text = ''.join(http_service(n, ports[n], tmp_path, 'web') for n in web)
    text += http_service('db', ports['db'], tmp_path, 'data')
    d = daemon(text)
    for name in web + ['db']:
        ok(d.tend('services', 'start', name))  # returns once it is ready
    before = {name: run_ids(d, name) for name in web + ['db']}
    mark = last_event_id(d)

    out = ok(run_example(d, '3_rolling_restart.lua', 'web', 30))
    assert out.splitlines()[-1] == "3 of 3 services of 'web' restarted, one at a time"

    # Each web service has exactly one new run; db was not touched.
    new_run = {}
    for name in web:
        runs = run_ids(d, name)
        assert len(runs) == 2 and runs[1:] == before[name], (name, runs)
        new_run[name] = runs[0]
        status = d.call('service.status', {'name': name})
        assert (status['state'], status['health']['status']) == ('running', 'healthy')
    assert run_ids(d, 'db') == before['db']

    # One at a time: the next service was stopped and started again only
    # after the one before it was healthy in its new run.
    events = events_after(d, mark)
    created = {n: first_event(events, 'run.created', n, lambda e, n=n: e['run_id'] == new_run[n])
               for n in web}
    healthy = {n: became_healthy(events, n, created[n]) for n in web}
    stopped = {n: first_event(events, 'job.phase', n, lambda e: data(e)['to'] == 'stopping')
               for n in web}
    for prev, nxt in zip(web, web[1:]):
        assert healthy[prev] < stopped[nxt], (prev, nxt, healthy, stopped)
        assert healthy[prev] < created[nxt], (prev, nxt, healthy, created)
    assert [l.split(':')[0] for l in out.splitlines()[:3]] == web
    assert not [e for e in events if e['service'] == 'db']


def test_rolling_restart_leaves_a_stopped_member_alone(daemon, tmp_path):
    ports = {n: free_port() for n in ('a', 'b')}
    d = daemon(''.join(http_service(n, ports[n], tmp_path, 'web') for n in ports))
    ok(d.tend('services', 'start', 'a'))
    out = ok(run_example(d, '3_rolling_restart.lua', 'web'))
    assert 'b: inactive, left alone' in out
    assert run_ids(d, 'b') == [] and len(run_ids(d, 'a')) == 2


# ---- 4_required_for.lua ----------------------------------------------------

def has_required_for_binding(d, tmp_path):
    probe = tmp_path / 'probe.lua'
    probe.write_text('os.exit(tend.service_required_for and 0 or 1)\n')
    return subprocess.run([TEND_BIN, 'script', str(probe)], env=tend_env(d.home),
                          capture_output=True, timeout=30).returncode == 0


def test_required_for_starts_what_the_operation_needs_before_the_work(daemon, tmp_path):
    ports = {n: free_port() for n in ('db', 'cache', 'web')}
    urls = [f'http://127.0.0.1:{ports[n]}/' for n in ('db', 'cache')]
    fetch = ('import sys, urllib.request\n'
             'for url in sys.argv[1:]:\n'
             '    print(url, urllib.request.urlopen(url, timeout=5).status)\n')
    text = (http_service('db', ports['db'], tmp_path, extra='required_for = ["report"]')
            + http_service('cache', ports['cache'], tmp_path, extra='required_for = ["report"]')
            + http_service('web', ports['web'], tmp_path)
            + f'''
[actions.report]
kind = "oneshot"
exec = {json.dumps(['python3', '-c', fetch, *urls])}
''')
    d = daemon(text)
    if not has_required_for_binding(d, tmp_path):
        pytest.skip('needs service.required_for')
    ok(d.tend('services', 'start', 'cache'))  # one already runs: left alone
    cache_runs = run_ids(d, 'cache')
    mark = last_event_id(d)

    out = ok(run_example(d, '4_required_for.lua', 'report', timeout=120))
    assert out.splitlines()[0] == 'report needs: db, cache'
    assert 'starting db' in out and 'starting cache' not in out

    # The work: one standalone job of the action, which succeeded.
    jobs = d.call('job.list', {'action_id': 'report'})
    assert len(jobs) == 1, jobs
    job = jobs[0]
    assert job['service_id'] is None and job['run_id'] is None
    assert job['phase'] == 'succeeded', job
    assert f"{urls[0]} 200" in out and f"{urls[1]} 200" in out

    # db was started and healthy before the job was created; cache was
    # running already and kept its run; web, which report does not need,
    # was not started.
    events = events_after(d, mark)
    job_created = first_event(events, 'job.created', None, lambda e: e['job_id'] == job['id'])
    db_run = first_event(events, 'run.created', 'db')
    assert became_healthy(events, 'db', db_run) < job_created
    assert run_ids(d, 'cache') == cache_runs
    assert d.call('service.status', {'name': 'cache'})['state'] == 'running'
    assert run_ids(d, 'web') == []
    status = d.call('service.status', {'name': 'db'})
    assert (status['state'], status['health']['status']) == ('running', 'healthy')


def test_required_for_does_no_work_when_the_action_is_missing(daemon, tmp_path):
    d = daemon(http_service('db', free_port(), tmp_path, extra='required_for = ["report"]'))
    r = run_example(d, '4_required_for.lua', 'report')
    assert r.returncode == 1
    assert "no action named 'report' to run for report" in r.stderr
    assert run_ids(d, 'db') == []
