/* Capacity sizing: the search for the smallest sizes meeting every expectation (see
** include/faultline/size.h for the method), the evaluation of one candidate over its
** replications on the thread pool of sim/batch/pool.c, the JSON result and the terminal table. */
#include "faultline/analysis.h"
#include "batch_int.h"
#include "faultline/run.h"
#include "faultline/size.h"
#include "faultline/report.h"
#include "faultline/units.h"

#include <cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_INSTANCES 100000     /* what --set accepts for instances and autoscale.max */
#define MAX_WORKERS 1000000
#define MAX_ROUNDS 64            /* descent rounds: a guard, convergence comes long before */

const char *fl_size_stop_name(fl_size_stop_t s) {
  static const char *const names[] = { "converged", "budget", "infeasible", "interrupted" };
  return (unsigned)s <= FL_SIZE_INTERRUPTED ? names[s] : "?";
}

/* ---- setup -------------------------------------------------------------------------------- */

/* Longest chain of calls below service i (0 for a leaf): callees are sized before callers. */
static int height(const fl_model_t *m, int i, int *memo) {
  if (memo[i] >= 0) return memo[i];
  memo[i] = 0;   /* the model has no cycles (fl_model_resolve); this guards anyway */
  int h = 0;
  const fl_service_t *s = &m->services[i];
  for (int e = 0; e < s->nendpoints; e++)
    for (int c = 0; c < s->endpoints[e].ncalls; c++) {
      int callee = s->endpoints[e].calls[c].target->service->id;
      if (callee == i) continue;
      int d = height(m, callee, memo) + 1;
      if (d > h) h = d;
    }
  return memo[i] = h;
}

int fl_size_init(fl_size_t *z, const fl_size_opts_t *o, char *err, size_t errlen) {
  memset(z, 0, sizeof *z);
  z->o = *o;
  if (o->reps < 1) { snprintf(err, errlen, "--reps must be at least 1"); return -FL_EINVAL; }
  z->confidence = o->confidence > 0 ? o->confidence : FL_SWEEP_LEVEL;
  z->pass_lower = NAN;
  if (!(z->confidence > 0 && z->confidence < 1)) { snprintf(err, errlen, "--confidence must be between 0 and 1 (e.g. 0.95 or 95%%)"); return -FL_EINVAL; }
  if (o->budget < o->reps) {
    snprintf(err, errlen, "--budget %d cannot pay for one candidate (%d replications): give at least --budget %d", o->budget, o->reps, o->reps);
    return -FL_EINVAL;
  }
  fl_load_opts_t lo = { .unsafe = o->unsafe, .has_seed = o->has_seed, .seed = o->seed, .sets = o->sets, .nsets = o->nsets };
  fl_model_t *m = NULL;
  int rc = fl_scenario_load(o->path, &lo, &m, err, errlen);
  if (rc) return rc;
  /* a candidate's replications run at once: --memory is shared among them (sizes do not change what a run keeps) */
  if ((rc = fl_batch_memory(m, o->memory, fl_batch_at_once(o->threads, o->reps, 1), 1, &z->memory, err, errlen)) != 0) {
    fl_model_free(m);
    return rc;
  }
  z->run.memory = z->memory;
  z->file = fl_xstrdup(o->path);
  z->name = fl_xstrdup(m->name ? m->name : "scenario");
  z->seed = m->seed;
  if (m->nexpects == 0) {
    snprintf(err, errlen, "%s: no expectations to size against: add expect \"...\" { journey = ..., success_rate = ..., p99 = ... }", o->path);
    fl_model_free(m);
    return -FL_EINVAL;
  }
  z->nexpects = m->nexpects;
  z->expects = fl_xcalloc((size_t)m->nexpects, sizeof *z->expects);
  for (int x = 0; x < m->nexpects; x++) z->expects[x] = fl_xstrdup(m->expects[x].name);
  /* which services */
  bool *pick = fl_xcalloc((size_t)m->nservices, sizeof *pick);
  for (int k = 0; k < o->nservices; k++) {
    const fl_service_t *s = fl_model_find_service(m, o->services[k]);
    if (!s) { snprintf(err, errlen, "--services: no service named '%s' in %s", o->services[k], o->path); rc = -FL_EINVAL; break; }
    if (pick[s->id]) { snprintf(err, errlen, "--services: '%s' is listed twice", o->services[k]); rc = -FL_EINVAL; break; }
    pick[s->id] = true;
  }
  if (rc == 0) {
    for (int i = 0; i < m->nservices; i++) if (o->nservices == 0 || pick[i]) z->nsvc++;
    z->svc = fl_xcalloc((size_t)z->nsvc, sizeof *z->svc);
    int k = 0;
    for (int i = 0; i < m->nservices; i++) {
      if (o->nservices && !pick[i]) continue;
      const fl_service_t *s = &m->services[i];
      fl_size_svc_t *v = &z->svc[k++];
      v->name = fl_xstrdup(s->name);
      v->service = i;
      v->binding = -1;
      v->binds = fl_xcalloc((size_t)z->nexpects, sizeof *v->binds);
      int limit;
      if (o->vary == FL_SIZE_WORKERS) {
        v->field = "workers"; v->initial = s->workers; v->floor = 1; limit = MAX_WORKERS;
      } else if (s->autoscale.on) {
        v->field = "autoscale.max"; v->initial = s->autoscale.max;
        v->floor = s->autoscale.min > 1 ? s->autoscale.min : 1; limit = MAX_INSTANCES;
      } else {
        v->field = "instances"; v->initial = s->instances; v->floor = 1; limit = MAX_INSTANCES;
      }
      long long cap = o->max > 0 ? o->max : (8LL * v->initial > 64 ? 8LL * v->initial : 64);
      if (cap < v->floor) cap = v->floor;
      if (cap > limit) cap = limit;
      v->cap = (int)cap;
      v->value = v->initial < v->floor ? v->floor : v->initial > v->cap ? v->cap : v->initial;
    }
    /* callees first, then by the model's order */
    int *memo = fl_xcalloc((size_t)m->nservices, sizeof *memo), *h = fl_xcalloc((size_t)z->nsvc, sizeof *h);
    for (int i = 0; i < m->nservices; i++) memo[i] = -1;
    for (k = 0; k < z->nsvc; k++) h[k] = height(m, z->svc[k].service, memo);
    z->order = fl_xcalloc((size_t)z->nsvc, sizeof *z->order);
    int n = 0;
    for (int want = 0; n < z->nsvc; want++)
      for (k = 0; k < z->nsvc; k++) if (h[k] == want) z->order[n++] = k;
    free(memo); free(h);
    z->current = fl_xcalloc((size_t)z->nsvc, sizeof *z->current);
    for (k = 0; k < z->nsvc; k++) z->current[k] = z->svc[k].value;
  }
  free(pick);
  fl_model_free(m);
  return rc;
}

