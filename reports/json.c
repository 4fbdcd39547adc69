/* The JSON report: scenario and resolved model, per service and journey summaries, per-window
** series, health timeline, and the wall-clock "run" object (the only non-deterministic part). */
#include "faultline/report.h"
#include "faultline/units.h"

#include <cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static cJSON *add_obj(cJSON *parent, const char *key) { return cJSON_AddObjectToObject(parent, key); }
static void add_num(cJSON *o, const char *k, double v) { cJSON_AddItemToObject(o, k, cJSON_CreateNumber(v)); }

static void add_dist(cJSON *o, const char *k, const fl_dist_t *d) {
  char buf[160];
  fl_dist_format(d, buf, sizeof buf);
  cJSON_AddStringToObject(o, k, buf);
}

static cJSON *profile_json(const fl_profile_t *p) {
  cJSON *rate = cJSON_CreateObject();
  switch (p->kind) {
  case FL_PROFILE_CONST: cJSON_AddStringToObject(rate, "kind", "constant"); add_num(rate, "rate", p->value); break;
  case FL_PROFILE_SURGE:
    cJSON_AddStringToObject(rate, "kind", "surge");
    add_num(rate, "base", p->base); add_num(rate, "peak", p->peak); add_num(rate, "start", p->start);
    add_num(rate, "ramp", p->ramp); add_num(rate, "hold", p->hold); add_num(rate, "decay", p->decay);
    break;
  case FL_PROFILE_PIECEWISE: {
    cJSON_AddStringToObject(rate, "kind", "piecewise");
    cJSON *pts = cJSON_AddArrayToObject(rate, "points");
    for (int i = 0; i < p->npoints; i++) {
      cJSON *pt = cJSON_CreateArray();
      cJSON_AddItemToArray(pt, cJSON_CreateNumber(p->pt[i]));
      cJSON_AddItemToArray(pt, cJSON_CreateNumber(p->pr[i]));
      cJSON_AddItemToArray(pts, pt);
    }
    break;
  }
  case FL_PROFILE_DIURNAL:
    cJSON_AddStringToObject(rate, "kind", "diurnal");
    add_num(rate, "mean", p->mean); add_num(rate, "amplitude", p->amplitude);
    add_num(rate, "peak_at", p->peak_at); add_num(rate, "period", p->period);
    break;
  case FL_PROFILE_FLASH:
    cJSON_AddStringToObject(rate, "kind", "flash");
    add_num(rate, "at", p->at); add_num(rate, "factor", p->factor); add_num(rate, "rise", p->rise);
    add_num(rate, "hold", p->hold); add_num(rate, "decay", p->decay);
    if (p->base > 0) add_num(rate, "base", p->base);
    break;
  case FL_PROFILE_SUM: case FL_PROFILE_PRODUCT:
    cJSON_AddStringToObject(rate, "kind", p->kind == FL_PROFILE_SUM ? "sum" : "product");
    cJSON_AddItemToObject(rate, "a", profile_json(p->a));
    cJSON_AddItemToObject(rate, "b", profile_json(p->b));
    break;
  case FL_PROFILE_REPLAY:
    cJSON_AddStringToObject(rate, "kind", "replay");
    add_num(rate, "requests", p->ntimes);
    break;
  }
  return rate;
}

