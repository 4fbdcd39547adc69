/* An endpoint's calls: its sequential steps of parallel calls (probability, cache hits,
** asynchronous publishes), each call's attempts (launch, the call context that holds retries and
** hedges), timeouts and deadlines, and the answers flowing back to the waiting caller. */
#include "run_int.h"

#include <string.h>

static void launch(fl_sim_t *s, fl_req_t *parent, int ci, fl_callctx_t *ctx, const uint32_t *attr);
static void call_done(fl_sim_t *s, fl_req_t *q, int ci, fl_outcome_t out, fl_cause_t cause, int origin);
static void next_step(fl_sim_t *s, fl_req_t *q);

/* ---- sending ---- */

static void on_delayed_arrival(fl_engine_t *e, fl_event_t *ev) {
  fl_req_t *q = container_of(ev, fl_req_t, ev);
  fl__arrive_from(SIM(e), q, q->arrived);
}

/* The latency faults on q's endpoint, or on the requests whose attributes match, add on the way:
** out of line, so that the hot path (send_after, inlined in its two callers) stays small. */
static __attribute__((noinline)) fl_time_t precise_latency(const fl_sim_t *s, const fl_req_t *q) {
  return s->ep[q->ep->id].latency + (s->nwhere_active ? fl__where_latency(s, q) : 0);
}

/* Delivers a request to its service, after the latency faults add on the way: a link's ('extra')
** is the caller's, before the service's door; the service's, its endpoint's and those on the
** request's attributes are the service's own, in its latency (measured from the door). */
static inline __attribute__((always_inline)) void send_after(fl_sim_t *s, fl_req_t *q, fl_time_t extra) {
  fl_time_t lat = s->svc[q->ep->sid].latency + extra;
  if (s->nep_active | s->nwhere_active) lat += precise_latency(s, q);
  if (lat > 0) {
    q->arrived = s->eng.now + extra;
    q->ev.cb = on_delayed_arrival;
    fl_engine_schedule(&s->eng, &q->ev, lat);
  } else {
    fl__arrive(s, q);
  }
}

void fl__send(fl_sim_t *s, fl_req_t *q) { send_after(s, q, 0); }

/* ---- call contexts: the attempts of a call with retries or hedging ---- */

static fl_callctx_t *ctx_alloc(fl_sim_t *s) {
  if (!s->free_ctx) {
    ctx_chunk_t *ch = fl_xmalloc(sizeof *ch);
    ch->next = s->ctx_chunks; s->ctx_chunks = ch;
    for (int i = CHUNK_CTX - 1; i >= 0; i--) { ch->c[i].next = s->free_ctx; s->free_ctx = &ch->c[i]; }
  }
  fl_callctx_t *x = s->free_ctx;
  s->free_ctx = x->next;
  memset(x, 0, sizeof *x);
  return x;
}

static void ctx_free(fl_sim_t *s, fl_callctx_t *x) {
  FL_ASSERT(!fl_event_pending(&x->ev) && x->outstanding == 0);
  x->next = s->free_ctx; s->free_ctx = x;
}

static void on_ctx_timer(fl_engine_t *e, fl_event_t *ev);

static void arm_hedge(fl_sim_t *s, fl_callctx_t *x, const fl_call_t *call) {
  if (!call->hedge.on || x->hedges >= call->hedge.max || x->waiting) return;
  fl_time_t d = fl__hedge_delay(s, call);
  if (d <= 0) return;
  x->ev.cb = on_ctx_timer;
  fl_engine_cancel(&s->eng, &x->ev);
  fl_engine_schedule(&s->eng, &x->ev, d);
}

/* The backoff ended (retry), or the hedge timer fired (another attempt while one is slow). */
static void on_ctx_timer(fl_engine_t *e, fl_event_t *ev) {
  fl_sim_t *s = SIM(e);
  fl_callctx_t *x = container_of(ev, fl_callctx_t, ev);
  fl_req_t *p = x->parent;
  if (!p || p->gen != x->pgen) {
    x->parent = NULL;
    if (!x->outstanding) ctx_free(s, x);
    return;
  }
  const fl_call_t *call = &p->ep->calls[x->ci];
  if (x->waiting) { x->waiting = false; launch(s, p, x->ci, x, p->attr); }
  else { x->hedges++; s->call[call->id].hedges++; launch(s, p, x->ci, x, p->attr); }
  arm_hedge(s, x, call);
}

