/* What one run of a batch yields: the layout of its value vector (per journey success ratio, p99
** and mean latency; per service peak and mean utilisation; per expectation held and what it
** observed inside its own `during`; all held; the resolutions and thresholds those carry), the
** summary of one value over replications, and that vector taken from one replication, loaded,
** run and checked through fl_run_t. */
#include "faultline/analysis.h"
#include "faultline/run.h"
#include "faultline/sweep.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const journey_metrics[FL_JM__COUNT] = { "success_ratio", "p99", "latency_mean" };
static const char *const expect_metrics[FL_XM_MORE] = { "held", "success_rate", "p99", "p50" };
static const char *const service_metrics[FL_SM__COUNT] = { "peak_utilization", "utilization" };

const char *fl_journey_metric_name(int k) { return k >= 0 && k < FL_JM__COUNT ? journey_metrics[k] : "?"; }
const char *fl_service_metric_name(int k) { return k >= 0 && k < FL_SM__COUNT ? service_metrics[k] : "?"; }
const char *fl_expect_metric_name(int k) {
  if (k >= FL_XM_MORE && k < FL_XM__COUNT) return fl_xmeasure_name((fl_xmeasure_t)(k - FL_XM_MORE));
  return k >= 0 && k < FL_XM_MORE ? expect_metrics[k] : "?";
}

fl_xunit_t fl_expect_metric_unit(int k) {
  switch (k) {
  case FL_XM_HELD: case FL_XM_SUCCESS: case FL_XM_MORE + FL_EXM_ERROR_RATE: case FL_XM_MORE + FL_EXM_UTILIZATION: return FL_XU_SHARE;
  case FL_XM_MORE + FL_EXM_THROUGHPUT: return FL_XU_RATE;
  case FL_XM_MORE + FL_EXM_LAG: return FL_XU_MESSAGES;
  default: return FL_XU_SECONDS;
  }
}

/* The quantile behind expectation metric k (its resolution is the histogram bucket's), or -1. */
static double metric_quantile(int k) {
  switch (k) {
  case FL_XM_P99: return 0.99;
  case FL_XM_P50: return 0.50;
  case FL_XM_MORE + FL_EXM_P90: return 0.90;
  case FL_XM_MORE + FL_EXM_P95: return 0.95;
  case FL_XM_MORE + FL_EXM_P999: return 0.999;
  default: return -1;
  }
}

static void layout_size(fl_layout_t *l, int nj, int ns, int nx) {
  l->njourneys = nj; l->nservices = ns; l->nexpects = nx;
  l->journeys = fl_xcalloc((size_t)nj + 1, sizeof *l->journeys);
  l->services = fl_xcalloc((size_t)ns + 1, sizeof *l->services);
  l->expects = fl_xcalloc((size_t)nx + 1, sizeof *l->expects);
  l->nvalues = fl_layout_all_held(l) + 1;
}

void fl_layout_init(fl_layout_t *l, const fl_model_t *m) {
  layout_size(l, m->njourneys, m->nservices, m->nexpects);
  for (int j = 0; j < m->njourneys; j++) l->journeys[j] = fl_xstrdup(m->journeys[j].name);
  for (int i = 0; i < m->nservices; i++) l->services[i] = fl_xstrdup(m->services[i].name);
  for (int x = 0; x < m->nexpects; x++) l->expects[x] = fl_xstrdup(m->expects[x].name);
}

void fl_layout_release(fl_layout_t *l) {
  for (int j = 0; l->journeys && j < l->njourneys; j++) free(l->journeys[j]);
  for (int i = 0; l->services && i < l->nservices; i++) free(l->services[i]);
  for (int x = 0; l->expects && x < l->nexpects; x++) free(l->expects[x]);
  free(l->journeys); free(l->services); free(l->expects);
  memset(l, 0, sizeof *l);
}