static void eval_free(fl_size_t *z, fl_size_eval_t *e) {
  free(e->values); free(e->failed); free(e->peak); free(e->error);
  for (int x = 0; e->observed && x < z->nexpects; x++) free(e->observed[x]);
  free(e->observed);
}

void fl_size_release(fl_size_t *z) {
  for (int i = 0; i < z->nevals; i++) eval_free(z, &z->evals[i]);
  free(z->evals);
  for (int k = 0; z->svc && k < z->nsvc; k++) { free(z->svc[k].name); free(z->svc[k].binding_observed); free(z->svc[k].binding_error); free(z->svc[k].binds); }
  free(z->svc);
  for (int x = 0; z->expects && x < z->nexpects; x++) free(z->expects[x]);
  free(z->expects);
  free(z->order); free(z->current); free(z->file); free(z->name);
  memset(z, 0, sizeof *z);
}

void fl_size_assignment(const fl_size_t *z, int k, char *buf, size_t n) {
  snprintf(buf, n, "%s.%s=%d", z->svc[k].name, z->svc[k].field, z->current[k]);
}

/* ---- one candidate ------------------------------------------------------------------------ */

typedef struct eval_ctx {
  fl_size_t *z;
  const char **sets; int nsets;
  atomic_int first_fail;      /* the lowest replication known to fail (reps: none) */
  atomic_int err_claimed;
  bool *ran, *failed_rep;     /* [rep] */
  bool *xfail;                /* [rep * nexpects] */
  char **obs;                 /* [rep * nexpects] */
  double *peak;               /* [rep * nsvc] */
  uint64_t *events;           /* [rep] */
  char **rep_error;           /* [rep]: the run stopped with a scenario error (a hook failed) */
  char err[1024];
} eval_ctx_t;

typedef struct rep_watch { eval_ctx_t *c; int rep; fl_run_ctl_t *ctl; } rep_watch_t;

