"""`tend services dependencies`: tree, start order and reverse dependencies,
read offline from the registry."""
from pathlib import Path

SEED = Path(__file__).parent / 'seed'
PLATFORM = SEED / 'platform.toml'


def test_whole_graph(tend):
    r = tend('services', 'dependencies', '-c', PLATFORM)
    assert r.returncode == 0, r.stderr
    out = r.stdout
    # Roots are the services nothing depends on; shared subtrees show once.
    assert out.startswith('Dependency tree:\n')
    assert ('api-gateway\n'
            '|-- orchestrator\n'
            '|-- control-center\n'
            '|   `-- orchestrator\n'
            '`-- mcp-server\n'
            '    `-- orchestrator\n') in out
    order = out.split('Start order:\n')[1].split('\n\n')[0].splitlines()
    names = [l.split('. ')[1].split(' ')[0] for l in order]
    # Dependencies first, then start_order, then name.
    assert names == ['orchestrator', 'control-center', 'mcp-server', 'api-gateway',
                     'coredns', 'gitea', 'oci-registry']
    assert '  1. orchestrator (order: 10)' in order


def test_reverse_dependencies_as_the_guide_shows(tend):
    r = tend('services', 'dependencies', 'orchestrator', '-c', PLATFORM)
    assert r.returncode == 0, r.stderr
    assert ('## orchestrator\n'
            '- Type: platform\n'
            '- Category: orchestration\n'
            '- Depends on: none\n'
            '- Required by:\n'
            '  - control-center\n'
            '  - mcp-server\n'
            '  - api-gateway\n') in r.stdout


def test_one_service_shows_its_own_closure(tend):
    r = tend('services', 'dependencies', 'control-center', '-c', PLATFORM)
    assert r.returncode == 0, r.stderr
    assert 'control-center\n`-- orchestrator\n' in r.stdout
    order = r.stdout.split('Start order:\n')[1].split('\n\n')[0]
    assert order == '  1. orchestrator (order: 10)\n  2. control-center (order: 20)'
    assert '- Depends on:\n  - orchestrator\n' in r.stdout
    assert '  - api-gateway\n' in r.stdout  # required by


def test_start_order_breaks_ties_by_name(tend, registry):
    path = registry('''[services.zeta]
[services.alpha]
[services.mid]
startup = { start_order = 5 }
[services.beta]
dependencies = ["zeta"]
''')
    r = tend('services', 'dependencies', '-c', path)
    order = r.stdout.split('Start order:\n')[1].split('\n\n')[0].splitlines()
    assert [l.split('. ')[1].split(' ')[0] for l in order] == ['mid', 'alpha', 'zeta', 'beta']


def test_unknown_service_is_an_error(tend):
    r = tend('services', 'dependencies', 'nope', '-c', PLATFORM)
    assert r.returncode == 1
    assert "no service named 'nope'" in r.stderr


def test_invalid_registry_reports_its_errors(tend, registry):
    path = registry('[services.a]\ndependencies = ["a"]\n')
    r = tend('services', 'dependencies', '-c', path)
    assert r.returncode == 1
    assert f'{path}:2:17: error: dependency cycle: a -> a' in r.stderr


def test_symbols_only_on_a_terminal(tend):
    r = tend('services', 'dependencies', '-c', PLATFORM)
    assert '└' not in r.stdout and '├' not in r.stdout


def test_usage(tend):
    assert tend('services', 'dependencies', 'a', 'b', '-c', PLATFORM).returncode == 2
    assert tend('services', 'bogus').returncode == 2
    assert tend('services', 'dependencies', '--help').returncode == 0
