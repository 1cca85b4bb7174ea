"""The remote API: `tend daemon --listen` with TLS inside a network
namespace the test makes, and `tend --host` from a second one, over a veth
pair between them (addresses only inside those namespaces). Root only."""
import json
import os
import random
import select
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

from daemon import TEND_BIN, Daemon, alive, main_pid_of, tend_env, with_marker

PORT = 9443  # free: the namespace is the test's own


def run(*argv, check=True):
    r = subprocess.run(list(map(str, argv)), capture_output=True, text=True, timeout=60)
    if check and r.returncode != 0:
        raise AssertionError(f'{argv}: {r.stderr}')
    return r


@pytest.fixture
def netns():
    """Two network namespaces joined by a veth pair: (server namespace,
    server address, client namespace). Deleted at the end."""
    if os.geteuid() != 0:
        pytest.skip('needs root: the test makes network namespaces')
    if not shutil.which('ip') or not shutil.which('openssl'):
        pytest.skip('needs ip (iproute2) and openssl')
    tag = f'{os.getpid() % 10000:04d}{random.randrange(1000, 10000)}'
    server, client = f'tend-s{tag}', f'tend-c{tag}'
    net = f'10.{random.randrange(64, 250)}.{random.randrange(1, 250)}'
    made = []
    try:
        for ns in (server, client):
            run('ip', 'netns', 'add', ns)
            made.append(ns)
        run('ip', 'link', 'add', f'vs{tag}', 'netns', server, 'type', 'veth', 'peer', 'name',
            f'vc{tag}', 'netns', client)
        for ns, dev, addr in ((server, f'vs{tag}', f'{net}.1'), (client, f'vc{tag}', f'{net}.2')):
            run('ip', '-n', ns, 'addr', 'add', f'{addr}/30', 'dev', dev)
            run('ip', '-n', ns, 'link', 'set', dev, 'up')
            run('ip', '-n', ns, 'link', 'set', 'lo', 'up')
        yield server, f'{net}.1', client
    finally:
        for ns in made:  # the veth pair goes with them
            subprocess.run(['ip', 'netns', 'del', ns], capture_output=True)


def openssl(*args):
    run('openssl', *args)


def make_ca(folder, name):
    key, pem = folder / f'{name}.key', folder / f'{name}.pem'
    openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
            '-keyout', key, '-out', pem, '-days', '2', '-subj', f'/CN={name}')
    return pem, key


def make_cert(folder, name, ca, san=None):
    """A certificate for name signed by ca (pem, key); san: its IP addresses."""
    key, csr, pem = folder / f'{name}.key', folder / f'{name}.csr', folder / f'{name}.pem'
    openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
            '-keyout', key, '-out', csr, '-subj', f'/CN={name}')
    ext = folder / f'{name}.ext'
    ext.write_text(f'subjectAltName={",".join("IP:" + a for a in san)}\n' if san else
                   'extendedKeyUsage=clientAuth\n')
    openssl('x509', '-req', '-in', csr, '-CA', ca[0], '-CAkey', ca[1], '-CAcreateserial',
            '-out', pem, '-days', '2', '-extfile', ext)
    return pem, key


@pytest.fixture
def pki(tmp_path, netns):
    """A CA, a server certificate for the server's address (and 127.0.0.1),
    and a client certificate from a second CA."""
    folder = tmp_path / 'pki'
    folder.mkdir()
    ca = make_ca(folder, 'ca')
    server = make_cert(folder, 'server', ca, san=[netns[1], '127.0.0.1'])
    client_ca = make_ca(folder, 'client-ca')
    client = make_cert(folder, 'client', client_ca)
    return {'ca': ca[0], 'cert': server[0], 'key': server[1], 'client_ca': client_ca[0],
            'client_cert': client[0], 'client_key': client[1]}


class NetnsDaemon(Daemon):
    """A daemon run as `ip netns exec NS tend daemon ...` (Daemon runs its
    command behind a wrapper: its valgrind argument)."""

    def __init__(self, ns, home, config=None, extra_args=()):
        super().__init__(home, config, ['--no-cgroups', '--http', '127.0.0.1:0', *extra_args],
                         valgrind=['ip', 'netns', 'exec', ns])

    def token_file(self, tmp_path, *create):
        """A token in a file for the client: a new one made with `tend token
        create NAME ARGS` (create), else the dashboard's (an admin token)."""
        path = tmp_path / f'token-{create[0] if create else "dashboard"}'
        if create:
            r = self.tend('token', 'create', *create)
            assert r.returncode == 0, r.stderr
            path.write_text(r.stdout)
        else:
            shutil.copy(self.home / 'dashboard.token', path)
        path.chmod(0o600)
        return path


