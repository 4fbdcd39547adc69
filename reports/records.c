/* One serializer per report record: a fault, a health change, a scaling event, a breaker event,
** a log line, a window of the series. The JSON report's arrays hold exactly these objects and
** `serve` streams the same ones as events, so the live page reads what the report says. */
#include "faultline/report.h"

#include <cJSON.h>
#include <stdio.h>
#include <string.h>

static void add_num(cJSON *o, const char *k, double v) { cJSON_AddItemToObject(o, k, cJSON_CreateNumber(v)); }

void fl_report_call_name(const fl_sim_t *s, int id, char *buf, size_t n) {
  snprintf(buf, n, "%s -> %s", s->call_ep[id]->full_name, fl_call_target_label(s->calls[id]));
}

cJSON *fl_report_where_json(const fl_model_t *m, const fl_attr_match_t *w, int n) {
  cJSON *o = cJSON_CreateObject();
  for (int i = 0; i < n; i++) {
    char v[256];
    snprintf(v, sizeof v, "%s%s", w[i].negate ? "!" : "", w[i].value);
    cJSON_AddStringToObject(o, m->attr_keys[w[i].key].name, v);
  }
  return o;
}

void fl_report_where_text(const fl_model_t *m, const fl_attr_match_t *w, int n, char *buf, size_t len) {
  size_t k = 0;
  buf[0] = 0;
  for (int i = 0; i < n && k < len; i++)
    k += (size_t)snprintf(buf + k, len - k, "%s%s = %s%s", i ? ", " : "", m->attr_keys[w[i].key].name, w[i].negate ? "!" : "", w[i].value);
}

bool fl_report_has_series(const fl_model_t *m, int service, fl_series_t k) {
  if (service < 0) return k < FL_SER_JOURNEY_COUNT;
  return (k != FL_SER_LAG && k != FL_SER_LAG_AGE) || m->services[service].broker;
}

int fl_report_fault_instances(const fl_sim_t *s, int f) {
  const fl_fault_t *ft = &s->m->faults[f];
  const fl_fault_rt_t *fr = &s->fault[f];
  if (ft->instances > 0 || ft->fraction > 0) return fr->count;
  /* "all": the instances in rotation as it started (the slots it covers are the most there can be) */
  fl_time_t at = fr->started >= 0 ? fr->started : fl_sec_to_time(ft->at);
  uint32_t w = s->window > 0 ? (uint32_t)(at / s->window) : 0;
  int n = w > 0 && w <= s->wdone && fr->inst_before >= 0 ? fr->inst_before : ft->target->instances;
  return n < fr->count ? n : fr->count;
}

cJSON *fl_report_fault_json(const fl_sim_t *s, int f) {
  const fl_fault_t *ft = &s->m->faults[f];
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "name", ft->name);
  cJSON_AddStringToObject(o, "kind", fl_fault_kind_name(ft->kind));
  cJSON_AddStringToObject(o, "target", ft->target->name);
  if (ft->endpoint) cJSON_AddStringToObject(o, "endpoint", ft->endpoint->name);
  if (ft->from) { cJSON_AddStringToObject(o, "from", ft->from->name); cJSON_AddStringToObject(o, "to", fl_fault_target_label(ft)); }
  add_num(o, "start", ft->at);
  if (ft->duration > 0) add_num(o, "end", ft->at + ft->duration); else cJSON_AddNullToObject(o, "end");
  if (ft->kind == FL_FAULT_CRASH || ft->kind == FL_FAULT_CAPACITY || ft->kind == FL_FAULT_HANG || ft->kind == FL_FAULT_PAUSE ||
      ft->kind == FL_FAULT_CPU_HOG) add_num(o, "instances", fl_report_fault_instances(s, f));
  if (ft->kind == FL_FAULT_LATENCY) add_num(o, "latency", ft->value);
  if (ft->kind == FL_FAULT_SLOWDOWN) add_num(o, "factor", ft->value);
  if (ft->kind == FL_FAULT_ERRORS) add_num(o, "rate", ft->value);
  if (ft->nwhere) cJSON_AddItemToObject(o, "where", fl_report_where_json(s->m, ft->where, ft->nwhere));
  if (ft->kind == FL_FAULT_CPU_HOG) add_num(o, "share", ft->value);
  if (ft->kind == FL_FAULT_PAUSE) {
    char d[128];
    fl_dist_format(&ft->pause, d, sizeof d);
    cJSON_AddStringToObject(o, "pause", d);
    add_num(o, "pause_mean", fl_dist_mean(&ft->pause));
    if (ft->every > 0) add_num(o, "every", ft->every);
  }
  return o;
}

cJSON *fl_report_fault_live_json(const fl_sim_t *s, int f) {
  const fl_fault_rt_t *fr = &s->fault[f];
  cJSON *o = fl_report_fault_json(s, f);
  if (fr->started >= 0) cJSON_ReplaceItemInObjectCaseSensitive(o, "start", cJSON_CreateNumber(fl_time_to_sec(fr->started)));
  if (fr->ended >= 0) cJSON_ReplaceItemInObjectCaseSensitive(o, "end", cJSON_CreateNumber(fl_time_to_sec(fr->ended)));
  cJSON_AddBoolToObject(o, "active", fr->active);
  return o;
}