/* At each window: stop a replication made pointless by an earlier failing one, or interrupted. */
static void on_window_watch(fl_sim_t *s, uint32_t w, void *user) {
  rep_watch_t *rw = user;
  (void)w;
  if (atomic_load(&rw->c->first_fail) < rw->rep || (rw->ctl->stop && atomic_load(rw->ctl->stop))) s->stop = 1;
}

static void set_error(eval_ctx_t *c, const char *fmt, const char *a, const char *b) {
  int expected = 0;
  if (atomic_compare_exchange_strong(&c->err_claimed, &expected, 1)) snprintf(c->err, sizeof c->err, fmt, a, b);
}

/* A replication failed (an expectation, or a hook's error): the lowest such one wins. */
static void mark_failed(eval_ctx_t *c, int rep) {
  int cur = atomic_load(&c->first_fail);
  while (rep < cur && !atomic_compare_exchange_weak(&c->first_fail, &cur, rep)) {}
}

static int rep_job(void *ctx, int rep, int worker, fl_run_ctl_t *ctl) {
  eval_ctx_t *c = ctx;
  fl_size_t *z = c->z;
  (void)worker;
  if (atomic_load(&c->first_fail) < rep) return 0;   /* an earlier replication failed: not needed */
  fl_load_opts_t lo = { .unsafe = z->o.unsafe, .has_seed = true, .seed = z->seed + (uint64_t)rep,
                        .sets = c->sets, .nsets = c->nsets, .memory = z->memory };
  fl_run_t r;
  char err[1024];
  int rc = fl_run_load(&r, z->o.path, &lo, err, sizeof err);
  if (rc) { set_error(c, "%s%s", err, ""); return rc; }
  rep_watch_t rw = { c, rep, ctl };
  r.s.on_window = on_window_watch;
  r.s.on_window_user = &rw;
  rc = fl_run_all(&r);
  if (rc < 0) {   /* a hook failed at these sizes: the replication fails */
    c->rep_error[rep] = fl_xstrdup(r.s.error);
    c->failed_rep[rep] = true;
    c->ran[rep] = true;
    mark_failed(c, rep);
    fl_run_release(&r);
    return 0;
  }
  if (rc == 1) { fl_run_release(&r); return 0; }   /* stopped: not needed, or interrupted */
  int failed = fl_run_check(&r);
  for (int x = 0; x < z->nexpects; x++) {
    bool f = !r.s.exp[x].passed;
    c->xfail[(size_t)rep * z->nexpects + x] = f;
    if (f) {
      char buf[512];
      fl_expect_observed(&r.s, x, buf, sizeof buf);
      c->obs[(size_t)rep * z->nexpects + x] = fl_xstrdup(buf);
    }
  }
  for (int k = 0; k < z->nsvc; k++) c->peak[(size_t)rep * z->nsvc + k] = fl_metrics_peak_utilization(&r.s, z->svc[k].service);
  c->events[rep] = r.s.eng.dispatched;
  c->failed_rep[rep] = failed > 0;
  c->ran[rep] = true;
  ctl->events = r.s.eng.dispatched;
  if (failed) mark_failed(c, rep);
  fl_run_release(&r);
  return 0;
}

static void rep_done(void *ctx, int job, int worker) { (void)ctx; (void)job; (void)worker; }

static int find_eval(const fl_size_t *z, const int *values) {
  for (int i = 0; i < z->nevals; i++)
    if (memcmp(z->evals[i].values, values, sizeof *values * (size_t)z->nsvc) == 0) return i;
  return -1;
}

enum { EVAL_OK = 0, EVAL_INTERRUPTED = 1, EVAL_BUDGET = 2 };