static cJSON *model_json(const fl_model_t *m) {
  cJSON *root = cJSON_CreateObject();
  cJSON *svcs = add_obj(root, "services");
  for (int i = 0; i < m->nservices; i++) {
    const fl_service_t *s = &m->services[i];
    cJSON *o = add_obj(svcs, s->name);
    add_num(o, "instances", s->instances);
    add_num(o, "workers", s->workers);
    if (s->queue == INT64_MAX) cJSON_AddStringToObject(o, "queue", "unbounded");
    else add_num(o, "queue", (double)s->queue);
    cJSON_AddStringToObject(o, "balancer", fl_balancer_name(s->balancer));
    cJSON_AddBoolToObject(o, "blocking", s->blocking);
    add_num(o, "error_rate", s->error_rate);
    if (s->slo > 0) add_num(o, "slo", s->slo);
    add_num(o, "health_check", s->health_check);
    if (s->rate_limit > 0) { cJSON *r = add_obj(o, "rate_limit"); add_num(r, "rate", s->rate_limit); add_num(r, "burst", s->rate_burst); }
    if (s->shed_after > 0) add_num(o, "shed_after", s->shed_after);
    if (s->outlier.consecutive_errors) {
      cJSON *x = add_obj(o, "outlier");
      add_num(x, "consecutive_errors", s->outlier.consecutive_errors);
      add_num(x, "base_ejection", s->outlier.base_ejection);
      add_num(x, "max_ejected", s->outlier.max_ejected);
    }
    if (s->autoscale.on) {
      static const char *const mn[] = { "utilization", "inflight", "queue", "rps" };
      cJSON *x = add_obj(o, "autoscale");
      cJSON_AddStringToObject(x, "metric", mn[s->autoscale.metric]);
      add_num(x, "target", s->autoscale.target);
      add_num(x, "min", s->autoscale.min); add_num(x, "max", s->autoscale.max);
      add_num(x, "period", s->autoscale.period); add_num(x, "tolerance", s->autoscale.tolerance);
      add_num(x, "stabilize_down", s->autoscale.stabilize_down); add_num(x, "delay", s->autoscale.delay);
      if (s->autoscale.warmup > 0) { add_num(x, "warmup", s->autoscale.warmup); add_num(x, "warmup_factor", s->autoscale.warmup_factor); }
    }
    if (s->broker) {
      cJSON *x = add_obj(o, "broker");
      if (s->capacity != INT64_MAX) add_num(x, "capacity", (double)s->capacity);
      add_num(x, "max_deliveries", s->max_deliveries);
      if (s->concurrency) add_num(x, "concurrency", s->concurrency);
      cJSON *cs = cJSON_AddArrayToObject(x, "consumers");
      for (int k = 0; k < s->nconsumers; k++) cJSON_AddItemToArray(cs, cJSON_CreateString(s->consumers[k]->full_name));
    }
    cJSON *eps = add_obj(o, "endpoints");
    for (int k = 0; k < s->nendpoints; k++) {
      const fl_endpoint_t *ep = &s->endpoints[k];
      cJSON *e = add_obj(eps, ep->name);
      add_dist(e, "work", &ep->work);
      add_num(e, "work_mean", fl_dist_mean(&ep->work));
      if (ep->error_rate >= 0) add_num(e, "error_rate", ep->error_rate);
      cJSON *calls = cJSON_AddArrayToObject(e, "calls");
      for (int st = 0; st < ep->nsteps; st++) {
        for (int c = 0; c < ep->steps[st].count; c++) {
          const fl_call_t *call = &ep->calls[ep->steps[st].first + c];
          cJSON *co = cJSON_CreateObject();
          cJSON_AddStringToObject(co, "target", call->target->full_name);
          add_num(co, "step", st);
          cJSON_AddBoolToObject(co, "parallel", ep->steps[st].parallel);
          if (call->timeout > 0) add_num(co, "timeout", fl_time_to_sec(call->timeout));
          cJSON_AddBoolToObject(co, "optional", call->optional);
          if (call->optional) add_num(co, "fallback", fl_time_to_sec(call->fallback));
          if (call->p < 1) add_num(co, "p", call->p);
          if (call->async) cJSON_AddBoolToObject(co, "async", true);
          if (call->cache_hit > 0) { cJSON *ch = add_obj(co, "cache"); add_num(ch, "hit", call->cache_hit); add_num(ch, "warm_up", call->cache_warmup); }
          if (call->retries) {
            static const char *const jit[] = { "none", "full", "equal" };
            cJSON *r = add_obj(co, "retry");
            add_num(r, "retries", call->retries);
            add_num(r, "backoff_base", fl_time_to_sec(call->backoff_base));
            add_num(r, "backoff_multiplier", call->backoff_mult);
            add_num(r, "backoff_max", fl_time_to_sec(call->backoff_max));
            cJSON_AddStringToObject(r, "jitter", jit[call->jitter]);
            if (call->budget_ratio > 0) { add_num(r, "budget_ratio", call->budget_ratio); add_num(r, "budget_min_per_s", call->budget_min); }
          }
          if (call->breaker.on) {
            cJSON *b = add_obj(co, "breaker");
            add_num(b, "failure_rate", call->breaker.failure_rate);
            add_num(b, "slow_call_rate", call->breaker.slow_call_rate);
            add_num(b, "slow_call", fl_time_to_sec(call->breaker.slow_call));
            add_num(b, "window", call->breaker.window);
            add_num(b, "min_calls", call->breaker.min_calls);
            add_num(b, "open_for", fl_time_to_sec(call->breaker.open_for));
            add_num(b, "half_open_calls", call->breaker.half_open_calls);
          }
          if (call->bulkhead) add_num(co, "bulkhead", call->bulkhead);
          if (call->deadline) cJSON_AddBoolToObject(co, "deadline", true);
          if (call->hedge.on) {
            cJSON *h = add_obj(co, "hedge");
            if (call->hedge.quantile > 0) add_num(h, "after_quantile", call->hedge.quantile);
            else add_num(h, "after", fl_time_to_sec(call->hedge.after));
            add_num(h, "max", call->hedge.max);
          }
          cJSON_AddItemToArray(calls, co);
        }
      }
    }
  }
  cJSON *tr = add_obj(root, "traffic");
  cJSON_AddItemToObject(tr, "rate", profile_json(&m->rate));
  cJSON *mix = add_obj(tr, "mix");
  for (int j = 0; j < m->njourneys; j++) add_num(mix, m->journeys[j].name, m->journeys[j].share);
  if (m->client_timeout > 0 || m->client_retries > 0) {
    cJSON *cl = add_obj(tr, "client");
    add_num(cl, "timeout", m->client_timeout); add_num(cl, "retries", m->client_retries); add_num(cl, "think", m->client_think);
  }
  cJSON *seqs = add_obj(tr, "journeys");
  for (int j = 0; j < m->njourneys; j++) {
    const fl_journey_t *jn = &m->journeys[j];
    if (jn->nsteps <= 1 && strcmp(jn->step_names[0], jn->name) == 0) continue;
    cJSON *o = add_obj(seqs, jn->name);
    cJSON *st = cJSON_AddArrayToObject(o, "steps");
    cJSON *co = cJSON_AddArrayToObject(o, "continue");
    for (int k = 0; k < jn->nsteps; k++) {
      cJSON_AddItemToArray(st, cJSON_CreateString(jn->steps[k]->full_name));
      if (k + 1 < jn->nsteps) cJSON_AddItemToArray(co, cJSON_CreateNumber(jn->cont[k]));
    }
    add_num(o, "think", jn->think);
  }
  return root;
}

