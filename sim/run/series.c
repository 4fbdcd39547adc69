/* The stored series: how much of them a run keeps (fl_sim_plan, within a memory budget), their
** storage, and their consolidation. A run whose series fit is dense: every window is kept, a
** series is indexed by window. A longer one holds its last 'ring' windows at full resolution
** while it runs (health, expectations, hooks and live views read those) and folds older windows,
** in order, into at most 'ncons' entries of 'width' windows each; when the entries are full,
** neighbours merge pairwise and the width doubles, so every entry but the last covers the same
** span. Merging is exact for counts (summed) and the largest value (health, lag, p99 take the
** maximum: the p99 of merged windows is never above the highest of theirs); busy workers,
** queue, instances and utilisation are time-weighted means, p50 the mean weighted by answers. */
#include "run_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The process, Lua, the model: what a small run takes (a one-service run of 2 hours peaks at 12 MB
** resident), the health changes' records at their bound (FL_CHANGES_MAX, 1.9 MB) included. */
#define BASE_BYTES (16.0 * 1024 * 1024)
#define RING_MIN 16u

/* ---- the plan ---- */

/* Distinct services service i calls (its edges). */
static int callees(const fl_model_t *m, int i, int *mark) {
  int n = 0;
  const fl_service_t *svc = &m->services[i];
  for (int k = 0; k < svc->nendpoints; k++)
    for (int c = 0; c < svc->endpoints[k].ncalls; c++) {
      const fl_call_t *call = &svc->endpoints[k].calls[c];
      if (!call->target || !call->target->service) continue;
      int id = call->target->service->id;
      if (mark[id] != i + 1) { mark[id] = i + 1; n++; }
    }
  return n;
}

/* Requests alive per arrival at endpoint 'ep' (request-seconds): its own for its work and its
** calls' time, plus its calls' own, each call weighted by its probability (no queueing). */
static void alive(const fl_endpoint_t *ep, double *t, double *n, double *memo, bool *done) {
  if (done[ep->id]) { *t = memo[2 * ep->id]; *n = memo[2 * ep->id + 1]; return; }
  done[ep->id] = true;   /* the call graph has no cycles (resolve.c) */
  double tt = fl_dist_mean(&ep->work), nn = 0;
  for (int c = 0; c < ep->ncalls; c++) {
    double ct, cn;
    if (!ep->calls[c].target) continue;
    alive(ep->calls[c].target, &ct, &cn, memo, done);
    tt += ep->calls[c].p * ct; nn += ep->calls[c].p * cn;
  }
  memo[2 * ep->id] = tt; memo[2 * ep->id + 1] = nn + tt;
  *t = tt; *n = nn + tt;
}

/* Requests in flight at the peak arrival rate, by Little's law without queueing. */
static double pool_estimate(const fl_model_t *m) {
  size_t ne = m->nendpoints > 0 ? (size_t)m->nendpoints : 1;
  double *memo = calloc(2 * ne, sizeof *memo), peak = fl_profile_max(&m->rate, 0, m->duration), per = 0;
  bool *done = calloc(ne, sizeof *done);
  if (!memo || !done) { free(memo); free(done); return 0; }
  for (int j = 0; j < m->njourneys; j++) {
    double t, n;
    if (!m->journeys[j].entry) continue;
    alive(m->journeys[j].entry, &t, &n, memo, done);
    per += m->journeys[j].share * n;
  }
  free(memo); free(done);
  return isfinite(peak * per) ? peak * per : 0;
}

static uint32_t ring_for(const fl_model_t *m) {
  uint32_t need = (uint32_t)(m->health.confirm > 0 ? m->health.confirm : 2) + 1, r = RING_MIN;
  while (r < need) r <<= 1;
  return r;
}

