/* Faults, the health timeline, cascades with each fault's blast radius, and expectations:
** as JSON, as terminal text, and as JUnit XML for CI systems. */
#include "faultline/report.h"
#include "faultline/units.h"

#include <cJSON.h>
#include <stdlib.h>
#include <string.h>

static void add_num(cJSON *o, const char *k, double v) { cJSON_AddItemToObject(o, k, cJSON_CreateNumber(v)); }

const char *fl_change_subject(const fl_sim_t *s, const fl_change_t *c) {
  return c->service >= 0 ? s->m->services[c->service].name : s->m->journeys[c->journey].name;
}

static fl_time_t fault_end(const fl_sim_t *s, int f) {
  const fl_fault_rt_t *fr = &s->fault[f];
  return fr->ended >= 0 ? fr->ended : fr->started >= 0 ? s->eng.now : -1;
}

cJSON *fl_report_faults_json(const fl_sim_t *s) {
  cJSON *a = cJSON_CreateArray();
  for (int f = 0; f < s->m->nfaults; f++) {
    const fl_fault_t *ft = &s->m->faults[f];
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "name", ft->name);
    cJSON_AddStringToObject(o, "kind", fl_fault_kind_name(ft->kind));
    cJSON_AddStringToObject(o, "target", ft->target->name);
    if (ft->from) cJSON_AddStringToObject(o, "from", ft->from->name);
    add_num(o, "start", ft->at);
    if (ft->duration > 0) add_num(o, "end", ft->at + ft->duration); else cJSON_AddNullToObject(o, "end");
    if (ft->kind == FL_FAULT_CRASH || ft->kind == FL_FAULT_CAPACITY || ft->kind == FL_FAULT_HANG) add_num(o, "instances", s->fault[f].count);
    if (ft->kind == FL_FAULT_LATENCY) add_num(o, "latency", ft->value);
    if (ft->kind == FL_FAULT_SLOWDOWN) add_num(o, "factor", ft->value);
    if (ft->kind == FL_FAULT_ERRORS) add_num(o, "rate", ft->value);
    cJSON_AddItemToArray(a, o);
  }
  return a;
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

static int depth_of(const fl_sim_t *s, int i) {
  int d = 0;
  for (int p = s->changes[i].parent; p >= 0 && d <= s->nchanges; p = s->changes[p].parent) d++;
  return d;
}

/* Changes ordered by time, then cause before effect (depth in the cascade), then as recorded. */
static int *change_order(const fl_sim_t *s) {
  int n = s->nchanges;
  int *ord = fl_xmalloc(sizeof *ord * (size_t)(n ? n : 1)), *dep = fl_xmalloc(sizeof *dep * (size_t)(n ? n : 1));
  for (int i = 0; i < n; i++) { ord[i] = i; dep[i] = depth_of(s, i); }
  for (int i = 1; i < n; i++) {           /* insertion sort: stable, and nearly sorted already */
    int x = ord[i], k = i;
    while (k > 0) {
      int y = ord[k - 1];
      bool later = s->changes[y].t > s->changes[x].t || (s->changes[y].t == s->changes[x].t && dep[y] > dep[x]);
      if (!later) break;
      ord[k] = y; k--;
    }
    ord[k] = x;
  }
  free(dep);
  return ord;
}

cJSON *fl_report_timeline_json(const fl_sim_t *s) {
  cJSON *a = cJSON_CreateArray();
  int *ord = change_order(s);
  for (int i = 0; i < s->nchanges; i++) cJSON_AddItemToArray(a, fl_report_change_json(s, ord[i]));
  free(ord);
  return a;
}

/* The root fault of change i's chain, or -1. */
static int root_fault(const fl_sim_t *s, int i) {
  for (int guard = 0; i >= 0 && guard <= s->nchanges; guard++) {
    if (s->changes[i].fault >= 0) return s->changes[i].fault;
    i = s->changes[i].parent;
  }
  return -1;
}

