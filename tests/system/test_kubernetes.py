"""Contract tests of the kubernetes deployment mode (issue 14).

No Kubernetes API server can run on the test machines, and kubectl needs
one for anything, so these tests hold tend to kubectl's command contract:
a stand-in `kubectl` on tend's PATH (kube_stand_in.py) records every argv
and answers as kubectl does, with apps/v1 Deployment documents and watch
events in the API reference's shapes; the test plays the cluster (a
rollout that makes progress, fails, a watch that ends). What they prove is
what tend asks kubectl and what it makes of the answers, not that a real
cluster would agree. Every file is under the test's own tmp_path; the
stand-ins tend started that still run when a test ends are killed by the
pids they registered there."""
import json
import os
import signal
import time

import pytest

from daemon import Daemon
from kube_stand_in import Cluster, deployment


@pytest.fixture
def cluster(tmp_path):
    c = Cluster(tmp_path / 'kube')
    c.install(tmp_path / 'bin')  # the folder tend_env puts first on PATH (HOME/../bin)
    yield c
    c.kill_subscribers()


def kube_service(manifests=None, name='web', namespace='shop', context='kind-test', replicas=3,
                 extra=''):
    keys = [f'deployment_name = "{name}"', f'namespace = "{namespace}"', f'replicas = {replicas}']
    if context:
        keys.append(f'context = "{context}"')
    if manifests:
        keys.append(f'manifests_path = "{manifests}"')
    return f'''
[services.{name}]
deployment = {{ mode = "kubernetes", kubernetes = {{ {", ".join(keys)} }} }}
startup = {{ start_timeout = 60, restart = "never" }}
{extra}
'''


@pytest.fixture
def manifests(tmp_path):
    folder = tmp_path / 'manifests'
    folder.mkdir()
    (folder / 'deployment.yaml').write_text('apiVersion: apps/v1\nkind: Deployment\n'
                                           'metadata:\n  name: web\nspec:\n  replicas: 1\n')
    return folder


def prefix(context='kind-test', namespace='shop'):
    return (['--context', context] if context else []) + ['-n', namespace]


def status_text(d, name='web'):
    jobs = d.call('service.status', {'name': name})['jobs']
    return jobs[0].get('status_text', '') if jobs else ''


def roll_out(cluster, replicas=3, generation=2):
    """The cluster finishes the rollout to replicas."""
    cluster.status(observedGeneration=generation, replicas=replicas, updatedReplicas=replicas,
                   readyReplicas=replicas, availableReplicas=replicas)


def started(d, cluster, name='web'):
    """Waits for tend to watch the Deployment (after apply and scale)."""
    d.wait_for(lambda: cluster.subscribers('watch'), what='a watch of the Deployment')


def test_contract_start_applies_then_scales_with_namespace_and_context(daemon, cluster, manifests):
    cluster.put(deployment('web', 'shop', replicas=1))
    d = daemon(kube_service(manifests))
    d.call('service.start', {'name': 'web'})
    started(d, cluster)
    calls = cluster.calls()
    assert calls[0] == prefix() + ['apply', '-f', str(manifests)]
    assert calls[1] == prefix() + ['scale', 'deployment/web', '--replicas=3']
    watch = cluster.calls_of('get')
    assert watch == [prefix() + ['get', 'deployment', 'web', '-o', 'json', '--watch',
                                 '--output-watch-events']]
    # The scale bumped the generation; until the cluster observed it, and
    # the replicas are there, the service is starting.
    assert d.state('web') == 'starting'
    assert 'spec update to be observed' in status_text(d)
    roll_out(cluster)
    d.wait_state('web', 'running')
    assert status_text(d) == 'deployment "web" successfully rolled out (3/3 available)'


def test_contract_without_manifests_or_context_only_scales_in_default_namespace(daemon, cluster):
    cluster.put(deployment('web', 'default', replicas=1))
    d = daemon('''
[services.web]
deployment = { mode = "kubernetes", kubernetes = { deployment_name = "web" } }
''')
    d.call('service.start', {'name': 'web'})
    started(d, cluster)
    assert cluster.calls()[0] == ['-n', 'default', 'scale', 'deployment/web', '--replicas=1']
    assert cluster.calls_of('apply') == []
    # Already at one replica: nothing changed, the rollout is complete.
    d.wait_state('web', 'running')


