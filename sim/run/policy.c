/* The resilience policies of a call site: the circuit breaker (Resilience4j's count-based
** window, half-open trials, slow calls), the retry budget, backoff with jitter, hedging's delay,
** and the bulkhead; their state per call site and caller instance, and the breaker's events. */
#include "run_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

const char *fl_breaker_state_name(fl_breaker_state_t b) {
  static const char *const names[] = { "closed", "open", "half_open" };
  return (unsigned)b <= FL_BREAKER_HALF_OPEN ? names[b] : "?";
}

/* ---- circuit breaker ---- */

static void bevent(fl_sim_t *s, int call, int inst, int from, int to) {
  if (s->nbev >= FL_BREAKER_EVENTS_MAX) { s->bev_dropped++; return; }
  if (s->nbev == s->bev_cap) {
    s->bev_cap = s->bev_cap ? 2 * s->bev_cap : 64;
    s->bev = fl_xrealloc(s->bev, sizeof *s->bev * (size_t)s->bev_cap);
  }
  s->bev[s->nbev++] = (fl_bevent_t){ s->eng.now, call, inst, (uint8_t)from, (uint8_t)to };
}

static void breaker_set(fl_sim_t *s, fl_call_rt_t *cr, int id, int inst, int to) {
  fl_breaker_t *b = &cr->br[inst];
  if (b->state == FL_BREAKER_OPEN) cr->open_ns += s->eng.now - b->opened;
  bevent(s, id, inst, b->state, to);
  b->state = (uint8_t)to;
  if (to == FL_BREAKER_OPEN) { b->opened = s->eng.now; cr->breaker_opens++; }
  if (to == FL_BREAKER_HALF_OPEN) b->half_permitted = b->half_done = b->half_fails = b->half_slows = 0;
  if (to == FL_BREAKER_CLOSED) { b->n = b->pos = b->fails = b->slows = 0; }
}

/* Resilience4j: open lets nothing through until open_for has passed, then half-open lets
** half_open_calls through and decides on their outcomes. */
static bool breaker_permit(fl_sim_t *s, const fl_call_t *call, int inst) {
  fl_call_rt_t *cr = &s->call[call->id];
  fl_breaker_t *b = &cr->br[inst];
  if (b->state == FL_BREAKER_OPEN) {
    if (s->eng.now - b->opened < call->breaker.open_for) return false;
    breaker_set(s, cr, call->id, inst, FL_BREAKER_HALF_OPEN);
  }
  if (b->state == FL_BREAKER_HALF_OPEN) {
    if (b->half_permitted >= call->breaker.half_open_calls) return false;
    b->half_permitted++;
  }
  return true;
}

static void breaker_record(fl_sim_t *s, const fl_call_t *call, int inst, bool failed, bool slow) {
  fl_call_rt_t *cr = &s->call[call->id];
  fl_breaker_t *b = &cr->br[inst];
  const fl_breaker_cfg_t *cfg = &call->breaker;
  bool slow_on = cfg->slow_call > 0 && cfg->slow_call_rate < 1.0 + 1e-12;
  if (b->state == FL_BREAKER_HALF_OPEN) {
    b->half_done++; b->half_fails += failed; b->half_slows += slow;
    if (b->half_done < cfg->half_open_calls) return;
    double fr = (double)b->half_fails / b->half_done, sr = (double)b->half_slows / b->half_done;
    breaker_set(s, cr, call->id, inst, fr >= cfg->failure_rate || (slow_on && sr >= cfg->slow_call_rate) ? FL_BREAKER_OPEN : FL_BREAKER_CLOSED);
    return;
  }
  if (b->state == FL_BREAKER_OPEN) return;   /* an answer to a call let through before it opened */
  if (b->n == cfg->window) { uint8_t old = b->ring[b->pos]; b->fails -= old & 1; b->slows -= (old >> 1) & 1; }
  else b->n++;
  b->ring[b->pos] = (uint8_t)(failed | (slow << 1));
  b->pos = (b->pos + 1) % cfg->window;
  b->fails += failed; b->slows += slow;
  if (b->n < cfg->min_calls) return;
  if ((double)b->fails / b->n >= cfg->failure_rate || (slow_on && (double)b->slows / b->n >= cfg->slow_call_rate))
    breaker_set(s, cr, call->id, inst, FL_BREAKER_OPEN);
}

/* ---- admission and release of an attempt ---- */

fl_cause_t fl__policy_admit(fl_sim_t *s, const fl_call_t *call, fl_req_t *c) {
  fl_call_rt_t *cr = &s->call[call->id];
  if (call->breaker.on) {
    if (!cr->br) {   /* enabled during the run */
      cr->br = fl_xcalloc((size_t)cr->ncaller, sizeof *cr->br);
      for (int k = 0; k < cr->ncaller; k++) cr->br[k].ring = fl_xcalloc((size_t)call->breaker.window, 1);
    }
    if (!breaker_permit(s, call, c->caller_inst)) { cr->breaker_rejected++; return FL_CAUSE_BREAKER_OPEN; }
    c->flags |= F_BREAKER;
  }
  if (call->bulkhead) {
    if (!cr->inflight) cr->inflight = fl_xcalloc((size_t)cr->ncaller, sizeof *cr->inflight);
    if (cr->inflight[c->caller_inst] >= call->bulkhead) { cr->bulkhead_rejected++; return FL_CAUSE_REJECTED; }
    cr->inflight[c->caller_inst]++;
    c->flags |= F_BULKHEAD;
  }
  return FL_CAUSE_NONE;
}

