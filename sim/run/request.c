/* Requests at a service: the pooled request records, a request's arrival (rate limit, instance,
** worker or waiting room, load shedding, a full room rejecting or dropping), workers and their
** work (frozen by a pause), and completion, which hands the answer back to whoever waits for it. */
#include "run_int.h"

#include <string.h>

static void on_work_done(fl_engine_t *e, fl_event_t *ev);
static void on_deferred(fl_engine_t *e, fl_event_t *ev);

/* ---- request pool ---- */

fl_req_t *fl__req_alloc(fl_sim_t *s) {
  fl_req_t *q = s->free_reqs;
  if (!q) {
    fl_req_chunk_t *c = fl_xmalloc(sizeof *c);
    c->next = s->chunks; s->chunks = c;
    for (int i = CHUNK_REQS - 1; i >= 0; i--) {
      fl_req_t *r = &c->reqs[i];
      r->gen = 0;
      r->trace = 0;
      fl_event_init(&r->ev, on_work_done);
      fl_event_init(&r->tmo, fl__on_timeout);
      r->next = s->free_reqs; s->free_reqs = r;
    }
    s->reqs_allocated += CHUNK_REQS;
    q = s->free_reqs;
  }
  s->free_reqs = q->next;
  q->next = NULL; q->parent = NULL; q->inst = NULL; q->lown = NULL; q->lnext = q->lprev = NULL;

  q->journey = -1; q->step = q->pending = q->call = 0;
  q->call_id = -1; q->caller_inst = -1; q->ctx = NULL; q->sess = NULL; q->deadline = 0; q->dgroup = -1;
  q->origin = -1; q->cause = FL_CAUSE_NONE; q->flags = 0;   /* trace: 0 once freed (trace.c) */
  q->sent = q->arrived = s->eng.now; q->wait_until = 0;
  if (s->m->nattr_keys) memset(q->attr, 0, sizeof q->attr);   /* without attribute keys nothing reads them */
  if (++s->reqs_live > s->reqs_peak) s->reqs_peak = s->reqs_live;
  s->requests++;
  return q;
}

static void req_free(fl_sim_t *s, fl_req_t *q) {
  FL_ASSERT(!fl_event_pending(&q->ev) && !fl_event_pending(&q->tmo));
  if (q->flags & F_UNMEASURED) s->unmeasured_live--;
  q->gen++;
  q->next = s->free_reqs; s->free_reqs = q;
  s->reqs_live--;
}

size_t fl_sim_request_bytes(void) { return sizeof(fl_req_t); }

/* ---- workers ---- */

static inline void count_outcome(const fl_sim_t *s, fl_stats_t *st, bool measured, fl_outcome_t out, fl_cause_t cause, fl_time_t latency) {
  switch (out) {
  case FL_OUT_SUCCESS: st->win.successes++; if (measured) st->total.successes++; break;
  case FL_OUT_DEGRADED: st->win.degraded++; if (measured) st->total.degraded++; break;
  case FL_OUT_FAILURE:
    st->win.failures++; st->win.cause[cause]++;
    if (measured) { st->total.failures++; st->total.cause[cause]++; }
    return;
  }
  if (measured && !s->total_batched) fl_hist_add(st->htotal, latency);   /* else with hwin's */
  st->pend[st->npend++] = latency;   /* into hwin a few at a time */
  if (st->npend == FL_STATS_PEND) fl__stats_flush(s, st);
}

/* The same for the expectations with where = { ... } on q's service or endpoint. */
static void count_where(fl_sim_t *s, const fl_req_t *q, fl_outcome_t out, fl_cause_t cause, fl_time_t latency) {
  fl__expect_where(s, -1, q->ep, q->attr, (int)out, cause, 0);
  if (out != FL_OUT_FAILURE) fl__expect_where(s, -1, q->ep, q->attr, FL_EXPECT_ANSWERED, cause, latency);
}

/* ---- cores: processor sharing ---- */

