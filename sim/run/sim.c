/* The simulation proper: requests flowing through services (balancer, workers, waiting room),
** endpoints' work and calls (sequential steps, parallel groups, timeouts, optional calls with
** fallbacks), open-loop journey arrivals, and the statistics kept per window. */
#include "faultline/sim.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
  F_WORKER = 1 << 0,    /* holds a worker of its instance */
  F_ON_INST = 1 << 1,   /* counted in its instance's outstanding requests */
  F_DEGRADED = 1 << 2,  /* an optional call failed and its fallback was used */
  F_MEASURED = 1 << 3,  /* arrived after warm-up: counts in the summary */
  F_HUNG = 1 << 4,      /* frozen by a hang fault: answered only when the hang ends */
  F_LIMBO = 1 << 5,     /* never reached its service (dropped by a partition) */
  F_WAITING = 1 << 6,   /* holds a worker while waiting on a step's calls */
  F_BREAKER = 1 << 7,   /* this attempt passed its caller's breaker: its outcome is recorded there */
  F_BULKHEAD = 1 << 8,  /* this attempt holds a place in its caller's bulkhead */
  F_TIMED_OUT = 1 << 9, /* its caller gave up on it: its answer says nothing of the instance */
  F_HEDGE = 1 << 10,    /* a hedged attempt: avoids the first attempt's instance */
};

/* A call with retries or hedging: the attempts of one call of one request. */
struct fl_callctx {
  fl_event_t ev;          /* backoff before the next attempt, or the hedge timer */
  fl_callctx_t *next;     /* free list */
  fl_req_t *parent;       /* NULL once the call is resolved */
  uint32_t pgen;
  uint16_t ci;
  uint8_t attempts, outstanding, hedges;
  bool waiting;           /* a retry is scheduled */
  fl_instance_t *first;   /* where the first attempt went: hedges go elsewhere */
};
/* A user's visit: the steps of a journey, with the client's timeout, refreshes and think time. */
struct fl_session {
  fl_event_t ev;          /* think time before the next step or a refresh */
  fl_session_t *next;     /* free list */
  int journey, step, attempt;
  int deg_origin;         /* where the first degraded answer's failure came from, or -1 */
  bool measured, degraded;
  fl_time_t step_sent;
};
#define CHUNK_SESS 256
typedef struct sess_chunk { struct sess_chunk *next; fl_session_t v[CHUNK_SESS]; } sess_chunk_t;

#define CHUNK_CTX 256
typedef struct ctx_chunk { struct ctx_chunk *next; fl_callctx_t c[CHUNK_CTX]; } ctx_chunk_t;

struct fl_req {
  fl_event_t ev;          /* work done, fallback wait, or deferred failure */
  fl_event_t tmo;         /* the caller's timeout on this call */
  fl_req_t *parent;       /* the waiting caller; NULL for a journey's root or once abandoned */
  fl_req_t *next;         /* waiting-room link, free list */
  fl_req_t *lnext, *lprev;/* links in 'lown': its instance's requests, or a partition's limbo */
  fl_reqlist_t *lown;
  const fl_endpoint_t *ep;
  fl_instance_t *inst;
  fl_time_t sent;          /* when the caller (or the user) sent it */
  fl_time_t arrived;       /* when it reached its service */
  fl_time_t wait_until;   /* the current step ends no earlier (fallback latencies) */
  uint32_t gen;           /* bumped when freed: stale references see a mismatch */
  uint32_t parent_gen;
  int32_t journey;        /* journey index for a root request, else -1 */
  uint16_t step, pending; /* current step of the endpoint, calls still outstanding in it */
  uint16_t call;          /* which of the parent's calls this request answers */
  int16_t origin;         /* service where a failure originated */
  int32_t call_id;        /* the call site it answers, or -1 */
  int32_t caller_inst;    /* the caller's instance index */
  fl_callctx_t *ctx;      /* the call's attempts, with retries or hedging */
  fl_session_t *sess;     /* a journey's root request: the user's session waiting on it */
  int32_t dgroup;         /* a broker's delivery: its consumer group, else -1 */
  uint8_t dattempts;      /* deliveries of its message before this one */
  fl_time_t dmsg;         /* when its message was published */
  fl_time_t deadline;     /* propagated deadline, 0: none */
  uint8_t cause;
  uint16_t flags;
};

#define CHUNK_REQS 1024
struct fl_req_chunk { fl_req_chunk_t *next; fl_req_t reqs[CHUNK_REQS]; };

#define container_of(p, type, member) ((type *)((char *)(p) - offsetof(type, member)))
#define SIM(e) ((fl_sim_t *)(e)->user)
/* Thinning: the rate bound is recomputed over intervals of this length. */
#define HORIZON (10 * FL_SEC)

static const char *const series_names[FL_SER__COUNT] = {
  "arrivals", "successes", "degraded", "failures", "p50", "p99", "busy_workers", "queue", "instances", "health", "utilization", "lag", "lag_age"
};
static const char *const health_names[] = { "ok", "degraded", "down" };

const char *fl_series_name(fl_series_t s) { return (unsigned)s < FL_SER__COUNT ? series_names[s] : "?"; }
const char *fl_health_name(fl_health_t h) { return (unsigned)h <= FL_HEALTH_DOWN ? health_names[h] : "?"; }

static void on_work_done(fl_engine_t *e, fl_event_t *ev);
static void on_deferred(fl_engine_t *e, fl_event_t *ev);
static void on_step_wait(fl_engine_t *e, fl_event_t *ev);
static void on_timeout(fl_engine_t *e, fl_event_t *ev);
static void outlier_record(fl_sim_t *s, const fl_service_t *svc, fl_instance_t *in, fl_outcome_t out, fl_cause_t cause, int origin);
static void complete(fl_sim_t *s, fl_req_t *q, fl_outcome_t out, fl_cause_t cause, int origin);
static void arrive(fl_sim_t *s, fl_req_t *q);
static void next_step(fl_sim_t *s, fl_req_t *q);
static void end_wait(fl_sim_t *s, fl_req_t *q);
static void schedule_faults(fl_sim_t *s, fl_time_t from, fl_time_t to);
static void session_answer(fl_sim_t *s, fl_session_t *x, fl_outcome_t out, fl_cause_t cause, int origin);
static void retire(fl_sim_t *s, const fl_service_t *svc, fl_instance_t *in);
static void on_ready(fl_engine_t *e, fl_event_t *ev);
static void on_hpa(fl_engine_t *e, fl_event_t *ev);
static void on_uneject(fl_engine_t *e, fl_event_t *ev);
static void on_fault(fl_engine_t *e, fl_event_t *ev);
static void on_hook(fl_engine_t *e, fl_event_t *ev);
static void on_leak(fl_engine_t *e, fl_event_t *ev);
static void fault_init(fl_sim_t *s, int f);
static fl_time_t next_arrival(fl_sim_t *s, int j, fl_time_t now);
static void publish(fl_sim_t *s, fl_req_t *parent, const fl_call_t *call);

static void list_add(fl_reqlist_t *l, fl_req_t *q) {
  q->lown = l; q->lprev = NULL; q->lnext = l->head;
  if (l->head) l->head->lprev = q;
  l->head = q;
}

static void list_del(fl_req_t *q) {
  if (!q->lown) return;
  if (q->lprev) q->lprev->lnext = q->lnext; else q->lown->head = q->lnext;
  if (q->lnext) q->lnext->lprev = q->lprev;
  q->lown = NULL; q->lnext = q->lprev = NULL;
}

/* ---- request pool ---- */

static fl_req_t *req_alloc(fl_sim_t *s) {
  fl_req_t *q = s->free_reqs;
  if (!q) {
    fl_req_chunk_t *c = fl_xmalloc(sizeof *c);
    c->next = s->chunks; s->chunks = c;
    for (int i = CHUNK_REQS - 1; i >= 0; i--) {
      fl_req_t *r = &c->reqs[i];
      r->gen = 0;
      fl_event_init(&r->ev, on_work_done);
      fl_event_init(&r->tmo, on_timeout);
      r->next = s->free_reqs; s->free_reqs = r;
    }
    s->reqs_allocated += CHUNK_REQS;
    q = s->free_reqs;
  }
  s->free_reqs = q->next;
  q->next = NULL; q->parent = NULL; q->inst = NULL; q->lown = NULL; q->lnext = q->lprev = NULL;

  q->journey = -1; q->step = q->pending = q->call = 0;
  q->call_id = -1; q->caller_inst = -1; q->ctx = NULL; q->sess = NULL; q->deadline = 0; q->dgroup = -1;
  q->origin = -1; q->cause = FL_CAUSE_NONE; q->flags = 0;
  q->sent = q->arrived = s->eng.now; q->wait_until = 0;
  if (++s->reqs_live > s->reqs_peak) s->reqs_peak = s->reqs_live;
  s->requests++;
  return q;
}

static void req_free(fl_sim_t *s, fl_req_t *q) {
  FL_ASSERT(!fl_event_pending(&q->ev) && !fl_event_pending(&q->tmo));
  q->gen++;
  q->next = s->free_reqs; s->free_reqs = q;
  s->reqs_live--;
}

/* ---- statistics ---- */

static inline void svc_touch(fl_sim_t *s, fl_svc_rt_t *r, const fl_service_t *svc) {
  fl_time_t now = s->eng.now;
  if (now == r->last) return;
  double dt = (double)(now - r->last);
  r->w_busy += r->busy * dt;
  r->w_queue += r->queued * dt;
  r->w_inflight += r->inflight * dt;
  r->w_workers += (double)r->nalive * svc->workers * dt;
  r->a_busy += r->busy * dt;
  r->a_queue += r->queued * dt;
  r->a_inflight += r->inflight * dt;
  r->a_workers += (double)r->nalive * svc->workers * dt;
  r->last = now;
}

static inline void count_outcome(fl_stats_t *st, bool measured, fl_outcome_t out, fl_cause_t cause, fl_time_t latency) {
  switch (out) {
  case FL_OUT_SUCCESS: st->win.successes++; if (measured) st->total.successes++; break;
  case FL_OUT_DEGRADED: st->win.degraded++; if (measured) st->total.degraded++; break;
  case FL_OUT_FAILURE:
    st->win.failures++; st->win.cause[cause]++;
    if (measured) { st->total.failures++; st->total.cause[cause]++; }
    return;
  }
  fl_hist_add(st->hwin, latency);
  if (measured) fl_hist_add(st->htotal, latency);
}

/* ---- services ---- */

