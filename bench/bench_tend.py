#!/usr/bin/python3
"""bench_tend.py N — tend with N services of `sleep`, measured through its API.

Prints one JSON line:
  cold_start_s       daemon launch -> all N services report `running` (polled via service.status_all)
  spawn_phase_s      the daemon's own figure for starting the wanted services
  rss_kb             daemon RSS with N services running
  idle_cpu_ticks_5s  daemon CPU ticks over 5 idle seconds
  restart_latency_ms kill -9 of a service's process -> its new process exists (5 samples,
                     restart_delay = 0), read from the daemon's job table via the API
  stop_s             SIGTERM -> daemon exited with every job stopped
Run from the repository root after `make`; TEND_BIN overrides build/tend.
"""
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / 'tests' / 'system'))
from daemon import Daemon  # noqa: E402


def rss_kb(pid):
    for line in open(f'/proc/{pid}/status'):
        if line.startswith('VmRSS:'):
            return int(line.split()[1])
    return 0


def cpu_ticks(pid):
    rest = open(f'/proc/{pid}/stat').read().rsplit(')', 1)[1].split()
    return int(rest[11]) + int(rest[12])


def main(n):
    home = Path(tempfile.mkdtemp(prefix='bench-tend-'))
    cfg = home / 'services.toml'
    with open(cfg, 'w') as f:
        for i in range(n):
            f.write(f'[services.svc{i}]\ndeployment = {{ mode = "binary", binary = {{ '
                    f'binary_path = "/bin/sleep", args = ["7000{i % 10}"] }} }}\n'
                    f'startup = {{ auto_start = true, restart_delay = 0 }}\n')
    d = Daemon(home, cfg, extra_args=os.environ.get('TEND_DAEMON_ARGS', '').split())
    t0 = time.monotonic()
    d.start(timeout=60)
    while True:
        states = d.call('service.status_all')
        if sum(s['state'] == 'running' for s in states) == n:
            break
        time.sleep(0.005)
    result = {'n': n, 'cold_start_s': round(time.monotonic() - t0, 3)}
    m = re.search(r'started in ([0-9.]+) s', d.output())
    result['spawn_phase_s'] = float(m.group(1)) if m else None
    time.sleep(1)
    pid = d.proc.pid
    result['rss_kb'] = rss_kb(pid)
    c0 = cpu_ticks(pid)
    time.sleep(5)
    result['idle_cpu_ticks_5s'] = cpu_ticks(pid) - c0
    latencies = []
    for k in range(5):
        name = f'svc{k * 7}'
        victim = d.call('service.status', {'name': name})['pid']
        os.kill(victim, signal.SIGKILL)
        t1 = time.monotonic()
        while True:
            jobs = d.call('job.list', {'service_id': name, 'limit': 1})
            if jobs and jobs[0]['pid'] and jobs[0]['pid'] != victim and jobs[0]['started_at']:
                break
            time.sleep(0.0005)
        old = d.call('job.list', {'service_id': name, 'limit': 2})[1]
        # The daemon's own timestamps: the old job's end to the new one's start.
        latencies.append(round((jobs[0]['started_at'] - old['ended_at']) * 1000, 3))
    result['restart_latency_ms'] = latencies
    t2 = time.monotonic()
    assert d.stop(timeout=60) == 0
    result['stop_s'] = round(time.monotonic() - t2, 3)
    print(json.dumps(result))
    subprocess.run(['rm', '-rf', str(home)])


if __name__ == '__main__':
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
