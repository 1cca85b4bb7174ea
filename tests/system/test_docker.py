"""The docker deployment mode, with real containers: podman runs them here
(no Docker engine does), from a busybox image the session builds itself
(containers.py). Every container a test starts carries its daemon's
tend.instance label (a hash of its TEND_HOME), and the tests look only at
those; they skip, saying why, where podman cannot run containers."""
import json
import os
import signal
import subprocess
import time
import urllib.request

import pytest

from daemon import Daemon, alive, crash, first_event, free_port



def instance_tag(home):
    """tend.instance of the daemon on home (tend_paths_instance_tag)."""
    h = 1469598103934665603
    for byte in str(home).encode():
        h = ((h ^ byte) * 1099511628211) & 0xffffffffffffffff
    return f'{h & 0xffffffffffff:012x}'


def registry(podman, www, port):
    return f'''
[services.web]
type = "infrastructure"
deployment = {{ mode = "docker", docker = {{ image = "{podman.image}", ports = ["127.0.0.1:{port}:8080"], volumes = ["{www}:/www:ro"], env = {{ GREETING = "hello" }}, args = ["sh", "-c", "echo greeting=$GREETING; exec httpd -f -v -p 8080 -h /www"], stop_timeout = 5 }} }}
health_check = {{ type = "http", interval = 1, http = {{ endpoint = "http://127.0.0.1:{port}/index.html" }} }}
startup = {{ restart_delay = 0.2 }}

[services.app]
dependencies = ["web"]
deployment = {{ mode = "binary", binary = {{ binary_path = "/bin/sleep", args = ["1000"] }} }}
'''


@pytest.fixture
def web(podman, tmp_path):
    """A daemon whose registry runs a busybox httpd container (web) that a
    binary service (app) depends on; on the way out, the containers of
    this daemon are gone, whatever the test did."""
    home = tmp_path / 'home'
    home.mkdir()
    www = tmp_path / 'www'
    www.mkdir()
    (www / 'index.html').write_text('hello from the container\n')
    port = free_port()
    config = tmp_path / 'services.toml'
    config.write_text(registry(podman, www, port))
    d = Daemon(home, config=config, env=podman.env_for(home),
               extra_args=['--http', '127.0.0.1:0']).start()
    d.port = port
    d.label = f'tend.instance={instance_tag(home)}'
    yield d
    try:
        d.stop()
    finally:
        podman.rm_labelled(d.label)


def container_of(podman, d):
    names = podman.containers(d.label)
    assert len(names) == 1, names
    return names[0]



def test_a_container_comes_up_before_what_depends_on_it_and_serves(podman, web):
    d = web
    r = d.tend('platform', 'start', 'app')
    assert r.returncode == 0, r.stdout + r.stderr
    assert d.state('web') == 'running' and d.state('app') == 'running'
    # Ordered: app's process started only once web had passed its check.
    events = d.call('events.list', {'limit': 1000})
    started = first_event(events, 'job.phase', 'app', lambda e: e['data']['to'] == 'starting')
    healthy = first_event(events, 'service.health', 'web', lambda e: e['data']['to'] == 'healthy')
    assert started > healthy
    listed = {s['name']: s for s in json.loads(d.tend('services', 'list', '--json').stdout)}
    assert listed['web']['state'] == 'running'
    assert listed['web']['deployment'] == 'docker'
    # The dashboard, in a real browser, says so too.
    from browser import chromium
    from test_dashboard import badge_text, open_page, wait
    browser = chromium()
    try:
        open_page(browser, (d.home / 'dashboard.url').read_text().strip())
        wait(browser, lambda: badge_text(browser, 'web') == 'running', what='web running')
    finally:
        browser.quit()
    page = urllib.request.urlopen(f'http://127.0.0.1:{d.port}/index.html', timeout=5).read()
    assert page == b'hello from the container\n'
    # Its output is the job's log: the env reached it, httpd logs each check.
    d.wait_for(lambda: 'greeting=hello' in d.tend('services', 'logs', 'web').stdout,
               what='the container greeting in the log')
    d.wait_for(lambda: 'response:200' in d.tend('services', 'logs', 'web').stdout,
               what="httpd's access lines in the log")
    name = container_of(podman, d)
    labels = json.loads(podman.run('inspect', '--format', '{{json .Config.Labels}}', name).stdout)
    job = d.call('service.status', {'name': 'web'})['jobs'][0]['id']
    assert labels['tend.service'] == 'web' and labels['tend.job'] == str(job)
    r = d.tend('platform', 'stop')
    assert r.returncode == 0, r.stdout + r.stderr
    assert podman.containers(d.label) == []


