-- The recommendation engine dies at the peak.
--
-- Story: at 10:00 on Black Friday the recommendation engine's JVMs lock up in a garbage-
-- collection spiral: connections are accepted, nothing is answered (a `hang`). The home page
-- calls it on every visit. What happens to checkout, which never calls it?
--
-- Variant A (as written): the gateway calls recommend with no timeout. Its thread-per-request
-- workers pile up waiting on recommend, the pool runs dry, the gateway's waiting room fills and
-- every journey fails -- checkout included. The cascade:
--   recommend down (fault) -> gateway down (pool exhaustion waiting on recommend)
--   -> journeys failing (rejected at the gateway).
--
-- Variant B: the call gets a 50 ms timeout and is optional with a 1 ms fallback (a static
-- bestseller list). Only the home page degrades; checkout holds. The timeout must be shorter
-- than workers / rate: once recommend's backlogs are full the hung instances answer nothing, not
-- even a rejection, so every home visit holds a gateway worker for the whole timeout; each
-- gateway instance sees 425 home visits/s for 50 workers, so anything past ~118 ms (less the
-- time checkout holds) runs its pool dry: 150 ms fails as variant A does.
--   faultline run scenarios/recommendation_outage.lua \
--     --set gateway.endpoints.home.calls.recommend.timeout=50ms \
--     --set gateway.endpoints.home.calls.recommend.optional=true
--
-- The expectations below state the lesson; variant A fails them (exit 1), variant B passes.

scenario { name = "Recommendation outage at peak", duration = "12m", seed = 7, window = "5s", warmup = "1m" }

service "gateway" {
  instances = 4, workers = 50, queue = 100, slo = "500ms",
  endpoints = {
    home = {
      work = lognormal { median = "2ms", p99 = "15ms" },
      calls = {
        call "catalog.list",
        call "recommend.for_user",   -- no timeout, required: variant A
      },
    },
    checkout = {
      work = exp "2ms",
      calls = { call "payment.charge" { timeout = "3s" } },
    },
  },
}

service "catalog" {
  instances = 2, workers = 32, queue = 100,
  endpoints = { list = { work = lognormal { median = "4ms", p99 = "30ms" } } },
}

service "recommend" {
  instances = 4, workers = 16, queue = 50,
  endpoints = { for_user = { work = exp "25ms" } },
}

service "payment" {
  instances = 4, workers = 32, queue = 64,
  endpoints = { charge = { work = lognormal { median = "120ms", p99 = "600ms" } } },
}

traffic {
  rate = "2000/s",
  mix = { ["gateway.home"] = 0.85, ["gateway.checkout"] = 0.15 },
}

-- Four minutes into the run, for three minutes.
fault { target = "recommend", kind = "hang", at = "4m", duration = "3m" }

expect "checkout survives the recommendation outage" {
  journey = "gateway.checkout", success_rate = ">= 99.5%", during = "fault:recommend" }
expect "the home page still answers during the outage" {
  journey = "gateway.home", success_rate = ">= 99%", during = "fault:recommend" }
expect "the outage does not spread past the gateway" { no_cascade_from = "recommend" }
expect "checkout is fast in steady state" { journey = "gateway.checkout", p99 = "< 1s", during = "steady" }
