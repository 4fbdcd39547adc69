/* The JSON report: the scenario and its resolved model, per service and journey summaries, the
** per-window series, then the records (faults, timeline, scaling, breakers, log), cascades and
** expectations, and the wall-clock "run" object (the only non-deterministic part). It assembles;
** what the numbers mean comes from sim/analysis/. The report is written as it goes (jsonw.h): the
** series (windows x entities) straight from the run's arrays, the small parts (a service's totals,
** the model, one record, the cascades) as cJSON subtrees printed in and freed at once, so that
** writing costs memory for the entities, not for the windows. */
#include "faultline/io.h"
#include "faultline/jsonw.h"
#include "faultline/report.h"
#include "decimate.h"

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
  static const double qs[3] = { 0.50, 0.90, 0.99 };
  int64_t qv[3];
  fl_hist_quantiles(h, qs, 3, qv);   /* one scan for the three */
  add_num(l, "p50", fl_time_to_sec(qv[0]));
  add_num(l, "p90", fl_time_to_sec(qv[1]));
  add_num(l, "p99", fl_time_to_sec(qv[2]));
  add_num(l, "max", h->count ? fl_time_to_sec(h->max) : 0);
}

/* Series 'key' of v[0..n): every value, or with 'every' > 0 as the HTML page holds it (decimate.h). */
static void series_arr(fl_jsonw_t *w, const char *key, const double *v, uint32_t n, int every) {
  if (every) { fl_report_page_series(w, key, v, n, every); return; }
  fl_jsonw_array(w, key);
  for (uint32_t i = 0; i < n; i++) fl_jsonw_number(w, NULL, v[i]);
  fl_jsonw_end(w);
}

static void write_causes(fl_jsonw_t *w, const fl_stats_t *st, uint32_t nw, int every) {
  fl_jsonw_object(w, "failures_by_cause");
  for (int k = 1; k < FL_CAUSE__COUNT; k++) series_arr(w, fl_cause_name((fl_cause_t)k), st->cause_series[k], nw, every);
  fl_jsonw_end(w);
}

/* Per call edge (caller service -> callee service): calls made and failed per window. */
static void write_edges(fl_jsonw_t *w, const fl_sim_t *s, uint32_t nw, int every) {
  fl_jsonw_array(w, "edges");
  for (int i = 0; i < s->m->nservices; i++) {
    const fl_svc_rt_t *r = &s->svc[i];
    for (int x = 0; x < r->ncallees; x++) {
      fl_jsonw_object(w, NULL);
      fl_jsonw_string(w, "from", s->m->services[i].name);
      fl_jsonw_string(w, "to", s->m->services[r->callee[x]].name);
      series_arr(w, "calls", r->edge_calls + (size_t)x * s->stride, nw, every);
      series_arr(w, "failures", r->edge_fails + (size_t)x * s->stride, nw, every);
      fl_jsonw_end(w);
    }
  }
  fl_jsonw_end(w);
}

