"""Adoption: `kill -9` of the daemon loses no process and doubles none. The
next daemon on the same TEND_HOME (started by hand or by a client's
autostart) takes over every job whose process still runs: same job and run
ids, same pid, its uptime kept; a job whose process ended while no daemon
ran is recorded so and restarted as its policy says; a retry waiting in
backoff keeps its due time. Processes are found by markers the test alone
uses (`sleep 2000.<random>`), killed by the pids the daemon reported."""
import concurrent.futures
import os
import re
import signal
import socket
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from daemon import (Daemon, TEND_BIN, alive, crash, free_port, main_pid_of as main_pid, sleeping,
                    tend_env, with_marker)

SLEEPERS = 48



def registry(marks, home):
    sleepers = {f's{i:02d}': marks(2000) for i in range(SLEEPERS)}
    port = free_port()
    text = ''.join(f'''
[services.{name}]
deployment = {{ mode = "binary", binary = {{ binary_path = "/bin/sleep", args = ["{mark}"] }} }}
startup = {{ auto_start = true }}
''' for name, mark in sleepers.items())
    # Crashes at once, waits 3 s between tries: in backoff when tend dies.
    text += '''
[services.flaky]
deployment = { mode = "binary", binary = { binary_path = "/bin/sh", args = ["-c", "exit 3"] } }
startup = { auto_start = true, restart = "always", restart_delay = 3, restart_delay_max = 3, max_restarts = 50, restart_window = 600 }
[services.chatty]
deployment = { mode = "binary", binary = { binary_path = "/bin/sh", args = ["-c", "i=0; while :; do i=$((i+1)); echo line $i; sleep 0.02; done"] } }
startup = { auto_start = true }
[actions.batch]
kind = "oneshot"
interpreter = "sh"
script = "sleep 1.5; echo done"
[services.batch]
actions = ["batch"]
startup = { auto_start = true }
'''
    # An HTTP server with a health check (interval 0.2 s).
    text += f'''
[services.web]
deployment = {{ mode = "binary", binary = {{ binary_path = "/usr/bin/python3", args = ["-m", "http.server", "{port}", "--bind", "127.0.0.1"] }} }}
startup = {{ auto_start = true }}
[services.web.health_check]
type = "http"
interval = 0.2
retries = 2
timeout = 2
[services.web.health_check.http]
endpoint = "http://127.0.0.1:{port}/"
'''
    return sleepers, text


def chatty_lines(home, job_id):
    numbers = []
    for line in (home / 'logs' / 'chatty' / f'{job_id}.log').read_text().splitlines():
        parts = line.split()
        if len(parts) == 4 and parts[1] == 'out' and parts[2] == 'line':
            numbers.append(int(parts[3]))
    return numbers


