/* Health: each window's raw state of a service or journey (ok, degraded, down), its
** confirmation over s->confirm windows in a row, and the attribution of each confirmed change
** (a fault, pool exhaustion, a failing or slow dependency, saturation), linked into cascades. */
#include "run_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const health_names[] = { "ok", "degraded", "down" };

const char *fl_health_name(fl_health_t h) { return (unsigned)h <= FL_HEALTH_DOWN ? health_names[h] : "?"; }

/* ---- classification and confirmation ---- */

#define NO_DATA (-1)   /* a raw state: too few answers to say anything; the confirmed state stands */

static uint64_t min_answers(const fl_model_t *m) { return m->health.min_requests > 0 ? (uint64_t)m->health.min_requests : 1; }

/* The endpoint of service 'svc' furthest over its own slo this window (with enough answers), or NULL. */
static const fl_endpoint_t *slow_endpoint(const fl_sim_t *s, const fl_service_t *svc, double *p99) {
  const fl_endpoint_t *worst = NULL;
  double over = 0;
  for (int k = 0; k < svc->nendpoints; k++) {
    const fl_endpoint_t *ep = &svc->endpoints[k];
    const fl_hist_t *h = s->ep[ep->id].hwin;
    if (!h || ep->slo <= 0 || h->count < min_answers(s->m)) continue;
    double q = fl_time_to_sec(fl_hist_quantile(h, 0.99));
    if (q > ep->slo && q / ep->slo > over) { over = q / ep->slo; worst = ep; *p99 = q; }
  }
  return worst;
}

/* A broker's backlog this window at or over its lag or age threshold. */
static bool backlog_over(const fl_service_t *svc, const fl_svc_rt_t *r, uint32_t w) {
  if (!svc->broker) return false;
  return (svc->lag_limit > 0 && r->st.series[FL_SER_LAG][w] >= (double)svc->lag_limit) ||
         (svc->age_limit > 0 && r->st.series[FL_SER_LAG_AGE][w] >= svc->age_limit);
}

static int classify(const fl_sim_t *s, const fl_service_t *svc, const fl_svc_rt_t *r, double util, uint32_t w) {
  const fl_model_t *m = s->m;
  uint64_t done = r->st.win.successes + r->st.win.degraded + r->st.win.failures;
  /* no live instance, or holding requests without answering any */
  if (r->nup == 0 || (!done && r->inflight > 0)) return FL_HEALTH_DOWN;
  bool backlog = backlog_over(svc, r, fl_sim_slot(s, w));
  if (done < min_answers(m) && util < m->health.saturation && !backlog) return NO_DATA;
  double fr = done ? (double)r->st.win.failures / (double)done : 0, p99 = r->st.series[FL_SER_P99][fl_sim_slot(s, w)], ep99 = 0;
  if (done >= min_answers(m) && fr >= m->health.down_errors) return FL_HEALTH_DOWN;
  if ((done >= min_answers(m) && (fr >= m->health.degraded_errors || (svc->slo > 0 && p99 > svc->slo) || slow_endpoint(s, svc, &ep99))) ||
      util >= m->health.saturation || backlog)
    return FL_HEALTH_DEGRADED;
  return FL_HEALTH_OK;
}

/* A multi-step journey's sessions this window over its session_slo (with enough of them answered). */
static bool sessions_over(const fl_model_t *m, const fl_journey_t *jn, const fl_jrn_rt_t *jr) {
  return jn->session_slo > 0 && jr->hsess && jr->hsess->count >= min_answers(m) && jr->sess_p99 > jn->session_slo;
}

