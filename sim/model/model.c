/* The model's vocabulary and storage: every enum's names (both ways), look-ups of services,
** endpoints and journeys by name (hashed), the arena that owns the model's strings and arrays, and fl_model_free. */
#include "model_int.h"
#include "faultline/scenario.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- names <-> enums: one table per enum, in the enum's order ---- */

static const char *const cause_names[FL_CAUSE__COUNT] = {
  "none", "rejected", "timeout", "unavailable", "error", "breaker_open", "deadline"
};
static const char *const balancer_names[FL_LB__COUNT] = {
  "round_robin", "random", "least_outstanding", "p2c"
};
static const char *const fault_names[FL_FAULT__COUNT] = {
  "crash", "latency", "slowdown", "errors", "hang", "partition", "capacity", "leak", "cold_cache", "pause", "cpu_hog"
};
static const char *const scale_metric_names[FL_SCALE__COUNT] = { "utilization", "inflight", "queue", "rps" };
static const char *const jitter_names[FL_JITTER__COUNT] = { "none", "full", "equal" };
static const char *const outcome_names[FL_OUT__COUNT] = { "success", "degraded", "failure" };
static const char *const overflow_names[FL_OVERFLOW__COUNT] = { "reject", "drop" };

static const char *name_of(const char *const *names, int n, int v) { return v >= 0 && v < n ? names[v] : "?"; }

static int parse_name(const char *const *names, int n, const char *name) {
  for (int i = 0; name && i < n; i++)
    if (strcmp(name, names[i]) == 0) return i;
  return -1;
}

const char *fl_cause_name(fl_cause_t c) { return name_of(cause_names, FL_CAUSE__COUNT, (int)c); }
int fl_cause_parse(const char *name) { return parse_name(cause_names, FL_CAUSE__COUNT, name); }
const char *fl_balancer_name(fl_balancer_t b) { return name_of(balancer_names, FL_LB__COUNT, (int)b); }
int fl_balancer_parse(const char *name) { return parse_name(balancer_names, FL_LB__COUNT, name); }
const char *fl_fault_kind_name(fl_fault_kind_t k) { return name_of(fault_names, FL_FAULT__COUNT, (int)k); }
int fl_fault_kind_parse(const char *name) { return parse_name(fault_names, FL_FAULT__COUNT, name); }

static const char *const xmeasure_names[FL_EXM__COUNT] = {
  "error_rate", "p90", "p95", "p999", "mean", "throughput", "utilization", "lag", "age"
};
const char *fl_xmeasure_name(fl_xmeasure_t k) { return name_of(xmeasure_names, FL_EXM__COUNT, (int)k); }
const char *fl_scale_metric_name(fl_scale_metric_t k) { return name_of(scale_metric_names, FL_SCALE__COUNT, (int)k); }
int fl_scale_metric_parse(const char *name) { return parse_name(scale_metric_names, FL_SCALE__COUNT, name); }
const char *fl_jitter_name(fl_jitter_t j) { return name_of(jitter_names, FL_JITTER__COUNT, (int)j); }
int fl_jitter_parse(const char *name) { return parse_name(jitter_names, FL_JITTER__COUNT, name); }
const char *fl_overflow_name(fl_overflow_t o) { return name_of(overflow_names, FL_OVERFLOW__COUNT, (int)o); }
int fl_overflow_parse(const char *name) { return parse_name(overflow_names, FL_OVERFLOW__COUNT, name); }
const char *fl_outcome_name(fl_outcome_t o) { return name_of(outcome_names, FL_OUT__COUNT, (int)o); }
int fl_outcome_parse(const char *name) { return parse_name(outcome_names, FL_OUT__COUNT, name); }

/* ---- look-ups ----
** By hash: an open-addressing index of service and journey names (m->names), built as it is
** first needed and brought up to date on every look-up: services are only ever appended (the
** loader's realloc moves them, which rebuilds the index), journeys are set once by traffic{}
** and journeys{} (a new array rebuilds it too). Load time and hooks' look-ups stay linear in
** the number of names instead of quadratic. A model is used by one thread at a time. */

