/* Faults and what they do to a run: crash (all instances, and one of four behind a balancer
** that needs a health check to notice), hang (timeouts at callers; the requests it held fail
** as unavailable when it ends), partition (one link only), latency, slowdown, errors; the
** health states of a steady run; the cascade of the recommendation outage (variant A fails,
** variant B holds); expectations (observed numbers, during = range / fault / steady); JUnit.
**
** Every scenario is small, with a fixed seed, and runs in well under a second at -O2.
** Most numbers checked are counts read from the per-window series (s.svc[i].st.series,
** s.jrn[j].st.series) and compared exactly, or against a stated tolerance:
**  - where a count is exact by construction (every call to a dead service fails at once, round
**    robin sends exactly every 4th call to the crashed instance), the check is exact or +-1%;
**  - where a count is a Poisson draw, the tolerance is at least 4 standard deviations.
** Faults that do not test the window boundary start off it (at = "20.5s") so that counts split
** cleanly by window; the boundary itself has its own tests.
**
** FAULTLINE_FAULTS_VERBOSE=1 prints the numbers compared. */
#define CHECK_MAIN
#include "check.h"

#include <cJSON.h>
#include <stdarg.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#include "faultline/hist.h"
#include "faultline/report.h"
#include "faultline/scenario.h"
#include "faultline/sim.h"

#define FIXTURE_NAME "faults"
#include "fixture.h"

/* ---- runs ---- */

/* Windows in [w0, w1) where the series is not 'v' (-1 when none). */
static int first_not(const fl_stats_t *st, fl_series_t k, int w0, int w1, double v) {
  for (int w = w0; w < w1; w++) if (st->series[k][w] != v) return w;
  return -1;
}

static void dump_windows(const run_t *r, const char *svc, int w0, int w1) {
  if (!verbose()) return;
  const fl_stats_t *st = sst(r, svc);
  printf("  # %s:", svc);
  for (int w = w0; w < w1; w++)
    printf(" [%d a%.0f s%.0f f%.0f i%.0f]", w, st->series[FL_SER_ARRIVALS][w], st->series[FL_SER_SUCCESSES][w],
           st->series[FL_SER_FAILURES][w], st->series[FL_SER_INSTANCES][w]);
  printf("\n");
}

/* ---- crash ---- */

/* Both instances of 'back' crash at 20 s for 10 s; the balancer notices after 2 s. */
static const char *crash_all =
  "scenario { name = \"crash all\", duration = \"40s\", seed = 3, window = \"1s\", warmup = \"5s\" }\n"
  "service \"front\" { instances = 1, workers = 200, queue = 1000,\n"
  "  endpoints = { go = { work = const \"1ms\", calls = { call \"back\" } } } }\n"
  "service \"back\" { instances = 2, workers = 10, queue = 100, health_check = \"2s\", work = exp \"10ms\" }\n"
  "traffic { rate = \"100/s\", mix = { [\"front.go\"] = 1 } }\n"
  "fault { target = \"back\", kind = \"crash\", at = \"20s\", duration = \"10s\" }\n";

TEST(crash_of_every_instance_fails_calls_as_unavailable_and_nothing_succeeds_there) {
  run_t r;
  if (!run_text(&r, "crash_all.lua", crash_all)) return;
  const fl_stats_t *b = sst(&r, "back"), *f = sst(&r, "front"), *j = jst(&r, "front.go");
  dump_windows(&r, "back", 17, 33);
  /* Nothing succeeds at back while it is down, whether or not the balancer has noticed. */
  CHECK_EQ_INT(sum(b, FL_SER_SUCCESSES, 20, 30), 0);
  CHECK_EQ_INT(sum(b, FL_SER_DEGRADED, 20, 30), 0);
  /* Every call that reaches it during the crash fails at once: failures == arrivals, plus the
  ** few requests in flight at the crash (they arrived in window 19 and fail in window 20). */
  double arr = sum(b, FL_SER_ARRIVALS, 20, 30);
  CHECK(arr > 800);                       /* 100/s x 10 s, Poisson: sd 32 */
  double crash_fails = sum(b, FL_SER_FAILURES, 20, 30);
  CHECK_MSG(crash_fails >= arr && crash_fails <= arr + 5, "failures %.0f, arrivals %.0f", crash_fails, arr);
  /* ... and every failure, at back, at front and of the journey, is 'unavailable'. */
  CHECK(b->total.failures >= arr);
  CHECK_EQ_INT(b->total.cause[FL_CAUSE_UNAVAILABLE], b->total.failures);
  CHECK_EQ_INT(f->total.cause[FL_CAUSE_UNAVAILABLE], f->total.failures);
  CHECK_EQ_INT(j->total.cause[FL_CAUSE_UNAVAILABLE], j->total.failures);
  CHECK_EQ_INT(j->total.failures, b->total.failures);
  /* The balancer takes both out of rotation once it notices (2 s), and back in at the end. */
  CHECK_EQ_INT(first_not(b, FL_SER_INSTANCES, 5, 20, 2), -1);
  CHECK_EQ_INT(first_not(b, FL_SER_INSTANCES, 22, 29, 0), -1);
  CHECK_EQ_INT(first_not(b, FL_SER_INSTANCES, 30, 40, 2), -1);
  /* Recovery: from the first full window after the fault, no failure, all answered. */
  CHECK_EQ_INT(sum(b, FL_SER_FAILURES, 30, 40), 0);
  CHECK_EQ_INT(sum(j, FL_SER_FAILURES, 30, 40), 0);
  double a2 = sum(b, FL_SER_ARRIVALS, 30, 40), s2 = sum(b, FL_SER_SUCCESSES, 30, 40);
  CHECK_NEAR(s2, a2, 3);                  /* a few straddle a window edge */
  run_free(&r);
}

