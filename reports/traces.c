/* Traces of simulated requests written as files the tracing tools read: OTLP JSON (the OTLP/HTTP
** JSON encoding of an ExportTraceServiceRequest: resourceSpans, one per service of each trace,
** with scopeSpans and spans; ids in hex, times as strings of Unix nanoseconds) or Jaeger's JSON
** (the query API's { "data": [ { traceID, spans, processes } ] }). One trace at a time, as the run
** hands them over (sim/run/trace.c), into a temporary file put in place when the run is done.
** Simulated time 0 is FL_TRACE_EPOCH_NS. What a span says beyond its times and tree is in
** faultline.* attributes (tags): outcome, cause, origin, fault, attempt, hedge, timeout,
** abandoned, optional, fallback, instance, journey. */
#include "faultline/io.h"
#include "faultline/trace.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct fl_traces_out {
  fl_afile_t file;
  fl_traces_format_t fmt;
  bool any;                    /* a trace was written (a comma before the next) */
  bool failed;                 /* a write failed: the file is not put in place */
  bool first;                  /* no attribute written yet in the current list */
  uint32_t *seen; int nseen;   /* per service: the trace (mark) that last listed it */
  uint32_t mark;
};

/* Starts a trace's listing of services: 'seen' sized for the model, a new mark. */
static void seen_reset(fl_traces_out_t *o, int nservices) {
  if (o->nseen < nservices) {
    o->seen = fl_xrealloc(o->seen, (size_t)nservices * sizeof *o->seen);
    memset(o->seen + o->nseen, 0, (size_t)(nservices - o->nseen) * sizeof *o->seen);
    o->nseen = nservices;
  }
  o->mark++;
}

/* True the first time the current trace lists service 'id'. */
static bool seen_first(fl_traces_out_t *o, int id) {
  if (o->seen[id] == o->mark) return false;
  o->seen[id] = o->mark;
  return true;
}

fl_traces_format_t fl_traces_format_of(const char *path) {
  size_t n = strlen(path), k = strlen(".jaeger.json");
  return n >= k && strcmp(path + n - k, ".jaeger.json") == 0 ? FL_TRACES_JAEGER : FL_TRACES_OTLP;
}

fl_traces_out_t *fl_traces_open(const char *path, fl_traces_format_t fmt, char *err, size_t errlen) {
  fl_traces_out_t *o = fl_xcalloc(1, sizeof *o);
  if (fl_afile_open(&o->file, path, err, errlen) != 0) { free(o); return NULL; }
  o->fmt = fmt;
  fputs(fmt == FL_TRACES_JAEGER ? "{\"data\": [\n" : "{\"resourceSpans\": [\n", o->file.f);
  return o;
}

int fl_traces_close(fl_traces_out_t *o, bool commit, char *err, size_t errlen) {
  if (!o) return 0;
  fputs(o->fmt == FL_TRACES_JAEGER ? "\n], \"total\": 0, \"limit\": 0, \"offset\": 0, \"errors\": null}\n" : "\n]}\n", o->file.f);
  int rc = fl_afile_close(&o->file, commit && !o->failed, err, errlen);
  if (rc == 0 && commit && o->failed) { snprintf(err, errlen, "cannot write the traces: a write failed"); rc = -FL_EIO; }
  free(o->seen);
  free(o);
  return rc;
}

/* ---- JSON pieces, straight to the file (a trace costs a few microseconds, not a tree) ---- */

/* A JSON string: quote, backslash and control characters escaped, other bytes as they are. */
static void jstr(FILE *f, const char *s) {
  fputc('"', f);
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\') { fputc('\\', f); fputc(c, f); }
    else if (c < 0x20) fprintf(f, "\\u%04x", c);
    else fputc(c, f);
  }
  fputc('"', f);
}

static int64_t unix_ns(fl_time_t t) { return FL_TRACE_EPOCH_NS + t; }

static void trace_hex(char *out, const fl_trace_t *t) { snprintf(out, 33, "%016" PRIx64 "%016" PRIx64, t->id_hi, t->id_lo); }

/* The attributes of a span, through one writer per value type (OTLP's AnyValue or Jaeger's tags). */
typedef struct adder {
  void (*str)(fl_traces_out_t *o, const char *k, const char *v);
  void (*num)(fl_traces_out_t *o, const char *k, int64_t v);
  void (*dbl)(fl_traces_out_t *o, const char *k, double v);
  void (*flag)(fl_traces_out_t *o, const char *k, bool v);
} adder_t;

