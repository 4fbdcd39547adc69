-- Black Friday at a web shop: a normal evening that turns into the year's peak.
--
-- This file is the tour of the scenario language: read it top to bottom.
-- Run it:   faultline run scenarios/black_friday.lua --json out/black_friday.json
-- Check it: faultline check scenarios/black_friday.lua   (validates and prints the model)
--
-- Units: plain numbers are seconds and per-second rates; strings carry units:
--   durations "250us" "12ms" "1.5s" "10m" "2h", rates "2000/s" "90000/m", shares "99.5%".

scenario {
  name = "Black Friday",
  duration = "2h",       -- simulated time
  seed = 42,             -- same seed, same numbers: runs are reproducible
  window = "10s",        -- statistics are kept per 10 s window (the report's series)
  warmup = "5m",         -- the first 5 minutes fill the queues and are left out of the summary
}

-- A service is `instances` replicas behind a balancer. Each instance has `workers` (its
-- concurrency: threads, connections) and a waiting room of `queue` places; a request that
-- finds the room full is rejected at once. `slo` is the latency it promises (p99).
--
-- By default a worker stays held while its request waits on the calls it makes
-- (thread-per-request servers); this is how a slow dependency exhausts its callers' pools.
-- `blocking = false` declares an event-loop service whose workers are free while waiting.
service "gateway" {
  instances = 12, workers = 64, queue = 256, slo = "1s",   -- checkout waits on the payment provider
  balancer = "least_outstanding",
  endpoints = {
    -- Each endpoint does its local `work` (a distribution of processing time), then its
    -- `calls` in order. `parallel { ... }` runs a group of calls at once and waits for all.
    home = {
      work = lognormal { median = "2ms", p99 = "20ms" },
      calls = {
        call "catalog.list",
        -- An optional call may fail: the page is then served with a fallback (here: a
        -- static list of bestsellers, 1 ms) and the request counts as degraded.
        call "recommend.for_user" { timeout = "150ms", optional = true, fallback = "1ms" },
        parallel { call "reviews.top", call "pricing.quote" },
      },
    },
    search = {
      work = exp "1ms",
      calls = { call "search.query" { timeout = "1s" } },
    },
    product = {
      work = lognormal { median = "2ms", p99 = "15ms" },
      calls = {
        call "catalog.item",
        parallel { call "reviews.top", call "pricing.quote", call "inventory.check" },
        call "recommend.similar" { timeout = "100ms", optional = true, fallback = "1ms" },
      },
    },
    cart = {
      work = exp "1ms",
      calls = { call "cart.get" },
    },
    checkout = {
      work = exp "2ms",
      calls = { call "checkout.place" { timeout = "5s" } },
    },
  },
}

-- Distributions: const "5ms", exp "3ms" (mean), lognormal { median =, p99 = } or
-- { mean =, cv = }, gamma { mean =, cv = }, uniform { "1ms", "5ms" },
-- percentiles { p50 = "12ms", p90 = "40ms", p99 = "180ms" } (measured latencies).
service "catalog" {
  instances = 3, workers = 16, queue = 128, slo = "50ms",
  endpoints = {
    list = { work = lognormal { median = "4ms", p99 = "30ms" } },
    item = { work = lognormal { median = "3ms", p99 = "25ms" } },
  },
}

-- The recommendation engine: a model server, slow-ish and CPU bound.
service "recommend" {
  instances = 8, workers = 16, queue = 64, slo = "120ms",
  endpoints = {
    for_user = { work = exp "25ms" },
    similar = { work = exp "15ms" },
  },
}

service "reviews" {
  instances = 4, workers = 16, queue = 128,
  endpoints = { top = { work = gamma { mean = "8ms", cv = 0.8 } } },
}

-- Pricing is an event-loop service (non-blocking): cheap per request, many in flight.
service "pricing" {
  instances = 3, workers = 8, queue = 512, blocking = false,
  endpoints = { quote = { work = exp "1ms" } },
}

-- Search: heavy-tailed query times measured in production, given as percentiles.
service "search" {
  instances = 4, workers = 24, queue = 128, slo = "250ms",
  endpoints = {
    query = {
      work = percentiles { p50 = "12ms", p90 = "40ms", p99 = "180ms" },
      calls = { call "pricing.quote" },
    },
  },
}

service "cart" {
  instances = 2, workers = 32, queue = 128,
  endpoints = {
    get = { work = exp "3ms", calls = { call "pricing.quote" } },
  },
}

service "inventory" {
  instances = 2, workers = 16, queue = 128,
  endpoints = {
    check = { work = exp "2ms" },
    reserve = { work = lognormal { median = "8ms", p99 = "60ms" } },   -- a database write
  },
}

service "checkout" {
  instances = 4, workers = 32, queue = 64, slo = "2s",
  endpoints = {
    place = {
      work = exp "5ms",
      calls = {
        call "cart.get",
        call "inventory.reserve",
        call "payment.charge" { timeout = "3s" },
      },
    },
  },
}

-- The payment provider is outside our walls: slow, and 0.2% of charges fail.
service "payment" {
  instances = 4, workers = 32, queue = 64, error_rate = "0.2%",
  endpoints = { charge = { work = lognormal { median = "150ms", p99 = "800ms" } } },
}

-- Traffic is open-loop: users arrive as a Poisson process whose rate follows a profile,
-- whatever the shop's state. A surge: the normal evening rate, a ramp to the peak when the
-- deals go live, the peak held, then a decay back. `mix` splits arrivals over the entry
-- endpoints (journeys); the shares sum to 1.
traffic {
  rate = surge { base = "600/s", peak = "6000/s", start = "30m", ramp = "15m", hold = "45m", decay = "15m" },
  mix = {
    ["gateway.home"] = 0.35,
    ["gateway.search"] = 0.25,
    ["gateway.product"] = 0.25,
    ["gateway.cart"] = 0.10,
    ["gateway.checkout"] = 0.05,
  },
}

-- Faults: what if the recommendation engine dies at the peak? A crash takes every instance down
-- for ten minutes; the balancer notices within its health check (5 s by default). The home and
-- product pages call it with a short timeout and a fallback, so they degrade instead of failing.
fault { target = "recommend", kind = "crash", at = "55m", duration = "10m" }

-- Expectations turn the design's promises into checks: `faultline run` exits 1 when one fails,
-- so a CI job can hold the line. `during` picks the windows: "all", "steady" (no fault active),
-- "fault:NAME" (while that fault is active) or { "from", "to" }.
expect "checkout survives the recommendation outage" {
  journey = "gateway.checkout", success_rate = ">= 99.5%", during = "fault:recommend" }
expect "the home page still answers, degraded" {
  journey = "gateway.home", success_rate = ">= 99.9%", during = "fault:recommend" }
expect "search stays fast at the peak" { journey = "gateway.search", p99 = "< 500ms", during = { "45m", "90m" } }
expect "checkout p99 under two seconds in steady state" { journey = "gateway.checkout", p99 = "< 2s", during = "steady" }

-- Hooks run Lua at a time or every interval while the simulation runs (never per request):
-- sim.now, sim:stats(name), sim:inject{...}, sim:heal(name), sim:scale(service, n),
-- sim:set(path, value), sim:log(message).
every("30m", function(sim)
  local g = sim:stats("gateway")
  sim:log(string.format("gateway: %d requests this window, utilization %.0f%%, p99 %.0fms",
                        g.arrivals, 100 * g.utilization, 1000 * g.p99))
end)
