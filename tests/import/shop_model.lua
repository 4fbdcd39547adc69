-- The model of tests/import/make_traces.py as a scenario, for the round trip of `run --traces`
-- through `import traces` (tests/cli_import_traces.sh): Poisson arrivals at 40/s, enough workers
-- that nothing queues, so a span's time is its work and its calls'.
scenario { name = "shop model", duration = "500s", warmup = "0s", seed = 11, window = "10s" }

service "gateway" {
  instances = 2, workers = 200, queue = math.huge,
  endpoints = {
    home = {
      work = "2ms",
      calls = {
        call "catalog.list",
        parallel { call "reviews.top", call "pricing.quote" },
        call "recommend.for_user" { p = 0.3 },
      },
    },
    search = {
      work = exp "1ms",
      calls = { call "catalog.list", call "catalog.list", call "catalog.list" { p = 0.5 } },
    },
  },
}
service "catalog" { instances = 2, workers = 200, queue = math.huge, endpoints = { list = { work = lognormal { median = "5ms", p99 = "30ms" } } } }
service "reviews" { instances = 2, workers = 200, queue = math.huge, endpoints = { top = { work = lognormal { median = "8ms", p99 = "40ms" } } } }
service "pricing" { instances = 2, workers = 200, queue = math.huge, error_rate = "1%", endpoints = { quote = { work = exp "3ms" } } }
service "recommend" { instances = 2, workers = 200, queue = math.huge, endpoints = { for_user = { work = lognormal { median = "20ms", p99 = "100ms" } } } }

traffic { rate = "40/s", mix = { ["gateway.home"] = 0.7, ["gateway.search"] = 0.3 } }
