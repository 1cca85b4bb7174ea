"""env_file on actions and binary services, with real processes and a real
daemon: the values reach the process (file over registry env, later file
over earlier), are read again at each start, and appear nowhere else — not
in tend.db (nor its -wal/-shm), not in any API answer, not on the
dashboard, not in the daemon's own log. A missing or malformed file fails
the start naming the file (and line), never repeating what is in it."""
import json
import secrets
import socket
from pathlib import Path

import pytest
import requests

from daemon import RpcError


def env_of(path):
    """The KEY=VALUE lines a process wrote with `env -0`."""
    try:
        raw = Path(path).read_bytes()
    except OSError:
        return None
    return dict(e.split('=', 1) for e in raw.decode().split('\0') if '=' in e)


def writer(name, out, mark, env_file, extra=''):
    """A binary service that writes its environment to OUT, then sleeps."""
    return f'''
[services.{name}]
{extra}
[services.{name}.deployment]
mode = "binary"
[services.{name}.deployment.binary]
binary_path = "/bin/sh"
args = ["-c", "env -0 > {out}.tmp && mv {out}.tmp {out}; exec sleep {mark}"]
env = {{ FROM_REGISTRY = "registry", OVERRIDDEN = "registry" }}
env_file = {json.dumps(env_file)}
'''


def every_answer(d, name, base=None, token=None):
    """The text of every read-only API answer about the service (and the
    daemon's lists), over the unix socket and, with base, the dashboard's
    own HTTP endpoints."""
    jobs = d.call('job.list', {'service_id': name})
    runs = d.call('run.list', {'service': name})
    calls = [
        ('rpc.discover', None), ('service.list', None), ('service.list_full', None),
        ('service.get', {'name': name}), ('service.status', {'name': name}),
        ('service.status_full', {'name': name}), ('service.status_all', None),
        ('service.why', {'name': name}), ('service.health', {'name': name}),
        ('service.health_all', None), ('service.preflight', {'name': name}),
        ('service.tree', {'name': name}), ('service.stats', {'name': name}),
        ('service.children', {'name': name}), ('service.is_running', {'name': name}),
        ('action.get', {'name': name}), ('action.list', None),
        ('job.list', {}), ('job.list', {'service_id': name}), ('run.list', {}),
        ('events.list', {'limit': 100000}), ('events.list', {'service': name}),
        ('logs.tail', {'name': name}),
    ] + [('job.get', {'id': j['id']}) for j in jobs] + [('run.get', {'id': r['id']}) for r in runs]
    texts = []
    for method, params in calls:
        texts.append(json.dumps(d.call(method, params)))
    texts.append(d.tend('services', 'status', name).stdout)
    texts.append(d.tend('why', name).stdout)
    texts.append(d.tend('services', 'list', '--json').stdout)
    if base:
        auth = {'Authorization': f'Bearer {token}'}
        for method, params in calls:
            body = {'jsonrpc': '2.0', 'id': 1, 'method': method}
            if params is not None:
                body['params'] = params
            r = requests.post(base + 'rpc', json=body, headers=auth, timeout=10)
            assert r.status_code == 200 and 'result' in r.json(), r.text
            texts.append(r.text)
        for path in ('', 'assets/app.js', 'metrics'):
            texts.append(requests.get(base + path, headers=auth, timeout=10).text)
        for path in ('events', f'logs/{name}'):
            texts.append(stream_for_a_while(base + path, token))
    return texts


def stream_for_a_while(url, token, seconds=1.0):
    """What a server-sent event stream sends in its first second (it
    replays what happened, then waits for more)."""
    host, port = url.split('//')[1].split('/')[0].split(':')
    path = '/' + url.split('//')[1].split('/', 1)[1]
    got = b''
    with socket.create_connection((host, int(port)), timeout=10) as s:
        s.sendall(f'GET {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n'
                  f'Accept: text/event-stream\r\n\r\n'.encode())
        s.settimeout(seconds)
        try:
            while chunk := s.recv(65536):
                got += chunk
        except socket.timeout:
            pass
    assert got.startswith(b'HTTP/1.1 200'), got[:200]
    return got.decode(errors='replace')


def test_secret_reaches_the_process_and_nowhere_else(daemon, home, tmp_path, marks):
    secret = 'tendsecret-' + secrets.token_hex(16)
    folder = tmp_path / 'secrets'
    folder.mkdir()
    (folder / 'app.env').write_text(f'# the app\nSECRET_TOKEN="{secret}"\nOVERRIDDEN=file\n'
                                    'LATER=first\n')
    (folder / 'more.env').write_text("LATER='second'\n")
    out = tmp_path / 'env.out'
    d = daemon(writer('app', out, marks(), ['../secrets/app.env', str(folder / 'more.env')]),
               extra_args=['--http', '127.0.0.1:0'])
    d.call('service.start', {'name': 'app'})
    d.wait_state('app', 'running')
    d.wait_for(lambda: env_of(out), what='the environment written')
    env = env_of(out)
    assert env['SECRET_TOKEN'] == secret
    assert env['FROM_REGISTRY'] == 'registry'
    assert env['OVERRIDDEN'] == 'file'  # EnvironmentFile= wins over Environment=
    assert env['LATER'] == 'second'     # a later file wins over an earlier one
    # The spec shows the files (relative to the registry file), never their values.
    spec = d.call('service.get', {'name': 'app'})
    assert spec['deployment']['binary']['env_file'] == [str(folder / 'app.env'),
                                                         str(folder / 'more.env')]
    url = (home / 'dashboard.url').read_text().strip()
    base, token = url.split('?')[0], url.split('token=')[1]
    texts = every_answer(d, 'app', base, token)
    assert len(texts) > 40
    for text in texts:
        assert secret not in text
    # A restart reads the files again, and the answers still hold no value.
    d.call('service.restart', {'name': 'app'})
    d.wait_for(lambda: d.state('app') == 'running' and len(d.call('job.list', {'service_id': 'app'})) >= 1,
               what='restarted')
    for text in every_answer(d, 'app'):
        assert secret not in text
    # Every byte tend keeps: the database and its WAL and shm files, job
    # logs, the daemon's own output; while it runs and after it stopped.
    kept = [p for p in home.rglob('*') if p.is_file()]
    assert {'tend.db', 'tend.db-wal'} <= {p.name for p in kept}
    for p in kept:
        assert secret.encode() not in p.read_bytes(), p
    d.stop()
    for p in home.rglob('*'):
        if p.is_file():
            assert secret.encode() not in p.read_bytes(), p


