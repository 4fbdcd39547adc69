/* Surges, client behaviour, autoscaling and capacity sizing (issue 5) against their references:
**  - the Kubernetes HPA: every sync, desired = ceil(current x metric / target) recomputed here
**    from the run's own series (window = sync period), the tolerance band, the scale-up limit,
**    scale-down only after the stabilisation window, capacity ready only after the delay;
**  - `size --vary workers` on M/M/c against the exact response-time distribution (Erlang C);
**    the search's budget, its verdicts (infeasible, budget) and autoscaled services (their max);
**    the pass-probability bound size states (one-sided Clopper-Pearson) at the confidence asked;
**  - rate profiles: traces (time,rate rows and request timestamps, malformed rows), diurnal,
**    flash, sums and products: arrivals per window against the rate's integral;
**  - client refreshes adding load during an outage; sessions continuing step by step.
**
** Every scenario is small with a fixed seed. Tolerances are exact where the count is fixed by
** construction (timestamps traces, const work), otherwise at least 4 standard deviations of
** the quantity compared (Poisson: sd = sqrt(expected); binomial shares: sqrt(p(1-p)/n)).
** FAULTLINE_SIZING_VERBOSE=1 prints the numbers compared. */
#define CHECK_MAIN
#include "check.h"

#include <stdarg.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#include "faultline/scenario.h"
#include "faultline/sim.h"
#include "faultline/size.h"

#include <cJSON.h>

#define FIXTURE_NAME "sizing"
#include "fixture.h"

/* ---- running a scenario ---- */

/* Loads and runs 'path' with --set assignments (NULL-terminated): a failed check when it does
** not run to its end (run_ok false). */
static void run_file(run_t *r, const char *path, const char *const *sets) {
  int n = 0;
  while (sets && sets[n]) n++;
  run_path(r, path, sets, n);
}

static double svc_series(const run_t *r, const char *name, fl_series_t k, uint32_t w) {
  return r->s.svc[svc_id(r, name)].st.series[k][w];
}

/* Arrivals of journey 0 in window w. */
static double jarrivals(const run_t *r, uint32_t w) { return r->s.jrn[0].st.series[FL_SER_ARRIVALS][w]; }

/* ---- the HPA, recomputed from the series ---- */

/* Kubernetes' HPA as documented, driven by a run's busy-workers series (window = sync period,
** so window k-1 is exactly the sync at the end of it): returns the scaling events it makes
** (times in whole periods, from, to) into ev[], their number as the result. */
typedef struct hpa_ev { int period; int from, to; } hpa_ev_t;

static int hpa_reference(const run_t *r, const char *name, hpa_ev_t *ev, int maxev) {
  const fl_service_t *svc = fl_model_find_service(r->m, name);
  double target = svc->autoscale.target, tol = svc->autoscale.tolerance;
  int cur = svc->instances, n = 0;
  int nrec = 0, rec[4096]; double rec_t[4096];
  double period = svc->autoscale.period;
  for (uint32_t k = 1; k <= r->s.nwindows && nrec < 4096; k++) {
    double busy = svc_series(r, name, FL_SER_BUSY, k - 1);
    double metric = busy / (cur * svc->workers);
    double ratio = metric / target;
    int d = cur;
    if (fabs(ratio - 1) > tol) d = (int)ceil(cur * ratio - 1e-9);
    int up = cur * 2 > cur + 4 ? cur * 2 : cur + 4;
    if (d > up) d = up;
    if (d < svc->autoscale.min) d = svc->autoscale.min;
    if (d > svc->autoscale.max) d = svc->autoscale.max;
    double now = k * period;
    int keep = 0;
    for (int i = 0; i < nrec; i++)
      if (now - rec_t[i] < svc->autoscale.stabilize_down - 1e-9) { rec[keep] = rec[i]; rec_t[keep] = rec_t[i]; keep++; }
    nrec = keep;
    rec[nrec] = d; rec_t[nrec] = now; nrec++;
    if (d < cur) { int hi = d; for (int i = 0; i < nrec; i++) if (rec[i] > hi) hi = rec[i]; d = hi < cur ? hi : cur; }
    if (d != cur && n < maxev) { ev[n].period = (int)k; ev[n].from = cur; ev[n].to = d; n++; cur = d; }
    else if (d != cur) cur = d;
  }
  return n;
}

/* The run's scaling events of one service, in the same form. */
static int hpa_observed(const run_t *r, const char *name, hpa_ev_t *ev, int maxev, double period) {
  int id = svc_id(r, name), n = 0;
  for (int i = 0; i < r->s.nsev && n < maxev; i++) {
    const fl_scale_event_t *e = &r->s.sev[i];
    if (e->service != id) continue;
    double k = fl_time_to_sec(e->t) / period;
    ev[n].period = fabs(k - round(k)) < 1e-9 ? (int)round(k) : -1;
    ev[n].from = e->from; ev[n].to = e->to;
    n++;
  }
  return n;
}

static void check_hpa_matches(const run_t *r, const char *name, int *nevents) {
  hpa_ev_t want[256], got[256];
  double period = fl_model_find_service(r->m, name)->autoscale.period;
  int nw = hpa_reference(r, name, want, 256), ng = hpa_observed(r, name, got, 256, period);
  if (verbose())
    for (int i = 0; i < (nw > ng ? nw : ng); i++)
      printf("    hpa %s: want %s t=%gs %d->%d, got t=%gs %d->%d\n", name, i < nw ? "" : "(none)", i < nw ? want[i].period * period : 0,
             i < nw ? want[i].from : 0, i < nw ? want[i].to : 0, i < ng ? got[i].period * period : 0, i < ng ? got[i].from : 0, i < ng ? got[i].to : 0);
  CHECK_EQ_INT(ng, nw);
  for (int i = 0; i < nw && i < ng; i++) {
    CHECK_MSG(got[i].period == want[i].period && got[i].from == want[i].from && got[i].to == want[i].to,
              "scaling event %d: got t=%gs %d->%d, the formula gives t=%gs %d->%d", i, got[i].period * period, got[i].from, got[i].to,
              want[i].period * period, want[i].from, want[i].to);
  }
  *nevents = ng;
}

