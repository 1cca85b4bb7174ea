"""API tokens on a real daemon: `tend token create|list|revoke|rotate`, a
made token on the dashboard's port for /rpc, /metrics and /events, a
read-only token that reads but cannot act, revoked and expired tokens
refused in words, the dashboard's token (and a real Prometheus scraping
with it from its file) kept across a daemon restart and a kill -9 until
`tend token rotate dashboard`, no token in clear in the database, and
Prometheus' own promtool linting /metrics."""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest
import requests

from daemon import Daemon, alive, crash, main_pid_of

TOKEN = re.compile(r'^tend_[0-9a-f]{64}$')


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def registry(mark):
    return f'''
[services.web]
deployment = {{ mode = "binary", binary = {{ binary_path = "/bin/sleep", args = ["{mark}"] }} }}
startup = {{ auto_start = true }}
'''


class Dash:
    """The daemon's dashboard port, asked with a given token."""

    def __init__(self, port):
        self.base = f'http://127.0.0.1:{port}/'

    def rpc(self, token, method, params=None):
        body = {'jsonrpc': '2.0', 'id': 1, 'method': method}
        if params is not None:
            body['params'] = params
        return requests.post(self.base + 'rpc', json=body, timeout=10,
                             headers={'Authorization': f'Bearer {token}'})

    def get(self, token, path, **kw):
        return requests.get(self.base + path, timeout=10, headers={'Authorization': f'Bearer {token}'}, **kw)

    def answers(self, token, path):
        """GET's status, or None while nothing listens on the port."""
        try:
            return self.get(token, path).status_code
        except requests.ConnectionError:
            return None

    def events_open(self, token):
        """GET /events: the status, and the first bytes of the stream."""
        with self.get(token, 'events?tail=1', stream=True) as r:
            return r.status_code, (next(r.iter_content(1), b'') if r.status_code == 200 else r.content)


@pytest.fixture
def served(home, marks):
    """A daemon with one running service and its dashboard on a fixed port
    (so that a restarted daemon serves the same address)."""
    mark = marks()
    cfg = home / 'services.toml'
    cfg.write_text(registry(mark))
    port = free_port()
    started = []

    def start():
        d = Daemon(home, cfg, extra_args=['--http', f'127.0.0.1:{port}']).start()
        started.append(d)
        d.wait_state('web', 'running')
        return d
    d = start()
    yield d, Dash(port), start
    for one in started:
        if one.proc.poll() is None:
            assert one.stop() == 0, one.output()


def create(d, *args):
    r = d.tend('token', 'create', *args)
    assert r.returncode == 0, r.stderr
    token = r.stdout.strip()
    assert TOKEN.match(token), r.stdout
    return token


def test_create_list_revoke_rotate_through_the_cli(served):
    d, dash, _ = served
    ci = create(d, 'ci', '--read-only', '--expires', '30')
    listed = d.tend('token', 'list')
    assert listed.returncode == 0, listed.stderr
    row = next(line for line in listed.stdout.splitlines() if line.startswith('ci '))
    assert 'read-only' in row and 'never' in row  # never used yet
    assert re.search(r'dashboard +admin', listed.stdout)
    as_json = json.loads(d.tend('token', 'list', '--json').stdout)
    assert {t['name'] for t in as_json} == {'dashboard', 'ci'}
    mine = next(t for t in as_json if t['name'] == 'ci')
    assert mine['read_only'] and 29.9 * 86400 < mine['expires_at'] - mine['created_at'] < 30.1 * 86400
    assert ci[5:] not in listed.stdout + json.dumps(as_json)
    # The words for what is wrong, and nothing changed.
    again = d.tend('token', 'create', 'ci')
    assert again.returncode == 1 and "a token named 'ci' already exists" in again.stderr
    unknown = d.tend('token', 'revoke', 'nobody')
    assert unknown.returncode == 1 and "no token named 'nobody'" in unknown.stderr
    bad = d.tend('token', 'create', 'x', '--expires', 'soon')
    assert bad.returncode == 2 and "--expires: 'soon' is not a number of days" in bad.stderr
    zero = d.tend('token', 'create', 'x', '--expires', '0')
    assert zero.returncode == 2
    name = d.tend('token', 'create', 'two words')
    assert name.returncode == 1 and "'name' must be 1 to 64 letters" in name.stderr
    assert {t['name'] for t in json.loads(d.tend('token', 'list', '--json').stdout)} == {'dashboard', 'ci'}
    assert dash.rpc(ci, 'service.list').status_code == 200
    # Rotated: a new text, the old one refused at once.
    r = d.tend('token', 'rotate', 'ci')
    assert r.returncode == 0, r.stderr
    rotated = r.stdout.strip()
    assert TOKEN.match(rotated) and rotated != ci
    old = dash.rpc(ci, 'service.list')
    assert old.status_code == 401 and 'wrong access token' in old.json()['error']
    assert dash.rpc(rotated, 'service.list').status_code == 200
    # Revoked: refused, in words.
    r = d.tend('token', 'revoke', 'ci')
    assert r.returncode == 0, r.stderr
    refused = dash.rpc(rotated, 'service.list')
    assert refused.status_code == 401
    assert re.search(r"token 'ci' was revoked at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", refused.json()['error'])
    assert dash.get(rotated, 'metrics').status_code == 401
    assert 'ci' not in {t['name'] for t in json.loads(d.tend('token', 'list', '--json').stdout)}
    gone = d.tend('token', 'revoke', 'dashboard')
    assert gone.returncode == 1 and 'only rotated' in gone.stderr


