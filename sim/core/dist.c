/* Duration distributions: validated constructors, sampling to nanoseconds, and the exact
** moments and quantiles the analytic models need (mean, quantile, squared CV), plus text. */
#include "faultline/dist.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>

#define Z99 2.326347874 /* standard normal 0.99 quantile */

/* Rejects with -FL_ERANGE and a static reason. */
static int fail(const char **why, const char *reason) {
  if (why) *why = reason;
  return -FL_ERANGE;
}

static bool positive(double x) { return isfinite(x) && x > 0; }

int fl_dist_const(fl_dist_t *d, double value, const char **why) {
  if (!isfinite(value) || value < 0) return fail(why, "value must be finite and non-negative");
  *d = (fl_dist_t){.kind = FL_DIST_CONST, .a = value};
  return 0;
}

int fl_dist_exp(fl_dist_t *d, double mean, const char **why) {
  if (!positive(mean)) return fail(why, "mean must be positive");
  *d = (fl_dist_t){.kind = FL_DIST_EXP, .a = mean};
  return 0;
}

int fl_dist_lognormal_median_p99(fl_dist_t *d, double median, double p99, const char **why) {
  if (!positive(median)) return fail(why, "median must be positive");
  if (!isfinite(p99) || !(p99 > median)) return fail(why, "p99 must be greater than median");
  *d = (fl_dist_t){.kind = FL_DIST_LOGNORMAL, .a = log(median), .b = (log(p99) - log(median)) / Z99};
  return 0;
}

int fl_dist_lognormal_mean_cv(fl_dist_t *d, double mean, double cv, const char **why) {
  if (!positive(mean)) return fail(why, "mean must be positive");
  if (!positive(cv)) return fail(why, "cv must be positive");
  double s2 = log1p(cv * cv);
  *d = (fl_dist_t){.kind = FL_DIST_LOGNORMAL, .a = log(mean) - s2 / 2, .b = sqrt(s2)};
  return 0;
}

int fl_dist_gamma_mean_cv(fl_dist_t *d, double mean, double cv, const char **why) {
  if (!positive(mean)) return fail(why, "mean must be positive");
  if (!positive(cv)) return fail(why, "cv must be positive");
  if (!(cv <= 1000)) return fail(why, "cv must be at most 1000");   /* beyond, the shape 1/cv^2 underflows */
  *d = (fl_dist_t){.kind = FL_DIST_GAMMA, .a = 1 / (cv * cv), .b = mean * cv * cv};
  return 0;
}

int fl_dist_uniform(fl_dist_t *d, double lo, double hi, const char **why) {
  if (!isfinite(lo) || lo < 0) return fail(why, "uniform lo must be finite and non-negative");
  if (!isfinite(hi) || !(lo <= hi)) return fail(why, "uniform needs lo <= hi");
  *d = (fl_dist_t){.kind = FL_DIST_UNIFORM, .a = lo, .b = hi};
  return 0;
}

int fl_dist_percentiles(fl_dist_t *d, int n, const double *p, const double *v, const char **why) {
  if (n < 1 || n > FL_DIST_MAX_POINTS) return fail(why, "percentiles need 1 to 16 points");
  FL_ASSERT(p && v);
  for (int i = 0; i < n; i++) {
    if (!(p[i] > 0 && p[i] < 1)) return fail(why, "percentile must be in (0, 1)");
    if (!isfinite(v[i]) || v[i] < 0) return fail(why, "percentile value must be finite and non-negative");
    if (i > 0 && !(p[i] > p[i - 1])) return fail(why, "percentiles must increase");
    if (i > 0 && v[i] < v[i - 1]) return fail(why, "percentile values must not decrease");
  }
  *d = (fl_dist_t){.kind = FL_DIST_PERCENTILES, .npoints = n};
  for (int i = 0; i < n; i++) d->p[i] = p[i], d->v[i] = v[i];
  return 0;
}