@pytest.fixture
def started(tmp_path):
    made = []

    def start(ns, config=None, extra_args=()):
        home = tmp_path / f'home{len(made)}'
        home.mkdir()
        d = NetnsDaemon(ns, home, config, extra_args).start()
        made.append(d)
        return d
    yield start
    for d in made:
        assert d.stop() == 0, d.output()


class Client:
    """`tend --host URL ... ARGS` from the client's namespace, with a
    TEND_HOME of its own (no daemon there, none may be started)."""

    def __init__(self, ns, home, url, token, cacert=None, extra=()):
        self.ns, self.home = ns, home
        home.mkdir(exist_ok=True)
        self.head = ['--host', url, '--token-file', token, *extra]
        if cacert:
            self.head += ['--cacert', cacert]

    def argv(self, *args):
        return ['ip', 'netns', 'exec', self.ns, TEND_BIN, *map(str, self.head), *map(str, args)]

    def __call__(self, *args, timeout=30):
        return subprocess.run(self.argv(*args), capture_output=True, text=True,
                              env=tend_env(self.home), timeout=timeout)

    def follow(self, *args):
        return subprocess.Popen(self.argv(*args), stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, env=tend_env(self.home))


def read_until(proc, predicate, timeout=15):
    """Lines of proc's stdout until one satisfies predicate (the test
    waiting, with a deadline); then proc is ended. Read from the fd itself:
    select() knows nothing of what a file object has buffered."""
    fd, pending, lines = proc.stdout.fileno(), b'', []
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], 0.2)
            if not ready:
                continue
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            pending += chunk
            while b'\n' in pending:
                line, pending = pending.split(b'\n', 1)
                lines.append(line.decode())
                if predicate(lines[-1]):
                    return lines
        raise AssertionError(f'not seen in time; got {lines}')
    finally:
        proc.kill()
        proc.wait()


def service(mark):
    return f'''
[services.ticker]
actions = ["tick"]
[actions.tick]
interpreter = "sh"
script = "while true; do echo tick-{mark}; sleep 0.1; done & exec sleep {mark}"
'''


def test_a_remote_client_lists_starts_follows_and_stops(tmp_path, netns, pki, started, marks,
                                                         registry):
    server_ns, addr, client_ns = netns
    mark = marks()
    d = started(server_ns, registry(service(mark)),
                ['--listen', f'{addr}:{PORT}', '--tls-cert', pki['cert'], '--tls-key', pki['key']])
    assert f'remote API at https://{addr}:{PORT}' in d.output()
    tend = Client(client_ns, tmp_path / 'client', f'https://{addr}:{PORT}', d.token_file(tmp_path),
                  pki['ca'])

    listed = tend('ps')
    assert listed.returncode == 0, listed.stderr
    assert 'ticker' in listed.stdout and 'inactive' in listed.stdout

    events = tend.follow('events', '--follow', '--service', 'ticker')
    assert tend('services', 'start', 'ticker').returncode == 0
    read_until(events, lambda line: 'job.' in line and 'running' in line)
    d.wait_state('ticker', 'running')
    assert with_marker(mark)

    logs = tend.follow('logs', 'ticker', '--follow')
    read_until(logs, lambda line: f'tick-{mark}' in line)

    status = tend('--json', 'services', 'status', 'ticker')
    assert status.returncode == 0, status.stderr
    assert json.loads(status.stdout)['state'] == 'running'
    rpc = tend('rpc', 'service.status', '{"name": "ticker"}')
    assert rpc.returncode == 0 and json.loads(rpc.stdout)['state'] == 'running', rpc.stderr

    stopped = tend('services', 'stop', 'ticker')
    assert stopped.returncode == 0, stopped.stderr
    d.wait_state('ticker', 'inactive')
    assert not with_marker(mark)
    # Nothing local was asked or started on the client's side.
    assert not (tmp_path / 'client' / 'tend.sock').exists()