def test_a_killed_container_program_is_restarted_by_tends_policy(podman, web):
    d = web
    assert d.tend('services', 'start', 'web').returncode == 0
    first_job = d.call('service.status', {'name': 'web'})['jobs'][0]['id']
    os.kill(podman.program_pid(container_of(podman, d)), signal.SIGKILL)
    d.wait_for(lambda: d.call('service.status', {'name': 'web'})['jobs'][0]['id'] != first_job
               and d.state('web') == 'running', timeout=30, what='web restarted')
    old = d.call('job.get', {'id': first_job})
    assert old['phase'] == 'failed' and old['exit_code'] == 137
    assert len(podman.containers(d.label)) == 1


def test_a_daemon_killed_with_sigkill_adopts_its_container(podman, web):
    d = web
    assert d.tend('platform', 'start', 'app').returncode == 0
    job = d.call('service.status', {'name': 'web'})['jobs'][0]['id']
    name = container_of(podman, d)
    started = podman.run('inspect', '--format', '{{.State.StartedAt}}', name).stdout
    # The main process dies; the keeper starts another, which adopts.
    os.kill(d.main_pid(), signal.SIGKILL)
    d.wait_for(lambda: d.main_pid() is not None, what='a new main process')
    d.wait_for(lambda: d.call('service.status', {'name': 'web'})['state'] == 'running',
               what='web running after the takeover')
    assert d.call('service.status', {'name': 'web'})['jobs'][0]['id'] == job
    assert podman.containers(d.label) == [name]
    assert podman.run('inspect', '--format', '{{.State.StartedAt}}', name).stdout == started
    # Both tend processes die, and the container's client with them while
    # no daemon runs: the next daemon attaches to the container again.
    client = d.call('service.status', {'name': 'web'})['pid']
    crash(d)
    os.kill(client, signal.SIGKILL)
    while alive(client):
        time.sleep(0.01)
    d.start()
    d.wait_for(lambda: d.state('web') == 'running', what='web running after the restart')
    assert d.call('service.status', {'name': 'web'})['jobs'][0]['id'] == job
    assert podman.containers(d.label) == [name]
    assert podman.run('inspect', '--format', '{{.State.StartedAt}}', name).stdout == started
    before = d.tend('services', 'logs', 'web').stdout.count('response:200')
    d.wait_for(lambda: d.tend('services', 'logs', 'web').stdout.count('response:200') > before,
               what='its output reaching the log again')
    assert d.tend('platform', 'stop').returncode == 0
    assert podman.containers(d.label) == []


def test_registry_refuses_an_engine_restart_policy_that_contradicts_tends(tend, registry):
    path = registry('''[services.c]
deployment = { mode = "docker", docker = { image = "x", restart_policy = "always" } }
startup = { restart = "never" }
''')
    r = tend('validate', '-c', path)
    assert r.returncode == 1
    assert f'{path}:2:74: error:' in r.stderr and 'restart_policy' in r.stderr
    ok = registry('''[services.c]
deployment = { mode = "docker", docker = { image = "x", restart_policy = "unless-stopped" } }
''', name='ok.toml')
    r = tend('validate', '-c', ok, '--json')
    assert r.returncode == 0, r.stderr
