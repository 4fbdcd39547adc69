-- M/M/c/c (Erlang's loss system): 10 workers and no waiting room, Poisson arrivals at 8/s,
-- exponential work of mean 1 s (offered load a = 8 erlangs).
-- Theory (Erlang B): B(10, 8) = 0.12166 of arrivals rejected; busy workers a (1 - B) = 7.027;
-- answered requests take their work alone (mean 1 s). Erlang B depends on the work distribution
-- only through its mean: lognormal { mean = "1s", cv = 1.5 } gives the same numbers.
scenario { name = "M/M/10/10", duration = "50000s", seed = 1, warmup = "1000s", window = "100s" }
service "s" { instances = 1, workers = 10, queue = 0, work = exp "1s" }
traffic { rate = 8, mix = { s = 1 } }
