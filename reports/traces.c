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

#include <cJSON.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct fl_traces_out {
  fl_afile_t file;
  fl_traces_format_t fmt;
  bool any;                    /* a trace was written (a comma before the next) */
  bool failed;                 /* a write failed: the file is not put in place */
};

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
  free(o);
  return rc;
}

/* ---- what every span says ---- */

static int64_t unix_ns(fl_time_t t) { return FL_TRACE_EPOCH_NS + t; }

static void hex64(char *out, uint64_t v) { snprintf(out, 17, "%016" PRIx64, v); }

static void trace_hex(char *out, const fl_trace_t *t) { snprintf(out, 33, "%016" PRIx64 "%016" PRIx64, t->id_hi, t->id_lo); }

/* The attributes of a span, through one adder per value type (OTLP's AnyValue or Jaeger's tags). */
typedef struct adder {
  void (*str)(cJSON *to, const char *k, const char *v);
  void (*num)(cJSON *to, const char *k, int64_t v);
  void (*dbl)(cJSON *to, const char *k, double v);
  void (*flag)(cJSON *to, const char *k, bool v);
} adder_t;

static void span_attrs(const fl_sim_t *s, const fl_trace_t *t, const fl_span_t *sp, const adder_t *a, cJSON *to) {
  const fl_model_t *m = s->m;
  bool unfinished = sp->flags & FL_SPAN_UNFINISHED;
  a->str(to, "faultline.outcome", unfinished ? "unfinished" : fl_outcome_name((fl_outcome_t)sp->outcome));
  if (!unfinished && sp->outcome == FL_OUT_FAILURE) a->str(to, "faultline.cause", fl_cause_name((fl_cause_t)sp->cause));
  if (!unfinished && sp->origin >= 0 && sp->origin < m->nservices) a->str(to, "faultline.origin", m->services[sp->origin].name);
  if (sp->fault >= 0) a->str(to, "faultline.fault", m->faults[sp->fault].name);
  if (sp->instance >= 0) a->num(to, "faultline.instance", sp->instance);
  if (sp->flags & FL_SPAN_FALLBACK) a->flag(to, "faultline.fallback", true);
  if (sp == t->spans) {   /* the entry request */
    if (t->journey >= 0) a->str(to, "faultline.journey", m->journeys[t->journey].name);
    if (t->dropped) a->num(to, "faultline.spans_dropped", (int64_t)t->dropped);
    return;
  }
  a->num(to, "faultline.attempt", sp->attempt);
  a->num(to, "faultline.retry", sp->flags & FL_SPAN_HEDGE ? 0 : sp->attempt - 1);
  if (sp->flags & FL_SPAN_HEDGE) a->flag(to, "faultline.hedge", true);
  if (sp->call_id >= 0 && s->calls[sp->call_id]->timeout > 0) a->dbl(to, "faultline.timeout", fl_time_to_sec(s->calls[sp->call_id]->timeout));
  if (sp->flags & FL_SPAN_ABANDONED) a->flag(to, "faultline.abandoned", true);
  if (sp->flags & FL_SPAN_OPTIONAL) a->flag(to, "faultline.optional", true);
  if (sp->flags & FL_SPAN_NOT_ARRIVED) a->flag(to, "faultline.not_arrived", true);
  if (sp->flags & FL_SPAN_ASYNC) a->flag(to, "faultline.async", true);
}

static bool span_error(const fl_span_t *sp) { return !(sp->flags & FL_SPAN_UNFINISHED) && sp->outcome == FL_OUT_FAILURE; }

/* ---- OTLP ---- */

static cJSON *otlp_kv(cJSON *to, const char *k, const char *type, cJSON *v) {
  cJSON *kv = cJSON_CreateObject(), *val = cJSON_CreateObject();
  cJSON_AddStringToObject(kv, "key", k);
  cJSON_AddItemToObject(val, type, v);
  cJSON_AddItemToObject(kv, "value", val);
  cJSON_AddItemToArray(to, kv);
  return kv;
}
static void otlp_str(cJSON *to, const char *k, const char *v) { otlp_kv(to, k, "stringValue", cJSON_CreateString(v)); }
static void otlp_num(cJSON *to, const char *k, int64_t v) {   /* int64 as a string, as OTLP JSON writes it */
  char b[24];
  snprintf(b, sizeof b, "%" PRId64, v);
  otlp_kv(to, k, "intValue", cJSON_CreateString(b));
}
static void otlp_dbl(cJSON *to, const char *k, double v) { otlp_kv(to, k, "doubleValue", cJSON_CreateNumber(v)); }
static void otlp_flag(cJSON *to, const char *k, bool v) { otlp_kv(to, k, "boolValue", cJSON_CreateBool(v)); }
static const adder_t otlp_add = { otlp_str, otlp_num, otlp_dbl, otlp_flag };

