/* Load balancing: which instance of a service gets a request (round robin, random, least
** outstanding, power of two choices; a hedge avoids its first attempt's instance), which
** instances are in rotation, and Envoy's outlier ejection of instances that keep failing. */
#include "run_int.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>

/* ---- the trees over the slots ----
** Every service keeps a count tree over its instance slots (1 for an instance in rotation):
** the k-th instance in rotation, by slot order, is found in O(log n), and so is the first one
** in rotation at or after a slot. least_outstanding and p2c also keep a min tree of the
** outstanding requests of the instances in rotation (INT_MAX for the others), updated as the
** counts change (fl__lb_outstanding, from request.c). An update climbs only to lb_top: for
** least_outstanding, the node over the first power-of-two slots that holds every slot ever in
** rotation (its ancestors, each then the same minimum, are left stale and never read: a service
** of 1 instance in 65 slots updates one leaf, not 8 nodes); p2c reads only the leaves, so its
** updates climb nowhere. Each pick below is the one the plain scan over the slots
** made (same instance, same draws, same rotation counter); the scans stay for the one case the
** trees do not cover, a rotation counter about to wrap around 2^32. */

static void up_set(fl_svc_rt_t *r, int k, int v) {
  int i = k + r->lb_size;
  r->lb_up[i] = v;
  for (i >>= 1; i >= 1; i >>= 1) r->lb_up[i] = r->lb_up[2 * i] + r->lb_up[2 * i + 1];
}

void fl__lb_min_set(fl_svc_rt_t *r, int k) {
  const fl_instance_t *in = &r->inst[k];
  int i = k + r->lb_size, v = in->up ? in->outstanding : INT_MAX, top = r->lb_top;
  if (r->lb_min[i] == v) return;
  r->lb_min[i] = v;
  for (i >>= 1; i >= top; i >>= 1) {   /* nodes below lb_top's level have higher numbers */
    int a = r->lb_min[2 * i], b = r->lb_min[2 * i + 1], m = a < b ? a : b;
    if (r->lb_min[i] == m) break;   /* nothing above changes */
    r->lb_min[i] = m;
  }
}

/* least_outstanding's kept nodes reach over slot k, which enters the rotation: lb_top climbs,
** each new one the minimum of the last (kept) and of the subtree on its right (slots never in
** rotation, INT_MAX throughout since the start). */
static void min_cover(fl_svc_rt_t *r, int k) {
  if (r->lb_top > r->lb_size) return;   /* p2c: leaves only */
  while (k >= r->lb_size / r->lb_top) {
    int t = r->lb_top >>= 1;
    r->lb_min[t] = r->lb_min[2 * t] < r->lb_min[2 * t + 1] ? r->lb_min[2 * t] : r->lb_min[2 * t + 1];
  }
}

/* The slot of the k-th (from 0) instance in rotation, by slot order; k < nup. */
static int up_select(const fl_svc_rt_t *r, int k) {
  if (r->nup == r->ninst) return k;   /* every slot in use is in rotation */
  int i = 1;
  while (i < r->lb_size) {
    i *= 2;
    if (r->lb_up[i] <= k) { k -= r->lb_up[i]; i++; }
  }
  return i - r->lb_size;
}

/* Instances in rotation in slots [0, k). */
static int up_before(const fl_svc_rt_t *r, int k) {
  int n = 0;
  for (int i = k + r->lb_size; i > 1; i >>= 1)
    if (i & 1) n += r->lb_up[i - 1];
  return n;
}

/* The first slot in rotation at or after k, wrapping around to slot 0; nup > 0. */
static int up_next(const fl_svc_rt_t *r, int k) {
  if (r->nup == r->ninst) return k < r->ninst ? k : 0;
  int before = k < r->lb_size ? up_before(r, k) : r->nup;
  return up_select(r, before < r->nup ? before : 0);
}

/* The first slot at or after k whose subtree minimum is at most m, or -1. It reads no stale
** node: those are lb_top's ancestors, powers of two, which it climbs through unread and never
** steps right onto (the node it reads after a climb is odd). */
static int min_from(const fl_svc_rt_t *r, int k, int m) {
  int i = k + r->lb_size;
  while (r->lb_min[i] > m) {
    while (i & 1) i >>= 1;    /* climb out of right children ... */
    if (i == 0) return -1;
    i++;                      /* ... to the subtree just right of what was looked at */
  }
  while (i < r->lb_size) { i *= 2; if (r->lb_min[i] > m) i++; }
  return i - r->lb_size;
}

