#!/usr/bin/python3
"""bench_adopt.py N — how long tend takes to adopt N running services after a crash.

Two crashes, each of N services of `sleep`:
  main_killed: kill -9 of the main process; the keeper starts a new one at once
  both_killed: kill -9 of the keeper and the main process; `tend daemon` started again
Prints one JSON line with, for each: adopt_s (the daemon's own figure for taking
the runs and processes over), answer_s (kill -> the API answers with every service
running, polled from outside). Run from the repository root after `make`.
"""
import json
import os
import re
import signal
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / 'tests' / 'system'))
from daemon import Daemon, main_pid_of as main_pid  # noqa: E402


def all_running(d, n):
    try:
        statuses = d.call('service.status_all')
    except OSError:
        return False
    return sum(1 for s in statuses if s['state'] == 'running') == n


def adopt_figure(d, count):
    found = re.findall(r'took over from the daemon before: .* \(in ([0-9.]+) s\)', d.output())
    return float(found[count - 1]) if len(found) >= count else None


def main(n):
    home = Path(tempfile.mkdtemp(prefix='tend-bench-adopt-'))
    cfg = home / 'services.toml'
    cfg.write_text(''.join(f'''
[services.s{i}]
deployment = {{ mode = "binary", binary = {{ binary_path = "/bin/sleep", args = ["3000.{i}"] }} }}
startup = {{ auto_start = true }}
''' for i in range(n)))
    d = Daemon(home, cfg, extra_args=['--http', 'off']).start(timeout=60)
    d.wait_for(lambda: all_running(d, n), timeout=60, what='all running')
    result = {'n': n}

    keeper = d.proc.pid
    old = main_pid(keeper)
    t0 = time.monotonic()
    os.kill(old, signal.SIGKILL)
    d.wait_for(lambda: main_pid(keeper) not in (None, old) and all_running(d, n), timeout=60,
               what='adopted')
    result['main_killed'] = {'answer_s': round(time.monotonic() - t0, 3),
                             'adopt_s': adopt_figure(d, 1)}

    old = main_pid(keeper)
    t0 = time.monotonic()
    os.kill(keeper, signal.SIGKILL)
    d.proc.wait()
    os.kill(old, signal.SIGKILL)
    again = Daemon(home, extra_args=['--http', 'off']).start(timeout=60)
    again.wait_for(lambda: adopt_figure(again, 2) is not None and all_running(again, n),
                   timeout=60, what='adopted again')
    result['both_killed'] = {'answer_s': round(time.monotonic() - t0, 3),
                             'adopt_s': adopt_figure(again, 2)}
    again.stop(timeout=60)
    print(json.dumps(result))


if __name__ == '__main__':
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
