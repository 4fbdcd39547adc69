-- Incident: a recommendations backend slows down, and an event-loop front end makes every user wait for it.
--
-- incident: --set bff.endpoints.home.calls.recs.timeout=none --set bff.endpoints.home.calls.recs.optional=false
--
-- As written, this file is the defended shop and its expectations pass (exit 0). The `incident:`
-- line above gives the --set arguments that rebuild the shop as it was on the day; with them the
-- expectations fail (exit 1):
--   faultline run scenarios/incidents/event_loop_slow_dependency.lua \
--     --set bff.endpoints.home.calls.recs.timeout=none --set bff.endpoints.home.calls.recs.optional=false
--
-- What happened. 400 home pages a second go through a Node.js backend-for-frontend (bff,
-- blocking = false: an event loop that holds no thread while it waits on a call). Each page asks
-- the catalogue (20 ms) and, in parallel, the recommendations service (30 ms). At 3m the
-- recommendation model's feature store degrades and every answer takes 2 s longer, for four
-- minutes. Nothing fails: the event loop never runs out of threads, its utilisation stays under
-- 5%, no service turns `down` and not one request fails. But the page waits for its slowest
-- call, so the home page's p99 goes from 63 ms to 2.06 s. The health timeline blames the journey's
-- slowness on the fault ("journey bff.home ok → degraded  p99 2059ms over its slo of 500ms; fault
-- 'recs slow' (latency) on recs") and the cascade block gives the sizes in one line:
--   effects: bff p99 ×33 (62.7ms → 2.06s), journey bff.home p99 ×33 (62.7ms → 2.06s)
--
-- The fix: a 150 ms timeout on the recommendations call, optional with a 1 ms fallback (the page
-- shows best sellers instead). The page's p99 during the fault is 160 ms; its answers are
-- degraded (no personal recommendations: the journey reads "100% degraded, by failures at
-- recs"), not failed, and not slow.
--
-- The lesson. A non-blocking caller turns a slow dependency into slow users, not into errors or
-- saturation: the alarms that watch threads, error rates and CPU stay green. Only a deadline on
-- the call bounds what users wait; put one on every call an event loop makes, and watch the
-- journey's p99, not the caller's utilisation.

scenario { name = "event loop slow dependency", duration = "10m", seed = 41, window = "5s", warmup = "30s" }

service "bff" {
  instances = 2, workers = 8, queue = 10000, blocking = false,
  endpoints = {
    home = { work = exp "2ms", calls = {
      parallel { call "catalog", call "recs" { timeout = "150ms", optional = true, fallback = "1ms" } } } },
  },
}
service "catalog" { instances = 3, workers = 100, queue = 1000, work = lognormal { median = "15ms", p99 = "40ms" } }
service "recs" { instances = 3, workers = 400, queue = 5000, work = lognormal { median = "25ms", p99 = "60ms" } }

traffic { rate = "400/s", mix = { ["bff.home"] = { share = 1, slo = "500ms" } } }

fault { name = "recs slow", target = "recs", kind = "latency", latency = "2s", at = "3m", duration = "4m" }

expect "the home page stays fast while recs is slow" { journey = "bff.home", p99 = "< 200ms", during = "fault:recs slow" }
expect "every home page is answered" { journey = "bff.home", success_rate = ">= 99.9%", during = "fault:recs slow" }
expect "the event loop is never the bottleneck" { service = "bff", utilization = "< 20%" }
expect "back to normal within a minute" { journey = "bff.home", p99 = "< 150ms", during = "after:recs slow", recovers_within = "1m" }
