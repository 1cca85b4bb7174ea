"""Memory that restarts, applies and removals leave behind: a churn of
quickly-exiting services must not grow the daemon (every replaced job,
old run, buried service and old registry is freed once nothing refers to
it), and valgrind finds nothing lost after churn, an apply that replaces
the registry and the removal of a running service."""
import os
import shutil
import time

import pytest

from daemon import VALGRIND_ARGS, Daemon, alive


def churner(name, seconds):
    """A service whose process exits after `seconds` and is restarted
    at once, always (well inside max_restarts per restart_window)."""
    return (f'[services.{name}]\n'
            f'deployment = {{ mode = "binary", binary = {{ binary_path = "/bin/sleep", '
            f'args = ["{seconds}"] }} }}\n'
            'startup = { auto_start = true, restart = "always", restart_delay = 0.05, '
            'restart_delay_max = 0.05, max_restarts = 64, restart_window = 1 }\n')


def churn_registry(n, prefix='c'):
    return ''.join(churner(f'{prefix}{i:03d}', f'0.{3 + i % 7}') for i in range(n))


def rss_kb(pid):
    for line in open(f'/proc/{pid}/status'):
        if line.startswith('VmRSS:'):
            return int(line.split()[1])
    raise AssertionError(f'no VmRSS for {pid}')


def restarts(d):
    return sum(s['restarts'] for s in d.call('service.status_all'))


def test_a_minute_of_restarts_does_not_grow_the_daemon(daemon):
    """150 services restarting every 0.3-0.9 s (about 15000 restarts in
    the minute). Measured after a warm-up long enough for SQLite's page
    cache (512 KB) and the allocator's arenas to fill; before the fix each
    restart kept its job (and the registry) for good: ~0.43 kB each."""
    if 'asan' in os.environ.get('TEND_BIN', ''):
        pytest.skip("ASan's quarantine holds freed memory: RSS says nothing there")
    d = daemon(churn_registry(150))
    main = d.wait_for(d.main_pid, what='the main process')
    d.wait_for(lambda: restarts(d) > 1500, timeout=60, what='the warm-up restarts')
    before, counted = rss_kb(main), restarts(d)
    end = time.monotonic() + 60
    d.wait_for(lambda: time.monotonic() > end, timeout=70, what='a minute of churn')
    after, done = rss_kb(main), restarts(d)
    print(f'RSS {before} -> {after} kB over {done - counted} restarts')
    assert d.main_pid() == main, 'the main process was restarted: ' + d.output()
    assert done - counted > 5000, f'only {done - counted} restarts'
    assert after - before < 1024, (f'RSS grew {after - before} kB over {done - counted} '
                                   f'restarts ({before} -> {after} kB)')


def test_churn_apply_and_removal_are_valgrind_clean(home, marks):
    """Churn, an apply that replaces the registry (churners changed,
    removed, added; a running service with a health check and its
    dependent removed), service.delete of a running one, shutdown: no
    invalid access, nothing definitely or possibly lost."""
    valgrind = shutil.which('valgrind')
    if not valgrind or 'asan' in os.environ.get('TEND_BIN', ''):
        pytest.skip('needs valgrind and a build without sanitizers')
    mark, gone_mark = marks(), marks()

    def sleeper(name, mark, deps=''):
        """A long sleeper with a health check that runs all along."""
        return (f'[services.{name}]\ndependencies = [{deps}]\n'
                f'deployment = {{ mode = "binary", binary = {{ binary_path = "/bin/sleep", '
                f'args = ["{mark}"] }} }}\nstartup = {{ auto_start = true }}\n'
                'health_check = { type = "command", interval = 0.2, '
                'command = { command = ["true"] } }\n')
    cfg = home / 'services.toml'
    cfg.write_text(churn_registry(12) + sleeper('stay', mark) + sleeper('gone', gone_mark)
                   + sleeper('dep', marks(), '"gone"'))
    d = Daemon(home, cfg, valgrind=[valgrind, *VALGRIND_ARGS])
    d.start(timeout=60)
    try:
        d.wait_for(lambda: restarts(d) > 60, timeout=90, what='churn')
        d.wait_state('gone', 'running', timeout=30)
        gone_pid = d.call('service.status', {'name': 'gone'})['pid']
        # A new registry: half the churners change, half go, new ones
        # come; `gone` and its dependent go while they run.
        cfg.write_text(churn_registry(6).replace('"0.3"', '"0.4"')
                       + churn_registry(6, prefix='n') + sleeper('stay', mark))
        r = d.tend('apply', timeout=60)
        assert r.returncode == 0, r.stderr
        d.wait_for(lambda: not alive(gone_pid), timeout=30, what='gone to end')
        d.wait_for(lambda: restarts(d) > 40, timeout=90, what='churn after the apply')
        d.wait_state('stay', 'running', timeout=30)
        d.call('service.delete', {'name': 'stay'})
        d.wait_for(lambda: 'stay' not in [s['name'] for s in d.call('service.list')],
                   timeout=30, what='stay removed')
    finally:
        code = d.stop(timeout=120)
    out = d.output()
    assert 'Invalid' not in out, out
    assert 'definitely lost' not in out and 'possibly lost' not in out, out
    assert code == 0, out
    assert '==' not in out, out
