"""The toml-test suite (TOML 1.0.0 subset, ../shared/conformance/toml):
every valid case decodes to the expected tagged JSON, every invalid case is
rejected with a located message — through the real parser, via toml-decode."""
import json
import math
import os
import re
import subprocess
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get('TEND_SHARED', REPO.parent / 'shared'))
SUITE = SHARED / 'conformance' / 'toml'
DECODE = os.environ.get('TOML_DECODE', str(REPO / 'build' / 'tests' / 'toml-decode'))

LISTED = (SUITE / 'files-toml-1.0.0').read_text().split() if SUITE.exists() else []
VALID = sorted(p for p in LISTED if p.startswith('valid/') and p.endswith('.toml'))
INVALID = sorted(p for p in LISTED if p.startswith('invalid/') and p.endswith('.toml'))


def test_the_whole_suite_is_there():
    assert (len(VALID), len(INVALID)) == (210, 499)


def decode(case):
    return subprocess.run([DECODE, str(SUITE / case)], capture_output=True, timeout=10)


def parse_datetime(kind, text):
    text = text.upper().replace(' ', 'T')
    m = re.fullmatch(r'(?:(\d{4})-(\d{2})-(\d{2}))?T?(?:(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?)?'
                     r'(Z|[+-]\d{2}:\d{2})?', text)
    assert m, text
    y, mo, d, h, mi, s, frac, off = m.groups()
    ms = int((frac or '0')[:3].ljust(3, '0'))
    if kind == 'time-local':
        return (int(h), int(mi), int(s), ms)
    if kind == 'date-local':
        return (int(y), int(mo), int(d))
    value = datetime(int(y), int(mo), int(d), int(h), int(mi), min(int(s), 59), ms * 1000)
    if kind == 'datetime-local':
        return value
    tz = timezone.utc if off == 'Z' else timezone(
        (1 if off[0] == '+' else -1) * timedelta(hours=int(off[1:3]), minutes=int(off[4:6])))
    return value.replace(tzinfo=tz)  # compared as instants


def same(got, want, where='$'):
    if isinstance(want, dict) and isinstance(want.get('type'), str) and 'value' in want:
        assert isinstance(got, dict) and got.get('type') == want['type'], f'{where}: {got} != {want}'
        kind, g, w = want['type'], got['value'], want['value']
        if kind == 'float':
            gf, wf = float(g), float(w)
            if math.isnan(wf):
                assert math.isnan(gf), f'{where}: {g} != nan'
            else:
                assert gf == wf and math.copysign(1, gf) == math.copysign(1, wf), f'{where}: {g} != {w}'
        elif kind in ('datetime', 'datetime-local', 'date-local', 'time-local'):
            assert parse_datetime(kind, g) == parse_datetime(kind, w), f'{where}: {g} != {w}'
        else:
            assert g == w, f'{where}: {g!r} != {w!r}'
    elif isinstance(want, dict):
        assert isinstance(got, dict) and set(got) == set(want), f'{where}: keys {sorted(got)} != {sorted(want)}'
        for k in want:
            same(got[k], want[k], f'{where}.{k}')
    else:
        assert isinstance(got, list) and len(got) == len(want), f'{where}: {got} != {want}'
        for i, (g, w) in enumerate(zip(got, want)):
            same(g, w, f'{where}[{i}]')


@pytest.mark.parametrize('case', VALID)
def test_valid(case):
    r = decode(case)
    assert r.returncode == 0, r.stderr.decode(errors='replace')
    got = json.loads(r.stdout)
    want = json.loads((SUITE / case).with_suffix('.json').read_bytes())
    same(got, want)


@pytest.mark.parametrize('case', INVALID)
def test_invalid(case):
    r = decode(case)
    # Rejected cleanly: exit 1 with a located message, never a crash.
    assert r.returncode == 1, f'accepted (exit {r.returncode}): {r.stdout[:200]!r}'
    assert re.match(rb'.+:\d+:\d+: .+', r.stderr), r.stderr