def test_refusals_are_said_in_words(tmp_path, netns, pki, started, registry):
    server_ns, addr, client_ns = netns
    # Its pre-flight checks see the port taken where the daemon runs.
    cfg = registry(f'''
[services.db]
deployment = {{ mode = "binary", binary = {{ binary_path = "/bin/sleep", args = ["1000"] }} }}
health_check = {{ type = "tcp", tcp = {{ host = "127.0.0.1", port = {PORT} }} }}
''')
    d = started(server_ns, cfg, ['--listen', f'{addr}:{PORT}', '--listen', f'127.0.0.1:{PORT}',
                                 '--tls-cert', pki['cert'], '--tls-key', pki['key']])
    url, token = f'https://{addr}:{PORT}', d.token_file(tmp_path)
    wrong = tmp_path / 'wrong'
    wrong.write_text('0' * 48 + '\n')

    r = Client(client_ns, tmp_path / 'c1', url, wrong, pki['ca'])('ps')
    assert r.returncode == 1 and 'refused the token' in r.stderr, r.stderr

    r = Client(client_ns, tmp_path / 'c2', url, token)('ps')  # no --cacert
    assert r.returncode == 3, r.stderr
    assert 'certificate' in r.stderr and 'not trusted' in r.stderr and '--cacert' in r.stderr

    # Plain http:// to another host is refused before anything is sent ...
    r = Client(client_ns, tmp_path / 'c3', f'http://{addr}:{PORT}', token)('ps')
    assert r.returncode == 2 and 'clear text' in r.stderr and 'https://' in r.stderr, r.stderr
    # ... and a TLS port says nothing to plain HTTP, which the CLI explains.
    r = Client(server_ns, tmp_path / 'c4', f'http://127.0.0.1:{PORT}', token)('ps')
    assert r.returncode == 3 and 'use https://' in r.stderr, r.stderr
    raw = subprocess.run(
        ['ip', 'netns', 'exec', client_ns, '/usr/bin/python3', '-c',
         'import socket,sys; s=socket.create_connection((sys.argv[1], int(sys.argv[2])), 5); '
         's.sendall(b"POST /rpc HTTP/1.1\\r\\nHost: x\\r\\nContent-Length: 2\\r\\n\\r\\n{}"); '
         's.settimeout(5); print(repr(s.recv(100)))', addr, str(PORT)],
        capture_output=True, text=True, timeout=30)
    assert raw.returncode == 0 and 'HTTP/1.1 200' not in raw.stdout, raw
    # The right token still works, and none of the above changed anything.
    ok = Client(client_ns, tmp_path / 'c5', url, token, pki['ca'])('ps')
    assert ok.returncode == 0, ok.stderr

    # Pre-flight checks are the daemon's, on its host: not this one's.
    r = Client(client_ns, tmp_path / 'c8', url, token, pki['ca'])('services', 'validate')
    assert r.returncode == 1, r.stdout + r.stderr
    assert f'Port {PORT} is already in use' in r.stdout, r.stdout

    # A port where nothing listens.
    r = Client(client_ns, tmp_path / 'c6', f'https://{addr}:{PORT + 1}', token, pki['ca'])('ps')
    assert r.returncode == 3 and 'no daemon answers' in r.stderr, r.stderr
    # The dashboard's URL file is on the daemon's host: refused, with why.
    r = Client(client_ns, tmp_path / 'c7', url, token, pki['ca'])('dashboard')
    assert r.returncode == 2 and "daemon's host" in r.stderr, r.stderr


def test_a_client_ca_takes_only_clients_with_its_certificate(tmp_path, netns, pki, started):
    server_ns, addr, client_ns = netns
    d = started(server_ns, None, ['--listen', f'{addr}:{PORT}', '--tls-cert', pki['cert'],
                                  '--tls-key', pki['key'], '--tls-client-ca', pki['client_ca']])
    url, token = f'https://{addr}:{PORT}', d.token_file(tmp_path)

    r = Client(client_ns, tmp_path / 'c1', url, token, pki['ca'])('ps')
    assert r.returncode == 1 and 'client' in r.stderr and '--cert' in r.stderr, r.stderr
    # A certificate of another CA (the server's own) is no better.
    r = Client(client_ns, tmp_path / 'c2', url, token, pki['ca'],
               ['--cert', pki['cert'], '--key', pki['key']])('ps')
    assert r.returncode != 0 and 'not signed' in r.stderr, r.stderr

    ok = Client(client_ns, tmp_path / 'c3', url, token, pki['ca'],
                ['--cert', pki['client_cert'], '--key', pki['client_key']])('ps')
    assert ok.returncode == 0, ok.stderr


