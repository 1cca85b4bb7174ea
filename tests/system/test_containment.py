"""Containment: every process a job starts goes when the job ends, also those
that double-fork or call setsid, in both modes the process layer has: a
cgroup v2 per job (where this machine lets tend create one) and process
groups plus the subreaper (forced with --no-cgroups). Nothing hangs, the
daemon's descriptors stay flat, and one TEND_HOME has one daemon.

Each test marks the processes it starts with an argument nobody else uses
(`sleep 1000.<random>`), and looks only for those."""
import os
import re
from pathlib import Path

import pytest

from daemon import Daemon, with_marker

MODES = ['cgroup', 'fallback']


def open_fds(pid):
    return len(os.listdir(f'/proc/{pid}/fd'))


@pytest.fixture
def start(home):
    """start(mode, registry text) -> a running daemon in that mode."""
    started = []

    def run(mode, text):
        cfg = home / 'services.toml'
        cfg.write_text(text)
        d = Daemon(home, cfg, extra_args=['--no-cgroups'] if mode == 'fallback' else []).start()
        started.append(d)
        if mode == 'cgroup' and 'cgroup v2 (' not in d.output():
            pytest.skip('no writable cgroup v2 here: ' + d.output())
        return d
    yield run
    for d in started:
        assert d.stop() == 0, d.output()


def escapee_service(mark, name='esc', main='exec sleep 200', extra=''):
    # The child leaves the job's session and process group at once.
    return f'''
[actions.{name}]
interpreter = "sh"
script = "setsid sleep {mark} & {main}"
{extra}
[services.{name}]
actions = ["{name}"]
'''


@pytest.mark.parametrize('mode', MODES)
def test_a_setsid_descendant_dies_when_its_service_stops(start, mode, marks):
    mark = marks()
    d = start(mode, escapee_service(mark))
    d.call('service.start', {'name': 'esc'})
    escapee = d.wait_for(lambda: with_marker(mark), what='the setsid child')
    d.wait_state('esc', 'running')
    d.call('service.stop', {'name': 'esc'})
    d.wait_state('esc', 'inactive')
    d.wait_for(lambda: not with_marker(mark), what=f'{escapee} gone')


@pytest.mark.parametrize('mode', MODES)
def test_a_main_process_that_crashes_takes_its_descendants_along(start, mode, marks):
    mark = marks()
    d = start(mode, escapee_service(mark, main='sleep 0.3; exit 3'))
    d.call('service.start', {'name': 'esc'})
    d.wait_for(lambda: with_marker(mark), what='the setsid child')
    d.wait_for(lambda: any(j['exit_code'] == 3 for j in d.call('job.list', {'service_id': 'esc'})),
               what='the crash')
    d.wait_for(lambda: not with_marker(mark), what='the setsid child gone with its job')


@pytest.mark.parametrize('mode', MODES)
def test_restart_cycles_leave_no_strays_and_no_descriptors(start, mode, marks):
    # Each cycle stops a job whose setsid child would survive it, and starts
    # the next; the daemon must neither keep strays nor their pipes.
    mark = marks()
    d = start(mode, escapee_service(mark, extra='stop_timeout = 1'))
    keeper, main = d.proc.pid, d.main_pid()
    d.call('service.start', {'name': 'esc'})
    d.wait_state('esc', 'running')
    def cycles(n):
        # Each start waits for the stopped job to end, then launches anew;
        # the test asks without pausing, to see each new process running.
        pid = None
        for _ in range(n):
            d.call('service.stop', {'name': 'esc'})
            d.call('service.start', {'name': 'esc'})
            status = d.call('service.status', {'name': 'esc'})
            while status['state'] != 'running' or status['pid'] == pid:
                status = d.call('service.status', {'name': 'esc'})
            pid = status['pid']
        d.wait_for(lambda: len(with_marker(mark)) == 1, what='one setsid child: the running one')
    cycles(20)
    before = {pid: open_fds(pid) for pid in (keeper, main)}
    cycles(1000)
    phases = [j['phase'] for j in d.call('job.list', {'service_id': 'esc'})]
    assert phases.count('running') == 1 and set(phases) <= {'running', 'cancelled'}, phases
    for pid, count in before.items():  # the keeper holds a copy of each job's pipes
        assert open_fds(pid) <= count + 2, (pid, os.listdir(f'/proc/{pid}/fd'))
    # SIGTERM with the last escapee running: everything goes, and soon
    # (stop_timeout is 1 s; the helper fails if the daemon hangs).
    assert d.stop(timeout=5) == 0, d.output()
    assert not with_marker(mark)