/* Evaluates 'values' (or finds it evaluated). Returns EVAL_* with its index in *out, or -FL_E*. */
static int evaluate(fl_size_t *z, const int *values, int round, int focus, int *out, char *err, size_t errlen) {
  int found = find_eval(z, values);
  if (found >= 0) { *out = found; return EVAL_OK; }
  int reps = z->o.reps;
  if (z->sims + reps > z->o.budget) return EVAL_BUDGET;
  if (z->o.interrupted && *z->o.interrupted) return EVAL_INTERRUPTED;
  if (z->o.progress) {
    char what[256];
    size_t w = 0;
    if (focus >= 0) w = (size_t)snprintf(what, sizeof what, "%s.%s=%d", z->svc[focus].name, z->svc[focus].field, values[focus]);
    else w = (size_t)snprintf(what, sizeof what, "%s", round == 0 && z->nevals == 0 ? "the scenario's sizes" : "every service doubled");
    if (w < sizeof what && round > 0) snprintf(what + w, sizeof what - w, " (round %d)", round);
    z->o.progress(z->o.progress_user, what, z->sims, z->o.budget);
  }
  /* the assignments: the fixed --set first, then the candidate's sizes */
  eval_ctx_t c;
  memset(&c, 0, sizeof c);
  c.z = z;
  c.nsets = z->o.nsets + z->nsvc;
  c.sets = fl_xcalloc((size_t)c.nsets, sizeof *c.sets);
  size_t room = 0, used = 0;
  for (int k = 0; k < z->nsvc; k++) room += strlen(z->svc[k].name) + strlen(z->svc[k].field) + 16;
  char *buf = fl_xcalloc(room, 1);
  for (int i = 0; i < z->o.nsets; i++) c.sets[i] = z->o.sets[i];
  for (int k = 0; k < z->nsvc; k++) {
    c.sets[z->o.nsets + k] = buf + used;
    used += (size_t)snprintf(buf + used, room - used, "%s.%s=%d", z->svc[k].name, z->svc[k].field, values[k]) + 1;
  }
  atomic_init(&c.first_fail, reps);
  atomic_init(&c.err_claimed, 0);
  c.ran = fl_xcalloc((size_t)reps, sizeof *c.ran);
  c.failed_rep = fl_xcalloc((size_t)reps, sizeof *c.failed_rep);
  c.xfail = fl_xcalloc((size_t)reps * (size_t)z->nexpects, sizeof *c.xfail);
  c.obs = fl_xcalloc((size_t)reps * (size_t)z->nexpects, sizeof *c.obs);
  c.peak = fl_xcalloc((size_t)reps * (size_t)z->nsvc, sizeof *c.peak);
  c.events = fl_xcalloc((size_t)reps, sizeof *c.events);
  c.rep_error = fl_xcalloc((size_t)reps, sizeof *c.rep_error);
  fl_pool_opts_t po = { .threads = z->o.threads, .progress = false, .interrupted = z->o.interrupted };
  fl_batch_info_t info;
  memset(&info, 0, sizeof info);
  int rc = fl_pool_run(reps, &po, rep_job, rep_done, &c, &info);
  if (info.threads > z->run.threads) z->run.threads = info.threads;
  for (int r = 0; r < reps; r++) if (c.ran[r]) { z->run.runs++; z->run.events += c.events[r]; }
  int first = atomic_load(&c.first_fail);
  /* an interruption can stop replications before the first failing one: then nothing is known */
  bool complete = true;
  for (int r = 0; r < (first < reps ? first + 1 : reps); r++) if (!c.ran[r]) complete = false;
  if (rc < 0) {
    snprintf(err, errlen, "%s", c.err[0] ? c.err : fl_strerror(rc));
  } else if (complete && first < reps && c.rep_error[first] && z->nevals == 0) {
    /* at the scenario's own sizes: the scenario is wrong, not the candidate */
    snprintf(err, errlen, "%s", c.rep_error[first]);
    rc = -FL_ESCENARIO;
  } else if (!complete) {
    rc = EVAL_INTERRUPTED;
  } else {
    rc = EVAL_OK;
    if (z->nevals == z->evals_cap) {
      z->evals_cap = z->evals_cap ? 2 * z->evals_cap : 64;
      z->evals = fl_xrealloc(z->evals, sizeof *z->evals * (size_t)z->evals_cap);
    }
    fl_size_eval_t *e = &z->evals[z->nevals];
    memset(e, 0, sizeof *e);
    e->values = fl_xcalloc((size_t)z->nsvc, sizeof *e->values);
    memcpy(e->values, values, sizeof *values * (size_t)z->nsvc);
    e->passed = first >= reps;
    e->fail_rep = e->passed ? -1 : first;
    e->sims = e->passed ? reps : first + 1;
    e->round = round;
    e->focus = focus;
    e->failed = fl_xcalloc((size_t)z->nexpects, sizeof *e->failed);
    e->observed = fl_xcalloc((size_t)z->nexpects, sizeof *e->observed);
    e->peak = fl_xcalloc((size_t)z->nsvc, sizeof *e->peak);
    for (int r = 0; r < e->sims; r++)
      for (int k = 0; k < z->nsvc; k++)
        if (c.peak[(size_t)r * z->nsvc + k] > e->peak[k]) e->peak[k] = c.peak[(size_t)r * z->nsvc + k];
    if (!e->passed && c.rep_error[first]) { e->error = c.rep_error[first]; c.rep_error[first] = NULL; }
    if (!e->passed)
      for (int x = 0; x < z->nexpects; x++) {
        size_t at = (size_t)first * z->nexpects + x;
        e->failed[x] = c.xfail[at];
        if (c.xfail[at]) { e->observed[x] = c.obs[at]; c.obs[at] = NULL; }
      }
    z->sims += e->sims;
    *out = z->nevals++;
  }
  for (size_t i = 0; i < (size_t)reps * (size_t)z->nexpects; i++) free(c.obs[i]);
  for (int r = 0; r < reps; r++) free(c.rep_error[r]);
  free(c.rep_error);
  free(c.obs); free(c.xfail); free(c.ran); free(c.failed_rep); free(c.peak); free(c.events);
  free(c.sets); free(buf);
  return rc;
}