void fl_sim_plan(const fl_model_t *m, fl_stats_plan_t *p) {
  memset(p, 0, sizeof *p);
  double windows = ceil(m->duration / m->window);
  p->windows = windows < 4294967295.0 ? (uint32_t)windows : UINT32_MAX;
  double hists = 2.0 * (m->nservices + m->njourneys) + m->nexpects + 3.0 * m->nfaults * m->njourneys;
  for (int i = 0; i < m->nservices; i++)
    for (int k = 0; k < m->services[i].nendpoints; k++) hists += m->services[i].endpoints[k].slo > 0;
  p->hist_bytes = hists * (double)sizeof(fl_hist_t);
  p->values = (double)m->nservices * (FL_SER__COUNT + FL_CAUSE__COUNT - 1) + (double)m->njourneys * (FL_SER_JOURNEY_COUNT + FL_CAUSE__COUNT - 1);
  int *mark = calloc(m->nservices > 0 ? (size_t)m->nservices : 1, sizeof *mark);
  for (int i = 0; mark && i < m->nservices; i++) { int c = callees(m, i, mark); p->values += 2.0 * (c ? c : 1); }   /* as allocated */
  free(mark);
  p->pool_bytes = pool_estimate(m) * (double)fl_sim_request_bytes();
  double runs = (double)(m->nservices + m->njourneys) * sizeof(fl_change_run_t);
  p->changes_bytes = (double)FL_CHANGES_MAX * sizeof(fl_change_t) + runs;
  p->base_bytes = BASE_BYTES + runs;   /* the records' bound is within BASE_BYTES */
  p->given = m->memory > 0;
  p->budget = p->given ? m->memory : FL_MEMORY_DEFAULT;
  double per_entry = p->values * sizeof(double), avail = p->budget - p->base_bytes - p->hist_bytes;
  uint32_t ring = ring_for(m);
  p->min_bytes = p->hist_bytes + (double)(FL_SERIES_MIN + ring) * per_entry;
  p->fits = p->min_bytes + p->base_bytes <= p->budget;
  if ((double)p->windows * per_entry <= avail && (p->given || p->windows <= FL_SERIES_DEFAULT)) {
    p->entries = p->windows; p->width = 1; p->ring = 0;
    p->series_bytes = (double)p->windows * per_entry;
    return;
  }
  double fit = per_entry > 0 ? floor(avail / per_entry) - ring : 4294967295.0;
  if (!p->given && fit > FL_SERIES_DEFAULT) fit = FL_SERIES_DEFAULT;
  if (fit > 2147483646.0) fit = 2147483646.0;
  uint32_t n = fit < FL_SERIES_MIN ? FL_SERIES_MIN : (uint32_t)fit & ~1u;
  p->ring = ring; p->entries = n; p->width = 1;
  while ((p->windows + p->width - 1) / p->width > n) p->width <<= 1;
  p->series_bytes = (double)(n + ring) * per_entry;
}

/* ---- storage ---- */

void fl__stats_init(fl_sim_t *s, fl_stats_t *st, int nseries) {
  memset(st, 0, sizeof *st);
  st->nseries = nseries;
  FL_ASSERT(s->hists_used + 2 <= s->nhists);
  st->hwin = &s->hists[s->hists_used++]; fl_hist_init_zeroed(st->hwin);
  st->htotal = &s->hists[s->hists_used++]; fl_hist_init_zeroed(st->htotal);
  size_t n = s->stride ? s->stride : 1, arrays = (size_t)nseries + FL_CAUSE__COUNT - 1;
  for (int k = 0; k < nseries; k++) st->series[k] = fl_xcalloc(n, sizeof(double));
  for (int k = 1; k < FL_CAUSE__COUNT; k++) st->cause_series[k] = fl_xcalloc(n, sizeof(double));
  s->series_alloc += arrays * n * sizeof(double);
  if (!s->ring) return;
  for (int k = 0; k < nseries; k++) st->cons[k] = fl_xcalloc(s->ncons, sizeof(double));
  for (int k = 1; k < FL_CAUSE__COUNT; k++) st->cons_cause[k] = fl_xcalloc(s->ncons, sizeof(double));
  s->series_alloc += arrays * s->ncons * sizeof(double);
}

