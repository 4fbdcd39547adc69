/* Load balancing: which instance of a service gets a request (round robin, random, least
** outstanding, power of two choices; a hedge avoids its first attempt's instance), which
** instances are in rotation, and Envoy's outlier ejection of instances that keep failing. */
#include "run_int.h"

#include <math.h>

static fl_instance_t *balance(const fl_service_t *svc, fl_svc_rt_t *r) {
  int n = r->ninst;
  if (r->nup == 0) return NULL;
  switch (svc->balancer) {
  case FL_LB_ROUND_ROBIN:
    for (int k = 0; k < n; k++) {
      fl_instance_t *in = &r->inst[r->rr++ % (uint32_t)n];
      if (in->up) return in;
    }
    return NULL;
  case FL_LB_RANDOM: {
    uint64_t k = fl_rng_below(&r->rng_lb, (uint64_t)r->nup);
    for (int i = 0; i < n; i++)
      if (r->inst[i].up && k-- == 0) return &r->inst[i];
    return NULL;
  }
  case FL_LB_LEAST_OUTSTANDING: {
    fl_instance_t *best = NULL;
    uint32_t start = r->rr++;
    for (int k = 0; k < n; k++) {
      fl_instance_t *in = &r->inst[(start + (uint32_t)k) % (uint32_t)n];
      if (in->up && (!best || in->outstanding < best->outstanding)) best = in;
    }
    return best;
  }
  case FL_LB_P2C: {
    if (r->nup == 1) { for (int i = 0; i < n; i++) if (r->inst[i].up) return &r->inst[i]; }
    fl_instance_t *a = NULL, *b = NULL;
    uint64_t ka = fl_rng_below(&r->rng_lb, (uint64_t)r->nup);
    uint64_t kb = fl_rng_below(&r->rng_lb, (uint64_t)r->nup - 1);
    if (kb >= ka) kb++;
    for (int i = 0, k = 0; i < n; i++) {
      if (!r->inst[i].up) continue;
      if (k == (int)ka) a = &r->inst[i];
      if (k == (int)kb) b = &r->inst[i];
      k++;
    }
    return b->outstanding < a->outstanding ? b : a;
  }
  default: return NULL;
  }
}

/* The instance for 'q', or NULL when none is in rotation. */
fl_instance_t *fl__pick_instance(const fl_service_t *svc, fl_svc_rt_t *r, const fl_req_t *q) {
  fl_instance_t *in = (q->flags & F_HEDGE) && q->ctx && q->ctx->first && r->nup > 1 ? q->ctx->first : balance(svc, r);
  if (in && (q->flags & F_HEDGE) && q->ctx && in == q->ctx->first && r->nup > 1) {
    /* a hedge goes to the next instance in rotation after the first attempt's */
    int k0 = (int)(q->ctx->first - r->inst);
    for (int k = 1; k < r->ninst; k++) {
      fl_instance_t *o = &r->inst[(k0 + k) % r->ninst];
      if (o->up) { in = o; break; }
    }
  }
  return in;
}

/* In rotation: ready, not draining, not noticed down, not ejected. */
void fl__set_rotation(fl_svc_rt_t *r, fl_instance_t *in) {
  bool up = in->exists && !in->starting && !in->draining && !in->noticed_down && !in->ejected;
  if (up == in->up) return;
  in->up = up;
  r->nup += up ? 1 : -1;
}

/* ---- outlier ejection (Envoy) ---- */

void fl__on_uneject(fl_engine_t *e, fl_event_t *ev) {
  fl_sim_t *s = SIM(e);
  fl_svc_rt_t *r = &s->svc[ev->aux];
  fl_instance_t *in = container_of(ev, fl_instance_t, eject_ev);
  in->ejected = false;
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
  int out_now = 0;
  for (int k = 0; k < r->ninst; k++) out_now += r->inst[k].ejected;
  int cap = (int)floor(svc->outlier.max_ejected * r->ninst + 1e-9);
  if (cap < 1) cap = 1;
  if (out_now >= cap) return;
  in->ejected = true;
  in->ejections++;
  if (s->eng.now >= s->warmup) r->ejections++;
  fl__set_rotation(r, in);
  fl_engine_cancel(&s->eng, &in->eject_ev);
  fl_engine_schedule(&s->eng, &in->eject_ev, fl_sec_to_time(svc->outlier.base_ejection) * in->ejections);
}
