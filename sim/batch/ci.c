/* Confidence intervals over replications: Student's t quantiles (closed-form CDF for integer
** degrees of freedom, no lgamma, so reentrant), the t interval of a sample, Welch's interval
** for the difference of two independent samples, the widening of an interval to the values'
** resolution, and the exact (Clopper-Pearson) binomial interval of a pass share from the
** regularized incomplete beta function (our own log-gamma, so reentrant too). */
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
  out->res = 0;
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
  out->res = 0;
  out->mean = b->mean - a->mean;
  out->sd = out->half = out->lo = out->hi = NAN;
  if (a->n < 2 || b->n < 2) return;
  double va = a->sd * a->sd / a->n, vb = b->sd * b->sd / b->n, se = sqrt(va + vb);
  out->sd = sqrt(a->sd * a->sd + b->sd * b->sd);
  double den = va * va / (a->n - 1) + vb * vb / (b->n - 1);
  double df = den > 0 ? (va + vb) * (va + vb) / den : a->n + b->n - 2;
  finish(out, level, df < 1 ? 1 : df > 1e9 ? 1000000000 : (int)floor(df), se);
}

void fl_ci_widen(fl_ci_t *c, double res) {
  c->res = res;
  if (isfinite(c->half) && c->half < res / 2) {
    c->half = res / 2;
    c->lo = c->mean - c->half;
    c->hi = c->mean + c->half;
  }
}

/* ---- binomial intervals ------------------------------------------------------------------- */

/* ln Gamma(x) for x > 0: Lanczos' approximation (g = 7, 9 terms; relative error near 1e-15),
** with the reflection-free form valid for x >= 0.5 and the recurrence below it. */
static double log_gamma(double x) {
  static const double c[9] = { 0.99999999999980993, 676.5203681218851, -1259.1392167224028,
                               771.32342877765313, -176.61502916214059, 12.507343278686905,
                               -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7 };
  if (x < 0.5) return log_gamma(x + 1) - log(x);
  x -= 1;
  double a = c[0], t = x + 7.5;
  for (int i = 1; i < 9; i++) a += c[i] / (x + i);
  return 0.5 * log(2 * PI) + (x + 0.5) * log(t) - t + log(a);
}

/* The continued fraction of I_x(a, b) (modified Lentz), converging for x < (a + 1) / (a + b + 2). */
static double beta_cf(double x, double a, double b) {
  const double tiny = 1e-300;
  double qab = a + b, qap = a + 1, qam = a - 1, c = 1, d = 1 - qab * x / qap;
  if (fabs(d) < tiny) d = tiny;
  d = 1 / d;
  double h = d;
  for (int m = 1; m <= 1000000; m++) {
    double m2 = 2.0 * m, aa = m * (b - m) * x / ((qam + m2) * (a + m2));
    d = 1 + aa * d; if (fabs(d) < tiny) d = tiny;
    c = 1 + aa / c; if (fabs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
    d = 1 + aa * d; if (fabs(d) < tiny) d = tiny;
    c = 1 + aa / c; if (fabs(c) < tiny) c = tiny;
    d = 1 / d;
    double del = d * c;
    h *= del;
    if (fabs(del - 1) < 1e-15) break;
  }
  return h;
}

double fl_beta_inc(double x, double a, double b) {
  if (!(x > 0)) return 0;
  if (!(x < 1)) return 1;
  double lf = log_gamma(a + b) - log_gamma(a) - log_gamma(b) + a * log(x) + b * log1p(-x);
  if (x < (a + 1) / (a + b + 2)) return exp(lf) * beta_cf(x, a, b) / a;
  return 1 - exp(lf) * beta_cf(1 - x, b, a) / b;
}

/* The x in [0, 1] with I_x(a, b) = p, by bisection (I is increasing in x). */
static double beta_quantile(double p, double a, double b) {
  double lo = 0, hi = 1;
  for (int i = 0; i < 200 && hi - lo > 1e-16; i++) {
    double mid = (lo + hi) / 2;
    if (fl_beta_inc(mid, a, b) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/* Clopper & Pearson (1934): the p at which seeing k or more (lower) or k or fewer (upper) has
** probability alpha, i.e. the beta quantiles B(alpha; k, n-k+1) and B(1-alpha; k+1, n-k). The
** ends k = 0 and k = n have closed forms, used exactly. */
static double cp_lower(int k, int n, double alpha) {
  if (k <= 0) return 0;
  if (k >= n) return pow(alpha, 1.0 / n);
  return beta_quantile(alpha, k, n - k + 1);
}

static double cp_upper(int k, int n, double alpha) {
  if (k >= n) return 1;
  if (k <= 0) return 1 - pow(alpha, 1.0 / n);
  return beta_quantile(1 - alpha, k + 1, n - k);
}

void fl_ci_binomial(fl_ci_t *out, int k, int n, double level) {
  out->n = n;
  out->res = 0;
  out->sd = out->half = NAN;
  out->mean = n > 0 ? (double)k / n : NAN;
  if (n < 1 || k < 0 || k > n || !(level > 0 && level < 1)) { out->lo = out->hi = NAN; return; }
  double alpha = (1 - level) / 2;
  out->lo = cp_lower(k, n, alpha);
  out->hi = cp_upper(k, n, alpha);
}

double fl_binomial_lower(int k, int n, double level) {
  if (n < 1 || k < 0 || k > n || !(level > 0 && level < 1)) return NAN;
  return cp_lower(k, n, 1 - level);
}
