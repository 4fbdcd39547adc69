/* --set PATH=VALUE: one override of a loaded model by path (scenario, traffic, a service, an
** endpoint, a call's policies), with the bounds and defaults the Lua readers use (model_int.h). */
#include "model_int.h"
#include "faultline/scenario.h"
#include "faultline/units.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int set_err(char *err, size_t n, const char *a, const char *fmt, ...) {
  int w = snprintf(err, n, "--set %s: ", a);
  va_list ap;
  va_start(ap, fmt);
  if (w < (int)n) vsnprintf(err + w, n - (size_t)w, fmt, ap);
  va_end(ap);
  return -FL_EINVAL;
}

static int num(const char *v, double *out) {
  char *end;
  errno = 0;
  double d = strtod(v, &end);
  if (end == v || *end || errno || !isfinite(d)) return -1;
  *out = d;
  return 0;
}

static int set_count(const char *a, const char *v, long long min, long long max, long long *out, char *err, size_t n) {
  double d;
  if (num(v, &d) || d != floor(d) || d < (double)min || d > (double)max)
    return set_err(err, n, a, "expected a whole number from %lld to %lld, got '%s'", min, max, v);
  *out = (long long)d;
  return 0;
}

/* '*out' is left alone on failure: a hook's sim:set caught by pcall leaves the model as it was. */
static int set_duration(const char *a, const char *v, double *out, char *err, size_t n) {
  double d;
  if (fl_parse_duration(v, &d)) return set_err(err, n, a, "expected a duration such as 100ms, got '%s'", v);
  if (d > FL_MAX_SECONDS) return set_err(err, n, a, "'%s' is more than 1000000000s (about 31 years)", v);
  if (d > 0 && d < FL_MIN_DURATION) return set_err(err, n, a, "'%s' is less than 1ns, the clock's resolution (it would round to 0)", v);
  *out = d;
  return 0;
}

static int set_rate(const char *a, const char *v, double *out, char *err, size_t n) {
  double r;
  if (fl_parse_rate(v, &r)) return set_err(err, n, a, "expected a rate such as 2000/s, got '%s'", v);
  if (r > FL_MAX_RATE) return set_err(err, n, a, "'%s' is more than 1000000000 per second", v);
  *out = r;
  return 0;
}

static int set_fraction(const char *a, const char *v, double *out, char *err, size_t n) {
  if (fl_parse_fraction(v, out)) return set_err(err, n, a, "expected a share such as 0.5 or 50%%, got '%s'", v);
  return 0;
}

static int set_bool(const char *a, const char *v, bool *out, char *err, size_t n) {
  if (strcmp(v, "true") == 0) *out = true;
  else if (strcmp(v, "false") == 0) *out = false;
  else return set_err(err, n, a, "expected true or false, got '%s'", v);
  return 0;
}

/* A breaker that --set turns on starts from the same defaults as one the script declares. */
static void breaker_defaults(fl_breaker_cfg_t *b) {
  if (!b->on) fl__breaker_defaults(b);
}

