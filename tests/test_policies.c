/* Resilience policies against their reference semantics: retries (amplification, backoff
** schedule and jitter, retry_on, budget), Resilience4j's count-based circuit breaker (scripted
** closed -> open -> half-open -> closed / open sequences, slow calls, minimum calls), bulkheads,
** the token-bucket rate limiter, load shedding, Envoy's outlier ejection, hedged requests,
** deadline propagation, the retry storm of scenarios/retry_storm.lua and its cures, and the
** named profiles' documented defaults.
**
** Every scenario is small with a fixed seed; the whole binary runs in a few seconds at -O2.
** Tolerances, stated at each check, are of three kinds:
**  - exact, where a count is fixed by construction (work const 0 makes every call resolve at the
**    instant it is made, so outcomes never overlap; round robin sends exactly every n-th request
**    to an instance; a breaker lets exactly half_open_calls through);
**  - times of breaker transitions: bounded below by the configured duration and above by that
**    plus the gap to the next call (arrivals at >= 400/s: 25 ms is over 10 mean gaps);
**  - statistical ones, at least 4 standard deviations of the quantity compared (the sd is
**    given next to the check).
**
** FAULTLINE_POLICIES_VERBOSE=1 prints the numbers compared. */
#define CHECK_MAIN
#include "check.h"

#include <stdarg.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#include "faultline/hist.h"
#include "faultline/scenario.h"
#include "faultline/sim.h"

#define FIXTURE_NAME "policies"
#include "fixture.h"

/* ---- runs ---- */

/* The first call of endpoint 'ep' ("client.a") whose target starts with 'target'. */
static const fl_call_t *call_of(const fl_model_t *m, const char *ep, const char *target) {
  const fl_endpoint_t *e = fl_model_find_endpoint(m, ep);
  if (!e) { CHECK_FAIL_("no endpoint '%s'", ep); exit(3); }
  for (int i = 0; i < e->ncalls; i++)
    if (strncmp(e->calls[i].target_name, target, strlen(target)) == 0) return &e->calls[i];
  CHECK_FAIL_("endpoint '%s' has no call to '%s'", ep, target);
  exit(3);
}

static const fl_call_rt_t *crt(const run_t *r, const char *ep, const char *target) {
  return &r->s.call[call_of(r->m, ep, target)->id];
}

static double sum_cause(const fl_stats_t *st, fl_cause_t c, int w0, int w1) {
  double t = 0;
  for (int w = w0; w < w1; w++) t += st->cause_series[c][w];
  return t;
}

static double ms(fl_time_t t) { return (double)t / 1e6; }
static double sec(fl_time_t t) { return (double)t / 1e9; }

/* ---- retries ---- */

/* Four call sites, each against its own callee failing independently with probability p,
** with r retries, no backoff, no timeout. Work const 0: every attempt resolves at once. */
static const char *amplification =
  "scenario { name = \"amplification\", duration = \"20s\", seed = 5, window = \"1s\" }\n"
  "service \"client\" { instances = 1, workers = 100000, queue = 0, blocking = false, endpoints = {\n"
  "  a = { work = const \"0s\", calls = { call \"pa\" { retries = 1 } } },\n"
  "  b = { work = const \"0s\", calls = { call \"pb\" { retries = 2 } } },\n"
  "  c = { work = const \"0s\", calls = { call \"pc\" { retries = 3 } } },\n"
  "  d = { work = const \"0s\", calls = { call \"pd\" { attempts = 5 } } } } }\n"
  "service \"pa\" { instances = 1, workers = 1000, queue = 0, work = const \"0s\", error_rate = 0.1 }\n"
  "service \"pb\" { instances = 1, workers = 1000, queue = 0, work = const \"0s\", error_rate = 0.3 }\n"
  "service \"pc\" { instances = 1, workers = 1000, queue = 0, work = const \"0s\", error_rate = 0.5 }\n"
  "service \"pd\" { instances = 1, workers = 1000, queue = 0, work = const \"0s\", error_rate = 0.8 }\n"
  "traffic { rate = \"4000/s\", mix = { [\"client.a\"] = 0.25, [\"client.b\"] = 0.25, [\"client.c\"] = 0.25, [\"client.d\"] = 0.25 } }\n";

TEST(retry_amplification_is_the_geometric_sum_of_the_failure_probability) {
  run_t r;
  if (!run_text(&r, "amplification.lua", amplification)) return;
  static const struct { const char *ep, *svc; double p; int retries; } cs[] = {
    { "client.a", "pa", 0.1, 1 }, { "client.b", "pb", 0.3, 2 }, { "client.c", "pc", 0.5, 3 }, { "client.d", "pd", 0.8, 4 },
  };
  for (int k = 0; k < 4; k++) {
    const fl_call_rt_t *c = crt(&r, cs[k].ep, cs[k].svc);
    double p = cs[k].p, n = (double)c->calls;
    double want = (1 - pow(p, cs[k].retries + 1)) / (1 - p);
    double got = (double)c->attempts / n;
    /* sd of the mean attempts is at most 1.6/sqrt(n) = 0.016 for n ~ 20000: 2% of 3.36 is 4 sd */
    note("%s: p=%.1f r=%d calls %.0f attempts/call %.4f want %.4f", cs[k].ep, p, cs[k].retries, n, got, want);
    CHECK(n > 18000);
    CHECK_REL(got, want, 0.02);
    /* every attempt is a real request to the callee, and retries = attempts - calls */
    CHECK_EQ_INT(sst(&r, cs[k].svc)->total.arrivals, c->attempts);
    CHECK_EQ_INT(c->retries, c->attempts - c->calls);
    CHECK_EQ_INT(c->hedges, 0);
    /* the callee fails with p per attempt (sd sqrt(p(1-p)/attempts) < 0.004) */
    const fl_stats_t *cal = sst(&r, cs[k].svc);
    CHECK_NEAR((double)cal->total.failures / (double)cal->total.arrivals, p, 0.012);
    /* a call fails when every attempt fails: p^(r+1) (sd < 0.004) */
    const fl_stats_t *j = jst(&r, cs[k].ep);
    CHECK_NEAR((double)j->total.failures / (double)j->total.arrivals, pow(p, cs[k].retries + 1), 0.015);
  }
  run_free(&r);
}

/* retry_on limits which causes are retried; breaker_open is never retried, and a breaker
** counts every attempt. */
static const char *retry_on =
  "scenario { name = \"retry_on\", duration = \"10s\", seed = 6, window = \"1s\" }\n"
  "service \"client\" { instances = 1, workers = 100000, queue = 0, blocking = false, endpoints = {\n"
  "  t = { work = const \"0s\", calls = { call \"dead\" { retries = 3, retry_on = { \"timeout\", \"unavailable\" } } } },\n"
  "  e = { work = const \"0s\", calls = { call \"dead\" { retries = 3, retry_on = { \"error\" } } } },\n"
  "  b = { work = const \"0s\", calls = { call \"dead2\" { retries = 3,\n"
  "        breaker = { failure_rate = 0.5, window = 10, min_calls = 10, open_for = \"1h\", half_open_calls = 1 } } } } } }\n"
  "service \"dead\" { instances = 1, workers = 1000, queue = 0, work = const \"0s\", error_rate = 1 }\n"
  "service \"dead2\" { instances = 1, workers = 1000, queue = 0, work = const \"0s\", error_rate = 1 }\n"
  "traffic { rate = \"300/s\", mix = { [\"client.t\"] = 0.34, [\"client.e\"] = 0.33, [\"client.b\"] = 0.33 } }\n";

TEST(retry_on_selects_the_causes_retried_and_breaker_open_is_never_retried) {
  run_t r;
  if (!run_text(&r, "retry_on.lua", retry_on)) return;
  const fl_call_rt_t *t = crt(&r, "client.t", "dead"), *e = crt(&r, "client.e", "dead"), *b = crt(&r, "client.b", "dead2");
  note("t: calls %llu attempts %llu; e: calls %llu attempts %llu; b: calls %llu attempts %llu retries %llu rejected %llu",
       (unsigned long long)t->calls, (unsigned long long)t->attempts, (unsigned long long)e->calls,
       (unsigned long long)e->attempts, (unsigned long long)b->calls, (unsigned long long)b->attempts,
       (unsigned long long)b->retries, (unsigned long long)b->breaker_rejected);
  CHECK(t->calls > 500);
  /* errors are not among t's causes: one attempt per call */
  CHECK_EQ_INT(t->attempts, t->calls);
  CHECK_EQ_INT(t->retries, 0);
  /* they are among e's: four attempts per call, exactly */
  CHECK_EQ_INT(e->attempts, 4 * e->calls);
  /* b: calls 1 and 2 use their 4 attempts, call 3 fails twice: the 10th failed attempt opens
  ** the breaker (10 of 10 failed); call 3's third attempt is refused as breaker_open, which
  ** is not retried; every later call makes one attempt, refused. */
  CHECK_EQ_INT(sst(&r, "dead2")->total.arrivals, 10);
  CHECK_EQ_INT(b->retries, 3 + 3 + 2);
  CHECK_EQ_INT(b->attempts, b->calls + 8);
  CHECK_EQ_INT(b->breaker_rejected, b->attempts - 10);
  CHECK_EQ_INT(b->breaker_opens, 1);
  CHECK_EQ_INT(jst(&r, "client.b")->total.cause[FL_CAUSE_BREAKER_OPEN], b->calls - 2);
  run_free(&r);
}

