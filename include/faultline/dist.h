/* Distributions of durations (work times, fallback latencies): const, exp, lognormal, gamma,
** uniform, percentiles. Parameters are in seconds; samples are fl_time_t nanoseconds. */
#ifndef FAULTLINE_DIST_H
#define FAULTLINE_DIST_H

#include "rng.h"

typedef enum {
  FL_DIST_CONST, FL_DIST_EXP, FL_DIST_LOGNORMAL, FL_DIST_GAMMA, FL_DIST_UNIFORM, FL_DIST_PERCENTILES
} fl_dist_kind_t;

#define FL_DIST_MAX_POINTS 16

typedef struct fl_dist {
  fl_dist_kind_t kind;
  double a, b;            /* const: a=value; exp: a=mean; lognormal: a=mu, b=sigma (of ln seconds);
                             gamma: a=shape k, b=scale theta; uniform: a=lo, b=hi */
  int npoints;            /* percentiles: sorted (p, value) knots, p in (0,1), value in seconds */
  double p[FL_DIST_MAX_POINTS], v[FL_DIST_MAX_POINTS];
} fl_dist_t;

/* Constructors validate and fill 'd'. Return 0 or -FL_ERANGE (with a reason in 'why'
** when 'why' is not NULL: a static string such as "p99 must be greater than median"). */
int fl_dist_const(fl_dist_t *d, double value, const char **why);
int fl_dist_exp(fl_dist_t *d, double mean, const char **why);
int fl_dist_lognormal_median_p99(fl_dist_t *d, double median, double p99, const char **why);
int fl_dist_lognormal_mean_cv(fl_dist_t *d, double mean, double cv, const char **why);
int fl_dist_gamma_mean_cv(fl_dist_t *d, double mean, double cv, const char **why);
int fl_dist_uniform(fl_dist_t *d, double lo, double hi, const char **why);
/* 'p' in (0,1) strictly increasing, 'v' seconds non-decreasing, n in [1, FL_DIST_MAX_POINTS].
** Sampling interpolates the quantile function linearly between knots; below the first knot
** it interpolates from 0 at p=0, above the last it extends the last segment's slope in log
** space up to p=1 (capped at 10x the last value). */
int fl_dist_percentiles(fl_dist_t *d, int n, const double *p, const double *v, const char **why);

/* One sample, nanoseconds, >= 0. */
fl_time_t fl_dist_sample(const fl_dist_t *d, fl_rng_t *r);
/* Mean in seconds (exact for every kind; percentiles: of the interpolated quantile function). */
double fl_dist_mean(const fl_dist_t *d);
/* Quantile q in (0,1), seconds (exact where closed form exists; gamma: numeric inversion). */
double fl_dist_quantile(const fl_dist_t *d, double q);
/* Squared coefficient of variation Var/mean^2 (for Pollaczek-Khinchine). */
double fl_dist_scv(const fl_dist_t *d);
/* Human text: "exp(mean=3ms)". Writes at most n bytes. */
void fl_dist_format(const fl_dist_t *d, char *buf, size_t n);

#endif
