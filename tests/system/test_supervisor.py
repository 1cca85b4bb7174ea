"""The supervisor with real processes: runs and jobs, dependency order,
restarts and crash loops, stopping whole process groups, job cleanup,
provenance in the SQLite file, and a daemon that stays responsive."""
import os
import re
import signal
import sqlite3
import time
from pathlib import Path

import pytest

from daemon import VALGRIND_ARGS, Daemon, RpcError, alive, stand_in


def jobs_of(d, **filters):
    return sorted(d.call('job.list', filters), key=lambda j: j['id'])


def test_two_action_service_is_one_run_of_two_jobs_in_order(daemon, home):
    d = daemon(f'''
[actions.migrate]
kind = "oneshot"
interpreter = "sh"
script = "sleep 0.2; echo migrated"
[actions.server]
exec = ["/bin/sleep", "1000"]
depends_on = {{ requires = ["migrate"] }}
[services.app]
actions = ["migrate", "server"]
''')
    d.call('service.start', {'name': 'app'})
    d.wait_state('app', 'running')
    runs = d.call('run.list', {'service': 'app'})
    assert len(runs) == 1
    jobs = jobs_of(d, run_id=runs[0]['id'])
    assert [j['action_id'] for j in jobs] == ['migrate', 'server']
    assert all(j['service_id'] == 'app' for j in jobs)
    migrate, server = jobs
    assert migrate['phase'] == 'succeeded'
    assert server['phase'] == 'running'
    assert migrate['ended_at'] <= server['started_at']


def test_dependencies_start_first(daemon):
    d = daemon('''
[services.db]
deployment = { mode = "binary", binary = { binary_path = "/bin/sleep", args = ["1000"] } }
[services.api]
dependencies = ["db"]
deployment = { mode = "binary", binary = { binary_path = "/bin/sleep", args = ["1000"] } }
[services.web]
dependencies = ["api"]
deployment = { mode = "binary", binary = { binary_path = "/bin/sleep", args = ["1000"] } }
''')
    d.call('service.start', {'name': 'web'})
    d.wait_state('web', 'running')
    started = {n: jobs_of(d, service_id=n)[-1]['started_at'] for n in ('db', 'api', 'web')}
    assert started['db'] <= started['api'] <= started['web']
    assert d.call('service.status', {'name': 'db'})['wanted'] == 'start'


def test_a_oneshot_dependency_must_finish_first(daemon):
    d = daemon('''
[actions.prepare]
kind = "oneshot"
interpreter = "sh"
script = "sleep 0.5"
[services.prep]
actions = ["prepare"]
[services.app]
dependencies = ["prep"]
deployment = { mode = "binary", binary = { binary_path = "/bin/sleep", args = ["1000"] } }
''')
    d.call('service.start', {'name': 'app'})
    # prep's process runs for half a second: app waits all that time.
    d.wait_for(lambda: jobs_of(d, service_id='prep')[0]['phase'] == 'running', what='prep running')
    assert d.call('service.status', {'name': 'app'})['reason'] == 'waiting for prep'
    assert jobs_of(d, service_id='app')[0]['phase'] == 'pending'
    d.wait_state('app', 'running')
    prep, app = jobs_of(d, service_id='prep')[0], jobs_of(d, service_id='app')[0]
    assert prep['phase'] == 'succeeded' and prep['ended_at'] <= app['started_at']
    assert d.state('prep') == 'success'


def test_crash_is_restarted(daemon, home):
    marker = home / 'crashed-once'
    d = daemon(f'''
[services.flaky]
deployment = {{ mode = "binary", binary = {{ binary_path = "/bin/sh", args = ["-c", "if [ -e {marker} ]; then exec sleep 1000; fi; touch {marker}; exit 3"] }} }}
''')
    d.call('service.start', {'name': 'flaky'})
    d.wait_for(lambda: d.call('service.status', {'name': 'flaky'})['restarts'] == 1 and
               d.state('flaky') == 'running', what='one restart')
    jobs = jobs_of(d, service_id='flaky')
    assert [j['attempt'] for j in jobs] == [1, 2]
    assert jobs[0]['phase'] == 'failed' and jobs[0]['exit_code'] == 3
    assert jobs[1]['phase'] == 'running'