/* Backoff: the callee always fails at once, the call is optional with an instant fallback,
** so a journey's latency is the sum of its backoffs. */
static const char *backoff =
  "scenario { name = \"backoff\", duration = \"20s\", seed = 7, window = \"1s\" }\n"
  "service \"client\" { instances = 1, workers = 100000, queue = 0, blocking = false, endpoints = {\n"
  "  capped = { work = const \"0s\", calls = { call \"dead\" { optional = true, fallback = \"0s\", retries = 3,\n"
  "             backoff = { base = \"100ms\", multiplier = 2, max = \"300ms\" } } } },\n"
  "  tripled = { work = const \"0s\", calls = { call \"dead\" { optional = true, fallback = \"0s\", retries = 4,\n"
  "             backoff = { base = \"10ms\", multiplier = 3 } } } },\n"
  "  full1 = { work = const \"0s\", calls = { call \"dead\" { optional = true, fallback = \"0s\", retries = 1,\n"
  "             backoff = { base = \"100ms\", jitter = \"full\" } } } },\n"
  "  equal1 = { work = const \"0s\", calls = { call \"dead\" { optional = true, fallback = \"0s\", retries = 1,\n"
  "             backoff = { base = \"100ms\", jitter = \"equal\" } } } },\n"
  "  full3 = { work = const \"0s\", calls = { call \"dead\" { optional = true, fallback = \"0s\", retries = 3,\n"
  "             backoff = { base = \"100ms\", multiplier = 2, max = \"300ms\", jitter = \"full\" } } } },\n"
  "  equal3 = { work = const \"0s\", calls = { call \"dead\" { optional = true, fallback = \"0s\", retries = 3,\n"
  "             backoff = { base = \"100ms\", multiplier = 2, max = \"300ms\", jitter = \"equal\" } } } },\n"
  "  r4j = { work = const \"0s\", calls = { call \"dead\" { optional = true, fallback = \"0s\", retry = profile.resilience4j } } } } }\n"
  "service \"dead\" { instances = 1, workers = 100000, queue = 0, work = const \"0s\", error_rate = 1 }\n"
  "traffic { rate = \"3500/s\", mix = { [\"client.capped\"] = 1/7, [\"client.tripled\"] = 1/7, [\"client.full1\"] = 1/7,\n"
  "  [\"client.equal1\"] = 1/7, [\"client.full3\"] = 1/7, [\"client.equal3\"] = 1/7, [\"client.r4j\"] = 1/7 } }\n";

TEST(backoff_delays_follow_the_schedule_and_the_jitter_distribution) {
  run_t r;
  if (!run_text(&r, "backoff.lua", backoff)) return;
  /* Only journeys that completed: the last ones sent may still be waiting at the end. */
  const fl_hist_t *capped = jst(&r, "client.capped")->htotal, *tripled = jst(&r, "client.tripled")->htotal;
  const fl_hist_t *f1 = jst(&r, "client.full1")->htotal, *e1 = jst(&r, "client.equal1")->htotal;
  const fl_hist_t *f3 = jst(&r, "client.full3")->htotal, *e3 = jst(&r, "client.equal3")->htotal;
  const fl_hist_t *r4j = jst(&r, "client.r4j")->htotal;
  note("capped: n %llu min %.3fms max %.3fms; tripled min %.3fms max %.3fms; r4j min %.3f max %.3f",
       (unsigned long long)capped->count, ms(capped->min), ms(capped->max), ms(tripled->min), ms(tripled->max),
       ms(r4j->min), ms(r4j->max));
  CHECK(capped->count > 9000);
  /* no jitter: base x multiplier^(k-1), capped: 100 + 200 + 300 (capped from 400) = 600 ms,
  ** for every request (1 us for the rounding of each delay to whole nanoseconds) */
  CHECK_NEAR(ms(capped->min), 600, 0.001);
  CHECK_NEAR(ms(capped->max), 600, 0.001);
  /* 10 + 30 + 90 + 270 = 400 ms, no cap */
  CHECK_NEAR(ms(tripled->min), 400, 0.001);
  CHECK_NEAR(ms(tripled->max), 400, 0.001);
  /* Resilience4j's retry: 3 attempts, a constant 500 ms wait: 1 s */
  CHECK_NEAR(ms(r4j->min), 1000, 0.001);
  CHECK_NEAR(ms(r4j->max), 1000, 0.001);
  /* full jitter, one retry: U(0, 100 ms): mean 50 (sd 28.9/sqrt(n) < 0.3 ms), deciles at 10 and
  ** 90 (sd of a sample decile < 0.3 ms; histogram buckets < 1%) */
  note("full1: n %llu mean %.3f p10 %.3f p90 %.3f min %.3f max %.3f", (unsigned long long)f1->count, ms((fl_time_t)fl_hist_mean(f1)),
       ms(fl_hist_quantile(f1, 0.1)), ms(fl_hist_quantile(f1, 0.9)), ms(f1->min), ms(f1->max));
  CHECK(f1->count > 9000);
  CHECK_NEAR(fl_hist_mean(f1) / 1e6, 50, 1.5);
  CHECK_NEAR(ms(fl_hist_quantile(f1, 0.1)), 10, 1.5);
  CHECK_NEAR(ms(fl_hist_quantile(f1, 0.9)), 90, 2);
  CHECK(f1->min >= 0 && f1->max <= 100 * 1000000LL);
  CHECK(ms(f1->min) < 1 && ms(f1->max) > 99);
  /* equal jitter, one retry: 50 ms + U(0, 50 ms): mean 75 (sd < 0.15 ms), within [50, 100] */
  note("equal1: mean %.3f p50 %.3f min %.3f max %.3f", fl_hist_mean(e1) / 1e6, ms(fl_hist_quantile(e1, 0.5)), ms(e1->min), ms(e1->max));
  CHECK_NEAR(fl_hist_mean(e1) / 1e6, 75, 0.8);
  CHECK_NEAR(ms(fl_hist_quantile(e1, 0.5)), 75, 1.5);
  CHECK(e1->min >= 50 * 1000000LL && e1->max <= 100 * 1000000LL);
  CHECK(ms(e1->min) < 51 && ms(e1->max) > 99);
  /* three retries, schedule 100, 200, 300: full jitter has mean 300 (sd 108/sqrt(n) ~ 1.1 ms),
  ** equal jitter mean 450 (sd ~ 0.6 ms) within [300, 600] */
  note("full3: mean %.3f min %.3f max %.3f; equal3: mean %.3f min %.3f max %.3f", fl_hist_mean(f3) / 1e6, ms(f3->min), ms(f3->max),
       fl_hist_mean(e3) / 1e6, ms(e3->min), ms(e3->max));
  CHECK_NEAR(fl_hist_mean(f3) / 1e6, 300, 5);
  CHECK(f3->max <= 600 * 1000000LL);
  CHECK_NEAR(fl_hist_mean(e3) / 1e6, 450, 3);
  CHECK(e3->min >= 300 * 1000000LL && e3->max <= 600 * 1000000LL);
  run_free(&r);
}

/* The budget: the callee always fails; 500 calls a second each want 3 retries. */
static const char *budget =
  "scenario { name = \"budget\", duration = \"30s\", seed = 8, window = \"1s\" }\n"
  "service \"client\" { instances = 1, workers = 100000, queue = 0, blocking = false, endpoints = {\n"
  "  ratio = { work = const \"0s\", calls = { call \"dead\" { retries = 3, retry_budget = { ratio = 0.2, min_per_s = 3 } } } },\n"
  "  floor = { work = const \"0s\", calls = { call \"dead2\" { retries = 3, retry_budget = { ratio = 0.1, min_per_s = 5 } } } },\n"
  "  under = { work = const \"0s\", calls = { call \"flaky\" { retries = 1, retry_budget = { ratio = 0.2, min_per_s = 10 } } } } } }\n"
  "service \"dead\" { instances = 1, workers = 1000, queue = 0, work = const \"0s\", error_rate = 1 }\n"
  "service \"dead2\" { instances = 1, workers = 1000, queue = 0, work = const \"0s\", error_rate = 1 }\n"
  "service \"flaky\" { instances = 1, workers = 1000, queue = 0, work = const \"0s\", error_rate = 0.1 }\n"
  "traffic { rate = \"1020/s\", mix = { [\"client.ratio\"] = 500/1020, [\"client.floor\"] = 20/1020, [\"client.under\"] = 500/1020 } }\n";

TEST(the_retry_budget_holds_retries_to_its_ratio_or_its_floor) {
  run_t r;
  if (!run_text(&r, "budget.lua", budget)) return;
  double T = 30;
  /* ratio-bound: 0.2 x 500/s = 100 retries/s against a floor of 3/s */
  const fl_call_rt_t *a = crt(&r, "client.ratio", "dead");
  note("ratio: calls %llu retries %llu (%.4f of calls) denied %llu", (unsigned long long)a->calls, (unsigned long long)a->retries,
       (double)a->retries / (double)a->calls, (unsigned long long)a->budget_denied);
  CHECK((double)a->retries <= 0.2 * (double)a->calls + 3 * T);
  CHECK((double)a->retries >= 0.95 * 0.2 * (double)a->calls);   /* the budget is used, not stricter */
  CHECK(a->budget_denied > 0);
  CHECK_EQ_INT(a->attempts, a->calls + a->retries);
  /* per window: retries (callee arrivals - calls, simultaneous with work 0) never exceed
  ** ratio x the calls of this and the previous second (the sliding window spans both) */
  const fl_stats_t *cal = sst(&r, "dead"), *j = jst(&r, "client.ratio");
  int over = -1;
  double worst = 0;
  for (int w = 1; w < 30; w++) {
    double ret = cal->series[FL_SER_ARRIVALS][w] - j->series[FL_SER_ARRIVALS][w];
    double lim = 0.2 * (j->series[FL_SER_ARRIVALS][w] + j->series[FL_SER_ARRIVALS][w - 1]);
    if (ret > lim + 1 && over < 0) over = w;
    /* in steady saturation, each second's retries are close to 20% of its calls (sd of calls ~22) */
    double share = ret / j->series[FL_SER_ARRIVALS][w];
    if (w >= 2 && fabs(share - 0.2) > worst) worst = fabs(share - 0.2);
  }
  CHECK_MSG(over < 0, "window %d: more retries than the budget allows", over);
  note("ratio: worst per-window share off by %.4f", worst);
  CHECK(worst < 0.04);

  /* floor-bound: 0.1 x 20/s = 2/s, below the floor of 5/s: about 5 retries a second */
  const fl_call_rt_t *b = crt(&r, "client.floor", "dead2");
  note("floor: calls %llu retries %llu (%.2f/s) denied %llu", (unsigned long long)b->calls, (unsigned long long)b->retries,
       (double)b->retries / T, (unsigned long long)b->budget_denied);
  CHECK((double)b->retries <= 0.1 * (double)b->calls + 5 * T);
  /* The weighted two-bucket estimate counts a share of last second's retries that are
  ** already more than a second old, so the floor yields about 4 a second of the 5: >= 70%. */
  CHECK((double)b->retries >= 0.7 * 5 * T);
  CHECK(b->budget_denied > 0);

  /* under budget: 10% of calls retried against a 20% budget: nothing denied */
  const fl_call_rt_t *c = crt(&r, "client.under", "flaky");
  note("under: calls %llu retries %llu denied %llu", (unsigned long long)c->calls, (unsigned long long)c->retries,
       (unsigned long long)c->budget_denied);
  CHECK_EQ_INT(c->budget_denied, 0);
  CHECK_REL((double)c->attempts / (double)c->calls, 1.1, 0.01);   /* sd 0.3/sqrt(15000) = 0.0024 */
  run_free(&r);
}

