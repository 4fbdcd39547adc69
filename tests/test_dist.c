/* Tests for sim/core/dist.c: for each kind, 200k samples against fl_dist_mean/quantile/scv and the
** given parameters; closed-form reference values; validation; text. Fixed seeds; sampling
** tolerances are >= 4 standard errors of the estimate. */
#define CHECK_MAIN
#include "check.h"

#include "faultline/dist.h"

#define N 200000
#define MS 1e-3

static int cmp_time(const void *a, const void *b) {
  fl_time_t x = *(const fl_time_t *)a, y = *(const fl_time_t *)b;
  return (x > y) - (x < y);
}

/* N samples in seconds, summarized. */
typedef struct { double mean, scv, median, p90, p99, min, max; } summary_t;

static summary_t sample(const fl_dist_t *d, const char *purpose) {
  static fl_time_t xs[N];
  fl_rng_t r;
  fl_rng_init(&r, 2024, "test", purpose);
  double s = 0, ss = 0;
  for (int i = 0; i < N; i++) {
    xs[i] = fl_dist_sample(d, &r);
    double x = fl_time_to_sec(xs[i]);
    s += x, ss += x * x;
  }
  qsort(xs, N, sizeof xs[0], cmp_time);
  summary_t m = {.mean = s / N};
  m.scv = (ss / N - m.mean * m.mean) / (m.mean * m.mean);
  m.median = fl_time_to_sec(xs[N / 2]);
  m.p90 = fl_time_to_sec(xs[N * 9 / 10]);
  m.p99 = fl_time_to_sec(xs[N * 99 / 100]);
  m.min = fl_time_to_sec(xs[0]);
  m.max = fl_time_to_sec(xs[N - 1]);
  return m;
}

/* Sample mean, median and p99 agree with the distribution's own mean and quantiles. */
static void check_against_model(const fl_dist_t *d, summary_t m, double tol_mean, double tol_med,
                                double tol_p99) {
  CHECK_REL(m.mean, fl_dist_mean(d), tol_mean);
  CHECK_REL(m.median, fl_dist_quantile(d, 0.5), tol_med);
  CHECK_REL(m.p99, fl_dist_quantile(d, 0.99), tol_p99);
}

TEST(const_samples_are_the_value_rounded_to_nanoseconds) {
  fl_dist_t d;
  fl_rng_t r;
  fl_rng_seed(&r, 1);
  CHECK_EQ_INT(fl_dist_const(&d, 5 * MS, NULL), 0);
  CHECK_EQ_INT(fl_dist_sample(&d, &r), 5 * FL_MS);
  CHECK_NEAR(fl_dist_mean(&d), 5 * MS, 0);
  CHECK_NEAR(fl_dist_quantile(&d, 0.99), 5 * MS, 0);
  CHECK_NEAR(fl_dist_scv(&d), 0, 0);
  CHECK_EQ_INT(fl_dist_const(&d, 1.4e-9, NULL), 0);
  CHECK_EQ_INT(fl_dist_sample(&d, &r), 1);
  CHECK_EQ_INT(fl_dist_const(&d, 1.6e-9, NULL), 0);
  CHECK_EQ_INT(fl_dist_sample(&d, &r), 2);
  CHECK_EQ_INT(fl_dist_const(&d, 0, NULL), 0);
  CHECK_EQ_INT(fl_dist_sample(&d, &r), 0);
  CHECK_EQ_INT(fl_dist_const(&d, 1e12, NULL), 0); /* beyond fl_time_t: clamped, not wrapped */
  CHECK(fl_dist_sample(&d, &r) == FL_TIME_MAX);
}

