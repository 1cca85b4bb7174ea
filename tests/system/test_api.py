"""The API surface of the daemon: specs through service.set/action.set (the
same validation as the file), JSON-RPC batches and notifications, the
socket's permissions, oneshot retries, and what a restarted daemon finds."""
import json
import stat

import pytest

from daemon import Daemon, RpcError

SLEEP = {'deployment': {'mode': 'binary', 'binary': {'binary_path': '/bin/sleep', 'args': ['1000']}}}


def test_socket_is_private(d):
    assert stat.S_IMODE((d.home / 'tend.sock').stat().st_mode) == 0o600


def test_service_set_get_delete(d):
    plan = d.call('service.set', {'name': 'web', 'spec': SLEEP})
    assert plan['added'] == ['web']
    spec = d.call('service.get', {'name': 'web'})
    assert spec['deployment']['binary']['binary_path'] == '/bin/sleep'
    assert spec['startup']['restart'] == 'on-failure'  # defaults filled in
    with pytest.raises(RpcError) as e:
        d.call('service.set', {'name': 'api', 'spec': {'dependencies': ['nope'], **SLEEP}})
    assert e.value.code == -32602 and "depends on 'nope', which is not a service" in str(e.value)
    assert [s['name'] for s in d.call('service.list')] == ['web']
    d.call('service.start', {'name': 'web'})
    d.wait_state('web', 'running')
    pid = d.call('service.status', {'name': 'web'})['pid']
    assert d.call('service.delete', {'name': 'web'})['removed'] == ['web']
    assert d.call('service.list') == []
    assert d.call('job.list', {'service_id': 'web'}) == []
    d.wait_for(lambda: not _alive(pid), what='process of deleted service gone')


def test_actions_and_a_workflow_service_through_the_api(d):
    d.call('action.set', {'name': 'prepare', 'spec': {'interpreter': 'sh', 'script': 'exit 0',
                                                       'kind': 'oneshot'}})
    d.call('action.set', {'name': 'serve', 'spec': {'exec': ['/bin/sleep', '1000'],
                                                     'depends_on': {'requires': ['prepare']}}})
    assert sorted(a['name'] for a in d.call('action.list')) == ['prepare', 'serve']
    assert d.call('action.get', {'name': 'serve'})['depends_on']['requires'] == ['prepare']
    d.call('service.set', {'name': 'app', 'spec': {'actions': ['prepare', 'serve']}})
    with pytest.raises(RpcError) as e:
        d.call('action.delete', {'name': 'serve'})
    assert "runs action 'serve', which is not defined" in str(e.value)
    d.call('service.start', {'name': 'app'})
    d.wait_state('app', 'running')
    run = d.call('run.get', {'id': d.call('service.status', {'name': 'app'})['run_id']})
    assert [j['action_id'] for j in sorted(run['jobs'], key=lambda j: j['id'])] == ['prepare', 'serve']


def test_oneshot_retries_keep_provenance(d, home):
    marker = home / 'tries'
    d.call('action.set', {'name': 'flaky', 'spec': {
        'interpreter': 'sh', 'kind': 'oneshot',
        'script': f'echo x >> {marker}; [ $(wc -l < {marker}) -ge 3 ]',
        'retry': {'max_attempts': 3, 'delay': 0.01, 'backoff': 1}}})
    d.call('service.set', {'name': 'job', 'spec': {'actions': ['flaky']}})
    d.call('service.start', {'name': 'job'})
    d.wait_state('job', 'success')
    jobs = sorted(d.call('job.list', {'service_id': 'job'}), key=lambda j: j['id'])
    assert [(j['attempt'], j['phase']) for j in jobs] == [(1, 'failed'), (2, 'failed'), (3, 'succeeded')]
    assert len({(j['service_id'], j['action_id'], j['run_id']) for j in jobs}) == 1


def test_batch_and_notification(d):
    status, body = d.post(json.dumps([
        {'jsonrpc': '2.0', 'id': 1, 'method': 'service.list'},
        {'jsonrpc': '2.0', 'method': 'service.list'},
        {'jsonrpc': '2.0', 'id': 2, 'method': 'nope'},
        {'jsonrpc': '2.0', 'id': 3, 'method': 'service.status', 'params': {'name': 7}},
    ]))
    answers = {a['id']: a for a in json.loads(body)}
    assert set(answers) == {1, 2, 3}
    assert answers[1]['result'] == []
    assert answers[2]['error']['code'] == -32601
    assert answers[3]['error']['code'] == -32602 and "'name'" in answers[3]['error']['data']
    status, body = d.post(json.dumps({'jsonrpc': '2.0', 'method': 'service.list'}))
    assert status == 204 and body == b''
    status, body = d.post('{"jsonrpc": "2.0", "method": ')
    assert json.loads(body)['error']['code'] == -32700