/* ---- circuit breaker (Resilience4j, count-based) ---- */

/* Breaker events of call site 'id', in order. */
static int bevents(const run_t *r, int id, fl_bevent_t *out, int max) {
  int n = 0;
  for (int i = 0; i < r->s.nbev; i++)
    if (r->s.bev[i].call == id) { if (n < max) out[n] = r->s.bev[i]; n++; }
  return n;
}

static void dump_bev(const fl_bevent_t *e, int n) {
  if (!verbose()) return;
  for (int i = 0; i < n; i++)
    printf("  #   t=%.6f inst %d %s -> %s\n", sec(e[i].t), e[i].instance, fl_breaker_state_name(e[i].from), fl_breaker_state_name(e[i].to));
}

static void check_transition(const fl_bevent_t *e, int n, int i, int from, int to) {
  if (i >= n) { CHECK_FAIL_("no breaker event %d (only %d)", i, n); return; }
  CHECK_MSG(e[i].from == from && e[i].to == to, "breaker event %d: %s -> %s, expected %s -> %s", i,
            fl_breaker_state_name(e[i].from), fl_breaker_state_name(e[i].to), fl_breaker_state_name(from), fl_breaker_state_name(to));
}

/* Errors at 'server' (every request fails) from 10.5 s to 22 s and from 40.5 s to 44.5 s.
** The server's work is const 0: every call resolves at the instant it is made, so the
** breaker sees its outcomes one at a time, in order. */
static const char *breaker_script =
  "scenario { name = \"breaker\", duration = \"60s\", seed = 9, window = \"1s\" }\n"
  "service \"client\" { instances = 1, workers = 100000, queue = 0, blocking = false, endpoints = {\n"
  "  go = { work = const \"0s\", calls = { call \"server\" {\n"
  "    breaker = { failure_rate = 0.5, window = 10, min_calls = 10, open_for = \"5s\", half_open_calls = 3 } } } },\n"
  "  dead = { work = const \"0s\", calls = { call \"dead\" {\n"
  "    breaker = { failure_rate = 0.5, window = 20, min_calls = 10, open_for = \"5s\", half_open_calls = 3 } } } },\n"
  "  flaky = { work = const \"0s\", calls = { call \"flaky\" {\n"
  "    breaker = { failure_rate = 0.5, window = 100, min_calls = 100, open_for = \"5s\", half_open_calls = 3 } } } } } }\n"
  "service \"server\" { instances = 1, workers = 1000, queue = 0, work = const \"0s\" }\n"
  "service \"dead\" { instances = 1, workers = 1000, queue = 0, work = const \"0s\", error_rate = 1 }\n"
  "service \"flaky\" { instances = 1, workers = 1000, queue = 0, work = const \"0s\", error_rate = 0.2 }\n"
  "traffic { rate = \"1200/s\", mix = { [\"client.go\"] = 0.5, [\"client.dead\"] = 0.25, [\"client.flaky\"] = 0.25 } }\n"
  "fault { target = \"server\", kind = \"errors\", rate = 1, at = \"10.5s\", duration = \"11.5s\" }\n"
  "fault { name = \"again\", target = \"server\", kind = \"errors\", rate = 1, at = \"40.5s\", duration = \"4s\" }\n";

TEST(breaker_goes_closed_open_half_open_closed_and_open_again_as_resilience4j) {
  run_t r;
  if (!run_text(&r, "breaker.lua", breaker_script)) return;
  const fl_call_t *call = call_of(r.m, "client.go", "server");
  const fl_call_rt_t *c = &r.s.call[call->id];
  fl_bevent_t e[32] = { 0 };
  int n = bevents(&r, call->id, e, 32);
  dump_bev(e, n < 32 ? n : 32);
  note("go: calls %llu attempts %llu rejected %llu opens %llu open %.3fs; server arrivals %llu errors %llu",
       (unsigned long long)c->calls, (unsigned long long)c->attempts, (unsigned long long)c->breaker_rejected,
       (unsigned long long)c->breaker_opens, sec(c->open_ns), (unsigned long long)sst(&r, "server")->total.arrivals,
       (unsigned long long)sst(&r, "server")->total.cause[FL_CAUSE_ERROR]);
  const int C = FL_BREAKER_CLOSED, O = FL_BREAKER_OPEN, H = FL_BREAKER_HALF_OPEN;
  CHECK_EQ_INT(n, 10);
  if (n != 10) { run_free(&r); return; }
  /* 0: the window holds 10 successes; the 5th failure makes 5 of 10 = 50% >= 50%: open.
  ** At 600 calls/s the 5 failures take a few ms (25 ms is > 15 mean gaps). */
  check_transition(e, n, 0, C, O);
  CHECK(sec(e[0].t) >= 10.5 && sec(e[0].t) < 10.525);
  /* 1: open for open_for (5 s), then half-open with the first call after it (Resilience4j
  ** moves to half-open lazily, on the next call, unless automatic transition is on) */
  check_transition(e, n, 1, O, H);
  CHECK(e[1].t - e[0].t >= 5 * FL_SEC && e[1].t - e[0].t < 5 * FL_SEC + 25 * FL_MS);
  /* 2: the fault still on, the 3 permitted calls fail: open again once the 3rd is in */
  check_transition(e, n, 2, H, O);
  CHECK(e[2].t - e[1].t < 25 * FL_MS);
  check_transition(e, n, 3, O, H);
  CHECK(e[3].t - e[2].t >= 5 * FL_SEC && e[3].t - e[2].t < 5 * FL_SEC + 25 * FL_MS);
  check_transition(e, n, 4, H, O);
  CHECK(sec(e[4].t) < 22);                 /* 20.5x s: the fault lasts until 22 s */
  /* 5, 6: half-open after the fault is over (25.5x s): 3 successes close it */
  check_transition(e, n, 5, O, H);
  CHECK(e[5].t - e[4].t >= 5 * FL_SEC && e[5].t - e[4].t < 5 * FL_SEC + 25 * FL_MS);
  check_transition(e, n, 6, H, C);
  CHECK(e[6].t - e[5].t < 25 * FL_MS);
  /* 7: the window was reset on closing; the second fault opens it after 5 failures again */
  check_transition(e, n, 7, C, O);
  CHECK(sec(e[7].t) >= 40.5 && sec(e[7].t) < 40.525);
  check_transition(e, n, 8, O, H);
  CHECK(e[8].t - e[7].t >= 5 * FL_SEC && e[8].t - e[7].t < 5 * FL_SEC + 25 * FL_MS);
  check_transition(e, n, 9, H, C);
  /* Exact counts: the server saw 5 + 3 + 3 + 5 failing calls, nothing else while open;
  ** every call refused was refused by the breaker. */
  CHECK_EQ_INT(sst(&r, "server")->total.cause[FL_CAUSE_ERROR], 16);
  CHECK_EQ_INT(c->breaker_opens, 4);
  CHECK_EQ_INT(c->attempts, c->calls);
  CHECK_EQ_INT(sst(&r, "server")->total.arrivals, c->calls - c->breaker_rejected);
  const fl_stats_t *j = jst(&r, "client.go");
  CHECK_EQ_INT(j->total.cause[FL_CAUSE_BREAKER_OPEN], c->breaker_rejected);
  CHECK_EQ_INT(j->total.failures, c->breaker_rejected + 16);
  /* nothing reaches the server while the breaker is open: windows 11-14, 16-19, 21-24, 41-44 */
  const fl_stats_t *sv = sst(&r, "server");
  CHECK_EQ_INT(sum(sv, FL_SER_ARRIVALS, 11, 15), 0);
  CHECK_EQ_INT(sum(sv, FL_SER_ARRIVALS, 16, 20), 0);
  CHECK_EQ_INT(sum(sv, FL_SER_ARRIVALS, 21, 25), 0);
  CHECK_EQ_INT(sum(sv, FL_SER_ARRIVALS, 41, 45), 0);
  /* time open: the four open spells */
  fl_time_t open = (e[1].t - e[0].t) + (e[3].t - e[2].t) + (e[5].t - e[4].t) + (e[8].t - e[7].t);
  CHECK_EQ_INT(c->open_ns, open);

  /* min_calls: against a callee that always fails, the first opening comes with the 10th
  ** call (10 of 10 failed), not before; then every half-open trial lets exactly 3 through. */
  const fl_call_t *dcall = call_of(r.m, "client.dead", "dead");
  const fl_call_rt_t *d = &r.s.call[dcall->id];
  fl_bevent_t de[64] = { 0 };
  int dn = bevents(&r, dcall->id, de, 64);
  int trials = 0;
  for (int i = 0; i < dn && i < 64; i++) trials += de[i].from == H && de[i].to == O;
  note("dead: %d events, %d failed trials, callee arrivals %llu, opens %llu", dn, trials,
       (unsigned long long)sst(&r, "dead")->total.arrivals, (unsigned long long)d->breaker_opens);
  CHECK_EQ_INT(trials, 11);     /* half-open at ~5.0x, 10.0x, ..., 55.x s */
  CHECK_EQ_INT(dn, 1 + 2 * trials);
  CHECK_EQ_INT(sst(&r, "dead")->total.arrivals, 10 + 3 * trials);
  CHECK_EQ_INT(d->breaker_opens, 1 + trials);
  /* a failure rate well under the threshold (20% against 50%, over 100 calls) never opens it */
  CHECK_EQ_INT(crt(&r, "client.flaky", "flaky")->breaker_opens, 0);
  CHECK_EQ_INT(crt(&r, "client.flaky", "flaky")->breaker_rejected, 0);
  run_free(&r);
}

