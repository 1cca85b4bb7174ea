"""Podman for system tests: a containers.conf of the session's own (named by
CONTAINERS_CONF, never /etc/containers), a busybox image built from the
host's /bin/busybox (busybox-static) and imported once per session, and
clean-up by a label unique to the session, so a test removes only what it
made. Nothing is pulled from a registry. See DESIGN.md, "Containers here"."""
import os
import secrets
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

from daemon import SYSTEM_PATH

# Without default_ulimits = [] every `podman run` here fails ("error setting
# rlimit type 7"); cgroupfs because no systemd runs the machine.
CONTAINERS_CONF_TEXT = '[containers]\ndefault_ulimits = []\n\n[engine]\ncgroup_manager = "cgroupfs"\n'

# Every container a test starts carries SESSION_LABEL=<this session's value>.
SESSION_LABEL = 'tend.test-session'

BUSYBOX = '/bin/busybox'


def podman_path():
    """The podman binary, looked for in the system folders tend's tests use."""
    return shutil.which('podman', path=SYSTEM_PATH)


def write_containers_conf(folder):
    """Writes FOLDER/containers.conf and returns its path."""
    conf = Path(folder) / 'containers.conf'
    conf.write_text(CONTAINERS_CONF_TEXT)
    return conf


def podman_env(conf):
    """The environment entries podman needs: CONTAINERS_CONF and a PATH
    (the system folders, behind podman's own folder when it is elsewhere)."""
    path = SYSTEM_PATH
    found = podman_path() or shutil.which('podman')
    if found and os.path.dirname(found) not in SYSTEM_PATH.split(':'):
        path = f'{os.path.dirname(found)}:{path}'
    return {'CONTAINERS_CONF': str(conf), 'PATH': path}


def run_podman(env, *args, timeout=120):
    """`podman ARGS...` with ENV's entries over os.environ; the result."""
    return subprocess.run(['podman', *map(str, args)], capture_output=True, text=True,
                          env=dict(os.environ, **env), timeout=timeout)


def busybox_rootfs_tar(folder):
    """FOLDER/rootfs.tar: /bin/busybox plus a symlink per applet, /etc/passwd
    and /etc/group with root, an empty /tmp and /www. Returns its path."""
    root = Path(folder) / 'rootfs'
    (root / 'bin').mkdir(parents=True)
    (root / 'etc').mkdir()
    (root / 'tmp').mkdir(mode=0o1777)
    (root / 'www').mkdir()
    shutil.copy2(BUSYBOX, root / 'bin' / 'busybox')
    applets = subprocess.run([BUSYBOX, '--list'], capture_output=True, text=True,
                             check=True).stdout.split()
    for applet in applets:
        if applet != 'busybox' and not (root / 'bin' / applet).exists():
            (root / 'bin' / applet).symlink_to('busybox')
    (root / 'etc' / 'passwd').write_text('root:x:0:0:root:/root:/bin/sh\n')
    (root / 'etc' / 'group').write_text('root:x:0:\n')
    tar_path = Path(folder) / 'rootfs.tar'

    def as_root(info):
        info.uid = info.gid = 0
        info.uname = info.gname = 'root'
        return info
    with tarfile.open(tar_path, 'w') as tar:
        for entry in sorted(root.iterdir()):
            tar.add(entry, arcname=entry.name, filter=as_root)
    shutil.rmtree(root)
    return tar_path


def import_busybox_image(folder, name, env):
    """Builds the busybox rootfs in FOLDER and imports it as NAME.
    Returns (True, '') or (False, reason)."""
    if not os.access(BUSYBOX, os.X_OK):
        return False, f'{BUSYBOX} is missing (apt-get install busybox-static)'
    try:
        tar_path = busybox_rootfs_tar(folder)
    except (OSError, subprocess.CalledProcessError) as e:
        return False, f'cannot build a busybox rootfs: {e}'
    done = run_podman(env, 'import', tar_path, name)
    tar_path.unlink()
    if done.returncode != 0:
        return False, f'podman import failed ({done.returncode}): {done.stderr.strip()}'
    return True, ''