/* The caller has its answer for this attempt (or gave up on it): release its policies. */
void fl__attempt_release(fl_sim_t *s, fl_req_t *c, fl_outcome_t out, fl_cause_t cause) {
  if (c->call_id < 0) return;
  const fl_call_t *call = s->calls[c->call_id];
  fl_call_rt_t *cr = &s->call[c->call_id];
  fl_time_t lat = s->eng.now - c->sent;
  if (c->flags & F_BULKHEAD) { cr->inflight[c->caller_inst]--; c->flags &= (uint16_t)~F_BULKHEAD; }
  if (c->flags & F_BREAKER) {
    c->flags &= (uint16_t)~F_BREAKER;
    breaker_record(s, call, c->caller_inst, out == FL_OUT_FAILURE && cause != FL_CAUSE_BREAKER_OPEN,
                   call->breaker.slow_call > 0 && lat > call->breaker.slow_call);   /* Resilience4j: slower than the threshold */
  }
  if (cr->lat && out != FL_OUT_FAILURE) fl_hist_add(cr->lat, lat);
}

/* ---- retries: budget and backoff ---- */

/* Retry budget: retries in the last second may not exceed max(min_per_s, ratio x calls). */
void fl__budget_roll(fl_sim_t *s, fl_call_rt_t *cr) {
  int64_t sec = s->eng.now / FL_SEC;
  if (sec == cr->bsec) return;
  if (sec == cr->bsec + 1) { cr->breq[1] = cr->breq[0]; cr->bret[1] = cr->bret[0]; }
  else cr->breq[1] = cr->bret[1] = 0;
  cr->breq[0] = cr->bret[0] = 0;
  cr->bsec = sec;
}

bool fl__budget_allows(fl_sim_t *s, const fl_call_t *call) {
  if (call->budget_ratio <= 0) return true;
  fl_call_rt_t *cr = &s->call[call->id];
  fl__budget_roll(s, cr);
  double w = 1 - (double)(s->eng.now % FL_SEC) / 1e9;      /* the previous second's share of the window */
  double reqs = cr->breq[0] + w * cr->breq[1], rets = cr->bret[0] + w * cr->bret[1];
  double allowed = call->budget_ratio * reqs;
  if (allowed < call->budget_min) allowed = call->budget_min;
  return rets + 1 <= allowed + 1e-9;
}

fl_time_t fl__backoff(fl_sim_t *s, const fl_call_t *call, int retry) {
  double d = (double)call->backoff_base * pow(call->backoff_mult, retry - 1);
  if (call->backoff_max > 0 && d > (double)call->backoff_max) d = (double)call->backoff_max;
  fl_rng_t *rng = &s->call[call->id].rng;
  if (call->jitter == FL_JITTER_FULL) d *= fl_rng_uniform(rng);
  else if (call->jitter == FL_JITTER_EQUAL) d = d / 2 + d / 2 * fl_rng_uniform(rng);
  return fl__scale_time(1, d);
}

/* ---- hedging ---- */

fl_time_t fl__hedge_delay(fl_sim_t *s, const fl_call_t *call) {
  if (!call->hedge.quantile) return call->hedge.after;
  return s->call[call->id].hedge_after;   /* refreshed every window; 0 until there is data */
}

/* At a window's close: hedges after a quantile of the answered attempts wait that long. */
void fl__hedge_refresh(fl_sim_t *s) {
  for (int id = 0; id < s->ncalls; id++)
    if (s->call[id].lat && s->call[id].lat->count >= 20)
      s->call[id].hedge_after = fl_hist_quantile(s->call[id].lat, s->calls[id]->hedge.quantile);
}

/* ---- state ---- */

/* The policies' state of call site 'id' (numbered, with its endpoint, by fl__calls_init). */
void fl__policies_init(fl_sim_t *s, int id) {
  const fl_call_t *call = s->calls[id];
  const fl_endpoint_t *ep = s->call_ep[id];
  fl_call_rt_t *cr = &s->call[id];
  char name[512];
  snprintf(name, sizeof name, "%s#%d", ep->full_name, (int)(call - ep->calls));
  fl_rng_init(&cr->rng, s->m->seed, name, "retry");
  cr->ncaller = s->svc[ep->service->id].cap;
  cr->bsec = -2;
  cr->cold_at = -1;
  if (call->breaker.on) {
    cr->br = fl_xcalloc((size_t)cr->ncaller, sizeof *cr->br);
    for (int x = 0; x < cr->ncaller; x++) cr->br[x].ring = fl_xcalloc((size_t)call->breaker.window, 1);
  }
  if (call->bulkhead) cr->inflight = fl_xcalloc((size_t)cr->ncaller, sizeof *cr->inflight);
  if (call->hedge.on && call->hedge.quantile > 0) cr->lat = fl_hist_new();
}

void fl__policies_release(fl_sim_t *s, int id) {
  fl_call_rt_t *cr = &s->call[id];
  if (cr->br) for (int x = 0; x < cr->ncaller; x++) free(cr->br[x].ring);
  free(cr->br); free(cr->inflight); free(cr->lat);
}