static cJSON *otlp_span(const fl_sim_t *s, const fl_trace_t *t, const fl_span_t *sp, const char *tid) {
  char id[17], b[24];
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "traceId", tid);
  hex64(id, sp->id);
  cJSON_AddStringToObject(o, "spanId", id);
  if (sp->parent) { hex64(id, sp->parent); cJSON_AddStringToObject(o, "parentSpanId", id); }
  cJSON_AddStringToObject(o, "name", sp->ep->name);
  cJSON_AddNumberToObject(o, "kind", sp->flags & FL_SPAN_ASYNC ? 5 : 2);   /* SPAN_KIND_CONSUMER, SPAN_KIND_SERVER */
  snprintf(b, sizeof b, "%" PRId64, unix_ns(sp->start));
  cJSON_AddStringToObject(o, "startTimeUnixNano", b);
  snprintf(b, sizeof b, "%" PRId64, unix_ns(sp->end));
  cJSON_AddStringToObject(o, "endTimeUnixNano", b);
  span_attrs(s, t, sp, &otlp_add, cJSON_AddArrayToObject(o, "attributes"));
  cJSON *st = cJSON_AddObjectToObject(o, "status");
  if (span_error(sp)) {
    cJSON_AddNumberToObject(st, "code", 2);   /* STATUS_CODE_ERROR */
    cJSON_AddStringToObject(st, "message", fl_cause_name((fl_cause_t)sp->cause));
  } else if (!(sp->flags & FL_SPAN_UNFINISHED)) {
    cJSON_AddNumberToObject(st, "code", 1);   /* STATUS_CODE_OK */
  }
  return o;
}

/* One resourceSpans per service the trace visited, in the order of their first span. */
static void write_otlp(fl_traces_out_t *o, const fl_sim_t *s, const fl_trace_t *t) {
  char tid[33];
  trace_hex(tid, t);
  const fl_model_t *m = s->m;
  int nsvc = m->nservices;
  int *order = fl_xmalloc((size_t)(nsvc ? nsvc : 1) * sizeof *order);
  bool *seen = fl_xcalloc((size_t)(nsvc ? nsvc : 1), sizeof *seen);
  int n = 0;
  for (int i = 0; i < t->nspans; i++) {
    int sv = t->spans[i].ep->service->id;
    if (!seen[sv]) { seen[sv] = true; order[n++] = sv; }
  }
  for (int k = 0; k < n; k++) {
    int sv = order[k];
    cJSON *rs = cJSON_CreateObject();
    cJSON *res = cJSON_AddObjectToObject(rs, "resource");
    otlp_str(cJSON_AddArrayToObject(res, "attributes"), "service.name", m->services[sv].name);
    cJSON *ss = cJSON_CreateObject();
    cJSON *scope = cJSON_AddObjectToObject(ss, "scope");
    cJSON_AddStringToObject(scope, "name", "faultline");
    cJSON_AddStringToObject(scope, "version", FL_VERSION);
    cJSON *spans = cJSON_AddArrayToObject(ss, "spans");
    for (int i = 0; i < t->nspans; i++)
      if (t->spans[i].ep->service->id == sv) cJSON_AddItemToArray(spans, otlp_span(s, t, &t->spans[i], tid));
    cJSON_AddItemToArray(cJSON_AddArrayToObject(rs, "scopeSpans"), ss);
    char *txt = cJSON_PrintUnformatted(rs);
    if (o->any) fputs(",\n", o->file.f);
    fputs(txt, o->file.f);
    o->any = true;
    cJSON_free(txt);
    cJSON_Delete(rs);
  }
  free(order); free(seen);
}

/* ---- Jaeger ---- */

