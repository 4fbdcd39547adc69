-- Incident: a hung fraud check behind a full backlog takes the whole checkout service down.
--
-- incident: --set checkout.endpoints.pay.calls.fraud.timeout=2s
--
-- As written, this file is the defended shop and its expectations pass (exit 0). The `incident:`
-- line above gives the --set argument that rebuilds the shop as it was on the day; with it the
-- expectations fail (exit 1):
--   faultline run scenarios/incidents/hung_fraud_check.lua --set checkout.endpoints.pay.calls.fraud.timeout=2s
--
-- What happened. The checkout service (2 instances x 40 threads) takes 100 payments a second and
-- 300 cart updates a second on the same thread pool. Each payment asks the fraud-check service
-- for a score; the call is optional (no score: the payment goes through and is reviewed later),
-- with a 2 s timeout. At 3m the fraud check hangs (a deadlock in its scoring library) for 5
-- minutes: its processes stay up, its ports stay open, and it answers nothing.
--
-- A hung server does not reject anything. Its 8 threads and 32 backlog places fill within a
-- second; after that the kernel drops each new connection's SYN (tcp_abort_on_overflow = 0, here
-- overflow = "drop"), so a payment hears nothing until its own 2 s timeout. 100 payments a second
-- x 2 s is 200 threads held; the checkout has 80. Its pool is gone in under a second, and the
-- cart updates, which never call the fraud check, are rejected with the payments: the checkout
-- answers about 40% of its requests for five minutes (the fraud check's health looked "fine":
-- it never returned an error).
--
-- The fix, one number: the fraud call gives up after 250 ms. A payment then holds a thread for at
-- most 250 ms: 100/s x 0.25 s = 25 threads of the 80, and the cart never notices. The rule the
-- numbers give: a call that may hang must time out well under workers / rate -- here 80 / 100 =
-- 800 ms, the time after which the calls waiting on it hold the whole pool. Timeouts are capacity
-- planning, not patience: a timeout longer than workers / rate turns a dependency's hang into
-- your outage, whatever "optional" says.

scenario { name = "A hung fraud check behind a full backlog", duration = "12m", seed = 11, window = "5s", warmup = "1m" }

service "checkout" {
  instances = 2, workers = 40, queue = 20, slo = "1s",
  endpoints = {
    -- the fix: 250 ms for the score (on the day: 2 s), then the payment goes on without it
    pay = { work = lognormal { median = "8ms", p99 = "40ms" },
            calls = { call "fraud.score" { timeout = "250ms", optional = true } } },
    cart = { work = exp "5ms" },
  },
}

-- The fraud check: 8 threads and a listen backlog of 32; a full backlog drops SYNs, as Linux does.
service "fraud" {
  instances = 1, workers = 8, queue = 32, overflow = "drop", slo = "200ms",
  endpoints = { score = { work = lognormal { median = "15ms", p99 = "60ms" } } },
}

traffic {
  rate = "400/s",
  mix = { ["checkout.pay"] = 0.25, ["checkout.cart"] = 0.75 },
}

fault { target = "fraud", kind = "hang", at = "3m", duration = "5m" }

expect "payments go through without their score" {
  journey = "checkout.pay", success_rate = ">= 99.5%", during = "fault:fraud" }
expect "the cart does not notice the fraud check" {
  journey = "checkout.cart", success_rate = ">= 99.9%", during = "fault:fraud" }