/* --- percentiles: a piecewise quantile function ---------------------------------------- */

/* Above the last knot (pn, vn), Q(pn + t) follows the last segment: exponentially (linear in
** log space) when the previous knot value is positive, else linearly (a single knot, or a
** zero previous value), up to t = tcap where it reaches 10 * vn and stays there. */
typedef struct { bool in_log; double vn, slope, tcap; } tail_t;

static tail_t tail_of(const fl_dist_t *d) {
  int n = d->npoints;
  double pn = d->p[n - 1], vn = d->v[n - 1];
  double pp = n > 1 ? d->p[n - 2] : 0, vp = n > 1 ? d->v[n - 2] : 0;
  tail_t t = {vp > 0, vn, 0, INFINITY};
  t.slope = t.in_log ? log(vn / vp) / (pn - pp) : (vn - vp) / (pn - pp);
  if (t.slope > 0) t.tcap = t.in_log ? log(10) / t.slope : 9 * vn / t.slope;
  return t;
}

static double pct_quantile(const fl_dist_t *d, double q) {
  double pp = 0, vp = 0;
  for (int i = 0; i < d->npoints; i++) {
    if (q <= d->p[i]) return vp + (d->v[i] - vp) * (q - pp) / (d->p[i] - pp);
    pp = d->p[i], vp = d->v[i];
  }
  tail_t t = tail_of(d);
  double dt = q - pp;
  if (dt >= t.tcap) return 10 * t.vn;
  double x = t.in_log ? t.vn * exp(t.slope * dt) : t.vn + t.slope * dt;
  return fmin(x, 10 * t.vn);
}

/* Integral of x^m over a linear piece from a to c of length len (m = 1 or 2). */
static double lin_moment(double len, double a, double c, int m) {
  return m == 1 ? len * (a + c) / 2 : len * (a * a + a * c + c * c) / 3;
}

/* E[X^m] = integral over q in (0,1) of Q(q)^m, exactly, piece by piece. */
static double pct_moment(const fl_dist_t *d, int m) {
  double sum = 0, pp = 0, vp = 0;
  for (int i = 0; i < d->npoints; i++) {
    sum += lin_moment(d->p[i] - pp, vp, d->v[i], m);
    pp = d->p[i], vp = d->v[i];
  }
  tail_t t = tail_of(d);
  double rest = 1 - pp, len = fmin(rest, t.tcap), vm = m == 1 ? t.vn : t.vn * t.vn;
  if (t.in_log) {
    double ms = m * t.slope;
    sum += ms > 0 ? vm * expm1(ms * len) / ms : vm * len;
  } else {
    sum += lin_moment(len, t.vn, t.vn + t.slope * len, m);
  }
  return sum + (m == 1 ? 10 : 100) * vm * (rest - len);
}

/* --- normal and gamma quantiles ---------------------------------------------------------- */

/* Inverse standard normal CDF: Acklam's rational approximation (1e-9) polished by one
** Halley step on erfc, which brings it to full double precision. */
static double norm_quantile(double q) {
  static const double a[] = {-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
                             1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00};
  static const double b[] = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                             6.680131188771972e+01, -1.328068155288572e+01};
  static const double c[] = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                             -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00};
  static const double e[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                             3.754408661907416e+00};
  double x;
  if (q < 0.02425 || q > 1 - 0.02425) {
    double s = sqrt(-2 * log(q < 0.5 ? q : 1 - q));
    x = (((((c[0] * s + c[1]) * s + c[2]) * s + c[3]) * s + c[4]) * s + c[5]) /
        ((((e[0] * s + e[1]) * s + e[2]) * s + e[3]) * s + 1);
    if (q > 0.5) x = -x;
  } else {
    double s = q - 0.5, r = s * s;
    x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * s /
        (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
  }
  const double sqrt_2pi = 2.5066282746310002;
  double err = 0.5 * erfc(-x / sqrt(2)) - q, u = err * sqrt_2pi * exp(x * x / 2);
  return x - u / (1 + x * u / 2);
}

