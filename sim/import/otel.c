/* The OpenTelemetry service graph connector's metrics (also Tempo's metrics-generator and
** Grafana Alloy) in the Prometheus text exposition format (and OpenMetrics): the counters
** traces_service_graph_request_total and ..._request_failed_total, and the histograms
** ..._request_server_seconds and ..._request_client_seconds (_bucket, _sum, _count), each
** labelled client and server, read into a service graph. A prefix before "traces_service_graph_"
** (the Prometheus exporter's namespace) is allowed; other metrics are skipped.
**
** Counters count from the collector's start. One scrape gives totals over an unknown time (the
** window must be given, or is guessed); two or more scrapes of the same series with timestamps
** give the increase between the first and the last (with counter resets, as Prometheus'
** increase()) and the window between them.
**
** The collector's own OTLP form (its JSON, or the YAML its tests write: resourceMetrics ->
** scopeMetrics -> metrics, each a sum or a histogram of dataPoints with attributes) is read
** into the same samples: cumulative points cover startTimeUnixNano to timeUnixNano (the window);
** histogram bucketCounts are per bucket (made cumulative here); a request_total point with the
** attribute failed = true counts as failed when the data has no request_failed_total. */
#include "import_int.h"

#include "faultline/units.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

typedef enum {
  K_TOTAL = 0, K_FAILED, K_SRV_BUCKET, K_SRV_SUM, K_SRV_COUNT, K_CLI_BUCKET, K_CLI_SUM, K_CLI_COUNT, K__N
} kind_t;

typedef struct {
  int kind;
  char *client, *server;
  double le;
  char *key;                  /* the series: name and every label, canonical */
  double ts; bool has_ts;     /* seconds */
  double v;
  int line;
} sample_t;

typedef struct { char *name, *value; } label_t;

typedef struct {
  const char *file;
  sample_t *s; int n, cap;
  int other;                  /* samples of other metrics */
  int first_line;             /* the first sample's line, for errors about the whole file */
  bool openmetrics;
} otel_t;

static int cmp_label(const void *a, const void *b) { return strcmp(((const label_t *)a)->name, ((const label_t *)b)->name); }

/* Parses a Prometheus float: numbers, +Inf, -Inf, Inf, NaN. */
static int parse_float(const char *s, size_t len, double *out) {
  char buf[64];
  if (len == 0 || len >= sizeof buf) return -1;
  memcpy(buf, s, len); buf[len] = 0;
  if (strcmp(buf, "+Inf") == 0 || strcmp(buf, "Inf") == 0 || strcmp(buf, "+inf") == 0) { *out = INFINITY; return 0; }
  if (strcmp(buf, "-Inf") == 0 || strcmp(buf, "-inf") == 0) { *out = -INFINITY; return 0; }
  if (strcmp(buf, "NaN") == 0 || strcmp(buf, "nan") == 0) { *out = NAN; return 0; }
  char *end;
  errno = 0;
  double d = strtod(buf, &end);
  if (*end || end == buf) return -1;
  *out = d;
  return 0;
}

/* Which service graph series a metric name is, or -1 for another metric; -2: ignored
** service graph metrics (unpaired and dropped spans, expired edges, _created). */
static int classify(const char *name) {
  const char *p = strstr(name, "traces_service_graph_");
  while (p && p != name && p[-1] != '_') p = strstr(p + 1, "traces_service_graph_");
  if (!p) return -1;
  const char *r = p + strlen("traces_service_graph_");
  static const struct { const char *suffix; int kind; } map[] = {
    { "request_total", K_TOTAL }, { "request_failed_total", K_FAILED },
    { "request_server_seconds_bucket", K_SRV_BUCKET }, { "request_server_seconds_sum", K_SRV_SUM },
    { "request_server_seconds_count", K_SRV_COUNT },
    { "request_server_bucket", K_SRV_BUCKET }, { "request_server_sum", K_SRV_SUM }, { "request_server_count", K_SRV_COUNT },
    { "request_duration_seconds_bucket", K_SRV_BUCKET }, { "request_duration_seconds_sum", K_SRV_SUM },
    { "request_duration_seconds_count", K_SRV_COUNT },
    { "request_client_seconds_bucket", K_CLI_BUCKET }, { "request_client_seconds_sum", K_CLI_SUM },
    { "request_client_seconds_count", K_CLI_COUNT },
    { "request_client_bucket", K_CLI_BUCKET }, { "request_client_sum", K_CLI_SUM }, { "request_client_count", K_CLI_COUNT },
  };
  for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) if (strcmp(r, map[i].suffix) == 0) return map[i].kind;
  return -2;
}

