"""A stand-in for `kubectl`, for the kubernetes adapter's contract tests.

No Kubernetes API server can run on the test machines, and kubectl needs
one for anything (even `--dry-run=client`), so the tests put this program
on tend's PATH as `kubectl` (Cluster.install) and hold it to kubectl's
command contract: every argv it gets is recorded (STATE/argv.log, one JSON
list a line), and it answers as kubectl does, with documents in the shapes
of the Kubernetes API reference (apps/v1 Deployment, its status and
conditions; watch events) and kubectl's own words for apply, scale and
logs. What a real cluster does by itself (a rollout making progress,
failing, a watch that ends) the test drives through Cluster.

Like kubectl, `get -o json --watch` prints the current object first, then
one indented JSON document per change, one after another; the test may cut
a document in two writes, and may end the watch (a server does, now and
then). Subscribers (a watch, a `logs -f`) each read a FIFO of their own in
STATE/subs, named CHANNEL-PID; Cluster writes every change to each.
"""
import calendar
import errno
import json
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
END = b'\0end\n'  # on a subscriber's FIFO: the stream ends there


def deployment(name, namespace='default', replicas=1, generation=1):
    """An apps/v1 Deployment whose rollout is complete."""
    return {
        'apiVersion': 'apps/v1',
        'kind': 'Deployment',
        'metadata': {'name': name, 'namespace': namespace, 'generation': generation,
                     'uid': '6f1c3a52-93d0-4c36-9a1e-3f4f8e2f7d10', 'resourceVersion': '1000',
                     'labels': {'app': name}},
        'spec': {'replicas': replicas, 'progressDeadlineSeconds': 600,
                 'selector': {'matchLabels': {'app': name}},
                 'strategy': {'type': 'RollingUpdate',
                              'rollingUpdate': {'maxSurge': '25%', 'maxUnavailable': '25%'}},
                 'template': {'metadata': {'labels': {'app': name}},
                              'spec': {'containers': [{'name': name, 'image': 'busybox:1.36'}]}}},
        'status': {'observedGeneration': generation, 'replicas': replicas,
                   'updatedReplicas': replicas, 'readyReplicas': replicas,
                   'availableReplicas': replicas,
                   'conditions': [condition('Available', 'True', 'MinimumReplicasAvailable',
                                            'Deployment has minimum availability.'),
                                  condition('Progressing', 'True', 'NewReplicaSetAvailable',
                                            f'ReplicaSet "{name}-6d4cf56db6" has successfully '
                                            'progressed.')]},
    }


def condition(kind, status, reason, message):
    stamp = time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())
    return {'type': kind, 'status': status, 'reason': reason, 'message': message,
            'lastUpdateTime': stamp, 'lastTransitionTime': stamp}