void fl__balancer_init(fl_sim_t *s, int id) {
  fl_svc_rt_t *r = &s->svc[id];
  int size = 1;
  while (size < r->cap) size *= 2;
  r->lb_size = size;
  r->lb_up = fl_xcalloc((size_t)size * 2, sizeof *r->lb_up);
  for (int k = 0; k < r->cap; k++) r->lb_up[size + k] = r->inst[k].up;
  for (int i = size - 1; i >= 1; i--) r->lb_up[i] = r->lb_up[2 * i] + r->lb_up[2 * i + 1];
  fl_balancer_t lb = s->m->services[id].balancer;
  if (lb != FL_LB_LEAST_OUTSTANDING && lb != FL_LB_P2C) return;
  r->lb_min = fl_xmalloc((size_t)size * 2 * sizeof *r->lb_min);
  for (int i = 0; i < 2 * size; i++) r->lb_min[i] = INT_MAX;
  for (int k = 0; k < r->cap; k++) if (r->inst[k].up) r->lb_min[size + k] = r->inst[k].outstanding;
  for (int i = size - 1; i >= 1; i--) r->lb_min[i] = r->lb_min[2 * i] < r->lb_min[2 * i + 1] ? r->lb_min[2 * i] : r->lb_min[2 * i + 1];
  int span = 1;
  while (span < r->ninst) span *= 2;
  r->lb_top = lb == FL_LB_P2C ? 2 * size : size / span;
}

void fl__balancer_release(fl_svc_rt_t *r) {
  free(r->lb_up); free(r->lb_min);
  r->lb_up = r->lb_min = NULL;
}

/* ---- choosing ---- */

/* Past this many slots an instance picked at random is seldom in the cache, and a pick costs a
** miss to memory. random and p2c know their next picks ahead: the next draws of their stream,
** taken here from a copy of it (the stream itself does not move, and no choice changes). So
** each pick asks the memory for the next one's instance (and p2c's leaves) while the request it
** chose goes on; if the rotation changes meanwhile, the fetch was merely wasted. (gcc drops the
** calls of a function not inlined that does nothing but prefetch, taking it for one without
** effects; this one survives by its draws. A helper made only of prefetches must be inlined.) */
#define PREFETCH_FROM 4096

static void prefetch_next(const fl_svc_rt_t *r, bool two) {
  fl_rng_t peek = r->rng_lb;
  int ka = (int)fl_rng_below(&peek, (uint64_t)r->nup), a = up_select(r, ka);
  __builtin_prefetch(&r->inst[a], 1);
  if (!two) return;
  int kb = (int)fl_rng_below(&peek, (uint64_t)r->nup - 1), b = up_select(r, kb >= ka ? kb + 1 : kb);
  __builtin_prefetch(&r->inst[b], 1);
  __builtin_prefetch(&r->lb_min[r->lb_size + a]);
  __builtin_prefetch(&r->lb_min[r->lb_size + b]);
}

static fl_instance_t *balance(const fl_service_t *svc, fl_svc_rt_t *r) {
  int n = r->ninst;
  if (r->nup == 0) return NULL;
  switch (svc->balancer) {
  case FL_LB_ROUND_ROBIN: {
    fl_instance_t *in = &r->inst[r->rr % (uint32_t)n];
    if (in->up) { r->rr++; return in; }
    if (r->rr > UINT32_MAX - (uint32_t)n) {   /* the plain scan, across the counter's wrap */
      for (int k = 0; k < n; k++) {
        in = &r->inst[r->rr++ % (uint32_t)n];
        if (in->up) return in;
      }
      return NULL;
    }
    /* the scan stepped the counter once per slot it looked at, up to the next one in rotation */
    int k0 = (int)(r->rr % (uint32_t)n), k = up_next(r, k0);
    r->rr += (uint32_t)(k >= k0 ? k - k0 : n - k0 + k) + 1;
    return &r->inst[k];
  }
  case FL_LB_RANDOM: {
    fl_instance_t *in = &r->inst[up_select(r, (int)fl_rng_below(&r->rng_lb, (uint64_t)r->nup))];
    if (n >= PREFETCH_FROM) prefetch_next(r, false);
    return in;
  }
  case FL_LB_LEAST_OUTSTANDING: {
    /* the first instance with the fewest outstanding, looking from the rotation counter on */
    uint32_t start = r->rr++;
    if (start > UINT32_MAX - (uint32_t)n) {   /* the plain scan, across the counter's wrap */
      fl_instance_t *best = NULL;
      for (int k = 0; k < n; k++) {
        fl_instance_t *in = &r->inst[(start + (uint32_t)k) % (uint32_t)n];
        if (in->up && (!best || in->outstanding < best->outstanding)) best = in;
      }
      return best;
    }
    int m = r->lb_min[r->lb_top], k = min_from(r, (int)(start % (uint32_t)n), m);
    return &r->inst[k >= 0 ? k : min_from(r, 0, m)];
  }
  case FL_LB_P2C: {
    if (r->nup == 1) return &r->inst[up_select(r, 0)];
    uint64_t ka = fl_rng_below(&r->rng_lb, (uint64_t)r->nup);
    uint64_t kb = fl_rng_below(&r->rng_lb, (uint64_t)r->nup - 1);
    if (kb >= ka) kb++;
    /* the counts from the tree's leaves: a dense array, not two instances far apart */
    int a = up_select(r, (int)ka), b = up_select(r, (int)kb);
    fl_instance_t *in = &r->inst[r->lb_min[r->lb_size + b] < r->lb_min[r->lb_size + a] ? b : a];
    if (n >= PREFETCH_FROM) prefetch_next(r, true);
    return in;
  }
  default: return NULL;
  }
}