static int classify_journey(const fl_model_t *m, const fl_journey_t *jn, const fl_jrn_rt_t *jr, uint32_t slot) {
  const fl_stats_t *st = &jr->st;
  int inflight = jr->inflight;
  const fl_counts_t *c = &st->win;
  uint64_t done = c->successes + c->degraded + c->failures;
  if (!done && inflight > 0 && c->arrivals > 0) return FL_HEALTH_DOWN;   /* nothing answered */
  if (done < min_answers(m)) return NO_DATA;
  double fr = (double)c->failures / (double)done, dg = (double)c->degraded / (double)done;
  if (fr >= m->health.down_errors) return FL_HEALTH_DOWN;
  if (fr >= m->health.degraded_errors || dg >= m->health.degraded_share) return FL_HEALTH_DEGRADED;
  if (jn->slo > 0 && st->series[FL_SER_P99][slot] > jn->slo) return FL_HEALTH_DEGRADED;
  if (sessions_over(m, jn, jr)) return FL_HEALTH_DEGRADED;
  return FL_HEALTH_OK;
}

/* A raw state different from the confirmed one must be seen s->confirm windows in a row; a window
** without data neither confirms nor breaks the run. */
static bool confirm_state(const fl_sim_t *s, fl_health_t *cur, fl_health_t *pend, int *np, int raw) {
  if (raw == NO_DATA) return false;
  if (raw == (int)*cur) { *np = 0; return false; }
  if (raw != (int)*pend) { *pend = (fl_health_t)raw; *np = 1; } else (*np)++;
  if (*np < s->confirm) return false;
  *np = 0;
  *cur = (fl_health_t)raw;
  return true;
}

void fl_flap_add(fl_flap_t *all, fl_flap_t *kept, int rec, fl_time_t t, fl_health_t from, fl_health_t to) {
  if (!all->changes) *all = (fl_flap_t){ .first = rec, .t0 = t, .base = from, .worst = from };
  all->changes++;
  all->t1 = t;
  all->last = to;
  if (to > all->worst) all->worst = to;
  if (from <= all->base && to > all->base) all->flaps++;
  if (to <= all->base) *kept = *all;   /* back where it started: the episode so far */
}

/* Follows subject k's run of changes (fold_flaps in the cascade analysis does the same over the
** records): a change more than FL_FLAP_SPAN windows after the subject's last one starts a new run.
** 'rec' is the change's record, or -1 past the cap. */
static void follow_run(fl_sim_t *s, int k, int rec, fl_time_t t, fl_health_t from, fl_health_t to) {
  if (!s->change_run) {
    int nsub = s->m->nservices + s->m->njourneys;
    s->change_run = fl_xcalloc(nsub > 0 ? (size_t)nsub : 1, sizeof *s->change_run);
    for (int x = 0; x < nsub; x++) {
      fl_change_run_t *c = &s->change_run[x];
      c->past = -1;
      for (int h = 0; h < 2; h++) c->back[h] = c->back_last[h] = c->left_last[h] = -1;
    }
  }
  fl_change_run_t *cr = &s->change_run[k];
  if (cr->all.changes && t - cr->all.t1 > (fl_time_t)FL_FLAP_SPAN * s->window) cr->all = cr->kept = (fl_flap_t){ 0 };
  fl_flap_add(&cr->all, &cr->kept, rec, t, from, to);
  if (rec < 0) {
    if (cr->past < 0) cr->past = t;
    cr->into[to]++;
    cr->into_last[to] = t;
  }
  if (rec < 0)
    for (int h = 0; h < 2; h++) {
      if (to > (fl_health_t)h) cr->left_last[h] = t;
      else { if (cr->back[h] < 0) cr->back[h] = t; cr->back_last[h] = t; }
    }
}

