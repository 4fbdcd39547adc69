/* Faults at run time: their start and end (crash, capacity, hang, latency, slowdown, errors,
** partition, memory leak, cold cache, pauses, CPU hogs; on a service, one of its endpoints, or one link), injecting and healing them
** from hooks or the live API, the balancer noticing a crash, and the hooks with their log. */
#include "run_int.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* ---- instances: crash, restore, hang ---- */

/* The balancer's health check saw a crashed instance. */
void fl__on_notice(fl_engine_t *e, fl_event_t *ev) {
  fl_sim_t *s = SIM(e);
  fl_svc_rt_t *r = &s->svc[ev->aux];
  fl_instance_t *in = container_of(ev, fl_instance_t, notice);
  if (!in->alive) { in->noticed_down = true; fl__set_rotation(r, in); }
}

static void crash_instance(fl_sim_t *s, const fl_service_t *svc, fl_instance_t *in, bool at_once) {
  fl_svc_rt_t *r = &s->svc[svc->id];
  if (in->crashed++) return;
  fl__svc_touch(s, r, svc);
  if (in->alive) { in->alive = false; r->nalive--; }   /* a starting instance was never alive */
  r->queued -= in->queued;
  in->queued = 0; in->qhead = in->qtail = NULL;
  /* Every request it held fails as its connection is reset; restart from the head each time,
  ** since a failure can complete a caller on the same instance. */
  fl_req_t *q;
  while ((q = in->reqs.head)) {
    fl__work_cut(s, q);
    fl__complete(s, q, FL_OUT_FAILURE, FL_CAUSE_UNAVAILABLE, svc->id);
  }
  if (at_once || svc->health_check <= 0) { in->noticed_down = true; fl__set_rotation(r, in); }
  else if (!fl_event_pending(&in->notice)) fl_engine_schedule(&s->eng, &in->notice, fl_sec_to_time(svc->health_check));
}

static void restore_instance(fl_sim_t *s, const fl_service_t *svc, fl_instance_t *in) {
  fl_svc_rt_t *r = &s->svc[svc->id];
  /* only what this fault crashed comes back: an instance started while it lasted was never down */
  if (in->crashed <= 0 || --in->crashed > 0) return;
  fl_engine_cancel(&s->eng, &in->notice);
  in->noticed_down = false;
  if (!in->exists || in->starting) return;   /* retired meanwhile, or still starting: fl__on_ready makes it alive */
  fl__svc_touch(s, r, svc);
  in->alive = true; r->nalive++;
  in->noticed_down = false;
  fl__set_rotation(r, in);
}

/* The requests a hang froze fail as their connections are reset. */
static void thaw_instance(fl_sim_t *s, const fl_service_t *svc, fl_instance_t *in) {
  if (--in->hung > 0) return;
  /* everything it held -- frozen at work, waiting in the room, or waiting on calls -- had its
  ** connection reset: empty the room first so that no held request starts work now */
  fl_svc_rt_t *r = &s->svc[svc->id];
  fl__svc_touch(s, r, svc);
  r->queued -= in->queued;
  in->queued = 0; in->qhead = in->qtail = NULL;
  fl_req_t *q;
  while ((q = in->reqs.head)) {
    fl__work_cut(s, q);
    fl__complete(s, q, FL_OUT_FAILURE, FL_CAUSE_UNAVAILABLE, svc->id);
  }
}

/* An endpoint's hang ends: the requests it froze on every instance fail as their connections
** are reset; the other endpoints' requests go on. Restarts from the head after each failure,
** since a failure can complete a caller on the same instance. */
static void thaw_endpoint(fl_sim_t *s, const fl_endpoint_t *ep) {
  const fl_service_t *svc = ep->service;
  fl_svc_rt_t *r = &s->svc[svc->id];
  if (--s->ep[ep->id].hung > 0) return;
  for (int k = 0; k < r->ninst; k++) {
    fl_req_t *q = r->inst[k].reqs.head;
    while (q) {
      if (q->ep != ep || !(q->flags & F_HUNG)) { q = q->lnext; continue; }
      fl_engine_cancel(&s->eng, &q->ev);
      fl__complete(s, q, FL_OUT_FAILURE, FL_CAUSE_UNAVAILABLE, svc->id);
      q = r->inst[k].reqs.head;
    }
  }
}

/* ---- a fault starts or ends ---- */