void fl__stats_release(fl_stats_t *st) {   /* its histograms are the sim's (s->hists) */
  for (int k = 0; k < FL_SER__COUNT; k++) { free(st->series[k]); free(st->cons[k]); }
  for (int k = 0; k < FL_CAUSE__COUNT; k++) { free(st->cause_series[k]); free(st->cons_cause[k]); }
  memset(st, 0, sizeof *st);
}

void fl__series_layout(fl_sim_t *s) {
  fl_stats_plan_t p;
  fl_sim_plan(s->m, &p);
  s->ring = p.ring;
  s->ncons = p.ring ? p.entries : 0;
  s->stride = p.ring ? p.ring : (s->nwindows ? s->nwindows : 1);
  s->width = 1;
}

void fl__edges_init(fl_sim_t *s, fl_svc_rt_t *r) {
  size_t nc = (size_t)(r->ncallees ? r->ncallees : 1);
  r->edge_calls = fl_xcalloc(nc * s->stride, sizeof *r->edge_calls);
  r->edge_fails = fl_xcalloc(nc * s->stride, sizeof *r->edge_fails);
  s->series_alloc += 2 * nc * s->stride * sizeof(double);
  if (!s->ring) return;
  r->cons_calls = fl_xcalloc(nc * s->ncons, sizeof *r->cons_calls);
  r->cons_fails = fl_xcalloc(nc * s->ncons, sizeof *r->cons_fails);
  s->series_alloc += 2 * nc * s->ncons * sizeof(double);
}

size_t fl_sim_series_bytes(const fl_sim_t *s) { return s->series_alloc; }

/* ---- consolidation ---- */

typedef enum { SUM, MEAN, MAX, P50 } merge_t;

static merge_t merge_of(int k) {
  switch (k) {
  case FL_SER_P50: return P50;
  case FL_SER_P99: case FL_SER_HEALTH: case FL_SER_LAG: case FL_SER_LAG_AGE: return MAX;
  case FL_SER_BUSY: case FL_SER_QUEUE: case FL_SER_INSTANCES: case FL_SER_UTILIZATION: return MEAN;
  default: return SUM;
  }
}

/* a (over la ns, ansa answers) merged with b (lb, ansb). */
static double merge(merge_t how, double a, double b, double la, double lb, double ansa, double ansb) {
  switch (how) {
  case SUM: return a + b;
  case MAX: return a > b ? a : b;
  case MEAN: return (a * la + b * lb) / (la + lb);
  default: return ansa + ansb > 0 ? (a * ansa + b * ansb) / (ansa + ansb) : 0;
  }
}

/* Entries i merge pairwise into the first half; every entry is then 'width' whole windows long. */
static void halve_stats(const fl_sim_t *s, fl_stats_t *st) {
  uint32_t half = s->ncons / 2;
  double *ok = st->cons[FL_SER_SUCCESSES], *dg = st->cons[FL_SER_DEGRADED];
  for (uint32_t i = 0; i < half; i++) {
    double aa = ok[2 * i] + dg[2 * i], ab = ok[2 * i + 1] + dg[2 * i + 1];
    for (int k = 0; k < st->nseries; k++)
      st->cons[k][i] = merge(merge_of(k), st->cons[k][2 * i], st->cons[k][2 * i + 1], 1, 1, aa, ab);
    for (int k = 1; k < FL_CAUSE__COUNT; k++) st->cons_cause[k][i] = st->cons_cause[k][2 * i] + st->cons_cause[k][2 * i + 1];
  }
  for (int k = 0; k < st->nseries; k++) memset(st->cons[k] + half, 0, sizeof(double) * half);
  for (int k = 1; k < FL_CAUSE__COUNT; k++) memset(st->cons_cause[k] + half, 0, sizeof(double) * half);
}

static void halve_edges(const fl_sim_t *s, double *v, int ncallees) {
  uint32_t half = s->ncons / 2;
  for (int x = 0; x < ncallees; x++) {
    double *row = v + (size_t)x * s->ncons;
    for (uint32_t i = 0; i < half; i++) row[i] = row[2 * i] + row[2 * i + 1];
    memset(row + half, 0, sizeof(double) * half);
  }
}