/* A load step up then down through a loss system (queue = 0): busy workers follow the offered
** load until the instances run out. Poisson arrivals: the check is against the series. */
static const char *hpa_step_scenario(void) {
  return putf("hpa_step.lua",
    "scenario { duration = \"900s\", seed = 11, window = \"15s\" }\n"
    "service \"s\" { instances = 2, workers = 2, queue = 0, work = const \"100ms\",\n"
    "  autoscale = { target = 0.5, min = 1, max = 30, delay = \"20s\", stabilize_down = \"90s\" } }\n"
    "traffic { rate = piecewise { {0, 20}, {120, 20}, {120.001, 120}, {450, 120}, {450.001, 10} }, mix = { s = 1 } }\n");
}

TEST(hpa_replicas_follow_ceil_current_times_metric_over_target) {
  run_t r;
  run_file(&r, hpa_step_scenario(), NULL);
  if (!run_ok(&r)) { run_free(&r); return; }
  int n = 0;
  check_hpa_matches(&r, "s", &n);
  CHECK_MSG(n >= 3, "the step should make the autoscaler act several times, got %d events", n);
  /* the first scale-up follows the step at 120 s: at the sync of 135 s, and not before */
  int id = svc_id(&r, "s");
  CHECK(r.s.nsev > 0 && r.s.sev[0].service == id && r.s.sev[0].t == 135 * FL_SEC && r.s.sev[0].to > r.s.sev[0].from);
  run_free(&r);
}

TEST(hpa_scale_up_is_limited_to_double_or_four_more_per_period) {
  /* a huge step with a slow start: the recommendation (ceil of 1 instance x 100% / 5%) is far
  ** above what one period may add */
  const char *p = putf("hpa_limit.lua",
    "scenario { duration = \"120s\", seed = 2, window = \"15s\" }\n"
    "service \"s\" { instances = 1, workers = 4, queue = 0, work = const \"100ms\",\n"
    "  autoscale = { target = 0.05, min = 1, max = 100, delay = \"1s\" } }\n"
    "traffic { rate = 400, mix = { s = 1 } }\n");
  run_t r;
  run_file(&r, p, NULL);
  if (!run_ok(&r)) { run_free(&r); return; }
  int n = 0;
  check_hpa_matches(&r, "s", &n);
  /* 1 -> 5 (+4 beats x2) -> 10 (x2 beats +4) -> 20 -> ... */
  CHECK(n >= 3);
  if (n >= 3) {
    CHECK_EQ_INT(r.s.sev[0].to, 5);
    CHECK_EQ_INT(r.s.sev[1].to, 10);
    CHECK_EQ_INT(r.s.sev[2].to, 20);
  }
  run_free(&r);
}

/* Arrivals at exact times (a timestamps trace, 'rate' per second from 0 to 'secs') and const
** work below the gap each instance sees (round robin): busy workers are exact. */
static const char *even_trace(const char *name, double rate, int secs) {
  static char buf[1 << 20];
  size_t w = 0;
  int n = (int)(rate * secs + 0.5);
  for (int i = 0; i < n && w + 32 < sizeof buf; i++) w += (size_t)snprintf(buf + w, sizeof buf - w, "%.9f\n", (i + 0.5) / rate);
  return putf(name, "%s", buf);
}

/* 4 instances of 1 worker, target 50%: offered load 'rate' x 0.1 s busy workers. */
static int tolerance_events(double rate, run_t *r) {
  char trace[64], scen[64];
  snprintf(trace, sizeof trace, "even_%g.csv", rate);
  snprintf(scen, sizeof scen, "tol_%g.lua", rate);
  even_trace(trace, rate, 180);
  const char *p = putf(scen,
    "scenario { duration = \"180s\", seed = 1, window = \"15s\" }\n"
    "service \"s\" { instances = 4, workers = 1, queue = math.huge, work = const \"100ms\",\n"
    "  autoscale = { target = 0.5, min = 1, max = 20, delay = \"20s\", stabilize_down = \"30s\" } }\n"
    "traffic { rate = trace \"%s\", mix = { s = 1 } }\n", trace);
  run_file(r, p, NULL);
  if (!run_ok(r)) return -1;
  if (verbose()) printf("    rate %g: busy %.4f, %d scaling events\n", rate, svc_series(r, "s", FL_SER_BUSY, 3), r->s.nsev);
  return r->s.nsev;
}

TEST(hpa_tolerance_band_causes_no_scaling) {
  run_t r;
  /* 2.1 busy workers over 4 x 50% = ratio 1.05: inside the 10% band, nothing happens */
  CHECK_EQ_INT(tolerance_events(21, &r), 0);
  if (run_ok(&r)) CHECK_NEAR(svc_series(&r, "s", FL_SER_BUSY, 3), 2.1, 0.01);
  run_free(&r);
  /* ratio 0.94: inside the band below the target: no scale-down either */
  CHECK_EQ_INT(tolerance_events(18.8, &r), 0);
  run_free(&r);
  /* ratio 1.15: outside: ceil(4 x 1.15) = 5 at the first sync; then 2.3 / 5 = 0.46 of 0.5 is
  ** inside the band again */
  CHECK_EQ_INT(tolerance_events(23, &r), 1);
  if (run_ok(&r) && r.s.nsev == 1) {
    CHECK_EQ_INT(r.s.sev[0].from, 4);
    CHECK_EQ_INT(r.s.sev[0].to, 5);
    CHECK_EQ_INT(r.s.sev[0].t, 15 * FL_SEC);
  }
  run_free(&r);
}

TEST(hpa_scales_down_only_after_the_stabilisation_window) {
  run_t r;
  run_file(&r, hpa_step_scenario(), NULL);
  if (!run_ok(&r)) { run_free(&r); return; }
  /* load falls at 450 s; recommendations from syncs at 450 s and before count for 90 s:
  ** the first scale-down is at the sync of exactly 450 + 90 = 540 s */
  int id = svc_id(&r, "s");
  fl_time_t first_down = -1;
  int before = -1;
  for (int i = 0; i < r.s.nsev; i++) {
    if (r.s.sev[i].service != id || r.s.sev[i].to >= r.s.sev[i].from) continue;
    if (first_down < 0) { first_down = r.s.sev[i].t; before = r.s.sev[i].from; }
  }
  if (verbose()) printf("    first scale-down at %gs from %d\n", fl_time_to_sec(first_down), before);
  CHECK_EQ_INT(first_down, 540 * FL_SEC);
  /* and the utilisation fell well before: windows from 450 s run far below the target */
  CHECK(svc_series(&r, "s", FL_SER_UTILIZATION, 31) < 0.25);
  /* no scale-down while the high load lasted */
  for (int i = 0; i < r.s.nsev; i++)
    if (r.s.sev[i].service == id && r.s.sev[i].t <= 450 * FL_SEC) CHECK(r.s.sev[i].to > r.s.sev[i].from);
  run_free(&r);
}