@pytest.mark.parametrize('killed', ['main', 'keeper', 'both'])
def test_kill_9_of_tend_loses_nothing_and_doubles_nothing(home, marks, killed):
    sleepers, text = registry(marks, home)
    cfg = home / 'services.toml'
    cfg.write_text(text)
    d = Daemon(home, cfg).start()
    for name in sleepers:
        d.wait_state(name, 'running')
    d.wait_state('chatty', 'running')
    d.wait_state('web', 'running')  # healthy: running waits for its check
    d.wait_for(lambda: len(d.call('job.list', {'service_id': 'flaky'})) >= 2, what='flaky in backoff')
    before = {name: d.call('service.status', {'name': name}) for name in sleepers}
    chatty = d.call('service.status', {'name': 'chatty'})
    web = d.call('service.status', {'name': 'web'})
    assert web['health']['status'] == 'healthy', web
    jobs_before = {j['id']: j for j in d.call('job.list')}
    runs_before = {r['id'] for r in d.call('run.list')}
    flaky_pending = [j for j in d.call('job.list', {'service_id': 'flaky'}) if j['phase'] == 'pending']
    batch = d.call('service.status', {'name': 'batch'})
    assert len(flaky_pending) == 1 and batch['jobs'][0]['phase'] == 'running'
    # Killed while no main process runs (with only the keeper killed, the
    # main process runs on: no victim then).
    victim = 's07' if killed != 'keeper' else None
    keeper = d.proc.pid
    main = main_pid(keeper)

    if killed == 'main':
        # The keeper starts a new main process; held still meanwhile, so
        # that the victim dies while no main process runs.
        os.kill(keeper, signal.SIGSTOP)
        os.kill(main, signal.SIGKILL)
        os.kill(before[victim]['pid'], signal.SIGKILL)
        while alive(main):
            time.sleep(0.01)
        # A client that asks now is not refused: the keeper holds the API's
        # socket, and the question waits in it for the next main process.
        waiting = concurrent.futures.ThreadPoolExecutor(1).submit(
            d.call, 'service.status', {'name': 's00'})
        time.sleep(0.2)  # output piles up in the pipes meanwhile
        assert not waiting.done()
        os.kill(keeper, signal.SIGCONT)
        again = d
        assert waiting.result(timeout=20)['pid'] == before['s00']['pid']
        again.wait_for(lambda: main_pid(keeper) not in (None, main), what='a new main process')
        again.wait_for(lambda: 'took over from the daemon before' in again.output(), what='adoption')
    else:
        if killed == 'keeper':
            os.kill(keeper, signal.SIGKILL)
            d.proc.wait()
            d.wait_for(lambda: 'goes on alone' in d.output(), what='the main process alone')
        else:
            crash(d)
            os.kill(before[victim]['pid'], signal.SIGKILL)
            d.wait_for(lambda: not alive(before[victim]['pid']), what='the victim gone')
        again = Daemon(home).start()  # no -c: the stored registry, as systemd would
        if killed == 'keeper':
            # (The old main process answers until it has handed over.)
            again.wait_for(lambda: not alive(main), what='the old main process gone')
        again.wait_for(lambda: again.output().count('took over from the daemon before') == 1,
                       what="the new main process's adoption")
    def answers():
        try:
            return again.call('service.list') is not None
        except OSError:  # the new main process adopts first, then listens
            return False
    again.wait_for(answers, what='the new main process answering')
    try:
        out = again.output()
        adopted = int(re.search(r'(\d+) running process\(es\) adopted', out).group(1))
        assert adopted >= SLEEPERS - (1 if victim else 0), out
        if killed == 'keeper':
            assert f'took over from the main process (pid {main})' in out
        now = sleeping()
        for name, mark in sleepers.items():
            if name == victim:  # restarted by its policy: below
                continue
            status = again.call('service.status', {'name': name})
            assert len(now.get(mark, [])) == 1, (name, now.get(mark))  # never twice
            assert status['state'] == 'running', status
            assert status['pid'] == before[name]['pid']
            assert status['jobs'][0]['id'] == before[name]['jobs'][0]['id']
            assert status['run_id'] == before[name]['run_id']
            assert status['uptime'] >= before[name]['uptime']  # it kept its start
        # Same jobs, same runs: ids continue, history intact.
        jobs_after = {j['id']: j for j in again.call('job.list')}
        for job_id, job in jobs_before.items():
            assert job_id in jobs_after
            if job['phase'] == 'running' and job['service_id'] not in (victim, 'chatty', 'batch'):
                assert jobs_after[job_id]['phase'] == 'running'
                assert jobs_after[job_id]['pid'] == job['pid']
                assert jobs_after[job_id]['run_id'] == job['run_id']
        assert runs_before <= {r['id'] for r in again.call('run.list')}
        # The HTTP server, the same process, is checked again by the new
        # main process and found healthy. (With both tend processes killed
        # its output pipe has no reader: its request log then breaks every
        # answer, and it stays `starting`, as a service whose check never
        # passed does.)
        if killed != 'both':
            crashed_at = time.time()
            again.wait_for(lambda: (lambda h: h['status'] == 'healthy' and h['checked_at'] > crashed_at)(
                again.call('service.health', {'name': 'web'})), what='web checked healthy again')
            assert again.call('service.status', {'name': 'web'})['pid'] == web['pid']
            assert again.state('web') == 'running'
        # The victim: recorded, restarted by its policy, explained.
        if victim:
            again.wait_for(lambda: again.call('service.status', {'name': victim})['pid'] not in
                           (None, before[victim]['pid']), what='the victim restarted')
            assert len(with_marker(sleepers[victim])) == 1
            dead = again.call('job.get', {'id': before[victim]['jobs'][0]['id']})
            assert dead['phase'] == 'failed', dead
            assert dead['error'].startswith('ended while the daemon was down'), dead
            assert 'ended while the daemon was down' in again.tend('why', victim).stdout
        # The backoff goes on from where it was: the same pending job runs.
        again.wait_for(lambda: any(j['id'] == flaky_pending[0]['id'] and j['phase'] == 'failed'
                                   for j in again.call('job.list', {'service_id': 'flaky'})),
                       timeout=10, what='the retry that was pending ran')
        if killed != 'both':
            # With a keeper alive, or a main process that handed its pipes
            # over to the new one, no output is lost: the chatty service
            # lives on and every line it wrote is in its one log, in order.
            assert again.call('service.status', {'name': 'chatty'})['pid'] == chatty['pid']
            job = chatty['jobs'][0]['id']
            again.wait_for(lambda: chatty_lines(home, job)[-1:] > [chatty_lines(home, job)[0] + 30],
                           what='chatty lines after the gap')
            numbers = chatty_lines(home, job)
            assert numbers == list(range(numbers[0], numbers[0] + len(numbers))), numbers
        if killed == 'main':
            # The keeper reaped the oneshot meanwhile: its exit reached the
            # new main process.
            again.wait_for(lambda: again.call('job.get', {'id': batch['jobs'][0]['id']})['phase']
                           == 'succeeded', timeout=10, what='the oneshot succeeded')
    finally:
        assert again.stop() == 0, again.output()
    now = sleeping()
    for name, mark in sleepers.items():
        assert mark not in now, name  # SIGTERM of the new daemon stops the adopted ones too
    # No cgroup is left behind, not even those of jobs that ended meanwhile.
    for group in re.findall(r'cgroup v2 \((/[^)]+)\)', again.output()):
        assert not Path(group).exists(), sorted(os.listdir(group))