/* The combined rate of the active error faults on each endpoint of 'svc': those on the service
** and those on the endpoint alone. */
static void error_faults(fl_sim_t *s, int svc) {
  double keep = 1;
  for (int f = 0; f < s->m->nfaults; f++) {
    const fl_fault_t *ft = &s->m->faults[f];
    if (ft->kind == FL_FAULT_ERRORS && !ft->from && !ft->endpoint && !ft->nwhere && s->fault[f].active && ft->target->id == svc) keep *= 1 - ft->value;
  }
  s->svc[svc].err_extra = 1 - keep;
  const fl_service_t *sv = &s->m->services[svc];
  for (int k = 0; k < sv->nendpoints; k++) {
    const fl_endpoint_t *ep = &sv->endpoints[k];
    double own = 1;
    for (int f = 0; f < s->m->nfaults; f++) {
      const fl_fault_t *ft = &s->m->faults[f];
      if (ft->kind == FL_FAULT_ERRORS && !ft->from && ft->endpoint == ep && !ft->nwhere && s->fault[f].active) own *= 1 - ft->value;
    }
    s->ep[ep->id].err_extra = 1 - keep * own;
  }
}

/* A memory leak starts (instances started at different times: their restarts are spread over
** 'every') or ends (instances down for a restart come back). */
static void leak_fault(fl_sim_t *s, int f, bool start) {
  fl_time_t now = s->eng.now;
  const fl_fault_t *ft = &s->m->faults[f];
  const fl_fault_rt_t *fr = &s->fault[f];
  const fl_service_t *svc = ft->target;
  fl_svc_rt_t *r = &s->svc[svc->id];
  int nexist = 0, idx = 0;
  for (int k = fr->first; k < fr->first + fr->count; k++) nexist += r->inst[k].exists;
  for (int k = fr->first; k < fr->first + fr->count; k++) {
    fl_instance_t *in = &r->inst[k];
    if (start) {
      if (in->leak_fault >= 0 || !in->exists) continue;    /* one leak at a time per instance */
      in->leak_fault = f; in->adjust |= FL_ADJUST_LEAK;
      in->leak_since = now - fl_sec_to_time(ft->every) * idx++ / (nexist > 0 ? nexist : 1);
      fl_engine_schedule_at(&s->eng, &in->leak_ev, in->leak_since + fl_sec_to_time(ft->every));
    } else if (in->leak_fault == f) {
      in->leak_fault = -1; in->adjust &= (uint8_t)~FL_ADJUST_LEAK;
      fl_engine_cancel(&s->eng, &in->leak_ev);
      if (in->leak_down) { in->leak_down = false; restore_instance(s, svc, in); }
    }
  }
}

/* ---- pauses ---- */

static void pause_one(fl_sim_t *s, const fl_fault_t *ft, fl_fault_rt_t *fr, fl_instance_t *in) {
  if (!in->exists) return;
  /* by inversion, not fl_dist_sample: that one has one caller, the hot path, where -flto inlines it */
  double u = fl_rng_uniform(&fr->rng);
  fl__pause_instance(s, in, fl_sec_to_time(fl_dist_quantile(&ft->pause, u > 0 ? u : 0x1p-53)));
}

/* A pause fault with 'every': the instances that exist when it starts take turns, spread evenly
** over the interval (as instances started at different times collect their garbage at different
** times), so that each pauses once per 'every'; the turn passes over empty slots. */
static void on_pause(fl_engine_t *e, fl_event_t *ev) {
  fl_sim_t *s = SIM(e);
  int f = (int)ev->aux;
  const fl_fault_t *ft = &s->m->faults[f];
  fl_fault_rt_t *fr = &s->fault[f];
  fl_svc_rt_t *r = &s->svc[ft->target->id];
  if (!fr->active || fr->count <= 0) return;
  for (int i = 0; i < fr->count; i++) {
    fl_instance_t *in = &r->inst[fr->first + fr->pause_next];
    fr->pause_next = (fr->pause_next + 1) % fr->count;
    if (in->exists) { pause_one(s, ft, fr, in); break; }
  }
  fr->pause_k++;
  fl_engine_schedule_at(e, ev, fr->started + (fl_time_t)((double)fl_sec_to_time(ft->every) * (double)fr->pause_k / fr->pause_n));
}

