"""`tend script FILE.lua`: the tend module against a real daemon — one
binding per API method (held against rpc.discover), arguments in Lua's
shapes, errors that name the script's line and carry the RPC's code,
tend.wait on the event stream, and the exit statuses."""
import json
import os
import subprocess

import pytest

from daemon import TEND_BIN, alive, tend_env, with_marker


def script(d, tmp_path, text, *args, name='flow.lua', env=None, timeout=60):
    """Runs TEXT as tmp_path/NAME with `tend script`, in tmp_path (so that
    error messages name the file as NAME)."""
    path = tmp_path / name
    path.write_text(text)
    return subprocess.run([TEND_BIN, 'script', name, *map(str, args)], capture_output=True,
                          text=True, cwd=tmp_path, env=tend_env(d.home, **(env or {})),
                          timeout=timeout)


def ok(r):
    assert r.returncode == 0, r.stdout + r.stderr
    return r.stdout


def test_every_api_method_has_its_binding_and_no_binding_is_without_a_method(d, tmp_path):
    out = ok(script(d, tmp_path, '''
        for func, method in pairs(tend.bindings()) do
            assert(type(tend[func]) == "function", func)
            print(func .. " " .. method)
        end'''))
    bound = dict(line.split() for line in out.splitlines())
    methods = [m['name'] for m in d.call('rpc.discover')['methods']]
    assert sorted(bound.values()) == sorted(methods)
    # The names say which method: '.' is '_'.
    assert all(func == method.replace('.', '_') for func, method in bound.items())


def test_one_service_of_two_dependent_actions_is_one_run_of_two_jobs(d, tmp_path, marks):
    server, ui = marks(), marks()
    out = ok(script(d, tmp_path, f'''
        tend.action_set{{name = "srv", exec = {{"sleep", "{server}"}}}}
        tend.action_set("ui", {{exec = {{"sleep", "{ui}"}},
                               depends_on = {{requires = {{"srv"}}}}}})
        tend.service_set{{name = "app", actions = {{"srv", "ui"}}}}
        tend.service_start("app")
        local st = tend.wait("app", "running", {{timeout = 20}})
        print(st.state, st.run_id, #st.jobs)'''))
    state, run_id, n_jobs = out.split()
    assert (state, n_jobs) == ('running', '2')
    runs = d.call('run.list', {'service': 'app'})
    assert [r['id'] for r in runs] == [int(run_id)]
    jobs = d.call('job.list', {'run_id': int(run_id)})
    assert sorted(j['action_id'] for j in jobs) == ['srv', 'ui']
    assert with_marker(server) and with_marker(ui)


def test_arguments_in_order_by_name_or_both(d, tmp_path, marks):
    mark = marks()
    out = ok(script(d, tmp_path, f'''
        tend.quick_service_set("q", {{exec = {{"sleep", "{mark}"}}}})
        print(tend.service_start{{name = "q"}}.state)
        tend.wait("q", "running")
        print(tend.service_stop("q", {{force = true}}).wanted)
        print(tend.wait("q", "stopped").state)
        print(#tend.service_list{{running = true}})
        print(tend.call("service.get", {{name = "q"}}).actions[1])'''))
    assert out.split() == ['starting', 'stop', 'inactive', '0', 'q']


def test_arg_holds_the_script_arguments(d, tmp_path):
    out = ok(script(d, tmp_path, 'print(arg[0], arg[1], arg[2], #arg, select("#", ...))',
                    'one', 'two words'))
    assert out == 'flow.lua\tone\ttwo words\t2\t2\n'


def test_results_are_lua_values_and_null_fields_are_absent(d, tmp_path, marks):
    mark = marks()
    out = ok(script(d, tmp_path, f'''
        tend.quick_service_set{{name = "q", exec = {{"sleep", "{mark}"}}}}
        local st = tend.service_status("q")
        print(math.type(st.restarts), type(st.auto_start), st.pid == nil, st.state)
        print(tend.null ~= nil, type(tend.null))'''))
    assert out.splitlines() == ['integer\tboolean\ttrue\tinactive', 'true\tuserdata']


def test_an_rpc_error_is_a_lua_error_with_code_and_message_that_pcall_catches(d, tmp_path):
    out = ok(script(d, tmp_path, '''
        local ok, e = pcall(tend.service_start, "nope")
        print(ok, e.kind, e.code, e.method, e.func)
        print(e.message)
        print(tostring(e))
        print(e.where)'''))
    lines = out.splitlines()
    assert lines[0] == 'false\trpc\t-32000\tservice.start\tservice_start'
    assert lines[1] == "no service named 'nope'"
    assert lines[2] == "flow.lua:2: service_start: no service named 'nope'"
    assert lines[3] == 'flow.lua:2'


def test_an_uncaught_error_exits_1_printed_once_with_its_line_and_a_traceback(d, tmp_path):
    r = script(d, tmp_path, 'print("before")\n\ntend.service_status("nope")\nprint("after")\n',
               name='deploy.lua')
    assert r.returncode == 1
    assert r.stdout == 'before\n'
    first, *trace = r.stderr.splitlines()
    assert first == "tend script: deploy.lua:3: service_status: no service named 'nope'"
    assert trace[0] == 'stack traceback:' and any('deploy.lua:3' in t for t in trace[1:])
    assert r.stderr.count('no service named') == 1


