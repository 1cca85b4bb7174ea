"""Removing, renaming and changing services at any moment of their life:
running, starting with a health check pending and start_timeout armed, in
restart backoff, stopping with a long stop_timeout, with dependents;
through `tend apply`, service.delete and registry.apply. The daemon lives,
the removed service's processes are gone, the others are untouched.

Every service here writes "NAME PID" to a file of the test's own when it
starts, so the test knows each pid it caused and looks at those alone."""
import os
import random
import time
from pathlib import Path

from daemon import alive

# A service that records its pid, then becomes `sleep MARK` (same pid).
RECORDED = ('deployment = {{ mode = "binary", binary = {{ binary_path = "/bin/sh", '
            'args = ["-c", "echo {name} $$ >> {pids}; exec sleep {mark}"]{extra} }} }}')


def recorded(name, pids, mark, extra=''):
    return RECORDED.format(name=name, pids=pids, mark=mark, extra=extra)


def started_pids(pids, name=None):
    """The pids the services wrote, of name (or all: [(name, pid)])."""
    try:
        lines = pids.read_text().split('\n')
    except FileNotFoundError:
        return []
    rows = [(n, int(p)) for n, p in (l.split() for l in lines if l.strip())]
    return [p for n, p in rows if n == name] if name else rows


def wait_gone(d, pids, timeout=15):
    d.wait_for(lambda: not any(alive(p) for p in pids), timeout, f'{pids} to end')


def assert_lives(d):
    """The main process the test began with still answers: the keeper
    would restart a crashed one, which must not hide the crash."""
    assert d.proc.poll() is None, 'daemon died: ' + d.output()
    d.call('service.list')
    first = getattr(d, 'first_main_pid', None)
    assert first and d.main_pid() == first, 'the main process crashed: ' + d.output()
    assert 'ERROR: AddressSanitizer' not in d.output() and 'runtime error' not in d.output()


def begun(d):
    """Notes the daemon's main process, for assert_lives."""
    d.first_main_pid = d.wait_for(d.main_pid, what='the main process')
    return d


def runs_as(pid, arg):
    """pid is alive and still the process that was given arg (not a
    process that got the pid after it)."""
    try:
        argv = Path(f'/proc/{pid}/cmdline').read_bytes().split(b'\0')
    except OSError:
        return False
    return arg.encode() in argv and alive(pid)


def four_services(tmp_path, marks, n_extra='', n_more=''):
    """The reported registry: a, b, c (/bin/true) and n (a long sleep)."""
    pids = tmp_path / 'pids'
    n = f'[services.n]\n{recorded("n", pids, marks(), n_extra)}\n{n_more}\n'
    rest = ''.join(f'[services.{x}]\ndeployment = {{ mode = "binary", binary = '
                   f'{{ binary_path = "/bin/true" }} }}\n' for x in 'abc')
    return pids, rest, n


def deaf_to_sigterm(pids, mark, stop_timeout):
    """Service n, which ignores SIGTERM: its stop waits for stop_timeout."""
    return (f'[services.n]\ndeployment = {{ mode = "binary", binary = {{ binary_path = "/bin/sh", '
            f'args = ["-c", "trap \\"\\" TERM; echo n $$ >> {pids}; exec sleep {mark}"], '
            f'stop_timeout = {stop_timeout} }} }}\n')


def start_and_pid(d, name, pids, state='running'):
    d.call('service.start', {'name': name, 'force': True})
    d.wait_state(name, state)
    return d.wait_for(lambda: started_pids(pids, name), what=f'{name} pid')[-1]


def test_removing_a_running_service_with_apply_keeps_the_daemon(daemon, tmp_path, marks):
    pids, rest, n = four_services(tmp_path, marks)
    d = begun(daemon(rest + n))
    for x in 'abc':
        d.call('service.start', {'name': x})
    pid = start_and_pid(d, 'n', pids)
    (d.home / 'services.toml').write_text(rest)
    r = d.tend('apply')
    assert r.returncode == 0, r.stderr
    assert 'removed' in r.stdout and '- n' in r.stdout
    wait_gone(d, [pid])
    assert_lives(d)
    assert [s['name'] for s in d.call('service.list')] == ['a', 'b', 'c']
    assert all(d.state(x) == 'exited' for x in 'abc')


