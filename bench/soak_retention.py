#!/usr/bin/python3
"""soak_retention.py [N] [RESTARTS] — N services (default 300) that exit at
once, restarted without delay until RESTARTS jobs (default 85000) were
created in all; then how big history is.

Prints one JSON line every 10 s and at the end:
  jobs_created       the newest job id (every job ever created)
  jobs, runs, events rows in the database now
  db_mb, wal_mb      tend.db and tend.db-wal
  max_loop_lag_ms    the longest the loop was busy between polls (/metrics)
The retention is the registry's default ([retention] not given).
Run from the repository root after `make`; TEND_BIN overrides build/tend.
"""
import json
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / 'tests' / 'system'))
from daemon import Daemon  # noqa: E402

SERVICE = '''
[services.s{i}]
deployment = {{ mode = "binary", binary = {{ binary_path = "/bin/false" }} }}
startup = {{ auto_start = true, max_restarts = 64, restart_window = 0.001, restart_delay = 0, restart_delay_max = 0 }}
'''


def counts(home):
    db = sqlite3.connect(f'file:{home}/tend.db?mode=ro', uri=True, timeout=10)
    try:
        row = db.execute('SELECT (SELECT max(id) FROM jobs), (SELECT count(*) FROM jobs),'
                         ' (SELECT count(*) FROM runs), (SELECT count(*) FROM events)').fetchone()
    finally:
        db.close()
    return dict(zip(('jobs_created', 'jobs', 'runs', 'events'), row))


def sizes(home):
    mb = lambda f: round((home / f).stat().st_size / 1e6, 2) if (home / f).exists() else 0
    return {'db_mb': mb('tend.db'), 'wal_mb': mb('tend.db-wal')}


def loop_lag_ms(d):
    _, body = d.post_get('/metrics')
    for line in body.decode().splitlines():
        if line.startswith('tend_loop_lag_seconds '):
            return round(float(line.split()[1]) * 1000, 1)
    return None


def main(n, target):
    home = Path(tempfile.mkdtemp(prefix='tend-soak-')) / 'home'
    home.mkdir()
    cfg = home / 'services.toml'
    cfg.write_text(''.join(SERVICE.format(i=i) for i in range(n)))
    d = Daemon(home, cfg, extra_args=['--http', 'off']).start(timeout=60)
    t0, worst = time.monotonic(), 0.0
    try:
        while True:
            time.sleep(10)
            worst = max(worst, loop_lag_ms(d) or 0)
            line = {'t_s': round(time.monotonic() - t0), **counts(home), **sizes(home),
                    'max_loop_lag_ms': worst}
            print(json.dumps(line), flush=True)
            if line['jobs_created'] >= target:
                break
    finally:
        d.stop(timeout=120)


if __name__ == '__main__':
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 300,
         int(sys.argv[2]) if len(sys.argv) > 2 else 85000)
