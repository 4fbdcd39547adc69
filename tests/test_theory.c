/* Validation of the simulator against queueing theory: M/M/1, M/M/c (Erlang C), M/M/c/c
** (Erlang B), M/D/1 and M/G/1 (Pollaczek-Khinchine), GI/M/1 from round-robin splitting, random
** splitting, Burke's tandem, a Jackson network with a shared backend, Little's law, the pool of
** a blocking caller held during its calls, a two-way fork-join (parallel calls), and
** non-homogeneous Poisson arrivals. Each test writes a small scenario to a temporary file, runs
** it with a fixed seed and compares the statistics kept in fl_sim_t with formulas computed here.
** The same models, with shorter runs, are in scenarios/theory/ for the command line.
**
** Tolerances. Every estimate here is a mean over one long, autocorrelated run. The standard
** errors quoted in the comments were measured over 20 seeds (FAULTLINE_THEORY_SEED=1..20, see
** below); each tolerance is at least 4.3 of them, and small enough that a modelling error
** (a wrong service discipline, a worker held or freed at the wrong time, a queue not shared,
** arrivals that are not Poisson) moves the number well outside it. Histogram quantiles carry a
** further bucket error under 0.4% (128 linear sub-buckets per power of two, midpoint).
**
** Environment, for re-measuring the spread: FAULTLINE_THEORY_SEED=N adds N to every seed;
** FAULTLINE_THEORY_VERBOSE=1 prints every comparison ("  # what: observed, theory, error"). */
#define CHECK_MAIN
#include "check.h"

#include <stdarg.h>
#include <unistd.h>

#include "faultline/dist.h"
#include "faultline/hist.h"
#include "faultline/scenario.h"
#include "faultline/sim.h"

#define FIXTURE_NAME "theory"
#include "fixture.h"

/* ---- theory ---- */

/* Erlang B: blocking probability of M/M/c/c with offered load a = lambda/mu (stable recursion). */
static double erlang_b(int c, double a) {
  double b = 1;
  for (int k = 1; k <= c; k++) b = a * b / (k + a * b);
  return b;
}

/* Erlang C: probability that an arrival waits in M/M/c (a < c). */
static double erlang_c(int c, double a) {
  double b = erlang_b(c, a);
  return c * b / (c - a * (1 - b));
}

/* P(X + Y > t) for independent exponentials of rates g1 and g2 (hypoexponential tail). */
static double hypoexp_tail(double g1, double g2, double t) {
  if (fabs(g1 - g2) < 1e-12 * g1) return (1 + g1 * t) * exp(-g1 * t);
  return (g2 * exp(-g1 * t) - g1 * exp(-g2 * t)) / (g2 - g1);
}

/* Tail functions P(R > t) with their parameters, and the quantile by bisection. */
typedef struct { int c; double lambda, mu, g1, g2; } tail_par_t;
typedef double (*tail_fn)(const tail_par_t *p, double t);

/* M/M/c response time: service S ~ exp(mu) plus, with probability C(c, a), a wait
** W ~ exp(c mu - lambda) independent of S. */
static double mmc_response_tail(const tail_par_t *p, double t) {
  double C = erlang_c(p->c, p->lambda / p->mu), g = p->c * p->mu - p->lambda;
  return (1 - C) * exp(-p->mu * t) + C * hypoexp_tail(p->mu, g, t);
}

static double hypo_tail(const tail_par_t *p, double t) { return hypoexp_tail(p->g1, p->g2, t); }

static double tail_quantile(tail_fn f, const tail_par_t *p, double q) {
  double lo = 0, hi = 1;
  while (f(p, hi) > 1 - q) hi *= 2;
  for (int i = 0; i < 200; i++) {
    double mid = (lo + hi) / 2;
    if (f(p, mid) > 1 - q) lo = mid; else hi = mid;
  }
  return (lo + hi) / 2;
}

/* GI/M/1 with Erlang-k interarrival times made of k phases of rate 'phase' each: sigma is the
** root in (0,1) of sigma = A*(mu (1 - sigma)) = (phase / (phase + mu (1 - sigma)))^k; the
** response time is then exponential with rate mu (1 - sigma), and sigma = P(an arrival waits). */
static double gi_m_1_sigma_erlang(int k, double phase, double mu) {
  double s = 0;
  for (int i = 0; i < 100000; i++) {
    double next = pow(phase / (phase + mu * (1 - s)), k);
    if (fabs(next - s) < 1e-15) return next;
    s = next;
  }
  return s;
}

/* Lognormal from (median, p99): sigma = ln(p99/median) / z_0.99. */
#define Z99 2.3263478740408408
static double lognormal_mean(double median, double p99) {
  double sg = log(p99 / median) / Z99;
  return median * exp(sg * sg / 2);
}
static double lognormal_scv(double median, double p99) {
  double sg = log(p99 / median) / Z99;
  return expm1(sg * sg);
}

/* Pollaczek-Khinchine mean wait in M/G/1: lambda E[S^2] / (2 (1 - rho)). */
static double pk_wait(double lambda, double mean, double scv) {
  double rho = lambda * mean;
  return lambda * mean * mean * (1 + scv) / (2 * (1 - rho));
}

