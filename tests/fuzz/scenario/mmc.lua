-- M/M/c: 4 workers sharing one FIFO queue (one instance), Poisson arrivals at 3.4/s, exponential
-- work of mean 1 s: 85% load per worker.
-- Theory (Erlang C): P(wait > 0) = C(4, 3.4) = 0.6893, mean wait C/(c mu - lambda) = 1.149 s,
-- mean response 2.149 s, mean queue C rho/(1 - rho) = 3.906, busy workers 3.4.
-- With --set s.workers=16 --set traffic.rate=13.6 (M/M/16, same load): C = 0.4332,
-- mean wait 0.1805 s, mean response 1.1805 s, mean queue 2.455, busy workers 13.6.
scenario { name = "M/M/c", duration = "100000s", seed = 1, warmup = "1000s", window = "100s" }
service "s" { instances = 1, workers = 4, queue = math.huge, work = exp "1s" }
traffic { rate = 3.4, mix = { s = 1 } }