def test_crash_loop_ends_in_failed_with_the_reason(daemon):
    d = daemon('''
[services.broken]
deployment = { mode = "binary", binary = { binary_path = "/bin/sh", args = ["-c", "exit 7"] } }
startup = { max_restarts = 3, restart_delay = 0.01, restart_delay_max = 0.05 }
''')
    d.call('service.start', {'name': 'broken'})
    d.wait_state('broken', 'failed')
    st = d.call('service.status', {'name': 'broken'})
    assert 'crash loop: 3 restarts in 60 s, last exit code 7' in st['reason']
    assert len(jobs_of(d, service_id='broken')) == 4
    time.sleep(0.3)  # and it stays failed: nothing spins
    assert len(jobs_of(d, service_id='broken')) == 4


def test_stop_kills_grandchildren(daemon, home):
    pidfile = home / 'grandchild.pid'
    d = daemon(f'''
[services.tree]
deployment = {{ mode = "binary", binary = {{ binary_path = "/bin/sh", args = ["-c", "sleep 1000 & echo $! > {pidfile}; wait"] }} }}
''')
    d.call('service.start', {'name': 'tree'})
    d.wait_for(lambda: pidfile.exists() and pidfile.read_text().strip(), what='grandchild pid')
    grandchild = int(pidfile.read_text())
    assert alive(grandchild)
    d.call('service.stop', {'name': 'tree'})
    d.wait_state('tree', 'inactive')
    d.wait_for(lambda: not alive(grandchild), what='grandchild gone')


def test_child_ignoring_sigterm_is_killed_after_stop_timeout(daemon, home):
    deaf = home / 'deaf'  # exists once the shell ignores SIGTERM
    d = daemon(f'''
[actions.deaf]
interpreter = "sh"
script = "trap '' TERM; touch {deaf}; while :; do sleep 0.05; done"
stop_timeout = 0.5
[services.deaf]
actions = ["deaf"]
''')
    d.call('service.start', {'name': 'deaf'})
    d.wait_for(deaf.exists, what='the trap set')
    pid = d.call('service.status', {'name': 'deaf'})['pid']
    d.call('service.stop', {'name': 'deaf'})
    assert d.state('deaf') == 'stopping'
    d.wait_state('deaf', 'inactive', timeout=5)
    assert not alive(pid)
    job = jobs_of(d, service_id='deaf')[-1]
    assert job['phase'] == 'cancelled' and job['term_signal'] == signal.SIGKILL


def test_start_replaces_old_jobs_by_default(daemon):
    d = daemon('''
[services.s]
deployment = { mode = "binary", binary = { binary_path = "/bin/sleep", args = ["1000"] } }
''')
    d.call('service.start', {'name': 's'})
    d.wait_state('s', 'running')
    d.call('service.stop', {'name': 's'})
    d.wait_state('s', 'inactive')
    first = jobs_of(d, service_id='s')
    assert len(first) == 1
    d.call('service.start', {'name': 's'})
    d.wait_state('s', 'running')
    now = jobs_of(d, service_id='s')
    assert len(now) == 1 and now[0]['id'] != first[0]['id']
    d.call('service.stop', {'name': 's'})
    d.wait_state('s', 'inactive')
    d.call('service.start', {'name': 's', 'replace_existing_jobs': False})
    d.wait_state('s', 'running')
    assert len(jobs_of(d, service_id='s')) == 2


def test_stop_with_remove_jobs_deletes_them(daemon):
    d = daemon('''
[services.s]
deployment = { mode = "binary", binary = { binary_path = "/bin/sleep", args = ["1000"] } }
''')
    d.call('service.start', {'name': 's'})
    d.wait_state('s', 'running')
    d.call('service.stop', {'name': 's', 'remove_jobs': True})
    d.wait_state('s', 'inactive')
    d.wait_for(lambda: jobs_of(d, service_id='s') == [], what='jobs removed')


def test_standalone_job_has_an_action_and_no_service(daemon):
    d = daemon('''
[actions.hello]
interpreter = "sh"
script = "echo hello"
kind = "oneshot"
''')
    job_id = d.call('job.create', {'action': 'hello'})['id']
    job = d.wait_for(lambda: (j := d.call('job.get', {'id': job_id}))['phase'] == 'succeeded' and j)
    assert job['action_id'] == 'hello' and job['service_id'] is None and job['run_id'] is None


def test_provenance_columns_and_indexes_in_the_database(daemon, home):
    d = daemon('''
[services.s]
deployment = { mode = "binary", binary = { binary_path = "/bin/sleep", args = ["1000"] } }
''')
    d.call('service.start', {'name': 's'})
    d.wait_state('s', 'running')
    db = sqlite3.connect(home / 'tend.db')
    row = db.execute('SELECT service_id, action_id, run_id FROM jobs').fetchone()
    assert row[0] == 's' and row[1] == 's' and row[2] is not None
    indexes = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert {'idx_jobs_service_id', 'idx_jobs_action_id', 'idx_jobs_service_id_phase'} <= indexes
    db.close()