/* One instance of four crashes at 20 s for 20 s; round robin; the health check takes 5 s. */
static const char *crash_one =
  "scenario { name = \"crash one\", duration = \"50s\", seed = 11, window = \"1s\", warmup = \"5s\" }\n"
  "service \"front\" { instances = 1, workers = 300, queue = 1000,\n"
  "  endpoints = { go = { work = const \"1ms\", calls = { call \"back\" } } } }\n"
  "service \"back\" { instances = 4, workers = 10, queue = 100, health_check = \"5s\", work = exp \"10ms\" }\n"
  "traffic { rate = \"400/s\", mix = { [\"front.go\"] = 1 } }\n"
  "fault { target = \"back\", kind = \"crash\", at = \"20s\", duration = \"20s\", instances = 1 }\n";

TEST(crash_of_one_instance_of_four_fails_a_quarter_until_the_health_check_notices) {
  run_t r;
  if (!run_text(&r, "crash_one.lua", crash_one)) return;
  const fl_stats_t *b = sst(&r, "back"), *j = jst(&r, "front.go");
  dump_windows(&r, "back", 17, 43);
  /* Before the notice (20 s .. 25 s) round robin sends every 4th call to the dead instance. */
  double a = sum(b, FL_SER_ARRIVALS, 20, 25), fl = sum(b, FL_SER_FAILURES, 20, 25);
  note("failures %.0f of %.0f arrivals before the notice: %.4f", fl, a, fl / a);
  CHECK(a > 1600);                          /* 400/s x 5 s */
  CHECK_NEAR(fl / a, 0.25, 0.01);
  CHECK(b->series[FL_SER_FAILURES][24] > 0); /* still failing in the last second before the notice */
  CHECK_EQ_INT(b->total.cause[FL_CAUSE_UNAVAILABLE], b->total.failures);
  CHECK_EQ_INT(j->total.cause[FL_CAUSE_UNAVAILABLE], j->total.failures);
  /* From the notice on, the balancer skips it: not one failure, to the end of the run. */
  CHECK_EQ_INT(sum(b, FL_SER_FAILURES, 25, 50), 0);
  CHECK_EQ_INT(sum(j, FL_SER_FAILURES, 25, 50), 0);
  /* Instances in rotation: 4, then 3 from the notice to the end of the fault, then 4. */
  CHECK_EQ_INT(first_not(b, FL_SER_INSTANCES, 5, 24, 4), -1);
  CHECK_EQ_INT(first_not(b, FL_SER_INSTANCES, 25, 39, 3), -1);
  CHECK_EQ_INT(first_not(b, FL_SER_INSTANCES, 40, 50, 4), -1);
  /* Recovery: the restored instance takes its share again (same throughput as before). */
  double after = sum(b, FL_SER_SUCCESSES, 41, 50) / 9, before = sum(b, FL_SER_SUCCESSES, 5, 20) / 15;
  CHECK_REL(after, before, 0.1);            /* 400/s: sd of a 9 s mean 2.2% */
  run_free(&r);
}

/* ---- hang ---- */

/* back hangs from 20.5 s to 30.5 s. front.t calls it with a 100 ms timeout, front.n without. */
static const char *hang =
  "scenario { name = \"hang\", duration = \"40s\", seed = 3, window = \"1s\", warmup = \"5s\" }\n"
  "service \"front\" { instances = 1, workers = 2000, queue = 1000, endpoints = {\n"
  "  t = { work = const \"1ms\", calls = { call \"back\" { timeout = \"100ms\" } } },\n"
  "  n = { work = const \"1ms\", calls = { call \"back\" } } } }\n"
  "service \"back\" { instances = 1, workers = 4, queue = 1000, work = exp \"10ms\" }\n"
  "traffic { rate = \"100/s\", mix = { [\"front.t\"] = 0.5, [\"front.n\"] = 0.5 } }\n"
  "fault { target = \"back\", kind = \"hang\", at = \"20.5s\", duration = \"10s\" }\n";

TEST(hang_shows_only_as_timeouts_at_callers_with_a_timeout) {
  run_t r;
  if (!run_text(&r, "hang.lua", hang)) return;
  const fl_stats_t *t = jst(&r, "front.t"), *n = jst(&r, "front.n");
  /* front.t: every failure a timeout, but for the calls sent in the last 100 ms of the hang,
  ** which see their connection reset when it ends (50/s x 0.1 s: about 5, at most 15);
  ** all of its requests of windows 21..29 fail. */
  CHECK(t->total.failures > 0);
  uint64_t reset = t->total.cause[FL_CAUSE_UNAVAILABLE];
  CHECK_EQ_INT(t->total.cause[FL_CAUSE_TIMEOUT] + reset, t->total.failures);
  CHECK_MSG(reset <= 15, "%llu reset", (unsigned long long)reset);
  CHECK_EQ_INT(sum(t, FL_SER_SUCCESSES, 21, 30), 0);
  /* failures between 20.5 + 0.1 s and 30.5 + 0.1 s: the arrivals of [20.5, 30.5), about 500 */
  double lo = sum(t, FL_SER_ARRIVALS, 21, 30), hi = sum(t, FL_SER_ARRIVALS, 20, 31);
  double fails = sum(t, FL_SER_FAILURES, 20, 31);
  note("front.t failures %.0f, arrivals in [21,30) %.0f, in [20,31) %.0f", fails, lo, hi);
  CHECK(fails >= lo && fails <= hi);
  /* front.n has no timeout: nothing fails while the hang lasts, nothing succeeds either. */
  CHECK_EQ_INT(sum(n, FL_SER_FAILURES, 21, 30), 0);
  CHECK_EQ_INT(sum(n, FL_SER_SUCCESSES, 21, 30), 0);
  /* Back to normal once it is over and its backlog is gone. */
  CHECK_EQ_INT(sum(t, FL_SER_FAILURES, 36, 40), 0);
  run_free(&r);
}

