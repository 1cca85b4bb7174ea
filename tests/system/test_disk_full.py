"""A full disk under TEND_HOME: supervision goes on, the daemon says (once)
that the history cannot be written and holds it in memory, and once there
is room again the history is complete — every restart its own job id, no
row left active — with the outage itself in the events and the metrics.

Needs root, for a small tmpfs of its own (mounted on the test's TEND_HOME,
unmounted at the end); the store's side of it also runs without root, in
tests/unit/test_store.c (a database limited by PRAGMA max_page_count)."""
import errno
import json
import os
import re
import socket
import sqlite3
import subprocess

import pytest

REGISTRY = '''
[services.flaky]
deployment = { mode = "binary", binary = { binary_path = "/bin/sh", args = ["-c", "echo started $$; exec sleep 1000"] } }
startup = { auto_start = true, restart = "always", restart_delay = 0, restart_delay_max = 0.001, max_restarts = 64, restart_window = 600 }
'''

ACTIVE = ('pending', 'starting', 'running', 'stopping')


@pytest.fixture
def small_disk(home):
    """home becomes a 4 MB tmpfs (root only) for the test's daemon."""
    if os.geteuid() != 0:
        pytest.skip('needs root to mount a tmpfs (the unit tests cover the store without it)')
    r = subprocess.run(['mount', '-t', 'tmpfs', '-o', 'size=4m,mode=0700', 'tmpfs', str(home)],
                       capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip(f'cannot mount a tmpfs here: {r.stderr.strip()}')
    yield home
    subprocess.run(['umount', str(home)], check=True)


def fill(path):
    """Writes path until the filesystem has no room left."""
    with open(path, 'wb', buffering=0) as f:
        for size in (1 << 20, 4096, 512):
            chunk = b'\0' * size
            while True:
                try:
                    f.write(chunk)
                except OSError as e:
                    assert e.errno == errno.ENOSPC, e
                    break


def metric(d, name):
    _, body = d.post_get('/metrics')
    m = re.search(rf'^{name} (\S+)$', body.decode(), re.M)
    assert m, f'no {name} in /metrics'
    return float(m.group(1))


class Events:
    """GET /events, read as it comes."""

    def __init__(self, d):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(d.socket)
        self.sock.sendall(b'GET /events HTTP/1.1\r\nHost: x\r\n\r\n')
        self.data = b''

    def until(self, kind, timeout=10):
        self.sock.settimeout(timeout)
        while True:
            evs = [json.loads(line[6:]) for line in self.data.decode(errors='replace').split('\n')
                   if line.startswith('data: {')]
            if any(e['kind'] == kind for e in evs):
                return evs
            chunk = self.sock.recv(65536)
            assert chunk, 'stream closed'
            self.data += chunk


def restart_by_kill(d, times):
    """Kills flaky's process `times` times, each time waiting for the next."""
    for _ in range(times):
        pid = d.wait_for(lambda: d.call('service.status', {'name': 'flaky'})['pid'],
                         what='flaky running')
        d.call('service.kill', {'name': 'flaky', 'signal': 'SIGKILL'})
        d.wait_for(lambda: (d.call('service.status', {'name': 'flaky'})['pid'] or pid) != pid
                   and d.state('flaky') == 'running', what='flaky restarted')


def test_a_full_disk_holds_the_history_and_writes_it_when_there_is_room(small_disk, daemon,
                                                                         tmp_path):
    d = daemon(REGISTRY, output=tmp_path / 'daemon.out')
    d.wait_state('flaky', 'running')
    stream = Events(d)
    assert metric(d, 'tend_store_write_errors_total') == 0

    filler = small_disk / 'filler'
    fill(filler)
    restart_by_kill(d, 20)
    # Supervision went on: 20 restarts, each a new process.
    assert d.call('service.status', {'name': 'flaky'})['restarts'] == 20
    out = d.output()
    assert out.count('tend: cannot write the history (database or disk is full); '
                     'supervision goes on') == 1, out
    stream.until('store.write_failed')
    assert metric(d, 'tend_store_write_errors_total') >= 1
    assert metric(d, 'tend_store_pending_writes') > 0
    assert metric(d, 'tend_log_bytes_dropped_total') > 0
    status = d.call('service.status', {'name': 'flaky'})
    assert status['history']['failing'] is True
    assert status['history']['pending'] > 0
    why = d.tend('why', 'flaky')
    assert re.search(r'^history: not written since .* \(database or disk is full\), \d+ change',
                     why.stdout, re.M), why.stdout
    assert 'History: not written since' in d.tend('services', 'status', 'flaky').stdout
    # The daemon retries on its own (1 s, then 2 s, ...): one retry fails too.
    d.wait_for(lambda: metric(d, 'tend_store_write_errors_total') >= 2, timeout=10,
               what='a retry on the still full disk')

    os.unlink(filler)
    d.wait_for(lambda: 'tend: history written again' in d.output(), timeout=60,
               what='the held history written')
    assert metric(d, 'tend_store_pending_writes') == 0
    assert d.call('service.status', {'name': 'flaky'})['history']['failing'] is False
    assert 'history:' not in d.tend('why', 'flaky').stdout
    stream.until('store.write_recovered')

    jobs = sorted(d.call('job.list', {'service_id': 'flaky'}), key=lambda j: j['id'])
    ids = [j['id'] for j in jobs]
    assert len(ids) == 21 and len(set(ids)) == 21, ids
    assert [j['attempt'] for j in jobs] == list(range(1, 22))
    assert all(j['phase'] == 'failed' for j in jobs[:-1]), jobs
    assert jobs[-1]['phase'] == 'running'
    assert jobs[-1]['pid'] == d.call('service.status', {'name': 'flaky'})['pid']
    kinds = [e['kind'] for e in d.call('events.list', {'limit': 100000})]
    assert kinds.count('store.write_failed') == 1 and kinds.count('store.write_recovered') == 1
    assert kinds.index('store.write_failed') < kinds.index('store.write_recovered')
    assert kinds.count('job.created') == 21

    d.call('service.stop', {'name': 'flaky'})
    d.wait_state('flaky', 'inactive')
    active = [j for j in d.call('job.list', {}) if j['phase'] in ACTIVE]
    assert active == []
    runs = d.call('run.list', {'service': 'flaky'})
    assert runs and all(r['ended_at'] for r in runs), runs
    stream.sock.close()
    assert d.stop() == 0, d.output()
    assert 'history written again' in d.output()


def test_a_daemon_stopped_during_the_outage_writes_what_it_held(small_disk, daemon, tmp_path):
    d = daemon(REGISTRY, output=tmp_path / 'daemon.out')
    d.wait_state('flaky', 'running')
    filler = small_disk / 'filler'
    fill(filler)
    restart_by_kill(d, 5)
    assert metric(d, 'tend_store_pending_writes') > 0
    os.unlink(filler)
    # Stopped before its next retry: the last one is made on the way out.
    assert d.stop() == 0, d.output()
    db = sqlite3.connect(small_disk / 'tend.db')
    try:
        ids = [r[0] for r in db.execute("SELECT id FROM jobs WHERE service_id = 'flaky'")]
        assert len(ids) == 6 and len(set(ids)) == 6, ids
        assert db.execute('SELECT count(*) FROM jobs WHERE phase IN (?, ?, ?, ?)',
                          ACTIVE).fetchone()[0] == 0
        assert db.execute("SELECT count(*) FROM events WHERE kind = 'store.write_failed'"
                          ).fetchone()[0] == 1
    finally:
        db.close()
    assert 'could not be written' not in d.output()