cJSON *fl_report_change_json(const fl_sim_t *s, int i) {
  const fl_change_t *c = &s->changes[i];
  cJSON *e = cJSON_CreateObject();
  add_num(e, "t", fl_time_to_sec(c->t));
  cJSON_AddStringToObject(e, c->service >= 0 ? "service" : "journey", fl_change_subject(s, c));
  cJSON_AddStringToObject(e, "from", fl_health_name(c->from));
  cJSON_AddStringToObject(e, "to", fl_health_name(c->to));
  cJSON_AddStringToObject(e, "reason", c->reason);
  if (c->fault >= 0) cJSON_AddStringToObject(e, "fault", s->m->faults[c->fault].name);
  if (c->via >= 0) cJSON_AddStringToObject(e, "via", s->m->services[c->via].name);
  if (c->parent >= 0) cJSON_AddStringToObject(e, "after", fl_change_subject(s, &s->changes[c->parent]));
  return e;
}

cJSON *fl_report_session_time_json(const fl_sim_t *s, int j) {
  const fl_hist_t *h = s->jrn[j].hsess_total;
  if (!h) return NULL;
  cJSON *o = cJSON_CreateObject();
  add_num(o, "answered", (double)h->count);
  static const char *const qk[] = { "p50", "p90", "p99" };
  static const double qv[] = { 0.50, 0.90, 0.99 };
  if (h->count) add_num(o, "mean", fl_hist_mean(h) / 1e9); else cJSON_AddNullToObject(o, "mean");
  for (int k = 0; k < 3; k++)
    if (h->count) add_num(o, qk[k], fl_time_to_sec(fl_hist_quantile(h, qv[k]))); else cJSON_AddNullToObject(o, qk[k]);
  if (h->count) add_num(o, "max", fl_time_to_sec(h->max)); else cJSON_AddNullToObject(o, "max");
  if (s->m->journeys[j].session_slo > 0) add_num(o, "slo", s->m->journeys[j].session_slo); else cJSON_AddNullToObject(o, "slo");
  return o;
}

cJSON *fl_report_scale_event_json(const fl_sim_t *s, int i) {
  const fl_scale_event_t *e = &s->sev[i];
  cJSON *o = cJSON_CreateObject();
  add_num(o, "t", fl_time_to_sec(e->t));
  cJSON_AddStringToObject(o, "service", s->m->services[e->service].name);
  add_num(o, "from", e->from);
  add_num(o, "to", e->to);
  cJSON_AddStringToObject(o, "reason", e->reason);
  return o;
}

cJSON *fl_report_breaker_event_json(const fl_sim_t *s, int i) {
  const fl_bevent_t *e = &s->bev[i];
  char name[300];
  fl_report_call_name(s, e->call, name, sizeof name);
  cJSON *o = cJSON_CreateObject();
  add_num(o, "t", fl_time_to_sec(e->t));
  cJSON_AddStringToObject(o, "call", name);
  add_num(o, "instance", e->instance);
  cJSON_AddStringToObject(o, "from", fl_breaker_state_name((fl_breaker_state_t)e->from));
  cJSON_AddStringToObject(o, "to", fl_breaker_state_name((fl_breaker_state_t)e->to));
  return o;
}

cJSON *fl_report_log_line_json(const fl_sim_t *s, int i) {
  cJSON *o = cJSON_CreateObject();
  add_num(o, "t", fl_time_to_sec(s->logs[i].t));
  cJSON_AddStringToObject(o, "message", s->logs[i].msg);
  return o;
}

/* One entity's values in window w: its series, then failures by cause. */
static void add_window_stats(cJSON *o, const fl_model_t *m, int service, const fl_stats_t *st, uint32_t w) {
  for (int k = 0; k < FL_SER__COUNT; k++)
    if (fl_report_has_series(m, service, (fl_series_t)k)) add_num(o, fl_series_name((fl_series_t)k), st->series[k][w]);
  cJSON *fc = cJSON_AddObjectToObject(o, "failures_by_cause");
  for (int k = 1; k < FL_CAUSE__COUNT; k++) add_num(fc, fl_cause_name((fl_cause_t)k), st->cause_series[k][w]);
}

cJSON *fl_report_window_json(const fl_sim_t *s, uint32_t w) {
  const fl_model_t *m = s->m;
  FL_ASSERT(fl_sim_kept(s, w));
  uint32_t slot = fl_sim_slot(s, w);
  cJSON *o = cJSON_CreateObject();
  add_num(o, "w", w);
  add_num(o, "t", fl_time_to_sec((fl_time_t)w * s->window));
  cJSON *svcs = cJSON_AddObjectToObject(o, "services");
  for (int i = 0; i < m->nservices; i++) add_window_stats(cJSON_AddObjectToObject(svcs, m->services[i].name), m, i, &s->svc[i].st, slot);
  cJSON *jrns = cJSON_AddObjectToObject(o, "journeys");
  for (int j = 0; j < m->njourneys; j++) add_window_stats(cJSON_AddObjectToObject(jrns, m->journeys[j].name), m, -1, &s->jrn[j].st, slot);
  cJSON *edges = cJSON_AddArrayToObject(o, "edges");
  for (int i = 0; i < m->nservices; i++) {
    const fl_svc_rt_t *r = &s->svc[i];
    for (int x = 0; x < r->ncallees; x++) {
      cJSON *e = cJSON_CreateObject();
      cJSON_AddStringToObject(e, "from", m->services[i].name);
      cJSON_AddStringToObject(e, "to", m->services[r->callee[x]].name);
      add_num(e, "calls", r->edge_calls[(size_t)x * s->stride + slot]);
      add_num(e, "failures", r->edge_fails[(size_t)x * s->stride + slot]);
      cJSON_AddItemToArray(edges, e);
    }
  }
  return o;
}