bool fl_layout_matches(const fl_layout_t *l, const fl_model_t *m) {
  if (l->njourneys != m->njourneys || l->nservices != m->nservices || l->nexpects != m->nexpects) return false;
  for (int j = 0; j < m->njourneys; j++) if (strcmp(l->journeys[j], m->journeys[j].name) != 0) return false;
  for (int i = 0; i < m->nservices; i++) if (strcmp(l->services[i], m->services[i].name) != 0) return false;
  for (int x = 0; x < m->nexpects; x++) if (strcmp(l->expects[x], m->expects[x].name) != 0) return false;
  return true;
}

/* ---- what a value is, and its summary ------------------------------------------------------ */

int fl_layout_res_of(const fl_layout_t *l, int v) {
  int js = l->njourneys * 2 * FL_JM__COUNT, xs = fl_layout_expect(l, 0);
  if (v >= 0 && v < js) {
    int j = v / (2 * FL_JM__COUNT), r = v % (2 * FL_JM__COUNT);
    return r < FL_JM__COUNT ? fl_layout_journey_part(l, j, r, FL_PART_RES) : -1;
  }
  if (v >= xs && v < fl_layout_all_held(l)) {
    int x = (v - xs) / (3 * FL_XM__COUNT), r = (v - xs) % (3 * FL_XM__COUNT);
    return r < FL_XM__COUNT && r != FL_XM_HELD ? fl_layout_expect_part(l, x, r, FL_PART_RES) : -1;
  }
  return -1;
}

bool fl_layout_is_share(const fl_layout_t *l, int v) {
  int xs = fl_layout_expect(l, 0);
  if (v == fl_layout_all_held(l)) return true;
  return v >= xs && v < fl_layout_all_held(l) && (v - xs) % (3 * FL_XM__COUNT) == FL_XM_HELD;
}

void fl_layout_summary(const fl_layout_t *l, int v, const double *rows, size_t stride, const int *which, int n,
                       double level, fl_ci_t *out) {
  double *x = fl_xcalloc((size_t)n + 1, sizeof *x), res = 0;
  int rv = fl_layout_res_of(l, v);
  for (int i = 0; i < n; i++) {
    const double *row = rows + (size_t)(which ? which[i] : i) * stride;
    x[i] = row[v];
    if (rv >= 0 && row[rv] > res) res = row[rv];
  }
  if (fl_layout_is_share(l, v)) {
    int k = 0;
    for (int i = 0; i < n; i++) k += x[i] > 0.5;
    fl_ci_binomial(out, k, n, level);
  } else {
    fl_ci_of(out, x, n, 1, level);
    if (res > 0) fl_ci_widen(out, res);
  }
  free(x);
}

/* ---- one replication ---------------------------------------------------------------------- */

/* The width (s) of the histogram bucket that quantile q (ns) was read from: what the quantile is
** known to. 0 for an empty histogram. */
static double quantile_resolution(const fl_hist_t *h, int64_t q) {
  if (!h || h->count == 0) return 0;
  int64_t lo, hi;
  fl_hist_bucket_range(fl_hist_bucket(q), &lo, &hi);
  return fl_time_to_sec(hi - lo + 1);
}

/* Expectation x's values: held, what it observed inside its `during` (NaN for what it does not
** check), their resolutions and thresholds. */
static void expect_values(const fl_sim_t *s, const fl_layout_t *l, int x, double *out) {
  const fl_expect_t *ex = &s->m->expects[x];
  const fl_exp_rt_t *er = &s->exp[x];
  bool has[FL_XM__COUNT] = { true, ex->subject && ex->has_success, ex->subject && ex->has_p99, ex->subject && ex->has_p50 };
  double val[FL_XM__COUNT] = { er->passed ? 1 : 0, er->success_rate, er->p99, er->p50 };
  double want[FL_XM__COUNT] = { NAN, ex->success_rate, ex->p99, ex->p50 };
  for (int k = 0; k < ex->nmore; k++) {   /* the other measures it checks: NaN when nothing was observed */
    int q = FL_XM_MORE + (int)ex->more[k].measure;
    has[q] = ex->subject != NULL;
    val[q] = er->seen[ex->more[k].measure] ? er->more[ex->more[k].measure] : NAN;
    want[q] = ex->more[k].value;
  }
  for (int k = 0; k < FL_XM__COUNT; k++) {
    double res = 0, qk = metric_quantile(k);
    if (has[k] && qk >= 0 && er->windows && er->acc.h)
      res = quantile_resolution(er->acc.h, fl_hist_quantile(er->acc.h, qk));
    out[fl_layout_expect_part(l, x, k, FL_PART_VALUE)] = has[k] ? val[k] : NAN;
    out[fl_layout_expect_part(l, x, k, FL_PART_RES)] = has[k] ? res : NAN;
    out[fl_layout_expect_part(l, x, k, FL_PART_WANTED)] = has[k] && k != FL_XM_HELD ? want[k] : NAN;
  }
}