/* A confirmed change at the close of window w: its record, or NULL past FL_CHANGES_MAX (counted,
** and followed in its subject's run). */
static fl_change_t *add_change(fl_sim_t *s, uint32_t w, int svc, int jrn, fl_health_t from, fl_health_t to) {
  fl_time_t t = (fl_time_t)(w + 1 - (uint32_t)s->confirm) * s->window;
  int k = svc >= 0 ? svc : s->m->nservices + jrn;
  if (s->nchanges >= FL_CHANGES_MAX) {
    s->changes_dropped++;
    follow_run(s, k, -1, t, from, to);
    return NULL;
  }
  if (s->nchanges == s->changes_cap) {
    s->changes_cap = s->changes_cap ? s->changes_cap * 2 : 64;
    if (s->changes_cap > FL_CHANGES_MAX) s->changes_cap = FL_CHANGES_MAX;
    s->changes = fl_xrealloc(s->changes, sizeof *s->changes * (size_t)s->changes_cap);
  }
  follow_run(s, k, s->nchanges, t, from, to);
  fl_change_t *c = &s->changes[s->nchanges++];
  memset(c, 0, sizeof *c);
  c->t = t;
  c->service = svc; c->journey = jrn; c->from = from; c->to = to;
  c->fault = -1; c->via = -1; c->parent = -1;
  return c;
}

/* ---- attribution ---- */

/* Top origin among 'fail_from' when it holds at least half of 'failures'. */
static int top_origin(const fl_sim_t *s, const uint64_t *fail_from, uint64_t failures, double *share) {
  int best = -1;
  for (int d = 0; d < s->m->nservices; d++) if (fail_from[d] && (best < 0 || fail_from[d] > fail_from[best])) best = d;
  if (best < 0 || !failures || 2 * fail_from[best] < failures) return -1;
  *share = (double)fail_from[best] / (double)failures;
  return best;
}

/* A fault on service i itself (or one on a link from it) active since 'since' (the first window
** that saw the new state: a fault may end while the change waits for its confirmation), or -1. */
static int own_fault(const fl_sim_t *s, int i, fl_time_t since) {
  const fl_model_t *m = s->m;
  for (int f = 0; f < m->nfaults; f++) {
    const fl_fault_t *ft = &m->faults[f];
    bool hits = ft->from ? ft->from->id == i : ft->target->id == i;   /* a link's callee may be idle and healthy */
    if (hits && fl__fault_in(s, f, since, s->eng.now)) return f;
  }
  return -1;
}

/* A broker over its lag or age threshold: blame the consumer furthest behind. */
static void attribute_backlog(fl_sim_t *s, fl_change_t *c, uint32_t w) {
  const fl_svc_rt_t *r = &s->svc[c->service];
  int64_t most = -1;
  const fl_group_t *worst = NULL;
  for (int g = 0; g < s->ngroups; g++)
    if (s->groups[g].broker == c->service && s->groups[g].count > most) { most = s->groups[g].count; worst = &s->groups[g]; }
  int n = snprintf(c->reason, sizeof c->reason, "backlog: %.0f messages waiting, the oldest %.1fs", r->st.series[FL_SER_LAG][w],
                   r->st.series[FL_SER_LAG_AGE][w]);
  if (worst && n > 0 && (size_t)n < sizeof c->reason) {
    c->via = worst->consumer->service->id;
    snprintf(c->reason + n, sizeof c->reason - (size_t)n, "; %s behind", worst->consumer->full_name);
  }
}

