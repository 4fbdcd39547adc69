/* Sweeps, replications and comparisons: Student t quantiles and intervals, derived seeds, the
** same result for any number of threads, the 95% interval of an M/M/1 mean response covering
** the theoretical 5 s in about 95% of independent sweeps, and common random numbers narrowing
** the interval of a difference. */
#define CHECK_MAIN
#include "check.h"

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
    CHECK(d.mean == 0 && d.half == 0);
  }
  CHECK_EQ_INT(fl_compare_regressions(&c), 0);
  fl_compare_release(&c);
}
