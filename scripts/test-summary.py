#!/usr/bin/python3
"""Adds up the results of one test run into the line "N passed, N failed".

Unit tests are counted case by case from cmocka's output in meson's
testlog.json (a test program that crashed counts as one failure); pytest
results come from its JUnit XML. Exits 1 when anything failed or when no
test ran at all, so a broken harness cannot look green.
"""
import json
import re
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

build = Path(sys.argv[1])
passed = failed = skipped = 0

log = build / 'meson-logs' / 'testlog.json'
for line in log.read_text().splitlines() if log.exists() else []:
    t = json.loads(line)
    out = (t.get('stdout') or '') + (t.get('stderr') or '')
    ok = re.findall(r'\[  PASSED  \] (\d+) test', out)
    bad = re.findall(r'\[  FAILED  \] (\d+) test', out)
    p = sum(map(int, ok))
    f = sum(map(int, bad))
    if t.get('result') not in ('OK', 'EXPECTEDFAIL', 'SKIP') and f == 0:
        f = 1  # crashed or timed out before cmocka could report
    passed += p
    failed += f

xml = build / 'test-results' / 'pytest.xml'
if xml.exists():
    for suite in ET.parse(xml).getroot().iter('testsuite'):
        tests = int(suite.get('tests', 0))
        f = int(suite.get('failures', 0)) + int(suite.get('errors', 0))
        s = int(suite.get('skipped', 0))
        passed += tests - f - s
        failed += f
        skipped += s
else:
    failed += 1  # pytest did not even write its report

line = f'{passed} passed, {failed} failed'
if skipped:
    line += f', {skipped} skipped'
print(line)
sys.exit(1 if failed or passed == 0 else 0)