/* Regularized lower incomplete gamma P(k, x): power series below k+1, Lentz's continued
** fraction for the upper function above (Numerical Recipes 6.2). */
static double gamma_p(double k, double x) {
  if (x <= 0) return 0;
  double front = exp(k * log(x) - x - lgamma(k));
  if (x < k + 1) {
    double term = 1 / k, sum = term;
    for (int n = 1; n < 10000 && fabs(term) > fabs(sum) * 1e-16; n++) {
      term *= x / (k + n);
      sum += term;
    }
    return fmin(1, sum * front);
  }
  const double tiny = 1e-300;
  double b = x + 1 - k, c = 1 / tiny, dd = 1 / b, h = dd;
  for (int n = 1; n < 10000; n++) {
    double an = -n * (n - k);
    b += 2;
    dd = an * dd + b;
    if (fabs(dd) < tiny) dd = tiny;
    c = b + an / c;
    if (fabs(c) < tiny) c = tiny;
    dd = 1 / dd;
    double delta = dd * c;
    h *= delta;
    if (fabs(delta - 1) < 1e-16) break;
  }
  return fmax(0, 1 - front * h);
}

/* Bisection on P(k, x) = q, to relative width 1e-13. */
static double gamma_quantile(double k, double q) {
  double lo = 0, hi = k > 1 ? k : 1;
  for (int i = 0; i < 2100 && gamma_p(k, hi) < q; i++) lo = hi, hi *= 2;
  for (int i = 0; i < 2100 && hi - lo > 1e-13 * hi; i++) {
    double mid = lo + (hi - lo) / 2;
    if (gamma_p(k, mid) < q) lo = mid;
    else hi = mid;
  }
  return lo + (hi - lo) / 2;
}

/* --- queries ------------------------------------------------------------------------------ */

/* Seconds to nanoseconds, rounded, clamped to [0, FL_TIME_MAX] (NaN gives 0). */
static fl_time_t to_ns(double s) {
  if (!(s > 0)) return 0;
  if (s >= 9.2e9) return FL_TIME_MAX;
  return fl_sec_to_time(s);
}

fl_time_t fl_dist_sample(const fl_dist_t *d, fl_rng_t *r) {
  switch (d->kind) {
  case FL_DIST_CONST: return to_ns(d->a);
  case FL_DIST_EXP: return to_ns(d->a * fl_rng_exp(r));
  case FL_DIST_LOGNORMAL: return to_ns(exp(d->a + d->b * fl_rng_normal(r)));
  case FL_DIST_GAMMA: return to_ns(d->b * fl_rng_gamma(r, d->a));
  case FL_DIST_UNIFORM: return to_ns(d->a + (d->b - d->a) * fl_rng_uniform(r));
  case FL_DIST_PERCENTILES: return to_ns(pct_quantile(d, fl_rng_uniform(r)));
  }
  FL_ASSERT(!"unknown distribution kind");
  return 0;
}

double fl_dist_mean(const fl_dist_t *d) {
  switch (d->kind) {
  case FL_DIST_CONST:
  case FL_DIST_EXP: return d->a;
  case FL_DIST_LOGNORMAL: return exp(d->a + d->b * d->b / 2);
  case FL_DIST_GAMMA: return d->a * d->b;
  case FL_DIST_UNIFORM: return (d->a + d->b) / 2;
  case FL_DIST_PERCENTILES: return pct_moment(d, 1);
  }
  FL_ASSERT(!"unknown distribution kind");
  return 0;
}