/* The policy fields of a call for --set. Returns 0 when set, 1 when 'key' is not one, or an error. */
static int set_policy(fl_call_t *c, const char *key, const char *a, const char *v, char *err, size_t n) {
  double d; long long ll; int rc;
  if (strcmp(key, "retries") == 0) { if ((rc = set_count(a, v, 0, FL_MAX_RETRIES, &ll, err, n))) return rc; c->retries = (int)ll; return 0; }
  if (strcmp(key, "backoff.base") == 0) { if ((rc = set_duration(a, v, &d, err, n))) return rc; c->backoff_base = fl_sec_to_time(d); return 0; }
  if (strcmp(key, "backoff.max") == 0) { if ((rc = set_duration(a, v, &d, err, n))) return rc; c->backoff_max = fl_sec_to_time(d); return 0; }
  if (strcmp(key, "backoff.multiplier") == 0) {
    if (num(v, &d) || d < FL_MIN_BACKOFF_MULT) return set_err(err, n, a, "expected a number of at least 1");
    c->backoff_mult = d; return 0;
  }
  if (strcmp(key, "backoff.jitter") == 0) {
    int j = fl_jitter_parse(v);
    if (j < 0) return set_err(err, n, a, "expected none, full or equal");
    c->jitter = (fl_jitter_t)j;
    return 0;
  }
  if (strcmp(key, "retry_budget.ratio") == 0 || strcmp(key, "retry_budget.min_per_s") == 0) {
    if (c->budget_ratio <= 0) fl__budget_defaults(c);
    if (key[13] == 'r') { if ((rc = set_fraction(a, v, &d, err, n))) return rc; c->budget_ratio = fl__budget_ratio(d); }
    else { if ((rc = set_rate(a, v, &d, err, n))) return rc; c->budget_min = d; }
    return 0;
  }
  if (strncmp(key, "breaker.", 8) == 0) {
    const char *k = key + 8;
    fl_breaker_cfg_t *b = &c->breaker;
    if (strcmp(k, "enabled") == 0) {
      bool on = false;
      if ((rc = set_bool(a, v, &on, err, n))) return rc;
      if (on) breaker_defaults(b); else b->on = false;
      return 0;
    }
    breaker_defaults(b);
    if (strcmp(k, "failure_rate") == 0) return set_fraction(a, v, &b->failure_rate, err, n);
    if (strcmp(k, "slow_call_rate") == 0) return set_fraction(a, v, &b->slow_call_rate, err, n);
    if (strcmp(k, "slow_call") == 0) { if ((rc = set_duration(a, v, &d, err, n))) return rc; b->slow_call = fl_sec_to_time(d); return 0; }
    if (strcmp(k, "open_for") == 0) {
      if ((rc = set_duration(a, v, &d, err, n))) return rc;
      if (d <= 0) return set_err(err, n, a, "open_for must be positive");
      b->open_for = fl_sec_to_time(d); return 0;
    }
    if (strcmp(k, "window") == 0) { if ((rc = set_count(a, v, 1, FL_MAX_BREAKER_COUNT, &ll, err, n))) return rc; b->window = (int)ll; }
    else if (strcmp(k, "min_calls") == 0) { if ((rc = set_count(a, v, 1, FL_MAX_BREAKER_COUNT, &ll, err, n))) return rc; b->min_calls = (int)ll; }
    else if (strcmp(k, "half_open_calls") == 0) { if ((rc = set_count(a, v, 1, FL_MAX_BREAKER_COUNT, &ll, err, n))) return rc; b->half_open_calls = (int)ll; }
    else return 1;
    fl__breaker_clamp(b);
    return 0;
  }
  if (strcmp(key, "bulkhead") == 0) {
    if (strcmp(v, "none") == 0 || strcmp(v, "0") == 0) { c->bulkhead = 0; return 0; }
    if ((rc = set_count(a, v, 1, FL_MAX_BULKHEAD, &ll, err, n))) return rc;
    c->bulkhead = (int)ll; return 0;
  }
  if (strcmp(key, "deadline") == 0) return set_bool(a, v, &c->deadline, err, n);
  if (strcmp(key, "hedge.after") == 0) {
    int max = c->hedge.max;
    fl__hedge_defaults(&c->hedge);
    if (max) c->hedge.max = max;
    if (v[0] == 'p') {
      if (num(v + 1, &d) || !(d > 0 && d < 100)) return set_err(err, n, a, "expected a duration or a percentile such as p95");
      c->hedge.quantile = d / 100; c->hedge.after = 0; return 0;
    }
    if ((rc = set_duration(a, v, &d, err, n))) return rc;
    if (d <= 0) return set_err(err, n, a, "hedge.after must be positive");
    c->hedge.after = fl_sec_to_time(d); c->hedge.quantile = 0; return 0;
  }
  if (strcmp(key, "hedge.max") == 0) {
    if ((rc = set_count(a, v, 0, FL_MAX_HEDGE, &ll, err, n))) return rc;
    c->hedge.max = (int)ll; c->hedge.on = ll > 0 && (c->hedge.after > 0 || c->hedge.quantile > 0);
    return 0;
  }
  return 1;
}

