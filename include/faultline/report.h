/* Report writers: they serialize and print a run, computing nothing of their own (what a run
** means comes from faultline/analysis.h). The JSON report and its records, the terminal text,
** JUnit XML, CSV series and the HTML page (reports/). */
#ifndef FAULTLINE_REPORT_H
#define FAULTLINE_REPORT_H

#include <stdio.h>
#include "analysis.h"

typedef struct cJSON cJSON;
typedef struct fl_jsonw fl_jsonw_t;

/* Wall-clock facts: they go to the report's "run" object only. */
typedef struct fl_run_info {
  double wall_seconds;
  uint64_t events;
  double peak_rss_mb;
  char host[128];
} fl_run_info_t;

/* ---- the JSON report (reports/json.c, model_json.c) ---- */

/* Writes the whole report of a run into 'w' as it goes (no tree in memory); 'run' NULL leaves
** the "run" object out. */
void fl_report_json_write(fl_jsonw_t *w, const fl_sim_t *s, const fl_run_info_t *run);
/* The same as the HTML page embeds it: a large run's series decimated to what a screen can show
** (reports/decimate.h); the JSON and CSV reports keep every window. */
void fl_report_json_write_page(fl_jsonw_t *w, const fl_sim_t *s, const fl_run_info_t *run);
/* The report as unformatted JSON text (free()), its length in *len. */
char *fl_report_json_text(const fl_sim_t *s, const fl_run_info_t *run, size_t *len);
/* Writes the report as JSON (cJSON_Print's layout) to 'path', whole or not at all. Returns 0 or
** -FL_EIO / -FL_ENOMEM with a message in err. */
int fl_report_write_json(const fl_sim_t *s, const fl_run_info_t *run, const char *path, char *err, size_t errlen);
/* The resolved model as it is now. */
cJSON *fl_report_model_json(const fl_model_t *m);
/* Watches the model's changes during s's run (hooks' sim:set, the timed mix): from then on the
** report's scenario.model is the model as the run started, and scenario.changes lists each
** change. Installed by fl_run_load; state freed by fl_sim_release. */
void fl_report_model_watch(fl_sim_t *s);
/* The model as the run started (as now when nothing changed it), new. */
cJSON *fl_report_model_start_json(const fl_sim_t *s);
/* Each change in time order: { t, path (as sim:set takes it), from, to } with from and to the
** smallest parts of the model that changed (a number, or an object such as the mix), and the
** hooks' scaling as SVC.instances; new. Up to 10000 model changes, then only their count: */
cJSON *fl_report_model_changes_json(const fl_sim_t *s);
int fl_report_model_changes_dropped(const fl_sim_t *s);
/* The terminal's "model changes" section (the hooks' scaling is in "scaling"); nothing when none. */
void fl_report_model_changes_text(FILE *out, const fl_sim_t *s);
/* Adds "model" (as it started) and, when something changed it, "changes" to the report's scenario object. */
void fl_report_scenario_model(fl_jsonw_t *w, const fl_sim_t *s);

/* ---- one record each (reports/records.c) ----
** Each builds a new object owned by the caller. The JSON report's arrays hold exactly these, and
** `serve` streams the same objects as events, so the live page reads what the report says. */
/* A selector as written: { "product": "X", "country": "!US" }, or the text "product = X, country = !US". */
cJSON *fl_report_where_json(const fl_model_t *m, const fl_attr_match_t *w, int n);
void fl_report_where_text(const fl_model_t *m, const fl_attr_match_t *w, int n, char *buf, size_t len);
cJSON *fl_report_fault_json(const fl_sim_t *s, int f);          /* fault f as scheduled (faults[]) */
/* Instances fault f hits: its count or share, or for "all" the instances in rotation as it started. */
int fl_report_fault_instances(const fl_sim_t *s, int f);
/* Fault f as the live stream shows it: the record, its start and end the times it actually
** started and ended (when it did), and "active": whether it holds now. */
cJSON *fl_report_fault_live_json(const fl_sim_t *s, int f);
cJSON *fl_report_change_json(const fl_sim_t *s, int i);         /* health change s->changes[i] (timeline[]) */
/* Journey j's sessions answered whole after warm-up (the steps' answers summed, think times
** excluded): {answered, mean, p50, p90, p99, max (null when none), slo (its session_slo or null)};
** NULL for a journey of one step without a session_slo. */
cJSON *fl_report_session_time_json(const fl_sim_t *s, int j);
cJSON *fl_report_scale_event_json(const fl_sim_t *s, int i);    /* instance count change s->sev[i] (scaling[]) */
cJSON *fl_report_breaker_event_json(const fl_sim_t *s, int i);  /* breaker state change s->bev[i] (breakers[]) */
cJSON *fl_report_log_line_json(const fl_sim_t *s, int i);       /* message of sim:log s->logs[i] (log[]) */
/* Window w's values: {w, t, services: {NAME: {SERIES: v, ..., failures_by_cause}}, journeys: {...},
** edges: [{from, to, calls, failures}]}: one column of the report's series, while the run holds
** the window at full resolution (fl_sim_kept). */
cJSON *fl_report_window_json(const fl_sim_t *s, uint32_t w);
/* Whether the report carries series k of service 'service' (-1: of a journey): a journey its
** first FL_SER_JOURNEY_COUNT, a service all of them but FL_SER_LAG and FL_SER_LAG_AGE, which
** only brokers have. */
bool fl_report_has_series(const fl_model_t *m, int service, fl_series_t k);
/* The name of call site 'id' as records and the terminal print it: "svc.ep -> svc.ep". */
void fl_report_call_name(const fl_sim_t *s, int id, char *buf, size_t n);

/* ---- cascades, policies, expectations (reports/cascade.c, policies.c, expect.c) ---- */

