/* The scenario written from the trace importer's model (traces.c): the header comments on what
** was read, derived and guessed, one service per traced service with its endpoints (work
** percentiles, error rates, calls in steps and parallel groups, each marked with what it came
** from), and the entry traffic with its mix. */
#include "traces_int.h"

#include "faultline/units.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* The q-quantile of sorted v (linear between order statistics, as numpy's default). */
static double quantile(const double *v, int n, double q) {
  if (n <= 0) return NAN;
  double h = (n - 1) * q;
  int lo = (int)floor(h);
  if (lo >= n - 1) return v[n - 1];
  return v[lo] + (h - lo) * (v[lo + 1] - v[lo]);
}

static const tsvc_t *svc_of_ep(const tr_t *t, int ep) {
  for (int i = 0; i < t->nsvc; i++) if (t->svc[i].svc == t->ep[ep].svc) return &t->svc[i];
  return NULL;
}


static void call_target(FILE *out, const tr_t *t, int ep) {
  const tep_t *e = &t->ep[ep];
  char *s = fl_xmalloc(strlen(svc_of_ep(t, ep)->name) + strlen(e->name) + 2);
  sprintf(s, "%s.%s", svc_of_ep(t, ep)->name, e->name);
  fl__lua_string(out, s);
  free(s);
}

/* ---- writing ---- */

/* The knots of the work distributions: denser in the tail, where the quantile function bends most
** and linear interpolation between knots would put too much weight (sums of calls feel it). */
static const double pts[] = { 0.01, 0.05, 0.1, 0.2, 0.35, 0.5, 0.65, 0.8, 0.9, 0.95, 0.975, 0.99, 0.995, 0.9975, 0.999 };

static void write_work(FILE *out, tep_t *e) {
  if (e->nown > 1) qsort(e->own, (size_t)e->nown, sizeof *e->own, cmp_double);   /* a peer service has no spans: own is NULL */
  fprintf(out, "      work = percentiles {");
  int w = 0;
  for (size_t i = 0; i < sizeof pts / sizeof pts[0]; i++) {
    double p = pts[i];
    /* a point needs five spans on each side of it (the median: one span is enough) */
    if (p != 0.5 && (e->nown * p < 5 || e->nown * (1 - p) < 5)) continue;
    char d[32], key[48];
    fl__fmt_dur(d, sizeof d, quantile(e->own, e->nown, p));
    if (p * 100 == floor(p * 100)) snprintf(key, sizeof key, "p%d", (int)lround(p * 100));
    else snprintf(key, sizeof key, "[\"p%.6g\"]", p * 100);
    fprintf(out, "%s %s = \"%s\"", w++ ? "," : "", key, d);
  }
  double mean = 0;
  for (int i = 0; i < e->nown; i++) mean += e->own[i];
  char m[32];
  fl__fmt_dur(m, sizeof m, e->nown ? mean / e->nown : 0);
  fprintf(out, " },\n      -- derived: its own time (the span less the time its calls cover) in %d spans, mean %s%s\n", e->nown, m,
          e->nown < 10 ? "; few spans: only the median is written" : "");
}

static void write_slot_comment(FILE *out, const tr_t *t, const tep_t *e, const tslot_t *s, double p) {
  char off[32];
  fl__fmt_dur(off, sizeof off, s->present ? s->off_sum / s->present : 0);
  fprintf(out, "  -- read: in %d of %d spans (%.4g%%), started %s after the span on average", s->present, e->n, 100.0 * s->present / e->n, off);
  if (s->k > 0) fprintf(out, "; call %d to it in the span", s->k + 1);
  if (s->err) fprintf(out, "; failed %d time%s", s->err, s->err == 1 ? "" : "s");
  if (e->n && p > (double)s->present / e->n + 1e-9) fprintf(out, "; p per span that passes its error draw (failed draws make no calls)");
  (void)t;
  fprintf(out, "\n");
}

