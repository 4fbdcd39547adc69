/* Tests for sim/core/rng.c: reference vectors, stream derivation, and the moments of each variate.
** Seeds are fixed, so every statistical check is deterministic; tolerances are >= 4 standard
** errors of the estimate at the stated sample size. */
#define CHECK_MAIN
#include "check.h"

#include "faultline/rng.h"

#define N 200000

/* Pearson correlation of n paired uniforms from two streams. */
static double correlation(fl_rng_t *a, fl_rng_t *b, int n) {
  double sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0;
  for (int i = 0; i < n; i++) {
    double x = fl_rng_uniform(a), y = fl_rng_uniform(b);
    sx += x, sy += y, sxx += x * x, syy += y * y, sxy += x * y;
  }
  double cov = sxy / n - (sx / n) * (sy / n);
  return cov / sqrt((sxx / n - (sx / n) * (sx / n)) * (syy / n - (sy / n) * (sy / n)));
}

/* Sample mean and (population) variance of n draws of f. */
typedef struct { double mean, var; } moments_t;
static moments_t moments_of(double (*f)(fl_rng_t *, double), fl_rng_t *r, double arg, int n) {
  double s = 0, ss = 0;
  for (int i = 0; i < n; i++) {
    double x = f(r, arg);
    s += x, ss += x * x;
  }
  return (moments_t){s / n, ss / n - (s / n) * (s / n)};
}
static double uniform_(fl_rng_t *r, double arg) { (void)arg; return fl_rng_uniform(r); }
static double exp_(fl_rng_t *r, double arg) { (void)arg; return fl_rng_exp(r); }
static double normal_(fl_rng_t *r, double arg) { (void)arg; return fl_rng_normal(r); }

TEST(hash_str_is_64_bit_fnv1a) {
  CHECK(fl_hash_str("") == 0xcbf29ce484222325u);
  CHECK(fl_hash_str("a") == 0xaf63dc4c8601ec8cu);
  CHECK(fl_hash_str("foobar") == 0x85944171f73967e8u);
}

TEST(seed_matches_reference_splitmix64_and_xoshiro256starstar) {
  fl_rng_t r;
  fl_rng_seed(&r, 0);
  CHECK(r.s[0] == 0xe220a8397b1dcdafu && r.s[1] == 0x6e789e6aa1b965f4u);
  CHECK(r.s[2] == 0x06c45d188009454fu && r.s[3] == 0xf88bb8a8724c81ecu);
  static const uint64_t want[] = {0x99ec5f36cb75f2b4u, 0xbf6e1f784956452au, 0x1a5f849d4933e6e0u,
                                  0x6aa594f1262d2d2cu, 0xbba5ad4a1f842e59u};
  for (int i = 0; i < 5; i++) CHECK_MSG(fl_rng_next(&r) == want[i], "output %d differs", i);
}

TEST(same_seed_entity_and_purpose_give_the_same_sequence) {
  fl_rng_t a, b, other;
  fl_rng_init(&a, 42, "db", "latency");
  fl_rng_init(&other, 42, "db", "drops"); /* creating other streams must not matter */
  fl_rng_init(&b, 42, "db", "latency");
  for (int i = 0; i < 1000; i++) fl_rng_next(&other);
  int same = 1;
  for (int i = 0; i < 10000; i++) same &= fl_rng_next(&a) == fl_rng_next(&b);
  CHECK(same);
}

TEST(different_seed_entity_or_purpose_give_uncorrelated_streams) {
  static const struct { uint64_t seed; const char *entity, *purpose; } v[] = {
    {42, "db", "latency"}, {43, "db", "latency"}, {42, "db2", "latency"},
    {42, "db", "latency2"}, {42, "dblatency", ""}, {42, "latency", "db"}};
  int n = (int)(sizeof v / sizeof v[0]);
  for (int i = 0; i < n; i++)
    for (int j = i + 1; j < n; j++) {
      fl_rng_t a, b;
      fl_rng_init(&a, v[i].seed, v[i].entity, v[i].purpose);
      fl_rng_init(&b, v[j].seed, v[j].entity, v[j].purpose);
      CHECK_MSG(a.s[0] != b.s[0] || a.s[1] != b.s[1], "streams %d and %d share a state", i, j);
      double c = correlation(&a, &b, 100000); /* standard error 0.0032 */
      CHECK_MSG(fabs(c) < 0.01, "streams %d and %d: correlation %.4f", i, j, c);
    }
}

