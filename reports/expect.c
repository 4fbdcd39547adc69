/* Expectations as the report, the terminal and JUnit show them: the wanted text, the scope
** ("during"), what was observed, and PASS or FAIL. */
#include "faultline/report.h"
#include "faultline/units.h"

#include <cJSON.h>
#include <string.h>

static void add_num(cJSON *o, const char *k, double v) { cJSON_AddItemToObject(o, k, cJSON_CreateNumber(v)); }

static void pct(double v, char *buf, size_t n) { snprintf(buf, n, "%.6g%%", 100 * v); }

/* An extra measure's value as text: a share, a duration, a rate or messages. */
static void xvalue(fl_xmeasure_t q, double v, char *buf, size_t n) {
  switch (q) {
  case FL_EXM_ERROR_RATE: case FL_EXM_UTILIZATION: pct(v, buf, n); break;
  case FL_EXM_THROUGHPUT: snprintf(buf, n, "%.6g/s", v); break;
  case FL_EXM_LAG: snprintf(buf, n, "%.0f", v); break;
  default: fl_format_duration(v, buf, n); break;
  }
}

void fl_expect_wanted(const fl_expect_t *x, char *buf, size_t n) {
  size_t w = 0;
  char v[32];
  buf[0] = 0;
  if (x->has_success) { pct(x->success_rate, v, sizeof v); w += (size_t)snprintf(buf + w, n - w, "success_rate %s %s", x->success_op, v); }
  if (x->has_p99 && w < n) { fl_format_duration(x->p99, v, sizeof v); w += (size_t)snprintf(buf + w, n - w, "%sp99 %s %s", w ? ", " : "", x->p99_op, v); }
  if (x->has_p50 && w < n) { fl_format_duration(x->p50, v, sizeof v); w += (size_t)snprintf(buf + w, n - w, "%sp50 %s %s", w ? ", " : "", x->p50_op, v); }
  for (int k = 0; k < x->nmore && w < n; k++) {
    xvalue(x->more[k].measure, x->more[k].value, v, sizeof v);
    w += (size_t)snprintf(buf + w, n - w, "%s%s %s %s", w ? ", " : "", fl_xmeasure_name(x->more[k].measure), x->more[k].op, v);
  }
  if (x->no_cascade && w < n)
    snprintf(buf + w, n - w, "%sno cascade from %s beyond its direct callers", w ? ", " : "", x->no_cascade->name);
}

static void during_text(const fl_expect_t *x, char *buf, size_t n) {
  char a[32], b[32];
  switch (x->during) {
  case FL_EXPECT_FAULT: snprintf(buf, n, "fault:%s", x->fault_name); break;
  case FL_EXPECT_STEADY: snprintf(buf, n, "steady"); break;
  case FL_EXPECT_AFTER:
    if (x->recovers_within > 0) { fl_format_duration(x->recovers_within, a, sizeof a); snprintf(buf, n, "after:%s, recovered within %s", x->fault_name, a); }
    else snprintf(buf, n, "after:%s", x->fault_name);
    break;
  case FL_EXPECT_RANGE: fl_format_duration(x->from, a, sizeof a); fl_format_duration(x->to, b, sizeof b); snprintf(buf, n, "%s-%s", a, b); break;
  default: snprintf(buf, n, "all"); break;
  }
}

/* The scope as the terminal shows it: "all", or "all, where country = !US". */
static void scope_text(const fl_model_t *m, const fl_expect_t *x, char *buf, size_t n) {
  during_text(x, buf, n);
  if (!x->nwhere) return;
  size_t k = strlen(buf);
  if (k + 9 >= n) return;
  memcpy(buf + k, ", where ", 9);
  fl_report_where_text(m, x->where, x->nwhere, buf + k + 8, n - k - 8);
}

/* Requests answered in the scope (success_rate's denominator), and those with a latency. */
static uint64_t answered(const fl_exp_rt_t *er) { return er->acc.c.successes + er->acc.c.degraded + er->acc.c.failures; }
static bool has_latency(const fl_exp_rt_t *er) { return er->acc.h && er->acc.h->count > 0; }

/* An observed duration as text: "n/a" when nothing was answered, and with more digits when the
** rounded text would read as the wanted value while the comparison says otherwise. */
static void observed_duration(double obs, double wanted, bool any, char *v, size_t n) {
  if (!any) { snprintf(v, n, "n/a"); return; }
  char a[32];
  fl_format_duration(obs, v, n);
  fl_format_duration(wanted, a, sizeof a);
  if (obs != wanted && strcmp(a, v) == 0) snprintf(v, n, "%.9gs", obs);
}

