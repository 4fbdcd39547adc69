/* The simulation proper: requests flowing through services (balancer, workers, waiting room),
** endpoints' work and calls (sequential steps, parallel groups, timeouts, optional calls with
** fallbacks), open-loop journey arrivals, and the statistics kept per window. */
#include "faultline/sim.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum {
  F_WORKER = 1 << 0,    /* holds a worker of its instance */
  F_ON_INST = 1 << 1,   /* counted in its instance's outstanding requests */
  F_DEGRADED = 1 << 2,  /* an optional call failed and its fallback was used */
  F_MEASURED = 1 << 3,  /* arrived after warm-up: counts in the summary */
};

struct fl_req {
  fl_event_t ev;          /* work done, fallback wait, or deferred failure */
  fl_event_t tmo;         /* the caller's timeout on this call */
  fl_req_t *parent;       /* the waiting caller; NULL for a journey's root or once abandoned */
  fl_req_t *next;         /* waiting-room link, free list */
  const fl_endpoint_t *ep;
  fl_instance_t *inst;
  fl_time_t arrived;
  fl_time_t wait_until;   /* the current step ends no earlier (fallback latencies) */
  uint32_t gen;           /* bumped when freed: stale references see a mismatch */
  uint32_t parent_gen;
  int32_t journey;        /* journey index for a root request, else -1 */
  uint16_t step, pending; /* current step of the endpoint, calls still outstanding in it */
  uint16_t call;          /* which of the parent's calls this request answers */
  int16_t origin;         /* service where a failure originated */
  uint8_t cause;
  uint8_t flags;
};

#define CHUNK_REQS 1024
struct fl_req_chunk { fl_req_chunk_t *next; fl_req_t reqs[CHUNK_REQS]; };

#define container_of(p, type, member) ((type *)((char *)(p) - offsetof(type, member)))
#define SIM(e) ((fl_sim_t *)(e)->user)
/* Thinning: the rate bound is recomputed over intervals of this length. */
#define HORIZON (10 * FL_SEC)

static const char *const series_names[FL_SER__COUNT] = {
  "arrivals", "successes", "degraded", "failures", "p50", "p99", "busy_workers", "queue", "instances", "health"
};
static const char *const health_names[] = { "ok", "degraded", "down" };

const char *fl_series_name(fl_series_t s) { return (unsigned)s < FL_SER__COUNT ? series_names[s] : "?"; }
const char *fl_health_name(fl_health_t h) { return (unsigned)h <= FL_HEALTH_DOWN ? health_names[h] : "?"; }

static void on_work_done(fl_engine_t *e, fl_event_t *ev);
static void on_deferred(fl_engine_t *e, fl_event_t *ev);
static void on_step_wait(fl_engine_t *e, fl_event_t *ev);
static void on_timeout(fl_engine_t *e, fl_event_t *ev);
static void complete(fl_sim_t *s, fl_req_t *q, fl_outcome_t out, fl_cause_t cause, int origin);

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
  q->next = NULL; q->parent = NULL; q->inst = NULL;
  q->journey = -1; q->step = q->pending = q->call = 0;
  q->origin = -1; q->cause = FL_CAUSE_NONE; q->flags = 0;
  q->arrived = s->eng.now; q->wait_until = 0;
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
  r->w_workers += (double)r->nup * svc->workers * dt;
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

static void start_work(fl_sim_t *s, fl_req_t *q) {
  const fl_service_t *svc = q->ep->service;
  fl_svc_rt_t *r = &s->svc[svc->id];
  svc_touch(s, r, svc);
  q->inst->busy++; r->busy++;
  q->flags |= F_WORKER;
  fl_time_t work = fl_dist_sample(&q->ep->work, &s->ep[q->ep->id].rng_work);
  q->ev.cb = on_work_done;
  fl_engine_schedule(&s->eng, &q->ev, work);
}