/* While half-open, only half_open_calls go through; the others are refused. The server's
** work is 20 ms, so many calls arrive while the 3 trial calls are out. */
static const char *breaker_half =
  "scenario { name = \"half-open\", duration = \"30s\", seed = 10, window = \"1s\" }\n"
  "service \"client\" { instances = 1, workers = 100000, queue = 0, blocking = false,\n"
  "  work = const \"0s\", calls = { call \"server\" {\n"
  "    breaker = { failure_rate = 0.5, window = 10, min_calls = 10, open_for = \"5s\", half_open_calls = 3 } } } }\n"
  "service \"server\" { instances = 1, workers = 1000, queue = 0, work = const \"20ms\" }\n"
  "traffic { rate = \"500/s\", mix = { client = 1 } }\n"
  "fault { target = \"server\", kind = \"errors\", rate = 1, at = \"10.5s\", duration = \"11.5s\" }\n";

TEST(half_open_breaker_lets_exactly_the_permitted_calls_through) {
  run_t r;
  if (!run_text(&r, "breaker_half.lua", breaker_half)) return;
  const fl_call_t *call = call_of(r.m, "client.default", "server");
  fl_bevent_t e[16] = { 0 };
  int n = bevents(&r, call->id, e, 16);
  dump_bev(e, n < 16 ? n : 16);
  const int C = FL_BREAKER_CLOSED, O = FL_BREAKER_OPEN, H = FL_BREAKER_HALF_OPEN;
  CHECK_EQ_INT(n, 7);
  if (n != 7) { run_free(&r); return; }
  check_transition(e, n, 0, C, O);
  /* calls sent from 10.48 s on answer after 10.5 s, with an error: the 5th of them opens it */
  CHECK(sec(e[0].t) >= 10.5 && sec(e[0].t) < 10.53);
  check_transition(e, n, 1, O, H);
  check_transition(e, n, 2, H, O);
  /* the trial: 3 calls sent, the 3rd one answers 20 ms after it was sent */
  CHECK(e[2].t - e[1].t >= 20 * FL_MS && e[2].t - e[1].t < 45 * FL_MS);
  check_transition(e, n, 3, O, H);
  check_transition(e, n, 4, H, O);
  check_transition(e, n, 5, O, H);
  check_transition(e, n, 6, H, C);
  /* the server gets exactly 3 calls in each window of a trial, none in the others */
  const fl_stats_t *sv = sst(&r, "server");
  int w1 = (int)(e[1].t / FL_SEC), w3 = (int)(e[3].t / FL_SEC);
  note("trials in windows %d and %d: %.0f and %.0f calls", w1, w3, sv->series[FL_SER_ARRIVALS][w1], sv->series[FL_SER_ARRIVALS][w3]);
  CHECK_EQ_INT(w1, 15);
  CHECK_EQ_INT(w3, 20);
  CHECK_EQ_INT(sum(sv, FL_SER_ARRIVALS, 11, 15), 0);
  CHECK_EQ_INT(sv->series[FL_SER_ARRIVALS][15], 3);
  CHECK_EQ_INT(sum(sv, FL_SER_ARRIVALS, 16, 20), 0);
  CHECK_EQ_INT(sv->series[FL_SER_ARRIVALS][20], 3);
  CHECK_EQ_INT(sum(sv, FL_SER_ARRIVALS, 21, 25), 0);
  /* and the refusals while half-open are breaker_open failures like those while open */
  const fl_call_rt_t *c = &r.s.call[call->id];
  CHECK(jst(&r, "client")->series[FL_SER_FAILURES][15] > 400);
  CHECK_EQ_INT(sv->total.arrivals, c->calls - c->breaker_rejected);
  run_free(&r);
}

/* Slow calls: a latency fault of 200 ms against slow_call = 100 ms. And calls that take
** exactly slow_call, which Resilience4j does not count as slow: its CircuitBreakerMetrics
** records SLOW_SUCCESS only when the duration is greater than slowCallDurationThreshold
** ("the duration threshold above which calls are considered as slow"). */
static const char *breaker_slow =
  "scenario { name = \"slow\", duration = \"30s\", seed = 12, window = \"1s\" }\n"
  "service \"client\" { instances = 1, workers = 100000, queue = 0, blocking = false, endpoints = {\n"
  "  lat = { work = const \"0s\", calls = { call \"server\" {\n"
  "    breaker = { failure_rate = 1, slow_call_rate = 0.5, slow_call = \"100ms\", window = 10, min_calls = 10,\n"
  "                open_for = \"5s\", half_open_calls = 3 } } } },\n"
  "  edge = { work = const \"0s\", calls = { call \"edge\" {\n"
  "    breaker = { failure_rate = 1, slow_call_rate = 0.5, slow_call = \"100ms\", window = 10, min_calls = 10,\n"
  "                open_for = \"5s\", half_open_calls = 3 } } } } } }\n"
  "service \"server\" { instances = 1, workers = 1000, queue = 0, work = const \"10ms\" }\n"
  "service \"edge\" { instances = 1, workers = 1000, queue = 0, work = const \"100ms\" }\n"
  "traffic { rate = \"800/s\", mix = { [\"client.lat\"] = 0.5, [\"client.edge\"] = 0.5 } }\n"
  "fault { target = \"server\", kind = \"latency\", latency = \"200ms\", at = \"10.5s\", duration = \"7s\" }\n";

TEST(breaker_opens_on_the_slow_call_rate) {
  run_t r;
  if (!run_text(&r, "breaker_slow.lua", breaker_slow)) return;
  const fl_call_t *call = call_of(r.m, "client.lat", "server");
  fl_bevent_t e[16] = { 0 };
  int n = bevents(&r, call->id, e, 16);
  dump_bev(e, n < 16 ? n : 16);
  const int C = FL_BREAKER_CLOSED, O = FL_BREAKER_OPEN, H = FL_BREAKER_HALF_OPEN;
  /* open at the 5th slow answer (sent after 10.5 s, answered 210 ms later); a trial at
  ** ~15.7 s during the fault (3 slow calls: open again ~210 ms later); a trial at ~20.9 s
  ** after it: closed */
  CHECK_EQ_INT(n, 5);
  if (n != 5) { run_free(&r); return; }
  check_transition(e, n, 0, C, O);
  CHECK(sec(e[0].t) >= 10.71 && sec(e[0].t) < 10.74);
  check_transition(e, n, 1, O, H);
  CHECK(e[1].t - e[0].t >= 5 * FL_SEC && e[1].t - e[0].t < 5 * FL_SEC + 25 * FL_MS);
  check_transition(e, n, 2, H, O);
  CHECK(e[2].t - e[1].t >= 210 * FL_MS && e[2].t - e[1].t < 240 * FL_MS);
  check_transition(e, n, 3, O, H);
  check_transition(e, n, 4, H, C);
  CHECK(e[4].t - e[3].t >= 10 * FL_MS && e[4].t - e[3].t < 40 * FL_MS);
  CHECK_EQ_INT(sst(&r, "server")->total.failures, 0);   /* slow, not failed */
  /* every call to edge takes exactly 100 ms: none is slow, the breaker stays closed */
  const fl_call_rt_t *edge = crt(&r, "client.edge", "edge");
  CHECK(edge->calls > 10000);
  CHECK_MSG(edge->breaker_opens == 0, "calls of exactly slow_call (100 ms) counted as slow: breaker opened %llu times",
            (unsigned long long)edge->breaker_opens);
  run_free(&r);
}

/* One breaker per caller instance: two caller instances each need their own 10 calls. An
** optional call with a fallback answers degraded while its breaker is open. */
static const char *breaker_inst =
  "scenario { name = \"per instance\", duration = \"10s\", seed = 20, window = \"1s\" }\n"
  "service \"client\" { instances = 2, workers = 100000, queue = 0, blocking = false, endpoints = {\n"
  "  req = { work = const \"0s\", calls = { call \"dead\" {\n"
  "    breaker = { failure_rate = 0.5, window = 10, min_calls = 10, open_for = \"1h\" } } } },\n"
  "  opt = { work = const \"0s\", calls = { call \"dead2\" { optional = true, fallback = \"5ms\",\n"
  "    breaker = { failure_rate = 0.5, window = 10, min_calls = 10, open_for = \"1h\" } } } } } }\n"
  "service \"dead\" { instances = 1, workers = 1000, queue = 0, work = const \"0s\", error_rate = 1 }\n"
  "service \"dead2\" { instances = 1, workers = 1000, queue = 0, work = const \"0s\", error_rate = 1 }\n"
  "traffic { rate = \"200/s\", mix = { [\"client.req\"] = 0.5, [\"client.opt\"] = 0.5 } }\n";

