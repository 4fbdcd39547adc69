/* Windows: the statistics kept per service and journey (counts, latency histograms, time
** integrals), closing a window into the series (and health, brokers' lag, hedging's quantile),
** the scopes windows add up into (expectations' "during", faults' before/during/after), and
** the live view of the last complete window. */
#include "run_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const series_names[FL_SER__COUNT] = {
  "arrivals", "successes", "degraded", "failures", "p50", "p99", "busy_workers", "queue", "instances", "health", "utilization", "lag", "lag_age"
};

const char *fl_series_name(fl_series_t s) { return (unsigned)s < FL_SER__COUNT ? series_names[s] : "?"; }

/* ---- scopes ---- */

static void add_window(fl_acc_t *a, const fl_counts_t *c, const fl_hist_t *h) {
  a->c.arrivals += c->arrivals; a->c.successes += c->successes;
  a->c.degraded += c->degraded; a->c.failures += c->failures;
  for (int k = 0; k < FL_CAUSE__COUNT; k++) a->c.cause[k] += c->cause[k];
  fl_hist_merge(a->h, h);
}

static void accumulate(fl_acc_t *a, const fl_stats_t *st) { add_window(a, &st->win, st->hwin); }

/* Which scopes a window belongs to: expectations and the faults' before/during/after phases. */
static void close_scopes(fl_sim_t *s, fl_time_t wstart, fl_time_t wend) {
  const fl_model_t *m = s->m;
  bool measured = wstart >= s->warmup, any_fault = false;
  for (int f = 0; f < m->nfaults; f++) s->fault[f].touched = fl__fault_in(s, f, wstart, wend);
  for (int f = 0; f < m->nfaults; f++) any_fault |= s->fault[f].touched;
  for (int x = 0; x < m->nexpects; x++) {
    const fl_expect_t *ex = &m->expects[x];
    if (!ex->subject) continue;
    bool in;
    switch (ex->during) {
    case FL_EXPECT_FAULT: in = s->fault[ex->fault].touched; break;
    case FL_EXPECT_RANGE: { fl_time_t mid = wstart + (wend - wstart) / 2; in = mid >= fl_sec_to_time(ex->from) && mid < fl_sec_to_time(ex->to); break; }
    case FL_EXPECT_STEADY: in = measured && !any_fault; break;
    case FL_EXPECT_AFTER: {   /* whole windows from recovers_within after the fault's end */
      fl_time_t end = s->fault[ex->fault].ended;
      in = end >= 0 && wstart >= end + fl_sec_to_time(ex->recovers_within);
      break;
    }
    default: in = measured; break;
    }
    fl_exp_rt_t *er = &s->exp[x];
    if (ex->nwhere) {   /* its own counts of the matching requests, whatever the scope */
      if (in) {
        er->windows++;
        er->secs += fl_time_to_sec(wend - wstart);
        add_window(&er->acc, &er->wwin, er->whist);
      }
      memset(&er->wwin, 0, sizeof er->wwin);
      fl_hist_reset(er->whist);
      continue;
    }
    if (!in) continue;
    er->windows++;
    er->secs += fl_time_to_sec(wend - wstart);
    if (ex->endpoint) { fl_hist_merge(er->acc.h, s->ep[ex->endpoint->id].hwin); continue; }
    const fl_stats_t *st = ex->service ? &s->svc[ex->service->id].st : &s->jrn[ex->journey].st;
    accumulate(&er->acc, st);
    if (!ex->service) continue;
    uint32_t w = fl_sim_slot(s, s->wdone);
    er->util_sum += st->series[FL_SER_UTILIZATION][w]; er->util_n++;
    if (ex->service->broker) {
      if (st->series[FL_SER_LAG][w] > er->lag_max) er->lag_max = st->series[FL_SER_LAG][w];
      if (st->series[FL_SER_LAG_AGE][w] > er->age_max) er->age_max = st->series[FL_SER_LAG_AGE][w];
    }
  }
  for (int f = 0; f < m->nfaults; f++) {   /* instances before a fault's window, for the report's "all" */
    fl_fault_rt_t *fr = &s->fault[f];
    fl_time_t at = fr->started >= 0 ? fr->started : fl_sec_to_time(m->faults[f].at);
    if (at >= wend && m->faults[f].target) fr->inst_before = s->svc[m->faults[f].target->id].nup;
  }
  for (int f = 0; f < m->nfaults; f++) {
    fl_fault_rt_t *fr = &s->fault[f];
    int phase = fr->touched ? 1 : fr->started < 0 ? 0 : 2;
    if (phase == 0 && !measured) continue;
    for (int j = 0; j < m->njourneys; j++) accumulate(&fr->phase[j * 3 + phase], &s->jrn[j].st);
  }
}