static int set_call(fl_model_t *m, fl_endpoint_t *ep, const char *target, const char *key, const char *a, const char *v, char *err, size_t n) {
  int hits = 0;
  for (int i = 0; i < ep->ncalls; i++) {
    fl_call_t *c = &ep->calls[i];
    size_t tl = strlen(target);
    bool match = strcmp(c->target_name, target) == 0 ||
                 (strncmp(c->target_name, target, tl) == 0 && c->target_name[tl] == '.' && !strchr(target, '.'));
    if (!match) continue;
    hits++;
    double d = 0;
    int rc = 0;
    if (strcmp(key, "timeout") == 0) {
      if (strcmp(v, "none") == 0 || strcmp(v, "0") == 0) c->timeout = 0;
      else if (!(rc = set_duration(a, v, &d, err, n))) c->timeout = fl_sec_to_time(d);
    } else if (strcmp(key, "connect_timeout") == 0) {
      if (!(rc = set_duration(a, v, &d, err, n))) {
        if (d <= 0) return set_err(err, n, a, "connect_timeout must be positive");
        c->connect_timeout = fl_sec_to_time(d);
      }
    } else if (strcmp(key, "optional") == 0) rc = set_bool(a, v, &c->optional, err, n);
    else if (strcmp(key, "ignore_errors") == 0) rc = set_bool(a, v, &c->ignore_errors, err, n);
    else if (strcmp(key, "fallback") == 0) { if (!(rc = set_duration(a, v, &d, err, n))) c->fallback = fl_sec_to_time(d); }
    else if (strcmp(key, "p") == 0) rc = set_fraction(a, v, &c->p, err, n);
    else if ((rc = set_policy(c, key, a, v, err, n)) != 1) { if (rc) return rc; }
    else return set_err(err, n, a, "unknown call field '%s' (expected timeout, connect_timeout, optional, fallback, p, retries, "
                        "backoff.base|max|multiplier|jitter, retry_budget.ratio|min_per_s, breaker.enabled|failure_rate|"
                        "slow_call_rate|slow_call|window|min_calls|open_for|half_open_calls, bulkhead, deadline, hedge.after|max)", key);
    if (rc) return rc;
  }
  if (!hits) {
    /* before resolution ep->full_name is not set yet: find the service by hand */
    const char *svc = "?";
    for (int i = 0; i < m->nservices; i++)
      for (int k = 0; k < m->services[i].nendpoints; k++)
        if (&m->services[i].endpoints[k] == ep) svc = m->services[i].name;
    return set_err(err, n, a, "endpoint %s.%s has no call to '%s'", svc, ep->name, target);
  }
  return 0;
}

/* scenario.FIELD, or duration / warmup / window alone. */
static int set_scenario(fl_model_t *m, const char *k, const char *a, const char *v, char *err, size_t n) {
  double d = 0;
  int rc;
  if (strcmp(k, "duration") == 0) { if ((rc = set_duration(a, v, &d, err, n))) return rc; if (d <= 0) return set_err(err, n, a, "duration must be positive"); m->duration = d; }
  else if (strcmp(k, "warmup") == 0) { if ((rc = set_duration(a, v, &d, err, n))) return rc; m->warmup = d; }
  else if (strcmp(k, "window") == 0) { if ((rc = set_duration(a, v, &d, err, n))) return rc; if (d < FL_MIN_WINDOW) return set_err(err, n, a, "window must be at least 1ms"); m->window = d; m->window_set = true; }
  else if (strcmp(k, "name") == 0) m->name = fl__model_strdup(m, v);
  else return set_err(err, n, a, "unknown scenario field '%s' (expected duration, warmup, window, name; the seed is --seed)", k);
  return 0;
}

