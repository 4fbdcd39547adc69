-- Two M/M/1 queues in tandem (Burke): "a" (non-blocking: its worker is freed after its own work)
-- does exponential work of mean 1 s, then calls "b" (exponential, mean 1.5 s); Poisson at 0.5/s.
-- Theory: a's departures are Poisson, so b is M/M/1 at rho 0.75 (mean response 6 s) and a's own
-- stage M/M/1 at rho 0.5 (2 s); the stages are independent: the journey's response is
-- hypoexponential with rates 0.5 and 1/6, mean 8 s, median 6.345 s, p90 16.24 s.
-- Busy workers: a 0.5, b 0.75; b's mean queue 2.25.
scenario { name = "tandem", duration = "400000s", seed = 1, warmup = "1000s", window = "100s" }
service "a" { workers = 1, queue = math.huge, blocking = false, work = exp "1s", calls = { call "b" } }
service "b" { workers = 1, queue = math.huge, work = exp "1.5s" }
traffic { rate = 0.5, mix = { a = 1 } }
