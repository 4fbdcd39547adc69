/* The run state's invariant checker (debug): the counts kept per service agree with those of
** its instances (the ejected ones too), requests in flight balance with the pool, and waiting rooms, workers, breakers'
** windows and brokers' rings stay within their bounds, the balancer's trees follow the instances, consolidating series fold
** what leaves their ring into entries that cover exactly the windows folded. Tests run it after every window
** (FAULTLINE_CHECK_INVARIANTS=1); it is never on the hot path. */
#include "run_int.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>

static int broken(char *why, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int broken(char *why, size_t n, const char *fmt, ...) {
  if (why && n) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, n, fmt, ap);
    va_end(ap);
  }
  return -FL_EINTERNAL;
}

/* One instance: its waiting room is a list of 'queued' requests within the service's room, it
** holds (busy + queued) at most the requests on its list, which number 'outstanding'. */
static int check_instance(const fl_service_t *svc, const fl_instance_t *in, int k, char *why, size_t n) {
  const char *name = svc->name;
  if (in->busy < 0 || in->queued < 0 || in->outstanding < 0)
    return broken(why, n, "service '%s' instance %d: negative count (busy %d, queued %d, outstanding %d)", name, k, in->busy, in->queued, in->outstanding);
  if (in->busy > svc->workers) return broken(why, n, "service '%s' instance %d: %d busy workers of %d", name, k, in->busy, svc->workers);
  if (in->queued > svc->queue) return broken(why, n, "service '%s' instance %d: %d waiting in a room of %lld", name, k, in->queued, (long long)svc->queue);
  int len = 0;
  const fl_req_t *last = NULL;
  for (const fl_req_t *q = in->qhead; q; q = q->next) { last = q; if (++len > in->queued) break; }
  if (len != in->queued || last != in->qtail)
    return broken(why, n, "service '%s' instance %d: its waiting room holds %d requests but counts %d", name, k, len, in->queued);
  int held = 0;
  for (const fl_req_t *q = in->reqs.head; q; q = q->lnext) if (++held > in->outstanding) break;
  if (held != in->outstanding)
    return broken(why, n, "service '%s' instance %d: holds %d requests but counts %d outstanding", name, k, held, in->outstanding);
  if (in->busy + in->queued > in->outstanding)
    return broken(why, n, "service '%s' instance %d: %d busy and %d waiting but %d outstanding", name, k, in->busy, in->queued, in->outstanding);
  if (in->up && !in->exists) return broken(why, n, "service '%s' instance %d: in rotation but gone", name, k);
  if (in->crashed < 0 || in->hung < 0) return broken(why, n, "service '%s' instance %d: %d crash and %d hang faults active", name, k, in->crashed, in->hung);
  if (in->alive && (!in->exists || in->crashed)) return broken(why, n, "service '%s' instance %d: alive but %s", name, k, in->exists ? "crashed" : "gone");
  return 0;
}

/* The balancer's trees (balancer.c) agree with the instances: a count leaf per slot in
** rotation, a min leaf of its outstanding requests (INT_MAX out of rotation), and every inner
** node the sum or minimum of its children; the min tree's, only those kept: none for p2c (its
** lb_top past the leaves), all but lb_top's ancestors for least_outstanding, whose lb_top is over
** every slot in rotation. */
static int check_balancer(const fl_service_t *svc, const fl_svc_rt_t *r, char *why, size_t n) {
  int size = r->lb_size, top = r->lb_top;
  if (size < r->cap || !r->lb_up) return broken(why, n, "service '%s': balancer tree of %d leaves for %d slots", svc->name, size, r->cap);
  bool leaves_only = svc->balancer == FL_LB_P2C;
  if (r->lb_min && (leaves_only ? top != 2 * size : top < 1 || top > size || (top & (top - 1))))
    return broken(why, n, "service '%s': balancer min tree kept up to node %d of %d leaves", svc->name, top, size);
  for (int k = 0; k < size; k++) {
    bool up = k < r->cap && r->inst[k].up;
    if (r->lb_up[size + k] != up) return broken(why, n, "service '%s': balancer tree counts slot %d %s rotation", svc->name, k, up ? "out of" : "in");
    int v = up ? r->inst[k].outstanding : INT_MAX;
    if (r->lb_min && r->lb_min[size + k] != v)
      return broken(why, n, "service '%s': balancer tree holds %d outstanding for slot %d, which has %d", svc->name, r->lb_min[size + k], k, v);
    if (r->lb_min && !leaves_only && up && k >= size / top)
      return broken(why, n, "service '%s': slot %d is in rotation past the balancer min tree's kept node %d", svc->name, k, top);
  }
  for (int i = size - 1; i >= 1; i--) {
    if (r->lb_up[i] != r->lb_up[2 * i] + r->lb_up[2 * i + 1]) return broken(why, n, "service '%s': balancer count tree node %d is not its children's sum", svc->name, i);
    bool kept = r->lb_min && !leaves_only && (i >= top || (i & (i - 1)));
    int m = kept ? (r->lb_min[2 * i] < r->lb_min[2 * i + 1] ? r->lb_min[2 * i] : r->lb_min[2 * i + 1]) : 0;
    if (kept && r->lb_min[i] != m) return broken(why, n, "service '%s': balancer min tree node %d is not its children's minimum", svc->name, i);
  }
  if (r->lb_up[1] != r->nup) return broken(why, n, "service '%s': balancer tree counts %d in rotation, not %d", svc->name, r->lb_up[1], r->nup);
  return 0;
}

