-- Incident: a cache flush sends every product read to the database.
--
-- incident: --set db.queue=1000 --set catalog.endpoints.item.calls.db.timeout=none --set catalog.endpoints.item.calls.db.optional=false
--
-- As written, this file is the defended shop and its expectations pass (exit 0). The `incident:`
-- line above gives the --set arguments that rebuild the shop as it was on the day; with them the
-- expectations fail (exit 1):
--   faultline run scenarios/incidents/cache_flush.lua --set db.queue=1000 \
--     --set catalog.endpoints.item.calls.db.timeout=none --set catalog.endpoints.item.calls.db.optional=false
--
-- What happened. 2000 product views a second; each needs the product row, which a cache in front
-- of the database answers 95% of the time. The database was sized for what the cache lets through:
-- 100 reads/s on 16 connections that can do 800 reads/s (12% busy -- "plenty of headroom"). At
-- 4m a deploy script flushes the cache (a `cold_cache` fault): the hit ratio drops to 0 and warms
-- back up linearly over 5 minutes. Reads jump to 2000/s, 2.5x what the database can do, and stay
-- above its capacity until the hit ratio is back over 60%: about 3 minutes.
--
-- On the day, the connection pooler let up to 1000 clients wait, and the catalog waited for the
-- database as long as it took. Every catalog thread ended up waiting in the database's queue
-- (the database itself only ever saw ~115 waiting: the catalog's 128 threads were the limit), and
-- the home page, which never reads a product, failed with it because it shares those threads:
--   db degraded (fault: cold_cache) -> catalog down (pool exhaustion: 98% of worker time waiting
--   on db) -> gateway down -> both journeys down;
-- a quarter of all visits failed during the five minutes (during-fault success ~75%).
--
-- The fix, two lines: the pooler's waiting room is short (16 clients: a read that would wait
-- behind more fails at once), and the catalog gives the read 250 ms and otherwise serves the
-- last-known copy of the page (optional, 2 ms fallback: a degraded answer, not an error).
-- The database runs flat out at 800 reads/s and answers them within 150 ms; the rest are served
-- stale. Product pages keep answering (the journey goes "degraded" for the first half-minute,
-- when more than half of them are stale), and the home page never notices.
--
-- What the numbers teach: a cache is not capacity. Size the database for the cold cache, or make
-- sure that what it cannot take fails fast and has somewhere to fall back to. A long queue in
-- front of an overloaded database does not save reads; it only holds the callers' threads.
-- (Each line helps alone: the short queue alone saves the home page but 19% of product views
-- fail; a timeout alone is not enough, since 2000 misses/s x 250 ms is still 500 threads.)

scenario { name = "Cache flush sends every read to the database", duration = "12m", seed = 5, window = "5s", warmup = "1m" }

service "gateway" {
  instances = 4, workers = 64, queue = 128, slo = "1s", blocking = false,
  endpoints = {
    home = { work = lognormal { median = "2ms", p99 = "15ms" }, calls = { call "catalog.list" { timeout = "2s" } } },
    product = { work = exp "1ms", calls = { call "catalog.item" { timeout = "2s" } } },
  },
}

-- The catalog: one thread pool (4 x 32) for the home page's list and the product pages.
service "catalog" {
  instances = 4, workers = 32, queue = 128, slo = "500ms",
  endpoints = {
    list = { work = lognormal { median = "3ms", p99 = "20ms" } },
    item = {
      work = exp "2ms",
      -- the cache answers 95% of reads; after a flush it warms up again over 5 minutes.
      -- the fix: 250 ms for the read, then the last-known copy of the page
      calls = { call "db.product" { cache = { hit = 0.95, warm_up = "5m" }, timeout = "250ms", optional = true, fallback = "2ms" } },
    },
  },
}

-- The database behind its connection pooler: 16 connections; the fix keeps 16 clients waiting at most.
service "db" {
  instances = 1, workers = 16, queue = 16, slo = "150ms",
  endpoints = { product = { work = exp "20ms" } },
}

traffic {
  rate = "2500/s",
  mix = { ["gateway.home"] = 0.2, ["gateway.product"] = 0.8 },
}

-- The flush at 4m; the fault's window is the cache's warm-up.
fault { target = "db", kind = "cold_cache", at = "4m", duration = "5m" }

expect "product pages keep answering, stale if need be" {
  journey = "gateway.product", success_rate = ">= 99.5%", during = "fault:db" }
expect "the home page does not notice" {
  journey = "gateway.home", success_rate = ">= 99.9%", during = "fault:db" }
expect "the database answers within its callers' patience" {
  service = "db", p99 = "< 150ms", during = "fault:db" }