void fl_expect_observed(const fl_sim_t *s, int x, char *buf, size_t n) {
  const fl_expect_t *ex = &s->m->expects[x];
  const fl_exp_rt_t *er = &s->exp[x];
  size_t w = 0;
  char v[32];
  buf[0] = 0;
  if (ex->has_success) {
    if (answered(er)) pct(er->success_rate, v, sizeof v); else snprintf(v, sizeof v, "n/a");
    w += (size_t)snprintf(buf + w, n - w, "success_rate %s", v);
  }
  if (ex->has_p99 && w < n) { observed_duration(er->p99, ex->p99, has_latency(er), v, sizeof v); w += (size_t)snprintf(buf + w, n - w, "%sp99 %s", w ? ", " : "", v); }
  if (ex->has_p50 && w < n) { observed_duration(er->p50, ex->p50, has_latency(er), v, sizeof v); w += (size_t)snprintf(buf + w, n - w, "%sp50 %s", w ? ", " : "", v); }
  for (int k = 0; k < ex->nmore && w < n; k++) {
    fl_xmeasure_t q = ex->more[k].measure;
    if (!er->seen[q]) snprintf(v, sizeof v, "n/a");
    else if (q == FL_EXM_ERROR_RATE || q == FL_EXM_UTILIZATION || q == FL_EXM_THROUGHPUT || q == FL_EXM_LAG) xvalue(q, er->more[q], v, sizeof v);
    else observed_duration(er->more[q], ex->more[k].value, true, v, sizeof v);
    w += (size_t)snprintf(buf + w, n - w, "%s%s %s", w ? ", " : "", fl_xmeasure_name(q), v);
  }
  if (er->detail[0] && w < n) snprintf(buf + w, n - w, "%s%s", w ? "; " : "", er->detail);
}

cJSON *fl_report_expectations_json(const fl_sim_t *s) {
  cJSON *a = cJSON_CreateArray();
  for (int x = 0; x < s->m->nexpects; x++) {
    const fl_expect_t *ex = &s->m->expects[x];
    const fl_exp_rt_t *er = &s->exp[x];
    cJSON *o = cJSON_CreateObject();
    char buf[512];
    cJSON_AddStringToObject(o, "name", ex->name);
    cJSON_AddBoolToObject(o, "passed", er->passed);
    if (ex->subject) cJSON_AddStringToObject(o, ex->endpoint ? "endpoint" : ex->service ? "service" : "journey", ex->subject);
    during_text(ex, buf, sizeof buf);
    cJSON_AddStringToObject(o, "during", buf);
    if (ex->nwhere) cJSON_AddItemToObject(o, "where", fl_report_where_json(s->m, ex->where, ex->nwhere));
    fl_expect_wanted(ex, buf, sizeof buf);
    cJSON_AddStringToObject(o, "wanted", buf);
    cJSON *obs = cJSON_AddObjectToObject(o, "observed");
    /* null: nothing was observed (no request answered in the scope) */
    if (ex->has_success) { if (answered(er)) add_num(obs, "success_rate", er->success_rate); else cJSON_AddNullToObject(obs, "success_rate"); }
    if (ex->has_p99) { if (has_latency(er)) add_num(obs, "p99", er->p99); else cJSON_AddNullToObject(obs, "p99"); }
    if (ex->has_p50) { if (has_latency(er)) add_num(obs, "p50", er->p50); else cJSON_AddNullToObject(obs, "p50"); }
    for (int k = 0; k < ex->nmore; k++) {
      fl_xmeasure_t q = ex->more[k].measure;
      if (er->seen[q]) add_num(obs, fl_xmeasure_name(q), er->more[q]); else cJSON_AddNullToObject(obs, fl_xmeasure_name(q));
    }
    if (er->detail[0]) cJSON_AddStringToObject(obs, "detail", er->detail);
    cJSON_AddItemToArray(a, o);
  }
  return a;
}

void fl_report_expectations_text(FILE *out, const fl_sim_t *s, bool color) {
  const fl_model_t *m = s->m;
  const char *red = color ? "\033[31m" : "", *grn = color ? "\033[32m" : "", *off = color ? "\033[0m" : "";
  if (!m->nexpects) return;
  fprintf(out, "\nexpectations\n");
  for (int x = 0; x < m->nexpects; x++) {
    char w[512], o[512], d[320];
    fl_expect_wanted(&m->expects[x], w, sizeof w);
    fl_expect_observed(s, x, o, sizeof o);
    scope_text(m, &m->expects[x], d, sizeof d);
    bool ok = s->exp[x].passed;
    fprintf(out, "  %s%s%s %s — wanted %s (during %s), observed %s\n", ok ? grn : red, ok ? "PASS" : "FAIL", off,
            m->expects[x].name, w, d, o);
  }
}

void fl_report_expectations_failed(FILE *out, const fl_sim_t *s) {
  const fl_model_t *m = s->m;
  for (int x = 0; x < m->nexpects; x++) {
    if (s->exp[x].passed) continue;
    char w[512], o[512], d[320];
    fl_expect_wanted(&m->expects[x], w, sizeof w);
    fl_expect_observed(s, x, o, sizeof o);
    scope_text(m, &m->expects[x], d, sizeof d);
    fprintf(out, "FAIL %s — wanted %s (during %s), observed %s\n", m->expects[x].name, w, d, o);
  }
}