TEST(breakers_are_per_caller_instance_and_an_open_one_uses_the_fallback) {
  run_t r;
  if (!run_text(&r, "breaker_inst.lua", breaker_inst)) return;
  const fl_call_t *call = call_of(r.m, "client.req", "dead");
  fl_bevent_t e[8] = { 0 };
  int n = bevents(&r, call->id, e, 8);
  dump_bev(e, n < 8 ? n : 8);
  CHECK_EQ_INT(n, 2);
  if (n == 2) {
    CHECK(e[0].to == FL_BREAKER_OPEN && e[1].to == FL_BREAKER_OPEN);
    CHECK(e[0].instance != e[1].instance);
  }
  CHECK_EQ_INT(sst(&r, "dead")->total.arrivals, 20);   /* 10 through each caller instance's breaker */
  CHECK_EQ_INT(r.s.call[call->id].breaker_opens, 2);
  /* optional: every journey degraded (a failure, then the open breaker, both use the fallback),
  ** none failed, each answered after exactly the fallback's 5 ms */
  const fl_stats_t *o = jst(&r, "client.opt");
  CHECK_EQ_INT(o->total.failures, 0);
  CHECK_EQ_INT(o->total.successes, 0);
  CHECK(o->total.degraded > 900);
  CHECK_EQ_INT(o->htotal->min, 5 * FL_MS);
  CHECK_EQ_INT(o->htotal->max, 5 * FL_MS);
  CHECK_EQ_INT(sst(&r, "dead2")->total.arrivals, 20);
  run_free(&r);
}

/* A breaker that flaps for the whole run: every call fails, open_for is 1 ms and one failed
** half-open trial opens it again, so it changes state thousands of times a second. The run keeps
** the first FL_BREAKER_EVENTS_MAX changes and counts the rest; together they are every change,
** which the call site's opens count independently: closed -> open once, then each further open
** is preceded by open -> half_open and half_open -> open (and the run may end half-open). */
static const char *flapping_breaker =
  "scenario { name = \"flapping breaker\", duration = \"120s\", seed = 3, window = \"10s\" }\n"
  "service \"client\" { instances = 1, workers = 100000, queue = 0, blocking = false, work = const \"0s\", calls = {\n"
  "  call \"dead\" { breaker = { failure_rate = 0.5, window = 1, min_calls = 1, open_for = \"1ms\", half_open_calls = 1 } } } }\n"
  "service \"dead\" { instances = 1, workers = 1000, queue = 0, work = const \"0s\", error_rate = 1 }\n"
  "traffic { rate = \"2000/s\", mix = { client = 1 } }\n";

TEST(a_flapping_breaker_keeps_a_bounded_list_of_changes_and_counts_the_rest) {
  run_t r;
  if (!run_text(&r, "flapping.lua", flapping_breaker)) return;
  const fl_call_rt_t *c = crt(&r, "client.default", "dead");
  uint64_t all = (uint64_t)r.s.nbev + r.s.bev_dropped;
  note("opens %llu, kept %d, dropped %llu", (unsigned long long)c->breaker_opens, r.s.nbev, (unsigned long long)r.s.bev_dropped);
  CHECK_EQ_INT(r.s.nbev, FL_BREAKER_EVENTS_MAX);
  CHECK(r.s.bev_dropped > 0);
  CHECK_MSG(all == 2 * c->breaker_opens - 1 || all == 2 * c->breaker_opens, "%llu changes for %llu opens",
            (unsigned long long)all, (unsigned long long)c->breaker_opens);
  /* the first ones are kept, in time order */
  CHECK(r.s.bev[0].from == FL_BREAKER_CLOSED && r.s.bev[0].to == FL_BREAKER_OPEN);
  bool ordered = true;
  for (int i = 1; i < r.s.nbev; i++) ordered = ordered && r.s.bev[i].t >= r.s.bev[i - 1].t && r.s.bev[i].from == r.s.bev[i - 1].to;
  CHECK(ordered);
  run_free(&r);
}

/* ---- bulkhead ---- */

/* Two caller instances with a bulkhead of 5 each; the callee has exactly 10 workers and no
** waiting room, so a single call beyond 10 at once would be rejected there (rej_queue). */
static const char *bulkhead =
  "scenario { name = \"bulkhead\", duration = \"20s\", seed = 13, window = \"1s\" }\n"
  "service \"front\" { instances = 2, workers = 100000, queue = 0, blocking = false,\n"
  "  work = const \"0s\", calls = { call \"back\" { bulkhead = 5 } } }\n"
  "service \"back\" { instances = 1, workers = 10, queue = 0, work = exp \"20ms\" }\n"
  "traffic { rate = \"600/s\", mix = { front = 1 } }\n";

TEST(bulkhead_bounds_the_concurrent_calls_of_each_caller_instance) {
  run_t r;
  if (!run_text(&r, "bulkhead.lua", bulkhead)) return;
  const fl_call_rt_t *c = crt(&r, "front.default", "back");
  const fl_svc_rt_t *b = srt(&r, "back");
  double maxbusy = 0;
  for (uint32_t w = 0; w < r.s.nwindows; w++) if (b->st.series[FL_SER_BUSY][w] > maxbusy) maxbusy = b->st.series[FL_SER_BUSY][w];
  note("bulkhead 5 x 2: calls %llu rejected %llu, back rej_queue %llu, max busy %.2f", (unsigned long long)c->calls,
       (unsigned long long)c->bulkhead_rejected, (unsigned long long)b->rej_queue, maxbusy);
  /* offered: 600/s x 20 ms = 12 at once on average, over the 10 allowed */
  CHECK(c->bulkhead_rejected > 500);
  CHECK_EQ_INT(b->rej_queue, 0);
  CHECK(maxbusy <= 10);
  CHECK_EQ_INT(b->st.total.arrivals, c->calls - c->bulkhead_rejected);
  CHECK_EQ_INT(jst(&r, "front")->total.cause[FL_CAUSE_REJECTED], c->bulkhead_rejected);
  run_free(&r);
  /* the control: with 6 a caller instance, the callee does see more than 10 at once */
  const char *six[] = { "front.calls.back.bulkhead=6" };
  if (!run_path(&r, put("bulkhead.lua", bulkhead), six, 1)) return;
  note("bulkhead 6 x 2: back rej_queue %llu", (unsigned long long)srt(&r, "back")->rej_queue);
  CHECK(srt(&r, "back")->rej_queue > 0);
  run_free(&r);
}

/* ---- rate limiter ---- */

/* 100/s with a burst of 20, offered 300/s from 10 s (the bucket full by then). */
static const char *ratelimit =
  "scenario { name = \"rate limit\", duration = \"40s\", seed = 14, window = \"1s\" }\n"
  "service \"api\" { instances = 1, workers = 1000, queue = 0, work = const \"1ms\",\n"
  "  rate_limit = { rate = \"100/s\", burst = 20 } }\n"
  "traffic { rate = piecewise { { \"0s\", \"0/s\" }, { \"10s\", \"0/s\" }, { \"10.001s\", \"300/s\" }, { \"40s\", \"300/s\" } },\n"
  "  mix = { api = 1 } }\n";

TEST(rate_limiter_admits_at_most_rate_times_time_plus_burst) {
  run_t r;
  if (!run_text(&r, "ratelimit.lua", ratelimit)) return;
  const fl_stats_t *a = sst(&r, "api");
  double adm[40];
  for (int w = 0; w < 40; w++) adm[w] = a->series[FL_SER_ARRIVALS][w] - a->cause_series[FL_CAUSE_REJECTED][w];
  /* over every stretch of whole windows: admitted <= 100 x length + 20 */
  int bad0 = -1, bad1 = -1;
  for (int w0 = 0; w0 < 40; w0++) {
    double t = 0;
    for (int w1 = w0; w1 < 40; w1++) {
      t += adm[w1];
      if (t > 100.0 * (w1 - w0 + 1) + 20 + 1e-9 && bad0 < 0) { bad0 = w0; bad1 = w1; }
    }
  }
  CHECK_MSG(bad0 < 0, "windows %d..%d admitted more than rate x time + burst", bad0, bad1);
  note("admitted: window 10 %.0f, window 11 %.0f, 10..40 %.0f; rej_rate %llu", adm[10], adm[11], sum(a, FL_SER_ARRIVALS, 10, 40) -
       sum_cause(a, FL_CAUSE_REJECTED, 10, 40), (unsigned long long)srt(&r, "api")->rej_rate);
  /* ... and it does admit nearly that much when offered more: the full bucket and a second's
  ** rate in the first second (less the first ms, when the offered rate ramps up, and the
  ** fraction of a token left at the window's end), 100 a second after */
  CHECK(adm[10] >= 115 && adm[10] <= 120);
  double total = 0;
  for (int w = 10; w < 40; w++) total += adm[w];
  CHECK(total >= 100 * 30 + 20 - 5 && total <= 100 * 30 + 20);
  CHECK_EQ_INT(srt(&r, "api")->rej_rate, a->total.cause[FL_CAUSE_REJECTED]);
  CHECK_EQ_INT(a->total.failures, a->total.cause[FL_CAUSE_REJECTED]);
  run_free(&r);
}

/* ---- load shedding ---- */

/* 4 workers of exp 10 ms (400/s at most), offered 600/s; shed when the expected wait
** (queue x 10 ms / 4) exceeds 100 ms, i.e. with more than 40 waiting. */
static const char *shed =
  "scenario { name = \"shed\", duration = \"30s\", seed = 15, window = \"1s\" }\n"
  "service \"s\" { instances = 1, workers = 4, queue = math.huge, work = exp \"10ms\", shed_after = \"100ms\" }\n"
  "traffic { rate = \"600/s\", mix = { s = 1 } }\n";
static const char *noshed =
  "scenario { name = \"no shed\", duration = \"30s\", seed = 15, window = \"1s\" }\n"
  "service \"s\" { instances = 1, workers = 4, queue = math.huge, work = exp \"10ms\" }\n"
  "traffic { rate = \"600/s\", mix = { s = 1 } }\n";