def test_stop_refused_while_dependents_run_unless_forced(daemon):
    d = daemon('''
[services.db]
deployment = { mode = "binary", binary = { binary_path = "/bin/sleep", args = ["1000"] } }
[services.web]
dependencies = ["db"]
deployment = { mode = "binary", binary = { binary_path = "/bin/sleep", args = ["1000"] } }
''')
    d.call('service.start', {'name': 'web'})
    d.wait_state('web', 'running')
    with pytest.raises(RpcError) as e:
        d.call('service.stop', {'name': 'db'})
    assert 'Dependent services running: web' in str(e.value)
    assert d.state('db') == 'running'
    d.call('service.stop', {'name': 'db', 'force': True})
    d.wait_state('db', 'inactive')


def test_conflicting_service_is_refused_with_its_name(daemon):
    d = daemon('''
[services.dnsmasq]
deployment = { mode = "binary", binary = { binary_path = "/bin/sleep", args = ["1000"] } }
[services.coredns]
conflicts = ["dnsmasq"]
deployment = { mode = "binary", binary = { binary_path = "/bin/sleep", args = ["1000"] } }
''')
    d.call('service.start', {'name': 'dnsmasq'})
    d.wait_state('dnsmasq', 'running')
    with pytest.raises(RpcError) as e:
        d.call('service.start', {'name': 'coredns'})
    assert 'Pre-flight check failed: conflicts' in str(e.value)
    assert 'Conflicting services running: dnsmasq' in str(e.value)
    assert d.state('coredns') == 'inactive'


def test_bad_params_name_the_parameter_and_change_nothing(daemon):
    d = daemon('''
[services.s]
deployment = { mode = "binary", binary = { binary_path = "/bin/sleep", args = ["1000"] } }
''')
    for method, params, name in [('service.start', {}, 'name'),
                                 ('service.start', {'name': 5}, 'name'),
                                 ('service.start', {'name': 's', 'replace_existing_jobs': 'yes'},
                                  'replace_existing_jobs'),
                                 ('service.stop', {'name': 's', 'bogus': 1}, 'bogus'),
                                 ('job.list', {'phase': 'sleeping'}, 'phase'),
                                 ('job.get', {'id': 'x'}, 'id')]:
        with pytest.raises(RpcError) as e:
            d.call(method, params)
        assert e.value.code == -32602, (method, params)
        assert name in str(e.value), (method, params, str(e.value))
    assert d.state('s') == 'inactive'
    assert jobs_of(d) == []


def test_auto_start_services_come_up_with_the_daemon(daemon):
    d = daemon('''
[services.a]
deployment = { mode = "binary", binary = { binary_path = "/bin/sleep", args = ["1000"] } }
startup = { auto_start = true }
[services.b]
deployment = { mode = "binary", binary = { binary_path = "/bin/sleep", args = ["1000"] } }
''')
    d.wait_state('a', 'running')
    assert d.state('b') == 'inactive'
    status = {s['name']: s for s in d.call('service.status_all')}
    assert status['a']['state'] == 'running' and status['a']['wanted'] == 'spec'
    assert status['b']['state'] == 'inactive'


def test_daemon_stop_leaves_no_process_behind(home):
    cfg = home / 'services.toml'
    pidfile = home / 'gc.pid'
    cfg.write_text(f'''
[services.tree]
deployment = {{ mode = "binary", binary = {{ binary_path = "/bin/sh", args = ["-c", "sleep 1000 & echo $! > {pidfile}; wait"] }} }}
startup = {{ auto_start = true }}
''')
    d = Daemon(home, cfg).start()
    d.wait_for(lambda: pidfile.exists() and pidfile.read_text().strip(), what='grandchild')
    grandchild = int(pidfile.read_text())
    main = d.call('service.status', {'name': 'tree'})['pid']
    assert d.stop() == 0
    assert not alive(main) and not alive(grandchild)


def test_a_closed_terminal_stops_every_service_too(home):
    # SIGHUP (the terminal running `tend daemon` went away) must not leave
    # the services running without their supervisor.
    cfg = home / 'services.toml'
    cfg.write_text('''
[services.web]
deployment = { mode = "binary", binary = { binary_path = "/bin/sleep", args = ["1000"] } }
startup = { auto_start = true }
''')
    d = Daemon(home, cfg).start()
    pid = d.wait_for(lambda: d.call('service.status', {'name': 'web'})['pid'], what='web')
    d.proc.send_signal(signal.SIGHUP)
    assert d.proc.wait(20) == 0
    assert not alive(pid)
    assert 'SIGHUP' in d.output() or 'Hangup' in d.output()