def test_contract_rollout_progress_holds_back_a_dependent(daemon, cluster, manifests, marks):
    mark = marks()
    cluster.put(deployment('web', 'shop', replicas=1))
    d = daemon(kube_service(manifests) + f'''
[services.app]
dependencies = ["web"]
deployment = {{ mode = "binary", binary = {{ binary_path = "/bin/sleep", args = ["{mark}"] }} }}
''')
    d.call('service.start', {'name': 'app'})
    started(d, cluster)
    cluster.status(observedGeneration=2, replicas=3, updatedReplicas=1, readyReplicas=1,
                   availableReplicas=1)
    d.wait_for(lambda: 'Waiting for deployment "web" rollout to finish: 1 out of 3 new replicas'
               in status_text(d), what='the rollout under way')
    # A document cut in two writes is read whole.
    cluster.status(pieces=2, updatedReplicas=3, replicas=4, availableReplicas=2)
    d.wait_for(lambda: '1 old replicas are pending termination' in status_text(d),
               what='old replicas going')
    cluster.status(replicas=3, availableReplicas=2)
    d.wait_for(lambda: '2 of 3 updated replicas are available' in status_text(d),
               what='replicas becoming available')
    assert d.state('web') == 'starting'
    assert d.state('app') != 'running'
    assert d.call('job.list', {'service_id': 'app'}) == [] or \
        all(j['phase'] == 'pending' for j in d.call('job.list', {'service_id': 'app'}))
    cluster.status(availableReplicas=3, readyReplicas=3)
    d.wait_state('web', 'running')
    d.wait_state('app', 'running')
    # Replicas lost: starting again (tend shows it), running once back.
    cluster.status(availableReplicas=2, readyReplicas=2)
    d.wait_state('web', 'starting')
    cluster.status(availableReplicas=3, readyReplicas=3)
    d.wait_state('web', 'running')
    d.call('service.stop', {'name': 'app'})


def test_contract_progress_deadline_exceeded_fails_with_its_message(daemon, cluster, manifests):
    cluster.put(deployment('web', 'shop', replicas=1))
    d = daemon(kube_service(manifests))
    d.call('service.start', {'name': 'web'})
    started(d, cluster)
    cluster.status(observedGeneration=2, updatedReplicas=1, availableReplicas=1)
    message = 'ReplicaSet "web-5d9c8b7f6" has timed out progressing.'
    cluster.set_condition('Progressing', 'False', 'ProgressDeadlineExceeded', message)
    d.wait_state('web', 'failed')
    why = d.tend('why', 'web')
    assert f'ProgressDeadlineExceeded: {message}' in why.stdout, why
    api = d.call('service.why', {'name': 'web'})
    assert message in api['why']
    # A failed start is stopped as a stop is: scaled to 0.
    assert cluster.calls_of('scale')[-1] == prefix() + ['scale', 'deployment/web', '--replicas=0']


def test_contract_replica_failure_fails_with_its_message(daemon, cluster):
    cluster.put(deployment('web', 'shop', replicas=1))
    d = daemon(kube_service())
    d.call('service.start', {'name': 'web'})
    started(d, cluster)
    message = 'pods "web-6d4cf56db6-x7k2p" is forbidden: exceeded quota: compute, requested: ' \
              'cpu=2, used: cpu=8, limited: cpu=8'
    # As the controller reports it: for the generation it observed.
    cluster.status(observedGeneration=2, replicas=1, updatedReplicas=1)
    cluster.set_condition('ReplicaFailure', 'True', 'FailedCreate', message)
    d.wait_state('web', 'failed')
    assert message in d.tend('why', 'web').stdout


def test_contract_deleted_deployment_fails(daemon, cluster):
    cluster.put(deployment('web', 'shop', replicas=3))
    d = daemon(kube_service())
    d.call('service.start', {'name': 'web'})
    d.wait_state('web', 'running')
    cluster.delete()
    d.wait_state('web', 'failed')
    assert 'deployment "web" was deleted' in d.tend('why', 'web').stdout


def test_contract_stop_scales_to_zero(daemon, cluster, manifests):
    cluster.put(deployment('web', 'shop', replicas=1))
    d = daemon(kube_service(manifests))
    d.call('service.start', {'name': 'web'})
    started(d, cluster)
    roll_out(cluster)
    d.wait_state('web', 'running')
    out = d.tend('services', 'stop', 'web')
    assert out.returncode == 0, out
    d.wait_state('web', 'inactive')
    scales = cluster.calls_of('scale')
    assert scales == [prefix() + ['scale', 'deployment/web', '--replicas=3'],
                      prefix() + ['scale', 'deployment/web', '--replicas=0']]
    assert cluster.get()['spec']['replicas'] == 0
    # Nothing of the job watches or follows any more.
    d.wait_for(lambda: not cluster.subscribers('watch') and not cluster.subscribers('logs'),
               what='watch and follow ended')