static const char *const kind_family[K__N] = {
  "traces_service_graph_request_total", "traces_service_graph_request_failed_total",
  "traces_service_graph_request_server_seconds_bucket", "traces_service_graph_request_server_seconds_sum",
  "traces_service_graph_request_server_seconds_count", "traces_service_graph_request_client_seconds_bucket",
  "traces_service_graph_request_client_seconds_sum", "traces_service_graph_request_client_seconds_count",
};

/* Parses one sample line. Returns 0, or an error in err. */
static int parse_sample(otel_t *o, const char *line, size_t len, int lineno, char *err, size_t n) {
  const char *p = line, *end = line + len;
  const char *name0 = p;
  if (!(isalpha((unsigned char)*p) || *p == '_' || *p == ':'))
    return fl__imp_err(err, n, o->file, lineno, "expected a metric name, got '%.*s'", (int)(len > 40 ? 40 : len), line);
  while (p < end && (isalnum((unsigned char)*p) || *p == '_' || *p == ':')) p++;
  char name[256];
  if ((size_t)(p - name0) >= sizeof name) return fl__imp_err(err, n, o->file, lineno, "metric name too long");
  memcpy(name, name0, (size_t)(p - name0)); name[p - name0] = 0;
  int kind = classify(name);
  label_t labels[64];
  int nl = 0;
  int rc = 0;
  while (p < end && (*p == ' ' || *p == '\t')) p++;
  if (p < end && *p == '{') {
    p++;
    for (;;) {
      while (p < end && (*p == ' ' || *p == '\t')) p++;
      if (p < end && *p == '}') { p++; break; }
      const char *l0 = p;
      while (p < end && (isalnum((unsigned char)*p) || *p == '_')) p++;
      if (p == l0) { rc = fl__imp_err(err, n, o->file, lineno, "%s: expected a label name at column %d", name, (int)(p - line) + 1); goto fail; }
      size_t ll = (size_t)(p - l0);
      while (p < end && (*p == ' ' || *p == '\t')) p++;
      if (p >= end || *p != '=') { rc = fl__imp_err(err, n, o->file, lineno, "%s: expected '=' after the label '%.*s'", name, (int)ll, l0); goto fail; }
      p++;
      while (p < end && (*p == ' ' || *p == '\t')) p++;
      if (p >= end || *p != '"') { rc = fl__imp_err(err, n, o->file, lineno, "%s: the value of label '%.*s' must be quoted", name, (int)ll, l0); goto fail; }
      p++;
      char *val = fl_xmalloc((size_t)(end - p) + 1);
      size_t vl = 0;
      while (p < end && *p != '"') {
        if (*p == '\\' && p + 1 < end) {
          p++;
          val[vl++] = *p == 'n' ? '\n' : *p;
          p++;
        } else val[vl++] = *p++;
      }
      val[vl] = 0;
      if (p >= end) { free(val); rc = fl__imp_err(err, n, o->file, lineno, "%s: the value of label '%.*s' is not closed by a quote", name, (int)ll, l0); goto fail; }
      p++;
      if (nl == 64) { free(val); rc = fl__imp_err(err, n, o->file, lineno, "%s: more than 64 labels", name); goto fail; }
      labels[nl].name = fl_xmalloc(ll + 1);
      memcpy(labels[nl].name, l0, ll); labels[nl].name[ll] = 0;
      labels[nl].value = val;
      nl++;
      while (p < end && (*p == ' ' || *p == '\t')) p++;
      if (p < end && *p == ',') { p++; continue; }
      if (p < end && *p == '}') { p++; break; }
      rc = fl__imp_err(err, n, o->file, lineno, "%s: expected ',' or '}' after a label", name);
      goto fail;
    }
  }
  while (p < end && (*p == ' ' || *p == '\t')) p++;
  const char *v0 = p;
  while (p < end && *p != ' ' && *p != '\t') p++;
  double v;
  if (parse_float(v0, (size_t)(p - v0), &v) != 0) {
    rc = fl__imp_err(err, n, o->file, lineno, "%s: expected a number after the labels, got '%.*s'", name, (int)(p - v0 > 40 ? 40 : p - v0), v0);
    goto fail;
  }
  while (p < end && (*p == ' ' || *p == '\t')) p++;
  double ts = 0; bool has_ts = false;
  if (p < end && *p != '#') {
    const char *t0 = p;
    while (p < end && *p != ' ' && *p != '\t') p++;
    if (parse_float(t0, (size_t)(p - t0), &ts) != 0 || !isfinite(ts)) {
      rc = fl__imp_err(err, n, o->file, lineno, "%s: expected a timestamp after the value, got '%.*s'", name, (int)(p - t0 > 40 ? 40 : p - t0), t0);
      goto fail;
    }
    has_ts = true;
    if (!o->openmetrics) ts /= 1000;   /* the Prometheus text format counts milliseconds */
  }
  if (!o->first_line) o->first_line = lineno;
  if (kind < 0) { o->other += kind == -1; goto done; }
  const char *client = NULL, *server = NULL, *le = NULL;
  for (int i = 0; i < nl; i++) {
    if (strcmp(labels[i].name, "client") == 0) client = labels[i].value;
    else if (strcmp(labels[i].name, "server") == 0) server = labels[i].value;
    else if (strcmp(labels[i].name, "le") == 0) le = labels[i].value;
  }
  bool bucket = kind == K_SRV_BUCKET || kind == K_CLI_BUCKET;
  if (!client || !server || (bucket && !le)) {
    char have[512] = "";
    size_t w = 0;
    for (int i = 0; i < nl && w < sizeof have - 64; i++) w += (size_t)snprintf(have + w, sizeof have - w, "%s%s", i ? ", " : "", labels[i].name);
    const char *missing = !client ? "client" : !server ? "server" : "le";
    rc = fl__imp_err(err, n, o->file, lineno,
                     "%s has no label '%s' (its labels: %s): the service graph connector labels each %s series with client and server%s",
                     name, missing, nl ? have : "none", kind_family[kind], bucket ? ", and each bucket with le" : "");
    goto fail;
  }
  if (!client[0] || !server[0]) { rc = fl__imp_err(err, n, o->file, lineno, "%s: empty %s label", name, !client[0] ? "client" : "server"); goto fail; }
  if (isnan(v)) { rc = fl__imp_err(err, n, o->file, lineno, "%s{client=\"%s\",server=\"%s\"}: the value is NaN", name, client, server); goto fail; }
  if (v < 0) {
    rc = fl__imp_err(err, n, o->file, lineno, "%s{client=\"%s\",server=\"%s\"}: negative %s %g (counters and histograms never go below 0)",
                     name, client, server, kind == K_SRV_SUM || kind == K_CLI_SUM ? "sum of latencies" : "count", v);
    goto fail;
  }
  if (isinf(v)) { rc = fl__imp_err(err, n, o->file, lineno, "%s{client=\"%s\",server=\"%s\"}: infinite value", name, client, server); goto fail; }
  double lev = 0;
  if (bucket && parse_float(le, strlen(le), &lev) != 0) {
    rc = fl__imp_err(err, n, o->file, lineno, "%s: le=\"%s\" is not a number", name, le);
    goto fail;
  }
  /* the series' identity: name and every label, sorted */
  qsort(labels, (size_t)nl, sizeof *labels, cmp_label);
  size_t klen = strlen(name) + 2;
  for (int i = 0; i < nl; i++) klen += strlen(labels[i].name) + strlen(labels[i].value) + 3;
  char *key = fl_xmalloc(klen), *kp = key;
  kp += sprintf(kp, "%s{", name);
  for (int i = 0; i < nl; i++) kp += sprintf(kp, "%s=%s\x1f", labels[i].name, labels[i].value);
  if (o->n == o->cap) { o->cap = o->cap ? o->cap * 2 : 256; o->s = fl_xrealloc(o->s, (size_t)o->cap * sizeof *o->s); }
  sample_t *s = &o->s[o->n++];
  s->kind = kind; s->client = fl_xstrdup(client); s->server = fl_xstrdup(server); s->le = lev;
  s->key = key; s->ts = ts; s->has_ts = has_ts; s->v = v; s->line = lineno;
done:
fail:
  for (int i = 0; i < nl; i++) { free(labels[i].name); free(labels[i].value); }
  return rc;
}

