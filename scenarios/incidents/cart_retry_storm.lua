-- Incident: a routine node drain turns into a retry storm that outlives it.
--
-- incident: --set gateway.endpoints.add.calls.cart.retry_budget.ratio=1 --set gateway.endpoints.add.calls.cart.retry_budget.min_per_s=1000000/s
--
-- As written, this file is the defended shop and its expectations pass (exit 0). The `incident:`
-- line above gives the --set arguments that rebuild the shop as it was on the day; with them the
-- expectations fail (exit 1). (A retry budget cannot be switched off with --set, so the incident
-- makes it one that never binds: a million retries a second.)
--   faultline run scenarios/incidents/cart_retry_storm.lua \
--     --set gateway.endpoints.add.calls.cart.retry_budget.ratio=1 \
--     --set gateway.endpoints.add.calls.cart.retry_budget.min_per_s=1000000/s
--
-- What happened. "Add to basket" calls the cart service: 2400 requests/s on 4 instances that can
-- do 3200/s (75% busy). The gateway gives each attempt 500 ms and, like most client libraries'
-- defaults, retries three times at once. The cart's instances let 1000 requests wait each. At 3m
-- a node pool upgrade drains two of the four instances for 20 s. Half the capacity (1600/s) for
-- 2400/s: the queues grow past 500 ms of waiting within two seconds, every attempt times out, and
-- each comes back three more times. The cart keeps working (91% busy) -- on requests whose callers
-- have already given up, since a caller's timeout does not reach the server. When the two
-- instances come back at 3m20s nothing changes: up to 4 x 2400 attempts/s meet 3200/s of capacity
-- and queues that stay full. 1.15 million calls became 3.3 million attempts; the share of
-- successful adds after the drain is 0.35%, and it stays there: a metastable failure. The
-- trigger is gone, the outage is not (the timeline shows no recovery).
--
-- The fix: a retry budget (as Envoy's and Finagle's): retries may not exceed 10% of the calls of
-- the last second (at least 10/s). During the drain the budget denies 50,000 retries and lets
-- 5,900 through; the queues drain as soon as the instances are back and the cart is healthy six
-- seconds after the drain ends (health timeline: gateway and cart ok at t=206s).
--
-- What the numbers teach: retries are load. Without a budget they multiply the load exactly when
-- capacity is short, and a queue longer than the callers' patience turns that load into work for
-- nobody. A budget keeps the help retries give to rare failures and refuses it to mass failures.
-- (Deadline propagation alone does not cure it: with --set ...calls.cart.deadline=true and no
-- budget the queue settles just under the deadline and goodput stays at 5%.)
--
-- Note: during the 20 s of the drain itself even the defended shop serves only ~5% of adds: its
-- FIFO queues are longer than the 500 ms timeout, so what is served had mostly been given up.
-- A shorter queue would help there; the budget is what ends the outage with the drain.

scenario { name = "Retry storm after a node drain", duration = "8m", seed = 13, window = "2s", warmup = "30s" }

-- The edge: an event loop that never runs out of room, so that all the pressure reaches the cart.
service "gateway" {
  instances = 4, workers = 256, queue = 0, blocking = false,
  endpoints = {
    -- three immediate retries, as client libraries do by default; the fix is the budget
    add = { work = exp "1ms", calls = { call "cart.add" { timeout = "500ms", retries = 3,
                                                         retry_budget = { ratio = 0.1, min_per_s = 10 } } } },
  },
}

-- The cart: 4 x 16 workers x 20 ms = 3200 adds/s; 1000 requests may wait per instance.
service "cart" {
  instances = 4, workers = 16, queue = 1000, slo = "300ms",
  endpoints = { add = { work = exp "20ms" } },
}

traffic { rate = "2400/s", mix = { ["gateway.add"] = 1 } }

-- Two of the four instances drained for 20 s at 3m.
fault { name = "drain", target = "cart", kind = "capacity", instances = 2, at = "3m", duration = "20s" }

expect "the cart is back within a minute of the drain" {
  journey = "gateway.add", success_rate = ">= 99.5%", during = { "260s", "8m" } }
expect "the cart is fast in steady state" {
  journey = "gateway.add", p99 = "< 300ms", during = { "30s", "3m" } }