/* One call with its options. */
static void write_call(FILE *out, const tr_t *t, const tep_t *e, const tslot_t *s, double own_err, double *p_out) {
  double p = e->n ? (double)s->present / e->n : 0;
  if (own_err > 0 && own_err < 1) p /= 1 - own_err;
  if (p > 1) p = 1;
  *p_out = p;
  int err = 0, survived = 0;
  for (int i = 0; i < e->nslots; i++) if (e->slots[i].callee == s->callee) { err += e->slots[i].err; survived += e->slots[i].err_survived; }
  bool optional = err > 0 && 2 * survived > err;
  fprintf(out, "call ");
  call_target(out, t, s->callee);
  char opts[96] = "";
  size_t w = 0;
  if (p < 1 - 1e-9) w += (size_t)snprintf(opts + w, sizeof opts - w, "p = %.6g", p);
  if (optional) w += (size_t)snprintf(opts + w, sizeof opts - w, "%soptional = true", w ? ", " : "");
  if (s->async) w += (size_t)snprintf(opts + w, sizeof opts - w, "%sasync = true", w ? ", " : "");
  if (w) fprintf(out, " { %s }", opts);
}

static void write_calls(FILE *out, const tr_t *t, tep_t *e, double own_err) {
  int m = e->nslots, live = 0;
  for (int i = 0; i < m; i++) live += !e->slots[i].dropped;
  if (!live && !e->cut && !e->slots_over) return;
  int *order = fl_xmalloc(((size_t)m + 1) * sizeof *order);
  fl__traces_group_slots(e, order);
  fprintf(out, "      calls = {\n");
  for (int a = 0; a < m;) {
    int g = e->slots[order[a]].group, b = a;
    while (b < m && e->slots[order[b]].group == g) b++;
    int nlive = 0;
    for (int k = a; k < b; k++) nlive += !e->slots[order[k]].dropped;
    if (nlive > 1) fprintf(out, "        parallel {  -- derived: these overlapped in time in most spans that had them together\n");
    for (int k = a; k < b; k++) {
      const tslot_t *s = &e->slots[order[k]];
      if (s->dropped) continue;
      double p;
      fprintf(out, nlive > 1 ? "          " : "        ");
      write_call(out, t, e, s, own_err, &p);
      fprintf(out, ",");
      write_slot_comment(out, t, e, s, p);
    }
    if (nlive > 1) fprintf(out, "        },\n");
    a = b;
  }
  if (e->cut) fprintf(out, "        -- left out to break a cycle: the call to %s\n", e->cut);
  if (e->slots_over) fprintf(out, "        -- not written: %d more calls (over %d distinct calls per operation)\n", e->slots_over, MAX_SLOTS);
  fprintf(out, "      },\n");
  free(order);
}