TEST(load_shedding_rejects_beyond_the_expected_wait_and_keeps_p99_bounded) {
  run_t r;
  if (!run_text(&r, "shed.lua", shed)) return;
  const fl_svc_rt_t *s = srt(&r, "s");
  double p99 = sec(fl_hist_quantile(s->st.htotal, 0.99)), good = (double)s->st.total.successes / 30;
  note("shed: rej_shed %llu queue max %lld p99 %.3fs goodput %.1f/s", (unsigned long long)s->rej_shed, (long long)s->queue_max, p99, good);
  CHECK(s->rej_shed > 1000);
  CHECK_EQ_INT(s->rej_shed, s->st.total.cause[FL_CAUSE_REJECTED]);
  /* admitted while 40 or fewer wait: never more than 41 */
  CHECK(s->queue_max <= 41);
  /* wait <= ~100 ms, work p99 46 ms */
  CHECK(p99 < 0.2);
  CHECK(good >= 0.95 * 400);           /* the server stays busy: shedding costs no goodput */
  run_free(&r);
  if (!run_text(&r, "noshed.lua", noshed)) return;
  double p99n = sec(fl_hist_quantile(r.s.svc[0].st.htotal, 0.99));
  note("no shed: p99 %.3fs queue max %lld", p99n, (long long)r.s.svc[0].queue_max);
  CHECK(p99n > 10 * p99 && p99n > 2);
  run_free(&r);
  /* light load: nothing shed */
  const char *light[] = { "traffic.rate=100/s" };
  if (!run_path(&r, put("shed.lua", shed), light, 1)) return;
  CHECK_EQ_INT(r.s.svc[0].rej_shed, 0);
  run_free(&r);
}

/* ---- outlier ejection (Envoy) ---- */

/* One instance of five crashes at 10.5 s for good; the balancer's health check would take
** 60 s to notice, so until then only ejection takes it out. Round robin: every 5th request
** goes to it while it is in rotation. */
static const char *outlier_one =
  "scenario { name = \"outlier\", duration = \"100s\", seed = 16, window = \"1s\" }\n"
  "service \"s\" { instances = 5, workers = 100, queue = 100, work = const \"1ms\", health_check = \"60s\",\n"
  "  outlier = { consecutive_errors = 5, interval = \"10s\", base_ejection = \"30s\", max_ejected = \"10%\" } }\n"
  "traffic { rate = \"200/s\", mix = { s = 1 } }\n"
  "fault { target = \"s\", kind = \"crash\", instances = 1, at = \"10.5s\", duration = \"1000s\" }\n";
static const char *outlier_none =
  "scenario { name = \"outlier\", duration = \"100s\", seed = 16, window = \"1s\" }\n"
  "service \"s\" { instances = 5, workers = 100, queue = 100, work = const \"1ms\", health_check = \"60s\" }\n"
  "traffic { rate = \"200/s\", mix = { s = 1 } }\n"
  "fault { target = \"s\", kind = \"crash\", instances = 1, at = \"10.5s\", duration = \"1000s\" }\n";

TEST(outlier_ejection_takes_a_crashed_instance_out_after_its_consecutive_errors) {
  run_t r;
  if (!run_text(&r, "outlier.lua", outlier_one)) return;
  const fl_svc_rt_t *s = srt(&r, "s");
  const fl_stats_t *st = &s->st;
  note("ejections %llu; failures: w10 %.0f, 11-40 %.0f, w40 %.0f w41 %.0f, 42-100 %.0f", (unsigned long long)s->ejections,
       st->series[FL_SER_FAILURES][10], sum(st, FL_SER_FAILURES, 11, 40), st->series[FL_SER_FAILURES][40],
       st->series[FL_SER_FAILURES][41], sum(st, FL_SER_FAILURES, 42, 100));
  /* exactly 5 failures, then ejected for 30 s (base x 1); back at ~40.5 s (Envoy: at the
  ** first 10 s sweep after that, 50 s; either is accepted): 5 more failures, ejected for 60 s
  ** (base x 2), past the end of the run */
  CHECK_EQ_INT(sum(st, FL_SER_FAILURES, 0, 10), 0);
  CHECK_EQ_INT(st->series[FL_SER_FAILURES][10], 5);
  CHECK_EQ_INT(sum(st, FL_SER_FAILURES, 11, 40), 0);
  CHECK_EQ_INT(sum(st, FL_SER_FAILURES, 40, 51), 5);
  CHECK_EQ_INT(sum(st, FL_SER_FAILURES, 51, 100), 0);
  CHECK_EQ_INT(st->total.failures, 10);
  CHECK_EQ_INT(st->total.cause[FL_CAUSE_UNAVAILABLE], 10);
  CHECK_EQ_INT(s->ejections, 2);
  /* 4 instances in rotation while it is out */
  CHECK_EQ_INT(st->series[FL_SER_INSTANCES][20], 4);
  CHECK_EQ_INT(st->series[FL_SER_INSTANCES][70], 4);
  CHECK_EQ_INT(st->series[FL_SER_INSTANCES][5], 5);
  run_free(&r);
  /* without ejection, a fifth of the requests fail until the health check notices (70.5 s) */
  if (!run_text(&r, "outlier_none.lua", outlier_none)) return;
  const fl_stats_t *n = &r.s.svc[0].st;
  double f = sum(n, FL_SER_FAILURES, 11, 70), a = sum(n, FL_SER_ARRIVALS, 11, 70);
  note("no ejection: failures %.0f of %.0f (%.4f)", f, a, f / a);
  CHECK_NEAR(f / a, 0.2, 0.002);    /* round robin: every 5th, +-1 per window edge */
  run_free(&r);
}

/* Three instances of five crash; max_ejected 40% lets two out at once. */
static const char *outlier_three =
  "scenario { name = \"outlier 3\", duration = \"40s\", seed = 17, window = \"1s\" }\n"
  "service \"s\" { instances = 5, workers = 100, queue = 100, work = const \"1ms\", health_check = \"60s\",\n"
  "  outlier = { consecutive_errors = 5, interval = \"10s\", base_ejection = \"10s\", max_ejected = \"40%\" } }\n"
  "traffic { rate = \"300/s\", mix = { s = 1 } }\n"
  "fault { target = \"s\", kind = \"crash\", instances = 3, at = \"5.5s\", duration = \"1000s\" }\n";

TEST(outlier_ejection_never_takes_out_more_than_max_ejected) {
  run_t r;
  if (!start_path(&r, put("outlier3.lua", outlier_three), NULL, 0)) return;
  int id = svc_id(&r, "s"), most = 0, violations = 0;
  fl_time_t step = 5 * FL_MS;
  for (fl_time_t t = step; fl_sim_run_until(&r.s, t); t += step) {
    const fl_svc_rt_t *s = &r.s.svc[id];
    int out = 0;
    for (int k = 0; k < s->ninst; k++) out += s->inst[k].ejected;
    if (out > most) most = out;
    if (out > 2) violations++;
  }
  CHECK(r.s.complete);
  const fl_stats_t *st = &r.s.svc[id].st;
  double f = sum(st, FL_SER_FAILURES, 7, 15), a = sum(st, FL_SER_ARRIVALS, 7, 15);
  note("most ejected at once %d; ejections %llu; failure ratio 7-15 s %.4f", most, (unsigned long long)r.s.svc[id].ejections, f / a);
  CHECK_EQ_INT(violations, 0);
  CHECK_EQ_INT(most, 2);
  /* with two of the three out, round robin over 3 in rotation: a third of requests fail */
  CHECK_NEAR(f / a, 1.0 / 3, 0.005);
  CHECK_EQ_INT(st->series[FL_SER_INSTANCES][10], 3);
  run_free(&r);
}

/* ---- hedging ---- */

/* Envoy counts a timeout at a host as a 5xx for consecutive_5xx (locally originated failures
** are not split out by default: split_external_local_origin_errors = false), so a hung
** instance is ejected like a crashed one. The hung instance has room for every request sent
** to it, so that it never rejects: only the callers' timeouts tell. */
static const char *outlier_hang =
  "scenario { name = \"outlier hang\", duration = \"30s\", seed = 21, window = \"1s\" }\n"
  "service \"front\" { instances = 1, workers = 100000, queue = 0, blocking = false,\n"
  "  work = const \"0s\", calls = { call \"s\" { timeout = \"100ms\" } } }\n"
  "service \"s\" { instances = 5, workers = 100000, queue = 0, work = const \"1ms\", health_check = \"60s\",\n"
  "  outlier = { consecutive_errors = 5, base_ejection = \"60s\", max_ejected = \"20%\" } }\n"
  "traffic { rate = \"200/s\", mix = { front = 1 } }\n"
  "fault { target = \"s\", kind = \"hang\", instances = 1, at = \"10.5s\", duration = \"1000s\" }\n";

TEST(outlier_ejection_counts_timeouts_at_a_hung_instance) {
  run_t r;
  if (!run_text(&r, "outlier_hang.lua", outlier_hang)) return;
  const fl_stats_t *j = jst(&r, "front");
  double late = sum(j, FL_SER_FAILURES, 12, 30), all = sum(j, FL_SER_ARRIVALS, 12, 30);
  note("hang: journey failures 10-12 s %.0f, 12-30 s %.0f of %.0f; ejections %llu", sum(j, FL_SER_FAILURES, 10, 12), late, all,
       (unsigned long long)srt(&r, "s")->ejections);
  /* 5 timeouts (and the calls sent in their 100 ms) then ejected: nothing fails after */
  CHECK_EQ_INT(srt(&r, "s")->ejections, 1);
  CHECK_MSG(late == 0, "a fifth of the calls still time out: %.0f of %.0f", late, all);
  run_free(&r);
}



/* A heavy-tailed callee (lognormal, median 10 ms, p99 300 ms) with room to spare. */
static const char *hedge =
  "scenario { name = \"hedge\", duration = \"20s\", seed = 18, window = \"1s\" }\n"
  "service \"front\" { instances = 1, workers = 100000, queue = 0, blocking = false,\n"
  "  work = const \"0s\", calls = { call \"back\" { hedge = { after = \"30ms\", max = 1 } } } }\n"
  "service \"back\" { instances = 4, workers = 1000, queue = 100, work = lognormal { median = \"10ms\", p99 = \"300ms\" } }\n"
  "traffic { rate = \"1000/s\", mix = { front = 1 } }\n";

static double phi(double x) { return 0.5 * erfc(-x / sqrt(2)); }