/* ---- running scenarios ---- */

static uint64_t seed_shift(void) {
  const char *v = getenv("FAULTLINE_THEORY_SEED");
  return v ? strtoull(v, NULL, 10) : 0;
}

/* The length of the measured period (after warm-up), seconds. */
static double measured(const run_t *r) { return fl_sim_measured_seconds(&r->s); }

/* Writes the scenario text (printf-style) to a scenario file, loads it with 'seed', runs it to
** its end. On failure records a check failure and returns false (nothing to free). */
static bool run_scenario(run_t *r, uint64_t seed, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static bool run_scenario(run_t *r, uint64_t seed, const char *fmt, ...) {
  char text[8192];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(text, sizeof text, fmt, ap);
  va_end(ap);
  memset(r, 0, sizeof *r);
  if (n < 0 || (size_t)n >= sizeof text) { CHECK_MSG(0, "scenario text too long"); return false; }
  fl_load_opts_t o = {.has_seed = true, .seed = seed + seed_shift()};
  if (!run_opts(r, put("theory.lua", text), &o)) return false;
  CHECK(measured(r) > 0);
  return true;
}


static const fl_svc_rt_t *svc(const run_t *r, const char *name) {
  fl_service_t *s = fl_model_find_service(r->m, name);
  FL_ASSERT(s);
  return &r->s.svc[s->id];
}

/* A journey by its entry ("a" or "a.default"). */
static const fl_jrn_rt_t *jrn(const run_t *r, const char *entry) {
  const fl_endpoint_t *ep = fl_model_find_endpoint(r->m, entry);
  FL_ASSERT(ep);
  for (int j = 0; j < r->m->njourneys; j++)
    if (r->m->journeys[j].entry == ep) return &r->s.jrn[j];
  FL_ASSERT(!"no such journey");
  return NULL;
}

/* Time average of an integral kept in count x ns after warm-up. */
static double tavg(const run_t *r, double integral) { return integral / (measured(r) * 1e9); }
/* Measured arrival rate per second. */
static double rate_of(const run_t *r, const fl_stats_t *st) { return (double)st->total.arrivals / measured(r); }
static double mean_sec(const fl_stats_t *st) { return fl_hist_mean(st->htotal) / 1e9; }
static double q_sec(const fl_stats_t *st, double q) { return fl_time_to_sec(fl_hist_quantile(st->htotal, q)); }

/* |observed - theory| <= tol x |theory|, reported with what was compared. */
static void theory_rel(int line, const char *what, double obs, double th, double tol) {
  double err = th != 0 ? (obs - th) / fabs(th) : obs;
  if (verbose())
    printf("  # %-44s observed %-12.6g theory %-12.6g error %+7.3f%% (tolerance %.2f%%)\n", what, obs, th,
           100 * err, 100 * tol);
  if (!(fabs(err) <= tol)) {
    check_failed_now = 1;
    printf("  %s:%d: %s: observed %.6g, theory %.6g: off by %+.2f%% (tolerance %.2f%%)\n", __FILE__, line, what, obs,
           th, 100 * err, 100 * tol);
  }
}
#define THEORY_REL(what, obs, th, tol) theory_rel(__LINE__, what, obs, th, tol)

/* ---- the formulas themselves, against published values ---- */

TEST(theory_formulas_match_published_values) {
  /* Erlang B(10, 8) = 0.12166 (standard tables); B(1, a) = a / (1 + a). */
  CHECK_NEAR(erlang_b(10, 8), 0.121661, 1e-6);
  CHECK_NEAR(erlang_b(1, 0.8), 0.8 / 1.8, 1e-15);
  /* Erlang C(1, rho) = rho; C(2, a) = a^2 / (2 + a) for M/M/2. */
  CHECK_NEAR(erlang_c(1, 0.8), 0.8, 1e-15);
  CHECK_NEAR(erlang_c(2, 1.5), 1.5 * 1.5 / 3.5, 1e-15);
  /* M/M/1 as M/M/c with c = 1: exponential response of rate mu - lambda. */
  tail_par_t p = {.c = 1, .lambda = 0.8, .mu = 1};
  CHECK_NEAR(tail_quantile(mmc_response_tail, &p, 0.9), -log(0.1) / 0.2, 1e-9);
  /* GI/M/1 with Erlang-1 (Poisson) arrivals is M/M/1: sigma = rho. */
  CHECK_NEAR(gi_m_1_sigma_erlang(1, 0.8, 1), 0.8, 1e-12);
  /* P-K for exponential work (scv 1) is the M/M/1 wait rho / (mu - lambda). */
  CHECK_NEAR(pk_wait(0.8, 1, 1), 4, 1e-12);
  /* the lognormal helpers agree with the library's distribution */
  fl_dist_t d;
  CHECK_EQ_INT(fl_dist_lognormal_median_p99(&d, 1, 10, NULL), 0);
  CHECK_NEAR(fl_dist_mean(&d), lognormal_mean(1, 10), 1e-9);
  CHECK_NEAR(fl_dist_scv(&d), lognormal_scv(1, 10), 1e-9);
}

/* ---- M/M/1 ---- */

/* lambda 0.8, mu 1: rho 0.8, R ~ exp(0.2): mean 5 s, P(R > t) = exp(-0.2 t), so the q-quantile
** is -ln(1 - q) / 0.2 (P(wait > t) = rho exp(-0.2 t) is the same law seen from the queue);
** time averages: busy rho = 0.8, queue rho^2/(1 - rho) = 3.2, in system rho/(1 - rho) = 4.
** 4.8 million arrivals. Standard errors: arrival rate 0.05%, mean response 0.45%, p50 0.35%,
** p90 0.55%, p99 0.8%, utilisation 0.07%, queue 0.6%, in system 0.5%. */
TEST(mm1_matches_response_time_distribution_utilisation_and_queue) {
  run_t r;
  if (!run_scenario(&r, 1,
      "scenario { name = 'M/M/1', duration = 6002000, warmup = 2000, window = 1000 }\n"
      "service 's' { instances = 1, workers = 1, queue = math.huge, work = exp '1s' }\n"
      "traffic { rate = 0.8, mix = { s = 1 } }\n"))
    return;
  const fl_svc_rt_t *s = svc(&r, "s");
  double lambda = 0.8, mu = 1, rho = lambda / mu;
  CHECK_EQ_INT(s->st.total.failures, 0);
  THEORY_REL("M/M/1 arrival rate", rate_of(&r, &s->st), lambda, 0.005);
  THEORY_REL("M/M/1 mean response", mean_sec(&s->st), 1 / (mu - lambda), 0.025);
  THEORY_REL("M/M/1 median response", q_sec(&s->st, 0.5), -log(0.5) / (mu - lambda), 0.025);
  THEORY_REL("M/M/1 p90 response", q_sec(&s->st, 0.9), -log(0.1) / (mu - lambda), 0.025);
  THEORY_REL("M/M/1 p99 response", q_sec(&s->st, 0.99), -log(0.01) / (mu - lambda), 0.035);
  THEORY_REL("M/M/1 utilisation", s->t_busy / s->t_workers, rho, 0.01);
  THEORY_REL("M/M/1 busy workers", tavg(&r, s->t_busy), rho, 0.01);
  THEORY_REL("M/M/1 mean queue", tavg(&r, s->t_queue), rho * rho / (1 - rho), 0.03);
  THEORY_REL("M/M/1 mean in system", tavg(&r, s->t_inflight), rho / (1 - rho), 0.025);
  run_free(&r);
}

/* ---- M/M/c (Erlang C) ---- */

/* c workers sharing one FIFO queue (one instance), rho = 0.85 per worker, mu = 1.
** Mean response 1/mu + C(c,a)/(c mu - lambda); Lq = C rho/(1 - rho); busy = a; the response
** time is S ~ exp(mu) plus, with probability C, W ~ exp(c mu - lambda): checked at p90 and p99.
** P(wait > 0) = C is estimated twice: from the mean wait (Wq (c mu - lambda)) and from the mean
** queue (Lq (1 - rho)/rho). tol_w applies to the wait (the mean response's tolerance is the
** same absolute error), tol_q to the queue. */
static void check_mmc(int c, double measured, uint64_t seed, double tol_w, double tol_q, double tol_p99) {
  double mu = 1, rho = 0.85, lambda = rho * c * mu, a = lambda / mu;
  run_t r;
  if (!run_scenario(&r, seed,
      "scenario { name = 'M/M/c', duration = %.17g, warmup = 2000, window = 1000 }\n"
      "service 's' { instances = 1, workers = %d, queue = math.huge, work = exp(%.17g) }\n"
      "traffic { rate = %.17g, mix = { s = 1 } }\n", measured + 2000, c, 1 / mu, lambda))
    return;
  const fl_svc_rt_t *s = svc(&r, "s");
  double C = erlang_c(c, a), g = c * mu - lambda;
  double wq = C / g, lq = C * rho / (1 - rho);
  double w_obs = mean_sec(&s->st) - 1 / mu, lq_obs = tavg(&r, s->t_queue);
  tail_par_t p = {.c = c, .lambda = lambda, .mu = mu};
  char what[64];
  CHECK_EQ_INT(s->st.total.failures, 0);
#define WHAT(text) (snprintf(what, sizeof what, "M/M/%d " text, c), what)
  THEORY_REL(WHAT("mean response"), mean_sec(&s->st), 1 / mu + wq, tol_w * wq * mu);
  THEORY_REL(WHAT("mean wait (response - 1/mu)"), w_obs, wq, tol_w);
  THEORY_REL(WHAT("mean queue Lq"), lq_obs, lq, tol_q);
  THEORY_REL(WHAT("P(wait>0) from the mean wait"), w_obs * g, C, tol_w);
  THEORY_REL(WHAT("P(wait>0) from the mean queue"), lq_obs * (1 - rho) / rho, C, tol_q);
  THEORY_REL(WHAT("busy workers"), tavg(&r, s->t_busy), a, 0.01);
  THEORY_REL(WHAT("utilisation"), s->t_busy / s->t_workers, rho, 0.01);
  THEORY_REL(WHAT("p90 response"), q_sec(&s->st, 0.9), tail_quantile(mmc_response_tail, &p, 0.9), 0.02);
  THEORY_REL(WHAT("p99 response"), q_sec(&s->st, 0.99), tail_quantile(mmc_response_tail, &p, 0.99), tol_p99);
#undef WHAT
  run_free(&r);
}

/* c = 4: a = 3.4, C = 0.6893, Wq = 1.1489 s, Lq = 3.906. 6.8 million arrivals. Standard errors:
** Wq and C 0.6%, Lq 0.6%, busy 0.07%, p90 0.37%, p99 0.75%. */
TEST(mm4_matches_erlang_c_wait_and_queue) { check_mmc(4, 2e6, 2, 0.03, 0.03, 0.035); }

/* c = 16: a = 13.6, C = 0.4332, Wq = 0.1805 s, Lq = 2.455. The wait is only 15% of the response,
** hence the longer run: 10 million arrivals. Standard errors: Wq and C 0.95%, Lq 0.8%,
** busy 0.05%, p90 0.2%, p99 0.2%. */
TEST(mm16_matches_erlang_c_wait_and_queue) { check_mmc(16, 7.5e5, 3, 0.04, 0.035, 0.03); }

/* ---- M/M/c/c (Erlang B) ---- */

/* c = 10 workers, no waiting room (queue = 0), a = 8: B(10, 8) = 0.12166 of arrivals rejected
** at once; carried load (busy workers) a (1 - B) = 7.027; the answered requests' response is
** their work alone (mean 1 s). Erlang B is insensitive to the work distribution beyond its
** mean, so the same holds with lognormal work. 1.6 million arrivals each. Standard errors:
** blocking 0.35% (0.4% lognormal), busy 0.07%, mean response 0.1%. */
static void check_erlang_b(const char *work, uint64_t seed, const char *label) {
  int c = 10;
  double mu = 1, a = 8, lambda = a * mu;
  run_t r;
  if (!run_scenario(&r, seed,
      "scenario { name = 'M/M/c/c', duration = 202000, warmup = 2000, window = 1000 }\n"
      "service 's' { instances = 1, workers = %d, queue = 0, work = %s }\n"
      "traffic { rate = %.17g, mix = { s = 1 } }\n", c, work, lambda))
    return;
  const fl_svc_rt_t *s = svc(&r, "s");
  double B = erlang_b(c, a);
  char what[80];
  uint64_t arr = s->st.total.arrivals, rej = s->st.total.cause[FL_CAUSE_REJECTED];
  CHECK(arr > 0);
  CHECK_EQ_INT(s->st.total.failures, rej); /* rejections are the only failures */
  snprintf(what, sizeof what, "%s blocking probability", label);
  THEORY_REL(what, (double)rej / (double)arr, B, 0.02);
  snprintf(what, sizeof what, "%s busy workers", label);
  THEORY_REL(what, tavg(&r, s->t_busy), a * (1 - B), 0.01);
  snprintf(what, sizeof what, "%s mean response", label);
  THEORY_REL(what, mean_sec(&s->st), 1 / mu, 0.01);
  CHECK_NEAR(tavg(&r, s->t_queue), 0, 0);
  run_free(&r);
}

TEST(mmcc_rejects_erlang_b_fraction) { check_erlang_b("exp '1s'", 4, "M/M/10/10"); }

TEST(mgcc_blocking_is_insensitive_to_work_distribution) {
  check_erlang_b("lognormal { mean = '1s', cv = 1.5 }", 5, "M/G/10/10 (lognormal)");
}

/* ---- M/G/1 (Pollaczek-Khinchine) ---- */

/* One worker, unbounded queue; Wq = lambda E[S^2] / (2 (1 - rho)), E[S^2] = E[S]^2 (1 + scv);
** the mean response is E[S] + Wq and the mean queue lambda Wq (Little). 'tol' applies to the
** wait and the queue (the mean response's tolerance is the same absolute error). */
static void check_mg1(const char *label, const char *work, double mean, double scv, double rho, double measured,
                      uint64_t seed, double tol) {
  double lambda = rho / mean;
  run_t r;
  if (!run_scenario(&r, seed,
      "scenario { name = 'M/G/1', duration = %.17g, warmup = 2000, window = 1000 }\n"
      "service 's' { instances = 1, workers = 1, queue = math.huge, work = %s }\n"
      "traffic { rate = %.17g, mix = { s = 1 } }\n", measured + 2000, work, lambda))
    return;
  const fl_svc_rt_t *s = svc(&r, "s");
  double wq = pk_wait(lambda, mean, scv);
  char what[80];
  CHECK_EQ_INT(s->st.total.failures, 0);
  snprintf(what, sizeof what, "%s mean response", label);
  THEORY_REL(what, mean_sec(&s->st), mean + wq, tol * wq / (mean + wq));
  snprintf(what, sizeof what, "%s mean wait (response - E[S])", label);
  THEORY_REL(what, mean_sec(&s->st) - mean, wq, tol);
  snprintf(what, sizeof what, "%s mean queue", label);
  THEORY_REL(what, tavg(&r, s->t_queue), lambda * wq, tol);
  snprintf(what, sizeof what, "%s utilisation", label);
  THEORY_REL(what, tavg(&r, s->t_busy), rho, 0.01);
  run_free(&r);
}

/* const 1 s at rho 0.8: Wq = 2 s (half the M/M/1 wait), response 3 s. 3.2 million arrivals.
** Standard errors: Wq 0.5%, queue 0.55%, utilisation 0.05%. */
TEST(md1_matches_pollaczek_khinchine) { check_mg1("M/D/1", "const '1s'", 1, 0, 0.8, 4e6, 6, 0.025); }

/* lognormal median 1 s, p99 10 s: E[S] = 1.6320 s, scv = 1.6634; at rho 0.7, Wq = 5.071 s,
** response 6.703 s. 2.6 million arrivals. Standard errors: Wq 0.65%, queue 0.65%,
** utilisation 0.09%. */
TEST(mg1_lognormal_matches_pollaczek_khinchine) {
  check_mg1("M/G/1 lognormal", "lognormal { median = '1s', p99 = '10s' }", lognormal_mean(1, 10),
            lognormal_scv(1, 10), 0.7, 6e6, 7, 0.035);
}

/* gamma mean 1 s, cv 0.5 (scv 0.25) at rho 0.85: Wq = 3.542 s. 3.4 million arrivals. Standard
** errors: Wq 0.7%, queue 0.7%, utilisation 0.05%. */
TEST(mg1_gamma_matches_pollaczek_khinchine) {
  check_mg1("M/G/1 gamma", "gamma { mean = '1s', cv = 0.5 }", 1, 0.25, 0.85, 4e6, 8, 0.035);
}

/* ---- splitting over instances ---- */

/* 4 instances of one worker each behind the random balancer, lambda 3.2: random splitting of a
** Poisson stream gives 4 independent M/M/1 queues at 0.8 each: mean response 5 s as in the
** single M/M/1, queue 4 x 3.2. 3.2 million arrivals. Standard errors: mean response 0.47%,
** p90 0.6%, queue 0.57%, utilisation 0.06%. */
TEST(random_balancer_splits_poisson_into_mm1_queues) {
  run_t r;
  if (!run_scenario(&r, 9,
      "scenario { name = 'random split', duration = 1002000, warmup = 2000, window = 1000 }\n"
      "service 's' { instances = 4, workers = 1, queue = math.huge, balancer = 'random', work = exp '1s' }\n"
      "traffic { rate = 3.2, mix = { s = 1 } }\n"))
    return;
  const fl_svc_rt_t *s = svc(&r, "s");
  THEORY_REL("random x4 mean response", mean_sec(&s->st), 5, 0.025);
  THEORY_REL("random x4 p90 response", q_sec(&s->st, 0.9), -log(0.1) / 0.2, 0.03);
  THEORY_REL("random x4 mean queue", tavg(&r, s->t_queue), 4 * 3.2, 0.03);
  THEORY_REL("random x4 utilisation", s->t_busy / s->t_workers, 0.8, 0.01);
  run_free(&r);
}

/* 2 instances of one worker behind round robin, lambda 1.6: each instance gets every other
** arrival, so Erlang-2 interarrival times (two phases of rate 1.6): GI/M/1 at rho 0.8 with
** sigma = 0.7399 (root of sigma = (1.6/(2.6 - sigma))^2): response exp(mu (1 - sigma)), mean
** 3.844 s (against 5 s for random splitting), P(wait > 0) = sigma, queue 2 x 0.8 sigma/(1 - sigma).
** 4.8 million arrivals. Standard errors: mean response 0.4%, p90 0.5%, queue 0.53%,
** utilisation 0.06%. */
TEST(round_robin_over_two_instances_is_erlang2_gi_m_1) {
  run_t r;
  if (!run_scenario(&r, 10,
      "scenario { name = 'round robin', duration = 3002000, warmup = 2000, window = 1000 }\n"
      "service 's' { instances = 2, workers = 1, queue = math.huge, balancer = 'round_robin', work = exp '1s' }\n"
      "traffic { rate = 1.6, mix = { s = 1 } }\n"))
    return;
  const fl_svc_rt_t *s = svc(&r, "s");
  double mu = 1, lambda_inst = 0.8, sigma = gi_m_1_sigma_erlang(2, 1.6, mu);
  double w = 1 / (mu * (1 - sigma)), wq = sigma / (mu * (1 - sigma));
  THEORY_REL("round robin x2 mean response", mean_sec(&s->st), w, 0.02);
  THEORY_REL("round robin x2 p90 response", q_sec(&s->st, 0.9), -log(0.1) * w, 0.025);
  THEORY_REL("round robin x2 mean queue", tavg(&r, s->t_queue), 2 * lambda_inst * wq, 0.025);
  THEORY_REL("round robin x2 utilisation", s->t_busy / s->t_workers, 0.8, 0.01);
  run_free(&r);
}

/* ---- networks ---- */

/* Little's law on one service: time-average number in the service (t_inflight) against the
** measured arrival rate times the mean latency. It is a sample-path identity, exact but for the
** requests straddling the ends of the measured period (observed error under 0.005%), so 1% is
** generous and still catches any request counted in one statistic but not the other. */
static void check_little(const run_t *r, const char *name) {
  const fl_svc_rt_t *s = svc(r, name);
  char what[80];
  snprintf(what, sizeof what, "Little's law L = lambda W at '%s'", name);
  THEORY_REL(what, tavg(r, s->t_inflight), rate_of(r, &s->st) * mean_sec(&s->st), 0.01);
}

/* Burke: "a" (exp 1 s, one worker, blocking = false) does its work, frees its worker, then calls
** "b" (exp 1.5 s, one worker). Lambda 0.5: "a" is M/M/1 at rho 0.5 (2 s) and, its departures
** being Poisson, "b" is M/M/1 at rho 0.75 (6 s). The sojourn times are independent, so the
** journey's response is hypoexponential with rates 0.5 and 1/6: mean 8 s, p50 6.345 s,
** p90 16.24 s. 2 million arrivals (4 million requests). Standard errors: journey mean 0.41%,
** b's mean 0.52%, p50 0.39%, p90 0.52%, busy 0.07% and 0.11%, b's queue 0.71%. */
TEST(tandem_of_non_blocking_services_adds_mm1_responses) {
  run_t r;
  if (!run_scenario(&r, 11,
      "scenario { name = 'tandem', duration = 4002000, warmup = 2000, window = 1000 }\n"
      "service 'a' { workers = 1, queue = math.huge, blocking = false, work = exp '1s', calls = { call 'b' } }\n"
      "service 'b' { workers = 1, queue = math.huge, work = exp '1.5s' }\n"
      "traffic { rate = 0.5, mix = { a = 1 } }\n"))
    return;
  const fl_svc_rt_t *a = svc(&r, "a"), *b = svc(&r, "b");
  const fl_jrn_rt_t *j = jrn(&r, "a");
  double lambda = 0.5, ga = 1 - lambda, gb = 1 / 1.5 - lambda;
  tail_par_t p = {.g1 = ga, .g2 = gb};
  CHECK_EQ_INT(a->st.total.failures + b->st.total.failures, 0);
  THEORY_REL("tandem journey mean response", mean_sec(&j->st), 1 / ga + 1 / gb, 0.02);
  THEORY_REL("tandem 'a' mean response (journey)", mean_sec(&a->st), 1 / ga + 1 / gb, 0.02);
  THEORY_REL("tandem 'b' mean response", mean_sec(&b->st), 1 / gb, 0.025);
  THEORY_REL("tandem 'b' arrival rate", rate_of(&r, &b->st), lambda, 0.005);
  THEORY_REL("tandem journey p50 response", q_sec(&j->st, 0.5), tail_quantile(hypo_tail, &p, 0.5), 0.02);
  THEORY_REL("tandem journey p90 response", q_sec(&j->st, 0.9), tail_quantile(hypo_tail, &p, 0.9), 0.025);
  /* a's worker holds only the work: busy = lambda x 1 s; b's: lambda x 1.5 s */
  THEORY_REL("tandem 'a' busy workers", tavg(&r, a->t_busy), lambda * 1, 0.01);
  THEORY_REL("tandem 'b' busy workers", tavg(&r, b->t_busy), lambda * 1.5, 0.01);
  THEORY_REL("tandem 'b' mean queue", tavg(&r, b->t_queue), 0.75 * 0.75 / 0.25, 0.035);
  check_little(&r, "a");
  check_little(&r, "b");
  run_free(&r);
}

/* Jackson: journeys "x" (lambda 0.3, exp 1 s) and "y" (lambda 0.4, exp 0.5 s), both
** non-blocking, both call "shared" (exp 1 s). "shared" sees the superposition, Poisson at 0.7:
** M/M/1 with mean response 1/0.3 = 3.333 s; the journeys add their own M/M/1 response:
** x 1/0.7 + 3.333 = 4.762 s, y 1/1.6 + 3.333 = 3.958 s. 2.8 million arrivals. Standard errors:
** shared's arrival rate 0.06%, mean response 0.33%, in system 0.35%, journeys 0.21% and 0.3%. */
TEST(jackson_network_shared_backend_sees_summed_poisson_rate) {
  run_t r;
  if (!run_scenario(&r, 12,
      "scenario { name = 'jackson', duration = 4002000, warmup = 2000, window = 1000 }\n"
      "service 'x' { workers = 1, queue = math.huge, blocking = false, work = exp '1s', calls = { call 'shared' } }\n"
      "service 'y' { workers = 1, queue = math.huge, blocking = false, work = exp '0.5s', calls = { call 'shared' } }\n"
      "service 'shared' { workers = 1, queue = math.huge, work = exp '1s' }\n"
      "traffic { rate = 0.7, mix = { x = 3/7, y = 4/7 } }\n"))
    return;
  const fl_svc_rt_t *sh = svc(&r, "shared");
  double lx = 0.3, ly = 0.4, l = lx + ly, rs = 1 / (1 - l);
  THEORY_REL("jackson 'shared' arrival rate", rate_of(&r, &sh->st), l, 0.005);
  THEORY_REL("jackson 'shared' mean response", mean_sec(&sh->st), rs, 0.02);
  THEORY_REL("jackson 'shared' mean in system", tavg(&r, sh->t_inflight), l * rs, 0.02);
  THEORY_REL("jackson journey x mean response", mean_sec(&jrn(&r, "x")->st), 1 / (1 - lx) + rs, 0.02);
  THEORY_REL("jackson journey y mean response", mean_sec(&jrn(&r, "y")->st), 1 / (2 - ly) + rs, 0.02);
  check_little(&r, "x");
  check_little(&r, "y");
  check_little(&r, "shared");
  run_free(&r);
}

/* Little's law on an M/M/4 (no failures, one shared queue): 0.7 million arrivals. */
TEST(littles_law_holds_on_mm4) {
  run_t r;
  if (!run_scenario(&r, 13,
      "scenario { name = 'M/M/4', duration = 202000, warmup = 2000, window = 1000 }\n"
      "service 's' { workers = 4, queue = math.huge, work = exp '1s' }\n"
      "traffic { rate = 3.4, mix = { s = 1 } }\n"))
    return;
  check_little(&r, "s");
  run_free(&r);
}

/* A blocking caller holds its worker through its calls: "a" (blocking, 32 workers, exp 1 s)
** calls "b" (exp 1 s, one worker) at lambda 0.5. "a" holds about (its requests in work) + (b's
** requests) workers, and P(b holds >= 32) = 0.5^32, so "a" never queues and b sees a Poisson
** stream: each request holds a worker for its work plus b's response (M/M/1 at 0.5: 2 s):
** busy workers = lambda (1 + 2) = 1.5 (non-blocking would give 0.5), utilisation 1.5/32, and
** a's mean response 3 s. 1 million arrivals. Standard errors: b's mean 0.35%, a's busy 0.3%,
** a's mean response 0.24%, the identity busy = lambda (work + R_b) 0.025%. */
TEST(blocking_caller_holds_its_worker_during_calls) {
  run_t r;
  if (!run_scenario(&r, 14,
      "scenario { name = 'blocking', duration = 2002000, warmup = 2000, window = 1000 }\n"
      "service 'a' { workers = 32, queue = math.huge, work = exp '1s', calls = { call 'b' } }\n"
      "service 'b' { workers = 1, queue = math.huge, work = exp '1s' }\n"
      "traffic { rate = 0.5, mix = { a = 1 } }\n"))
    return;
  const fl_svc_rt_t *a = svc(&r, "a"), *b = svc(&r, "b");
  double lambda = 0.5, rb = 1 / (1 - lambda);
  THEORY_REL("blocking 'b' mean response", mean_sec(&b->st), rb, 0.02);
  THEORY_REL("blocking 'a' busy workers", tavg(&r, a->t_busy), lambda * (1 + rb), 0.02);
  THEORY_REL("blocking 'a' utilisation", a->t_busy / a->t_workers, lambda * (1 + rb) / 32, 0.02);
  THEORY_REL("blocking 'a' mean response", mean_sec(&a->st), 1 + rb, 0.02);
  /* the identity behind it: busy = measured rate x (mean work + b's observed mean response) */
  THEORY_REL("blocking 'a' busy = lambda (work + R_b)", tavg(&r, a->t_busy),
             rate_of(&r, &a->st) * (1 + mean_sec(&b->st)), 0.01);
  CHECK_NEAR(tavg(&r, a->t_queue), 0, 1e-6);
  check_little(&r, "a");
  run_free(&r);
}

/* Fork-join: "g" (non-blocking, no work of its own) calls "p" and "q" in one parallel group and
** waits for both; p and q are M/M/1 (exp 1 s) fed the same Poisson stream at 0.6. The two
** queues are correlated (same arrival instants); for two such servers the mean fork-join response
** is exactly (12 - rho)/8 x 1/(mu - lambda) (Flatto and Hahn 1984; Nelson and Tantawi 1988):
** 3.5625 s, against 3.75 s for the maximum of two independent M/M/1 responses and 5 s for
** sequential calls. 2 million arrivals (6 million requests). Standard errors: journey mean 0.22%,
** p and q means 0.3%. */
TEST(parallel_group_waits_for_all_calls_as_fork_join) {
  run_t r;
  if (!run_scenario(&r, 15,
      "scenario { name = 'fork-join', duration = 3335000, warmup = 2000, window = 1000 }\n"
      "service 'g' { workers = 1, queue = math.huge, blocking = false, work = const '0s',\n"
      "              calls = { parallel { call 'p', call 'q' } } }\n"
      "service 'p' { workers = 1, queue = math.huge, work = exp '1s' }\n"
      "service 'q' { workers = 1, queue = math.huge, work = exp '1s' }\n"
      "traffic { rate = 0.6, mix = { g = 1 } }\n"))
    return;
  double lambda = 0.6, mu = 1, rho = lambda / mu, rm = 1 / (mu - lambda);
  CHECK_EQ_INT(svc(&r, "g")->st.total.failures, 0);
  THEORY_REL("fork-join journey mean response", mean_sec(&jrn(&r, "g")->st), (12 - rho) / 8 * rm, 0.012);
  THEORY_REL("fork-join 'p' mean response", mean_sec(&svc(&r, "p")->st), rm, 0.015);
  THEORY_REL("fork-join 'q' mean response", mean_sec(&svc(&r, "q")->st), rm, 0.015);
  check_little(&r, "g");
  run_free(&r);
}

/* ---- traffic ---- */

/* A piecewise-linear rate profile given by knots (times in seconds, rates per second). */
typedef struct { int n; const double *t, *r; } pl_t;

static double pl_rate(const pl_t *p, double x) {
  if (x <= p->t[0]) return p->r[0];
  for (int i = 1; i < p->n; i++)
    if (x < p->t[i]) return p->r[i - 1] + (p->r[i] - p->r[i - 1]) * (x - p->t[i - 1]) / (p->t[i] - p->t[i - 1]);
  return p->r[p->n - 1];
}

/* Exact integral over [a, b]: trapezoids between a, the knots inside, and b. */
static double pl_integral(const pl_t *p, double a, double b) {
  double sum = 0, x = a;
  for (int i = 0; i <= p->n; i++) {
    double next = i < p->n ? p->t[i] : b;
    if (next <= x) continue;
    if (next > b) next = b;
    sum += (next - x) * (pl_rate(p, x) + pl_rate(p, next)) / 2;
    x = next;
    if (x >= b) break;
  }
  return sum;
}

/* Arrivals of the only journey, per window, against a Poisson count of mean = the integral of
** the profile over the window: every window within 5 standard deviations (sqrt(mean)), the
** total within 4, and the dispersion sum((obs - mean)^2 / mean) over k windows, a chi-square
** with k degrees of freedom (mean k, sd sqrt(2k)), within k +- 5 sqrt(2k): too regular counts
** (not Poisson) fail it as well as too irregular ones. */
static void check_poisson_counts(const run_t *r, const pl_t *p, const char *label) {
  const fl_jrn_rt_t *j = &r->s.jrn[0];
  double win = r->m->window;
  int k = (int)r->s.wdone, worst = -1;
  double chi2 = 0, total = 0, worst_z = 0;
  for (int w = 0; w < k; w++) {
    double mean = pl_integral(p, w * win, (w + 1) * win), obs = j->st.series[FL_SER_ARRIVALS][w];
    double z = (obs - mean) / sqrt(mean);
    chi2 += z * z;
    total += mean;
    if (fabs(z) > fabs(worst_z)) worst_z = z, worst = w;
  }
  CHECK_MSG(fabs(worst_z) <= 5, "%s: window %d [%gs, %gs): %g arrivals, expected %g (%.1f sd)", label, worst,
            worst * win, (worst + 1) * win, j->st.series[FL_SER_ARRIVALS][worst],
            pl_integral(p, worst * win, (worst + 1) * win), worst_z);
  char what[96];
  snprintf(what, sizeof what, "%s total arrivals", label);
  THEORY_REL(what, (double)j->st.total.arrivals, total, 4 / sqrt(total));
  snprintf(what, sizeof what, "%s dispersion chi2/k", label);
  THEORY_REL(what, chi2 / k, 1, 5 * sqrt(2.0 / k));
}

/* Non-homogeneous Poisson arrivals (thinning): a triangle 0 -> 200/s at 1000 s -> 0 at 2000 s,
** with a spike to 2000/s between 1000 s and 1008 s, narrower than the 10 s over which the
** sampler bounds the rate (a bound missing the spike would lose most of its 7200 arrivals);
** 10 s windows. Then a surge { base 20/s, peak 200/s, start 300 s, ramp 100 s, hold 200 s,
** decay 100 s } over 1000 s. 207k and 71k arrivals. */
TEST(time_varying_rate_gives_poisson_counts_following_the_profile) {
  static const double tp[] = {0, 1000, 1004, 1008, 2000}, rp[] = {0, 200, 2000, 200, 0};
  pl_t p = {5, tp, rp};
  run_t r;
  if (run_scenario(&r, 16,
      "scenario { name = 'piecewise', duration = 2000, window = 10 }\n"
      "service 's' { workers = 100000, queue = 0, work = const '1ms' }\n"
      "traffic { rate = piecewise { {0, 0}, {1000, 200}, {1004, 2000}, {1008, 200}, {2000, 0} }, mix = { s = 1 } }\n")) {
    check_poisson_counts(&r, &p, "piecewise");
    run_free(&r);
  }
  static const double ts[] = {0, 300, 400, 600, 700}, rs[] = {20, 20, 200, 200, 20};
  pl_t q = {5, ts, rs};
  if (run_scenario(&r, 17,
      "scenario { name = 'surge', duration = 1000, window = 10 }\n"
      "service 's' { workers = 100000, queue = 0, work = const '1ms' }\n"
      "traffic { rate = surge { base = 20, peak = 200, start = 300, ramp = 100, hold = 200, decay = 100 }, mix = { s = 1 } }\n")) {
    check_poisson_counts(&r, &q, "surge");
    run_free(&r);
  }
}
