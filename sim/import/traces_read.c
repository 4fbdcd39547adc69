/* Spans read from tracing data, for the trace importer: Jaeger's trace JSON (the query API's and
** the UI's export: { "data": [ { traceID, spans, processes } ] }, a list of traces, or one trace)
** and OTLP JSON traces ({ "resourceSpans": [...] }), one document or JSON Lines of either (as the
** collector's file exporter writes them). Each span keeps its trace, parent link, times, service,
** operation, kind, error and peer; the model is built from them in traces.c. */
#include "traces_int.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static tspan_t *new_span(tr_t *t) {
  if (t->nsp == t->spcap) { t->spcap = t->spcap ? t->spcap * 2 : 1024; t->sp = fl_xrealloc(t->sp, (size_t)t->spcap * sizeof *t->sp); }
  tspan_t *s = &t->sp[t->nsp++];
  memset(s, 0, sizeof *s);
  s->pkey = -1; s->peer = -1; s->parent = -1; s->eparent = -1; s->via = -1; s->ep = -1;
  return s;
}

static int span_key(tr_t *t, const char *trace, const char *id) {
  size_t l = strlen(trace) + strlen(id) + 2;
  char *k = fl_xmalloc(l);
  snprintf(k, l, "%s/%s", trace, id);
  int r = fl__strtab_find(&t->keys, k, true);
  free(k);
  return r;
}

/* ---- reading fields ---- */

static int need(const fl_json_t *j, const cJSON *obj, const char *key, const char *path, const cJSON **out, char *err, size_t n) {
  *out = cJSON_GetObjectItemCaseSensitive(obj, key);
  if (!*out) return fl__imp_err(err, n, j->file, fl__json_line(j, obj), "%s: missing \"%s\"", path, key);
  return 0;
}

static int need_string(const fl_json_t *j, const cJSON *obj, const char *key, const char *path, const char **out, char *err, size_t n) {
  const cJSON *v;
  int rc = need(j, obj, key, path, &v, err, n);
  if (rc) return rc;
  if (!cJSON_IsString(v)) return fl__imp_err(err, n, j->file, fl__json_line(j, v), "%s.%s: expected a string, got %s", path, key, fl__json_type(v));
  *out = v->valuestring;
  return 0;
}

/* A whole number of 'unit' nanoseconds, as a JSON number or a decimal string (OTLP writes
** 64-bit integers as strings). */
static int read_time(const fl_json_t *j, const cJSON *obj, const char *key, const char *path, int64_t unit, int64_t *out, char *err, size_t n) {
  const cJSON *v;
  int rc = need(j, obj, key, path, &v, err, n);
  if (rc) return rc;
  int line = fl__json_line(j, v);
  if (cJSON_IsNumber(v)) {
    double d = v->valuedouble;
    if (!isfinite(d) || d < 0 || d * (double)unit > 9.2e18)
      return fl__imp_err(err, n, j->file, line, "%s.%s: expected a time (a non-negative whole number), got %.15g", path, key, d);
    *out = (int64_t)llround(d) * unit;
    return 0;
  }
  if (cJSON_IsString(v)) {
    const char *s = v->valuestring;
    char *end;
    errno = 0;
    unsigned long long u = s[0] >= '0' && s[0] <= '9' ? strtoull(s, &end, 10) : 0;
    if (s[0] < '0' || s[0] > '9' || *end || errno || u > (unsigned long long)(INT64_MAX / unit))
      return fl__imp_err(err, n, j->file, line, "%s.%s: expected a time (a whole number), got \"%s\"", path, key, s);
    *out = (int64_t)u * unit;
    return 0;
  }
  return fl__imp_err(err, n, j->file, line, "%s.%s: expected a time (a whole number), got %s", path, key, fl__json_type(v));
}

static bool is_true(const cJSON *v) {
  return cJSON_IsTrue(v) || (cJSON_IsString(v) && strcmp(v->valuestring, "true") == 0);
}

