/* What the resilience policies did, per call site (attempts, retries, budget, hedges, bulkhead,
** breaker) and per service (rate limiter, shedding, ejections): the report's "calls" object and
** the terminal's "policies" block. */
#include "faultline/report.h"

#include "faultline/rng.h"

#include <cJSON.h>
#include <stdlib.h>
#include <string.h>

static void add_num(cJSON *o, const char *k, double v) { cJSON_AddItemToObject(o, k, cJSON_CreateNumber(v)); }

/* The keys given so far (the objects' own strings), hashed open-addressing at most half full:
** a call site whose name is taken gets its id appended, found in constant time, not by a scan of
** the object (which made the report quadratic in call sites). */
typedef struct keyset { const char **slot; size_t mask; } keyset_t;

static const char **key_slot(const keyset_t *k, const char *name) {
  size_t h = (size_t)fl_hash_str(name) & k->mask;
  while (k->slot[h] && strcmp(k->slot[h], name) != 0) h = (h + 1) & k->mask;
  return &k->slot[h];
}

cJSON *fl_report_calls_json(const fl_sim_t *s, const fl_metrics_t *x) {
  cJSON *o = cJSON_CreateObject();
  keyset_t keys = { NULL, 63 };
  while (keys.mask < 2 * (size_t)s->ncalls) keys.mask = 2 * keys.mask + 1;
  keys.slot = fl_xcalloc(keys.mask + 1, sizeof *keys.slot);
  for (int id = 0; id < s->ncalls; id++) {
    const fl_call_rt_t *cr = &s->call[id];
    char name[300];
    fl_report_call_name(s, id, name, sizeof name);
    if (*key_slot(&keys, name)) snprintf(name + strlen(name), sizeof name - strlen(name), " #%d", id);
    cJSON *c = cJSON_AddObjectToObject(o, name);
    const char **slot = key_slot(&keys, c->string);
    if (!*slot) *slot = c->string;
    add_num(c, "calls", (double)cr->calls);
    add_num(c, "attempts", (double)cr->attempts);
    add_num(c, "retries", (double)cr->retries);
    add_num(c, "retries_denied_by_budget", (double)cr->budget_denied);
    add_num(c, "hedges", (double)cr->hedges);
    add_num(c, "bulkhead_rejected", (double)cr->bulkhead_rejected);
    add_num(c, "breaker_rejected", (double)cr->breaker_rejected);
    add_num(c, "breaker_opens", (double)cr->breaker_opens);
    add_num(c, "breaker_open_seconds", x->breaker_open[id]);
  }
  free(keys.slot);
  return o;
}

void fl_report_policies_text(FILE *out, const fl_sim_t *s) {
  const fl_model_t *m = s->m;
  bool head = false;
  for (int id = 0; id < s->ncalls; id++) {
    const fl_call_rt_t *cr = &s->call[id];
    if (!cr->retries && !cr->budget_denied && !cr->hedges && !cr->bulkhead_rejected && !cr->breaker_rejected && !cr->breaker_opens) continue;
    if (!head) { fprintf(out, "\npolicies\n"); head = true; }
    char name[300];
    fl_report_call_name(s, id, name, sizeof name);
    fprintf(out, "  %-40s %llu calls, %llu attempts, %llu retries", name, (unsigned long long)cr->calls,
            (unsigned long long)cr->attempts, (unsigned long long)cr->retries);
    if (cr->budget_denied) fprintf(out, " (%llu denied by the budget)", (unsigned long long)cr->budget_denied);
    if (cr->hedges) fprintf(out, ", %llu hedges", (unsigned long long)cr->hedges);
    if (cr->bulkhead_rejected) fprintf(out, ", bulkhead rejected %llu", (unsigned long long)cr->bulkhead_rejected);
    if (cr->breaker_opens || cr->breaker_rejected)
      fprintf(out, ", breaker opened %llu times, rejected %llu", (unsigned long long)cr->breaker_opens, (unsigned long long)cr->breaker_rejected);
    fputc('\n', out);
  }
  for (int i = 0; i < m->nservices; i++) {
    const fl_svc_rt_t *r = &s->svc[i];
    if (!r->rej_rate && !r->rej_shed && !r->ejections) continue;
    if (!head) { fprintf(out, "\npolicies\n"); head = true; }
    fprintf(out, "  %-40s rate limiter rejected %llu, shedding rejected %llu, ejections %llu\n", m->services[i].name,
            (unsigned long long)r->rej_rate, (unsigned long long)r->rej_shed, (unsigned long long)r->ejections);
  }
}
