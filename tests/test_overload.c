/* Overload as real servers meet it: a full waiting room that rejects or drops (overflow), the
** caller's connect timeout, and a hung instance that answers nothing, not even a rejection; with
** their theory checks (the caller's pool held by a hang behind a dropping backlog, against Erlang B
** and the fluid limit).
**
** Tolerances. Each is at least 4 times the standard error measured over 8 seeds
** (FAULTLINE_OVERLOAD_SEED=1..8; FAULTLINE_OVERLOAD_VERBOSE=1 prints every comparison), or, where
** said, the Poisson spread of the arrival count: held workers at 10/s over 300 s, 0.6%. */
#define CHECK_MAIN
#include "check.h"

#include <stdarg.h>

#include "faultline/model.h"
#include "faultline/sim.h"

#define FIXTURE_NAME "overload"
#include "fixture.h"

/* ---- helpers ---- */

/* Erlang B: blocking probability of M/G/c/c with offered load a (insensitive to the holding time's
** distribution beyond its mean). */
static double erlang_b(int c, double a) {
  double b = 1;
  for (int k = 1; k <= c; k++) b = a * b / (k + a * b);
  return b;
}

static uint64_t seed_shift(void) {
  const char *v = getenv("FAULTLINE_OVERLOAD_SEED");
  return v ? strtoull(v, NULL, 10) : 0;
}

static double measured(const run_t *r) { return fl_sim_measured_seconds(&r->s); }
static double tavg(const run_t *r, double integral) { return integral / (measured(r) * 1e9); }