TEST(exp_samples_match_mean_median_and_p99) {
  fl_dist_t d;
  CHECK_EQ_INT(fl_dist_exp(&d, 3 * MS, NULL), 0);
  CHECK_REL(fl_dist_mean(&d), 3 * MS, 1e-12);
  CHECK_REL(fl_dist_quantile(&d, 0.5), 3 * MS * log(2), 1e-12);
  CHECK_REL(fl_dist_quantile(&d, 0.99), 3 * MS * log(100), 1e-12);
  CHECK_NEAR(fl_dist_scv(&d), 1, 1e-12);
  summary_t m = sample(&d, "exp");
  /* relative se: mean 0.22%, median 0.32%, p99 0.48% */
  check_against_model(&d, m, 0.01, 0.015, 0.025);
  CHECK_REL(m.scv, 1, 0.03);
  CHECK(m.min >= 0);
}

TEST(lognormal_from_median_and_p99_reproduces_them) {
  fl_dist_t d;
  CHECK_EQ_INT(fl_dist_lognormal_median_p99(&d, 2 * MS, 20 * MS, NULL), 0);
  CHECK_REL(fl_dist_quantile(&d, 0.5), 2 * MS, 1e-12);
  CHECK_REL(fl_dist_quantile(&d, 0.99), 20 * MS, 1e-9);
  double sigma = log(10) / 2.326347874;
  CHECK_REL(fl_dist_mean(&d), 2 * MS * exp(sigma * sigma / 2), 1e-12);
  CHECK_REL(fl_dist_scv(&d), expm1(sigma * sigma), 1e-12);
  /* the other tail of the inverse normal: Phi^-1(0.025) = -1.959963984540054 */
  CHECK_REL(fl_dist_quantile(&d, 0.025), 2 * MS * exp(-1.959963984540054 * sigma), 1e-9);
  summary_t m = sample(&d, "lognormal");
  CHECK_REL(m.median, 2 * MS, 0.02);  /* se 0.28% */
  CHECK_REL(m.p99, 20 * MS, 0.05);    /* se 1.2% */
  check_against_model(&d, m, 0.02, 0.02, 0.05);
  CHECK_REL(m.scv, fl_dist_scv(&d), 0.1);
}

TEST(lognormal_from_mean_and_cv_reproduces_them) {
  fl_dist_t d;
  CHECK_EQ_INT(fl_dist_lognormal_mean_cv(&d, 10 * MS, 2, NULL), 0);
  CHECK_REL(fl_dist_mean(&d), 10 * MS, 1e-12);
  CHECK_REL(fl_dist_scv(&d), 4, 1e-12);
  CHECK_REL(fl_dist_quantile(&d, 0.5), 10 * MS / sqrt(5), 1e-12); /* exp(mu) = mean/sqrt(1+cv^2) */
  summary_t m = sample(&d, "lognormal_cv");
  check_against_model(&d, m, 0.03, 0.02, 0.06); /* se: mean 0.45%, median 0.36%, p99 1.5% */
}

TEST(gamma_from_mean_and_cv_matches_mean_median_and_p99) {
  static const double cvs[] = {0.5, 1, 2};
  for (int i = 0; i < 3; i++) {
    fl_dist_t d;
    CHECK_EQ_INT(fl_dist_gamma_mean_cv(&d, 10 * MS, cvs[i], NULL), 0);
    CHECK_REL(fl_dist_mean(&d), 10 * MS, 1e-12);
    CHECK_REL(fl_dist_scv(&d), cvs[i] * cvs[i], 1e-12);
    summary_t m = sample(&d, "gamma");
    CHECK_REL(m.scv, cvs[i] * cvs[i], 0.06);
    check_against_model(&d, m, 0.015, 0.03, 0.04);
  }
}