/* Service i's totals after warm-up: counts, latency, utilisation, queue, rejections, broker. */
static cJSON *service_json(const fl_sim_t *s, int i, const fl_service_metrics_t *v) {
  const fl_model_t *m = s->m;
  const fl_svc_rt_t *r = &s->svc[i];
  cJSON *o = cJSON_CreateObject();
  add_counts(o, &r->st.total, &v->out);
  fl_hist_t scratch;   /* the total with the latencies it has not taken in yet */
  add_latency(o, fl_sim_service_latency(s, i, &scratch));
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
  cJSON *tm = fl_report_session_time_json(s, j);
  if (tm) cJSON_AddItemToObject(ss, "time", tm);
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
** cause, then the call edges. 'every' > 0: as the HTML page holds them (decimate.h): 'every'
** entries a point, "window" and "t" (and "width") then describing the points, busy_workers left
** out (the page draws utilisation), and "decimated" saying what the run had. */
static void write_series(fl_jsonw_t *w, const fl_sim_t *s, int every) {
  const fl_model_t *m = s->m;
  uint32_t nw = fl_sim_entries(s);
  bool merged = every > 1;
  fl_jsonw_object(w, "series");
  fl_jsonw_number(w, "window", merged ? m->window * every : m->window);
  fl_jsonw_array(w, "t");
  for (uint32_t i = 0; i < nw; i += merged ? (uint32_t)every : 1) fl_jsonw_number(w, NULL, fl_sim_entry_t(s, i));
  fl_jsonw_end(w);
  if (fl_sim_consolidated(s)) {   /* entries merged from several windows: each one's length in seconds */
    fl_jsonw_array(w, "width");
    for (uint32_t i = 0; i < nw; i += merged ? (uint32_t)every : 1) {
      double wd = 0;
      for (uint32_t k = i; k < nw && k < i + (merged ? (uint32_t)every : 1); k++) wd += fl_sim_entry_width(s, k);
      fl_jsonw_number(w, NULL, wd);
    }
    fl_jsonw_end(w);
  }
  fl_jsonw_object(w, "services");
  for (int i = 0; i < m->nservices; i++) {
    fl_jsonw_object(w, m->services[i].name);
    for (int k = 0; k < FL_SER__COUNT; k++)
      if (fl_report_has_series(m, i, (fl_series_t)k) && !(every && k == FL_SER_BUSY))
        series_arr(w, fl_series_name((fl_series_t)k), s->svc[i].st.series[k], nw, every);
    write_causes(w, &s->svc[i].st, nw, every);
    fl_jsonw_end(w);
  }
  fl_jsonw_end(w);
  fl_jsonw_object(w, "journeys");
  for (int j = 0; j < m->njourneys; j++) {
    fl_jsonw_object(w, m->journeys[j].name);
    for (int k = 0; k < FL_SER__COUNT; k++)
      if (fl_report_has_series(m, -1, (fl_series_t)k) && !(every && k == FL_SER_BUSY))
        series_arr(w, fl_series_name((fl_series_t)k), s->jrn[j].st.series[k], nw, every);
    write_causes(w, &s->jrn[j].st, nw, every);
    fl_jsonw_end(w);
  }
  fl_jsonw_end(w);
  write_edges(w, s, nw, every);
  if (merged) {
    fl_jsonw_object(w, "decimated");
    fl_jsonw_number(w, "windows", nw);
    fl_jsonw_number(w, "every", every);
    fl_jsonw_number(w, "window", m->window);
    fl_jsonw_end(w);
  }
  fl_jsonw_end(w);
}

/* Prints subtree 'o' under 'key' and frees it. */
static void put_tree(fl_jsonw_t *w, const char *key, cJSON *o) {
  fl_jsonw_tree(w, key, o);
  cJSON_Delete(o);
}

static void write_report(fl_jsonw_t *w, const fl_sim_t *s, const fl_run_info_t *run, int every) {
  const fl_model_t *m = s->m;
  fl_metrics_t x;
  fl_cascade_t cas;
  fl_metrics_init(&x, s);
  fl_cascade_init(&cas, s);
  double secs = x.measured;
  fl_jsonw_object(w, NULL);
  fl_jsonw_string(w, "faultline", FL_VERSION);
  fl_jsonw_number(w, "schema", FL_REPORT_SCHEMA);
  fl_jsonw_bool(w, "complete", s->complete);
  fl_jsonw_object(w, "scenario");
  fl_jsonw_string(w, "name", m->name);
  fl_jsonw_string(w, "file", m->file);
  {   /* seeds up to 2^64: printed whole, not rounded to a double's 15 digits */
    char seed[32];
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)m->seed);
    fl_jsonw_raw(w, "seed", seed);
  }
  fl_jsonw_number(w, "duration", m->duration);
  fl_jsonw_number(w, "window", m->window);
  fl_jsonw_number(w, "warmup", fl_time_to_sec(s->warmup));
  fl_jsonw_number(w, "measured", secs);
  fl_report_scenario_model(w, s);
  fl_jsonw_end(w);

  fl_jsonw_object(w, "services");
  for (int i = 0; i < m->nservices; i++) put_tree(w, m->services[i].name, service_json(s, i, &x.svc[i]));
  fl_jsonw_end(w);
  fl_jsonw_object(w, "journeys");
  for (int j = 0; j < m->njourneys; j++) put_tree(w, m->journeys[j].name, journey_json(s, j, &x.jrn[j]));
  fl_jsonw_end(w);
  if (m->has_users) put_tree(w, "users", users_json(s, secs));
  write_series(w, s, every);

  fl_jsonw_array(w, "faults");
  for (int f = 0; f < m->nfaults; f++) put_tree(w, NULL, fl_report_fault_json(s, f));
  fl_jsonw_end(w);
  put_tree(w, "calls", fl_report_calls_json(s, &x));
  fl_jsonw_array(w, "scaling");
  for (int i = 0; i < s->nsev; i++) put_tree(w, NULL, fl_report_scale_event_json(s, i));
  fl_jsonw_end(w);
  fl_jsonw_array(w, "breakers");
  for (int i = 0; i < s->nbev; i++) put_tree(w, NULL, fl_report_breaker_event_json(s, i));
  fl_jsonw_end(w);
  if (s->bev_dropped) fl_jsonw_number(w, "breakers_dropped", (double)s->bev_dropped);
  fl_jsonw_array(w, "log");
  for (int i = 0; i < s->nlogs; i++) put_tree(w, NULL, fl_report_log_line_json(s, i));
  fl_jsonw_end(w);
  fl_jsonw_array(w, "timeline");
  for (int i = 0; i < cas.nchanges; i++) put_tree(w, NULL, fl_report_timeline_entry_json(s, &cas, i));
  fl_jsonw_end(w);
  if (s->changes_dropped) fl_jsonw_number(w, "changes_dropped", (double)s->changes_dropped);
  fl_jsonw_array(w, "cascade");
  for (int f = 0; f < m->nfaults; f++) put_tree(w, NULL, fl_report_fault_cascade_json(s, &cas, f));
  fl_jsonw_end(w);
  put_tree(w, "expectations", fl_report_expectations_json(s));
  fl_cascade_release(&cas);
  fl_metrics_release(&x);

  if (run) {
    fl_jsonw_object(w, "run");
    fl_jsonw_number(w, "wall_seconds", run->wall_seconds);
    fl_jsonw_number(w, "events", (double)run->events);
    fl_jsonw_number(w, "events_per_second", run->wall_seconds > 0 ? (double)run->events / run->wall_seconds : 0);
    fl_jsonw_number(w, "requests", (double)s->requests);
    fl_jsonw_number(w, "requests_per_second", run->wall_seconds > 0 ? (double)s->requests / run->wall_seconds : 0);
    fl_jsonw_number(w, "peak_rss_mb", run->peak_rss_mb);
    fl_jsonw_number(w, "peak_requests_in_flight", (double)s->reqs_peak);
    fl_jsonw_number(w, "request_bytes", (double)fl_sim_request_bytes());
    fl_jsonw_string(w, "host", run->host);
    fl_jsonw_end(w);
  }
  fl_jsonw_end(w);
}

void fl_report_json_write(fl_jsonw_t *w, const fl_sim_t *s, const fl_run_info_t *run) { write_report(w, s, run, 0); }

void fl_report_json_write_page(fl_jsonw_t *w, const fl_sim_t *s, const fl_run_info_t *run) {
  write_report(w, s, run, fl_report_page_every(fl_sim_entries(s), s->m->nservices));
}

char *fl_report_json_text(const fl_sim_t *s, const fl_run_info_t *run, size_t *len) {
  fl_text_t t = { 0 };
  fl_jsonw_t w;
  fl_jsonw_init(&w, fl_jsonw_to_text, &t, false);
  fl_report_json_write(&w, s, run);
  return fl_text_take(&t, len);
}

typedef struct job { const fl_sim_t *s; const fl_run_info_t *run; } job_t;

static void write_job(fl_jsonw_t *w, const void *arg) {
  const job_t *j = arg;
  fl_report_json_write(w, j->s, j->run);
}

int fl_report_write_json(const fl_sim_t *s, const fl_run_info_t *run, const char *path, char *err, size_t errlen) {
  job_t job = { s, run };
  return fl_jsonw_write_file(path, true, write_job, &job, err, errlen);
}
