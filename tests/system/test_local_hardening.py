"""Local hardening: only the owner gets in.

- tend's directories are checked like OpenSSH's StrictModes before the
  daemon keeps anything there or a client believes what answers on the
  socket: another user cannot squat /tmp/tend-UID, and a group- or
  other-writable directory, a symlink or a writable parent is refused in
  words, with nothing sent and nothing written;
- the daemon runs with umask 077 (files 0600, folders 0700; those an older
  tend left readable are tightened), and another user, even one who can
  traverse TEND_HOME's parent, reads none of it;
- a job of another user gets only fds 0-2, a clean environment, and
  no_new_privileges / umask / limits when its action asks;
- the daemon's own processes hold nothing they inherited and open every
  fd close-on-exec.
"""
import os
import shutil
import socket
import stat
import subprocess
import tempfile
from pathlib import Path

import pytest

from daemon import Daemon, TEND_BIN, tend_env, with_marker


def mode(path):
    return stat.S_IMODE(os.lstat(path).st_mode)


@pytest.fixture
def open_dir():
    """A fresh directory under /tmp that every user may traverse (0755, its
    parents too): a test that another user cannot read something proves
    nothing if that user cannot even reach the folder it is in."""
    base = Path(tempfile.mkdtemp(prefix='tend-hardening-', dir='/tmp'))
    base.chmod(0o755)
    yield base
    shutil.rmtree(base, ignore_errors=True)


def user_env(user, state, **extra):
    """A user's environment with no TEND_HOME and no XDG_RUNTIME_DIR (so
    the runtime folder is /tmp/tend-UID, unless extra names one), its
    state and config in state."""
    env = user.env(XDG_STATE_HOME=str(state), XDG_CONFIG_HOME=str(state), NO_COLOR='1')
    env.pop('XDG_RUNTIME_DIR', None)
    env.pop('TEND_HOME', None)
    return {**env, **extra}


def own_dir(path, user):
    path.mkdir(mode=0o700)
    os.chown(path, user.uid, user.gid)
    return path


# ---- the runtime folder in /tmp ------------------------------------------------


@pytest.fixture
def squatted(other_user, neighbour_user):
    """/tmp/tend-VICTIM made by the neighbour, mode 0777, with a socket of
    the neighbour's listening in it: what the attacker did."""
    victim, squatter = other_user, neighbour_user
    runtime = Path(f'/tmp/tend-{victim.uid}')
    if runtime.exists() or runtime.is_symlink():
        shutil.rmtree(runtime) if runtime.is_dir() and not runtime.is_symlink() else runtime.unlink()
    runtime.mkdir()
    runtime.chmod(0o777)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(runtime / 'tend.sock'))
    listener.listen(16)
    listener.setblocking(False)
    (runtime / 'tend.sock').chmod(0o777)
    os.chown(runtime / 'tend.sock', squatter.uid, squatter.gid)
    os.chown(runtime, squatter.uid, squatter.gid)
    yield runtime, listener
    listener.close()
    shutil.rmtree(runtime, ignore_errors=True)


def nothing_connected(listener):
    try:
        conn, _ = listener.accept()
    except BlockingIOError:
        return True
    conn.close()
    return False


def test_the_cli_refuses_a_squatted_runtime_folder(other_user, neighbour_user, squatted, open_dir):
    runtime, listener = squatted
    state = own_dir(open_dir / 'victim', other_user)
    for argv in (['rpc', 'service.list'], ['ps'], ['events', '--follow']):
        r = other_user.run([TEND_BIN, *argv], env=user_env(other_user, state), timeout=20)
        assert r.returncode != 0, (argv, r.stdout)
        assert (f'/tmp/tend-{other_user.uid} belongs to uid {neighbour_user.uid} (not you): '
                'someone may be impersonating tend; remove it (or set XDG_RUNTIME_DIR or '
                'TEND_HOME)') in r.stderr, (argv, r.stderr)
        assert nothing_connected(listener), f'{argv}: the CLI talked to the squatter'
    # No daemon was started on the victim's behalf either.
    assert not (state / 'tend' / 'daemon.log').exists()


