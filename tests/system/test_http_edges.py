"""The HTTP servers at their edges, spoken to with raw sockets: the
dashboard's TCP port and the API's unix socket of a real daemon.

Malformed and oversized requests get their status, delivered before the
connection closes (never a reset); refusals come from the headers alone,
before a byte of a body is read (the daemon's memory does not move); slow
requests are dropped in seconds while streams live on; and another local
user (a user made for the session, root only) can neither lock the owner
out with idle connections nor use the unix socket."""
import json
import os
import random
import re
import shutil
import socket
import subprocess
import tempfile
import textwrap
import time
from pathlib import Path

import pytest

from daemon import Daemon, with_marker

BIG_BODY = 8 << 20  # what the attacker announced
RPC_CAP = 8 << 20


def parse_reply(raw):
    """(status, {lower-case header: value}, body) of one HTTP answer."""
    head, _, body = raw.partition(b'\r\n\r\n')
    lines = head.decode('latin-1').split('\r\n')
    m = re.match(r'HTTP/1\.[01] (\d{3})', lines[0])
    assert m, f'no HTTP status line in {raw[:200]!r}'
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(':')
        headers[name.strip().lower()] = value.strip()
    return int(m.group(1)), headers, body


def read_to_close(sock, timeout=10):
    """Everything the server sends until it closes; a reset fails the test."""
    sock.settimeout(timeout)
    out = b''
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            return out
        out += chunk


def connect(target, sndbuf=None):
    """A connection to ('tcp', port) or ('unix', path)."""
    kind, where = target
    s = socket.socket(socket.AF_INET if kind == 'tcp' else socket.AF_UNIX, socket.SOCK_STREAM)
    if sndbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, sndbuf)
    s.settimeout(10)
    s.connect(('127.0.0.1', where) if kind == 'tcp' else where)
    return s


def exchange(target, data, sndbuf=None):
    """Sends data whole (an error sending it fails the test: the server
    must take a request in full even when it refuses it), then reads the
    answer to the close."""
    with connect(target, sndbuf) as s:
        s.sendall(data)
        return parse_reply(read_to_close(s))


def rss_kb(pid):
    for line in Path(f'/proc/{pid}/status').read_text().splitlines():
        if line.startswith('VmRSS:'):
            return int(line.split()[1])
    raise AssertionError(f'no VmRSS for {pid}')


MARK = f'1000.{random.randrange(10**8, 10**9)}'  # `sleep MARK` is this module's alone


@pytest.fixture(scope='module')
def served(tmp_path_factory):
    """A daemon with its dashboard on a free loopback port, and a service
    that says one line: (daemon, ('tcp', port), ('unix', socket), token)."""
    home = tmp_path_factory.mktemp('edges') / 'home'
    home.mkdir()
    cfg = home / 'services.toml'
    cfg.write_text(f'''
[services.streamer]
deployment = {{ mode = "binary", binary = {{ binary_path = "/bin/sh", args = ["-c", "echo streamer up; exec sleep {MARK}"] }} }}
''')
    d = Daemon(home, cfg, extra_args=['--http', '127.0.0.1:0']).start()
    url = (home / 'dashboard.url').read_text().strip()
    port = int(re.search(r':(\d+)/', url).group(1))
    token = url.split('token=', 1)[1]
    try:
        yield d, ('tcp', port), ('unix', d.socket), token
    finally:
        assert d.stop() == 0, d.output()
        for pid in with_marker(MARK):
            os.kill(pid, 9)


CLOSE = 'Connection: close\r\n'  # whatever the answer, the connection ends after it


def auth(token):
    return f'Authorization: Bearer {token}\r\n'


def rpc_body(method='service.list'):
    return json.dumps({'jsonrpc': '2.0', 'id': 1, 'method': method}).encode()


def test_garbage_request_line_gets_400(served):
    _, tcp, unix, _ = served
    for target in (tcp, unix):
        status, headers, body = exchange(target, b'GARBAGE\r\n\r\n')
        assert status == 400, (target, body)
        assert b'request line' in body
        assert headers['connection'] == 'close'


def test_long_request_line_gets_414_before_the_close(served):
    # A small send buffer keeps most of the line in flight when the server
    # answers: a close with unread input would reset the connection, and
    # the sendall below would fail before the answer could be read.
    _, tcp, unix, _ = served
    line = b'GET /' + b'a' * (1 << 20) + b' HTTP/1.1\r\nHost: x\r\n\r\n'
    for target in (tcp, unix):
        status, _, _ = exchange(target, line, sndbuf=4096)
        assert status == 414, target


def test_big_header_gets_431_before_the_close(served):
    _, tcp, unix, _ = served
    request = b'GET /events HTTP/1.1\r\nHost: x\r\nX-Big: ' + b'b' * 200_000 + b'\r\n\r\n'
    for target in (tcp, unix):
        status, _, _ = exchange(target, request, sndbuf=4096)
        assert status == 431, target


