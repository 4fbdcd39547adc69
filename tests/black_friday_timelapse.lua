-- Black Friday in time-lapse, for the tests of `faultline size` (tests/cli_size.sh): the shop of
-- scenarios/black_friday.lua (copied beside this file by the test) with its timeline running 30x
-- faster (the 2 h evening in 4 min: scenario times, the surge's phases, faults, expectation
-- ranges, hooks, health checks and autoscaling periods) and a tenth of its traffic served by a
-- tenth of its workers per instance (rounded up), so that instance counts keep their meaning.
-- Latencies, work and timeouts are unchanged. A search that runs whole simulations needs this
-- to finish in seconds; the real evening is sized the same way with `faultline size
-- scenarios/black_friday.lua` (README.md, faultline size).
local FAST, SMALL = 30, 10

local units = { ns = 1e-9, us = 1e-6, ms = 1e-3, s = 1, m = 60, h = 3600, d = 86400 }
local function seconds(v)
  if type(v) == "number" then return v end
  local n, u = string.match(v, "^%s*([%d%.eE+-]+)%s*(%a*)%s*$")
  assert(n and units[u ~= "" and u or "s"], "time-lapse: cannot read the duration " .. tostring(v))
  return tonumber(n) * units[u ~= "" and u or "s"]
end
local function per_second(v)
  if type(v) == "number" then return v end
  local n, u = string.match(v, "^%s*([%d%.eE+-]+)%s*/?%s*(%a*)%s*$")
  assert(n, "time-lapse: cannot read the rate " .. tostring(v))
  return tonumber(n) / (u == "" and 1 or units[u] or (u == "min" and 60) or 1)
end
local function fast(v) if v ~= nil then return seconds(v) / FAST end end
local function fast_fields(t, names) for _, k in ipairs(names) do if t[k] ~= nil then t[k] = fast(t[k]) end end end
local function small(n) return math.max(1, math.ceil(n / SMALL)) end

local real = { scenario = scenario, service = service, surge = surge, fault = fault, expect = expect, every = every, at = at }

scenario = function(t)
  fast_fields(t, { "duration", "warmup" })
  t.window = math.max(1, seconds(t.window or 1) / FAST)
  return real.scenario(t)
end

service = function(name)
  local body = real.service(name)
  return function(t)
    if t.workers then t.workers = small(t.workers) end
    if type(t.queue) == "number" and t.queue ~= math.huge then t.queue = math.ceil(t.queue / SMALL) end
    if t.health_check then t.health_check = fast(t.health_check) end
    if t.startup then t.startup = fast(t.startup) end
    if type(t.autoscale) == "table" then fast_fields(t.autoscale, { "period", "stabilize_down", "delay", "warmup" }) end
    return body(t)
  end
end

surge = function(t)
  t.base, t.peak = per_second(t.base) / SMALL, per_second(t.peak) / SMALL
  fast_fields(t, { "start", "ramp", "hold", "decay" })
  return real.surge(t)
end

fault = function(t)
  fast_fields(t, { "at", "duration" })
  return real.fault(t)
end

expect = function(name)
  local body = real.expect(name)
  return function(t)
    if type(t.during) == "table" then t.during = { fast(t.during[1]), fast(t.during[2]) } end
    return body(t)
  end
end

every = function(interval, fn) return real.every(fast(interval), fn) end
at = function(when, fn) return real.at(fast(when), fn) end

include "black_friday.lua"
