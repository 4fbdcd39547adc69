/* The per-window series as CSV files, one per service, one per journey, and one for the call
** edges, for spreadsheets and notebooks. Numbers print in the fewest digits that read back to
** the same double, as in the JSON report. */
#include "faultline/io.h"
#include "faultline/report.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef fl_text_t buf_t;

static void add(buf_t *b, const char *s) { fl_text_puts(b, s); }

static void add_num(buf_t *b, double v) {
  char s[40];
  snprintf(s, sizeof s, "%.15g", v);
  if (strtod(s, NULL) != v) snprintf(s, sizeof s, "%.17g", v);
  add(b, s);
}

/* A CSV field: quoted when it holds a comma, a quote or a line break. */
static void add_field(buf_t *b, const char *s) {
  if (!strpbrk(s, ",\"\r\n")) { add(b, s); return; }
  add(b, "\"");
  for (const char *p = s; *p; p++) add(b, *p == '"' ? "\"\"" : (char[2]){ *p, 0 });
  add(b, "\"");
}

/* A file name from an entity's name: letters, digits, '.', '_' and '-' kept, others '_'. */
static void file_name(char *out, size_t n, const char *dir, const char *prefix, const char *name) {
  size_t w = (size_t)snprintf(out, n, "%s/%s", dir, prefix);
  for (const char *p = name; *p && w + 5 < n; p++) {
    char c = *p;
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    out[w++] = ok ? c : '_';
  }
  snprintf(out + w, n - w, ".csv");
}

static void header(buf_t *b, int nseries) {
  add(b, "t,arrivals,successes,degraded,failures");
  for (int k = 1; k < FL_CAUSE__COUNT; k++) { add(b, ","); add(b, fl_cause_name((fl_cause_t)k)); }
  for (int k = FL_SER_P50; k < nseries; k++) { add(b, ","); add(b, fl_series_name((fl_series_t)k)); }
  add(b, "\n");
}

static void rows(buf_t *b, const fl_sim_t *s, const fl_stats_t *st, int nseries) {
  for (uint32_t w = 0; w < s->wdone; w++) {
    add_num(b, fl_time_to_sec((fl_time_t)w * s->window));
    for (int k = FL_SER_ARRIVALS; k <= FL_SER_FAILURES; k++) { add(b, ","); add_num(b, st->series[k][w]); }
    for (int k = 1; k < FL_CAUSE__COUNT; k++) { add(b, ","); add_num(b, st->cause_series[k][w]); }
    for (int k = FL_SER_P50; k < nseries; k++) { add(b, ","); add_num(b, st->series[k][w]); }
    add(b, "\n");
  }
}

static int flush(buf_t *b, const char *path, char *err, size_t errlen) {
  int rc = fl_write_atomic(path, b->p ? b->p : "", b->n, err, errlen);
  fl_text_clear(b);
  return rc;
}

int fl_report_write_csv(const fl_sim_t *s, const char *dir, char *err, size_t errlen) {
  const fl_model_t *m = s->m;
  if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
    snprintf(err, errlen, "cannot create folder '%s': %s", dir, strerror(errno));
    return -FL_EIO;
  }
  buf_t b = { 0 };
  char path[4096];
  int rc = 0;
  for (int i = 0; i < m->nservices && rc == 0; i++) {
    int nser = m->services[i].broker ? FL_SER__COUNT : FL_SER_LAG;   /* lag columns for brokers only */
    header(&b, nser);
    rows(&b, s, &s->svc[i].st, nser);
    file_name(path, sizeof path, dir, "service-", m->services[i].name);
    rc = flush(&b, path, err, errlen);
  }
  for (int j = 0; j < m->njourneys && rc == 0; j++) {
    header(&b, FL_SER_JOURNEY_COUNT);
    rows(&b, s, &s->jrn[j].st, FL_SER_JOURNEY_COUNT);
    file_name(path, sizeof path, dir, "journey-", m->journeys[j].name);
    rc = flush(&b, path, err, errlen);
  }
  if (rc == 0) {
    add(&b, "t,from,to,calls,failures\n");
    for (uint32_t w = 0; w < s->wdone; w++)
      for (int i = 0; i < m->nservices; i++) {
        const fl_svc_rt_t *r = &s->svc[i];
        for (int x = 0; x < r->ncallees; x++) {
          add_num(&b, fl_time_to_sec((fl_time_t)w * s->window)); add(&b, ",");
          add_field(&b, m->services[i].name); add(&b, ",");
          add_field(&b, m->services[r->callee[x]].name); add(&b, ",");
          add_num(&b, r->edge_calls[(size_t)x * s->nwindows + w]); add(&b, ",");
          add_num(&b, r->edge_fails[(size_t)x * s->nwindows + w]); add(&b, "\n");
        }
      }
    snprintf(path, sizeof path, "%s/edges.csv", dir);
    rc = flush(&b, path, err, errlen);
  }
  fl_text_release(&b);
  return rc;
}
