"""The JSON-RPC 2.0 specification's 15 examples (../shared/conformance/jsonrpc)
against tend's HTTP server and dispatcher, over a real unix socket."""
import json
import os
from pathlib import Path

import pytest

from rpcserver import post, serve

REPO = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get('TEND_SHARED', REPO.parent / 'shared'))
EXAMPLES = json.loads((SHARED / 'conformance' / 'jsonrpc' / 'jsonrpc-2.0-examples.json').read_text())


@pytest.fixture(scope='module')
def server(tmp_path_factory):
    yield from serve(tmp_path_factory)


def test_all_fifteen_examples_are_here():
    assert len(EXAMPLES['cases']) == 15


def by_id(responses):
    return sorted(responses, key=lambda r: json.dumps(r.get('id')))


@pytest.mark.parametrize('case', EXAMPLES['cases'], ids=[c['name'] for c in EXAMPLES['cases']])
def test_example(server, case):
    status, body = post(server, case['request'])
    if case['no_response']:
        assert body == b'' and status == 204
        return
    got, want = json.loads(body), case['response']
    if isinstance(want, list):
        assert isinstance(got, list) and len(got) == len(want)
        pairs = zip(by_id(got), by_id(want))
    else:
        pairs = [(got, want)]
    for g, w in pairs:
        assert g.get('id') == w.get('id') and g.get('jsonrpc') == '2.0'
        if 'result' in w:
            assert g.get('result') == w['result']
        else:
            assert g['error']['code'] == w['error']['code']
            assert g['error']['message'] == w['error']['message']