def test_service_delete_of_a_running_service_keeps_the_daemon(daemon, tmp_path, marks):
    pids, rest, n = four_services(tmp_path, marks)
    pid2 = tmp_path / 'pids2'
    other = f'[services.other]\n{recorded("other", pid2, marks())}\n'
    d = begun(daemon(rest + other + n))
    keep = start_and_pid(d, 'other', pid2)
    pid = start_and_pid(d, 'n', pids)
    d.call('service.delete', {'name': 'n'})
    wait_gone(d, [pid])
    assert_lives(d)
    assert 'n' not in [s['name'] for s in d.call('service.list')]
    # The other service was not touched: same process, still running.
    assert d.call('service.status', {'name': 'other'})['pid'] == keep and alive(keep)
    assert d.state('other') == 'running'


def test_removing_a_service_whose_health_check_is_pending(daemon, tmp_path, marks):
    """Starting: its process runs, its check never passed, start_timeout
    is armed, a check may be in flight when it goes."""
    pids, rest, n = four_services(
        tmp_path, marks,
        n_more='health_check = { type = "command", interval = 0.1, timeout = 5, '
               'command = { command = ["sh", "-c", "sleep 0.05; exit 1"] } }\n'
               'startup = { start_timeout = 60 }')
    d = begun(daemon(rest + n))
    pid = start_and_pid(d, 'n', pids, state='starting')
    d.wait_for(lambda: d.call('service.health', {'name': 'n'})['checked_at'],
               what='a health check')
    d.call('service.delete', {'name': 'n'})
    wait_gone(d, [pid])
    assert_lives(d)
    assert [h['name'] for h in d.call('service.health_all')] == ['a', 'b', 'c']


def test_removing_a_service_in_restart_backoff(daemon, tmp_path, marks):
    """Its first process failed and the next one waits for restart_delay;
    what depends on it waits too (n is never healthy). It goes while
    services are added before the dependent (which is rewired): no restart
    ever comes, and the dependent starts on its own."""
    pids, flag = tmp_path / 'pids', tmp_path / 'failed-once'
    mark = marks()
    flappy = (f'[services.n]\ndeployment = {{ mode = "binary", binary = {{ binary_path = "/bin/sh", '
              f'args = ["-c", "echo n $$ >> {pids}; [ -e {flag} ] && exec sleep {mark}; '
              f'touch {flag}; exit 1"] }} }}\n'
              'startup = { restart_delay = 1.5, restart_delay_max = 1.5 }\n'
              # Never healthy: what depends on it keeps waiting.
              f'health_check = {{ type = "file", interval = 0.1, '
              f'file = {{ path = "{tmp_path}/never" }} }}\n')
    dep_mark = marks()

    def dep(deps):
        return f'[services.dep]\ndependencies = [{deps}]\n{recorded("dep", pids, dep_mark)}\n'
    d = begun(daemon(flappy + dep('"n"')))
    d.call('service.start', {'name': 'dep'})
    d.wait_for(lambda: d.call('service.status', {'name': 'n'})['restarts'] == 1,
               what='n in backoff')
    assert d.state('n') == 'starting' and d.state('dep') == 'starting'
    first = started_pids(pids, 'n')
    added = ''.join(f'[services.new{i}]\n' for i in range(8))
    (d.home / 'services.toml').write_text(added + dep(''))
    removed_at = time.monotonic()
    assert d.tend('apply').returncode == 0
    assert_lives(d)
    d.wait_state('dep', 'running')
    # The retry was due 1.5 s after the failure: past that, none came.
    d.wait_for(lambda: time.monotonic() > removed_at + 2.5, what='the retry time to pass')
    assert started_pids(pids, 'n') == first
    wait_gone(d, first)
    assert_lives(d)


def test_removing_a_service_while_it_stops_with_a_long_stop_timeout(daemon, tmp_path, marks):
    """It ignores SIGTERM; removed while its stop waits for stop_timeout:
    the SIGKILL still comes, and the daemon lives through the exit."""
    pids, rest, n = four_services(tmp_path, marks)
    mark = marks()
    d = begun(daemon(rest + deaf_to_sigterm(pids, mark, stop_timeout=1.5)))
    pid = start_and_pid(d, 'n', pids)
    d.call('service.stop', {'name': 'n'})
    d.wait_state('n', 'stopping')
    (d.home / 'services.toml').write_text(rest)
    assert d.tend('apply').returncode == 0
    assert alive(pid)  # still in its stop_timeout
    wait_gone(d, [pid])
    assert_lives(d)
    d.call('service.status_all')


