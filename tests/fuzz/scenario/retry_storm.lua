-- A retry storm: the metastable failure of Bronson et al. (HotOS'21) and Huang et al. (OSDI'22).
--
-- The lesson. A service runs at 80% load, comfortably. Its clients give each attempt 1 s and
-- retry three times at once when it fails; the server is not told when a client gives up, so it
-- goes on working for nobody. At 30 s a burst doubles the load for 10 s. The queue grows, waits
-- pass 1 s, attempts time out and come back three more times: the offered load becomes up to 4x
-- the real one. When the burst ends, nothing changes: the retries alone keep the server busy with
-- requests whose clients have already left, and goodput stays at zero. The trigger is gone; the
-- failure stays. That is a metastable failure.
--
-- Cures, each selectable from the command line:
--   no retries:          --set client.calls.server.retries=0
--   a retry budget:      --set client.calls.server.retry_budget.ratio=0.1
--   a circuit breaker:   --set client.calls.server.breaker.enabled=true \
--                        --set client.calls.server.breaker.window=50 --set client.calls.server.breaker.min_calls=20 \
--                        --set client.calls.server.breaker.open_for=5s
-- Not a cure: exponential backoff with jitter alone spreads the retries in time but does not
-- reduce their number:
--   --set client.calls.server.backoff.base=100ms --set client.calls.server.backoff.max=2s \
--   --set client.calls.server.backoff.jitter=full

scenario { name = "Retry storm", duration = "5m", seed = 11, window = "1s", warmup = "10s" }

-- The clients: an event loop that never runs out of room, so that all the pressure reaches
-- the server.
service "client" {
  instances = 1, workers = 100000, queue = 0, blocking = false,
  work = const "0s",
  calls = { call "server" { timeout = "1s", retries = 3 } },
}

-- The server: 10 workers, 100 ms of work each: 100 requests a second at most.
service "server" {
  instances = 1, workers = 10, queue = 1000, slo = "500ms",
  work = exp "100ms",
}

-- 80 requests a second, doubled between 30 s and 40 s.
traffic {
  rate = piecewise { { "0s", "80/s" }, { "30s", "80/s" }, { "30.001s", "160/s" }, { "40s", "160/s" },
                     { "40.001s", "80/s" } },
  mix = { client = 1 },
}

expect "the shop recovers within a minute of the burst" {
  journey = "client", success_rate = ">= 99%", during = { "100s", "5m" } }
