-- 1_runner.lua — one service, two dependent actions, one start.
--
--   tend script examples/workflows/1_runner.lua [SERVER_PORT] [UI_PORT] [DIR]
--
-- Seed 004's hero_runner is a server and a UI that needs it. Its scripts
-- registered each program as a service of its own (quick_service, twice)
-- and started both: two services, two runs of one job each, and nothing
-- said that the UI needs the server. Done right, the program pair is ONE
-- service whose two actions depend on each other: one start plays one run
-- of two jobs, the UI's only once the server's is ready.
--
-- Two small HTTP servers in python3 stand in for the real programs, both
-- on 127.0.0.1 only, serving DIR (default: this script's folder).

-- An absolute path: the jobs run in the daemon's working directory, not ours.
local function absolute(path)
    return path:sub(1, 1) == "/" and path or (os.getenv("PWD") .. "/" .. path)
end

local server_port = arg[1] or "8081"
local ui_port = arg[2] or "8082"
local dir = absolute(arg[3] or arg[0]:match("^(.*)/") or ".")

-- The server says when it listens (sd_notify's READY=1, with
-- `ready = "notify"` below), so "the UI requires the server" means the
-- server answers by the time the UI starts, not merely that its process
-- exists. tend gives it the socket to say it to in NOTIFY_SOCKET.
local server_py = [[
import functools, http.server, os, socket, sys
handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=sys.argv[2])
httpd = http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), handler)
path = os.environ["NOTIFY_SOCKET"]
with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
    s.sendto(b"READY=1", "\0" + path[1:] if path.startswith("@") else path)
httpd.serve_forever()
]]

-- The steps of the workflow: two actions (templates; nothing runs yet).
-- Every program is an argv list: no shell reads what came from arg.
tend.action_set{
    name = "runner_server",
    exec = {"python3", "-c", server_py, server_port, dir},
    ready = "notify",
}
tend.action_set{
    name = "runner_ui",
    exec = {"python3", "-m", "http.server", "--bind", "127.0.0.1", "--directory", dir, ui_port},
    -- Start only once runner_server is ready; fail if it fails.
    depends_on = {requires = {"runner_server"}},
}

-- The workflow itself: the service, and how tend knows it works. The
-- service is `running` only once the UI answers, so tend.wait below
-- returns when it can be used, not merely when processes exist.
tend.service_set{
    name = "runner",
    description = "the runner's server and its UI",
    actions = {"runner_server", "runner_ui"},
    health_check = {type = "http", http = {endpoint = "http://127.0.0.1:" .. ui_port .. "/"}},
}

-- One start: one run, one job per action, in their depends_on order.
tend.service_start("runner")
local status = tend.wait("runner", "running", {timeout = 30})
print(("runner is %s (health %s), run %d"):format(status.state, status.health.status,
                                                  status.run_id))

-- The record of what happened: the run and its jobs, in the order they started.
local run = tend.run_get(status.run_id)
table.sort(run.jobs, function(a, b) return a.started_at < b.started_at end)
for i, job in ipairs(run.jobs) do
    print(("  job %d: %s (job %d, pid %d) %s"):format(i, job.action_id, job.id, job.pid,
                                                      job.phase))
end