def test_the_daemon_refuses_a_squatted_runtime_folder(other_user, neighbour_user, squatted,
                                                      open_dir):
    runtime, listener = squatted
    state = own_dir(open_dir / 'victim', other_user)
    r = other_user.run([TEND_BIN, 'daemon', '--http', 'off'], env=user_env(other_user, state),
                       timeout=20)
    assert r.returncode == 1, r.stderr
    assert (f'tend daemon: /tmp/tend-{other_user.uid} belongs to uid {neighbour_user.uid} '
            '(not you): someone may be impersonating tend') in r.stderr
    assert nothing_connected(listener)
    assert (runtime / 'tend.sock').exists(), "the squatter's socket was left alone"
    assert not (state / 'tend' / 'tend.db').exists(), 'nothing was written'


def test_a_runtime_folder_of_ones_own_with_a_loose_mode_is_refused(other_user, open_dir):
    runtime = Path(f'/tmp/tend-{other_user.uid}')
    shutil.rmtree(runtime, ignore_errors=True)
    runtime.mkdir()
    runtime.chmod(0o755)
    os.chown(runtime, other_user.uid, other_user.gid)
    try:
        state = own_dir(open_dir / 'victim', other_user)
        r = other_user.run([TEND_BIN, 'rpc', 'service.list'], env=user_env(other_user, state))
        assert r.returncode != 0
        assert f'/tmp/tend-{other_user.uid} has mode 0755, not 0700' in r.stderr, r.stderr
    finally:
        shutil.rmtree(runtime, ignore_errors=True)


def test_a_users_daemon_makes_its_tmp_folder_0700_and_the_cli_uses_it(other_user, open_dir):
    """The same path, unsquatted: the CLI starts the user's daemon, which
    makes /tmp/tend-UID 0700 (and its state folders) and answers."""
    runtime = Path(f'/tmp/tend-{other_user.uid}')
    shutil.rmtree(runtime, ignore_errors=True)
    state = own_dir(open_dir / 'victim', other_user)
    env = user_env(other_user, state)
    try:
        r = other_user.run([TEND_BIN, 'rpc', 'service.list'], env=env, timeout=30)
        assert r.returncode == 0, r.stderr
        assert mode(runtime) == 0o700 and os.stat(runtime).st_uid == other_user.uid
        assert stat.S_ISSOCK(os.lstat(runtime / 'tend.sock').st_mode)
        assert mode(state / 'tend') == 0o700
        assert mode(state / 'tend' / 'tend.db') == 0o600
    finally:
        pid = (state / 'tend' / 'daemon.lock').read_text().strip() if (
            state / 'tend' / 'daemon.lock').exists() else ''
        if pid:
            os.kill(int(pid), 15)
            deadline_wait(lambda: not Path(f'/proc/{pid}').exists())
        shutil.rmtree(runtime, ignore_errors=True)


def deadline_wait(predicate, timeout=20):
    import time
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    raise AssertionError('timed out')