def podman_can_run(image, env, label=None):
    """Runs one tiny container (`IMAGE echo hi`, labelled LABEL when given):
    (True, '') when it printed hi, else (False, reason)."""
    if not podman_path():
        return False, 'podman is not installed (apt-get install podman runc)'
    args = ['run', '--rm'] + (['--label', label] if label else []) + [image, 'echo', 'hi']
    try:
        done = run_podman(env, *args, timeout=60)
    except subprocess.TimeoutExpired:
        return False, 'podman run of a tiny container took over 60 s'
    if done.returncode != 0 or done.stdout.strip() != 'hi':
        return False, (f'podman cannot run containers here (exit {done.returncode}): '
                       f'{(done.stderr or done.stdout).strip()[-400:]}')
    return True, ''


class Podman:
    """What a test needs to run containers: .image (the session's busybox
    image), .env (CONTAINERS_CONF and PATH for anything that runs podman,
    the daemon included), .label ('tend.test-session=VALUE', for every
    container the test starts), .conf (the containers.conf path)."""

    def __init__(self, folder, image, env, label):
        self.folder = Path(folder)
        self.image = image
        self.env = env
        self.label = label
        self.conf = Path(env['CONTAINERS_CONF'])

    def env_for(self, home):
        """.env for a daemon or CLI of TEND_HOME=HOME: its PATH keeps the
        test's stand-in folder (HOME/../bin) first, as tend_env() does."""
        return dict(self.env, PATH=f'{Path(home).parent / "bin"}:{self.env["PATH"]}')

    def run(self, *args, timeout=120):
        """`podman ARGS...` in .env; the CompletedProcess (text)."""
        return run_podman(self.env, *args, timeout=timeout)

    def program_pid(self, name):
        """The host pid of container name's program (the child of its init)."""
        init = int(self.run('inspect', '--format', '{{.State.Pid}}', name).stdout.strip())
        children = open(f'/proc/{init}/task/{init}/children').read().split()
        return int(children[0]) if children else init

    def containers(self, label_filter):
        """Names of every container, running or not, whose labels match
        LABEL_FILTER ('KEY=VALUE' or 'KEY'), from
        `podman ps -a --filter label=LABEL_FILTER`."""
        done = self.run('ps', '-a', '--filter', f'label={label_filter}', '--format', '{{.Names}}')
        if done.returncode != 0:
            raise RuntimeError(f'podman ps failed: {done.stderr.strip()}')
        return done.stdout.split()

    def rm_labelled(self, label):
        """Removes (rm -f) every container and network carrying LABEL
        ('KEY=VALUE'), and nothing else. Returns the container names removed."""
        if '=' not in label:
            raise ValueError(f'rm_labelled needs KEY=VALUE, not {label!r}')
        names = self.containers(label)
        if names:
            self.run('rm', '-f', '--ignore', '--time', '2', *names)
        nets = self.run('network', 'ls', '--filter', f'label={label}', '--format', '{{.Name}}')
        for net in nets.stdout.split() if nets.returncode == 0 else []:
            self.run('network', 'rm', '-f', net)
        return names


def session():
    """Generator for the session fixture: yields a Podman, or (False, reason)
    when podman cannot run containers here; removes its image, its labelled
    containers and networks, and its folder after."""
    folder = Path(tempfile.mkdtemp(prefix='tend-podman-'))
    token = f'{os.getpid()}-{secrets.token_hex(4)}'
    image = f'localhost/tend-test-busybox-{token}:latest'
    env = podman_env(write_containers_conf(folder))
    label = f'{SESSION_LABEL}={token}'
    imported = False
    try:
        if not podman_path():
            yield False, 'podman is not installed (apt-get install podman runc)'
            return
        imported, why = import_busybox_image(folder, image, env)
        if not imported:
            yield False, why
            return
        ok, why = podman_can_run(image, env, label)
        if not ok:
            yield False, why
            return
        pm = Podman(folder, image, env, label)
        try:
            yield pm
        finally:
            pm.rm_labelled(label)
    finally:
        if imported:
            run_podman(env, 'rmi', '-f', image)
        shutil.rmtree(folder, ignore_errors=True)