TEST(hpa_capacity_is_ready_only_after_the_delay) {
  run_t r;
  run_file(&r, hpa_step_scenario(), NULL);
  if (!run_ok(&r)) { run_free(&r); return; }
  /* the instances series counts instances in rotation at each window's end, as the window
  ** closes before anything else happens at that time: new ones after event time + delay
  ** (20 s, never on a 15 s boundary), removed ones at once (they drain) */
  int id = svc_id(&r, "s");
  double delay = r.m->services[id].autoscale.delay;
  int mismatches = 0;
  for (uint32_t w = 0; w < r.s.nwindows; w++) {
    double te = 15.0 * (w + 1);
    int want = r.m->services[id].instances;
    for (int i = 0; i < r.s.nsev; i++) {
      const fl_scale_event_t *e = &r.s.sev[i];
      double t = fl_time_to_sec(e->t);
      if (e->to > e->from && t + delay <= te) want += e->to - e->from;
      if (e->to < e->from && t < te) want -= e->from - e->to;
    }
    double got = svc_series(&r, "s", FL_SER_INSTANCES, w);
    if (got != want) {
      mismatches++;
      if (mismatches <= 3) CHECK_FAIL_("window ending at %gs: %g instances ready, expected %d", te, got, want);
    }
  }
  CHECK_EQ_INT(mismatches, 0);
  /* the first scale-up (135 s) is not ready at 150 s (window [135, 150)) but is at 165 s */
  CHECK(svc_series(&r, "s", FL_SER_INSTANCES, 9) == r.s.sev[0].from);
  CHECK(svc_series(&r, "s", FL_SER_INSTANCES, 10) == r.s.sev[0].to);
  run_free(&r);
}

/* ---- size --vary workers on M/M/c ---- */

/* Erlang C: the probability of waiting in M/M/c with offered load a = lambda / mu Erlangs. */
static double erlang_c(int c, double a) {
  double b = 1;
  for (int k = 1; k <= c; k++) b = a * b / (k + a * b);
  double rho = a / c;
  return b / (1 - rho * (1 - b));
}

/* P(R > t) for the response time R of M/M/c (FIFO): the wait is 0 with probability 1 - C, else
** exponential with rate theta = c mu - lambda; plus the exponential service. */
static double mmc_tail(double t, int c, double lambda, double mu) {
  double C = erlang_c(c, lambda / mu), th = c * mu - lambda, w;
  if (fabs(th - mu) < 1e-12) w = (1 + mu * t) * exp(-mu * t);
  else w = (th * exp(-mu * t) - mu * exp(-th * t)) / (th - mu);
  return (1 - C) * exp(-mu * t) + C * w;
}

static double mmc_p99(int c, double lambda, double mu) {
  if (c * mu <= lambda) return INFINITY;
  double lo = 0, hi = 1000 / mu;
  for (int i = 0; i < 200; i++) { double mid = (lo + hi) / 2; if (mmc_tail(mid, c, lambda, mu) > 0.01) lo = mid; else hi = mid; }
  return (lo + hi) / 2;
}

/* Sizes with 'o' (fl_size_init, then fl_size_run), a check failure naming the error when either
** fails; printed with FAULTLINE_VERBOSE. z is released by the caller either way. */
static bool size_ran(fl_size_t *z, const fl_size_opts_t *o) {
  char err[1024];
  int rc = fl_size_init(z, o, err, sizeof err);
  CHECK_MSG(rc == 0, "%s", err);
  if (rc == 0) rc = fl_size_run(z, err, sizeof err);
  CHECK_MSG(rc == 0, "%s", err);
  if (rc == 0 && verbose()) fl_size_print(stdout, z);
  return rc == 0;
}

TEST(size_vary_workers_finds_the_c_of_the_exact_mmc_p99) {
  const double lambda = 8, mu = 1, bound = 5.5;
  int want = 1;
  while (!(mmc_p99(want, lambda, mu) < bound)) want++;
  double below = mmc_p99(want - 1, lambda, mu), at = mmc_p99(want, lambda, mu);
  if (verbose()) printf("    M/M/c lambda %g mu %g: p99 %.4f at c=%d, %.4f at c=%d; bound %g\n", lambda, mu, below, want - 1, at, want, bound);
  CHECK_EQ_INT(want, 10);
  /* margins well beyond the estimate's noise (160000 answers a run: p99 within ~2-3%) */
  CHECK(below > bound * 1.1 && at < bound / 1.08);
  /* the scenario starts below (9 workers: stable but too slow), so the search grows, then descends */
  const char *p = putf("mmc.lua",
    "scenario { name = \"M/M/c p99\", duration = \"20000s\", seed = 7, warmup = \"500s\", window = \"100s\" }\n"
    "service \"s\" { instances = 1, workers = 9, queue = math.huge, work = exp \"1s\" }\n"
    "traffic { rate = %g, mix = { s = 1 } }\n"
    "expect \"p99 under bound\" { journey = \"s\", p99 = \"< %gs\" }\n", lambda, bound);
  fl_size_opts_t o = { .path = p, .vary = FL_SIZE_WORKERS, .reps = 2, .budget = 60, .threads = 2 };
  fl_size_t z;
  if (size_ran(&z, &o)) {
    CHECK_EQ_INT(z.stopped, FL_SIZE_CONVERGED);
    CHECK_EQ_INT(z.svc[0].value, want);
    CHECK(z.svc[0].minimal);
    CHECK_EQ_INT(z.svc[0].binding, 0);
    CHECK_EQ_STR(z.svc[0].field, "workers");
    CHECK(z.sims <= 60);
    /* headroom at peak: busy workers of 8 on 10, peaking over 100 s windows */
    CHECK(z.svc[0].peak > 0.8 && z.svc[0].peak < 1);
    /* how sure: 2 of 2 held, so P(pass) >= 0.05^(1/2) at the default 95% */
    CHECK(z.confidence == 0.95);
    CHECK_NEAR(z.pass_lower, sqrt(0.05), 1e-12);
  }
  fl_size_release(&z);
}

