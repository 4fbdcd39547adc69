scenario { name = "fuzz seed", duration = "20s", seed = 5, window = "1s", warmup = "2s" }
service "front" { instances = 2, workers = 4, work = lognormal { median = "2ms", p99 = "20ms" },
  calls = { call "back" { timeout = "50ms", retries = 2, backoff = { base = "5ms", max = "50ms", jitter = "full" } },
            parallel { call "side.a", call "side.b" } } }
service "back" { workers = 2, queue = 10, work = gamma { mean = "5ms", cv = 0.5 }, error_rate = "1%" }
service "side" { endpoints = { a = { work = uniform { "1ms", "3ms" } }, b = { work = percentiles { p50 = "1ms", p99 = "9ms" } } } }
traffic { rate = surge { base = "50/s", peak = "200/s", start = "5s", ramp = "2s", hold = "5s", decay = "2s" }, mix = { front = 1 } }
fault { target = "back", kind = "latency", latency = "30ms", at = "8s", duration = "4s" }
expect "front holds" { journey = "front", success_rate = ">= 90%", during = "fault:back" }
at("10s", function(sim) sim:scale("back", 3) end)
local names = {}
for w in ("a,b,c"):gmatch("[^,]+") do names[#names + 1] = w end
