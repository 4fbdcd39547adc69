/* Sweeps, replications and comparisons: Student t quantiles and intervals, the exact binomial
** (Clopper-Pearson) interval of a pass share against sums of binomial terms and covering its
** true probability at its stated rate over many draws of our rng, derived seeds, the same result
** for any number of threads, a p99 interval never narrower than its histogram bucket, what an
** expectation observed inside its 'during', the 95% interval of an M/M/1 mean response covering
** the theoretical 5 s in about 95% of independent sweeps, common random numbers narrowing the
** interval of a difference, and a comparison of a scenario with itself plus --set-b. */
#define CHECK_MAIN
#include "check.h"

#include "faultline/rng.h"
#include "faultline/run.h"
#include "faultline/sweep.h"

#include <unistd.h>

/* ---- confidence intervals ---- */

TEST(t_quantile_matches_the_tables) {
  /* two-sided 95%: the 0.975 quantile */
  CHECK_NEAR(fl_t_quantile(0.975, 1), 12.7062047, 1e-6);
  CHECK_NEAR(fl_t_quantile(0.975, 2), 4.30265273, 1e-7);
  CHECK_NEAR(fl_t_quantile(0.975, 3), 3.18244631, 1e-7);
  CHECK_NEAR(fl_t_quantile(0.975, 4), 2.77644511, 1e-7);
  CHECK_NEAR(fl_t_quantile(0.975, 9), 2.26215716, 1e-7);
  CHECK_NEAR(fl_t_quantile(0.975, 30), 2.04227246, 1e-7);
  CHECK_NEAR(fl_t_quantile(0.975, 100), 1.98397152, 1e-7);
  CHECK_NEAR(fl_t_quantile(0.975, 1999), 1.96115, 1e-5);
  CHECK_NEAR(fl_t_quantile(0.975, 2001), 1.96115, 1e-5);
  CHECK_NEAR(fl_t_quantile(0.975, 1000000), 1.95996, 1e-5);
  CHECK_NEAR(fl_t_quantile(0.995, 5), 4.03214298, 1e-7);
  CHECK_NEAR(fl_t_quantile(0.9, 10), 1.37218364, 1e-7);
  CHECK_NEAR(fl_t_quantile(0.025, 4), -2.77644511, 1e-7);
  CHECK(fl_t_quantile(0.5, 7) == 0);
  CHECK(isnan(fl_t_quantile(1, 7)) && isnan(fl_t_quantile(0.9, 0)));
}

TEST(ci_of_a_sample_is_mean_plus_minus_t_times_standard_error) {
  double x[] = { 1, 2, 3, 4, 5 };
  fl_ci_t c;
  fl_ci_of(&c, x, 5, 1, 0.95);
  CHECK_EQ_INT(c.n, 5);
  CHECK_NEAR(c.mean, 3, 1e-15);
  CHECK_NEAR(c.sd, sqrt(2.5), 1e-15);
  CHECK_NEAR(c.half, 2.77644511 * sqrt(2.5) / sqrt(5), 1e-7);
  CHECK_NEAR(c.lo, 3 - c.half, 1e-15);
  CHECK_NEAR(c.hi, 3 + c.half, 1e-15);
  /* strided: every other value */
  double y[] = { 10, -1, 20, -1, 30, -1 };
  fl_ci_of(&c, y, 3, 2, 0.95);
  CHECK_NEAR(c.mean, 20, 1e-12);
  CHECK_NEAR(c.sd, 10, 1e-12);
}

TEST(ci_of_one_value_has_a_mean_and_no_interval) {
  double x = 4.5;
  fl_ci_t c;
  fl_ci_of(&c, &x, 1, 1, 0.95);
  CHECK_NEAR(c.mean, 4.5, 0);
  CHECK(isnan(c.sd) && isnan(c.half) && isnan(c.lo) && isnan(c.hi));
}

TEST(ci_of_a_constant_sample_has_zero_width) {
  double x[] = { 2, 2, 2, 2 };
  fl_ci_t c;
  fl_ci_of(&c, x, 4, 1, 0.95);
  CHECK(c.half == 0 && c.lo == 2 && c.hi == 2);
}