def test_the_dashboard_url_is_read_only_from_a_folder_of_ones_own(other_user, open_dir):
    """dashboard.url carries the token: once the state folder is open to
    others (someone could have put their URL there), `tend dashboard`
    refuses it, in words; the socket's folder still passes."""
    run = own_dir(open_dir / 'run', other_user)
    state = own_dir(open_dir / 'state', other_user)
    env = user_env(other_user, state, XDG_RUNTIME_DIR=str(run))
    daemon = other_user.popen([TEND_BIN, 'daemon', '--http', '127.0.0.1:0'], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url_file = state / 'tend' / 'dashboard.url'
        deadline_wait(lambda: url_file.exists() and (run / 'tend' / 'tend.sock').exists())
        r = other_user.run([TEND_BIN, 'dashboard', '--no-open'], env=env)
        assert r.returncode == 0 and r.stdout.startswith('http://127.0.0.1:'), r.stderr
        (state / 'tend').chmod(0o777)
        r = other_user.run([TEND_BIN, 'dashboard', '--no-open'], env=env)
        assert r.returncode == 1 and r.stdout == ''
        assert (f'tend dashboard: {state}/tend is writable by group or others (mode 0777)'
                in r.stderr), r.stderr
    finally:
        (state / 'tend').chmod(0o700)
        daemon.terminate()
        daemon.wait(20)


# ---- TEND_HOME and its parents -----------------------------------------------


def refused(home, *argv):
    """`tend daemon` on home: it must exit 1, write nothing, and say why."""
    before = sorted(p.name for p in home.iterdir()) if home.is_dir() else None
    r = subprocess.run([TEND_BIN, 'daemon', '--http', 'off', *argv], env=tend_env(home),
                       capture_output=True, text=True, timeout=20)
    assert r.returncode == 1, r.stderr
    if before is not None:
        assert sorted(p.name for p in home.iterdir()) == before, 'something was written'
    return r.stderr


def test_a_group_or_other_writable_home_is_refused(tmp_path):
    for loose in (0o770, 0o707, 0o777):
        home = tmp_path / f'home{loose:o}'
        home.mkdir()
        home.chmod(loose)
        err = refused(home)
        assert (f'tend daemon: {home} is writable by group or others (mode {loose:04o}): they '
                f'could replace tend\'s socket or database; chmod 700 {home}') in err
        # And the CLI believes no socket there either.
        r = subprocess.run([TEND_BIN, 'rpc', 'service.list'], env=tend_env(home),
                           capture_output=True, text=True, timeout=20)
        assert r.returncode != 0 and f'{home} is writable by group or others' in r.stderr


def test_a_symlinked_home_is_refused(tmp_path):
    real = tmp_path / 'real'
    real.mkdir(mode=0o700)
    home = tmp_path / 'home'
    home.symlink_to(real)
    err = refused(home)
    assert f'tend daemon: {home} is a symlink' in err and f'mkdir -m 700 {home}' in err
    assert list(real.iterdir()) == []


def test_a_home_in_a_folder_others_may_write_is_refused(tmp_path):
    parent = tmp_path / 'shared'
    parent.mkdir()
    parent.chmod(0o777)  # not sticky: anyone may rename home away and put theirs
    home = parent / 'home'
    home.mkdir(mode=0o700)
    err = refused(home)
    assert (f'{parent} (a parent of {home}) is writable by group or others (mode 0777, '
            f'not sticky)') in err
    # Sticky (as /tmp is): nobody may rename what is not theirs; accepted.
    parent.chmod(0o1777)
    d = Daemon(home, extra_args=['--http', 'off']).start()
    assert d.stop() == 0


def test_a_home_another_user_owns_is_refused(tmp_path, other_user):
    home = tmp_path / 'home'
    home.mkdir(mode=0o700)
    os.chown(home, other_user.uid, other_user.gid)
    err = refused(home)
    assert f'{home} belongs to uid {other_user.uid} (not you or root)' in err


# ---- what the daemon writes ---------------------------------------------------


def test_another_user_reads_nothing_of_the_daemon(open_dir, other_user, marks):
    """TEND_HOME's parent is open to all; an older tend left the home 0755
    and the database and its WAL 0644: the daemon tightens them, writes
    everything new 0600 under 0700 folders, and the other user's real
    reads fail."""
    home = open_dir / 'home'
    home.mkdir()
    home.chmod(0o755)
    for name in ('tend.db', 'tend.db-wal'):
        (home / name).touch()
        (home / name).chmod(0o644)
    mark = marks()
    cfg = open_dir / 'services.toml'
    cfg.write_text(f'''
[services.talker]
deployment = {{ mode = "binary", binary = {{ binary_path = "/bin/sh", args = ["-c", "echo SECRET-OUTPUT; exec sleep {mark}"], env = {{ API_KEY = "SECRET-KEY" }} }} }}
''')
    cfg.chmod(0o644)
    d = Daemon(home, cfg, extra_args=['--http', '127.0.0.1:0']).start()
    try:
        d.call('service.start', {'name': 'talker'})
        d.wait_state('talker', 'running')
        logs = home / 'logs'
        d.wait_for(lambda: [p for p in logs.rglob('*.log') if p.read_bytes()], what='a log')
        d.wait_for(lambda: (home / 'dashboard.url').exists(), what='dashboard.url')
        assert mode(home) == 0o700
        for name in ('tend.db', 'tend.db-wal', 'tend.db-shm', 'dashboard.url', 'daemon.lock'):
            assert mode(home / name) == 0o600, name
        assert mode(logs) == 0o700
        for p in logs.rglob('*'):
            assert mode(p) == (0o700 if p.is_dir() else 0o600), p
        log = next(p for p in logs.rglob('*.log') if p.read_bytes())
        for target in (home / 'tend.db', home / 'tend.db-wal', log):
            r = other_user.run(['cat', target])
            assert r.returncode != 0 and 'Permission denied' in r.stderr, (target, r)
        r = other_user.run(['ls', home])
        assert r.returncode != 0 and 'Permission denied' in r.stderr
        # The owner still reads it all.
        assert b'SECRET-KEY' in b''.join(p.read_bytes() for p in home.glob('tend.db*'))
    finally:
        assert d.stop() == 0, d.output()


# ---- jobs of another user --------------------------------------------------------


def nobody_registry(mark_a, mark_b, mark_c):
    return f'''
[actions.confined]
exec = ["sleep", "{mark_a}"]
user = "nobody"
env = {{ DECLARED = "yes" }}
no_new_privileges = true
umask = "0027"
limits = {{ nofile = 256, nproc = {{ soft = 50, hard = 60 }}, core = 0, cpu = "infinity" }}

[actions.plain]
exec = ["sleep", "{mark_b}"]
user = "nobody"

[actions.mine]
exec = ["sleep", "{mark_c}"]

[services.confined]
actions = ["confined"]
[services.plain]
actions = ["plain"]
[services.mine]
actions = ["mine"]
'''


def status_of(pid):
    fields = {}
    for line in Path(f'/proc/{pid}/status').read_text().splitlines():
        key, _, value = line.partition(':')
        fields[key] = value.strip()
    return fields


def environ_of(pid):
    raw = Path(f'/proc/{pid}/environ').read_bytes().split(b'\0')
    return dict(e.decode().split('=', 1) for e in raw if b'=' in e)


def limits_of(pid):
    """{'Max open files': ('256', '256'), ...} from /proc/PID/limits."""
    out = {}
    for line in Path(f'/proc/{pid}/limits').read_text().splitlines()[1:]:
        name = line[:26].strip()
        soft, hard = line[26:].split()[:2]
        out[name] = (soft, hard)
    return out


@pytest.fixture
def as_root():
    if os.geteuid() != 0:
        pytest.skip('jobs of another user need a root daemon')


def test_a_job_of_another_user_gets_fds_0_to_2_and_a_clean_environment(home, marks, as_root):
    a, b, c = marks(), marks(), marks()
    cfg = home / 'services.toml'
    cfg.write_text(nobody_registry(a, b, c))
    # What a careless parent leaves: a pipe without close-on-exec.
    leaked_r, leaked_w = os.pipe()
    os.set_inheritable(leaked_r, True)
    secret = f'HARDENING_SECRET_{os.getpid()}'
    d = Daemon(home, cfg, extra_args=['--http', 'off'], pass_fds=(leaked_r,),
               env={secret: 'root-only', 'LANG': 'C.UTF-8', 'TZ': 'Europe/Berlin'})
    d.start()
    try:
        for name in ('confined', 'plain', 'mine'):
            d.call('service.start', {'name': name})
            d.wait_state(name, 'running')
        pids = {m: d.wait_for(lambda m=m: with_marker(m), what=m)[0] for m in (a, b, c)}
        for m in (a, b, c):
            assert sorted(os.listdir(f'/proc/{pids[m]}/fd'), key=int) == ['0', '1', '2'], m
        env = environ_of(pids[a])
        assert secret not in env
        assert env['DECLARED'] == 'yes'
        assert env['HOME'] == '/nonexistent' and env['USER'] == 'nobody'
        assert env['LOGNAME'] == 'nobody' and env['SHELL'] == '/usr/sbin/nologin'
        assert env['LANG'] == 'C.UTF-8' and env['TZ'] == 'Europe/Berlin'
        assert env['PATH'] == d.env()['PATH']
        assert env['TEND_UNIT'].startswith('job-')
        assert sorted(env) == ['DECLARED', 'HOME', 'LANG', 'LOGNAME', 'PATH', 'SHELL',
                               'TEND_UNIT', 'TZ', 'USER'], env
        assert secret not in environ_of(pids[b])
        # The daemon's own user keeps today's environment.
        assert environ_of(pids[c])[secret] == 'root-only'
        assert 'TEND_JOB_UMASK' not in environ_of(pids[c])
        # Asked for: no_new_privs, umask, limits; not asked: the defaults.
        confined, plain = status_of(pids[a]), status_of(pids[b])
        assert confined['NoNewPrivs'] == '1' and plain['NoNewPrivs'] == '0'
        assert confined['Umask'] == '0027'
        assert plain['Umask'] == f'{started_umask():04o}', 'the umask tend was started with'
        limits = limits_of(pids[a])
        assert limits['Max open files'] == ('256', '256')
        assert limits['Max processes'] == ('50', '60')
        assert limits['Max core file size'] == ('0', '0')
        assert limits['Max cpu time'] == ('unlimited', 'unlimited')
        assert limits_of(pids[b])['Max open files'] != ('256', '256')
    finally:
        assert d.stop() == 0, d.output()
        os.close(leaked_r)
        os.close(leaked_w)


def started_umask():
    current = os.umask(0)
    os.umask(current)
    return current


def fd_flags(pid, fd):
    """fd's open flags, or None when it was closed since it was listed
    (a connection the daemon just ended, say)."""
    try:
        text = Path(f'/proc/{pid}/fdinfo/{fd}').read_text()
    except FileNotFoundError:
        return None
    for line in text.splitlines():
        if line.startswith('flags:'):
            return int(line.split()[1], 8)
    return 0


def test_the_daemons_processes_hold_nothing_inherited_and_open_all_close_on_exec(home, marks):
    mark = marks()
    cfg = home / 'services.toml'
    cfg.write_text(f'''
[actions.talk]
exec = ["sh", "-c", "echo hello; exec sleep {mark}"]
ready = "notify"
[services.talk]
actions = ["talk"]
startup = {{ start_timeout = 60 }}
''')
    leaked_r, leaked_w = os.pipe()
    os.set_inheritable(leaked_r, True)
    leaked = os.readlink(f'/proc/self/fd/{leaked_r}')
    d = Daemon(home, cfg, extra_args=['--http', '127.0.0.1:0'], pass_fds=(leaked_r,)).start()
    try:
        d.call('service.start', {'name': 'talk'})
        d.wait_for(lambda: with_marker(mark), what='the job')
        d.call('service.list')
        keeper, main = d.proc.pid, d.main_pid()
        for pid in (keeper, main):
            held = {fd: os.readlink(f'/proc/{pid}/fd/{fd}') for fd in os.listdir(f'/proc/{pid}/fd')}
            assert leaked not in held.values(), (pid, held)
        for fd in os.listdir(f'/proc/{main}/fd'):
            flags = fd_flags(main, fd) if int(fd) > 2 else None
            if flags is not None:
                assert flags & os.O_CLOEXEC, (fd, held.get(fd))
    finally:
        assert d.stop() == 0, d.output()
        os.close(leaked_r)
        os.close(leaked_w)


def test_a_user_daemons_job_keeps_the_users_umask(home, marks):
    """umask 077 is the daemon's, not its jobs': a job gets the umask tend
    was started with (here 0002), and what it writes says so."""
    out = home.parent / 'made-by-job'
    cfg = home / 'services.toml'
    cfg.write_text(f'''
[actions.write]
kind = "oneshot"
exec = ["sh", "-c", "echo x > {out}"]
[services.write]
actions = ["write"]
startup = {{ restart = "never" }}
''')
    old = os.umask(0o002)
    try:
        d = Daemon(home, cfg, extra_args=['--http', 'off']).start()
    finally:
        os.umask(old)
    try:
        d.call('service.start', {'name': 'write'})
        d.wait_for(lambda: out.exists() and out.read_text() == 'x\n', what='the file')
        assert mode(out) == 0o664
        assert mode(home / 'tend.db') == 0o600
        # A main process the keeper starts again keeps it (TEND_JOB_UMASK).
        first = d.main_pid()
        os.kill(first, 9)
        d.wait_for(lambda: d.main_pid() not in (None, first), what='a new main process')
        out.unlink()
        d.wait_for(lambda: _try_start(d, 'write'), what='the restart')
        d.wait_for(lambda: out.exists() and out.read_text() == 'x\n', what='the file again')
        assert mode(out) == 0o664
    finally:
        assert d.stop() == 0, d.output()


def _try_start(d, name):
    try:
        d.call('service.start', {'name': name})
        return True
    except Exception:
        return False


def test_a_limit_the_kernel_refuses_is_the_jobs_error(home, marks):
    """A hard nofile limit above fs.nr_open is refused even to root: the
    start fails, in words naming the limit, and nothing runs."""
    too_many = int(Path('/proc/sys/fs/nr_open').read_text()) + 1
    mark = marks()
    cfg = home / 'services.toml'
    cfg.write_text(f'''
[actions.greedy]
exec = ["sleep", "{mark}"]
limits = {{ nofile = {{ soft = 64, hard = {too_many} }} }}
[services.greedy]
actions = ["greedy"]
startup = {{ restart = "never" }}
''')
    d = Daemon(home, cfg, extra_args=['--http', 'off']).start()
    try:
        d.call('service.start', {'name': 'greedy'})
        d.wait_for(lambda: d.state('greedy') == 'failed', what='failed')
        why = d.call('service.why', {'name': 'greedy'})['why']
        assert f'setrlimit nofile 64:{too_many}: Operation not permitted' in why, why
        assert not with_marker(mark)
    finally:
        assert d.stop() == 0, d.output()


# ---- the keys in the registry ----------------------------------------------------


def errors_of(result):
    return [l for l in result.stderr.splitlines() if ': error: ' in l]


def test_bad_confinement_keys_name_their_place(tend, registry):
    path = registry('''
[actions.a]
exec = ["/bin/true"]
no_new_privileges = "yes"
umask = 27
limits = { nofiles = 10, nproc = -1, core = "lots", stack = { soft = 10, hard = 5 } }
[actions.b]
exec = ["/bin/true"]
umask = "0999"
limits = 5
[services.s.deployment]
mode = "binary"
binary = { binary_path = "/bin/true", umask = "abc", limits = { as = { soft = 1 } } }
''')
    r = tend('validate', '-c', path)
    assert r.returncode == 1
    got = errors_of(r)
    expected = [
        (4, 21, "'actions.a.no_new_privileges': expected true or false, found string"),
        (5, 9, "'actions.a.umask': expected an octal umask as a string, such as \"0027\" or "
               "\"077\" (a number would be read as decimal: quote it)"),
        (6, 12, "unknown key 'actions.a.limits.nofiles'; did you mean 'nofile'?"),
        (6, 34, "'actions.a.limits.nproc': expected a number of at least 0 or \"infinity\""),
        (6, 45, "'actions.a.limits.core': expected a number of at least 0 or \"infinity\""),
        (6, 70, "'actions.a.limits.stack': the soft limit cannot be above the hard one"),
        (9, 9, "'actions.b.umask': expected an octal umask"),
        (10, 10, "'actions.b.limits': expected a table, found integer 5"),
        (13, 47, "'services.s.deployment.binary.umask': expected an octal umask"),
        (13, 70, "'services.s.deployment.binary.limits.as': give both 'soft' and 'hard'"),
    ]
    assert len(got) == len(expected), r.stderr
    for line, (row, col, fragment) in zip(got, expected):
        assert line.startswith(f'{path}:{row}:{col}: error: '), line
        assert fragment in line, line


def test_confinement_keys_round_trip_through_the_api(daemon):
    d = daemon('''
[actions.a]
exec = ["/bin/true"]
no_new_privileges = true
umask = "077"
limits = { nofile = 1024, core = "infinity", nproc = { soft = 10, hard = 20 } }
[services.a]
actions = ["a"]
[services.b.deployment]
mode = "binary"
binary = { binary_path = "/bin/true", umask = "0022", limits = { fsize = 4096 } }
''')
    reg = d.call('registry.get')['registry']
    action = reg['actions']['a']
    assert action['no_new_privileges'] is True and action['umask'] == '0077'
    assert action['limits'] == {'nofile': {'soft': 1024, 'hard': 1024},
                                'core': {'soft': 'infinity', 'hard': 'infinity'},
                                'nproc': {'soft': 10, 'hard': 20}}
    binary = reg['services']['b']['deployment']['binary']
    assert binary['umask'] == '0022' and binary['no_new_privileges'] is False
    assert binary['limits'] == {'fsize': {'soft': 4096, 'hard': 4096}}