/* traffic.rate, traffic.rate.FIELD (a surge's), traffic.users, traffic.spawn_rate, traffic.mix.NAME. */
static int set_traffic(fl_model_t *m, const char *rest, const char *a, const char *v, char *err, size_t n) {
  fl_profile_t *p = &m->rate;
  double d = 0;
  int rc;
  if (strcmp(rest, "rate") == 0) {
    if ((rc = set_rate(a, v, &d, err, n))) return rc;
    p->kind = FL_PROFILE_CONST; p->value = d;
    return 0;
  }
  if (strncmp(rest, "rate.", 5) == 0) {
    const char *k = rest + 5;
    if (p->kind != FL_PROFILE_SURGE) return set_err(err, n, a, "traffic.rate.%s needs a surge profile (set traffic.rate to replace a constant rate)", k);
    double *rf = strcmp(k, "base") == 0 ? &p->base : strcmp(k, "peak") == 0 ? &p->peak : NULL;
    double *df = strcmp(k, "start") == 0 ? &p->start : strcmp(k, "ramp") == 0 ? &p->ramp :
                 strcmp(k, "hold") == 0 ? &p->hold : strcmp(k, "decay") == 0 ? &p->decay : NULL;
    if (rf) { if ((rc = set_rate(a, v, rf, err, n))) return rc; return 0; }
    if (df) { if ((rc = set_duration(a, v, df, err, n))) return rc; return 0; }
    return set_err(err, n, a, "unknown surge field '%s' (expected base, peak, start, ramp, hold, decay)", k);
  }
  if (strcmp(rest, "users") == 0) {   /* closed-loop users: a constant count from now on */
    long long u;
    if ((rc = set_count(a, v, 0, FL_MAX_USERS, &u, err, n))) return rc;
    memset(&m->users, 0, sizeof m->users);
    m->users.kind = FL_PROFILE_CONST; m->users.value = (double)u; m->users.line = m->traffic_line;
    m->has_users = true;
    return 0;
  }
  if (strcmp(rest, "spawn_rate") == 0) {
    if (!m->has_users) return set_err(err, n, a, "traffic.spawn_rate paces users: the scenario has none (set traffic.users first)");
    return set_rate(a, v, &m->spawn_rate, err, n);
  }
  if (strncmp(rest, "mix.", 4) == 0) {
    for (int j = 0; j < m->njourneys; j++)
      if (strcmp(m->journeys[j].name, rest + 4) == 0) return set_fraction(a, v, &m->journeys[j].share, err, n);
    return set_err(err, n, a, "no journey '%s' in the mix", rest + 4);
  }
  if (strncmp(rest, "journeys.", 9) == 0) {   /* journeys.NAME.slo, journeys.NAME.session_slo (NAME may hold dots) */
    const char *name = rest + 9, *dot = strrchr(name, '.');
    for (int j = 0; dot && j < m->njourneys; j++) {
      fl_journey_t *jn = &m->journeys[j];
      if (strlen(jn->name) != (size_t)(dot - name) || strncmp(jn->name, name, (size_t)(dot - name)) != 0) continue;
      if (strcmp(dot + 1, "slo") == 0) return set_duration(a, v, &jn->slo, err, n);
      if (strcmp(dot + 1, "session_slo") == 0) {
        if (jn->nsteps < 2) return set_err(err, n, a, "journey '%s' has no steps: session_slo bounds a multi-step journey's sessions", jn->name);
        return set_duration(a, v, &jn->session_slo, err, n);
      }
      return set_err(err, n, a, "unknown journey field '%s' (expected slo, session_slo)", dot + 1);
    }
    return set_err(err, n, a, "no journey '%.*s' (expected traffic.journeys.NAME.slo or .session_slo)", dot ? (int)(dot - name) : (int)strlen(name), name);
  }
  return set_err(err, n, a, "unknown traffic field '%s' (expected rate, rate.peak, ..., users, spawn_rate, mix.NAME, journeys.NAME.slo)", rest);
}