TEST(welch_interval_matches_a_worked_example) {
  /* a: n=10 mean 20 sd 2; b: n=10 mean 22 sd 4 -> se^2 = 0.4 + 1.6 = 2, df = 4/(0.16/9 + 2.56/9) = 13.2 -> 13 */
  fl_ci_t a = { .n = 10, .mean = 20, .sd = 2 }, b = { .n = 10, .mean = 22, .sd = 4 }, d;
  fl_ci_welch(&d, &a, &b, 0.95);
  CHECK_NEAR(d.mean, 2, 1e-15);
  CHECK_NEAR(d.half, fl_t_quantile(0.975, 13) * sqrt(2.0), 1e-12);
}

/* ---- binomial intervals ---- */

/* P(X >= k) for X ~ Binomial(n, p), summed term by term: the reference, independent of ci.c. */
static double tail_at_least(int k, int n, double p) {
  double sum = 0;
  for (int i = k; i <= n; i++) {
    double c = 1;
    for (int j = 0; j < i; j++) c = c * (n - j) / (j + 1);
    sum += c * pow(p, i) * pow(1 - p, n - i);
  }
  return sum;
}

/* The p with P(X >= k | p) = a (lower bound), or P(X <= k | p) = a (upper bound), by bisection. */
static double ref_bound(int k, int n, double a, bool upper) {
  double lo = 0, hi = 1;
  for (int i = 0; i < 200; i++) {
    double mid = (lo + hi) / 2;
    double f = upper ? 1 - tail_at_least(k + 1, n, mid) : tail_at_least(k, n, mid);
    /* lower: the tail grows with p; upper: P(X <= k) falls with p */
    if (upper ? f > a : f < a) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

TEST(binomial_interval_of_4_in_4_and_10_in_10_matches_the_reference) {
  fl_ci_t c;
  fl_ci_binomial(&c, 4, 4, 0.95);
  CHECK_NEAR(c.lo, ref_bound(4, 4, 0.025, false), 1e-9);
  CHECK_NEAR(c.lo, 0.3976, 1e-4);   /* "held in 4/4": about [0.40, 1], not a width of 0 */
  CHECK(c.hi == 1 && c.mean == 1 && c.n == 4);
  fl_ci_binomial(&c, 10, 10, 0.95);
  CHECK_NEAR(c.lo, ref_bound(10, 10, 0.025, false), 1e-9);
  CHECK(c.hi == 1);
  /* size's statement: 10 of 10 at 95%, one-sided */
  CHECK_NEAR(fl_binomial_lower(10, 10, 0.95), ref_bound(10, 10, 0.05, false), 1e-9);
  CHECK_NEAR(fl_binomial_lower(10, 10, 0.95), 0.7411, 1e-4);
  CHECK_NEAR(fl_binomial_lower(3, 3, 0.90), pow(0.1, 1.0 / 3), 1e-12);
  /* inside: both ends from the incomplete beta function against sums of terms */
  int cases[][2] = { { 3, 10 }, { 1, 4 }, { 7, 9 }, { 0, 6 }, { 25, 40 } };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    int k = cases[i][0], n = cases[i][1];
    fl_ci_binomial(&c, k, n, 0.95);
    CHECK_MSG(fabs(c.lo - (k ? ref_bound(k, n, 0.025, false) : 0)) < 1e-9, "%d/%d lo %.12f", k, n, c.lo);
    CHECK_MSG(fabs(c.hi - ref_bound(k, n, 0.025, true)) < 1e-9, "%d/%d hi %.12f", k, n, c.hi);
    CHECK(isnan(c.half) && c.lo <= c.mean && c.mean <= c.hi);
  }
  fl_ci_binomial(&c, 3, 10, 0.95);
  CHECK_NEAR(c.lo, 0.0667, 1e-4);   /* the textbook values for 3 of 10 */
  CHECK_NEAR(c.hi, 0.6525, 1e-4);
}

TEST(binomial_interval_covers_its_true_probability_at_its_stated_rate) {
  /* many draws of k ~ Binomial(n, p) with our rng; Clopper-Pearson is exact: coverage >= 95%
  ** for every p (up to the draws' noise, 1 standard error ~ 0.3% here), and not far above */
  const int draws = 4000, ns[] = { 4, 10, 30 };
  const double ps[] = { 0.05, 0.3, 0.5, 0.8, 0.97 };
  fl_rng_t rng;
  fl_rng_init(&rng, 17, "test", "binomial coverage");
  double total = 0;
  int configs = 0;
  for (size_t a = 0; a < sizeof ns / sizeof *ns; a++)
    for (size_t b = 0; b < sizeof ps / sizeof *ps; b++) {
      int n = ns[a], covered = 0;
      double p = ps[b], lo[31], hi[31];
      for (int k = 0; k <= n; k++) { fl_ci_t c; fl_ci_binomial(&c, k, n, 0.95); lo[k] = c.lo; hi[k] = c.hi; }
      for (int d = 0; d < draws; d++) {
        int k = 0;
        for (int t = 0; t < n; t++) k += fl_rng_uniform(&rng) < p;
        covered += lo[k] <= p && p <= hi[k];
      }
      double share = (double)covered / draws;
      CHECK_MSG(share >= 0.94, "n %d p %.2f: coverage %.4f", n, p, share);
      total += share;
      configs++;
    }
  double mean = total / configs;
  printf("  mean coverage of the 95%% Clopper-Pearson interval over %d (n, p): %.4f\n", configs, mean);
  CHECK_MSG(mean >= 0.95 && mean <= 0.995, "mean coverage %.4f", mean);
}

TEST(widening_keeps_an_interval_no_narrower_than_its_resolution) {
  double x[] = { 0.25, 0.25, 0.25 };
  fl_ci_t c;
  fl_ci_of(&c, x, 3, 1, 0.95);
  CHECK(c.half == 0 && c.res == 0);
  fl_ci_widen(&c, 0.002);
  CHECK_NEAR(c.half, 0.001, 1e-15);
  CHECK_NEAR(c.hi - c.lo, 0.002, 1e-15);
  CHECK(c.res == 0.002);
  double y[] = { 1, 2, 3 };
  fl_ci_of(&c, y, 3, 1, 0.95);
  double half = c.half;
  fl_ci_widen(&c, 0.002);   /* already wider: unchanged */
  CHECK(c.half == half);
}

TEST(replication_seeds_are_53_bit_distinct_and_depend_on_the_base) {
  for (int r = 0; r < 1000; r++) {
    uint64_t s = fl_sweep_seed(42, r);
    CHECK(s < (1ull << 53));
    CHECK(s != fl_sweep_seed(42, r + 1));
    CHECK(s != fl_sweep_seed(43, r));
  }
  CHECK(fl_sweep_seed(7, 3) == fl_sweep_seed(7, 3));
}

/* ---- sweeps ---- */

static char dir[] = "/tmp/fl_test_sweep_XXXXXX";
static char files[16][256];
static int nfiles;

__attribute__((destructor)) static void remove_files(void) {
  for (int i = 0; i < nfiles; i++) unlink(files[i]);
  if (nfiles) rmdir(dir);
}

/* Writes a scenario into the test's temporary folder; returns its path. */
static const char *write_file(const char *name, const char *text) {
  if (!nfiles) FL_ASSERT(mkdtemp(dir) != NULL);
  FL_ASSERT(nfiles < 16);
  char *p = files[nfiles++];
  snprintf(p, sizeof files[0], "%s/%s", dir, name);
  FILE *f = fopen(p, "w");
  FL_ASSERT(f != NULL);
  fputs(text, f);
  fclose(f);
  return p;
}

/* M/M/1 at rho = 0.8, mean work 1 s: mean response 1 / (mu - lambda) = 5 s. A replication is
** 20000 s after 1000 s of warm-up (about 16000 requests, 10 ms of wall time). */
static const char *mm1(void) {
  return write_file("mm1.lua",
    "scenario { name = \"M/M/1\", duration = \"21000s\", seed = 1, warmup = \"1000s\", window = \"100s\" }\n"
    "service \"s\" { instances = 1, workers = 1, queue = math.huge, work = exp \"1s\" }\n"
    "traffic { rate = 0.8, mix = { s = 1 } }\n");
}

static const char *small(void) {
  return write_file("small.lua",
    "scenario { name = \"small\", duration = \"20s\", seed = 3, warmup = \"2s\" }\n"
    "service \"front\" { instances = 2, workers = 4, work = exp \"5ms\", calls = { call \"back\" { timeout = \"30ms\" } } }\n"
    "service \"back\" { instances = 1, workers = 2, queue = 8, work = exp \"10ms\" }\n"
    "traffic { rate = \"150/s\", mix = { front = 1 } }\n"
    "expect \"front answers\" { journey = \"front\", success_rate = \">= 99%\" }\n");
}

static int run_sweep(fl_sweep_t *sw, const fl_sweep_opts_t *o, int threads) {
  char err[1024];
  int rc = fl_sweep_init(sw, o, err, sizeof err);
  if (rc) { printf("  init: %s\n", err); return rc; }
  fl_pool_opts_t po = { .threads = threads };
  rc = fl_sweep_run(sw, &po, err, sizeof err);
  if (rc) printf("  run: %s\n", err);
  return rc;
}

TEST(sweep_gives_the_same_summaries_on_1_and_2_threads) {
  const char *sets[] = { "back.workers=1,2,4", "traffic.rate=100/s,200/s" };
  fl_sweep_opts_t o = { .path = small(), .sets = sets, .nsets = 2, .reps = 4 };
  fl_sweep_t a, b;
  CHECK_EQ_INT(run_sweep(&a, &o, 1), 0);
  CHECK_EQ_INT(run_sweep(&b, &o, 2), 0);
  CHECK_EQ_INT(a.npoints, 6);
  CHECK_EQ_INT(b.run.threads, 2);
  size_t n = (size_t)a.npoints * (size_t)a.layout.nvalues;
  CHECK(a.ci && b.ci && memcmp(a.ci, b.ci, n * sizeof *a.ci) == 0);
  /* more back workers: front's success ratio grows */
  int v = fl_layout_journey(&a.layout, 0, FL_JM_SUCCESS);
  const fl_ci_t *few = fl_sweep_ci(&a, 1, v), *many = fl_sweep_ci(&a, 5, v);
  CHECK(few && many && many->mean > few->mean);
  fl_sweep_release(&a);
  fl_sweep_release(&b);
}

TEST(sweep_p99_of_identical_buckets_reports_the_bucket_not_zero) {
  /* constant work: every replication's p99 falls in the same histogram bucket */
  const char *path = write_file("const.lua",
    "scenario { name = \"const\", duration = \"20s\", seed = 5, warmup = \"2s\" }\n"
    "service \"s\" { instances = 4, workers = 4, work = const \"200ms\" }\n"
    "traffic { rate = \"10/s\", mix = { s = 1 } }\n"
    "expect \"quick\" { journey = \"s\", p99 = \"< 300ms\", during = { \"5s\", \"15s\" } }\n");
  fl_sweep_opts_t o = { .path = path, .reps = 4 };
  fl_sweep_t sw;
  CHECK_EQ_INT(run_sweep(&sw, &o, 2), 0);
  const fl_ci_t *c = fl_sweep_ci(&sw, 0, fl_layout_journey(&sw.layout, 0, FL_JM_P99));
  CHECK(c != NULL);
  if (c) {
    printf("  p99 %.9f s ± %.9f s, resolution %.9f s\n", c->mean, c->half, c->res);
    CHECK(c->sd == 0);
    CHECK(c->res > 0.0005 && c->res < 0.002);   /* 200 ms: buckets of 2^20 ns */
    CHECK(c->half == c->res / 2);
  }
  /* the expectation's p99 inside its own window, its resolution and threshold */
  const fl_ci_t *x = fl_sweep_ci(&sw, 0, fl_layout_expect_metric(&sw.layout, 0, FL_XM_P99));
  const fl_ci_t *w = fl_sweep_ci(&sw, 0, fl_layout_expect_part(&sw.layout, 0, FL_XM_P99, FL_PART_WANTED));
  const fl_ci_t *sr = fl_sweep_ci(&sw, 0, fl_layout_expect_metric(&sw.layout, 0, FL_XM_SUCCESS));
  CHECK(x && w && sr);
  if (x && w && sr) {
    CHECK_NEAR(x->mean, 0.2, 0.002);
    CHECK(x->res > 0 && x->half == x->res / 2);
    CHECK_NEAR(w->mean, 0.3, 1e-12);
    CHECK(isnan(sr->mean));   /* the expectation does not check a success rate */
  }
  const fl_ci_t *held = fl_sweep_ci(&sw, 0, fl_layout_expect(&sw.layout, 0));
  CHECK(held && held->mean == 1 && held->hi == 1 && fabs(held->lo - pow(0.025, 0.25)) < 1e-12);
  fl_sweep_release(&sw);
}

TEST(sweep_point_sets_vary_the_last_axis_fastest) {
  const char *sets[] = { "back.workers=1,2,4", "traffic.rate=100/s,200/s" };
  fl_sweep_opts_t o = { .path = small(), .sets = sets, .nsets = 2, .reps = 1 };
  fl_sweep_t sw;
  char err[256], buf[256];
  CHECK_EQ_INT(fl_sweep_init(&sw, &o, err, sizeof err), 0);
  const char *ps[2];
  CHECK_EQ_INT(fl_sweep_point_sets(&sw, 3, ps, buf, sizeof buf), 2);
  CHECK_EQ_STR(ps[0], "back.workers=2");
  CHECK_EQ_STR(ps[1], "traffic.rate=200/s");
  fl_sweep_release(&sw);
}

TEST(sweep_rejects_a_bad_value_before_running) {
  const char *sets[] = { "back.workers=1,0" };
  fl_sweep_opts_t o = { .path = small(), .sets = sets, .nsets = 1, .reps = 2 };
  fl_sweep_t sw;
  char err[512];
  CHECK(fl_sweep_init(&sw, &o, err, sizeof err) != 0);
  CHECK_MSG(strstr(err, "back.workers=0") != NULL, "%s", err);
  fl_sweep_release(&sw);
  const char *twice[] = { "back.workers=1", "back.workers=2" };
  o.sets = twice; o.nsets = 2;
  CHECK(fl_sweep_init(&sw, &o, err, sizeof err) != 0);
  CHECK_MSG(strstr(err, "set twice") != NULL, "%s", err);
  fl_sweep_release(&sw);
}

TEST(sweep_memory_keeps_no_values_of_finished_points) {
  const char *sets[] = { "back.workers=1,2" };
  fl_sweep_opts_t o = { .path = small(), .sets = sets, .nsets = 1, .reps = 3 };
  fl_sweep_t sw;
  CHECK_EQ_INT(run_sweep(&sw, &o, 2), 0);
  for (int p = 0; p < sw.npoints; p++) CHECK(sw.pending[p] == NULL && sw.got[p] == 3);
  fl_sweep_release(&sw);
}

TEST(mm1_interval_covers_the_theoretical_mean_response_in_about_95_percent_of_sweeps) {
  const int sweeps = 200, reps = 5;
  const char *path = mm1();
  int covered = 0, failed = 0;
  double width = 0;
  for (int i = 0; i < sweeps; i++) {
    fl_sweep_opts_t o = { .path = path, .reps = reps, .has_seed = true, .seed = 1000 + (uint64_t)i * 7919 };
    fl_sweep_t sw;
    if (run_sweep(&sw, &o, 2) != 0) { failed++; fl_sweep_release(&sw); continue; }
    const fl_ci_t *c = fl_sweep_ci(&sw, 0, fl_layout_journey(&sw.layout, 0, FL_JM_MEAN));
    if (c && c->lo <= 5 && 5 <= c->hi) covered++;
    if (c) width += 2 * c->half;
    fl_sweep_release(&sw);
  }
  double share = (double)covered / sweeps;
  printf("  %d of %d sweeps (%.1f%%) cover 5 s; mean interval width %.3f s\n", covered, sweeps, 100 * share, width / sweeps);
  CHECK_EQ_INT(failed, 0);
  /* 95% +- 1.5% (one standard error at 200 sweeps): 80% would be 10 standard errors below 0.90 */
  CHECK_MSG(share >= 0.90 && share <= 0.99, "coverage %.3f", share);
}

/* ---- comparisons ---- */

static const char *mm1_variant(const char *name, const char *work) {
  char text[512];
  snprintf(text, sizeof text,
    "scenario { name = \"%s\", duration = \"2000s\", seed = 1, warmup = \"200s\", window = \"100s\" }\n"
    "service \"s\" { instances = 1, workers = 1, queue = math.huge, work = exp \"%s\" }\n"
    "traffic { rate = 0.8, mix = { s = 1 } }\n"
    "expect \"fast\" { journey = \"s\", p99 = \"< 14s\" }\n", name, work);
  return write_file(name, text);
}

static double diff_width(const char *a, const char *b, bool independent, double *mean) {
  fl_compare_opts_t o = { .a = a, .b = b, .reps = 20, .independent = independent };
  fl_compare_t c;
  char err[512];
  double w = NAN;
  if (fl_compare_init(&c, &o, err, sizeof err) == 0) {
    fl_pool_opts_t po = { .threads = 2 };
    if (fl_compare_run(&c, &po, err, sizeof err) == 0) {
      fl_ci_t ca, cb, d;
      int v = fl_layout_journey(&c.layout[0], 0, FL_JM_MEAN);
      if (fl_compare_diff(&c, v, v, &ca, &cb, &d)) { w = 2 * d.half; *mean = d.mean; }
    } else printf("  %s\n", err);
  } else printf("  %s\n", err);
  fl_compare_release(&c);
  return w;
}

TEST(compare_with_common_random_numbers_narrows_the_interval_of_the_difference) {
  const char *a = mm1_variant("a.lua", "1s"), *b = mm1_variant("b.lua", "950ms");
  double crn_mean = 0, ind_mean = 0;
  double crn = diff_width(a, b, false, &crn_mean), ind = diff_width(a, b, true, &ind_mean);
  printf("  B-A mean response: CRN %.3f s, interval width %.3f s; independent %.3f s, width %.3f s (%.1fx)\n",
         crn_mean, crn, ind_mean, ind, ind / crn);
  CHECK(isfinite(crn) && isfinite(ind));
  CHECK_MSG(crn * 1.5 < ind, "CRN %.4f vs independent %.4f", crn, ind);
  /* theory: 5 s -> 1/(1/0.95 - 0.8) = 3.96 s; both intervals should sit below zero */
  CHECK(crn_mean < 0 && ind_mean < 0);
}

TEST(compare_of_a_scenario_with_itself_differs_by_exactly_zero) {
  const char *a = mm1_variant("same.lua", "1s");
  fl_compare_opts_t o = { .a = a, .b = a, .reps = 4 };
  fl_compare_t c;
  char err[512];
  CHECK_EQ_INT(fl_compare_init(&c, &o, err, sizeof err), 0);
  fl_pool_opts_t po = { .threads = 2 };
  CHECK_EQ_INT(fl_compare_run(&c, &po, err, sizeof err), 0);
  for (int v = 0; v < c.layout[0].nvalues; v++) {
    fl_ci_t ca, cb, d;
    CHECK(fl_compare_diff(&c, v, v, &ca, &cb, &d));
    if (isnan(ca.mean)) continue;   /* a criterion the expectation does not check */
    /* exactly zero, known to the two histogram buckets the quantiles came from */
    CHECK_MSG(d.mean == 0 && d.half == d.res / 2, "value %d: %g ± %g (res %g)", v, d.mean, d.half, d.res);
  }
  CHECK_EQ_INT(fl_compare_regressions(&c), 0);
  fl_compare_release(&c);
}

TEST(compare_of_a_scenario_with_itself_plus_set_b_sees_the_change) {
  const char *a = mm1_variant("cure.lua", "1s");
  const char *setb[] = { "s.workers=2" };
  fl_compare_opts_t o = { .a = a, .b = NULL, .sets_b = setb, .nsets_b = 1, .reps = 4 };
  fl_compare_t c;
  char err[512];
  CHECK_EQ_INT(fl_compare_init(&c, &o, err, sizeof err), 0);
  CHECK_EQ_STR(c.o.b, a);
  CHECK_EQ_INT(c.nvsets[0], 0);
  CHECK_EQ_INT(c.nvsets[1], 1);
  fl_pool_opts_t po = { .threads = 2 };
  CHECK_EQ_INT(fl_compare_run(&c, &po, err, sizeof err), 0);
  fl_ci_t ca, cb, d;
  int v = fl_layout_journey(&c.layout[0], 0, FL_JM_MEAN);
  CHECK(fl_compare_diff(&c, v, v, &ca, &cb, &d));
  CHECK_MSG(d.hi < 0, "two workers: mean response B-A %.3f ± %.3f", d.mean, d.half);
  /* compare --html draws replication 0 of each side, run again whole: its seed and --set list */
  fl_run_t r;
  int replayed = fl_compare_replay(&c, 1, 0, &r, err, sizeof err);
  CHECK_EQ_INT(replayed, 0);
  if (replayed == 0) {
    CHECK(r.m->seed == c.seeds[1][0] && r.m->seed == c.seeds[0][0]);
    CHECK_EQ_INT(r.m->services[0].workers, 2);
    CHECK(r.s.complete && r.failed >= 0);
    fl_run_release(&r);
  }
  CHECK(fl_compare_replay(&c, 1, 4, &r, err, sizeof err) < 0);
  fl_compare_release(&c);
  /* without B and without --set-a / --set-b there is nothing to compare */
  fl_compare_opts_t none = { .a = a, .reps = 2 };
  CHECK(fl_compare_init(&c, &none, err, sizeof err) != 0);
  CHECK_MSG(strstr(err, "--set-b") != NULL, "%s", err);
  fl_compare_release(&c);
}