/* One attempt of a call with retries or hedging answered. */
static void ctx_attempt_done(fl_sim_t *s, fl_callctx_t *x, fl_outcome_t out, fl_cause_t cause, int origin) {
  x->outstanding--;
  fl_req_t *p = x->parent;
  if (!p || p->gen != x->pgen) {
    x->parent = NULL;
    if (!x->outstanding && !fl_event_pending(&x->ev)) ctx_free(s, x);
    return;
  }
  const fl_call_t *call = &p->ep->calls[x->ci];
  if (out == FL_OUT_FAILURE && !x->waiting) {
    int retries_done = x->attempts - 1 - x->hedges;
    if (retries_done < call->retries && (call->retry_on & (1u << cause))) {
      if (fl__budget_allows(s, call)) {
        fl_call_rt_t *cr = &s->call[call->id];
        cr->retries++;
        fl__budget_roll(s, cr);
        cr->bret[0] += 1;
        fl_engine_cancel(&s->eng, &x->ev);
        x->waiting = true;
        x->ev.cb = on_ctx_timer;
        fl_engine_schedule(&s->eng, &x->ev, fl__backoff(s, call, retries_done + 1));
        return;
      }
      s->call[call->id].budget_denied++;
    }
  }
  if (out == FL_OUT_FAILURE && (x->outstanding || x->waiting)) return;   /* another attempt may still answer */
  fl_engine_cancel(&s->eng, &x->ev);
  x->waiting = false;
  x->parent = NULL;
  int ci = x->ci;
  if (!x->outstanding) ctx_free(s, x);
  call_done(s, p, ci, out, cause, origin);
}

void fl__deliver(fl_sim_t *s, fl_req_t *p, uint32_t pgen, fl_callctx_t *x, int ci, fl_outcome_t out, fl_cause_t cause, int origin) {
  if (x) ctx_attempt_done(s, x, out, cause, origin);
  else if (p && p->gen == pgen) call_done(s, p, ci, out, cause, origin);
}

/* ---- calls and their attempts ---- */

/* Inlined in its two callers (a step's call, a fan-out's item): one call per request on the hot path. */
static inline __attribute__((always_inline)) void issue_call(fl_sim_t *s, fl_req_t *parent, int ci, const uint32_t *attr) {
  const fl_call_t *call = &parent->ep->calls[ci];
  fl_call_rt_t *cr = &s->call[call->id];
  cr->calls++;
  s->svc[parent->ep->sid].calls_via[call->slot]++;
  if (call->budget_ratio > 0) { fl__budget_roll(s, cr); cr->breq[0] += 1; }
  fl_callctx_t *x = NULL;
  if (call->retries > 0 || call->hedge.on) {
    x = ctx_alloc(s);
    fl_event_init(&x->ev, on_ctx_timer);
    x->parent = parent; x->pgen = parent->gen; x->ci = (uint16_t)ci;
  }
  launch(s, parent, ci, x, attr);
  if (x) arm_hedge(s, x, call);
}

/* Sends one attempt of a call through the caller's breaker and bulkhead. */
static void launch(fl_sim_t *s, fl_req_t *parent, int ci, fl_callctx_t *x, const uint32_t *attr) {
  const fl_call_t *call = &parent->ep->calls[ci];
  fl_call_rt_t *cr = &s->call[call->id];
  const fl_service_t *caller = parent->ep->service;
  fl_req_t *c = fl__req_alloc(s);
  c->ep = call->target;
  c->call = (uint16_t)ci;
  c->call_id = call->id;
  c->caller_inst = (int32_t)(parent->inst - s->svc[caller->id].inst);
  if (s->m->nattr_keys) memcpy(c->attr, attr, sizeof c->attr);   /* the request's attributes travel with its calls (none: never read) */
  if (x) { c->ctx = x; if (x->hedges && !x->waiting) c->flags |= F_HEDGE; x->attempts++; x->outstanding++; }
  else { c->parent = parent; c->parent_gen = parent->gen; }
  if (parent->trace) fl__trace_child(s, parent, c, x);   /* a sampled request (trace.c) */
  cr->attempts++;
  if (call->deadline) {
    fl_time_t d = parent->deadline;
    if (call->timeout > 0 && (!d || s->eng.now + call->timeout < d)) d = s->eng.now + call->timeout;
    c->deadline = d;
  }
  if (call->breaker.on || call->bulkhead) {
    fl_cause_t why = fl__policy_admit(s, call, c);
    if (why != FL_CAUSE_NONE) {
      c->flags |= F_LIMBO;
      fl__defer_failure(s, c, why, caller->id);
      return;
    }
  }
  if (call->timeout > 0) fl_engine_schedule(&s->eng, &c->tmo, call->timeout);
  fl_time_t link_delay = 0;
  if (s->npart_active && fl__link_faults(s, caller, c, &link_delay)) return;
  send_after(s, c, link_delay);
}