def test_the_registry_daemon_table_listens_and_survives_a_restarted_main(tmp_path, netns, pki,
                                                                          started, marks):
    server_ns, addr, client_ns = netns
    mark = marks()
    folder = tmp_path / 'etc'
    folder.mkdir()
    for name in ('cert', 'key'):
        shutil.copy(pki[name], folder / f'server.{name}')
    cfg = folder / 'services.toml'
    # tls files relative to the registry's folder
    cfg.write_text(f'''
[daemon]
listen = ["{addr}:{PORT}"]
tls_cert = "server.cert"
tls_key = "server.key"
''' + service(mark))
    d = started(server_ns, cfg)
    assert d.call('registry.get')['registry']['daemon'] == {
        'listen': [f'{addr}:{PORT}'], 'tls_cert': str(folder / 'server.cert'),
        'tls_key': str(folder / 'server.key')}
    tend = Client(client_ns, tmp_path / 'client', f'https://{addr}:{PORT}',
                  d.token_file(tmp_path), pki['ca'])
    assert tend('services', 'start', 'ticker').returncode == 0
    d.wait_state('ticker', 'running')

    # The keeper starts a new main process, with the same listener: a
    # client that connects meanwhile waits in its backlog, the keeper's.
    main = d.main_pid()
    os.kill(main, signal.SIGKILL)
    while alive(main):
        time.sleep(0.01)
    r = tend('--json', 'services', 'status', 'ticker')
    assert r.returncode == 0, r.stderr + d.output()
    assert json.loads(r.stdout)['state'] == 'running'
    assert d.main_pid() != main

    # `tend apply` stores a changed table for the next start: a main
    # process started again listens where it now says, not where the
    # keeper's sockets are.
    cfg.write_text(cfg.read_text().replace(f'{addr}:{PORT}', f'{addr}:{PORT + 1}'))
    assert d.tend('apply', '-c', cfg).returncode == 0
    main = d.main_pid()
    os.kill(main, signal.SIGKILL)
    moved = Client(client_ns, tmp_path / 'client', f'https://{addr}:{PORT + 1}',
                   d.token_file(tmp_path), pki['ca'])
    r = d.wait_for(lambda: (r := moved('ps')).returncode == 0 and r, what='the new address')
    assert 'ticker' in r.stdout
    assert moved('services', 'stop', 'ticker').returncode == 0
    d.wait_state('ticker', 'inactive')


def test_read_only_and_expired_tokens_are_refused_in_words(tmp_path, netns, pki, started, marks,
                                                          registry):
    server_ns, addr, client_ns = netns
    mark = marks()
    d = started(server_ns, registry(service(mark)),
                ['--listen', f'{addr}:{PORT}', '--tls-cert', pki['cert'], '--tls-key', pki['key']])
    d.call('service.start', {'name': 'ticker'})
    d.wait_state('ticker', 'running')
    url = f'https://{addr}:{PORT}'

    viewer = Client(client_ns, tmp_path / 'c1', url,
                    d.token_file(tmp_path, 'viewer', '--read-only'), pki['ca'])
    listed = viewer('ps')
    assert listed.returncode == 0 and 'ticker' in listed.stdout, listed.stderr
    logs = viewer.follow('logs', 'ticker', '--follow')
    read_until(logs, lambda line: f'tick-{mark}' in line)
    r = viewer('rpc', 'service.stop', '{"name": "ticker"}')
    assert r.returncode == 1, r.stderr
    assert "service.stop changes things and token 'viewer' is read-only" in r.stderr, r.stderr
    assert d.state('ticker') == 'running'

    brief = Client(client_ns, tmp_path / 'c2', url,
                   d.token_file(tmp_path, 'brief', '--expires', '0.0001'), pki['ca'])  # 8.64 s
    assert brief('ps').returncode == 0
    refused = d.wait_for(lambda: (r := brief('ps')).returncode != 0 and r, timeout=30,
                         what='the token to expire')
    assert refused.returncode == 1, refused.stderr
    assert 'refused the token' in refused.stderr and "token 'brief' expired at" in refused.stderr
    events = brief('events', '--follow')
    assert events.returncode == 1 and "token 'brief' expired" in events.stderr, events.stderr
    assert d.state('ticker') == 'running'


# ---- refused at start (no namespace needed) ---------------------------------

def daemon_fails(tmp_path, *args):
    home = tmp_path / 'home'
    home.mkdir(exist_ok=True)
    r = subprocess.run([TEND_BIN, 'daemon', '--http', 'off', *map(str, args)],
                       capture_output=True, text=True, env=tend_env(home), timeout=30)
    assert r.returncode != 0, r.stderr
    assert not (home / 'tend.sock').exists()
    return r.stderr


