-- M/M/1: one server, Poisson arrivals at 0.8/s, exponential work of mean 1 s, unbounded queue.
-- Theory: utilisation 0.8, mean response time 1/(mu - lambda) = 5 s, mean queue 3.2.
scenario { name = "M/M/1", duration = "200000s", seed = 1, warmup = "1000s", window = "100s" }
service "s" { instances = 1, workers = 1, queue = math.huge, work = exp "1s" }
traffic { rate = 0.8, mix = { s = 1 } }