def start_web(home, mark, args=()):
    """A daemon with one service, web (`sleep MARK`), running."""
    cfg = home / 'services.toml'
    cfg.write_text(f'''
[services.web]
deployment = {{ mode = "binary", binary = {{ binary_path = "/bin/sleep", args = ["{mark}"] }} }}
startup = {{ auto_start = true }}
''')
    d = Daemon(home, cfg, extra_args=list(args)).start()
    d.wait_state('web', 'running')
    return d


def test_a_client_after_a_crash_autostarts_a_daemon_that_adopts(home, marks):
    mark = marks(2000)
    d = start_web(home, mark)
    pid = d.call('service.status', {'name': 'web'})['pid']
    crash(d)
    client = subprocess.run([TEND_BIN, 'services', 'status', 'web'], capture_output=True, text=True,
                            env=tend_env(home), timeout=30)
    try:
        assert client.returncode == 0, client.stderr
        assert 'tend: started a daemon' in client.stderr
        assert 'it took over 1 running process(es) left by the daemon before it' in client.stderr
        assert f'PID: {pid}' in client.stdout
        assert with_marker(mark) == [pid]
    finally:
        daemon_pid = int((home / 'daemon.lock').read_text())
        os.kill(daemon_pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        while alive(daemon_pid) and time.monotonic() < deadline:
            time.sleep(0.02)
    assert not alive(daemon_pid) and not with_marker(mark)


@pytest.mark.parametrize('args', [[], ['--no-cgroups']], ids=['cgroup', 'fallback'])
def test_a_reused_pid_is_never_taken_for_a_job(home, marks, args):
    # The job's row names a process that is gone; another process holds the
    # pid now (this test's own sleep): the new daemon must not adopt it, by
    # its start time (and its cgroup, where there is one).
    mark = marks(2000)
    d = start_web(home, mark, args)
    old = d.call('service.status', {'name': 'web'})['pid']
    crash(d)
    os.kill(old, signal.SIGKILL)
    d.wait_for(lambda: not alive(old), what='the old process gone')
    stranger = subprocess.Popen(['sleep', marks(2000)])
    db = sqlite3.connect(home / 'tend.db')
    db.execute('UPDATE jobs SET pid = ? WHERE service_id = ? AND phase = ?', (stranger.pid, 'web', 'running'))
    db.commit()
    db.close()
    again = Daemon(home, extra_args=args).start()
    try:
        again.wait_state('web', 'running')
        assert again.call('service.status', {'name': 'web'})['pid'] not in (old, stranger.pid)
        assert stranger.poll() is None, 'the stranger was taken for the job and stopped'
    finally:
        assert again.stop() == 0
        assert stranger.poll() is None
        stranger.kill()
        stranger.wait()


READY_ON_SIGNAL = '''
import os, signal, socket, sys, time
path = os.environ["NOTIFY_SOCKET"]
path = "\\0" + path[1:] if path.startswith("@") else path
go = []
signal.signal(signal.SIGUSR1, lambda *_: go.append(1))
open(sys.argv[1], "w").close()  # the handler is in place
while not go:
    signal.pause()
socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM).sendto(b"READY=1", path)
time.sleep(1000)
'''


@pytest.mark.parametrize('killed', ['main', 'both'])
def test_a_job_still_to_say_ready_is_heard_by_the_next_main_process(home, killed):
    # ready = "notify": the job was starting when the main process died.
    # Its NOTIFY_SOCKET is named after the keeper: the next main process
    # listens there again (under the name the job was given, even when the
    # keeper died too), and READY=1 makes it running.
    script = home / 'ready.py'
    script.write_text(READY_ON_SIGNAL)
    cfg = home / 'services.toml'
    cfg.write_text(f'''
[actions.slow]
exec = ["/usr/bin/python3", "{script}", "{home / 'listening'}"]
ready = "notify"
[services.slow]
actions = ["slow"]
startup = {{ auto_start = true }}
''')
    d = Daemon(home, cfg).start()
    try:
        d.wait_for((home / 'listening').exists, what='slow waiting for its signal')
        status = d.call('service.status', {'name': 'slow'})
        assert status['state'] == 'starting'
        if killed == 'main':
            main = d.main_pid()
            os.kill(main, signal.SIGKILL)
            d.wait_for(lambda: d.main_pid() not in (None, main) and
                       d.output().count('took over from the daemon before') == 1, what='adopted')
            d.wait_for(lambda: d.call('service.list') is not None, what='answering')
        else:
            crash(d)
            d = Daemon(home, cfg).start()
        assert d.state('slow') == 'starting'  # not taken for running: it has not said so
        os.kill(status['pid'], signal.SIGUSR1)
        d.wait_state('slow', 'running')
        job = d.call('job.get', {'id': status['jobs'][0]['id']})
        assert job['phase'] == 'running' and job['pid'] == status['pid']
    finally:
        assert d.stop() == 0, d.output()


# ---- a crash of the main process while a start is under way ----------------
#
# A start goes: the job's row (pending, then starting) is written in the
# loop iteration's batch; the spawn runs on a spawner thread, and the pid it
# gives reaches the store in a later iteration. A kill -9 of the main
# process may fall anywhere in between. Whatever it hits, the main process
# the keeper starts next must end up with exactly one process per service,
# the one its store calls running, and nothing it cannot stop.

def wait_for_next_main(d, main):
    """Until a main process other than main answers (the keeper starts it)."""
    def answers():
        if d.main_pid() in (None, main):
            return False
        try:
            return d.call('service.list') is not None
        except OSError:
            return False
    d.wait_for(answers, timeout=20, what='the next main process answering')


def start_service_and_crash(d, names, marks, flag, pause):
    """service.set and service.start of each name (one action `sleep
    MARK`, a file health check on flag), then kill -9 of the main process
    `pause` seconds later; returns {name: mark} once the next main process
    answers."""
    made = {}
    for name in names:
        made[name] = marks(2000)
        d.call('action.set', {'name': name, 'spec': {'exec': ['sleep', made[name]]}})
        d.call('service.set', {'name': name, 'spec': {
            'actions': [name],
            'health_check': {'type': 'file', 'interval': 0.1, 'file': {'path': str(flag)}}}})
    main = d.main_pid()
    for name in names:
        d.call('service.start', {'name': name})
    if pause:
        time.sleep(pause)
    os.kill(main, signal.SIGKILL)

    wait_for_next_main(d, main)
    return made


def assert_one_process_each(d, made):
    """Each service runs again, as exactly one `sleep MARK`: the job its
    store calls running; no job claims a pid that does not run."""
    for name, mark in made.items():
        d.wait_state(name, 'running', timeout=15)
    # Give a doubled or late process time to show.
    time.sleep(0.3)
    for name, mark in made.items():
        status = d.call('service.status', {'name': name})
        assert status['state'] == 'running', status
        assert with_marker(mark) == [status['pid']], (name, status, with_marker(mark),
                                                      d.call('job.list', {'service_id': name}))
        jobs = d.call('job.list', {'service_id': name})
        running = [j for j in jobs if j['phase'] == 'running']
        assert [j['pid'] for j in running] == [status['pid']], jobs
        for job in jobs:
            if job.get('pid'):
                assert alive(job['pid']) and job['pid'] in with_marker(mark), (job, jobs)


@pytest.mark.parametrize('args', [[], ['--no-cgroups']], ids=['cgroup', 'fallback'])
@pytest.mark.parametrize('services', [1, 4], ids=['one', 'four-together'])
def test_a_crash_of_the_main_process_during_a_start_loses_and_doubles_nothing(tmp_path, marks,
                                                                                services, args):
    flag = tmp_path / 'healthy'
    flag.write_text('')
    all_marks = []
    for i in range(20):
        # A new daemon every round: the keeper waits longer after each
        # crash in a row, and one round is one start that a crash cut.
        home = tmp_path / f'home{i}'
        home.mkdir()
        d = Daemon(home, extra_args=args).start()
        try:
            names = [f's{i}x{k}' for k in range(services)]
            # Killed at once, or a little later: each round lands elsewhere
            # in the start (row, spawn, pid stored).
            made = start_service_and_crash(d, names, marks, flag, (i % 5) * 0.002)
            all_marks += made.values()
            assert_one_process_each(d, made)
        finally:
            code = d.stop()
        assert code == 0, d.output()
        left = {mark: with_marker(mark) for mark in made.values() if with_marker(mark)}
        assert not left, (left, d.output())
    now = sleeping()
    assert not [mark for mark in all_marks if mark in now]


def crash_main_and_edit_store(d, home, sql):
    """kill -9 of the main process while the keeper is held still, the
    store edited meanwhile (to be what a crash at another moment of a
    start leaves), then the next main process answering."""
    keeper, main = d.proc.pid, d.main_pid()
    os.kill(keeper, signal.SIGSTOP)
    try:
        os.kill(main, signal.SIGKILL)
        while alive(main):
            time.sleep(0.01)
        db = sqlite3.connect(home / 'tend.db')
        db.execute('PRAGMA foreign_keys = ON')
        db.executescript(sql)
        db.commit()
        db.close()
    finally:
        os.kill(keeper, signal.SIGCONT)

    wait_for_next_main(d, main)


# What the store says of the job when the main process died: its row
# still `starting` with no pid (the pid was on its way), still `pending`
# (the spawn ran before the row's next write), or no row at all (the
# batch with it was never committed: its ids come again).
STORE_LEFT = {
    'starting': "UPDATE jobs SET phase = 'starting', pid = NULL, proc_start = NULL, "
                "started_at = NULL;",
    'pending': "UPDATE jobs SET phase = 'pending', pid = NULL, proc_start = NULL, "
               "started_at = NULL;",
    'unwritten': "DELETE FROM events WHERE run_id IS NOT NULL OR job_id IS NOT NULL;"
                 "DELETE FROM runs;"
                 "UPDATE sqlite_sequence SET seq = 0 WHERE name IN ('runs', 'jobs');",
}


@pytest.mark.parametrize('args', [[], ['--no-cgroups']], ids=['cgroup', 'fallback'])
@pytest.mark.parametrize('left', list(STORE_LEFT))
def test_a_process_the_store_cannot_name_is_adopted_or_killed_never_doubled(home, marks, args,
                                                                             left):
    mark = marks(2000)
    d = start_web(home, mark, args)
    try:
        old = d.call('service.status', {'name': 'web'})
        crash_main_and_edit_store(d, home, STORE_LEFT[left])
        d.wait_state('web', 'running')
        time.sleep(0.3)  # a doubled process would show by now
        status = d.call('service.status', {'name': 'web'})
        assert with_marker(mark) == [status['pid']], (status, with_marker(mark))
        jobs = d.call('job.list', {'service_id': 'web'})
        assert [j["phase"] for j in jobs] == ["running"], [(j["id"], j["phase"], j.get("error")) for j in jobs]
        if left == 'starting':
            # Found in its unit, and taken over: the same process, the same job.
            assert status['pid'] == old['pid']
            assert jobs[0]['id'] == old['jobs'][0]['id']
            assert '1 running process(es) adopted' in d.output()
        else:
            # Nobody's: killed before the job (the same one, or one with
            # its id) started again.
            assert status['pid'] != old['pid'] and not alive(old['pid'])
    finally:
        assert d.stop() == 0, d.output()
    assert not with_marker(mark)
