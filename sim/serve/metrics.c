/* GET /metrics of faultline serve: the live run in Prometheus' text exposition format (0.0.4),
** read from the run's own counters as the JSON API reads them (after warm-up, as the report
** counts): per service, journey and call site the requests, answers and failures by cause
** (counters), latency histograms of answered requests (seconds, fixed bounds, cumulative) and the
** gauges of now (busy workers, queue, in flight, instances, a broker's lag and oldest message as
** of the last window). Every family has HELP and TYPE lines; label values are escaped. A restart
** or reload starts the counters over, which Prometheus reads as a counter reset. */
#include "serve_int.h"
#include "faultline/io.h"
#include "faultline/units.h"

#include <stdlib.h>
#include <string.h>

/* Bucket bounds of the latency histograms, seconds (Prometheus' defaults). */
static const double bounds[] = { 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10 };
#define NB ((int)(sizeof bounds / sizeof *bounds))

static void family(fl_text_t *t, const char *name, const char *type, const char *help) {
  fl_text_printf(t, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A label value as the format wants it: backslash, double quote and newline escaped. */
static void label_value(fl_text_t *t, const char *v) {
  for (; *v; v++) {
    if (*v == '\\') fl_text_puts(t, "\\\\");
    else if (*v == '"') fl_text_puts(t, "\\\"");
    else if (*v == '\n') fl_text_puts(t, "\\n");
    else fl_text_put(t, v, 1);
  }
}

/* name{k1="v1"[,k2="v2"]} value */
static void sample(fl_text_t *t, const char *name, const char *k1, const char *v1, const char *k2, const char *v2, double value) {
  fl_text_printf(t, "%s{%s=\"", name, k1);
  label_value(t, v1);
  fl_text_puts(t, "\"");
  if (k2) { fl_text_printf(t, ",%s=\"", k2); label_value(t, v2); fl_text_puts(t, "\""); }
  fl_text_printf(t, "} %.17g\n", value);
}

/* The _bucket, _sum and _count lines of one subject's latency histogram. */
static void histogram(fl_text_t *t, const char *name, const char *key, const char *who, const fl_hist_t *h) {
  int64_t le[NB];
  uint64_t cum[NB];
  for (int k = 0; k < NB; k++) le[k] = fl_sec_to_time(bounds[k]);
  fl_hist_cumulative(h, le, NB, cum);
  for (int k = 0; k <= NB; k++) {
    fl_text_printf(t, "%s_bucket{%s=\"", name, key);
    label_value(t, who);
    if (k < NB) fl_text_printf(t, "\",le=\"%g\"} %llu\n", bounds[k], (unsigned long long)cum[k]);
    else fl_text_printf(t, "\",le=\"+Inf\"} %llu\n", (unsigned long long)h->count);
  }
  fl_text_printf(t, "%s_sum{%s=\"", name, key);
  label_value(t, who);
  fl_text_printf(t, "\"} %.17g\n", h->sum * 1e-9);
  fl_text_printf(t, "%s_count{%s=\"", name, key);
  label_value(t, who);
  fl_text_printf(t, "\"} %llu\n", (unsigned long long)h->count);
}

/* The counters and histogram of services or journeys ('what'): n subjects named by 'names'. */
static void subjects(fl_text_t *t, const fl_sim_t *s, bool services, const char *what, const char *key, int n, const char *const *names, const fl_stats_t *const *st) {
  char name[96], help[256];
  snprintf(name, sizeof name, "faultline_%s_requests_total", what);
  snprintf(help, sizeof help, "Requests that reached the %s after warm-up.", key);
  family(t, name, "counter", help);
  for (int i = 0; i < n; i++) sample(t, name, key, names[i], NULL, NULL, (double)st[i]->total.arrivals);
  snprintf(name, sizeof name, "faultline_%s_answers_total", what);
  snprintf(help, sizeof help, "Requests of the %s answered after warm-up, by outcome (success or degraded).", key);
  family(t, name, "counter", help);
  for (int i = 0; i < n; i++) {
    sample(t, name, key, names[i], "outcome", "success", (double)st[i]->total.successes);
    sample(t, name, key, names[i], "outcome", "degraded", (double)st[i]->total.degraded);
  }
  snprintf(name, sizeof name, "faultline_%s_failures_total", what);
  snprintf(help, sizeof help, "Requests of the %s that failed after warm-up, by cause.", key);
  family(t, name, "counter", help);
  for (int i = 0; i < n; i++)
    for (int c = 1; c < FL_CAUSE__COUNT; c++) sample(t, name, key, names[i], "cause", fl_cause_name((fl_cause_t)c), (double)st[i]->total.cause[c]);
  snprintf(name, sizeof name, "faultline_%s_latency_seconds", what);
  snprintf(help, sizeof help, "Latency of the %s's answered requests after warm-up, seconds.", key);
  family(t, name, "histogram", help);
  fl_hist_t whole;   /* a service's total with the latencies it has not taken in yet */
  for (int i = 0; i < n; i++) histogram(t, name, key, names[i], services ? fl_sim_service_latency(s, i, &whole) : st[i]->htotal);
}

static void services(fl_text_t *t, const fl_sim_t *s) {
  const fl_model_t *m = s->m;
  int n = m->nservices;
  const char **names = fl_xcalloc((size_t)n + 1, sizeof *names);
  const fl_stats_t **st = fl_xcalloc((size_t)n + 1, sizeof *st);
  for (int i = 0; i < n; i++) { names[i] = m->services[i].name; st[i] = &s->svc[i].st; }
  subjects(t, s, true, "service", "service", n, names, st);
  static const struct { const char *name, *help; } gauges[] = {
    { "faultline_service_busy_workers", "Workers at work now, all instances." },
    { "faultline_service_queue", "Requests in the waiting rooms now, all instances." },
    { "faultline_service_in_flight", "Requests at the service now: queued, at work or waiting on calls." },
    { "faultline_service_instances", "Instances in the balancer's rotation now." },
    { "faultline_service_desired_instances", "Instances wanted now (starting and running)." },
    { "faultline_service_health", "Confirmed health now: 0 ok, 1 degraded, 2 down." },
  };
  for (int g = 0; g < (int)(sizeof gauges / sizeof *gauges); g++) {
    family(t, gauges[g].name, "gauge", gauges[g].help);
    for (int i = 0; i < n; i++) {
      const fl_svc_rt_t *r = &s->svc[i];
      /* the fields fl_sim_service_stats reads, read without touching the time integrals: a scrape
      ** leaves the run exactly as it was */
      double v = g == 0 ? r->busy : g == 1 ? r->queued : g == 2 ? r->inflight : g == 3 ? r->nup : g == 4 ? r->desired : (double)r->health;
      sample(t, gauges[g].name, "service", names[i], NULL, NULL, v);
    }
  }
  /* brokers: as of the last window's close (what the report's series holds) */
  bool any = false;
  for (int i = 0; i < n; i++) any |= m->services[i].broker;
  if (any) {
    uint32_t w = s->wdone > 0 ? s->wdone - 1 : 0;
    family(t, "faultline_broker_lag", "gauge", "Messages waiting at the broker (all consumers) at the last window's close.");
    for (int i = 0; i < n; i++)
      if (m->services[i].broker) sample(t, "faultline_broker_lag", "service", names[i], NULL, NULL, s->wdone ? s->svc[i].st.series[FL_SER_LAG][w] : 0);
    family(t, "faultline_broker_oldest_age_seconds", "gauge", "Age of the oldest waiting message at the last window's close, seconds.");
    for (int i = 0; i < n; i++)
      if (m->services[i].broker) sample(t, "faultline_broker_oldest_age_seconds", "service", names[i], NULL, NULL, s->wdone ? s->svc[i].st.series[FL_SER_LAG_AGE][w] : 0);
  }
  free(names); free(st);
}

static void journeys(fl_text_t *t, const fl_sim_t *s) {
  const fl_model_t *m = s->m;
  int n = m->njourneys;
  if (n == 0) return;
  const char **names = fl_xcalloc((size_t)n, sizeof *names);
  const fl_stats_t **st = fl_xcalloc((size_t)n, sizeof *st);
  for (int j = 0; j < n; j++) { names[j] = m->journeys[j].name; st[j] = &s->jrn[j].st; }
  subjects(t, s, false, "journey", "journey", n, names, st);
  family(t, "faultline_journey_in_flight", "gauge", "Sessions of the journey in flight now.");
  for (int j = 0; j < n; j++) sample(t, "faultline_journey_in_flight", "journey", names[j], NULL, NULL, s->jrn[j].inflight);
  free(names); free(st);
}

/* Call sites: caller endpoint -> callee, the counts their policies keep (whole run). */
static void calls(fl_text_t *t, const fl_sim_t *s) {
  if (s->ncalls == 0) return;
  static const struct { const char *name, *help; } fam[] = {
    { "faultline_call_calls_total", "Calls made by the caller endpoint to the callee (whole run)." },
    { "faultline_call_attempts_total", "Attempts of those calls: first tries, retries and hedges (whole run)." },
    { "faultline_call_retries_total", "Retries sent (whole run)." },
    { "faultline_call_hedges_total", "Hedged attempts sent (whole run)." },
    { "faultline_call_breaker_rejected_total", "Attempts the caller's breaker refused (whole run)." },
    { "faultline_call_bulkhead_rejected_total", "Attempts the caller's bulkhead refused (whole run)." },
  };
  for (int f = 0; f < (int)(sizeof fam / sizeof *fam); f++) {
    family(t, fam[f].name, "counter", fam[f].help);
    for (int id = 0; id < s->ncalls; id++) {
      const fl_call_rt_t *cr = &s->call[id];
      uint64_t v = f == 0 ? cr->calls : f == 1 ? cr->attempts : f == 2 ? cr->retries : f == 3 ? cr->hedges : f == 4 ? cr->breaker_rejected : cr->bulkhead_rejected;
      sample(t, fam[f].name, "caller", s->call_ep[id]->full_name, "callee", fl_call_target_label(s->calls[id]), (double)v);
    }
  }
}

void fl__serve_metrics(fl_serve_t *sv, client_t *c) {
  fl_text_t t = { 0 };
  family(&t, "faultline_up", "gauge", "1 while a model runs, 0 when none loaded (see /api/status).");
  fl_text_printf(&t, "faultline_up %d\n", sv->run ? 1 : 0);
  if (sv->run) {
    const fl_sim_t *s = &sv->run->s;
    family(&t, "faultline_sim_time_seconds", "gauge", "Simulated time of the run, seconds.");
    fl_text_printf(&t, "faultline_sim_time_seconds %.17g\n", fl_time_to_sec(s->eng.now));
    family(&t, "faultline_run_generation", "gauge", "Models loaded so far: a change starts the counters over.");
    fl_text_printf(&t, "faultline_run_generation %d\n", sv->generation);
    services(&t, s);
    journeys(&t, s);
    calls(&t, s);
  }
  fl__serve_respond(c, 200, "text/plain; version=0.0.4; charset=utf-8", t.p, t.n);
  fl_text_release(&t);
}
