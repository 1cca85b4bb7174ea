"""The podman fixture itself: its image runs through its environment, and
clean-up by the session label removes exactly what carries it."""
import subprocess


def test_image_runs_through_the_fixture_env(podman):
    done = subprocess.run(['podman', 'run', '--rm', '--label', podman.label, podman.image, 'echo', 'hi'],
                          capture_output=True, text=True, env=podman.env, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout == 'hi\n'


def test_containers_lists_and_rm_labelled_removes_only_its_own(podman):
    token = podman.label.split('=', 1)[1]
    mine = f'tend.test=own-{token}'
    names = []
    for n in range(2):
        name = f'tend-test-own-{token}-{n}'
        started = podman.run('run', '-d', '--init', '--name', name, '--label', podman.label,
                             '--label', mine, podman.image, 'sleep', '300')
        assert started.returncode == 0, started.stderr
        names.append(name)
    assert sorted(podman.containers(mine)) == names
    assert set(names) <= set(podman.containers(podman.label))
    assert podman.rm_labelled('tend.test=nosuch') == []
    assert sorted(podman.rm_labelled(mine)) == names
    assert podman.containers(mine) == []
