"""GET /events: server-sent events of every state change, live, filtered
by service, replayed from an id, and never held up by a slow client."""
import json
import socket
import time

from daemon import Daemon

SLEEP = {'deployment': {'mode': 'binary', 'binary': {'binary_path': '/bin/sleep', 'args': ['1000']}}}


class Stream:
    """A raw HTTP client on the daemon's socket, reading SSE as it comes."""

    def __init__(self, d, query=''):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(d.socket)
        self.sock.sendall(f'GET /events{query} HTTP/1.1\r\nHost: x\r\n\r\n'.encode())
        self.data = b''

    def events(self, until, timeout=10):
        """Reads until until(events) holds; returns the parsed events."""
        self.sock.settimeout(timeout)
        deadline = time.monotonic() + timeout
        while True:
            evs = [json.loads(line[6:]) for line in self.data.decode(errors='replace').split('\n')
                   if line.startswith('data: {')]
            if until(evs):
                return evs
            assert time.monotonic() < deadline, f'no such events yet: {evs[-5:]}'
            chunk = self.sock.recv(65536)
            assert chunk, 'stream closed'
            self.data += chunk

    def close(self):
        self.sock.close()


def phases(evs, service):
    return [e['data']['to'] for e in evs if e['kind'] == 'job.phase' and e['service'] == service]


def test_state_changes_arrive_live_and_filtered(d):
    d.call('service.set', {'name': 'a', 'spec': SLEEP})
    d.call('service.set', {'name': 'b', 'spec': SLEEP})
    only_a = Stream(d, '?service=a')
    everything = Stream(d)
    d.call('service.start', {'name': 'b'})
    d.call('service.start', {'name': 'a'})
    evs = only_a.events(lambda e: 'running' in phases(e, 'a'))
    assert {e['service'] for e in evs} == {'a'}
    assert b'Content-Type: text/event-stream' in only_a.data
    d.call('service.stop', {'name': 'a'})
    evs = only_a.events(lambda e: 'cancelled' in phases(e, 'a'))
    assert phases(evs, 'a') == ['starting', 'running', 'stopping', 'cancelled']
    evs = everything.events(lambda e: 'running' in phases(e, 'b') and 'cancelled' in phases(e, 'a'))
    assert [e['id'] for e in evs] == sorted(e['id'] for e in evs)
    only_a.close()
    everything.close()


def test_replay_after_an_id(d):
    d.call('service.set', {'name': 'a', 'spec': SLEEP})
    d.call('service.start', {'name': 'a'})
    d.wait_state('a', 'running')
    past = d.call('events.list', {'service': 'a'})
    s = Stream(d, f'?service=a&after={past[1]["id"]}')
    evs = s.events(lambda e: len(e) >= len(past) - 2)
    assert [e['id'] for e in evs][:len(past) - 2] == [e['id'] for e in past[2:]]
    s.close()


def test_a_client_that_reads_nothing_is_dropped_and_costs_nothing(d):
    for i in range(24):
        d.call('service.set', {'name': f'loop{i}', 'spec': {
            'deployment': {'mode': 'binary', 'binary': {'binary_path': '/bin/sh', 'args': ['-c', 'exit 1']}},
            'startup': {'max_restarts': 64, 'restart_delay': 0, 'restart_delay_max': 0.001}}})
    lazy = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    lazy.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    lazy.connect(d.socket)
    lazy.sendall(b'GET /events HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
    for i in range(24):
        d.call('service.start', {'name': f'loop{i}'})
    # The daemon keeps answering while the lazy client's backlog piles up.
    for i in range(24):
        d.wait_state(f'loop{i}', 'failed', timeout=30)
    assert len(d.call('events.list', {'limit': 100000})) > 6000
    lazy.settimeout(10)
    data = b''
    while True:  # what was queued, then the word that it was dropped, then the end
        chunk = lazy.recv(1 << 20)
        if not chunk:
            break
        data += chunk
    # The last chunk says it was dropped; then the chunked body ends.
    assert data.endswith(b'reconnect with ?after=LAST_ID"}\n\n\r\n0\r\n\r\n'), data[-300:]
    lazy.close()
    assert d.call('service.list')  # still fine


def test_daemon_stops_with_streams_open(home):
    d = Daemon(home).start()
    s = Stream(d)
    s.events(lambda e: True)
    assert d.stop() == 0
    s.close()