static void attribute_service(fl_sim_t *s, fl_change_t *c, double util) {
  const fl_model_t *m = s->m;
  int i = c->service;
  const fl_svc_rt_t *r = &s->svc[i];
  if (c->to == FL_HEALTH_OK) { snprintf(c->reason, sizeof c->reason, "recovered"); return; }
  int f = own_fault(s, i, c->t);
  if (f >= 0) {
    c->fault = f;
    const fl_fault_t *ft = &m->faults[f];
    char what[128];
    if (ft->endpoint || ft->from)   /* one endpoint or one link: the reason names it */
      snprintf(c->reason, sizeof c->reason, "fault '%s' (%s)", ft->name, fl_fault_describe(ft, what, sizeof what));
    else snprintf(c->reason, sizeof c->reason, "fault '%s' (%s)", ft->name, fl_fault_kind_name(ft->kind));
    return;
  }
  uint64_t bad = r->st.win.failures + r->st.win.degraded;
  uint64_t done = r->st.win.successes + r->st.win.degraded + r->st.win.failures;
  uint32_t w = fl_sim_slot(s, s->wdone);
  double fr = done ? (double)r->st.win.failures / (double)done : 0, p99 = r->st.series[FL_SER_P99][w];   /* the window's, as closed */
  const fl_service_t *svc = &m->services[i];
  if (backlog_over(svc, r, w)) { attribute_backlog(s, c, w); return; }
  int k = -1;
  for (int x = 0; x < r->ncallees; x++) if (r->fail_via[x] && (k < 0 || r->fail_via[x] > r->fail_via[k])) k = x;
  double busy = 0;
  int kw = -1;
  for (int x = 0; x < r->ncallees; x++) if (r->wint[x] > busy) { busy = r->wint[x]; kw = x; }
  /* requests' time waiting on each callee, worker held or not (an event loop holds none) */
  double await = 0, aall = 0;
  int ka = -1;
  for (int x = 0; x < r->ncallees; x++) { aall += r->aint[x]; if (r->aint[x] > await) { await = r->aint[x]; ka = x; } }
  double ep99 = 0;
  const fl_endpoint_t *sep = slow_endpoint(s, svc, &ep99);
  if (kw >= 0 && r->w_busy > 0 && busy >= 0.5 * r->w_busy && util >= 0.8) {
    c->via = r->callee[kw];
    snprintf(c->reason, sizeof c->reason, "pool exhaustion: %.0f%% of worker time waiting on %s", 100 * busy / r->w_busy,
             m->services[c->via].name);
  } else if (fr < 0.05 && svc->slo > 0 && p99 > svc->slo) {
    /* slow, not failing: blame the callee its workers waited on most, if any */
    if (kw >= 0 && r->w_busy > 0 && busy >= 0.5 * r->w_busy) {
      c->via = r->callee[kw];
      snprintf(c->reason, sizeof c->reason, "p99 %.0fms over its slo of %.0fms, %.0f%% of worker time waiting on %s", 1000 * p99,
               1000 * svc->slo, 100 * busy / r->w_busy, m->services[c->via].name);
    } else if (ka >= 0 && !svc->blocking) {
      c->via = r->callee[ka];
      snprintf(c->reason, sizeof c->reason, "p99 %.0fms over its slo of %.0fms, %.0f%% of request time waiting on %s", 1000 * p99,
               1000 * svc->slo, 100 * await / aall, m->services[c->via].name);
    } else {
      snprintf(c->reason, sizeof c->reason, "p99 %.0fms over its slo of %.0fms", 1000 * p99, 1000 * svc->slo);
    }
  } else if (fr < 0.05 && sep) {
    /* one endpoint over its own slo: blame the callee its requests waited on most, if any */
    int n = snprintf(c->reason, sizeof c->reason, "endpoint %s p99 %.0fms over its slo of %.0fms", sep->full_name, 1000 * ep99, 1000 * sep->slo);
    if (ka >= 0 && aall > 0 && n > 0 && (size_t)n < sizeof c->reason) {
      c->via = r->callee[ka];
      snprintf(c->reason + n, sizeof c->reason - (size_t)n, ", %.0f%% of request time waiting on %s", 100 * await / aall, m->services[c->via].name);
    }
  } else if (k >= 0 && bad && 2 * r->fail_via[k] >= bad) {
    c->via = r->callee[k];
    snprintf(c->reason, sizeof c->reason, "calls to %s failing (%llu failed calls; %llu of its requests failed, %llu degraded)",
             m->services[c->via].name, (unsigned long long)r->fail_via[k], (unsigned long long)r->st.win.failures,
             (unsigned long long)r->st.win.degraded);
  } else if (util >= 0.9) {
    snprintf(c->reason, sizeof c->reason, "saturation: utilization %.0f%%", 100 * util);
  } else {
    snprintf(c->reason, sizeof c->reason, "%.1f%% of requests failed (p99 %.0fms)", 100 * fr, 1000 * p99);
  }
}

