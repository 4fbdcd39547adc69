/* Closed-loop users (traffic.users): a closed network with think time against exact mean-value
** analysis, the interactive system's asymptotes and its knee N* = (D + Z) / D_max, k6 stages and
** Locust's spawn rate, load that falls as the system slows, and the reader's refusals.
**
** The network: users think Z = 1 s (exponential), then visit "a" (one worker, exponential work of
** mean 10 ms, non-blocking) and "b" (one worker, exponential, 5 ms) in tandem: two FCFS exponential
** stations and a delay station, a product-form network that exact MVA (Reiser and Lavenberg 1980)
** solves for every N. D = 15 ms, D_max = 10 ms, N* = 101.5.
**
** Tolerances. Each estimate is a mean over one run of 3000 simulated seconds. The spread was
** measured over 10 seeds (FAULTLINE_CLOSED_SEED=0..9 adds to every seed; FAULTLINE_CLOSED_VERBOSE=1
** prints every comparison). Relative standard deviations: throughput 1.2% at N = 1 (only ~3000
** sessions), 0.5% at 10, under 0.2% from 50 up; mean response 1.3% at N = 1, 0.3-0.4% at 10 and
** 50, 0.8-1.2% around the knee (80-120, where the queues swing most), 0.3-0.5% at 150 and 200;
** think time as throughput. Each tolerance is about 4 of these or more (tol[] below), and tight
** enough that a user who did not wait for its answer (open traffic: no queueing limit) or did
** not think (X = 1 / D_max at every N) lands far outside. */
#define CHECK_MAIN
#include "check.h"

#include <stdarg.h>

#include "faultline/hist.h"
#include "faultline/scenario.h"
#include "faultline/sim.h"

#define FIXTURE_NAME "closed"
#include "fixture.h"

/* ---- exact MVA for the tandem with think time ---- */

#define MVA_N 200
#define NST 2
static const double DK[NST] = { 0.010, 0.005 };   /* service demands, s */
#define Z 1.0                                       /* think time, s */

/* Throughput X[n] (/s) and response R[n] (s, summed over the stations) for n = 1..MVA_N. */
static void mva(double X[MVA_N + 1], double R[MVA_N + 1]) {
  double Q[NST] = { 0 };
  X[0] = R[0] = 0;
  for (int n = 1; n <= MVA_N; n++) {
    double r = 0, rk[NST];
    for (int k = 0; k < NST; k++) { rk[k] = DK[k] * (1 + Q[k]); r += rk[k]; }
    X[n] = n / (Z + r);
    R[n] = r;
    for (int k = 0; k < NST; k++) Q[k] = X[n] * rk[k];
  }
}

/* ---- running ---- */

static uint64_t seed_shift(void) {
  const char *v = getenv("FAULTLINE_CLOSED_SEED");
  return v ? strtoull(v, NULL, 10) : 0;
}

static bool loud(void) {
  const char *v = getenv("FAULTLINE_CLOSED_VERBOSE");
  return v && strcmp(v, "1") == 0;
}

