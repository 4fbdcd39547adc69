/* The per-window series as CSV files, one per service, one per journey, and one for the call
** edges, for spreadsheets and notebooks. Numbers print in the fewest digits that read back to
** the same double, as in the JSON report. Each file is written as its rows come (no copy of the
** series in memory), whole or not at all. */
#include "faultline/io.h"
#include "faultline/report.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef fl_atomic_t buf_t;

static void add(buf_t *b, const char *s) { fl_atomic_write(b, s, strlen(s)); }

static void add_num(buf_t *b, double v) {
  char s[40];
  snprintf(s, sizeof s, "%.15g", v);
  if (strtod(s, NULL) != v) snprintf(s, sizeof s, "%.17g", v);
  add(b, s);
}

/* A CSV field: quoted when it holds a comma, a quote or a line break. One that a spreadsheet
** would read as a formula (starting with = + - @, a tab or a carriage return) is quoted and
** starts with an apostrophe, which keeps it text (OWASP's advice on CSV injection). */
static void add_field(buf_t *b, const char *s) {
  bool formula = strchr("=+-@\t\r", s[0]) && s[0];
  if (!formula && !strpbrk(s, ",\"\r\n")) { add(b, s); return; }
  add(b, formula ? "\"'" : "\"");
  for (const char *p = s; *p; p++) add(b, *p == '"' ? "\"\"" : (char[2]){ *p, 0 });
  add(b, "\"");
}

/* A file name from an entity's name: letters, digits, '.', '_' and '-' kept, others '_'; a
** name that sanitises like an earlier one ("a b" after "a_b") gets "-2", "-3"... so that no
** file is written twice. 'used' holds the names taken so far (free()d by the caller). */
typedef struct names { char **v; int n, cap; } names_t;

static bool taken(const names_t *u, const char *name) {
  for (int i = 0; i < u->n; i++) if (strcmp(u->v[i], name) == 0) return true;
  return false;
}

static void file_name(char *out, size_t n, const char *dir, const char *prefix, const char *name, names_t *used) {
  char base[256];
  size_t w = (size_t)snprintf(base, sizeof base, "%s", prefix);
  for (const char *p = name; *p && w + 24 < sizeof base; p++) {
    char c = *p;
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    base[w++] = ok ? c : '_';
  }
  base[w] = 0;
  char file[300];
  snprintf(file, sizeof file, "%s.csv", base);
  for (int k = 2; taken(used, file); k++) snprintf(file, sizeof file, "%s-%d.csv", base, k);
  if (used->n == used->cap) { used->cap = used->cap ? used->cap * 2 : 16; used->v = fl_xrealloc(used->v, sizeof *used->v * (size_t)used->cap); }
  used->v[used->n++] = fl_xstrdup(file);
  snprintf(out, n, "%s/%s", dir, file);
}

static bool ends_with(const char *s, const char *end) {
  size_t l = strlen(s), e = strlen(end);
  return l >= e && strcmp(s + l - e, end) == 0;
}

bool fl_report_csv_file(const char *name) {
  return strcmp(name, "edges.csv") == 0 ||
         ((strncmp(name, "service-", 8) == 0 || strncmp(name, "journey-", 8) == 0) && ends_with(name, ".csv"));
}

static void header(buf_t *b, const fl_sim_t *s, int nseries) {
  add(b, fl_sim_consolidated(s) ? "t,width,arrivals,successes,degraded,failures" : "t,arrivals,successes,degraded,failures");
  for (int k = 1; k < FL_CAUSE__COUNT; k++) { add(b, ","); add(b, fl_cause_name((fl_cause_t)k)); }
  for (int k = FL_SER_P50; k < nseries; k++) { add(b, ","); add(b, fl_series_name((fl_series_t)k)); }
  add(b, "\n");
}

static void rows(buf_t *b, const fl_sim_t *s, const fl_stats_t *st, int nseries) {
  for (uint32_t w = 0; w < fl_sim_entries(s); w++) {
    add_num(b, fl_sim_entry_t(s, w));
    if (fl_sim_consolidated(s)) { add(b, ","); add_num(b, fl_sim_entry_width(s, w)); }
    for (int k = FL_SER_ARRIVALS; k <= FL_SER_FAILURES; k++) { add(b, ","); add_num(b, st->series[k][w]); }
    for (int k = 1; k < FL_CAUSE__COUNT; k++) { add(b, ","); add_num(b, st->cause_series[k][w]); }
    for (int k = FL_SER_P50; k < nseries; k++) { add(b, ","); add_num(b, st->series[k][w]); }
    add(b, "\n");
  }
}

