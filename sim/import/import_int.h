/* Shared by the importers (the files of sim/import/): errors with file and line, JSON with the line of
** every value, the service graph read from tracing data and its writer, the fault writer for
** chaos experiments, and text helpers for the scenario language. */
#ifndef FAULTLINE_SIM_IMPORT_INT_H
#define FAULTLINE_SIM_IMPORT_INT_H

#include "faultline/import.h"

#include <cJSON.h>
#include <stdarg.h>
#include <stdio.h>

/* ---- errors and notes ---- */

/* Writes "file:line: message" (no line when line <= 0) into err; returns -FL_EPARSE. */
int fl__imp_err(char *err, size_t n, const char *file, int line, const char *fmt, ...)
  __attribute__((format(printf, 5, 6)));
/* Writes "faultline: note: ...\n" to 'notes' unless NULL. */
void fl__imp_note(FILE *notes, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Reads a whole file, NUL-terminated, into *text (caller frees). Returns 0 or -FL_EIO. */
int fl__imp_read_file(const char *path, char **text, size_t *len, char *err, size_t n);

/* ---- JSON with lines (cJSON keeps no positions: a second pass over the text finds them) ---- */

typedef struct fl_jline { const cJSON *node; int line; } fl_jline_t;

typedef struct fl_json {
  cJSON *root;
  const char *file;
  fl_jline_t *lines; size_t nlines;   /* sorted by node address */
} fl_json_t;

/* Parses 'text'. Invalid JSON: "file:line:col: invalid JSON ..." in err, -FL_EPARSE. */
int fl__json_parse(fl_json_t *j, const char *file, const char *text, size_t len, char *err, size_t n);
/* The same for a part of a file (one document of JSON Lines) that starts at line 'first_line':
** lines, in errors and from fl__json_line, count from there. 'text' is NUL-terminated at len. */
int fl__json_parse_at(fl_json_t *j, const char *file, const char *text, size_t len, int first_line, char *err, size_t n);
/* The line where 'node' starts (1-based), or 0. */
int fl__json_line(const fl_json_t *j, const cJSON *node);
void fl__json_release(fl_json_t *j);
/* A JSON value's type in words: "a string", "a number", ... */
const char *fl__json_type(const cJSON *v);

/* ---- text for the scenario language ---- */

/* Writes 's' as a Lua string literal (quotes, escapes). */
void fl__lua_string(FILE *out, const char *s);
/* A rate as the scenario language reads it, in the unit that keeps it at 1 or more: "3/s", "2/m", "5/h". */
void fl__fmt_rate(char *buf, size_t n, double r);
/* The scenario { ... } line of an imported skeleton: its name, and the duration and warm-up from
** --duration (a tenth of it) or guessed (10m, 1m), with a comment saying which. */
void fl__write_scenario_line(FILE *out, const char *name, const fl_import_opts_t *o);
/* Seconds as a duration literal with 4 significant digits: "12.5ms", "1.25s", "250us". */
void fl__fmt_dur(char *buf, size_t n, double seconds);
/* Turns 'name' into a valid service name in place ('.', '=', ',' and controls become '_').
** Returns true when it changed anything. */
bool fl__sanitize_name(char *name);

/* ---- the service graph ---- */

typedef struct fl_ibucket { double le, count; } fl_ibucket_t;

/* A latency histogram, Prometheus style: cumulative bucket counts by upper bound. */
typedef struct fl_ihist {
  fl_ibucket_t *b; int n, cap;
  double sum, count;
  bool has_sum, has_count;
} fl_ihist_t;

void fl__hist_add(fl_ihist_t *h, double le, double count);  /* adds to the bucket 'le' */
void fl__hist_merge(fl_ihist_t *dst, const fl_ihist_t *src);
/* Prometheus' histogram_quantile: NAN when there is nothing to read. *beyond is set when the
** quantile falls in the +Inf bucket (the result is then the last finite bound). */
double fl__hist_quantile(const fl_ihist_t *h, double q, bool *beyond);
double fl__hist_mean(const fl_ihist_t *h);      /* sum / count, or NAN */
double fl__hist_total(const fl_ihist_t *h);     /* observations: count, else the +Inf bucket */
void fl__hist_release(fl_ihist_t *h);

typedef struct fl_iedge {
  int from, to;
  double count, failed;
  bool has_failed;
  fl_ihist_t server, client;  /* the callee's and the caller's view of the call's latency */
  int line;                   /* where the call was first read */
  bool line_final;            /* 'line' is where its count was read (otel) */
  bool dropped;               /* by --drop, or to break a cycle */
  char *cut;                  /* dropped to break a cycle: the cycle, for the comment (owned) */
} fl_iedge_t;

typedef struct fl_inode {
  char *name;                 /* as in the data */
  char *sname;                /* as a service name */
  int line;
} fl_inode_t;

typedef struct fl_igraph {
  const char *file;
  const char *source;         /* "Jaeger dependencies", ... */
  const char *format;         /* the import command's format: "jaeger", "otel" */
  const char *external;       /* a virtual client node for requests from outside ("user"), or NULL */
  fl_inode_t *nodes; int nnodes, ncap;
  fl_iedge_t *edges; int nedges, ecap;
  double window;              /* seconds the counts cover, 0: unknown */
  char window_how[160];       /* how the window was found, for the comments */
  bool has_latency;           /* the format can carry latencies (otel) */
  int *nhash, nhcap, *ehash, ehcap;   /* open addressing: node by name, edge by (from, to) */
  double window_guess;         /* used when the window is neither given nor in the data */
  const char *window_guess_why;
} fl_igraph_t;

int fl__graph_node(fl_igraph_t *g, const char *name, int line);
/* The call from -> to, added with zero counts when new. */
fl_iedge_t *fl__graph_edge(fl_igraph_t *g, int from, int to, int line);
void fl__graph_release(fl_igraph_t *g);
/* Validates (cycles), derives rates, probabilities, work times and sizes, writes the scenario. */
int fl__graph_write(fl_igraph_t *g, const fl_import_opts_t *o, FILE *out, FILE *notes, char *err, size_t n);

int fl__import_jaeger(const char *path, const char *text, size_t len, fl_igraph_t *g, char *err, size_t n);
int fl__import_otel(const char *path, const char *text, size_t len, fl_igraph_t *g, char *err, size_t n);

/* ---- traces ---- */

/* Reads spans (Jaeger's trace JSON, OTLP JSON traces, or JSON Lines of either) and writes a
** scenario with one endpoint per operation (sim/import/traces.c). */
int fl__import_traces(const char *path, const char *text, size_t len, const fl_import_opts_t *o, FILE *out, FILE *notes,
                      char *err, size_t n);

/* ---- faults from chaos experiments ---- */

#define FL__IMP_DEFAULT_AT 60.0     /* seconds: the sources give no start time */
#define FL__IMP_DEFAULT_HORIZON 600.0   /* seconds: the scenario's length when none is given */

/* One fault to write, with what it came from and why it looks as it does. */
typedef struct fl_ifault {
  const char *kind;           /* "latency", "crash", ...; NULL: no equivalent (only comments) */
  char target[128], from[128];   /* from: partitions and link faults */
  bool link;                  /* latency or errors on the calls from -> target only */
  bool template_only;         /* written commented out: ready to use, not in the source (a link
                              ** without toxics) or an alternative to another fault (see why) */
  double value;               /* latency seconds, errors rate, slowdown factor */
  int instances;              /* crash, hang, capacity: count (0: all) */
  double share;               /* ... or a share of instances when > 0 */
  double at, duration;        /* duration 0: to the end */
  bool at_guessed, duration_guessed;
  char name[192];
  char via[256];              /* what in the source it acts through (a Toxiproxy proxy's upstream), or "" */
  char origin[320];           /* "toxiproxy.json:12" */
  char what[1024];            /* the source's fault in its own words */
  char why[1024];             /* notes on the mapping, '\n'-separated */
} fl_ifault_t;

typedef struct fl_ifaults {
  fl_ifault_t *v; int n, cap;
  const fl_import_opts_t *o;
  const char *file, *source;
  int unmapped;               /* entries without equivalent */
  int templates;              /* entries written as commented-out, ready-to-use faults */
  double horizon;             /* the scenario's length: schedules repeat up to it */
  bool horizon_guessed;
} fl_ifaults_t;

fl_ifault_t *fl__faults_add(fl_ifaults_t *fs);
/* Appends a line of explanation to f->why. */
void fl__fault_why(fl_ifault_t *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Picks the service for a list of candidate names (NULL-ended; the first fitting one wins):
** with a scenario, the first that names one of its services (exactly, then ignoring case and
** '-' versus '_'); without, the first candidate, as a service name. Returns false when none fits. */
bool fl__faults_map(const fl_ifaults_t *fs, const char *const *cands, char *out, size_t n);
/* Does 'caller' call 'callee' in the scenario? (false without one) */
bool fl__faults_calls(const fl_ifaults_t *fs, const char *caller, const char *callee);
/* Writes the callers of 'callee' other than 'except' (comma-separated) into buf; false: none. */
bool fl__faults_other_callers(const fl_ifaults_t *fs, const char *callee, const char *except, char *buf, size_t n);
int fl__faults_write(fl_ifaults_t *fs, FILE *out, FILE *notes, char *err, size_t n);
void fl__faults_release(fl_ifaults_t *fs);

int fl__import_toxiproxy(const char *path, const char *text, size_t len, fl_ifaults_t *fs, char *err, size_t n);
int fl__import_chaos_mesh(const char *path, const char *text, size_t len, fl_ifaults_t *fs, char *err, size_t n);

/* Go's time.ParseDuration ("1m30s", "300ms", "1.5h"): 0 or -1. */
int fl__parse_go_duration(const char *s, double *seconds);

#endif
