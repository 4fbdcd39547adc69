/* Resolution of a loaded model: ids, call targets, broker consumers, journeys, faults and
** expectations linked by name; call cycles, the mix and the size of a run's statistics checked.
** Errors read "file:line: ...", the line of the construct that named the unknown. */
#include "model_int.h"
#include "faultline/scenario.h"
#include "faultline/sim.h"
#include "faultline/units.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_WINDOWS 4294967295.0   /* windows a run counts in 32 bits */

static int errf(char *err, size_t n, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, n, fmt, ap);
  va_end(ap);
  return -FL_ESCENARIO;
}

static int resolve_target(fl_model_t *m, fl_call_t *c, char *err, size_t n) {
  c->target = fl_model_find_endpoint(m, c->target_name);
  if (c->target) return 0;
  char svcname[256];
  const char *dot = strchr(c->target_name, '.');
  snprintf(svcname, sizeof svcname, "%.*s", dot ? (int)(dot - c->target_name) : (int)strlen(c->target_name), c->target_name);
  fl_service_t *s = fl_model_find_service(m, svcname);
  char list[512] = "";
  size_t used = 0;
  if (!s) {
    for (int i = 0; i < m->nservices && used < sizeof list - 64; i++)
      used += (size_t)snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "", m->services[i].name);
    return errf(err, n, "%s:%d: call to unknown service '%s' (known services: %s)", c->file, c->line, svcname, list);
  }
  for (int i = 0; i < s->nendpoints && used < sizeof list - 64; i++)
    used += (size_t)snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "", s->endpoints[i].name);
  if (!dot) return errf(err, n, "%s:%d: call \"%s\": service '%s' has several endpoints, name one (%s)", c->file, c->line, c->target_name, svcname, list);
  return errf(err, n, "%s:%d: call to unknown endpoint '%s' of service '%s' (its endpoints: %s)", c->file, c->line, dot + 1, svcname, list);
}

/* Depth-first search for a call cycle from 'ep'; colour 0 new, 1 on the stack, 2 done. Not
** recursive: a chain of 100000 calls must not overflow the C stack. 'stack' has room for two
** entries per endpoint: the path, and at next[d] the next call to follow at depth d. */
static int find_cycle(fl_model_t *m, fl_endpoint_t **byid, fl_endpoint_t *ep, char *colour, int *stack, int depth, char *err, size_t n) {
  int *next = stack + m->nendpoints + 1;
  colour[ep->id] = 1;
  stack[depth] = ep->id;
  next[depth] = 0;
  while (depth >= 0) {
    ep = byid[stack[depth]];
    if (next[depth] == ep->ncalls) { colour[ep->id] = 2; depth--; continue; }
    int i = next[depth]++;
    fl_endpoint_t *t = ep->calls[i].target;
    if (colour[t->id] == 1) {
      int w = snprintf(err, n, "%s:%d: call cycle: ", ep->calls[i].file, ep->calls[i].line);
      int k = depth;
      while (stack[k] != t->id) k--;
      for (; k <= depth && w < (int)n; k++) w += snprintf(err + w, n - (size_t)w, "%s -> ", byid[stack[k]]->full_name);
      if (w < (int)n) snprintf(err + w, n - (size_t)w, "%s (a request would call itself forever)", t->full_name);
      return -FL_ESCENARIO;
    }
    if (colour[t->id] == 0) {
      colour[t->id] = 1;
      depth++;
      stack[depth] = t->id;
      next[depth] = 0;
    }
  }
  return 0;
}

/* The window when the scenario sets none: 1 s while the run has at most FL_DEFAULT_WINDOWS of
** them, else the first of 2 s, 5 s, 10 s, ... 1 d that keeps it within. */
double fl_model_default_window(double duration) {
  static const double steps[] = { 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400 };
  size_t n = sizeof steps / sizeof steps[0];
  for (size_t k = 0; k < n; k++) if (ceil(duration / steps[k]) <= FL_DEFAULT_WINDOWS) return steps[k];
  return steps[n - 1];
}