def test_a_parameter_of_the_wrong_type_is_named_and_nothing_changes(d, tmp_path):
    r = script(d, tmp_path, '\n'.join([
        'tend.action_set{name = "a", exec = {"sleep", "1"}}',
        'tend.service_set{name = "s", actions = {"a"}, dependencies = "web"}',
    ]), name='deploy.lua')
    assert r.returncode == 1
    first = r.stderr.splitlines()[0]
    assert first.startswith('tend script: deploy.lua:2: service_set: invalid params: ')
    assert "'services.s.dependencies': expected an array of strings" in first
    assert 's' not in [s['name'] for s in d.call('service.list')]
    # A mistyped RPC parameter is named too.
    r = script(d, tmp_path, 'tend.job_list{limit = "ten"}')
    assert r.returncode == 1
    assert "flow.lua:1: job_list: invalid params: 'limit' must be an integer" in r.stderr


@pytest.mark.parametrize('call, says', [
    ('tend.service_set{name = "s", actions = {"a", x = 1}}', "'actions' mixes list items and named keys"),
    ('tend.service_set{name = "s", actions = {[1] = "a", [3] = "b"}}', "'actions' is a list with holes"),
    ('tend.service_set{name = "s", description = print}', "'description' is a function, which has no JSON form"),
    ('tend.service_set{name = "s", startup = {start_timeout = 0/0}}', "'startup.start_timeout' is not a finite number"),
    ('tend.service_set{name = 5}', "service_set: 'name' must be a string"),
    ('tend.service_start("a", "b")', 'service_start: argument 2 (a string) has no place'),
    ('local t = {} t.self = t tend.service_set{name = "s", spec = t}', 'nested too deep'),
    ('tend.service_start{[1] = "web"}', 'service_start: its table of parameters has a key that is not a name'),
    ('tend.wait("a", "sleeping")', 'wait: argument 2 must be a state to wait for'),
    ('tend.wait("a", "running", {timeout = -1})', "wait: 'timeout' must be a number of seconds above 0"),
    ('tend.wait_job("x")', 'wait_job: argument 1 must be a job\'s id'),
])
def test_a_lua_value_with_no_json_form_is_refused_before_anything_is_sent(d, tmp_path, call, says):
    before = d.call('events.list', {'tail': 1})
    r = script(d, tmp_path, call)
    assert r.returncode == 1, r.stdout
    first = r.stderr.splitlines()[0]
    assert first.startswith('tend script: flow.lua:1: ') and says in first, first
    assert d.call('events.list', {'tail': 1}) == before


def test_argument_errors_are_catchable_with_their_kind(d, tmp_path):
    out = ok(script(d, tmp_path, '''
        local ok, e = pcall(tend.service_set, {name = "s", actions = {"a", x = 1}})
        print(ok, e.kind, e.code, e.method)'''))
    assert out == 'false\targument\tnil\tnil\n'


def test_wait_returns_when_the_service_gets_there_and_fails_fast_when_it_cannot(d, tmp_path):
    out = ok(script(d, tmp_path, '''
        tend.quick_service_set{name = "dies", exec = {"sh", "-c", "exit 3"}}
        tend.service_start("dies")
        local ok, e = pcall(tend.wait, "dies", "running", {timeout = 30})
        print(ok, e.kind)
        print(e.message)
        tend.quick_service_set{name = "done", exec = {"true"}, kind = "oneshot"}
        tend.service_start("done")
        print(tend.wait("done", "success").state)
        local ok2, e2 = pcall(tend.wait, "done", "healthy")
        print(ok2, e2.kind, e2.message)'''))
    lines = out.splitlines()
    assert lines[0] == 'false\tfailed'
    assert lines[1].startswith("'dies' will not be running: it is failed")
    assert lines[2] == 'success'
    assert lines[3] == "false\tfailed\t'done' has no health check"


def test_wait_for_health_follows_the_health_check(d, tmp_path, marks):
    flag = tmp_path / 'ready-flag'
    mark = marks()
    out = ok(script(d, tmp_path, f'''
        tend.action_set{{name = "w", exec = {{"sleep", "{mark}"}}}}
        tend.service_set{{name = "w", actions = {{"w"}},
            health_check = {{type = "file", interval = 1, file = {{path = "{flag}"}}}}}}
        tend.service_start("w")
        local f = io.open("{flag}", "w") f:close()
        local st = tend.wait("w", "healthy", {{timeout = 30}})
        print(st.state, st.health.status)'''))
    assert out == 'running\thealthy\n'


def test_wait_runs_out_of_time_as_a_timeout_error(d, tmp_path, marks):
    mark = marks()
    out = ok(script(d, tmp_path, f'''
        tend.action_set{{name = "slow", exec = {{"sleep", "{mark}"}}}}
        tend.service_set{{name = "slow", actions = {{"slow"}},
            health_check = {{type = "file", file = {{path = "{tmp_path}/never"}}}}}}
        tend.service_start("slow")
        local ok, e = pcall(tend.wait, "slow", "running", {{timeout = 0.3}})
        print(ok, e.kind, e.message)'''))
    assert out.startswith("false\ttimeout\t'slow' is not running after 0.3 s: it is starting")