static void push_sample(otel_t *o, int kind, const char *client, const char *server, double le, const char *key, double ts, double v, int line) {
  if (o->n == o->cap) { o->cap = o->cap ? o->cap * 2 : 256; o->s = fl_xrealloc(o->s, (size_t)o->cap * sizeof *o->s); }
  sample_t *s = &o->s[o->n++];
  s->kind = kind; s->client = fl_xstrdup(client); s->server = fl_xstrdup(server); s->le = le;
  s->key = fl_xstrdup(key); s->ts = ts; s->has_ts = true; s->v = v; s->line = line;
}

/* ---- OTLP (JSON or YAML) ---- */

static const char *ystr(const yaml_node_t *n) { return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL; }

static yaml_node_t *yget(yaml_document_t *d, const yaml_node_t *map, const char *key) {
  if (!map || map->type != YAML_MAPPING_NODE) return NULL;
  for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
    const char *k = ystr(yaml_document_get_node(d, p->key));
    if (k && strcmp(k, key) == 0) return yaml_document_get_node(d, p->value);
  }
  return NULL;
}

#define YSEQ(d, node, it) for (yaml_node_item_t *it = (node) && (node)->type == YAML_SEQUENCE_NODE ? (node)->data.sequence.items.start : NULL; \
                             it && it < (node)->data.sequence.items.top; it++)