def test_chatty_child_does_not_stall_the_daemon(daemon, home):
    d = daemon('''
[services.chatty]
deployment = { mode = "binary", binary = { binary_path = "/usr/bin/yes", args = ["a line of output that is written as fast as possible"] } }
''')
    d.call('service.start', {'name': 'chatty'})
    d.wait_state('chatty', 'running')
    for _ in range(50):
        assert d.call('service.status', {'name': 'chatty'})['state'] == 'running'
    d.call('service.stop', {'name': 'chatty'})
    d.wait_state('chatty', 'inactive')


def test_daemon_is_valgrind_clean(home):
    """A whole scenario (start with dependencies, a workflow, stop, a
    standalone job, apply, delete, shutdown) under valgrind: no invalid
    access, no leak."""
    import shutil
    import subprocess
    valgrind = shutil.which('valgrind')
    if not valgrind or 'asan' in os.environ.get('TEND_BIN', ''):
        pytest.skip('needs valgrind and a build without sanitizers')
    cfg = home / 'services.toml'
    cfg.write_text(Path(__file__).resolve().parents[2].joinpath('examples/services.toml').read_text())
    d = Daemon(home, cfg, valgrind=[valgrind, *VALGRIND_ARGS])
    d.start(timeout=60)
    try:
        d.call('service.start', {'name': 'api-gateway'})
        d.wait_state('api-gateway', 'running', timeout=30)
        d.call('service.start', {'name': 'app'})
        d.wait_state('app', 'running', timeout=30)
        d.call('service.stop', {'name': 'app', 'remove_jobs': True})
        d.call('job.create', {'action': 'app-warmup'})
        d.call('service.delete', {'name': 'coredns'})
        d.call('service.status_all')
        d.call('service.health_all')
        d.call('service.preflight')
    finally:
        code = d.stop(timeout=60)
    assert code == 0, d.output()
    assert '==' not in d.output(), d.output()


def test_a_container_with_no_engine_to_run_on_is_refused_in_words(daemon, home):
    # A docker CLI whose engine does not answer, and no podman: nothing can
    # run the container, and what depends on it is refused too.
    stand_in(home.parent / 'bin', docker='exit 0')
    d = daemon('''
[services.coredns]
deployment = { mode = "docker", docker = { image = "coredns/coredns:1.11.1" } }
[services.web]
dependencies = ["coredns"]
deployment = { mode = "binary", binary = { binary_path = "/bin/sleep", args = ["1000"] } }
''', env={'PATH': str(home.parent / 'bin'), 'DOCKER_HOST': f'unix://{home}/none.sock'})
    for name in ('coredns', 'web'):
        with pytest.raises(RpcError) as e:
            d.call('service.start', {'name': name})
        assert 'Pre-flight check failed: container_cli\ncoredns: ' in e.value.message
        assert (f'docker is installed but its engine does not answer ({home}/none.sock: '
                'No such file or directory), and podman is not installed') in e.value.message
    assert d.state('web') == 'inactive'
    assert jobs_of(d) == []


def test_logs_are_timestamped_tagged_and_long_lines_cut(daemon, home):
    d = daemon('''
[actions.talk]
kind = "oneshot"
interpreter = "sh"
script = "echo to-stdout; echo to-stderr >&2; head -c 20000 /dev/zero | tr '\\\\0' x; echo; printf 'no newline at the end'"
[services.talk]
actions = ["talk"]
''')
    d.call('service.start', {'name': 'talk'})
    d.wait_state('talk', 'success')
    job = d.call('job.list', {'service_id': 'talk'})[0]
    # stdout and stderr are two pipes: each keeps its order, not their mix.
    d.wait_for(lambda: Path(job['log_path']).exists() and
               Path(job['log_path']).read_text().count('\n') == 4, what='4 lines logged')
    lines = Path(job['log_path']).read_text().splitlines()
    out = [l for l in lines if l.split(' ')[1] == 'out']
    err = [l for l in lines if l.split(' ')[1] == 'err']
    stamp, stream, text = out[0].split(' ', 2)
    assert re.fullmatch(r'\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z', stamp)
    assert text == 'to-stdout'
    assert [l.split(' ', 1)[1] for l in err] == ['err to-stderr']
    assert out[1].endswith(' [line cut]') and len(out[1]) < 17000
    assert out[2].split(' ', 1)[1] == 'out no newline at the end'
    tail = d.call('logs.tail', {'name': 'talk', 'lines': 4})['lines']
    assert sorted(l['text'][:5] for l in tail) == ['no ne', 'to-st', 'to-st', 'xxxxx']