/* ---- the search --------------------------------------------------------------------------- */

/* Lowers service k as far as it goes with the others held. Returns EVAL_* or -FL_E*. */
static int minimise(fl_size_t *z, int k, int round, int *vals, char *err, size_t errlen) {
  const fl_size_svc_t *v = &z->svc[k];
  int hi = z->current[k], lo = -1, step = 1, idx, rc;
  memcpy(vals, z->current, sizeof *vals * (size_t)z->nsvc);
  while (hi > v->floor) {
    vals[k] = hi - step > v->floor ? hi - step : v->floor;
    if ((rc = evaluate(z, vals, round, k, &idx, err, errlen)) != EVAL_OK) return rc;
    if (z->evals[idx].passed) { hi = vals[k]; z->current[k] = hi; step *= 2; }
    else { lo = vals[k]; break; }
  }
  while (lo >= 0 && hi - lo > 1) {
    vals[k] = lo + (hi - lo) / 2;
    if ((rc = evaluate(z, vals, round, k, &idx, err, errlen)) != EVAL_OK) return rc;
    if (z->evals[idx].passed) { hi = vals[k]; z->current[k] = hi; }
    else lo = vals[k];
  }
  return EVAL_OK;
}

static size_t failing_list(const fl_size_t *z, const fl_size_eval_t *e, char *buf, size_t n) {
  size_t w = 0;
  buf[0] = 0;
  if (e->error) w += (size_t)snprintf(buf, n, "the run failed: %s", e->error);
  for (int x = 0; x < z->nexpects && w < n; x++)
    if (e->failed[x])
      w += (size_t)snprintf(buf + w, n - w, "%s\"%s\" (%s)", w ? ", " : "", z->expects[x], e->observed[x] ? e->observed[x] : "?");
  return w;
}

/* What the search knows about the answer: peaks, what binds, which values are proven minimal. */
static void conclude(fl_size_t *z) {
  int at = z->found ? find_eval(z, z->current) : -1;
  int *vals = fl_xcalloc((size_t)z->nsvc, sizeof *vals);
  for (int k = 0; k < z->nsvc; k++) {
    fl_size_svc_t *v = &z->svc[k];
    v->value = z->current[k];
    v->peak = at >= 0 ? z->evals[at].peak[k] : NAN;
    v->minimal = false; v->binding = -1;
    free(v->binding_observed); v->binding_observed = NULL;
    free(v->binding_error); v->binding_error = NULL;
    memset(v->binds, 0, sizeof *v->binds * (size_t)z->nexpects);
    if (!z->found) continue;
    if (v->value <= v->floor) { v->minimal = true; continue; }
    memcpy(vals, z->current, sizeof *vals * (size_t)z->nsvc);
    vals[k] = v->value - 1;
    int below = find_eval(z, vals);
    if (below < 0 || z->evals[below].passed) continue;
    v->minimal = true;
    if (z->evals[below].error) v->binding_error = fl_xstrdup(z->evals[below].error);
    for (int x = 0; x < z->nexpects; x++) {
      v->binds[x] = z->evals[below].failed[x];
      if (v->binds[x] && v->binding < 0) {
        v->binding = x;
        if (z->evals[below].observed[x]) v->binding_observed = fl_xstrdup(z->evals[below].observed[x]);
      }
    }
  }
  free(vals);
}