static int kind_of_text(const char *s) {
  static const char *const names[] = { "", "internal", "server", "client", "producer", "consumer" };
  for (int i = 1; i < 6; i++) if (strcasecmp(s, names[i]) == 0) return i;
  if (strncmp(s, "SPAN_KIND_", 10) == 0) return kind_of_text(s + 10);
  return K_UNSET;
}

/* A peer attribute: the callee of a client span without children. */
static int peer_rank(const char *key) {
  static const char *const keys[] = { "peer.service", "db.system", "server.address", "net.peer.name" };
  for (int i = 0; i < 4; i++) if (strcmp(key, keys[i]) == 0) return i;
  return -1;
}

/* ---- Jaeger ---- */

static int jaeger_span(tr_t *t, const fl_json_t *j, const cJSON *span, const char *tpath, const cJSON *procs, const char *trace_id, char *err, size_t n) {
  char path[160];
  snprintf(path, sizeof path, "%s", tpath);
  int line = fl__json_line(j, span);
  if (!cJSON_IsObject(span)) return fl__imp_err(err, n, j->file, line, "%s: expected a span (an object), got %s", path, fl__json_type(span));
  const char *tid = trace_id, *sid, *op;
  int rc;
  const cJSON *tv = cJSON_GetObjectItemCaseSensitive(span, "traceID");
  if (tv) {
    if (!cJSON_IsString(tv)) return fl__imp_err(err, n, j->file, fl__json_line(j, tv), "%s.traceID: expected a string, got %s", path, fl__json_type(tv));
    tid = tv->valuestring;
  }
  if (!tid) return fl__imp_err(err, n, j->file, line, "%s: missing \"traceID\"", path);
  if ((rc = need_string(j, span, "spanID", path, &sid, err, n)) || (rc = need_string(j, span, "operationName", path, &op, err, n))) return rc;
  int64_t start, dur;
  if ((rc = read_time(j, span, "startTime", path, 1000, &start, err, n)) || (rc = read_time(j, span, "duration", path, 1000, &dur, err, n))) return rc;
  /* the service: processID into the trace's processes, or an inline process */
  const char *svc = NULL;
  const cJSON *proc = cJSON_GetObjectItemCaseSensitive(span, "process");
  const cJSON *pid = cJSON_GetObjectItemCaseSensitive(span, "processID");
  if (!cJSON_IsObject(proc) && pid) {
    if (!cJSON_IsString(pid)) return fl__imp_err(err, n, j->file, fl__json_line(j, pid), "%s.processID: expected a string, got %s", path, fl__json_type(pid));
    proc = cJSON_IsObject(procs) ? cJSON_GetObjectItemCaseSensitive(procs, pid->valuestring) : NULL;
    if (!proc) return fl__imp_err(err, n, j->file, fl__json_line(j, pid), "%s.processID: \"%s\" is not in the trace's \"processes\"", path, pid->valuestring);
  }
  if (!proc) return fl__imp_err(err, n, j->file, line, "%s: missing \"processID\" (the span's service)", path);
  char ppath[200];
  snprintf(ppath, sizeof ppath, "process of %s", path);
  if ((rc = need_string(j, proc, "serviceName", ppath, &svc, err, n))) return rc;
  tspan_t *s = new_span(t);
  s->line = line;
  s->trace = fl__strtab_find(&t->str, tid, true);
  s->key = span_key(t, tid, sid);
  s->start = start; s->end = start + dur;
  s->svc = fl__strtab_find(&t->str, svc[0] ? svc : "unknown_service", true);
  s->op = fl__strtab_find(&t->str, op, true);
  /* the parent: the first CHILD_OF in this trace, else FOLLOWS_FROM; old exports: parentSpanID */
  const cJSON *refs = cJSON_GetObjectItemCaseSensitive(span, "references");
  const char *parent = NULL;
  bool follows = false;
  if (refs && !cJSON_IsArray(refs) && !cJSON_IsNull(refs))
    return fl__imp_err(err, n, j->file, fl__json_line(j, refs), "%s.references: expected a list, got %s", path, fl__json_type(refs));
  for (int pass = 0; pass < 2 && !parent; pass++)
    for (const cJSON *r = refs ? refs->child : NULL; r && !parent; r = r->next) {
      const cJSON *rt = cJSON_GetObjectItemCaseSensitive(r, "refType"), *rs = cJSON_GetObjectItemCaseSensitive(r, "spanID");
      const cJSON *rtr = cJSON_GetObjectItemCaseSensitive(r, "traceID");
      if (!cJSON_IsString(rs)) return fl__imp_err(err, n, j->file, fl__json_line(j, r), "%s.references: a reference without a \"spanID\" string", path);
      const char *type = cJSON_IsString(rt) ? rt->valuestring : "CHILD_OF";
      if (strcmp(type, pass ? "FOLLOWS_FROM" : "CHILD_OF") != 0) continue;
      if (cJSON_IsString(rtr) && strcmp(rtr->valuestring, tid) != 0) { if (pass == 0) t->foreign_refs++; continue; }
      parent = rs->valuestring; follows = pass == 1;
    }
  const cJSON *psid = cJSON_GetObjectItemCaseSensitive(span, "parentSpanID");
  if (!parent && cJSON_IsString(psid) && psid->valuestring[0] && strcmp(psid->valuestring, "0") != 0) parent = psid->valuestring;
  if (parent) s->pkey = span_key(t, tid, parent);
  s->follows = follows;
  int best = 99;
  const cJSON *tags = cJSON_GetObjectItemCaseSensitive(span, "tags");
  for (const cJSON *tg = cJSON_IsArray(tags) ? tags->child : NULL; tg; tg = tg->next) {
    const cJSON *k = cJSON_GetObjectItemCaseSensitive(tg, "key"), *v = cJSON_GetObjectItemCaseSensitive(tg, "value");
    if (!cJSON_IsString(k)) continue;
    if (strcmp(k->valuestring, "error") == 0 && is_true(v)) s->error = true;
    else if (strcmp(k->valuestring, "otel.status_code") == 0 && cJSON_IsString(v) && strcmp(v->valuestring, "ERROR") == 0) s->error = true;
    else if (strcmp(k->valuestring, "span.kind") == 0 && cJSON_IsString(v)) s->kind = kind_of_text(v->valuestring);
    else if (cJSON_IsString(v) && v->valuestring[0]) {
      int r = peer_rank(k->valuestring);
      if (r >= 0 && r < best) { best = r; s->peer = fl__strtab_find(&t->str, v->valuestring, true); }
    }
  }
  return 0;
}