def test_a_restarted_daemon_brings_back_what_was_wanted(home):
    cfg = home / 'services.toml'
    cfg.write_text('''
[services.kept]
deployment = { mode = "binary", binary = { binary_path = "/bin/sleep", args = ["1000"] } }
[services.idle]
deployment = { mode = "binary", binary = { binary_path = "/bin/sleep", args = ["1000"] } }
''')
    d = Daemon(home, cfg).start()
    d.call('service.start', {'name': 'kept'})
    d.wait_state('kept', 'running')
    assert d.stop() == 0
    again = Daemon(home).start()  # no -c: the stored registry
    try:
        again.wait_state('kept', 'running')
        assert again.state('idle') == 'inactive'
        assert [s['name'] for s in again.call('service.list')] == ['kept', 'idle']
        phases = [j['phase'] for j in again.call('job.list', {'service_id': 'kept'})]
        assert phases.count('running') == 1
    finally:
        assert again.stop() == 0


def _alive(pid):
    try:
        with open(f'/proc/{pid}/stat') as f:
            return f.read().split(') ')[1][0] != 'Z'
    except OSError:
        return False


def test_nul_characters_in_params_are_refused_and_change_nothing(d):
    status, body = d.post('{"jsonrpc":"2.0","id":1,"method":"quick_service.set",'
                          '"params":{"name":"web","exec":["/bin/sleep","1\\u0000; rm -rf /"]}}')
    error = json.loads(body)['error']
    assert (status, error['code']) == (200, -32602)
    assert 'U+0000' in error['data']
    assert d.call('service.list') == []
    # A key with U+0000 is valid JSON too, but never a valid request.
    status, body = d.post('{"jsonrpc":"2.0","id":1,"method":"service.list","params":{"a\\u0000":1}}')
    assert json.loads(body)['error']['code'] == -32600


def test_a_lone_json_value_is_an_invalid_request_not_a_parse_error(d):
    for text in ('42', '"x"', 'null', 'true'):
        status, body = d.post(text)
        assert json.loads(body)['error']['code'] == -32600, text
    status, body = d.post('{"jsonrpc":"2.0","id":1,"method":"service.list"}\x00')
    assert json.loads(body)['error']['code'] == -32700


def _rpc(d, method, params):
    status, body = d.post(json.dumps({'jsonrpc': '2.0', 'id': 1, 'method': method,
                                      'params': params}))
    assert status == 200
    return json.loads(body)


def test_empty_params_array_is_the_same_as_no_params(d):
    # JSON-RPC 2.0 allows params by position; [] names nothing, so every
    # method that takes no parameters (or only optional ones) accepts it.
    for method in ('service.list', 'service.status_all', 'action.list', 'registry.get',
                   'job.list', 'rpc.discover'):
        answer = _rpc(d, method, [])
        assert 'error' not in answer, (method, answer)
        assert answer['result'] == d.call(method), method
    # A method with a required parameter says which one is missing.
    error = _rpc(d, 'service.get', [])['error']
    assert error['code'] == -32602 and error['data'] == "invalid params: 'name' is required"
    # Also inside a batch.
    status, body = d.post(json.dumps([{'jsonrpc': '2.0', 'id': 7, 'method': 'service.list',
                                       'params': []}]))
    assert json.loads(body) == [{'jsonrpc': '2.0', 'id': 7, 'result': []}]


def test_params_by_position_are_refused_naming_params_and_change_nothing(d):
    answer = _rpc(d, 'service.set', ['web', SLEEP])
    error = answer['error']
    assert (error['code'], error['message']) == (-32602, 'Invalid params')
    assert error['data'] == ("invalid params: 'params' must be an object: service.set takes "
                             "named parameters, not parameters by position")
    assert d.call('service.list') == []
    error = _rpc(d, 'service.list', [True])['error']
    assert error['code'] == -32602 and "'params'" in error['data']


def test_nul_in_the_method_or_version_is_no_method_and_no_version(d):
    # Found by fuzz-rpc: the C string of "service.list\u0000x" reads
    # "service.list", and that method ran; likewise "2.0\u0000x" passed
    # for the version. Names are compared whole.
    status, body = d.post('{"jsonrpc":"2.0","id":1,"method":"service.list\\u0000x"}')
    assert json.loads(body)['error']['code'] == -32601
    status, body = d.post('{"jsonrpc":"2.0","id":1,"method":"quick_service.set\\u0000",'
                          '"params":{"name":"web","exec":["/bin/sleep","1000"]}}')
    assert json.loads(body)['error']['code'] == -32601
    assert d.call('service.list') == []
    status, body = d.post('{"jsonrpc":"2.0\\u0000x","id":1,"method":"service.list"}')
    assert json.loads(body) == {'jsonrpc': '2.0', 'id': 1,
                                'error': {'code': -32600, 'message': 'Invalid Request'}}