/* The settings, checked here rather than per --set so that overrides may come in any order. */
static int check_settings(fl_model_t *m, char *err, size_t n) {
  if (!m->window_set && m->duration >= FL_MIN_DURATION && m->duration <= FL_MAX_SECONDS) m->window = fl_model_default_window(m->duration);
  if (m->warmup >= m->duration)
    return errf(err, n, "%s:1: the warm-up (%gs) must be shorter than the duration (%gs)", m->file, m->warmup, m->duration);
  if (m->nservices == 0) return errf(err, n, "%s:1: no services (expected at least one service \"name\" { ... })", m->file);
  if (!m->has_traffic) return errf(err, n, "%s:1: no traffic (expected traffic { rate = ..., mix = { ... } })", m->file);
  /* scenario { ... }'s own checks once more: a script may have caught their errors with pcall */
  if (!(m->duration >= FL_MIN_DURATION && m->duration <= FL_MAX_SECONDS) || !(m->window >= FL_MIN_WINDOW) || !(m->warmup >= 0 && m->warmup < m->duration))
    return errf(err, n, "%s:1: scenario: needs 0 < duration <= 1000000000s, window >= 1ms and 0 <= warmup < duration (got %gs, %gs, %gs)",
                m->file, m->duration, m->window, m->warmup);
  double peak = fl_profile_max(&m->rate, 0, m->duration);   /* products and sums of profiles too */
  if (!(peak <= FL_MAX_RATE))
    return errf(err, n, "%s:%d: traffic: the rate reaches %g per second (at most 1000000000)", m->traffic_file, m->traffic_line, peak);
  double windows = ceil(m->duration / m->window);
  if (windows > MAX_WINDOWS)   /* statistics themselves are laid out within the run's memory (fl_sim_plan) */
    return errf(err, n, "%s:1: scenario: the run would have %.0f windows (at most %.0f): use a longer window", m->file, windows, MAX_WINDOWS);
  return 0;
}

/* Ids of services and endpoints, endpoints' full names, call targets and broker consumers. */
static int link_calls(fl_model_t *m, char *err, size_t n) {
  int id = 0;
  for (int i = 0; i < m->nservices; i++) {
    fl_service_t *s = &m->services[i];
    s->id = i;
    for (int k = 0; k < s->nendpoints; k++) {
      fl_endpoint_t *ep = &s->endpoints[k];
      ep->service = s;
      ep->id = id++;
      if (!ep->full_name) {
        size_t len = strlen(s->name) + strlen(ep->name) + 2;
        ep->full_name = fl__model_alloc(m, len);
        snprintf(ep->full_name, len, "%s.%s", s->name, ep->name);
      }
    }
  }
  m->nendpoints = id;
  for (int i = 0; i < m->nservices; i++)
    for (int k = 0; k < m->services[i].nendpoints; k++) {
      fl_endpoint_t *ep = &m->services[i].endpoints[k];
      for (int c = 0; c < ep->ncalls; c++) {
        int rc = resolve_target(m, &ep->calls[c], err, n);
        if (rc) return rc;
      }
    }
  for (int i = 0; i < m->nservices; i++) {
    fl_service_t *s = &m->services[i];
    if (!s->broker) continue;
    s->consumers = fl__model_alloc(m, sizeof *s->consumers * (size_t)s->nconsumers);
    for (int k = 0; k < s->nconsumers; k++) {
      s->consumers[k] = fl_model_find_endpoint(m, s->consumer_names[k]);
      if (!s->consumers[k]) return errf(err, n, "%s:%d: broker \"%s\": consumer '%s' is not an endpoint", s->file, s->line, s->name, s->consumer_names[k]);
      if (s->consumers[k]->service == s) return errf(err, n, "%s:%d: broker \"%s\" cannot consume its own messages", s->file, s->line, s->name);
    }
  }
  return 0;
}

/* No call cycle. */
static int check_cycles(fl_model_t *m, char *err, size_t n) {
  int id = m->nendpoints;
  fl_endpoint_t **byid = fl_xcalloc((size_t)id, sizeof *byid);
  char *colour = fl_xcalloc((size_t)id, 1);
  int *stack = fl_xcalloc(2 * ((size_t)id + 1), sizeof *stack);   /* the path, then find_cycle's next[] */
  for (int i = 0; i < m->nservices; i++)
    for (int k = 0; k < m->services[i].nendpoints; k++) byid[m->services[i].endpoints[k].id] = &m->services[i].endpoints[k];
  int rc = 0;
  for (int e = 0; e < id && !rc; e++)
    if (!colour[e]) rc = find_cycle(m, byid, byid[e], colour, stack, 0, err, n);
  free(byid); free(colour); free(stack);
  if (rc) return rc;
  return 0;
}

