-- Black Friday with autoscaling: the lag between the surge and ready instances, and what
-- pre-scaling an hour before changes.
--
-- incident: --set gateway.autoscale.min=2 --set catalog.autoscale.min=2 --set recommend.autoscale.min=2 --set reviews.autoscale.min=2 --set search.autoscale.min=2
--
-- The shop of scenarios/black_friday.lua -- same services, same evening rate (600/s) and peak
-- (6000/s), same journey mix -- with a Kubernetes HPA on the five services the home and product
-- pages fan out to: gateway, catalog, recommend, reviews, search (60% utilization target, 15 s
-- sync, the default 5-minute scale-down stabilisation). New pods are ready two minutes after the
-- HPA asks for them: on Black Friday the node pool is full, so they wait for the cluster
-- autoscaler to add nodes. Shorter than black_friday.lua so that it runs in a few seconds: t=0
-- is 19:50, the deals go live at 20:00 (t=10m) and the crowd arrives within five minutes (the
-- ramp is 5m instead of 15m), holds for five and leaves over five.
--
-- As written (exit 0): PRE-SCALED. At 19:00, an hour before the deals, the on-call raised each
-- HPA's floor (autoscale.min) to the peak's size -- gateway 6, catalog 3, recommend 8, reviews 4,
-- search 3 -- and the pods were ready long before 20:00 (the run starts with them). The surge
-- meets its capacity: no scaling at all until the surge is over, every journey as in steady state
-- (home p99 135 ms, search p99 183 ms, checkout 99.8% -- its 0.2% are the payment provider's own
-- errors). At 20m the hook below puts the floors back to 2 and the HPA scales in as the crowd
-- leaves, one stabilisation window later (from t=24.8m: "scaling" in the summary).
--
-- The `incident:` line above (exit 1): HPA ALONE. The floors stay at the evening's 2 (the HPA
-- brings the replicas down to them at its first sync, t=15s):
--   faultline run scenarios/black_friday_autoscale.lua --set gateway.autoscale.min=2 \
--     --set catalog.autoscale.min=2 --set recommend.autoscale.min=2 --set reviews.autoscale.min=2 \
--     --set search.autoscale.min=2
-- The summary's "scaling" section shows the lag: the HPA first sees recommend over target at
-- 11.25m (2 -> 3), but the pod it asked for counts as idle until it is ready at 13.25m, so the
-- next step waits (3 -> 5 at 13.5m, 5 -> 8 at 15.75m, ready at 17.75m): recommend reaches its
-- peak size almost eight minutes after the surge began. Meanwhile recommend saturates at 11.8m,
-- the gateway's threads pile up waiting on it (the HPA then scales the gateway too, 2 -> 7, for
-- threads that are only waiting), and from 12m to 15.5m every journey is degraded, 17-19%
-- failing (rejected at the gateway). Over the surge's first ten minutes 10% of visits and 10%
-- of orders fail (the expectations' observed values).
--
-- What the numbers teach: an autoscaler is a feedback loop with a delay -- the sync period, the
-- pods' start, and here the nodes' -- and it cannot see load that has not arrived. It keeps up
-- with a ramp that is slow compared to that delay: with pods ready in 45 s the HPA alone holds
-- even this 5-minute ramp (add --set NAME.autoscale.delay=45s for the five services: home p99
-- 180 ms, 99.96% success). With two minutes it cannot. For a surge you can see in the calendar,
-- pre-scale: raise the floor ahead of it and lower it after.
--
-- The JSON report (--json) has each service's ready instances per 10 s window in
-- series.services.NAME.instances, next to its arrivals: the lag, plotted.

scenario { name = "Black Friday with autoscaling", duration = "30m", seed = 42, window = "10s", warmup = "5m" }

-- Autoscaled services: `autoscale` is the HPA; min is the floor, raised ahead of the surge (the
-- incident variant sets it back to 2). `instances` is where the run starts: the floor.
service "gateway" {
  autoscale = { target = 0.6, min = 6, max = 24, delay = "2m" },
  instances = 6, workers = 64, queue = 256, slo = "1s",   -- checkout waits on the payment provider
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
  autoscale = { target = 0.6, min = 3, max = 12, delay = "2m" },
  instances = 3, workers = 16, queue = 128, slo = "50ms",
  endpoints = {
    list = { work = lognormal { median = "4ms", p99 = "30ms" } },
    item = { work = lognormal { median = "3ms", p99 = "25ms" } },
  },
}

-- The recommendation engine: a model server, slow-ish and CPU bound.
service "recommend" {
  autoscale = { target = 0.6, min = 8, max = 24, delay = "2m" },
  instances = 8, workers = 16, queue = 64, slo = "120ms",
  endpoints = {
    for_user = { work = exp "25ms" },
    similar = { work = exp "15ms" },
  },
}

service "reviews" {
  autoscale = { target = 0.6, min = 4, max = 12, delay = "2m" },
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
  autoscale = { target = 0.6, min = 3, max = 12, delay = "2m" },
  instances = 3, workers = 24, queue = 128, slo = "250ms",
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
  rate = surge { base = "600/s", peak = "6000/s", start = "10m", ramp = "5m", hold = "5m", decay = "5m" },
  mix = {
    ["gateway.home"] = 0.35,
    ["gateway.search"] = 0.25,
    ["gateway.product"] = 0.25,
    ["gateway.cart"] = 0.10,
    ["gateway.checkout"] = 0.05,
  },
}

-- After the first wave (20:10): the floors go back to the everyday 2.
at("20m", function(sim)
  sim:log("surge over: autoscale floors back to 2")
  for _, svc in ipairs({ "gateway", "catalog", "recommend", "reviews", "search" }) do
    sim:set(svc .. ".autoscale.min", 2)
  end
end)

-- The surge: from the deals going live to the end of the hold.
expect "the home page holds through the surge" {
  journey = "gateway.home", success_rate = ">= 99.5%", p99 = "< 300ms", during = { "10m", "20m" } }
expect "orders go through during the surge" {
  journey = "gateway.checkout", success_rate = ">= 99.5%", during = { "10m", "20m" } }
expect "search stays fast at the peak" {
  journey = "gateway.search", success_rate = ">= 99.5%", p99 = "< 500ms", during = { "10m", "20m" } }
