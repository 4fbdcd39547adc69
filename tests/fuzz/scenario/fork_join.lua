-- Fork-join of two M/M/1 queues: "g" (non-blocking, no work of its own) calls "p" and "q" in
-- parallel and waits for both; each does exponential work of mean 1 s; Poisson at 0.6/s.
-- Theory: p and q are M/M/1 at rho 0.6 (mean response 2.5 s); they see the same arrival
-- instants, and the mean fork-join response is exactly (12 - rho)/8 x 1/(mu - lambda) = 3.5625 s
-- (Flatto and Hahn 1984; Nelson and Tantawi 1988), against 3.75 s were p and q independent.
scenario { name = "fork-join", duration = "400000s", seed = 1, warmup = "1000s", window = "100s" }
service "g" { workers = 1, queue = math.huge, blocking = false, work = const "0s",
              calls = { parallel { call "p", call "q" } } }
service "p" { workers = 1, queue = math.huge, work = exp "1s" }
service "q" { workers = 1, queue = math.huge, work = exp "1s" }
traffic { rate = 0.6, mix = { g = 1 } }