TEST(hedging_cuts_the_p99_of_a_heavy_tailed_call_at_a_measured_extra_load) {
  const double sigma = log(30.0) / 2.326347874;
  /* P(X > t) for the work, t in ms */
  #define SURV(t) (1 - phi(log((t) / 10.0) / sigma))
  run_t r;
  const char *off[] = { "front.calls.back.hedge.max=0" };
  if (!run_path(&r, put("hedge.lua", hedge), off, 1)) return;
  double p99_off = ms(fl_hist_quantile(jst(&r, "front")->htotal, 0.99));
  double busy_off = srt(&r, "back")->t_busy, arr_off = (double)srt(&r, "back")->st.total.arrivals;
  const fl_call_rt_t *c0 = crt(&r, "front.default", "back");
  CHECK_EQ_INT(c0->hedges, 0);
  CHECK_EQ_INT(c0->attempts, c0->calls);
  run_free(&r);
  if (!run_path(&r, put("hedge.lua", hedge), NULL, 0)) return;
  const fl_call_rt_t *c = crt(&r, "front.default", "back");
  double p99 = ms(fl_hist_quantile(jst(&r, "front")->htotal, 0.99));
  double busy = srt(&r, "back")->t_busy, arr = (double)srt(&r, "back")->st.total.arrivals;
  double share = (double)c->hedges / (double)c->calls;
  /* the theory: a hedge when the first attempt takes over 30 ms; the answer is
  ** min(X1, 30 ms + X2), whose p99 t solves P(X > t) P(X > t - 30 ms) = 0.01 */
  double lo = 30, hi = 300;
  for (int i = 0; i < 60; i++) { double mid = (lo + hi) / 2; if (SURV(mid) * SURV(mid - 30) > 0.01) lo = mid; else hi = mid; }
  note("p99 %.1f ms without, %.1f ms with (theory %.1f); hedges %.4f of calls (theory %.4f); back busy x%.3f, arrivals x%.3f",
       p99_off, p99, lo, share, SURV(30.0), busy / busy_off, arr / arr_off);
  CHECK_NEAR(p99_off, 300, 300 * 0.08);        /* the p99 of the work itself (sd of a p99 over 20000 ~ 3%) */
  CHECK_REL(p99, lo, 0.08);
  CHECK(p99 < 0.4 * p99_off);
  CHECK_NEAR(share, SURV(30.0), 0.012);       /* sd 0.003 */
  /* the cost: each hedge is a real request, and the loser's work goes on (orphaned) */
  CHECK_EQ_INT(c->attempts, c->calls + c->hedges);
  CHECK_EQ_INT((uint64_t)arr, c->attempts);
  CHECK_NEAR(arr / arr_off, 1 + share, 0.02);
  CHECK(busy / busy_off > 1.1);
  run_free(&r);

  /* after = "p95": hedges for about 5% of calls once the percentile is known */
  const char *p95[] = { "front.calls.back.hedge.after=p95" };
  if (!run_path(&r, put("hedge.lua", hedge), p95, 1)) return;
  c = crt(&r, "front.default", "back");
  share = (double)c->hedges / (double)c->calls;
  note("p95: hedges %.4f of calls, after %.1f ms (work p95 %.1f ms)", share, ms(c->hedge_after), 10 * exp(sigma * 1.644853627));
  CHECK_NEAR(share, 0.05, 0.015);
  CHECK_REL(ms(c->hedge_after), 10 * exp(sigma * 1.644853627), 0.1);
  run_free(&r);
  #undef SURV
}

/* "sends a second attempt to another instance": one of two instances hangs (with room for
** every request sent to it, so that it never rejects), so a hedge that goes back to it is
** wasted and the call times out. */
static const char *hedge_other =
  "scenario { name = \"hedge other\", duration = \"20s\", seed = 22, window = \"1s\" }\n"
  "service \"front\" { instances = 1, workers = 100000, queue = 0, blocking = false,\n"
  "  work = const \"0s\", calls = { call \"back\" { timeout = \"500ms\", hedge = { after = \"30ms\", max = 1 } } } }\n"
  "service \"back\" { instances = 2, workers = 100000, queue = 0, work = const \"1ms\", health_check = \"1h\" }\n"
  "traffic { rate = \"200/s\", mix = { front = 1 } }\n"
  "fault { target = \"back\", kind = \"hang\", instances = 1, at = \"5.5s\", duration = \"1h\" }\n";

TEST(a_hedge_goes_to_another_instance) {
  run_t r;
  if (!run_text(&r, "hedge_other.lua", hedge_other)) return;
  const fl_stats_t *j = jst(&r, "front");
  double f = sum(j, FL_SER_FAILURES, 7, 20), a = sum(j, FL_SER_ARRIVALS, 7, 20);
  const fl_call_rt_t *c = crt(&r, "front.default", "back");
  note("hedges %llu of %llu calls; failures 7-20 s %.0f of %.0f", (unsigned long long)c->hedges, (unsigned long long)c->calls, f, a);
  /* from 5.5 s, half the first attempts hang; each is hedged after 30 ms to the healthy
  ** instance (sd of the share 0.008) */
  CHECK_NEAR((double)c->hedges / (double)c->calls, 0.5 * 14.5 / 20, 0.035);
  CHECK_MSG(f == 0, "%.0f of %.0f calls failed: their hedge went to the same hung instance", f, a);
  run_free(&r);
}

/* ---- deadlines ---- */

/* 10 workers of 100 ms (100/s) at 80/s, 200/s for 10 s from 20 s: a backlog of ~1000,
** drained at 20/s without deadlines: the server works for callers long gone until ~70 s. */
static const char *deadline =
  "scenario { name = \"deadline\", duration = \"100s\", seed = 19, window = \"1s\" }\n"
  "service \"client\" { instances = 1, workers = 100000, queue = 0, blocking = false,\n"
  "  work = const \"0s\", calls = { call \"server\" { timeout = \"1s\", deadline = true } } }\n"
  "service \"server\" { instances = 1, workers = 10, queue = 100000, work = const \"100ms\" }\n"
  "traffic { rate = piecewise { { \"0s\", \"80/s\" }, { \"20s\", \"80/s\" }, { \"20.001s\", \"200/s\" }, { \"30s\", \"200/s\" },\n"
  "  { \"30.001s\", \"80/s\" } }, mix = { client = 1 } }\n";

TEST(deadlines_cut_orphaned_work_after_an_overload) {
  run_t r;
  const char *off[] = { "client.calls.server.deadline=false" };
  if (!run_path(&r, put("deadline.lua", deadline), off, 1)) return;
  const fl_stats_t *sv = sst(&r, "server"), *j = jst(&r, "client");
  double orphan_off = (double)sv->total.successes - (double)j->total.successes;
  double busy_off = sum(sv, FL_SER_BUSY, 30, 100);
  double ok_off = sum(j, FL_SER_SUCCESSES, 40, 60) / sum(j, FL_SER_ARRIVALS, 40, 60);
  CHECK_EQ_INT(sv->total.cause[FL_CAUSE_DEADLINE], 0);
  run_free(&r);
  if (!run_path(&r, put("deadline.lua", deadline), NULL, 0)) return;
  sv = sst(&r, "server"); j = jst(&r, "client");
  double orphan = (double)sv->total.successes - (double)j->total.successes;
  double busy = sum(sv, FL_SER_BUSY, 30, 100);
  double ok = sum(j, FL_SER_SUCCESSES, 40, 60) / sum(j, FL_SER_ARRIVALS, 40, 60);
  note("orphaned answers %.0f without deadlines, %.0f with; busy worker-s 30-100 s %.0f vs %.0f; success 40-60 s %.3f vs %.3f; "
       "dropped %llu", orphan_off, orphan, busy_off, busy, ok_off, ok, (unsigned long long)sv->total.cause[FL_CAUSE_DEADLINE]);
  /* Without deadlines the backlog of the burst (~1000) and everything queued behind it for
  ** ~45 s is served to callers long gone. With them, expired requests are dropped when they
  ** reach a worker, so what is left orphaned is the work started in time but finished late:
  ** about the 10 s of the burst itself (~1000). */
  CHECK(orphan_off > 4000);
  CHECK(orphan < 0.25 * orphan_off);
  CHECK(sv->total.cause[FL_CAUSE_DEADLINE] > 500);
  CHECK(busy < 0.9 * busy_off);
  CHECK(ok_off < 0.05);       /* without: the backlog is served to nobody for a minute */
  CHECK(ok > 0.99);           /* with: the backlog is dropped, and the service is back at once */
  run_free(&r);
}

/* ---- the retry storm ---- */

static const char *storm_path(void) {
  static const char *const cand[] = { "scenarios/retry_storm.lua", "../scenarios/retry_storm.lua", "../../scenarios/retry_storm.lua" };
  struct stat sb;
  for (size_t i = 0; i < sizeof cand / sizeof cand[0]; i++) if (stat(cand[i], &sb) == 0) return cand[i];
  static char p[512];
  snprintf(p, sizeof p, "%s", __FILE__);
  char *slash = strrchr(p, '/');
  if (slash) { strcpy(slash, "/../scenarios/retry_storm.lua"); return p; }
  return cand[0];
}

/* Success ratio of the journey over windows [160 s, 220 s): two to three minutes after the
** trigger ends (40 s). */
static double storm_ratio(const char *const *sets, int nsets, const char *what) {
  run_t r;
  if (!run_path(&r, storm_path(), sets, nsets)) return -1;
  const fl_stats_t *j = &r.s.jrn[0].st;
  double ok = sum(j, FL_SER_SUCCESSES, 160, 220), arr = sum(j, FL_SER_ARRIVALS, 160, 220);
  const fl_call_rt_t *c = &r.s.call[0];
  note("%s: success %.4f (%.0f of %.0f); retries %llu denied %llu opens %llu", what, ok / arr, ok, arr,
       (unsigned long long)c->retries, (unsigned long long)c->budget_denied, (unsigned long long)c->breaker_opens);
  run_free(&r);
  return arr > 0 ? ok / arr : -1;
}