@pytest.mark.parametrize('mode', MODES)
def test_an_escapee_without_tend_in_its_environment_neither_hangs_nor_outlives_the_daemon(start, mode, marks):
    # `env -i` clears TEND_UNIT: without a cgroup, tend cannot tell whose
    # stray it is until the daemon exits; it still holds the job's pipes,
    # which must not keep the job's log, or the daemon, waiting.
    mark = marks()
    d = start(mode, f'''
[actions.esc]
interpreter = "sh"
script = "env -i setsid sleep {mark} & echo started; exec sleep 200"
[services.esc]
actions = ["esc"]
''')
    d.call('service.start', {'name': 'esc'})
    d.wait_for(lambda: with_marker(mark), what='the escapee')
    d.call('service.stop', {'name': 'esc'})
    d.wait_state('esc', 'inactive')
    if mode == 'cgroup':
        d.wait_for(lambda: not with_marker(mark), what='the escapee gone with its cgroup')
    assert d.stop(timeout=5) == 0, d.output()
    assert not with_marker(mark)


def cgroup_of(pid):
    for line in Path(f'/proc/{pid}/cgroup').read_text().splitlines():
        if line.startswith('0::'):
            return line[3:]
    return None


def cgroup2_mount():
    for line in Path('/proc/self/mountinfo').read_text().splitlines():
        fields = line.split()
        if ' - cgroup2 ' in line and fields[3] == '/':
            return fields[4]
    return None


def test_each_job_has_a_cgroup_of_its_own_removed_when_it_ends(start, marks):
    mark = marks()
    d = start('cgroup', escapee_service(mark) + escapee_service(marks(), name='other'))
    d.call('service.start', {'name': 'esc'})
    d.call('service.start', {'name': 'other'})
    d.wait_state('esc', 'running')
    d.wait_state('other', 'running')
    main = d.call('service.status', {'name': 'esc'})['pid']
    job = d.call('job.list', {'service_id': 'esc'})[-1]['id']
    group = cgroup_of(main)
    assert re.fullmatch(r'.*/tend-[0-9a-f]{12}/job-%d' % job, group), group
    (escapee,) = d.wait_for(lambda: with_marker(mark), what="the setsid child")
    assert cgroup_of(escapee) == group  # setsid does not leave a cgroup
    assert cgroup_of(d.call('service.status', {'name': 'other'})['pid']) != group
    folder = Path(cgroup2_mount() + group)
    assert folder.is_dir()
    d.call('service.stop', {'name': 'esc'})
    d.wait_state('esc', 'inactive')
    d.wait_for(lambda: not folder.exists(), what=f'{folder} removed')
    assert d.state('other') == 'running'
    assert d.stop() == 0
    assert not folder.parent.exists(), 'the daemon leaves its cgroup behind'


def test_the_daemon_says_how_it_keeps_processes_together(start, marks):
    d = start('fallback', escapee_service(marks()))
    assert 'process groups and the subreaper (no cgroup: --no-cgroups)' in d.output()


def test_a_second_daemon_on_the_same_home_is_refused_in_words(home):
    first = Daemon(home).start()
    try:
        second = first.tend('daemon', '--http', 'off', timeout=10)
        assert second.returncode == 1, second.stderr
        assert f'another tend daemon (pid {first.proc.pid}) runs on' in second.stderr
        assert 'daemon.lock' in second.stderr
        assert first.call('service.list') == []
    finally:
        assert first.stop() == 0, first.output()
    # The lock goes with its daemon, however it ended.
    again = Daemon(home).start()
    assert again.stop() == 0
