-- Incident: a flash sale outruns the autoscaler.
--
-- incident: --set shop.autoscale.min=3 --set shop.instances=3
--
-- As written, this file is the defended shop and its expectations pass (exit 0). The `incident:`
-- line above gives the --set arguments that rebuild the shop as it was on the day; with them the
-- expectations fail (exit 1):
--   faultline run scenarios/incidents/flash_sale_autoscale.lua --set shop.autoscale.min=3 --set shop.instances=3
-- (Both: the floor, and the replica count the run starts with.)
--
-- What happened. A quiet morning, 500 visits a second, 3 instances of the shop at 18% busy,
-- autoscaled by a Kubernetes HPA (60% utilization target, 15 s sync, new pods ready after 60 s
-- and twice as slow for their first minute while their JIT warms up). At 5m a push notification
-- announces a flash sale: traffic steps to 10x (5000/s) within 10 s and stays there six minutes.
-- That is 88 busy workers of the 48 that 3 instances have. The HPA reacts at its first sync
-- (3 -> 5 at 5.25m), but the new pods count as idle while they start, so it waits for them to be
-- ready before it asks for more (5 -> 9 at 6.5m, 9 -> 12 at 7.75m): the shop is saturated from
-- 5m to 7.7m (health timeline: shop degraded, saturation; both journeys degraded, failures
-- originating at the shop) and a quarter of the visits in the first three minutes of the sale
-- are rejected -- the minutes that the sale was for.
--
-- The fix: the sale was planned, so scale for it ahead. The shop's floor (autoscale.min) was
-- raised to 8 the evening before: 8 instances take the 10x step at ~70% busy, and the HPA takes
-- it from there to its 60% target (8 -> 10 at 5.5m). After the sale the hook at 13m lowers the
-- floor back to 3; the HPA scales in after its 5-minute stabilisation window (8 -> 3 at 17.8m).
--
-- What the numbers teach: an autoscaler answers load it has seen, one provisioning delay (plus
-- a sync period, plus a warm-up) later, and in steps. A flash crowd arrives in seconds. For
-- load you know is coming, the floor is the capacity plan; the autoscaler is for the rest.

scenario { name = "Flash sale outruns the autoscaler", duration = "20m", seed = 17, window = "5s", warmup = "1m" }

-- The edge: an event loop that never runs out of room.
service "gateway" {
  instances = 4, workers = 256, queue = 0, slo = "1s", blocking = false,
  endpoints = {
    product = { work = exp "1ms", calls = { call "shop.product" { timeout = "2s" } } },
    buy = { work = exp "1ms", calls = { call "shop.buy" { timeout = "5s" } } },
  },
}

-- The shop: 16 workers per instance; 90% product pages (15 ms), 10% purchases (40 ms).
-- The fix is the floor: min = 8 (and the run starts with 8), raised ahead of the sale.
service "shop" {
  instances = 8, workers = 16, queue = 100, slo = "500ms",
  autoscale = { metric = "utilization", target = 0.6, min = 8, max = 40, period = "15s", delay = "60s",
                warmup = "60s", warmup_factor = 2 },
  endpoints = {
    product = { work = exp "15ms" },
    buy = { work = exp "40ms" },
  },
}

-- 500/s, then 10x from 5m (reached in 10 s) for six minutes, back down over one.
traffic {
  rate = flash { at = "5m", factor = 10, rise = "10s", hold = "6m", decay = "1m", base = "500/s" },
  mix = { ["gateway.product"] = 0.9, ["gateway.buy"] = 0.1 },
}

-- After the sale: back to the everyday floor; the HPA scales in at its own pace.
at("13m", function(sim)
  sim:log("sale over: autoscale.min back to 3")
  sim:set("shop.autoscale.min", 3)
end)

expect "the first minutes of the sale are served" {
  journey = "gateway.product", success_rate = ">= 99%", during = { "5m", "8m" } }
expect "orders go through during the sale" {
  journey = "gateway.buy", success_rate = ">= 99%", p99 = "< 1s", during = { "5m", "11m" } }