static void attribute_journey(fl_sim_t *s, fl_change_t *c) {
  const fl_model_t *m = s->m;
  const fl_jrn_rt_t *jr = &s->jrn[c->journey];
  if (c->to == FL_HEALTH_OK) { snprintf(c->reason, sizeof c->reason, "recovered"); return; }
  double share = 0;
  int d = jr->fail_from ? top_origin(s, jr->fail_from, jr->st.win.failures, &share) : -1;
  uint64_t done = jr->st.win.successes + jr->st.win.degraded + jr->st.win.failures;
  double fr = done ? (double)jr->st.win.failures / (double)done : 0;
  const fl_journey_t *jn = &m->journeys[c->journey];
  double p99 = jr->st.series[FL_SER_P99][fl_sim_slot(s, s->wdone)];
  if (d < 0 && fr < m->health.degraded_errors && jn->slo > 0 && p99 > jn->slo) {
    c->via = jn->entry->service->id;   /* linked further down its calls by fl__link_changes */
    snprintf(c->reason, sizeof c->reason, "p99 %.0fms over its slo of %.0fms", 1000 * p99, 1000 * jn->slo);
    return;
  }
  if (d < 0 && fr < m->health.degraded_errors && sessions_over(m, jn, jr)) {
    c->via = jn->entry->service->id;   /* linked further down its calls by fl__link_changes */
    snprintf(c->reason, sizeof c->reason, "session p99 %.0fms over its session_slo of %.0fms (%d steps, think times excluded)",
             1000 * jr->sess_p99, 1000 * jn->session_slo, jn->nsteps);
    return;
  }
  if (d >= 0) {
    c->via = d;
    snprintf(c->reason, sizeof c->reason, "%.0f%% failing, %.0f%% of failures originate at %s", 100 * fr, 100 * share, m->services[d].name);
  } else {
    double dshare = 0;
    int dd = jr->deg_from ? top_origin(s, jr->deg_from, jr->st.win.degraded, &dshare) : -1;
    double dg = done ? 100.0 * (double)jr->st.win.degraded / (double)done : 0;
    if (dd >= 0 && fr < m->health.degraded_errors) {
      c->via = dd;
      snprintf(c->reason, sizeof c->reason, "%.0f%% degraded, %.0f%% of them by failures at %s", dg, 100 * dshare, m->services[dd].name);
    } else {
      c->via = m->journeys[c->journey].entry->service->id;
      snprintf(c->reason, sizeof c->reason, "%.0f%% failing, %.0f%% degraded", 100 * fr, dg);
    }
  }
}

/* ---- a window's health ---- */

/* Service i at the close of window w: a confirmed change is attributed, and dates (in the series
** too) from the first of the windows that confirmed it. An idle service with live instances is ok. */
void fl__service_health(fl_sim_t *s, int i, uint32_t w, double util) {
  fl_svc_rt_t *r = &s->svc[i];
  fl_health_t was = r->health;
  if (!confirm_state(s, &r->health, &r->pending, &r->npending, classify(s, &s->m->services[i], r, util, w)))
    return;
  fl_change_t *c = add_change(s, w, i, -1, was, r->health);
  if (c) attribute_service(s, c, util);
  for (int k = 1; k < s->confirm && (uint32_t)k <= w; k++) r->st.series[FL_SER_HEALTH][fl_sim_slot(s, w - (uint32_t)k)] = r->health;
}

void fl__journey_health(fl_sim_t *s, int j, uint32_t w) {
  fl_jrn_rt_t *jr = &s->jrn[j];
  fl_health_t was = jr->health;
  if (confirm_state(s, &jr->health, &jr->pending, &jr->npending, classify_journey(s->m, &s->m->journeys[j], jr, fl_sim_slot(s, w)))) {
    fl_change_t *c = add_change(s, w, -1, j, was, jr->health);
    if (c) attribute_journey(s, c);
  }
}