def test_waiting_for_a_start_of_what_is_not_wanted_fails_at_once(d, tmp_path, marks):
    mark = marks()
    out = ok(script(d, tmp_path, f'''
        tend.quick_service_set{{name = "idle", exec = {{"sleep", "{mark}"}}}}
        local ok, e = pcall(tend.wait, "idle", "running", {{timeout = 600}})
        print(ok, e.kind, e.message)'''))
    assert out == "false\tfailed\t'idle' will not be running: it is inactive\n"


def test_wait_job_returns_a_standalone_jobs_row_once_it_ended(d, tmp_path):
    out = ok(script(d, tmp_path, '''
        tend.action_set{name = "once", exec = {"sh", "-c", "echo hello-from-job; exit 3"},
                        kind = "oneshot"}
        local j = tend.job_create("once")
        j = tend.wait_job(j.id, {timeout = 30})
        print(j.phase, j.exit_code, j.service_id == nil, j.action_id)
        print(tend.logs_tail{job = j.id}.lines[1].text)'''))
    assert out == 'failed\t3\ttrue\tonce\nhello-from-job\n'


def test_require_tend_is_the_same_module(d, tmp_path):
    assert ok(script(d, tmp_path, 'print(require("tend") == tend)')) == 'true\n'


def test_no_daemon_is_exit_3_and_usage_is_exit_2(tmp_path):
    home = tmp_path / 'nohome'
    home.mkdir()
    path = tmp_path / 'flow.lua'
    path.write_text('print("ran")\ntend.service_list()\n')
    env = tend_env(home, TEND_NO_AUTOSTART='1')
    r = subprocess.run([TEND_BIN, 'script', 'flow.lua'], capture_output=True, text=True,
                       cwd=tmp_path, env=env, timeout=30)
    assert r.returncode == 3, r.stderr
    assert r.stdout == 'ran\n'
    assert r.stderr.startswith('tend script: flow.lua:2: service_list: no daemon answers at ')
    # A script that needs no daemon runs without one.
    path.write_text('print(1 + 1)')
    r = subprocess.run([TEND_BIN, 'script', 'flow.lua'], capture_output=True, text=True,
                       cwd=tmp_path, env=env, timeout=30)
    assert (r.returncode, r.stdout) == (0, '2\n')
    for argv, says in ((['script'], 'usage: tend script'),
                       (['script', 'missing.lua'], 'cannot open missing.lua'),
                       (['script', '--bogus', 'flow.lua'], "unknown option '--bogus'")):
        r = subprocess.run([TEND_BIN, *argv], capture_output=True, text=True, cwd=tmp_path,
                           env=env, timeout=30)
        assert r.returncode == 2 and says in r.stderr, (argv, r.stderr)
    r = subprocess.run([TEND_BIN, 'script', '--help'], capture_output=True, text=True, env=env)
    assert r.returncode == 0 and 'usage: tend script' in r.stdout


def test_a_syntax_error_is_exit_1_with_its_line(d, tmp_path):
    r = script(d, tmp_path, 'print("a")\nlocal = 3\n')
    assert r.returncode == 1
    assert r.stdout == ''
    assert r.stderr.startswith('tend script: flow.lua:2: ')


def test_os_exit_gives_its_status(d, tmp_path):
    assert script(d, tmp_path, 'os.exit(7)').returncode == 7


def test_a_wait_outlives_a_kill_9_of_the_daemons_main_process(d, tmp_path, marks):
    """The keeper starts a new main process; the script's wait follows the
    new one's events and returns when the service gets there."""
    flag, mark = tmp_path / 'flag', marks()
    (tmp_path / 'flow.lua').write_text(f'''
        tend.action_set{{name = "w", exec = {{"sleep", "{mark}"}}}}
        tend.service_set{{name = "w", actions = {{"w"}},
            health_check = {{type = "file", interval = 1, file = {{path = "{flag}"}}}}}}
        tend.service_start("w")
        print("waiting") io.stdout:flush()
        local st = tend.wait("w", "healthy", {{timeout = 60}})
        print(st.state, st.health.status)''')
    proc = subprocess.Popen([TEND_BIN, 'script', 'flow.lua'], cwd=tmp_path, text=True,
                            env=tend_env(d.home), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert proc.stdout.readline() == 'waiting\n'
        # Its process runs (and the store has its pid) before the kill.
        d.wait_for(lambda: any(j.get('pid') and j['phase'] == 'running'
                               for j in d.call('job.list', {'service_id': 'w'})),
                   what='the job running')
        main = d.main_pid()
        os.kill(main, 9)
        d.wait_for(lambda: d.main_pid() not in (None, main), what='a new main process')
        flag.write_text('')
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert out == 'running\thealthy\n'
    assert len(with_marker(mark)) == 1
