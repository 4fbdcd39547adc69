-- Benchmark: Poisson arrivals at 1000/s into a non-blocking gateway (4 workers, exp work of mean
-- 2.8 ms) that calls three services in parallel (2 workers each, exp work of mean 1.4 ms) and
-- waits for all three: 70% load everywhere; 5 million arrivals (5000 simulated seconds).
scenario { name = "bench fan-out", duration = "5000s", seed = 1, window = "10s" }
service "gateway" {
  workers = 4, queue = math.huge, blocking = false, work = exp "2.8ms",
  calls = { parallel { call "a", call "b", call "c" } },
}
service "a" { workers = 2, queue = math.huge, work = exp "1.4ms" }
service "b" { workers = 2, queue = math.huge, work = exp "1.4ms" }
service "c" { workers = 2, queue = math.huge, work = exp "1.4ms" }
traffic { rate = "1000/s", mix = { gateway = 1 } }