TEST(hang_ending_fails_every_request_it_held_as_unavailable) {
  run_t r;
  if (!run_text(&r, "hang.lua", hang)) return;
  const fl_stats_t *b = sst(&r, "back"), *n = jst(&r, "front.n");
  /* back held every request that arrived during the hang (4 at work, the rest in its waiting
  ** room, which never moved). When it ends, all of them fail as 'unavailable' (DESIGN: "when
  ** the fault ends, the requests it held fail as unavailable, as when their connections are
  ** reset"). */
  double lo = sum(b, FL_SER_ARRIVALS, 21, 30), hi = sum(b, FL_SER_ARRIVALS, 20, 31);
  double unav = (double)b->total.cause[FL_CAUSE_UNAVAILABLE];
  note("back: unavailable %.0f, arrivals in [21,30) %.0f, in [20,31) %.0f; failures in window 30: %.0f",
       unav, lo, hi, b->series[FL_SER_FAILURES][30]);
  CHECK_MSG(unav >= lo && unav <= hi, "back failed %.0f requests as unavailable when the hang ended; it held %.0f..%.0f",
            unav, lo, hi);
  CHECK_EQ_INT(b->total.cause[FL_CAUSE_UNAVAILABLE], b->total.failures);
  /* front.n, which waits without a timeout, sees its requests of the hang fail as unavailable,
  ** all in the window the hang ends (30.5 s). */
  double nlo = sum(n, FL_SER_ARRIVALS, 21, 30), nhi = sum(n, FL_SER_ARRIVALS, 20, 31);
  double nf = n->series[FL_SER_FAILURES][30];
  note("front.n: failures in window 30 %.0f, unavailable %llu, arrivals %.0f..%.0f", nf,
       (unsigned long long)n->total.cause[FL_CAUSE_UNAVAILABLE], nlo, nhi);
  CHECK_MSG(nf >= nlo && nf <= nhi, "front.n: %.0f failures when the hang ended; %.0f..%.0f requests were held", nf, nlo, nhi);
  CHECK_EQ_INT(n->total.cause[FL_CAUSE_UNAVAILABLE], n->total.failures);
  run_free(&r);
}

/* ---- partition ---- */

/* The link a -> b drops calls from 20.5 s to 30.5 s; c -> b is untouched. a.x calls b with a
** 200 ms timeout, a.y without one. */
static const char *partition =
  "scenario { name = \"partition\", duration = \"40s\", seed = 5, window = \"1s\", warmup = \"5s\" }\n"
  "service \"a\" { instances = 1, workers = 1000, queue = 1000, endpoints = {\n"
  "  x = { work = const \"1ms\", calls = { call \"b\" { timeout = \"200ms\" } } },\n"
  "  y = { work = const \"1ms\", calls = { call \"b\" } } } }\n"
  "service \"c\" { instances = 1, workers = 100, queue = 1000, work = const \"1ms\", calls = { call \"b\" } }\n"
  "service \"b\" { instances = 2, workers = 20, queue = 100, work = exp \"5ms\" }\n"
  "traffic { rate = \"150/s\", mix = { [\"a.x\"] = 0.4, [\"a.y\"] = 0.3, c = 0.3 } }\n"
  "fault { from = \"a\", to = \"b\", kind = \"partition\", at = \"20.5s\", duration = \"10s\" }\n";

TEST(partition_drops_calls_on_its_link_only) {
  run_t r;
  if (!run_text(&r, "partition.lua", partition)) return;
  const fl_stats_t *x = jst(&r, "a.x"), *y = jst(&r, "a.y"), *c = jst(&r, "c"), *b = sst(&r, "b");
  dump_windows(&r, "b", 18, 33);
  /* a.x: its calls time out, nothing else. */
  double lo = sum(x, FL_SER_ARRIVALS, 21, 30), hi = sum(x, FL_SER_ARRIVALS, 20, 31), fx = sum(x, FL_SER_FAILURES, 20, 31);
  note("a.x failures %.0f, arrivals %.0f..%.0f", fx, lo, hi);
  CHECK(lo > 400);
  CHECK(fx >= lo && fx <= hi);
  /* timeouts, but for the calls of the last 200 ms, whose timers had not fired when the link
  ** healed: those fail as unavailable at the heal (60/s x 0.2 s = 12; Poisson, at most 30) */
  uint64_t xu = x->total.cause[FL_CAUSE_UNAVAILABLE];
  note("a.x: %llu timeouts, %llu unavailable", (unsigned long long)x->total.cause[FL_CAUSE_TIMEOUT], (unsigned long long)xu);
  CHECK_EQ_INT(x->total.cause[FL_CAUSE_TIMEOUT] + xu, x->total.failures);
  CHECK(xu <= 30);
  CHECK(x->total.cause[FL_CAUSE_TIMEOUT] >= lo - 30);
  CHECK_EQ_INT(sum(x, FL_SER_SUCCESSES, 21, 30), 0);
  /* a.y: held while the link is down, then every held call fails as unavailable at the heal. */
  CHECK_EQ_INT(sum(y, FL_SER_FAILURES, 0, 30), 0);
  CHECK_EQ_INT(sum(y, FL_SER_SUCCESSES, 21, 30), 0);
  double ylo = sum(y, FL_SER_ARRIVALS, 21, 30), yhi = sum(y, FL_SER_ARRIVALS, 20, 31), fy = y->series[FL_SER_FAILURES][30];
  note("a.y failures at the heal %.0f, arrivals %.0f..%.0f", fy, ylo, yhi);
  CHECK(fy >= ylo && fy <= yhi);
  CHECK_EQ_INT(y->total.cause[FL_CAUSE_UNAVAILABLE], y->total.failures);
  CHECK_EQ_INT(y->total.failures, fy);
  /* c -> b is not affected: no failure at all, every request answered. */
  CHECK_EQ_INT(c->total.failures, 0);
  CHECK_NEAR(sum(c, FL_SER_SUCCESSES, 21, 30), sum(c, FL_SER_ARRIVALS, 21, 30), 2);
  /* b never sees a's dropped calls: its arrivals during the partition are c's calls. */
  CHECK_NEAR(sum(b, FL_SER_ARRIVALS, 21, 30), sum(c, FL_SER_ARRIVALS, 21, 30), 2);
  CHECK_EQ_INT(b->total.failures, 0);
  /* Healed: a's journeys succeed again. */
  CHECK_EQ_INT(sum(x, FL_SER_FAILURES, 32, 40) + sum(y, FL_SER_FAILURES, 32, 40), 0);
  CHECK(sum(x, FL_SER_SUCCESSES, 32, 40) > 0.9 * sum(x, FL_SER_ARRIVALS, 32, 40));
  run_free(&r);
}