typedef struct {
  uint32_t *slot;             /* entry index + 1 per slot, 0: empty; a power of two of slots */
  int cap, n;                 /* slots; entries indexed (the first n of the array) */
  const void *of;             /* the array indexed: a moved array is indexed anew */
} name_tab_t;
typedef struct name_index { name_tab_t svc, jrn; } name_index_t;

static uint32_t hash_name(const char *p, size_t len) {
  uint64_t h = 1469598103934665603ull;   /* FNV-1a */
  for (size_t i = 0; i < len; i++) { h ^= (unsigned char)p[i]; h *= 1099511628211ull; }
  return (uint32_t)(h ^ (h >> 32));
}

/* The name of entry i of the table's array. */
typedef const char *(*name_at_fn)(const fl_model_t *m, int i);
static const char *service_name_at(const fl_model_t *m, int i) { return m->services[i].name; }
static const char *journey_name_at(const fl_model_t *m, int i) { return m->journeys[i].name; }

/* Entry i under its name; a repeated name points at its last entry, as the linear scans
** that looked for the last match did (names are unique in a loaded model). */
static void tab_put(name_tab_t *t, const fl_model_t *m, name_at_fn name_at, int i) {
  const char *name = name_at(m, i);
  if (!name) return;
  uint32_t mask = (uint32_t)t->cap - 1, h = hash_name(name, strlen(name)) & mask;
  while (t->slot[h] && strcmp(name_at(m, (int)t->slot[h] - 1), name) != 0) h = (h + 1) & mask;
  t->slot[h] = (uint32_t)i + 1;
}

/* Indexes entries [t->n, count) of 'arr', from scratch when the array moved; grows at half full. */
static void tab_sync(name_tab_t *t, const fl_model_t *m, const void *arr, int count, name_at_fn name_at) {
  if (t->of != arr || t->n > count) { t->n = 0; t->of = arr; if (t->slot) memset(t->slot, 0, sizeof *t->slot * (size_t)t->cap); }
  if (t->n == count) return;
  if ((int64_t)count * 2 > t->cap) {
    int cap = 64;
    while (cap < count * 2) cap *= 2;
    free(t->slot);
    t->slot = fl_xcalloc((size_t)cap, sizeof *t->slot);
    t->cap = cap;
    t->n = 0;
  }
  for (; t->n < count; t->n++) tab_put(t, m, name_at, t->n);
}

/* Entry index of 'name' (len bytes, not terminated) in the table, or -1. */
static int tab_find(const name_tab_t *t, const fl_model_t *m, name_at_fn name_at, const char *name, size_t len) {
  if (!t->cap) return -1;
  uint32_t mask = (uint32_t)t->cap - 1;
  for (uint32_t h = hash_name(name, len) & mask; t->slot[h]; h = (h + 1) & mask) {
    const char *o = name_at(m, (int)t->slot[h] - 1);
    if (strncmp(o, name, len) == 0 && o[len] == 0) return (int)t->slot[h] - 1;
  }
  return -1;
}

static name_index_t *names_of(const fl_model_t *m) {
  /* the index is a cache beside the model: filling it changes no value the model holds */
  fl_model_t *mm = (fl_model_t *)m;
  if (!mm->names) mm->names = fl_xcalloc(1, sizeof(name_index_t));
  return mm->names;
}

static fl_service_t *find_service(const fl_model_t *m, const char *name, size_t len) {
  if (m->nservices == 0) return NULL;
  name_index_t *x = names_of(m);
  tab_sync(&x->svc, m, m->services, m->nservices, service_name_at);
  int i = tab_find(&x->svc, m, service_name_at, name, len);
  return i >= 0 ? &m->services[i] : NULL;
}

fl_service_t *fl_model_find_service(const fl_model_t *m, const char *name) {
  return find_service(m, name, strlen(name));
}

int fl_model_find_journey(const fl_model_t *m, const char *name) {
  if (m->njourneys == 0) return -1;
  name_index_t *x = names_of(m);
  tab_sync(&x->jrn, m, m->journeys, m->njourneys, journey_name_at);
  return tab_find(&x->jrn, m, journey_name_at, name, strlen(name));
}