TEST(retry_storm_stays_down_without_a_cure_and_recovers_with_one) {
  double none = storm_ratio(NULL, 0, "no cure");
  CHECK(none >= 0 && none < 0.05);
  const char *noretry[] = { "client.calls.server.retries=0" };
  CHECK(storm_ratio(noretry, 1, "no retries") >= 0.99);
  const char *budget_[] = { "client.calls.server.retry_budget.ratio=0.1" };
  CHECK(storm_ratio(budget_, 1, "budget") >= 0.99);
  const char *breaker[] = { "client.calls.server.breaker.enabled=true", "client.calls.server.breaker.window=50",
                            "client.calls.server.breaker.min_calls=20", "client.calls.server.breaker.open_for=5s" };
  CHECK(storm_ratio(breaker, 4, "breaker") >= 0.99);
  const char *jitter[] = { "client.calls.server.backoff.base=100ms", "client.calls.server.backoff.max=2s",
                           "client.calls.server.backoff.jitter=full" };
  double j = storm_ratio(jitter, 3, "backoff + jitter");
  CHECK(j >= 0 && j < 0.05);
}

/* ---- named profiles ---- */

static const char *profiles =
  "scenario { name = \"profiles\", duration = \"1s\", seed = 1 }\n"
  "service \"client\" { instances = 1, workers = 10, queue = 10, endpoints = {\n"
  "  a = { work = const \"1ms\", calls = { call \"s\" { breaker = profile.resilience4j } } },\n"
  "  b = { work = const \"1ms\", calls = { call \"s\" { breaker = profile.resilience4j { open_for = \"10s\", min_calls = 20 } } } },\n"
  "  c = { work = const \"1ms\", calls = { call \"s\" { retry = profile.envoy } } },\n"
  "  d = { work = const \"1ms\", calls = { call \"s\" { retry = profile.envoy { retries = 3 } } } },\n"
  "  e = { work = const \"1ms\", calls = { call \"s\" { retry = profile.resilience4j } } },\n"
  "  f = { work = const \"1ms\", calls = { call \"s\" { retry = profile.grpc } } },\n"
  "  g = { work = const \"1ms\", calls = { call \"s\" { breaker = { window = 10 } } } },\n"
  "  h = { work = const \"1ms\", calls = { call \"s\" { retry = profile.envoy { backoff = { base = \"50ms\" } } } } },\n"
  "  k = { work = const \"1ms\", calls = { call \"s\" { retry = profile.envoy { retry_budget = { ratio = 0.1 } } } } } } }\n"
  "service \"s\" { instances = 5, workers = 10, queue = 10, work = const \"1ms\", outlier = profile.envoy }\n"
  "service \"t\" { instances = 5, workers = 10, queue = 10, work = const \"1ms\", outlier = profile.envoy { max_ejected = \"40%\" } }\n"
  "traffic { rate = \"1/s\", mix = { [\"client.a\"] = 1 } }\n";

TEST(named_profiles_resolve_to_their_documented_defaults_with_overrides) {
  fl_load_opts_t o = { 0 };
  char err[1024];
  fl_model_t *m = NULL;
  if (fl_scenario_load(put("profiles.lua", profiles), &o, &m, err, sizeof err) != 0) { CHECK_FAIL_("cannot load: %s", err); return; }
  /* Resilience4j CircuitBreakerConfig: 50%, window 100, minimum 100, 60 s open, 10 half-open */
  const fl_breaker_cfg_t *a = &call_of(m, "client.a", "s")->breaker;
  CHECK(a->on);
  CHECK_NEAR(a->failure_rate, 0.5, 1e-12);
  CHECK_EQ_INT(a->window, 100);
  CHECK_EQ_INT(a->min_calls, 100);
  CHECK_EQ_INT(a->open_for, 60 * FL_SEC);
  CHECK_EQ_INT(a->half_open_calls, 10);
  CHECK_NEAR(a->slow_call_rate, 1.0, 1e-12);
  CHECK_EQ_INT(a->slow_call, 60 * FL_SEC);
  /* overrides apply, the rest stays */
  const fl_breaker_cfg_t *b = &call_of(m, "client.b", "s")->breaker;
  CHECK_EQ_INT(b->open_for, 10 * FL_SEC);
  CHECK_EQ_INT(b->min_calls, 20);
  CHECK_EQ_INT(b->window, 100);
  CHECK_EQ_INT(b->half_open_calls, 10);
  CHECK_NEAR(b->failure_rate, 0.5, 1e-12);
  /* a plain breaker table takes the same defaults; min_calls is at most the window */
  const fl_breaker_cfg_t *g = &call_of(m, "client.g", "s")->breaker;
  CHECK_EQ_INT(g->window, 10);
  CHECK_EQ_INT(g->min_calls, 10);
  CHECK_EQ_INT(g->open_for, 60 * FL_SEC);
  /* Envoy's route retry policy: 1 retry, 25 ms base, full jitter (max 10 x base); budget 20%, 3 */
  const fl_call_t *c = call_of(m, "client.c", "s");
  CHECK_EQ_INT(c->retries, 1);
  CHECK_EQ_INT(c->backoff_base, 25 * FL_MS);
  CHECK_EQ_INT(c->backoff_max, 250 * FL_MS);
  CHECK_NEAR(c->backoff_mult, 2, 1e-12);
  CHECK_EQ_INT(c->jitter, FL_JITTER_FULL);
  CHECK_NEAR(c->budget_ratio, 0.2, 1e-12);
  CHECK_NEAR(c->budget_min, 3, 1e-12);
  const fl_call_t *d = call_of(m, "client.d", "s");
  CHECK_EQ_INT(d->retries, 3);
  CHECK_EQ_INT(d->backoff_base, 25 * FL_MS);
  CHECK_EQ_INT(d->jitter, FL_JITTER_FULL);
  CHECK_NEAR(d->budget_ratio, 0.2, 1e-12);
  /* Resilience4j's retry: 3 attempts, 500 ms apart */
  const fl_call_t *e = call_of(m, "client.e", "s");
  CHECK_EQ_INT(e->retries, 2);
  CHECK_EQ_INT(e->backoff_base, 500 * FL_MS);
  CHECK_EQ_INT(e->backoff_max, 500 * FL_MS);
  CHECK_NEAR(e->backoff_mult, 1, 1e-12);
  CHECK_EQ_INT(e->jitter, FL_JITTER_NONE);
  CHECK(e->budget_ratio <= 0);
  /* gRPC (gRFC A6): 4 attempts, 100 ms initial, x2, 1 s max, jittered, UNAVAILABLE only */
  const fl_call_t *f = call_of(m, "client.f", "s");
  CHECK_EQ_INT(f->retries, 3);
  CHECK_EQ_INT(f->backoff_base, 100 * FL_MS);
  CHECK_EQ_INT(f->backoff_max, 1 * FL_SEC);
  CHECK_EQ_INT(f->jitter, FL_JITTER_FULL);
  CHECK_EQ_INT(f->retry_on, 1u << FL_CAUSE_UNAVAILABLE);
  /* overriding one backoff field keeps the profile's others (Envoy's backoff is always jittered) */
  const fl_call_t *h = call_of(m, "client.h", "s");
  CHECK_EQ_INT(h->backoff_base, 50 * FL_MS);
  CHECK_MSG(h->jitter == FL_JITTER_FULL, "retry = profile.envoy { backoff = { base = \"50ms\" } }: jitter %d, expected full", (int)h->jitter);
  CHECK_MSG(h->backoff_max == 250 * FL_MS, "retry = profile.envoy { backoff = { base = \"50ms\" } }: max %.1f ms, expected 250",
            ms(h->backoff_max));
  CHECK_EQ_INT(h->retries, 1);
  CHECK_NEAR(h->budget_ratio, 0.2, 1e-12);
  /* ... and so does overriding one budget field */
  const fl_call_t *k = call_of(m, "client.k", "s");
  CHECK_NEAR(k->budget_ratio, 0.1, 1e-12);
  CHECK_MSG(fabs(k->budget_min - 3) < 1e-12, "retry = profile.envoy { retry_budget = { ratio = 0.1 } }: min_per_s %g, expected 3",
            k->budget_min);
  /* Envoy's outlier detection: 5 consecutive errors, 10 s interval, 30 s base ejection, 10% */
  const fl_service_t *s = fl_model_find_service(m, "s"), *t = fl_model_find_service(m, "t");
  CHECK_EQ_INT(s->outlier.consecutive_errors, 5);
  CHECK_NEAR(s->outlier.interval, 10, 1e-12);
  CHECK_NEAR(s->outlier.base_ejection, 30, 1e-12);
  CHECK_NEAR(s->outlier.max_ejected, 0.1, 1e-12);
  CHECK_NEAR(t->outlier.max_ejected, 0.4, 1e-12);
  CHECK_EQ_INT(t->outlier.consecutive_errors, 5);
  CHECK_NEAR(t->outlier.base_ejection, 30, 1e-12);
  fl_model_free(m);

  /* --set reaches the policy fields */
  const char *sets[] = { "client.endpoints.a.calls.s.breaker.open_for=7s", "client.endpoints.c.calls.s.retries=4",
                         "client.endpoints.c.calls.s.retry_budget.ratio=0.3", "client.endpoints.c.calls.s.backoff.jitter=equal" };
  o.sets = sets; o.nsets = 4;
  if (fl_scenario_load(put("profiles.lua", profiles), &o, &m, err, sizeof err) != 0) { CHECK_FAIL_("cannot load with --set: %s", err); return; }
  CHECK_EQ_INT(call_of(m, "client.a", "s")->breaker.open_for, 7 * FL_SEC);
  CHECK_EQ_INT(call_of(m, "client.a", "s")->breaker.window, 100);
  CHECK_EQ_INT(call_of(m, "client.c", "s")->retries, 4);
  CHECK_NEAR(call_of(m, "client.c", "s")->budget_ratio, 0.3, 1e-12);
  CHECK_NEAR(call_of(m, "client.c", "s")->budget_min, 3, 1e-12);
  CHECK_EQ_INT(call_of(m, "client.c", "s")->jitter, FL_JITTER_EQUAL);
  fl_model_free(m);
}