/* The instance for 'q', or NULL when none is in rotation. */
fl_instance_t *fl__pick_instance(const fl_service_t *svc, fl_svc_rt_t *r, const fl_req_t *q) {
  fl_instance_t *in = (q->flags & F_HEDGE) && q->ctx && q->ctx->first && r->nup > 1 ? q->ctx->first : balance(svc, r);
  if (in && (q->flags & F_HEDGE) && q->ctx && in == q->ctx->first && r->nup > 1) {
    /* a hedge goes to the next instance in rotation after the first attempt's (another one:
    ** more than one is in rotation) */
    int k0 = (int)(q->ctx->first - r->inst);
    in = &r->inst[up_next(r, (k0 + 1) % r->ninst)];
  }
  return in;
}

/* In rotation: ready, not draining, not noticed down, not ejected. */
void fl__set_rotation(fl_svc_rt_t *r, fl_instance_t *in) {
  bool up = in->exists && !in->starting && !in->draining && !in->noticed_down && !in->ejected;
  if (up == in->up) return;
  in->up = up;
  r->nup += up ? 1 : -1;
  int k = (int)(in - r->inst);
  up_set(r, k, up);
  if (!r->lb_min) return;
  if (up) min_cover(r, k);
  fl__lb_min_set(r, k);
}

/* ---- outlier ejection (Envoy) ---- */

/* Sets an instance's ejection, counting the ejected ones among the slots in use (r->nejected,
** kept as the slots in use change by scaling.c). */
void fl__set_ejected(fl_svc_rt_t *r, fl_instance_t *in, bool ejected) {
  if (in->ejected == ejected) return;
  in->ejected = ejected;
  if (in - r->inst < r->ninst) r->nejected += ejected ? 1 : -1;
}

void fl__on_uneject(fl_engine_t *e, fl_event_t *ev) {
  fl_sim_t *s = SIM(e);
  fl_svc_rt_t *r = &s->svc[ev->aux];
  fl_instance_t *in = container_of(ev, fl_instance_t, eject_ev);
  fl__set_ejected(r, in, false);
  in->consecutive_errors = 0;
  fl__set_rotation(r, in);
}

/* Consecutive failures originating at an instance eject it for base_ejection x (times ejected),
** while no more than max_ejected of the instances are out (at least one may always be). */
void fl__outlier_record(fl_sim_t *s, const fl_service_t *svc, fl_instance_t *in, fl_outcome_t out, fl_cause_t cause, int origin) {
  if (out != FL_OUT_FAILURE) { in->consecutive_errors = 0; return; }
  if (origin != svc->id || (cause != FL_CAUSE_ERROR && cause != FL_CAUSE_UNAVAILABLE && cause != FL_CAUSE_TIMEOUT)) return;
  if (++in->consecutive_errors < svc->outlier.consecutive_errors || in->ejected) return;
  fl_svc_rt_t *r = &s->svc[svc->id];
  int cap = (int)floor(svc->outlier.max_ejected * r->ninst + 1e-9);
  if (cap < 1) cap = 1;
  if (r->nejected >= cap) return;
  fl__set_ejected(r, in, true);
  in->ejections++;
  if (s->eng.now >= s->warmup) r->ejections++;
  fl__set_rotation(r, in);
  fl_engine_cancel(&s->eng, &in->eject_ev);
  fl_engine_schedule(&s->eng, &in->eject_ev, fl_sec_to_time(svc->outlier.base_ejection) * in->ejections);
}