void fl__traces_write(tr_t *t, FILE *out, double rate, const char *rate_how, int roots, int ncut) {
  const fl_import_opts_t *o = t->o;
  char name[256];
  if (o->name) snprintf(name, sizeof name, "%s", o->name);
  else {
    const char *base = strrchr(t->file, '/');
    snprintf(name, sizeof name, "%s", base ? base + 1 : t->file);
    char *dot = strchr(name, '.');
    if (dot && dot != name) *dot = 0;
  }
  int nspans = 0, ntraces = 0;
  for (int i = 0; i < t->nsp; i++) nspans += !t->sp[i].folded;
  char *seen = fl_xcalloc((size_t)t->str.n + 1, 1);
  for (int i = 0; i < t->nsp; i++) if (!seen[t->sp[i].trace]) { seen[t->sp[i].trace] = 1; ntraces++; }
  free(seen);
  fprintf(out, "-- ");
  fl__lua_string(out, name);
  fprintf(out, ": a scenario calibrated by `faultline import traces` on %s (%s).\n", t->file, t->source);
  fprintf(out, "-- read: %d traces, %d spans", ntraces, t->nsp);
  if (t->folded) fprintf(out, " (%d client spans folded into the calls they make: their time outside the callee counts as the caller's own work)", t->folded);
  fprintf(out, ";\n-- %d services, %d operations (endpoints), %d root spans.\n", t->nsvc, t->nep, roots);
  fprintf(out, "-- Each value is marked read (in the spans), derived (computed from them) or guessed (not in them).\n");
  fprintf(out, "-- derived: an operation's calls are its spans' children; children that overlapped in time are a\n"
               "-- parallel group, the others steps in their order of start; a call's p is the share of spans that\n"
               "-- made it (a callee called k times has k calls). Own work is the span less the time its calls cover,\n"
               "-- as measured percentiles: faultline does it before the calls, which keeps the total, not the order.\n");
  if (t->peers) fprintf(out, "-- guessed: %d client spans without a traced callee are operations of the service their peer\n-- attribute names (peer.service, db.system, server.address or net.peer.name).\n", t->peers);
  if (t->follows) fprintf(out, "-- read: %d spans follow from their parent (Jaeger's FOLLOWS_FROM, OTLP consumers): async calls.\n", t->follows);
  if (ncut) fprintf(out, "-- The traces have recursive operations (cycles), which faultline cannot simulate: %d call%s left out,\n-- each the least-called on its cycle (marked \"left out to break a cycle\" below).\n", ncut, ncut == 1 ? " is" : "s are");
  fl__write_scenario_line(out, name, o);
  for (int i = 0; i < t->nsvc; i++) {
    tsvc_t *s = &t->svc[i];
    int n = 0;
    for (int k = 0; k < s->neps; k++) n += t->ep[s->eps[k]].n;
    char rt[32], lat[32];
    fl__fmt_rate(rt, sizeof rt, s->busy > 0 || n ? n * rate / (roots ? roots : 1) : 0);
    fprintf(out, "\n-- %s: %d spans (%s)\n", s->name, n, rt);
    if (s->renamed) {
      fprintf(out, "-- named ");
      fl__lua_string(out, t->str.s[s->svc]);
      fprintf(out, " in the traces: service names cannot hold '.', '=' or ','\n");
    }
    fprintf(out, "service ");
    fl__lua_string(out, s->name);
    fprintf(out, " {\n");
    fl__fmt_dur(lat, sizeof lat, s->busy);
    fprintf(out, "  instances = %d, workers = %d, queue = 100,  -- guessed: a quarter of the workers busy at the traces' rate "
                 "(%.4g held on average; their queueing is already in the span times)\n", s->instances, s->workers, s->busy);
    fprintf(out, "  endpoints = {\n");
    for (int k = 0; k < s->neps; k++) {
      tep_t *e = &t->ep[s->eps[k]];
      if (e->nlat > 1) qsort(e->lat, (size_t)e->nlat, sizeof *e->lat, cmp_double);
      char a[32], b[32], c[32], r2[32];
      fl__fmt_rate(r2, sizeof r2, e->rate);
      fprintf(out, "    -- %s.%s: %d spans (%s)", s->name, e->name, e->n, r2);
      if (e->roots) fprintf(out, ", %d of them roots (entry traffic%s)", e->roots, e->orphans ? ", counting spans whose parent is not in the file" : "");
      if (e->nlat) {
        fl__fmt_dur(a, sizeof a, quantile(e->lat, e->nlat, 0.5));
        fl__fmt_dur(b, sizeof b, quantile(e->lat, e->nlat, 0.9));
        fl__fmt_dur(c, sizeof c, quantile(e->lat, e->nlat, 0.99));
        fprintf(out, "; read: latency p50 %s, p90 %s, p99 %s (%d spans without error)", a, b, c, e->nlat);
      }
      fprintf(out, "\n");
      if (strcmp(e->name, t->str.s[e->op]) != 0) {
        fprintf(out, "    -- named ");
        fl__lua_string(out, t->str.s[e->op]);
        fprintf(out, " in the traces (endpoint names cannot hold '.', '=' or ',')\n");
      }
      fprintf(out, "    [");
      fl__lua_string(out, e->name);
      fprintf(out, "] = {\n");
      write_work(out, e);
      double own_err = e->n ? (double)e->own_errors / e->n : 0;
      if (own_err > 0)
        fprintf(out, "      error_rate = %.6g,  -- derived: %d of %d spans in error, %d of them with no failing call to explain it\n",
                own_err, e->errors, e->n, e->own_errors);
      else if (e->errors)
        fprintf(out, "      -- derived: %d of %d spans in error, each explained by a failing call\n", e->errors, e->n);
      write_calls(out, t, e, own_err);
      fprintf(out, "    },\n");
    }
    fprintf(out, "  },\n}\n");
  }
  char rt[32];
  fl__fmt_rate(rt, sizeof rt, rate);
  fprintf(out, "\n-- %s\n", rate_how);
  fprintf(out, "traffic { rate = \"%s\", mix = {", rt);
  int w = 0;
  for (int i = 0; i < t->nsvc; i++)
    for (int k = 0; k < t->svc[i].neps; k++) {
      const tep_t *e = &t->ep[t->svc[i].eps[k]];
      if (!e->roots) continue;
      fprintf(out, "%s [", w++ ? "," : "");
      call_target(out, t, t->svc[i].eps[k]);
      fprintf(out, "] = %.9g", (double)e->roots / roots);
    }
  fprintf(out, " } }\n");
}
