"""What a daemon restart keeps: the wanted status of every service exactly
(start, stop, ignore, spec), the registry `-c FILE` names (what it drops
is said and forgotten, never hidden and brought back), what `tend apply`
changed when the main process crashes and its keeper starts another, and
no run left open by a daemon that crashed. Processes are found by markers
this test alone uses, killed by pid."""
import os
import signal

from daemon import Daemon, alive, crash, with_marker


def sleeper(mark, auto_start=True):
    return f'''deployment = {{ mode = "binary", binary = {{ binary_path = "/bin/sleep", args = ["{mark}"] }} }}
startup = {{ auto_start = {"true" if auto_start else "false"} }}
'''


def wanted(d, name):
    return d.call('service.status', {'name': name})['wanted']


def test_a_cancelled_service_stays_ignored_after_a_restart(home, marks):
    mark = marks()
    cfg = home / 'services.toml'
    cfg.write_text('[services.quiet]\n' + sleeper(mark))
    d = Daemon(home, cfg).start()
    d.wait_state('quiet', 'running')
    job = d.call('service.status', {'name': 'quiet'})['jobs'][0]['id']
    d.call('job.cancel', {'id': job})
    d.wait_for(lambda: not with_marker(mark), what='the cancelled job to end')
    assert wanted(d, 'quiet') == 'ignore'
    assert d.stop() == 0, d.output()

    d = Daemon(home, cfg).start()
    try:
        assert wanted(d, 'quiet') == 'ignore'
        assert d.state('quiet') != 'running'
        assert not with_marker(mark), 'ignore was forgotten: the service started again'
    finally:
        assert d.stop() == 0, d.output()


def test_wanted_stop_and_ignore_survive_a_crash_of_both_processes(home, marks):
    stopped, ignored, kept = marks(), marks(), marks()
    text = ('[services.stopped]\n' + sleeper(stopped) + '[services.ignored]\n' + sleeper(ignored)
            + '[services.kept]\n' + sleeper(kept))
    d = Daemon(home).start()
    d.tend('apply', '-c', _write(home, text))
    for name in ('stopped', 'ignored', 'kept'):
        d.wait_state(name, 'running')
    d.call('service.stop', {'name': 'stopped'})
    d.call('job.cancel', {'id': d.call('service.status', {'name': 'ignored'})['jobs'][0]['id']})
    d.wait_for(lambda: not with_marker(stopped) and not with_marker(ignored),
               what='stopped and ignored to end')
    kept_pid = with_marker(kept)
    crash(d)

    d = Daemon(home).start()
    try:
        assert wanted(d, 'stopped') == 'stop' and wanted(d, 'ignored') == 'ignore'
        assert d.state('stopped') != 'running' and d.state('ignored') != 'running'
        assert not with_marker(stopped) and not with_marker(ignored)
        assert with_marker(kept) == kept_pid, 'the running one is adopted, not doubled'
    finally:
        assert d.stop() == 0, d.output()


def _write(home, text, name='api.toml'):
    path = home / name
    path.write_text(text)
    return path


def test_config_file_drops_what_it_does_not_declare_and_says_so(home, marks):
    declared, added = marks(), marks()
    cfg = _write(home, '[services.declared]\n' + sleeper(declared), 'services.toml')
    d = Daemon(home, cfg).start()
    d.call('service.set', {'name': 'extra', 'spec': {
        'deployment': {'mode': 'binary', 'binary': {'binary_path': '/bin/sleep', 'args': [added]}},
        'startup': {'auto_start': True}}})
    d.call('service.start', {'name': 'extra'})
    d.wait_state('extra', 'running')
    assert d.stop() == 0, d.output()

    d = Daemon(home, cfg).start()
    try:
        names = [s['name'] for s in d.call('service.list')]
        assert names == ['declared']
        assert 'does not declare 1 service(s) the store had: extra' in d.output()
        assert not with_marker(added)
    finally:
        assert d.stop() == 0, d.output()

    # Forgotten, not hidden: a daemon without -c does not bring it back.
    d = Daemon(home).start()
    try:
        assert [s['name'] for s in d.call('service.list')] == ['declared']
        assert not with_marker(added)
    finally:
        assert d.stop() == 0, d.output()


def test_config_file_stops_a_dropped_service_a_crashed_daemon_left_running(home, marks):
    old, new = marks(), marks()
    first = _write(home, '[services.old]\n' + sleeper(old) + '[services.new]\n' + sleeper(new),
                   'first.toml')
    d = Daemon(home, first).start()
    d.wait_state('old', 'running')
    d.wait_state('new', 'running')
    old_pid, new_pid = with_marker(old), with_marker(new)
    crash(d)

    second = _write(home, '[services.new]\n' + sleeper(new), 'second.toml')
    d = Daemon(home, second).start()
    try:
        assert [s['name'] for s in d.call('service.list')] == ['new']
        d.wait_for(lambda: not any(alive(p) for p in old_pid), what='old to be stopped')
        assert with_marker(new) == new_pid, 'new is adopted, not started again'
        assert 'does not declare 1 service(s) the store had: old' in d.output()
    finally:
        assert d.stop() == 0, d.output()


def test_a_main_process_crash_keeps_what_apply_changed(home, marks):
    declared, applied = marks(), marks()
    cfg = _write(home, '[services.declared]\n' + sleeper(declared), 'services.toml')
    d = Daemon(home, cfg).start()
    try:
        d.wait_state('declared', 'running')
        other = _write(home, '[services.declared]\n' + sleeper(declared)
                       + '[services.applied]\n' + sleeper(applied))
        assert d.tend('apply', '-c', other).returncode == 0
        d.wait_state('applied', 'running')
        applied_pid = with_marker(applied)
        main = d.main_pid()
        os.kill(main, signal.SIGKILL)
        d.wait_for(lambda: d.main_pid() not in (None, main), what='a new main process')
        d.wait_for(lambda: _answers(d), what='the new main process to answer')
        assert [s['name'] for s in d.call('service.list')] == ['declared', 'applied']
        assert with_marker(applied) == applied_pid
        assert d.state('applied') == 'running'
        assert d.call('registry.get')['file'] == str(other.resolve())
    finally:
        assert d.stop() == 0, d.output()


def _answers(d):
    try:
        d.call('service.list')
        return True
    except OSError:
        return False


def test_no_run_stays_open_after_a_crash(home, marks):
    mark = marks()
    text = ('[services.app]\n' + sleeper(mark)
            + '[services.all]\ndependencies = ["app"]\nstartup = { auto_start = true }\n')
    d = Daemon(home, _write(home, text, 'services.toml')).start()
    d.wait_state('all', 'running')
    target_run = d.call('service.status', {'name': 'all'})['run_id']
    crash(d)
    # app's process ends while no daemon runs.
    for pid in with_marker(mark):
        os.kill(pid, signal.SIGKILL)

    d = Daemon(home).start()
    try:
        d.call('service.stop_all')
        # Stopped means no job left: 'stopping' and 'starting' still have one.
        busy = ('running', 'starting', 'stopping')
        d.wait_for(lambda: d.state('app') not in busy and d.state('all') not in busy,
                   what='everything stopped')
        runs = d.call('run.list', {'service': 'all'}) + d.call('run.list', {'service': 'app'})
        open_runs = [r for r in runs if r['status'] in ('starting', 'running')]
        assert not open_runs, open_runs
        old = next(r for r in runs if r['id'] == target_run)
        assert old['status'] == 'stopped' and old['ended_at']
        assert 'the daemon before this one ended' in old['reason']
    finally:
        assert d.stop() == 0, d.output()