static cJSON *jaeger_tag(cJSON *to, const char *k, const char *type, cJSON *v) {
  cJSON *tag = cJSON_CreateObject();
  cJSON_AddStringToObject(tag, "key", k);
  cJSON_AddStringToObject(tag, "type", type);
  cJSON_AddItemToObject(tag, "value", v);
  cJSON_AddItemToArray(to, tag);
  return tag;
}
static void jaeger_str(cJSON *to, const char *k, const char *v) { jaeger_tag(to, k, "string", cJSON_CreateString(v)); }
static void jaeger_num(cJSON *to, const char *k, int64_t v) { jaeger_tag(to, k, "int64", cJSON_CreateNumber((double)v)); }
static void jaeger_dbl(cJSON *to, const char *k, double v) { jaeger_tag(to, k, "float64", cJSON_CreateNumber(v)); }
static void jaeger_flag(cJSON *to, const char *k, bool v) { jaeger_tag(to, k, "bool", cJSON_CreateBool(v)); }
static const adder_t jaeger_add = { jaeger_str, jaeger_num, jaeger_dbl, jaeger_flag };

static cJSON *raw_int(int64_t v) {
  char b[24];
  snprintf(b, sizeof b, "%" PRId64, v);
  return cJSON_CreateRaw(b);
}

static void write_jaeger(fl_traces_out_t *o, const fl_sim_t *s, const fl_trace_t *t) {
  char tid[33], id[17], pid[24];
  trace_hex(tid, t);
  cJSON *tr = cJSON_CreateObject();
  cJSON_AddStringToObject(tr, "traceID", tid);
  cJSON *spans = cJSON_AddArrayToObject(tr, "spans");
  cJSON *procs = cJSON_CreateObject();
  for (int i = 0; i < t->nspans; i++) {
    const fl_span_t *sp = &t->spans[i];
    const fl_service_t *svc = sp->ep->service;
    snprintf(pid, sizeof pid, "p%d", svc->id + 1);
    if (!cJSON_GetObjectItemCaseSensitive(procs, pid)) {
      cJSON *p = cJSON_AddObjectToObject(procs, pid);
      cJSON_AddStringToObject(p, "serviceName", svc->name);
      cJSON_AddArrayToObject(p, "tags");
    }
    cJSON *o1 = cJSON_CreateObject();
    cJSON_AddStringToObject(o1, "traceID", tid);
    hex64(id, sp->id);
    cJSON_AddStringToObject(o1, "spanID", id);
    cJSON_AddStringToObject(o1, "operationName", sp->ep->name);
    cJSON *refs = cJSON_AddArrayToObject(o1, "references");
    if (sp->parent) {
      cJSON *r = cJSON_CreateObject();
      cJSON_AddStringToObject(r, "refType", sp->flags & FL_SPAN_ASYNC ? "FOLLOWS_FROM" : "CHILD_OF");
      cJSON_AddStringToObject(r, "traceID", tid);
      hex64(id, sp->parent);
      cJSON_AddStringToObject(r, "spanID", id);
      cJSON_AddItemToArray(refs, r);
    }
    cJSON_AddNumberToObject(o1, "flags", 1);
    /* microseconds, as Jaeger keeps them: the end rounded the same way as the start */
    int64_t us0 = unix_ns(sp->start) / 1000, us1 = unix_ns(sp->end) / 1000;
    cJSON_AddItemToObject(o1, "startTime", raw_int(us0));
    cJSON_AddItemToObject(o1, "duration", raw_int(us1 - us0));
    cJSON *tags = cJSON_AddArrayToObject(o1, "tags");
    jaeger_str(tags, "span.kind", sp->flags & FL_SPAN_ASYNC ? "consumer" : "server");
    if (span_error(sp)) { jaeger_flag(tags, "error", true); jaeger_str(tags, "otel.status_code", "ERROR"); }
    span_attrs(s, t, sp, &jaeger_add, tags);
    cJSON_AddArrayToObject(o1, "logs");
    cJSON_AddStringToObject(o1, "processID", pid);
    cJSON_AddNullToObject(o1, "warnings");
    cJSON_AddItemToArray(spans, o1);
  }
  cJSON_AddItemToObject(tr, "processes", procs);
  cJSON_AddNullToObject(tr, "warnings");
  char *txt = cJSON_PrintUnformatted(tr);
  if (o->any) fputs(",\n", o->file.f);
  fputs(txt, o->file.f);
  o->any = true;
  cJSON_free(txt);
  cJSON_Delete(tr);
}

void fl_traces_write(const fl_sim_t *s, const fl_trace_t *t, void *user) {
  fl_traces_out_t *o = user;
  if (o->failed) return;
  if (o->fmt == FL_TRACES_JAEGER) write_jaeger(o, s, t);
  else write_otlp(o, s, t);
  if (ferror(o->file.f)) o->failed = true;
}
