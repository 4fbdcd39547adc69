-- The example of the design contract (../shared/DESIGN.md, "The scenario language"), completed
-- with the services it names but leaves out, so that it loads and runs as written there.
-- tests/cli_design.sh keeps it working.
scenario { name = "Black Friday", duration = "3h", seed = 42, window = "1s", warmup = "5m" }

service "gateway" {
  instances = 4, workers = 64, queue = 256, slo = "300ms",
  endpoints = {
    home = {
      work = lognormal { median = "2ms", p99 = "20ms" },
      calls = {
        call "catalog.list",
        call "recommend.for_user" { timeout = "150ms", optional = true, fallback = "1ms",
          breaker = { failure_rate = 0.5, window = 100, min_calls = 20, open_for = "30s", half_open_calls = 5 } },
        parallel { call "reviews.top", call "pricing.quote" },
      },
    },
    search = { work = exp "1ms", calls = { call "catalog.list" } },
    checkout = {
      work = exp "3ms",
      calls = { call "cart.get", call "inventory.reserve",
                call "payment.charge" { timeout = "2s", retries = 2, backoff = { base = "50ms", max = "1s", jitter = "full" } } },
    },
  },
}

service "recommend" { instances = 3, workers = 16, queue = 64, work = exp "25ms" }
-- distributions: const "5ms", exp "3ms" (mean), lognormal{median=,p99=} or {mean=,cv=},
-- gamma{mean=,cv=}, uniform{"1ms","5ms"}, percentiles{p50="12ms", p90="40ms", p99="180ms"}
service "catalog" { instances = 4, workers = 32, endpoints = { list = { work = gamma { mean = "4ms", cv = 0.5 } } } }
service "reviews" { instances = 4, workers = 32, endpoints = { top = { work = uniform { "1ms", "5ms" } } } }
service "pricing" { instances = 4, workers = 32, endpoints = { quote = { work = const "2ms" } } }
service "cart" { instances = 2, workers = 32, endpoints = { get = { work = exp "3ms" } } }
service "inventory" { instances = 2, workers = 32, endpoints = { reserve = { work = percentiles { p50 = "12ms", p90 = "40ms", p99 = "180ms" } } } }
service "payment" { instances = 4, workers = 64, endpoints = { charge = { work = lognormal { mean = "150ms", cv = 1 } } } }
service "checkout" { instances = 2, workers = 16, work = exp "2ms", calls = { call "payment.charge" } }

traffic {
  rate = surge { base = "1500/s", peak = "18000/s", start = "30m", ramp = "10m", hold = "1h", decay = "20m" },
  mix = { ["gateway.home"] = 0.6, ["gateway.search"] = 0.25, ["gateway.checkout"] = 0.15 },
}

fault { target = "recommend", kind = "crash", at = "40m", duration = "15m" }
fault { from = "checkout", to = "payment", kind = "partition", at = "1h", duration = "2m" }

expect "checkout survives the recommendation outage" {
  journey = "gateway.checkout", success_rate = ">= 99.5%", during = "fault:recommend" }

at("45m", function(sim) sim:scale("recommend", 6) end)
