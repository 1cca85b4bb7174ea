#!/usr/bin/python3
"""bench_soak.py [SECONDS] [N] — a soak: N services (default 300) that each
exit after 0.1-2 s and are restarted at once, for SECONDS (default 300).

At the start (every service up once), the middle and the end, prints one
JSON line:
  t_s               seconds since the start sample
  restarts          restarts so far (sum of the services' `restarts`)
  rss_kb            RSS of the daemon's main process (not the keeper), and
                    its parts: rss_anon_kb (heap) and rss_file_kb (mapped
                    files and shared memory: SQLite's WAL index among them)
  db_kb             tend.db plus its -wal, on disk
  status_p50_ms / status_p99_ms
                    service.status latency over 200 calls, round-robin
and a last line with the growth per restart from start to end.
Memory that grows with restarts is a leak: each restart should leave
nothing behind but history rows (the database). Not part of make test.
Run from the repository root after `make`; TEND_BIN overrides build/tend.
"""
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / 'tests' / 'system'))
from daemon import Daemon  # noqa: E402


def status_kb(pid, key):
    for line in open(f'/proc/{pid}/status'):
        if line.startswith(key + ':'):
            return int(line.split()[1])
    return 0


def rss_kb(pid):
    return status_kb(pid, 'VmRSS')


def db_kb(home):
    return sum(os.path.getsize(p) for p in (home / 'tend.db', home / 'tend.db-wal')
               if p.exists()) // 1024


def registry(n, rng):
    out = []
    for i in range(n):
        seconds = round(rng.uniform(0.1, 2.0), 2)
        out.append(f'[services.soak{i:03d}]\n'
                   f'deployment = {{ mode = "binary", binary = {{ binary_path = "/bin/sleep", '
                   f'args = ["{seconds}"] }} }}\n'
                   'startup = { auto_start = true, restart = "always", restart_delay = 0, '
                   'max_restarts = 64, restart_window = 1 }\n')
    return ''.join(out)


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def sample(d, main, home, names, t0):
    latencies = []
    for k in range(200):
        t = time.perf_counter()
        d.call('service.status', {'name': names[k % len(names)]})
        latencies.append((time.perf_counter() - t) * 1000)
    restarts = sum(s['restarts'] for s in d.call('service.status_all'))
    return {'t_s': round(time.monotonic() - t0, 1), 'restarts': restarts,
            'rss_kb': rss_kb(main), 'rss_anon_kb': status_kb(main, 'RssAnon'),
            'rss_file_kb': status_kb(main, 'RssFile') + status_kb(main, 'RssShmem'),
            'db_kb': db_kb(home),
            'status_p50_ms': round(percentile(latencies, 50), 3),
            'status_p99_ms': round(percentile(latencies, 99), 3)}


def wait_until(t):
    while time.monotonic() < t:
        time.sleep(min(1.0, max(0.0, t - time.monotonic())))


def main(seconds, n):
    home = Path(tempfile.mkdtemp(prefix='bench-soak-'))
    cfg = home / 'services.toml'
    cfg.write_text(registry(n, random.Random(300)))
    names = [f'soak{i:03d}' for i in range(n)]
    d = Daemon(home, cfg)
    d.start(timeout=60)
    try:
        main_pid = None
        while not main_pid:
            main_pid = d.main_pid()
        # Every service has run once: the start sample.
        while not all(s['pid'] or s['restarts'] for s in d.call('service.status_all')):
            time.sleep(0.1)
        t0 = time.monotonic()
        first = sample(d, main_pid, home, names, t0)
        print(json.dumps({'at': 'start', **first}), flush=True)
        wait_until(t0 + seconds / 2)
        print(json.dumps({'at': 'middle', **sample(d, main_pid, home, names, t0)}), flush=True)
        wait_until(t0 + seconds)
        last = sample(d, main_pid, home, names, t0)
        print(json.dumps({'at': 'end', **last}), flush=True)
        grown = last['restarts'] - first['restarts']
        print(json.dumps({'restarts': grown, 'rss_growth_kb': last['rss_kb'] - first['rss_kb'],
                          'rss_kb_per_restart': round((last['rss_kb'] - first['rss_kb'])
                                                      / max(grown, 1), 4),
                          'db_growth_kb': last['db_kb'] - first['db_kb'],
                          'main_pid_unchanged': d.main_pid() == main_pid}), flush=True)
    finally:
        code = d.stop(timeout=60)
        if code != 0:
            print(d.output(), file=sys.stderr)


if __name__ == '__main__':
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 300.0,
         int(sys.argv[2]) if len(sys.argv) > 2 else 300)