/* Reference values: chi-square quantiles are gamma(k = dof/2, theta = 2) quantiles. */
TEST(gamma_quantile_matches_closed_forms_and_tables) {
  fl_dist_t d;
  CHECK_EQ_INT(fl_dist_gamma_mean_cv(&d, 1, 1, NULL), 0); /* k = 1: exponential */
  static const double qs[] = {1e-6, 0.01, 0.5, 0.9, 0.999999};
  for (int i = 0; i < 5; i++) CHECK_REL(fl_dist_quantile(&d, qs[i]), -log1p(-qs[i]), 1e-8);
  CHECK_EQ_INT(fl_dist_gamma_mean_cv(&d, 4, sqrt(0.5), NULL), 0); /* chi-square, 4 dof */
  CHECK_REL(fl_dist_quantile(&d, 0.95), 9.487729036781154, 1e-9);
  CHECK_EQ_INT(fl_dist_gamma_mean_cv(&d, 1, sqrt(2), NULL), 0); /* chi-square, 1 dof */
  CHECK_REL(fl_dist_quantile(&d, 0.95), 3.841458820694124, 1e-9);
  CHECK_REL(fl_dist_quantile(&d, 0.5), 0.454936423119572, 1e-9);
  CHECK_EQ_INT(fl_dist_gamma_mean_cv(&d, 100, sqrt(0.02), NULL), 0); /* chi-square, 100 dof */
  CHECK_REL(fl_dist_quantile(&d, 0.99), 135.80672317102676, 1e-9);
}

TEST(uniform_samples_stay_in_range_and_match_moments) {
  fl_dist_t d;
  CHECK_EQ_INT(fl_dist_uniform(&d, 1 * MS, 5 * MS, NULL), 0);
  CHECK_REL(fl_dist_mean(&d), 3 * MS, 1e-12);
  CHECK_REL(fl_dist_quantile(&d, 0.99), 4.96 * MS, 1e-12);
  CHECK_REL(fl_dist_scv(&d), 16.0 / 12 / 9, 1e-12);
  summary_t m = sample(&d, "uniform");
  check_against_model(&d, m, 0.005, 0.01, 0.005);
  CHECK_REL(m.scv, fl_dist_scv(&d), 0.02);
  CHECK(m.min >= 1 * MS && m.max <= 5 * MS);
  CHECK_EQ_INT(fl_dist_uniform(&d, 2 * MS, 2 * MS, NULL), 0);
  CHECK_NEAR(fl_dist_scv(&d), 0, 0);
}

TEST(percentiles_samples_reproduce_the_knots) {
  fl_dist_t d;
  const double p[] = {0.5, 0.9, 0.99}, v[] = {12 * MS, 40 * MS, 180 * MS};
  CHECK_EQ_INT(fl_dist_percentiles(&d, 3, p, v, NULL), 0);
  for (int i = 0; i < 3; i++) CHECK_REL(fl_dist_quantile(&d, p[i]), v[i], 1e-12);
  CHECK_REL(fl_dist_quantile(&d, 0.25), 6 * MS, 1e-12);
  CHECK_REL(fl_dist_quantile(&d, 0.7), 26 * MS, 1e-12);
  /* tail: log-linear at slope ln(4.5)/0.09 per unit p, reaching 180 * 4.5^(1/9) at p = 1 */
  CHECK_REL(fl_dist_quantile(&d, 0.995), 180 * MS * pow(4.5, 0.5 / 9), 1e-9);
  /* mean by hand: three trapezoids plus the exponential tail integral */
  double s = log(4.5) / 0.09;
  CHECK_REL(fl_dist_mean(&d), (3 + 10.4 + 9.9) * MS + 180 * MS * expm1(s * 0.01) / s, 1e-12);
  summary_t m = sample(&d, "percentiles");
  CHECK_REL(m.median, 12 * MS, 0.03);
  CHECK_REL(m.p90, 40 * MS, 0.03);
  CHECK_REL(m.p99, 180 * MS, 0.03);
  check_against_model(&d, m, 0.02, 0.03, 0.03);
  CHECK_REL(m.scv, fl_dist_scv(&d), 0.05);
  CHECK(m.min >= 0 && m.max <= 180 * MS * pow(4.5, 1.0 / 9) * (1 + 1e-9));
}