/* Speed of each job at work on the instance: all of a core while the jobs fit on the cores left
** by hogs, else an equal share of them (processor sharing, as a kernel's fair scheduler gives
** runnable threads of equal weight). */
static double cpu_rate(const fl_service_t *svc, const fl_instance_t *in) {
  double c = svc->cores * (1 - in->hog);
  if (c < 1e-6) c = 1e-6;    /* a hog of all cores: work all but stops */
  return in->ncpu <= c ? 1 : c / in->ncpu;
}

/* The jobs at work on 'in' run at 'to' from now instead of 'from': each one's remaining work is
** read off its completion time, so no job stores its progress. */
static void cpu_respeed(fl_sim_t *s, fl_instance_t *in, double from, double to) {
  if (from == to) return;
  fl_time_t now = s->eng.now;
  for (fl_req_t *q = in->reqs.head; q; q = q->lnext)
    if ((q->flags & F_CPU) && fl_event_pending(&q->ev)) {
      fl_time_t due = now + (fl_time_t)((double)(q->ev.time - now) * from / to + 0.5);
      fl_engine_cancel(&s->eng, &q->ev);
      fl_engine_schedule_at(&s->eng, &q->ev, due);
    }
}

/* 'q' starts 'work' of CPU demand: the time it takes at its share. */
static fl_time_t cpu_start(fl_sim_t *s, const fl_service_t *svc, fl_req_t *q, fl_time_t work) {
  fl_instance_t *in = q->inst;
  double from = cpu_rate(svc, in);
  in->ncpu++;
  double to = cpu_rate(svc, in);
  cpu_respeed(s, in, from, to);
  q->flags |= F_CPU;
  return (fl_time_t)((double)work / to + 0.5);
}

/* 'q' leaves the cores (its work done, or its instance crashed or thawed). */
static void cpu_end(fl_sim_t *s, fl_req_t *q) {
  const fl_service_t *svc = q->ep->service;
  fl_instance_t *in = q->inst;
  q->flags &= (uint16_t)~F_CPU;
  double from = cpu_rate(svc, in);
  in->ncpu--;
  cpu_respeed(s, in, from, cpu_rate(svc, in));
}

void fl__work_cut(fl_sim_t *s, fl_req_t *q) {
  fl_engine_cancel(&s->eng, &q->ev);
  if (q->flags & F_CPU) cpu_end(s, q);
}

void fl__cpu_hog(fl_sim_t *s, const fl_service_t *svc, fl_instance_t *in, double hog) {
  double from = cpu_rate(svc, in);
  in->hog = hog;
  cpu_respeed(s, in, from, cpu_rate(svc, in));
}

/* A new instance warming up (JIT, caches): work takes up to warmup_factor x, falling linearly to
** 1x over the warm-up. */
static inline fl_time_t warm_work(const fl_sim_t *s, const fl_service_t *svc, const fl_instance_t *in, fl_time_t work) {
  if (svc->autoscale.warmup > 0 && s->eng.now - in->ready_at < fl_sec_to_time(svc->autoscale.warmup) && in->ready_at > 0) {
    double left = 1 - fl_time_to_sec(s->eng.now - in->ready_at) / svc->autoscale.warmup;
    work = fl__scale_time(work, 1 + (svc->autoscale.warmup_factor - 1) * left);
  }
  return work;
}

/* The work of an instance with something of its own (in->adjust), in this order: a leak grows it
** linearly from 1x to 'factor' x until the restart; the warm-up; on a service with cores it joins
** the instance's processor sharing; a paused instance starts it at the pause's end. Out of line
** and behind one test, so that other instances take today's path. */
static __attribute__((cold)) fl_time_t adjusted_work(fl_sim_t *s, fl_req_t *q, const fl_service_t *svc, fl_time_t work) {
  fl_instance_t *in = q->inst;
  if (in->adjust & FL_ADJUST_LEAK) {
    const fl_fault_t *lf = &s->m->faults[in->leak_fault];
    double grown = fl_time_to_sec(s->eng.now - in->leak_since) / lf->every;
    work = fl__scale_time(work, 1 + (lf->value - 1) * (grown < 1 ? grown : 1));
  }
  work = warm_work(s, svc, in, work);
  if (in->adjust & FL_ADJUST_CPU) work = cpu_start(s, svc, q, work);
  if (in->adjust & FL_ADJUST_PAUSE) {
    if (in->paused_until > s->eng.now) work += in->paused_until - s->eng.now;
    else in->adjust &= (uint8_t)~FL_ADJUST_PAUSE;   /* the pause is over */
  }
  return work;
}