/* size against a utilisation and a throughput: offered load 8 Erlangs (8/s of 1 s work) on c
** workers is busy 8 / c, so "< 75%" needs c = 11 (72.7%; 10 would be 80%). */
TEST(size_sizes_against_utilisation_and_throughput_as_theory_says) {
  const char *p = put("size_util.lua",
    "scenario { name = \"util\", duration = \"20000s\", seed = 7, warmup = \"500s\", window = \"100s\" }\n"
    "service \"s\" { instances = 1, workers = 9, queue = math.huge, work = exp \"1s\" }\n"
    "traffic { rate = 8, mix = { s = 1 } }\n"
    "expect \"headroom\" { service = \"s\", utilization = \"< 75%\", throughput = \">= 7.8/s\" }\n");
  fl_size_opts_t o = { .path = p, .vary = FL_SIZE_WORKERS, .reps = 2, .budget = 40, .threads = 2 };
  fl_size_t z;
  if (size_ran(&z, &o)) {
    CHECK_EQ_INT(z.stopped, FL_SIZE_CONVERGED);
    CHECK_EQ_INT(z.svc[0].value, 11);
    CHECK_EQ_INT(z.svc[0].binding, 0);
    note("binding at 10: %s", z.svc[0].binding_observed ? z.svc[0].binding_observed : "-");
    const char *u = z.svc[0].binding_observed ? strstr(z.svc[0].binding_observed, "utilization ") : NULL;
    CHECK(u != NULL);
    if (u) CHECK_NEAR(atof(u + 12), 80, 1.5);   /* 8 / 10, over 20000 s */
  }
  fl_size_release(&z);
}

TEST(size_states_its_pass_probability_at_the_confidence_asked_for) {
  const char *p = putf("sure.lua",
    "scenario { duration = \"200s\", seed = 3, warmup = \"20s\", window = \"10s\" }\n"
    "service \"s\" { instances = 2, workers = 2, queue = 100, work = exp \"100ms\" }\n"
    "traffic { rate = 10, mix = { s = 1 } }\n"
    "expect \"quick\" { journey = \"s\", p99 = \"< 2s\" }\n");
  fl_size_opts_t o = { .path = p, .reps = 4, .budget = 80, .threads = 2, .confidence = 0.8 };
  fl_size_t z;
  char err[1024];
  int rc = fl_size_init(&z, &o, err, sizeof err);
  if (rc == 0) rc = fl_size_run(&z, err, sizeof err);
  CHECK_MSG(rc == 0, "%s", err);
  if (rc == 0) {
    CHECK(z.found);
    CHECK_NEAR(z.pass_lower, pow(0.2, 0.25), 1e-12);
    cJSON *j = fl_size_json(&z);
    const cJSON *pp = cJSON_GetObjectItemCaseSensitive(j, "pass_probability");
    CHECK(cJSON_IsObject(pp) && cJSON_GetObjectItemCaseSensitive(pp, "lower")->valuedouble == z.pass_lower);
    cJSON_Delete(j);
  }
  fl_size_release(&z);
  o.confidence = 1;
  CHECK(fl_size_init(&z, &o, err, sizeof err) != 0);
  CHECK_MSG(strstr(err, "--confidence") != NULL, "%s", err);
  fl_size_release(&z);
}

/* Two tiers, an expectation on each. */
static const char *two_tier(void) {
  return putf("two.lua",
    "scenario { duration = \"600s\", seed = 4, warmup = \"60s\", window = \"10s\" }\n"
    "service \"front\" { instances = 6, workers = 4, queue = 1000, work = exp \"20ms\", calls = { call \"back\" } }\n"
    "service \"back\" { instances = 6, workers = 2, queue = 1000, work = exp \"50ms\" }\n"
    "traffic { rate = 100, mix = { front = 1 } }\n"
    "expect \"back is quick\" { service = \"back\", p99 = \"< 400ms\" }\n"
    "expect \"front is quick\" { journey = \"front\", p99 = \"< 900ms\" }\n");
}

TEST(size_instances_is_minimal_one_service_at_a_time_and_names_what_binds) {
  fl_size_opts_t o = { .path = two_tier(), .reps = 1, .budget = 100, .threads = 1 };
  fl_size_t z;
  if (size_ran(&z, &o)) {
    CHECK_EQ_INT(z.stopped, FL_SIZE_CONVERGED);
    CHECK(z.found);
    /* callees first */
    CHECK_EQ_STR(z.svc[z.order[0]].name, "back");
    for (int k = 0; k < z.nsvc; k++) {
      CHECK(z.svc[k].minimal);
      CHECK(z.svc[k].value >= 1 && z.svc[k].value < 6);
    }
    /* back: 5 busy workers' worth of work (100/s x 50 ms) on 2 workers each: at least 3 */
    CHECK(z.svc[1].value >= 3);
    /* what binds is an expectation failing at one fewer (which one depends on the other's size:
    ** a small front throttles what reaches back) */
    for (int k = 0; k < z.nsvc; k++) CHECK(z.svc[k].binding >= 0 && z.svc[k].binds[z.svc[k].binding]);
    /* the answer passes and each one fewer fails: replay them */
    for (int k = -1; k < z.nsvc; k++) {
      char a[2][64];
      const char *sets[3] = { a[0], a[1], NULL };
      for (int i = 0; i < 2; i++) snprintf(a[i], sizeof a[i], "%s.instances=%d", z.svc[i].name, z.svc[i].value - (i == k));
      run_t r;
      run_file(&r, o.path, sets);
      if (run_ok(&r)) {
        int failed = fl_sim_check_expectations(&r.s);
        if (k < 0) CHECK_MSG(failed == 0, "the answer fails %d expectations", failed);
        else CHECK_MSG(failed > 0, "%s at one fewer holds every expectation", z.svc[k].name);
        if (k >= 0) CHECK(!r.s.exp[z.svc[k].binding].passed);
      }
      run_free(&r);
    }
  }
  fl_size_release(&z);
}