def test_a_service_added_again_while_its_old_self_stops_keeps_its_history(daemon, tmp_path, marks):
    """n is removed while its stop waits, and a new n (one that exits at
    once) is added and run: when the old n ends at last, the new one's
    finished jobs are still in the history."""
    pids, rest, _ = four_services(tmp_path, marks)
    mark = marks()
    d = begun(daemon(rest + deaf_to_sigterm(pids, mark, stop_timeout=2)))
    pid = start_and_pid(d, 'n', pids)
    (d.home / 'services.toml').write_text(rest)
    assert d.tend('apply').returncode == 0
    quick = ('[services.n]\ndeployment = { mode = "binary", binary = { binary_path = "/bin/true" } }\n'
             'startup = { restart = "never" }\n')
    (d.home / 'services.toml').write_text(rest + quick)
    assert d.tend('apply').returncode == 0
    d.call('service.start', {'name': 'n'})
    d.wait_state('n', 'exited')
    assert alive(pid), 'the old n is still in its stop_timeout'
    [job] = d.call('job.list', {'service_id': 'n'})
    wait_gone(d, [pid])
    d.call('service.status_all')  # a loop iteration after its end
    assert [j['id'] for j in d.call('job.list', {'service_id': 'n'})] == [job['id']]
    assert_lives(d)


def test_removing_a_service_mid_workflow(daemon, tmp_path, marks):
    """n's first action (a oneshot) runs and its second waits on it: n is
    removed then. The oneshot's process goes, the second never starts."""
    pids, rest, _ = four_services(tmp_path, marks)
    first, second = marks(), marks()
    workflow = f'''
[actions.prepare]
kind = "oneshot"
exec = ["/bin/sh", "-c", "echo prepare $$ >> {pids}; exec sleep {first}"]
[actions.serve]
exec = ["/bin/sh", "-c", "echo serve $$ >> {pids}; exec sleep {second}"]
depends_on = {{ requires = ["prepare"] }}
[services.n]
actions = ["prepare", "serve"]
'''
    d = begun(daemon(rest + workflow))
    d.call('service.start', {'name': 'n'})
    [pid] = d.wait_for(lambda: started_pids(pids, 'prepare'), what='prepare to run')
    (d.home / 'services.toml').write_text(rest + workflow.split('[services.n]')[0])
    assert d.tend('apply').returncode == 0
    wait_gone(d, [pid])
    d.call('service.status_all')
    assert not started_pids(pids, 'serve'), 'the second action started after the removal'
    assert_lives(d)


def test_removing_a_service_with_a_running_dependent(daemon, tmp_path, marks):
    """n goes and its dependent, rewired, restarts without it; a service
    that is neither is untouched."""
    pids = tmp_path / 'pids'
    n = f'[services.n]\n{recorded("n", pids, marks())}\n'
    dep_mark = marks()

    def dep(deps):
        return f'[services.dep]\ndependencies = [{deps}]\n{recorded("dep", pids, dep_mark)}\n'
    other = f'[services.other]\n{recorded("other", pids, marks())}\n'
    d = begun(daemon(other + dep('"n"') + n))
    keep = start_and_pid(d, 'other', pids)
    d.call('service.start', {'name': 'dep'})
    d.wait_state('dep', 'running')
    n_pid, dep_pid = started_pids(pids, 'n')[-1], started_pids(pids, 'dep')[-1]
    (d.home / 'services.toml').write_text(other + dep(''))
    r = d.tend('apply', '--json')
    assert r.returncode == 0, r.stderr
    wait_gone(d, [n_pid, dep_pid])
    d.wait_for(lambda: d.call('service.status', {'name': 'dep'})['pid'] not in (None, dep_pid),
               what='dep restarted')
    d.wait_state('dep', 'running')
    assert_lives(d)
    assert d.call('service.status', {'name': 'other'})['pid'] == keep


def test_removing_a_service_and_its_dependent_at_once(daemon, tmp_path, marks):
    pids = tmp_path / 'pids'
    n = f'[services.n]\n{recorded("n", pids, marks())}\n'
    dep = f'[services.dep]\ndependencies = ["n"]\n{recorded("dep", pids, marks())}\n'
    other = f'[services.other]\n{recorded("other", pids, marks())}\n'
    d = begun(daemon(other + n + dep))
    keep = start_and_pid(d, 'other', pids)
    d.call('service.start', {'name': 'dep'})
    d.wait_state('dep', 'running')
    seen = [p for name, p in started_pids(pids) if name != 'other']
    (d.home / 'services.toml').write_text(other)
    assert d.tend('apply').returncode == 0
    wait_gone(d, seen)
    assert_lives(d)
    assert [s['name'] for s in d.call('service.list')] == ['other']
    assert d.call('service.status', {'name': 'other'})['pid'] == keep