/* ---- latency, slowdown, errors ---- */

/* A 300 ms latency fault on back from 20 s to 40 s. Expectations with a range 'during' hold the
** latency histograms of the journey before and during the fault. */
static const char *latency =
  "scenario { name = \"latency\", duration = \"50s\", seed = 9, window = \"1s\", warmup = \"5s\" }\n"
  "service \"front\" { instances = 1, workers = 1000, queue = 1000,\n"
  "  endpoints = { go = { work = const \"1ms\", calls = { call \"back\" } } } }\n"
  "service \"back\" { instances = 2, workers = 50, queue = 100, work = exp \"5ms\" }\n"
  "traffic { rate = \"200/s\", mix = { [\"front.go\"] = 1 } }\n"
  "fault { target = \"back\", kind = \"latency\", latency = \"300ms\", at = \"20s\", duration = \"20s\" }\n"
  "expect \"before\" { journey = \"front.go\", p99 = \"< 10s\", during = { \"5s\", \"20s\" } }\n"
  "expect \"during\" { journey = \"front.go\", p99 = \"< 10s\", during = { \"21s\", \"40s\" } }\n"
  "expect \"after\" { journey = \"front.go\", p99 = \"< 10s\", during = { \"41s\", \"50s\" } }\n";

TEST(latency_fault_adds_its_latency_to_callers) {
  run_t r;
  if (!run_text(&r, "latency.lua", latency)) return;
  double before = fl_hist_mean(r.s.exp[exp_id(&r, "before")].acc.h) / 1e9;
  double during = fl_hist_mean(r.s.exp[exp_id(&r, "during")].acc.h) / 1e9;
  double after = fl_hist_mean(r.s.exp[exp_id(&r, "after")].acc.h) / 1e9;
  note("mean journey latency before %.6f s, during %.6f s, after %.6f s", before, during, after);
  CHECK_REL(during - before, 0.300, 0.02);
  CHECK_NEAR(after, before, 0.002);          /* 1 ms const + exp 5 ms: means within 2 ms */
  CHECK(r.s.exp[exp_id(&r, "during")].acc.c.successes > 3000);
  CHECK_EQ_INT(jst(&r, "front.go")->total.failures, 0);
  run_free(&r);
}

/* A single unloaded service (200 workers, 1000/s x 10 ms = 10 busy) slowed down by 3. */
static const char *slowdown =
  "scenario { name = \"slowdown\", duration = \"50s\", seed = 13, window = \"1s\", warmup = \"5s\" }\n"
  "service \"s\" { instances = 1, workers = 200, queue = 1000, work = exp \"10ms\" }\n"
  "traffic { rate = \"1000/s\", mix = { s = 1 } }\n"
  "fault { target = \"s\", kind = \"slowdown\", factor = 3, at = \"20s\", duration = \"20s\" }\n"
  "expect \"before\" { service = \"s\", p99 = \"< 10s\", during = { \"5s\", \"20s\" } }\n"
  "expect \"during\" { service = \"s\", p99 = \"< 10s\", during = { \"21s\", \"40s\" } }\n"
  "expect \"after\" { service = \"s\", p99 = \"< 10s\", during = { \"41s\", \"50s\" } }\n";

TEST(slowdown_multiplies_work_by_its_factor) {
  run_t r;
  if (!run_text(&r, "slowdown.lua", slowdown)) return;
  const fl_hist_t *hb = r.s.exp[exp_id(&r, "before")].acc.h, *hd = r.s.exp[exp_id(&r, "during")].acc.h,
                  *ha = r.s.exp[exp_id(&r, "after")].acc.h;
  double before = fl_hist_mean(hb) / 1e9, during = fl_hist_mean(hd) / 1e9, after = fl_hist_mean(ha) / 1e9;
  note("mean service latency before %.6f (%llu), during %.6f (%llu), after %.6f", before,
       (unsigned long long)hb->count, during, (unsigned long long)hd->count, after);
  /* exponential work: the sd of a mean over n samples is mean / sqrt(n): 0.26% before (15000),
  ** 0.23% during (19000), 0.33% after (9000). Tolerances: 2% on each, 3% on the ratio. */
  CHECK(hd->count > 17000);
  CHECK_REL(before, 0.010, 0.02);
  CHECK_REL(during, 0.030, 0.02);
  CHECK_REL(during / before, 3.0, 0.03);
  CHECK_REL(after, 0.010, 0.02);
  run_free(&r);
}

static const char *errors =
  "scenario { name = \"errors\", duration = \"60s\", seed = 17, window = \"1s\", warmup = \"5s\" }\n"
  "service \"front\" { instances = 1, workers = 200, queue = 1000,\n"
  "  endpoints = { go = { work = const \"1ms\", calls = { call \"back\" } } } }\n"
  "service \"back\" { instances = 2, workers = 20, queue = 100, work = exp \"5ms\" }\n"
  "traffic { rate = \"1000/s\", mix = { [\"front.go\"] = 1 } }\n"
  "fault { target = \"back\", kind = \"errors\", rate = \"20%\", at = \"20s\", duration = \"20s\" }\n";