def test_405_says_what_is_allowed(served):
    _, tcp, unix, token = served
    for target, credentials in ((unix, ''), (tcp, auth(token))):
        status, headers, _ = exchange(
            target, f'GET /rpc HTTP/1.1\r\nHost: x\r\n{credentials}{CLOSE}\r\n'.encode())
        assert (status, headers.get('allow')) == (405, 'POST'), target
        status, headers, _ = exchange(
            target, f'POST /events HTTP/1.1\r\nHost: x\r\n{credentials}{CLOSE}'
            'Content-Length: 0\r\n\r\n'.encode())
        assert (status, headers.get('allow')) == (405, 'GET'), target


def test_401_says_how_to_authenticate(served):
    _, tcp, _, _ = served
    for request in ('POST /rpc HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n{CLOSE}\r\n{{}}',
                    'GET /metrics HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer wrong\r\n{CLOSE}\r\n',
                    'GET /events HTTP/1.1\r\nHost: x\r\n{CLOSE}\r\n'):
        status, headers, _ = exchange(tcp, request.format(CLOSE=CLOSE).encode())
        assert status == 401, request
        assert headers.get('www-authenticate') == 'Bearer realm="tend"', request


def test_unauthenticated_bodies_are_refused_from_the_headers(served):
    """32 connections announce 8 MiB bodies without a token: each gets its
    401 before sending a byte of it, and when they send the bodies anyway
    the daemon reads none of them into memory."""
    d, tcp, _, _ = served
    pid = d.main_pid()
    before = rss_kb(pid)
    socks = [connect(tcp) for _ in range(32)]
    try:
        for s in socks:
            s.sendall(f'POST /rpc HTTP/1.1\r\nHost: x\r\nContent-Length: {BIG_BODY}\r\n'
                      'Content-Type: application/json\r\n\r\n'.encode())
        for s in socks:
            s.settimeout(5)
            status, headers, _ = parse_reply(s.recv(65536))
            assert status == 401 and headers['connection'] == 'close'
        chunk = b'x' * (1 << 20)
        for s in socks:
            try:
                for _ in range(BIG_BODY // len(chunk)):
                    s.sendall(chunk)
            except OSError:
                pass  # the server may stop reading a refused request: that is its right
        grown = rss_kb(pid) - before
        assert grown < 16 << 10, f'RSS grew by {grown} kB for bodies nobody may send'
    finally:
        for s in socks:
            s.close()
    assert isinstance(d.call('service.list'), list)  # and it still answers


def test_oversized_bodies_get_413_without_being_read(served):
    _, tcp, unix, token = served
    for target, credentials in ((unix, ''), (tcp, auth(token))):
        with connect(target) as s:
            # Only the headers: the answer must come without the body.
            s.sendall(f'POST /rpc HTTP/1.1\r\nHost: x\r\n{credentials}'
                      f'Content-Length: {RPC_CAP + 1}\r\n\r\n'.encode())
            status, _, body = parse_reply(read_to_close(s, timeout=5))
            assert status == 413, (target, body)
        with connect(target) as s:
            # GET routes take no body at all.
            s.sendall(f'GET /metrics HTTP/1.1\r\nHost: x\r\n{credentials}'
                      'Content-Length: 10\r\n\r\n'.encode())
            status, _, body = parse_reply(read_to_close(s, timeout=5))
            assert status == 413, (target, body)


def test_a_large_apply_still_fits(served):
    """A body of several MB (a registry of thousands of services) is read
    and answered."""
    _, _, unix, _ = served
    body = b' ' * (4 << 20) + rpc_body()
    status, _, answer = exchange(unix, b'POST /rpc HTTP/1.1\r\nHost: x\r\nContent-Length: '
                                 + str(len(body)).encode() + b'\r\nConnection: close\r\n\r\n'
                                 + body)
    assert status == 200 and isinstance(json.loads(answer)['result'], list)


@pytest.mark.parametrize('partial', [
    b'POST /rpc HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"jsonrpc"',
    b'POST /rpc HTTP/1.1\r\nHost: x\r\nContent-Le',
    b'',
], ids=['short body', 'slow headers', 'nothing'])
def test_a_request_that_stops_arriving_is_dropped_in_seconds(served, partial):
    _, _, unix, _ = served
    with connect(unix) as s:
        s.sendall(partial)
        start = time.monotonic()
        # Closed by the server (today's 60 s would raise socket.timeout).
        assert read_to_close(s, timeout=30) == b''
        assert time.monotonic() - start < 30


def test_a_trickled_request_head_is_dropped_in_seconds(served):
    """A request line and headers sent a few bytes a second (every byte
    keeps an idle timer alive) must still be in within seconds."""
    _, tcp, _, _ = served
    with connect(tcp) as s:
        s.sendall(b'GET /metrics HTTP/1.1\r\n')
        start = time.monotonic()
        s.settimeout(1)  # the wait for the server's close between two bytes
        while time.monotonic() - start < 30:
            try:
                s.sendall(b'X-Slow: a\r\n')
                assert s.recv(65536) == b'', 'an answer before the headers were in'
                break  # closed by the server
            except socket.timeout:
                continue
            except (BrokenPipeError, ConnectionResetError):
                break
        else:
            pytest.fail('the server still waits for a head trickled for 30 s')


def stream(target, path, token=''):
    s = connect(target)
    s.sendall(f'GET {path} HTTP/1.1\r\nHost: x\r\n{token and auth(token)}\r\n'.encode())
    return s


def read_until(sock, needle, seconds):
    sock.settimeout(seconds)
    got = b''
    while needle not in got:
        chunk = sock.recv(65536)
        assert chunk, f'stream closed; read {got[-300:]!r}'
        got += chunk
    return got


def test_streams_outlive_the_request_timeouts(served):
    """An /events stream (dashboard) and a followed log (unix socket) stay
    open past the request timeout (10 s) and the keep-alive comment
    (15 s), then still deliver what happens."""
    d, tcp, unix, token = served
    events = stream(tcp, '/events?service=streamer', token)
    logs = stream(unix, '/logs/streamer?follow=1&lines=0')
    try:
        read_until(events, b'200 OK', 5)
        read_until(logs, b'200 OK', 5)
        read_until(events, b': keepalive', 25)  # the server's comment, after 15 s
        read_until(logs, b': keepalive', 25)
        d.call('service.start', {'name': 'streamer'})
        read_until(events, b'event: job.', 10)
        read_until(logs, b'streamer up', 10)
    finally:
        events.close()
        logs.close()
        d.call('service.stop', {'name': 'streamer'})


HOLDER = textwrap.dedent('''
    import resource, select, socket, sys
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    port, n = int(sys.argv[1]), int(sys.argv[2])
    held = []
    for _ in range(n):
        s = socket.socket()
        s.connect(("127.0.0.1", port))
        held.append(s)
    print("held", len(held), flush=True)
    # One more, with a whole request: its refusal can be read.
    extra = socket.create_connection(("127.0.0.1", port))
    extra.sendall(b"GET / HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n")
    print("extra", extra.recv(4096).split(b"\\r\\n")[0].decode(), flush=True)
    sys.stdin.readline()
    # Those the daemon refused have an answer (or their end) waiting.
    ready, _, _ = select.select(held, [], [], 0)
    print("refused", sum(1 for s in ready if s.recv(64).startswith(b"HTTP/1.1 503")),
          flush=True)
''')


def test_another_users_idle_connections_do_not_lock_the_owner_out(served, other_user):
    d, tcp, _, token = served
    holder = other_user.popen(['/usr/bin/python3', '-c', HOLDER, tcp[1], 1000],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().split() == ['held', '1000']
        assert holder.stdout.readline().strip() == 'extra HTTP/1.1 503 Service Unavailable'
        # The owner's request is answered (today: no answer at all).
        status, _, body = exchange(tcp, f'GET /metrics HTTP/1.1\r\nHost: x\r\n{auth(token)}'
                                   'Connection: close\r\n\r\n'.encode())
        assert status == 200 and b'tend_' in body
        holder.stdin.write('\n')
        holder.stdin.flush()
        refused = int(holder.stdout.readline().split()[1])
        assert refused >= 1000 - 16, 'the guest kept more than its share of slots'
    finally:
        holder.kill()
        holder.wait()


REFUSED = textwrap.dedent('''
    import socket, sys
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(10)
    s.connect(sys.argv[1])
    body = b'{"jsonrpc":"2.0","id":1,"method":"service.list"}'
    s.sendall(b"POST /rpc HTTP/1.1\\r\\nHost: x\\r\\nConnection: close\\r\\n"
              b"Content-Length: %d\\r\\n\\r\\n" % len(body) + body)
    out = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        out += chunk
    sys.stdout.write(out.decode("latin-1"))
''')


def test_the_unix_socket_refuses_other_users(other_user):
    """Even a socket someone made reachable (mode 0666 in a searchable
    folder) answers another user with 403 and nothing else."""
    folder = Path(tempfile.mkdtemp(prefix='tend-edges-'))
    try:
        folder.chmod(0o755)
        home = folder / 'home'
        home.mkdir(mode=0o755)
        d = Daemon(home, extra_args=['--http', 'off']).start()
        try:
            # The daemon made its folder 0700 at start: loosen it again.
            home.chmod(0o755)
            os.chmod(d.socket, 0o666)
            got = other_user.run(['/usr/bin/python3', '-c', REFUSED, d.socket])
            assert got.returncode == 0, got.stderr
            status, _, body = parse_reply(got.stdout.encode('latin-1'))
            assert status == 403 and b'result' not in body, got.stdout
            assert d.call('service.list') == []  # the owner still gets in
        finally:
            assert d.stop() == 0, d.output()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_the_cli_says_why_the_server_refused_a_body(tmp_path, d):
    """A request over the body cap reaches the CLI as the server's words,
    not as an unknown error."""
    big = tmp_path / 'big.toml'
    big.write_text('[services.big.deployment]\nmode = "binary"\n'
                   '[services.big.deployment.binary]\nbinary_path = "/bin/true"\n'
                   'env = { PAD = "%s" }\n' % ('x' * (RPC_CAP + 1)))
    got = d.tend('apply', '-c', big, timeout=60)
    assert got.returncode != 0
    assert 'request body too large (the limit is 8 MiB)' in got.stderr, got.stderr
    assert d.call('service.list') == []