/* SVC.autoscale.FIELD, for a service that declared autoscale { ... }. */
static int set_autoscale(fl_service_t *s, const char *k, const char *a, const char *v, char *err, size_t n) {
  double d; long long ll;
  int rc;
  if (!s->autoscale.on) return set_err(err, n, a, "service '%s' has no autoscale { ... } to adjust", s->name);
  if (strcmp(k, "min") == 0 || strcmp(k, "max") == 0) {
    if ((rc = set_count(a, v, k[1] == 'i' ? 0 : 1, FL_MAX_INSTANCES, &ll, err, n))) return rc;
    if (k[1] == 'i') s->autoscale.min = (int)ll; else s->autoscale.max = (int)ll;
    if (s->autoscale.max < s->autoscale.min) return set_err(err, n, a, "autoscale.max must be at least min");
    fl__autoscale_clamp(s);
    return 0;
  }
  if (strcmp(k, "target") == 0) {
    if (s->autoscale.metric == FL_SCALE_UTILIZATION) rc = set_fraction(a, v, &d, err, n);
    else if (s->autoscale.metric == FL_SCALE_RPS) rc = set_rate(a, v, &d, err, n);
    else rc = num(v, &d) ? set_err(err, n, a, "expected a number") : 0;
    if (rc) return rc;
    if (!(d > 0)) return set_err(err, n, a, "the target must be positive");
    s->autoscale.target = d; return 0;
  }
  if (strcmp(k, "tolerance") == 0) return set_fraction(a, v, &s->autoscale.tolerance, err, n);
  if (strcmp(k, "warmup_factor") == 0) {
    if (num(v, &d) || d < FL_MIN_WARMUP_FACTOR) return set_err(err, n, a, "expected a number of at least 1");
    s->autoscale.warmup_factor = d; return 0;
  }
  double *df = strcmp(k, "period") == 0 ? &s->autoscale.period : strcmp(k, "stabilize_down") == 0 ? &s->autoscale.stabilize_down :
               strcmp(k, "delay") == 0 ? &s->autoscale.delay : strcmp(k, "warmup") == 0 ? &s->autoscale.warmup : NULL;
  if (!df) return set_err(err, n, a, "unknown autoscale field '%s' (expected min, max, target, tolerance, period, stabilize_down, delay, warmup, warmup_factor)", k);
  if (strcmp(k, "period") == 0) {
    if ((rc = set_duration(a, v, &d, err, n))) return rc;
    if (d < FL_MIN_WINDOW) return set_err(err, n, a, "autoscale.period must be at least 1ms");
    *df = d; return 0;
  }
  return set_duration(a, v, df, err, n);
}

/* SVC.endpoints.EP.FIELD, SVC.endpoints.EP.calls.TARGET.FIELD, or SVC.calls.TARGET.FIELD and
** SVC.error_rate... for a service's only endpoint; 'rest' is what follows "SVC.". */
static int set_endpoint(fl_model_t *m, fl_service_t *s, const char *rest, const char *a, const char *v, char *err, size_t n) {
  const char *head = s->name;
  fl_endpoint_t *ep = NULL;
  char buf[512];
  snprintf(buf, sizeof buf, "%s", rest);
  char *p = buf;
  if (strncmp(p, "endpoints.", 10) == 0) {
    p += 10;
    char *d2 = strchr(p, '.');
    if (!d2) return set_err(err, n, a, "expected %s.endpoints.NAME.FIELD", head);
    *d2 = 0;
    for (int i = 0; i < s->nendpoints; i++) if (strcmp(s->endpoints[i].name, p) == 0) ep = &s->endpoints[i];
    if (!ep) return set_err(err, n, a, "service '%s' has no endpoint '%s'", head, p);
    p = d2 + 1;
  } else if (s->nendpoints == 1) {
    ep = &s->endpoints[0];
  } else {
    return set_err(err, n, a, "unknown service field '%s' (expected instances, workers, cores, queue, overflow, blocking, error_rate, slo, balancer, endpoints.NAME...)", rest);
  }
  if (strcmp(p, "error_rate") == 0) return set_fraction(a, v, &ep->error_rate, err, n);
  if (strncmp(p, "calls.", 6) == 0) {
    /* TARGET is a call's target as written ("recommend.for_user") or its service ("recommend");
    ** the rest is the field, which may have dots itself ("breaker.open_for") */
    char *target = p + 6;
    size_t best = 0;
    for (int i = 0; i < ep->ncalls; i++) {
      const char *t = ep->calls[i].target_name;
      size_t tl = strlen(t), sl = strcspn(t, ".");
      if (strncmp(target, t, tl) == 0 && target[tl] == '.' && tl > best) best = tl;
      if (strncmp(target, t, sl) == 0 && target[sl] == '.' && sl > best) best = sl;
    }
    if (!best) {
      char *last = strrchr(target, '.');
      if (!last) return set_err(err, n, a, "expected ...calls.TARGET.FIELD");
      best = (size_t)(last - target);
    }
    target[best] = 0;
    return set_call(m, ep, target, target + best + 1, a, v, err, n);
  }
  return set_err(err, n, a, "unknown field '%s' (expected instances, workers, cores, queue, overflow, blocking, error_rate, slo, balancer, calls.TARGET.FIELD, endpoints.NAME...)", p);
}