TEST(errors_fault_fails_its_rate_of_requests_during_the_fault_only) {
  run_t r;
  if (!run_text(&r, "errors.lua", errors)) return;
  const fl_stats_t *b = sst(&r, "back"), *j = jst(&r, "front.go");
  double done = sum(b, FL_SER_SUCCESSES, 20, 40) + sum(b, FL_SER_FAILURES, 20, 40);
  double ratio = sum(b, FL_SER_FAILURES, 20, 40) / done;
  note("back failure ratio during the fault %.5f over %.0f requests", ratio, done);
  /* binomial, n = 20000: sd 0.0028; tolerance 0.01 */
  CHECK(done > 19000);
  CHECK_NEAR(ratio, 0.20, 0.01);
  double jdone = sum(j, FL_SER_SUCCESSES, 20, 40) + sum(j, FL_SER_FAILURES, 20, 40);
  CHECK_NEAR(sum(j, FL_SER_FAILURES, 20, 40) / jdone, 0.20, 0.01);
  /* every failure an error from back */
  CHECK_EQ_INT(b->total.cause[FL_CAUSE_ERROR], b->total.failures);
  CHECK_EQ_INT(j->total.cause[FL_CAUSE_ERROR], j->total.failures);
  /* outside the fault: none at all (the service has no base error rate) */
  CHECK_EQ_INT(sum(b, FL_SER_FAILURES, 0, 20), 0);
  CHECK_EQ_INT(sum(b, FL_SER_FAILURES, 41, 60), 0);
  /* every window of the fault sees errors at about the rate (1000 per window: sd 0.013) */
  for (int w = 21; w < 40; w++) {
    double d = b->series[FL_SER_SUCCESSES][w] + b->series[FL_SER_FAILURES][w];
    CHECK_MSG(fabs(b->series[FL_SER_FAILURES][w] / d - 0.2) < 0.06, "window %d: %.0f of %.0f failed", w,
              b->series[FL_SER_FAILURES][w], d);
  }
  run_free(&r);
}

/* ---- health ---- */

/* 60% load on back (480/s x 10 ms over 8 workers), an SLO it meets easily, no fault. */
static const char *steady =
  "scenario { name = \"steady\", duration = \"120s\", seed = 21, window = \"1s\", warmup = \"10s\" }\n"
  "service \"front\" { instances = 2, workers = 100, queue = 1000, slo = \"300ms\",\n"
  "  endpoints = { go = { work = exp \"1ms\", calls = { call \"back\" } } } }\n"
  "service \"back\" { instances = 2, workers = 4, queue = 200, slo = \"300ms\", work = exp \"10ms\" }\n"
  "traffic { rate = \"480/s\", mix = { [\"front.go\"] = 1 } }\n";

TEST(steady_run_at_sixty_percent_load_changes_no_health_state) {
  run_t r;
  if (!run_text(&r, "steady.lua", steady)) return;
  const fl_sim_t *s = &r.s;
  fl_time_t warm = fl_sec_to_time(r.m->warmup);
  int after = 0;
  for (int i = 0; i < s->nchanges; i++) {
    const fl_change_t *c = &s->changes[i];
    if (c->t < warm) continue;
    after++;
    CHECK_FAIL_("t=%.0fs %s %s -> %s: %s", fl_time_to_sec(c->t), fl_change_subject(s, c), fl_health_name(c->from),
                fl_health_name(c->to), c->reason);
  }
  CHECK_EQ_INT(after, 0);
  /* and the load is what it says: utilisation of back 0.6 (sd ~1% over 110 s) */
  const fl_svc_rt_t *b = &s->svc[svc_id(&r, "back")];
  note("back utilisation %.4f", b->t_busy / b->t_workers);
  CHECK_NEAR(b->t_busy / b->t_workers, 0.60, 0.03);
  for (int w = 10; w < 120; w++) CHECK_EQ_INT(b->st.series[FL_SER_HEALTH][w], FL_HEALTH_OK);
  run_free(&r);
}

/* ---- the recommendation outage ---- */

static const char *outage_path(void) {
  static const char *const cand[] = { "scenarios/recommendation_outage.lua", "../scenarios/recommendation_outage.lua",
                                      "../../scenarios/recommendation_outage.lua" };
  for (size_t i = 0; i < sizeof cand / sizeof cand[0]; i++) if (access(cand[i], R_OK) == 0) return cand[i];
  return cand[0];
}

/* The latest change into a bad state of a service (svc >= 0) or journey, or -1. */
static int find_change(const fl_sim_t *s, int svc, int jrn, fl_health_t to) {
  for (int i = 0; i < s->nchanges; i++) {
    const fl_change_t *c = &s->changes[i];
    if (c->to == to && (svc >= 0 ? c->service == svc : (c->service < 0 && c->journey == jrn))) return i;
  }
  return -1;
}

/* Position of the first timeline entry about 'subject' going to 'to', in the report's order. */
static int timeline_pos(cJSON *tl, const char *key, const char *subject, const char *to) {
  int k = 0;
  cJSON *e;
  cJSON_ArrayForEach(e, tl) {
    cJSON *n = cJSON_GetObjectItem(e, key), *t = cJSON_GetObjectItem(e, "to");
    if (cJSON_IsString(n) && cJSON_IsString(t) && strcmp(n->valuestring, subject) == 0 && strcmp(t->valuestring, to) == 0) return k;
    k++;
  }
  return -1;
}

