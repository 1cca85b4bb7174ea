"""The docker-compose deployment mode, with real containers: podman-compose
and podman run them here (no Docker engine does), from the busybox image
the session builds itself (containers.py). Each test has a compose project
of its own (a random project_name), and looks at, and removes, only the
containers and the network of that project; the tests skip, saying why,
where podman cannot run containers."""
import json
import os
import secrets
import signal
import time
import urllib.request

import pytest

from daemon import Daemon, alive, crash, first_event, free_port



def compose_file(podman, www, port):
    """web: busybox httpd (published port, a volume, env); worker: fetches
    web's page by its compose name every second, and depends on it."""
    return f'''services:
  web:
    image: {podman.image}
    init: true
    labels: ["{podman.label}"]
    environment:
      GREETING: hello
    ports: ["127.0.0.1:{port}:8080"]
    volumes: ["{www}:/www:ro"]
    command: ["sh", "-c", "echo greeting=$$GREETING; exec httpd -f -v -p 8080 -h /www"]
  worker:
    image: {podman.image}
    init: true
    labels: ["{podman.label}"]
    depends_on: [web]
    command: ["sh", "-c", "echo worker up; while :; do wget -q -O - http://web:8080/index.html; sleep 1; done"]
'''


def registry(compose, project, port, worker_dependencies='["web"]'):
    return f'''
[services.web]
type = "infrastructure"
deployment = {{ mode = "docker-compose", docker_compose = {{ compose_file = "{compose}", service_name = "web", project_name = "{project}" }} }}
health_check = {{ type = "http", interval = 1, http = {{ endpoint = "http://127.0.0.1:{port}/index.html" }} }}
startup = {{ restart_delay = 0.2 }}

[services.worker]
dependencies = {worker_dependencies}
deployment = {{ mode = "docker-compose", docker_compose = {{ compose_file = "{compose}", service_name = "worker", project_name = "{project}" }} }}
'''


@pytest.fixture
def stacks(podman, tmp_path):
    """stacks(worker_dependencies='["web"]') -> a daemon whose registry runs
    the two services of a compose project of this test's own; on the way
    out, that project's containers and network are gone, whatever the test
    did."""
    made = []

    def make(worker_dependencies='["web"]'):
        home = tmp_path / 'home'
        home.mkdir()
        www = tmp_path / 'www'
        www.mkdir()
        (www / 'index.html').write_text('hello from compose\n')
        port = free_port()
        project = f'tendcompose{secrets.token_hex(4)}'
        compose = tmp_path / 'compose.yml'
        compose.write_text(compose_file(podman, www, port))
        config = tmp_path / 'services.toml'
        config.write_text(registry(compose, project, port, worker_dependencies))
        d = Daemon(home, config=config, env=podman.env_for(home))
        d.port, d.project = port, project
        d.label = f'io.podman.compose.project={project}'
        made.append(d)
        return d.start()
    yield make
    for d in made:
        try:
            d.stop()
        finally:
            podman.rm_labelled(d.label)
            podman.run('network', 'rm', '-f', f'{d.project}_default')


@pytest.fixture
def stack(stacks):
    return stacks()


def containers_of(podman, d):
    """{compose service: container name} of the test's project."""
    found = {}
    for name in podman.containers(d.label):
        labels = json.loads(podman.run('inspect', '--format', '{{json .Config.Labels}}',
                                       name).stdout)
        assert labels['com.docker.compose.service'] not in found, (found, name)
        found[labels['com.docker.compose.service']] = name
    return found



def logs(d, name):
    return d.tend('services', 'logs', name).stdout


