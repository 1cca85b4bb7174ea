"""A real tend daemon for system tests: started with its own TEND_HOME,
talked to over its unix socket with JSON-RPC, stopped (and checked for a
clean exit) at the end."""
import http.client
import json
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
TEND_BIN = os.environ.get('TEND_BIN', str(REPO / 'build' / 'tend'))


SYSTEM_PATH = '/usr/sbin:/usr/bin:/sbin:/bin'


# valgrind for the daemon: `tend daemon` execs tend-keeper, which runs the
# main process by exec too, so valgrind follows execs, but none of the
# system's programs the jobs run.
VALGRIND_ARGS = ['--leak-check=full', '--error-exitcode=9', '-q', '--trace-children=yes',
                 '--trace-children-skip=/usr/*,/bin/*,/sbin/*']


def stand_in(folder, **programs):
    """Makes each keyword an executable stand-in in FOLDER (name -> shell
    script body) and returns FOLDER."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for name, body in programs.items():
        prog = folder / name
        prog.write_text('#!/bin/sh\n' + body + '\n')
        prog.chmod(0o755)
    return folder


def free_port():
    """A TCP port on 127.0.0.1 free at this moment."""
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def first_event(events, kind, service, pred=lambda e: True):
    """The id of the first event of that kind and service that pred likes."""
    return min(e['id'] for e in events
               if e['kind'] == kind and e.get('service') == service and pred(e))


def tend_env(home, **extra):
    """The environment of every tend process a test starts. PATH is exactly
    the system folders behind a folder of the test's own (HOME/../bin, where
    stand_in() puts programs), never the host's PATH: what tend finds
    installed is what the test set up, on any machine."""
    home = Path(home)
    env = dict(os.environ, TEND_HOME=str(home), NO_COLOR='1',
               PATH=f'{home.parent / "bin"}:{SYSTEM_PATH}')
    env.update(extra)
    return env


def alive(pid):
    """pid runs (a zombie is dead for our purposes)."""
    try:
        return Path(f'/proc/{pid}/stat').read_text().rsplit(') ', 1)[1][0] != 'Z'
    except (OSError, IndexError):
        return False


def sleeping():
    """{ARG: [pids]} of every running `sleep ARG`, read from /proc once."""
    found = {}
    for entry in os.listdir('/proc'):
        if not entry.isdigit():
            continue
        try:
            argv = Path(f'/proc/{entry}/cmdline').read_bytes().split(b'\0')
        except OSError:
            continue
        if len(argv) >= 2 and argv[0].endswith(b'sleep') and alive(int(entry)):
            found.setdefault(argv[1].decode(errors='replace'), []).append(int(entry))
    return found


def with_marker(mark):
    """Pids of `sleep MARK`: a test's marker is an argument nobody else uses."""
    return sleeping().get(mark, [])


def main_pid_of(keeper):
    try:
        tasks = os.listdir(f'/proc/{keeper}/task')
    except OSError:
        return None
    for task in tasks:
        try:
            children = Path(f'/proc/{keeper}/task/{task}/children').read_text().split()
        except OSError:
            continue
        for pid in children:
            try:
                argv = Path(f'/proc/{pid}/cmdline').read_bytes().split(b'\0')
            except OSError:
                continue
            if argv[1:2] == [b'daemon'] and alive(int(pid)):
                return int(pid)
    return None


def crash(d):
    """kill -9 of both tend processes (keeper and main), by pid; what they
    started stays."""
    main = main_pid_of(d.proc.pid)
    os.kill(d.proc.pid, signal.SIGKILL)
    d.proc.wait()
    os.kill(main, signal.SIGKILL)
    while alive(main):
        time.sleep(0.01)


class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path, timeout=30):
        super().__init__('localhost', timeout=timeout)
        self.path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.path)


def post_rpc(socket_path, body, timeout=30):
    """POST /rpc on a unix socket: (HTTP status, body bytes)."""
    conn = UnixHTTPConnection(socket_path, timeout=timeout)
    try:
        conn.request('POST', '/rpc', body=body, headers={'Content-Type': 'application/json'})
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


class RpcError(Exception):
    def __init__(self, error):
        super().__init__(f"{error.get('code')}: {error.get('message')} {error.get('data', '')}")
        self.code = error.get('code')
        self.message = error.get('message')
        self.data = error.get('data')


class Daemon:
    def __init__(self, home, config=None, extra_args=(), valgrind=None, env=None, output=None,
                 pass_fds=()):
        self.home = Path(home)
        self.pass_fds = tuple(pass_fds)  # inherited by `tend daemon`, as from a careless parent
        # Where its stdout and stderr go (HOME/daemon.out unless told).
        self.output_path = Path(output) if output else self.home / 'daemon.out'
        self.extra_env = dict(env or {})
        self.valgrind = list(valgrind or [])
        self.config = config
        self.extra_args = list(extra_args)
        self.proc = None
        self.socket = str(self.home / 'tend.sock')
        self.next_id = 1

    def env(self):
        return tend_env(self.home, **self.extra_env)

    def start(self, timeout=10):
        args = self.valgrind + [TEND_BIN, 'daemon'] + (['-c', str(self.config)] if self.config else []) + self.extra_args
        self.log = open(self.output_path, 'ab')
        self.proc = subprocess.Popen(args, env=self.env(), stdout=self.log, stderr=subprocess.STDOUT,
                                     start_new_session=True, pass_fds=self.pass_fds)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f'daemon exited with {self.proc.returncode}: {self.output()}')
            try:
                self.call('service.list')
                return self
            except (FileNotFoundError, ConnectionRefusedError, ConnectionResetError):
                time.sleep(0.02)
        raise RuntimeError('daemon did not answer in time: ' + self.output())

    def main_pid(self):
        """The main process: the child of the keeper (`tend daemon`'s pid) that is tend."""
        return main_pid_of(self.proc.pid)

    def output(self):
        try:
            return self.output_path.read_text(errors='replace')
        except OSError:
            return ''

    def post(self, body):
        return post_rpc(self.socket, body)

    def post_get(self, path):
        """A plain GET (a stream that ends by itself)."""
        conn = UnixHTTPConnection(self.socket)
        try:
            conn.request('GET', path)
            resp = conn.getresponse()
            return resp.status, resp.read()
        finally:
            conn.close()

    def call(self, method, params=None):
        req = {'jsonrpc': '2.0', 'id': self.next_id, 'method': method}
        self.next_id += 1
        if params is not None:
            req['params'] = params
        _, body = self.post(json.dumps(req))
        resp = json.loads(body)
        if 'error' in resp:
            raise RpcError(resp['error'])
        return resp['result']

    def tend(self, *args, timeout=30):
        return subprocess.run([TEND_BIN, *map(str, args)], capture_output=True, text=True,
                              env=self.env(), timeout=timeout)

    def wait_for(self, predicate, timeout=10, what='condition'):
        """Polls the daemon's answers; this is the test waiting, not tend."""
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            last = predicate()
            if last:
                return last
            time.sleep(0.02)
        raise AssertionError(f'timed out waiting for {what}; last: {last}')

    def state(self, name):
        return self.call('service.status', {'name': name})['state']

    def wait_state(self, name, state, timeout=10):
        return self.wait_for(lambda: self.state(name) == state, timeout, f'{name} {state}')

    def stop(self, timeout=20):
        if not self.proc or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
            raise AssertionError('daemon did not stop on SIGTERM: ' + self.output())
