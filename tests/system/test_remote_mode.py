"""deployment.mode = "remote": a service that runs elsewhere, only watched.
The endpoint is a small HTTPS server (an openssl-made certificate) or a
second tend, in a network namespace the test makes; the daemon under test
runs in a second one, joined to it by a veth pair (test_remote.py's
fixtures): every address is inside those namespaces. Root only."""
import json
import os
import signal
import subprocess
import sys
import time

import pytest

from daemon import TEND_BIN, with_marker
from test_remote import PORT, netns, pki, read_until, service, started  # noqa: F401 (fixtures)

# The endpoint: GET PATH answers the code in STATE_FILE ("200", "503"),
# 401 unless the request carries the token in TOKEN_FILE as a bearer.
ENDPOINT = r'''
import http.server, ssl, sys
addr, port, cert, key, state, token = sys.argv[1:7]
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        want = 'Bearer ' + open(token).read().strip()
        code = 401 if self.headers.get('Authorization') != want else int(open(state).read())
        self.send_response(code)
        self.send_header('Content-Length', '0')
        self.end_headers()
    def log_message(self, *a):
        pass
srv = http.server.ThreadingHTTPServer((addr, int(port)), H)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
print('serving', flush=True)
srv.serve_forever()
'''


@pytest.fixture
def endpoint(tmp_path, netns, pki):
    """The HTTPS endpoint in the server's namespace: (url, state file,
    token file). Its process is the test's, and ended by its pid."""
    server_ns, addr, _ = netns
    script, state, token = tmp_path / 'endpoint.py', tmp_path / 'state', tmp_path / 'token'
    script.write_text(ENDPOINT)
    state.write_text('503')
    token.write_text(os.urandom(16).hex() + '\n')
    token.chmod(0o600)
    proc = subprocess.Popen(['ip', 'netns', 'exec', server_ns, sys.executable, script, addr,
                             str(PORT), pki['cert'], pki['key'], state, token],
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == 'serving'
        yield f'https://{addr}:{PORT}/health', state, token
    finally:
        proc.kill()
        proc.wait()


def why(d, name):
    r = d.tend('why', name)
    return r.stdout + r.stderr


def test_a_remote_service_is_running_while_its_endpoint_is_healthy(tmp_path, netns, pki,
                                                                    endpoint, started, marks,
                                                                    registry):
    _, _, client_ns = netns
    url, state, token = endpoint
    mark = marks()
    d = started(client_ns, registry(f'''
[services.api]
deployment = {{ mode = "remote", remote = {{ endpoint = "{url}", auth_token_path = "{token}", ca_file = "{pki['ca']}" }} }}
health_check = {{ type = "http", interval = 0.3, retries = 1, timeout = 2, http = {{ endpoint = "{url}" }} }}
startup = {{ restart = "never", start_timeout = 60 }}

[services.app]
dependencies = ["api"]
deployment = {{ mode = "binary", binary = {{ binary_path = "/bin/sleep", args = ["{mark}"] }} }}
'''))
    ok = d.tend('services', 'validate', '--json')
    assert ok.returncode == 0, ok.stdout
    assert 'Endpoint host' in ok.stdout and 'resolves' in ok.stdout, ok.stdout
    assert 'is readable and private' in ok.stdout and 'CA file' in ok.stdout, ok.stdout

    # Unhealthy: the remote service is starting, and what depends on it waits.
    d.call('service.start', {'name': 'app'})
    d.wait_for(lambda: d.call('service.health', {'name': 'api'})['checks'] >= 3,
               what='three checks')
    assert d.state('api') == 'starting'
    assert d.state('app') == 'starting' and not with_marker(mark)
    assert 'HTTP status 503' in d.call('service.health', {'name': 'api'})['message']

    state.write_text('200')
    d.wait_state('api', 'running')
    d.wait_state('app', 'running')
    assert with_marker(mark)
    # Nothing of it runs here: its job has no process.
    job = d.call('job.list', {'service_id': 'api'})[0]
    assert job['phase'] == 'running' and not job.get('pid'), job

    # The endpoint turns unhealthy: the service fails, in the check's words.
    state.write_text('503')
    d.wait_state('api', 'failed')
    assert 'unhealthy' in why(d, 'api') and 'HTTP status 503' in why(d, 'api'), why(d, 'api')

    # Started again once it answers; a stop ends only the watching.
    state.write_text('200')
    d.call('service.start', {'name': 'api'})
    d.wait_state('api', 'running')
    r = d.tend('services', 'stop', 'api', '--force')
    assert r.returncode == 0, r.stderr
    d.wait_state('api', 'inactive')
    d.call('service.stop', {'name': 'app'})
    d.wait_state('app', 'inactive')
    assert not with_marker(mark)


def test_a_wrong_token_is_refused_in_words(tmp_path, netns, pki, endpoint, started, registry):
    _, _, client_ns = netns
    url, state, token = endpoint
    state.write_text('200')
    wrong = tmp_path / 'wrong-token'
    wrong.write_text('0' * 32 + '\n')
    wrong.chmod(0o600)
    # No health_check: the default, a GET of the endpoint.
    d = started(client_ns, registry(f'''
[services.api]
deployment = {{ mode = "remote", remote = {{ endpoint = "{url}", auth_token_path = "{wrong}", ca_file = "{pki['ca']}" }} }}
startup = {{ restart = "never", start_timeout = 3 }}
'''))
    d.call('service.start', {'name': 'api'})
    d.wait_state('api', 'failed')
    words = why(d, 'api')
    assert '401' in words and 'refused' in words, words

    # The right token, and the same default check passes.
    wrong.write_text(token.read_text())
    d.call('service.start', {'name': 'api'})
    d.wait_state('api', 'running')
    d.call('service.stop', {'name': 'api'})
    d.wait_state('api', 'inactive')

    # A token file others can read is refused before a start.
    wrong.chmod(0o644)
    r = d.tend('services', 'validate')
    assert r.returncode == 1 and 'is readable by others' in r.stdout, r.stdout


def test_a_certificate_of_another_ca_is_not_trusted(tmp_path, netns, pki, endpoint, started,
                                                    registry):
    _, _, client_ns = netns
    url, state, token = endpoint
    state.write_text('200')
    d = started(client_ns, registry(f'''
[services.api]
deployment = {{ mode = "remote", remote = {{ endpoint = "{url}", auth_token_path = "{token}", ca_file = "{pki['client_ca']}" }} }}
startup = {{ restart = "never", start_timeout = 3 }}
'''))
    d.call('service.start', {'name': 'api'})
    d.wait_state('api', 'failed')
    assert 'certificate' in why(d, 'api').lower(), why(d, 'api')


def test_another_tend_is_driven_through_its_api(tmp_path, netns, pki, started, marks, registry):
    server_ns, addr, client_ns = netns
    mark = marks()
    there = started(server_ns, registry(service(mark), name='there.toml'),
                    ['--listen', f'{addr}:{PORT}', '--tls-cert', pki['cert'], '--tls-key',
                     pki['key']])
    token = there.token_file(tmp_path)
    here = started(client_ns, registry(f'''
[services.far]
deployment = {{ mode = "remote", remote = {{ endpoint = "tend+https://{addr}:{PORT}/ticker", auth_token_path = "{token}", ca_file = "{pki['ca']}" }} }}
'''))
    assert there.state('ticker') == 'inactive'

    r = here.tend('services', 'start', 'far')
    assert r.returncode == 0, r.stdout + r.stderr
    here.wait_state('far', 'running')
    assert there.state('ticker') == 'running' and with_marker(mark)
    # Its logs are the local job's.
    here.wait_for(lambda: f'tick-{mark}' in here.tend('services', 'logs', 'far').stdout,
                  what='the remote logs here')
    job = here.call('job.list', {'service_id': 'far'})[0]

    # A daemon that takes over goes on watching the same job.
    from daemon import crash
    crash(here)
    here.start()
    here.wait_state('far', 'running')
    jobs = here.call('job.list', {'service_id': 'far'})
    assert [j['id'] for j in jobs] == [job['id']], jobs

    # Stopped there by the remote tend's own stop: failed here, in words.
    there.call('service.stop', {'name': 'ticker'})
    here.wait_state('far', 'failed')
    assert 'stopped on the remote tend' in why(here, 'far'), why(here, 'far')

    # A local stop is forwarded.
    assert here.tend('services', 'start', 'far').returncode == 0
    here.wait_state('far', 'running')
    assert there.state('ticker') == 'running'
    r = here.tend('services', 'stop', 'far')
    assert r.returncode == 0, r.stderr
    here.wait_state('far', 'inactive')
    there.wait_state('ticker', 'inactive')
    assert not with_marker(mark)


# ---- no namespace needed ----------------------------------------------------

def test_the_endpoint_is_checked_with_its_place(tmp_path, tend, registry):
    cfg = registry('''
[services.a]
deployment = { mode = "remote", remote = { endpoint = "ftp://example.org/" } }
[services.b]
deployment = { mode = "remote", remote = { endpoint = "tend+https://10.0.0.1:9443" } }
[services.c]
deployment = { mode = "remote", remote = { endpoint = "http://10.0.0.1/", tls_enabled = true } }
[services.d]
deployment = { mode = "remote", remote = { endpoint = "tend+https://10.0.0.1:9443/web" } }
''')
    r = tend('validate', '-c', cfg)
    assert r.returncode == 1, r.stderr
    assert f"{cfg}:3:" in r.stderr and "expected an http://, https:// or tend+https://" in r.stderr
    assert f"{cfg}:5:" in r.stderr and 'names the service after the port' in r.stderr, r.stderr
    assert f"{cfg}:7:" in r.stderr and "'services.c.deployment.remote.tls_enabled' is true, " \
        "but the endpoint is plain http" in r.stderr, r.stderr
    assert f"{cfg}:9:" in r.stderr and 'a tend+https:// endpoint needs auth_token_path' in r.stderr


def test_a_remote_service_on_a_local_port_is_watched_and_adopted(tmp_path, registry, marks):
    """An endpoint reached through a local port (a tunnel): its port is
    taken, which is no reason to refuse it; a daemon that takes over goes
    on watching the same job."""
    import socket
    from daemon import Daemon, crash
    state = tmp_path / 'state'
    state.write_text('200')
    script = tmp_path / 'plain.py'
    script.write_text(r'''
import http.server, sys
state = sys.argv[1]
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(int(open(state).read()))
        self.send_header('Content-Length', '0')
        self.end_headers()
    def log_message(self, *a):
        pass
srv = http.server.ThreadingHTTPServer(('127.0.0.1', 0), H)
print(srv.server_address[1], flush=True)
srv.serve_forever()
''')
    server = subprocess.Popen([sys.executable, script, state], stdout=subprocess.PIPE, text=True)
    home = tmp_path / 'home'
    home.mkdir()
    d = None
    try:
        port = int(server.stdout.readline())
        cfg = registry(f'''
[services.tunnel]
deployment = {{ mode = "remote", remote = {{ endpoint = "http://127.0.0.1:{port}/" }} }}
health_check = {{ type = "http", interval = 0.3, retries = 1, http = {{ endpoint = "http://127.0.0.1:{port}/" }} }}
startup = {{ restart = "never" }}
''')
        d = Daemon(home, cfg, ['--no-cgroups']).start()
        r = d.tend('services', 'start', 'tunnel')
        assert r.returncode == 0, r.stdout + r.stderr
        assert d.state('tunnel') == 'running'
        job = d.call('job.list', {'service_id': 'tunnel'})[0]

        crash(d)
        d.start()
        d.wait_state('tunnel', 'running')
        jobs = d.call('job.list', {'service_id': 'tunnel'})
        assert [j['id'] for j in jobs] == [job['id']], jobs
        # Still watched: it fails when the endpoint does.
        state.write_text('500')
        d.wait_state('tunnel', 'failed')
        assert 'HTTP status 500' in why(d, 'tunnel'), why(d, 'tunnel')
    finally:
        if d:
            assert d.stop() == 0, d.output()
        server.kill()
        server.wait()