/* ---- closing a window ---- */

static const double window_qs[2] = { 0.5, 0.99 };

/* Slot w of a series takes v. A dense run's series start at zero and each slot is written once,
** so a zero is not written: most of a large model's series (failures by cause, degraded answers,
** calls that failed) stay zero, and their lines and pages are then never touched. A ring's slots
** are reused, so it writes every value. */
static inline void put(const fl_sim_t *s, double *series, size_t w, double v) {
  if (v != 0 || s->ring) series[w] = v;
}

/* Window w's counts and quantiles (qv: its p50 and p99) into the series. */
static void close_counts(const fl_sim_t *s, fl_stats_t *st, uint32_t w, const int64_t *qv) {
  put(s, st->series[FL_SER_ARRIVALS], w, (double)st->win.arrivals);
  put(s, st->series[FL_SER_SUCCESSES], w, (double)st->win.successes);
  put(s, st->series[FL_SER_DEGRADED], w, (double)st->win.degraded);
  put(s, st->series[FL_SER_FAILURES], w, (double)st->win.failures);
  put(s, st->series[FL_SER_P50], w, fl_time_to_sec(qv[0]));
  put(s, st->series[FL_SER_P99], w, fl_time_to_sec(qv[1]));
  for (int k = 1; k < FL_CAUSE__COUNT; k++) put(s, st->cause_series[k], w, (double)st->win.cause[k]);
}

/* The same from the window histogram; with 'take' it is also reset in the same visit of its
** buckets. */
static void close_stats(const fl_sim_t *s, fl_stats_t *st, uint32_t w, bool take) {
  int64_t qv[2];
  if (take) fl_hist_take(st->hwin, NULL, window_qs, 2, qv);
  else fl_hist_quantiles(st->hwin, window_qs, 2, qv);
  close_counts(s, st, w, qv);
}

/* A service's window: a quiet window's few latencies, all still pending (none flushed, and no
** expectation reads the histogram), give its quantiles themselves and go to the total if it takes
** batches; the window histogram is never touched. Else they are flushed into it as usual, and it
** is emptied at once unless an expectation reads it as the scopes close (reset_windows does). */
static void close_service_stats(fl_sim_t *s, fl_svc_rt_t *r, uint32_t w) {
  fl_stats_t *st = &r->st;
  if (r->scoped || st->wused) {
    fl__stats_flush(s, st);
    close_stats(s, st, w, !r->scoped);
    st->wused = false;
    return;
  }
  int64_t qv[2];
  fl_hist_quantiles_of(st->pend, (int)st->npend, window_qs, 2, qv);
  if (s->total_batched && st->npend) fl_hist_add_many(st->htotal, st->pend, (int)st->npend);
  st->npend = 0;
  close_counts(s, st, w, qv);
}

static void reset_window(fl_stats_t *st) {
  memset(&st->win, 0, sizeof st->win);
  fl_hist_reset(st->hwin);
}

