/* Traces of sampled requests: the sampling decision for each entry request (a hash of the seed
** and the request's number, never a draw of the run's streams), a span for every visit below a
** sampled one, what each span says of its outcome (cause, the fault that hit it, its attempt,
** abandoned by a timeout, optional), and the hand-over of a trace to its writer once its last
** span ended. A trace's spans are held only while it is open; traces are reached from their
** requests by a slot number (fl_req_t.trace), so a request carries no pointer. */
#include "run_int.h"
#include "faultline/trace.h"

#include <stdlib.h>
#include <string.h>

struct fl_tracer {
  uint64_t below;              /* an entry request is sampled when its hash is below this (rate x 2^64) */
  bool all;                    /* rate 1: every one */
  fl_trace_emit_cb emit;
  void *user;
  uint64_t entries;            /* entry requests seen */
  uint64_t traces, spans;      /* written */
  fl_trace_t **slot; int nslots, cap;   /* open traces by slot; NULL: free */
  int *free_slot; int nfree;
};

static uint64_t mix64(uint64_t x) {   /* splitmix64's finaliser */
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

int fl_trace_start(fl_sim_t *s, double rate, fl_trace_emit_cb emit, void *user) {
  if (s->tracer || !(rate > 0 && rate <= 1) || !emit) return -FL_EINVAL;
  struct fl_tracer *t = fl_xcalloc(1, sizeof *t);
  t->all = rate >= 1;
  t->below = t->all ? UINT64_MAX : (uint64_t)(rate * 18446744073709551616.0);
  t->emit = emit; t->user = user;
  s->tracer = t;
  return 0;
}

static fl_span_t *new_span(fl_trace_t *tr, fl_time_t now) {
  if (tr->nspans >= FL_TRACE_MAX_SPANS) { tr->dropped++; return NULL; }
  if (tr->nspans == tr->cap) {
    tr->cap = tr->cap ? 2 * tr->cap : 8;
    tr->spans = fl_xrealloc(tr->spans, (size_t)tr->cap * sizeof *tr->spans);
  }
  fl_span_t *sp = &tr->spans[tr->nspans];
  memset(sp, 0, sizeof *sp);
  sp->id = mix64(tr->id_lo ^ (uint64_t)(tr->nspans + 1)) | 1;   /* non-zero */
  sp->start = sp->end = now;
  sp->call_id = sp->fault = sp->instance = sp->origin = -1;
  sp->attempt = 1;
  sp->flags = FL_SPAN_UNFINISHED;
  tr->nspans++;
  tr->open++;
  return sp;
}

void fl__trace_root(fl_sim_t *s, fl_req_t *q) {
  struct fl_tracer *t = s->tracer;
  uint64_t h = mix64(s->m->seed ^ (++t->entries * 0xD1B54A32D192ED03ull));
  if (h >= t->below && !t->all) return;
  if (t->nfree == 0) {
    if (t->nslots == t->cap) {
      t->cap = t->cap ? 2 * t->cap : 64;
      t->slot = fl_xrealloc(t->slot, (size_t)t->cap * sizeof *t->slot);
      t->free_slot = fl_xrealloc(t->free_slot, (size_t)t->cap * sizeof *t->free_slot);
    }
    t->slot[t->nslots] = NULL;
    t->free_slot[t->nfree++] = t->nslots++;
  }
  int k = t->free_slot[--t->nfree];
  fl_trace_t *tr = fl_xcalloc(1, sizeof *tr);
  tr->id_hi = mix64(h ^ 0x5bd1e995ull);
  tr->id_lo = mix64(h + t->entries);
  tr->journey = q->journey;
  t->slot[k] = tr;
  fl_span_t *sp = new_span(tr, s->eng.now);
  sp->ep = q->ep;
  q->trace = (uint32_t)k + 1;
  q->tspan = 0;
}

void fl__trace_child(fl_sim_t *s, const fl_req_t *parent, fl_req_t *c, const fl_callctx_t *x) {
  fl_trace_t *tr = s->tracer->slot[parent->trace - 1];
  fl_span_t *sp = new_span(tr, s->eng.now);
  if (!sp) return;
  sp->parent = tr->spans[parent->tspan].id;
  sp->ep = c->ep;
  sp->call_id = c->call_id;
  if (x) sp->attempt = x->attempts;
  if (c->flags & F_HEDGE) sp->flags |= FL_SPAN_HEDGE;
  if (x) sp->retry = (uint8_t)(x->attempts - 1 - x->hedges);
  if (c->call_id < 0) sp->flags |= FL_SPAN_ASYNC;   /* a publish */
  else if (s->calls[c->call_id]->optional) sp->flags |= FL_SPAN_OPTIONAL;
  c->trace = parent->trace;
  c->tspan = (uint16_t)(tr->nspans - 1);
}

/* A fault that hit q's visit: on its service (its instance, when the fault took some), on its
** endpoint, on the link from its caller, or on requests like it (where = { ... }), active at some
** time of the visit. The first such fault of the model, or -1. */
static int fault_of(const fl_sim_t *s, const fl_req_t *q, const fl_span_t *sp) {
  const fl_model_t *m = s->m;
  const fl_service_t *svc = q->ep->service;
  const fl_service_t *caller = q->call_id >= 0 ? s->call_ep[q->call_id]->service : NULL;
  for (int f = 0; f < m->nfaults; f++) {
    const fl_fault_rt_t *fr = &s->fault[f];
    const fl_fault_t *ft = &m->faults[f];
    if (fr->started < 0 || fr->started > sp->end || (fr->ended >= 0 && fr->ended < sp->start)) continue;
    if (ft->target != svc) continue;
    if (ft->from && ft->from != caller) continue;
    if (ft->endpoint && ft->endpoint != q->ep) continue;
    if (ft->nwhere && !fl__attrs_match(q->attr, ft->where, ft->nwhere)) continue;
    if (q->inst && !ft->from && (ft->kind == FL_FAULT_CRASH || ft->kind == FL_FAULT_HANG || ft->kind == FL_FAULT_CAPACITY ||
                                 ft->kind == FL_FAULT_LEAK || ft->kind == FL_FAULT_PAUSE || ft->kind == FL_FAULT_CPU_HOG)) {
      int k = (int)(q->inst - s->svc[svc->id].inst);
      if (k < fr->first || k >= fr->first + fr->count) continue;
    }
    return f;
  }
  return -1;
}

static void close_trace(fl_sim_t *s, int k) {
  struct fl_tracer *t = s->tracer;
  fl_trace_t *tr = t->slot[k];
  t->emit(s, tr, t->user);
  t->traces++;
  t->spans += (uint64_t)tr->nspans;
  free(tr->spans);
  free(tr);
  t->slot[k] = NULL;
  t->free_slot[t->nfree++] = k;
}

void fl__trace_end(fl_sim_t *s, fl_req_t *q, fl_outcome_t out, fl_cause_t cause, int origin) {
  int k = (int)q->trace - 1;
  fl_trace_t *tr = s->tracer->slot[k];
  fl_span_t *sp = &tr->spans[q->tspan];
  q->trace = 0;
  if (q->flags & F_LIMBO) sp->flags |= FL_SPAN_NOT_ARRIVED;
  else sp->start = q->arrived;
  sp->flags &= (uint8_t)~FL_SPAN_UNFINISHED;
  sp->end = s->eng.now;
  sp->outcome = (uint8_t)out;
  sp->cause = (uint8_t)cause;
  sp->origin = origin;
  if (q->inst) sp->instance = (int)(q->inst - s->svc[q->ep->service->id].inst);
  if (q->flags & F_TIMED_OUT) sp->flags |= FL_SPAN_ABANDONED;
  if (out == FL_OUT_DEGRADED) sp->flags |= FL_SPAN_FALLBACK;
  sp->fault = fault_of(s, q, sp);
  if (--tr->open == 0) close_trace(s, k);
}

void fl_trace_stop(fl_sim_t *s, uint64_t *traces, uint64_t *spans) {
  struct fl_tracer *t = s->tracer;
  *traces = *spans = 0;
  if (!t) return;
  /* the requests still in flight (a freed request's trace is 0): their visits end now */
  for (fl_req_chunk_t *c = s->chunks; c; c = c->next)
    for (int i = 0; i < CHUNK_REQS; i++) {
      fl_req_t *q = &c->reqs[i];
      if (!q->trace) continue;
      fl_span_t *sp = &t->slot[q->trace - 1]->spans[q->tspan];
      if (!(q->flags & F_LIMBO)) sp->start = q->arrived;
      else sp->flags |= FL_SPAN_NOT_ARRIVED;
      if (q->inst) sp->instance = (int)(q->inst - s->svc[q->ep->service->id].inst);
      q->trace = 0;
    }
  for (int k = 0; k < t->nslots; k++) {
    fl_trace_t *tr = t->slot[k];
    if (!tr) continue;
    for (int i = 0; i < tr->nspans; i++)
      if (tr->spans[i].flags & FL_SPAN_UNFINISHED) tr->spans[i].end = s->eng.now;
    close_trace(s, k);
  }
  *traces = t->traces; *spans = t->spans;
  fl__trace_free(s);
}

void fl__trace_free(fl_sim_t *s) {
  struct fl_tracer *t = s->tracer;
  if (!t) return;
  for (int k = 0; k < t->nslots; k++) if (t->slot[k]) { free(t->slot[k]->spans); free(t->slot[k]); }
  free(t->slot); free(t->free_slot); free(t);
  s->tracer = NULL;
}