TEST(recommendation_outage_variant_a_cascades_from_recommend_to_checkout) {
  run_t r;
  if (!run_path(&r, outage_path(), NULL, 0)) return;
  const fl_sim_t *s = &r.s;
  int rec = svc_id(&r, "recommend"), gw = svc_id(&r, "gateway"), co = jrn_id(&r, "gateway.checkout");
  int crec = find_change(s, rec, -1, FL_HEALTH_DOWN), cgw = find_change(s, gw, -1, FL_HEALTH_DOWN),
      cco = find_change(s, -1, co, FL_HEALTH_DOWN);
  CHECK(crec >= 0 && cgw >= 0 && cco >= 0);
  if (crec < 0 || cgw < 0 || cco < 0) { run_free(&r); return; }
  const fl_change_t *a = &s->changes[crec], *g = &s->changes[cgw], *k = &s->changes[cco];
  /* recommend down: the fault on it (hang at 4m) */
  CHECK(a->fault >= 0 && strcmp(r.m->faults[a->fault].name, "recommend") == 0);
  CHECK_EQ_INT(a->parent, -1);
  CHECK(a->t >= 240 * FL_SEC && a->t <= 250 * FL_SEC);
  /* gateway down via recommend, after recommend's change */
  CHECK_EQ_INT(g->via, rec);
  CHECK_EQ_INT(g->parent, crec);
  CHECK_EQ_INT(g->fault, -1);
  CHECK(g->t >= a->t && g->t <= a->t + 30 * FL_SEC);
  /* the checkout journey down via the gateway, after the gateway's change */
  CHECK_EQ_INT(k->via, gw);
  CHECK_EQ_INT(k->parent, cgw);
  CHECK(k->t >= g->t);
  /* the report's timeline lists them cause before effect */
  cJSON *tl = fl_report_timeline_json(s, NULL);
  int pr = timeline_pos(tl, "service", "recommend", "down"), pg = timeline_pos(tl, "service", "gateway", "down"),
      pc = timeline_pos(tl, "journey", "gateway.checkout", "down");
  note("timeline positions: recommend %d, gateway %d, checkout %d", pr, pg, pc);
  CHECK(pr >= 0 && pg > pr && pc > pg);
  cJSON *e = cJSON_GetArrayItem(tl, pg);
  cJSON *after = cJSON_GetObjectItem(e, "after"), *via = cJSON_GetObjectItem(e, "via");
  CHECK(cJSON_IsString(after) && strcmp(after->valuestring, "recommend") == 0);
  CHECK(cJSON_IsString(via) && strcmp(via->valuestring, "recommend") == 0);
  cJSON_Delete(tl);
  /* expectations fail; checkout's success during the fault is far below half */
  CHECK(r.failed >= 1);
  const fl_exp_rt_t *x = &s->exp[exp_id(&r, "checkout survives the recommendation outage")];
  note("variant A: %d expectations failed; checkout success during the fault %.4f", r.failed, x->success_rate);
  CHECK(!x->passed);
  CHECK(x->success_rate < 0.5);
  const fl_acc_t *ph = &s->fault[0].phase[co * 3 + 1];
  uint64_t done = ph->c.successes + ph->c.degraded + ph->c.failures;
  CHECK(done > 0 && (double)(ph->c.successes + ph->c.degraded) / (double)done < 0.5);
  run_free(&r);
}

TEST(recommendation_outage_variant_b_holds_with_a_timeout_and_a_fallback) {
  static const char *const sets[] = { "gateway.endpoints.home.calls.recommend.timeout=50ms",
                                      "gateway.endpoints.home.calls.recommend.optional=true" };
  run_t r;
  if (!run_path(&r, outage_path(), sets, 2)) return;
  const fl_sim_t *s = &r.s;
  int co = jrn_id(&r, "gateway.checkout");
  const fl_exp_rt_t *x = &s->exp[exp_id(&r, "checkout survives the recommendation outage")];
  note("variant B: %d expectations failed; checkout success during the fault %.5f", r.failed, x->success_rate);
  CHECK_EQ_INT(r.failed, 0);
  for (int i = 0; i < r.m->nexpects; i++) CHECK_MSG(s->exp[i].passed, "failed: %s", r.m->expects[i].name);
  CHECK(x->success_rate >= 0.995);
  const fl_acc_t *ph = &s->fault[0].phase[co * 3 + 1];
  uint64_t done = ph->c.successes + ph->c.degraded + ph->c.failures;
  CHECK(done > 20000 && (double)(ph->c.successes + ph->c.degraded) / (double)done >= 0.995);
  /* and the home page is degraded (fallback), not failing */
  const fl_stats_t *home = jst(&r, "gateway.home");
  CHECK(home->total.degraded > 0);
  CHECK((double)home->total.failures < 0.01 * (double)home->total.arrivals);
  run_free(&r);
}

/* ---- expectations ---- */

/* Const work, unloaded: every answer takes exactly 100 ms. Every request fails between 20 s and
** 30 s (errors at 100%: each request whose work ends inside the fault). */
static const char *expects =
  "scenario { name = \"expectations\", duration = \"40s\", seed = 23, window = \"1s\", warmup = \"5s\" }\n"
  "service \"s\" { instances = 1, workers = 100, queue = 1000, work = const \"100ms\" }\n"
  "traffic { rate = \"100/s\", mix = { s = 1 } }\n"
  "fault { name = \"boom\", target = \"s\", kind = \"errors\", rate = \"100%\", at = \"20s\", duration = \"10s\" }\n"
  "expect \"p99 at most 100ms\" { service = \"s\", p99 = \"<= 100ms\", during = { \"5s\", \"20s\" } }\n"
  "expect \"p99 under 100ms\" { service = \"s\", p99 = \"< 100ms\", during = { \"5s\", \"20s\" } }\n"
  "expect \"all succeed before\" { service = \"s\", success_rate = \">= 100%\", during = { \"10s\", \"20s\" } }\n"
  "expect \"none succeed in the fault range\" { service = \"s\", success_rate = \">= 1%\", during = { \"20s\", \"30s\" } }\n"
  "expect \"half and half\" { journey = \"s\", success_rate = \">= 40%\", during = { \"15s\", \"25s\" } }\n"
  "expect \"steady\" { service = \"s\", success_rate = \">= 100%\", during = \"steady\" }\n"
  "expect \"all\" { service = \"s\", success_rate = \">= 60%\" }\n"
  "expect \"<fault> & \\\"quotes\\\"\" { service = \"s\", success_rate = \">= 99%\", during = \"fault:boom\" }\n";

/* success rate of a service over windows [w0, w1), from the series */
static double series_success(const fl_stats_t *st, int w0, int w1) {
  double ok = sum(st, FL_SER_SUCCESSES, w0, w1) + sum(st, FL_SER_DEGRADED, w0, w1);
  return ok / (ok + sum(st, FL_SER_FAILURES, w0, w1));
}

