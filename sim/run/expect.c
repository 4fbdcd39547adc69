/* Expectations: once the run is over, each expectation's scope (its windows' counts and
** latency) against its thresholds, and no_cascade_from against the attributed health changes;
** during the run, the counts of the requests an expectation's where = { ... } selects. */
#include "run_int.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static bool compare(const char *op, double observed, double wanted) {
  const double eps = 1e-12;
  if (strcmp(op, ">=") == 0) return observed >= wanted - eps;
  if (strcmp(op, ">") == 0) return observed > wanted;
  if (strcmp(op, "<=") == 0) return observed <= wanted + eps;
  if (strcmp(op, "<") == 0) return observed < wanted;
  return fabs(observed - wanted) <= eps;
}

/* Is change 'i' part of a cascade rooted at service 'root' (its own change or a fault on it)? */
static bool descends_from(const fl_sim_t *s, int i, int root) {
  for (int guard = 0; i >= 0 && guard < s->nchanges; guard++) {
    const fl_change_t *c = &s->changes[i];
    if (c->service == root) return true;
    if (c->fault >= 0 && s->m->faults[c->fault].target->id == root) return true;
    i = c->parent;
  }
  return false;
}

static bool calls_service(const fl_service_t *caller, const fl_service_t *callee) {
  for (int k = 0; k < caller->nendpoints; k++)
    for (int c = 0; c < caller->endpoints[k].ncalls; c++)
      if (caller->endpoints[k].calls[c].target->service == callee) return true;
  return false;
}

/* The thresholds of an expectation with a subject, over its scope. */
static void check_scope(const fl_expect_t *ex, fl_exp_rt_t *er) {
  const fl_counts_t *c = &er->acc.c;
  uint64_t done = c->successes + c->degraded + c->failures;
  er->success_rate = done ? (double)(c->successes + c->degraded) / (double)done : 1;
  er->p99 = fl_time_to_sec(fl_hist_quantile(er->acc.h, 0.99));
  er->p50 = fl_time_to_sec(fl_hist_quantile(er->acc.h, 0.50));
  if (!er->windows) { er->passed = false; snprintf(er->detail, sizeof er->detail, "no window of the run fell in its 'during'"); }
  /* nothing observed is no evidence either way: the check cannot hold (reports say n/a) */
  else if (((ex->has_p99 || ex->has_p50) && er->acc.h->count == 0) || (ex->has_success && !done)) {
    er->passed = false;
    snprintf(er->detail, sizeof er->detail, "no request was answered in its 'during' (%llu arrived)", (unsigned long long)c->arrivals);
    return;
  }
  if (ex->has_success && !compare(ex->success_op, er->success_rate, ex->success_rate)) er->passed = false;
  if (ex->has_p99 && !compare(ex->p99_op, er->p99, ex->p99)) er->passed = false;
  if (ex->has_p50 && !compare(ex->p50_op, er->p50, ex->p50)) er->passed = false;
  for (int k = 0; k < ex->nmore; k++) {
    const fl_xcheck_t *xc = &ex->more[k];
    bool seen = true;
    double v = 0;
    switch (xc->measure) {
    case FL_EXM_ERROR_RATE: seen = done > 0; v = done ? (double)c->failures / (double)done : 0; break;
    case FL_EXM_P90: case FL_EXM_P95: case FL_EXM_P999: {
      double q = xc->measure == FL_EXM_P90 ? 0.90 : xc->measure == FL_EXM_P95 ? 0.95 : 0.999;
      seen = er->acc.h->count > 0; v = fl_time_to_sec(fl_hist_quantile(er->acc.h, q)); break;
    }
    case FL_EXM_MEAN: seen = er->acc.h->count > 0; v = seen ? fl_time_to_sec((fl_time_t)fl_hist_mean(er->acc.h)) : 0; break;
    case FL_EXM_THROUGHPUT: seen = er->secs > 0; v = seen ? (double)(c->successes + c->degraded) / er->secs : 0; break;
    case FL_EXM_UTILIZATION: seen = er->util_n > 0; v = seen ? er->util_sum / er->util_n : 0; break;
    case FL_EXM_LAG: v = er->lag_max; break;
    case FL_EXM_AGE: v = er->age_max; break;
    default: seen = false; break;
    }
    er->more[xc->measure] = v; er->seen[xc->measure] = seen;
    if (!seen) {
      er->passed = false;
      if (!er->detail[0]) snprintf(er->detail, sizeof er->detail, "no request was answered in its 'during' (%llu arrived)", (unsigned long long)c->arrivals);
    } else if (!compare(xc->op, v, xc->value)) er->passed = false;
  }
}

/* no_cascade_from: no service that does not call 'root' went bad in a cascade rooted there. */
static void check_no_cascade(const fl_sim_t *s, const fl_service_t *root, fl_exp_rt_t *er) {
  /* direct callers of 'root' may change state (they are expected to feel it); services further up may not */
  for (int i = 0; i < s->nchanges; i++) {
    const fl_change_t *c = &s->changes[i];
    if (c->to == FL_HEALTH_OK || c->service < 0 || c->service == root->id) continue;
    if (!descends_from(s, i, root->id)) continue;
    const fl_service_t *svc = &s->m->services[c->service];
    if (calls_service(svc, root)) continue;
    er->passed = false;
    snprintf(er->detail, sizeof er->detail, "%s (not a direct caller of %s) went %s at t=%.0fs (%s)", svc->name, root->name,
             fl_health_name(c->to), fl_time_to_sec(c->t), c->reason);
    return;
  }
}

void fl__expect_where(fl_sim_t *s, int journey, const fl_endpoint_t *ep, const uint32_t *attr, int what, fl_cause_t cause,
                      fl_time_t latency) {
  const fl_model_t *m = s->m;
  for (int x = 0; x < m->nexpects; x++) {
    const fl_expect_t *ex = &m->expects[x];
    if (!ex->nwhere) continue;
    if (ep ? !(ex->endpoint == ep || ex->service == ep->service) : (ex->endpoint || ex->service || ex->journey != journey)) continue;
    if (!fl__attrs_match(attr, ex->where, ex->nwhere)) continue;
    fl_exp_rt_t *er = &s->exp[x];
    switch (what) {
    case FL_EXPECT_ARRIVED: er->wwin.arrivals++; break;
    case FL_EXPECT_ANSWERED: fl_hist_add(er->whist, latency); break;
    case FL_OUT_SUCCESS: er->wwin.successes++; break;
    case FL_OUT_DEGRADED: er->wwin.degraded++; break;
    default: er->wwin.failures++; er->wwin.cause[cause]++; break;
    }
  }
}

int fl_sim_check_expectations(fl_sim_t *s) {
  const fl_model_t *m = s->m;
  int failed = 0;
  for (int x = 0; x < m->nexpects; x++) {
    const fl_expect_t *ex = &m->expects[x];
    fl_exp_rt_t *er = &s->exp[x];
    er->passed = true;
    er->detail[0] = 0;
    if (ex->subject) check_scope(ex, er);
    if (ex->no_cascade) check_no_cascade(s, ex->no_cascade, er);
    if (!er->passed) failed++;
  }
  return failed;
}
