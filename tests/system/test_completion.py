"""The bash completion script completes commands, subcommands and the
running daemon's service names."""
import os
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def complete(d, *words):
    script = (f'source {REPO}/completions/tend.bash; '
              f'COMP_WORDS=({" ".join(words)}); COMP_CWORD={len(words) - 1}; _tend; '
              'echo "${COMPREPLY[@]}"')
    env = dict(d.env(), PATH=f'{Path(os.environ.get("TEND_BIN", REPO / "build" / "tend")).parent}:'
                             + d.env()['PATH'])
    return subprocess.run(['bash', '-c', script], capture_output=True, text=True, env=env).stdout.split()


def test_commands_subcommands_and_service_names(d):
    d.call('service.set', {'name': 'web', 'spec': {'deployment': {'mode': 'binary', 'binary': {
        'binary_path': '/bin/sleep', 'args': ['1000']}}}})
    assert complete(d, 'tend', 'pla') == ['platform']
    assert complete(d, 'tend', 'services', 'st') == ['status', 'start', 'stop']
    assert complete(d, 'tend', 'services', 'start', 'w') == ['web']
    assert complete(d, 'tend', 'why', '') == ['web']
    assert complete(d, 'tend', 'services', 'health', 'w') == ['web']
    assert complete(d, 'tend', 'platform', 'he') == ['health']
    assert 'service.start' in complete(d, 'tend', 'rpc', 'service.st')
    assert complete(d, 'tend', 'token', 'r') == ['revoke', 'rotate']
    assert complete(d, 'tend', '--ho') == ['--host']
    assert complete(d, 'tend', 'daemon', '--tls-c') == ['--tls-cert', '--tls-client-ca']
    assert complete(d, 'tend', 'token', 'rotate', 'da') == ['dashboard']
    assert complete(d, 'tend', 'scr') == ['script']


def test_script_completes_lua_files_and_folders(d, tmp_path):
    folder = tmp_path / 'flows'
    (folder / 'more').mkdir(parents=True)
    (folder / 'deploy.lua').write_text('')
    (folder / 'notes.txt').write_text('')
    assert sorted(complete(d, 'tend', 'script', f'{folder}/')) == [f'{folder}/deploy.lua',
                                                                   f'{folder}/more']
    assert complete(d, 'tend', 'script', '--no') == ['--no-autostart']
    # What follows the script is the script's own.
    assert complete(d, 'tend', 'script', 'x.lua', '') == []