TEST(expectations_report_the_exact_observed_number_and_pass_or_fail_on_it) {
  run_t r;
  if (!run_text(&r, "expects.lua", expects)) return;
  const fl_exp_rt_t *le = &r.s.exp[exp_id(&r, "p99 at most 100ms")], *lt = &r.s.exp[exp_id(&r, "p99 under 100ms")];
  /* every latency is 100 ms exactly, so p99 is 0.1 s exactly: "<=" holds, "<" does not */
  CHECK_NEAR(le->p99, 0.1, 1e-12);
  CHECK_NEAR(lt->p99, 0.1, 1e-12);
  CHECK(le->passed);
  CHECK(!lt->passed);
  CHECK_EQ_INT(le->windows, 15);
  /* success rates: exactly what the windows in scope say */
  const fl_stats_t *st = sst(&r, "s");
  const fl_exp_rt_t *all = &r.s.exp[exp_id(&r, "all")];
  double want = series_success(st, 5, 40);
  note("'all': observed %.9f, from the series %.9f", all->success_rate, want);
  CHECK_NEAR(all->success_rate, want, 1e-12);
  CHECK_NEAR(all->success_rate, 25.0 / 35, 0.03);   /* 10 of 35 windows fail */
  CHECK(all->passed);
  CHECK_EQ_INT(all->windows, 35);
  /* failing: "p99 under 100ms", "none succeed in the fault range", "<fault> & ..." */
  CHECK_EQ_INT(r.failed, 3);
  run_free(&r);
}

TEST(expectation_range_selects_the_windows_inside_it) {
  run_t r;
  if (!run_text(&r, "expects.lua", expects)) return;
  const fl_stats_t *st = sst(&r, "s"), *js = jst(&r, "s");
  const fl_exp_rt_t *before = &r.s.exp[exp_id(&r, "all succeed before")], *in = &r.s.exp[exp_id(&r, "none succeed in the fault range")],
                    *half = &r.s.exp[exp_id(&r, "half and half")];
  CHECK_EQ_INT(before->windows, 10);
  CHECK_EQ_INT(in->windows, 10);
  CHECK_EQ_INT(half->windows, 10);
  /* {10s, 20s}: every request done before the fault succeeded: exactly 1, passes ">= 100%" */
  CHECK_NEAR(before->success_rate, 1.0, 0);
  CHECK(before->passed);
  CHECK_EQ_INT(before->acc.c.successes, sum(st, FL_SER_SUCCESSES, 10, 20));
  /* {20s, 30s}: every request whose work ended in the fault failed: exactly 0, fails ">= 1%" */
  CHECK_NEAR(in->success_rate, 0.0, 0);
  CHECK(!in->passed);
  CHECK_EQ_INT(in->acc.c.failures, sum(st, FL_SER_FAILURES, 20, 30));
  /* {15s, 25s} on the journey: windows 15..24, half good, half bad */
  double want = series_success(js, 15, 25);
  note("half and half: observed %.9f, from the series %.9f", half->success_rate, want);
  CHECK_NEAR(half->success_rate, want, 1e-12);
  CHECK_NEAR(half->success_rate, 0.5, 0.06);
  CHECK(half->passed);
  run_free(&r);
}

TEST(expectation_steady_excludes_the_fault_windows) {
  run_t r;
  if (!run_text(&r, "expects.lua", expects)) return;
  const fl_exp_rt_t *x = &r.s.exp[exp_id(&r, "steady")];
  const fl_stats_t *st = sst(&r, "s");
  /* after warm-up (5 s), without the fault's windows 20..29: 25 windows, all requests fine */
  CHECK_NEAR(x->success_rate, 1.0, 0);
  CHECK(x->passed);
  double want = sum(st, FL_SER_SUCCESSES, 5, 20) + sum(st, FL_SER_SUCCESSES, 30, 40);
  note("steady: %u windows, %llu successes (windows 5..19 and 30..39: %.0f)", x->windows,
       (unsigned long long)x->acc.c.successes, want);
  CHECK_EQ_INT(x->acc.c.failures, 0);
  CHECK_EQ_INT(x->windows, 25);
  CHECK_EQ_INT(x->acc.c.successes, want);
  run_free(&r);
}

/* A fault starting on a window boundary (at = "20s", window 1 s) is active in windows 20..29:
** "fault:NAME" must cover exactly those 10 windows, not window 19 as well. */
TEST(expectation_during_a_fault_covers_exactly_the_fault_windows) {
  run_t r;
  if (!run_text(&r, "expects.lua", expects)) return;
  const fl_exp_rt_t *x = &r.s.exp[exp_id(&r, "<fault> & \"quotes\"")];
  const fl_stats_t *st = sst(&r, "s");
  note("fault:boom: %u windows, success %.6f, successes %llu, failures %llu", x->windows, x->success_rate,
       (unsigned long long)x->acc.c.successes, (unsigned long long)x->acc.c.failures);
  CHECK(!x->passed);
  CHECK_EQ_INT(x->windows, 10);
  CHECK_NEAR(x->success_rate, 0.0, 0);
  CHECK_EQ_INT(x->acc.c.failures, sum(st, FL_SER_FAILURES, 20, 30));
  /* the same for the fault's own before/during phases in the cascade report */
  const fl_acc_t *during = &r.s.fault[0].phase[0 * 3 + 1];
  CHECK_EQ_INT(during->c.successes, 0);
  run_free(&r);
}

/* ---- JUnit ---- */

static char *slurp(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *b = malloc((size_t)n + 1);
  size_t got = fread(b, 1, (size_t)n, f);
  b[got] = 0;
  fclose(f);
  return b;
}

static int count_of(const char *hay, const char *needle) {
  int n = 0;
  for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle)) n++;
  return n;
}