static void start_work(fl_sim_t *s, fl_req_t *q) {
  const fl_service_t *svc = q->ep->service;
  fl_svc_rt_t *r = &s->svc[q->ep->sid];
  fl__svc_touch(s, r, svc);
  q->inst->busy++; r->busy++;
  q->flags |= F_WORKER;
  fl_time_t work = fl_dist_sample(&q->ep->work, &s->ep[q->ep->id].rng_work);
  if (q->inst->hung) { q->flags |= F_HUNG; return; }
  if (r->slow != 1) work = fl__scale_time(work, r->slow);
  if (s->nep_active) {   /* a fault on one endpoint */
    const fl_ep_rt_t *er = &s->ep[q->ep->id];
    if (er->hung) { q->flags |= F_HUNG; return; }
    if (er->slow != 1) work = fl__scale_time(work, er->slow);
  }
  if (q->inst->adjust) work = adjusted_work(s, q, svc, work);   /* a leak, cores, a pause */
  else work = warm_work(s, svc, q->inst, work);
  q->ev.cb = on_work_done;
  fl_engine_schedule(&s->eng, &q->ev, work);
}

void fl__pause_instance(fl_sim_t *s, fl_instance_t *in, fl_time_t len) {
  fl_time_t now = s->eng.now, from = in->paused_until > now ? in->paused_until : now;
  if (now + len <= from) return;                     /* inside a longer pause already */
  fl_time_t ext = now + len - from;
  in->paused_until = now + len;
  in->adjust |= FL_ADJUST_PAUSE;
  /* every work in progress finishes 'ext' later: each was due at 'from' or after */
  for (fl_req_t *q = in->reqs.head; q; q = q->lnext)
    if (q->ev.cb == on_work_done && fl_event_pending(&q->ev)) {
      fl_time_t due = q->ev.time;
      fl_engine_cancel(&s->eng, &q->ev);
      fl_engine_schedule_at(&s->eng, &q->ev, due + ext);
    }
}

/* A worker is free again: it takes the next request of the waiting room, if any. */
static void release_worker(fl_sim_t *s, fl_req_t *q) {
  const fl_service_t *svc = q->ep->service;
  fl_svc_rt_t *r = &s->svc[q->ep->sid];
  fl_instance_t *in = q->inst;
  fl__svc_touch(s, r, svc);
  in->busy--; r->busy--;
  q->flags &= (uint16_t)~F_WORKER;
  while (in->qhead && in->alive && in->busy < svc->workers) {
    fl_req_t *next = in->qhead;
    in->qhead = next->next;
    if (!in->qhead) in->qtail = NULL;
    next->next = NULL;
    in->queued--; r->queued--;
    if (next->deadline && s->eng.now > next->deadline) { fl__defer_failure(s, next, FL_CAUSE_DEADLINE, svc->id); continue; }
    start_work(s, next);
  }
}

void fl__defer_failure(fl_sim_t *s, fl_req_t *q, fl_cause_t cause, int origin) {
  q->cause = (uint8_t)cause; q->origin = (int16_t)origin;
  q->ev.cb = on_deferred;
  fl_engine_schedule(&s->eng, &q->ev, 0);
}

/* ---- arrival ---- */

/* The room is full and nobody answers (overflow = "drop", or a hung instance): as a SYN dropped
** from a full backlog, the request never reaches the service, which counts it as refused at
** once; the caller hears nothing and gives up at its call timeout or, first, its connect timeout
** (retransmitted SYNs that might find room later are not modelled: the connect fails as a whole). */
static void drop(fl_sim_t *s, fl_req_t *q, fl_svc_rt_t *r, bool measured) {
  if (measured) r->drop_queue++;
  fl__svc_touch(s, r, q->ep->service);
  r->inflight--;
  count_outcome(s, &r->st, measured, FL_OUT_FAILURE, FL_CAUSE_REJECTED, 0);
  if (s->nexp_where) count_where(s, q, FL_OUT_FAILURE, FL_CAUSE_REJECTED, 0);
  q->flags |= F_LIMBO;
  q->cause = FL_CAUSE_TIMEOUT; q->origin = (int16_t)q->ep->service->id;
  q->ev.cb = on_deferred;
  fl_engine_schedule(&s->eng, &q->ev, q->call_id >= 0 ? s->calls[q->call_id]->connect_timeout : FL_DEFAULT_CONNECT_TIMEOUT);
}

