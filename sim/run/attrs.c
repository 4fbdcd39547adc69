/* Request attributes at run time: the values a request draws when it enters (traffic's attrs)
** and per item of a fan-out call (count = ..., attrs = ...: choice draws distinct items while
** there are enough values), from value ids interned at load time: no allocation, no strings. */
#include "run_int.h"

#include <math.h>

/* Smallest k with cdf[k] >= u (the last is 1). */
static int search(const double *cdf, int n, double u) {
  int lo = 0, hi = n - 1;
  while (lo < hi) { int mid = (lo + hi) / 2; if (cdf[mid] >= u) hi = mid; else lo = mid + 1; }
  return lo;
}

uint32_t fl__attr_draw(const fl_attr_gen_t *g, fl_rng_t *rng) {
  double u = fl_rng_uniform(rng);
  switch (g->kind) {
  case FL_ATTR_CHOICE: { int k = (int)(u * g->n); return g->ids[k < g->n ? k : g->n - 1]; }
  case FL_ATTR_SHARE: return g->ids[search(g->cdf, g->n, u)];
  case FL_ATTR_ZIPF: return (uint32_t)search(g->cdf, g->n, u) + 1;
  }
  return 0;
}

void fl__attrs_draw(const fl_attr_gen_t *g, int n, uint32_t *attr, fl_rng_t *rng) {
  for (int i = 0; i < n; i++) attr[g[i].key] = fl__attr_draw(&g[i], rng);
}

int fl__fan_out_count(fl_sim_t *s, const fl_call_t *call) {
  /* by inversion, not fl_dist_sample: that one is inlined in the hot path while it has one caller */
  double u = fl_rng_uniform(&s->rng_attrs);
  double c = floor(fl_dist_quantile(call->count, u > 0 ? u : 0x1p-53) + 0.5);
  return c <= 0 ? 0 : c >= FL_MAX_FANOUT ? FL_MAX_FANOUT : (int)c;
}

void fl__fan_out_item(fl_sim_t *s, const fl_req_t *q, const fl_call_t *call, int j, int k, uint32_t chosen[][FL_MAX_FANOUT], uint32_t *a) {
  for (int x = 0; x < FL_MAX_ATTRS; x++) a[x] = q->attr[x];
  for (int gi = 0; gi < call->nitems; gi++) {
    const fl_attr_gen_t *g = &call->items[gi];
    uint32_t v = fl__attr_draw(g, &s->rng_attrs);
    /* a page of 4 products shows 4 distinct ones: choice redraws a value already taken */
    if (g->kind == FL_ATTR_CHOICE && k <= g->n)
      for (int again = 1; again;) {
        again = 0;
        for (int p = 0; p < j; p++) if (chosen[gi][p] == v) { again = 1; v = fl__attr_draw(g, &s->rng_attrs); break; }
      }
    chosen[gi][j] = v;
    a[g->key] = v;
  }
}