/* When the entity of change i went back to ok after it, or -1. */
static fl_time_t recovered_at(const fl_sim_t *s, int i) {
  const fl_change_t *c = &s->changes[i];
  for (int k = i + 1; k < s->nchanges; k++) {
    const fl_change_t *d = &s->changes[k];
    if (d->service == c->service && d->journey == c->journey && (c->service >= 0 || d->service < 0) && d->to == FL_HEALTH_OK) return d->t;
  }
  return -1;
}

static cJSON *phase_json(const fl_acc_t *a) {
  cJSON *o = cJSON_CreateObject();
  uint64_t done = a->c.successes + a->c.degraded + a->c.failures;
  add_num(o, "requests", (double)done);
  add_num(o, "success_rate", done ? (double)(a->c.successes + a->c.degraded) / (double)done : 1);
  add_num(o, "degraded_rate", done ? (double)a->c.degraded / (double)done : 0);
  add_num(o, "p99", fl_time_to_sec(fl_hist_quantile(a->h, 0.99)));
  return o;
}

cJSON *fl_report_cascade_json(const fl_sim_t *s) {
  const fl_model_t *m = s->m;
  cJSON *a = cJSON_CreateArray();
  for (int f = 0; f < m->nfaults; f++) {
    const fl_fault_t *ft = &m->faults[f];
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "fault", ft->name);
    cJSON_AddStringToObject(o, "kind", fl_fault_kind_name(ft->kind));
    cJSON_AddStringToObject(o, "target", ft->target->name);
    add_num(o, "start", ft->at);
    fl_time_t end = fault_end(s, f);
    if (end >= 0 && s->fault[f].ended >= 0) add_num(o, "end", fl_time_to_sec(end)); else cJSON_AddNullToObject(o, "end");
    cJSON *chain = cJSON_AddArrayToObject(o, "chain");
    cJSON *svcs = cJSON_AddArrayToObject(o, "services");
    cJSON *jrns = cJSON_AddArrayToObject(o, "journeys");
    fl_time_t first = -1, recovered = -1;
    bool all_recovered = true;
    int *ord = change_order(s);
    for (int oi = 0; oi < s->nchanges; oi++) {
      int i = ord[oi];
      const fl_change_t *c = &s->changes[i];
      if (c->to == FL_HEALTH_OK || root_fault(s, i) != f) continue;
      cJSON *e = fl_report_change_json(s, i);
      add_num(e, "delay", fl_time_to_sec(c->t) - ft->at);
      fl_time_t rec = recovered_at(s, i);
      if (rec >= 0) add_num(e, "recovered", fl_time_to_sec(rec)); else cJSON_AddNullToObject(e, "recovered");
      cJSON_AddItemToArray(chain, e);
      cJSON *list = c->service >= 0 ? svcs : jrns;
      const char *name = fl_change_subject(s, c);
      bool seen = false;
      cJSON *it;
      cJSON_ArrayForEach(it, list) if (strcmp(it->valuestring, name) == 0) seen = true;
      if (!seen) cJSON_AddItemToArray(list, cJSON_CreateString(name));
      if (first < 0 || c->t < first) first = c->t;
      if (rec < 0) all_recovered = false; else if (rec > recovered) recovered = rec;
    }
    free(ord);
    if (first >= 0) add_num(o, "first_hit", fl_time_to_sec(first)); else cJSON_AddNullToObject(o, "first_hit");
    if (first >= 0 && all_recovered) add_num(o, "recovered", fl_time_to_sec(recovered)); else cJSON_AddNullToObject(o, "recovered");
    cJSON *imp = cJSON_AddObjectToObject(o, "impact");
    for (int j = 0; j < m->njourneys; j++) {
      cJSON *jo = cJSON_AddObjectToObject(imp, m->journeys[j].name);
      cJSON_AddItemToObject(jo, "before", phase_json(&s->fault[f].phase[j * 3 + 0]));
      cJSON_AddItemToObject(jo, "during", phase_json(&s->fault[f].phase[j * 3 + 1]));
      cJSON_AddItemToObject(jo, "after", phase_json(&s->fault[f].phase[j * 3 + 2]));
    }
    cJSON_AddItemToArray(a, o);
  }
  return a;
}