def test_plain_tcp_on_a_non_loopback_address_is_refused_at_start(tmp_path):
    err = daemon_fails(tmp_path, '--listen', '0.0.0.0:19443')
    assert "'0.0.0.0:19443' is not a loopback address" in err and '--tls-cert' in err, err
    err = daemon_fails(tmp_path, '--listen', 'localhost:19443')
    assert 'expected IP:PORT' in err, err


def test_plain_http_on_loopback_takes_a_token_too(tmp_path, marks):
    import re
    home = tmp_path / 'home'
    home.mkdir()
    d = Daemon(home, extra_args=['--http', 'off', '--listen', '127.0.0.1:0']).start()
    try:
        url = re.search(r'remote API at (http://127\.0\.0\.1:\d+)', d.output()).group(1)
        token = tmp_path / 'token'
        shutil.copy(home / 'dashboard.token', token)
        client = tmp_path / 'client'
        client.mkdir()
        env = tend_env(client)
        r = subprocess.run([TEND_BIN, '--host', url, '--token-file', token, 'rpc', 'service.list'],
                           capture_output=True, text=True, env=env, timeout=30)
        assert r.returncode == 0 and json.loads(r.stdout) == [], r.stderr
        wrong = tmp_path / 'wrong'
        wrong.write_text('tend_' + '0' * 64 + '\n')
        r = subprocess.run([TEND_BIN, '--host', url, '--token-file', wrong, 'ps'],
                           capture_output=True, text=True, env=env, timeout=30)
        assert r.returncode == 1 and 'refused the token' in r.stderr, r.stderr
        # Among the other global options, before the command.
        r = subprocess.run([TEND_BIN, '--json', '--host', url, '--no-autostart',
                            f'--token-file={token}', 'ps'],
                           capture_output=True, text=True, env=env, timeout=30)
        assert r.returncode == 0 and json.loads(r.stdout) == [], r.stderr
        # The same from the environment.
        r = subprocess.run([TEND_BIN, 'rpc', 'service.list'], capture_output=True, text=True,
                           env=dict(env, TEND_HOST=url, TEND_TOKEN_FILE=str(token)), timeout=30)
        assert r.returncode == 0 and json.loads(r.stdout) == [], r.stderr
        r = subprocess.run([TEND_BIN, '--host', url, '--token-file', token, 'daemon'],
                           capture_output=True, text=True, env=env, timeout=30)
        assert r.returncode == 2 and 'runs on this machine' in r.stderr, r.stderr
        # Without a token file the CLI says what it needs, and sends nothing.
        r = subprocess.run([TEND_BIN, '--host', url, 'ps'], capture_output=True, text=True,
                           env=env, timeout=30)
        assert r.returncode == 2 and '--token-file' in r.stderr, r.stderr
    finally:
        assert d.stop() == 0, d.output()


def test_only_tls_1_2_and_later(tmp_path):
    import re
    import ssl
    import warnings
    if not shutil.which('openssl'):
        pytest.skip('needs openssl')
    ca = make_ca(tmp_path, 'ca')
    server = make_cert(tmp_path, 'server', ca, san=['127.0.0.1'])
    home = tmp_path / 'home'
    home.mkdir()
    d = Daemon(home, extra_args=['--http', 'off', '--listen', '127.0.0.1:0', '--tls-cert',
                                 server[0], '--tls-key', server[1]]).start()
    try:
        port = int(re.search(r'remote API at https://127\.0\.0\.1:(\d+)', d.output()).group(1))

        def handshake(newest):
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            ctx.load_verify_locations(ca[0])
            with warnings.catch_warnings():
                warnings.simplefilter('ignore', DeprecationWarning)
                ctx.minimum_version = ssl.TLSVersion.TLSv1
                ctx.maximum_version = newest
            ctx.set_ciphers('DEFAULT:@SECLEVEL=0')  # this client would take 1.1 if offered
            try:
                with socket.create_connection(('127.0.0.1', port), 10) as s, \
                        ctx.wrap_socket(s, server_hostname='127.0.0.1') as t:
                    return t.version()
            except (ssl.SSLError, OSError) as e:
                return f'refused: {e}'

        assert handshake(ssl.TLSVersion.TLSv1_1).startswith('refused'), 'TLS 1.1 taken'
        assert handshake(ssl.TLSVersion.TLSv1_2) == 'TLSv1.2'
        assert handshake(ssl.TLSVersion.TLSv1_3) == 'TLSv1.3'
    finally:
        assert d.stop() == 0, d.output()