TEST(consecutive_seeds_give_uncorrelated_streams) {
  fl_rng_t a, b;
  fl_rng_seed(&a, 1);
  fl_rng_seed(&b, 2);
  CHECK_NEAR(correlation(&a, &b, 100000), 0, 0.01);
}

TEST(uniform_has_mean_half_and_variance_one_twelfth) {
  fl_rng_t r;
  fl_rng_init(&r, 1, "test", "uniform");
  moments_t m = moments_of(uniform_, &r, 0, N);
  CHECK_NEAR(m.mean, 0.5, 0.003);       /* se 0.00065 */
  CHECK_NEAR(m.var, 1.0 / 12, 0.0008);  /* se 0.00017 */
  double lo = 1, hi = 0, lo_pos = 1, hi_pos = 0;
  for (int i = 0; i < N; i++) {
    double u = fl_rng_uniform(&r), p = fl_rng_uniform_pos(&r);
    lo = fmin(lo, u), hi = fmax(hi, u), lo_pos = fmin(lo_pos, p), hi_pos = fmax(hi_pos, p);
  }
  CHECK(lo >= 0 && lo < 1e-4 && hi < 1 && hi > 1 - 1e-4);
  CHECK(lo_pos > 0 && lo_pos < 1e-4 && hi_pos <= 1);
}

/* Chi-square of fl_rng_below(n) over 10 equal-width bins; 27.88 is the 0.999 quantile for
** 9 degrees of freedom. n = 3 * 2^62 makes modulo reduction put half the draws in the
** first third of the range, which would score in the tens of thousands. */
TEST(below_is_unbiased_over_ten_bins) {
  static const uint64_t ns[] = {10, 1000, 3ull << 62, UINT64_MAX};
  for (int k = 0; k < 4; k++) {
    fl_rng_t r;
    fl_rng_init(&r, 7, "test", "below");
    uint64_t n = ns[k];
    int count[10] = {0}, draws = 100000, in_range = 1;
    for (int i = 0; i < draws; i++) {
      uint64_t x = fl_rng_below(&r, n);
      in_range &= x < n;
      int bin = (int)((double)x / (double)n * 10);
      count[bin > 9 ? 9 : bin]++;
    }
    double chi2 = 0, expect = draws / 10.0;
    for (int b = 0; b < 10; b++) chi2 += (count[b] - expect) * (count[b] - expect) / expect;
    CHECK(in_range);
    CHECK_MSG(chi2 < 27.88, "n=%llu: chi-square %.1f", (unsigned long long)n, chi2);
  }
  fl_rng_t r;
  fl_rng_seed(&r, 3);
  int zero = 1;
  for (int i = 0; i < 100; i++) zero &= fl_rng_below(&r, 1) == 0;
  CHECK(zero);
}

TEST(exp_has_mean_one_and_variance_one) {
  fl_rng_t r;
  fl_rng_init(&r, 1, "test", "exp");
  moments_t m = moments_of(exp_, &r, 0, N);
  CHECK_NEAR(m.mean, 1, 0.01);  /* se 0.0022 */
  CHECK_NEAR(m.var, 1, 0.03);   /* se 0.0063 */
}

TEST(normal_has_mean_zero_variance_one_and_normal_tails) {
  fl_rng_t r;
  fl_rng_init(&r, 1, "test", "normal");
  moments_t m = moments_of(normal_, &r, 0, N);
  CHECK_NEAR(m.mean, 0, 0.01);   /* se 0.0022 */
  CHECK_NEAR(m.var, 1, 0.015);   /* se 0.0032 */
  int inside = 0;
  for (int i = 0; i < N; i++) inside += fabs(fl_rng_normal(&r)) < 1.959963985;
  CHECK_NEAR((double)inside / N, 0.95, 0.002);  /* se 0.00049 */
}

TEST(gamma_has_mean_k_and_variance_k_for_k_half_2_and_9) {
  static const double ks[] = {0.5, 2, 9};
  for (int i = 0; i < 3; i++) {
    fl_rng_t r;
    fl_rng_init(&r, 1, "test", "gamma");
    moments_t m = moments_of(fl_rng_gamma, &r, ks[i], N);
    /* relative se of the mean 1/sqrt(kN) <= 0.32%; of the variance sqrt((2+6/k)/N) <= 0.84% */
    CHECK_REL(m.mean, ks[i], 0.015);
    CHECK_REL(m.var, ks[i], 0.04);
  }
}