/* Runs the printf-style scenario text with 'seed' and the --set assignments 'sets'. */
static bool run_scenario(run_t *r, uint64_t seed, const char *const *sets, int nsets, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static bool run_scenario(run_t *r, uint64_t seed, const char *const *sets, int nsets, const char *fmt, ...) {
  char text[8192];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(text, sizeof text, fmt, ap);
  va_end(ap);
  memset(r, 0, sizeof *r);
  if (n < 0 || (size_t)n >= sizeof text) { CHECK_MSG(0, "scenario text too long"); return false; }
  fl_load_opts_t o = {.has_seed = true, .seed = seed + seed_shift(), .sets = sets, .nsets = nsets};
  return run_opts(r, put("overload.lua", text), &o);
}

static void theory_rel(int line, const char *what, double obs, double th, double tol) {
  double err = th != 0 ? (obs - th) / fabs(th) : obs;
  note("%-48s observed %-10.6g theory %-10.6g error %+7.3f%% (tolerance %.2f%%)", what, obs, th, 100 * err, 100 * tol);
  if (!(fabs(err) <= tol)) {
    check_failed_now = 1;
    printf("  %s:%d: %s: observed %.6g, theory %.6g: off by %+.2f%% (tolerance %.2f%%)\n", __FILE__, line, what, obs, th,
           100 * err, 100 * tol);
  }
}
#define THEORY_REL(what, obs, th, tol) theory_rel(__LINE__, what, obs, th, tol)

/* Answered share: successes and degraded answers over arrivals. */
static double answered(const fl_stats_t *st) {
  return (double)(st->total.successes + st->total.degraded) / (double)st->total.arrivals;
}

/* ---- a full room: reject or drop ---- */

/* A dependency that takes one request for ever (queue = 0): every later call finds it full. The
** caller of that first request waits for ever too: one gateway worker stays busy throughout. */
#define FULL_DEP "service 'dep' { workers = 1, queue = 0, overflow = '%s', work = const '100000s' }\n"

TEST(a_full_rejecting_room_answers_at_once) {
  run_t r;
  if (!run_scenario(&r, 1, NULL, 0,
      "scenario { name = 'reject', duration = 400, warmup = 100 }\n"
      "service 'gw' { workers = 100, queue = 0, work = const '1ms', calls = { call 'dep' { connect_timeout = '50ms' } } }\n"
      FULL_DEP "traffic { rate = 10, mix = { gw = 1 } }\n", "reject"))
    return;
  const fl_stats_t *gw = sst(&r, "gw");
  CHECK(gw->total.arrivals > 2000);
  CHECK_EQ_INT(gw->total.failures, gw->total.cause[FL_CAUSE_REJECTED]);
  CHECK_EQ_INT(srt(&r, "dep")->drop_queue, 0);
  CHECK_NEAR(tavg(&r, srt(&r, "gw")->t_busy), 1 + 10 * 0.001, 0.002);   /* only its own work */
  run_free(&r);
}

TEST(a_full_dropping_room_holds_the_caller_for_its_connect_timeout) {
  run_t r;
  if (!run_scenario(&r, 1, NULL, 0,
      "scenario { name = 'drop', duration = 400, warmup = 100 }\n"
      "service 'gw' { workers = 100, queue = 0, work = const '1ms', calls = { call 'dep' { connect_timeout = '50ms' } } }\n"
      FULL_DEP "traffic { rate = 10, mix = { gw = 1 } }\n", "drop"))
    return;
  const fl_stats_t *gw = sst(&r, "gw");
  const fl_svc_rt_t *dep = srt(&r, "dep");
  CHECK(gw->total.arrivals > 2000);
  /* the caller hears nothing: its connect times out; the dependency counts what it dropped */
  CHECK_EQ_INT(gw->total.failures, gw->total.cause[FL_CAUSE_TIMEOUT]);
  CHECK(gw->total.arrivals - gw->total.failures <= 1);   /* one may still wait at the end */
  CHECK_EQ_INT(dep->drop_queue, dep->st.total.arrivals);
  CHECK_EQ_INT(dep->rej_queue, 0);
  /* each request holds a gateway worker for 1 ms of work and the 50 ms connect timeout: 0.51 busy */
  THEORY_REL("workers held by connect timeouts", tavg(&r, srt(&r, "gw")->t_busy), 1 + 10 * 0.051, 0.025);
  run_free(&r);
}

TEST(the_connect_timeout_defaults_to_linux_syn_retries_and_the_call_timeout_comes_first) {
  run_t r;
  /* no call timeout: the default connect timeout of 127 s holds each request (standard error over
  ** 8 seeds: 3% here, 2.4% with the 2 s timeout below) */
  if (!run_scenario(&r, 1, NULL, 0,
      "scenario { name = 'syn', duration = 2000, warmup = 500 }\n"
      "service 'gw' { workers = 10000, queue = 0, work = const '0s', calls = { call 'dep' } }\n"
      FULL_DEP "traffic { rate = 1, mix = { gw = 1 } }\n", "drop"))
    return;
  THEORY_REL("workers held by 127 s connects", tavg(&r, srt(&r, "gw")->t_busy), 127, 0.12);
  CHECK_EQ_INT(sst(&r, "gw")->total.failures, sst(&r, "gw")->total.cause[FL_CAUSE_TIMEOUT]);
  run_free(&r);
  /* a 2 s call timeout, set from the command line, ends the wait first */
  const char *sets[] = { "gw.calls.dep.timeout=2s" };
  if (!run_scenario(&r, 1, sets, 1,
      "scenario { name = 'syn', duration = 2000, warmup = 500 }\n"
      "service 'gw' { workers = 10000, queue = 0, work = const '0s', calls = { call 'dep' } }\n"
      FULL_DEP "traffic { rate = 1, mix = { gw = 1 } }\n", "drop"))
    return;
  THEORY_REL("workers held by 2 s call timeouts", tavg(&r, srt(&r, "gw")->t_busy), 2, 0.12);
  run_free(&r);
}

TEST(overflow_and_connect_timeout_are_set_from_the_command_line) {
  run_t r;
  const char *sets[] = { "dep.overflow=drop", "gw.calls.dep.connect_timeout=50ms" };
  if (!run_scenario(&r, 1, sets, 2,
      "scenario { name = 'set', duration = 400, warmup = 100 }\n"
      "service 'gw' { workers = 100, queue = 0, work = const '1ms', calls = { call 'dep' } }\n"
      FULL_DEP "traffic { rate = 10, mix = { gw = 1 } }\n", "reject"))
    return;
  CHECK(fl_model_find_service(r.m, "dep")->overflow == FL_OVERFLOW_DROP);
  CHECK_EQ_INT(fl_model_find_service(r.m, "gw")->endpoints[0].calls[0].connect_timeout, 50 * FL_MS);
  THEORY_REL("workers held by connect timeouts (--set)", tavg(&r, srt(&r, "gw")->t_busy), 1 + 10 * 0.051, 0.025);
  run_free(&r);
  const char *bad[] = { "dep.overflow=maybe" };
  char err[512];
  fl_load_opts_t o = {.sets = bad, .nsets = 1};
  CHECK(fl_run_load(&r, path_of("overload.lua"), &o, err, sizeof err) != 0);
  CHECK_MSG(strstr(err, "reject or drop") != NULL, "%s", err);
}

TEST(a_misspelt_overflow_is_a_scenario_error) {
  run_t r;
  memset(&r, 0, sizeof r);
  char err[512];
  const char *p = put("bad.lua", "service 's' { overflow = 'refuse', work = exp '1ms' }\ntraffic { rate = 1, mix = { s = 1 } }\n");
  CHECK(fl_run_load(&r, p, NULL, err, sizeof err) != 0);
  CHECK_MSG(strstr(err, "bad.lua:1:") && strstr(err, "overflow must be"), "%s", err);
}

/* ---- a hang behind a full backlog: the caller's pool ---- */

/* The measurement: a gateway of c workers (no waiting room) calls a hung dependency with
** an optional call of timeout T. The hang answers nothing, not even a rejection when its room is
** full, so every call holds its gateway worker for T (plus the gateway's own work w): the gateway
** is an M/G/c/c loss system with holding time T + w, and answers 1 - B(c, lambda (T + w)) of its
** requests (Erlang B, insensitive to the holding time's distribution). In the fluid limit (c and
** lambda large, a = lambda (T + w) fixed per worker) this tends to min(1, c / a): the pool
** saturates as soon as arrival rate x timeout exceeds the workers. With the numbers
** (c = 16, 100/s, 200 ms) 1 - B = 70.8%, as the real system's ~71%; the old model said 100%.
** Whatever the hung service's overflow says, the answer is the same. Standard error of the
** answered share over 8 seeds: 0.27% at c = 16, 0.07% at c = 160 (against the fluid limit the
** gap is the limit's own: 11% at c = 16, 2.1% at c = 160, inside the 15% and 3% stated). */
static void check_hang_pool(int c, double lambda, const char *overflow, double tol_b) {
  double T = 0.2, w = 0.001, a = lambda * (T + w);
  run_t r;
  if (!run_scenario(&r, 7, NULL, 0,
      "scenario { name = 'hung backlog', duration = 1100, warmup = 100 }\n"
      "service 'gw' { workers = %d, queue = 0, work = const '1ms',\n"
      "  calls = { call 'dep' { timeout = '200ms', optional = true } } }\n"
      "service 'dep' { workers = 4, queue = 8, overflow = '%s', work = exp '1ms' }\n"
      "fault { target = 'dep', kind = 'hang', at = 0 }\n"
      "traffic { rate = %.17g, mix = { gw = 1 } }\n", c, overflow, lambda))
    return;
  const fl_stats_t *gw = sst(&r, "gw");
  char what[96];
  snprintf(what, sizeof what, "c=%d overflow=%s answered share vs Erlang B", c, overflow);
  THEORY_REL(what, answered(gw), 1 - erlang_b(c, a), tol_b);
  snprintf(what, sizeof what, "c=%d overflow=%s answered share vs fluid c/a", c, overflow);
  THEORY_REL(what, answered(gw), c / a < 1 ? c / a : 1, c >= 100 ? 0.03 : 0.15);
  CHECK(answered(gw) <= c / a + 0.005);   /* the carried load never exceeds the workers */
  CHECK_EQ_INT(gw->total.failures, gw->total.cause[FL_CAUSE_REJECTED]);   /* the gateway's own full pool */
  CHECK_EQ_INT(sst(&r, "dep")->total.successes, 0);
  CHECK(srt(&r, "dep")->drop_queue > 0);
  run_free(&r);
}

TEST(a_hang_behind_a_dropping_backlog_saturates_the_callers_pool) { check_hang_pool(16, 100, "drop", 0.012); }
TEST(a_hang_answers_no_rejection_whatever_overflow_says) { check_hang_pool(16, 100, "reject", 0.012); }
TEST(a_large_pool_behind_a_hang_meets_the_fluid_limit) { check_hang_pool(160, 1000, "drop", 0.005); }

/* ---- pauses: an instance frozen (stop-the-world GC, a VM migration) ---- */

/* Share of the values in 'h' above 'v' (the buckets past v's). */
static double share_above(const fl_hist_t *h, fl_time_t v) {
  uint64_t n = 0;
  for (uint32_t i = fl_hist_bucket(v) + 1; i <= h->hi && h->count; i++) n += h->b[i];
  return h->count ? (double)n / (double)h->count : 0;
}

/* Constant work S, one instance pausing for P every E (P + S <= E), workers enough that nobody
** queues, Poisson arrivals (which see the pause cycle at a uniform phase t in [0, E), the pause
** at [0, P)). A request arriving at t in [0, P) starts at the pause's end: delayed by P - t. One
** arriving at t in [E - S, E) is in service when the next pause starts: its work is pushed back by
** the whole pause, P. Every other request runs untouched. So
**   delayed share = (P + S) / E,
**   added mean    = (1/E) (integral_0^P (P - t) dt + S P) = P^2 / 2E + S P / E.
** With S = 10 ms, P = 200 ms, E = 2 s: 10.5% delayed, 11 ms added to 10 ms. Spread of one run's
** error over 8 seeds (FAULTLINE_OVERLOAD_SEED=1..8, standard deviation): 0.84% of the delayed
** share, 0.40% of the mean (their average errors +0.26% and +0.16%: no bias); the tolerances are
** about 3.5 times that. */
TEST(periodic_pauses_delay_the_share_and_mean_theory_gives) {
  double S = 0.010, P = 0.2, E = 2;
  run_t r;
  if (!run_scenario(&r, 3, NULL, 0,
      "scenario { name = 'gc', duration = 2100, warmup = 100 }\n"
      "service 's' { workers = 1000, queue = 0, work = const '10ms' }\n"
      "fault { target = 's', kind = 'pause', at = 0, pause = '200ms', every = '2s' }\n"
      "traffic { rate = 100, mix = { s = 1 } }\n"))
    return;
  const fl_stats_t *st = sst(&r, "s");
  CHECK(st->total.arrivals > 190000);
  CHECK_EQ_INT(st->total.failures, 0);
  THEORY_REL("pause: delayed share (P + S) / E", share_above(st->htotal, fl_sec_to_time(S)), (P + S) / E, 0.03);
  THEORY_REL("pause: mean response S + P^2/2E + SP/E", fl_hist_mean(st->htotal) / 1e9, S + P * P / (2 * E) + S * P / E, 0.015);
  run_free(&r);
}

/* Exponential pauses of mean P on 4 instances taking turns: each instance still pauses once per
** E, so the same formulas hold with E[P^2] = 2 P^2 for the pause's square (a request at a uniform
** phase meets a pause in progress with probability E[P]/E and waits its residual E[P^2]/2E[P]).
** Spread of one run's error over 9 seeds: about 2% of both the delayed share and the mean (a thousand
** pauses per instance, each of its own length); tolerances 3 to 4 times that. */
TEST(exponential_pauses_on_instances_taking_turns_add_their_second_moment) {
  double S = 0.010, P = 0.1, E = 2;
  run_t r;
  if (!run_scenario(&r, 5, NULL, 0,
      "scenario { name = 'gc', duration = 2100, warmup = 100 }\n"
      "service 's' { instances = 4, balancer = 'random', workers = 1000, queue = 0, work = const '10ms' }\n"
      "fault { target = 's', kind = 'pause', at = 0, pause = exp '100ms', every = '2s' }\n"
      "traffic { rate = 200, mix = { s = 1 } }\n"))
    return;
  const fl_stats_t *st = sst(&r, "s");
  THEORY_REL("exp pause: delayed share (P + S) / E", share_above(st->htotal, fl_sec_to_time(S)), (P + S) / E, 0.08);
  THEORY_REL("exp pause: mean response S + E[P^2]/2E + SP/E", fl_hist_mean(st->htotal) / 1e9, S + P * P / E + S * P / E, 0.06);
  run_free(&r);
}

/* One long pause: the caller's timeouts fire meanwhile, a full room drops (as a hang's does, even
** with overflow = "reject"), and what waited is served once the pause ends. */
TEST(a_pause_holds_queued_work_times_out_callers_and_drops_on_a_full_room) {
  run_t r;
  if (!run_scenario(&r, 1, NULL, 0,
      "scenario { name = 'stw', duration = 100, warmup = 0 }\n"
      "service 'gw' { workers = 1000, queue = 0, work = const '0s',\n"
      "  calls = { call 'dep' { timeout = '1s', connect_timeout = '1s' } } }\n"
      "service 'dep' { workers = 2, queue = 3, overflow = 'reject', work = const '1ms' }\n"
      "fault { target = 'dep', kind = 'pause', at = 50, pause = '5s' }\n"
      "traffic { rate = 20, mix = { gw = 1 } }\n"))
    return;
  const fl_stats_t *gw = sst(&r, "gw");
  const fl_svc_rt_t *dep = srt(&r, "dep");
  /* about 100 calls in the pause (Poisson, standard deviation 10): the first five wait (two at work, three in the room), the rest
  ** find the room full and are dropped; every one of them times out at the gateway */
  CHECK(dep->drop_queue > 60 && dep->drop_queue < 140);   /* Poisson: 95 +- 10 */
  CHECK_EQ_INT(dep->rej_queue, 0);
  CHECK_EQ_INT(gw->total.failures, gw->total.cause[FL_CAUSE_TIMEOUT]);
  CHECK(gw->total.failures >= dep->drop_queue + 5 - 1 && gw->total.failures <= dep->drop_queue + 5 + 21);
  /* the five that waited are served (late) when it ends: the dependency answers them */
  CHECK(dep->st.total.successes >= gw->total.successes + 4);
  run_free(&r);
}

TEST(a_pause_fault_needs_its_length_and_takes_every_only_as_a_duration) {
  run_t r;
  memset(&r, 0, sizeof r);
  char err[512];
  const char *p = put("bad.lua", "service 's' { work = exp '1ms' }\nfault { target = 's', kind = 'pause', at = 1 }\ntraffic { rate = 1, mix = { s = 1 } }\n");
  CHECK(fl_run_load(&r, p, NULL, err, sizeof err) != 0);
  CHECK_MSG(strstr(err, "bad.lua:2:") && strstr(err, "needs pause ="), "%s", err);
  p = put("bad2.lua", "service 's' { work = exp '1ms' }\nfault { target = 's', kind = 'crash', at = 1, pause = '1s' }\ntraffic { rate = 1, mix = { s = 1 } }\n");
  CHECK(fl_run_load(&r, p, NULL, err, sizeof err) != 0);
  CHECK_MSG(strstr(err, "pause applies to a pause fault"), "%s", err);
}

/* ---- cores: processor sharing ---- */

/* One instance with 'cores' (after a hog of 'hog', if any) and workers enough that nobody waits
** for one: the busy workers share the cores, so with one core it is M/G/1-PS, whose mean response
** E[S] / (1 - rho) holds for any service-time distribution (insensitivity; Kleinrock, Queueing
** Systems vol. 2, 4.4). Spread of one run's error over 7 seeds (FAULTLINE_OVERLOAD_SEED=1..7,
** standard deviation): 0.35% (exp), 0.40% (const), 0.65% (lognormal cv 2), 0.21% (M/M/2 below),
** with mean errors within 0.12% (no bias); the tolerances are about 4 times the spread. */
static double ps_mean(const char *work, int cores, const char *hog, double lambda) {
  run_t r;
  char fault[160] = "";
  if (hog) snprintf(fault, sizeof fault, "fault { target = 's', kind = 'cpu_hog', share = '%s', at = 0 }\n", hog);
  if (!run_scenario(&r, 21, NULL, 0,
      "scenario { name = 'ps', duration = 20100, warmup = 100 }\n"
      "service 's' { workers = 10000, queue = 0, cores = %d, work = %s }\n%s"
      "traffic { rate = %.17g, mix = { s = 1 } }\n", cores, work, fault, lambda))
    return -1;
  const fl_stats_t *st = sst(&r, "s");
  CHECK_EQ_INT(st->total.failures, 0);
  double m = fl_hist_mean(st->htotal) / 1e9;
  run_free(&r);
  return m;
}

TEST(one_core_shared_by_workers_is_m_g_1_ps_whatever_the_work_distribution) {
  double S = 0.010, lambda = 70, rho = lambda * S;
  THEORY_REL("M/M/1-PS mean response (exp work)", ps_mean("exp '10ms'", 1, NULL, lambda), S / (1 - rho), 0.015);
  THEORY_REL("M/D/1-PS mean response (const work)", ps_mean("const '10ms'", 1, NULL, lambda), S / (1 - rho), 0.016);
  THEORY_REL("M/G/1-PS mean response (lognormal cv 2)", ps_mean("lognormal { mean = '10ms', cv = 2 }", 1, NULL, lambda),
             S / (1 - rho), 0.026);
}

/* Exponential work on c cores shared by the busy workers: each of n jobs is served at min(1, c/n),
** the same total rate min(n, c) / S as M/M/c's, so the number present and the mean response are
** M/M/c's: E[N] = c rho + C(c, a) rho / (1 - rho) (Erlang C), E[T] = E[N] / lambda. A hog taking
** half of 4 cores leaves 2. */
TEST(a_cpu_hog_taking_half_of_four_cores_leaves_m_m_2) {
  double S = 0.010, lambda = 150, rho = lambda * S / 2;
  double erlang_c = 2 * rho * rho / (1 + rho);
  double th = (2 * rho + erlang_c * rho / (1 - rho)) / lambda;
  THEORY_REL("4 cores, 50% hog: M/M/2 mean response", ps_mean("exp '10ms'", 4, "50%", lambda), th, 0.009);
  /* without the hog, the same load on 4 cores hardly queues: near S */
  double free4 = ps_mean("exp '10ms'", 4, NULL, lambda);
  CHECK(free4 > S && free4 < 1.1 * S);
}

TEST(cores_and_cpu_hog_are_read_checked_and_set) {
  run_t r;
  memset(&r, 0, sizeof r);
  char err[512];
  const char *p = put("cores.lua", "service 's' { cores = 0, work = exp '1ms' }\ntraffic { rate = 1, mix = { s = 1 } }\n");
  CHECK(fl_run_load(&r, p, NULL, err, sizeof err) != 0);
  CHECK_MSG(strstr(err, "cores"), "%s", err);
  p = put("hog.lua", "service 's' { cores = 2, work = exp '1ms' }\nfault { target = 's', kind = 'cpu_hog', at = 1 }\ntraffic { rate = 1, mix = { s = 1 } }\n");
  CHECK(fl_run_load(&r, p, NULL, err, sizeof err) != 0);
  CHECK_MSG(strstr(err, "needs share"), "%s", err);
  const char *sets[] = { "s.cores=8" };
  if (!run_scenario(&r, 1, sets, 1, "scenario { duration = 10 }\nservice 's' { workers = 4, work = exp '1ms' }\ntraffic { rate = 10, mix = { s = 1 } }\n"))
    return;
  CHECK_EQ_INT(fl_model_find_service(r.m, "s")->cores, 8);
  run_free(&r);
}