TEST(size_never_exceeds_its_budget) {
  fl_size_opts_t o = { .path = two_tier(), .reps = 2, .budget = 7, .threads = 1 };
  fl_size_t z;
  char err[1024];
  int rc = fl_size_init(&z, &o, err, sizeof err);
  if (rc == 0) rc = fl_size_run(&z, err, sizeof err);
  CHECK_MSG(rc == 0, "%s", err);
  if (rc == 0) {
    CHECK_EQ_INT(z.stopped, FL_SIZE_BUDGET);
    CHECK(z.sims <= 7 && z.sims >= 5);
    CHECK(z.found);    /* the scenario's sizes pass: what it holds is a passing answer */
    CHECK(strstr(z.reason, "budget") != NULL);
  }
  fl_size_release(&z);
  /* a budget below one candidate is a usage error */
  o.budget = 1;
  rc = fl_size_init(&z, &o, err, sizeof err);
  CHECK_EQ_INT(rc, -FL_EINVAL);
  fl_size_release(&z);
}

TEST(size_says_infeasible_when_capacity_cannot_help) {
  /* work alone takes 10 ms: no number of instances answers under 1 ms */
  const char *p = putf("infeasible.lua",
    "scenario { duration = \"60s\", seed = 1 }\n"
    "service \"s\" { instances = 2, workers = 2, work = const \"10ms\" }\n"
    "traffic { rate = 50, mix = { s = 1 } }\n"
    "expect \"impossible\" { journey = \"s\", p99 = \"< 1ms\" }\n");
  fl_size_opts_t o = { .path = p, .reps = 1, .budget = 50, .max = 16 };
  fl_size_t z;
  char err[1024];
  int rc = fl_size_init(&z, &o, err, sizeof err);
  if (rc == 0) rc = fl_size_run(&z, err, sizeof err);
  CHECK_MSG(rc == 0, "%s", err);
  if (rc == 0) {
    CHECK_EQ_INT(z.stopped, FL_SIZE_INFEASIBLE);
    CHECK(!z.found);
    CHECK_EQ_INT(z.sims, 4);   /* 2, 4, 8, 16 */
    CHECK(strstr(z.reason, "impossible") != NULL);
  }
  fl_size_release(&z);
  /* and a scenario without expectations cannot be sized */
  p = putf("noexp.lua", "scenario { duration = \"60s\" }\nservice \"s\" { work = exp \"1ms\" }\ntraffic { rate = 1, mix = { s = 1 } }\n");
  o.path = p;
  rc = fl_size_init(&z, &o, err, sizeof err);
  CHECK_EQ_INT(rc, -FL_EINVAL);
  CHECK(strstr(err, "no expectations") != NULL);
  fl_size_release(&z);
}

TEST(size_of_an_autoscaled_service_is_its_autoscale_max) {
  /* a slow surge the autoscaler can follow: what limits it is how far it may go */
  const char *p = putf("auto.lua",
    "scenario { duration = \"900s\", seed = 9, warmup = \"60s\", window = \"15s\" }\n"
    "service \"s\" { instances = 2, workers = 4, queue = 200, work = exp \"50ms\",\n"
    "  autoscale = { target = 0.6, min = 2, max = 40, delay = \"10s\" } }\n"
    "traffic { rate = surge { base = 40, peak = 400, start = \"200s\", ramp = \"300s\", hold = \"200s\", decay = \"30s\" }, mix = { s = 1 } }\n"
    "expect \"answers\" { journey = \"s\", success_rate = \">= 99%%\", p99 = \"< 300ms\" }\n");
  fl_size_opts_t o = { .path = p, .reps = 1, .budget = 40 };
  fl_size_t z;
  char err[1024];
  int rc = fl_size_init(&z, &o, err, sizeof err);
  if (rc == 0) rc = fl_size_run(&z, err, sizeof err);
  CHECK_MSG(rc == 0, "%s", err);
  if (rc == 0) {
    if (verbose()) fl_size_print(stdout, &z);
    CHECK_EQ_STR(z.svc[0].field, "autoscale.max");
    CHECK_EQ_INT(z.svc[0].floor, 2);
    CHECK_EQ_INT(z.stopped, FL_SIZE_CONVERGED);
    /* 400/s x 50 ms = 20 busy workers = 5 instances of 4 at 100%: more than 5, fewer than 40 */
    CHECK(z.svc[0].value > 5 && z.svc[0].value < 40);
    CHECK(z.svc[0].minimal);
  }
  fl_size_release(&z);
}

TEST(size_counts_a_hook_failing_at_a_candidate_as_a_failing_candidate) {
  /* the hook scales recommend to 66; a service of n instances can be scaled to at most
  ** max(4n, n + 64): at 1 instance the hook fails (at the scenario's own size that is a
  ** scenario error), from 2 on it works */
  static const char *const text =
    "scenario { duration = \"30s\", seed = 3 }\n"
    "service \"recommend\" { instances = %d, workers = 4, work = exp \"10ms\" }\n"
    "traffic { rate = 10, mix = { recommend = 1 } }\n"
    "at(\"10s\", function(sim) sim:scale(\"recommend\", 66) end)\n"
    "expect \"ok\" { journey = \"recommend\", success_rate = \">= 99%%\" }\n";
  fl_size_opts_t o = { .path = putf("hook3.lua", text, 3), .reps = 1, .budget = 20 };
  fl_size_t z;
  char err[1024];
  int rc = fl_size_init(&z, &o, err, sizeof err);
  if (rc == 0) rc = fl_size_run(&z, err, sizeof err);
  CHECK_MSG(rc == 0, "%s", err);
  if (rc == 0) {
    CHECK_EQ_INT(z.stopped, FL_SIZE_CONVERGED);
    CHECK_EQ_INT(z.svc[0].value, 2);
    CHECK(z.svc[0].minimal && z.svc[0].binding < 0);
    CHECK(z.svc[0].binding_error && strstr(z.svc[0].binding_error, "sim:scale"));
  }
  fl_size_release(&z);
  o.path = putf("hook1.lua", text, 1);
  rc = fl_size_init(&z, &o, err, sizeof err);
  if (rc == 0) rc = fl_size_run(&z, err, sizeof err);
  CHECK_EQ_INT(rc, -FL_ESCENARIO);
  CHECK(strstr(err, "hook1.lua:4:") != NULL);
  fl_size_release(&z);
}