fl_endpoint_t *fl_model_find_endpoint(const fl_model_t *m, const char *name) {
  const char *dot = strchr(name, '.');
  fl_service_t *s = find_service(m, name, dot ? (size_t)(dot - name) : strlen(name));
  if (!s) return NULL;
  if (!dot) {
    if (s->nendpoints == 1) return &s->endpoints[0];
    for (int i = 0; i < s->nendpoints; i++)
      if (strcmp(s->endpoints[i].name, "default") == 0) return &s->endpoints[i];
    return NULL;
  }
  for (int j = 0; j < s->nendpoints; j++)
    if (strcmp(s->endpoints[j].name, dot + 1) == 0) return &s->endpoints[j];
  /* a service declared without endpoints has one, whatever its callers call it */
  return s->implicit ? &s->endpoints[0] : NULL;
}

/* ---- request attributes as written ---- */

const char *fl_attr_gen_format(const fl_attr_gen_t *g, const fl_model_t *m, char *buf, size_t n) {
  if (g->kind == FL_ATTR_ZIPF) { snprintf(buf, n, "zipf { n = %d, s = %g }", g->n, g->s); return buf; }
  const fl_attr_key_t *k = &m->attr_keys[g->key];
  size_t w = (size_t)snprintf(buf, n, "%s {", g->kind == FL_ATTR_CHOICE ? "choice" : "share");
  for (int i = 0; i < g->n && i < 8 && w < n; i++) {
    const char *v = g->ids ? k->values[g->ids[i] - 1] : g->names[i];
    if (g->kind == FL_ATTR_CHOICE) w += (size_t)snprintf(buf + w, n - w, "%s \"%s\"", i ? "," : "", v);
    else w += (size_t)snprintf(buf + w, n - w, "%s %s = %.4g", i ? "," : "", v, g->cdf[i] - (i ? g->cdf[i - 1] : 0));
  }
  if (g->n > 8 && w < n) w += (size_t)snprintf(buf + w, n - w, ", ... (%d values)", g->n);
  if (w < n) snprintf(buf + w, n - w, " }");
  return buf;
}

const char *fl_call_count_format(const fl_call_t *c, char *buf, size_t n) {
  if (c->count->kind == FL_DIST_CONST) { snprintf(buf, n, "%g", c->count->a); return buf; }
  char d[160];
  fl_dist_format(c->count, d, sizeof d);
  snprintf(buf, n, "%s, mean %g items", d, fl_dist_mean(c->count));
  return buf;
}

/* ---- the arena ---- */

typedef struct blk { struct blk *next; size_t used, cap, total; max_align_t data[]; } blk_t;   /* total: of this block and those before */

void *fl__model_alloc(fl_model_t *m, size_t n) {
  n = (n + sizeof(max_align_t) - 1) / sizeof(max_align_t) * sizeof(max_align_t);
  blk_t *b = m->arena;
  if (!b || b->cap - b->used < n) {
    size_t cap = n > 65536 ? n : 65536;
    blk_t *nb = fl_xmalloc(sizeof *nb + cap);
    nb->used = 0; nb->cap = cap; nb->next = b;
    nb->total = cap + (b ? b->total : 0);
    m->arena = b = nb;
  }
  void *p = (char *)b->data + b->used;
  b->used += n;
  memset(p, 0, n);
  return p;
}

char *fl__model_strdup(fl_model_t *m, const char *s) {
  size_t n = strlen(s) + 1;
  return memcpy(fl__model_alloc(m, n), s, n);
}

size_t fl__model_arena_bytes(const fl_model_t *m) {
  return m->arena ? ((const blk_t *)m->arena)->total : 0;
}

void fl_model_free(fl_model_t *m) {
  if (!m) return;
  if (m->lua) m->lua_free(m->lua);   /* first: its finalizers run while the model is whole */
  m->lua = NULL;
  blk_t *b = m->arena;
  while (b) { blk_t *next = b->next; free(b); b = next; }
  free(m->services);
  free(m->journeys);
  free(m->faults);
  free(m->expects);
  free(m->hooks);
  if (m->names) free(((name_index_t *)m->names)->svc.slot), free(((name_index_t *)m->names)->jrn.slot);
  free(m->names);
  free(m);
}