/* ---- steps ---- */

/* Workers waiting on each callee, integrated over time per callee. */
void fl__wait_change(fl_sim_t *s, fl_svc_rt_t *r, int slot, int wdelta, int adelta) {
  fl_time_t now = s->eng.now;
  double dt = (double)(now - r->wlast[slot]);
  r->wint[slot] += (double)r->wcount[slot] * dt;
  r->aint[slot] += (double)r->acount[slot] * dt;
  r->wlast[slot] = now;
  r->wcount[slot] += wdelta;
  r->acount[slot] += adelta;
}

/* A cache in front of the callee answers instead (its hit ratio warming up after a flush). */
static bool cache_hit(fl_sim_t *s, const fl_req_t *q, const fl_call_t *call) {
  fl_call_rt_t *cr = &s->call[call->id];
  double hit = call->cache_hit;
  if (cr->cold_at >= 0 && call->cache_warmup > 0) {
    double warm = fl_time_to_sec(s->eng.now - cr->cold_at) / call->cache_warmup;
    if (warm < 1) hit *= warm;
  } else if (cr->cold_at >= 0 && s->eng.now == cr->cold_at) hit = 0;
  if (fl_rng_uniform(&s->ep[q->ep->id].rng_calls) < hit) { cr->cache_hits++; return true; }
  return false;
}

/* Makes the fan-out call ci of q's step: one call per item, each with its attributes; returns how
** many it made (0 to FL_MAX_FANOUT). */
static __attribute__((noinline)) int fan_out(fl_sim_t *s, fl_req_t *q, int ci) {
  const fl_call_t *call = &q->ep->calls[ci];
  int k = fl__fan_out_count(s, call);
  if (k == 0) return 0;
  q->pending = (uint16_t)(q->pending + k - 1);   /* answers come through events: none arrives while we issue */
  uint32_t chosen[FL_MAX_ATTRS][FL_MAX_FANOUT], a[FL_MAX_ATTRS];
  for (int j = 0; j < k; j++) {
    fl__fan_out_item(s, q, call, j, k, chosen, a);
    issue_call(s, q, ci, a);
  }
  return k;
}

void fl__begin_step(fl_sim_t *s, fl_req_t *q) {
  const fl_step_t *st = &q->ep->steps[q->step];
  q->pending = (uint16_t)st->count;
  q->wait_until = s->eng.now;
  fl_svc_rt_t *r = &s->svc[q->ep->sid];
  {   /* waiting on the step's callees: with its worker (blocking) or without (an event loop) */
    int wd = q->flags & F_WORKER ? 1 : 0;
    for (int i = 0; i < st->count; i++) fl__wait_change(s, r, q->ep->calls[st->first + i].slot, wd, 1);
    q->flags |= F_WAITING;
  }
  int skipped = 0;
  for (int i = 0; i < st->count; i++) {
    const fl_call_t *call = &q->ep->calls[st->first + i];
    if (call->p < 1 && fl_rng_uniform(&s->ep[q->ep->id].rng_calls) >= call->p) { skipped++; continue; }
    if (call->async) { fl__publish(s, q, call); skipped++; continue; }   /* sent; nobody waits for the answer */
    if (call->nwhen && !fl__attrs_match(q->attr, call->when, call->nwhen)) { skipped++; continue; }   /* when = { ... } */
    if (call->cache_hit > 0 && cache_hit(s, q, call)) { skipped++; continue; }
    if (call->count) { if (!fan_out(s, q, st->first + i)) skipped++; continue; }   /* one call per item */
    issue_call(s, q, st->first + i, q->attr);
  }
  if (skipped) {
    /* calls not made this time count as answered at once */
    q->pending = (uint16_t)(q->pending - skipped);
    if (q->pending == 0) {
      fl__end_wait(s, q);
      next_step(s, q);
    }
  }
}

static void next_step(fl_sim_t *s, fl_req_t *q) {
  if (++q->step < q->ep->nsteps) fl__begin_step(s, q);
  else if (q->inst->hung || (s->nep_active && s->ep[q->ep->id].hung)) q->flags |= F_HUNG;     /* the answer never leaves a hung instance */
  else if (q->flags & F_DEGRADED) fl__complete(s, q, FL_OUT_DEGRADED, FL_CAUSE_NONE, q->origin);
  else fl__complete(s, q, FL_OUT_SUCCESS, FL_CAUSE_NONE, -1);
}

