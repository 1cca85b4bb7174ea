"""A command health check's `user`: the check runs as that user, with its
groups (as an action's user does), so a check meant for nobody passes
only as nobody; an unknown user is refused by pre-flight."""
import os

import pytest

from daemon import RpcError


@pytest.fixture
def daemon(daemon):
    if os.geteuid() != 0:
        pytest.skip('switching users needs root')
    return daemon


# As nobody, with nobody's group (65534, nogroup), or it fails.
AS_NOBODY = """["sh", "-c", 'test "$(id -un)" = nobody && id -G | grep -qw 65534']"""


def checked(name, mark, user):
    user_key = f', user = "{user}"' if user else ''
    return f'''
[services.{name}]
deployment = {{ mode = "binary", binary = {{ binary_path = "/bin/sleep", args = ["{mark}"] }} }}
startup = {{ restart = "never", start_timeout = 2 }}
[services.{name}.health_check]
type = "command"
interval = 0.2
retries = 1
command = {{ command = {AS_NOBODY}{user_key} }}
'''


def health(d, name):
    return d.call('service.health', {'name': name})


def test_command_check_runs_as_its_user(daemon, marks):
    d = daemon(checked('as_nobody', marks(), 'nobody') + checked('as_root', marks(), None))
    spec = d.call('service.get', {'name': 'as_nobody'})
    assert spec['health_check']['command']['user'] == 'nobody'
    d.call('service.start', {'name': 'as_nobody'})
    d.wait_state('as_nobody', 'running')
    d.wait_for(lambda: health(d, 'as_nobody')['status'] == 'healthy', what='healthy as nobody')
    # The same check as the daemon's user (root) fails: the service never gets healthy.
    d.call('service.start', {'name': 'as_root'})
    d.wait_for(lambda: d.state('as_root') == 'failed', timeout=15, what='as_root failed')
    assert health(d, 'as_root')['status'] != 'healthy'
    assert 'exited with 1, expected 0' in d.call('service.why', {'name': 'as_root'})['why']


def test_unknown_check_user_is_refused_by_preflight(daemon, marks):
    d = daemon(checked('ghostly', marks(), 'no-such-user-tend'))
    with pytest.raises(RpcError) as e:
        d.call('service.start', {'name': 'ghostly'})
    assert e.value.message == ('Pre-flight check failed: user\n'
                               'ghostly: No such user: no-such-user-tend (health check)')
    # Forced, the check itself says so, and the service never gets healthy.
    d.call('service.start', {'name': 'ghostly', 'force': True})
    d.wait_for(lambda: d.state('ghostly') == 'failed', timeout=15, what='ghostly failed')
    assert 'no such user: no-such-user-tend' in d.call('service.why', {'name': 'ghostly'})['why']