static fl_instance_t *pick_instance(const fl_service_t *svc, fl_svc_rt_t *r) {
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

static void defer_failure(fl_sim_t *s, fl_req_t *q, fl_cause_t cause, int origin);

/* t x f as a time, saturating at FL_TIME_MAX (a double past INT64_MAX must not be cast). */
static fl_time_t scale_time(fl_time_t t, double f) {
  double v = (double)t * f;
  return v >= 9.2e18 ? FL_TIME_MAX : v > 0 ? (fl_time_t)v : 0;
}

static void start_work(fl_sim_t *s, fl_req_t *q) {
  const fl_service_t *svc = q->ep->service;
  fl_svc_rt_t *r = &s->svc[svc->id];
  svc_touch(s, r, svc);
  q->inst->busy++; r->busy++;
  q->flags |= F_WORKER;
  fl_time_t work = fl_dist_sample(&q->ep->work, &s->ep[q->ep->id].rng_work);
  if (q->inst->hung) { q->flags |= F_HUNG; return; }
  if (r->slow != 1) work = scale_time(work, r->slow);
  if (q->inst->leak_fault >= 0) {   /* work grows linearly from 1x to 'factor' x until the restart */
    const fl_fault_t *lf = &s->m->faults[q->inst->leak_fault];
    double grown = fl_time_to_sec(s->eng.now - q->inst->leak_since) / lf->every;
    work = scale_time(work, 1 + (lf->value - 1) * (grown < 1 ? grown : 1));
  }
  if (svc->autoscale.warmup > 0 && s->eng.now - q->inst->ready_at < fl_sec_to_time(svc->autoscale.warmup) && q->inst->ready_at > 0) {
    double left = 1 - fl_time_to_sec(s->eng.now - q->inst->ready_at) / svc->autoscale.warmup;
    work = scale_time(work, 1 + (svc->autoscale.warmup_factor - 1) * left);
  }
  q->ev.cb = on_work_done;
  fl_engine_schedule(&s->eng, &q->ev, work);
}

static void release_worker(fl_sim_t *s, fl_req_t *q) {
  const fl_service_t *svc = q->ep->service;
  fl_svc_rt_t *r = &s->svc[svc->id];
  fl_instance_t *in = q->inst;
  svc_touch(s, r, svc);
  in->busy--; r->busy--;
  q->flags &= (uint16_t)~F_WORKER;
  while (in->qhead && in->alive && in->busy < svc->workers) {
    fl_req_t *next = in->qhead;
    in->qhead = next->next;
    if (!in->qhead) in->qtail = NULL;
    next->next = NULL;
    in->queued--; r->queued--;
    if (next->deadline && s->eng.now > next->deadline) { defer_failure(s, next, FL_CAUSE_DEADLINE, svc->id); continue; }
    start_work(s, next);
  }
}

/* Fails 'q' at the current time through an event, so that callers never re-enter. */
static void defer_failure(fl_sim_t *s, fl_req_t *q, fl_cause_t cause, int origin) {
  q->cause = (uint8_t)cause; q->origin = (int16_t)origin;
  q->ev.cb = on_deferred;
  fl_engine_schedule(&s->eng, &q->ev, 0);
}

/* A request reaches its endpoint's service: pick an instance, then a worker or a waiting place. */
static void arrive(fl_sim_t *s, fl_req_t *q) {
  const fl_service_t *svc = q->ep->service;
  fl_svc_rt_t *r = &s->svc[svc->id];
  bool measured = s->eng.now >= s->warmup;
  q->arrived = s->eng.now;
  if (measured) { q->flags |= F_MEASURED; r->st.total.arrivals++; }
  r->st.win.arrivals++;
  r->a_arrivals++;
  svc_touch(s, r, svc);
  r->inflight++;
  if (svc->rate_limit > 0) {   /* token bucket at the door */
    r->tokens += svc->rate_limit * fl_time_to_sec(s->eng.now - r->tlast);
    if (r->tokens > svc->rate_burst) r->tokens = svc->rate_burst;
    r->tlast = s->eng.now;
    if (r->tokens < 1) { if (measured) r->rej_rate++; defer_failure(s, q, FL_CAUSE_REJECTED, svc->id); return; }
    r->tokens -= 1;
  }
  fl_instance_t *in = (q->flags & F_HEDGE) && q->ctx && q->ctx->first && r->nup > 1 ? q->ctx->first : pick_instance(svc, r);
  if (in && (q->flags & F_HEDGE) && q->ctx && in == q->ctx->first && r->nup > 1) {
    /* a hedge goes to the next instance in rotation after the first attempt's */
    int k0 = (int)(q->ctx->first - r->inst);
    for (int k = 1; k < r->ninst; k++) {
      fl_instance_t *o = &r->inst[(k0 + k) % r->ninst];
      if (o->up) { in = o; break; }
    }
  }
  if (!in) { defer_failure(s, q, FL_CAUSE_UNAVAILABLE, svc->id); return; }
  q->inst = in;
  if (q->ctx && !q->ctx->first) q->ctx->first = in;
  if (!in->alive) { defer_failure(s, q, FL_CAUSE_UNAVAILABLE, svc->id); return; }   /* not noticed yet */
  if (svc->shed_after > 0 && in->busy >= svc->workers &&
      (double)in->queued * s->ep[q->ep->id].mean_work_ns * r->slow / svc->workers > svc->shed_after * 1e9) {
    if (measured) r->rej_shed++;
    defer_failure(s, q, FL_CAUSE_REJECTED, svc->id);
    return;
  }
  if (in->busy < svc->workers) {
    if (q->deadline && s->eng.now > q->deadline) { defer_failure(s, q, FL_CAUSE_DEADLINE, svc->id); return; }
    in->outstanding++; q->flags |= F_ON_INST;
    list_add(&in->reqs, q);
    start_work(s, q);
  } else if (in->queued < svc->queue) {
    in->outstanding++; q->flags |= F_ON_INST;
    list_add(&in->reqs, q);
    if (in->qtail) in->qtail->next = q; else in->qhead = q;
    in->qtail = q;
    in->queued++; r->queued++;
    if (measured && r->queued > r->queue_max) r->queue_max = r->queued;
  } else {
    if (measured) r->rej_queue++;
    defer_failure(s, q, FL_CAUSE_REJECTED, svc->id);
  }
}

/* ---- calls ---- */

static void on_delayed_arrival(fl_engine_t *e, fl_event_t *ev) {
  arrive(SIM(e), container_of(ev, fl_req_t, ev));
}

/* Delivers a request to its service, after the latency a fault adds on the way. */
static void send_after(fl_sim_t *s, fl_req_t *q, fl_time_t extra) {
  fl_time_t lat = s->svc[q->ep->service->id].latency + extra;
  if (lat > 0) {
    q->ev.cb = on_delayed_arrival;
    fl_engine_schedule(&s->eng, &q->ev, lat);
  } else {
    arrive(s, q);
  }
}

static void send(fl_sim_t *s, fl_req_t *q) { send_after(s, q, 0); }

/* ---- resilience policies ---- */

static void bevent(fl_sim_t *s, int call, int inst, int from, int to) {
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

/* Retry budget: retries in the last second may not exceed max(min_per_s, ratio x calls). */
static void budget_roll(fl_sim_t *s, fl_call_rt_t *cr) {
  int64_t sec = s->eng.now / FL_SEC;
  if (sec == cr->bsec) return;
  if (sec == cr->bsec + 1) { cr->breq[1] = cr->breq[0]; cr->bret[1] = cr->bret[0]; }
  else cr->breq[1] = cr->bret[1] = 0;
  cr->breq[0] = cr->bret[0] = 0;
  cr->bsec = sec;
}

static bool budget_allows(fl_sim_t *s, const fl_call_t *call) {
  if (call->budget_ratio <= 0) return true;
  fl_call_rt_t *cr = &s->call[call->id];
  budget_roll(s, cr);
  double w = 1 - (double)(s->eng.now % FL_SEC) / 1e9;      /* the previous second's share of the window */
  double reqs = cr->breq[0] + w * cr->breq[1], rets = cr->bret[0] + w * cr->bret[1];
  double allowed = call->budget_ratio * reqs;
  if (allowed < call->budget_min) allowed = call->budget_min;
  return rets + 1 <= allowed + 1e-9;
}

/* The caller has its answer for this attempt (or gave up on it): release its policies. */
static void attempt_release(fl_sim_t *s, fl_req_t *c, fl_outcome_t out, fl_cause_t cause) {
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

static void launch(fl_sim_t *s, fl_req_t *parent, int ci, fl_callctx_t *ctx);
static void call_done(fl_sim_t *s, fl_req_t *q, int ci, fl_outcome_t out, fl_cause_t cause, int origin);

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

static fl_time_t backoff(fl_sim_t *s, const fl_call_t *call, int retry) {
  double d = (double)call->backoff_base * pow(call->backoff_mult, retry - 1);
  if (call->backoff_max > 0 && d > (double)call->backoff_max) d = (double)call->backoff_max;
  fl_rng_t *rng = &s->call[call->id].rng;
  if (call->jitter == FL_JITTER_FULL) d *= fl_rng_uniform(rng);
  else if (call->jitter == FL_JITTER_EQUAL) d = d / 2 + d / 2 * fl_rng_uniform(rng);
  return scale_time(1, d);
}

static fl_time_t hedge_delay(fl_sim_t *s, const fl_call_t *call) {
  if (!call->hedge.quantile) return call->hedge.after;
  return s->call[call->id].hedge_after;   /* refreshed every window; 0 until there is data */
}

static void on_ctx_timer(fl_engine_t *e, fl_event_t *ev);

static void arm_hedge(fl_sim_t *s, fl_callctx_t *x, const fl_call_t *call) {
  if (!call->hedge.on || x->hedges >= call->hedge.max || x->waiting) return;
  fl_time_t d = hedge_delay(s, call);
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
  if (x->waiting) { x->waiting = false; launch(s, p, x->ci, x); }
  else { x->hedges++; s->call[call->id].hedges++; launch(s, p, x->ci, x); }
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
      if (budget_allows(s, call)) {
        fl_call_rt_t *cr = &s->call[call->id];
        cr->retries++;
        budget_roll(s, cr);
        cr->bret[0] += 1;
        fl_engine_cancel(&s->eng, &x->ev);
        x->waiting = true;
        x->ev.cb = on_ctx_timer;
        fl_engine_schedule(&s->eng, &x->ev, backoff(s, call, retries_done + 1));
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

/* Routes an attempt's answer to its call context or straight to the waiting caller. */
static void deliver(fl_sim_t *s, fl_req_t *p, uint32_t pgen, fl_callctx_t *x, int ci, fl_outcome_t out, fl_cause_t cause, int origin) {
  if (x) ctx_attempt_done(s, x, out, cause, origin);
  else if (p && p->gen == pgen) call_done(s, p, ci, out, cause, origin);
}

/* ---- messaging ---- */

/* An asynchronous call: the request goes out with no caller waiting for it. */
static void publish(fl_sim_t *s, fl_req_t *parent, const fl_call_t *call) {
  fl_call_rt_t *cr = &s->call[call->id];
  cr->calls++; cr->attempts++;
  s->svc[parent->ep->service->id].calls_via[call->slot]++;
  fl_req_t *c = req_alloc(s);
  c->ep = call->target;
  send(s, c);
}

static void deliver_message(fl_sim_t *s, int g);

/* Hands waiting messages to the consumer while its concurrency allows. */
static void pump(fl_sim_t *s, int g) {
  fl_group_t *gr = &s->groups[g];
  while (gr->inflight < gr->limit && gr->count > 0) deliver_message(s, g);
}

static void deliver_message(fl_sim_t *s, int g) {
  fl_group_t *gr = &s->groups[g];
  fl_msg_t msg = gr->ring[gr->head];
  gr->head = (gr->head + 1) % gr->cap;
  gr->count--;
  gr->inflight++;
  gr->delivered++;
  fl_req_t *q = req_alloc(s);
  q->ep = gr->consumer;
  q->dgroup = g;
  q->dmsg = msg.t;
  q->dattempts = msg.attempts;
  send(s, q);
}

static bool enqueue(fl_group_t *gr, fl_msg_t msg, int64_t capacity) {
  if (gr->count >= capacity) return false;
  if (gr->count == gr->cap) {   /* grow the ring, keeping its order */
    int64_t cap = gr->cap ? gr->cap * 2 : 64;
    fl_msg_t *ring = fl_xmalloc(sizeof *ring * (size_t)cap);
    for (int64_t k = 0; k < gr->count; k++) ring[k] = gr->ring[(gr->head + k) % gr->cap];
    free(gr->ring);
    gr->ring = ring; gr->cap = cap; gr->head = 0;
  }
  gr->ring[(gr->head + gr->count) % gr->cap] = msg;
  gr->count++;
  if (gr->count > gr->max_lag) gr->max_lag = gr->count;
  return true;
}

/* A message reached the broker after its work: every consumer gets it, or none when one is full. */
static bool broker_accept(fl_sim_t *s, const fl_service_t *svc) {
  int first = -1, n = 0;
  for (int g = 0; g < s->ngroups; g++) if (s->groups[g].broker == svc->id) { if (first < 0) first = g; n++; }
  for (int g = first; g >= 0 && g < first + n; g++)
    if (s->groups[g].count >= svc->capacity) { s->publish_rejected[svc->id]++; return false; }
  fl_msg_t msg = { s->eng.now, 0 };
  for (int g = first; g >= 0 && g < first + n; g++) enqueue(&s->groups[g], msg, svc->capacity);
  s->published[svc->id]++;
  for (int g = first; g >= 0 && g < first + n; g++) pump(s, g);
  return true;
}

/* A delivery was answered: consumed, redelivered later, or dead-lettered. */
static void delivery_done(fl_sim_t *s, int g, fl_outcome_t out, fl_time_t msg_t, int attempts) {
  fl_group_t *gr = &s->groups[g];
  const fl_service_t *b = &s->m->services[gr->broker];
  gr->inflight--;
  if (out != FL_OUT_FAILURE) gr->consumed++;
  else if (attempts + 1 < b->max_deliveries) {
    gr->redelivered++;
    fl_msg_t msg = { msg_t, (uint8_t)(attempts + 1) };
    if (!enqueue(gr, msg, INT64_MAX)) gr->dead++;
  } else gr->dead++;
  pump(s, g);
}

static void issue_call(fl_sim_t *s, fl_req_t *parent, int ci) {
  const fl_call_t *call = &parent->ep->calls[ci];
  fl_call_rt_t *cr = &s->call[call->id];
  cr->calls++;
  s->svc[parent->ep->service->id].calls_via[call->slot]++;
  if (call->budget_ratio > 0) { budget_roll(s, cr); cr->breq[0] += 1; }
  fl_callctx_t *x = NULL;
  if (call->retries > 0 || call->hedge.on) {
    x = ctx_alloc(s);
    fl_event_init(&x->ev, on_ctx_timer);
    x->parent = parent; x->pgen = parent->gen; x->ci = (uint16_t)ci;
  }
  launch(s, parent, ci, x);
  if (x) arm_hedge(s, x, call);
}

/* Sends one attempt of a call through the caller's breaker and bulkhead. */
static void launch(fl_sim_t *s, fl_req_t *parent, int ci, fl_callctx_t *x) {
  const fl_call_t *call = &parent->ep->calls[ci];
  fl_call_rt_t *cr = &s->call[call->id];
  const fl_service_t *caller = parent->ep->service;
  fl_req_t *c = req_alloc(s);
  c->ep = call->target;
  c->call = (uint16_t)ci;
  c->call_id = call->id;
  c->caller_inst = (int32_t)(parent->inst - s->svc[caller->id].inst);
  if (x) { c->ctx = x; if (x->hedges && !x->waiting) c->flags |= F_HEDGE; x->attempts++; x->outstanding++; }
  else { c->parent = parent; c->parent_gen = parent->gen; }
  cr->attempts++;
  if (call->deadline) {
    fl_time_t d = parent->deadline;
    if (call->timeout > 0 && (!d || s->eng.now + call->timeout < d)) d = s->eng.now + call->timeout;
    c->deadline = d;
  }
  if (call->breaker.on) {
    if (!cr->br) {   /* enabled during the run */
      cr->br = fl_xcalloc((size_t)cr->ncaller, sizeof *cr->br);
      for (int k = 0; k < cr->ncaller; k++) cr->br[k].ring = fl_xcalloc((size_t)call->breaker.window, 1);
    }
    if (!breaker_permit(s, call, c->caller_inst)) {
      cr->breaker_rejected++;
      c->flags |= F_LIMBO;
      defer_failure(s, c, FL_CAUSE_BREAKER_OPEN, caller->id);
      return;
    }
    c->flags |= F_BREAKER;
  }
  if (call->bulkhead) {
    if (!cr->inflight) cr->inflight = fl_xcalloc((size_t)cr->ncaller, sizeof *cr->inflight);
    if (cr->inflight[c->caller_inst] >= call->bulkhead) {
      cr->bulkhead_rejected++;
      c->flags |= F_LIMBO;
      defer_failure(s, c, FL_CAUSE_REJECTED, caller->id);
      return;
    }
    cr->inflight[c->caller_inst]++;
    c->flags |= F_BULKHEAD;
  }
  if (call->timeout > 0) fl_engine_schedule(&s->eng, &c->tmo, call->timeout);
  fl_time_t link_delay = 0;
  if (s->npart_active) {   /* faults on the link from the caller to the callee */
    const fl_model_t *m = s->m;
    for (int f = 0; f < m->nfaults; f++) {
      const fl_fault_t *ft = &m->faults[f];
      if (!ft->from || !s->fault[f].active || ft->from != parent->ep->service || ft->target != c->ep->service) continue;
      if (ft->kind == FL_FAULT_PARTITION) {
        c->flags |= F_LIMBO;           /* dropped: no answer until the caller gives up or the link heals */
        list_add(&s->fault[f].dropped, c);
        return;
      }
      if (ft->kind == FL_FAULT_ERRORS && fl_rng_uniform(&s->fault[f].rng) < ft->value) {
        c->flags |= F_LIMBO;           /* the link fails the call: it never reaches the callee */
        defer_failure(s, c, FL_CAUSE_ERROR, c->ep->service->id);
        return;
      }
      if (ft->kind == FL_FAULT_LATENCY) link_delay += fl_sec_to_time(ft->value);
    }
  }
  send_after(s, c, link_delay);
}

/* Workers waiting on each callee, integrated over time per callee. */
static void wait_change(fl_sim_t *s, fl_svc_rt_t *r, int slot, int delta) {
  fl_time_t now = s->eng.now;
  r->wint[slot] += (double)r->wcount[slot] * (double)(now - r->wlast[slot]);
  r->wlast[slot] = now;
  r->wcount[slot] += delta;
}

static void begin_step(fl_sim_t *s, fl_req_t *q) {
  const fl_step_t *st = &q->ep->steps[q->step];
  q->pending = (uint16_t)st->count;
  q->wait_until = s->eng.now;
  if (q->flags & F_WORKER) {
    fl_svc_rt_t *r = &s->svc[q->ep->service->id];
    for (int i = 0; i < st->count; i++) wait_change(s, r, q->ep->calls[st->first + i].slot, 1);
    q->flags |= F_WAITING;
  }
  int skipped = 0;
  for (int i = 0; i < st->count; i++) {
    const fl_call_t *call = &q->ep->calls[st->first + i];
    if (call->p < 1 && fl_rng_uniform(&s->ep[q->ep->id].rng_calls) >= call->p) { skipped++; continue; }
    if (call->async) { publish(s, q, call); skipped++; continue; }   /* sent; nobody waits for the answer */
    if (call->cache_hit > 0) {
      fl_call_rt_t *cr = &s->call[call->id];
      double hit = call->cache_hit;
      if (cr->cold_at >= 0 && call->cache_warmup > 0) {
        double warm = fl_time_to_sec(s->eng.now - cr->cold_at) / call->cache_warmup;
        if (warm < 1) hit *= warm;
      } else if (cr->cold_at >= 0 && s->eng.now == cr->cold_at) hit = 0;
      if (fl_rng_uniform(&s->ep[q->ep->id].rng_calls) < hit) { cr->cache_hits++; skipped++; continue; }
    }
    issue_call(s, q, st->first + i);
  }
  if (skipped) {
    /* calls not made this time count as answered at once */
    q->pending = (uint16_t)(q->pending - skipped);
    if (q->pending == 0) {
      end_wait(s, q);
      next_step(s, q);
    }
  }
}

static void next_step(fl_sim_t *s, fl_req_t *q) {
  if (++q->step < q->ep->nsteps) begin_step(s, q);
  else if (q->inst->hung) q->flags |= F_HUNG;     /* the answer never leaves a hung instance */
  else if (q->flags & F_DEGRADED) complete(s, q, FL_OUT_DEGRADED, FL_CAUSE_NONE, q->origin);
  else complete(s, q, FL_OUT_SUCCESS, FL_CAUSE_NONE, -1);
}

/* The step a worker waited in is over: it no longer waits on the step's callees. */
static void end_wait(fl_sim_t *s, fl_req_t *q) {
  if (!(q->flags & F_WAITING)) return;
  q->flags &= (uint16_t)~F_WAITING;
  fl_svc_rt_t *r = &s->svc[q->ep->service->id];
  const fl_step_t *st = &q->ep->steps[q->step];
  for (int i = 0; i < st->count; i++) wait_change(s, r, q->ep->calls[st->first + i].slot, -1);
}

/* One of q's calls answered (or timed out). */
static void call_done(fl_sim_t *s, fl_req_t *q, int ci, fl_outcome_t out, fl_cause_t cause, int origin) {
  const fl_call_t *call = &q->ep->calls[ci];
  if (out == FL_OUT_FAILURE) {
    s->svc[q->ep->service->id].fail_via[call->slot]++;
    if (!call->optional) { complete(s, q, FL_OUT_FAILURE, cause, origin); return; }
    q->flags |= F_DEGRADED;
    if (q->origin < 0) q->origin = (int16_t)origin;   /* where the degradation came from */
    if (s->eng.now + call->fallback > q->wait_until) q->wait_until = s->eng.now + call->fallback;
  } else if (out == FL_OUT_DEGRADED) {
    q->flags |= F_DEGRADED;
    if (q->origin < 0) q->origin = (int16_t)origin;
  }
  if (--q->pending > 0) return;
  end_wait(s, q);
  if (q->wait_until > s->eng.now) {
    q->ev.cb = on_step_wait;
    fl_engine_schedule_at(&s->eng, &q->ev, q->wait_until);
  } else {
    next_step(s, q);
  }
}

static void on_step_wait(fl_engine_t *e, fl_event_t *ev) {
  next_step(SIM(e), container_of(ev, fl_req_t, ev));
}

static void on_timeout(fl_engine_t *e, fl_event_t *ev) {
  fl_sim_t *s = SIM(e);
  fl_req_t *c = container_of(ev, fl_req_t, tmo);
  if (c->sess) {   /* the user gave up waiting; the request goes on without them */
    fl_session_t *x = c->sess;
    c->sess = NULL;
    session_answer(s, x, FL_OUT_FAILURE, FL_CAUSE_TIMEOUT, c->ep->service->id);
    return;
  }
  fl_req_t *p = c->parent;
  fl_callctx_t *x = c->ctx;
  attempt_release(s, c, FL_OUT_FAILURE, FL_CAUSE_TIMEOUT);
  const fl_service_t *callee = c->ep->service;
  /* Envoy counts a timeout at a host as an error of that host */
  if (callee->outlier.consecutive_errors && c->inst && !(c->flags & F_LIMBO))
    outlier_record(s, callee, c->inst, FL_OUT_FAILURE, FL_CAUSE_TIMEOUT, callee->id);
  c->flags |= F_TIMED_OUT;
  c->parent = NULL;      /* the callee goes on working: orphaned */
  c->ctx = NULL;
  c->call_id = -1;
  deliver(s, p, c->parent_gen, x, c->call, FL_OUT_FAILURE, FL_CAUSE_TIMEOUT, c->ep->service->id);
}

/* ---- outlier ejection (Envoy) ---- */

static void set_rotation(fl_svc_rt_t *r, fl_instance_t *in) {
  bool up = in->exists && !in->starting && !in->draining && !in->noticed_down && !in->ejected;
  if (up == in->up) return;
  in->up = up;
  r->nup += up ? 1 : -1;
}

static void on_uneject(fl_engine_t *e, fl_event_t *ev) {
  fl_sim_t *s = SIM(e);
  fl_svc_rt_t *r = &s->svc[ev->aux];
  fl_instance_t *in = container_of(ev, fl_instance_t, eject_ev);
  in->ejected = false;
  in->consecutive_errors = 0;
  set_rotation(r, in);
}

/* Consecutive failures originating at an instance eject it for base_ejection x (times ejected),
** while no more than max_ejected of the instances are out (at least one may always be). */
static void outlier_record(fl_sim_t *s, const fl_service_t *svc, fl_instance_t *in, fl_outcome_t out, fl_cause_t cause, int origin) {
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
  set_rotation(r, in);
  fl_engine_cancel(&s->eng, &in->eject_ev);
  fl_engine_schedule(&s->eng, &in->eject_ev, fl_sec_to_time(svc->outlier.base_ejection) * in->ejections);
}

/* ---- completion ---- */

static void complete(fl_sim_t *s, fl_req_t *q, fl_outcome_t out, fl_cause_t cause, int origin) {
  const fl_service_t *svc = q->ep->service;
  fl_svc_rt_t *r = &s->svc[svc->id];
  bool measured = q->flags & F_MEASURED;
  fl_time_t latency = s->eng.now - q->arrived;
  list_del(q);
  end_wait(s, q);
  if (!(q->flags & F_LIMBO)) {
    if (q->flags & F_WORKER) release_worker(s, q);
    svc_touch(s, r, svc);
    r->inflight--;
    if (q->flags & F_ON_INST && --q->inst->outstanding == 0 && q->inst->draining) retire(s, svc, q->inst);
    count_outcome(&r->st, measured, out, cause, latency);
  }
  fl_session_t *sess = q->sess;
  int dgroup = q->dgroup, dattempts = q->dattempts;
  fl_time_t dmsg = q->dmsg;
  fl_engine_cancel(&s->eng, &q->tmo);
  attempt_release(s, q, out, cause);
  if (svc->outlier.consecutive_errors && q->inst && !(q->flags & (F_LIMBO | F_TIMED_OUT))) outlier_record(s, svc, q->inst, out, cause, origin);
  fl_req_t *p = q->parent;
  uint32_t pgen = q->parent_gen;
  fl_callctx_t *x = q->ctx;
  int ci = q->call;
  req_free(s, q);
  deliver(s, p, pgen, x, ci, out, cause, origin);
  if (sess) session_answer(s, sess, out, cause, origin);
  if (dgroup >= 0) delivery_done(s, dgroup, out, dmsg, dattempts);
}

static void on_deferred(fl_engine_t *e, fl_event_t *ev) {
  fl_req_t *q = container_of(ev, fl_req_t, ev);
  complete(SIM(e), q, FL_OUT_FAILURE, (fl_cause_t)q->cause, q->origin);
}

static void on_work_done(fl_engine_t *e, fl_event_t *ev) {
  fl_sim_t *s = SIM(e);
  fl_req_t *q = container_of(ev, fl_req_t, ev);
  const fl_endpoint_t *ep = q->ep;
  const fl_service_t *svc = ep->service;
  if (q->inst->hung) { q->flags |= F_HUNG; return; }
  double er = ep->error_rate >= 0 ? ep->error_rate : svc->error_rate;
  double extra = s->svc[svc->id].err_extra;
  if (extra > 0) er = 1 - (1 - er) * (1 - extra);
  if (er > 0 && fl_rng_uniform(&s->ep[ep->id].rng_error) < er) {
    complete(s, q, FL_OUT_FAILURE, FL_CAUSE_ERROR, svc->id);
    return;
  }
  if (svc->broker && !broker_accept(s, svc)) { complete(s, q, FL_OUT_FAILURE, FL_CAUSE_REJECTED, svc->id); return; }
  if (ep->nsteps == 0) { complete(s, q, FL_OUT_SUCCESS, FL_CAUSE_NONE, -1); return; }
  if (!svc->blocking) release_worker(s, q);
  q->step = 0;
  begin_step(s, q);
}

/* ---- traffic ---- */

/* Next arrival of journey j after 'now' by thinning a Poisson process of rate
** share x profile, with the bound recomputed over HORIZON-long intervals. */
static fl_time_t next_arrival(fl_sim_t *s, int j, fl_time_t now) {
  fl_jrn_rt_t *jr = &s->jrn[j];
  double share = s->m->journeys[j].share;
  fl_time_t t = now;
  for (;;) {
    if (t >= s->end) return FL_TIME_MAX;
    if (t >= jr->horizon_end) {
      jr->horizon_end = t + HORIZON;
      jr->bound = share * fl_profile_max(&s->m->rate, fl_time_to_sec(t), fl_time_to_sec(jr->horizon_end));
    }
    if (jr->bound <= 0) { t = jr->horizon_end; continue; }
    double gap = fl_rng_exp(&jr->rng) / jr->bound;
    fl_time_t cand = t + (fl_time_t)(gap * 1e9 + 0.5);
    if (gap * 1e9 >= (double)(jr->horizon_end - t)) { t = jr->horizon_end; continue; }
    t = cand;
    double rate = share * fl_profile_rate(&s->m->rate, fl_time_to_sec(t));
    if (rate >= jr->bound || fl_rng_uniform(&jr->rng) * jr->bound < rate) return t;
  }
}

/* ---- sessions ---- */

static fl_session_t *sess_alloc(fl_sim_t *s) {
  if (!s->free_sess) {
    sess_chunk_t *ch = fl_xmalloc(sizeof *ch);
    ch->next = s->sess_chunks; s->sess_chunks = ch;
    for (int i = CHUNK_SESS - 1; i >= 0; i--) { ch->v[i].next = s->free_sess; s->free_sess = &ch->v[i]; }
  }
  fl_session_t *x = s->free_sess;
  s->free_sess = x->next;
  memset(x, 0, sizeof *x);
  return x;
}

/* Sends the session's current step (again, after a refresh). */
static void session_send(fl_sim_t *s, fl_session_t *x) {
  const fl_journey_t *jn = &s->m->journeys[x->journey];
  fl_req_t *q = req_alloc(s);
  q->ep = jn->steps[x->step];
  q->journey = x->journey;
  q->sess = x;
  if (x->attempt == 0) x->step_sent = s->eng.now;
  if (s->m->client_timeout > 0) fl_engine_schedule(&s->eng, &q->tmo, fl_sec_to_time(s->m->client_timeout));
  send(s, q);
}

static void on_session_timer(fl_engine_t *e, fl_event_t *ev) {
  session_send(SIM(e), container_of(ev, fl_session_t, ev));
}

static fl_time_t think_time(fl_sim_t *s, double mean) {
  return mean > 0 ? (fl_time_t)(fl_rng_exp(&s->rng_client) * mean * 1e9) : 0;
}

static void session_end(fl_sim_t *s, fl_session_t *x, fl_outcome_t out, fl_cause_t cause, int origin) {
  fl_jrn_rt_t *jr = &s->jrn[x->journey];
  jr->inflight--;
  fl_stats_t *st = &jr->st;
  switch (out) {
  case FL_OUT_SUCCESS: st->win.successes++; if (x->measured) st->total.successes++; break;
  case FL_OUT_DEGRADED:
    st->win.degraded++; if (x->measured) st->total.degraded++;
    if (origin >= 0 && jr->deg_from) jr->deg_from[origin]++;
    break;
  case FL_OUT_FAILURE:
    st->win.failures++; st->win.cause[cause]++;
    if (x->measured) { st->total.failures++; st->total.cause[cause]++; jr->lost++; }
    if (origin >= 0 && jr->fail_from) jr->fail_from[origin]++;
    break;
  }
  x->next = s->free_sess; s->free_sess = x;
}

/* The user has an answer for the current step (or gave up on it). */
static void session_answer(fl_sim_t *s, fl_session_t *x, fl_outcome_t out, fl_cause_t cause, int origin) {
  const fl_model_t *m = s->m;
  const fl_journey_t *jn = &m->journeys[x->journey];
  fl_jrn_rt_t *jr = &s->jrn[x->journey];
  if (out == FL_OUT_FAILURE) {
    if (x->attempt < m->client_retries) {    /* refresh */
      x->attempt++;
      if (x->measured) jr->refreshes++;
      x->ev.cb = on_session_timer;
      fl_engine_schedule(&s->eng, &x->ev, think_time(s, m->client_think));
      return;
    }
    session_end(s, x, out, cause, origin);
    return;
  }
  /* the step's latency as the user saw it, refreshes included */
  fl_hist_add(jr->st.hwin, s->eng.now - x->step_sent);
  if (x->measured) { fl_hist_add(jr->st.htotal, s->eng.now - x->step_sent); jr->steps_done++; }
  if (out == FL_OUT_DEGRADED) { x->degraded = true; if (x->deg_origin < 0) x->deg_origin = origin; }
  x->attempt = 0;
  if (x->step + 1 < jn->nsteps) {
    if (fl_rng_uniform(&s->rng_client) < jn->cont[x->step]) {
      x->step++;
      x->ev.cb = on_session_timer;
      fl_engine_schedule(&s->eng, &x->ev, think_time(s, jn->think));
      return;
    }
    if (x->measured) jr->left++;
  } else if (x->measured) {
    jr->completed++;
  }
  if (x->degraded) session_end(s, x, FL_OUT_DEGRADED, FL_CAUSE_NONE, x->deg_origin);
  else session_end(s, x, FL_OUT_SUCCESS, FL_CAUSE_NONE, -1);
}

static void start_session(fl_sim_t *s, int j) {
  fl_jrn_rt_t *jr = &s->jrn[j];
  fl_session_t *x = sess_alloc(s);
  fl_event_init(&x->ev, on_session_timer);
  x->journey = j;
  x->deg_origin = -1;
  x->measured = s->eng.now >= s->warmup;
  jr->st.win.arrivals++;
  jr->inflight++;
  if (x->measured) { jr->st.total.arrivals++; jr->sessions++; }
  session_send(s, x);
}

static void on_arrival(fl_engine_t *e, fl_event_t *ev) {
  fl_sim_t *s = SIM(e);
  int j = (int)ev->aux;
  start_session(s, j);
  fl_time_t next = next_arrival(s, j, e->now);
  if (next < s->end) fl_engine_schedule_at(e, ev, next);
}

/* A trace of request timestamps: each starts a session of a journey drawn from the mix. */
static void on_replay(fl_engine_t *e, fl_event_t *ev) {
  fl_sim_t *s = SIM(e);
  const fl_profile_t *p = &s->m->rate;
  double u = fl_rng_uniform(&s->rng_replay), acc = 0;
  int j = s->m->njourneys - 1;
  for (int k = 0; k < s->m->njourneys; k++) { acc += s->m->journeys[k].share; if (u < acc) { j = k; break; } }
  start_session(s, j);
  if (++s->replay_i < p->ntimes) {
    fl_time_t next = fl_sec_to_time(p->times[s->replay_i]);
    if (next < s->end) fl_engine_schedule_at(e, ev, next < e->now ? e->now : next);
  }
}

/* ---- scaling ---- */

static void scale_event(fl_sim_t *s, int svc, int from, int to, const char *reason) {
  if (s->nsev == s->sev_cap) {
    s->sev_cap = s->sev_cap ? 2 * s->sev_cap : 32;
    s->sev = fl_xrealloc(s->sev, sizeof *s->sev * (size_t)s->sev_cap);
  }
  fl_scale_event_t *e = &s->sev[s->nsev++];
  e->t = s->eng.now; e->service = svc; e->from = from; e->to = to;
  snprintf(e->reason, sizeof e->reason, "%s", reason);
}

static void recount_slots(fl_svc_rt_t *r) {
  while (r->ninst > 0 && !r->inst[r->ninst - 1].exists) r->ninst--;
}

/* A drained instance leaves. */
static void retire(fl_sim_t *s, const fl_service_t *svc, fl_instance_t *in) {
  fl_svc_rt_t *r = &s->svc[svc->id];
  svc_touch(s, r, svc);
  if (in->alive) { in->alive = false; r->nalive--; }
  in->draining = false;
  in->exists = false;
  fl_engine_cancel(&s->eng, &in->notice);
  fl_engine_cancel(&s->eng, &in->eject_ev);
  in->ejected = in->noticed_down = false;
  in->consecutive_errors = in->ejections = 0;
  set_rotation(r, in);
  recount_slots(r);
}

static void on_ready(fl_engine_t *e, fl_event_t *ev) {
  fl_sim_t *s = SIM(e);
  const fl_service_t *svc = &s->m->services[ev->aux];
  fl_svc_rt_t *r = &s->svc[ev->aux];
  fl_instance_t *in = container_of(ev, fl_instance_t, life_ev);
  svc_touch(s, r, svc);
  in->starting = false;
  in->alive = true; r->nalive++;
  in->ready_at = e->now;
  set_rotation(r, in);
}

int fl_sim_scale(fl_sim_t *s, int id, int n, const char *reason) {
  const fl_service_t *svc = &s->m->services[id];
  fl_svc_rt_t *r = &s->svc[id];
  if (n < 0 || n > r->cap) return -FL_ERANGE;
  int from = r->desired;
  if (n == from) return 0;
  fl_time_t delay = fl_sec_to_time(svc->autoscale.on ? svc->autoscale.delay : svc->startup);
  for (int k = 0; k < r->cap && r->desired < n; k++) {
    fl_instance_t *in = &r->inst[k];
    if (in->exists) continue;
    in->busy = in->queued = in->outstanding = 0;
    in->exists = true; in->starting = true; in->alive = false;
    in->qhead = in->qtail = NULL; in->reqs.head = NULL;
    r->desired++;
    if (k >= r->ninst) r->ninst = k + 1;
    fl_engine_schedule(&s->eng, &in->life_ev, delay);
  }
  /* scale down: instances still starting go first, then the newest running ones drain */
  for (int pass = 0; pass < 2 && r->desired > n; pass++)
    for (int k = r->ninst - 1; k >= 0 && r->desired > n; k--) {
      fl_instance_t *in = &r->inst[k];
      if (!in->exists || in->draining || in->starting != (pass == 0)) continue;
      r->desired--;
      if (in->starting) { fl_engine_cancel(&s->eng, &in->life_ev); in->starting = false; in->exists = false; set_rotation(r, in); continue; }
      in->draining = true;
      set_rotation(r, in);
      if (in->outstanding == 0) retire(s, svc, in);
    }
  recount_slots(r);
  scale_event(s, id, from, r->desired, reason);
  return 0;
}

/* The Kubernetes HPA: every period, desired = ceil(current x metric / target), skipped within
** the tolerance; scale-up at most max(2x, +4) per period; scale-down to the highest
** recommendation of the stabilisation window; clamped to [min, max]. */
static void on_hpa(fl_engine_t *e, fl_event_t *ev) {
  fl_sim_t *s = SIM(e);
  int id = (int)ev->aux;
  const fl_service_t *svc = &s->m->services[id];
  fl_svc_rt_t *r = &s->svc[id];
  svc_touch(s, r, svc);
  double span = (double)(e->now - r->a_start);
  /* the metric's total over the period: busy workers, requests in flight or queued, or rps */
  double total = 0;
  switch (svc->autoscale.metric) {
  case FL_SCALE_UTILIZATION: total = span > 0 ? r->a_busy / span / svc->workers : 0; break;
  case FL_SCALE_INFLIGHT: total = span > 0 ? r->a_inflight / span : 0; break;
  case FL_SCALE_QUEUE: total = span > 0 ? r->a_queue / span : 0; break;
  case FL_SCALE_RPS: total = span > 0 ? (double)r->a_arrivals / (span / 1e9) : 0; break;
  }
  r->a_busy = r->a_workers = r->a_queue = r->a_inflight = 0; r->a_arrivals = 0; r->a_start = e->now;
  int current = r->desired, ready = r->nalive;
  /* Kubernetes: the metric is the average over ready instances; when that says scale up,
  ** instances not ready yet count with zero load, and a recount that reverses the direction
  ** changes nothing. From zero instances, scale to the total over the target. */
  double metric = ready > 0 ? total / ready : total;
  double ratio = metric / svc->autoscale.target;
  int desired = current;
  if (current == 0) {
    if (total > 0) desired = (int)ceil(total / svc->autoscale.target - 1e-9);
  } else if (fabs(ratio - 1) > svc->autoscale.tolerance) {
    if (ratio > 1 && current > ready) {
      double ratio0 = total / current / svc->autoscale.target;
      if (ratio0 > 1 + svc->autoscale.tolerance) desired = (int)ceil(current * ratio0 - 1e-9);
    } else {
      desired = (int)ceil(current * ratio - 1e-9);
    }
  }
  int up_limit = current * 2 > current + 4 ? current * 2 : current + 4;
  if (desired > up_limit) desired = up_limit;
  if (desired < svc->autoscale.min) desired = svc->autoscale.min;
  if (desired > svc->autoscale.max) desired = svc->autoscale.max;
  /* stabilisation: keep this recommendation, act on the highest of the window when going down */
  fl_time_t win = fl_sec_to_time(svc->autoscale.stabilize_down);
  int keep = 0;
  for (int k = 0; k < r->nrecs; k++)
    if (e->now - r->rec_t[k] < win) { r->recs[keep] = r->recs[k]; r->rec_t[keep] = r->rec_t[k]; keep++; }
  r->nrecs = keep;
  if (r->nrecs == r->rec_cap) {
    r->rec_cap = r->rec_cap ? 2 * r->rec_cap : 32;
    r->recs = fl_xrealloc(r->recs, sizeof *r->recs * (size_t)r->rec_cap);
    r->rec_t = fl_xrealloc(r->rec_t, sizeof *r->rec_t * (size_t)r->rec_cap);
  }
  r->recs[r->nrecs] = desired; r->rec_t[r->nrecs] = e->now; r->nrecs++;
  if (desired < current) {
    int hi = desired;
    for (int k = 0; k < r->nrecs; k++) if (r->recs[k] > hi) hi = r->recs[k];
    desired = hi < current ? hi : current;
  }
  if (desired != current) {
    static const char *const names[] = { "utilization", "inflight", "queue", "rps" };
    char why[128];
    snprintf(why, sizeof why, "autoscaler: %s %.3g per instance, target %.3g", names[svc->autoscale.metric], metric, svc->autoscale.target);
    fl_sim_scale(s, id, desired, why);
  }
  fl_engine_schedule(e, ev, fl_sec_to_time(svc->autoscale.period));
}

/* ---- faults ---- */

static void on_notice(fl_engine_t *e, fl_event_t *ev) {
  fl_sim_t *s = SIM(e);
  fl_svc_rt_t *r = &s->svc[ev->aux];
  fl_instance_t *in = container_of(ev, fl_instance_t, notice);
  if (!in->alive) { in->noticed_down = true; set_rotation(r, in); }
}

static void crash_instance(fl_sim_t *s, const fl_service_t *svc, fl_instance_t *in, bool at_once) {
  fl_svc_rt_t *r = &s->svc[svc->id];
  if (in->crashed++) return;
  svc_touch(s, r, svc);
  in->alive = false; r->nalive--;
  r->queued -= in->queued;
  in->queued = 0; in->qhead = in->qtail = NULL;
  /* Every request it held fails as its connection is reset; restart from the head each time,
  ** since a failure can complete a caller on the same instance. */
  fl_req_t *q;
  while ((q = in->reqs.head)) {
    fl_engine_cancel(&s->eng, &q->ev);
    complete(s, q, FL_OUT_FAILURE, FL_CAUSE_UNAVAILABLE, svc->id);
  }
  if (at_once || svc->health_check <= 0) { in->noticed_down = true; set_rotation(r, in); }
  else if (!fl_event_pending(&in->notice)) fl_engine_schedule(&s->eng, &in->notice, fl_sec_to_time(svc->health_check));
}

static void restore_instance(fl_sim_t *s, const fl_service_t *svc, fl_instance_t *in) {
  fl_svc_rt_t *r = &s->svc[svc->id];
  if (--in->crashed > 0) return;
  svc_touch(s, r, svc);
  fl_engine_cancel(&s->eng, &in->notice);
  in->alive = true; r->nalive++;
  in->noticed_down = false;
  set_rotation(r, in);
}

/* The requests a hang froze fail as their connections are reset. */
static void thaw_instance(fl_sim_t *s, const fl_service_t *svc, fl_instance_t *in) {
  if (--in->hung > 0) return;
  /* everything it held -- frozen at work, waiting in the room, or waiting on calls -- had its
  ** connection reset: empty the room first so that no held request starts work now */
  fl_svc_rt_t *r = &s->svc[svc->id];
  svc_touch(s, r, svc);
  r->queued -= in->queued;
  in->queued = 0; in->qhead = in->qtail = NULL;
  fl_req_t *q;
  while ((q = in->reqs.head)) {
    fl_engine_cancel(&s->eng, &q->ev);
    complete(s, q, FL_OUT_FAILURE, FL_CAUSE_UNAVAILABLE, svc->id);
  }
}

static void error_faults(fl_sim_t *s, int svc) {
  double keep = 1;
  for (int f = 0; f < s->m->nfaults; f++) {
    const fl_fault_t *ft = &s->m->faults[f];
    if (ft->kind == FL_FAULT_ERRORS && !ft->from && s->fault[f].active && ft->target->id == svc) keep *= 1 - ft->value;
  }
  s->svc[svc].err_extra = 1 - keep;
}

static void on_fault(fl_engine_t *e, fl_event_t *ev) {
  fl_sim_t *s = SIM(e);
  int f = (int)ev->aux;
  const fl_fault_t *ft = &s->m->faults[f];
  fl_fault_rt_t *fr = &s->fault[f];
  const fl_service_t *svc = ft->target;
  fl_svc_rt_t *r = &s->svc[svc->id];
  bool start = !fr->active;
  if (start) {
    fr->active = true;
    fr->started = e->now;
    if (ft->duration > 0) fl_engine_schedule(e, ev, fl_sec_to_time(ft->duration));
  } else {
    fr->active = false;
    fr->ended = e->now;
  }
  switch (ft->kind) {
  case FL_FAULT_CRASH: case FL_FAULT_CAPACITY:
    for (int k = fr->first; k < fr->first + fr->count; k++) {
      if (!r->inst[k].exists && !r->inst[k].crashed) continue;
      if (start) crash_instance(s, svc, &r->inst[k], ft->kind == FL_FAULT_CAPACITY);
      else restore_instance(s, svc, &r->inst[k]);
    }
    break;
  case FL_FAULT_HANG:
    for (int k = fr->first; k < fr->first + fr->count; k++) {
      if (start) r->inst[k].hung++;
      else if (r->inst[k].hung) thaw_instance(s, svc, &r->inst[k]);
    }
    break;
  case FL_FAULT_LATENCY:
    if (ft->from) s->npart_active += start ? 1 : -1;   /* on one link: applied in launch */
    else r->latency += (start ? 1 : -1) * fl_sec_to_time(ft->value);
    break;
  case FL_FAULT_SLOWDOWN: if (start) r->slow *= ft->value; else r->slow /= ft->value; break;
  case FL_FAULT_ERRORS:
    if (ft->from) s->npart_active += start ? 1 : -1;
    else error_faults(s, svc->id);
    break;
  case FL_FAULT_PARTITION:
    if (start) s->npart_active++;
    else {
      s->npart_active--;
      fl_req_t *q;
      while ((q = fr->dropped.head)) {
        fl_engine_cancel(&s->eng, &q->ev);
        complete(s, q, FL_OUT_FAILURE, FL_CAUSE_UNAVAILABLE, svc->id);
      }
    }
    break;
  case FL_FAULT_LEAK: {
    int nexist = 0, idx = 0;
    for (int k = fr->first; k < fr->first + fr->count; k++) nexist += r->inst[k].exists;
    for (int k = fr->first; k < fr->first + fr->count; k++) {
      fl_instance_t *in = &r->inst[k];
      if (start) {
        if (in->leak_fault >= 0 || !in->exists) continue;    /* one leak at a time per instance */
        /* instances started at different times: their restarts are spread over 'every' */
        in->leak_fault = f;
        in->leak_since = e->now - fl_sec_to_time(ft->every) * idx++ / (nexist > 0 ? nexist : 1);
        fl_engine_schedule_at(e, &in->leak_ev, in->leak_since + fl_sec_to_time(ft->every));
      } else if (in->leak_fault == f) {
        in->leak_fault = -1;
        fl_engine_cancel(e, &in->leak_ev);
        if (in->leak_down) { in->leak_down = false; restore_instance(s, svc, in); }
      }
    }
    break;
  }
  case FL_FAULT_COLD_CACHE:
    /* every cache in front of the target is flushed: hits restart from zero and warm up */
    if (start)
      for (int id = 0; id < s->ncalls; id++)
        if (s->calls[id]->target->service == svc && s->calls[id]->cache_hit > 0) s->call[id].cold_at = e->now;
    break;
  default: break;
  }
}

/* A leaking instance runs out of memory: it restarts (down for 'restart'), then leaks afresh. */
static void on_leak(fl_engine_t *e, fl_event_t *ev) {
  fl_sim_t *s = SIM(e);
  const fl_service_t *svc = &s->m->services[ev->aux];
  fl_instance_t *in = container_of(ev, fl_instance_t, leak_ev);
  if (in->leak_fault < 0) return;
  const fl_fault_t *ft = &s->m->faults[in->leak_fault];
  if (!in->leak_down) {
    in->leak_down = true;
    crash_instance(s, svc, in, false);
    fl_engine_schedule(e, ev, fl_sec_to_time(ft->restart));
  } else {
    in->leak_down = false;
    restore_instance(s, svc, in);
    in->leak_since = e->now;
    fl_engine_schedule(e, ev, fl_sec_to_time(ft->every));
  }
}

static void fault_init(fl_sim_t *s, int f) {
  const fl_model_t *m = s->m;
  const fl_fault_t *ft = &m->faults[f];
  fl_fault_rt_t *fr = &s->fault[f];
  memset(fr, 0, sizeof *fr);
  int n = ft->target->instances;
  fr->first = 0;
  fr->count = ft->instances ? ft->instances : ft->fraction > 0 ? (int)ceil(ft->fraction * n - 1e-9) : s->svc[ft->target->id].cap;
  if (fr->count > s->svc[ft->target->id].cap) fr->count = s->svc[ft->target->id].cap;
  fr->started = fr->ended = -1;
  fr->phase = fl_xcalloc((size_t)(m->njourneys * 3 + 1), sizeof *fr->phase);
  for (int k = 0; k < m->njourneys * 3; k++) { fr->phase[k].h = fl_xmalloc(sizeof(fl_hist_t)); fl_hist_init(fr->phase[k].h); }
  fl_event_init(&fr->ev, on_fault);
  fr->ev.aux = (uint32_t)f;
  char name[256];
  snprintf(name, sizeof name, "fault#%d:%s", f, ft->name);
  fl_rng_init(&fr->rng, m->seed, name, "link");
}

int fl_sim_inject(fl_sim_t *s, const fl_fault_t *spec) {
  fl_model_t *m = s->m;
  if (m->nfaults >= s->fault_cap) return -FL_ERANGE;
  int f = m->nfaults++;
  m->faults[f] = *spec;
  if (m->faults[f].at < fl_time_to_sec(s->eng.now)) m->faults[f].at = fl_time_to_sec(s->eng.now);
  fault_init(s, f);
  fl_engine_schedule_at(&s->eng, &s->fault[f].ev, fl_sec_to_time(m->faults[f].at));
  return f;
}

int fl_sim_heal(fl_sim_t *s, const char *name) {
  for (int f = s->m->nfaults - 1; f >= 0; f--) {
    fl_fault_rt_t *fr = &s->fault[f];
    if (strcmp(s->m->faults[f].name, name) != 0) continue;
    if (fr->active) {
      fl_engine_cancel(&s->eng, &fr->ev);
      on_fault(&s->eng, &fr->ev);      /* it ends now */
      return 0;
    }
    if (fr->started < 0 && fl_event_pending(&fr->ev)) {
      fl_engine_cancel(&s->eng, &fr->ev);
      fr->started = fr->ended = s->eng.now;
      return 0;
    }
  }
  return -FL_EINVAL;
}

void fl_sim_log(fl_sim_t *s, const char *msg) {
  if (s->nlogs == s->logs_cap) {
    s->logs_cap = s->logs_cap ? 2 * s->logs_cap : 16;
    s->logs = fl_xrealloc(s->logs, sizeof *s->logs * (size_t)s->logs_cap);
  }
  s->logs[s->nlogs].t = s->eng.now;
  s->logs[s->nlogs].msg = fl_xstrdup(msg);
  s->nlogs++;
}

void fl_sim_traffic_changed(fl_sim_t *s) {
  for (int j = 0; j < s->m->njourneys; j++) {
    fl_jrn_rt_t *jr = &s->jrn[j];
    jr->horizon_end = s->eng.now;   /* recompute the thinning bound */
    fl_engine_cancel(&s->eng, &jr->arrival);
    fl_time_t next = next_arrival(s, j, s->eng.now);
    if (next < s->end) fl_engine_schedule_at(&s->eng, &jr->arrival, next);
  }
}

static void on_hook(fl_engine_t *e, fl_event_t *ev) {
  fl_sim_t *s = SIM(e);
  int h = (int)ev->aux;
  const fl_hook_t *hk = &s->m->hooks[h];
  if (hk->every > 0) {
    fl_time_t next = e->now + fl_sec_to_time(hk->every);
    if (next < s->end) fl_engine_schedule_at(e, ev, next);
  }
  if (s->m->run_hook && s->m->run_hook(s->m, s, h, s->error, sizeof s->error) != 0) s->stop = 1;
}

/* The last complete window (the one in progress before the first closes). */
static void live_common(fl_sim_t *s, const fl_stats_t *st, fl_live_stats_t *o) {
  if (s->wdone == 0) {
    o->c = st->win;
    o->p50 = fl_time_to_sec(fl_hist_quantile(st->hwin, 0.5));
    o->p99 = fl_time_to_sec(fl_hist_quantile(st->hwin, 0.99));
    return;
  }
  uint32_t w = s->wdone - 1;
  o->c.arrivals = (uint64_t)st->series[FL_SER_ARRIVALS][w];
  o->c.successes = (uint64_t)st->series[FL_SER_SUCCESSES][w];
  o->c.degraded = (uint64_t)st->series[FL_SER_DEGRADED][w];
  o->c.failures = (uint64_t)st->series[FL_SER_FAILURES][w];
  for (int k = 1; k < FL_CAUSE__COUNT; k++) o->c.cause[k] = (uint64_t)st->cause_series[k][w];
  o->p50 = st->series[FL_SER_P50][w];
  o->p99 = st->series[FL_SER_P99][w];
}

void fl_sim_service_stats(fl_sim_t *s, int i, fl_live_stats_t *o) {
  memset(o, 0, sizeof *o);
  fl_svc_rt_t *r = &s->svc[i];
  svc_touch(s, r, &s->m->services[i]);
  live_common(s, &r->st, o);
  if (s->wdone > 0) {
    uint32_t w = s->wdone - 1;
    o->utilization = r->st.series[FL_SER_UTILIZATION][w];
    o->busy = r->st.series[FL_SER_BUSY][w];
    o->queue = r->st.series[FL_SER_QUEUE][w];
  } else {
    double len = (double)(s->eng.now);
    o->utilization = r->w_workers > 0 ? r->w_busy / r->w_workers : 0;
    o->busy = len > 0 ? r->w_busy / len : r->busy;
    o->queue = len > 0 ? r->w_queue / len : r->queued;
  }
  o->instances = r->nup;
  o->desired = r->desired;
  o->health = r->health;
}

void fl_sim_journey_stats(fl_sim_t *s, int j, fl_live_stats_t *o) {
  memset(o, 0, sizeof *o);
  live_common(s, &s->jrn[j].st, o);
  o->health = s->jrn[j].health;
}

/* ---- windows ---- */

static fl_health_t classify(const fl_model_t *m, const fl_service_t *svc, const fl_svc_rt_t *r, double util, double p99) {
  uint64_t done = r->st.win.successes + r->st.win.degraded + r->st.win.failures;
  double fr = done ? (double)r->st.win.failures / (double)done : 0;
  /* no live instance, mostly failing, or holding requests without answering any */
  if (r->nup == 0 || fr >= m->health.down_errors || (!done && r->inflight > 0)) return FL_HEALTH_DOWN;
  if (fr >= m->health.degraded_errors || (svc->slo > 0 && p99 > svc->slo) || util >= m->health.saturation) return FL_HEALTH_DEGRADED;
  return FL_HEALTH_OK;
}

static fl_health_t classify_journey(const fl_model_t *m, const fl_counts_t *c, int inflight) {
  uint64_t done = c->successes + c->degraded + c->failures;
  if (!done) return inflight > 0 && c->arrivals > 0 ? FL_HEALTH_DOWN : FL_HEALTH_OK;   /* nothing answered */
  double fr = (double)c->failures / (double)done, dg = (double)c->degraded / (double)done;
  if (fr >= m->health.down_errors) return FL_HEALTH_DOWN;
  if (fr >= m->health.degraded_errors || dg >= m->health.degraded_share) return FL_HEALTH_DEGRADED;
  return FL_HEALTH_OK;
}

/* A raw state different from the confirmed one must be seen s->confirm windows in a row. */
static bool confirm_state(const fl_sim_t *s, fl_health_t *cur, fl_health_t *pend, int *np, fl_health_t raw) {
  if (raw == *cur) { *np = 0; return false; }
  if (raw != *pend) { *pend = raw; *np = 1; } else (*np)++;
  if (*np < s->confirm) return false;
  *np = 0;
  *cur = raw;
  return true;
}

static fl_change_t *add_change(fl_sim_t *s, uint32_t w, int svc, int jrn, fl_health_t from, fl_health_t to) {
  if (s->nchanges == s->changes_cap) {
    s->changes_cap = s->changes_cap ? s->changes_cap * 2 : 64;
    s->changes = fl_xrealloc(s->changes, sizeof *s->changes * (size_t)s->changes_cap);
  }
  fl_change_t *c = &s->changes[s->nchanges++];
  memset(c, 0, sizeof *c);
  c->t = (fl_time_t)(w + 1 - (uint32_t)s->confirm) * s->window;
  c->service = svc; c->journey = jrn; c->from = from; c->to = to;
  c->fault = -1; c->via = -1; c->parent = -1;
  return c;
}

/* The latest change of service 'svc' into a bad state that still stands, or -1. */
static int standing_change(const fl_sim_t *s, int svc) {
  for (int i = s->nchanges - 1; i >= 0; i--)
    if (s->changes[i].service == svc) return s->changes[i].to != FL_HEALTH_OK ? i : -1;
  return -1;
}

/* Top origin among 'fail_from' when it holds at least half of 'failures'. */
static int top_origin(const fl_sim_t *s, const uint64_t *fail_from, uint64_t failures, double *share) {
  int best = -1;
  for (int d = 0; d < s->m->nservices; d++) if (fail_from[d] && (best < 0 || fail_from[d] > fail_from[best])) best = d;
  if (best < 0 || !failures || 2 * fail_from[best] < failures) return -1;
  *share = (double)fail_from[best] / (double)failures;
  return best;
}

/* Was fault f active at some time in [wstart, wend)? */
static bool fault_in(const fl_sim_t *s, int f, fl_time_t wstart, fl_time_t wend) {
  const fl_fault_rt_t *fr = &s->fault[f];
  return fr->started >= 0 && fr->started < wend && (fr->ended < 0 || fr->ended > wstart);
}

static void attribute_service(fl_sim_t *s, fl_change_t *c, double util) {
  const fl_model_t *m = s->m;
  int i = c->service;
  const fl_svc_rt_t *r = &s->svc[i];
  if (c->to == FL_HEALTH_OK) { snprintf(c->reason, sizeof c->reason, "recovered"); return; }
  for (int f = 0; f < m->nfaults; f++) {
    const fl_fault_t *ft = &m->faults[f];
    bool hits = ft->kind == FL_FAULT_PARTITION ? ft->from->id == i : ft->target->id == i;
    if (hits && fault_in(s, f, (fl_time_t)s->wdone * s->window, s->eng.now)) {
      c->fault = f;
      snprintf(c->reason, sizeof c->reason, "fault '%s' (%s)", ft->name, fl_fault_kind_name(ft->kind));
      return;
    }
  }
  uint64_t bad = r->st.win.failures + r->st.win.degraded;
  uint64_t done = r->st.win.successes + r->st.win.degraded + r->st.win.failures;
  double fr = done ? (double)r->st.win.failures / (double)done : 0, p99 = fl_time_to_sec(fl_hist_quantile(r->st.hwin, 0.99));
  const fl_service_t *svc = &m->services[i];
  int k = -1;
  for (int x = 0; x < r->ncallees; x++) if (r->fail_via[x] && (k < 0 || r->fail_via[x] > r->fail_via[k])) k = x;
  double busy = 0;
  int kw = -1;
  for (int x = 0; x < r->ncallees; x++) if (r->wint[x] > busy) { busy = r->wint[x]; kw = x; }
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
    } else {
      snprintf(c->reason, sizeof c->reason, "p99 %.0fms over its slo of %.0fms", 1000 * p99, 1000 * svc->slo);
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

/* Which scopes a window belongs to: expectations and the faults' before/during/after phases. */
static void accumulate(fl_acc_t *a, const fl_stats_t *st) {
  a->c.arrivals += st->win.arrivals; a->c.successes += st->win.successes;
  a->c.degraded += st->win.degraded; a->c.failures += st->win.failures;
  for (int k = 0; k < FL_CAUSE__COUNT; k++) a->c.cause[k] += st->win.cause[k];
  fl_hist_merge(a->h, st->hwin);
}

static void close_scopes(fl_sim_t *s, fl_time_t wstart, fl_time_t wend) {
  const fl_model_t *m = s->m;
  bool measured = wstart >= s->warmup, any_fault = false;
  for (int f = 0; f < m->nfaults; f++) s->fault[f].touched = fault_in(s, f, wstart, wend);
  for (int f = 0; f < m->nfaults; f++) any_fault |= s->fault[f].touched;
  for (int x = 0; x < m->nexpects; x++) {
    const fl_expect_t *ex = &m->expects[x];
    if (!ex->subject) continue;
    bool in;
    switch (ex->during) {
    case FL_EXPECT_FAULT: in = s->fault[ex->fault].touched; break;
    case FL_EXPECT_RANGE: { fl_time_t mid = wstart + (wend - wstart) / 2; in = mid >= fl_sec_to_time(ex->from) && mid < fl_sec_to_time(ex->to); break; }
    case FL_EXPECT_STEADY: in = measured && !any_fault; break;
    default: in = measured; break;
    }
    if (!in) continue;
    s->exp[x].windows++;
    accumulate(&s->exp[x].acc, ex->service ? &s->svc[ex->service->id].st : &s->jrn[ex->journey].st);
  }
  for (int f = 0; f < m->nfaults; f++) {
    fl_fault_rt_t *fr = &s->fault[f];
    int phase = fr->touched ? 1 : fr->started < 0 ? 0 : 2;
    if (phase == 0 && !measured) continue;
    for (int j = 0; j < m->njourneys; j++) accumulate(&fr->phase[j * 3 + phase], &s->jrn[j].st);
  }
}

static void close_stats(fl_stats_t *st, uint32_t w) {
  st->series[FL_SER_ARRIVALS][w] = (double)st->win.arrivals;
  st->series[FL_SER_SUCCESSES][w] = (double)st->win.successes;
  st->series[FL_SER_DEGRADED][w] = (double)st->win.degraded;
  st->series[FL_SER_FAILURES][w] = (double)st->win.failures;
  st->series[FL_SER_P50][w] = fl_time_to_sec(fl_hist_quantile(st->hwin, 0.5));
  st->series[FL_SER_P99][w] = fl_time_to_sec(fl_hist_quantile(st->hwin, 0.99));
  for (int k = 1; k < FL_CAUSE__COUNT; k++) st->cause_series[k][w] = (double)st->win.cause[k];
}

static void reset_window(fl_stats_t *st) {
  memset(&st->win, 0, sizeof st->win);
  fl_hist_reset(st->hwin);
}

static void close_window(fl_sim_t *s) {
  uint32_t w = s->wdone;
  int first_change = s->nchanges;
  fl_time_t wstart = (fl_time_t)w * s->window;
  fl_time_t len = s->eng.now - wstart;
  bool measured = wstart >= s->warmup;
  for (int i = 0; i < s->m->nservices; i++) {
    const fl_service_t *svc = &s->m->services[i];
    fl_svc_rt_t *r = &s->svc[i];
    svc_touch(s, r, svc);
    for (int x = 0; x < r->ncallees; x++) wait_change(s, r, x, 0);
    close_stats(&r->st, w);
    double util = r->w_workers > 0 ? r->w_busy / r->w_workers : 0;
    r->st.series[FL_SER_BUSY][w] = len > 0 ? r->w_busy / (double)len : 0;
    r->st.series[FL_SER_QUEUE][w] = len > 0 ? r->w_queue / (double)len : 0;
    r->st.series[FL_SER_INSTANCES][w] = r->nup;
    r->st.series[FL_SER_UTILIZATION][w] = util;
    if (svc->broker) {
      double lag = 0, age = 0;
      for (int g = 0; g < s->ngroups; g++) {
        fl_group_t *gr = &s->groups[g];
        if (gr->broker != i) continue;
        lag += (double)gr->count;
        if (gr->count) {
          double a = fl_time_to_sec(s->eng.now - gr->ring[gr->head].t);
          if (a > age) age = a;
          if (a > gr->max_age) gr->max_age = a;
        }
      }
      r->st.series[FL_SER_LAG][w] = lag;
      r->st.series[FL_SER_LAG_AGE][w] = age;
    }
    {   /* an idle service with live instances is ok */
      fl_health_t was = r->health;
      if (confirm_state(s, &r->health, &r->pending, &r->npending, classify(s->m, svc, r, util, r->st.series[FL_SER_P99][w]))) {
        attribute_service(s, add_change(s, w, i, -1, was, r->health), util);
        /* the change dates from the first of the windows that confirmed it: so does the series */
        for (int k = 1; k < s->confirm && (uint32_t)k <= w; k++) r->st.series[FL_SER_HEALTH][w - (uint32_t)k] = r->health;
      }
    }
    r->st.series[FL_SER_HEALTH][w] = r->health;
    if (measured) {
      r->t_busy += r->w_busy; r->t_queue += r->w_queue;
      r->t_inflight += r->w_inflight; r->t_workers += r->w_workers;
      if (r->nup < r->inst_min) r->inst_min = r->nup;
      if (r->nup > r->inst_max) r->inst_max = r->nup;
    }
  }
  for (int j = 0; j < s->m->njourneys; j++) {
    fl_jrn_rt_t *jr = &s->jrn[j];
    close_stats(&jr->st, w);
    fl_health_t was = jr->health;
    if (confirm_state(s, &jr->health, &jr->pending, &jr->npending, classify_journey(s->m, &jr->st.win, jr->inflight)))
      attribute_journey(s, add_change(s, w, -1, j, was, jr->health));
  }
  for (int id = 0; id < s->ncalls; id++)
    if (s->call[id].lat && s->call[id].lat->count >= 20)
      s->call[id].hedge_after = fl_hist_quantile(s->call[id].lat, s->calls[id]->hedge.quantile);
  /* link this window's changes to the standing changes of the dependencies they blame */
  for (int i = first_change; i < s->nchanges; i++)
    if (s->changes[i].via >= 0 && s->changes[i].to != FL_HEALTH_OK) {
      fl_change_t *c = &s->changes[i];
      int p = standing_change(s, c->via);
      c->parent = p != i ? p : -1;
      if (c->parent < 0 && c->fault < 0)   /* the dependency is faulted without changing state itself (latency, ...) */
        for (int f = 0; f < s->m->nfaults; f++)
          if (s->m->faults[f].target->id == c->via && fault_in(s, f, wstart, s->eng.now) &&
              (!s->m->faults[f].from || c->service < 0 || s->m->faults[f].from->id == c->service)) {   /* its own link's */
            c->fault = f;
            size_t l = strlen(c->reason);
            snprintf(c->reason + l, sizeof c->reason - l, "; fault '%s' (%s) on %s", s->m->faults[f].name,
                     fl_fault_kind_name(s->m->faults[f].kind), s->m->faults[f].target->name);
            break;
          }
    }
  close_scopes(s, wstart, s->eng.now);
  for (int i = 0; i < s->m->nservices; i++) {
    fl_svc_rt_t *r = &s->svc[i];
    r->w_busy = r->w_queue = r->w_inflight = r->w_workers = 0;
    reset_window(&r->st);
    for (int x = 0; x < r->ncallees; x++) {
      r->edge_calls[(size_t)x * s->nwindows + w] = (double)r->calls_via[x];
      r->edge_fails[(size_t)x * s->nwindows + w] = (double)r->fail_via[x];
    }
    memset(r->fail_via, 0, sizeof *r->fail_via * (size_t)r->ncallees);
    memset(r->calls_via, 0, sizeof *r->calls_via * (size_t)r->ncallees);
    for (int x = 0; x < r->ncallees; x++) { r->wint[x] = 0; r->wlast[x] = s->eng.now; }
  }
  for (int j = 0; j < s->m->njourneys; j++) {
    reset_window(&s->jrn[j].st);
    if (s->jrn[j].fail_from) memset(s->jrn[j].fail_from, 0, sizeof *s->jrn[j].fail_from * (size_t)s->m->nservices);
    if (s->jrn[j].deg_from) memset(s->jrn[j].deg_from, 0, sizeof *s->jrn[j].deg_from * (size_t)s->m->nservices);
  }
  s->wdone++;
  if (s->on_window) s->on_window(s, w, s->on_window_user);
}

/* Faults start in the window they belong to: scheduled once the window before has closed, so
** that a fault at a window boundary is not seen by the window that ends there. */
static void schedule_faults(fl_sim_t *s, fl_time_t from, fl_time_t to) {
  for (int f = 0; f < s->m->nfaults; f++) {
    fl_time_t at = fl_sec_to_time(s->m->faults[f].at);
    if (at >= from && at < to && !fl_event_pending(&s->fault[f].ev) && s->fault[f].started < 0)
      fl_engine_schedule_at(&s->eng, &s->fault[f].ev, at);
  }
}

static void on_window(fl_engine_t *e, fl_event_t *ev) {
  fl_sim_t *s = SIM(e);
  close_window(s);
  if (s->wdone < s->nwindows) {
    fl_time_t next = (fl_time_t)(s->wdone + 1) * s->window;
    fl_engine_schedule_first_at(e, ev, next < s->end ? next : s->end);
    schedule_faults(s, e->now, next);
  }
}

/* ---- lifecycle ---- */

static void stats_init(fl_stats_t *st, int nseries, uint32_t nwin) {
  memset(st, 0, sizeof *st);
  st->hwin = fl_xmalloc(sizeof *st->hwin); fl_hist_init(st->hwin);
  st->htotal = fl_xmalloc(sizeof *st->htotal); fl_hist_init(st->htotal);
  for (int k = 0; k < nseries; k++) st->series[k] = fl_xcalloc(nwin ? nwin : 1, sizeof(double));
  for (int k = 1; k < FL_CAUSE__COUNT; k++) st->cause_series[k] = fl_xcalloc(nwin ? nwin : 1, sizeof(double));
}

static void stats_release(fl_stats_t *st) {
  free(st->hwin); free(st->htotal);
  for (int k = 0; k < FL_SER__COUNT; k++) free(st->series[k]);
  for (int k = 0; k < FL_CAUSE__COUNT; k++) free(st->cause_series[k]);
  memset(st, 0, sizeof *st);
}

int fl_sim_init(fl_sim_t *s, fl_model_t *m) {
  memset(s, 0, sizeof *s);
  s->m = m;
  fl_engine_init(&s->eng, s);
  s->end = fl_sec_to_time(m->duration);
  s->window = fl_sec_to_time(m->window);
  if (s->end <= 0 || s->window <= 0) return -FL_EINVAL;
  s->nwindows = (uint32_t)((s->end + s->window - 1) / s->window);
  fl_time_t wu = fl_sec_to_time(m->warmup);
  s->warmup = (wu + s->window - 1) / s->window * s->window;
  s->svc = fl_xcalloc((size_t)m->nservices, sizeof *s->svc);
  s->ep = fl_xcalloc((size_t)(m->nendpoints ? m->nendpoints : 1), sizeof *s->ep);
  s->jrn = fl_xcalloc((size_t)(m->njourneys ? m->njourneys : 1), sizeof *s->jrn);
  for (int i = 0; i < m->nservices; i++) {
    fl_service_t *svc = &m->services[i];
    fl_svc_rt_t *r = &s->svc[i];
    r->ninst = svc->instances;
    /* room to scale to: 4x and at least 64 more, or the autoscaler's max */
    r->cap = svc->instances * 4 > svc->instances + 64 ? svc->instances * 4 : svc->instances + 64;
    if (svc->autoscale.on && svc->autoscale.max > r->cap) r->cap = svc->autoscale.max;
    if (r->cap > 100000) r->cap = svc->instances > 100000 ? svc->instances : 100000;
    r->inst = fl_xcalloc((size_t)r->cap, sizeof *r->inst);
    for (int k = 0; k < r->cap; k++) {
      fl_instance_t *in = &r->inst[k];
      fl_event_init(&in->notice, on_notice); in->notice.aux = (uint32_t)i;
      fl_event_init(&in->eject_ev, on_uneject); in->eject_ev.aux = (uint32_t)i;
      fl_event_init(&in->life_ev, on_ready); in->life_ev.aux = (uint32_t)i;
      fl_event_init(&in->leak_ev, on_leak); in->leak_ev.aux = (uint32_t)i;
      in->leak_fault = -1;
      if (k < r->ninst) in->exists = in->up = in->alive = true;
    }
    r->nup = r->nalive = r->desired = r->ninst;
    fl_event_init(&r->hpa_ev, on_hpa);
    r->hpa_ev.aux = (uint32_t)i;
    if (svc->autoscale.on) {
      fl_engine_schedule(&s->eng, &r->hpa_ev, fl_sec_to_time(svc->autoscale.period));
      /* as Kubernetes records the replica count it first sees: no scale-down for a window */
      r->rec_cap = 32;
      r->recs = fl_xmalloc(sizeof *r->recs * (size_t)r->rec_cap);
      r->rec_t = fl_xmalloc(sizeof *r->rec_t * (size_t)r->rec_cap);
      r->recs[0] = svc->instances; r->rec_t[0] = 0; r->nrecs = 1;
    }
    r->slow = 1;
    r->tokens = svc->rate_burst;
    /* distinct callees, and each call's slot among them */
    int ncalls = 0;
    for (int k = 0; k < svc->nendpoints; k++) ncalls += svc->endpoints[k].ncalls;
    r->callee = fl_xcalloc((size_t)(ncalls ? ncalls : 1), sizeof *r->callee);
    for (int k = 0; k < svc->nendpoints; k++)
      for (int c = 0; c < svc->endpoints[k].ncalls; c++) {
        fl_call_t *call = &svc->endpoints[k].calls[c];
        int id = call->target->service->id, x = 0;
        while (x < r->ncallees && r->callee[x] != id) x++;
        if (x == r->ncallees) r->callee[r->ncallees++] = id;
        call->slot = x;
      }
    int nc = r->ncallees ? r->ncallees : 1;
    r->fail_via = fl_xcalloc((size_t)nc, sizeof *r->fail_via);
    r->calls_via = fl_xcalloc((size_t)nc, sizeof *r->calls_via);
    r->edge_calls = fl_xcalloc((size_t)nc * (s->nwindows ? s->nwindows : 1), sizeof *r->edge_calls);
    r->edge_fails = fl_xcalloc((size_t)nc * (s->nwindows ? s->nwindows : 1), sizeof *r->edge_fails);
    r->wcount = fl_xcalloc((size_t)nc, sizeof *r->wcount);
    r->wint = fl_xcalloc((size_t)nc, sizeof *r->wint);
    r->wlast = fl_xcalloc((size_t)nc, sizeof *r->wlast);
    r->inst_min = INT32_MAX; r->inst_max = 0;
    fl_rng_init(&r->rng_lb, m->seed, svc->name, "balancer");
    stats_init(&r->st, FL_SER__COUNT, s->nwindows);
    for (int k = 0; k < svc->nendpoints; k++) {
      fl_endpoint_t *ep = &svc->endpoints[k];
      fl_rng_init(&s->ep[ep->id].rng_work, m->seed, ep->full_name, "work");
      fl_rng_init(&s->ep[ep->id].rng_error, m->seed, ep->full_name, "error");
      fl_rng_init(&s->ep[ep->id].rng_calls, m->seed, ep->full_name, "calls");
      s->ep[ep->id].mean_work_ns = fl_dist_mean(&ep->work) * 1e9;
    }
  }
  /* brokers: a group of messages per consumer */
  s->published = fl_xcalloc((size_t)m->nservices, sizeof *s->published);
  s->publish_rejected = fl_xcalloc((size_t)m->nservices, sizeof *s->publish_rejected);
  for (int i = 0; i < m->nservices; i++) if (m->services[i].broker) s->ngroups += m->services[i].nconsumers;
  s->groups = fl_xcalloc((size_t)(s->ngroups ? s->ngroups : 1), sizeof *s->groups);
  for (int i = 0, g = 0; i < m->nservices; i++) {
    const fl_service_t *b = &m->services[i];
    if (!b->broker) continue;
    for (int k = 0; k < b->nconsumers; k++, g++) {
      fl_group_t *gr = &s->groups[g];
      gr->broker = i;
      gr->consumer = b->consumers[k];
      const fl_service_t *cs = gr->consumer->service;
      gr->limit = b->concurrency > 0 ? b->concurrency : cs->instances * cs->workers;
    }
  }
  /* call sites: ids, and the state of their policies */
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
        fl_call_rt_t *cr = &s->call[id];
        call->id = id;
        s->calls[id] = call;
        s->call_ep[id] = ep;
        char name[512];
        snprintf(name, sizeof name, "%s#%d", ep->full_name, c);
        fl_rng_init(&cr->rng, m->seed, name, "retry");
        cr->ncaller = s->svc[i].cap;
        cr->bsec = -2;
        cr->cold_at = -1;
        if (call->breaker.on) {
          cr->br = fl_xcalloc((size_t)cr->ncaller, sizeof *cr->br);
          for (int x = 0; x < cr->ncaller; x++) cr->br[x].ring = fl_xcalloc((size_t)call->breaker.window, 1);
        }
        if (call->bulkhead) cr->inflight = fl_xcalloc((size_t)cr->ncaller, sizeof *cr->inflight);
        if (call->hedge.on && call->hedge.quantile > 0) { cr->lat = fl_xmalloc(sizeof *cr->lat); fl_hist_init(cr->lat); }
      }
    }
  for (int j = 0; j < m->njourneys; j++) {
    fl_jrn_rt_t *jr = &s->jrn[j];
    fl_rng_init(&jr->rng, m->seed, m->journeys[j].name, "arrivals");
    stats_init(&jr->st, FL_SER_JOURNEY_COUNT, s->nwindows);
    if ((double)m->nservices * m->njourneys <= 4e6) {
      jr->fail_from = fl_xcalloc((size_t)m->nservices, sizeof *jr->fail_from);
      jr->deg_from = fl_xcalloc((size_t)m->nservices, sizeof *jr->deg_from);
    }
    fl_event_init(&jr->arrival, on_arrival);
    jr->arrival.aux = (uint32_t)j;
    if (m->rate.kind == FL_PROFILE_REPLAY) continue;
    fl_time_t first = next_arrival(s, j, 0);
    if (first < s->end) fl_engine_schedule_at(&s->eng, &jr->arrival, first);
  }
  fl_rng_init(&s->rng_client, m->seed, "client", "behaviour");
  fl_rng_init(&s->rng_replay, m->seed, "trace", "journeys");
  fl_event_init(&s->replay_ev, on_replay);
  if (m->rate.kind == FL_PROFILE_REPLAY && m->rate.ntimes > 0 && fl_sec_to_time(m->rate.times[0]) < s->end)
    fl_engine_schedule_at(&s->eng, &s->replay_ev, fl_sec_to_time(m->rate.times[0]));
  s->confirm = m->health.confirm > 0 ? m->health.confirm : 2;
  s->fault_cap = m->nfaults + 64;    /* room for faults injected while it runs */
  m->faults = fl_xrealloc(m->faults, sizeof *m->faults * (size_t)s->fault_cap);
  s->fault = fl_xcalloc((size_t)s->fault_cap, sizeof *s->fault);
  for (int f = 0; f < m->nfaults; f++) fault_init(s, f);
  schedule_faults(s, 0, s->window);
  s->hook_ev = fl_xcalloc((size_t)(m->nhooks ? m->nhooks : 1), sizeof *s->hook_ev);
  for (int h = 0; h < m->nhooks; h++) {
    fl_event_init(&s->hook_ev[h], on_hook);
    s->hook_ev[h].aux = (uint32_t)h;
    fl_time_t at = fl_sec_to_time(m->hooks[h].at);
    if (at < s->end) fl_engine_schedule_at(&s->eng, &s->hook_ev[h], at);
  }
  s->exp = fl_xcalloc((size_t)(m->nexpects ? m->nexpects : 1), sizeof *s->exp);
  for (int x = 0; x < m->nexpects; x++) { s->exp[x].acc.h = fl_xmalloc(sizeof(fl_hist_t)); fl_hist_init(s->exp[x].acc.h); }
  fl_event_init(&s->window_ev, on_window);
  fl_engine_schedule_first_at(&s->eng, &s->window_ev, s->window < s->end ? s->window : s->end);
  return 0;
}

void fl_sim_release(fl_sim_t *s) {
  fl_engine_release(&s->eng);
  for (int i = 0; s->m && i < s->m->nservices; i++) {
    free(s->svc[i].inst); stats_release(&s->svc[i].st);
    free(s->svc[i].recs); free(s->svc[i].rec_t);
    free(s->svc[i].callee); free(s->svc[i].fail_via); free(s->svc[i].calls_via); free(s->svc[i].edge_calls); free(s->svc[i].edge_fails); free(s->svc[i].wcount); free(s->svc[i].wint); free(s->svc[i].wlast);
  }
  for (int j = 0; s->m && j < s->m->njourneys; j++) { stats_release(&s->jrn[j].st); free(s->jrn[j].fail_from); free(s->jrn[j].deg_from); }
  for (int f = 0; s->m && f < s->m->nfaults; f++) {
    for (int k = 0; s->fault[f].phase && k < s->m->njourneys * 3; k++) free(s->fault[f].phase[k].h);
    free(s->fault[f].phase);
  }
  for (int i = 0; i < s->nlogs; i++) free(s->logs[i].msg);
  free(s->logs); free(s->hook_ev);
  for (int x = 0; s->m && x < s->m->nexpects; x++) free(s->exp[x].acc.h);
  for (int id = 0; id < s->ncalls; id++) {
    fl_call_rt_t *cr = &s->call[id];
    if (cr->br) for (int x = 0; x < cr->ncaller; x++) free(cr->br[x].ring);
    free(cr->br); free(cr->inflight); free(cr->lat);
  }
  free(s->call); free(s->calls); free(s->call_ep); free(s->bev); free(s->sev);
  for (int g = 0; g < s->ngroups; g++) free(s->groups[g].ring);
  free(s->groups); free(s->published); free(s->publish_rejected);
  while (s->ctx_chunks) { ctx_chunk_t *c = s->ctx_chunks; s->ctx_chunks = c->next; free(c); }
  while (s->sess_chunks) { sess_chunk_t *c = s->sess_chunks; s->sess_chunks = c->next; free(c); }
  free(s->fault); free(s->exp); free(s->changes);
  free(s->svc); free(s->ep); free(s->jrn);
  while (s->chunks) { fl_req_chunk_t *c = s->chunks; s->chunks = c->next; free(c); }
  memset(s, 0, sizeof *s);
}

bool fl_sim_run_until(fl_sim_t *s, fl_time_t until) {
  if (until > s->end) until = s->end;
  while (s->wdone < s->nwindows && !s->stop) {
    fl_time_t boundary = s->window_ev.time;
    if (boundary > until) { fl_engine_run_until(&s->eng, until); break; }
    fl_engine_run_until(&s->eng, boundary);
  }
  s->complete = s->wdone >= s->nwindows;
  return !s->complete && !s->stop;
}

void fl_sim_run(fl_sim_t *s) { fl_sim_run_until(s, s->end); }

size_t fl_sim_request_bytes(void) { return sizeof(fl_req_t); }

double fl_sim_measured_seconds(const fl_sim_t *s) {
  fl_time_t closed = (fl_time_t)s->wdone * s->window;
  if (closed > s->end) closed = s->end;
  return closed > s->warmup ? fl_time_to_sec(closed - s->warmup) : 0;
}

/* ---- expectations ---- */

static bool compare(const char *op, double observed, double wanted) {
  const double eps = 1e-12;
  if (strcmp(op, ">=") == 0) return observed >= wanted - eps;
  if (strcmp(op, ">") == 0) return observed > wanted;
  if (strcmp(op, "<=") == 0) return observed <= wanted + eps;
  if (strcmp(op, "<") == 0) return observed < wanted;
  return fabs(observed - wanted) <= eps;
}

/* Is change 'i' part of a cascade rooted at service 'root' (its own change or a fault on it)? */
static bool descends_from(const fl_sim_t *s, int i, int root) {
  for (int guard = 0; i >= 0 && guard < s->nchanges; guard++) {
    const fl_change_t *c = &s->changes[i];
    if (c->service == root) return true;
    if (c->fault >= 0 && s->m->faults[c->fault].target->id == root) return true;
    i = c->parent;
  }
  return false;
}

static bool calls_service(const fl_service_t *caller, const fl_service_t *callee) {
  for (int k = 0; k < caller->nendpoints; k++)
    for (int c = 0; c < caller->endpoints[k].ncalls; c++)
      if (caller->endpoints[k].calls[c].target->service == callee) return true;
  return false;
}

int fl_sim_check_expectations(fl_sim_t *s) {
  const fl_model_t *m = s->m;
  int failed = 0;
  for (int x = 0; x < m->nexpects; x++) {
    const fl_expect_t *ex = &m->expects[x];
    fl_exp_rt_t *er = &s->exp[x];
    er->passed = true;
    er->detail[0] = 0;
    if (ex->subject) {
      const fl_counts_t *c = &er->acc.c;
      uint64_t done = c->successes + c->degraded + c->failures;
      er->success_rate = done ? (double)(c->successes + c->degraded) / (double)done : 1;
      er->p99 = fl_time_to_sec(fl_hist_quantile(er->acc.h, 0.99));
      er->p50 = fl_time_to_sec(fl_hist_quantile(er->acc.h, 0.50));
      if (!er->windows) { er->passed = false; snprintf(er->detail, sizeof er->detail, "no window of the run fell in its 'during'"); }
      if (ex->has_success && !compare(ex->success_op, er->success_rate, ex->success_rate)) er->passed = false;
      if (ex->has_p99 && !compare(ex->p99_op, er->p99, ex->p99)) er->passed = false;
      if (ex->has_p50 && !compare(ex->p50_op, er->p50, ex->p50)) er->passed = false;
    }
    if (ex->no_cascade) {
      for (int i = 0; i < s->nchanges; i++) {
        const fl_change_t *c = &s->changes[i];
        if (c->to == FL_HEALTH_OK || c->service < 0 || c->service == ex->no_cascade->id) continue;
        if (!descends_from(s, i, ex->no_cascade->id)) continue;
        const fl_service_t *svc = &m->services[c->service];
        if (calls_service(svc, ex->no_cascade)) continue;
        er->passed = false;
        snprintf(er->detail, sizeof er->detail, "%s went %s at t=%.0fs (%s)", svc->name, fl_health_name(c->to),
                 fl_time_to_sec(c->t), c->reason);
        break;
      }
    }
    if (!er->passed) failed++;
  }
  return failed;
}

const char *fl_breaker_state_name(fl_breaker_state_t b) {
  static const char *const names[] = { "closed", "open", "half_open" };
  return (unsigned)b <= FL_BREAKER_HALF_OPEN ? names[b] : "?";
}