def test_a_made_token_works_on_the_dashboard_port(served):
    d, dash, _ = served
    admin = create(d, 'script')
    listed = dash.rpc(admin, 'service.list')
    assert listed.status_code == 200 and listed.json()['result'][0]['name'] == 'web'
    metrics = dash.get(admin, 'metrics')
    assert metrics.status_code == 200 and 'tend_service_state' in metrics.text
    assert dash.events_open(admin)[0] == 200
    # An admin token acts.
    stopped = dash.rpc(admin, 'service.stop', {'name': 'web'})
    assert 'result' in stopped.json(), stopped.text
    d.wait_state('web', 'inactive')
    # ... and manages tokens, as the owner does.
    made = dash.rpc(admin, 'token.create', {'name': 'remote-made'}).json()['result']
    assert TOKEN.match(made['token'])
    assert dash.rpc(made['token'], 'service.status_all').status_code == 200
    used = next(t for t in d.call('token.list') if t['name'] == 'script')
    assert used['last_used_at'] is not None
    assert dash.rpc('tend_' + '0' * 64, 'service.list').status_code == 401


def test_a_read_only_token_reads_but_does_not_act(served):
    d, dash, _ = served
    viewer = create(d, 'viewer', '--read-only')
    assert dash.rpc(viewer, 'service.list').json()['result'][0]['name'] == 'web'
    assert dash.rpc(viewer, 'service.status_all').json()['result'][0]['state'] == 'running'
    assert dash.get(viewer, 'metrics').status_code == 200
    assert dash.events_open(viewer)[0] == 200
    assert dash.rpc(viewer, 'logs.tail', {'name': 'web'}).status_code == 200
    assert dash.get(viewer, 'logs/web?lines=5').status_code == 200
    stop = dash.rpc(viewer, 'service.stop', {'name': 'web'}).json()
    assert stop['error']['code'] == -32001, stop
    assert "service.stop changes things and token 'viewer' is read-only" in stop['error']['message']
    listing = dash.rpc(viewer, 'token.list').json()
    assert "token.list manages access tokens and token 'viewer' is read-only" in listing['error']['message']
    made = dash.rpc(viewer, 'token.create', {'name': 'sneaky'}).json()
    assert made['error']['code'] == -32001
    # Nothing changed.
    assert d.state('web') == 'running'
    assert 'sneaky' not in {t['name'] for t in d.call('token.list')}


def test_every_method_is_classified_for_read_only_tokens(served):
    """The method list, walked: a read-only token gets -32001 exactly for
    the methods rpc.discover does not mark x-access "reads"."""
    d, dash, _ = served
    viewer = create(d, 'walker', '--read-only')
    methods = d.call('rpc.discover')['methods']
    assert len(methods) > 40
    for m in methods:
        assert m.get('x-access') in ('reads', 'changes', 'admin'), m['name']
        # Unknown params: a method that runs refuses them (-32602), so
        # nothing runs; only the read-only check comes first.
        answer = dash.rpc(viewer, m['name'], {'walk_marker_param': 1}).json()
        code = answer.get('error', {}).get('code')
        if m['x-access'] == 'reads':
            assert code != -32001, (m['name'], answer)
        else:
            assert code == -32001 and m['name'] in answer['error']['message'], (m['name'], answer)
    assert d.state('web') == 'running'


def test_an_expired_token_is_refused_in_words(served):
    d, dash, _ = served
    brief = create(d, 'brief', '--expires', '0.0001')  # 8.64 seconds
    assert dash.rpc(brief, 'service.list').status_code == 200
    d.wait_for(lambda: dash.rpc(brief, 'service.list').status_code == 401, timeout=30,
               what='the token to expire')
    refused = dash.get(brief, 'metrics')
    assert refused.status_code == 401
    assert re.search(r"token 'brief' expired at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", refused.json()['error'])
    row = next(t for t in d.call('token.list') if t['name'] == 'brief')
    assert row['expired'] is True
    assert '(expired)' in d.tend('token', 'list').stdout


def dashboard_token(home):
    path = home / 'dashboard.token'
    assert path.stat().st_mode & 0o777 == 0o600
    token = path.read_text().strip()
    assert TOKEN.match(token)
    assert (home / 'dashboard.url').read_text().strip().endswith('?token=' + token)
    return token