static void on_window_ctl(fl_sim_t *s, uint32_t w, void *user) {
  fl_run_ctl_t *ctl = user;
  (void)w;
  atomic_store(&ctl->permille, s->end > 0 ? (unsigned)(1000.0 * (double)s->eng.now / (double)s->end) : 1000u);
  if (ctl->stop && atomic_load(ctl->stop)) s->stop = 1;
}


int fl_run_values(const char *path, const fl_load_opts_t *opts, const fl_layout_t *l, double *out,
                  fl_run_ctl_t *ctl, char *err, size_t errlen) {
  fl_run_t r;
  int rc = fl_run_load(&r, path, opts, err, errlen);
  if (rc) return rc;
  const fl_model_t *m = r.m;
  if (!fl_layout_matches(l, m)) {
    snprintf(err, errlen, "%s: with %s%s the journeys, services or expectations differ from the first run's",
             path, opts->nsets ? "--set " : "these settings", opts->nsets ? opts->sets[0] : "");
    fl_run_release(&r);
    return -FL_EINVAL;
  }
  if (ctl) { r.s.on_window = on_window_ctl; r.s.on_window_user = ctl; }
  rc = fl_run_all(&r);
  if (rc < 0) {   /* a hook failed: a scenario error, whichever run it happened in */
    snprintf(err, errlen, "%s (seed %llu%s%s)", r.s.error, (unsigned long long)m->seed, opts->nsets ? ", --set " : "",
             opts->nsets ? opts->sets[0] : "");
    fl_run_release(&r);
    return -FL_ESCENARIO;
  }
  if (rc == 1) { fl_run_release(&r); return 1; }
  int failed = fl_run_check(&r);
  for (int j = 0; j < m->njourneys; j++) {
    const fl_stats_t *st = &r.s.jrn[j].st;
    const fl_counts_t *c = &st->total;
    out[fl_layout_journey(l, j, FL_JM_SUCCESS)] = fl_metrics_success_ratio(c);
    int64_t p99 = fl_hist_quantile(st->htotal, 0.99);
    out[fl_layout_journey(l, j, FL_JM_P99)] = fl_time_to_sec(p99);
    out[fl_layout_journey(l, j, FL_JM_MEAN)] = fl_hist_mean(st->htotal) / 1e9;
    out[fl_layout_journey_part(l, j, FL_JM_SUCCESS, FL_PART_RES)] = 0;
    out[fl_layout_journey_part(l, j, FL_JM_P99, FL_PART_RES)] = quantile_resolution(st->htotal, p99);
    out[fl_layout_journey_part(l, j, FL_JM_MEAN, FL_PART_RES)] = 0;
  }
  for (int i = 0; i < m->nservices; i++) {
    out[fl_layout_service(l, i, FL_SM_PEAK_UTIL)] = fl_metrics_peak_utilization(&r.s, i);
    out[fl_layout_service(l, i, FL_SM_UTIL)] = fl_metrics_utilization(&r.s, i);
  }
  for (int x = 0; x < m->nexpects; x++) expect_values(&r.s, l, x, out);
  out[fl_layout_all_held(l)] = failed ? 0 : 1;
  if (ctl) ctl->events = r.s.eng.dispatched;
  fl_run_release(&r);
  return 0;
}