int fl_size_run(fl_size_t *z, char *err, size_t errlen) {
  double t0 = fl_run_clock();
  int *vals = fl_xcalloc((size_t)z->nsvc, sizeof *vals);
  int rc = 0, idx = -1;
  z->stopped = FL_SIZE_CONVERGED;
  /* (1) the scenario's sizes, doubled until every expectation holds */
  memcpy(vals, z->current, sizeof *vals * (size_t)z->nsvc);
  for (;;) {
    rc = evaluate(z, vals, 0, -1, &idx, err, errlen);
    if (rc != EVAL_OK) goto stop;
    if (z->evals[idx].passed) { memcpy(z->current, vals, sizeof *vals * (size_t)z->nsvc); z->found = true; break; }
    bool grew = false;
    for (int k = 0; k < z->nsvc; k++) {
      long long d = 2LL * vals[k];
      int nv = d > z->svc[k].cap ? z->svc[k].cap : (int)d;
      if (nv != vals[k]) { vals[k] = nv; grew = true; }
    }
    if (!grew) {
      char what[400];
      failing_list(z, &z->evals[idx], what, sizeof what);
      z->stopped = FL_SIZE_INFEASIBLE;
      snprintf(z->reason, sizeof z->reason, "infeasible: the expectations fail even with every sized service at its cap (--max): %s", what);
      memcpy(z->current, vals, sizeof *vals * (size_t)z->nsvc);
      goto done;
    }
  }
  /* (2) coordinate descent, callees first, until a round changes nothing */
  for (int round = 1; round <= MAX_ROUNDS; round++) {
    z->rounds = round;
    bool changed = false;
    for (int n = 0; n < z->nsvc; n++) {
      int k = z->order[n], before = z->current[k];
      rc = minimise(z, k, round, vals, err, errlen);
      if (z->current[k] != before) changed = true;
      if (rc != EVAL_OK) goto stop;
    }
    if (!changed) {
      snprintf(z->reason, sizeof z->reason, "converged after %d round%s: each service at one fewer fails an expectation, or is at its floor",
               round, round == 1 ? "" : "s");
      goto done;
    }
  }
  snprintf(z->reason, sizeof z->reason, "not converged after %d rounds: the expectations are not monotone in the sizes", MAX_ROUNDS);
  z->stopped = FL_SIZE_BUDGET;
  goto done;
stop:
  if (rc < 0) { free(vals); z->run.wall_seconds = fl_run_clock() - t0; return rc; }
  if (rc == EVAL_INTERRUPTED) {
    z->stopped = FL_SIZE_INTERRUPTED;
    snprintf(z->reason, sizeof z->reason, "interrupted: %s", z->found ? "the sizes shown hold every expectation but may not be minimal" : "no passing sizes found yet");
  } else {
    z->stopped = FL_SIZE_BUDGET;
    snprintf(z->reason, sizeof z->reason, "the budget of %d simulations is spent: %s", z->o.budget,
             z->found ? "the sizes shown hold every expectation but may not be minimal" : "no sizes found that hold every expectation");
  }
done:
  conclude(z);
  if (z->found) z->pass_lower = fl_binomial_lower(z->o.reps, z->o.reps, z->confidence);
  free(vals);
  z->run.wall_seconds = fl_run_clock() - t0;
  fl_run_host(z->run.host, sizeof z->run.host);
  return 0;
}

/* ---- output ------------------------------------------------------------------------------- */

