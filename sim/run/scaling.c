/* Scaling: a service's instance count (fl_sim_scale: instances start, become ready after a
** delay, drain and retire), the timeline of scaling events, and the Kubernetes HPA that sets
** the count from a metric. */
#include "run_int.h"

#include <math.h>
#include <stdio.h>

static void scale_event(fl_sim_t *s, int svc, int from, int to, const char *reason) {
  if (s->nsev == s->sev_cap) {
    s->sev_cap = s->sev_cap ? 2 * s->sev_cap : 32;
    s->sev = fl_xrealloc(s->sev, sizeof *s->sev * (size_t)s->sev_cap);
  }
  fl_scale_event_t *e = &s->sev[s->nsev++];
  e->t = s->eng.now; e->service = svc; e->from = from; e->to = to;
  snprintf(e->reason, sizeof e->reason, "%s", reason);
}

/* The slots in use end at the last existing instance; the ejected count covers only those. */
static void recount_slots(fl_svc_rt_t *r) {
  while (r->ninst > 0 && !r->inst[r->ninst - 1].exists) r->nejected -= r->inst[--r->ninst].ejected;
}

/* A drained instance leaves. */
void fl__retire(fl_sim_t *s, const fl_service_t *svc, fl_instance_t *in) {
  fl_svc_rt_t *r = &s->svc[svc->id];
  fl__svc_touch(s, r, svc);
  if (in->alive) { in->alive = false; r->nalive--; }
  in->draining = false;
  in->exists = false;
  fl_engine_cancel(&s->eng, &in->notice);
  fl_engine_cancel(&s->eng, &in->eject_ev);
  fl__set_ejected(r, in, false);
  in->noticed_down = false;
  in->consecutive_errors = in->ejections = 0;
  fl__set_rotation(r, in);
  recount_slots(r);
}

void fl__on_ready(fl_engine_t *e, fl_event_t *ev) {
  fl_sim_t *s = SIM(e);
  const fl_service_t *svc = &s->m->services[ev->aux];
  fl_svc_rt_t *r = &s->svc[ev->aux];
  fl_instance_t *in = container_of(ev, fl_instance_t, life_ev);
  fl__svc_touch(s, r, svc);
  in->starting = false;
  in->ready_at = e->now;
  if (in->crashed > 0) return;   /* crashed while starting: alive when the crash ends */
  in->alive = true; r->nalive++;
  fl__set_rotation(r, in);
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
    for (; r->ninst <= k; r->ninst++) r->nejected += r->inst[r->ninst].ejected;
    fl_engine_schedule(&s->eng, &in->life_ev, delay);
  }
  /* scale down: instances still starting go first, then the newest running ones drain */
  for (int pass = 0; pass < 2 && r->desired > n; pass++)
    for (int k = r->ninst - 1; k >= 0 && r->desired > n; k--) {
      fl_instance_t *in = &r->inst[k];
      if (!in->exists || in->draining || in->starting != (pass == 0)) continue;
      r->desired--;
      if (in->starting) { fl_engine_cancel(&s->eng, &in->life_ev); in->starting = false; in->exists = false; fl__set_rotation(r, in); continue; }
      in->draining = true;
      fl__set_rotation(r, in);
      if (in->outstanding == 0) fl__retire(s, svc, in);
    }
  recount_slots(r);
  scale_event(s, id, from, r->desired, reason);
  return 0;
}

/* ---- the HPA ---- */

/* The metric's total over the period since the last sync (busy workers, requests in flight or
** queued, or rps), restarting the period. */
static double hpa_total(fl_sim_t *s, const fl_service_t *svc, fl_svc_rt_t *r) {
  fl_time_t now = s->eng.now;
  double span = (double)(now - r->a_start);
  double total = 0;
  switch (svc->autoscale.metric) {
  case FL_SCALE_UTILIZATION: total = span > 0 ? r->a_busy / span / svc->workers : 0; break;
  case FL_SCALE_INFLIGHT: total = span > 0 ? r->a_inflight / span : 0; break;
  case FL_SCALE_QUEUE: total = span > 0 ? r->a_queue / span : 0; break;
  case FL_SCALE_RPS: total = span > 0 ? (double)r->a_arrivals / (span / 1e9) : 0; break;
  }
  r->a_busy = r->a_workers = r->a_queue = r->a_inflight = 0; r->a_arrivals = 0; r->a_start = now;
  return total;
}

/* Stabilisation: keeps this recommendation; going down, acts on the highest of the window. */
static int hpa_stabilize(fl_sim_t *s, const fl_service_t *svc, fl_svc_rt_t *r, int current, int desired) {
  fl_time_t now = s->eng.now;
  fl_time_t win = fl_sec_to_time(svc->autoscale.stabilize_down);
  int keep = 0;
  for (int k = 0; k < r->nrecs; k++)
    if (now - r->rec_t[k] < win) { r->recs[keep] = r->recs[k]; r->rec_t[keep] = r->rec_t[k]; keep++; }
  r->nrecs = keep;
  if (r->nrecs == r->rec_cap) {
    r->rec_cap = r->rec_cap ? 2 * r->rec_cap : 32;
    r->recs = fl_xrealloc(r->recs, sizeof *r->recs * (size_t)r->rec_cap);
    r->rec_t = fl_xrealloc(r->rec_t, sizeof *r->rec_t * (size_t)r->rec_cap);
  }
  r->recs[r->nrecs] = desired; r->rec_t[r->nrecs] = now; r->nrecs++;
  if (desired < current) {
    int hi = desired;
    for (int k = 0; k < r->nrecs; k++) if (r->recs[k] > hi) hi = r->recs[k];
    desired = hi < current ? hi : current;
  }
  return desired;
}

/* The Kubernetes HPA: every period, desired = ceil(current x metric / target), skipped within
** the tolerance; scale-up at most max(2x, +4) per period; scale-down to the highest
** recommendation of the stabilisation window; clamped to [min, max]. */
void fl__on_hpa(fl_engine_t *e, fl_event_t *ev) {
  fl_sim_t *s = SIM(e);
  int id = (int)ev->aux;
  const fl_service_t *svc = &s->m->services[id];
  fl_svc_rt_t *r = &s->svc[id];
  fl__svc_touch(s, r, svc);
  double total = hpa_total(s, svc, r);
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
  desired = hpa_stabilize(s, svc, r, current, desired);
  if (desired != current) {
    char why[128];
    snprintf(why, sizeof why, "autoscaler: %s %.3g per instance, target %.3g", fl_scale_metric_name(svc->autoscale.metric), metric, svc->autoscale.target);
    fl_sim_scale(s, id, desired, why);
  }
  fl_engine_schedule(e, ev, fl_sec_to_time(svc->autoscale.period));
}
