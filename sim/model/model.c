/* The model's vocabulary and storage: every enum's names (both ways), look-ups of services and
** endpoints by name, the arena that owns the model's strings and arrays, and fl_model_free. */
#include "model_int.h"
#include "faultline/scenario.h"

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
const char *fl_scale_metric_name(fl_scale_metric_t k) { return name_of(scale_metric_names, FL_SCALE__COUNT, (int)k); }
int fl_scale_metric_parse(const char *name) { return parse_name(scale_metric_names, FL_SCALE__COUNT, name); }
const char *fl_jitter_name(fl_jitter_t j) { return name_of(jitter_names, FL_JITTER__COUNT, (int)j); }
int fl_jitter_parse(const char *name) { return parse_name(jitter_names, FL_JITTER__COUNT, name); }
const char *fl_overflow_name(fl_overflow_t o) { return name_of(overflow_names, FL_OVERFLOW__COUNT, (int)o); }
int fl_overflow_parse(const char *name) { return parse_name(overflow_names, FL_OVERFLOW__COUNT, name); }
const char *fl_outcome_name(fl_outcome_t o) { return name_of(outcome_names, FL_OUT__COUNT, (int)o); }
int fl_outcome_parse(const char *name) { return parse_name(outcome_names, FL_OUT__COUNT, name); }

/* ---- look-ups ---- */

fl_service_t *fl_model_find_service(const fl_model_t *m, const char *name) {
  for (int i = 0; i < m->nservices; i++)
    if (strcmp(m->services[i].name, name) == 0) return &m->services[i];
  return NULL;
}

fl_endpoint_t *fl_model_find_endpoint(const fl_model_t *m, const char *name) {
  const char *dot = strchr(name, '.');
  if (!dot) {
    fl_service_t *s = fl_model_find_service(m, name);
    if (!s) return NULL;
    if (s->nendpoints == 1) return &s->endpoints[0];
    for (int i = 0; i < s->nendpoints; i++)
      if (strcmp(s->endpoints[i].name, "default") == 0) return &s->endpoints[i];
    return NULL;
  }
  for (int i = 0; i < m->nservices; i++) {
    fl_service_t *s = &m->services[i];
    size_t len = strlen(s->name);
    if (len != (size_t)(dot - name) || strncmp(s->name, name, len) != 0) continue;
    for (int j = 0; j < s->nendpoints; j++)
      if (strcmp(s->endpoints[j].name, dot + 1) == 0) return &s->endpoints[j];
    /* a service declared without endpoints has one, whatever its callers call it */
    return s->implicit ? &s->endpoints[0] : NULL;
  }
  return NULL;
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
  free(m);
}