TEST(percentiles_tail_is_capped_at_ten_times_the_last_knot) {
  fl_dist_t d;
  const double p[] = {0.5, 0.6}, v[] = {1 * MS, 100 * MS};
  CHECK_EQ_INT(fl_dist_percentiles(&d, 2, p, v, NULL), 0);
  CHECK_REL(fl_dist_quantile(&d, 0.62), 100 * MS * pow(10, 0.4), 1e-9);
  CHECK_REL(fl_dist_quantile(&d, 0.99), 1000 * MS, 1e-12);
  /* mean: 0.25 + 5.05 (knots) + 100 * 9 / s (log tail up to the cap at 0.65) + 1000 * 0.35 */
  double s = log(100) / 0.1;
  CHECK_REL(fl_dist_mean(&d), (0.25 + 5.05 + 900 / s + 350) * MS, 1e-12);
  summary_t m = sample(&d, "percentiles_cap");
  CHECK(m.max <= 1000 * MS);
  CHECK_REL(m.mean, fl_dist_mean(&d), 0.01);
  CHECK_REL(m.scv, fl_dist_scv(&d), 0.02);
}

TEST(single_percentile_is_uniform_from_zero) {
  fl_dist_t d;
  const double p[] = {0.5}, v[] = {10 * MS};
  CHECK_EQ_INT(fl_dist_percentiles(&d, 1, p, v, NULL), 0);
  CHECK_REL(fl_dist_quantile(&d, 0.25), 5 * MS, 1e-12);
  CHECK_REL(fl_dist_quantile(&d, 0.75), 15 * MS, 1e-12);
  CHECK_REL(fl_dist_mean(&d), 10 * MS, 1e-12);
  CHECK_REL(fl_dist_scv(&d), 1.0 / 3, 1e-12);
  summary_t m = sample(&d, "percentiles_one");
  check_against_model(&d, m, 0.01, 0.01, 0.01);
}

TEST(constructors_reject_meaningless_parameters_with_a_reason) {
  fl_dist_t d;
  const char *why = NULL;
  double nan = NAN, inf = INFINITY;
#define REJECT(call, reason) do { why = NULL; CHECK_EQ_INT(call, -FL_ERANGE); CHECK_EQ_STR(why, reason); } while (0)
  REJECT(fl_dist_const(&d, -1, &why), "value must be finite and non-negative");
  REJECT(fl_dist_const(&d, nan, &why), "value must be finite and non-negative");
  REJECT(fl_dist_exp(&d, 0, &why), "mean must be positive");
  REJECT(fl_dist_exp(&d, -1, &why), "mean must be positive");
  REJECT(fl_dist_exp(&d, nan, &why), "mean must be positive");
  REJECT(fl_dist_exp(&d, inf, &why), "mean must be positive");
  REJECT(fl_dist_lognormal_median_p99(&d, 0, 1, &why), "median must be positive");
  REJECT(fl_dist_lognormal_median_p99(&d, 2, 2, &why), "p99 must be greater than median");
  REJECT(fl_dist_lognormal_median_p99(&d, 2, 1, &why), "p99 must be greater than median");
  REJECT(fl_dist_lognormal_median_p99(&d, 2, nan, &why), "p99 must be greater than median");
  REJECT(fl_dist_lognormal_median_p99(&d, 2, inf, &why), "p99 must be greater than median");
  REJECT(fl_dist_lognormal_mean_cv(&d, -1, 1, &why), "mean must be positive");
  REJECT(fl_dist_lognormal_mean_cv(&d, 1, 0, &why), "cv must be positive");
  REJECT(fl_dist_lognormal_mean_cv(&d, 1, nan, &why), "cv must be positive");
  REJECT(fl_dist_gamma_mean_cv(&d, inf, 1, &why), "mean must be positive");
  REJECT(fl_dist_gamma_mean_cv(&d, 1, -0.5, &why), "cv must be positive");
  REJECT(fl_dist_uniform(&d, 2, 1, &why), "uniform needs lo <= hi");
  REJECT(fl_dist_uniform(&d, 1, inf, &why), "uniform needs lo <= hi");
  REJECT(fl_dist_uniform(&d, -1, 1, &why), "uniform lo must be finite and non-negative");
  const double p3[] = {0.5, 0.9, 0.99}, v3[] = {1, 2, 3};
  const double p_flat[] = {0.5, 0.5, 0.99}, p_one[] = {0.5, 0.9, 1}, p_nan[] = {nan, 0.9, 0.99};
  const double v_down[] = {1, 3, 2}, v_neg[] = {-1, 2, 3}, v_inf[] = {1, 2, inf};
  REJECT(fl_dist_percentiles(&d, 0, p3, v3, &why), "percentiles need 1 to 16 points");
  REJECT(fl_dist_percentiles(&d, FL_DIST_MAX_POINTS + 1, p3, v3, &why), "percentiles need 1 to 16 points");
  REJECT(fl_dist_percentiles(&d, 3, p_flat, v3, &why), "percentiles must increase");
  REJECT(fl_dist_percentiles(&d, 3, p_one, v3, &why), "percentile must be in (0, 1)");
  REJECT(fl_dist_percentiles(&d, 3, p_nan, v3, &why), "percentile must be in (0, 1)");
  REJECT(fl_dist_percentiles(&d, 3, p3, v_down, &why), "percentile values must not decrease");
  REJECT(fl_dist_percentiles(&d, 3, p3, v_neg, &why), "percentile value must be finite and non-negative");
  REJECT(fl_dist_percentiles(&d, 3, p3, v_inf, &why), "percentile value must be finite and non-negative");
#undef REJECT
  CHECK_EQ_INT(fl_dist_exp(&d, -1, NULL), -FL_ERANGE); /* 'why' is optional */
  CHECK_EQ_STR(fl_strerror(-FL_ERANGE), "value out of range");
  const double v_eq[] = {1, 1, 1};
  CHECK_EQ_INT(fl_dist_percentiles(&d, 3, p3, v_eq, &why), 0); /* equal values are allowed */
  CHECK_NEAR(fl_dist_quantile(&d, 0.999), 1, 1e-12);
}