static double ynum(yaml_document_t *d, const yaml_node_t *map, const char *key, bool *ok) {
  const char *v = ystr(yget(d, map, key));
  char *end;
  double x = v ? strtod(v, &end) : NAN;
  *ok = v && end != v && !*end && isfinite(x) && x >= 0;
  return x;
}

static int otlp_point(otel_t *o, yaml_document_t *d, const char *name, int kind, bool hist, yaml_node_t *pt, bool failed_attr,
                      double *wmax, char *err, size_t n) {
  int line = (int)pt->start_mark.line + 1;
  const char *client = NULL, *server = NULL;
  bool failed = false;
  char key[2048];
  int w = snprintf(key, sizeof key, "%s{", name);
  yaml_node_t *attrs = yget(d, pt, "attributes");
  YSEQ(d, attrs, it) {
    yaml_node_t *a = yaml_document_get_node(d, *it);
    const char *k = ystr(yget(d, a, "key"));
    yaml_node_t *val = yget(d, a, "value");
    const char *v = ystr(yget(d, val, "stringValue"));
    if (!v) v = ystr(yget(d, val, "boolValue"));
    if (!v) v = ystr(yget(d, val, "intValue"));
    if (!k || !v) continue;
    if (strcmp(k, "client") == 0) client = v;
    else if (strcmp(k, "server") == 0) server = v;
    else if (strcmp(k, "failed") == 0) failed = strcmp(v, "true") == 0;
    if (w < (int)sizeof key) w += snprintf(key + w, sizeof key - (size_t)w, "%s=%s\x1f", k, v);
  }
  if (!client || !server || !client[0] || !server[0])
    return fl__imp_err(err, n, o->file, line, "%s: a data point without %s attribute: the service graph connector gives each client and server",
                       name, !client || !client[0] ? "a client" : "a server");
  bool ok1, ok2;
  double t0 = ynum(d, pt, "startTimeUnixNano", &ok1), t1 = ynum(d, pt, "timeUnixNano", &ok2);
  double ts = ok2 ? t1 / 1e9 : 0;
  if (ok1 && ok2 && t1 > t0 && (t1 - t0) / 1e9 > *wmax) *wmax = (t1 - t0) / 1e9;
  if (!hist) {
    bool ok;
    double v = ynum(d, pt, "asInt", &ok);
    if (!ok) v = ynum(d, pt, "asDouble", &ok);
    if (!ok) return fl__imp_err(err, n, o->file, line, "%s{client=\"%s\",server=\"%s\"}: expected a non-negative asInt or asDouble", name, client, server);
    push_sample(o, kind, client, server, 0, key, ts, v, line);
    if (kind == K_TOTAL && failed && failed_attr) {
      char fkey[2100];
      snprintf(fkey, sizeof fkey, "failed:%s", key);
      push_sample(o, K_FAILED, client, server, 0, fkey, ts, v, line);
    }
    return 0;
  }
  bool srv = kind == K_SRV_BUCKET;
  yaml_node_t *bc = yget(d, pt, "bucketCounts"), *eb = yget(d, pt, "explicitBounds");
  double cum = 0;
  int i = 0, nb = 0;
  YSEQ(d, eb, it) nb++;
  YSEQ(d, bc, it) {
    const char *v = ystr(yaml_document_get_node(d, *it));
    char *end;
    double c = v ? strtod(v, &end) : NAN;
    if (!v || end == v || *end || !(c >= 0)) return fl__imp_err(err, n, o->file, line, "%s: bucketCounts[%d]: expected a count", name, i);
    cum += c;
    double le = INFINITY;
    if (i < nb) {
      const char *b = ystr(yaml_document_get_node(d, eb->data.sequence.items.start[i]));
      le = b ? strtod(b, NULL) : NAN;
    }
    char bkey[2100];
    snprintf(bkey, sizeof bkey, "%s le=%g", key, le);
    push_sample(o, srv ? K_SRV_BUCKET : K_CLI_BUCKET, client, server, le, bkey, ts, cum, line);
    i++;
  }
  if (i && i != nb + 1) return fl__imp_err(err, n, o->file, line, "%s: %d bucketCounts for %d explicitBounds (expected one more count than bounds)", name, i, nb);
  bool ok;
  double sum = ynum(d, pt, "sum", &ok);
  char skey[2100];
  snprintf(skey, sizeof skey, "%s sum", key);
  if (ok) push_sample(o, srv ? K_SRV_SUM : K_CLI_SUM, client, server, 0, skey, ts, sum, line);
  double cnt = ynum(d, pt, "count", &ok);
  snprintf(skey, sizeof skey, "%s count", key);
  if (ok) push_sample(o, srv ? K_SRV_COUNT : K_CLI_COUNT, client, server, 0, skey, ts, cnt, line);
  return 0;
}