def test_contract_a_forced_stop_scales_to_zero_too(daemon, cluster, manifests):
    # Killing processes does nothing to a Deployment: a stop --force (kill)
    # still scales it to 0, or it would run on with the service inactive.
    cluster.put(deployment('web', 'shop', replicas=1))
    d = daemon(kube_service(manifests))
    d.call('service.start', {'name': 'web'})
    started(d, cluster)
    roll_out(cluster)
    d.wait_state('web', 'running')
    out = d.tend('platform', 'stop', 'web', '--force')
    assert out.returncode == 0, out
    d.wait_state('web', 'inactive')
    assert cluster.calls_of('scale')[-1] == prefix() + ['scale', 'deployment/web', '--replicas=0']
    assert cluster.get()['spec']['replicas'] == 0


def test_contract_a_watch_that_ends_is_watched_again(daemon, cluster):
    cluster.put(deployment('web', 'shop', replicas=1))
    d = daemon(kube_service())
    d.call('service.start', {'name': 'web'})
    started(d, cluster)
    cluster.end_watches()
    d.wait_for(lambda: len(cluster.calls_of('get')) == 2, what='a second watch')
    started(d, cluster)
    roll_out(cluster)
    d.wait_state('web', 'running')
    # The watch cut off in the middle of a document: the next one is read.
    doc = cluster.get()
    doc['status'].update(availableReplicas=1, readyReplicas=1)
    text = json.dumps({'type': 'MODIFIED', 'object': doc}, indent=4).encode()
    from kube_stand_in import END, publish
    publish(cluster.state, 'watch', text[:len(text) // 2] + END)
    d.wait_for(lambda: len(cluster.calls_of('get')) == 3, what='a third watch')
    started(d, cluster)
    assert d.state('web') == 'running'
    cluster.status(availableReplicas=1, readyReplicas=1)
    d.wait_state('web', 'starting')


def test_contract_readoption_after_kill_9_applies_and_scales_nothing_again(home, cluster,
                                                                         manifests):
    cluster.put(deployment('web', 'shop', replicas=1))
    cfg = home / 'services.toml'
    cfg.write_text(kube_service(manifests))
    d = Daemon(home, cfg).start()
    try:
        d.call('service.start', {'name': 'web'})
        started(d, cluster)
        roll_out(cluster)
        d.wait_state('web', 'running')
        cluster.log('serving orders')
        d.wait_for(lambda: 'serving orders' in d.tend('services', 'logs', 'web').stdout,
                   what='a line in the log')
        # --since-time has whole seconds (see the logs test): the log's
        # last second may come twice, so a line of a second later is last.
        time.sleep(1.1)
        cluster.log('still serving')
        d.wait_for(lambda: 'still serving' in d.tend('services', 'logs', 'web').stdout,
                   what='a later line in the log')
        job = d.call('service.status', {'name': 'web'})['jobs'][0]['id']
        before = cluster.calls()
        old = cluster.subscribers('watch') + cluster.subscribers('logs')
        main = d.main_pid()
        os.kill(main, signal.SIGKILL)
        d.wait_for(lambda: d.main_pid() not in (None, main), what='a new main process')
        d.wait_for(lambda: len(cluster.calls_of('get')) >= 2, what='the new daemon watching')
        # Running once the new watch says so (it prints the Deployment first).
        d.wait_state('web', 'running')
        assert d.call('service.status', {'name': 'web'})['jobs'][0]['id'] == job
        after = cluster.calls()
        # Its log is followed again from where the log is (no line twice).
        d.wait_for(lambda: len(cluster.calls_of('logs')) >= 2, what='a second logs -f')
        assert all(c[-1].startswith('--since-time=') for c in cluster.calls_of('logs')[1:])
        assert d.tend('services', 'logs', 'web').stdout.count('serving orders') == 1
        # The watch and follow of the daemon before are gone, not left to
        # run until they next write.
        d.wait_for(lambda: not set(old) & set(cluster.subscribers('watch') +
                                              cluster.subscribers('logs')),
                   what="the old daemon's kubectl commands gone")
        for verb in ('apply', 'scale'):
            assert [c for c in after if verb in c] == [c for c in before if verb in c]
        # Its watch is the new daemon's: changes still move the service.
        started(d, cluster)
        cluster.status(availableReplicas=2, readyReplicas=2)
        d.wait_state('web', 'starting')
        roll_out(cluster)
        d.wait_state('web', 'running')
        d.call('service.stop', {'name': 'web'})
        d.wait_state('web', 'inactive')
        assert cluster.calls_of('scale')[-1][-1] == '--replicas=0'
    finally:
        assert d.stop() == 0, d.output()


def test_contract_logs_follow_the_deployment(daemon, cluster):
    cluster.put(deployment('web', 'shop', replicas=3))
    cluster.log('listening on :8080')
    d = daemon(kube_service())
    d.call('service.start', {'name': 'web'})
    d.wait_state('web', 'running')
    d.wait_for(lambda: cluster.subscribers('logs'), what='a logs -f')
    assert cluster.calls_of('logs') == [prefix() + ['logs', '-f', 'deployment/web']]
    cluster.log('GET /healthz 200', 'GET /api/orders 200')

    def logged():
        out = d.tend('services', 'logs', 'web').stdout
        return all(line in out for line in ('listening on :8080', 'GET /healthz 200',
                                            'GET /api/orders 200')) and out
    d.wait_for(logged, what='the pod lines in services logs')
    # The followed pod goes: tend follows again from where its log is, so
    # no line is there twice. (--since-time has whole seconds, as the API
    # takes it: lines of the second the follow ended may come twice, so the
    # clock moves on a second first.)
    time.sleep(1.1)
    cluster.end_logs()
    d.wait_for(lambda: len(cluster.calls_of('logs')) == 2, what='a second logs -f')
    again = cluster.calls_of('logs')[1]
    assert again[:-1] == prefix() + ['logs', '-f', 'deployment/web'], again
    assert again[-1].startswith('--since-time=20') and again[-1].endswith('Z'), again
    d.wait_for(lambda: cluster.subscribers('logs'), what='the second logs -f')
    cluster.log('GET /api/orders 201')
    d.wait_for(lambda: 'GET /api/orders 201' in d.tend('services', 'logs', 'web').stdout,
               what='a line after the second follow started')
    out = d.tend('services', 'logs', 'web').stdout
    for line in ('listening on :8080', 'GET /healthz 200', 'GET /api/orders 200'):
        assert out.count(line) == 1, out


def test_contract_preflight_asks_the_cluster_and_checks_the_manifests(tend, registry, cluster,
                                                                      manifests, tmp_path):
    cfg = registry(kube_service(manifests) + kube_service(tmp_path / 'gone', name='api'))
    out = tend('services', 'validate', '-c', cfg, '--json')
    results = {r['name']: {c['check']: c for c in r['checks']}
               for r in json.loads(out.stdout)['results']}
    assert results['web']['kubectl']['ok'], results
    assert results['web']['kubectl']['message'] == \
        'kubectl reaches its context (kind-test): server v1.30.2'
    assert results['web']['manifests']['ok']
    assert results['api']['manifests'] == {
        'check': 'manifests', 'ok': False, 'message': f'Manifests not found: {tmp_path / "gone"}'}
    assert ['--context', 'kind-test', 'version', '-o', 'json', '--request-timeout=5s'] in \
        cluster.calls()
    cluster.unreachable()
    out = tend('services', 'validate', '-c', cfg, '--json')
    results = {r['name']: {c['check']: c for c in r['checks']}
               for r in json.loads(out.stdout)['results']}
    assert results['web']['kubectl'] == {
        'check': 'kubectl', 'ok': False,
        'message': 'kubectl cannot reach its context (kind-test): The connection to the server '
                   '10.96.0.1:6443 was refused - did you specify the right host or port?'}


def test_contract_without_kubectl_the_start_is_refused(tmp_path):
    home = tmp_path / 'home'
    home.mkdir()
    cfg = home / 'services.toml'
    cfg.write_text(kube_service())
    # A PATH with no kubectl on it (this machine may have one in /usr/bin).
    d = Daemon(home, cfg, env={'PATH': str(home)}).start()
    try:
        with pytest.raises(Exception) as refused:
            d.call('service.start', {'name': 'web'})
        assert 'kubectl is not installed (not in PATH)' in str(refused.value)
        assert d.state('web') == 'inactive'
    finally:
        assert d.stop() == 0, d.output()


@pytest.mark.parametrize('keys, words', [
    ('deployment_name = "Web_1"', "deployment_name': \"Web_1\" is not a valid Kubernetes name"),
    ('deployment_name = "web", replicas = 0', "replicas': expected an integer from 1"),
    ('deployment_name = "web", namespace = "-shop"', "namespace': \"-shop\" is not a valid"),
])
def test_registry_refuses_bad_kubernetes_keys_at_their_place(tend, registry, keys, words):
    cfg = registry('[services.web]\n'
                   f'deployment = {{ mode = "kubernetes", kubernetes = {{ {keys} }} }}\n')
    out = tend('validate', '-c', cfg)
    assert out.returncode != 0
    assert f'{cfg}:2:' in out.stderr and words in out.stderr, out.stderr
