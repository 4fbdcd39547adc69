-- M/D/1: one worker, Poisson arrivals at 0.8/s, constant work of 1 s, unbounded queue.
-- Theory (Pollaczek-Khinchine, Wq = lambda E[S^2] / (2 (1 - rho))): mean wait 2 s (half the
-- M/M/1 wait), mean response 3 s, mean queue 1.6, utilisation 0.8.
scenario { name = "M/D/1", duration = "200000s", seed = 1, warmup = "1000s", window = "100s" }
service "s" { instances = 1, workers = 1, queue = math.huge, work = const "1s" }
traffic { rate = 0.8, mix = { s = 1 } }
