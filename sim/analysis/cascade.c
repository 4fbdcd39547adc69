/* Cascades: the health changes in timeline order, the fault each chain of changes starts from,
** and per fault its chain, blast radius (services and journeys reached), first hit, recovery,
** the journeys' success before, during and after it, and the effects along its chain that need
** not change a state (p99, success, lag before vs during; overlapping faults flagged). Computed once into plain structs
** (faultline/analysis.h); the JSON report and the terminal print them. */
#include "faultline/analysis.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Elements to allocate for n (at least one, never a negative count cast to size_t). */
static size_t count_of(int n) { return n > 0 ? (size_t)n : 1; }

const char *fl_change_subject(const fl_sim_t *s, const fl_change_t *c) {
  return c->service >= 0 ? s->m->services[c->service].name : s->m->journeys[c->journey].name;
}

static int depth_of(const fl_sim_t *s, int i) {
  int d = 0;
  for (int p = s->changes[i].parent; p >= 0 && d <= s->nchanges; p = s->changes[p].parent) d++;
  return d;
}

/* Changes ordered by time, then cause before effect (depth in the cascade), then as recorded. */
static int *change_order(const fl_sim_t *s) {
  int n = s->nchanges;
  int *ord = fl_xmalloc(sizeof *ord * count_of(n)), *dep = fl_xmalloc(sizeof *dep * count_of(n));
  for (int i = 0; i < n; i++) { ord[i] = i; dep[i] = depth_of(s, i); }
  for (int i = 1; i < n; i++) {           /* insertion sort: stable, and nearly sorted already */
    int x = ord[i], k = i;
    while (k > 0) {
      int y = ord[k - 1];
      bool later = s->changes[y].t > s->changes[x].t || (s->changes[y].t == s->changes[x].t && dep[y] > dep[x]);
      if (!later) break;
      ord[k] = y; k--;
    }
    ord[k] = x;
  }
  free(dep);
  return ord;
}

/* The root fault of change i's chain, or -1. */
static int root_fault(const fl_sim_t *s, int i) {
  for (int guard = 0; i >= 0 && guard <= s->nchanges; guard++) {
    if (s->changes[i].fault >= 0) return s->changes[i].fault;
    i = s->changes[i].parent;
  }
  return -1;
}

static bool same_subject(const fl_change_t *a, const fl_change_t *b) {
  return a->service >= 0 ? b->service == a->service : (b->service < 0 && b->journey == a->journey);
}

/* When the subject of change i was next back at 'pre' (its state before the fault) or better,
** or -1. Only a change counts: a window without data keeps the state, so it never recovers. */
static fl_time_t recovered_at(const fl_sim_t *s, int i, fl_health_t pre) {
  const fl_change_t *c = &s->changes[i];
  for (int k = i + 1; k < s->nchanges; k++) {
    const fl_change_t *d = &s->changes[k];
    if (same_subject(c, d) && d->to <= pre) return d->t;
  }
  if (!s->change_run || pre > FL_HEALTH_DEGRADED) return -1;   /* past FL_CHANGES_MAX: as the run followed it */
  return s->change_run[c->service >= 0 ? c->service : s->m->nservices + c->journey].back[pre];
}

/* Each subject's state before fault f's chain first reached it (ok for those it never reached):
** pre[service], then pre[nservices + journey]. Changes are recorded in time order. */
static void pre_fault_states(const fl_sim_t *s, const int *root, int f, fl_health_t *pre) {
  int nsub = s->m->nservices + s->m->njourneys;
  bool *reached = fl_xcalloc(count_of(nsub), sizeof *reached);
  for (int k = 0; k < nsub; k++) pre[k] = FL_HEALTH_OK;
  for (int i = 0; i < s->nchanges; i++) {
    const fl_change_t *ch = &s->changes[i];
    int k = ch->service >= 0 ? ch->service : s->m->nservices + ch->journey;
    if (reached[k]) continue;
    if (root[i] == f && ch->to > pre[k]) reached[k] = true;
    else pre[k] = ch->to;
  }
  free(reached);
}

static fl_phase_t phase_of(const fl_acc_t *a) {
  fl_phase_t p;
  p.out = fl_metrics_rates(&a->c, 0);
  p.p99 = fl_time_to_sec(fl_hist_quantile(a->h, 0.99));
  return p;
}

/* Adds 'v' to list[0..*n) unless it is there already. */
static void add_once(int *list, int *n, int v) {
  for (int k = 0; k < *n; k++) if (list[k] == v) return;
  list[(*n)++] = v;
}

