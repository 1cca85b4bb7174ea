-- 4_required_for.lua — start what an operation needs, then do it.
--
--   tend script examples/workflows/4_required_for.lua OPERATION [ACTION] [TIMEOUT]
--
-- Seed 003: "services start automatically when required by a workflow".
-- Services say which operations need them (`required_for = ["report"]` in
-- the registry). This script asks the daemon what OPERATION needs
-- (service.required_for), starts each of those services that does not
-- run, waits until every one is healthy (or, without a health check,
-- running), and only then does the work: ACTION (default: the action
-- named OPERATION) as a standalone job, whose log it prints. It exits
-- with the job's outcome. What already runs is left alone; a service
-- that cannot come up stops the script before any work is done.
--
-- `tend services check OPERATION --start` does the first half from the
-- shell; a script is where the second half goes.

local operation = arg[1] or error("usage: 4_required_for.lua OPERATION [ACTION] [TIMEOUT]", 0)
local action = arg[2] or operation
local timeout = tonumber(arg[3] or "60") or error("TIMEOUT must be a number of seconds", 0)

-- The work must exist before anything is started for it.
local ok = pcall(tend.action_get, action)
if not ok then error(("no action named '%s' to run for %s"):format(action, operation), 0) end

-- {operation, required = {names}, not_running = {names}, all_running = bool}
local needs = tend.service_required_for{operation = operation}
print(("%s needs: %s"):format(operation, table.concat(needs.required, ", ")))

-- Start what does not run yet, all at once (each start brings up its own
-- dependencies first). A service already on its way up is not started
-- again: that would replace its jobs.
local up = {starting = true, running = true}
for _, name in ipairs(needs.not_running) do
    if not up[tend.service_status(name).state] then
        print("starting " .. name)
        tend.service_start(name)
    end
end
-- Then wait for each until it can be used.
for _, name in ipairs(needs.not_running) do
    local has_check = tend.service_status(name).health.check ~= "none"
    local status = tend.wait(name, has_check and "healthy" or "running", {timeout = timeout})
    print(("%s is %s%s"):format(name, status.state,
                                has_check and ", " .. status.health.status or ""))
end
needs = tend.service_required_for{operation = operation}
assert(needs.all_running, "still not running: " .. table.concat(needs.not_running, ", "))

-- The work: one standalone job (no service, no run; provenance: the action).
local id = tend.job_create(action).id
local job = tend.wait_job(id, {timeout = timeout})
for _, line in ipairs(tend.logs_tail{job = id, lines = 100}.lines) do print("  " .. line.text) end
print(("job %d (%s) %s"):format(id, action, job.phase))
os.exit(job.phase == "succeeded" and 0 or 1, true)
