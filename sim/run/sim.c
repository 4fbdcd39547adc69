/* A simulation run: building the run state of a model (services and their instances, the
** parts each other file of sim/run/ initialises), releasing it, and running the engine window
** by window to the scenario's end or a live run's pace. */
#include "run_int.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* ---- building the run ---- */

_Static_assert(offsetof(fl_instance_t, life_ev) <= 64, "what a request reads of an instance fits one cache line");

/* Service i's instance slots (room to scale to: 4x and at least 64 more, or the autoscaler's
** max), the first svc->instances of them running. */
static void init_instances(fl_sim_t *s, int i) {
  const fl_service_t *svc = &s->m->services[i];
  fl_svc_rt_t *r = &s->svc[i];
  r->ninst = svc->instances;
  r->cap = svc->instances * 4 > svc->instances + 64 ? svc->instances * 4 : svc->instances + 64;
  if (svc->autoscale.on && svc->autoscale.max > r->cap) r->cap = svc->autoscale.max;
  if (r->cap > 100000) r->cap = svc->instances > 100000 ? svc->instances : 100000;
  r->inst = fl_xcalloc_aligned((size_t)r->cap, sizeof *r->inst, _Alignof(fl_instance_t));
  for (int k = 0; k < r->cap; k++) {
    fl_instance_t *in = &r->inst[k];
    fl_event_init(&in->notice, fl__on_notice); in->notice.aux = (uint32_t)i;
    fl_event_init(&in->eject_ev, fl__on_uneject); in->eject_ev.aux = (uint32_t)i;
    fl_event_init(&in->life_ev, fl__on_ready); in->life_ev.aux = (uint32_t)i;
    fl_event_init(&in->leak_ev, fl__on_leak); in->leak_ev.aux = (uint32_t)i;
    in->leak_fault = -1;
    if (svc->cores > 0) in->adjust = FL_ADJUST_CPU;   /* work shares the cores (request.c) */
    if (k < r->ninst) in->exists = in->up = in->alive = true;
  }
  r->nup = r->nalive = r->desired = r->ninst;
}

/* The autoscaler's first sync; as Kubernetes records the replica count it first sees, no
** scale-down for a stabilisation window. */
static void init_autoscale(fl_sim_t *s, int i) {
  const fl_service_t *svc = &s->m->services[i];
  fl_svc_rt_t *r = &s->svc[i];
  fl_event_init(&r->hpa_ev, fl__on_hpa);
  r->hpa_ev.aux = (uint32_t)i;
  if (!svc->autoscale.on) return;
  fl_engine_schedule(&s->eng, &r->hpa_ev, fl_sec_to_time(svc->autoscale.period));
  r->rec_cap = 32;
  r->recs = fl_xmalloc(sizeof *r->recs * (size_t)r->rec_cap);
  r->rec_t = fl_xmalloc(sizeof *r->rec_t * (size_t)r->rec_cap);
  r->recs[0] = svc->instances; r->rec_t[0] = 0; r->nrecs = 1;
}

/* Service i's distinct callees, each call's slot among them, and the tallies kept per callee. */
static void init_callees(fl_sim_t *s, int i) {
  fl_service_t *svc = &s->m->services[i];
  fl_svc_rt_t *r = &s->svc[i];
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
  fl__edges_init(s, r);
  r->wcount = fl_xcalloc((size_t)nc, sizeof *r->wcount);
  r->wint = fl_xcalloc((size_t)nc, sizeof *r->wint);
  r->acount = fl_xcalloc((size_t)nc, sizeof *r->acount);
  r->aint = fl_xcalloc((size_t)nc, sizeof *r->aint);
  r->wlast = fl_xcalloc((size_t)nc, sizeof *r->wlast);
}