static int jaeger_trace(tr_t *t, const fl_json_t *j, const cJSON *tr, const char *path, char *err, size_t n) {
  int line = fl__json_line(j, tr);
  if (!cJSON_IsObject(tr)) return fl__imp_err(err, n, j->file, line, "%s: expected a trace { \"traceID\", \"spans\", \"processes\" }, got %s", path, fl__json_type(tr));
  const cJSON *spans;
  int rc = need(j, tr, "spans", path, &spans, err, n);
  if (rc) return rc;
  if (!cJSON_IsArray(spans)) return fl__imp_err(err, n, j->file, fl__json_line(j, spans), "%s.spans: expected a list of spans, got %s", path, fl__json_type(spans));
  const cJSON *tid = cJSON_GetObjectItemCaseSensitive(tr, "traceID");
  const cJSON *procs = cJSON_GetObjectItemCaseSensitive(tr, "processes");
  int i = 0;
  for (const cJSON *s = spans->child; s; s = s->next, i++) {
    char sp[160];
    snprintf(sp, sizeof sp, "%s.spans[%d]", path, i);
    if ((rc = jaeger_span(t, j, s, sp, procs, cJSON_IsString(tid) ? tid->valuestring : NULL, err, n))) return rc;
  }
  return 0;
}

/* ---- OTLP ---- */