cJSON *fl_size_json(const fl_size_t *z) {
  cJSON *root = cJSON_CreateObject();
  cJSON_AddStringToObject(root, "faultline", FL_VERSION);
  cJSON_AddNumberToObject(root, "schema", FL_REPORT_SCHEMA);
  cJSON_AddStringToObject(root, "kind", "size");
  cJSON *sc = cJSON_AddObjectToObject(root, "scenario");
  cJSON_AddStringToObject(sc, "name", z->name);
  cJSON_AddStringToObject(sc, "file", z->file);
  cJSON_AddItemToObject(sc, "seed", fl__json_u64(z->seed));
  cJSON *sets = cJSON_AddArrayToObject(sc, "set");
  for (int i = 0; i < z->o.nsets; i++) cJSON_AddItemToArray(sets, cJSON_CreateString(z->o.sets[i]));
  cJSON_AddStringToObject(root, "vary", z->o.vary == FL_SIZE_WORKERS ? "workers" : "instances");
  cJSON_AddNumberToObject(root, "replications", z->o.reps);
  cJSON *seeds = cJSON_AddArrayToObject(root, "seeds");
  for (int r = 0; r < z->o.reps; r++) cJSON_AddItemToArray(seeds, fl__json_u64(z->seed + (uint64_t)r));
  cJSON_AddNumberToObject(root, "budget", z->o.budget);
  cJSON_AddNumberToObject(root, "simulations", z->sims);
  cJSON_AddNumberToObject(root, "candidates", z->nevals);
  cJSON_AddNumberToObject(root, "rounds", z->rounds);
  cJSON_AddStringToObject(root, "stopped", fl_size_stop_name(z->stopped));
  cJSON_AddStringToObject(root, "reason", z->reason);
  cJSON_AddBoolToObject(root, "found", z->found);
  cJSON_AddNumberToObject(root, "confidence", z->confidence);
  if (z->found) {
    cJSON *pp = cJSON_AddObjectToObject(root, "pass_probability");
    cJSON_AddNumberToObject(pp, "held", z->o.reps);
    cJSON_AddNumberToObject(pp, "of", z->o.reps);
    fl__json_num(pp, "lower", z->pass_lower);
    cJSON_AddNumberToObject(pp, "confidence", z->confidence);
    cJSON_AddStringToObject(pp, "interval", "clopper-pearson, one-sided");
  } else {
    cJSON_AddNullToObject(root, "pass_probability");
  }
  cJSON *ex = cJSON_AddArrayToObject(root, "expectations");
  for (int x = 0; x < z->nexpects; x++) cJSON_AddItemToArray(ex, cJSON_CreateString(z->expects[x]));
  cJSON *svcs = cJSON_AddArrayToObject(root, "services");
  for (int k = 0; k < z->nsvc; k++) {
    const fl_size_svc_t *v = &z->svc[k];
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "name", v->name);
    cJSON_AddStringToObject(o, "field", v->field);
    cJSON_AddNumberToObject(o, "initial", v->initial);
    cJSON_AddNumberToObject(o, "value", v->value);
    cJSON_AddNumberToObject(o, "floor", v->floor);
    cJSON_AddNumberToObject(o, "cap", v->cap);
    cJSON_AddBoolToObject(o, "minimal", v->minimal);
    if (isnan(v->peak)) { cJSON_AddNullToObject(o, "peak_utilization"); cJSON_AddNullToObject(o, "headroom"); }
    else { cJSON_AddNumberToObject(o, "peak_utilization", v->peak); cJSON_AddNumberToObject(o, "headroom", 1 - v->peak); }
    if (v->binding >= 0) {
      cJSON *b = cJSON_AddObjectToObject(o, "binding");
      cJSON_AddStringToObject(b, "expectation", z->expects[v->binding]);
      cJSON_AddStringToObject(b, "observed", v->binding_observed ? v->binding_observed : "");
      cJSON_AddNumberToObject(b, "at", v->value - 1);
      cJSON *all = cJSON_AddArrayToObject(b, "failing");
      for (int x = 0; x < z->nexpects; x++) if (v->binds[x]) cJSON_AddItemToArray(all, cJSON_CreateString(z->expects[x]));
    } else if (v->binding_error) {
      cJSON *b = cJSON_AddObjectToObject(o, "binding");
      cJSON_AddNullToObject(b, "expectation");
      cJSON_AddStringToObject(b, "error", v->binding_error);
      cJSON_AddNumberToObject(b, "at", v->value - 1);
      cJSON_AddArrayToObject(b, "failing");
    } else {
      cJSON_AddNullToObject(o, "binding");
    }
    char a[512];
    fl_size_assignment(z, k, a, sizeof a);
    cJSON_AddStringToObject(o, "set", a);
    cJSON_AddItemToArray(svcs, o);
  }
  cJSON *order = cJSON_AddArrayToObject(root, "order");
  for (int n = 0; n < z->nsvc; n++) cJSON_AddItemToArray(order, cJSON_CreateString(z->svc[z->order[n]].name));
  cJSON *evs = cJSON_AddArrayToObject(root, "evaluations");
  for (int i = 0; i < z->nevals; i++) {
    const fl_size_eval_t *e = &z->evals[i];
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "round", e->round);
    if (e->focus >= 0) cJSON_AddStringToObject(o, "service", z->svc[e->focus].name);
    else cJSON_AddNullToObject(o, "service");
    cJSON *vals = cJSON_AddObjectToObject(o, "sizes");
    for (int k = 0; k < z->nsvc; k++) cJSON_AddNumberToObject(vals, z->svc[k].name, e->values[k]);
    cJSON_AddBoolToObject(o, "passed", e->passed);
    cJSON_AddNumberToObject(o, "simulations", e->sims);
    if (e->error) cJSON_AddStringToObject(o, "error", e->error);
    cJSON *f = cJSON_AddArrayToObject(o, "failed");
    for (int x = 0; x < z->nexpects; x++)
      if (e->failed[x]) {
        cJSON *fx = cJSON_CreateObject();
        cJSON_AddStringToObject(fx, "expectation", z->expects[x]);
        cJSON_AddStringToObject(fx, "observed", e->observed[x] ? e->observed[x] : "");
        cJSON_AddNumberToObject(fx, "replication", e->fail_rep);
        cJSON_AddItemToArray(f, fx);
      }
    cJSON_AddItemToArray(evs, o);
  }
  fl__json_batch_run(root, &z->run, false);
  return root;
}