static void span_attrs(fl_traces_out_t *o, const fl_sim_t *s, const fl_trace_t *t, const fl_span_t *sp, const adder_t *a) {
  const fl_model_t *m = s->m;
  bool unfinished = sp->flags & FL_SPAN_UNFINISHED;
  a->str(o, "faultline.outcome", unfinished ? "unfinished" : fl_outcome_name((fl_outcome_t)sp->outcome));
  if (!unfinished && sp->outcome == FL_OUT_FAILURE) a->str(o, "faultline.cause", fl_cause_name((fl_cause_t)sp->cause));
  if (!unfinished && sp->origin >= 0 && sp->origin < m->nservices) a->str(o, "faultline.origin", m->services[sp->origin].name);
  if (sp->fault >= 0) a->str(o, "faultline.fault", m->faults[sp->fault].name);
  if (sp->instance >= 0) a->num(o, "faultline.instance", sp->instance);
  if (sp->flags & FL_SPAN_FALLBACK) a->flag(o, "faultline.fallback", true);
  if (sp == t->spans) {   /* the entry request */
    if (t->journey >= 0) a->str(o, "faultline.journey", m->journeys[t->journey].name);
    if (t->dropped) a->num(o, "faultline.spans_dropped", (int64_t)t->dropped);
    return;
  }
  a->num(o, "faultline.attempt", sp->attempt);
  a->num(o, "faultline.retry", sp->retry);
  if (sp->flags & FL_SPAN_HEDGE) a->flag(o, "faultline.hedge", true);
  if (sp->call_id >= 0 && s->calls[sp->call_id]->timeout > 0) a->dbl(o, "faultline.timeout", fl_time_to_sec(s->calls[sp->call_id]->timeout));
  if (sp->flags & FL_SPAN_ABANDONED) a->flag(o, "faultline.abandoned", true);
  if (sp->flags & FL_SPAN_OPTIONAL) a->flag(o, "faultline.optional", true);
  if (sp->flags & FL_SPAN_NOT_ARRIVED) a->flag(o, "faultline.not_arrived", true);
  if (sp->flags & FL_SPAN_ASYNC) a->flag(o, "faultline.async", true);
}

static bool span_error(const fl_span_t *sp) { return !(sp->flags & FL_SPAN_UNFINISHED) && sp->outcome == FL_OUT_FAILURE; }

/* ---- OTLP ---- */

/* An attribute's (a tag's) opening in its list: [,]{"key":K */
static void key_open(fl_traces_out_t *o, const char *k) {
  if (!o->first) fputc(',', o->file.f);
  o->first = false;
  fputs("{\"key\":", o->file.f);
  jstr(o->file.f, k);
}

/* {"key":K,"value":{TYPE: */
static void otlp_kv(fl_traces_out_t *o, const char *k, const char *type) {
  key_open(o, k);
  fprintf(o->file.f, ",\"value\":{\"%s\":", type);
}
static void otlp_str(fl_traces_out_t *o, const char *k, const char *v) { otlp_kv(o, k, "stringValue"); jstr(o->file.f, v); fputs("}}", o->file.f); }
static void otlp_num(fl_traces_out_t *o, const char *k, int64_t v) {   /* int64 as a string, as OTLP JSON writes it */
  otlp_kv(o, k, "intValue");
  fprintf(o->file.f, "\"%" PRId64 "\"}}", v);
}
static void otlp_dbl(fl_traces_out_t *o, const char *k, double v) { otlp_kv(o, k, "doubleValue"); fprintf(o->file.f, "%.17g}}", v); }
static void otlp_flag(fl_traces_out_t *o, const char *k, bool v) { otlp_kv(o, k, "boolValue"); fputs(v ? "true}}" : "false}}", o->file.f); }
static const adder_t otlp_add = { otlp_str, otlp_num, otlp_dbl, otlp_flag };

static void otlp_span(fl_traces_out_t *o, const fl_sim_t *s, const fl_trace_t *t, const fl_span_t *sp, const char *tid) {
  FILE *f = o->file.f;
  fprintf(f, "{\"traceId\":\"%s\",\"spanId\":\"%016" PRIx64 "\",", tid, sp->id);
  if (sp->parent) fprintf(f, "\"parentSpanId\":\"%016" PRIx64 "\",", sp->parent);
  fputs("\"name\":", f);
  jstr(f, sp->ep->name);
  fprintf(f, ",\"kind\":%d,\"startTimeUnixNano\":\"%" PRId64 "\",\"endTimeUnixNano\":\"%" PRId64 "\",\"attributes\":[",
          sp->flags & FL_SPAN_ASYNC ? 5 : 2,   /* SPAN_KIND_CONSUMER, SPAN_KIND_SERVER */
          unix_ns(sp->start), unix_ns(sp->end));
  o->first = true;
  span_attrs(o, s, t, sp, &otlp_add);
  fputs("],\"status\":{", f);
  if (span_error(sp)) {   /* STATUS_CODE_ERROR */
    fputs("\"code\":2,\"message\":", f);
    jstr(f, fl_cause_name((fl_cause_t)sp->cause));
  } else if (!(sp->flags & FL_SPAN_UNFINISHED)) {
    fputs("\"code\":1", f);   /* STATUS_CODE_OK */
  }
  fputs("}}", f);
}