static void pause_fault(fl_sim_t *s, int f, bool start) {
  const fl_fault_t *ft = &s->m->faults[f];
  fl_fault_rt_t *fr = &s->fault[f];
  fl_svc_rt_t *r = &s->svc[ft->target->id];
  if (!start) { fl_engine_cancel(&s->eng, &fr->pause_ev); return; }   /* a pause under way runs to its end */
  if (ft->every > 0) {
    fr->pause_k = 0; fr->pause_next = 0; fr->pause_n = 0;
    for (int k = fr->first; k < fr->first + fr->count; k++) fr->pause_n += r->inst[k].exists;
    if (fr->pause_n == 0) fr->pause_n = 1;
    on_pause(&s->eng, &fr->pause_ev);
    return;
  }
  for (int k = fr->first; k < fr->first + fr->count; k++) pause_one(s, ft, fr, &r->inst[k]);
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
  if (ft->nwhere) { s->nwhere_active += start ? 1 : -1; return; }   /* applied per request: fl__where_errors, fl__where_latency */
  if (ft->endpoint && !ft->from) s->nep_active += start ? 1 : -1;
  switch (ft->kind) {
  case FL_FAULT_CRASH: case FL_FAULT_CAPACITY:
    for (int k = fr->first; k < fr->first + fr->count; k++) {
      if (!r->inst[k].exists && !r->inst[k].crashed) continue;
      if (start) crash_instance(s, svc, &r->inst[k], ft->kind == FL_FAULT_CAPACITY);
      else restore_instance(s, svc, &r->inst[k]);
    }
    break;
  case FL_FAULT_HANG:
    if (ft->endpoint) {   /* one endpoint: its requests freeze, the others' go on */
      if (start) s->ep[ft->endpoint->id].hung++;
      else if (s->ep[ft->endpoint->id].hung) thaw_endpoint(s, ft->endpoint);
      break;
    }
    for (int k = fr->first; k < fr->first + fr->count; k++) {
      if (start) r->inst[k].hung++;
      else if (r->inst[k].hung) thaw_instance(s, svc, &r->inst[k]);
    }
    break;
  case FL_FAULT_LATENCY:
    if (ft->from) s->npart_active += start ? 1 : -1;   /* on one link: applied in launch */
    else if (ft->endpoint) s->ep[ft->endpoint->id].latency += (start ? 1 : -1) * fl_sec_to_time(ft->value);
    else r->latency += (start ? 1 : -1) * fl_sec_to_time(ft->value);
    break;
  case FL_FAULT_SLOWDOWN: {
    double *slow = ft->endpoint ? &s->ep[ft->endpoint->id].slow : &r->slow;
    if (start) *slow *= ft->value; else *slow /= ft->value;
    break;
  }
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
        fl__complete(s, q, FL_OUT_FAILURE, FL_CAUSE_UNAVAILABLE, svc->id);
      }
    }
    break;
  case FL_FAULT_LEAK: leak_fault(s, f, start); break;
  case FL_FAULT_PAUSE: pause_fault(s, f, start); break;
  case FL_FAULT_CPU_HOG:
    /* a process taking a share of the cores; on a service without cores, whose CPU is not
    ** modelled, work takes 1 / (1 - share) as long, as on a saturated CPU */
    if (svc->cores <= 0) {
      double slow = 1 / (1 - (ft->value < 0.999 ? ft->value : 0.999));
      if (start) r->slow *= slow; else r->slow /= slow;
      break;
    }
    for (int k = fr->first; k < fr->first + fr->count; k++) {
      fl_instance_t *in = &r->inst[k];
      double hog = in->hog + (start ? ft->value : -ft->value);
      fl__cpu_hog(s, svc, in, hog < 1e-12 ? 0 : hog > 1 ? 1 : hog);
    }
    break;
  case FL_FAULT_COLD_CACHE:
    /* every cache in front of the target is flushed: hits restart from zero and warm up */
    if (start)
      for (int id = 0; id < s->ncalls; id++)
        if (s->calls[id]->target->service == svc && (!ft->endpoint || s->calls[id]->target == ft->endpoint) &&
            s->calls[id]->cache_hit > 0) s->call[id].cold_at = e->now;
    break;
  default: break;
  }
}