static int read_otlp(otel_t *o, const char *text, size_t len, double *window, char *err, size_t n) {
  yaml_parser_t parser;
  yaml_document_t doc;
  if (!yaml_parser_initialize(&parser)) { snprintf(err, n, "cannot start the YAML parser"); return -FL_ENOMEM; }
  yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
  int rc = 0;
  if (!yaml_parser_load(&parser, &doc)) {
    rc = fl__imp_err(err, n, o->file, (int)parser.problem_mark.line + 1, "invalid OTLP (JSON or YAML): %s", parser.problem ? parser.problem : "unknown error");
    yaml_parser_delete(&parser);
    return rc;
  }
  yaml_node_t *root = yaml_document_get_root_node(&doc), *rms = yget(&doc, root, "resourceMetrics");
  if (!rms || rms->type != YAML_SEQUENCE_NODE) {
    rc = fl__imp_err(err, n, o->file, root ? (int)root->start_mark.line + 1 : 1, "resourceMetrics: expected a list (OTLP metrics)");
    goto out;
  }
  /* a failed attribute stands for the failed counter only when there is none */
  bool has_failed_total = false;
  for (int pass = 0; pass < 2 && rc == 0; pass++)
    YSEQ(&doc, rms, a) {
      yaml_node_t *rm = yaml_document_get_node(&doc, *a), *sms = yget(&doc, rm, "scopeMetrics");
      if (!sms) sms = yget(&doc, rm, "instrumentationLibraryMetrics");
      YSEQ(&doc, sms, b) {
        yaml_node_t *ms = yget(&doc, yaml_document_get_node(&doc, *b), "metrics");
        YSEQ(&doc, ms, c) {
          yaml_node_t *m = yaml_document_get_node(&doc, *c);
          const char *name = ystr(yget(&doc, m, "name"));
          if (!name) continue;
          int kind = classify(name);
          yaml_node_t *sum = yget(&doc, m, "sum"), *hist = yget(&doc, m, "histogram");
          const char *hn = strstr(name, "_seconds") ? name : NULL;
          if (kind < 0 && hist) {   /* histograms are named without _bucket */
            char b2[300];
            snprintf(b2, sizeof b2, "%s_bucket", name);
            kind = classify(b2);
            hn = name;
          }
          (void)hn;
          if (pass == 0) { has_failed_total |= kind == K_FAILED; continue; }
          if (kind < 0) { o->other += kind == -1; continue; }
          bool is_hist = kind == K_SRV_BUCKET || kind == K_CLI_BUCKET;
          yaml_node_t *pts = yget(&doc, is_hist ? hist : sum, "dataPoints");
          if (!pts) pts = yget(&doc, yget(&doc, m, "gauge"), "dataPoints");
          YSEQ(&doc, pts, p) {
            if ((rc = otlp_point(o, &doc, name, kind, is_hist, yaml_document_get_node(&doc, *p), !has_failed_total, window, err, n))) goto out;
          }
        }
      }
    }
out:
  yaml_document_delete(&doc);
  yaml_parser_delete(&parser);
  return rc;
}