/* One resourceSpans per service the trace visited, in the order of their first span. */
static void write_otlp(fl_traces_out_t *o, const fl_sim_t *s, const fl_trace_t *t) {
  FILE *f = o->file.f;
  char tid[33];
  trace_hex(tid, t);
  const fl_model_t *m = s->m;
  seen_reset(o, m->nservices);
  for (int i = 0; i < t->nspans; i++) {
    const fl_service_t *svc = t->spans[i].ep->service;
    if (!seen_first(o, svc->id)) continue;
    fputs(o->any ? ",\n" : "", f);
    o->any = true;
    fputs("{\"resource\":{\"attributes\":[{\"key\":\"service.name\",\"value\":{\"stringValue\":", f);
    jstr(f, m->services[svc->id].name);
    fputs("}}]},\"scopeSpans\":[{\"scope\":{\"name\":\"faultline\",\"version\":\"" FL_VERSION "\"},\"spans\":[", f);
    bool first = true;
    for (int j = i; j < t->nspans; j++) {
      if (t->spans[j].ep->service != svc) continue;
      if (!first) fputc(',', f);
      first = false;
      otlp_span(o, s, t, &t->spans[j], tid);
    }
    fputs("]}]}", f);
  }
}

/* ---- Jaeger ---- */

/* {"key":K,"type":TYPE,"value": */
static void jaeger_tag(fl_traces_out_t *o, const char *k, const char *type) {
  key_open(o, k);
  fprintf(o->file.f, ",\"type\":\"%s\",\"value\":", type);
}
static void jaeger_str(fl_traces_out_t *o, const char *k, const char *v) { jaeger_tag(o, k, "string"); jstr(o->file.f, v); fputc('}', o->file.f); }
static void jaeger_num(fl_traces_out_t *o, const char *k, int64_t v) { jaeger_tag(o, k, "int64"); fprintf(o->file.f, "%" PRId64 "}", v); }
static void jaeger_dbl(fl_traces_out_t *o, const char *k, double v) { jaeger_tag(o, k, "float64"); fprintf(o->file.f, "%.17g}", v); }
static void jaeger_flag(fl_traces_out_t *o, const char *k, bool v) { jaeger_tag(o, k, "bool"); fputs(v ? "true}" : "false}", o->file.f); }
static const adder_t jaeger_add = { jaeger_str, jaeger_num, jaeger_dbl, jaeger_flag };

static void write_jaeger(fl_traces_out_t *o, const fl_sim_t *s, const fl_trace_t *t) {
  FILE *f = o->file.f;
  char tid[33];
  trace_hex(tid, t);
  fputs(o->any ? ",\n" : "", f);
  o->any = true;
  fprintf(f, "{\"traceID\":\"%s\",\"spans\":[", tid);
  for (int i = 0; i < t->nspans; i++) {
    const fl_span_t *sp = &t->spans[i];
    if (i) fputc(',', f);
    fprintf(f, "{\"traceID\":\"%s\",\"spanID\":\"%016" PRIx64 "\",\"operationName\":", tid, sp->id);
    jstr(f, sp->ep->name);
    fputs(",\"references\":[", f);
    if (sp->parent)
      fprintf(f, "{\"refType\":\"%s\",\"traceID\":\"%s\",\"spanID\":\"%016" PRIx64 "\"}",
              sp->flags & FL_SPAN_ASYNC ? "FOLLOWS_FROM" : "CHILD_OF", tid, sp->parent);
    /* microseconds, as Jaeger keeps them: the end rounded the same way as the start */
    int64_t us0 = unix_ns(sp->start) / 1000, us1 = unix_ns(sp->end) / 1000;
    fprintf(f, "],\"flags\":1,\"startTime\":%" PRId64 ",\"duration\":%" PRId64 ",\"tags\":[", us0, us1 - us0);
    o->first = true;
    jaeger_str(o, "span.kind", sp->flags & FL_SPAN_ASYNC ? "consumer" : "server");
    if (span_error(sp)) { jaeger_flag(o, "error", true); jaeger_str(o, "otel.status_code", "ERROR"); }
    span_attrs(o, s, t, sp, &jaeger_add);
    fprintf(f, "],\"logs\":[],\"processID\":\"p%d\",\"warnings\":null}", sp->ep->service->id + 1);
  }
  fputs("],\"processes\":{", f);
  seen_reset(o, s->m->nservices);
  for (int i = 0, n = 0; i < t->nspans; i++) {
    const fl_service_t *svc = t->spans[i].ep->service;
    if (!seen_first(o, svc->id)) continue;
    fprintf(f, "%s\"p%d\":{\"serviceName\":", n++ ? "," : "", svc->id + 1);
    jstr(f, svc->name);
    fputs(",\"tags\":[]}", f);
  }
  fputs("},\"warnings\":null}", f);
}

void fl_traces_write(const fl_sim_t *s, const fl_trace_t *t, void *user) {
  fl_traces_out_t *o = user;
  if (o->failed) return;
  if (o->fmt == FL_TRACES_JAEGER) write_jaeger(o, s, t);
  else write_otlp(o, s, t);
  if (ferror(o->file.f)) o->failed = true;
}