/* SVC.FIELD: the service's own fields, then its autoscaling, then its endpoints. */
static int set_service(fl_model_t *m, fl_service_t *s, const char *rest, const char *a, const char *v, char *err, size_t n) {
  long long ll;
  int rc;
  if (strcmp(rest, "instances") == 0) { if ((rc = set_count(a, v, 1, FL_MAX_INSTANCES, &ll, err, n))) return rc; s->instances = (int)ll; return 0; }
  if (strcmp(rest, "workers") == 0) { if ((rc = set_count(a, v, 1, FL_MAX_WORKERS, &ll, err, n))) return rc; s->workers = (int)ll; return 0; }
  if (strcmp(rest, "cores") == 0) {   /* 0: no CPU model */
    if ((rc = set_count(a, v, 0, FL_MAX_CORES, &ll, err, n))) return rc;
    s->cores = (int)ll; return 0;
  }
  if (strcmp(rest, "queue") == 0) {
    if (strcmp(v, "inf") == 0 || strcmp(v, "math.huge") == 0 || strcmp(v, "unbounded") == 0) { s->queue = INT64_MAX; return 0; }
    if ((rc = set_count(a, v, 0, FL_MAX_QUEUE, &ll, err, n))) return rc;
    s->queue = ll; return 0;
  }
  if (strcmp(rest, "overflow") == 0) {
    int o = fl_overflow_parse(v);
    if (o < 0) return set_err(err, n, a, "expected reject or drop");
    s->overflow = (fl_overflow_t)o; return 0;
  }
  if (strcmp(rest, "blocking") == 0) return set_bool(a, v, &s->blocking, err, n);
  if (strcmp(rest, "startup") == 0) return set_duration(a, v, &s->startup, err, n);
  if (strncmp(rest, "autoscale.", 10) == 0) return set_autoscale(s, rest + 10, a, v, err, n);
  if (strcmp(rest, "error_rate") == 0) return set_fraction(a, v, &s->error_rate, err, n);
  if (strcmp(rest, "slo") == 0) return set_duration(a, v, &s->slo, err, n);
  if (strcmp(rest, "balancer") == 0) {
    int lb = fl_balancer_parse(v);
    if (lb < 0) return set_err(err, n, a, "expected round_robin, random, least_outstanding or p2c");
    s->balancer = (fl_balancer_t)lb; return 0;
  }
  return set_endpoint(m, s, rest, a, v, err, n);
}

int fl_model_set(fl_model_t *m, const char *assignment, char *err, size_t n) {
  const char *a = assignment;
  const char *eq = strchr(a, '=');
  if (!eq || eq == a || !eq[1]) return set_err(err, n, a, "expected PATH=VALUE, e.g. recommend.instances=6");
  char path[512];
  if ((size_t)(eq - a) >= sizeof path) return set_err(err, n, a, "path too long");
  memcpy(path, a, (size_t)(eq - a)); path[eq - a] = 0;
  const char *v = eq + 1;
  char *dot = strchr(path, '.');
  const char *head = path, *rest = "";
  if (dot) { *dot = 0; rest = dot + 1; }
  if (strcmp(head, "scenario") == 0 || (!dot && (strcmp(head, "duration") == 0 || strcmp(head, "warmup") == 0 || strcmp(head, "window") == 0)))
    return set_scenario(m, dot ? rest : head, a, v, err, n);
  if (strcmp(head, "traffic") == 0) return set_traffic(m, rest, a, v, err, n);
  fl_service_t *s = fl_model_find_service(m, head);
  if (!s) return set_err(err, n, a, "no service or setting named '%s'", head);
  if (!dot || !*rest) return set_err(err, n, a, "expected %s.FIELD, e.g. %s.instances=4", head, head);
  return set_service(m, s, rest, a, v, err, n);
}