static int cmp_sample(const void *a, const void *b) {
  const sample_t *x = a, *y = b;
  int c = strcmp(x->key, y->key);
  if (c) return c;
  if (x->ts != y->ts) return x->ts < y->ts ? -1 : 1;
  return x->line - y->line;
}

int fl__import_otel(const char *path, const char *text, size_t len, fl_igraph_t *g, char *err, size_t n) {
  otel_t o;
  memset(&o, 0, sizeof o);
  o.file = path;
  g->source = "OpenTelemetry service graph metrics";
  g->format = "otel";
  g->has_latency = true;
  g->external = "user";
  g->window_guess = 3600;
  g->window_guess_why = "the counters count from the collector's start and the data holds one scrape without timestamps";
  /* OpenMetrics ends with "# EOF" and gives timestamps in seconds */
  for (const char *p = text; (p = strstr(p, "# EOF")) != NULL; p += 5)
    if ((p == text || p[-1] == '\n') && (p[5] == 0 || p[5] == '\n' || p[5] == '\r')) o.openmetrics = true;
  int rc = 0, lineno = 0;
  const char *p = text, *end = text + len;
  /* OTLP: a JSON object, or the YAML of resourceMetrics */
  const char *q0 = text;
  while (q0 < end && (*q0 == ' ' || *q0 == '\t' || *q0 == '\n' || *q0 == '\r')) q0++;
  double otlp_window = 0;
  bool otlp = (q0 < end && *q0 == '{') || strncmp(q0, "resourceMetrics:", 16) == 0;
  if (otlp) {
    g->source = "OpenTelemetry service graph metrics, OTLP";
    rc = read_otlp(&o, text, len, &otlp_window, err, n);
    p = end;
  }
  while (p < end && rc == 0) {
    const char *eol = memchr(p, '\n', (size_t)(end - p));
    if (!eol) eol = end;
    lineno++;
    const char *q = p, *qe = eol;
    if (qe > q && qe[-1] == '\r') qe--;
    while (q < qe && (*q == ' ' || *q == '\t')) q++;
    if (q < qe && *q != '#') rc = parse_sample(&o, q, (size_t)(qe - q), lineno, err, n);
    p = eol + 1;
  }
  if (rc) goto out;
  int ntotal = 0;
  for (int i = 0; i < o.n; i++) ntotal += o.s[i].kind == K_TOTAL;
  if (ntotal == 0) {
    rc = fl__imp_err(err, n, path, o.first_line, "no traces_service_graph_request_total samples (%d samples of other metrics): is this the "
                     "OpenTelemetry service graph connector's output, in the Prometheus text format?", o.other);
    goto out;
  }
  qsort(o.s, (size_t)o.n, sizeof *o.s, cmp_sample);
  /* scrapes: series seen at more than one time make this a window between timestamps */
  double tmin = INFINITY, tmax = -INFINITY;
  bool windowed = false;
  for (int i = 0; i < o.n; ) {
    int j = i + 1;
    while (j < o.n && strcmp(o.s[j].key, o.s[i].key) == 0) j++;
    if (j - i > 1) {
      for (int k = i + 1; k < j; k++)
        if (!o.s[k].has_ts || !o.s[k - 1].has_ts || o.s[k].ts == o.s[k - 1].ts) {
          int a = o.s[k - 1].line < o.s[k].line ? o.s[k - 1].line : o.s[k].line;
          int b = o.s[k - 1].line < o.s[k].line ? o.s[k].line : o.s[k - 1].line;
          rc = fl__imp_err(err, n, path, b, "this series was already given at line %d%s", a,
                           o.s[k].has_ts && o.s[k - 1].has_ts ? ", with the same timestamp"
                           : " (two scrapes in one file need timestamps on their samples)");
          goto out;
        }
      windowed = true;
      if (o.s[i].ts < tmin) tmin = o.s[i].ts;
      if (o.s[j - 1].ts > tmax) tmax = o.s[j - 1].ts;
    }
    i = j;
  }
  if (windowed) {
    if (!(tmax > tmin)) { rc = fl__imp_err(err, n, path, 0, "the scrapes' timestamps span no time"); goto out; }
    g->window = tmax - tmin;
    char d[32];
    fl_format_duration(g->window, d, sizeof d);
    snprintf(g->window_how, sizeof g->window_how, "read: %s between the first and the last scrape (the samples' timestamps)", d);
  } else if (otlp && otlp_window > 0) {
    g->window = otlp_window;
    char d[32];
    fl_format_duration(g->window, d, sizeof d);
    snprintf(g->window_how, sizeof g->window_how, "read: %s from the points' startTimeUnixNano to their timeUnixNano (cumulative counts)", d);
  }
  for (int i = 0; i < o.n; ) {
    int j = i + 1;
    while (j < o.n && strcmp(o.s[j].key, o.s[i].key) == 0) j++;
    double v;
    if (!windowed) v = o.s[i].v;
    else if (j - i == 1) v = o.s[i].has_ts && o.s[i].ts > tmin ? o.s[i].v : 0;   /* born in the window, or gone */
    else {
      v = 0;   /* increase(), counting resets */
      for (int k = i + 1; k < j; k++) v += o.s[k].v >= o.s[k - 1].v ? o.s[k].v - o.s[k - 1].v : o.s[k].v;
    }
    const sample_t *s = &o.s[i];
    int from = fl__graph_node(g, s->client, s->line), to = fl__graph_node(g, s->server, s->line);
    fl_iedge_t *e = fl__graph_edge(g, from, to, s->line);
    if (s->kind == K_TOTAL && (!e->line_final || s->line < e->line)) { e->line = s->line; e->line_final = true; }
    switch (s->kind) {
    case K_TOTAL: e->count += v; break;
    case K_FAILED: e->failed += v; e->has_failed = true; break;
    case K_SRV_BUCKET: fl__hist_add(&e->server, s->le, v); break;
    case K_SRV_SUM: e->server.sum += v; e->server.has_sum = true; break;
    case K_SRV_COUNT: e->server.count += v; e->server.has_count = true; break;
    case K_CLI_BUCKET: fl__hist_add(&e->client, s->le, v); break;
    case K_CLI_SUM: e->client.sum += v; e->client.has_sum = true; break;
    case K_CLI_COUNT: e->client.count += v; e->client.has_count = true; break;
    default: break;
    }
    i = j;
  }
  for (int i = 0; i < g->nedges; i++) {
    fl_iedge_t *e = &g->edges[i];
    if (e->has_failed && e->failed > e->count * (1 + 1e-9) + 0.5)
      { rc = fl__imp_err(err, n, path, e->line, "%s -> %s: %.15g failed requests out of %.15g", g->nodes[e->from].name, g->nodes[e->to].name, e->failed, e->count); goto out; }
  }
out:
  for (int i = 0; i < o.n; i++) { free(o.s[i].client); free(o.s[i].server); free(o.s[i].key); }
  free(o.s);
  return rc;
}