static void halve(fl_sim_t *s) {
  for (int i = 0; i < s->m->nservices; i++) {
    halve_stats(s, &s->svc[i].st);
    halve_edges(s, s->svc[i].cons_calls, s->svc[i].ncallees);
    halve_edges(s, s->svc[i].cons_fails, s->svc[i].ncallees);
  }
  for (int j = 0; j < s->m->njourneys; j++) halve_stats(s, &s->jrn[j].st);
  s->width *= 2;
  s->nentries = s->ncons / 2;
}

static void fold_stats(fl_stats_t *st, uint32_t slot, uint32_t e, bool first, double la, double lb) {
  double aa = first ? 0 : st->cons[FL_SER_SUCCESSES][e] + st->cons[FL_SER_DEGRADED][e];
  double ab = st->series[FL_SER_SUCCESSES][slot] + st->series[FL_SER_DEGRADED][slot];
  for (int k = 0; k < st->nseries; k++)
    st->cons[k][e] = first ? st->series[k][slot] : merge(merge_of(k), st->cons[k][e], st->series[k][slot], la, lb, aa, ab);
  for (int k = 1; k < FL_CAUSE__COUNT; k++) st->cons_cause[k][e] = (first ? 0 : st->cons_cause[k][e]) + st->cause_series[k][slot];
}

static void fold_edges(const fl_sim_t *s, double *cons, const double *win, int ncallees, uint32_t slot, uint32_t e, bool first) {
  for (int x = 0; x < ncallees; x++) {
    double *c = &cons[(size_t)x * s->ncons + e];
    *c = (first ? 0 : *c) + win[(size_t)x * s->stride + slot];
  }
}

/* Window v (held in the ring) into the entries. */
static void fold(fl_sim_t *s, uint32_t v) {
  if (v / s->width >= s->ncons) halve(s);
  uint32_t e = v / s->width, slot = fl_sim_slot(s, v);
  bool first = v % s->width == 0;
  fl_time_t w0 = (fl_time_t)v * s->window, w1 = w0 + s->window < s->end ? w0 + s->window : s->end;
  double la = (double)(v - e * s->width) * (double)s->window, lb = (double)(w1 - w0);
  for (int i = 0; i < s->m->nservices; i++) {
    fl_svc_rt_t *r = &s->svc[i];
    fold_stats(&r->st, slot, e, first, la, lb);
    fold_edges(s, r->cons_calls, r->edge_calls, r->ncallees, slot, e, first);
    fold_edges(s, r->cons_fails, r->edge_fails, r->ncallees, slot, e, first);
  }
  for (int j = 0; j < s->m->njourneys; j++) fold_stats(&s->jrn[j].st, slot, e, first, la, lb);
  if (first) s->nentries = e + 1;
}

void fl__series_open(fl_sim_t *s, uint32_t w) {
  while (s->ring && s->folded + s->ring <= w) fold(s, s->folded++);
}

static void swap(double **win, double **cons) { free(*win); *win = *cons; *cons = NULL; }

/* The ring's arrays go: what is left is the entries. */
static size_t ring_bytes(const fl_sim_t *s) {
  size_t arrays = (size_t)s->m->njourneys * (FL_SER_JOURNEY_COUNT + FL_CAUSE__COUNT - 1);
  for (int i = 0; i < s->m->nservices; i++) arrays += FL_SER__COUNT + FL_CAUSE__COUNT - 1 + 2 * (size_t)(s->svc[i].ncallees ? s->svc[i].ncallees : 1);
  return arrays * s->ring * sizeof(double);
}