/* ---- effects along a fault's chain ---- */

const char *fl_effect_kind_name(fl_effect_kind_t k) {
  static const char *const names[] = { "p99", "success", "lag" };
  return (unsigned)k < sizeof names / sizeof *names ? names[k] : "?";
}

/* The callers that wait on each endpoint: the endpoints with a call to it that is not an async
** publish, as lists by endpoint id (those of endpoint t: ep[start[t]] .. ep[start[t + 1] - 1]). */
typedef struct waiters { int *start, *ep; } waiters_t;

static void waiters_init(waiters_t *w, const fl_model_t *m) {
  int ne = m->nendpoints;
  w->start = fl_xcalloc(count_of(ne) + 1, sizeof *w->start);
  for (int pass = 0; pass < 2; pass++) {   /* count, then fill */
    for (int i = 0; i < m->nservices; i++)
      for (int e = 0; e < m->services[i].nendpoints; e++) {
        const fl_endpoint_t *ep = &m->services[i].endpoints[e];
        for (int k = 0; k < ep->ncalls; k++) {
          const fl_call_t *cl = &ep->calls[k];
          if (cl->async || !cl->target) continue;
          if (pass == 0) w->start[cl->target->id + 1]++;
          else w->ep[w->start[cl->target->id]++] = ep->id;
        }
      }
    if (pass == 0) {
      for (int t = 0; t < ne; t++) w->start[t + 1] += w->start[t];
      w->ep = fl_xmalloc(sizeof *w->ep * count_of(w->start[ne]));
    } else {
      for (int t = ne; t > 0; t--) w->start[t] = w->start[t - 1];   /* the fill moved each start to the next */
      w->start[0] = 0;
    }
  }
}

static void waiters_release(waiters_t *w) { free(w->start); free(w->ep); }

/* What fault f's chain reaches: endpoints (reach[id]), from the target's endpoints (a link fault:
** the caller's endpoints that call the callee) up through the callers that wait on them (not
** async publishes). Services, journeys and brokers are reached through their endpoints. Linear
** in the model: breadth first over the waiters, 'queue' room for every endpoint. */
static void chain_reach(const fl_model_t *m, const fl_fault_t *ft, const waiters_t *w, bool *reach, int *queue) {
  memset(reach, 0, sizeof *reach * count_of(m->nendpoints));
  int qh = 0, qt = 0;
  for (int i = 0; i < m->nservices; i++) {
    const fl_service_t *sv = &m->services[i];
    for (int e = 0; e < sv->nendpoints; e++) {
      const fl_endpoint_t *ep = &sv->endpoints[e];
      bool hit = false;
      if (!ft->from) hit = sv == ft->target;
      else if (sv == ft->from)
        for (int k = 0; k < ep->ncalls && !hit; k++) hit = ep->calls[k].target && ep->calls[k].target->service == ft->target;
      if (hit && !reach[ep->id]) { reach[ep->id] = true; queue[qt++] = ep->id; }
    }
  }
  while (qh < qt) {
    int t = queue[qh++];
    for (int x = w->start[t]; x < w->start[t + 1]; x++)
      if (!reach[w->ep[x]]) { reach[w->ep[x]] = true; queue[qt++] = w->ep[x]; }
  }
}

static bool service_reached(const fl_service_t *sv, const bool *reach) {
  if (sv->broker) {
    for (int k = 0; k < sv->nconsumers; k++) if (sv->consumers[k] && reach[sv->consumers[k]->id]) return true;
    return false;
  }
  for (int e = 0; e < sv->nendpoints; e++) if (reach[sv->endpoints[e].id]) return true;
  return false;
}

static bool journey_reached(const fl_journey_t *j, const bool *reach) {
  if (j->entry && reach[j->entry->id]) return true;
  for (int k = 0; k < j->nsteps; k++) if (j->steps[k] && reach[j->steps[k]->id]) return true;
  return false;
}