static void call_name(const fl_sim_t *s, int id, char *buf, size_t n) {
  snprintf(buf, n, "%s -> %s", s->call_ep[id]->full_name, s->calls[id]->target->full_name);
}

cJSON *fl_report_calls_json(const fl_sim_t *s) {
  cJSON *o = cJSON_CreateObject();
  for (int id = 0; id < s->ncalls; id++) {
    const fl_call_rt_t *cr = &s->call[id];
    char name[300];
    call_name(s, id, name, sizeof name);
    if (cJSON_GetObjectItemCaseSensitive(o, name)) snprintf(name + strlen(name), sizeof name - strlen(name), " #%d", id);
    cJSON *c = cJSON_AddObjectToObject(o, name);
    add_num(c, "calls", (double)cr->calls);
    add_num(c, "attempts", (double)cr->attempts);
    add_num(c, "retries", (double)cr->retries);
    add_num(c, "retries_denied_by_budget", (double)cr->budget_denied);
    add_num(c, "hedges", (double)cr->hedges);
    add_num(c, "bulkhead_rejected", (double)cr->bulkhead_rejected);
    add_num(c, "breaker_rejected", (double)cr->breaker_rejected);
    add_num(c, "breaker_opens", (double)cr->breaker_opens);
    fl_time_t open = cr->open_ns;
    if (cr->br)
      for (int k = 0; k < cr->ncaller; k++)
        if (cr->br[k].state == FL_BREAKER_OPEN) open += s->eng.now - cr->br[k].opened;
    add_num(c, "breaker_open_seconds", fl_time_to_sec(open));
  }
  return o;
}

cJSON *fl_report_scaling_json(const fl_sim_t *s) {
  cJSON *a = cJSON_CreateArray();
  for (int i = 0; i < s->nsev; i++) {
    const fl_scale_event_t *e = &s->sev[i];
    cJSON *o = cJSON_CreateObject();
    add_num(o, "t", fl_time_to_sec(e->t));
    cJSON_AddStringToObject(o, "service", s->m->services[e->service].name);
    add_num(o, "from", e->from);
    add_num(o, "to", e->to);
    cJSON_AddStringToObject(o, "reason", e->reason);
    cJSON_AddItemToArray(a, o);
  }
  return a;
}

cJSON *fl_report_log_json(const fl_sim_t *s) {
  cJSON *a = cJSON_CreateArray();
  for (int i = 0; i < s->nlogs; i++) {
    cJSON *o = cJSON_CreateObject();
    add_num(o, "t", fl_time_to_sec(s->logs[i].t));
    cJSON_AddStringToObject(o, "message", s->logs[i].msg);
    cJSON_AddItemToArray(a, o);
  }
  return a;
}

cJSON *fl_report_breakers_json(const fl_sim_t *s) {
  cJSON *a = cJSON_CreateArray();
  for (int i = 0; i < s->nbev; i++) {
    const fl_bevent_t *e = &s->bev[i];
    char name[300];
    call_name(s, e->call, name, sizeof name);
    cJSON *o = cJSON_CreateObject();
    add_num(o, "t", fl_time_to_sec(e->t));
    cJSON_AddStringToObject(o, "call", name);
    add_num(o, "instance", e->instance);
    cJSON_AddStringToObject(o, "from", fl_breaker_state_name((fl_breaker_state_t)e->from));
    cJSON_AddStringToObject(o, "to", fl_breaker_state_name((fl_breaker_state_t)e->to));
    cJSON_AddItemToArray(a, o);
  }
  return a;
}

static void pct(double v, char *buf, size_t n) { snprintf(buf, n, "%.6g%%", 100 * v); }

