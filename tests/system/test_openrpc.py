"""rpc.discover returns the OpenRPC document, and it is valid against the
OpenRPC 1.3 meta-schema (../shared/conformance/openrpc), with the JSON
Schema meta-schema it refers to resolved offline."""
import json
import os
from pathlib import Path

import jsonschema

REPO = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get('TEND_SHARED', REPO.parent / 'shared'))
OPENRPC = SHARED / 'conformance' / 'openrpc'


def validator():
    meta = json.loads((OPENRPC / 'meta-schema-1.3.json').read_text())
    tools = json.loads((OPENRPC / 'json-schema-tools-meta-schema.json').read_text())
    store = {'https://meta.json-schema.tools': tools, 'https://meta.json-schema.tools/': tools}
    resolver = jsonschema.RefResolver.from_schema(meta, store=store)
    return jsonschema.Draft7Validator(meta, resolver=resolver)


def test_rpc_discover_is_a_valid_openrpc_document(d):
    doc = d.call('rpc.discover')
    assert isinstance(doc, dict) and doc['openrpc'] == '1.3.2'
    errors = sorted(validator().iter_errors(doc), key=lambda e: list(e.path))
    assert not errors, '\n'.join(f'{list(e.path)}: {e.message}' for e in errors[:5])
    assert doc == json.loads((REPO / 'src' / 'api' / 'openrpc.json').read_text())


def test_the_meta_schema_does_reject_a_broken_document(d):
    doc = d.call('rpc.discover')
    doc['methods'][0]['params'] = 'not a list'
    del doc['info']
    assert len(list(validator().iter_errors(doc))) >= 2


def test_every_described_method_is_served(d):
    for method in d.call('rpc.discover')['methods']:
        status, body = d.post(json.dumps({'jsonrpc': '2.0', 'id': 1, 'method': method['name'],
                                          'params': {'no_such_param': 1}}))
        error = json.loads(body).get('error', {})
        assert error.get('code') != -32601, method['name']


def test_every_method_names_its_missing_or_mistyped_parameter_and_changes_nothing(d):
    d.call('service.set', {'name': 'web', 'spec': {'deployment': {'mode': 'binary', 'binary': {
        'binary_path': '/bin/sleep', 'args': ['1000']}}}})
    before = (d.call('service.list_full'), d.call('action.list'), d.call('job.list'))
    for method in d.call('rpc.discover')['methods']:
        required = [p['name'] for p in method['params'] if p.get('required')]
        if required:  # nothing given: the error names a missing required parameter
            status, body = d.post(json.dumps({'jsonrpc': '2.0', 'id': 1,
                                              'method': method['name'], 'params': {}}))
            error = json.loads(body)['error']
            assert error['code'] == -32602, method['name']
            assert any(f"'{name}' is required" in error['data'] for name in required), error
        for param in method['params']:
            # A value of a type no parameter takes.
            status, body = d.post(json.dumps({'jsonrpc': '2.0', 'id': 1, 'method': method['name'],
                                              'params': {param['name']: [[None]]}}))
            error = json.loads(body)['error']
            assert error['code'] == -32602, (method['name'], param['name'])
    after = (d.call('service.list_full'), d.call('action.list'), d.call('job.list'))
    for b, a in zip(before, after):
        for x in (b, a):
            for item in x if isinstance(x, list) else []:
                item.pop('uptime', None), item.pop('since', None)
    assert before == after


def test_every_pre_flight_check_a_daemon_makes_is_one_the_document_names(daemon, home):
    # A service of each mode, with each prerequisite a check looks at.
    (home / 'env').write_text('A=1\n')
    (home / 'token').write_text('t\n')
    (home / 'token').chmod(0o600)
    (home / 'ca.pem').write_text('')
    (home / 'compose.yml').write_text('services:\n  s:\n    image: x\n')
    d = daemon(f'''
[services.bin]
deployment = {{ mode = "binary", binary = {{ binary_path = "/bin/sleep", working_dir = "/", user = "root", env_file = "{home}/env" }} }}
health_check = {{ type = "tcp", tcp = {{ port = 1 }} }}
[services.box]
deployment = {{ mode = "docker", docker = {{ image = "x" }} }}
[services.comp]
deployment = {{ mode = "docker-compose", docker_compose = {{ compose_file = "{home}/compose.yml", service_name = "s" }} }}
[services.kube]
deployment = {{ mode = "kubernetes", kubernetes = {{ deployment_name = "k", manifests_path = "{home}" }} }}
[services.far]
deployment = {{ mode = "remote", remote = {{ endpoint = "https://127.0.0.1:1/", auth_token_path = "{home}/token", ca_file = "{home}/ca.pem" }} }}
''')
    doc = d.call('rpc.discover')
    named = set(doc['components']['schemas']['Preflight']['properties']['checks']['items']
                ['properties']['check']['enum'])
    made = {c['check'] for r in d.call('service.preflight') for c in r['checks']}
    assert made - named == set()
    assert {'binary', 'working_dir', 'user', 'env_file', 'port', 'container_cli',
            'compose_file', 'kubectl', 'manifests', 'endpoint', 'auth_token', 'ca_file',
            'conflicts', 'dependencies'} <= made