def test_two_compose_services_come_up_in_order_serve_log_and_go(podman, stack):
    d = stack
    r = d.tend('platform', 'start', 'worker')
    assert r.returncode == 0, r.stdout + r.stderr
    assert d.state('web') == 'running' and d.state('worker') == 'running'
    # Ordered: worker's job started only once web had passed its check.
    events = d.call('events.list', {'limit': 1000})
    started = first_event(events, 'job.phase', 'worker', lambda e: e['data']['to'] == 'starting')
    healthy = first_event(events, 'service.health', 'web', lambda e: e['data']['to'] == 'healthy')
    assert started > healthy
    listed = {s['name']: s for s in json.loads(d.tend('services', 'list', '--json').stdout)}
    assert listed['web']['state'] == listed['worker']['state'] == 'running'
    assert listed['web']['deployment'] == 'docker-compose'
    page = urllib.request.urlopen(f'http://127.0.0.1:{d.port}/index.html', timeout=5).read()
    assert page == b'hello from compose\n'
    # Compose made them: its names, its labels; one container per service.
    assert containers_of(podman, d) == {'web': f'{d.project}_web_1',
                                        'worker': f'{d.project}_worker_1'}
    # Their output is their jobs' logs: the env reached web, httpd logs the
    # checks, and worker reached web by its compose name.
    d.wait_for(lambda: 'greeting=hello' in logs(d, 'web'), what='the greeting in the log')
    d.wait_for(lambda: 'response:200' in logs(d, 'web'), what="httpd's access lines")
    # (by name: the network's DNS may take a moment to answer on a busy machine)
    d.wait_for(lambda: 'hello from compose' in logs(d, 'worker'), timeout=30,
               what="worker's fetches")
    assert 'worker up' in logs(d, 'worker')
    r = d.tend('platform', 'stop')
    assert r.returncode == 0, r.stdout + r.stderr
    assert d.state('web') == d.state('worker') == 'inactive'
    assert podman.containers(d.label) == []


def test_a_start_runs_no_other_compose_service(podman, stacks):
    # worker depends on web in the compose file, but not in tend's registry:
    # tend starts worker alone, and no web container runs (podman-compose
    # may create it, never starts it).
    d = stacks(worker_dependencies='[]')
    assert d.tend('services', 'start', 'worker').returncode == 0
    assert d.state('worker') == 'running'
    d.wait_for(lambda: 'worker up' in logs(d, 'worker'), what="worker's first line")
    made = containers_of(podman, d)
    assert set(made) <= {'web', 'worker'} and 'worker' in made
    if 'web' in made:
        status = podman.run('inspect', '--format', '{{.State.Status}}', made['web']).stdout
        assert status.strip() == 'created', status
    assert d.state('web') == 'inactive'


def test_a_killed_container_program_is_restarted_by_tends_policy(podman, stack):
    d = stack
    assert d.tend('services', 'start', 'web').returncode == 0
    first_job = d.call('service.status', {'name': 'web'})['jobs'][0]['id']
    os.kill(podman.program_pid(containers_of(podman, d)['web']), signal.SIGKILL)
    d.wait_for(lambda: d.call('service.status', {'name': 'web'})['jobs'][0]['id'] != first_job
               and d.state('web') == 'running', timeout=40, what='web restarted')
    old = d.call('job.get', {'id': first_job})
    assert old['phase'] == 'failed' and old['exit_code'] == 137
    assert list(containers_of(podman, d)) == ['web']


def test_a_daemon_killed_with_sigkill_adopts_its_compose_containers(podman, stack):
    d = stack
    assert d.tend('platform', 'start', 'worker').returncode == 0
    jobs = {s: d.call('service.status', {'name': s})['jobs'][0]['id'] for s in ('web', 'worker')}
    made = containers_of(podman, d)

    def started():
        return {s: podman.run('inspect', '--format', '{{.State.StartedAt}}', n).stdout
                for s, n in made.items()}
    began = started()
    # The main process dies; the keeper starts another, which adopts.
    os.kill(d.main_pid(), signal.SIGKILL)
    d.wait_for(lambda: d.main_pid() is not None, what='a new main process')
    d.wait_for(lambda: d.state('web') == d.state('worker') == 'running',
               what='both running after the takeover')
    assert {s: d.call('service.status', {'name': s})['jobs'][0]['id'] for s in jobs} == jobs
    assert containers_of(podman, d) == made and started() == began
    # Both tend processes die, and web's client with them while no daemon
    # runs: the next daemon attaches to its container again.
    client = d.call('service.status', {'name': 'web'})['pid']
    crash(d)
    os.kill(client, signal.SIGKILL)
    while alive(client):
        time.sleep(0.01)
    d.start()
    d.wait_for(lambda: d.state('web') == d.state('worker') == 'running',
               what='both running after the restart')
    assert d.call('service.status', {'name': 'web'})['jobs'][0]['id'] == jobs['web']
    assert containers_of(podman, d) == made and started() == began
    before = logs(d, 'web').count('response:200')
    d.wait_for(lambda: logs(d, 'web').count('response:200') > before,
               what="web's output reaching the log again")
    assert d.tend('platform', 'stop').returncode == 0
    assert podman.containers(d.label) == []