def test_a_changed_file_takes_effect_at_the_next_start(daemon, home, tmp_path, marks):
    envfile = tmp_path / 'rotate.env'
    envfile.write_text('TOKEN=one\n')
    out = tmp_path / 'env.out'
    d = daemon(writer('rot', out, marks(), str(envfile)))
    d.call('service.start', {'name': 'rot'})
    d.wait_for(lambda: (env_of(out) or {}).get('TOKEN') == 'one', what='first value')
    envfile.write_text('TOKEN="two"\n')
    out.unlink()
    d.call('service.restart', {'name': 'rot'})
    d.wait_for(lambda: (env_of(out) or {}).get('TOKEN') == 'two', what='second value')
    d.wait_state('rot', 'running')


def test_missing_required_file_fails_the_start_naming_it(daemon, tmp_path, marks):
    missing = tmp_path / 'nowhere' / 'missing.env'
    d = daemon(writer('needy', tmp_path / 'out', marks(), str(missing),
                      'startup = { restart = "never" }'))
    # Pre-flight refuses it, naming the file, and changes nothing ...
    with pytest.raises(RpcError) as e:
        d.call('service.start', {'name': 'needy'})
    assert e.value.message == f'Pre-flight check failed: env_file\nneedy: Env file not found: {missing}'
    assert d.call('job.list', {'service_id': 'needy'}) == []
    [checks] = d.call('service.preflight', {'name': 'needy'})
    assert {'check': 'env_file', 'ok': False,
            'message': f'Env file not found: {missing}'} in checks['checks']
    # ... and with force the job itself fails with the reason.
    d.call('service.start', {'name': 'needy', 'force': True})
    d.wait_state('needy', 'failed')
    [job] = d.call('job.list', {'service_id': 'needy'})
    assert job['phase'] == 'failed'
    assert job['error'] == f'env file {missing}: No such file or directory'
    assert f'env file {missing}: No such file or directory' in d.tend('why', 'needy').stdout


def test_optional_missing_file_is_no_error(daemon, tmp_path, marks):
    out = tmp_path / 'env.out'
    present = tmp_path / 'present.env'
    present.write_text('HERE=yes\n')
    d = daemon(writer('relaxed', out, marks(), [f'-{tmp_path}/absent.env', f'-{present}']))
    [result] = d.call('service.preflight', {'name': 'relaxed'})
    checks = result['checks']
    assert {'check': 'env_file', 'ok': True,
            'message': f'Optional env file absent: {tmp_path}/absent.env'} in checks
    d.call('service.start', {'name': 'relaxed'})
    d.wait_state('relaxed', 'running')
    d.wait_for(lambda: env_of(out), what='the environment written')
    assert env_of(out)['HERE'] == 'yes'


def test_malformed_line_names_file_and_line_but_not_its_text(daemon, tmp_path, marks):
    secret = 'tendsecret-' + secrets.token_hex(16)
    bad = tmp_path / 'bad.env'
    bad.write_text(f'GOOD=1\n{secret}\n')
    d = daemon(f'''
[actions.job]
kind = "oneshot"
exec = ["/bin/true"]
env_file = "{bad}"
[services.svc]
actions = ["job"]
startup = {{ restart = "never" }}
''')
    with pytest.raises(RpcError) as e:
        d.call('service.start', {'name': 'svc'})
    assert 'Pre-flight check failed: env_file' in e.value.message
    assert f'env file {bad}: line 2: expected KEY=VALUE' in e.value.message
    assert secret not in e.value.message
    d.call('service.start', {'name': 'svc', 'force': True})
    d.wait_state('svc', 'failed')
    [job] = d.call('job.list', {'service_id': 'svc'})
    assert job['error'].startswith(f'env file {bad}: line 2: ')
    assert secret not in job['error']
    # A fixed file works at the next start.
    bad.write_text('GOOD=1\n')
    d.call('service.start', {'name': 'svc'})
    d.wait_state('svc', 'success')
    d.stop()
    assert secret not in d.output()


def test_registry_errors_name_file_line_and_column(tend, registry):
    path = registry('''
[actions.a]
exec = ["/bin/true"]
env_file = 42
[services.s.deployment]
mode = "binary"
binary = { binary_path = "/bin/true", env_file = [""] }
''')
    r = tend('validate', '-c', path)
    assert r.returncode == 1
    assert f'{path}:4:12: error: \'actions.a.env_file\': expected a path or an array of paths' in r.stderr
    assert f'{path}:7:51: error: \'services.s.deployment.binary.env_file\': expected the path of a file' in r.stderr
