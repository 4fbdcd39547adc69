/* Cascades: the health changes in timeline order, the fault each chain of changes starts from,
** and per fault its chain, blast radius (services and journeys reached), first hit, recovery and
** the journeys' success before, during and after it. Computed once into plain structs
** (faultline/analysis.h); the JSON report and the terminal print them. */
#include "faultline/analysis.h"

#include <stdlib.h>

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
  int *ord = fl_xmalloc(sizeof *ord * (size_t)(n ? n : 1)), *dep = fl_xmalloc(sizeof *dep * (size_t)(n ? n : 1));
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

/* When the entity of change i went back to ok after it, or -1. */
static fl_time_t recovered_at(const fl_sim_t *s, int i) {
  const fl_change_t *c = &s->changes[i];
  for (int k = i + 1; k < s->nchanges; k++) {
    const fl_change_t *d = &s->changes[k];
    if (d->service == c->service && d->journey == c->journey && (c->service >= 0 || d->service < 0) && d->to == FL_HEALTH_OK) return d->t;
  }
  return -1;
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

static void fault_cascade(fl_fault_cascade_t *fc, const fl_cascade_t *c, const fl_sim_t *s, int f) {
  const fl_model_t *m = s->m;
  const fl_fault_t *ft = &m->faults[f];
  int n = s->nchanges ? s->nchanges : 1;
  fc->end = s->fault[f].ended;
  fc->hits = fl_xmalloc(sizeof *fc->hits * (size_t)n);
  fc->services = fl_xmalloc(sizeof *fc->services * (size_t)n);
  fc->journeys = fl_xmalloc(sizeof *fc->journeys * (size_t)n);
  fc->first_hit = fc->recovered = -1;
  bool all_recovered = true;
  for (int oi = 0; oi < s->nchanges; oi++) {
    int i = c->order[oi];
    const fl_change_t *ch = &s->changes[i];
    if (ch->to == FL_HEALTH_OK || c->root[i] != f) continue;
    fl_hit_t *h = &fc->hits[fc->nhits++];
    h->change = i;
    h->delay = fl_time_to_sec(ch->t) - ft->at;
    h->recovered = recovered_at(s, i);
    if (ch->service >= 0) add_once(fc->services, &fc->nservices, ch->service);
    else add_once(fc->journeys, &fc->njourneys, ch->journey);
    if (fc->first_hit < 0 || ch->t < fc->first_hit) fc->first_hit = ch->t;
    if (h->recovered < 0) all_recovered = false;
    else if (h->recovered > fc->recovered) fc->recovered = h->recovered;
  }
  if (fc->first_hit < 0 || !all_recovered) fc->recovered = -1;
  fc->impact = fl_xmalloc(sizeof *fc->impact * (size_t)(m->njourneys ? m->njourneys * 3 : 1));
  for (int k = 0; k < m->njourneys * 3; k++) fc->impact[k] = phase_of(&s->fault[f].phase[k]);
}

void fl_cascade_init(fl_cascade_t *c, const fl_sim_t *s) {
  int n = s->nchanges;
  c->nchanges = n;
  c->order = change_order(s);
  c->root = fl_xmalloc(sizeof *c->root * (size_t)(n ? n : 1));
  for (int i = 0; i < n; i++) c->root[i] = root_fault(s, i);
  c->nfaults = s->m->nfaults;
  c->fault = fl_xcalloc((size_t)(c->nfaults ? c->nfaults : 1), sizeof *c->fault);
  for (int f = 0; f < c->nfaults; f++) fault_cascade(&c->fault[f], c, s, f);
}

void fl_cascade_release(fl_cascade_t *c) {
  for (int f = 0; f < c->nfaults; f++) {
    free(c->fault[f].hits);
    free(c->fault[f].services);
    free(c->fault[f].journeys);
    free(c->fault[f].impact);
  }
  free(c->fault);
  free(c->order);
  free(c->root);
  *c = (fl_cascade_t){ 0 };
}
