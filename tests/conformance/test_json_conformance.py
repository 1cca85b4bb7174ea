"""JSONTestSuite (../shared/conformance/json) against the JSON parser the
daemon uses on every request: each file's raw bytes are POSTed to /rpc of
tend's own HTTP server and dispatcher (the rpc-test-server build), over a
real unix socket. y_ files must be parsed (any answer but -32700 "Parse
error"), n_ files rejected with -32700, i_ files either way — without a
crash or a hang — and always the way tests/conformance/json_i_cases.json
records, so that the choice stays stable."""
import json
import os
from pathlib import Path

import pytest

from rpcserver import post, serve

REPO = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get('TEND_SHARED', REPO.parent / 'shared'))
CASES = SHARED / 'conformance' / 'json' / 'test_parsing'
CHOICES = json.loads((Path(__file__).parent / 'json_i_cases.json').read_text())

FILES = sorted(p.name for p in CASES.iterdir())


@pytest.fixture(scope='module')
def server(tmp_path_factory):
    yield from serve(tmp_path_factory)


def parsed(sock, body):
    """True when the server parsed the body as JSON."""
    status, answer = post(sock, body)
    if status == 204:  # a notification: parsed, and nothing to say
        return True
    assert status == 200, status
    answer = json.loads(answer)
    errors = [a.get('error', {}).get('code') for a in (answer if isinstance(answer, list) else [answer])]
    return -32700 not in errors


def test_the_whole_suite_is_there():
    assert sum(f.startswith('y_') for f in FILES) == 95
    assert sum(f.startswith('n_') for f in FILES) == 188
    assert sum(f.startswith('i_') for f in FILES) == 35
    assert sorted(CHOICES) == sorted(f for f in FILES if f.startswith('i_'))


@pytest.mark.parametrize('name', FILES)
def test_case(server, name):
    got = parsed(server, (CASES / name).read_bytes())
    if name.startswith('y_'):
        assert got, 'valid JSON was rejected'
    elif name.startswith('n_'):
        assert not got, 'invalid JSON was accepted'
    else:
        assert got == (CHOICES[name] == 'accept')
