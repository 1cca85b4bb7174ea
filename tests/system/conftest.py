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