static void release_worker(fl_sim_t *s, fl_req_t *q) {
  const fl_service_t *svc = q->ep->service;
  fl_svc_rt_t *r = &s->svc[svc->id];
  fl_instance_t *in = q->inst;
  svc_touch(s, r, svc);
  in->busy--; r->busy--;
  q->flags &= (uint8_t)~F_WORKER;
  fl_req_t *next = in->qhead;
  if (next) {
    in->qhead = next->next;
    if (!in->qhead) in->qtail = NULL;
    next->next = NULL;
    in->queued--; r->queued--;
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
  if (measured) { q->flags |= F_MEASURED; r->st.total.arrivals++; }
  r->st.win.arrivals++;
  svc_touch(s, r, svc);
  r->inflight++;
  fl_instance_t *in = pick_instance(svc, r);
  if (!in) { defer_failure(s, q, FL_CAUSE_UNAVAILABLE, svc->id); return; }
  q->inst = in;
  if (in->busy < svc->workers) {
    in->outstanding++; q->flags |= F_ON_INST;
    start_work(s, q);
  } else if (in->queued < svc->queue) {
    in->outstanding++; q->flags |= F_ON_INST;
    if (in->qtail) in->qtail->next = q; else in->qhead = q;
    in->qtail = q;
    in->queued++; r->queued++;
    if (measured && r->queued > r->queue_max) r->queue_max = r->queued;
  } else {
    defer_failure(s, q, FL_CAUSE_REJECTED, svc->id);
  }
}

/* ---- calls ---- */

static void issue_call(fl_sim_t *s, fl_req_t *parent, int ci) {
  const fl_call_t *call = &parent->ep->calls[ci];
  fl_req_t *c = req_alloc(s);
  c->ep = call->target;
  c->parent = parent; c->parent_gen = parent->gen;
  c->call = (uint16_t)ci;
  if (call->timeout > 0) fl_engine_schedule(&s->eng, &c->tmo, call->timeout);
  arrive(s, c);
}

static void begin_step(fl_sim_t *s, fl_req_t *q) {
  const fl_step_t *st = &q->ep->steps[q->step];
  q->pending = (uint16_t)st->count;
  q->wait_until = s->eng.now;
  for (int i = 0; i < st->count; i++) issue_call(s, q, st->first + i);
}

static void next_step(fl_sim_t *s, fl_req_t *q) {
  if (++q->step < q->ep->nsteps) begin_step(s, q);
  else complete(s, q, (q->flags & F_DEGRADED) ? FL_OUT_DEGRADED : FL_OUT_SUCCESS, FL_CAUSE_NONE, -1);
}

/* One of q's calls answered (or timed out). */
static void call_done(fl_sim_t *s, fl_req_t *q, int ci, fl_outcome_t out, fl_cause_t cause, int origin) {
  const fl_call_t *call = &q->ep->calls[ci];
  if (out == FL_OUT_FAILURE) {
    if (!call->optional) { complete(s, q, FL_OUT_FAILURE, cause, origin); return; }
    q->flags |= F_DEGRADED;
    if (s->eng.now + call->fallback > q->wait_until) q->wait_until = s->eng.now + call->fallback;
  } else if (out == FL_OUT_DEGRADED) {
    q->flags |= F_DEGRADED;
  }
  if (--q->pending > 0) return;
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
  fl_req_t *p = c->parent;
  c->parent = NULL;      /* the callee goes on working: orphaned */
  if (p && p->gen == c->parent_gen)
    call_done(s, p, c->call, FL_OUT_FAILURE, FL_CAUSE_TIMEOUT, c->ep->service->id);
}

/* ---- completion ---- */

static void complete(fl_sim_t *s, fl_req_t *q, fl_outcome_t out, fl_cause_t cause, int origin) {
  const fl_service_t *svc = q->ep->service;
  fl_svc_rt_t *r = &s->svc[svc->id];
  bool measured = q->flags & F_MEASURED;
  fl_time_t latency = s->eng.now - q->arrived;
  if (q->flags & F_WORKER) release_worker(s, q);
  svc_touch(s, r, svc);
  r->inflight--;
  if (q->flags & F_ON_INST) q->inst->outstanding--;
  count_outcome(&r->st, measured, out, cause, latency);
  if (q->journey >= 0) count_outcome(&s->jrn[q->journey].st, measured, out, cause, latency);
  fl_engine_cancel(&s->eng, &q->tmo);
  fl_req_t *p = q->parent;
  uint32_t pgen = q->parent_gen;
  int ci = q->call;
  req_free(s, q);
  if (p && p->gen == pgen) call_done(s, p, ci, out, cause, origin);
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
  double er = ep->error_rate >= 0 ? ep->error_rate : svc->error_rate;
  if (er > 0 && fl_rng_uniform(&s->ep[ep->id].rng_error) < er) {
    complete(s, q, FL_OUT_FAILURE, FL_CAUSE_ERROR, svc->id);
    return;
  }
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

static void on_arrival(fl_engine_t *e, fl_event_t *ev) {
  fl_sim_t *s = SIM(e);
  int j = (int)ev->aux;
  fl_req_t *q = req_alloc(s);
  q->ep = s->m->journeys[j].entry;
  q->journey = j;
  fl_stats_t *st = &s->jrn[j].st;
  st->win.arrivals++;
  if (e->now >= s->warmup) st->total.arrivals++;
  arrive(s, q);
  fl_time_t next = next_arrival(s, j, e->now);
  if (next < s->end) fl_engine_schedule_at(e, ev, next);
}

/* ---- windows ---- */

static fl_health_t classify(const fl_service_t *svc, const fl_svc_rt_t *r, double util, double p99) {
  uint64_t done = r->st.win.successes + r->st.win.degraded + r->st.win.failures;
  double fr = done ? (double)r->st.win.failures / (double)done : 0;
  if (r->nup == 0 || fr >= 0.5) return FL_HEALTH_DOWN;
  if (fr >= 0.05 || (svc->slo > 0 && p99 > svc->slo) || util >= 0.98) return FL_HEALTH_DEGRADED;
  return FL_HEALTH_OK;
}

static void close_stats(fl_stats_t *st, uint32_t w) {
  st->series[FL_SER_ARRIVALS][w] = (double)st->win.arrivals;
  st->series[FL_SER_SUCCESSES][w] = (double)st->win.successes;
  st->series[FL_SER_DEGRADED][w] = (double)st->win.degraded;
  st->series[FL_SER_FAILURES][w] = (double)st->win.failures;
  st->series[FL_SER_P50][w] = fl_time_to_sec(fl_hist_quantile(st->hwin, 0.5));
  st->series[FL_SER_P99][w] = fl_time_to_sec(fl_hist_quantile(st->hwin, 0.99));
}

static void reset_window(fl_stats_t *st) {
  memset(&st->win, 0, sizeof st->win);
  fl_hist_reset(st->hwin);
}

static void close_window(fl_sim_t *s) {
  uint32_t w = s->wdone;
  fl_time_t wstart = (fl_time_t)w * s->window;
  fl_time_t len = s->eng.now - wstart;
  bool measured = wstart >= s->warmup;
  for (int i = 0; i < s->m->nservices; i++) {
    const fl_service_t *svc = &s->m->services[i];
    fl_svc_rt_t *r = &s->svc[i];
    svc_touch(s, r, svc);
    close_stats(&r->st, w);
    double util = r->w_workers > 0 ? r->w_busy / r->w_workers : 0;
    r->st.series[FL_SER_BUSY][w] = len > 0 ? r->w_busy / (double)len : 0;
    r->st.series[FL_SER_QUEUE][w] = len > 0 ? r->w_queue / (double)len : 0;
    r->st.series[FL_SER_INSTANCES][w] = r->nup;
    r->health = classify(svc, r, util, r->st.series[FL_SER_P99][w]);
    r->st.series[FL_SER_HEALTH][w] = r->health;
    if (measured) {
      r->t_busy += r->w_busy; r->t_queue += r->w_queue;
      r->t_inflight += r->w_inflight; r->t_workers += r->w_workers;
      if (r->nup < r->inst_min) r->inst_min = r->nup;
      if (r->nup > r->inst_max) r->inst_max = r->nup;
    }
    r->w_busy = r->w_queue = r->w_inflight = r->w_workers = 0;
    reset_window(&r->st);
  }
  for (int j = 0; j < s->m->njourneys; j++) {
    close_stats(&s->jrn[j].st, w);
    reset_window(&s->jrn[j].st);
  }
  s->wdone++;
  if (s->on_window) s->on_window(s, w, s->on_window_user);
}

static void on_window(fl_engine_t *e, fl_event_t *ev) {
  fl_sim_t *s = SIM(e);
  close_window(s);
  if (s->wdone < s->nwindows) {
    fl_time_t next = (fl_time_t)(s->wdone + 1) * s->window;
    fl_engine_schedule_at(e, ev, next < s->end ? next : s->end);
  }
}

/* ---- lifecycle ---- */

static void stats_init(fl_stats_t *st, int nseries, uint32_t nwin) {
  memset(st, 0, sizeof *st);
  st->hwin = fl_xmalloc(sizeof *st->hwin); fl_hist_init(st->hwin);
  st->htotal = fl_xmalloc(sizeof *st->htotal); fl_hist_init(st->htotal);
  for (int k = 0; k < nseries; k++) st->series[k] = fl_xcalloc(nwin ? nwin : 1, sizeof(double));
}

static void stats_release(fl_stats_t *st) {
  free(st->hwin); free(st->htotal);
  for (int k = 0; k < FL_SER__COUNT; k++) free(st->series[k]);
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
    r->inst = fl_xcalloc((size_t)(r->ninst ? r->ninst : 1), sizeof *r->inst);
    for (int k = 0; k < r->ninst; k++) r->inst[k].up = true;
    r->nup = r->ninst;
    r->inst_min = INT32_MAX; r->inst_max = 0;
    fl_rng_init(&r->rng_lb, m->seed, svc->name, "balancer");
    stats_init(&r->st, FL_SER__COUNT, s->nwindows);
    for (int k = 0; k < svc->nendpoints; k++) {
      fl_endpoint_t *ep = &svc->endpoints[k];
      fl_rng_init(&s->ep[ep->id].rng_work, m->seed, ep->full_name, "work");
      fl_rng_init(&s->ep[ep->id].rng_error, m->seed, ep->full_name, "error");
    }
  }
  for (int j = 0; j < m->njourneys; j++) {
    fl_jrn_rt_t *jr = &s->jrn[j];
    fl_rng_init(&jr->rng, m->seed, m->journeys[j].name, "arrivals");
    stats_init(&jr->st, FL_SER_JOURNEY_COUNT, s->nwindows);
    fl_event_init(&jr->arrival, on_arrival);
    jr->arrival.aux = (uint32_t)j;
    fl_time_t first = next_arrival(s, j, 0);
    if (first < s->end) fl_engine_schedule_at(&s->eng, &jr->arrival, first);
  }
  fl_event_init(&s->window_ev, on_window);
  fl_engine_schedule_at(&s->eng, &s->window_ev, s->window < s->end ? s->window : s->end);
  return 0;
}

void fl_sim_release(fl_sim_t *s) {
  fl_engine_release(&s->eng);
  for (int i = 0; s->m && i < s->m->nservices; i++) { free(s->svc[i].inst); stats_release(&s->svc[i].st); }
  for (int j = 0; s->m && j < s->m->njourneys; j++) stats_release(&s->jrn[j].st);
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

double fl_sim_measured_seconds(const fl_sim_t *s) {
  fl_time_t closed = (fl_time_t)s->wdone * s->window;
  if (closed > s->end) closed = s->end;
  return closed > s->warmup ? fl_time_to_sec(closed - s->warmup) : 0;
}