/* ---- traces ---- */

/* Integral over [a, b] of the piecewise-linear rate through (t[i], r[i]), flat outside. */
static double pw_integral(const double *t, const double *r, int n, double a, double b) {
  double sum = 0;
  const int steps = 2000;
  for (int i = 0; i < steps; i++) {
    double x = a + (b - a) * (i + 0.5) / steps, v;
    if (x <= t[0]) v = r[0];
    else if (x >= t[n - 1]) v = r[n - 1];
    else { int k = 1; while (t[k] < x) k++; v = r[k - 1] + (r[k] - r[k - 1]) * (x - t[k - 1]) / (t[k] - t[k - 1]); }
    sum += v;
  }
  return sum * (b - a) / steps;
}

/* Every window's arrivals within 4.5 sd of its expected count, and the total within 4 sd. */
static void check_poisson(const run_t *r, const double *expect, uint32_t nw, const char *what) {
  double tot_o = 0, tot_e = 0, worst = 0;
  for (uint32_t w = 0; w < nw; w++) {
    double o = jarrivals(r, w), e = expect[w], z = e > 0 ? (o - e) / sqrt(e) : o;
    if (fabs(z) > fabs(worst)) worst = z;
    CHECK_MSG(fabs(z) <= 4.5, "%s: window %u: %g arrivals, expected %.1f (%.1f sd)", what, w, o, e, z);
    tot_o += o; tot_e += e;
  }
  double zt = (tot_o - tot_e) / sqrt(tot_e);
  if (verbose()) printf("    %s: %u windows, worst %.2f sd, total %g vs %.1f (%.2f sd)\n", what, nw, worst, tot_o, tot_e, zt);
  CHECK_MSG(fabs(zt) <= 4, "%s: %g arrivals in all, expected %.1f (%.1f sd)", what, tot_o, tot_e, zt);
}

TEST(trace_of_rates_replays_per_minute_within_poisson_noise) {
  static const double t[] = { 0, 60, 120, 180, 240, 300, 420, 480 }, rt[] = { 50, 150, 150, 20, 90, 90, 300, 10 };
  putf("rates.csv", "time,rate\n# a recorded evening\n0,50\n1m,150/s\n120,150\n180s,20\n240,90\n300,90\n7m,300\n480,10\n");
  const char *p = putf("trace_rates.lua",
    "scenario { duration = \"600s\", seed = 21, window = \"60s\" }\n"
    "service \"s\" { instances = 4, workers = 8, work = exp \"1ms\" }\n"
    "traffic { rate = trace \"rates.csv\", mix = { s = 1 } }\n");
  run_t r;
  run_file(&r, p, NULL);
  if (run_ok(&r)) {
    double e[10];
    for (int w = 0; w < 10; w++) e[w] = pw_integral(t, rt, 8, 60.0 * w, 60.0 * (w + 1));
    check_poisson(&r, e, 10, "trace time,rate");
  }
  run_free(&r);
}

TEST(trace_of_timestamps_replays_exactly_those_arrivals) {
  /* 1000 requests at known times, a burst of 50 at the same instant, one after the end (none on a
  ** window boundary: see README.md on faultline size) */
  char buf[32768];
  size_t w = 0;
  w += (size_t)snprintf(buf + w, sizeof buf - w, "timestamp\n");
  for (int i = 0; i < 1000; i++) w += (size_t)snprintf(buf + w, sizeof buf - w, "%.6f\n", i * 0.1);   /* 0 .. 99.9 s */
  for (int i = 0; i < 50; i++) w += (size_t)snprintf(buf + w, sizeof buf - w, "155s\n");
  w += (size_t)snprintf(buf + w, sizeof buf - w, "500\n");
  putf("stamps.csv", "%s", buf);
  const char *p = putf("trace_stamps.lua",
    "scenario { duration = \"200s\", seed = 3, window = \"10s\" }\n"
    "service \"s\" { instances = 2, workers = 64, work = exp \"1ms\" }\n"
    "traffic { rate = trace \"stamps.csv\", mix = { s = 1 } }\n");
  run_t r;
  run_file(&r, p, NULL);
  if (run_ok(&r)) {
    CHECK_EQ_INT(r.s.jrn[0].st.total.arrivals, 1050);
    for (uint32_t k = 0; k < 10; k++) CHECK_EQ_INT(jarrivals(&r, k), 100);
    CHECK_EQ_INT(jarrivals(&r, 15), 50);
    CHECK_EQ_INT(jarrivals(&r, 12), 0);
  }
  run_free(&r);
}

TEST(trace_malformed_row_reports_file_and_line) {
  putf("bad.csv", "time,rate\n0,10\n60,20\n90,fast\n");
  putf("bad2.csv", "0,10\n60,20\n30,5\n");
  putf("bad3.csv", "0,10\n5\n");
  static const struct { const char *file, *where, *what; } cases[] = {
    { "bad.csv", "bad.csv:4:", "rate" }, { "bad2.csv", "bad2.csv:3:", "increase" }, { "bad3.csv", "bad3.csv:2:", "time,rate" },
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char name[32];
    snprintf(name, sizeof name, "uses_%zu.lua", i);
    const char *p = putf(name, "scenario { duration = \"60s\" }\nservice \"s\" { work = exp \"1ms\" }\n"
                              "traffic { rate = trace \"%s\", mix = { s = 1 } }\n", cases[i].file);
    fl_model_t *m = NULL;
    char err[1024] = "";
    int rc = fl_scenario_load(p, NULL, &m, err, sizeof err);
    CHECK_EQ_INT(rc, -FL_ESCENARIO);
    CHECK_MSG(strstr(err, cases[i].where) && strstr(err, cases[i].what), "%s: got '%s'", cases[i].file, err);
    if (m) fl_model_free(m);
  }
}

/* ---- client refreshes during an outage ---- */