static const char *attr_string(const cJSON *a) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(a, "value");
  const cJSON *s = cJSON_GetObjectItemCaseSensitive(v, "stringValue");
  return cJSON_IsString(s) ? s->valuestring : NULL;
}

static int otlp_span(tr_t *t, const fl_json_t *j, const cJSON *span, const char *path, int svc, char *err, size_t n) {
  int line = fl__json_line(j, span);
  if (!cJSON_IsObject(span)) return fl__imp_err(err, n, j->file, line, "%s: expected a span (an object), got %s", path, fl__json_type(span));
  const char *tid, *sid, *name;
  int rc;
  if ((rc = need_string(j, span, "traceId", path, &tid, err, n)) || (rc = need_string(j, span, "spanId", path, &sid, err, n)) ||
      (rc = need_string(j, span, "name", path, &name, err, n)))
    return rc;
  int64_t start, end;
  if ((rc = read_time(j, span, "startTimeUnixNano", path, 1, &start, err, n)) || (rc = read_time(j, span, "endTimeUnixNano", path, 1, &end, err, n))) return rc;
  if (end < start)
    return fl__imp_err(err, n, j->file, fl__json_line(j, cJSON_GetObjectItemCaseSensitive(span, "endTimeUnixNano")),
                       "%s.endTimeUnixNano: the span ends %.6gs before it starts", path, (double)(start - end) * 1e-9);
  tspan_t *s = new_span(t);
  s->line = line;
  s->trace = fl__strtab_find(&t->str, tid, true);
  s->key = span_key(t, tid, sid);
  s->start = start; s->end = end;
  s->svc = svc;
  s->op = fl__strtab_find(&t->str, name, true);
  const cJSON *p = cJSON_GetObjectItemCaseSensitive(span, "parentSpanId");
  if (p && !cJSON_IsString(p)) return fl__imp_err(err, n, j->file, fl__json_line(j, p), "%s.parentSpanId: expected a string, got %s", path, fl__json_type(p));
  if (p && p->valuestring[0]) s->pkey = span_key(t, tid, p->valuestring);
  const cJSON *k = cJSON_GetObjectItemCaseSensitive(span, "kind");
  if (cJSON_IsNumber(k) && k->valuedouble >= 0 && k->valuedouble <= 5) s->kind = (int)k->valuedouble;
  else if (cJSON_IsString(k)) s->kind = kind_of_text(k->valuestring);
  s->follows = s->kind == K_CONSUMER;
  const cJSON *st = cJSON_GetObjectItemCaseSensitive(span, "status");
  const cJSON *code = cJSON_GetObjectItemCaseSensitive(st, "code");
  if ((cJSON_IsNumber(code) && code->valuedouble == 2) || (cJSON_IsString(code) && strcmp(code->valuestring, "STATUS_CODE_ERROR") == 0)) s->error = true;
  int best = 99;
  const cJSON *attrs = cJSON_GetObjectItemCaseSensitive(span, "attributes");
  for (const cJSON *a = cJSON_IsArray(attrs) ? attrs->child : NULL; a; a = a->next) {
    const cJSON *key = cJSON_GetObjectItemCaseSensitive(a, "key");
    const char *v = attr_string(a);
    if (!cJSON_IsString(key) || !v || !v[0]) continue;
    int r = peer_rank(key->valuestring);
    if (r >= 0 && r < best) { best = r; s->peer = fl__strtab_find(&t->str, v, true); }
  }
  return 0;
}

