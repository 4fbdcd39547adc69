/* Rate profiles: a traffic profile's rate at a time, and its upper bound over an interval
** (constant, surge, piecewise and traces, flash crowds, diurnal cycles, sums and products). */
#include "faultline/model.h"

#include <math.h>

/* A surge is the piecewise-linear profile base -> (start) ramp up -> hold at peak -> decay -> base. */
static int surge_points(const fl_profile_t *p, double t[5], double r[5]) {
  t[0] = 0;                                   r[0] = p->base;
  t[1] = p->start;                            r[1] = p->base;
  t[2] = p->start + p->ramp;                  r[2] = p->peak;
  t[3] = p->start + p->ramp + p->hold;        r[3] = p->peak;
  t[4] = t[3] + p->decay;                     r[4] = p->base;
  return 5;
}

/* The segment holding x: the last knot at or before it (binary search: traces have many rows). */
static int seg(int n, const double *t, double x) {
  int lo = 0, hi = n - 1;
  while (lo < hi) {
    int mid = lo + (hi - lo + 1) / 2;
    if (t[mid] <= x) lo = mid; else hi = mid - 1;
  }
  return lo;
}

static double linear_rate(int n, const double *t, const double *r, double x) {
  if (x <= t[0]) return r[0];
  if (x >= t[n - 1]) return r[n - 1];
  int i = seg(n, t, x);
  double span = t[i + 1] - t[i];
  return span > 0 ? r[i] + (r[i + 1] - r[i]) * (x - t[i]) / span : r[i + 1];
}

static double linear_max(int n, const double *t, const double *r, double t0, double t1) {
  double m = linear_rate(n, t, r, t0), e = linear_rate(n, t, r, t1);
  if (e > m) m = e;
  for (int i = t0 > t[0] ? seg(n, t, t0) : 0; i < n && t[i] < t1; i++)
    if (t[i] > t0 && r[i] > m) m = r[i];
  return m;
}

static int flash_points(const fl_profile_t *p, double t[4], double r[4]) {
  double base = p->base > 0 ? p->base : 1;
  t[0] = p->at;                          r[0] = base;
  t[1] = p->at + p->rise;                r[1] = base * p->factor;
  t[2] = t[1] + p->hold;                 r[2] = base * p->factor;
  t[3] = t[2] + p->decay;                r[3] = base;
  return 4;
}

double fl_profile_rate(const fl_profile_t *p, double t) {
  double st[5], sr[5], v;
  switch (p->kind) {
  case FL_PROFILE_CONST: return p->value;
  case FL_PROFILE_SURGE: return linear_rate(surge_points(p, st, sr), st, sr, t);
  case FL_PROFILE_PIECEWISE: return linear_rate(p->npoints, p->pt, p->pr, t);
  case FL_PROFILE_FLASH: return linear_rate(flash_points(p, st, sr), st, sr, t);
  case FL_PROFILE_DIURNAL:
    v = p->mean * (1 + p->amplitude * cos(6.283185307179586 * (t - p->peak_at) / p->period));
    return v > 0 ? v : 0;
  case FL_PROFILE_SUM: return fl_profile_rate(p->a, t) + fl_profile_rate(p->b, t);
  case FL_PROFILE_PRODUCT: return fl_profile_rate(p->a, t) * fl_profile_rate(p->b, t);
  case FL_PROFILE_REPLAY: return 0;
  }
  return 0;
}

double fl_profile_max(const fl_profile_t *p, double t0, double t1) {
  double st[5], sr[5];
  switch (p->kind) {
  case FL_PROFILE_CONST: return p->value;
  case FL_PROFILE_SURGE: return linear_max(surge_points(p, st, sr), st, sr, t0, t1);
  case FL_PROFILE_PIECEWISE: return linear_max(p->npoints, p->pt, p->pr, t0, t1);
  case FL_PROFILE_FLASH: return linear_max(flash_points(p, st, sr), st, sr, t0, t1);
  case FL_PROFILE_DIURNAL: {
    /* the cosine's largest value on [t0, t1]: at an end, or at a peak inside */
    double m = fl_profile_rate(p, t0), e = fl_profile_rate(p, t1);
    if (e > m) m = e;
    double k = ceil((t0 - p->peak_at) / p->period);
    if (p->peak_at + k * p->period <= t1) m = p->mean * (1 + p->amplitude);
    return m;
  }
  case FL_PROFILE_SUM: return fl_profile_max(p->a, t0, t1) + fl_profile_max(p->b, t0, t1);
  case FL_PROFILE_PRODUCT: return fl_profile_max(p->a, t0, t1) * fl_profile_max(p->b, t0, t1);
  case FL_PROFILE_REPLAY: return 0;
  }
  return 0;
}