static void add_counts(cJSON *o, const fl_counts_t *c, double secs) {
  add_num(o, "arrivals", (double)c->arrivals);
  add_num(o, "successes", (double)c->successes);
  add_num(o, "degraded", (double)c->degraded);
  cJSON *f = add_obj(o, "failures");
  add_num(f, "total", (double)c->failures);
  for (int k = 1; k < FL_CAUSE__COUNT; k++) add_num(f, fl_cause_name((fl_cause_t)k), (double)c->cause[k]);
  uint64_t done = c->successes + c->degraded + c->failures;
  add_num(o, "throughput", secs > 0 ? (double)(c->successes + c->degraded) / secs : 0);
  add_num(o, "success_ratio", done ? (double)(c->successes + c->degraded) / (double)done : 1);
}

static void add_latency(cJSON *o, const fl_hist_t *h) {
  cJSON *l = add_obj(o, "latency");
  add_num(l, "mean", fl_hist_mean(h) / 1e9);
  add_num(l, "p50", fl_time_to_sec(fl_hist_quantile(h, 0.50)));
  add_num(l, "p90", fl_time_to_sec(fl_hist_quantile(h, 0.90)));
  add_num(l, "p99", fl_time_to_sec(fl_hist_quantile(h, 0.99)));
  add_num(l, "max", h->count ? fl_time_to_sec(h->max) : 0);
}

static cJSON *series_arr(const double *v, uint32_t n) {
  cJSON *a = cJSON_CreateArray();
  for (uint32_t i = 0; i < n; i++) cJSON_AddItemToArray(a, cJSON_CreateNumber(v[i]));
  return a;
}

static void add_causes(cJSON *o, const fl_stats_t *st, uint32_t nw) {
  cJSON *c = add_obj(o, "failures_by_cause");
  for (int k = 1; k < FL_CAUSE__COUNT; k++)
    cJSON_AddItemToObject(c, fl_cause_name((fl_cause_t)k), series_arr(st->cause_series[k], nw));
}

/* Per call edge (caller service -> callee service): calls made and failed per window. */
static cJSON *edges_json(const fl_sim_t *s, uint32_t nw) {
  cJSON *a = cJSON_CreateArray();
  for (int i = 0; i < s->m->nservices; i++) {
    const fl_svc_rt_t *r = &s->svc[i];
    for (int x = 0; x < r->ncallees; x++) {
      cJSON *e = cJSON_CreateObject();
      cJSON_AddStringToObject(e, "from", s->m->services[i].name);
      cJSON_AddStringToObject(e, "to", s->m->services[r->callee[x]].name);
      cJSON_AddItemToObject(e, "calls", series_arr(r->edge_calls + (size_t)x * s->nwindows, nw));
      cJSON_AddItemToObject(e, "failures", series_arr(r->edge_fails + (size_t)x * s->nwindows, nw));
      cJSON_AddItemToArray(a, e);
    }
  }
  return a;
}