TEST(format_prints_parameters_with_duration_units) {
  fl_dist_t d;
  char buf[128];
  fl_dist_exp(&d, 3 * MS, NULL);
  fl_dist_format(&d, buf, sizeof buf);
  CHECK_EQ_STR(buf, "exp(mean=3ms)");
  fl_dist_lognormal_median_p99(&d, 2 * MS, 20 * MS, NULL);
  fl_dist_format(&d, buf, sizeof buf);
  CHECK_EQ_STR(buf, "lognormal(median=2ms, p99=20ms)");
  fl_dist_const(&d, 1.5, NULL);
  fl_dist_format(&d, buf, sizeof buf);
  CHECK_EQ_STR(buf, "const(1.5s)");
  fl_dist_gamma_mean_cv(&d, 250e-6, 0.5, NULL);
  fl_dist_format(&d, buf, sizeof buf);
  CHECK_EQ_STR(buf, "gamma(mean=250us, cv=0.5)");
  fl_dist_uniform(&d, 0, 40e-9, NULL);
  fl_dist_format(&d, buf, sizeof buf);
  CHECK_EQ_STR(buf, "uniform(0s, 40ns)");
  const double p[] = {0.5, 0.999}, v[] = {12 * MS, 1.2};
  fl_dist_percentiles(&d, 2, p, v, NULL);
  fl_dist_format(&d, buf, sizeof buf);
  CHECK_EQ_STR(buf, "percentiles(p50=12ms, p99.9=1.2s)");
  memset(buf, 'x', sizeof buf);
  fl_dist_format(&d, buf, 8);
  CHECK_EQ_STR(buf, "percent");
  CHECK(buf[8] == 'x');
  fl_dist_format(&d, buf, 0); /* writes nothing */
  CHECK(buf[0] == 'p');
}