/* The mix's journeys and their steps; the shares sum to 1. */
static int link_journeys(fl_model_t *m, char *err, size_t n) {
  double sum = 0;
  for (int j = 0; j < m->njourneys; j++) {
    fl_journey_t *jr = &m->journeys[j];
    if (jr->nsteps == 0) {
      jr->nsteps = 1;
      jr->step_names = fl__model_alloc(m, sizeof *jr->step_names);
      jr->step_names[0] = jr->name;
      jr->cont = fl__model_alloc(m, sizeof *jr->cont);
      jr->cont[0] = 1;
      jr->entry = fl_model_find_endpoint(m, jr->name);
      if (!jr->entry) return errf(err, n, "%s:%d: traffic: mix names '%s', which is not an endpoint (expected \"service.endpoint\", a service with one endpoint, or a journey of traffic.journeys)",
                                  jr->file, jr->line, jr->name);
    }
    jr->steps = fl__model_alloc(m, sizeof *jr->steps * (size_t)jr->nsteps);
    for (int k = 0; k < jr->nsteps; k++) {
      jr->steps[k] = fl_model_find_endpoint(m, jr->step_names[k]);
      if (!jr->steps[k]) return errf(err, n, "%s:%d: traffic: journey '%s': step '%s' is not an endpoint", jr->file, jr->line, jr->name, jr->step_names[k]);
    }
    jr->entry = jr->steps[0];
    sum += jr->share;
  }
  if (fabs(sum - 1) > 1e-6)
    return errf(err, n, "%s:%d: traffic: mix shares sum to %g (expected 1)", m->traffic_file, m->traffic_line, sum);
  for (int a = 0; a < m->nmix_at; a++) {   /* timed changes: checked as the static mix is */
    fl_mix_at_t *x = &m->mix_at[a];
    char when[32];
    fl_format_duration(x->at, when, sizeof when);
    if (a > 0 && x->at <= m->mix_at[a - 1].at)
      return errf(err, n, "%s:%d: traffic: mix at %s: two changes at the same time", x->file, x->line, when);
    x->share = fl__model_alloc(m, sizeof *x->share * (size_t)m->njourneys);
    double total = 0;
    for (int k = 0; k < x->n; k++) {
      int j = fl_model_find_journey(m, x->names[k]);
      if (j < 0) return errf(err, n, "%s:%d: traffic: mix at %s: '%s' is not a journey of the mix (give it a share there, 0 if it starts later)",
                             x->file, x->line, when, x->names[k]);
      x->share[j] = x->shares[k];
      total += x->shares[k];
    }
    if (fabs(total - 1) > 1e-6) return errf(err, n, "%s:%d: traffic: mix at %s: shares sum to %g (expected 1)", x->file, x->line, when, total);
  }
  return 0;
}

/* ---- attribute selectors: where / when = { key = "value" } linked to the interned value ids ---- */

static int link_matches(const fl_model_t *m, fl_attr_match_t *w, int n, char *err, size_t en) {
  for (int i = 0; i < n; i++) {
    const fl_attr_key_t *k = &m->attr_keys[w[i].key];
    if (!k->drawn) return errf(err, en, "no request draws the attribute '%s' (draw it with traffic { attrs = { %s = choice { ... } } })", k->name, k->name);
    w[i].id = 0;
    if (k->numeric) {
      char *end;
      unsigned long v = strtoul(w[i].value, &end, 10);
      if (*end || v == 0 || v > UINT32_MAX) return errf(err, en, "attribute '%s' holds zipf ranks: '%s' is not a rank from 1", k->name, w[i].value);
      w[i].id = (uint32_t)v;
    } else {
      for (int v = 0; v < k->nvalues; v++) if (strcmp(k->values[v], w[i].value) == 0) w[i].id = (uint32_t)v + 1;
      if (!w[i].id) return errf(err, en, "attribute '%s' is never drawn as '%s'", k->name, w[i].value);
    }
  }
  return 0;
}