/* A request reaches its endpoint's service: pick an instance, then a worker or a waiting place. */
void fl__arrive(fl_sim_t *s, fl_req_t *q) { fl__arrive_from(s, q, s->eng.now); }

void fl__arrive_from(fl_sim_t *s, fl_req_t *q, fl_time_t since) {
  __builtin_prefetch(s->inst_of[q->ep->sid]);   /* the pick of a single instance (see inst_of) */
  const fl_service_t *svc = q->ep->service;
  fl_svc_rt_t *r = &s->svc[q->ep->sid];
  bool measured = s->eng.now >= s->warmup;
  q->arrived = since;
  if (measured) { q->flags |= F_MEASURED; r->st.total.arrivals++; }
  else if (!(q->flags & F_UNMEASURED)) { q->flags |= F_UNMEASURED; s->unmeasured_live++; }
  r->st.win.arrivals++;
  r->a_arrivals++;
  if (s->nexp_where) fl__expect_where(s, -1, q->ep, q->attr, FL_EXPECT_ARRIVED, FL_CAUSE_NONE, 0);
  fl__svc_touch(s, r, svc);
  r->inflight++;
  if (svc->rate_limit > 0) {   /* token bucket at the door */
    r->tokens += svc->rate_limit * fl_time_to_sec(s->eng.now - r->tlast);
    if (r->tokens > svc->rate_burst) r->tokens = svc->rate_burst;
    r->tlast = s->eng.now;
    if (r->tokens < 1) { if (measured) r->rej_rate++; fl__defer_failure(s, q, FL_CAUSE_REJECTED, svc->id); return; }
    r->tokens -= 1;
  }
  fl_instance_t *in = fl__pick_instance(svc, r, q);
  if (!in) { fl__defer_failure(s, q, FL_CAUSE_UNAVAILABLE, svc->id); return; }
  q->inst = in;
  if (q->ctx && !q->ctx->first) q->ctx->first = in;
  if (!in->alive) { fl__defer_failure(s, q, FL_CAUSE_UNAVAILABLE, svc->id); return; }   /* not noticed yet */
  if (svc->shed_after > 0 && in->busy >= svc->workers &&
      (double)in->queued * s->ep[q->ep->id].mean_work_ns * r->slow / svc->workers > svc->shed_after * 1e9) {
    if (in->hung || in->paused_until > s->eng.now) { drop(s, q, r, measured); return; }   /* a hung or paused instance sheds nothing: it answers nothing */
    if (measured) r->rej_shed++;
    fl__defer_failure(s, q, FL_CAUSE_REJECTED, svc->id);
    return;
  }
  if (in->busy < svc->workers) {
    if (q->deadline && s->eng.now > q->deadline) { fl__defer_failure(s, q, FL_CAUSE_DEADLINE, svc->id); return; }
    in->outstanding++; q->flags |= F_ON_INST;
    fl__lb_outstanding(r, in);
    fl__list_add(&in->reqs, q);
    start_work(s, q);
  } else if (in->queued < svc->queue) {
    in->outstanding++; q->flags |= F_ON_INST;
    fl__lb_outstanding(r, in);
    fl__list_add(&in->reqs, q);
    if (in->qtail) in->qtail->next = q; else in->qhead = q;
    in->qtail = q;
    in->queued++; r->queued++;
    if (measured && r->queued > r->queue_max) r->queue_max = r->queued;
  } else if (svc->overflow == FL_OVERFLOW_DROP || in->hung || in->paused_until > s->eng.now) {
    drop(s, q, r, measured);
  } else {
    if (measured) r->rej_queue++;
    fl__defer_failure(s, q, FL_CAUSE_REJECTED, svc->id);
  }
}

/* ---- completion ---- */