void fl__end_wait(fl_sim_t *s, fl_req_t *q) {
  if (!(q->flags & F_WAITING)) return;
  q->flags &= (uint16_t)~F_WAITING;
  fl_svc_rt_t *r = &s->svc[q->ep->sid];
  const fl_step_t *st = &q->ep->steps[q->step];
  int wd = q->flags & F_WORKER ? -1 : 0;   /* a worker is held, or not, from the step's start to its end */
  for (int i = 0; i < st->count; i++) fl__wait_change(s, r, q->ep->calls[st->first + i].slot, wd, -1);
}

static void on_step_wait(fl_engine_t *e, fl_event_t *ev) {
  next_step(SIM(e), container_of(ev, fl_req_t, ev));
}

/* One of q's calls answered (or timed out). */
static void call_done(fl_sim_t *s, fl_req_t *q, int ci, fl_outcome_t out, fl_cause_t cause, int origin) {
  const fl_call_t *call = &q->ep->calls[ci];
  if (out == FL_OUT_FAILURE) {
    s->svc[q->ep->sid].fail_via[call->slot]++;
    if (call->ignore_errors) goto answered;   /* the caller logs it and carries on: a success */
    if (!call->optional) { fl__complete(s, q, FL_OUT_FAILURE, cause, origin); return; }
    q->flags |= F_DEGRADED;
    if (q->origin < 0) q->origin = (int16_t)origin;   /* where the degradation came from */
    if (s->eng.now + call->fallback > q->wait_until) q->wait_until = s->eng.now + call->fallback;
  } else if (out == FL_OUT_DEGRADED) {
    q->flags |= F_DEGRADED;
    if (q->origin < 0) q->origin = (int16_t)origin;
  }
answered:
  if (--q->pending > 0) return;
  fl__end_wait(s, q);
  if (q->wait_until > s->eng.now) {
    q->ev.cb = on_step_wait;
    fl_engine_schedule_at(&s->eng, &q->ev, q->wait_until);
  } else {
    next_step(s, q);
  }
}

/* ---- timeouts ---- */

void fl__on_timeout(fl_engine_t *e, fl_event_t *ev) {
  fl_sim_t *s = SIM(e);
  fl_req_t *c = container_of(ev, fl_req_t, tmo);
  if (c->sess) {   /* the user gave up waiting; the request goes on without them */
    fl_session_t *x = c->sess;
    c->sess = NULL;
    fl__session_answer(s, x, FL_OUT_FAILURE, FL_CAUSE_TIMEOUT, c->ep->service->id);
    return;
  }
  fl_req_t *p = c->parent;
  fl_callctx_t *x = c->ctx;
  fl__attempt_release(s, c, FL_OUT_FAILURE, FL_CAUSE_TIMEOUT);
  const fl_service_t *callee = c->ep->service;
  /* Envoy counts a timeout at a host as an error of that host */
  if (callee->outlier.consecutive_errors && c->inst && !(c->flags & F_LIMBO))
    fl__outlier_record(s, callee, c->inst, FL_OUT_FAILURE, FL_CAUSE_TIMEOUT, callee->id);
  c->flags |= F_TIMED_OUT;
  c->parent = NULL;      /* the callee goes on working: orphaned */
  c->ctx = NULL;
  c->call_id = -1;
  fl__deliver(s, p, c->parent_gen, x, c->call, FL_OUT_FAILURE, FL_CAUSE_TIMEOUT, c->ep->service->id);
}

/* ---- call sites ---- */

/* Numbers every call site of the model and builds the state of its policies. */
void fl__calls_init(fl_sim_t *s) {
  const fl_model_t *m = s->m;
  for (int i = 0; i < m->nservices; i++)
    for (int k = 0; k < m->services[i].nendpoints; k++) s->ncalls += m->services[i].endpoints[k].ncalls;
  s->call = fl_xcalloc((size_t)(s->ncalls ? s->ncalls : 1), sizeof *s->call);
  s->calls = fl_xcalloc((size_t)(s->ncalls ? s->ncalls : 1), sizeof *s->calls);
  s->call_ep = fl_xcalloc((size_t)(s->ncalls ? s->ncalls : 1), sizeof *s->call_ep);
  for (int i = 0, id = 0; i < m->nservices; i++)
    for (int k = 0; k < m->services[i].nendpoints; k++) {
      fl_endpoint_t *ep = &m->services[i].endpoints[k];
      for (int c = 0; c < ep->ncalls; c++, id++) {
        fl_call_t *call = &ep->calls[c];
        call->id = id;
        s->calls[id] = call;
        s->call_ep[id] = ep;
        fl__policies_init(s, id);
      }
    }
}
