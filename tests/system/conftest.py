"""Shared fixtures for system tests: the real tend binary, run as a user would."""
import os
import subprocess
from pathlib import Path

import pytest

from daemon import tend_env

REPO = Path(__file__).resolve().parents[2]
TEND_BIN = os.environ.get('TEND_BIN', str(REPO / 'build' / 'tend'))


class Tend:
    """Runs `tend ARGS...` with a private TEND_HOME and returns the result."""

    def __init__(self, home):
        self.home = home

    def __call__(self, *args, env=None, timeout=30):
        full_env = tend_env(self.home, **(env or {}))
        return subprocess.run([TEND_BIN, *map(str, args)], capture_output=True, text=True,
                              env=full_env, timeout=timeout)


@pytest.fixture
def tend(tmp_path):
    home = tmp_path / 'home'
    home.mkdir()
    return Tend(home)


@pytest.fixture
def registry(tmp_path):
    """Writes a services.toml with the given text and returns its path."""
    def write(text, name='services.toml'):
        path = tmp_path / name
        path.write_text(text)
        return path
    return write


@pytest.fixture
def home(tmp_path):
    """An empty TEND_HOME for a daemon."""
    h = tmp_path / 'home'
    h.mkdir()
    return h


@pytest.fixture
def d(home):
    """A running daemon with no registry yet; must stop cleanly."""
    from daemon import Daemon
    daemon = Daemon(home).start()
    yield daemon
    assert daemon.stop() == 0, daemon.output()


@pytest.fixture
def daemon(home):
    """daemon(REGISTRY_TEXT, **Daemon options) -> a daemon started on that
    registry file (HOME/services.toml); each must stop cleanly."""
    from daemon import Daemon
    started = []

    def start(registry_text, **kw):
        cfg = home / 'services.toml'
        cfg.write_text(registry_text)
        d = Daemon(home, cfg, **kw)
        started.append(d.start())
        return d
    yield start
    for d in started:
        assert d.stop() == 0, d.output()


@pytest.fixture
def marks():
    """marks() -> a new marker (`sleep MARK`'s argument) for this test alone;
    whatever still carries one when the test ends is killed, so a failing
    test leaves nothing to the machine."""
    import os
    import random
    from daemon import sleeping
    made = []

    def make(seconds=1000):
        mark = f'{seconds}.{random.randrange(10**8, 10**9)}'
        made.append(mark)
        return mark
    yield make
    now = sleeping()
    for mark in made:
        for pid in now.get(mark, []):
            try:
                os.kill(pid, 9)
            except ProcessLookupError:
                pass


class OtherUser:
    """A local user made for this test session alone (the hostile neighbour
    of the hardening tests): its name, uid and gid, and run(argv) to run a
    program as that user, with no supplementary groups and a bare
    environment."""

    def __init__(self, name):
        import pwd
        entry = pwd.getpwnam(name)
        self.name, self.uid, self.gid = name, entry.pw_uid, entry.pw_gid

    def _become(self):
        os.setgroups([])
        os.setgid(self.gid)
        os.setuid(self.uid)

    def env(self, **extra):
        return {'PATH': '/usr/bin:/bin', 'HOME': '/nonexistent', 'LANG': 'C.UTF-8',
                'USER': self.name, **extra}

    def popen(self, argv, env=None, **kw):
        return subprocess.Popen(list(map(str, argv)), preexec_fn=self._become,
                                env=env if env is not None else self.env(), **kw)

    def run(self, argv, env=None, timeout=30, **kw):
        kw.setdefault('capture_output', True)
        kw.setdefault('text', True)
        return subprocess.run(list(map(str, argv)), preexec_fn=self._become,
                              env=env if env is not None else self.env(), timeout=timeout, **kw)


def _session_user(prefix):
    """Creates a local user PREFIX<pid> (root only) and yields its OtherUser;
    deleted after. Skips with the reason when it cannot be made."""
    import shutil
    if os.geteuid() != 0:
        pytest.skip('needs root: the test creates a second local user')
    if not shutil.which('useradd'):
        pytest.skip('needs useradd (passwd) to create a second local user')
    name = f'{prefix}{os.getpid() % 10**8}'
    made = subprocess.run(['useradd', '--no-create-home', '--home-dir', '/nonexistent',
                           '--shell', '/usr/sbin/nologin', '--user-group', name],
                          capture_output=True, text=True)
    if made.returncode != 0:
        pytest.skip(f'cannot create a second user: {made.stderr.strip()}')
    try:
        yield OtherUser(name)
    finally:
        subprocess.run(['userdel', name], capture_output=True)


@pytest.fixture(scope='session')
def neighbour_user():
    """A third local user, besides root and other_user, for tests where the
    victim must not be root (the /tmp/tend-UID fallback is for users) and
    the attacker is someone else again."""
    yield from _session_user('tendy')


@pytest.fixture(scope='session')
def other_user():
    """A second local user, created for this session and deleted after it
    (root only: skipped with the reason otherwise)."""
    yield from _session_user('tendx')


@pytest.fixture(scope='session')
def podman():
    """Podman for this session (containers.py): .image, a busybox image
    imported once; .env, the CONTAINERS_CONF and PATH entries whatever runs
    podman needs (env_for(home) for a daemon: stand-ins first); .label,
    'tend.test-session=VALUE', which every container a test starts must
    carry; containers(label_filter) -> names; rm_labelled(label). At the end
    every container and network with .label is removed, then the image.
    Skips with the reason when podman cannot run containers here."""
    import containers
    gen = containers.session()
    got = next(gen)
    if isinstance(got, tuple):
        gen.close()
        pytest.skip(got[1])
    try:
        yield got
    finally:
        gen.close()
