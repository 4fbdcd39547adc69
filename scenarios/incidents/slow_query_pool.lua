-- Incident: one slow query type exhausts the database's connections, and every page goes down.
--
-- incident: --set catalog.endpoints.search.calls.db.search.bulkhead=none --set catalog.endpoints.search.calls.db.search_seqscan.bulkhead=none
--
-- As written, this file is the defended shop and its expectations pass (exit 0). The `incident:`
-- line above gives the --set arguments that rebuild the shop as it was on the day; with them the
-- expectations fail (exit 1):
--   faultline run scenarios/incidents/slow_query_pool.lua \
--     --set catalog.endpoints.search.calls.db.search.bulkhead=none \
--     --set catalog.endpoints.search.calls.db.search_seqscan.bulkhead=none
--
-- What happened. The catalog serves product pages (1600/s, one 2 ms primary-key read each) and
-- faceted search (400/s, one 8 ms query each) from one database with 48 connections. At 4m,
-- after a bulk import, the query planner switches the search query to a sequential scan: 8 ms
-- becomes 1.2 s (p99 3 s). 400 searches/s x 1.3 s would need 520 connections; within a second
-- all 48 hold a sequential scan, and the product reads wait behind them in the database's queue.
-- The catalog's 128 threads fill with requests waiting on the database and both pages fail:
--   db degraded (saturation: utilization 100%) -> catalog down (pool exhaustion: 100% of worker
--   time waiting on db) -> gateway down -> both journeys down;
-- product pages, which never run the slow query, answer 2% of the time until the plan is fixed
-- at 8m.
--
-- The fix: a bulkhead per query type. Search may hold at most 8 connections per catalog instance
-- (32 of the 48); the other 16 stay free for the product reads, whatever search does. During the
-- plan flip the database runs 32 sequential scans at a time (about 25 searches/s get an answer;
-- 95% of searches fail fast as `rejected`), and product pages stay at 100% with a p99 of 15 ms.
-- In steady state search needs about 1.2 connections per instance, so the limit of 8 costs
-- nothing (2 rejections in the whole run).
--
-- What the numbers teach: a pool shared by fast and slow work is as fast as its slowest user. Give
-- each kind of work its own share of the pool, sized for its normal load with room to spare, so
-- that one slow query type can only fail its own feature.
--
-- Modelling note: faults act on whole services, so a slowdown of one query type cannot be a
-- `fault`. The plan flip is two at() hooks that move the search endpoint from its `db.search` call
-- to its `db.search_seqscan` call (the call option p: the share of requests that make the call),
-- both on the same database and its 48 connections. The expectations use the time range of the
-- flip, 4m to 8m.

scenario { name = "One slow query type exhausts the database pool", duration = "12m", seed = 9, window = "5s", warmup = "1m" }

service "gateway" {
  instances = 4, workers = 64, queue = 128, slo = "1s", blocking = false,
  endpoints = {
    product = { work = exp "1ms", calls = { call "catalog.item" { timeout = "3s" } } },
    search  = { work = exp "1ms", calls = { call "catalog.search" { timeout = "3s" } } },
  },
}

service "catalog" {
  instances = 4, workers = 32, queue = 128, slo = "500ms",
  endpoints = {
    item = { work = exp "2ms", calls = { call "db.item" { timeout = "2s" } } },
    search = {
      work = exp "2ms",
      -- the fix: search queries may hold at most 8 of the database's connections per instance.
      -- db.search_seqscan is the same query under the bad plan: made by no request (p = 0) until
      -- the hook at 4m switches the calls.
      calls = {
        call "db.search" { timeout = "2s", bulkhead = 8 },
        call "db.search_seqscan" { timeout = "2s", bulkhead = 8, p = 0 },
      },
    },
  },
}

-- The database: 48 connections (its workers), 200 more clients may wait for one.
service "db" {
  instances = 1, workers = 48, queue = 200, slo = "250ms",
  endpoints = {
    item = { work = exp "2ms" },
    search = { work = lognormal { median = "8ms", p99 = "60ms" } },
    search_seqscan = { work = lognormal { median = "1.2s", p99 = "3s" } },
  },
}

traffic {
  rate = "2000/s",
  mix = { ["gateway.product"] = 0.8, ["gateway.search"] = 0.2 },
}

-- The plan flip, and the ANALYZE that ends it.
at("4m", function(sim)
  sim:log("the planner switches the search query to a sequential scan")
  sim:set("catalog.endpoints.search.calls.db.search.p", 0)
  sim:set("catalog.endpoints.search.calls.db.search_seqscan.p", 1)
end)
at("8m", function(sim)
  sim:log("ANALYZE: the search query uses its index again")
  sim:set("catalog.endpoints.search.calls.db.search.p", 1)
  sim:set("catalog.endpoints.search.calls.db.search_seqscan.p", 0)
end)

expect "product pages do not notice the slow search" {
  journey = "gateway.product", success_rate = ">= 99.9%", p99 = "< 100ms", during = { "4m", "8m" } }
expect "search works in steady state" {
  journey = "gateway.search", success_rate = ">= 99.9%", during = { "1m", "4m" } }