cJSON *fl_report_json(const fl_sim_t *s, const fl_run_info_t *run) {
  const fl_model_t *m = s->m;
  double secs = fl_sim_measured_seconds(s);
  cJSON *root = cJSON_CreateObject();
  cJSON_AddStringToObject(root, "faultline", FL_VERSION);
  add_num(root, "schema", FL_REPORT_SCHEMA);
  cJSON_AddBoolToObject(root, "complete", s->complete);
  cJSON *sc = add_obj(root, "scenario");
  cJSON_AddStringToObject(sc, "name", m->name);
  cJSON_AddStringToObject(sc, "file", m->file);
  {   /* seeds up to 2^64: printed whole, not rounded to a double's 15 digits */
    char seed[32];
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)m->seed);
    cJSON_AddItemToObject(sc, "seed", cJSON_CreateRaw(seed));
  }
  add_num(sc, "duration", m->duration);
  add_num(sc, "window", m->window);
  add_num(sc, "warmup", fl_time_to_sec(s->warmup));
  add_num(sc, "measured", secs);
  cJSON_AddItemToObject(sc, "model", model_json(m));

  cJSON *svcs = add_obj(root, "services");
  for (int i = 0; i < m->nservices; i++) {
    const fl_svc_rt_t *r = &s->svc[i];
    cJSON *o = add_obj(svcs, m->services[i].name);
    add_counts(o, &r->st.total, secs);
    add_latency(o, r->st.htotal);
    double ns = secs * 1e9;
    add_num(o, "utilization", r->t_workers > 0 ? r->t_busy / r->t_workers : 0);
    add_num(o, "busy_workers", ns > 0 ? r->t_busy / ns : 0);
    add_num(o, "inflight", ns > 0 ? r->t_inflight / ns : 0);
    cJSON *q = add_obj(o, "queue");
    add_num(q, "mean", ns > 0 ? r->t_queue / ns : 0);
    add_num(q, "max", (double)r->queue_max);
    cJSON *pol = add_obj(o, "rejected");
    add_num(pol, "queue_full", (double)r->rej_queue);
    add_num(pol, "rate_limit", (double)r->rej_rate);
    add_num(pol, "shed", (double)r->rej_shed);
    add_num(o, "ejections", (double)r->ejections);
    if (m->services[i].broker) {
      /* messages: published = consumed + dead-lettered + waiting or in delivery, per consumer */
      cJSON *b = add_obj(o, "broker");
      add_num(b, "published", (double)s->published[i]);
      add_num(b, "rejected_full", (double)s->publish_rejected[i]);
      cJSON *cs = add_obj(b, "consumers");
      for (int g = 0; g < s->ngroups; g++) {
        const fl_group_t *gr = &s->groups[g];
        if (gr->broker != i) continue;
        cJSON *c = add_obj(cs, gr->consumer->full_name);
        add_num(c, "delivered", (double)gr->delivered);
        add_num(c, "consumed", (double)gr->consumed);
        add_num(c, "redelivered", (double)gr->redelivered);
        add_num(c, "dead_lettered", (double)gr->dead);
        add_num(c, "waiting", (double)gr->count);
        add_num(c, "in_delivery", (double)gr->inflight);
        add_num(c, "max_lag", (double)gr->max_lag);
        add_num(c, "max_age", gr->max_age);
      }
    }
    cJSON *in = add_obj(o, "instances");
    add_num(in, "min", r->inst_min == INT32_MAX ? r->nup : r->inst_min);
    add_num(in, "max", r->inst_min == INT32_MAX ? r->nup : r->inst_max);
  }
  cJSON *jrns = add_obj(root, "journeys");
  for (int j = 0; j < m->njourneys; j++) {
    const fl_jrn_rt_t *jr = &s->jrn[j];
    cJSON *o = add_obj(jrns, m->journeys[j].name);
    add_counts(o, &jr->st.total, secs);
    add_latency(o, jr->st.htotal);
    cJSON *ss = add_obj(o, "sessions");
    add_num(ss, "started", (double)jr->sessions);
    add_num(ss, "steps_answered", (double)jr->steps_done);
    add_num(ss, "completed", (double)jr->completed);
    add_num(ss, "left", (double)jr->left);
    add_num(ss, "lost", (double)jr->lost);
    add_num(ss, "refreshes", (double)jr->refreshes);
  }

  uint32_t nw = s->wdone;
  cJSON *ser = add_obj(root, "series");
  add_num(ser, "window", m->window);
  cJSON *t = cJSON_AddArrayToObject(ser, "t");
  for (uint32_t w = 0; w < nw; w++) cJSON_AddItemToArray(t, cJSON_CreateNumber(fl_time_to_sec((fl_time_t)w * s->window)));
  cJSON *ss = add_obj(ser, "services");
  for (int i = 0; i < m->nservices; i++) {
    cJSON *o = add_obj(ss, m->services[i].name);
    for (int k = 0; k < FL_SER__COUNT; k++) {
      if ((k == FL_SER_LAG || k == FL_SER_LAG_AGE) && !m->services[i].broker) continue;   /* brokers only */
      cJSON_AddItemToObject(o, fl_series_name((fl_series_t)k), series_arr(s->svc[i].st.series[k], nw));
    }
    add_causes(o, &s->svc[i].st, nw);
  }
  cJSON *sj = add_obj(ser, "journeys");
  for (int j = 0; j < m->njourneys; j++) {
    cJSON *o = add_obj(sj, m->journeys[j].name);
    for (int k = 0; k < FL_SER_JOURNEY_COUNT; k++)
      cJSON_AddItemToObject(o, fl_series_name((fl_series_t)k), series_arr(s->jrn[j].st.series[k], nw));
    add_causes(o, &s->jrn[j].st, nw);
  }
  cJSON_AddItemToObject(ser, "edges", edges_json(s, nw));

  cJSON_AddItemToObject(root, "faults", fl_report_faults_json(s));
  cJSON_AddItemToObject(root, "calls", fl_report_calls_json(s));
  cJSON_AddItemToObject(root, "scaling", fl_report_scaling_json(s));
  cJSON_AddItemToObject(root, "breakers", fl_report_breakers_json(s));
  cJSON_AddItemToObject(root, "log", fl_report_log_json(s));
  cJSON_AddItemToObject(root, "timeline", fl_report_timeline_json(s));
  cJSON_AddItemToObject(root, "cascade", fl_report_cascade_json(s));
  cJSON_AddItemToObject(root, "expectations", fl_report_expectations_json(s));

  cJSON *ro = add_obj(root, "run");
  add_num(ro, "wall_seconds", run->wall_seconds);
  add_num(ro, "events", (double)run->events);
  add_num(ro, "events_per_second", run->wall_seconds > 0 ? (double)run->events / run->wall_seconds : 0);
  add_num(ro, "requests", (double)s->requests);
  add_num(ro, "requests_per_second", run->wall_seconds > 0 ? (double)s->requests / run->wall_seconds : 0);
  add_num(ro, "peak_rss_mb", run->peak_rss_mb);
  add_num(ro, "peak_requests_in_flight", (double)s->reqs_peak);
  add_num(ro, "request_bytes", (double)fl_sim_request_bytes());
  cJSON_AddStringToObject(ro, "host", run->host);
  return root;
}

