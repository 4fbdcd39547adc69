-- Benchmark: an M/M/1 queue at 80% load, 10 million arrivals (12.5 million simulated seconds).
scenario { name = "bench M/M/1", duration = "12500000s", seed = 1, window = "1000s" }
service "s" { instances = 1, workers = 1, queue = math.huge, work = exp "1s" }
traffic { rate = 0.8, mix = { s = 1 } }
