/* The resolved model as the JSON report's scenario.model holds it: services (instances, workers,
** queue, policies, autoscaling, brokers), endpoints with their calls and policies, and traffic
** (rate profile, mix and its timed changes, attributes, clients, journeys' steps); and the model
** as the run started, with each change hooks and the timed mix made (watched as they happen). */
#include "faultline/jsonw.h"
#include "faultline/report.h"

#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* attrs: { "country": "share { CA = 0.1111, US = 0.8889 }", ... } */
static void add_attrs(cJSON *o, const fl_model_t *m, const fl_attr_gen_t *g, int n) {
  cJSON *a = add_obj(o, "attrs");
  char buf[1024];
  for (int i = 0; i < n; i++) cJSON_AddStringToObject(a, m->attr_keys[g[i].key].name, fl_attr_gen_format(&g[i], m, buf, sizeof buf));
}

cJSON *fl_report_model_json(const fl_model_t *m) {
  cJSON *root = cJSON_CreateObject();
  cJSON *svcs = add_obj(root, "services");
  for (int i = 0; i < m->nservices; i++) {
    const fl_service_t *s = &m->services[i];
    cJSON *o = add_obj(svcs, s->name);
    if (s->group_set) cJSON_AddStringToObject(o, "group", s->group);
    add_num(o, "instances", s->instances);
    add_num(o, "workers", s->workers);
    if (s->cores > 0) add_num(o, "cores", s->cores);
    if (s->queue == INT64_MAX) cJSON_AddStringToObject(o, "queue", "unbounded");
    else add_num(o, "queue", (double)s->queue);
    if (s->overflow != FL_OVERFLOW_REJECT) cJSON_AddStringToObject(o, "overflow", fl_overflow_name(s->overflow));
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
      cJSON *x = add_obj(o, "autoscale");
      cJSON_AddStringToObject(x, "metric", fl_scale_metric_name(s->autoscale.metric));
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
          cJSON_AddStringToObject(co, "target", fl_call_target_label(call));
          add_num(co, "step", st);
          cJSON_AddBoolToObject(co, "parallel", ep->steps[st].parallel);
          if (call->timeout > 0) add_num(co, "timeout", fl_time_to_sec(call->timeout));
          if (call->connect_timeout != FL_DEFAULT_CONNECT_TIMEOUT) add_num(co, "connect_timeout", fl_time_to_sec(call->connect_timeout));
          cJSON_AddBoolToObject(co, "optional", call->optional);
          if (call->optional) add_num(co, "fallback", fl_time_to_sec(call->fallback));
          if (call->ignore_errors) cJSON_AddBoolToObject(co, "ignore_errors", true);
          if (call->p < 1) add_num(co, "p", call->p);
          if (call->async) cJSON_AddBoolToObject(co, "async", true);
          if (call->cache_hit > 0) { cJSON *ch = add_obj(co, "cache"); add_num(ch, "hit", call->cache_hit); add_num(ch, "warm_up", call->cache_warmup); }
          if (call->retries) {
            cJSON *r = add_obj(co, "retry");
            add_num(r, "retries", call->retries);
            add_num(r, "backoff_base", fl_time_to_sec(call->backoff_base));
            add_num(r, "backoff_multiplier", call->backoff_mult);
            add_num(r, "backoff_max", fl_time_to_sec(call->backoff_max));
            cJSON_AddStringToObject(r, "jitter", fl_jitter_name(call->jitter));
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
          if (call->nwhen) cJSON_AddItemToObject(co, "when", fl_report_where_json(m, call->when, call->nwhen));
          if (call->count) { char cnt[200]; cJSON_AddStringToObject(co, "count", fl_call_count_format(call, cnt, sizeof cnt)); }
          if (call->nitems) add_attrs(co, m, call->items, call->nitems);
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
  if (m->has_users) {
    cJSON *us = add_obj(tr, "users");
    cJSON_AddItemToObject(us, "count", profile_json(&m->users));
    if (m->spawn_rate > 0) add_num(us, "spawn_rate", m->spawn_rate);
    char th[128];
    fl_dist_format(&m->users_think, th, sizeof th);
    cJSON_AddStringToObject(us, "think", th);
  }
  if (m->nattrs) add_attrs(tr, m, m->attrs, m->nattrs);
  cJSON *mix = add_obj(tr, "mix");
  for (int j = 0; j < m->njourneys; j++) add_num(mix, m->journeys[j].name, m->journeys[j].share);
  if (m->nmix_at) {   /* the timed changes: [{ "at": 1200, "mix": { ... } }] */
    cJSON *ats = cJSON_AddArrayToObject(tr, "mix_at");
    for (int k = 0; k < m->nmix_at; k++) {
      const fl_mix_at_t *x = &m->mix_at[k];
      cJSON *o = cJSON_CreateObject(), *mx;
      add_num(o, "at", x->at);
      mx = add_obj(o, "mix");
      for (int j = 0; j < m->njourneys; j++) add_num(mx, m->journeys[j].name, x->share ? x->share[j] : 0);
      cJSON_AddItemToArray(ats, o);
    }
  }
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
    if (jn->slo > 0) add_num(o, "slo", jn->slo);
    if (jn->session_slo > 0) add_num(o, "session_slo", jn->session_slo);
  }
  return root;
}

/* ---- the model as it started, and its changes during the run ---- */

#define WATCH_MAX 10000   /* changes kept per run; past them only their number */

typedef struct watch {
  cJSON *start;     /* the model before the first change */
  cJSON *prev;      /* the model after the last change (start until one) */
  cJSON *changes;   /* [{ t, path, from, to }] */
  int *nsev;        /* per change: the scaling events recorded before it (the hooks' sim:scale sort among them) */
  int dropped;
} watch_t;

static void watch_free(void *p) {
  watch_t *w = p;
  if (!w) return;
  if (w->prev != w->start) cJSON_Delete(w->prev);
  cJSON_Delete(w->start);
  cJSON_Delete(w->changes);
  free(w->nsev);
  free(w);
}

/* The smallest parts of a and b in which they differ: descends while exactly one member of two
** objects (or one item of two arrays of one length) differs. Returns false when a equals b; a
** member on one side only reads as NULL on the other. */
static bool diff(cJSON *a, cJSON *b, cJSON **from, cJSON **to) {
  if (cJSON_Compare(a, b, true)) return false;
  for (;;) {
    cJSON *da = NULL, *db = NULL;
    int ndiff = 0;
    if (cJSON_IsObject(a) && cJSON_IsObject(b)) {
      for (cJSON *x = a->child; x && ndiff < 2; x = x->next) {
        cJSON *y = cJSON_GetObjectItemCaseSensitive(b, x->string);
        if (!y || !cJSON_Compare(x, y, true)) { ndiff++; da = x; db = y; }
      }
      for (cJSON *y = b->child; y && ndiff < 2; y = y->next)
        if (!cJSON_GetObjectItemCaseSensitive(a, y->string)) { ndiff++; da = NULL; db = y; }
    } else if (cJSON_IsArray(a) && cJSON_IsArray(b) && cJSON_GetArraySize(a) == cJSON_GetArraySize(b)) {
      for (cJSON *x = a->child, *y = b->child; x && y && ndiff < 2; x = x->next, y = y->next)
        if (!cJSON_Compare(x, y, true)) { ndiff++; da = x; db = y; }
    } else ndiff = 2;
    if (ndiff != 1 || !da || !db) { *from = ndiff == 1 ? da : a; *to = ndiff == 1 ? db : b; return true; }
    a = da; b = db;
  }
}

static cJSON *dup_or_null(const cJSON *x) { return x ? cJSON_Duplicate(x, true) : cJSON_CreateNull(); }

static void watch(fl_sim_t *s, const char *path, bool done) {
  watch_t *w = s->model_watch_state;
  if (!w->start) w->start = w->prev = fl_report_model_json(s->m);
  if (!done) return;
  if (cJSON_GetArraySize(w->changes) >= WATCH_MAX) { w->dropped++; return; }
  cJSON *now = fl_report_model_json(s->m), *from = NULL, *to = NULL;
  if (diff(w->prev, now, &from, &to)) {
    cJSON *c = cJSON_CreateObject();
    add_num(c, "t", fl_time_to_sec(s->eng.now));
    cJSON_AddStringToObject(c, "path", path);
    cJSON_AddItemToObject(c, "from", dup_or_null(from));
    cJSON_AddItemToObject(c, "to", dup_or_null(to));
    int n = cJSON_GetArraySize(w->changes);
    if ((n & (n - 1)) == 0) w->nsev = fl_xrealloc(w->nsev, sizeof *w->nsev * (size_t)(n ? 2 * n : 1));
    w->nsev[n] = s->nsev;
    cJSON_AddItemToArray(w->changes, c);
  }
  if (w->prev != w->start) cJSON_Delete(w->prev);
  w->prev = now;
}

void fl_report_model_watch(fl_sim_t *s) {
  if (s->model_watch) return;
  watch_t *w = fl_xcalloc(1, sizeof *w);
  w->changes = cJSON_CreateArray();
  s->model_watch = watch;
  s->model_watch_state = w;
  s->model_watch_free = watch_free;
}

cJSON *fl_report_model_start_json(const fl_sim_t *s) {
  const watch_t *w = s->model_watch == watch ? s->model_watch_state : NULL;
  return w && w->start ? cJSON_Duplicate(w->start, true) : fl_report_model_json(s->m);
}

cJSON *fl_report_model_changes_json(const fl_sim_t *s) {
  const watch_t *w = s->model_watch == watch ? s->model_watch_state : NULL;
  cJSON *a = cJSON_CreateArray(), *c = w ? w->changes->child : NULL;
  int k = 0;
  /* the model's changes and the hooks' scaling, in the order they happened */
  for (int i = 0; i <= s->nsev; i++) {
    const fl_scale_event_t *e = i < s->nsev ? &s->sev[i] : NULL;
    if (e && strcmp(e->reason, FL_SCALED_BY_HOOK) != 0) continue;
    for (; c && (!e || w->nsev[k] <= i); c = c->next, k++) cJSON_AddItemToArray(a, cJSON_Duplicate(c, true));
    if (!e) break;
    double t = fl_time_to_sec(e->t);
    cJSON *o = cJSON_CreateObject();
    add_num(o, "t", t);
    char path[300];
    snprintf(path, sizeof path, "%s.instances", s->m->services[e->service].name);
    cJSON_AddStringToObject(o, "path", path);
    add_num(o, "from", e->from);
    add_num(o, "to", e->to);
    cJSON_AddItemToArray(a, o);
  }
  return a;
}

int fl_report_model_changes_dropped(const fl_sim_t *s) {
  const watch_t *w = s->model_watch == watch ? s->model_watch_state : NULL;
  return w ? w->dropped : 0;
}

void fl_report_scenario_model(fl_jsonw_t *w, const fl_sim_t *s) {
  cJSON *model = fl_report_model_start_json(s), *c = fl_report_model_changes_json(s);
  fl_jsonw_tree(w, "model", model);
  if (cJSON_GetArraySize(c)) fl_jsonw_tree(w, "changes", c);   /* only when something changed */
  cJSON_Delete(model);
  cJSON_Delete(c);
}

void fl_report_model_changes_text(FILE *out, const fl_sim_t *s) {
  const watch_t *w = s->model_watch == watch ? s->model_watch_state : NULL;
  if (!w || !cJSON_GetArraySize(w->changes)) return;
  fprintf(out, "\nmodel changes (the report's model is the model as the run started)\n");
  for (const cJSON *c = w->changes->child; c; c = c->next) {
    char t[32];
    fl_report_time(s->m, cJSON_GetNumberValue(cJSON_GetObjectItem(c, "t")), t, sizeof t);
    char *from = cJSON_PrintUnformatted(cJSON_GetObjectItem(c, "from")), *to = cJSON_PrintUnformatted(cJSON_GetObjectItem(c, "to"));
    fprintf(out, "  t=%-7s %s: %s → %s\n", t, cJSON_GetStringValue(cJSON_GetObjectItem(c, "path")), from, to);
    cJSON_free(from); cJSON_free(to);
  }
  if (w->dropped) fprintf(out, "  (%d more changes not kept: %d at most per run)\n", w->dropped, WATCH_MAX);
}
