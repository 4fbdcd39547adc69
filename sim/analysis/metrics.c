/* Derived metrics of a run: success ratio, throughput, shares of outcomes, utilisation and its
** peak, time averages, instance range, breaker open time. Computed here once; every printer
** (JSON, terminal, HTML, CSV) and every batch (sweep, size) reads them. */
#include "faultline/analysis.h"

#include <stdlib.h>

double fl_metrics_success_ratio(const fl_counts_t *c) {
  uint64_t done = c->successes + c->degraded + c->failures;
  return done ? (double)(c->successes + c->degraded) / (double)done : 1;
}

fl_rates_t fl_metrics_rates(const fl_counts_t *c, double secs) {
  fl_rates_t o;
  uint64_t done = c->successes + c->degraded + c->failures;
  o.answered = done;
  o.success_ratio = fl_metrics_success_ratio(c);
  o.ok_ratio = done ? (double)c->successes / (double)done : 1;
  o.degraded_ratio = done ? (double)c->degraded / (double)done : 0;
  o.failure_ratio = done ? (double)c->failures / (double)done : 0;
  o.throughput = secs > 0 ? (double)(c->successes + c->degraded) / secs : 0;
  return o;
}

double fl_metrics_utilization(const fl_sim_t *s, int i) {
  const fl_svc_rt_t *r = &s->svc[i];
  return r->t_workers > 0 ? r->t_busy / r->t_workers : 0;
}

double fl_metrics_peak_utilization(const fl_sim_t *s, int i) {
  const fl_svc_rt_t *r = &s->svc[i];   /* kept per window as the run went (window.c): after warm-up, else every window */
  uint32_t w0 = s->window > 0 ? (uint32_t)(s->warmup / s->window) : 0;
  double peak = w0 < s->wdone ? r->peak_util : r->peak_util_all;
  return peak > 1 ? 1 : peak;
}

/* Breaker open time of call site 'id': closed spells summed by the run, plus those open now. */
static double breaker_open(const fl_sim_t *s, int id) {
  const fl_call_rt_t *cr = &s->call[id];
  fl_time_t open = cr->open_ns;
  if (cr->br)
    for (int k = 0; k < cr->ncaller; k++)
      if (cr->br[k].state == FL_BREAKER_OPEN) open += s->eng.now - cr->br[k].opened;
  return fl_time_to_sec(open);
}

void fl_metrics_init(fl_metrics_t *x, const fl_sim_t *s) {
  const fl_model_t *m = s->m;
  double secs = fl_sim_measured_seconds(s), ns = secs * 1e9;
  x->measured = secs;
  x->nservices = m->nservices;
  x->njourneys = m->njourneys;
  x->ncalls = s->ncalls;
  x->svc = fl_xcalloc((size_t)(m->nservices ? m->nservices : 1), sizeof *x->svc);
  x->jrn = fl_xcalloc((size_t)(m->njourneys ? m->njourneys : 1), sizeof *x->jrn);
  x->breaker_open = fl_xcalloc((size_t)(s->ncalls ? s->ncalls : 1), sizeof *x->breaker_open);
  for (int i = 0; i < m->nservices; i++) {
    const fl_svc_rt_t *r = &s->svc[i];
    fl_service_metrics_t *v = &x->svc[i];
    v->out = fl_metrics_rates(&r->st.total, secs);
    v->utilization = fl_metrics_utilization(s, i);
    v->peak_utilization = fl_metrics_peak_utilization(s, i);
    v->busy_workers = ns > 0 ? r->t_busy / ns : 0;
    v->inflight = ns > 0 ? r->t_inflight / ns : 0;
    v->queue_mean = ns > 0 ? r->t_queue / ns : 0;
    v->instances_min = r->inst_min == INT32_MAX ? r->nup : r->inst_min;
    v->instances_max = r->inst_min == INT32_MAX ? r->nup : r->inst_max;
  }
  for (int j = 0; j < m->njourneys; j++) x->jrn[j] = fl_metrics_rates(&s->jrn[j].st.total, secs);
  for (int id = 0; id < s->ncalls; id++) x->breaker_open[id] = breaker_open(s, id);
}

void fl_metrics_release(fl_metrics_t *x) {
  free(x->svc);
  free(x->jrn);
  free(x->breaker_open);
  *x = (fl_metrics_t){ 0 };
}