TEST(client_retries_add_load_during_an_outage) {
  /* front calls back; back crashes from 120 s to 240 s: every user's request fails at once, and
  ** with client = { retries = 2 } each presses refresh twice (after 2 s of thinking, mean) */
  static const char *const client[2] = { "", ", client = { timeout = \"10s\", retries = 2, think = \"2s\" }" };
  double during[2] = { 0, 0 }, before[2] = { 0, 0 };
  uint64_t refreshes[2] = { 0, 0 };
  for (int v = 0; v < 2; v++) {
    const char *p = putf(v ? "refresh_on.lua" : "refresh_off.lua",
      "scenario { duration = \"360s\", seed = 17, window = \"10s\" }\n"
      "service \"front\" { instances = 2, workers = 32, work = exp \"2ms\", calls = { call \"back\" { timeout = \"1s\" } } }\n"
      "service \"back\" { instances = 2, workers = 32, health_check = \"1s\", work = exp \"5ms\" }\n"
      "traffic { rate = 100, mix = { front = 1 }%s }\n"
      "fault { target = \"back\", kind = \"crash\", at = \"120s\", duration = \"120s\" }\n", client[v]);
    run_t r;
    run_file(&r, p, NULL);
    if (!run_ok(&r)) { run_free(&r); return; }
    /* windows wholly inside the outage, after the first refreshes came back: 130 s .. 240 s */
    for (uint32_t w = 13; w < 24; w++) during[v] += svc_series(&r, "back", FL_SER_ARRIVALS, w);
    for (uint32_t w = 1; w < 12; w++) before[v] += svc_series(&r, "back", FL_SER_ARRIVALS, w);
    refreshes[v] = r.s.jrn[0].refreshes;
    run_free(&r);
  }
  double ratio = during[1] / during[0];
  if (verbose()) printf("    back arrivals during the crash: %g without, %g with retries (x%.2f); before: %g vs %g; refreshes %llu\n",
                        during[0], during[1], ratio, before[0], before[1], (unsigned long long)refreshes[1]);
  CHECK_EQ_INT(refreshes[0], 0);
  CHECK(refreshes[1] > 0);
  /* before the crash nothing fails: the same users arrive (common random numbers: exactly) */
  CHECK_NEAR(before[1], before[0], 0);
  /* during it each user tries 3 times: close to 3x (a little less near the edges) */
  CHECK_MSG(ratio > 2.6 && ratio < 3.05, "refreshes multiply the load during the outage by %.2f, expected about 3", ratio);
}

/* ---- diurnal, flash, sums and products ---- */

#define PI 3.14159265358979323846

static const char *profile_scenario(const char *name, const char *rate) {
  return putf(name,
    "scenario { duration = \"1800s\", seed = 31, window = \"30s\" }\n"
    "service \"s\" { instances = 4, workers = 64, work = exp \"1ms\" }\n"
    "traffic { rate = %s, mix = { s = 1 } }\n", rate);
}

/* The references, written out from the documented shapes (not through fl_profile_rate). */
static double diurnal_rate(double t) {   /* mean 100, amplitude 0.6, peak at 300 s, period 600 s */
  double v = 100 * (1 + 0.6 * cos(2 * PI * (t - 300) / 600));
  return v > 0 ? v : 0;
}
static double flash_rate(double t) {     /* 20/s, x8 over 10 s at 600 s, held 300 s, back over 120 s */
  double base = 20, peak = 160;
  if (t <= 600) return base;
  if (t < 610) return base + (peak - base) * (t - 600) / 10;
  if (t < 910) return peak;
  if (t < 1030) return peak + (base - peak) * (t - 910) / 120;
  return base;
}
static double flash_mult(double t) { return flash_rate(t) / 20; }   /* the same crowd as a multiplier */

static void expected_counts(double (*f)(double), double *e, int nw) {
  for (int w = 0; w < nw; w++) {
    double sum = 0;
    const int steps = 3000;
    for (int i = 0; i < steps; i++) sum += f(30.0 * w + 30.0 * (i + 0.5) / steps);
    e[w] = sum * 30.0 / steps;
  }
}

static double sum_rate(double t) { return diurnal_rate(t) + 50; }
static double product_rate(double t) { return diurnal_rate(t) * flash_mult(t); }
static double sum2_rate(double t) { return diurnal_rate(t) + flash_rate(t); }

static void check_profile(const char *name, const char *rate, double (*f)(double)) {
  run_t r;
  run_file(&r, profile_scenario(name, rate), NULL);
  if (run_ok(&r)) {
    double e[60];
    expected_counts(f, e, 60);
    check_poisson(&r, e, 60, name);
    /* the model's own rate agrees with the reference */
    for (double t = 0; t < 1800; t += 7.3) CHECK_NEAR(fl_profile_rate(&r.m->rate, t), f(t), 1e-6 * (1 + f(t)));
  }
  run_free(&r);
}

TEST(diurnal_arrivals_follow_the_rate_integral) {
  check_profile("diurnal.lua", "diurnal { mean = \"100/s\", amplitude = 0.6, peak_at = \"5m\", period = \"10m\" }", diurnal_rate);
}

TEST(flash_crowd_arrivals_follow_the_rate_integral) {
  check_profile("flash.lua", "flash { base = \"20/s\", at = \"10m\", factor = 8, rise = \"10s\", hold = \"5m\", decay = \"2m\" }", flash_rate);
}

TEST(profile_sums_and_products_compose) {
  check_profile("sum.lua", "diurnal { mean = 100, amplitude = 0.6, peak_at = \"5m\", period = \"10m\" } + \"50/s\"", sum_rate);
  check_profile("sum2.lua", "diurnal { mean = 100, amplitude = 0.6, peak_at = \"5m\", period = \"10m\" } + "
                "flash { base = 20, at = \"10m\", factor = 8, rise = \"10s\", hold = \"5m\", decay = \"2m\" }", sum2_rate);
  check_profile("product.lua", "diurnal { mean = 100, amplitude = 0.6, peak_at = \"5m\", period = \"10m\" } * "
                "flash { at = \"10m\", factor = 8, rise = \"10s\", hold = \"5m\", decay = \"2m\" }", product_rate);
}

/* ---- sessions ---- */

static const char *shop_scenario(const char *name, double b_errors) {
  return putf(name,
    "scenario { duration = \"2000s\", seed = 5, window = \"100s\" }\n"
    "service \"a\" { instances = 2, workers = 16, work = exp \"5ms\" }\n"
    "service \"b\" { instances = 2, workers = 16, work = exp \"5ms\", error_rate = %g }\n"
    "service \"c\" { instances = 2, workers = 16, work = exp \"5ms\" }\n"
    "traffic { rate = 20, mix = { shop = 1 },\n"
    "  journeys = { shop = { steps = { \"a\", \"b\", \"c\" }, continue = { 0.5, 0.5 }, think = \"1s\" } } }\n", b_errors);
}