typedef struct job { const fl_sim_t *s; const char *tmp; buf_t *b; names_t used; char *err; size_t errlen; } job_t;

/* Every file into folder j->tmp. */
static int write_files(void *arg) {
  job_t *j = arg;
  const fl_sim_t *s = j->s;
  const fl_model_t *m = s->m;
  buf_t *b = j->b;
  char *err = j->err;
  size_t errlen = j->errlen;
  int rc = 0;
  char path[4400];
  for (int i = 0; i < m->nservices && rc == 0; i++) {
    int nser = m->services[i].broker ? FL_SER__COUNT : FL_SER_LAG;   /* lag columns for brokers only */
    file_name(path, sizeof path, j->tmp, "service-", m->services[i].name, &j->used);
    if ((rc = fl_atomic_open(b, path, err, errlen))) break;
    header(b, s, nser);
    rows(b, s, &s->svc[i].st, nser);
    rc = fl_atomic_close(b, err, errlen);
  }
  for (int k = 0; k < m->njourneys && rc == 0; k++) {
    file_name(path, sizeof path, j->tmp, "journey-", m->journeys[k].name, &j->used);
    if ((rc = fl_atomic_open(b, path, err, errlen))) break;
    header(b, s, FL_SER_JOURNEY_COUNT);
    rows(b, s, &s->jrn[k].st, FL_SER_JOURNEY_COUNT);
    rc = fl_atomic_close(b, err, errlen);
  }
  if (rc == 0) {
    snprintf(path, sizeof path, "%s/edges.csv", j->tmp);
    rc = fl_atomic_open(b, path, err, errlen);
  }
  if (rc == 0) {
    add(b, fl_sim_consolidated(s) ? "t,width,from,to,calls,failures\n" : "t,from,to,calls,failures\n");
    for (uint32_t w = 0; w < fl_sim_entries(s); w++)
      for (int i = 0; i < m->nservices; i++) {
        const fl_svc_rt_t *r = &s->svc[i];
        for (int x = 0; x < r->ncallees; x++) {
          add_num(b, fl_sim_entry_t(s, w)); add(b, ",");
          if (fl_sim_consolidated(s)) { add_num(b, fl_sim_entry_width(s, w)); add(b, ","); }
          add_field(b, m->services[i].name); add(b, ",");
          add_field(b, m->services[r->callee[x]].name); add(b, ",");
          add_num(b, r->edge_calls[(size_t)x * s->stride + w]); add(b, ",");
          add_num(b, r->edge_fails[(size_t)x * s->stride + w]); add(b, "\n");
        }
      }
    rc = fl_atomic_close(b, err, errlen);
  }
  return rc;
}

int fl_report_write_csv(const fl_sim_t *s, const char *dir, char *err, size_t errlen) {
  /* every file goes into a fresh folder first, which then takes dir's place whole: an interrupted
  ** run never leaves a mix of old and new files */
  char tmp[4096];
  int rc = fl_dir_fresh(dir, tmp, sizeof tmp, err, errlen);
  if (rc) return rc;
  job_t j = { s, tmp, malloc(sizeof *j.b), { 0 }, err, errlen };
  if (!j.b) rc = -FL_ENOMEM;
  else {
    j.b->fd = -1;
    rc = fl_try_alloc(write_files, &j);
  }
  if (rc == -FL_ENOMEM) {   /* out of memory: the file being written is dropped with the folder */
    if (j.b && j.b->fd >= 0) { fl_atomic_fail(j.b, ENOMEM); fl_atomic_close(j.b, err, errlen); }
    snprintf(err, errlen, "cannot write into '%s': out of memory", dir);
  }
  free(j.b);
  for (int i = 0; i < j.used.n; i++) free(j.used.v[i]);
  free(j.used.v);
  if (rc == 0) return fl_dir_swap(tmp, dir, fl_report_csv_file, err, errlen);
  fl_dir_remove(tmp, fl_report_csv_file);
  return rc;
}