double fl_dist_quantile(const fl_dist_t *d, double q) {
  FL_ASSERT(q > 0 && q < 1);
  switch (d->kind) {
  case FL_DIST_CONST: return d->a;
  case FL_DIST_EXP: return -d->a * log1p(-q);
  case FL_DIST_LOGNORMAL: return exp(d->a + d->b * norm_quantile(q));
  case FL_DIST_GAMMA: return d->b * gamma_quantile(d->a, q);
  case FL_DIST_UNIFORM: return d->a + (d->b - d->a) * q;
  case FL_DIST_PERCENTILES: return pct_quantile(d, q);
  }
  FL_ASSERT(!"unknown distribution kind");
  return 0;
}

double fl_dist_scv(const fl_dist_t *d) {
  switch (d->kind) {
  case FL_DIST_CONST: return 0;
  case FL_DIST_EXP: return 1;
  case FL_DIST_LOGNORMAL: return expm1(d->b * d->b);
  case FL_DIST_GAMMA: return 1 / d->a;
  case FL_DIST_UNIFORM: {
    double m = (d->a + d->b) / 2, w = d->b - d->a;
    return m > 0 ? w * w / 12 / (m * m) : 0;
  }
  case FL_DIST_PERCENTILES: {
    double m1 = pct_moment(d, 1), m2 = pct_moment(d, 2);
    return m1 > 0 ? fmax(0, m2 / (m1 * m1) - 1) : 0;
  }
  }
  FL_ASSERT(!"unknown distribution kind");
  return 0;
}

/* --- text --------------------------------------------------------------------------------- */

/* "2ms", "1.5s", "250us", "40ns": four significant digits in the largest unit <= the value. */
static void fmt_secs(char *buf, size_t n, double s) {
  static const struct { double scale; const char *unit; } units[] = {
    {1, "s"}, {1e-3, "ms"}, {1e-6, "us"}, {1e-9, "ns"}};
  int i = 0;
  while (i < 3 && fabs(s) < units[i].scale * 0.99995) i++;
  if (s == 0) i = 0;
  snprintf(buf, n, "%.4g%s", s / units[i].scale, units[i].unit);
}

/* Appends to buf[0..n) at *len, truncating; buf stays NUL-terminated when n > 0. */
static void put(char *buf, size_t n, size_t *len, const char *fmt, ...) {
  if (*len >= n) return;
  va_list ap;
  va_start(ap, fmt);
  int k = vsnprintf(buf + *len, n - *len, fmt, ap);
  va_end(ap);
  if (k > 0) *len += (size_t)k;
}

void fl_dist_format(const fl_dist_t *d, char *buf, size_t n) {
  char x[32], y[32];
  size_t len = 0;
  if (n == 0) return;
  buf[0] = '\0';
  switch (d->kind) {
  case FL_DIST_CONST:
    fmt_secs(x, sizeof x, d->a);
    put(buf, n, &len, "const(%s)", x);
    break;
  case FL_DIST_EXP:
    fmt_secs(x, sizeof x, d->a);
    put(buf, n, &len, "exp(mean=%s)", x);
    break;
  case FL_DIST_LOGNORMAL:
    fmt_secs(x, sizeof x, exp(d->a));
    fmt_secs(y, sizeof y, exp(d->a + Z99 * d->b));
    put(buf, n, &len, "lognormal(median=%s, p99=%s)", x, y);
    break;
  case FL_DIST_GAMMA:
    fmt_secs(x, sizeof x, d->a * d->b);
    put(buf, n, &len, "gamma(mean=%s, cv=%.4g)", x, 1 / sqrt(d->a));
    break;
  case FL_DIST_UNIFORM:
    fmt_secs(x, sizeof x, d->a);
    fmt_secs(y, sizeof y, d->b);
    put(buf, n, &len, "uniform(%s, %s)", x, y);
    break;
  case FL_DIST_PERCENTILES:
    put(buf, n, &len, "percentiles(");
    for (int i = 0; i < d->npoints; i++) {
      fmt_secs(x, sizeof x, d->v[i]);
      put(buf, n, &len, "%sp%.4g=%s", i ? ", " : "", d->p[i] * 100, x);
    }
    put(buf, n, &len, ")");
    break;
  }
}