class Cluster:
    """The test's side: the stand-in's state in STATE (a folder of the
    test's own), and the changes a cluster would make."""

    def __init__(self, state):
        self.state = Path(state)
        (self.state / 'subs').mkdir(parents=True, exist_ok=True)

    def install(self, bin_dir):
        """Puts `kubectl` (this stand-in, on this state) in bin_dir."""
        bin_dir = Path(bin_dir)
        bin_dir.mkdir(parents=True, exist_ok=True)
        prog = bin_dir / 'kubectl'
        prog.write_text(f'#!/bin/sh\nexec /usr/bin/python3 {HERE / "kube_stand_in.py"} '
                        f'{self.state} "$@"\n')
        prog.chmod(0o755)
        return prog

    # -- what kubectl was asked ---------------------------------------------
    def calls(self):
        try:
            lines = (self.state / 'argv.log').read_text().splitlines()
        except FileNotFoundError:
            return []
        return [json.loads(line) for line in lines]

    def calls_of(self, verb):
        """The calls whose command (first word after the global flags) is verb."""
        return [c for c in self.calls() if command(c)[0] == verb]

    # -- the Deployment -------------------------------------------------------
    def get(self):
        return load(self.state)

    def put(self, doc, pieces=1):
        """The Deployment is now doc: watches see a MODIFIED event (cut in
        `pieces` writes)."""
        save(self.state, doc)
        publish(self.state, 'watch', event('MODIFIED', doc), pieces)

    def status(self, pieces=1, **fields):
        """Sets status fields (observedGeneration=2, availableReplicas=3 ...)."""
        doc = self.get()
        doc['status'].update(fields)
        self.put(doc, pieces)
        return doc

    def set_condition(self, kind, status, reason, message):
        doc = self.get()
        conds = [c for c in doc['status'].get('conditions', []) if c['type'] != kind]
        doc['status']['conditions'] = conds + [condition(kind, status, reason, message)]
        self.put(doc)

    def delete(self):
        doc = self.get()
        (self.state / 'deployment.json').unlink()
        publish(self.state, 'watch', event('DELETED', doc))

    def end_watches(self):
        publish(self.state, 'watch', END)

    def log(self, *lines):
        """Lines the Deployment's pod writes (kept with their time, for
        `logs --since-time`)."""
        with open(self.state / 'pod.log', 'a') as f:
            f.write(''.join(json.dumps([time.time(), line]) + '\n' for line in lines))
        publish(self.state, 'logs', ''.join(f'{line}\n' for line in lines).encode())

    def end_logs(self):
        """The followed pod went (`logs -f` ends)."""
        publish(self.state, 'logs', END)

    def unreachable(self, yes=True):
        flag = self.state / 'unreachable'
        if yes:
            flag.touch()
        elif flag.exists():
            flag.unlink()

    def subscribers(self, channel):
        return [int(p.name.split('-')[1]) for p in (self.state / 'subs').glob(f'{channel}-*')
                if alive(int(p.name.split('-')[1]))]

    def kill_subscribers(self):
        """The stand-ins tend started for this test that still run."""
        for channel in ('watch', 'logs'):
            for pid in self.subscribers(channel):
                try:
                    os.kill(pid, 9)
                except ProcessLookupError:
                    pass


def alive(pid):
    try:
        return Path(f'/proc/{pid}/stat').read_text().rsplit(') ', 1)[1][0] != 'Z'
    except (OSError, IndexError):
        return False


def event(kind, doc):
    return (json.dumps({'type': kind, 'object': doc}, indent=4) + '\n').encode()


def load(state):
    return json.loads((Path(state) / 'deployment.json').read_text())


def save(state, doc):
    tmp = Path(state) / 'deployment.json.new'
    tmp.write_text(json.dumps(doc))
    tmp.rename(Path(state) / 'deployment.json')