/* Service i's series for window w (of length 'len'), its health, and its after-warm-up totals. */
static void close_service(fl_sim_t *s, int i, uint32_t w, fl_time_t len, bool measured) {
  uint32_t slot = fl_sim_slot(s, w);
  const fl_service_t *svc = &s->m->services[i];
  fl_svc_rt_t *r = &s->svc[i];
  fl__svc_touch(s, r, svc);
  for (int x = 0; x < r->ncallees; x++) fl__wait_change(s, r, x, 0, 0);
  /* the window's latency histogram is cleared at once, unless an expectation on the service reads
  ** it as the scopes close */
  close_service_stats(s, r, slot);
  double util = r->w_workers > 0 ? r->w_busy / r->w_workers : 0, busy = len > 0 ? r->w_busy / (double)len : 0;
  put(s, r->st.series[FL_SER_BUSY], slot, busy);
  put(s, r->st.series[FL_SER_QUEUE], slot, len > 0 ? r->w_queue / (double)len : 0);
  put(s, r->st.series[FL_SER_INSTANCES], slot, r->nup);
  put(s, r->st.series[FL_SER_UTILIZATION], slot, util);
  if (svc->broker) fl__broker_close_window(s, i, slot);
  fl__service_health(s, i, w, util);
  put(s, r->st.series[FL_SER_HEALTH], slot, r->health);
  if (r->nup > 0) {   /* the busiest window's share of its instances' workers */
    double u = busy / ((double)r->nup * svc->workers);
    if (u > r->peak_util_all) r->peak_util_all = u;
    if (measured && u > r->peak_util) r->peak_util = u;
  }
  if (measured) {
    r->t_busy += r->w_busy; r->t_queue += r->w_queue;
    r->t_inflight += r->w_inflight; r->t_workers += r->w_workers;
    if (r->nup < r->inst_min) r->inst_min = r->nup;
    if (r->nup > r->inst_max) r->inst_max = r->nup;
  }
}

/* Starts window w + 1: this window's counts, integrals and per-callee tallies go back to zero
** (the tallies kept per window as the edges' series). */
static void reset_windows(fl_sim_t *s, uint32_t w) {
  uint32_t slot = fl_sim_slot(s, w);
  for (int k = 0; k < s->m->nendpoints; k++) if (s->ep[k].hwin) fl_hist_reset(s->ep[k].hwin);
  for (int i = 0; i < s->m->nservices; i++) {
    fl_svc_rt_t *r = &s->svc[i];
    r->w_busy = r->w_queue = r->w_inflight = r->w_workers = 0;
    memset(&r->st.win, 0, sizeof r->st.win);
    if (r->scoped) fl_hist_reset(r->st.hwin);   /* else close_service_stats left it empty */
    for (int x = 0; x < r->ncallees; x++) {
      put(s, r->edge_calls, (size_t)x * s->stride + slot, (double)r->calls_via[x]);
      put(s, r->edge_fails, (size_t)x * s->stride + slot, (double)r->fail_via[x]);
    }
    memset(r->fail_via, 0, sizeof *r->fail_via * (size_t)r->ncallees);
    memset(r->calls_via, 0, sizeof *r->calls_via * (size_t)r->ncallees);
    for (int x = 0; x < r->ncallees; x++) { r->wint[x] = r->aint[x] = 0; r->wlast[x] = s->eng.now; }
  }
  for (int j = 0; j < s->m->njourneys; j++) {
    reset_window(&s->jrn[j].st);
    fl_jrn_rt_t *jr = &s->jrn[j];   /* only the origins written this window */
    if (jr->hsess) fl_hist_reset(jr->hsess);
    for (int k = 0; k < jr->nfrom_set; k++) jr->fail_from[jr->from_set[k]] = jr->deg_from[jr->from_set[k]] = 0;
    jr->nfrom_set = 0;
  }
}

static void close_window(fl_sim_t *s) {
  uint32_t w = s->wdone;
  int first_change = s->nchanges;
  fl_time_t wstart = (fl_time_t)w * s->window;
  fl_time_t len = s->eng.now - wstart;
  bool measured = wstart >= s->warmup;
  fl__series_open(s, w);
  for (int i = 0; i < s->m->nservices; i++) close_service(s, i, w, len, measured);
  for (int j = 0; j < s->m->njourneys; j++) {
    close_stats(s, &s->jrn[j].st, fl_sim_slot(s, w), false);
    if (s->jrn[j].hsess) s->jrn[j].sess_p99 = fl_time_to_sec(fl_hist_quantile(s->jrn[j].hsess, 0.99));
    fl__journey_health(s, j, w);
  }
  fl__hedge_refresh(s);
  fl__link_changes(s, first_change, wstart);
  close_scopes(s, wstart, s->eng.now);
  reset_windows(s, w);
  s->wdone++;
  s->total_batched = s->eng.now >= s->warmup && s->unmeasured_live == 0;   /* once set, stays: no arrival is unmeasured */
  if (s->on_window) s->on_window(s, w, s->on_window_user);
}