static double svc_arrivals(const run_t *r, const char *name) { return (double)r->s.svc[svc_id(r, name)].st.total.arrivals; }

TEST(session_steps_continue_with_their_probabilities) {
  run_t r;
  run_file(&r, shop_scenario("shop.lua", 0), NULL);
  if (run_ok(&r)) {
    double a = svc_arrivals(&r, "a"), b = svc_arrivals(&r, "b"), c = svc_arrivals(&r, "c");
    if (verbose()) printf("    a %g b %g (%.4f) c %g (%.4f)\n", a, b, b / a, c, c / a);
    /* b/a is binomial(a, 0.5)/a: sd sqrt(0.25/a) ~ 0.0025; c/a ~ binomial(a, 0.25)/a */
    CHECK_NEAR(b / a, 0.5, 4 * sqrt(0.25 / a));
    CHECK_NEAR(c / a, 0.25, 4 * sqrt(0.25 * 0.75 / a));
    CHECK_EQ_INT(r.s.jrn[0].lost, 0);
    CHECK_EQ_INT(r.s.jrn[0].completed, r.s.svc[svc_id(&r, "c")].st.total.successes);
    CHECK_EQ_INT(r.s.jrn[0].sessions, (uint64_t)a);
  }
  run_free(&r);
}

TEST(session_failing_step_ends_the_session_and_counts_it_lost) {
  run_t r;
  run_file(&r, shop_scenario("shop_err.lua", 0.2), NULL);
  if (run_ok(&r)) {
    double a = svc_arrivals(&r, "a"), b = svc_arrivals(&r, "b"), c = svc_arrivals(&r, "c");
    const fl_jrn_rt_t *j = &r.s.jrn[0];
    if (verbose()) printf("    a %g b %g c %g (%.4f) lost %llu (%.4f)\n", a, b, c, c / a, (unsigned long long)j->lost, (double)j->lost / a);
    /* a failed b ends the session: c sees 0.5 x 0.8 x 0.5 = 0.2 of a; lost = 0.5 x 0.2 = 0.1 */
    CHECK_NEAR(c / a, 0.2, 4 * sqrt(0.2 * 0.8 / a));
    CHECK_NEAR((double)j->lost / a, 0.1, 4 * sqrt(0.1 * 0.9 / a));
    /* each lost session is exactly one failed b request and one failed journey */
    CHECK_EQ_INT(j->lost, r.s.svc[svc_id(&r, "b")].st.total.failures);
    CHECK_EQ_INT(j->lost, j->st.total.failures);
    /* every session ended one way or another, but those still in flight at the end */
    CHECK(j->completed + j->left + j->lost <= j->sessions && j->completed + j->left + j->lost + 100 > j->sessions);
  }
  run_free(&r);
}

/* ---- once bugs: the HPA's first recommendation, scaling from zero, a trace arrival on a window boundary ---- */


TEST(known_bug_hpa_may_scale_down_before_a_stabilisation_window_has_passed) {
  /* Kubernetes records the current replicas as a recommendation when it first sees an HPA
  ** (recordInitialRecommendation): an over-provisioned service keeps its replicas for the
  ** first stabilize_down. Here: 8 instances, idle, stabilize_down 60 s: no scale-down before 60 s. */
  const char *p = putf("hpa_initial.lua",
    "scenario { duration = \"120s\", seed = 1, window = \"15s\" }\n"
    "service \"s\" { instances = 8, workers = 1, work = const \"10ms\",\n"
    "  autoscale = { target = 0.5, min = 1, max = 8, stabilize_down = \"60s\" } }\n"
    "traffic { rate = 1, mix = { s = 1 } }\n");
  run_t r;
  run_file(&r, p, NULL);
  if (run_ok(&r)) {
    CHECK(r.s.nsev >= 1);
    if (r.s.nsev >= 1) CHECK_MSG(r.s.sev[0].t >= 60 * FL_SEC, "first scale-down at %gs", fl_time_to_sec(r.s.sev[0].t));
  }
  run_free(&r);
}

TEST(known_bug_hpa_with_min_0_never_scales_back_from_zero) {
  const char *p = putf("hpa_zero.lua",
    "scenario { duration = \"600s\", seed = 3, window = \"15s\" }\n"
    "service \"s\" { instances = 1, workers = 4, work = exp \"10ms\",\n"
    "  autoscale = { metric = \"rps\", target = 20, min = 0, max = 10, delay = \"10s\", stabilize_down = \"60s\" } }\n"
    "traffic { rate = piecewise { {0, 0.01}, {300, 0.01}, {300.001, 100} }, mix = { s = 1 } }\n");
  run_t r;
  run_file(&r, p, NULL);
  if (run_ok(&r)) CHECK_MSG(svc_series(&r, "s", FL_SER_INSTANCES, 39) >= 5, "%g instances at the end with 100/s for 20/s each",
                      svc_series(&r, "s", FL_SER_INSTANCES, 39));
  run_free(&r);
}

TEST(known_bug_trace_arrival_on_a_window_boundary_counts_in_the_window_before) {
  /* the arrival at 20 s is scheduled (at 1 s) before the window event of 20 s is (at 10 s): ties
  ** go first-scheduled first, so it lands in [10, 20) */
  putf("boundary.csv", "1\n20\n20\n25\n");
  const char *p = putf("boundary.lua",
    "scenario { duration = \"30s\", seed = 1, window = \"10s\" }\n"
    "service \"s\" { instances = 1, workers = 8, work = exp \"1ms\" }\n"
    "traffic { rate = trace \"boundary.csv\", mix = { s = 1 } }\n");
  run_t r;
  run_file(&r, p, NULL);
  if (run_ok(&r)) {
    CHECK_EQ_INT(jarrivals(&r, 0), 1);   /* [0, 10): 1 */
    CHECK_EQ_INT(jarrivals(&r, 1), 0);   /* [10, 20): none */
    CHECK_EQ_INT(jarrivals(&r, 2), 3);   /* [20, 30): 20, 20, 25 */
  }
  run_free(&r);
}
