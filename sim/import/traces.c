/* Raw traces to a calibrated scenario: spans read from Jaeger's trace JSON (the query API's and
** the UI's export: { "data": [ { traceID, spans, processes } ] }, a list of traces, or one trace)
** or OTLP JSON traces ({ "resourceSpans": [...] }; JSON Lines of either, as the collector's file
** exporter writes them) become one endpoint per operation (service.operation).
**
** What the spans give, and what is derived from them:
**  - the call tree: a span's children are its calls. A client (or producer) span whose one child
**    is a span of another service is the call itself, not an operation: it is folded into the
**    call (its time outside the callee's span, the network, counts as the caller's own work).
**    A client span without children names its callee by peer.service, db.system, server.address
**    or net.peer.name: that becomes a service of its own (guessed), else it stays an operation of
**    its caller. Jaeger's FOLLOWS_FROM and OTLP consumer spans are async calls;
**  - steps: a parent's children sorted by start; children that overlap in time form a parallel
**    group. The k-th call of an operation to a callee is one "slot"; two slots are in the same
**    group when they overlapped in most of the spans where both occur; groups are ordered by
**    their mean start;
**  - a slot's probability is the share of the parent's spans that have it; a callee called k
**    times gets k slots (mean calls per request kept);
**  - own work: the span's duration less the union of its children's spans (clipped to it), as
**    measured percentiles;
**  - errors: the share of spans in error (error tag, otel.status_code ERROR, OTLP status code
**    2) that no failing child explains; a call whose failures the parent survived is optional;
**  - entry traffic: root spans per second over the time between the first and the last root
**    (--window: root spans over it), the mix their shares;
**  - guessed: instances and workers (sized so the observed rate keeps about a quarter of the
**    workers busy: the queueing of the real system is already in the span times), queues,
**    duration and warm-up, the seed.
** A recursive operation (a cycle of endpoints) cannot be simulated: each cycle is broken at its
** least-called call, with a comment (keep_cycles: the import stops and says so). */
#include "import_int.h"

#include "faultline/units.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_SLOTS 256          /* calls per operation written out at most */
#define GUESS_RATE 1.0         /* entry rate when the traces cannot give one */

/* ---- interned strings ---- */

typedef struct { char **s; int n, cap; int *h; int hcap; } strtab_t;

static uint64_t hash_str(const char *s) {
  uint64_t h = 1469598103934665603ull;
  for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
  return h;
}

static void st_rehash(strtab_t *t) {
  free(t->h);
  t->hcap = t->hcap ? t->hcap * 2 : 256;
  t->h = fl_xmalloc((size_t)t->hcap * sizeof *t->h);
  for (int i = 0; i < t->hcap; i++) t->h[i] = -1;
  for (int i = 0; i < t->n; i++) {
    size_t k = hash_str(t->s[i]) & (size_t)(t->hcap - 1);
    while (t->h[k] >= 0) k = (k + 1) & (size_t)(t->hcap - 1);
    t->h[k] = i;
  }
}

/* The index of 's', added when new unless 'add' is false (then -1). */
static int st_find(strtab_t *t, const char *s, bool add) {
  if (!t->h) st_rehash(t);
  size_t k = hash_str(s) & (size_t)(t->hcap - 1);
  for (; t->h[k] >= 0; k = (k + 1) & (size_t)(t->hcap - 1))
    if (strcmp(t->s[t->h[k]], s) == 0) return t->h[k];
  if (!add) return -1;
  if (t->n == t->cap) { t->cap = t->cap ? t->cap * 2 : 64; t->s = fl_xrealloc(t->s, (size_t)t->cap * sizeof *t->s); }
  t->s[t->n] = fl_xstrdup(s);
  t->h[k] = t->n++;
  if (2 * t->n > t->hcap) st_rehash(t);
  return t->n - 1;
}

static void st_release(strtab_t *t) {
  for (int i = 0; i < t->n; i++) free(t->s[i]);
  free(t->s); free(t->h);
  memset(t, 0, sizeof *t);
}

/* ---- spans ---- */

enum { K_UNSET = 0, K_INTERNAL, K_SERVER, K_CLIENT, K_PRODUCER, K_CONSUMER };