int fl_write_atomic(const char *path, const char *data, size_t len, char *err, size_t errlen) {
  size_t pl = strlen(path) + 32;
  char *tmp = fl_xmalloc(pl);
  snprintf(tmp, pl, "%s.tmp.%ld", path, (long)getpid());
  FILE *f = fopen(tmp, "wb");
  if (!f) {
    snprintf(err, errlen, "cannot write '%s': %s", path, strerror(errno));
    free(tmp);
    return -FL_EIO;
  }
  bool ok = fwrite(data, 1, len, f) == len;
  ok = (fflush(f) == 0) && ok;
  ok = (fclose(f) == 0) && ok;
  if (!ok || rename(tmp, path) != 0) {
    snprintf(err, errlen, "cannot write '%s': %s", path, strerror(errno));
    remove(tmp);
    free(tmp);
    return -FL_EIO;
  }
  free(tmp);
  return 0;
}

int fl_report_write_json(const fl_sim_t *s, const fl_run_info_t *run, const char *path, char *err, size_t errlen) {
  cJSON *root = fl_report_json(s, run);
  char *text = cJSON_Print(root);
  cJSON_Delete(root);
  if (!text) { snprintf(err, errlen, "out of memory printing the report"); return -FL_ENOMEM; }
  size_t len = strlen(text);
  int rc = fl_write_atomic(path, text, len, err, errlen);
  cJSON_free(text);
  return rc;
}
