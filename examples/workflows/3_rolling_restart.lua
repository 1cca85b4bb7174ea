-- 3_rolling_restart.lua — restart a group of services one at a time.
--
--   tend script examples/workflows/3_rolling_restart.lua CATEGORY [TIMEOUT]
--
-- Restarts every running service of CATEGORY (the registry's `category`)
-- in start order (dependencies first, then start_order, then name), one
-- at a time: the next one is restarted only once the one before is back
-- and healthy (or, without a health check, running), so the group never
-- has more than one member down. A service that does not come back within
-- TIMEOUT seconds (default 60) stops the rollout there, with the reason:
-- the ones after it keep running as they were. Services that do not run
-- are left alone: a rolling restart restarts, it does not start.

local category = arg[1] or error("usage: 3_rolling_restart.lua CATEGORY [TIMEOUT]", 0)
local timeout = tonumber(arg[2] or "60") or error("TIMEOUT must be a number of seconds", 0)

-- The group, in tend's start order: dependencies first, then start_order,
-- then name. service.list gives each status with its dependencies;
-- service.get gives the spec, with its start_order.
local members = tend.service_list{category = category}
if #members == 0 then error("no service has the category '" .. category .. "'", 0) end
local by_name = {}
for _, s in ipairs(members) do
    s.start_order = tend.service_get(s.name).startup.start_order
    by_name[s.name] = s
end
table.sort(members, function(a, b)
    if a.start_order ~= b.start_order then return a.start_order < b.start_order end
    return a.name < b.name
end)
local order, seen = {}, {}
local function visit(s)
    if seen[s.name] then return end
    seen[s.name] = true
    for _, dep in ipairs(s.dependencies) do
        -- A dependency outside the group is not ours to restart.
        if by_name[dep] then visit(by_name[dep]) end
    end
    order[#order + 1] = s
end
for _, s in ipairs(members) do visit(s) end

local restarted = 0
for _, s in ipairs(order) do
    if s.state ~= "running" then
        print(("%s: %s, left alone"):format(s.name, s.state))
    else
        -- service.restart plays a new run of the service; its status says which.
        local run = tend.service_restart(s.name).run_id
        local has_check = s.health.check ~= "none"
        local status = tend.wait(s.name, has_check and "healthy" or "running", {timeout = timeout})
        assert(status.run_id == run, s.name .. " was started again by someone else meanwhile")
        restarted = restarted + 1
        print(("%s: restarted (run %d), %s"):format(s.name, run,
                                                   has_check and status.health.message or "running"))
    end
end
print(("%d of %d services of '%s' restarted, one at a time"):format(restarted, #members, category))