static int link_whens(fl_model_t *m, char *err, size_t n) {
  for (int i = 0; i < m->nservices; i++)
    for (int k = 0; k < m->services[i].nendpoints; k++)
      for (int c = 0; c < m->services[i].endpoints[k].ncalls; c++) {
        fl_call_t *call = &m->services[i].endpoints[k].calls[c];
        char why[256];
        if (call->nwhen && link_matches(m, call->when, call->nwhen, why, sizeof why))
          return errf(err, n, "%s:%d: call \"%s\": when: %s", call->file, call->line, call->target_name, why);
      }
  return 0;
}

/* ---- a fault's target: a service, one endpoint ("svc.endpoint"), or a link ---- */

const char *fl_call_target_label(const fl_call_t *c) {
  if (c->target->service->implicit && c->target_name && strchr(c->target_name, '.')) return c->target_name;
  return c->target->full_name;
}

const char *fl_fault_target_label(const fl_fault_t *ft) {
  return ft->endpoint ? ft->endpoint->full_name : ft->target->name;
}

const char *fl_fault_describe(const fl_fault_t *ft, char *buf, size_t n) {
  if (ft->from) snprintf(buf, n, "%s on %s → %s", fl_fault_kind_name(ft->kind), ft->from->name, fl_fault_target_label(ft));
  else snprintf(buf, n, "%s on %s", fl_fault_kind_name(ft->kind), fl_fault_target_label(ft));
  return buf;
}

int fl_model_fault_targets(const fl_model_t *m, fl_fault_t *ft, char *err, size_t n) {
  ft->endpoint = NULL;
  ft->target = fl_model_find_service(m, ft->target_name);
  const char *dot = ft->target ? NULL : strchr(ft->target_name, '.');
  if (dot) {
    char svc[256];
    snprintf(svc, sizeof svc, "%.*s", (int)(dot - ft->target_name), ft->target_name);
    fl_service_t *sv = fl_model_find_service(m, svc);
    if (!sv) return errf(err, n, "unknown service '%s'", svc);
    for (int k = 0; k < sv->nendpoints; k++)
      if (strcmp(sv->endpoints[k].name, dot + 1) == 0 || sv->implicit) ft->endpoint = &sv->endpoints[k];
    if (!ft->endpoint) {
      char list[160] = "";
      for (int k = 0; k < sv->nendpoints; k++) {
        size_t l = strlen(list);
        snprintf(list + l, sizeof list - l, "%s%s", k ? ", " : "", sv->endpoints[k].name);
      }
      return errf(err, n, "service '%s' has no endpoint '%s' (it has %s)", sv->name, dot + 1, list);
    }
    ft->target = sv;
    static const bool per_endpoint[FL_FAULT__COUNT] = {
      [FL_FAULT_LATENCY] = true, [FL_FAULT_SLOWDOWN] = true, [FL_FAULT_ERRORS] = true, [FL_FAULT_HANG] = true,
      [FL_FAULT_PARTITION] = true, [FL_FAULT_COLD_CACHE] = true };
    if (!per_endpoint[ft->kind])
      return errf(err, n, "a %s fault hits instances, not one endpoint: target the service '%s' (one endpoint takes "
                  "latency, slowdown, errors, hang, partition and cold_cache)", fl_fault_kind_name(ft->kind), sv->name);
    if (ft->instances || ft->fraction > 0)
      return errf(err, n, "instances applies to a whole service: a fault on '%s' hits every instance", ft->target_name);
  }
  if (!ft->target) return errf(err, n, "unknown service '%s'", ft->target_name);
  if (ft->from_name) {
    ft->from = fl_model_find_service(m, ft->from_name);
    if (!ft->from) return errf(err, n, "unknown service '%s'", ft->from_name);
  }
  if (ft->instances > ft->target->instances)
    return errf(err, n, "instances = %d but %s has %d", ft->instances, ft->target->name, ft->target->instances);
  if (ft->nwhere) {
    char why[256];
    if (link_matches(m, ft->where, ft->nwhere, why, sizeof why)) return errf(err, n, "where: %s", why);
  }
  return 0;
}