void fl_expect_wanted(const fl_expect_t *x, char *buf, size_t n) {
  size_t w = 0;
  char v[32];
  buf[0] = 0;
  if (x->has_success) { pct(x->success_rate, v, sizeof v); w += (size_t)snprintf(buf + w, n - w, "success_rate %s %s", x->success_op, v); }
  if (x->has_p99 && w < n) { fl_format_duration(x->p99, v, sizeof v); w += (size_t)snprintf(buf + w, n - w, "%sp99 %s %s", w ? ", " : "", x->p99_op, v); }
  if (x->has_p50 && w < n) { fl_format_duration(x->p50, v, sizeof v); w += (size_t)snprintf(buf + w, n - w, "%sp50 %s %s", w ? ", " : "", x->p50_op, v); }
  if (x->no_cascade && w < n) snprintf(buf + w, n - w, "%sno cascade from %s", w ? ", " : "", x->no_cascade->name);
}

static void during_text(const fl_expect_t *x, char *buf, size_t n) {
  char a[32], b[32];
  switch (x->during) {
  case FL_EXPECT_FAULT: snprintf(buf, n, "fault:%s", x->fault_name); break;
  case FL_EXPECT_STEADY: snprintf(buf, n, "steady"); break;
  case FL_EXPECT_RANGE: fl_format_duration(x->from, a, sizeof a); fl_format_duration(x->to, b, sizeof b); snprintf(buf, n, "%s-%s", a, b); break;
  default: snprintf(buf, n, "all"); break;
  }
}

static void observed_text(const fl_sim_t *s, int x, char *buf, size_t n) {
  const fl_expect_t *ex = &s->m->expects[x];
  const fl_exp_rt_t *er = &s->exp[x];
  size_t w = 0;
  char v[32];
  buf[0] = 0;
  if (ex->has_success) { pct(er->success_rate, v, sizeof v); w += (size_t)snprintf(buf + w, n - w, "success_rate %s", v); }
  if (ex->has_p99 && w < n) { fl_format_duration(er->p99, v, sizeof v); w += (size_t)snprintf(buf + w, n - w, "%sp99 %s", w ? ", " : "", v); }
  if (ex->has_p50 && w < n) { fl_format_duration(er->p50, v, sizeof v); w += (size_t)snprintf(buf + w, n - w, "%sp50 %s", w ? ", " : "", v); }
  if (er->detail[0] && w < n) snprintf(buf + w, n - w, "%s%s", w ? "; " : "", er->detail);
}
void fl_expect_observed(const fl_sim_t *s, int x, char *buf, size_t n) { observed_text(s, x, buf, n); }

cJSON *fl_report_expectations_json(const fl_sim_t *s) {
  cJSON *a = cJSON_CreateArray();
  for (int x = 0; x < s->m->nexpects; x++) {
    const fl_expect_t *ex = &s->m->expects[x];
    const fl_exp_rt_t *er = &s->exp[x];
    cJSON *o = cJSON_CreateObject();
    char buf[512];
    cJSON_AddStringToObject(o, "name", ex->name);
    cJSON_AddBoolToObject(o, "passed", er->passed);
    if (ex->subject) cJSON_AddStringToObject(o, ex->service ? "service" : "journey", ex->subject);
    during_text(ex, buf, sizeof buf);
    cJSON_AddStringToObject(o, "during", buf);
    fl_expect_wanted(ex, buf, sizeof buf);
    cJSON_AddStringToObject(o, "wanted", buf);
    cJSON *obs = cJSON_AddObjectToObject(o, "observed");
    if (ex->has_success) add_num(obs, "success_rate", er->success_rate);
    if (ex->has_p99) add_num(obs, "p99", er->p99);
    if (ex->has_p50) add_num(obs, "p50", er->p50);
    if (er->detail[0]) cJSON_AddStringToObject(obs, "detail", er->detail);
    cJSON_AddItemToArray(a, o);
  }
  return a;
}

