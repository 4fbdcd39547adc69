/* Confidence intervals over replications: Student's t quantiles (closed-form CDF for integer
** degrees of freedom, no lgamma, so reentrant), the t interval of a sample and Welch's interval
** for the difference of two independent samples. */
#include "faultline/sweep.h"

#include <math.h>

static const double PI = 3.14159265358979323846;

/* P(|T| <= t) for Student's t with integer df >= 1: Abramowitz & Stegun 26.7.3 (odd df) and
** 26.7.4 (even df), finite sums in cos^2 of theta = atan(t / sqrt(df)). */
static double t_central(double t, int df) {
  double th = atan(t / sqrt((double)df)), c = cos(th), s = sin(th), c2 = c * c;
  double term = 1, sum = 1;
  if (df % 2 == 1) {
    if (df == 1) return 2 / PI * th;
    for (int k = 3; k <= df - 2; k += 2) { term *= c2 * (k - 1) / k; sum += term; if (term < 1e-17 * sum) break; }
    return 2 / PI * (th + s * c * sum);
  }
  for (int k = 2; k <= df - 2; k += 2) { term *= c2 * (k - 1) / k; sum += term; if (term < 1e-17 * sum) break; }
  return s * sum;
}

/* The standard normal quantile by bisection on erfc (used for very large df). */
static double z_quantile(double p) {
  double lo = -40, hi = 40;
  for (int i = 0; i < 200 && hi - lo > 1e-15; i++) {
    double mid = (lo + hi) / 2;
    if (0.5 * erfc(-mid / sqrt(2.0)) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

double fl_t_quantile(double p, int df) {
  if (!(p > 0 && p < 1) || df < 1) return NAN;
  if (p == 0.5) return 0;
  if (p < 0.5) return -fl_t_quantile(1 - p, df);
  if (df > 2000) {
    /* Cornish-Fisher expansion in 1/df: error far below 1e-12 here */
    double z = z_quantile(p), z2 = z * z, v = df;
    double g1 = (z2 + 1) * z / 4, g2 = ((5 * z2 + 16) * z2 + 3) * z / 96;
    double g3 = (((3 * z2 + 19) * z2 + 17) * z2 - 15) * z / 384;
    return z + g1 / v + g2 / (v * v) + g3 / (v * v * v);
  }
  double want = 2 * p - 1, lo = 0, hi = 1;
  while (t_central(hi, df) < want && hi < 1e300) lo = hi, hi *= 2;
  for (int i = 0; i < 200 && hi - lo > 1e-14 * hi; i++) {
    double mid = lo + (hi - lo) / 2;
    if (t_central(mid, df) < want) lo = mid;
    else hi = mid;
  }
  return lo + (hi - lo) / 2;
}

static void finish(fl_ci_t *out, double level, int df, double se) {
  if (df < 1 || isnan(se)) { out->half = out->lo = out->hi = NAN; return; }
  out->half = fl_t_quantile((1 + level) / 2, df) * se;
  out->lo = out->mean - out->half;
  out->hi = out->mean + out->half;
}

void fl_ci_of(fl_ci_t *out, const double *x, int n, size_t stride, double level) {
  out->n = n;
  out->mean = out->sd = out->half = out->lo = out->hi = NAN;
  if (n < 1) return;
  double sum = 0;
  for (int i = 0; i < n; i++) sum += x[(size_t)i * stride];
  out->mean = sum / n;
  if (n < 2) return;
  double ss = 0;
  for (int i = 0; i < n; i++) { double d = x[(size_t)i * stride] - out->mean; ss += d * d; }
  out->sd = sqrt(ss / (n - 1));
  finish(out, level, n - 1, out->sd / sqrt((double)n));
}

void fl_ci_welch(fl_ci_t *out, const fl_ci_t *a, const fl_ci_t *b, double level) {
  out->n = a->n < b->n ? a->n : b->n;
  out->mean = b->mean - a->mean;
  out->sd = out->half = out->lo = out->hi = NAN;
  if (a->n < 2 || b->n < 2) return;
  double va = a->sd * a->sd / a->n, vb = b->sd * b->sd / b->n, se = sqrt(va + vb);
  out->sd = sqrt(a->sd * a->sd + b->sd * b->sd);
  double den = va * va / (a->n - 1) + vb * vb / (b->n - 1);
  double df = den > 0 ? (va + vb) * (va + vb) / den : a->n + b->n - 2;
  finish(out, level, df < 1 ? 1 : df > 1e9 ? 1000000000 : (int)floor(df), se);
}
