-- A blocking (thread-per-request) caller: "a" (32 workers, exponential work of mean 1 s) holds
-- its worker while it calls "b" (one worker, exponential, mean 1 s); Poisson at 0.5/s.
-- Theory: b is M/M/1 at rho 0.5 (mean response 2 s); a never queues, so each request holds a
-- worker for its work plus b's response: busy workers lambda (1 + 2) = 1.5 (0.5 with
-- blocking = false), utilisation 1.5/32 = 0.047, a's mean response 3 s.
scenario { name = "blocking caller", duration = "400000s", seed = 1, warmup = "1000s", window = "100s" }
service "a" { workers = 32, queue = math.huge, work = exp "1s", calls = { call "b" } }
service "b" { workers = 1, queue = math.huge, work = exp "1s" }
traffic { rate = 0.5, mix = { a = 1 } }
