-- 2_build_install.lua — from a git repository to a healthy service.
--
--   tend script examples/workflows/2_build_install.lua REPO [PORT] [PREFIX] [NAME]
--
-- REPO is a git repository (a local path or any URL git clones) whose
-- Makefile builds a program NAME (default: REPO's last path component)
-- that serves HTTP on 127.0.0.1:PORT (default 8090), the port given as
-- its first argument. The script clones REPO into PREFIX/src/NAME (PREFIX
-- defaults to ~/.local), builds it with make, installs PREFIX/bin/NAME,
-- registers the service NAME running it with an HTTP health check,
-- starts it and waits until it is healthy.
--
-- Run it again whenever you like: it fetches and builds again, and
-- restarts NAME only when the installed program changed (or its spec
-- did); with nothing new it touches no running service.
--
-- The build is a service too, NAME-build, of three oneshot actions that
-- depend on each other: fetch -> make -> install. One start of it plays
-- one run of three jobs in order, each with its log, and a failed step
-- stops the ones after it. The alternative, three standalone jobs
-- (tend.job_create and tend.wait_job, one after the other), would put the
-- ordering in this script and leave three unrelated jobs in the history;
-- as a service the build is a run you can read back (`tend runs`,
-- `tend why NAME-build`, `tend services logs NAME-build`).

local repo = arg[1] or error("usage: 2_build_install.lua REPO [PORT] [PREFIX] [NAME]", 0)
local port = arg[2] or "8090"
local prefix = arg[3] or (os.getenv("HOME") .. "/.local")
local name = arg[4] or repo:gsub("/+$", ""):match("([^/]+)$"):gsub("%.git$", "")

-- The jobs run in the daemon's working directory, not ours: absolute paths.
local function absolute(path)
    return path:sub(1, 1) == "/" and path or (os.getenv("PWD") .. "/" .. path)
end
if not repo:find("://", 1, true) and not repo:find("^[%w.-]+@") then repo = absolute(repo) end
prefix = absolute(prefix)
local src = prefix .. "/src/" .. name
local bin = prefix .. "/bin/" .. name

-- The whole content of a file, or nil when there is none.
local function contents(path)
    local f = io.open(path, "rb")
    if not f then return nil end
    local data = f:read("a")
    f:close()
    return data
end

local function has(list, item)
    for _, x in ipairs(list or {}) do
        if x == item then return true end
    end
    return false
end

-- 1. The build, as a service of three steps. Every command is an argv
-- list; the one shell step gets the repository and the folder as its
-- arguments ("$1", "$2"), never pasted into its text.
local fetch = [[
if [ -d "$2/.git" ]; then
    git -C "$2" fetch --quiet "$1" HEAD && git -C "$2" reset --quiet --hard FETCH_HEAD
else
    git clone --quiet -- "$1" "$2"
fi]]
tend.action_set{name = name .. "-fetch", kind = "oneshot",
                exec = {"sh", "-c", fetch, "fetch", repo, src}}
tend.action_set{name = name .. "-make", kind = "oneshot", exec = {"make", "-C", src},
                depends_on = {requires = {name .. "-fetch"}}}
-- install -C leaves the installed file alone when it is the same; when it
-- is not, install replaces it (a new file), so the running program is not
-- disturbed until it is restarted.
tend.action_set{name = name .. "-install", kind = "oneshot",
                exec = {"install", "-C", "-D", "-m", "0755", src .. "/" .. name, bin},
                depends_on = {requires = {name .. "-make"}}}
tend.service_set{name = name .. "-build", description = "fetch, build and install " .. name,
                 actions = {name .. "-fetch", name .. "-make", name .. "-install"}}

local installed_before = contents(bin)
tend.service_start(name .. "-build")
local ok, err = pcall(tend.wait, name .. "-build", "success", {timeout = 300})
if not ok then
    -- Say which step failed and show its last lines, then give up.
    io.stderr:write(tostring(err), "\n")
    for _, line in ipairs(tend.logs_tail(name .. "-build", {lines = 20}).lines) do
        io.stderr:write("  ", line.text, "\n")
    end
    os.exit(1, true)
end
local run = tend.run_get(tend.service_status(name .. "-build").run_id)
print(("built %s in run %d of %s-build (%d jobs)"):format(name, run.id, name, #run.jobs))
local program_changed = contents(bin) ~= installed_before

-- 2. The service that runs it. Setting a spec that did not change is a
-- no-op (the plan says "unchanged"); a changed one restarts the service
-- if it runs (the plan says "changed").
local plan = tend.service_set{
    name = name,
    description = name .. ", built from " .. repo,
    deployment = {mode = "binary", binary = {binary_path = bin, args = {port}}},
    health_check = {type = "http", http = {endpoint = "http://127.0.0.1:" .. port .. "/"}},
}

-- 3. Start it, restart it, or leave it alone.
local status = tend.service_status(name)
local up = status.state == "running" or status.state == "starting"
if not up then
    print("starting " .. name)
    tend.service_start(name)
elseif has(plan.changed, name) then
    print(name .. "'s spec changed: the daemon restarts it")
elseif program_changed then
    print(name .. " changed: restarting it")
    tend.service_restart(name)
else
    print(name .. " is up to date: left running")
end

status = tend.wait(name, "healthy", {timeout = 60})
print(("%s: %s, %s (%s), pid %d, run %d"):format(name, status.state, status.health.status,
                                                 status.health.message, status.pid, status.run_id))