/* A leaking instance runs out of memory: it restarts (down for 'restart'), then leaks afresh. */
void fl__on_leak(fl_engine_t *e, fl_event_t *ev) {
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

/* ---- faults on a link ---- */

bool fl__link_faults(fl_sim_t *s, const fl_service_t *from, fl_req_t *c, fl_time_t *delay) {
  const fl_model_t *m = s->m;
  for (int f = 0; f < m->nfaults; f++) {
    const fl_fault_t *ft = &m->faults[f];
    if (!ft->from || !s->fault[f].active || ft->from != from || ft->target != c->ep->service) continue;
    if (ft->endpoint && ft->endpoint != c->ep) continue;   /* to = "svc.endpoint": that endpoint's calls only */
    if (ft->kind == FL_FAULT_PARTITION) {
      c->flags |= F_LIMBO;           /* dropped: no answer until the caller gives up or the link heals */
      fl__list_add(&s->fault[f].dropped, c);
      return true;
    }
    if (ft->kind == FL_FAULT_ERRORS && fl_rng_uniform(&s->fault[f].rng) < ft->value) {
      c->flags |= F_LIMBO;           /* the link fails the call: it never reaches the callee, */
      fl__defer_failure(s, c, FL_CAUSE_ERROR, from->id);   /* so the failure comes from the caller's side */
      return true;
    }
    if (ft->kind == FL_FAULT_LATENCY) *delay += fl_sec_to_time(ft->value);
  }
  return false;
}

/* ---- faults on the requests whose attributes match ---- */

static bool where_hits(const fl_fault_t *ft, const fl_req_t *q) {
  return ft->target == q->ep->service && (!ft->endpoint || ft->endpoint == q->ep) && fl__attrs_match(q->attr, ft->where, ft->nwhere);
}

double fl__where_errors(const fl_sim_t *s, const fl_req_t *q, double er) {
  for (int f = 0; f < s->m->nfaults; f++) {
    const fl_fault_t *ft = &s->m->faults[f];
    if (ft->nwhere && ft->kind == FL_FAULT_ERRORS && s->fault[f].active && where_hits(ft, q)) er = 1 - (1 - er) * (1 - ft->value);
  }
  return er;
}

fl_time_t fl__where_latency(const fl_sim_t *s, const fl_req_t *q) {
  fl_time_t lat = 0;
  for (int f = 0; f < s->m->nfaults; f++) {
    const fl_fault_t *ft = &s->m->faults[f];
    if (ft->nwhere && ft->kind == FL_FAULT_LATENCY && s->fault[f].active && where_hits(ft, q)) lat += fl_sec_to_time(ft->value);
  }
  return lat;
}

/* ---- the faults of a run ---- */

/* Was fault f active at some time in [wstart, wend)? */
bool fl__fault_in(const fl_sim_t *s, int f, fl_time_t wstart, fl_time_t wend) {
  const fl_fault_rt_t *fr = &s->fault[f];
  return fr->started >= 0 && fr->started < wend && (fr->ended < 0 || fr->ended > wstart);
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
  fr->inst_before = -1;
  fr->phase = fl_xcalloc((size_t)(m->njourneys * 3 + 1), sizeof *fr->phase);
  for (int k = 0; k < m->njourneys * 3; k++) fr->phase[k].h = fl_hist_new();
  fl_event_init(&fr->ev, on_fault);
  fr->ev.aux = (uint32_t)f;
  char name[256];
  snprintf(name, sizeof name, "fault#%d:%s", f, ft->name);
  fl_rng_init(&fr->rng, m->seed, name, "link");
  fl_event_init(&fr->pause_ev, on_pause);
  fr->pause_ev.aux = (uint32_t)f;
}

/* Faults start in the window they belong to: scheduled once the window before has closed, so
** that a fault at a window boundary is not seen by the window that ends there. */
void fl__schedule_faults(fl_sim_t *s, fl_time_t from, fl_time_t to) {
  for (int f = 0; f < s->m->nfaults; f++) {
    fl_time_t at = fl_sec_to_time(s->m->faults[f].at);
    if (at >= from && at < to && !fl_event_pending(&s->fault[f].ev) && s->fault[f].started < 0)
      fl_engine_schedule_at(&s->eng, &s->fault[f].ev, at);
  }
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

/* ---- hooks and their log ---- */

void fl_sim_log(fl_sim_t *s, const char *msg) {
  if (s->nlogs == s->logs_cap) {
    s->logs_cap = s->logs_cap ? 2 * s->logs_cap : 16;
    s->logs = fl_xrealloc(s->logs, sizeof *s->logs * (size_t)s->logs_cap);
  }
  s->logs[s->nlogs].t = s->eng.now;
  s->logs[s->nlogs].msg = fl_xstrdup(msg);
  s->nlogs++;
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

/* The model's faults (with room for those injected while it runs), the first window's, and the
** hooks. */
void fl__faults_init(fl_sim_t *s) {
  fl_model_t *m = s->m;
  s->fault_cap = m->nfaults + 64;    /* room for faults injected while it runs */
  m->faults = fl_xrealloc(m->faults, sizeof *m->faults * (size_t)s->fault_cap);
  s->fault = fl_xcalloc((size_t)s->fault_cap, sizeof *s->fault);
  for (int f = 0; f < m->nfaults; f++) fault_init(s, f);
  fl__schedule_faults(s, 0, s->window);
  s->hook_ev = fl_xcalloc((size_t)(m->nhooks ? m->nhooks : 1), sizeof *s->hook_ev);
  for (int h = 0; h < m->nhooks; h++) {
    fl_event_init(&s->hook_ev[h], on_hook);
    s->hook_ev[h].aux = (uint32_t)h;
    fl_time_t at = fl_sec_to_time(m->hooks[h].at);
    if (at < s->end) fl_engine_schedule_at(&s->eng, &s->hook_ev[h], at);
  }
}