/* Faults' targets, and expectations' subjects and faults. */
static int link_faults_and_expects(fl_model_t *m, char *err, size_t n) {
  for (int i = 0; i < m->nfaults; i++) {
    fl_fault_t *ft = &m->faults[i];
    char why[256];
    if (fl_model_fault_targets(m, ft, why, sizeof why) != 0) return errf(err, n, "%s:%d: fault '%s': %s", ft->file, ft->line, ft->name, why);
    /* a fault after the end (a run shortened by --set) never starts */
  }
  for (int i = 0; i < m->nexpects; i++) {
    fl_expect_t *x = &m->expects[i];
    if (x->subject && x->journey == -2 && !fl_model_find_service(m, x->subject) && strchr(x->subject, '.')) {
      x->journey = -1;   /* service = "api.products": an endpoint */
      x->endpoint = fl_model_find_endpoint(m, x->subject);
      if (!x->endpoint) return errf(err, n, "%s:%d: expect \"%s\": unknown endpoint '%s'", x->file, x->line, x->name, x->subject);
      if (x->has_success) return errf(err, n, "%s:%d: expect \"%s\": an endpoint's expectation checks its latency (p50, p90, p95, p99, p999, mean)", x->file, x->line, x->name);
      for (int k = 0; k < x->nmore; k++)
        if (x->more[k].measure == FL_EXM_ERROR_RATE || x->more[k].measure >= FL_EXM_THROUGHPUT)
          return errf(err, n, "%s:%d: expect \"%s\": an endpoint's expectation checks its latency (p50, p90, p95, p99, p999, mean)", x->file, x->line, x->name);
    } else if (x->subject && x->journey == -2) {
      x->journey = -1;
      x->service = fl_model_find_service(m, x->subject);
      if (!x->service) return errf(err, n, "%s:%d: expect \"%s\": unknown service '%s'", x->file, x->line, x->name, x->subject);
    } else if (x->subject) {
      int j = fl_model_find_journey(m, x->subject);
      if (j >= 0) x->journey = j;
      if (x->journey < 0) return errf(err, n, "%s:%d: expect \"%s\": '%s' is not a journey of the traffic mix", x->file, x->line, x->name, x->subject);
    }
    if (x->no_cascade_from) {
      x->no_cascade = fl_model_find_service(m, x->no_cascade_from);
      if (!x->no_cascade) return errf(err, n, "%s:%d: expect \"%s\": unknown service '%s'", x->file, x->line, x->name, x->no_cascade_from);
    }
    for (int k = 0; k < x->nmore; k++) {
      fl_xmeasure_t q = x->more[k].measure;
      if (q == FL_EXM_UTILIZATION && !x->service)
        return errf(err, n, "%s:%d: expect \"%s\": utilization is a service's", x->file, x->line, x->name);
      if ((q == FL_EXM_LAG || q == FL_EXM_AGE) && !(x->service && x->service->broker))
        return errf(err, n, "%s:%d: expect \"%s\": %s is a broker's (kind = \"broker\")", x->file, x->line, x->name, fl_xmeasure_name(q));
    }
    char why[256];
    if (x->nwhere && link_matches(m, x->where, x->nwhere, why, sizeof why))
      return errf(err, n, "%s:%d: expect \"%s\": where: %s", x->file, x->line, x->name, why);
    if (x->during == FL_EXPECT_FAULT || x->during == FL_EXPECT_AFTER) {
      for (int k = 0; k < m->nfaults; k++) if (strcmp(m->faults[k].name, x->fault_name) == 0) x->fault = k;
      if (x->fault < 0) return errf(err, n, "%s:%d: expect \"%s\": no fault named '%s'", x->file, x->line, x->name, x->fault_name);
    }
  }
  return 0;
}

int fl_model_resolve(fl_model_t *m, char *err, size_t n) {
  int rc;
  if ((rc = check_settings(m, err, n)) || (rc = link_calls(m, err, n)) || (rc = check_cycles(m, err, n)) ||
      (rc = link_journeys(m, err, n)) || (rc = link_faults_and_expects(m, err, n)) || (rc = link_whens(m, err, n)))
    return rc;
  return 0;
}