def test_bad_tls_files_are_refused_at_start_naming_the_file(tmp_path):
    if not shutil.which('openssl'):
        pytest.skip('needs openssl')
    ca = make_ca(tmp_path, 'ca')
    other = make_ca(tmp_path, 'other')
    garbage = tmp_path / 'garbage.pem'
    garbage.write_text('not a certificate\n')
    listen = ['--listen', '127.0.0.1:0']
    err = daemon_fails(tmp_path, *listen, '--tls-cert', garbage, '--tls-key', ca[1])
    assert f'TLS certificate {garbage}: no certificate' in err, err
    err = daemon_fails(tmp_path, *listen, '--tls-cert', ca[0], '--tls-key', garbage)
    assert f'TLS key {garbage}: not a private key' in err, err
    err = daemon_fails(tmp_path, *listen, '--tls-cert', ca[0], '--tls-key', other[1])
    assert f'TLS key {other[1]} is not the key of the certificate in {ca[0]}' in err, err
    err = daemon_fails(tmp_path, *listen, '--tls-cert', tmp_path / 'none.pem', '--tls-key', ca[1])
    assert 'none.pem: cannot read it' in err, err
    err = daemon_fails(tmp_path, *listen, '--tls-key', ca[1])
    assert 'needs both a certificate and its key' in err, err


def test_the_daemon_table_is_checked_with_its_place(tmp_path, registry):
    from conftest import Tend
    home = tmp_path / 'home'
    home.mkdir()
    tend = Tend(home)
    cfg = registry('''[daemon]
listen = ["127.0.0.1:9443", "10.0.0.1:9443", "nowhere"]
tls_key = "server.key"
tls_mode = "on"
''')
    r = tend('validate', '-c', cfg)
    assert r.returncode == 1
    assert f"{cfg}:2:29: error: 'daemon.listen[1]': 10.0.0.1:9443 is not a loopback address" in r.stderr
    assert f"{cfg}:2:46: error: 'daemon.listen[2]': \"nowhere\" is not IP:PORT" in r.stderr, r.stderr
    assert f"{cfg}:3:11: error: 'daemon.tls_key' needs 'daemon.tls_cert'" in r.stderr, r.stderr
    assert f'{cfg}:4:1:' in r.stderr and 'tls_mode' in r.stderr, r.stderr

    ok = registry('''[daemon]
listen = ["0.0.0.0:9443"]
tls_cert = "tls/server.pem"
tls_key = "/etc/tend/server.key"
''', name='ok.toml')
    r = tend('validate', '-c', ok, '--json')
    assert r.returncode == 0, r.stderr


def test_a_script_drives_a_remote_daemon_over_tls(tmp_path, netns, pki, started, marks, registry):
    """`tend --host URL script FILE.lua`: the script's every call goes to the
    daemon on the other host, through TLS with the token, as the CLI's do."""
    server_ns, addr, client_ns = netns
    mark = marks()
    d = started(server_ns, registry(service(mark)),
                ['--listen', f'{addr}:{PORT}', '--tls-cert', pki['cert'], '--tls-key', pki['key']])
    url = f'https://{addr}:{PORT}'
    tend = Client(client_ns, tmp_path / 'client', url, d.token_file(tmp_path), pki['ca'])
    flow = tmp_path / 'flow.lua'
    flow.write_text('''
        tend.service_start("ticker")
        local st = tend.wait("ticker", "running", {timeout = 30})
        print(st.state, math.type(st.pid))
        tend.service_stop("ticker")
        print(tend.wait("ticker", "stopped", {timeout = 30}).state)
        print(#tend.run_list{service = "ticker"})
    ''')
    r = tend('script', flow)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == ['running\tinteger', 'inactive', '1']
    assert not with_marker(mark)
    assert not (tmp_path / 'client' / 'tend.sock').exists()
    # A token the daemon does not know: the first call fails, in words.
    bad = tmp_path / 'bad-token'
    bad.write_text('tend_' + 'x' * 40 + '\n')
    bad.chmod(0o600)
    r = Client(client_ns, tmp_path / 'client', url, bad, pki['ca'])('script', flow)
    assert r.returncode == 1
    first = r.stderr.splitlines()[0]
    # (Lua shortens a long path in front: '.../flow.lua:2:'.)
    assert first.startswith('tend script: ') and 'flow.lua:2: service_start: ' in first, first
    assert 'wrong access token' in first
    assert d.call('run.list', {'service': 'ticker'})[0]['status'] != 'running'