typedef struct {
  int trace;                  /* interned trace id */
  int key;                    /* interned "trace/span" */
  int pkey;                   /* interned "trace/parent", or -1: no parent */
  int64_t start, end;         /* nanoseconds */
  int svc, op, peer;          /* interned names; peer -1: none */
  int kind;
  bool error, follows;        /* follows: the parent link is FOLLOWS_FROM (async) */
  int line;
  int parent;                 /* resolved, -1: a root (or its parent is not in the file: orphan) */
  bool orphan;
  int eparent;                /* the operation it is a call of (client spans folded), or -1 */
  int via;                    /* the client span folded into this call, or -1 */
  bool folded;                /* a client span that is its child's call */
  int ep;                     /* its endpoint */
} tspan_t;

typedef struct {
  int callee;                 /* endpoint */
  int k;                      /* the k-th call to it in a span */
  bool async;
  int present;                /* spans with this slot */
  double off_sum;             /* sum of start offsets (s) from the parent's start */
  int err, err_survived;      /* the call failed; ... and the parent did not */
  bool dropped;               /* to break a cycle */
  int group;                  /* after grouping: the representative slot */
  double gstart;              /* the group's mean start */
} tslot_t;

typedef struct {
  int svc, op;                /* interned */
  char *name;                 /* endpoint name (sanitized) */
  int n, nok, errors, own_errors, roots, orphans;
  double *own, *lat; int nown, nlat;
  double dur_sum;
  tslot_t *slots; int nslots, scap;
  int *together, *both;       /* nslots x nslots */
  int slots_over;             /* calls beyond MAX_SLOTS, not written */
  char *cut;                  /* a call left out to break a cycle: text (owned) */
  int line;
  double rate;
} tep_t;

typedef struct {
  int svc;                    /* interned */
  char *name;                 /* as a service name */
  bool renamed, peer_only;
  int *eps; int neps;
  int instances, workers;
  double busy;
} tsvc_t;