void fl__on_window(fl_engine_t *e, fl_event_t *ev) {
  fl_sim_t *s = SIM(e);
  close_window(s);
  if (s->check_invariants) {
    char why[256];
    if (fl_sim_check_invariants(s, why, sizeof why) != 0) {
      fprintf(stderr, "faultline: internal error: run state broken after window %u: %s\n", s->wdone, why);
      abort();
    }
  }
  if (s->wdone < s->nwindows) {
    fl_time_t next = (fl_time_t)(s->wdone + 1) * s->window;
    fl_engine_schedule_first_at(e, ev, next < s->end ? next : s->end);
    fl__schedule_faults(s, e->now, next);
  }
}

const fl_hist_t *fl_sim_service_latency(const fl_sim_t *s, int svc, fl_hist_t *scratch) {
  const fl_stats_t *st = &s->svc[svc].st;
  if (!s->total_batched || st->npend == 0) return st->htotal;
  *scratch = *st->htotal;
  fl_hist_add_many(scratch, st->pend, (int)st->npend);
  return scratch;
}

/* ---- live view ---- */

/* Where the last complete window's values are: its slot, or once a consolidated run finished,
** the last entry (which it is part of). */
static uint32_t last_slot(const fl_sim_t *s) {
  return s->ring && s->finished ? (s->nentries ? s->nentries - 1 : 0) : fl_sim_slot(s, s->wdone - 1);
}

/* The last complete window (the one in progress before the first closes). */
static void live_common(fl_sim_t *s, const fl_stats_t *st, fl_live_stats_t *o) {
  if (s->wdone == 0) {
    o->c = st->win;
    o->p50 = fl_time_to_sec(fl_hist_quantile(st->hwin, 0.5));
    o->p99 = fl_time_to_sec(fl_hist_quantile(st->hwin, 0.99));
    return;
  }
  uint32_t w = last_slot(s);
  o->c.arrivals = (uint64_t)st->series[FL_SER_ARRIVALS][w];
  o->c.successes = (uint64_t)st->series[FL_SER_SUCCESSES][w];
  o->c.degraded = (uint64_t)st->series[FL_SER_DEGRADED][w];
  o->c.failures = (uint64_t)st->series[FL_SER_FAILURES][w];
  for (int k = 1; k < FL_CAUSE__COUNT; k++) o->c.cause[k] = (uint64_t)st->cause_series[k][w];
  o->p50 = st->series[FL_SER_P50][w];
  o->p99 = st->series[FL_SER_P99][w];
}

void fl_sim_service_stats(fl_sim_t *s, int i, fl_live_stats_t *o) {
  memset(o, 0, sizeof *o);
  fl_svc_rt_t *r = &s->svc[i];
  fl__svc_touch(s, r, &s->m->services[i]);
  fl__stats_flush(s, &r->st);
  live_common(s, &r->st, o);
  if (s->wdone > 0) {
    uint32_t w = last_slot(s);
    o->utilization = r->st.series[FL_SER_UTILIZATION][w];
    o->busy = r->st.series[FL_SER_BUSY][w];
    o->queue = r->st.series[FL_SER_QUEUE][w];
  } else {
    double len = (double)(s->eng.now);
    o->utilization = r->w_workers > 0 ? r->w_busy / r->w_workers : 0;
    o->busy = len > 0 ? r->w_busy / len : r->busy;
    o->queue = len > 0 ? r->w_queue / len : r->queued;
  }
  o->instances = r->nup;
  o->desired = r->desired;
  o->health = r->health;
}

void fl_sim_journey_stats(fl_sim_t *s, int j, fl_live_stats_t *o) {
  memset(o, 0, sizeof *o);
  live_common(s, &s->jrn[j].st, o);
  o->health = s->jrn[j].health;
}

double fl_sim_measured_seconds(const fl_sim_t *s) {
  fl_time_t closed = (fl_time_t)s->wdone * s->window;
  if (closed > s->end) closed = s->end;
  return closed > s->warmup ? fl_time_to_sec(closed - s->warmup) : 0;
}