void fl_size_print(FILE *out, const fl_size_t *z) {
  const char *what = z->o.vary == FL_SIZE_WORKERS ? "workers" : "instances";
  fprintf(out, "faultline size: %s (%s): %s\n", z->name, z->file, z->o.vary == FL_SIZE_WORKERS ? "workers per instance" : "instances");
  if (z->o.reps == 1) fprintf(out, "every expectation must hold in 1 replication (seed %llu)\n\n", (unsigned long long)z->seed);
  else fprintf(out, "every expectation must hold in all %d replications (seeds %llu..%llu)\n\n", z->o.reps,
               (unsigned long long)z->seed, (unsigned long long)(z->seed + (uint64_t)z->o.reps - 1));
  int wn = 7;
  for (int k = 0; k < z->nsvc; k++) { int l = (int)strlen(z->svc[k].name); if (l > wn) wn = l; }
  fprintf(out, "  %-*s  %9s  %5s  %8s  %s\n", wn, "service", what, "was", "headroom", "binds at one fewer");
  for (int k = 0; k < z->nsvc; k++) {
    const fl_size_svc_t *v = &z->svc[k];
    char val[32], head[16], bind[700];
    snprintf(val, sizeof val, "%d%s", v->value, strcmp(v->field, "autoscale.max") == 0 ? " max" : "");
    if (isnan(v->peak)) snprintf(head, sizeof head, "-");
    else snprintf(head, sizeof head, "%.0f%%", 100 * (1 - v->peak));
    if (!z->found) snprintf(bind, sizeof bind, "-");
    else if (v->binding >= 0) snprintf(bind, sizeof bind, "\"%s\" (%s)", z->expects[v->binding], v->binding_observed ? v->binding_observed : "?");
    else if (v->binding_error) snprintf(bind, sizeof bind, "the run fails: %s", v->binding_error);
    else if (v->value <= v->floor) snprintf(bind, sizeof bind, "none: at its floor (%d)", v->floor);
    else snprintf(bind, sizeof bind, "not known: %d was not tried at these sizes", v->value - 1);
    fprintf(out, "  %-*s  %9s  %5d  %8s  %s\n", wn, v->name, val, v->initial, head, bind);
  }
  fprintf(out, "\n%d simulation%s (%d candidates, budget %d); %s\n", z->sims, z->sims == 1 ? "" : "s",
          z->nevals, z->o.budget, z->reason);
  if (z->found) {
    fprintf(out, "holds in %d/%d replications; P(pass) >= %.2f at %.4g%% (exact one-sided binomial bound; more --reps, a firmer one)\n",
            z->o.reps, z->o.reps, floor(100 * z->pass_lower) / 100, 100 * z->confidence);   /* rounded down: a bound */
    fprintf(out, "check: faultline run %s", z->file);
    if (z->o.has_seed) fprintf(out, " --seed %llu", (unsigned long long)z->seed);
    for (int i = 0; i < z->o.nsets; i++) fprintf(out, " --set %s", z->o.sets[i]);
    for (int k = 0; k < z->nsvc; k++) { char a[512]; fl_size_assignment(z, k, a, sizeof a); fprintf(out, " --set %s", a); }
    fputc('\n', out);
  }
}
