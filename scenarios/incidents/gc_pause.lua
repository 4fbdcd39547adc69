-- Incident: stop-the-world GC pauses on the search service, fed by a round-robin balancer.
--
-- incident: --set search.balancer=round_robin --set gateway.endpoints.search.calls.search.timeout=5s --set gateway.endpoints.search.calls.search.retries=0
--
-- As written, this file is the defended shop and its expectations pass (exit 0). The `incident:`
-- line above gives the --set arguments that rebuild the shop as it was on the day; with them the
-- expectations fail (exit 1):
--   faultline run scenarios/incidents/gc_pause.lua --set search.balancer=round_robin \
--     --set gateway.endpoints.search.calls.search.timeout=5s --set gateway.endpoints.search.calls.search.retries=0
--
-- What happened. The product search runs on 8 JVMs (16 threads each) at 40% busy. A release
-- doubled the size of the cached facets; from 4m on, each JVM's old generation fills every 30 s
-- or so and a full collection stops the world for about 1.5 s (exponential around that: some
-- take 4 s). The JVMs collect at different times, each frozen 5% of the time -- on average a 5%
-- capacity loss, which is what the dashboards showed.
--
-- The round-robin balancer does not know a JVM is frozen: it keeps sending it one request in
-- eight. The frozen JVM's 16 threads and 48 waiting places fill in a few hundred milliseconds,
-- then its backlog drops new connections (overflow = "drop": a frozen process accepts nothing),
-- and those callers hear nothing until their 5 s timeout. About 280 searches reach a JVM during
-- one of its pauses; 64 wait it out, the other ~215 fail. The p99 of the searches that answered
-- hardly moved (the ones caught in a pause mostly never answered), but one search in twenty-five
-- failed -- from a "5%" capacity loss with the search service "healthy" on every dashboard.
--
-- The fix: the balancer picks the less loaded of two instances (p2c: a frozen JVM's requests
-- pile up, so it stops being picked within a few requests), and the gateway gives search 300 ms
-- and one retry on another instance. A request that was caught in a pause is retried elsewhere
-- instead of waiting for the end of the world.
--
-- What the numbers teach: a pause is not a slowdown. Averaged over a minute it costs 5% of the
-- capacity; at the moment it happens it is a 100% outage of one instance, and whatever is routed
-- there blindly waits for all of it. Latency-aware balancing and a short timeout with a retry
-- turn a pause into a few retried requests; a long timeout turns it into the p99.

scenario { name = "GC pauses on the search service", duration = "14m", seed = 17, window = "5s", warmup = "1m" }

service "gateway" {
  instances = 4, workers = 256, queue = 0, slo = "1s", blocking = false,
  endpoints = {
    -- the fix: 300 ms and one retry (on the day: 5 s, no retry)
    search = { work = exp "1ms", calls = { call "search" { timeout = "300ms", retries = 1 } } },
  },
}

-- The JVMs: 8 x 16 threads, 48 waiting places each; the fix balances on load (on the day: round robin).
service "search" {
  instances = 8, workers = 16, queue = 48, overflow = "drop", balancer = "p2c", slo = "300ms",
  work = lognormal { median = "25ms", p99 = "120ms" },
}

traffic { rate = "1500/s", mix = { ["gateway.search"] = 1 } }

-- From 4m: each JVM stops the world for ~1.5 s about every 30 s, at its own time.
fault { name = "gc", target = "search", kind = "pause", at = "4m", duration = "8m", pause = exp "1.5s", every = "30s" }

expect "searches answer while the JVMs collect" {
  journey = "gateway.search", success_rate = ">= 99.9%", during = "fault:gc" }
expect "GC pauses stay out of the search p99" {
  journey = "gateway.search", p99 = "< 500ms", during = "fault:gc" }