class Prometheus:
    """A real Prometheus scraping the dashboard's /metrics every second
    with the dashboard's token file (bearer credentials_file)."""

    def __init__(self, tmp, target, token_file):
        self.port = free_port()
        cfg = tmp / 'prometheus.yml'
        cfg.write_text(f'''
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: tend
    authorization:
      credentials_file: {token_file}
    static_configs:
      - targets: ['{target}']
''')
        self.out = open(tmp / 'prometheus.out', 'wb')
        self.proc = subprocess.Popen(
            [shutil.which('prometheus'), f'--config.file={cfg}', f'--storage.tsdb.path={tmp / "tsdb"}',
             f'--web.listen-address=127.0.0.1:{self.port}'], stdout=self.out, stderr=subprocess.STDOUT)

    def target(self):
        try:
            r = requests.get(f'http://127.0.0.1:{self.port}/api/v1/targets', timeout=5)
            active = r.json()['data']['activeTargets']
        except (requests.RequestException, ValueError, KeyError):
            return None
        return active[0] if active else None

    def scraped_up_since(self, t0):
        """The target, once a scrape that began after t0 (epoch) succeeded."""
        t = self.target()
        if not t or t['health'] != 'up' or t['lastError']:
            return None
        stamp = re.sub(r'(\.\d{6})\d*', r'\1', t['lastScrape']).replace('Z', '+00:00')
        from datetime import datetime
        return t if datetime.fromisoformat(stamp).timestamp() > t0 else None

    def stop(self):
        self.proc.terminate()
        self.proc.wait(20)
        self.out.close()


def test_the_dashboard_token_and_a_scrape_survive_restarts_until_rotated(served, home, tmp_path):
    d, dash, start = served
    token = dashboard_token(home)
    assert dash.get(token, 'metrics').status_code == 200
    prom = Prometheus(tmp_path, dash.base[len('http://'):-1], home / 'dashboard.token')
    try:
        d.wait_for(lambda: prom.scraped_up_since(0), timeout=60, what='a first good scrape')
        # A daemon restart.
        assert d.stop() == 0, d.output()
        d = start()
        assert dashboard_token(home) == token
        assert dash.get(token, 'metrics').status_code == 200
        t0 = time.time()
        d.wait_for(lambda: prom.scraped_up_since(t0), timeout=30, what='a scrape after the restart')
        # kill -9 of the main process alone: the keeper starts another (--resumed).
        keeper, main = d.proc.pid, d.main_pid()
        os.kill(main, signal.SIGKILL)
        d.wait_for(lambda: main_pid_of(keeper) not in (None, main), what='a new main process')
        d.wait_for(lambda: dash.answers(token, 'metrics') == 200, what='the dashboard back')
        assert dashboard_token(home) == token
        # kill -9 of both tend processes, then a new daemon.
        crash(d)
        d = start()
        assert dashboard_token(home) == token
        t0 = time.time()
        d.wait_for(lambda: prom.scraped_up_since(t0), timeout=30, what='a scrape after the crash')
        # Rotated: the old token is refused; the file, the URL and the
        # scrape follow.
        r = d.tend('token', 'rotate', 'dashboard')
        assert r.returncode == 0, r.stderr
        fresh = r.stdout.strip()
        assert fresh != token and dashboard_token(home) == fresh
        assert dash.get(token, 'metrics').status_code == 401
        assert dash.get(fresh, 'metrics').status_code == 200
        url = d.tend('dashboard', '--no-open').stdout.strip()
        assert url.endswith('?token=' + fresh)
        t0 = time.time()
        d.wait_for(lambda: prom.scraped_up_since(t0), timeout=30, what='a scrape after the rotation')
        # And the rotated token, too, outlives a restart.
        assert d.stop() == 0, d.output()
        d = start()
        assert dashboard_token(home) == fresh
    finally:
        prom.stop()


def test_the_database_holds_no_token_in_clear(served, home):
    d, dash, _ = served
    made = [create(d, 'one'), create(d, 'two', '--read-only'), dashboard_token(home)]
    assert dash.rpc(made[0], 'service.list').status_code == 200
    files = [p for p in home.iterdir() if p.name.startswith('tend.db')]
    assert files
    for path in files:
        data = path.read_bytes()
        for token in made:
            assert token[5:].encode() not in data, path
            assert token[5:].upper().encode() not in data, path
            assert bytes.fromhex(token[5:]) not in data, path


def test_promtool_lints_metrics(served):
    d, dash, _ = served
    create(d, 'scraper', '--read-only')
    metrics = dash.get(dashboard_token(d.home), 'metrics')
    assert metrics.status_code == 200
    lint = subprocess.run([shutil.which('promtool'), 'check', 'metrics'], input=metrics.content,
                          capture_output=True, timeout=30)
    assert lint.returncode == 0 and not lint.stdout.strip() and not lint.stderr.strip(), lint