def publish(state, channel, data, pieces=1):
    """data to every subscriber of channel, in `pieces` writes."""
    for fifo in (Path(state) / 'subs').glob(f'{channel}-*'):
        try:
            fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
        except OSError as e:
            if e.errno in (errno.ENXIO, errno.ENOENT):  # its reader is gone
                fifo.unlink(missing_ok=True)
                continue
            raise
        try:
            os.set_blocking(fd, True)
            step = max(1, len(data) // pieces)
            for i in range(0, len(data), step):
                os.write(fd, data[i:i + step])
                if pieces > 1:
                    time.sleep(0.05)
        except BrokenPipeError:
            fifo.unlink(missing_ok=True)
        finally:
            os.close(fd)


# -- the program ---------------------------------------------------------------

def command(argv):
    """argv without kubectl's global flags (--context X, -n X, ...)."""
    rest, i = [], 0
    while i < len(argv):
        a = argv[i]
        if a in ('--context', '-n', '--namespace', '--kubeconfig'):
            i += 2
            continue
        if a.startswith(('--context=', '--namespace=', '--request-timeout=', '--kubeconfig=')):
            i += 1
            continue
        rest.append(a)
        i += 1
    return rest or ['']


def option(argv, name, default=None):
    for i, a in enumerate(argv):
        if a == name and i + 1 < len(argv):
            return argv[i + 1]
        if a.startswith(name + '='):
            return a.split('=', 1)[1]
    return default


def fail(words, code=1):
    sys.stderr.write(words + '\n')
    sys.exit(code)


def subscribe(state, channel):
    """A FIFO of this process's own, open for reading (first, so that no
    change made while the current state is printed is missed)."""
    fifo = Path(state) / 'subs' / f'{channel}-{os.getpid()}'
    os.mkfifo(fifo)
    return os.open(fifo, os.O_RDWR)  # O_RDWR: no end when a writer closes


def stream(fd):
    """Copies what comes on fd to stdout until the END mark."""
    out = sys.stdout.buffer
    pending = b''
    while True:
        chunk = os.read(fd, 65536)
        pending += chunk
        if END in pending:
            out.write(pending.split(END)[0])
            out.flush()
            return
        out.write(pending)
        out.flush()
        pending = b''


def cmd_version(state, argv):
    client = {'major': '1', 'minor': '30', 'gitVersion': 'v1.30.3', 'platform': 'linux/amd64'}
    if (state / 'unreachable').exists():
        print(json.dumps({'clientVersion': client, 'kustomizeVersion': 'v5.0.4-0.20230601165947'},
                         indent=2))
        fail('The connection to the server 10.96.0.1:6443 was refused - did you specify the '
             'right host or port?')
    print(json.dumps({'clientVersion': client, 'kustomizeVersion': 'v5.0.4-0.20230601165947',
                      'serverVersion': dict(client, gitVersion='v1.30.2')}, indent=2))


def cmd_apply(state, argv):
    path = option(argv, '-f')
    if not path or not os.path.exists(path):
        fail(f'error: the path "{path}" does not exist')
    doc = load(state) if (state / 'deployment.json').exists() else None
    name = (doc or {}).get('metadata', {}).get('name', 'web')
    print(f'deployment.apps/{name} {"configured" if doc else "created"}')
    if not doc:
        save(state, deployment(name))


def cmd_scale(state, argv, rest):
    target = rest[1] if len(rest) > 1 else ''
    name = target.split('/', 1)[1] if '/' in target else (rest[2] if len(rest) > 2 else '')
    replicas = option(argv, '--replicas')
    if not (state / 'deployment.json').exists():
        fail(f'Error from server (NotFound): deployments.apps "{name}" not found')
    doc = load(state)
    if doc['spec']['replicas'] != int(replicas):
        # The API server bumps the generation of a changed spec.
        doc['spec']['replicas'] = int(replicas)
        doc['metadata']['generation'] += 1
        save(state, doc)
        publish(state, 'watch', event('MODIFIED', doc))
    print(f'deployment.apps/{name} scaled')


def cmd_get(state, argv, rest):
    name = rest[2] if len(rest) > 2 else ''
    watch = '--watch' in argv or '-w' in argv
    events = option(argv, '--output-watch-events') is not None or '--output-watch-events' in argv
    fd = subscribe(state, 'watch') if watch else None
    if not (state / 'deployment.json').exists():
        fail(f'Error from server (NotFound): deployments.apps "{name}" not found')
    doc = load(state)
    if watch and events:
        sys.stdout.buffer.write(event('ADDED', doc))
    else:
        sys.stdout.write(json.dumps(doc, indent=4) + '\n')
    sys.stdout.flush()
    if watch:
        stream(fd)


def cmd_logs(state, argv):
    fd = subscribe(state, 'logs') if '-f' in argv or '--follow' in argv else None
    since = option(argv, '--since-time')
    since = calendar.timegm(time.strptime(since, '%Y-%m-%dT%H:%M:%SZ')) if since else 0
    try:
        kept = [json.loads(line) for line in (state / 'pod.log').read_text().splitlines()]
    except FileNotFoundError:
        kept = []
    sys.stdout.write(''.join(f'{line}\n' for at, line in kept if at >= since))
    sys.stdout.flush()
    if fd is not None:
        stream(fd)


def main():
    state = Path(sys.argv[1])
    argv = sys.argv[2:]
    with open(state / 'argv.log', 'a') as f:
        f.write(json.dumps(argv) + '\n')
    rest = command(argv)
    verb = rest[0]
    try:
        if verb == 'version':
            cmd_version(state, argv)
        elif verb == 'apply':
            cmd_apply(state, argv)
        elif verb == 'scale':
            cmd_scale(state, argv, rest)
        elif verb == 'get' and len(rest) > 1 and rest[1] in ('deployment', 'deployments', 'deploy'):
            cmd_get(state, argv, rest)
        elif verb == 'logs':
            cmd_logs(state, argv)
        else:
            fail(f'error: unknown command "{verb}" for "kubectl"')
    except BrokenPipeError:
        # The reader (tend's watch or follow) is gone.
        os._exit(0)


if __name__ == '__main__':
    main()