static int otlp_doc(tr_t *t, const fl_json_t *j, const cJSON *rs_list, char *err, size_t n) {
  if (!cJSON_IsArray(rs_list)) return fl__imp_err(err, n, j->file, fl__json_line(j, rs_list), "resourceSpans: expected a list, got %s", fl__json_type(rs_list));
  int i = 0, rc;
  for (const cJSON *rs = rs_list->child; rs; rs = rs->next, i++) {
    char path[160];
    snprintf(path, sizeof path, "resourceSpans[%d]", i);
    if (!cJSON_IsObject(rs)) return fl__imp_err(err, n, j->file, fl__json_line(j, rs), "%s: expected an object, got %s", path, fl__json_type(rs));
    const char *svc = "unknown_service";   /* the SDKs' default when service.name is not set */
    const cJSON *res = cJSON_GetObjectItemCaseSensitive(rs, "resource");
    const cJSON *attrs = cJSON_GetObjectItemCaseSensitive(res, "attributes");
    for (const cJSON *a = cJSON_IsArray(attrs) ? attrs->child : NULL; a; a = a->next) {
      const cJSON *key = cJSON_GetObjectItemCaseSensitive(a, "key");
      if (cJSON_IsString(key) && strcmp(key->valuestring, "service.name") == 0 && attr_string(a) && attr_string(a)[0]) svc = attr_string(a);
    }
    int svc_id = fl__strtab_find(&t->str, svc, true);
    const cJSON *scopes = cJSON_GetObjectItemCaseSensitive(rs, "scopeSpans");
    const char *sname = "scopeSpans";
    if (!scopes) { scopes = cJSON_GetObjectItemCaseSensitive(rs, "instrumentationLibrarySpans"); sname = "instrumentationLibrarySpans"; }
    if (!scopes) continue;
    if (!cJSON_IsArray(scopes)) return fl__imp_err(err, n, j->file, fl__json_line(j, scopes), "%s.%s: expected a list, got %s", path, sname, fl__json_type(scopes));
    int si = 0;
    for (const cJSON *sc = scopes->child; sc; sc = sc->next, si++) {
      const cJSON *spans = cJSON_GetObjectItemCaseSensitive(sc, "spans");
      if (!spans) continue;
      char spath[400];
      snprintf(spath, sizeof spath, "%s.%s[%d].spans", path, sname, si);
      if (!cJSON_IsArray(spans)) return fl__imp_err(err, n, j->file, fl__json_line(j, spans), "%s: expected a list, got %s", spath, fl__json_type(spans));
      int k = 0;
      for (const cJSON *s = spans->child; s; s = s->next, k++) {
        char p2[480];
        snprintf(p2, sizeof p2, "%s[%d]", spath, k);
        if ((rc = otlp_span(t, j, s, p2, svc_id, err, n))) return rc;
      }
    }
  }
  return 0;
}