def test_logs_stay_within_the_service_budget(daemon, home):
    d = daemon('''
[services.noisy]
log_max_bytes = 262144
deployment = { mode = "binary", binary = { binary_path = "/bin/sh", args = ["-c", "i=0; while [ $i -lt 3000 ]; do echo line $i; i=$((i+1)); done; exit 1"] } }
startup = { max_restarts = 12, restart_delay = 0.01, restart_delay_max = 0.02 }
''')
    d.call('service.start', {'name': 'noisy'})
    d.wait_state('noisy', 'failed', timeout=30)
    logs = home / 'logs' / 'noisy'
    total = sum(f.stat().st_size for f in logs.iterdir())
    assert total <= 262144 + 65536  # the budget, give or take the file being written
    newest = max(logs.glob('*.log'), key=lambda f: int(f.name.split('.')[0]))
    assert newest.read_text().splitlines()[-1].split(' ', 1)[1] == 'out line 2999'
    tail = d.call('logs.tail', {'name': 'noisy', 'lines': 3})['lines']
    assert [l['text'] for l in tail] == ['line 2997', 'line 2998', 'line 2999']


def test_action_runs_as_its_user(daemon, home):
    if os.geteuid() != 0:
        pytest.skip('switching users needs root')
    d = daemon('''
[actions.whoami]
kind = "oneshot"
user = "nobody"
exec = ["/bin/sh", "-c", "echo uid=$(id -u) home=$HOME"]
[services.who]
actions = ["whoami"]
''')
    d.call('service.start', {'name': 'who'})
    d.wait_state('who', 'success')
    d.wait_for(lambda: d.call('logs.tail', {'name': 'who'})['lines'], what='output')
    assert d.call('logs.tail', {'name': 'who'})['lines'][0]['text'] == 'uid=65534 home=/nonexistent'


def test_missing_program_fails_the_job_with_the_reason(daemon):
    d = daemon('''
[services.ghost]
deployment = { mode = "binary", binary = { binary_path = "/no/such/program" } }
startup = { max_restarts = 0 }
''')
    # Pre-flight refuses it in words and changes nothing ...
    with pytest.raises(RpcError) as e:
        d.call('service.start', {'name': 'ghost'})
    assert e.value.message == 'Pre-flight check failed: binary\nghost: Binary not found: /no/such/program'
    assert d.state('ghost') == 'inactive'
    assert jobs_of(d, service_id='ghost') == []
    # ... and with force the job itself fails with exec's reason.
    d.call('service.start', {'name': 'ghost', 'force': True})
    d.wait_state('ghost', 'failed')
    job = jobs_of(d, service_id='ghost')[0]
    assert job['phase'] == 'failed'
    assert job['error'] == 'exec /no/such/program: No such file or directory'
    assert 'exec /no/such/program: No such file or directory' in d.call('service.status', {'name': 'ghost'})['reason']


def test_spawning_on_the_loop_as_on_one_cpu(home, monkeypatch):
    """With no spawn threads (one CPU), the same workflow comes up the same way."""
    monkeypatch.setenv('TEND_SPAWN_THREADS', '0')
    cfg = home / 'services.toml'
    cfg.write_text('''
[actions.prepare]
kind = "oneshot"
interpreter = "sh"
script = "exit 0"
[actions.serve]
exec = ["/bin/sleep", "1000"]
depends_on = { requires = ["prepare"] }
[services.app]
actions = ["prepare", "serve"]
[services.crash]
deployment = { mode = "binary", binary = { binary_path = "/bin/sh", args = ["-c", "exit 2"] } }
startup = { max_restarts = 2, restart_delay = 0.01 }
''')
    d = Daemon(home, cfg).start()
    try:
        d.call('service.start', {'name': 'app'})
        d.wait_state('app', 'running')
        d.call('service.start', {'name': 'crash'})
        d.wait_state('crash', 'failed')
        assert len(jobs_of(d, service_id='crash')) == 3
        d.call('service.stop', {'name': 'app'})
        d.wait_state('app', 'inactive')
    finally:
        assert d.stop() == 0