def test_preflight_reads_the_compose_file_without_running_anything(podman, tmp_path, tend):
    project = f'tendcompose{secrets.token_hex(4)}'
    good = tmp_path / 'compose.yml'
    good.write_text(compose_file(podman, tmp_path, free_port()))
    broken = tmp_path / 'broken.yml'
    broken.write_text('services:\n  web: [unclosed\n')
    restarting = tmp_path / 'restarting.yml'
    restarting.write_text(f'services:\n  web:\n    image: {podman.image}\n    restart: always\n')
    config = tmp_path / 'services.toml'
    config.write_text(f'''
[services.ok]
deployment = {{ mode = "docker-compose", docker_compose = {{ compose_file = "compose.yml", service_name = "worker", project_name = "{project}" }} }}
[services.missing]
deployment = {{ mode = "docker-compose", docker_compose = {{ compose_file = "{good}", service_name = "nosuch", project_name = "{project}" }} }}
[services.broken]
deployment = {{ mode = "docker-compose", docker_compose = {{ compose_file = "{broken}", service_name = "web", project_name = "{project}" }} }}
[services.restarting]
deployment = {{ mode = "docker-compose", docker_compose = {{ compose_file = "{restarting}", service_name = "web", project_name = "{project}" }} }}
[services.gone]
deployment = {{ mode = "docker-compose", docker_compose = {{ compose_file = "{tmp_path}/nofile.yml", service_name = "web", project_name = "{project}" }} }}
''')
    r = tend('services', 'validate', '-c', config, '--json', env=podman.env_for(tend.home))
    results = {one['name']: {c['check']: c for c in one['checks']}
               for one in json.loads(r.stdout)['results']}
    assert r.returncode != 0
    assert results['ok']['compose_file']['ok'], results['ok']
    assert results['ok']['container_cli']['ok'] and 'podman-compose' in \
        results['ok']['container_cli']['message']
    assert not results['missing']['compose_file']['ok']
    assert "no service 'nosuch'" in results['missing']['compose_file']['message']
    assert not results['broken']['compose_file']['ok']
    assert 'does not parse' in results['broken']['compose_file']['message']
    assert not results['restarting']['compose_file']['ok']
    assert 'restart: always' in results['restarting']['compose_file']['message']
    assert not results['gone']['compose_file']['ok']
    assert 'cannot be read' in results['gone']['compose_file']['message']
    # Asking made nothing: no container, no network of the project.
    assert podman.containers(f'io.podman.compose.project={project}') == []
    assert podman.run('network', 'exists', f'{project}_default').returncode != 0


def test_a_start_of_a_service_the_file_does_not_have_fails_saying_so(podman, daemon, home,
                                                                    tmp_path):
    project = f'tendcompose{secrets.token_hex(4)}'
    (tmp_path / 'compose.yml').write_text(compose_file(podman, tmp_path, free_port()))
    d = daemon(f'''
[services.typo]
deployment = {{ mode = "docker-compose", docker_compose = {{ compose_file = "{tmp_path}/compose.yml", service_name = "wbe", project_name = "{project}" }} }}
startup = {{ restart = "never" }}
''', env=podman.env_for(home))
    d.tend('services', 'start', 'typo')
    d.wait_state('typo', 'failed', timeout=30)
    job = d.call('service.status', {'name': 'typo'})['jobs'][0]
    assert "has no service 'wbe'" in d.call('job.get', {'id': job['id']})['error']
    assert podman.containers(f'io.podman.compose.project={project}') == []
