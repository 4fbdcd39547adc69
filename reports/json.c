/* The JSON report: the scenario and its resolved model, per service and journey summaries, the
** per-window series, then the records (faults, timeline, scaling, breakers, log), cascades and
** expectations, and the wall-clock "run" object (the only non-deterministic part). It assembles;
** what the numbers mean comes from sim/analysis/. */
#include "faultline/io.h"
#include "faultline/report.h"

#include <cJSON.h>
#include <stdio.h>
#include <string.h>

static cJSON *add_obj(cJSON *parent, const char *key) { return cJSON_AddObjectToObject(parent, key); }
static void add_num(cJSON *o, const char *k, double v) { cJSON_AddItemToObject(o, k, cJSON_CreateNumber(v)); }

static void add_counts(cJSON *o, const fl_counts_t *c, const fl_rates_t *out) {
  add_num(o, "arrivals", (double)c->arrivals);
  add_num(o, "successes", (double)c->successes);
  add_num(o, "degraded", (double)c->degraded);
  cJSON *f = add_obj(o, "failures");
  add_num(f, "total", (double)c->failures);
  for (int k = 1; k < FL_CAUSE__COUNT; k++) add_num(f, fl_cause_name((fl_cause_t)k), (double)c->cause[k]);
  add_num(o, "throughput", out->throughput);
  add_num(o, "success_ratio", out->success_ratio);
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

/* Service i's totals after warm-up: counts, latency, utilisation, queue, rejections, broker. */
static cJSON *service_json(const fl_sim_t *s, int i, const fl_service_metrics_t *v) {
  const fl_model_t *m = s->m;
  const fl_svc_rt_t *r = &s->svc[i];
  cJSON *o = cJSON_CreateObject();
  add_counts(o, &r->st.total, &v->out);
  add_latency(o, r->st.htotal);
  add_num(o, "utilization", v->utilization);
  add_num(o, "busy_workers", v->busy_workers);
  add_num(o, "inflight", v->inflight);
  cJSON *q = add_obj(o, "queue");
  add_num(q, "mean", v->queue_mean);
  add_num(q, "max", (double)r->queue_max);
  cJSON *pol = add_obj(o, "rejected");
  add_num(pol, "queue_full", (double)r->rej_queue);
  add_num(pol, "rate_limit", (double)r->rej_rate);
  add_num(pol, "shed", (double)r->rej_shed);
  if (r->drop_queue) add_num(pol, "dropped", (double)r->drop_queue);   /* left unanswered: overflow = "drop" or hung */
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
  add_num(in, "min", v->instances_min);
  add_num(in, "max", v->instances_max);
  return o;
}

/* Journey j's totals after warm-up: counts, latency and sessions. */
static cJSON *journey_json(const fl_sim_t *s, int j, const fl_rates_t *out) {
  const fl_jrn_rt_t *jr = &s->jrn[j];
  cJSON *o = cJSON_CreateObject();
  add_counts(o, &jr->st.total, out);
  add_latency(o, jr->st.htotal);
  cJSON *ss = add_obj(o, "sessions");
  add_num(ss, "started", (double)jr->sessions);
  add_num(ss, "steps_answered", (double)jr->steps_done);
  add_num(ss, "completed", (double)jr->completed);
  add_num(ss, "left", (double)jr->left);
  add_num(ss, "lost", (double)jr->lost);
  add_num(ss, "refreshes", (double)jr->refreshes);
  return o;
}

/* Closed-loop users: how many, their sessions and requests after warm-up, their think time. */
static cJSON *users_json(const fl_sim_t *s, double secs) {
  const fl_users_rt_t *u = &s->users;
  cJSON *o = cJSON_CreateObject();
  double mean = fl_sim_users_mean(s);
  add_num(o, "max", u->max);
  add_num(o, "mean", mean);
  add_num(o, "started", (double)u->started);
  add_num(o, "stopped", (double)u->retired);
  add_num(o, "sessions", (double)u->sessions);
  add_num(o, "requests", (double)u->requests);
  add_num(o, "requests_per_user", u->seen ? (double)u->requests / (double)u->seen : 0);
  add_num(o, "requests_per_user_per_second", mean > 0 && secs > 0 ? (double)u->requests / secs / mean : 0);
  add_num(o, "think_mean", u->thinks ? u->think_s / (double)u->thinks : 0);
  return o;
}

/* The per-window series: times, then per service and journey each measure and failures by
** cause, then the call edges. */
static cJSON *series_json(const fl_sim_t *s) {
  const fl_model_t *m = s->m;
  cJSON *ser = cJSON_CreateObject();
  uint32_t nw = s->wdone;
  add_num(ser, "window", m->window);
  cJSON *t = cJSON_AddArrayToObject(ser, "t");
  for (uint32_t w = 0; w < nw; w++) cJSON_AddItemToArray(t, cJSON_CreateNumber(fl_time_to_sec((fl_time_t)w * s->window)));
  cJSON *ss = add_obj(ser, "services");
  for (int i = 0; i < m->nservices; i++) {
    cJSON *o = add_obj(ss, m->services[i].name);
    for (int k = 0; k < FL_SER__COUNT; k++)
      if (fl_report_has_series(m, i, (fl_series_t)k))
        cJSON_AddItemToObject(o, fl_series_name((fl_series_t)k), series_arr(s->svc[i].st.series[k], nw));
    add_causes(o, &s->svc[i].st, nw);
  }
  cJSON *sj = add_obj(ser, "journeys");
  for (int j = 0; j < m->njourneys; j++) {
    cJSON *o = add_obj(sj, m->journeys[j].name);
    for (int k = 0; k < FL_SER__COUNT; k++)
      if (fl_report_has_series(m, -1, (fl_series_t)k))
        cJSON_AddItemToObject(o, fl_series_name((fl_series_t)k), series_arr(s->jrn[j].st.series[k], nw));
    add_causes(o, &s->jrn[j].st, nw);
  }
  cJSON_AddItemToObject(ser, "edges", edges_json(s, nw));
  return ser;
}

cJSON *fl_report_json(const fl_sim_t *s, const fl_run_info_t *run) {
  const fl_model_t *m = s->m;
  fl_metrics_t x;
  fl_cascade_t cas;
  fl_metrics_init(&x, s);
  fl_cascade_init(&cas, s);
  double secs = x.measured;
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
  fl_report_scenario_model(s, sc);

  cJSON *svcs = add_obj(root, "services");
  for (int i = 0; i < m->nservices; i++) cJSON_AddItemToObject(svcs, m->services[i].name, service_json(s, i, &x.svc[i]));
  cJSON *jrns = add_obj(root, "journeys");
  for (int j = 0; j < m->njourneys; j++) cJSON_AddItemToObject(jrns, m->journeys[j].name, journey_json(s, j, &x.jrn[j]));
  if (m->has_users) cJSON_AddItemToObject(root, "users", users_json(s, secs));
  cJSON_AddItemToObject(root, "series", series_json(s));

  cJSON *a = cJSON_AddArrayToObject(root, "faults");
  for (int f = 0; f < m->nfaults; f++) cJSON_AddItemToArray(a, fl_report_fault_json(s, f));
  cJSON_AddItemToObject(root, "calls", fl_report_calls_json(s, &x));
  a = cJSON_AddArrayToObject(root, "scaling");
  for (int i = 0; i < s->nsev; i++) cJSON_AddItemToArray(a, fl_report_scale_event_json(s, i));
  a = cJSON_AddArrayToObject(root, "breakers");
  for (int i = 0; i < s->nbev; i++) cJSON_AddItemToArray(a, fl_report_breaker_event_json(s, i));
  a = cJSON_AddArrayToObject(root, "log");
  for (int i = 0; i < s->nlogs; i++) cJSON_AddItemToArray(a, fl_report_log_line_json(s, i));
  cJSON_AddItemToObject(root, "timeline", fl_report_timeline_json(s, &cas));
  cJSON_AddItemToObject(root, "cascade", fl_report_cascade_json(s, &cas));
  cJSON_AddItemToObject(root, "expectations", fl_report_expectations_json(s));
  fl_cascade_release(&cas);
  fl_metrics_release(&x);

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

int fl_report_write_json(const fl_sim_t *s, const fl_run_info_t *run, const char *path, char *err, size_t errlen) {
  cJSON *root = fl_report_json(s, run);
  char *text = cJSON_Print(root);
  cJSON_Delete(root);
  if (!text) { snprintf(err, errlen, "out of memory printing the report"); return -FL_ENOMEM; }
  size_t len = strlen(text);
  int rc;
  if (fl_utf8_valid(text, len)) {
    rc = fl_write_atomic(path, text, len, err, errlen);
  } else {   /* a Latin-1 scenario: JSON is UTF-8 (RFC 8259), each stray byte becomes U+FFFD */
    fl_text_t t = { 0 };
    fl_text_put_utf8(&t, text, len);
    rc = fl_write_atomic(path, t.p, t.n, err, errlen);
    fl_text_release(&t);
  }
  cJSON_free(text);
  return rc;
}