void fl_sim_finish(fl_sim_t *s) {
  if (s->finished) return;
  s->finished = true;
  for (int i = 0; i < s->m->nservices; i++) fl__stats_flush(s, &s->svc[i].st);   /* a run stopped mid-window */
  if (!s->ring) return;
  while (s->folded < s->wdone) fold(s, s->folded++);
  s->series_alloc -= ring_bytes(s);
  for (int i = 0; i < s->m->nservices; i++) {
    fl_svc_rt_t *r = &s->svc[i];
    for (int k = 0; k < r->st.nseries; k++) swap(&r->st.series[k], &r->st.cons[k]);
    for (int k = 1; k < FL_CAUSE__COUNT; k++) swap(&r->st.cause_series[k], &r->st.cons_cause[k]);
    swap(&r->edge_calls, &r->cons_calls);
    swap(&r->edge_fails, &r->cons_fails);
  }
  for (int j = 0; j < s->m->njourneys; j++) {
    fl_stats_t *st = &s->jrn[j].st;
    for (int k = 0; k < st->nseries; k++) swap(&st->series[k], &st->cons[k]);
    for (int k = 1; k < FL_CAUSE__COUNT; k++) swap(&st->cause_series[k], &st->cons_cause[k]);
  }
  s->stride = s->ncons;
}

/* ---- reading them ---- */

uint32_t fl_sim_entries(const fl_sim_t *s) { return !s->ring ? s->wdone : s->finished ? s->nentries : 0; }

bool fl_sim_consolidated(const fl_sim_t *s) { return s->ring && s->finished && s->width > 1; }

double fl_sim_entry_t(const fl_sim_t *s, uint32_t e) {
  uint32_t wd = s->ring ? s->width : 1;
  return fl_time_to_sec((fl_time_t)e * wd * s->window);
}

double fl_sim_entry_width(const fl_sim_t *s, uint32_t e) {
  uint64_t wd = s->ring ? s->width : 1, last = (e + 1) * wd < s->wdone ? (e + 1) * wd : s->wdone;
  fl_time_t a = (fl_time_t)e * wd * s->window, b = (fl_time_t)last * s->window;
  if (b > s->end) b = s->end;
  return fl_time_to_sec(b - a);
}

/* ---- saying it ---- */

#define MB(x) ((x) / 1048576.0)

int fl_sim_plan_error(const fl_model_t *m, const fl_stats_plan_t *p, char *err, size_t n) {
  double need = p->min_bytes + p->base_bytes;
  snprintf(err, n, "%s:1: scenario: the run needs at least %.0f MB of memory, more than %s %.0f MB: %.1f MB of latency "
           "histograms (%d services, %d journeys, %d faults with three per journey each, %d expectations), %.1f MB of series at "
           "their fewest (%u entries), %.0f MB for the process: give --memory %.0fMB or more, "
           "or fewer journeys or faults", m->file, ceil(MB(need)), p->given ? "the --memory budget of" : "the default budget of",
           MB(p->budget), MB(p->hist_bytes), m->nservices, m->njourneys, m->nfaults, m->nexpects, MB(p->min_bytes - p->hist_bytes),
           FL_SERIES_MIN + ring_for(m), MB(p->base_bytes), ceil(MB(need)));
  return -FL_ESCENARIO;
}

void fl_sim_plan_text(const fl_stats_plan_t *p, char *buf, size_t n) {
  char how[160];
  if (!p->ring) snprintf(how, sizeof how, "%u windows, every one kept", p->windows);
  else snprintf(how, sizeof how, "%u windows, consolidated to at most %u entries (%u window%s each at the end)", p->windows,
                p->entries, p->width, p->width == 1 ? "" : "s");
  snprintf(buf, n, "memory: about %.0f MB kept: statistics %.1f MB (histograms %.1f MB, series %.1f MB: %s), the process "
           "about %.0f MB (the health changes at most %.1f MB of it: %d kept, the rest counted), within a budget of %.0f MB (%s); requests in flight about %.1f MB more at the peak rate (%zu B each, "
           "by Little's law without queueing: backlogs add to it)",
           ceil(MB(p->hist_bytes + p->series_bytes + p->pool_bytes + p->base_bytes)), MB(p->hist_bytes + p->series_bytes),
           MB(p->hist_bytes), MB(p->series_bytes), how, MB(p->base_bytes), MB(p->changes_bytes), FL_CHANGES_MAX, MB(p->budget), p->given ? "--memory" : "the default",
           MB(p->pool_bytes), fl_sim_request_bytes());
}
