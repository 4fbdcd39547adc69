-- Incident: the load test passed, Black Friday did not. A k6 ramping-VU test holds the shop at
-- 12000 virtual users; the same peak as real shoppers overflows it.
--
-- incident: --set traffic.users=0 --set traffic.rate.peak=11650/s
--
-- As written, this file is the test the team ran before the sale, and its expectations pass
-- (exit 0): that is the trap. The `incident:` line replays the same ramp as the shoppers really
-- come -- open arrivals at the rate the test's users send while the shop is fast -- and the same
-- shop fails the same expectations (exit 1):
--   faultline run scenarios/incidents/k6_closed_loop.lua --set traffic.users=0 --set traffic.rate.peak=11650/s
--
-- What happened. The shop is the Black Friday shop of scenarios/black_friday.lua, unchanged. The
-- test (k6's ramping-vus executor, stages 0 -> 12000 users over 1m, held 2m, down over 1m; each
-- virtual user loads a page of the usual mix, sleeps 0.5-1.5 s, and loads the next) was sized
-- from the plan: 12000 users / (1 s think + 30 ms per page) = 11650 pages/s. Above ~10400/s the
-- recommendation engine saturates, the gateway's threads wait on it, and pages slow from 26 ms to
-- 105 ms at p50. Each virtual user waits for its page before it thinks, so the slower pages
-- slow the users: the test's load stops rising at 10450/s -- exactly what the shop can carry --
-- and the gateway's waiting room never fills (at most 1153 of 3072 places). Checkout succeeds
-- 99.78% (the payment provider's own 0.2% errors), the home page 100%: the test passes.
-- Shoppers do not wait for each other. On the day they arrived at the planned 11650/s whatever
-- the shop's speed; the 1200/s the shop could not carry piled up in the gateway's room (full at
-- 3072), and from there every page was refused: 6.9% of all requests rejected, checkout 89.8%,
-- the home page 89.9%, p50 322 ms.
--
-- The lesson: a closed-loop test measures the shop's capacity, not its behaviour beyond it. Its
-- users slow down with the system (X = N / (Z + R): here 0.90 pages per user per second instead
-- of 0.97), so overload turns into latency and never into errors. Open traffic shows the
-- overload. To test a peak, drive the arrival rate (k6's constant-arrival-rate or
-- ramping-arrival-rate executors; here: rate = ...), or at least check that the test's achieved
-- rate is the planned one: the summary's users line (0.903/s per user) and the gateway's
-- arrival series give it away.

scenario { name = "k6 ramping-VU test of the Black Friday shop", duration = "4m", seed = 42, window = "10s" }

-- The shop of scenarios/black_friday.lua, unchanged.
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

-- The test: 12000 virtual users ramped by k6-style stages, each sleeping 0.5-1.5 s between
-- pages. The open part (rate) is off in the test; the incident line turns the users off and the
-- same ramp on as arrivals: surge { base = 0, peak = 11650/s } over the same stages.
traffic {
  users = stages { {"0s", 0}, {"1m", 12000}, {"3m", 12000}, {"4m", 0} },
  think = uniform { "0.5s", "1.5s" },
  rate = surge { base = 0, peak = 0, start = "0s", ramp = "1m", hold = "2m", decay = "1m" },
  mix = {
    ["gateway.home"] = 0.35,
    ["gateway.search"] = 0.25,
    ["gateway.product"] = 0.25,
    ["gateway.cart"] = 0.10,
    ["gateway.checkout"] = 0.05,
  },
}

expect "checkout succeeds at the peak" { journey = "gateway.checkout", success_rate = ">= 99.5%", during = { "1m", "3m" } }
expect "the home page answers at the peak" { journey = "gateway.home", success_rate = ">= 99%", during = { "1m", "3m" } }