static void init_service(fl_sim_t *s, int i) {
  const fl_model_t *m = s->m;
  fl_service_t *svc = &m->services[i];
  fl_svc_rt_t *r = &s->svc[i];
  init_instances(s, i);
  s->inst_of[i] = r->inst;
  fl__balancer_init(s, i);
  init_autoscale(s, i);
  r->slow = 1;
  r->tokens = svc->rate_burst;
  init_callees(s, i);
  r->inst_min = INT32_MAX; r->inst_max = 0;
  fl_rng_init(&r->rng_lb, m->seed, svc->name, "balancer");
  fl__stats_init(s, &r->st, FL_SER__COUNT);
  for (int k = 0; k < svc->nendpoints; k++) {
    fl_endpoint_t *ep = &svc->endpoints[k];
    ep->sid = svc->id;
    fl_rng_init(&s->ep[ep->id].rng_work, m->seed, ep->full_name, "work");
    fl_rng_init(&s->ep[ep->id].rng_error, m->seed, ep->full_name, "error");
    fl_rng_init(&s->ep[ep->id].rng_calls, m->seed, ep->full_name, "calls");
    s->ep[ep->id].mean_work_ns = fl_dist_mean(&ep->work) * 1e9;
    bool expected = false;   /* an expectation on the endpoint needs its window latency too */
    for (int x = 0; x < m->nexpects; x++) expected |= m->expects[x].endpoint == ep;
    if (ep->slo > 0 || expected) s->ep[ep->id].hwin = fl_hist_new();
    s->ep[ep->id].slow = 1;
  }
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
  s->total_batched = s->warmup == 0;
  fl__series_layout(s);
  s->nhists = 2 * (m->nservices + m->njourneys);
  s->hists = fl_xcalloc((size_t)(s->nhists ? s->nhists : 1), sizeof *s->hists);
  s->svc = fl_xcalloc((size_t)m->nservices, sizeof *s->svc);
  s->inst_of = fl_xcalloc((size_t)(m->nservices ? m->nservices : 1), sizeof *s->inst_of);
  s->ep = fl_xcalloc((size_t)(m->nendpoints ? m->nendpoints : 1), sizeof *s->ep);
  s->jrn = fl_xcalloc((size_t)(m->njourneys ? m->njourneys : 1), sizeof *s->jrn);
  for (int i = 0; i < m->nservices; i++) init_service(s, i);
  fl__brokers_init(s);
  fl__calls_init(s);
  fl__traffic_init(s);
  s->confirm = m->health.confirm > 0 ? m->health.confirm : 2;
  fl__faults_init(s);
  s->exp = fl_xcalloc((size_t)(m->nexpects ? m->nexpects : 1), sizeof *s->exp);
  for (int x = 0; x < m->nexpects; x++) {
    s->exp[x].acc.h = fl_hist_new();
    if (m->expects[x].service) s->svc[m->expects[x].service->id].scoped = true;
    if (!m->expects[x].nwhere) continue;
    s->exp[x].whist = fl_hist_new();
    s->nexp_where++;
  }
  fl_event_init(&s->window_ev, fl__on_window);
  fl_engine_schedule_first_at(&s->eng, &s->window_ev, s->window < s->end ? s->window : s->end);
  const char *chk = getenv("FAULTLINE_CHECK_INVARIANTS");   /* read once: never on the hot path */
  s->check_invariants = chk && strcmp(chk, "1") == 0;
  return 0;
}

/* ---- releasing it ---- */

static void release_service(fl_svc_rt_t *r) {
  free(r->inst); fl__balancer_release(r); fl__stats_release(&r->st);
  free(r->recs); free(r->rec_t);
  free(r->callee); free(r->fail_via); free(r->calls_via); free(r->edge_calls); free(r->edge_fails); free(r->cons_calls); free(r->cons_fails);
  free(r->wcount); free(r->wint); free(r->wlast); free(r->acount); free(r->aint);
}

void fl_sim_release(fl_sim_t *s) {
  fl_engine_release(&s->eng);
  for (int i = 0; s->m && i < s->m->nservices; i++) release_service(&s->svc[i]);
  for (int j = 0; s->m && j < s->m->njourneys; j++) { fl__stats_release(&s->jrn[j].st); free(s->jrn[j].fail_from); free(s->jrn[j].deg_from); free(s->jrn[j].from_set);
    free(s->jrn[j].hsess); free(s->jrn[j].hsess_total); }
  for (int f = 0; s->m && f < s->m->nfaults; f++) {
    for (int k = 0; s->fault[f].phase && k < s->m->njourneys * 3; k++) free(s->fault[f].phase[k].h);
    free(s->fault[f].phase);
  }
  for (int i = 0; i < s->nlogs; i++) free(s->logs[i].msg);
  free(s->logs); free(s->hook_ev);
  if (s->model_watch_free) s->model_watch_free(s->model_watch_state);
  for (int x = 0; s->m && x < s->m->nexpects; x++) { free(s->exp[x].acc.h); free(s->exp[x].whist); }
  for (int id = 0; id < s->ncalls; id++) fl__policies_release(s, id);
  free(s->call); free(s->calls); free(s->call_ep); free(s->bev); free(s->sev);
  for (int g = 0; g < s->ngroups; g++) free(s->groups[g].ring);
  free(s->groups); free(s->published); free(s->publish_rejected);
  while (s->ctx_chunks) { ctx_chunk_t *c = s->ctx_chunks; s->ctx_chunks = c->next; free(c); }
  while (s->sess_chunks) { sess_chunk_t *c = s->sess_chunks; s->sess_chunks = c->next; free(c); }
  free(s->fault); free(s->exp); free(s->changes); free(s->change_run);
  for (int k = 0; s->m && k < s->m->nendpoints; k++) free(s->ep[k].hwin);
  free(s->svc); free(s->inst_of); free(s->ep); free(s->jrn); free(s->hists);
  fl__trace_free(s);
  while (s->chunks) { fl_req_chunk_t *c = s->chunks; s->chunks = c->next; free(c); }
  memset(s, 0, sizeof *s);
}

/* ---- running ---- */

bool fl_sim_run_until(fl_sim_t *s, fl_time_t until) {
  if (until > s->end) until = s->end;
  while (s->wdone < s->nwindows && !s->stop && !s->finished) {
    fl_time_t boundary = s->window_ev.time;
    if (boundary > until) { fl_engine_run_until(&s->eng, until); break; }
    fl_engine_run_until(&s->eng, boundary);
  }
  s->complete = s->wdone >= s->nwindows;
  return !s->complete && !s->stop;
}

void fl_sim_run(fl_sim_t *s) { fl_sim_run_until(s, s->end); fl_sim_finish(s); }