/* The latest change of service 'svc' into a bad state that still stands, or -1. */
static int standing_change(const fl_sim_t *s, int svc) {
  for (int i = s->nchanges - 1; i >= 0; i--)
    if (s->changes[i].service == svc) return s->changes[i].to != FL_HEALTH_OK ? i : -1;
  return -1;
}

/* A fault on service 'svc' touching [wstart, now), on a link into it from 'from' when it is a
** link fault (from < 0: any caller), or -1. */
static int fault_on(const fl_sim_t *s, int svc, int from, fl_time_t wstart) {
  const fl_model_t *m = s->m;
  for (int f = 0; f < m->nfaults; f++)
    if (m->faults[f].target->id == svc && fl__fault_in(s, f, wstart, s->eng.now) &&
        (!m->faults[f].from || from < 0 || m->faults[f].from->id == from))   /* its own link's */
      return f;
  return -1;
}

static void note_fault(const fl_sim_t *s, fl_change_t *c, int f) {
  const fl_fault_t *ft = &s->m->faults[f];
  c->fault = f;
  size_t l = strlen(c->reason);
  char what[128];
  if (ft->from)   /* on a link: named as the link */
    snprintf(c->reason + l, sizeof c->reason - l, "; fault '%s' (%s)", ft->name, fl_fault_describe(ft, what, sizeof what));
  else snprintf(c->reason + l, sizeof c->reason - l, "; fault '%s' (%s) on %s", ft->name, fl_fault_kind_name(ft->kind), fl_fault_target_label(ft));
}

/* A journey slower than its slo, whose entry service neither changed state nor has a fault: the
** closest service down its calls (breadth first) that went bad, or else has a fault now. Runs only
** when such a change is confirmed, never per request. */
static void link_down_calls(fl_sim_t *s, fl_change_t *c, int self, fl_time_t wstart) {
  const fl_model_t *m = s->m;
  int *queue = fl_xcalloc((size_t)m->nservices, sizeof *queue);
  bool *seen = fl_xcalloc((size_t)m->nservices, sizeof *seen);
  int head = 0, tail = 0, fault_at = -1, fault = -1;
  queue[tail++] = c->via; seen[c->via] = true;
  while (head < tail) {
    int v = queue[head++];
    int p = standing_change(s, v);
    if (p >= 0 && p != self) { c->parent = p; c->via = v; break; }
    int f = fault_at < 0 ? fault_on(s, v, -1, wstart) : -1;
    if (f >= 0) { fault_at = v; fault = f; }
    const fl_svc_rt_t *r = &s->svc[v];
    for (int x = 0; x < r->ncallees; x++)
      if (!seen[r->callee[x]]) { seen[r->callee[x]] = true; queue[tail++] = r->callee[x]; }
  }
  if (c->parent < 0 && fault >= 0) { c->via = fault_at; note_fault(s, c, fault); }
  free(queue); free(seen);
}

/* Links this window's changes (from 'first' on) to the standing changes of the dependencies they
** blame, or to a fault on the dependency that did not change its state (latency, ...) active since
** the change's first window (a fault may end while the change waits for its confirmation: a
** slowed consumer's backlog outlives it). */
void fl__link_changes(fl_sim_t *s, int first, fl_time_t wstart) {
  const fl_model_t *m = s->m;
  for (int i = first; i < s->nchanges; i++) {
    fl_change_t *c = &s->changes[i];
    if (c->via < 0 || c->to == FL_HEALTH_OK) continue;
    if (c->t < wstart) wstart = c->t;   /* changes of one window share their date */
    int p = standing_change(s, c->via);
    c->parent = p != i ? p : -1;
    if (c->parent >= 0 || c->fault >= 0) continue;
    int f = fault_on(s, c->via, c->service, wstart);
    if (f >= 0) { note_fault(s, c, f); continue; }
    if (c->service < 0 && (m->journeys[c->journey].slo > 0 || m->journeys[c->journey].session_slo > 0)) link_down_calls(s, c, i, wstart);
  }
}
