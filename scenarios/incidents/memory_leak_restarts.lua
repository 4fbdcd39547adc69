-- Incident: a canary release leaks memory in search; its instances crawl for minutes, then restart, over and over.
--
-- incident: --set search.balancer=round_robin --set web.endpoints.find.calls.search.query.retries=0
--
-- As written, this file is the defended shop and its expectations pass (exit 0). The `incident:`
-- line above gives the --set arguments that rebuild the shop as it was on the day; with them the
-- expectations fail (exit 1):
--   faultline run scenarios/incidents/memory_leak_restarts.lua --set search.balancer=round_robin \
--     --set web.endpoints.find.calls.search.query.retries=0
--
-- What happened. 300 searches a second go from web to search (4 instances x 16 workers, 20 ms a
-- query). At 5m a release goes to 2 of the 4 instances, and it leaks: the garbage collector works
-- harder as the heap fills, up to 15x slower after 8 minutes, then the instance runs out of
-- memory and restarts for 45 s, and it starts leaking again. On the day search balanced round
-- robin and web did not retry: the sick instances kept half of the traffic, queued it behind
-- 300 ms queries, and every restart failed what they held. The journey's p99 went from 62 ms to
-- 4.4 s, 4.4% of searches failed, and the health timeline flapped (search and web degraded
-- every few minutes, each time blamed on the leak).
--
-- The fix: a least-outstanding balancer (a slow instance holds more requests, so it gets fewer
-- new ones), a 1 s health check, and one retry of a failed search (it lands on a healthy
-- instance). The same leak then reads, in the cascade block, as effects that changed no state:
--   effects: search p99 ×5.7 (59.9ms → 340ms), web p99 ×5.6 (61.6ms → 343ms),
--   journey web.find p99 ×5.6 (61.6ms → 343ms)
-- with 99.75% of searches answered during the fault.
--
-- The lesson. A leak is a latency incident long before it is an outage: the instance gets slow
-- for minutes before the restart anyone alarms on. Round robin keeps feeding a slow instance its
-- share; a balancer that sees outstanding work routes around it, and a retry covers the restart.
-- Alarm on p99 per instance group, not on restarts.

scenario { name = "memory leak restarts", duration = "30m", seed = 47, window = "10s", warmup = "1m" }

service "web" {
  instances = 2, workers = 400, queue = 5000,
  endpoints = { find = { work = exp "2ms", calls = { call "search.query" { timeout = "5s", retries = 1 } } } },
}
service "search" {
  instances = 4, workers = 16, queue = 200, balancer = "least_outstanding", health_check = "1s",
  endpoints = { query = { work = lognormal { median = "20ms", p99 = "60ms" } } },
}

traffic { rate = "300/s", mix = { ["web.find"] = { share = 1, slo = "1s" } } }

-- on the 2 canary instances, the garbage collector works harder as the heap fills: 15x slower
-- after 8 minutes, then the instance runs out of memory and restarts (45 s)
fault { name = "leak", target = "search", kind = "leak", factor = 15, every = "8m", restart = "45s", at = "5m", instances = 2 }

expect "searches stay fast through the leak" { journey = "web.find", p99 = "< 500ms", during = "fault:leak" }
expect "searches are answered through the restarts" { journey = "web.find", success_rate = ">= 99.5%", during = "fault:leak" }
expect "search is fast before the release" { service = "search", p99 = "< 100ms", during = { "1m", "5m" } }
