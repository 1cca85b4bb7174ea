"""The action keys of a binary service (user, stop_signal, stop_timeout,
ready, timeout) with a real PostgreSQL 15 (Debian's postgresql package):
initdb'd by the test as user postgres, run by tend as a binary service
with stop_signal = "SIGINT" (its fast shutdown) and user = "postgres";
a stop shuts it down cleanly, so the next start needs no crash recovery.
And the registry errors of those keys, at file:line:col."""
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from daemon import Daemon, free_port

PG_BIN = Path('/usr/lib/postgresql/15/bin')



@pytest.fixture
def pg_dir():
    """A folder of user postgres's own (pytest's tmp_path is root's alone,
    0700, where postgres could not go), removed afterwards."""
    if os.geteuid() != 0:
        pytest.skip('running postgres as user postgres needs root')
    if not (PG_BIN / 'postgres').exists():
        pytest.skip('postgresql 15 is not installed (scripts/setup.sh installs it)')
    pg = pwd.getpwnam('postgres')
    top = Path(tempfile.mkdtemp(prefix='tend-pg-'))
    os.chmod(top, 0o755)
    for sub in ('data', 'sock'):
        (top / sub).mkdir(mode=0o700)
        os.chown(top / sub, pg.pw_uid, pg.pw_gid)
    yield top
    shutil.rmtree(top, ignore_errors=True)


def job_log(d, job):
    return Path(d.call('job.get', {'id': job['id']})['log_path']).read_text(errors='replace')


def log_saying(d, job, words):
    """The job's log once it has words in it, else None."""
    log = job_log(d, job)
    return log if words in log else None


def pg_jobs(d):
    return sorted(d.call('job.list', {'service_id': 'pg'}), key=lambda j: j['id'])


def test_postgres_stops_cleanly_with_sigint_as_its_user(pg_dir, home):
    data, sock = pg_dir / 'data', pg_dir / 'sock'
    init = subprocess.run(['runuser', '-u', 'postgres', '--', str(PG_BIN / 'initdb'), '-D',
                           str(data), '--auth=trust', '--no-sync'],
                          capture_output=True, text=True, timeout=120)
    assert init.returncode == 0, init.stdout + init.stderr
    port = free_port()
    cfg = home / 'services.toml'
    cfg.write_text(f'''
[services.pg]
health_check = {{ type = "tcp", interval = 1, tcp = {{ host = "127.0.0.1", port = {port} }} }}
startup = {{ start_timeout = 60, restart = "never" }}
[services.pg.deployment]
mode = "binary"
[services.pg.deployment.binary]
binary_path = "{PG_BIN / 'postgres'}"
args = ["-D", "{data}", "-p", "{port}", "-c", "listen_addresses=127.0.0.1",
        "-c", "unix_socket_directories={sock}", "-c", "logging_collector=off"]
user = "postgres"
stop_signal = "SIGINT"
stop_timeout = 60
''')
    d = Daemon(home, cfg).start()
    try:
        spec = d.call('service.get', {'name': 'pg'})['deployment']['binary']
        assert spec['user'] == 'postgres' and spec['stop_signal'] == 'SIGINT'
        assert d.call('action.get', {'name': 'pg'})['stop_signal'] == 'SIGINT'
        d.call('service.start', {'name': 'pg'})
        d.wait_state('pg', 'running', timeout=60)
        [first] = pg_jobs(d)
        # It runs as postgres (which it insists on: it refuses to run as root).
        assert os.stat(f'/proc/{first["pid"]}').st_uid == pwd.getpwnam('postgres').pw_uid
        d.call('service.stop', {'name': 'pg'})
        d.wait_state('pg', 'inactive', timeout=60)
        log = job_log(d, first)
        assert 'received fast shutdown request' in log, log  # SIGINT, not SIGTERM's smart one
        assert 'database system is shut down' in log, log
        assert pg_jobs(d)[0]['phase'] == 'cancelled'
        d.call('service.start', {'name': 'pg'})
        d.wait_state('pg', 'running', timeout=60)
        second = pg_jobs(d)[-1]
        assert second['id'] != first['id']
        # Its port answers a moment before its log says so, through a pipe.
        log = d.wait_for(lambda: log_saying(d, second, 'ready to accept connections'),
                         what='postgres to log that it is ready')
        assert 'database system was not properly shut down' not in log, log
        assert 'automatic recovery' not in log, log
        assert 'database system was shut down at' in log, log
        d.call('service.stop', {'name': 'pg'})
        d.wait_state('pg', 'inactive', timeout=60)
        assert 'database system is shut down' in job_log(d, second)
    finally:
        assert d.stop(timeout=90) == 0, d.output()


def test_binary_ready_and_timeout_reach_the_job(home, marks):
    cfg = home / 'services.toml'
    cfg.write_text(f'''
[services.brief]
startup = {{ restart = "never" }}
deployment = {{ mode = "binary", binary = {{ binary_path = "/bin/sleep", args = ["{marks()}"], timeout = 0.3 }} }}
[services.notifier]
startup = {{ restart = "never", start_timeout = 0 }}
deployment = {{ mode = "binary", binary = {{ binary_path = "/bin/sh", args = ["-c", "exec sleep {marks()}"], ready = "notify" }} }}
''')
    d = Daemon(home, cfg).start()
    try:
        d.call('service.start', {'name': 'brief'})
        d.wait_state('brief', 'failed', timeout=10)
        [job] = d.call('job.list', {'service_id': 'brief'})
        assert job['error'] == 'timed out after 0.3 s'
        # Never says READY=1: starting, for as long as it runs.
        d.call('service.start', {'name': 'notifier'})
        d.wait_for(lambda: d.call('job.list', {'service_id': 'notifier'})[0]['pid'], what='pid')
        assert d.state('notifier') == 'starting'
        assert d.call('job.list', {'service_id': 'notifier'})[0]['phase'] == 'starting'
    finally:
        assert d.stop() == 0, d.output()


def test_bad_binary_keys_name_file_line_and_column(tend, registry):
    path = registry('''
[services.db.deployment]
mode = "binary"
[services.db.deployment.binary]
binary_path = "/bin/true"
stop_signal = "SIGBOGUS"
stop_timeout = -3
timeout = -1
ready = "eventually"
''')
    r = tend('validate', '-c', path)
    assert r.returncode == 1, r.stdout
    p = 'services.db.deployment.binary'
    assert f"{path}:6:15: error: '{p}.stop_signal': expected a signal name such as \"SIGTERM\" or \"INT\"" in r.stderr
    assert f"{path}:7:16: error: '{p}.stop_timeout': expected a number of seconds from 0 to 86400" in r.stderr
    assert f"{path}:8:11: error: '{p}.timeout': expected a number of seconds from 0 to" in r.stderr
    assert f"{path}:9:9: error: '{p}.ready'" in r.stderr
    # SIGKILL is not a stop signal there either, as on actions.
    path = registry('[services.db]\ndeployment = { mode = "binary", binary = { binary_path = "/bin/true", stop_signal = 9 } }\n')
    r = tend('validate', '-c', path)
    assert r.returncode == 1
    assert f"{path}:2:85: error: 'services.db.deployment.binary.stop_signal'" in r.stderr
