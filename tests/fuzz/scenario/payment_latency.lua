-- Incident: the payment provider slows down at peak, and the basket goes down with it.
--
-- incident: --set checkout.endpoints.place.calls.payment.timeout=none --set checkout.endpoints.place.calls.payment.bulkhead=none
--
-- As written, this file is the defended shop and its expectations pass (exit 0). The `incident:`
-- line above (the same in every file of scenarios/incidents/) gives the --set arguments that
-- rebuild the shop as it was on the day; with them the expectations fail (exit 1):
--   faultline run scenarios/incidents/payment_latency.lua \
--     --set checkout.endpoints.place.calls.payment.timeout=none \
--     --set checkout.endpoints.place.calls.payment.bulkhead=none
--
-- What happened. 2000 visits a second at the evening peak; 10% of them pay. The payment service
-- provider (PSP) normally answers in 150 ms (p99 800 ms). At 4m its fraud-check backend degrades
-- and every charge takes 1.5 s longer, for three minutes. Checkout is a thread-per-request
-- service: 4 instances x 64 threads, shared by `place` (which calls the PSP) and `basket` (the
-- basket page, which never calls it). With no timeout and no limit on the PSP call, every
-- thread ends up waiting on the PSP: 200 charges/s x 1.7 s needs 340 threads and there are 256.
-- Basket requests queue behind the charges and are rejected. The health timeline reads
--   checkout degraded (pool exhaustion: 99% of worker time waiting on payment)
--   -> journeys gateway.cart and gateway.pay degraded (failures originate at checkout),
-- and a quarter of the basket views fail (during-fault success 75%) although the basket has
-- nothing to do with payments.
--
-- The fix: a timeout on the PSP call (3 s: give up on a charge the customer has given up on) and
-- a bulkhead of 60 concurrent charges per checkout instance, which keeps 4 of its 64 threads for
-- everything else. During the fault the basket stays at 100% and the home page never notices.
--
-- What the numbers teach. Orders are lost either way: Little's law caps the charges in flight
-- at the threads you give them, so 240 bulkhead places / 1.7 s = 141 orders/s of the 200 wanted
-- (the report: ~68% of orders during the fault, against ~75% with no bulkhead at all). You
-- cannot make a slow provider fast. What the bulkhead decides is who else pays for it: with it,
-- nobody; without it, the basket (and with a blocking gateway, the home page too).

scenario { name = "Payment provider latency at peak", duration = "10m", seed = 21, window = "5s", warmup = "1m" }

-- The edge (Envoy/NGINX-like): an event loop, its workers free while requests wait downstream.
service "gateway" {
  instances = 4, workers = 64, queue = 128, slo = "1s", blocking = false,
  endpoints = {
    home = { work = lognormal { median = "2ms", p99 = "15ms" }, calls = { call "catalog.list" } },
    cart = { work = exp "1ms", calls = { call "checkout.basket" { timeout = "1s" } } },
    pay  = { work = exp "2ms", calls = { call "checkout.place" { timeout = "10s" } } },
  },
}

service "catalog" {
  instances = 3, workers = 32, queue = 128,
  endpoints = { list = { work = lognormal { median = "4ms", p99 = "30ms" } } },
}

-- Checkout: one thread pool for the basket and for placing orders.
service "checkout" {
  instances = 4, workers = 64, queue = 64, slo = "3s",
  endpoints = {
    basket = { work = exp "3ms" },
    place = {
      work = exp "5ms",
      -- the fix: give up after 3 s, and never let charges hold more than 60 of the 64 threads
      calls = { call "payment.charge" { timeout = "3s", bulkhead = 60 } },
    },
  },
}

-- The PSP is outside our walls: plenty of capacity, its latency is what changes.
service "payment" {
  instances = 8, workers = 200, queue = 100, error_rate = "0.1%",
  endpoints = { charge = { work = lognormal { median = "150ms", p99 = "800ms" } } },
}

traffic {
  rate = "2000/s",
  mix = { ["gateway.home"] = 0.65, ["gateway.cart"] = 0.25, ["gateway.pay"] = 0.10 },
}

-- 1.5 s more on every charge, from 4m to 7m (added on the way in: the PSP's own queue is fine).
fault { target = "payment", kind = "latency", latency = "1.5s", at = "4m", duration = "3m" }

expect "browsing does not notice the payment provider" {
  journey = "gateway.home", success_rate = ">= 99.9%", during = "fault:payment" }
expect "the basket keeps working while payments are slow" {
  journey = "gateway.cart", success_rate = ">= 99.5%", during = "fault:payment" }
expect "the bulkhead costs few orders: most still go through while the PSP is slow" {
  journey = "gateway.pay", success_rate = ">= 60%", during = "fault:payment" }
expect "orders go through in steady state" {
  journey = "gateway.pay", success_rate = ">= 99.5%", p99 = "< 1.5s", during = "steady" }