/* The windows of fault f: before it (measured ones; all before it when warm-up covers them) in
** [*b0, *b1), during it in [*d0, *d1). False when it never started or nothing is on either side. */
static bool fault_windows(const fl_sim_t *s, int f, uint32_t *b0, uint32_t *b1, uint32_t *d0, uint32_t *d1) {
  const fl_fault_rt_t *fr = &s->fault[f];
  if (fr->started < 0 || s->window <= 0) return false;
  fl_time_t end = fr->ended >= 0 ? fr->ended : s->eng.now;
  uint32_t done = s->wdone, first = (uint32_t)(s->warmup / s->window);
  uint32_t ws = (uint32_t)(fr->started / s->window);          /* the window the fault starts in */
  *b1 = ws < done ? ws : done;
  *b0 = first < *b1 ? first : 0;
  *d0 = ws;
  uint32_t we = (uint32_t)((end + s->window - 1) / s->window);   /* first window wholly after it */
  if (we <= ws) we = ws + 1;
  *d1 = we < done ? we : done;
  return *b1 > *b0 && *d1 > *d0;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* The median and the highest p99 of the windows [w0, w1) with answers; false when none had any. */
static bool p99_over(const fl_stats_t *st, uint32_t w0, uint32_t w1, double *tmp, double *med, double *peak) {
  int n = 0;
  for (uint32_t w = w0; w < w1; w++)
    if (st->series[FL_SER_SUCCESSES][w] + st->series[FL_SER_DEGRADED][w] > 0) tmp[n++] = st->series[FL_SER_P99][w];
  if (!n) return false;
  qsort(tmp, (size_t)n, sizeof *tmp, cmp_double);
  *med = n % 2 ? tmp[n / 2] : (tmp[n / 2 - 1] + tmp[n / 2]) / 2;
  *peak = tmp[n - 1];
  return true;
}

/* Success share over the windows [w0, w1), and the lowest window's; false when nothing was answered. */
static bool success_over(const fl_stats_t *st, uint32_t w0, uint32_t w1, double *ratio, double *low, double *answered) {
  double ok = 0, all = 0;
  *low = 1;
  for (uint32_t w = w0; w < w1; w++) {
    double o = st->series[FL_SER_SUCCESSES][w] + st->series[FL_SER_DEGRADED][w], a = o + st->series[FL_SER_FAILURES][w];
    ok += o; all += a;
    if (a > 0 && o / a < *low) *low = o / a;
  }
  *answered = all;
  if (all <= 0) return false;
  *ratio = ok / all;
  return true;
}

/* Thresholds of an effect worth naming: p99 at least x1.2 and 1 ms more, and above every window
** before it (so noise never reads as an effect); success down 1 point with 5 more failures; lag
** above twice the highest before and 10 more messages. */
#define EFFECT_P99_RATIO 1.2
#define EFFECT_P99_MIN 0.001
#define EFFECT_SUCCESS_DROP 0.01
#define EFFECT_LAG_MIN 10

static void add_subject_effects(fl_effect_t *fx, int *n, const fl_stats_t *st, int svc, int jrn, bool lag,
                                uint32_t b0, uint32_t b1, uint32_t d0, uint32_t d1, double *tmp) {
  fl_effect_t e = { .service = svc, .journey = jrn, .shared = -1 };
  if (lag) {
    double before = 0, during = 0;
    for (uint32_t w = b0; w < b1; w++) before = fmax(before, st->series[FL_SER_LAG][w]);
    for (uint32_t w = d0; w < d1; w++) during = fmax(during, st->series[FL_SER_LAG][w]);
    if (during >= 2 * before + EFFECT_LAG_MIN) {
      e.kind = FL_EFFECT_LAG; e.before = before; e.during = e.peak = during;
      fx[(*n)++] = e;
    }
    return;
  }
  double bmed, bpeak, dmed, dpeak;
  if (p99_over(st, b0, b1, tmp, &bmed, &bpeak) && p99_over(st, d0, d1, tmp, &dmed, &dpeak) &&
      dmed >= EFFECT_P99_RATIO * bmed && dmed - bmed >= EFFECT_P99_MIN && dmed > bpeak) {
    e.kind = FL_EFFECT_P99; e.before = bmed; e.during = dmed; e.peak = dpeak;
    fx[(*n)++] = e;
  }
  double bs, blow, ba, ds, dlow, da;
  if (success_over(st, b0, b1, &bs, &blow, &ba) && success_over(st, d0, d1, &ds, &dlow, &da) &&
      bs - ds >= EFFECT_SUCCESS_DROP && (1 - ds) * da - (1 - bs) * da >= 5) {
    e.kind = FL_EFFECT_SUCCESS; e.before = bs; e.during = ds; e.peak = dlow;
    fx[(*n)++] = e;
  }
}

/* Largest first: p99 by ratio, then success by drop, then lag by growth; ties in model order. */
static int cmp_effect(const void *a, const void *b) {
  const fl_effect_t *x = a, *y = b;
  if (x->kind != y->kind) return (int)x->kind - (int)y->kind;
  double sx, sy;
  switch (x->kind) {
  case FL_EFFECT_P99: sx = x->before > 0 ? x->during / x->before : INFINITY; sy = y->before > 0 ? y->during / y->before : INFINITY; break;
  case FL_EFFECT_SUCCESS: sx = x->before - x->during; sy = y->before - y->during; break;
  default: sx = x->during - x->before; sy = y->during - y->before; break;
  }
  if (sx != sy) return sx > sy ? -1 : 1;
  int kx = x->service >= 0 ? x->service : 100000 + x->journey, ky = y->service >= 0 ? y->service : 100000 + y->journey;
  return kx - ky;
}

static bool overlap(const fl_sim_t *s, int f, int g) {
  const fl_fault_rt_t *a = &s->fault[f], *b = &s->fault[g];
  if (a->started < 0 || b->started < 0) return false;
  fl_time_t ae = a->ended >= 0 ? a->ended : s->eng.now + 1, be = b->ended >= 0 ? b->ended : s->eng.now + 1;
  return a->started < be && b->started < ae;
}

static bool in_hits(const fl_fault_cascade_t *fc, const fl_sim_t *s, int svc, int jrn) {
  for (int h = 0; h < fc->nhits; h++) {
    const fl_change_t *ch = &s->changes[fc->hits[h].change];
    if (svc >= 0 ? ch->service == svc : (ch->service < 0 && ch->journey == jrn)) return true;
  }
  return false;
}

/* Fault f's effects on what its chain reaches; 'reach' holds each fault's reach, [fault][endpoint]. */
static void fault_effects(fl_fault_cascade_t *fc, const fl_sim_t *s, int f, bool *const *reach) {
  const fl_model_t *m = s->m;
  fc->overlaps = fl_xmalloc(sizeof *fc->overlaps * count_of(m->nfaults));
  for (int g = 0; g < m->nfaults; g++) if (g != f && overlap(s, f, g)) fc->overlaps[fc->noverlaps++] = g;
  uint32_t b0, b1, d0, d1;
  int cap = 2 * (m->nservices + m->njourneys) + 1;   /* two effects at most per subject */
  fl_effect_t *fx = fl_xmalloc(sizeof *fx * count_of(cap));
  int n = 0;
  if (fault_windows(s, f, &b0, &b1, &d0, &d1)) {
    if (fl_sim_consolidated(s)) {   /* the entries holding those windows */
      uint32_t wd = s->width, ne = fl_sim_entries(s);
      b0 /= wd; b1 = (b1 + wd - 1) / wd; d0 /= wd; d1 = (d1 + wd - 1) / wd;
      if (b1 > ne) b1 = ne;
      if (d1 > ne) d1 = ne;
    }
    double *tmp = fl_xmalloc(sizeof *tmp * (size_t)(s->nwindows ? s->nwindows : 1));
    for (int i = 0; i < m->nservices; i++)
      if (service_reached(&m->services[i], reach[f]))
        add_subject_effects(fx, &n, &s->svc[i].st, i, -1, m->services[i].broker, b0, b1, d0, d1, tmp);
    for (int j = 0; j < m->njourneys; j++)
      if (journey_reached(&m->journeys[j], reach[f])) add_subject_effects(fx, &n, &s->jrn[j].st, -1, j, false, b0, b1, d0, d1, tmp);
    free(tmp);
  }
  for (int k = 0; k < n; k++) {
    fl_effect_t *e = &fx[k];
    e->changed_state = in_hits(fc, s, e->service, e->journey);
    for (int o = 0; o < fc->noverlaps && e->shared < 0; o++) {
      int g = fc->overlaps[o];
      bool r = e->service >= 0 ? service_reached(&m->services[e->service], reach[g]) : journey_reached(&m->journeys[e->journey], reach[g]);
      if (r) e->shared = g;
    }
  }
  qsort(fx, (size_t)n, sizeof *fx, cmp_effect);
  fc->neffects = n < FL_CASCADE_EFFECTS ? n : FL_CASCADE_EFFECTS;
  fc->effects = fx;
}

static void fault_cascade(fl_fault_cascade_t *fc, const fl_cascade_t *c, const fl_sim_t *s, int f) {
  const fl_model_t *m = s->m;
  const fl_fault_t *ft = &m->faults[f];
  int n = s->nchanges;
  fc->end = s->fault[f].ended;
  fc->hits = fl_xmalloc(sizeof *fc->hits * count_of(n));
  fc->services = fl_xmalloc(sizeof *fc->services * count_of(n));
  fc->journeys = fl_xmalloc(sizeof *fc->journeys * count_of(n));
  fc->first_hit = fc->recovered = -1;
  bool all_recovered = true;
  fl_health_t *pre = fl_xmalloc(sizeof *pre * count_of(m->nservices + m->njourneys));
  pre_fault_states(s, c->root, f, pre);
  for (int oi = 0; oi < s->nchanges; oi++) {
    int i = c->order[oi];
    const fl_change_t *ch = &s->changes[i];
    fl_health_t was = pre[ch->service >= 0 ? ch->service : m->nservices + ch->journey];
    if (ch->to <= was || c->root[i] != f) continue;   /* back to (or better than) its state before the fault: no hit */
    fl_hit_t *h = &fc->hits[fc->nhits++];
    h->change = i;
    h->delay = fl_time_to_sec(ch->t) - ft->at;
    h->recovered = recovered_at(s, i, was);
    if (ch->service >= 0) add_once(fc->services, &fc->nservices, ch->service);
    else add_once(fc->journeys, &fc->njourneys, ch->journey);
    if (fc->first_hit < 0 || ch->t < fc->first_hit) fc->first_hit = ch->t;
    if (h->recovered < 0) all_recovered = false;
    else if (h->recovered > fc->recovered) fc->recovered = h->recovered;
  }
  /* past FL_CHANGES_MAX, while the fault lasted (or its last changes were confirmed): a subject it
  ** hit that went worse than its state before the fault again recovered when its latest change was
  ** back to that state */
  fl_time_t until = fc->end >= 0 ? fc->end + (fl_time_t)s->confirm * s->window : -1;
  for (int k = 0; s->change_run && k < fc->nservices + fc->njourneys; k++) {
    int x = k < fc->nservices ? fc->services[k] : m->nservices + fc->journeys[k - fc->nservices];
    const fl_change_run_t *cr = &s->change_run[x];
    if (cr->past < 0 || (until >= 0 && cr->past > until)) continue;
    if (pre[x] > FL_HEALTH_DEGRADED || cr->left_last[pre[x]] < 0) continue;
    if (cr->back_last[pre[x]] < cr->left_last[pre[x]]) all_recovered = false;
    else if (cr->back_last[pre[x]] > fc->recovered) fc->recovered = cr->back_last[pre[x]];
  }
  free(pre);
  if (fc->first_hit < 0 || !all_recovered) fc->recovered = -1;
  fc->episodes = fl_xmalloc(sizeof *fc->episodes * count_of(fc->nhits));
  for (int h = 0; h < fc->nhits; h++) {
    const fl_change_t *ch = &s->changes[fc->hits[h].change];
    int e = 0;
    for (; e < fc->nepisodes; e++) {
      const fl_change_t *first = &s->changes[fc->hits[fc->episodes[e].hit].change];
      if (first->service == ch->service && first->journey == ch->journey && first->to == ch->to) break;
    }
    if (e == fc->nepisodes) fc->episodes[fc->nepisodes++] = (fl_episode_t){ .hit = h, .count = 0 };
    fc->episodes[e].count++;
    fc->episodes[e].last = ch->t;
  }
  for (int e = 0; s->change_run && e < fc->nepisodes; e++) {   /* its hits past FL_CHANGES_MAX, as above */
    const fl_change_t *first = &s->changes[fc->hits[fc->episodes[e].hit].change];
    const fl_change_run_t *cr = &s->change_run[first->service >= 0 ? first->service : m->nservices + first->journey];
    if (cr->past < 0 || (until >= 0 && cr->past > until) || !cr->into[first->to]) continue;
    fc->episodes[e].count += (int)cr->into[first->to];
    fc->episodes[e].last = cr->into_last[first->to];
  }
  fc->impact = fl_xmalloc(sizeof *fc->impact * count_of(m->njourneys * 3));
  for (int k = 0; k < m->njourneys * 3; k++) fc->impact[k] = phase_of(&s->fault[f].phase[k]);
}

/* ---- flapping on the timeline ---- */

/* Runs of each subject's changes, each within FL_FLAP_SPAN windows of the one before. A run's
** episode is its changes up to its last return to the state it started from (an excursion still
** out, as a final escalation, stays on the timeline as it is); it flaps when it left that state for
** a worse one at least twice. */
typedef struct run { fl_flap_t all, kept; } run_t;

static void fold_flaps(fl_cascade_t *c, const fl_sim_t *s) {
  int n = s->nchanges, nsub = s->m->nservices + s->m->njourneys;
  fl_time_t span = (fl_time_t)FL_FLAP_SPAN * s->window;
  int *run = fl_xmalloc(sizeof *run * count_of(n)), *pos = fl_xmalloc(sizeof *pos * count_of(n));
  int *open = fl_xmalloc(sizeof *open * count_of(nsub));
  fl_time_t *last = fl_xmalloc(sizeof *last * count_of(nsub));
  run_t *r = fl_xcalloc(count_of(n), sizeof *r);   /* a run per change at most */
  int nruns = 0;
  for (int k = 0; k < nsub; k++) open[k] = -1;
  for (int oi = 0; oi < n; oi++) {
    const fl_change_t *ch = &s->changes[c->order[oi]];
    int k = ch->service >= 0 ? ch->service : s->m->nservices + ch->journey;
    if (open[k] < 0 || ch->t - last[k] > span) open[k] = nruns++;
    run[oi] = open[k];
    pos[oi] = r[open[k]].all.changes;
    last[k] = ch->t;
    fl_flap_add(&r[open[k]].all, &r[open[k]].kept, c->order[oi], ch->t, ch->from, ch->to);
  }
  /* past FL_CHANGES_MAX: a subject's last run that went on without records, as the run followed it */
  for (int k = 0; s->changes_dropped && k < nsub; k++) {
    const fl_change_run_t *cr = s->change_run ? &s->change_run[k] : NULL;
    if (cr && open[k] >= 0 && cr->all.first == r[open[k]].all.first && cr->all.changes > r[open[k]].all.changes) {
      r[open[k]].all = cr->all;
      r[open[k]].kept = cr->kept;
    }
  }
  int *episode = open = fl_xrealloc(open, sizeof *open * count_of(nruns));
  c->nflaps = 0;
  for (int x = 0; x < nruns; x++) episode[x] = r[x].kept.changes >= 3 && r[x].kept.flaps >= 2 ? c->nflaps++ : -1;
  c->flaps = fl_xmalloc(sizeof *c->flaps * count_of(c->nflaps));
  for (int x = 0; x < nruns; x++) if (episode[x] >= 0) c->flaps[episode[x]] = r[x].kept;
  c->flap = fl_xmalloc(sizeof *c->flap * count_of(n));
  for (int oi = 0; oi < n; oi++) {
    int e = episode[run[oi]];
    c->flap[c->order[oi]] = e >= 0 && pos[oi] < c->flaps[e].changes ? e : -1;
  }
  free(run); free(pos); free(episode); free(last); free(r);
}

void fl_cascade_init(fl_cascade_t *c, const fl_sim_t *s) {
  int n = s->nchanges;
  c->nchanges = n;
  c->order = change_order(s);
  c->root = fl_xmalloc(sizeof *c->root * count_of(n));
  for (int i = 0; i < n; i++) c->root[i] = root_fault(s, i);
  fold_flaps(c, s);
  c->nfaults = s->m->nfaults;
  c->fault = fl_xcalloc(count_of(c->nfaults), sizeof *c->fault);
  for (int f = 0; f < c->nfaults; f++) fault_cascade(&c->fault[f], c, s, f);
  bool **reach = fl_xmalloc(sizeof *reach * count_of(c->nfaults));
  waiters_t w;
  waiters_init(&w, s->m);
  int *queue = fl_xmalloc(sizeof *queue * count_of(s->m->nendpoints));
  for (int f = 0; f < c->nfaults; f++) {
    reach[f] = fl_xmalloc(sizeof **reach * count_of(s->m->nendpoints));
    chain_reach(s->m, &s->m->faults[f], &w, reach[f], queue);
  }
  free(queue);
  waiters_release(&w);
  for (int f = 0; f < c->nfaults; f++) fault_effects(&c->fault[f], s, f, reach);
  for (int f = 0; f < c->nfaults; f++) free(reach[f]);
  free(reach);
}

void fl_cascade_release(fl_cascade_t *c) {
  for (int f = 0; f < c->nfaults; f++) {
    free(c->fault[f].hits);
    free(c->fault[f].services);
    free(c->fault[f].journeys);
    free(c->fault[f].impact);
    free(c->fault[f].effects);
    free(c->fault[f].episodes);
    free(c->fault[f].overlaps);
  }
  free(c->fault);
  free(c->flaps);
  free(c->flap);
  free(c->order);
  free(c->root);
  *c = (fl_cascade_t){ 0 };
}
