"""Bounded history ([retention], docs/registry.md): a service in a crash loop
restarted thousands of times keeps its current run, its active job and only
its newest attempts; old runs, events and jobs of no service go; a service's
own retention wins over the registry's; the database file stays bounded."""
import os

# Every step of pruning comes after at most this many rows were written
# (src/daemon/pruner.c): a restart writes about seven, so history may run
# over its limits by a few dozen jobs, and a few hundred events, at most.
SLACK_JOBS = 60
SLACK_EVENTS = 400

CRASH_LOOP = ('startup = { auto_start = true, max_restarts = 64, restart_window = 0.001,'
              ' restart_delay = 0, restart_delay_max = 0 }')


def registry_text(mark):
    return f'''
[retention]
runs = 4
jobs_per_run = 200
events = 3000

[actions.hold]
exec = ["sleep", "{mark}"]

[actions.crash]
exec = ["/bin/false"]

[services.looper]
actions = ["hold", "crash"]
{CRASH_LOOP}
retention = {{ jobs_per_run = 30 }}

[services.other]
actions = ["crash"]
{CRASH_LOOP}

[services.a]
deployment = {{ mode = "binary", binary = {{ binary_path = "/bin/sleep", args = ["{mark}"] }} }}
retention = {{ runs = 2 }}

[services.b]
deployment = {{ mode = "binary", binary = {{ binary_path = "/bin/sleep", args = ["{mark}"] }} }}
'''


def restarts(d, name):
    return d.call('service.status', {'name': name})['restarts']


def db_bytes(home):
    return sum(os.path.getsize(home / f) for f in ('tend.db', 'tend.db-wal')
               if (home / f).exists())


def run_jobs(d, name):
    status = d.call('service.status', {'name': name})
    return status['run_id'], d.call('job.list', {'service_id': name, 'run_id': status['run_id']})


def test_a_crash_loop_of_thousands_of_restarts_keeps_bounded_history(daemon, home, marks):
    mark = marks()
    d = daemon(registry_text(mark))
    d.wait_for(lambda: d.state('looper') in ('running', 'starting') and restarts(d, 'looper') > 0,
               what='looper crash-looping')
    # hold's process is spawned off the loop: on a busy machine crash may
    # have failed before that spawn answered.
    def hold_running():
        run_id, jobs = run_jobs(d, 'looper')
        hold = next(j for j in jobs if j['action_id'] == 'hold')
        return (run_id, jobs, hold) if hold['phase'] == 'running' else None
    run_id, jobs, hold = d.wait_for(hold_running, what='hold running')

    d.wait_for(lambda: restarts(d, 'looper') >= 1000, timeout=120, what='1000 restarts')
    size_at_1000 = db_bytes(home)
    d.wait_for(lambda: restarts(d, 'looper') >= 2000, timeout=120, what='2000 restarts')
    size_at_2000 = db_bytes(home)

    # The current run is the one it started with, and its active job is there.
    now_run, jobs = run_jobs(d, 'looper')
    assert now_run == run_id
    assert d.call('run.get', {'id': run_id})['id'] == run_id
    assert [r['id'] for r in d.call('run.list', {'service': 'looper'})] == [run_id]
    kept = d.call('job.get', {'id': hold['id']})
    assert kept['phase'] == 'running' and kept['pid'] == hold['pid']
    # Its attempts: the newest 30 (its own retention), plus hold's slot.
    crash = [j for j in jobs if j['action_id'] == 'crash']
    assert 30 <= len(crash) <= 30 + SLACK_JOBS, len(crash)
    assert max(j['attempt'] for j in crash) >= 2000
    # Another service in a crash loop keeps the registry's 200.
    _, other = run_jobs(d, 'other')
    assert restarts(d, 'other') > 400
    assert 200 <= len(other) <= 200 + SLACK_JOBS, len(other)

    events = d.call('events.list', {'after_id': 0, 'limit': 100000})
    assert 3000 <= len(events) <= 3000 + SLACK_EVENTS, len(events)
    # Pruning keeps up: the second thousand restarts grew the file by little.
    assert size_at_2000 < size_at_1000 * 1.5 + (1 << 20), (size_at_1000, size_at_2000)
    assert d.call('service.stop', {'name': 'looper'}) is not None


def test_old_runs_go_and_a_services_own_limit_wins(daemon, marks):
    mark = marks()
    d = daemon(registry_text(mark))
    for name in ('a', 'b'):
        d.call('service.start', {'name': name})
        for _ in range(8):
            d.call('service.restart', {'name': name})
        d.wait_state(name, 'running')
    # The crash loops keep writing, so pruning steps keep coming.
    d.wait_for(lambda: len(d.call('run.list', {'service': 'a'})) == 2
               and len(d.call('run.list', {'service': 'b'})) == 4, what='runs pruned')
    for name in ('a', 'b'):
        status = d.call('service.status', {'name': name})
        runs = d.call('run.list', {'service': name})
        assert runs[0]['id'] == status['run_id']  # the current run stays
        jobs = d.call('job.list', {'service_id': name})
        assert {j['run_id'] for j in jobs} <= {r['id'] for r in runs}
        assert any(j['phase'] == 'running' for j in jobs if j['run_id'] == status['run_id'])

    # A new limit applies at once, and restarts nothing.
    doc = d.call('registry.get')['registry']
    doc['services']['b']['retention'] = {'runs': 1}
    plan = d.call('registry.apply', {'registry': doc})
    assert 'b' in plan['unchanged'] and plan['changed'] == []
    pid = d.call('service.status', {'name': 'b'})['pid']
    d.wait_for(lambda: len(d.call('run.list', {'service': 'b'})) == 1, what='b down to 1 run')
    assert d.call('service.status', {'name': 'b'})['pid'] == pid


def test_the_registry_wide_retention_outlives_the_daemon(home, registry):
    from daemon import Daemon
    cfg = home / 'services.toml'
    cfg.write_text('[retention]\nevents = 777\nevent_days = 3\n')
    d = Daemon(home, cfg).start()
    try:
        assert d.call('registry.get')['registry']['retention']['events'] == 777
    finally:
        assert d.stop() == 0, d.output()
    again = Daemon(home).start()  # no file: the stored registry
    try:
        kept = again.call('registry.get')['registry']['retention']
        assert kept['events'] == 777 and kept['event_days'] == 3
    finally:
        assert again.stop() == 0, again.output()