/* One JSON document: OTLP or Jaeger, told apart by its keys. */
static int read_doc(tr_t *t, const fl_json_t *j, char *err, size_t n) {
  const cJSON *root = j->root;
  int line = fl__json_line(j, root);
  const cJSON *rs = cJSON_IsObject(root) ? cJSON_GetObjectItemCaseSensitive(root, "resourceSpans") : NULL;
  if (rs) {
    if (t->source && strcmp(t->source, "OTLP JSON traces") != 0) return fl__imp_err(err, n, j->file, line, "OTLP traces after Jaeger traces in one file");
    t->source = "OTLP JSON traces";
    return otlp_doc(t, j, rs, err, n);
  }
  const cJSON *list = root;
  const char *prefix = "";
  if (cJSON_IsObject(root)) {
    const cJSON *errors = cJSON_GetObjectItemCaseSensitive(root, "errors");
    if (cJSON_IsArray(errors) && cJSON_GetArraySize(errors) > 0) {
      const cJSON *msg = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(errors, 0), "msg");
      return fl__imp_err(err, n, j->file, fl__json_line(j, errors), "errors[0]: the query answered with an error%s%s",
                         cJSON_IsString(msg) ? ": " : "", cJSON_IsString(msg) ? msg->valuestring : "");
    }
    if (cJSON_GetObjectItemCaseSensitive(root, "spans")) list = NULL;   /* one trace */
    else if ((list = cJSON_GetObjectItemCaseSensitive(root, "data"))) prefix = "data";
    else if (cJSON_GetObjectItemCaseSensitive(root, "resourceMetrics") || cJSON_GetObjectItemCaseSensitive(root, "resourceLogs"))
      return fl__imp_err(err, n, j->file, line, "these are OTLP %s, not traces (OTLP traces have \"resourceSpans\")",
                         cJSON_GetObjectItemCaseSensitive(root, "resourceMetrics") ? "metrics (faultline import otel reads the service graph's)" : "logs");
    else
      return fl__imp_err(err, n, j->file, line,
                         "expected traces: Jaeger's { \"data\": [ { \"traceID\", \"spans\", \"processes\" } ] } or OTLP's { \"resourceSpans\": [...] } "
                         "(this object has neither \"data\", \"spans\" nor \"resourceSpans\")");
  }
  if (t->source && strcmp(t->source, "Jaeger traces") != 0) return fl__imp_err(err, n, j->file, line, "Jaeger traces after OTLP traces in one file");
  t->source = "Jaeger traces";
  if (!list) return jaeger_trace(t, j, root, "trace", err, n);
  if (!cJSON_IsArray(list))
    return fl__imp_err(err, n, j->file, fl__json_line(j, list), "%s%sexpected a list of traces, got %s", prefix, *prefix ? ": " : "", fl__json_type(list));
  const cJSON *first = list->child;
  if (cJSON_IsObject(first) && cJSON_GetObjectItemCaseSensitive(first, "parent") && cJSON_GetObjectItemCaseSensitive(first, "child") && !cJSON_GetObjectItemCaseSensitive(first, "spans"))
    return fl__imp_err(err, n, j->file, fl__json_line(j, first),
                       "%s[0]: a dependency link { \"parent\", \"child\", \"callCount\" }, not a trace: this is Jaeger's dependencies (faultline import jaeger reads them)", prefix);
  int i = 0, rc;
  for (const cJSON *tr = first; tr; tr = tr->next, i++) {
    char path[64];
    snprintf(path, sizeof path, "%s[%d]", prefix, i);
    if ((rc = jaeger_trace(t, j, tr, path, err, n))) return rc;
  }
  return 0;
}

/* The whole file: one JSON document, or several (JSON Lines, as the collector's file exporter
** writes them: one export request per line). */
int fl__traces_read(tr_t *t, const char *text, size_t len, char *err, size_t n) {
  size_t off = len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;   /* a UTF-8 byte order mark */
  int line = 1, rc = 0;
  while (off < len) {
    while (off < len && (unsigned char)text[off] <= 32) { if (text[off] == '\n') line++; off++; }
    if (off >= len) break;
    if (text[off] != '{' && text[off] != '[') {
      bool graph = strstr(text, "traces_service_graph") != NULL;
      return fl__imp_err(err, n, t->file, line, "not JSON: traces are Jaeger's or OTLP's JSON%s", graph ?
                         " (this looks like the service graph connector's metrics: faultline import otel reads them)" : "");
    }
    const char *end = NULL;
    cJSON *probe = cJSON_ParseWithLengthOpts(text + off, len - off, &end, 0);
    size_t dlen = probe && end > text + off ? (size_t)(end - (text + off)) : len - off;
    cJSON_Delete(probe);
    if (off == 0 && dlen == len) {   /* the common case: one document, no copy */
      fl_json_t j;
      if ((rc = fl__json_parse(&j, t->file, text, len, err, n))) return rc;
      rc = read_doc(t, &j, err, n);
      fl__json_release(&j);
      t->ntraces_docs++;
      return rc;
    }
    char *doc = fl_xmalloc(dlen + 1);
    memcpy(doc, text + off, dlen);
    doc[dlen] = 0;
    fl_json_t j;
    rc = fl__json_parse_at(&j, t->file, doc, dlen, line, err, n);
    if (rc == 0) { rc = read_doc(t, &j, err, n); fl__json_release(&j); }
    free(doc);
    if (rc) return rc;
    t->ntraces_docs++;
    for (size_t i = off; i < off + dlen; i++) line += text[i] == '\n';
    off += dlen;
  }
  if (t->ntraces_docs == 0) return fl__imp_err(err, n, t->file, line, "invalid JSON: the file is empty");
  return 0;
}