TEST(junit_has_one_testcase_per_expectation_and_a_failure_for_each_failed_one) {
  run_t r;
  if (!run_text(&r, "expects.lua", expects)) return;
  char path[200], err[512];
  snprintf(path, sizeof path, "%s/junit.xml", dir());
  CHECK_EQ_INT(fl_report_write_junit(&r.s, NULL, path, err, sizeof err), 0);
  char *xml = slurp(path);
  CHECK(xml != NULL);
  if (!xml) { run_free(&r); return; }
  CHECK_EQ_INT(count_of(xml, "<testcase "), r.m->nexpects);
  CHECK_EQ_INT(count_of(xml, "</testcase>"), r.m->nexpects);
  CHECK_EQ_INT(count_of(xml, "<failure "), r.failed);
  CHECK_EQ_INT(count_of(xml, "</failure>"), r.failed);
  char attr[64];
  snprintf(attr, sizeof attr, "tests=\"%d\" failures=\"%d\"", r.m->nexpects, r.failed);
  CHECK_MSG(strstr(xml, attr) != NULL, "no %s in:\n%s", attr, xml);
  /* names escaped; the failing p99 case states its observed number */
  CHECK(strstr(xml, "name=\"&lt;fault&gt; &amp; &quot;quotes&quot;\"") != NULL);
  const char *tc = strstr(xml, "name=\"p99 under 100ms\"");
  CHECK(tc != NULL);
  if (tc) {
    const char *end = strstr(tc, "</testcase>");
    const char *fail = strstr(tc, "<failure ");
    CHECK(fail && end && fail < end);
    const char *obs = strstr(tc, "observed p99 100ms");
    CHECK(obs && end && obs < end);
  }
  const char *ok = strstr(xml, "name=\"p99 at most 100ms\"");
  CHECK(ok != NULL);
  if (ok) { const char *end = strstr(ok, "</testcase>"), *fail = strstr(ok, "<failure"); CHECK(end && (!fail || fail > end)); }
  if (system("command -v python3 >/dev/null 2>&1") == 0) {
    char cmd[400];
    snprintf(cmd, sizeof cmd, "python3 -c 'import xml.dom.minidom,sys; xml.dom.minidom.parse(sys.argv[1])' %s", path);
    CHECK_MSG(system(cmd) == 0, "python3 cannot parse %s:\n%s", path, xml);
  } else note("python3 not found: XML not parsed");
  if (verbose()) fputs(xml, stdout);
  free(xml);
  run_free(&r);
}

/* Latency and errors on one link: only the calls from that caller to that callee. */
static const char link_faults[] =
  "scenario { duration = \"60s\", seed = 5, window = \"5s\" }\n"
  "service \"a\" { workers = 100, work = const \"1ms\", calls = { call \"c\" } }\n"
  "service \"b\" { workers = 100, work = const \"1ms\", calls = { call \"c\" } }\n"
  "service \"c\" { workers = 100, work = const \"1ms\" }\n"
  "traffic { rate = 200, mix = { a = 0.5, b = 0.5 } }\n"
  "fault { from = \"a\", to = \"c\", kind = \"latency\", latency = \"300ms\", at = \"20s\", duration = \"20s\" }\n"
  "fault { from = \"b\", to = \"c\", kind = \"errors\", rate = \"50%\", at = \"20s\", duration = \"20s\" }\n";

TEST(latency_and_errors_on_one_link_touch_only_that_link) {
  run_t r;
  if (!run_text(&r, "links.lua", link_faults)) return;
  const fl_stats_t *a = jst(&r, "a"), *b = jst(&r, "b"), *c = sst(&r, "c");
  /* const work: a's answers take exactly 2 ms, plus 300 ms on the faulted link */
  for (uint32_t w = 0; w < r.s.wdone; w++) {
    bool during = w >= 4 && w < 8;
    CHECK_NEAR(a->series[FL_SER_P50][w], during ? 0.302 : 0.002, 0.0015);
    CHECK_NEAR(b->series[FL_SER_P50][w], 0.002, 0.0015);      /* b's link is not slower */
  }
  /* b's calls fail half the time during the fault: 100/s x 20 s x 0.5 = 1000, sd 22 */
  double bf = sum(b, FL_SER_FAILURES, 4, 8), ba = sum(b, FL_SER_ARRIVALS, 4, 8);
  CHECK_NEAR(bf / ba, 0.5, 0.05);
  CHECK_EQ_INT(sum(b, FL_SER_FAILURES, 0, 4) + sum(b, FL_SER_FAILURES, 8, 12), 0);
  CHECK_EQ_INT(b->total.cause[FL_CAUSE_ERROR], b->total.failures);
  /* the failed calls never reached c, which fails nothing itself */
  CHECK_EQ_INT(c->total.failures, 0);
  CHECK_NEAR(sum(c, FL_SER_ARRIVALS, 4, 8), sum(a, FL_SER_ARRIVALS, 4, 8) + ba - bf, 30);
  CHECK_EQ_INT(a->total.failures, 0);
  run_free(&r);
}

/* A leak: work grows from 1x to 'factor' x over 'every', then the instance restarts. */
static const char leak[] =
  "scenario { duration = \"200s\", seed = 9, window = \"5s\" }\n"
  "service \"s\" { instances = 1, workers = 50, queue = 100, work = const \"10ms\", health_check = \"1s\" }\n"
  "traffic { rate = 50, mix = { s = 1 } }\n"
  "fault { target = \"s\", kind = \"leak\", factor = 4, every = \"60s\", restart = \"10s\", at = \"20s\", duration = \"150s\" }\n";

TEST(a_leak_grows_latency_until_the_restart_then_starts_again) {
  run_t r;
  if (!run_text(&r, "leak.lua", leak)) return;
  const fl_stats_t *s = sst(&r, "s");
  /* const 10 ms work, so the median of a window is the work at its middle: 10 ms x (1 + 3 x
  ** elapsed / 60 s) from the fault's start at 20 s; the instance restarts at 80 s (down 10 s),
  ** leaks afresh from 90 s and restarts again at 150 s; after 170 s the fault is over */
  CHECK_NEAR(s->series[FL_SER_P50][2], 0.010, 0.0005);                 /* 10-15 s: before */
  CHECK_NEAR(s->series[FL_SER_P50][9], 0.010 * (1 + 3 * 27.5 / 60), 0.0012);   /* 45-50 s */
  CHECK_NEAR(s->series[FL_SER_P50][14], 0.010 * (1 + 3 * 52.5 / 60), 0.0015);  /* 70-75 s: near 4x */
  CHECK_EQ_INT(s->series[FL_SER_SUCCESSES][17], 0);                    /* 85-90 s: restarting */
  CHECK(s->series[FL_SER_FAILURES][17] > 0);
  CHECK_NEAR(s->series[FL_SER_P50][19], 0.010 * (1 + 3 * 7.5 / 60), 0.0008);   /* 95-100 s: fresh again */
  CHECK_NEAR(s->series[FL_SER_P50][37], 0.010, 0.0005);                /* 185-190 s: over */
  run_free(&r);
}
