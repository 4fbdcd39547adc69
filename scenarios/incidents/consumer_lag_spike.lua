-- Incident: the database slows down for three minutes, and invoices go out five minutes late.
--
-- incident: --set invoice.workers=4
--
-- As written, this file is the defended shop and its expectations pass (exit 0). The `incident:`
-- line above gives the --set arguments that rebuild the shop as it was on the day; with them the
-- expectations fail (exit 1):
--   faultline run scenarios/incidents/consumer_lag_spike.lua --set invoice.workers=4
--
-- What happened. 100 orders a second; each order is written to the database and published to the
-- order_events broker, and the invoice service consumes every event (40 ms of work and a 10 ms
-- database write: 50 ms a message). Invoice ran 2 instances x 4 workers: 8 messages at a time,
-- 160 a second, 62% busy on a normal day. At 4m a vacuum on the database makes every query 10x
-- slower (100 ms) for three minutes. Checkout slows down but answers: the broker takes the
-- orders. Invoice now needs 140 ms a message and drains 57 a second of the 100 that arrive; the
-- lag grows by over 40 messages a second, to 8,708 when the database is back, and invoices (the
-- e-mail the customer waits for) go out a minute and a half late. After the fault the spare
-- capacity is 160 - 100 = 60 messages a second: a minute after the end 5,238 still wait, and the
-- broker is back to ok only at 9.33m, 2.3 minutes after the database. No request ever fails;
-- the broker turns `degraded` on its lag (lag = 1000: "backlog: 1442 messages waiting, the
-- oldest 14.2s; invoice.create behind") and the cascade block names the sizes:
--   effects: db p99 ×9.9 (46ms → 456ms), checkout p99 ×9.4 (47.7ms → 450ms), journey
--   checkout.place p99 ×9.4 (47.7ms → 450ms), invoice p99 ×5.6 (94.4ms → 528ms),
--   order_events lag 8708 messages (was 2)
--
-- The fix: headroom on the consumer. 2 x 24 workers drain 340 messages a second even with the
-- slow database: the lag stays at 0 and the same fault is only "db p99 ×9.9" and its callers.
--
-- The lesson. A consumer sized for the average day turns every slowdown below it into a backlog,
-- and the backlog outlives the fault: drain time = lag / (capacity - arrival rate). Size a
-- consumer for the slow day, and state the recovery as a hypothesis (recovers_within) rather
-- than a clock time.

scenario { name = "consumer lag spike", duration = "12m", seed = 43, window = "5s", warmup = "30s" }

service "checkout" {
  instances = 2, workers = 200, queue = 2000,
  endpoints = { place = { work = exp "3ms", calls = { call "db.write", call "order_events" { async = true } } } },
}
service "order_events" { kind = "broker", consumers = { "invoice.create" }, lag = 1000, age = "60s" }
service "invoice" {
  instances = 2, workers = 24, queue = 100,
  endpoints = { create = { work = lognormal { median = "38ms", p99 = "70ms" }, calls = { call "db.write" } } },
}
service "db" { instances = 2, workers = 400, queue = 5000, endpoints = { write = { work = exp "10ms" } } }

traffic { rate = "100/s", mix = { ["checkout.place"] = 1 } }

fault { name = "db vacuum", target = "db", kind = "slowdown", factor = 10, at = "4m", duration = "3m" }

expect "invoices keep up while the database is slow" { service = "order_events", lag = "< 500", age = "< 10s", during = "fault:db vacuum" }
expect "the backlog is gone within a minute" { service = "order_events", lag = "< 50", during = "after:db vacuum", recovers_within = "1m" }
expect "orders are taken" { journey = "checkout.place", success_rate = ">= 99.9%" }