/* One service: its totals are the sums over its instances. */
static int check_service(const fl_sim_t *s, int i, int64_t *inflight, char *why, size_t n) {
  const fl_service_t *svc = &s->m->services[i];
  const fl_svc_rt_t *r = &s->svc[i];
  if (r->ninst < 0 || r->ninst > r->cap) return broken(why, n, "service '%s': %d slots in use of %d", svc->name, r->ninst, r->cap);
  int busy = 0, queued = 0, up = 0, desired = 0, outstanding = 0, alive = 0, ejected = 0;
  for (int k = 0; k < r->cap; k++) {
    const fl_instance_t *in = &r->inst[k];
    if (k >= r->ninst && in->exists) return broken(why, n, "service '%s': instance %d exists past the %d slots in use", svc->name, k, r->ninst);
    int rc = check_instance(svc, in, k, why, n);
    if (rc) return rc;
    busy += in->busy; queued += in->queued; up += in->up; outstanding += in->outstanding; alive += in->alive;
    desired += in->exists && !in->draining;
    ejected += k < r->ninst && in->ejected;
  }
  if (busy != r->busy) return broken(why, n, "service '%s': %d busy workers but its instances' sum is %d", svc->name, r->busy, busy);
  if (queued != r->queued) return broken(why, n, "service '%s': %d queued but its instances' sum is %d", svc->name, r->queued, queued);
  if (up != r->nup) return broken(why, n, "service '%s': %d instances in rotation but %d are up", svc->name, r->nup, up);
  if (alive != r->nalive) return broken(why, n, "service '%s': %d instances alive but %d are", svc->name, r->nalive, alive);
  if (ejected != r->nejected) return broken(why, n, "service '%s': %d instances ejected but %d are", svc->name, r->nejected, ejected);
  if (desired != r->desired) return broken(why, n, "service '%s': %d instances desired but %d exist undrained", svc->name, r->desired, desired);
  if (r->inflight < outstanding) return broken(why, n, "service '%s': %d requests in flight but its instances hold %d", svc->name, r->inflight, outstanding);
  int rc = check_balancer(svc, r, why, n);
  if (rc) return rc;
  for (int x = 0; x < r->ncallees; x++)
    if (r->wcount[x] < 0) return broken(why, n, "service '%s': %d workers waiting on a callee", svc->name, r->wcount[x]);
  for (int x = 0; x < r->ncallees; x++)
    if (r->acount[x] < r->wcount[x]) return broken(why, n, "service '%s': fewer requests (%d) than workers (%d) waiting on a callee", svc->name, r->acount[x], r->wcount[x]);
  /* the latency total holds every answer after warm-up: request by request, or a few at a time
  ** with the last few still pending (total_batched) */
  uint64_t held = r->st.htotal->count + (s->total_batched ? r->st.npend : 0);
  if (r->st.npend >= FL_STATS_PEND) return broken(why, n, "service '%s': %u latencies pending", svc->name, r->st.npend);
  if (!r->st.wused && !r->scoped && r->st.hwin->count)
    return broken(why, n, "service '%s': its window histogram holds %llu latencies, none flushed", svc->name, (unsigned long long)r->st.hwin->count);
  if (s->inst_of[svc->id] != r->inst) return broken(why, n, "service '%s': its instances are not where arrivals look for them", svc->name);
  for (int k = 0; k < svc->nendpoints; k++)
    if (svc->endpoints[k].sid != svc->id) return broken(why, n, "service '%s': endpoint '%s' names service %d", svc->name, svc->endpoints[k].name, svc->endpoints[k].sid);
  if (held != r->st.total.successes + r->st.total.degraded)
    return broken(why, n, "service '%s': its latency total holds %llu answers but it counts %llu after warm-up", svc->name,
                  (unsigned long long)held, (unsigned long long)(r->st.total.successes + r->st.total.degraded));
  *inflight += r->inflight;
  return 0;
}