/* Fault f's cascade: chain (with delay and recovery), services and journeys reached, first hit,
** recovery, and the journeys' impact before, during and after (the report's cascade[f]; its
** timeline[] holds fl_report_change_json() of each change in c->order). */
cJSON *fl_report_fault_cascade_json(const fl_sim_t *s, const fl_cascade_t *c, int f);
/* The health timeline: every change in timeline order (fl_cascade_t.order; 'c' NULL: worked out
** here). */
cJSON *fl_report_timeline_json(const fl_sim_t *s, const fl_cascade_t *c);
/* Entry oi of that timeline (change c->order[oi], with its flapping episode or "folded"). */
cJSON *fl_report_timeline_entry_json(const fl_sim_t *s, const fl_cascade_t *c, int oi);
/* Every fault's cascade, as the report's cascade[] holds them. */
cJSON *fl_report_cascade_json(const fl_sim_t *s, const fl_cascade_t *c);
/* The health timeline and each fault's cascade, for the terminal. */
void fl_report_cascade_lines(FILE *out, const fl_sim_t *s, const fl_cascade_t *c, bool color);

/* Per call site: attempts, retries, breaker, ... (the report's "calls"). */
cJSON *fl_report_calls_json(const fl_sim_t *s, const fl_metrics_t *x);
/* The terminal's "policies" block: call sites and services whose policies acted. */
void fl_report_policies_text(FILE *out, const fl_sim_t *s);

cJSON *fl_report_expectations_json(const fl_sim_t *s);
/* The terminal's "expectations" block: PASS or FAIL, wanted, during, observed. */
void fl_report_expectations_text(FILE *out, const fl_sim_t *s, bool color);
/* A time of the run for the terminal timeline, in one unit for the whole run: seconds under 10
** minutes ("t=90.5s"), minutes under 10 hours ("t=28.33m"), else hours. */
void fl_report_time(const fl_model_t *m, double sec, char *buf, size_t n);
/* The failed expectations' "FAIL name — wanted ..., observed ..." lines (for -q, on stderr). */
void fl_report_expectations_failed(FILE *out, const fl_sim_t *s);
/* The expectation's wanted text, e.g. "success_rate >= 99.5%, p99 < 300ms". */
void fl_expect_wanted(const fl_expect_t *x, char *buf, size_t n);
/* What expectation x observed, e.g. "success_rate 99.1234%, p99 412ms" (rates to 6 digits). */
void fl_expect_observed(const fl_sim_t *s, int x, char *buf, size_t n);

/* ---- terminal (reports/summary.c, text.c, model_text.c) ---- */

/* Writes terminal text to 'out' with what could drive the terminal taken out: control characters
** but newline and tab, C1 controls, and every escape sequence except (when 'color') the summary's
** own colours; bytes that are not UTF-8 become U+FFFD. The summary, the text after it and the
** model printout all pass here, so that a name never moves the cursor or writes the clipboard
** (OSC 52), piped, with NO_COLOR, or in colour. */
void fl_report_terminal_write(FILE *out, const char *text, size_t n, bool color);
/* Inside reports/: runs draw(f, a, b, color) into memory, then fl_report_terminal_write(). */
void fl__report_gated(FILE *out, bool color, void (*draw)(FILE *f, const void *a, const void *b, bool color), const void *a, const void *b);

/* The terminal summary: per service and per journey counts, causes, latency, utilisation. */
void fl_report_summary(FILE *out, const fl_sim_t *s, const fl_run_info_t *run, bool color);
/* What follows the summary: health timeline, cascades, policies, log, scaling, expectations. */
void fl_report_cascade_text(FILE *out, const fl_sim_t *s, bool color);
/* Prints the resolved model (faultline check). */
void fl_report_model(FILE *out, const fl_model_t *m);

/* ---- files (reports/junit.c, csv.c, html.c) ---- */

/* A JUnit XML file: one test case per expectation. Returns 0 or -FL_EIO. */
int fl_report_write_junit(const fl_sim_t *s, const fl_run_info_t *run, const char *path, char *err, size_t errlen);

/* One CSV file per series into folder 'dir' (created if missing; its parent must exist):
** service-NAME.csv and journey-NAME.csv (a row per window), edges.csv (a row per window and
** call edge). Headers: README.md, "CSV series". Returns 0 or -FL_EIO with a message in err. */
int fl_report_write_csv(const fl_sim_t *s, const char *dir, char *err, size_t errlen);
/* A file name fl_report_write_csv() writes (service-*.csv, journey-*.csv, edges.csv): the only
** files a --csv folder may hold, since the folder is replaced whole. */
bool fl_report_csv_file(const char *name);

/* The HTML report: one self-contained page, the report and the laid-out architecture embedded
** as JSON, the script and charts inlined. Returns 0 or -FL_E* with a message in err. */
int fl_report_write_html(const fl_sim_t *s, const fl_run_info_t *run, const char *path, char *err, size_t errlen);
/* The diff page of `compare --html`: one self-contained page drawing two runs side by side and
** overlaid (diagrams, health strips, cascades, journey charts) with the comparison's paired
** differences. 'compare' is fl_compare_json()'s tree; a and b one replication of each variant
** (their reports embedded without "run"). Returns 0 or -FL_E* with a message in err. */
int fl_report_write_diff_html(const cJSON *compare, const fl_sim_t *a, const fl_sim_t *b, const char *path, char *err,
                              size_t errlen);
/* The live dashboard of `serve`: the page around 'graph' with no report, its live script
** (reports/web/live.js, fed by the event stream) spliced in at the template's LIVE marker.
** Returns a new string (free()), its length in *len; NULL when 'graph' is NULL. */
char *fl_report_live_page(const cJSON *graph, size_t *len);

#endif
