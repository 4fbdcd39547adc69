/* Report writers: the JSON report (cJSON), the terminal summary, and whole-or-nothing file output. */
#ifndef FAULTLINE_REPORT_H
#define FAULTLINE_REPORT_H

#include <stdio.h>
#include "sim.h"

typedef struct cJSON cJSON;

/* Wall-clock facts: they go to the report's "run" object only. */
typedef struct fl_run_info {
  double wall_seconds;
  uint64_t events;
  double peak_rss_mb;
  char host[128];
} fl_run_info_t;

/* Builds the whole report of a run. The caller owns the tree (cJSON_Delete). */
cJSON *fl_report_json(const fl_sim_t *s, const fl_run_info_t *run);

/* Parts of the report, each a new tree owned by the caller (reports/cascade.c). */
cJSON *fl_report_faults_json(const fl_sim_t *s);
cJSON *fl_report_timeline_json(const fl_sim_t *s);
/* One health change (s->changes[i]) as the timeline shows it. */
cJSON *fl_report_change_json(const fl_sim_t *s, int i);
cJSON *fl_report_cascade_json(const fl_sim_t *s);
cJSON *fl_report_expectations_json(const fl_sim_t *s);
cJSON *fl_report_calls_json(const fl_sim_t *s);      /* per call site: attempts, retries, breaker, ... */
cJSON *fl_report_scaling_json(const fl_sim_t *s);    /* instance count changes */
cJSON *fl_report_breakers_json(const fl_sim_t *s);   /* breaker state changes */
cJSON *fl_report_log_json(const fl_sim_t *s);        /* messages of sim:log */
/* Name of the entity a change is about: a service or a journey. */
const char *fl_change_subject(const fl_sim_t *s, const fl_change_t *c);
/* The expectation's wanted text, e.g. "success_rate >= 99.5%, p99 < 300ms". */
void fl_expect_wanted(const fl_expect_t *x, char *buf, size_t n);
/* What expectation x observed, as the terminal and JUnit show it, e.g. "success_rate 97.1234%, p99 412ms". */
void fl_expect_observed(const fl_sim_t *s, int x, char *buf, size_t n);

/* The cascade timeline and expectations, for the terminal. */
void fl_report_cascade_text(FILE *out, const fl_sim_t *s, bool color);

/* A JUnit XML file: one test case per expectation. Returns 0 or -FL_EIO. */
int fl_report_write_junit(const fl_sim_t *s, const char *path, char *err, size_t errlen);

/* Writes 'data' to 'path' through a temporary file and rename: whole or not at all.
** Returns 0, or -FL_EIO with a message in err. */
int fl_write_atomic(const char *path, const char *data, size_t len, char *err, size_t errlen);

/* Prints and writes the report as JSON to 'path'. Returns 0 or -FL_EIO. */
int fl_report_write_json(const fl_sim_t *s, const fl_run_info_t *run, const char *path, char *err, size_t errlen);

/* The HTML report (reports/html.c): one self-contained page, the report and the laid-out
** architecture embedded as JSON, the script and charts inlined. Returns 0 or -FL_E* with a
** message in err. */
int fl_report_write_html(const fl_sim_t *s, const fl_run_info_t *run, const char *path, char *err, size_t errlen);
/* The page's text around 'report' and 'graph' (either may be NULL: a page that receives its
** data later, as the live dashboard does). Returns a new string (free()), its length in *len. */
char *fl_report_html_page(const cJSON *report, const cJSON *graph, size_t *len);

/* One CSV file per series into folder 'dir' (created if missing; its parent must exist):
** service-NAME.csv and journey-NAME.csv (a row per window), edges.csv (a row per window and
** call edge). Headers: README.md, "CSV series". Returns 0 or -FL_EIO with a message in err. */
int fl_report_write_csv(const fl_sim_t *s, const char *dir, char *err, size_t errlen);

/* The terminal summary: per service and per journey counts, causes, latency, utilisation. */
void fl_report_summary(FILE *out, const fl_sim_t *s, const fl_run_info_t *run, bool color);

/* Prints the resolved model (faultline check). */
void fl_report_model(FILE *out, const fl_model_t *m);

#endif