void fl_report_cascade_text(FILE *out, const fl_sim_t *s, bool color) {
  const fl_model_t *m = s->m;
  const char *red = color ? "\033[31m" : "", *yel = color ? "\033[33m" : "", *grn = color ? "\033[32m" : "", *off = color ? "\033[0m" : "";
  int *ord = change_order(s);
  if (s->nchanges) {
    fprintf(out, "\nhealth timeline\n");
    for (int oi = 0; oi < s->nchanges; oi++) {
      const fl_change_t *c = &s->changes[ord[oi]];
      char t[32];
      fl_format_duration(fl_time_to_sec(c->t), t, sizeof t);
      const char *col = c->to == FL_HEALTH_DOWN ? red : c->to == FL_HEALTH_DEGRADED ? yel : grn;
      fprintf(out, "  t=%-7s %s%s %s%s%s → %s%s%s  %s", t, c->service >= 0 ? "" : "journey ", fl_change_subject(s, c),
              "", fl_health_name(c->from), "", col, fl_health_name(c->to), off, c->reason);
      if (c->parent >= 0) fprintf(out, " ← %s", fl_change_subject(s, &s->changes[c->parent]));
      fputc('\n', out);
    }
  }
  for (int f = 0; f < m->nfaults; f++) {
    const fl_fault_t *ft = &m->faults[f];
    char t[32];
    fl_format_duration(ft->at, t, sizeof t);
    fprintf(out, "\ncascade of fault '%s' (%s on %s at t=%s):", ft->name, fl_fault_kind_name(ft->kind), ft->target->name, t);
    int n = 0;
    for (int oi = 0; oi < s->nchanges; oi++) {
      int i = ord[oi];
      const fl_change_t *c = &s->changes[i];
      if (c->to == FL_HEALTH_OK || root_fault(s, i) != f) continue;
      fl_format_duration(fl_time_to_sec(c->t), t, sizeof t);
      fprintf(out, "%s t=%s %s%s %s", n++ ? " →" : "", t, c->service >= 0 ? "" : "journey ", fl_change_subject(s, c), fl_health_name(c->to));
    }
    if (!n) fprintf(out, " no service changed state");
    fputc('\n', out);
    for (int j = 0; j < m->njourneys; j++) {
      const fl_acc_t *ph = &s->fault[f].phase[j * 3];
      double sr[3];
      for (int p = 0; p < 3; p++) {
        uint64_t done = ph[p].c.successes + ph[p].c.degraded + ph[p].c.failures;
        sr[p] = done ? 100.0 * (double)(ph[p].c.successes + ph[p].c.degraded) / (double)done : 100;
      }
      fprintf(out, "  %-22s success before %6.2f%%  during %s%6.2f%%%s  after %6.2f%%\n", m->journeys[j].name, sr[0],
              sr[1] < 99 ? red : "", sr[1], sr[1] < 99 ? off : "", sr[2]);
    }
  }
  free(ord);
  bool head = false;
  for (int id = 0; id < s->ncalls; id++) {
    const fl_call_rt_t *cr = &s->call[id];
    if (!cr->retries && !cr->budget_denied && !cr->hedges && !cr->bulkhead_rejected && !cr->breaker_rejected && !cr->breaker_opens) continue;
    if (!head) { fprintf(out, "\npolicies\n"); head = true; }
    char name[300];
    call_name(s, id, name, sizeof name);
    fprintf(out, "  %-40s %llu calls, %llu attempts, %llu retries", name, (unsigned long long)cr->calls,
            (unsigned long long)cr->attempts, (unsigned long long)cr->retries);
    if (cr->budget_denied) fprintf(out, " (%llu denied by the budget)", (unsigned long long)cr->budget_denied);
    if (cr->hedges) fprintf(out, ", %llu hedges", (unsigned long long)cr->hedges);
    if (cr->bulkhead_rejected) fprintf(out, ", bulkhead rejected %llu", (unsigned long long)cr->bulkhead_rejected);
    if (cr->breaker_opens || cr->breaker_rejected)
      fprintf(out, ", breaker opened %llu times, rejected %llu", (unsigned long long)cr->breaker_opens, (unsigned long long)cr->breaker_rejected);
    fputc('\n', out);
  }
  for (int i = 0; i < m->nservices; i++) {
    const fl_svc_rt_t *r = &s->svc[i];
    if (!r->rej_rate && !r->rej_shed && !r->ejections) continue;
    if (!head) { fprintf(out, "\npolicies\n"); head = true; }
    fprintf(out, "  %-40s rate limiter rejected %llu, shedding rejected %llu, ejections %llu\n", m->services[i].name,
            (unsigned long long)r->rej_rate, (unsigned long long)r->rej_shed, (unsigned long long)r->ejections);
  }
  if (s->nlogs) {
    fprintf(out, "\nlog\n");
    for (int i = 0; i < s->nlogs; i++) {
      char t[32];
      fl_format_duration(fl_time_to_sec(s->logs[i].t), t, sizeof t);
      fprintf(out, "  t=%-7s %s\n", t, s->logs[i].msg);
    }
  }
  if (s->nsev) {
    fprintf(out, "\nscaling\n");
    for (int i = 0; i < s->nsev; i++) {
      char t[32];
      fl_format_duration(fl_time_to_sec(s->sev[i].t), t, sizeof t);
      fprintf(out, "  t=%-7s %s %d → %d  %s\n", t, m->services[s->sev[i].service].name, s->sev[i].from, s->sev[i].to, s->sev[i].reason);
    }
  }
  if (m->nexpects) {
    fprintf(out, "\nexpectations\n");
    for (int x = 0; x < m->nexpects; x++) {
      char w[512], o[512], d[64];
      fl_expect_wanted(&m->expects[x], w, sizeof w);
      observed_text(s, x, o, sizeof o);
      during_text(&m->expects[x], d, sizeof d);
      bool ok = s->exp[x].passed;
      fprintf(out, "  %s%s%s %s — wanted %s (during %s), observed %s\n", ok ? grn : red, ok ? "PASS" : "FAIL", off,
              m->expects[x].name, w, d, o);
    }
  }
}