void fl__complete(fl_sim_t *s, fl_req_t *q, fl_outcome_t out, fl_cause_t cause, int origin) {
  const fl_service_t *svc = q->ep->service;
  fl_svc_rt_t *r = &s->svc[q->ep->sid];
  bool measured = q->flags & F_MEASURED;
  fl_time_t latency = s->eng.now - q->arrived;
  fl__list_del(q);
  fl__end_wait(s, q);
  if (!(q->flags & F_LIMBO)) {
    if (q->flags & F_WORKER) release_worker(s, q);
    fl__svc_touch(s, r, svc);
    r->inflight--;
    if (q->flags & F_ON_INST) {
      --q->inst->outstanding;
      fl__lb_outstanding(r, q->inst);
      if (q->inst->outstanding == 0 && q->inst->draining) fl__retire(s, svc, q->inst);
    }
    count_outcome(s, &r->st, measured, out, cause, latency);
    if (s->nexp_where) count_where(s, q, out, cause, latency);
    fl_hist_t *eh = s->ep[q->ep->id].hwin;   /* an endpoint with its own slo */
    if (eh && out != FL_OUT_FAILURE) fl_hist_add(eh, latency);
  }
  fl_session_t *sess = q->sess;
  int dgroup = q->dgroup, dattempts = q->dattempts;
  fl_time_t dmsg = q->dmsg;
  fl_engine_cancel(&s->eng, &q->tmo);
  fl__attempt_release(s, q, out, cause);
  if (svc->outlier.consecutive_errors && q->inst && !(q->flags & (F_LIMBO | F_TIMED_OUT))) fl__outlier_record(s, svc, q->inst, out, cause, origin);
  if (q->trace) fl__trace_end(s, q, out, cause, origin);   /* a sampled request (trace.c) */
  fl_req_t *p = q->parent;
  uint32_t pgen = q->parent_gen;
  fl_callctx_t *x = q->ctx;
  int ci = q->call;
  req_free(s, q);
  fl__deliver(s, p, pgen, x, ci, out, cause, origin);
  if (sess) fl__session_answer(s, sess, out, cause, origin);
  if (dgroup >= 0) fl__delivery_done(s, dgroup, out, dmsg, dattempts);
}

static void on_deferred(fl_engine_t *e, fl_event_t *ev) {
  fl_req_t *q = container_of(ev, fl_req_t, ev);
  fl__complete(SIM(e), q, FL_OUT_FAILURE, (fl_cause_t)q->cause, q->origin);
}

/* The work is done: an error, a broker's message accepted, or on to the endpoint's steps. */
static void on_work_done(fl_engine_t *e, fl_event_t *ev) {
  fl_sim_t *s = SIM(e);
  fl_req_t *q = container_of(ev, fl_req_t, ev);
  const fl_endpoint_t *ep = q->ep;
  const fl_service_t *svc = ep->service;
  if (q->flags & F_CPU) cpu_end(s, q);
  if (q->inst->hung) { q->flags |= F_HUNG; return; }
  double er = ep->error_rate >= 0 ? ep->error_rate : svc->error_rate;
  double extra = s->svc[ep->sid].err_extra;
  if (s->nep_active | s->nwhere_active) {   /* faults on one endpoint, or on the requests whose attributes match */
    if (s->ep[ep->id].hung) { q->flags |= F_HUNG; return; }
    extra = s->ep[ep->id].err_extra;        /* its service's and its own */
    if (s->nwhere_active) er = fl__where_errors(s, q, er);
  }
  if (extra > 0) er = 1 - (1 - er) * (1 - extra);
  if (er > 0 && fl_rng_uniform(&s->ep[ep->id].rng_error) < er) {
    fl__complete(s, q, FL_OUT_FAILURE, FL_CAUSE_ERROR, svc->id);
    return;
  }
  if (svc->broker && !fl__broker_accept(s, svc)) { fl__complete(s, q, FL_OUT_FAILURE, FL_CAUSE_REJECTED, svc->id); return; }
  if (ep->nsteps == 0) { fl__complete(s, q, FL_OUT_SUCCESS, FL_CAUSE_NONE, -1); return; }
  if (!svc->blocking) release_worker(s, q);
  q->step = 0;
  fl__begin_step(s, q);
}