# ---- random applies ------------------------------------------------------

LONG, QUICK = 'long', 'quick'


class World:
    """The registry the test means, as {name: (kind, deps)}; names carry a
    rank so that dependencies (on long sleepers only) point to lower
    ranks: never a cycle. Each service's process is `sleep ARG` with an
    ARG of its own, so that a pid someone else got later is never taken
    for one of its processes."""

    def __init__(self, rng, pids, token):
        self.rng, self.pids, self.token, self.next = rng, pids, token, 0
        self.services, self.args = {}, {}
        for _ in range(100):
            self.add()

    def new_name(self):
        self.next += 1
        return f's{self.next:05d}'

    def longs_below(self, name):
        return [n for n, (k, _) in self.services.items() if k == LONG and n < name]

    def some_deps(self, name):
        below = self.longs_below(name)
        return sorted(self.rng.sample(below, min(len(below), self.rng.choice([0, 0, 1, 2]))))

    def named(self, name, kind, deps):
        """A long sleeper, or a quick exiter (0.2-0.9 s) restarted at once."""
        self.services[name] = (kind, deps)
        seconds = '1000.' if kind == LONG else f'0.{self.rng.randrange(2, 10)}'
        self.args[name] = f'{seconds}{self.token}{self.next:05d}'

    def add(self):
        name = self.new_name()
        self.named(name, QUICK if self.rng.random() < 0.3 else LONG, self.some_deps(name))

    def drop(self, name):
        """Out of the registry, and out of the dependencies of the rest."""
        kind, deps = self.services.pop(name)
        for other, (k, ds) in list(self.services.items()):
            if name in ds:
                self.services[other] = (k, [x for x in ds if x != name])
        return kind, deps

    def rename(self, name):
        kind, deps = self.drop(name)
        new = self.new_name()
        self.named(new, kind, deps)

    def rewire(self, name):
        kind, _ = self.services[name]
        self.services[name] = (kind, self.some_deps(name))

    def step(self):
        for _ in range(self.rng.randrange(1, 6)):
            what = self.rng.choice(['add', 'remove', 'rename', 'rewire'])
            names = sorted(self.services)
            victim = self.rng.choice(names)
            if what == 'add':
                self.add()
            elif what == 'remove' and len(names) > 60:
                self.drop(victim)
            elif what == 'rename':
                self.rename(victim)
            else:
                self.rewire(victim)

    def spec(self, name):
        kind, deps = self.services[name]
        script = f'echo {name} $$ >> {self.pids}; exec sleep {self.args[name]}'
        startup = {'auto_start': True}
        if kind == QUICK:
            startup.update(restart='always', restart_delay=0.05, restart_delay_max=0.05,
                           max_restarts=64, restart_window=1)
        return {'dependencies': deps, 'startup': startup,
                'deployment': {'mode': 'binary', 'binary': {'binary_path': '/bin/sh',
                                                            'args': ['-c', script]}}}

    def document(self):
        return {'services': {n: self.spec(n) for n in sorted(self.services)}}

    def processes(self):
        """[(name, pid)] of every process of every service ever declared
        that still runs."""
        return [(n, p) for n, p in started_pids(self.pids) if runs_as(p, self.args[n])]


def test_random_applies_for_a_minute_leave_the_state_right(d, tmp_path):
    seconds = 60
    begun(d)
    world = World(random.Random(20261201), tmp_path / 'pids',
                  str(random.randrange(10**8, 10**9)))
    try:
        d.call('registry.apply', {'registry': world.document()})
        d.call('service.start_all')
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            world.step()
            d.call('registry.apply', {'registry': world.document()})
            d.call('service.status_all')
        assert_lives(d)
        final = world.services
        status = {s['name']: s for s in d.call('service.status_all')}
        assert sorted(status) == sorted(final)
        for name, (kind, deps) in final.items():
            assert status[name]['dependencies'] == deps, name

        def only_current_processes_live():
            current = {(s['name'], s['pid']) for s in d.call('service.status_all') if s['pid']}
            stray = [np for np in world.processes() if np not in current]
            return not stray or None
        d.wait_for(only_current_processes_live, timeout=30, what='no stray process')
        assert not [np for np in world.processes() if np[0] not in final]
        longs = [n for n, (k, _) in final.items() if k == LONG]
        d.wait_for(lambda: all(d.state(n) == 'running' for n in longs), timeout=30,
                   what='every long sleeper running')
        assert_lives(d)
    finally:
        for _, pid in world.processes():
            try:
                os.kill(pid, 9)
            except ProcessLookupError:
                pass