/* Call sites' breakers and bulkheads, brokers' rings, journeys' sessions. */
static int check_policies(const fl_sim_t *s, char *why, size_t n) {
  for (int id = 0; id < s->ncalls; id++) {
    const fl_call_rt_t *cr = &s->call[id];
    const fl_call_t *call = s->calls[id];
    for (int k = 0; cr->br && k < cr->ncaller; k++) {
      const fl_breaker_t *b = &cr->br[k];
      if (b->n < 0 || b->n > call->breaker.window || b->fails < 0 || b->fails > b->n || b->slows < 0 || b->slows > b->n)
        return broken(why, n, "call site %d: breaker of caller instance %d counts %d failed and %d slow of %d calls", id, k, b->fails, b->slows, b->n);
    }
    for (int k = 0; cr->inflight && k < cr->ncaller; k++)
      if (cr->inflight[k] < 0) return broken(why, n, "call site %d: bulkhead of caller instance %d holds %d", id, k, cr->inflight[k]);
  }
  for (int g = 0; g < s->ngroups; g++) {
    const fl_group_t *gr = &s->groups[g];
    if (gr->count < 0 || gr->count > gr->cap || gr->inflight < 0 || gr->inflight > gr->limit)
      return broken(why, n, "consumer group %d: %lld messages in a ring of %lld, %d in flight of %d", g, (long long)gr->count, (long long)gr->cap, gr->inflight, gr->limit);
  }
  for (int j = 0; j < s->m->njourneys; j++)
    if (s->jrn[j].inflight < 0) return broken(why, n, "journey '%s': %d sessions in flight", s->m->journeys[j].name, s->jrn[j].inflight);
  if (s->npart_active < 0) return broken(why, n, "%d link faults active", s->npart_active);
  return 0;
}

int fl_sim_check_invariants(const fl_sim_t *s, char *why, size_t n) {
  if (why && n) why[0] = 0;
  int64_t inflight = 0;
  for (int i = 0; i < s->m->nservices; i++) {
    int rc = check_service(s, i, &inflight, why, n);
    if (rc) return rc;
  }
  uint64_t free_reqs = 0;
  for (const fl_req_t *q = s->free_reqs; q && free_reqs <= s->reqs_allocated; q = q->next) free_reqs++;
  if (free_reqs + s->reqs_live != s->reqs_allocated)
    return broken(why, n, "requests do not balance: %llu allocated, %llu free and %llu live", (unsigned long long)s->reqs_allocated,
                  (unsigned long long)free_reqs, (unsigned long long)s->reqs_live);
  if (s->unmeasured_live > s->reqs_live)
    return broken(why, n, "%llu requests of the warm-up live, more than the %llu live", (unsigned long long)s->unmeasured_live, (unsigned long long)s->reqs_live);
  if (s->total_batched && s->unmeasured_live)
    return broken(why, n, "latency totals taken in batches with %llu requests of the warm-up live", (unsigned long long)s->unmeasured_live);
  if (s->reqs_live > s->reqs_peak) return broken(why, n, "%llu requests live, over the peak of %llu", (unsigned long long)s->reqs_live, (unsigned long long)s->reqs_peak);
  if ((uint64_t)inflight > s->reqs_live)
    return broken(why, n, "services count %lld requests in flight but only %llu are live", (long long)inflight, (unsigned long long)s->reqs_live);
  if (s->wdone > s->nwindows) return broken(why, n, "%u windows closed of %u", s->wdone, s->nwindows);
  if (s->ring && !s->finished) {   /* consolidating (series.c): the ring holds what is not folded, the entries their windows */
    uint64_t held = (uint64_t)s->nentries * s->width;
    if (s->folded > s->wdone || s->wdone - s->folded > s->ring)
      return broken(why, n, "%u windows closed, %u folded: more than the ring of %u held", s->wdone, s->folded, s->ring);
    if (s->nentries > s->ncons || held < s->folded || (s->folded && held >= (uint64_t)s->folded + s->width))
      return broken(why, n, "%u entries of %u windows (at most %u) for %u windows folded", s->nentries, s->width, s->ncons, s->folded);
  }
  return check_policies(s, why, n);
}