static bool run_scenario(run_t *r, uint64_t seed, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static bool run_scenario(run_t *r, uint64_t seed, const char *fmt, ...) {
  char text[4096];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(text, sizeof text, fmt, ap);
  va_end(ap);
  memset(r, 0, sizeof *r);
  if (n < 0 || (size_t)n >= sizeof text) { CHECK_MSG(0, "scenario text too long"); return false; }
  fl_load_opts_t o = {.has_seed = true, .seed = seed + seed_shift()};
  return run_opts(r, put("closed.lua", text), &o);
}

static void rel(int line, const char *what, int n, double obs, double th, double tol) {
  double err = th != 0 ? (obs - th) / fabs(th) : obs;
  if (loud()) printf("  # %s N=%d: %.6g, theory %.6g, error %+.4f%%\n", what, n, obs, th, 100 * err);
  if (!(fabs(err) <= tol)) CHECK_FAIL_("line %d: %s at N=%d: %.6g vs %.6g (relative tolerance %.3g, off by %.3g)", line, what, n, obs, th, tol, fabs(err));
}
#define REL(what, n, obs, th, tol) rel(__LINE__, what, n, obs, th, tol)

/* The tandem with N users; returns the measured throughput (sessions/s) and mean response. */
static bool run_tandem(run_t *r, int users, double *X, double *R) {
  if (!run_scenario(r, 7,
      "scenario { name = 'closed', duration = 3100, warmup = 100, window = 100 }\n"
      "service 'a' { workers = 1, queue = math.huge, blocking = false, work = exp '10ms', calls = { call 'b' } }\n"
      "service 'b' { workers = 1, queue = math.huge, work = exp '5ms' }\n"
      "traffic { users = %d, think = exp '1s', mix = { a = 1 } }\n", users))
    return false;
  double secs = fl_sim_measured_seconds(&r->s);
  *X = (double)r->s.users.sessions / secs;
  *R = fl_hist_mean(r->s.jrn[0].st.htotal) / 1e9;
  return true;
}

/* ---- tests ---- */

TEST(mva_obeys_the_asymptotes_for_every_population) {
  double X[MVA_N + 1], R[MVA_N + 1];
  mva(X, R);
  double D = DK[0] + DK[1], Dmax = DK[0];
  for (int n = 1; n <= MVA_N; n++) {
    CHECK(X[n] <= n / (D + Z) * (1 + 1e-12));
    CHECK(X[n] <= 1 / Dmax * (1 + 1e-12));
    CHECK(R[n] >= D - 1e-12 && R[n] >= n * Dmax - Z - 1e-12);
    CHECK(fabs(n - X[n] * (R[n] + Z)) < 1e-9 * n);   /* Little's law over the whole loop */
    if (n > 1) CHECK(X[n] >= X[n - 1] && R[n] > R[n - 1]);   /* X reaches 1 / D_max to the last bit */
  }
  CHECK_NEAR(X[1], 1 / (D + Z), 1e-12);   /* one user never queues */
}

TEST(closed_tandem_matches_exact_mva_from_1_to_200_users) {
  double X[MVA_N + 1], R[MVA_N + 1];
  mva(X, R);
  static const int ns[] = { 1, 10, 50, 80, 100, 120, 150, 200 };
  for (size_t i = 0; i < sizeof ns / sizeof ns[0]; i++) {
    int n = ns[i];
    run_t r;
    double x, resp;
    if (!run_tandem(&r, n, &x, &resp)) return;
    static const double tol_x[] = { 0.05, 0.02, 0.01, 0.01, 0.01, 0.01, 0.01, 0.01 };
    static const double tol_r[] = { 0.055, 0.02, 0.02, 0.05, 0.05, 0.05, 0.025, 0.02 };
    REL("throughput", n, x, X[n], tol_x[i]);
    REL("mean response", n, resp, R[n], tol_r[i]);
    /* the users' own accounts: all alive all along, think as drawn, one request per session */
    CHECK_EQ_INT(r.s.users.max, n);
    CHECK_NEAR(fl_sim_users_mean(&r.s), n, 1e-9);
    CHECK_EQ_INT(r.s.users.requests, r.s.users.sessions);
    REL("think mean", n, r.s.users.think_s / (double)r.s.users.thinks, Z, tol_x[i]);
    run_free(&r);
  }
}

TEST(throughput_bends_at_n_star_between_the_two_asymptotes) {
  double D = DK[0] + DK[1], Dmax = DK[0], nstar = (D + Z) / Dmax;
  CHECK_NEAR(nstar, 101.5, 1e-9);
  /* well below the knee, users hardly queue: X close to N / (D + Z); well above, the bottleneck
  ** is saturated: X close to 1 / D_max and R close to N D_max - Z */
  int lo = (int)(nstar / 4), hi = (int)(2 * nstar);
  run_t r;
  double x, resp;
  if (!run_tandem(&r, lo, &x, &resp)) return;
  REL("throughput below N*", lo, x, lo / (D + Z), 0.02);
  CHECK(x <= lo / (D + Z) * 1.01);
  run_free(&r);
  if (!run_tandem(&r, hi, &x, &resp)) return;
  REL("throughput above N*", hi, x, 1 / Dmax, 0.01);
  REL("response above N*", hi, resp, hi * Dmax - Z, 0.03);
  CHECK(x <= 1 / Dmax * 1.01);
  run_free(&r);
}

TEST(stages_ramp_users_up_and_let_them_finish_on_the_way_down) {
  run_t r;
  if (!run_scenario(&r, 3,
      "scenario { name = 'stages', duration = '16m', window = '10s' }\n"
      "service 'a' { workers = 8, queue = math.huge, work = exp '10ms' }\n"
      "traffic { users = stages { {'0s', 0}, {'2m', 500}, {'10m', 500}, {'12m', 0} }, think = uniform { '1s', '9s' }, mix = { a = 1 } }\n"))
    return;
  const fl_users_rt_t *u = &r.s.users;
  CHECK_EQ_INT(u->max, 500);
  CHECK_EQ_INT(u->started, 500);
  CHECK_EQ_INT(u->retired, 500);   /* everyone stopped after the last stage */
  CHECK_EQ_INT(u->active, 0);
  CHECK(u->think_s / (double)u->thinks > 4.9 && u->think_s / (double)u->thinks < 5.1);
  /* on the plateau, 500 users each send one request per (5 s think + ~10 ms): ~100/s */
  const fl_stats_t *st = &r.s.svc[0].st;
  double plateau = 0;
  for (int w = 30; w < 60; w++) plateau += st->series[FL_SER_ARRIVALS][w];
  plateau /= 30 * 10.0;
  CHECK_MSG(fabs(plateau - 500 / 5.01) < 5, "plateau %g/s", plateau);
  /* once the stages are over nobody sends */
  for (int w = 75; w < 96; w++) CHECK_MSG(st->series[FL_SER_ARRIVALS][w] == 0, "window %d: %g arrivals", w, st->series[FL_SER_ARRIVALS][w]);
  run_free(&r);
}

TEST(k6_stage_form_ramps_from_zero_and_matches_the_point_form) {
  run_t a, b;
  if (!run_scenario(&a, 5,
      "scenario { name = 'k6', duration = '3m', window = '10s' }\n"
      "service 'a' { workers = 8, work = exp '10ms' }\n"
      "traffic { users = stages { { duration = '1m', target = 50 }, { duration = '1m', target = 50 }, { duration = '30s', target = 0 } }, think = '1s', mix = { a = 1 } }\n"))
    return;
  if (!run_scenario(&b, 5,
      "scenario { name = 'k6', duration = '3m', window = '10s' }\n"
      "service 'a' { workers = 8, work = exp '10ms' }\n"
      "traffic { users = stages { {'0s', 0}, {'1m', 50}, {'2m', 50}, {'150s', 0} }, think = '1s', mix = { a = 1 } }\n")) {
    run_free(&a);
    return;
  }
  CHECK_EQ_INT(a.s.users.sessions, b.s.users.sessions);
  CHECK_EQ_INT(a.s.users.max, 50);
  CHECK_EQ_INT(a.s.users.started, 50);
  run_free(&a); run_free(&b);
}

TEST(spawn_rate_starts_users_one_at_a_time) {
  run_t r;
  if (!run_scenario(&r, 1,
      "scenario { name = 'spawn', duration = '5s', window = '1s' }\n"
      "service 'a' { workers = 8, work = exp '10ms' }\n"
      "traffic { users = 100, spawn_rate = '10/s', think = '1s', mix = { a = 1 } }\n"))
    return;
  CHECK_EQ_INT(r.s.users.started, 50);   /* at 0, 0.1 s, ..., 4.9 s */
  /* the mean number alive over 5 s of a ramp at 10/s: 10/s x 5 s / 2 + half a user */
  CHECK_NEAR(fl_sim_users_mean(&r.s), 25.5, 0.05);
  run_free(&r);
}

TEST(closed_users_send_less_when_the_system_slows_and_open_traffic_does_not) {
  /* 100 users think 1 s against a fast service that a latency fault slows by 1 s for 100 s: each
  ** user's loop doubles, so the load halves (X = N / (Z + R): 99/s -> 50/s); the same mean rate
  ** as open arrivals keeps coming at 99/s. */
  run_t c, o;
  const char *svc = "service 'a' { workers = 200, work = exp '10ms' }\n"
                    "fault { kind = 'latency', target = 'a', at = '200s', duration = '100s', latency = '1s' }\n";
  if (!run_scenario(&c, 2, "scenario { name = 'c', duration = '300s', window = '10s' }\n%s"
                           "traffic { users = 100, think = exp '1s', mix = { a = 1 } }\n", svc)) return;
  if (!run_scenario(&o, 2, "scenario { name = 'o', duration = '300s', window = '10s' }\n%s"
                           "traffic { rate = 99, mix = { a = 1 } }\n", svc)) { run_free(&c); return; }
  double cb = 0, cf = 0, ob = 0, of = 0;
  for (int w = 5; w < 20; w++) { cb += c.s.svc[0].st.series[FL_SER_ARRIVALS][w]; ob += o.s.svc[0].st.series[FL_SER_ARRIVALS][w]; }
  for (int w = 22; w < 30; w++) { cf += c.s.svc[0].st.series[FL_SER_ARRIVALS][w]; of += o.s.svc[0].st.series[FL_SER_ARRIVALS][w]; }
  cb /= 150; ob /= 150; cf /= 80; of /= 80;
  CHECK_MSG(fabs(cb - 100 / 1.01) < 4, "closed before: %g/s", cb);
  CHECK_MSG(fabs(cf - 100 / 2.01) < 4, "closed during the slowdown: %g/s", cf);
  CHECK_MSG(fabs(of - ob) < 5 && fabs(of - 99) < 5, "open: %g/s before, %g/s during", ob, of);
  run_free(&c); run_free(&o);
}

TEST(open_and_closed_traffic_run_side_by_side) {
  run_t r;
  if (!run_scenario(&r, 4,
      "scenario { name = 'both', duration = '600s', warmup = '60s', window = '10s' }\n"
      "service 'a' { workers = 50, work = exp '10ms' }\n"
      "traffic { rate = 40, users = 60, think = exp '2s', mix = { a = 1 } }\n"))
    return;
  double secs = fl_sim_measured_seconds(&r.s), total = (double)r.s.svc[0].st.total.arrivals / secs;
  double users = (double)r.s.users.requests / secs;
  CHECK_MSG(fabs(users - 60 / 2.01) < 1.5, "users' rate %g/s", users);
  CHECK_MSG(fabs(total - users - 40) < 1.5, "open rate %g/s", total - users);
  run_free(&r);
}

TEST(a_user_facing_instant_refusals_without_think_time_still_advances) {
  /* no think time and a service that refuses all but the first request at once: each refused
  ** user's loop takes the minimum of 1 ms instead of spinning at one instant, so 9 users begin
  ** 2000 sessions each in 2 s, and the first user waits on its 10 s request */
  run_t r;
  if (!run_scenario(&r, 1,
      "scenario { name = 'spin', duration = '2s', window = '1s' }\n"
      "service 'a' { workers = 1, queue = 0, work = '10s' }\n"
      "traffic { users = 10, mix = { a = 1 } }\n"))
    return;
  CHECK_EQ_INT(r.s.users.sessions, 9 * 2000 + 1);
  run_free(&r);
}

TEST(users_are_read_checked_and_set) {
  run_t r;
  memset(&r, 0, sizeof r);
  fl_load_opts_t o = {0};
  char err[2048];
  const char *svc = "scenario { name = 'x', duration = '10s' }\nservice 'a' { work = '1ms' }\n";
  struct { const char *traffic, *msg; } bad[] = {
    { "traffic { think = '1s', mix = { a = 1 } }", "think is the users' wait" },
    { "traffic { spawn_rate = '1/s', rate = 1, mix = { a = 1 } }", "spawn_rate paces users" },
    { "traffic { users = -1, mix = { a = 1 } }", "users must be between 0 and 1000000" },
    { "traffic { users = 2.5, mix = { a = 1 } }", "users must be a whole number" },
    { "traffic { users = surge { base = 1, peak = 2, start = '1s' }, mix = { a = 1 } }", "users must be a number of users or stages" },
    { "traffic { users = stages { {'1s', 5}, {'1s', 6} }, mix = { a = 1 } }", "times must increase" },
    { "traffic { users = stages { { duration = '1m' } }, mix = { a = 1 } }", "missing target" },
    { "traffic { mix = { a = 1 } }", "missing rate or users" },
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    char text[512];
    snprintf(text, sizeof text, "%s%s\n", svc, bad[i].traffic);
    int rc = fl_run_load(&r, put("bad.lua", text), &o, err, sizeof err);
    CHECK_MSG(rc != 0 && strstr(err, bad[i].msg), "%s: %s", bad[i].traffic, rc ? err : "loaded");
    if (rc == 0) fl_run_release(&r);
  }
  /* --set traffic.users turns a scenario into a closed one; spawn_rate needs users */
  const char *sets[] = { "traffic.users=5", "traffic.spawn_rate=1/s" };
  fl_load_opts_t so = { .sets = sets, .nsets = 2 };
  char text[512];
  snprintf(text, sizeof text, "%straffic { rate = 0, mix = { a = 1 } }\n", svc);
  if (run_opts(&r, put("set.lua", text), &so)) {
    CHECK(r.m->has_users);
    CHECK_EQ_INT(r.s.users.started, 5);   /* at 0 .. 4 s */
    run_free(&r);
  }
  const char *set1[] = { "traffic.spawn_rate=1/s" };
  fl_load_opts_t s1 = { .sets = set1, .nsets = 1 };
  CHECK(fl_run_load(&r, put("set.lua", text), &s1, err, sizeof err) != 0 && strstr(err, "paces users"));
}

TEST(a_hook_sets_users_during_the_run) {
  /* no users at first; at 10 s a hook asks for 20, at 20 s for 5: they stop as their sessions end */
  run_t r;
  if (!run_scenario(&r, 1,
      "scenario { name = 'live', duration = '30s', window = '1s' }\n"
      "service 'a' { workers = 8, work = exp '10ms' }\n"
      "traffic { rate = 0, mix = { a = 1 } }\n"
      "at('10s', function(sim) sim:set('traffic.users', 20) end)\n"
      "at('20s', function(sim) sim:set('traffic.users', 5) end)\n"))
    return;
  const fl_stats_t *st = &r.s.svc[0].st;
  CHECK(st->series[FL_SER_ARRIVALS][5] == 0);
  CHECK(st->series[FL_SER_ARRIVALS][15] > 0);
  CHECK_EQ_INT(r.s.users.max, 20);
  CHECK_EQ_INT(r.s.users.started, 20);
  CHECK_EQ_INT(r.s.users.active, 5);
  run_free(&r);
}