static void xml_escape(FILE *f, const char *t) {
  for (; *t; t++) {
    switch (*t) {
    case '<': fputs("&lt;", f); break;
    case '>': fputs("&gt;", f); break;
    case '&': fputs("&amp;", f); break;
    case '"': fputs("&quot;", f); break;
    default: fputc(*t, f);
    }
  }
}

int fl_report_write_junit(const fl_sim_t *s, const char *path, char *err, size_t errlen) {
  const fl_model_t *m = s->m;
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  if (!f) { snprintf(err, errlen, "out of memory"); return -FL_ENOMEM; }
  int failures = 0;
  for (int x = 0; x < m->nexpects; x++) failures += !s->exp[x].passed;
  fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n<testsuite name=\"");
  xml_escape(f, m->name);
  fprintf(f, "\" tests=\"%d\" failures=\"%d\" errors=\"0\">\n", m->nexpects, failures);
  for (int x = 0; x < m->nexpects; x++) {
    char w[512], o[512];
    fl_expect_wanted(&m->expects[x], w, sizeof w);
    observed_text(s, x, o, sizeof o);
    fprintf(f, "  <testcase classname=\"faultline.");
    xml_escape(f, m->name);
    fprintf(f, "\" name=\"");
    xml_escape(f, m->expects[x].name);
    fprintf(f, "\">");
    if (!s->exp[x].passed) {
      fprintf(f, "\n    <failure message=\"wanted ");
      xml_escape(f, w);
      fprintf(f, ", observed ");
      xml_escape(f, o);
      fprintf(f, "\">%s:%d: wanted ", m->expects[x].file, m->expects[x].line);
      xml_escape(f, w);
      fprintf(f, "; observed ");
      xml_escape(f, o);
      fprintf(f, "</failure>\n  ");
    }
    fprintf(f, "</testcase>\n");
  }
  fprintf(f, "</testsuite>\n</testsuites>\n");
  fclose(f);
  int rc = fl_write_atomic(path, buf, len, err, errlen);
  free(buf);
  return rc;
}