typedef struct {
  const char *file;
  const fl_import_opts_t *o;
  FILE *notes;
  strtab_t str;               /* names, trace ids */
  strtab_t keys;              /* "trace/span" */
  int *span_of_key; int skcap;
  tspan_t *sp; int nsp, spcap;
  tep_t *ep; int nep;
  strtab_t epkeys;
  tsvc_t *svc; int nsvc;
  const char *source;         /* "Jaeger traces", "OTLP JSON traces" */
  int ntraces_docs;           /* documents (JSON Lines) */
  int dups, foreign_refs, folded, peers, follows;
  int64_t ts_min, ts_max;     /* of the roots' starts */
} tr_t;

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
  int r = st_find(&t->keys, k, true);
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
  s->trace = st_find(&t->str, tid, true);
  s->key = span_key(t, tid, sid);
  s->start = start; s->end = start + dur;
  s->svc = st_find(&t->str, svc[0] ? svc : "unknown_service", true);
  s->op = st_find(&t->str, op, true);
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
      if (r >= 0 && r < best) { best = r; s->peer = st_find(&t->str, v->valuestring, true); }
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
  s->trace = st_find(&t->str, tid, true);
  s->key = span_key(t, tid, sid);
  s->start = start; s->end = end;
  s->svc = svc;
  s->op = st_find(&t->str, name, true);
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
    if (r >= 0 && r < best) { best = r; s->peer = st_find(&t->str, v, true); }
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
    int svc_id = st_find(&t->str, svc, true);
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
static int read_all(tr_t *t, const char *text, size_t len, char *err, size_t n) {
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

/* ---- the tree ---- */

static bool is_client(const tspan_t *s) { return s->kind == K_CLIENT || s->kind == K_PRODUCER; }

static int ep_of(tr_t *t, int svc, int op, int line) {
  size_t l = strlen(t->str.s[svc]) + strlen(t->str.s[op]) + 2;
  char *k = fl_xmalloc(l);
  snprintf(k, l, "%s\x1f%s", t->str.s[svc], t->str.s[op]);
  int before = t->epkeys.n, id = st_find(&t->epkeys, k, true);
  free(k);
  if (id == before) {
    t->ep = fl_xrealloc(t->ep, (size_t)(t->nep + 1) * sizeof *t->ep);
    tep_t *e = &t->ep[t->nep++];
    memset(e, 0, sizeof *e);
    e->svc = svc; e->op = op; e->line = line;
  }
  return id;
}

typedef struct { int span; int64_t cstart, cend; } tkid_t;

static int cmp_kid(const void *a, const void *b) {
  const tkid_t *x = a, *y = b;
  if (x->cstart != y->cstart) return x->cstart < y->cstart ? -1 : 1;
  if (x->cend != y->cend) return x->cend < y->cend ? -1 : 1;
  return x->span - y->span;
}

/* Parents resolved, client spans folded into their calls, endpoints assigned. Returns the
** children of every span (kids[first[i] .. first[i + 1])), sorted by the call's start. */
static void build_tree(tr_t *t, tkid_t **kids_out, int **first_out) {
  int ns = t->nsp > 0 ? t->nsp : 0;   /* never negative: tells the optimiser the sizes below are small */
  /* span by key; a repeated id keeps its first span */
  int *by_key = fl_xmalloc((size_t)t->keys.n * sizeof *by_key);
  for (int i = 0; i < t->keys.n; i++) by_key[i] = -1;
  for (int i = 0; i < ns; i++) {
    if (by_key[t->sp[i].key] >= 0) t->dups++;
    else by_key[t->sp[i].key] = i;
  }
  int *nkids = fl_xcalloc((size_t)ns, sizeof *nkids);
  for (int i = 0; i < ns; i++) {
    tspan_t *s = &t->sp[i];
    if (s->pkey >= 0) {
      int p = by_key[s->pkey];
      if (p < 0 || p == i) s->orphan = true;
      else { s->parent = p; nkids[p]++; }
    }
  }
  /* a parent chain that loops (bad ids) is cut where it closes */
  for (int i = 0; i < ns; i++) {
    int steps = 0;
    for (int p = t->sp[i].parent; p >= 0 && steps <= ns; p = t->sp[p].parent) steps++;
    if (steps > ns) { nkids[t->sp[i].parent]--; t->sp[i].parent = -1; t->sp[i].orphan = true; }
  }
  /* fold: a client span with one child, of another service, and a parent of its own */
  int *only = fl_xmalloc((size_t)ns * sizeof *only);
  for (int i = 0; i < ns; i++) only[i] = -1;
  for (int i = 0; i < ns; i++) if (t->sp[i].parent >= 0) only[t->sp[i].parent] = i;
  for (int i = 0; i < ns; i++) {
    tspan_t *s = &t->sp[i];
    if (is_client(s) && nkids[i] == 1 && s->parent >= 0 && t->sp[only[i]].svc != s->svc) s->folded = true;
  }
  for (int i = 0; i < ns; i++)   /* a folded span's parent is an operation, never a folded span */
    if (t->sp[i].folded && t->sp[t->sp[i].parent].folded) t->sp[i].folded = false;
  for (int i = 0; i < ns; i++) t->folded += t->sp[i].folded;
  for (int i = 0; i < ns; i++) {
    tspan_t *s = &t->sp[i];
    if (s->folded) continue;
    int p = s->parent;
    if (p >= 0 && t->sp[p].folded) { s->via = p; s->eparent = t->sp[p].parent; if (t->sp[p].follows) s->follows = true; }
    else s->eparent = p;
    /* a client span without children: its callee by the peer it names */
    int svc = s->svc;
    if (is_client(s) && nkids[i] == 0 && s->peer >= 0 && s->peer != s->svc) { svc = s->peer; t->peers++; }
    s->ep = ep_of(t, svc, s->op, s->line);
    if (s->follows && s->eparent >= 0) t->follows++;
  }
  int *first = fl_xcalloc((size_t)ns + 1, sizeof *first);
  for (int i = 0; i < ns; i++) if (!t->sp[i].folded && t->sp[i].eparent >= 0) first[t->sp[i].eparent + 1]++;
  for (int i = 0; i < ns; i++) first[i + 1] += first[i];
  tkid_t *kids = fl_xmalloc(((size_t)first[ns] + 1) * sizeof *kids);
  int *fill = fl_xmalloc(((size_t)ns + 1) * sizeof *fill);
  for (int i = 0; i < ns; i++) fill[i] = first[i];
  for (int i = 0; i < ns; i++) {
    const tspan_t *s = &t->sp[i];
    if (s->folded || s->eparent < 0) continue;
    const tspan_t *c = s->via >= 0 ? &t->sp[s->via] : s;
    kids[fill[s->eparent]++] = (tkid_t){ i, c->start, c->end };
  }
  for (int i = 0; i < ns; i++) qsort(kids + first[i], (size_t)(first[i + 1] - first[i]), sizeof *kids, cmp_kid);
  free(fill); free(only); free(nkids); free(by_key);
  *kids_out = kids; *first_out = first;
}

/* ---- per endpoint ---- */

static int slot_of(tep_t *e, int callee, int k, bool async) {
  for (int i = 0; i < e->nslots; i++) if (e->slots[i].callee == callee && e->slots[i].k == k && e->slots[i].async == async) return i;
  if (e->nslots >= MAX_SLOTS) return -1;
  if (e->nslots == e->scap) { e->scap = e->scap ? e->scap * 2 : 8; e->slots = fl_xrealloc(e->slots, (size_t)e->scap * sizeof *e->slots); }
  tslot_t *s = &e->slots[e->nslots];
  memset(s, 0, sizeof *s);
  s->callee = callee; s->k = k; s->async = async;
  return e->nslots++;
}

static void push(double **v, int *nv, double x) {
  if ((*nv & (*nv - 1)) == 0) *v = fl_xrealloc(*v, (size_t)(*nv ? 2 * *nv : 1) * sizeof **v);
  (*v)[(*nv)++] = x;
}

/* The slots of each child of span i (k-th call to a callee), in kids order; -1: over the cap. */
static void kid_slots(tr_t *t, tep_t *e, const tkid_t *kids, int nk, int *slot, int *count) {
  for (int a = 0; a < nk; a++) {
    const tspan_t *c = &t->sp[kids[a].span];
    int k = 0;
    for (int b = 0; b < a; b++) {
      const tspan_t *d = &t->sp[kids[b].span];
      k += d->ep == c->ep && d->follows == c->follows;
    }
    slot[a] = slot_of(e, c->ep, k, c->follows);
    if (slot[a] < 0) (*count)++;
  }
}

/* Parallel groups of one span's children: a child joins the group while it starts before the
** group's last end (overlap in time); async calls are groups of their own. */
static void kid_groups(const tspan_t *sp, const tkid_t *kids, int nk, int *grp) {
  int g = -1;
  int64_t gend = INT64_MIN;
  for (int a = 0; a < nk; a++) {
    if (sp[kids[a].span].follows) { grp[a] = ++g; gend = INT64_MIN; continue; }
    if (g < 0 || kids[a].cstart >= gend) { g++; gend = kids[a].cend; }
    else if (kids[a].cend > gend) gend = kids[a].cend;
    grp[a] = g;
  }
}

static void gather(tr_t *t, const tkid_t *kids, const int *first) {
  int maxk = 1;
  for (int i = 0; i < t->nsp; i++) if (first[i + 1] - first[i] > maxk) maxk = first[i + 1] - first[i];
  int *slot = fl_xmalloc((size_t)maxk * sizeof *slot), *grp = fl_xmalloc((size_t)maxk * sizeof *grp);
  /* pass 1: counts, own work, slots */
  for (int i = 0; i < t->nsp; i++) {
    const tspan_t *s = &t->sp[i];
    if (s->folded) continue;
    tep_t *e = &t->ep[s->ep];
    const tkid_t *k = kids + first[i];
    int nk = first[i + 1] - first[i];
    e->n++;
    double dur = (double)(s->end - s->start) * 1e-9;
    e->dur_sum += dur;
    if (s->eparent < 0) { e->roots++; e->orphans += s->orphan; }
    bool child_err = false;
    int over = 0;
    kid_slots(t, e, k, nk, slot, &over);
    e->slots_over += over;
    /* covered: the union of the children's own spans (the callee's view), clipped to this one */
    int64_t covered = 0, cur_s = 0, cur_e = INT64_MIN;
    for (int a = 0; a < nk; a++) {
      const tspan_t *c = &t->sp[k[a].span];
      if (c->error && !c->follows) child_err = true;
      if (slot[a] >= 0) {
        tslot_t *sl = &e->slots[slot[a]];
        sl->present++;
        sl->off_sum += (double)(k[a].cstart - s->start) * 1e-9;
        if (c->error) { sl->err++; sl->err_survived += !s->error; }
      }
    }
    /* children sorted by the call's start, the callee's span may start later: sort a copy */
    int64_t *iv = fl_xmalloc((size_t)(2 * nk + 1) * sizeof *iv);
    int ni = 0;
    for (int a = 0; a < nk; a++) {
      const tspan_t *c = &t->sp[k[a].span];
      if (c->follows) continue;
      int64_t a0 = c->start < s->start ? s->start : c->start, a1 = c->end > s->end ? s->end : c->end;
      if (a1 > a0) { iv[2 * ni] = a0; iv[2 * ni + 1] = a1; ni++; }
    }
    /* insertion sort by start: children are few */
    for (int a = 1; a < ni; a++)
      for (int b = a; b > 0 && iv[2 * b] < iv[2 * (b - 1)]; b--) {
        int64_t x0 = iv[2 * b], x1 = iv[2 * b + 1];
        iv[2 * b] = iv[2 * (b - 1)]; iv[2 * b + 1] = iv[2 * (b - 1) + 1];
        iv[2 * (b - 1)] = x0; iv[2 * (b - 1) + 1] = x1;
      }
    for (int a = 0; a < ni; a++) {
      if (iv[2 * a] > cur_e) { if (cur_e > cur_s) covered += cur_e - cur_s; cur_s = iv[2 * a]; cur_e = iv[2 * a + 1]; }
      else if (iv[2 * a + 1] > cur_e) cur_e = iv[2 * a + 1];
    }
    if (cur_e > cur_s) covered += cur_e - cur_s;
    free(iv);
    double own = (double)(s->end - s->start - covered) * 1e-9;
    push(&e->own, &e->nown, own < 0 ? 0 : own);
    if (s->error) { e->errors++; if (!child_err) e->own_errors++; }
    else { e->nok++; push(&e->lat, &e->nlat, dur); }
  }
  /* pass 2: which slots share a group */
  for (int x = 0; x < t->nep; x++) {
    tep_t *e = &t->ep[x];
    size_t m = (size_t)e->nslots;
    e->together = fl_xcalloc(m * m + 1, sizeof *e->together);
    e->both = fl_xcalloc(m * m + 1, sizeof *e->both);
  }
  for (int i = 0; i < t->nsp; i++) {
    const tspan_t *s = &t->sp[i];
    if (s->folded) continue;
    tep_t *e = &t->ep[s->ep];
    const tkid_t *k = kids + first[i];
    int nk = first[i + 1] - first[i], over = 0;
    if (nk < 2) continue;
    kid_slots(t, e, k, nk, slot, &over);
    kid_groups(t->sp, k, nk, grp);
    int m = e->nslots;
    for (int a = 0; a < nk; a++)
      for (int b = a + 1; b < nk; b++) {
        if (slot[a] < 0 || slot[b] < 0) continue;
        int p = slot[a] * m + slot[b], q = slot[b] * m + slot[a];
        e->both[p]++; e->both[q]++;
        if (grp[a] == grp[b]) { e->together[p]++; e->together[q]++; }
      }
  }
  free(slot); free(grp);
}

static int find_root(tslot_t *s, int i) { while (s[i].group != i) i = s[i].group = s[s[i].group].group; return i; }

/* Writing order: by group start, group, own mean start. */
typedef struct { double gstart, off; int group, idx; } sortkey_t;
static int cmp_order(const void *a, const void *b) {
  const sortkey_t *x = a, *y = b;
  if (x->gstart != y->gstart) return x->gstart < y->gstart ? -1 : 1;
  if (x->group != y->group) return x->group - y->group;
  if (x->off != y->off) return x->off < y->off ? -1 : 1;
  return x->idx - y->idx;
}

/* Groups the slots: two share a group when they overlapped in more than half of the spans that
** had both. Writes the slots in writing order into 'order'. */
static void group_slots(tep_t *e, int *order) {
  int m = e->nslots;
  for (int i = 0; i < m; i++) e->slots[i].group = i;
  for (int a = 0; a < m; a++)
    for (int b = a + 1; b < m; b++) {
      if (e->slots[a].async || e->slots[b].async || e->slots[a].dropped || e->slots[b].dropped) continue;
      int both = e->both[a * m + b], tog = e->together[a * m + b];
      if (both > 0 && 2 * tog > both) {
        int ra = find_root(e->slots, a), rb = find_root(e->slots, b);
        if (ra != rb) e->slots[ra > rb ? ra : rb].group = ra < rb ? ra : rb;
      }
    }
  for (int i = 0; i < m; i++) e->slots[i].group = find_root(e->slots, i);
  /* a group's start: the earliest mean start of its slots */
  for (int i = 0; i < m; i++) e->slots[i].gstart = INFINITY;
  for (int i = 0; i < m; i++) {
    tslot_t *s = &e->slots[i];
    double off = s->present ? s->off_sum / s->present : 0;
    if (off < e->slots[s->group].gstart) e->slots[s->group].gstart = off;
  }
  for (int i = 0; i < m; i++) e->slots[i].gstart = e->slots[e->slots[i].group].gstart;
  sortkey_t *keys = fl_xmalloc(((size_t)m + 1) * sizeof *keys);
  for (int i = 0; i < m; i++) {
    const tslot_t *s = &e->slots[i];
    keys[i] = (sortkey_t){ s->gstart, s->present ? s->off_sum / s->present : 0, s->group, i };
  }
  qsort(keys, (size_t)m, sizeof *keys, cmp_order);
  for (int i = 0; i < m; i++) order[i] = keys[i].idx;
  free(keys);
}

/* ---- cycles ---- */

static int calls_to(const tep_t *e, int callee) {
  int c = 0;
  for (int i = 0; i < e->nslots; i++) if (e->slots[i].callee == callee && !e->slots[i].dropped) c += e->slots[i].present;
  return c;
}

/* Depth-first search for a cycle of endpoints; fills path with its endpoints (path[k] calls path[k + 1]). */
static int find_cycle(const tr_t *t, int v, char *colour, int *stack, int depth, int *path, int *plen) {
  colour[v] = 1;
  stack[depth] = v;
  const tep_t *e = &t->ep[v];
  for (int i = 0; i < e->nslots; i++) {
    const tslot_t *s = &e->slots[i];
    if (s->dropped) continue;
    int w = s->callee;
    if (colour[w] == 1) {
      int k = depth;
      while (k > 0 && stack[k] != w) k--;
      *plen = 0;
      for (; k <= depth; k++) path[(*plen)++] = stack[k];
      return 1;
    }
    if (colour[w] == 0 && find_cycle(t, w, colour, stack, depth + 1, path, plen)) return 1;
  }
  colour[v] = 2;
  return 0;
}

static void ep_text(const tr_t *t, int ep, char *buf, size_t n) {
  snprintf(buf, n, "%s.%s", t->str.s[t->ep[ep].svc], t->str.s[t->ep[ep].op]);
}

/* Breaks every cycle at its least-called call (or, keep_cycles, stops at the first). */
static int break_cycles(tr_t *t, int *ncut, char *err, size_t n) {
  int ne = t->nep;
  char *colour = fl_xcalloc((size_t)ne + 1, 1);
  int *stack = fl_xcalloc((size_t)ne + 1, sizeof *stack), *path = fl_xcalloc((size_t)ne + 1, sizeof *path);
  int rc = 0;
  *ncut = 0;
  for (;;) {
    memset(colour, 0, (size_t)ne);
    int plen = 0;
    for (int i = 0; i < ne && !plen; i++) if (!colour[i]) find_cycle(t, i, colour, stack, 0, path, &plen);
    if (!plen) break;
    int weakest = 0;
    for (int k = 0; k < plen; k++)
      if (calls_to(&t->ep[path[k]], path[(k + 1) % plen]) < calls_to(&t->ep[path[weakest]], path[(weakest + 1) % plen])) weakest = k;
    int from = path[weakest], to = path[(weakest + 1) % plen];
    char text[1024], a[256];
    size_t w = 0;
    for (int k = 0; k <= plen && k <= 6 && w < sizeof text - 300; k++) {
      if (k == 6 && plen > 6) { w += (size_t)snprintf(text + w, sizeof text - w, " -> ..."); break; }
      ep_text(t, path[k % plen], a, sizeof a);
      w += (size_t)snprintf(text + w, sizeof text - w, "%s%s", k ? " -> " : "", a);
    }
    if (t->o->keep_cycles) {
      char b[256];
      ep_text(t, from, a, sizeof a);
      ep_text(t, to, b, sizeof b);
      rc = fl__imp_err(err, n, t->file, t->ep[from].line,
                       "the traces have a cycle of operations: %s\nfaultline follows each request down a tree of calls, so a cycle (a "
                       "recursive operation) would have a request call itself forever; without --keep-cycles the call %s -> %s "
                       "(%d calls, the fewest on the cycle) is left out", text, a, b, calls_to(&t->ep[from], to));
      break;
    }
    tep_t *e = &t->ep[from];
    size_t ol = e->cut ? strlen(e->cut) : 0;
    char line[1400];
    ep_text(t, to, a, sizeof a);
    snprintf(line, sizeof line, "%s%s (%d calls, the fewest on the cycle %s)", ol ? "; " : "", a, calls_to(e, to), text);
    for (int i = 0; i < e->nslots; i++) if (e->slots[i].callee == to) e->slots[i].dropped = true;
    e->cut = fl_xrealloc(e->cut, ol + strlen(line) + 1);
    memcpy(e->cut + ol, line, strlen(line) + 1);
    (*ncut)++;
  }
  free(colour); free(stack); free(path);
  return rc;
}

/* ---- names, rates, sizes ---- */

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

static char *unique_name(const char *raw, char **taken, int ntaken, bool *renamed) {
  char *s = fl_xmalloc(strlen(raw) + 24);
  strcpy(s, raw[0] ? raw : "unnamed");
  *renamed = fl__sanitize_name(s) || !raw[0];
  char *base = fl_xstrdup(s);
  for (int k = 2;; k++) {
    bool clash = false;
    for (int j = 0; j < ntaken && !clash; j++) clash = taken[j] && strcmp(taken[j], s) == 0;
    if (!clash) break;
    sprintf(s, "%s_%d", base, k);
    *renamed = true;
  }
  free(base);
  return s;
}

static void name_all(tr_t *t) {
  /* services in the order of their first operation */
  int *svc_of = fl_xmalloc((size_t)t->str.n * sizeof *svc_of);
  for (int i = 0; i < t->str.n; i++) svc_of[i] = -1;
  char **snames = fl_xcalloc((size_t)t->nep + 1, sizeof *snames);
  for (int x = 0; x < t->nep; x++) {
    tep_t *e = &t->ep[x];
    int v = svc_of[e->svc];
    if (v < 0) {
      t->svc = fl_xrealloc(t->svc, (size_t)(t->nsvc + 1) * sizeof *t->svc);
      tsvc_t *s = &t->svc[t->nsvc];
      memset(s, 0, sizeof *s);
      s->svc = e->svc;
      s->name = unique_name(t->str.s[e->svc], snames, t->nsvc, &s->renamed);
      snames[t->nsvc] = s->name;
      v = svc_of[e->svc] = t->nsvc++;
    }
    tsvc_t *s = &t->svc[v];
    char **enames = fl_xcalloc((size_t)s->neps + 1, sizeof *enames);
    for (int k = 0; k < s->neps; k++) enames[k] = t->ep[s->eps[k]].name;
    bool renamed;
    e->name = unique_name(t->str.s[e->op], enames, s->neps, &renamed);
    free(enames);
    s->eps = fl_xrealloc(s->eps, (size_t)(s->neps + 1) * sizeof *s->eps);
    s->eps[s->neps++] = x;
  }
  free(snames);
  free(svc_of);
}

static const tsvc_t *svc_of_ep(const tr_t *t, int ep) {
  for (int i = 0; i < t->nsvc; i++) if (t->svc[i].svc == t->ep[ep].svc) return &t->svc[i];
  return NULL;
}

static void fmt_rate(char *buf, size_t n, double r) {
  if (r >= 1 || r == 0) snprintf(buf, n, "%.6g/s", r);
  else if (r * 60 >= 1) snprintf(buf, n, "%.6g/m", r * 60);
  else snprintf(buf, n, "%.6g/h", r * 3600);
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
  qsort(e->own, (size_t)e->nown, sizeof *e->own, cmp_double);
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
  group_slots(e, order);
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

static void size_services(tr_t *t, double scale) {
  for (int x = 0; x < t->nep; x++) t->ep[x].rate = t->ep[x].n * scale;
  for (int i = 0; i < t->nsvc; i++) {
    tsvc_t *s = &t->svc[i];
    s->busy = 0;
    for (int k = 0; k < s->neps; k++) { const tep_t *e = &t->ep[s->eps[k]]; if (e->n) s->busy += e->rate * e->dur_sum / e->n; }
    double want = ceil(4 * s->busy);
    if (want < 8) want = 8;
    int inst = (int)ceil(want / 64);
    if (inst < 2) inst = 2;
    if (inst > 100000) inst = 100000;
    s->instances = inst;
    s->workers = (int)ceil(want / inst);
    if (s->workers < 4) s->workers = 4;
    if (s->workers > 1000000) s->workers = 1000000;
  }
}

static void write_scenario(tr_t *t, FILE *out, double rate, const char *rate_how, int roots, int ncut) {
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
  char dur[32] = "10m", wu[32] = "1m";
  if (o->has_duration && o->duration > 0) {
    fl_format_duration(o->duration, dur, sizeof dur);
    fl_format_duration(o->duration / 10, wu, sizeof wu);
  }
  fprintf(out, "\nscenario { name = ");
  fl__lua_string(out, name);
  fprintf(out, ", duration = \"%s\", warmup = \"%s\", seed = 1 }  -- %s\n", dur, wu,
          o->has_duration ? "duration given (--duration), warm-up a tenth of it (guessed)" : "guessed: duration and warm-up (--duration sets them)");
  for (int i = 0; i < t->nsvc; i++) {
    tsvc_t *s = &t->svc[i];
    int n = 0;
    for (int k = 0; k < s->neps; k++) n += t->ep[s->eps[k]].n;
    char rt[32], lat[32];
    fmt_rate(rt, sizeof rt, s->busy > 0 || n ? n * rate / (roots ? roots : 1) : 0);
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
      qsort(e->lat, (size_t)e->nlat, sizeof *e->lat, cmp_double);
      char a[32], b[32], c[32], r2[32];
      fmt_rate(r2, sizeof r2, e->rate);
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
  fmt_rate(rt, sizeof rt, rate);
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

static void tr_release(tr_t *t) {
  for (int x = 0; x < t->nep; x++) {
    tep_t *e = &t->ep[x];
    free(e->name); free(e->own); free(e->lat); free(e->slots); free(e->together); free(e->both); free(e->cut);
  }
  for (int i = 0; i < t->nsvc; i++) { free(t->svc[i].name); free(t->svc[i].eps); }
  free(t->ep); free(t->svc); free(t->sp); free(t->span_of_key);
  st_release(&t->str); st_release(&t->keys); st_release(&t->epkeys);
}

int fl__import_traces(const char *path, const char *text, size_t len, const fl_import_opts_t *o, FILE *out, FILE *notes,
                      char *err, size_t n) {
  tr_t t;
  memset(&t, 0, sizeof t);
  t.file = path; t.o = o; t.notes = notes;
  tkid_t *kids = NULL;
  int *first = NULL;
  int rc = read_all(&t, text, len, err, n);
  if (rc) goto out;
  if (t.nsp == 0) { rc = fl__imp_err(err, n, path, 1, "no spans: the file holds %s without any span", t.source ? t.source : "traces"); goto out; }
  build_tree(&t, &kids, &first);
  gather(&t, kids, first);
  int ncut = 0;
  if ((rc = break_cycles(&t, &ncut, err, n))) goto out;
  name_all(&t);
  /* entry traffic: root spans over the time between the first and the last */
  int roots = 0;
  int64_t lo = INT64_MAX, hi = INT64_MIN;
  for (int i = 0; i < t.nsp; i++) {
    const tspan_t *s = &t.sp[i];
    if (s->folded || s->eparent >= 0) continue;
    roots++;
    if (s->start < lo) lo = s->start;
    if (s->start > hi) hi = s->start;
  }
  FL_ASSERT(roots > 0);
  double rate, span = (double)(hi - lo) * 1e-9;
  char how[512], w1[32];
  if (o->window > 0) {
    rate = roots / o->window;
    fl_format_duration(o->window, w1, sizeof w1);
    snprintf(how, sizeof how, "derived: %d root spans over --window %s", roots, w1);
  } else if (roots >= 2 && span > 0) {
    rate = (roots - 1) / span;
    fl__fmt_dur(w1, sizeof w1, span);
    snprintf(how, sizeof how, "derived: %d root spans, the first and the last %s apart: (roots - 1) / that time. "
                              "Sampled traces: divide by the sampling ratio", roots, w1);
  } else {
    rate = GUESS_RATE;
    snprintf(how, sizeof how, "guessed: %s (the traces span no time: give the time they cover with --window)", roots == 1 ? "one root span" : "every root starts at once");
    fl__imp_note(notes, "the traces' root spans give no rate: %g/s guessed (--window sets the time they cover)", GUESS_RATE);
  }
  size_services(&t, rate / roots);
  write_scenario(&t, out, rate, how, roots, ncut);
  if (ncut) fl__imp_note(notes, "the traces have recursive operations: %d call%s left out, each the least-called on its cycle (--keep-cycles stops instead)",
                         ncut, ncut == 1 ? "" : "s");
  int orphans = 0;
  for (int x = 0; x < t.nep; x++) orphans += t.ep[x].orphans;
  if (orphans) fl__imp_note(notes, "%d span%s name a parent that is not in the file (an incomplete trace?): taken as root%s", orphans,
                            orphans == 1 ? "" : "s", orphans == 1 ? "" : "s");
  if (t.dups) fl__imp_note(notes, "%d span%s repeat an id already read in the trace: the first is the parent of its children", t.dups, t.dups == 1 ? "" : "s");
out:
  free(kids); free(first);
  tr_release(&t);
  return rc;
}
