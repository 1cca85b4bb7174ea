#!/usr/bin/python3
"""Seed corpus for fuzz-rpc (`make fuzz`), written into OUTDIR at run time:

- every request of the JSON-RPC 2.0 specification's examples
  (../shared/conformance/jsonrpc, transcribed from the spec; not copied
  into the repository);
- for every method of tend's OpenRPC document (src/api/openrpc.json): a
  call without params, a call with each parameter given a value of its
  schema, a call per example pairing the method has (`examples`), and a batch that first defines a service and an action, then
  makes the call and the same call as a notification.

The JSONTestSuite files (../shared/conformance/json/test_parsing) are
given to the fuzzer as a corpus directory of their own. DICT, a libFuzzer
dictionary, gets every method name, parameter name, schema property name
and enum value of the OpenRPC document, as JSON strings.

usage: scripts/fuzz_seeds.py OUTDIR DICT
"""
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / 'shared'

SERVICE = {'deployment': {'mode': 'binary',
                          'binary': {'binary_path': '/bin/sleep', 'args': ['1000']}}}
ACTION = {'exec': ['/bin/echo', 'hi'], 'kind': 'oneshot'}
REGISTRY = {'services': {'web': SERVICE}, 'actions': {'hello': ACTION}}

# A value a real caller would send, by parameter name; by type otherwise.
BY_NAME = {
    'action': 'hello', 'action_id': 'hello', 'service': 'web', 'service_id': 'web',
    'category': 'web', 'signal': 'SIGTERM', 'stop_signal': 'SIGTERM', 'phase': 'running',
    'file': '/tmp/tend-fuzz/services.toml', 'query': 'hi', 'names': ['web'],
    'exec': ['/bin/echo', 'hi'], 'args': ['hi'], 'script': 'echo hi', 'interpreter': 'sh',
    'kind': 'oneshot', 'cwd': '/', 'env': {'GREETING': 'hi'}, 'timeout': 5,
    'retry': {'max_attempts': 2, 'delay': 0.01}, 'stop_timeout': 1, 'description': 'fuzz',
    'registry': REGISTRY, 'limit': 10, 'lines': 10, 'tail': 5, 'after_id': 0, 'id': 1,
    'run_id': 1, 'job': 1,
}
BY_TYPE = {'string': 'x', 'integer': 1, 'number': 1.5, 'boolean': True, 'array': [],
           'object': {}}


def sample(method, param):
    name = param['name']
    if name == 'spec':
        return ACTION if method.startswith('action.') else SERVICE
    if name == 'name':
        return 'hello' if method.startswith('action.') else 'web'
    if name in BY_NAME:
        return BY_NAME[name]
    return BY_TYPE.get(param['schema'].get('type'), 'x')


def call(method, params=None, id_=1):
    req = {'jsonrpc': '2.0', 'method': method}
    if params is not None:
        req['params'] = params
    if id_ is not None:
        req['id'] = id_
    return req


def seeds():
    examples = json.loads((SHARED / 'conformance' / 'jsonrpc' /
                           'jsonrpc-2.0-examples.json').read_text())
    for i, case in enumerate(examples['cases']):
        request = case['request']
        yield f'jsonrpc-example-{i:02d}', request if isinstance(request, str) else json.dumps(request)
    doc = json.loads((REPO / 'src' / 'api' / 'openrpc.json').read_text())
    for m in doc['methods']:
        name = m['name']
        params = {p['name']: sample(name, p) for p in m['params']}
        yield f'{name}-bare', json.dumps(call(name))
        yield f'{name}-params', json.dumps(call(name, params))
        # OpenRPC example pairings, where the document has them.
        for k, example in enumerate(m.get('examples', [])):
            named = {p['name']: p.get('value') for p in example.get('params', [])}
            yield f'{name}-example-{k}', json.dumps(call(name, named))
        yield f'{name}-batch', json.dumps([
            call('action.set', {'name': 'hello', 'spec': ACTION}, 1),
            call('service.set', {'name': 'web', 'spec': SERVICE}, 2),
            call(name, params, 3),
            call(name, params, None),
        ])


def words(node, found):
    """Property names and enum values anywhere in a schema."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == 'properties' and isinstance(value, dict):
                found.update(value)
            if key == 'enum' and isinstance(value, list):
                found.update(v for v in value if isinstance(v, str))
            words(value, found)
    elif isinstance(node, list):
        for item in node:
            words(item, found)


def dictionary():
    doc = json.loads((REPO / 'src' / 'api' / 'openrpc.json').read_text())
    found = set()
    for m in doc['methods']:
        found.add(m['name'])
        found.update(p['name'] for p in m['params'])
    words(doc.get('components', {}), found)
    found.update(('jsonrpc', '2.0', 'method', 'params', 'id'))
    entries = [json.dumps(json.dumps(w)) for w in sorted(found)]
    return '\n'.join(entries) + '\n'


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    Path(sys.argv[2]).write_text(dictionary())
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    n = 0
    for name, text in seeds():
        (out / f'{name}.json').write_text(text)
        n += 1
    print(f'fuzz_seeds: {n} seeds in {out}')


if __name__ == '__main__':
    main()
