/* Sweeps: the grid of --set values crossed with replications, the derived seeds, the values one
** run yields (layout), the per-point summaries (kept as each point completes, so memory holds
** summaries, not runs), the JSON and CSV output, the terminal table, and the shards of a sweep
** with their merge. Summaries are computed from the values of replications 0..reps-1 in that
** order, whichever thread or shard ran them: the result is the same for any -j and any sharding. */
#include "faultline/sweep.h"
#include "faultline/analysis.h"
#include "faultline/io.h"
#include "faultline/units.h"

#include <cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- layout ------------------------------------------------------------------------------- */

static const char *const journey_metrics[FL_JM__COUNT] = { "success_ratio", "p99", "latency_mean" };
static const char *const service_metrics[FL_SM__COUNT] = { "peak_utilization", "utilization" };

const char *fl_journey_metric_name(int k) { return k >= 0 && k < FL_JM__COUNT ? journey_metrics[k] : "?"; }
const char *fl_service_metric_name(int k) { return k >= 0 && k < FL_SM__COUNT ? service_metrics[k] : "?"; }

static void layout_size(fl_layout_t *l, int nj, int ns, int nx) {
  l->njourneys = nj; l->nservices = ns; l->nexpects = nx;
  l->journeys = fl_xcalloc((size_t)nj + 1, sizeof *l->journeys);
  l->services = fl_xcalloc((size_t)ns + 1, sizeof *l->services);
  l->expects = fl_xcalloc((size_t)nx + 1, sizeof *l->expects);
  l->nvalues = fl_layout_all_held(l) + 1;
}

void fl_layout_init(fl_layout_t *l, const fl_model_t *m) {
  layout_size(l, m->njourneys, m->nservices, m->nexpects);
  for (int j = 0; j < m->njourneys; j++) l->journeys[j] = fl_xstrdup(m->journeys[j].name);
  for (int i = 0; i < m->nservices; i++) l->services[i] = fl_xstrdup(m->services[i].name);
  for (int x = 0; x < m->nexpects; x++) l->expects[x] = fl_xstrdup(m->expects[x].name);
}

void fl_layout_release(fl_layout_t *l) {
  for (int j = 0; l->journeys && j < l->njourneys; j++) free(l->journeys[j]);
  for (int i = 0; l->services && i < l->nservices; i++) free(l->services[i]);
  for (int x = 0; l->expects && x < l->nexpects; x++) free(l->expects[x]);
  free(l->journeys); free(l->services); free(l->expects);
  memset(l, 0, sizeof *l);
}

bool fl_layout_matches(const fl_layout_t *l, const fl_model_t *m) {
  if (l->njourneys != m->njourneys || l->nservices != m->nservices || l->nexpects != m->nexpects) return false;
  for (int j = 0; j < m->njourneys; j++) if (strcmp(l->journeys[j], m->journeys[j].name) != 0) return false;
  for (int i = 0; i < m->nservices; i++) if (strcmp(l->services[i], m->services[i].name) != 0) return false;
  for (int x = 0; x < m->nexpects; x++) if (strcmp(l->expects[x], m->expects[x].name) != 0) return false;
  return true;
}

/* ---- one run ------------------------------------------------------------------------------ */

static void on_window_ctl(fl_sim_t *s, uint32_t w, void *user) {
  fl_run_ctl_t *ctl = user;
  (void)w;
  atomic_store(&ctl->permille, s->end > 0 ? (unsigned)(1000.0 * (double)s->eng.now / (double)s->end) : 1000u);
  if (ctl->stop && atomic_load(ctl->stop)) s->stop = 1;
}

int fl_run_values(const char *path, const fl_load_opts_t *opts, const fl_layout_t *l, double *out,
                  fl_run_ctl_t *ctl, char *err, size_t errlen) {
  fl_model_t *m = NULL;
  int rc = fl_scenario_load(path, opts, &m, err, errlen);
  if (rc) return rc;
  if (!fl_layout_matches(l, m)) {
    snprintf(err, errlen, "%s: with %s%s the journeys, services or expectations differ from the first run's",
             path, opts->nsets ? "--set " : "these settings", opts->nsets ? opts->sets[0] : "");
    fl_model_free(m);
    return -FL_EINVAL;
  }
  fl_sim_t s;
  if (fl_sim_init(&s, m) != 0) {
    snprintf(err, errlen, "%s: cannot initialise the simulation", path);
    fl_model_free(m);
    return -FL_EINTERNAL;
  }
  if (ctl) { s.on_window = on_window_ctl; s.on_window_user = ctl; }
  fl_sim_run(&s);
  if (s.error[0]) {   /* a hook failed: a scenario error, whichever run it happened in */
    snprintf(err, errlen, "%s (seed %llu%s%s)", s.error, (unsigned long long)m->seed, opts->nsets ? ", --set " : "",
             opts->nsets ? opts->sets[0] : "");
    fl_sim_release(&s);
    fl_model_free(m);
    return -FL_ESCENARIO;
  }
  if (!s.complete) { fl_sim_release(&s); fl_model_free(m); return 1; }
  int failed = fl_sim_check_expectations(&s);
  for (int j = 0; j < m->njourneys; j++) {
    const fl_stats_t *st = &s.jrn[j].st;
    out[fl_layout_journey(l, j, FL_JM_SUCCESS)] = fl_metrics_success_ratio(&st->total);
    out[fl_layout_journey(l, j, FL_JM_P99)] = fl_time_to_sec(fl_hist_quantile(st->htotal, 0.99));
    out[fl_layout_journey(l, j, FL_JM_MEAN)] = fl_hist_mean(st->htotal) / 1e9;
  }
  for (int i = 0; i < m->nservices; i++) {
    out[fl_layout_service(l, i, FL_SM_PEAK_UTIL)] = fl_metrics_peak_utilization(&s, i);
    out[fl_layout_service(l, i, FL_SM_UTIL)] = fl_metrics_utilization(&s, i);
  }
  for (int x = 0; x < m->nexpects; x++) out[fl_layout_expect(l, x)] = s.exp[x].passed ? 1 : 0;
  out[fl_layout_all_held(l)] = failed ? 0 : 1;
  if (ctl) ctl->events = s.eng.dispatched;
  fl_sim_release(&s);
  fl_model_free(m);
  return 0;
}

/* ---- seeds -------------------------------------------------------------------------------- */

uint64_t fl_sweep_seed(uint64_t base, int rep) {
  uint64_t z = base + (uint64_t)(rep + 1) * 0x9e3779b97f4a7c15u;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
  return (z ^ (z >> 31)) >> 11;
}

/* ---- the plan ----------------------------------------------------------------------------- */

#define MAX_JOBS 100000000   /* a sweep of more runs than this is a typo */

static size_t point_sets_size(const fl_sweep_t *sw) {
  size_t n = 1;
  for (int a = 0; a < sw->naxes; a++) {
    size_t longest = 0;
    for (int v = 0; v < sw->axes[a].nvalues; v++) {
      size_t k = strlen(sw->axes[a].values[v]);
      if (k > longest) longest = k;
    }
    n += strlen(sw->axes[a].path) + longest + 2;
  }
  return n;
}

/* Axis values of point p: the last axis varies fastest. */
static void point_index(const fl_sweep_t *sw, int p, int *idx) {
  for (int a = sw->naxes - 1; a >= 0; a--) {
    idx[a] = p % sw->axes[a].nvalues;
    p /= sw->axes[a].nvalues;
  }
}

static int sets_from_index(const fl_sweep_t *sw, const int *idx, const char **sets, char *buf, size_t n) {
  size_t w = 0;
  for (int a = 0; a < sw->naxes; a++) {
    int k = snprintf(buf + w, n - w, "%s=%s", sw->axes[a].path, sw->axes[a].values[idx[a]]);
    sets[a] = buf + w;
    w += (size_t)k + 1;
    FL_ASSERT(w <= n);
  }
  return sw->naxes;
}

int fl_sweep_point_sets(const fl_sweep_t *sw, int p, const char **sets, char *buf, size_t n) {
  int idx[sw->naxes > 0 ? sw->naxes : 1];
  point_index(sw, p, idx);
  FL_ASSERT(n >= point_sets_size(sw));
  return sets_from_index(sw, idx, sets, buf, n);
}

static int parse_axes(fl_sweep_t *sw, const fl_sweep_opts_t *o, char *err, size_t errlen) {
  sw->axes = fl_xcalloc((size_t)o->nsets + 1, sizeof *sw->axes);
  long long points = 1;
  for (int a = 0; a < o->nsets; a++) {
    const char *s = o->sets[a], *eq = strchr(s, '=');
    if (!eq || eq == s) { snprintf(err, errlen, "--set %s: expected PATH=VALUE[,VALUE...]", s); return -FL_EINVAL; }
    fl_axis_t *ax = &sw->axes[sw->naxes++];
    ax->path = fl_xcalloc((size_t)(eq - s) + 1, 1);
    memcpy(ax->path, s, (size_t)(eq - s));
    for (int b = 0; b < a; b++)
      if (strcmp(sw->axes[b].path, ax->path) == 0) {
        snprintf(err, errlen, "--set %s: '%s' is set twice (give its values in one --set, separated by commas)", s, ax->path);
        return -FL_EINVAL;
      }
    const char *v = eq + 1;
    int cap = 1;
    for (const char *c = v; *c; c++) cap += *c == ',';
    ax->values = fl_xcalloc((size_t)cap, sizeof *ax->values);
    for (;;) {
      const char *end = strchr(v, ',');
      size_t len = end ? (size_t)(end - v) : strlen(v);
      if (len == 0) { snprintf(err, errlen, "--set %s: an empty value (values are separated by single commas)", s); return -FL_EINVAL; }
      char *val = fl_xcalloc(len + 1, 1);
      memcpy(val, v, len);
      ax->values[ax->nvalues++] = val;
      if (!end) break;
      v = end + 1;
    }
    points *= ax->nvalues;
    if (points * o->reps > MAX_JOBS) {
      snprintf(err, errlen, "the grid has more than %d runs (points x replications): narrow it", MAX_JOBS);
      return -FL_EINVAL;
    }
  }
  sw->npoints = (int)points;
  return 0;
}

static void alloc_results(fl_sweep_t *sw) {
  size_t nv = (size_t)sw->layout.nvalues, total = (size_t)sw->npoints * (size_t)sw->reps;
  if (sw->nshards > 0) {
    size_t first = (size_t)sw->shard - 1;
    sw->njobs_shard = first < total ? (int)((total - first + (size_t)sw->nshards - 1) / (size_t)sw->nshards) : 0;
    sw->raw = fl_xcalloc((size_t)sw->njobs_shard * nv, sizeof *sw->raw);
    sw->raw_done = fl_xcalloc((size_t)sw->njobs_shard, sizeof *sw->raw_done);
    return;
  }
  sw->ci = fl_xcalloc((size_t)sw->npoints * nv, sizeof *sw->ci);
  sw->got = fl_xcalloc((size_t)sw->npoints, sizeof *sw->got);
  sw->pending = fl_xcalloc((size_t)sw->npoints, sizeof *sw->pending);
  sw->seen = fl_xcalloc(total / 8 + 1, 1);
}

int fl_sweep_init(fl_sweep_t *sw, const fl_sweep_opts_t *o, char *err, size_t errlen) {
  memset(sw, 0, sizeof *sw);
  if (o->reps < 1) { snprintf(err, errlen, "--reps must be at least 1"); return -FL_EINVAL; }
  if (o->nshards < 0 || (o->nshards > 0 && (o->shard < 1 || o->shard > o->nshards))) {
    snprintf(err, errlen, "--shard I/N needs 1 <= I <= N");
    return -FL_EINVAL;
  }
  sw->file = fl_xstrdup(o->path);
  sw->reps = o->reps;
  sw->unsafe = o->unsafe;
  sw->shard = o->shard; sw->nshards = o->nshards;
  int rc = parse_axes(sw, o, err, errlen);
  if (rc) return rc;

  /* the first grid point: name, seed, layout; then every axis value once, early */
  size_t bufn = point_sets_size(sw);
  char *buf = fl_xmalloc(bufn);
  const char **sets = fl_xcalloc((size_t)sw->naxes + 1, sizeof *sets);
  int *idx = fl_xcalloc((size_t)sw->naxes + 1, sizeof *idx);
  fl_load_opts_t lo = { .unsafe = o->unsafe, .has_seed = o->has_seed, .seed = o->seed, .sets = sets, .nsets = sw->naxes };
  sets_from_index(sw, idx, sets, buf, bufn);
  fl_model_t *m = NULL;
  rc = fl_scenario_load(o->path, &lo, &m, err, errlen);
  if (rc == 0) {
    sw->name = fl_xstrdup(m->name);
    sw->seed = o->has_seed ? o->seed : m->seed;
    fl_layout_init(&sw->layout, m);
    fl_model_free(m);
    lo.has_seed = true; lo.seed = sw->seed;
  }
  for (int a = 0; rc == 0 && a < sw->naxes; a++)
    for (int v = 1; rc == 0 && v < sw->axes[a].nvalues; v++) {
      idx[a] = v;
      sets_from_index(sw, idx, sets, buf, bufn);
      if ((rc = fl_scenario_load(o->path, &lo, &m, err, errlen)) == 0) {
        if (!fl_layout_matches(&sw->layout, m)) {
          snprintf(err, errlen, "--set %s: the journeys, services or expectations differ from those of the first grid point", sets[a]);
          rc = -FL_EINVAL;
        }
        fl_model_free(m);
      }
      idx[a] = 0;
    }
  free(buf); free(sets); free(idx);
  if (rc) return rc;
  sw->seeds = fl_xcalloc((size_t)sw->reps, sizeof *sw->seeds);
  for (int r = 0; r < sw->reps; r++) sw->seeds[r] = fl_sweep_seed(sw->seed, r);
  alloc_results(sw);
  return 0;
}

void fl_sweep_release(fl_sweep_t *sw) {
  for (int a = 0; sw->axes && a < sw->naxes; a++) {
    for (int v = 0; v < sw->axes[a].nvalues; v++) free(sw->axes[a].values[v]);
    free(sw->axes[a].values);
    free(sw->axes[a].path);
  }
  free(sw->axes);
  for (int p = 0; sw->pending && p < sw->npoints; p++) free(sw->pending[p]);
  free(sw->pending); free(sw->got); free(sw->ci); free(sw->seen);
  free(sw->raw); free(sw->raw_done);
  free(sw->seeds); free(sw->file); free(sw->name);
  fl_layout_release(&sw->layout);
  memset(sw, 0, sizeof *sw);
}

/* ---- results ------------------------------------------------------------------------------ */

/* Takes replication r of point p; once the point has all its replications, summarises it (in
** replication order) and drops the values. Returns -1 for a run already in. */
static int add_values(fl_sweep_t *sw, int p, int r, const double *v) {
  size_t nv = (size_t)sw->layout.nvalues, job = (size_t)p * (size_t)sw->reps + (size_t)r;
  if (sw->seen[job / 8] & (1u << (job % 8))) return -1;
  sw->seen[job / 8] |= (unsigned char)(1u << (job % 8));
  if (!sw->pending[p]) sw->pending[p] = fl_xcalloc((size_t)sw->reps * nv, sizeof(double));
  memcpy(sw->pending[p] + (size_t)r * nv, v, nv * sizeof *v);
  if (++sw->got[p] == sw->reps) {
    for (size_t k = 0; k < nv; k++)
      fl_ci_of(&sw->ci[(size_t)p * nv + k], sw->pending[p] + k, sw->reps, nv, FL_SWEEP_LEVEL);
    free(sw->pending[p]);
    sw->pending[p] = NULL;
  }
  return 0;
}

const fl_ci_t *fl_sweep_ci(const fl_sweep_t *sw, int p, int v) {
  if (!sw->got || p < 0 || p >= sw->npoints || sw->got[p] < sw->reps || v < 0 || v >= sw->layout.nvalues) return NULL;
  return &sw->ci[(size_t)p * (size_t)sw->layout.nvalues + (size_t)v];
}

static int held_count(const fl_ci_t *c) { return c ? (int)lround(c->mean * c->n) : 0; }

int fl_sweep_failed_runs(const fl_sweep_t *sw) {
  int failed = 0, all = fl_layout_all_held(&sw->layout);
  if (sw->nshards > 0) {
    for (int i = 0; i < sw->njobs_shard; i++)
      if (sw->raw_done[i] && sw->raw[(size_t)i * (size_t)sw->layout.nvalues + (size_t)all] < 0.5) failed++;
    return failed;
  }
  for (int p = 0; p < sw->npoints; p++) {
    const fl_ci_t *c = fl_sweep_ci(sw, p, all);
    if (c) failed += c->n - held_count(c);
  }
  return failed;
}

/* ---- running ------------------------------------------------------------------------------ */

typedef struct sweep_run {
  fl_sweep_t *sw;
  double *vals;               /* [worker * nvalues] */
  char *sets_buf;             /* [worker * bufn] */
  size_t bufn;
  char (*err)[1024];          /* [worker] */
  atomic_int failed_worker;   /* the first worker whose run failed, or -1 */
} sweep_run_t;

static int global_job(const fl_sweep_t *sw, int local) {
  return sw->nshards > 0 ? sw->shard - 1 + local * sw->nshards : local;
}

static int sweep_job(void *ctx, int local, int worker, fl_run_ctl_t *ctl) {
  sweep_run_t *sr = ctx;
  fl_sweep_t *sw = sr->sw;
  int j = global_job(sw, local), p = j / sw->reps, r = j % sw->reps;
  const char *sets[sw->naxes > 0 ? sw->naxes : 1];
  fl_sweep_point_sets(sw, p, sets, sr->sets_buf + (size_t)worker * sr->bufn, sr->bufn);
  fl_load_opts_t lo = { .unsafe = sw->unsafe, .has_seed = true, .seed = sw->seeds[r], .sets = sets, .nsets = sw->naxes };
  int rc = fl_run_values(sw->file, &lo, &sw->layout, sr->vals + (size_t)worker * (size_t)sw->layout.nvalues, ctl,
                         sr->err[worker], sizeof sr->err[worker]);
  if (rc < 0) {
    int none = -1;
    atomic_compare_exchange_strong(&sr->failed_worker, &none, worker);
  }
  return rc;
}

static void sweep_done(void *ctx, int local, int worker) {
  sweep_run_t *sr = ctx;
  fl_sweep_t *sw = sr->sw;
  size_t nv = (size_t)sw->layout.nvalues;
  const double *v = sr->vals + (size_t)worker * nv;
  if (sw->nshards > 0) {
    memcpy(sw->raw + (size_t)local * nv, v, nv * sizeof *v);
    sw->raw_done[local] = true;
    return;
  }
  int j = global_job(sw, local);
  FL_ASSERT(add_values(sw, j / sw->reps, j % sw->reps, v) == 0);
}

int fl_sweep_run(fl_sweep_t *sw, const fl_pool_opts_t *p, char *err, size_t errlen) {
  int threads = p->threads > 0 ? p->threads : fl_pool_default_threads();
  int njobs = sw->nshards > 0 ? sw->njobs_shard : sw->npoints * sw->reps;
  sweep_run_t sr;
  memset(&sr, 0, sizeof sr);
  sr.sw = sw;
  sr.vals = fl_xcalloc((size_t)threads * (size_t)sw->layout.nvalues, sizeof *sr.vals);
  sr.bufn = point_sets_size(sw);
  sr.sets_buf = fl_xcalloc((size_t)threads, sr.bufn);
  sr.err = fl_xcalloc((size_t)threads, sizeof *sr.err);
  atomic_init(&sr.failed_worker, -1);
  fl_pool_opts_t po = *p;
  po.threads = threads;
  memset(&sw->run, 0, sizeof sw->run);
  int rc = fl_pool_run(njobs, &po, sweep_job, sweep_done, &sr, &sw->run);
  if (rc < 0) {
    int w = atomic_load(&sr.failed_worker);
    snprintf(err, errlen, "%s", w >= 0 ? sr.err[w] : "a run failed");
  }
  free(sr.vals); free(sr.sets_buf); free(sr.err);
  sw->complete = rc == 0;
  return rc;
}

/* ---- JSON --------------------------------------------------------------------------------- */

static void add_num(cJSON *o, const char *k, double v) {
  cJSON_AddItemToObject(o, k, isfinite(v) ? cJSON_CreateNumber(v) : cJSON_CreateNull());
}

/* A number printed with all 17 digits (cJSON's own printing may drop the last one): read back
** by strtod, it is the same double, which the merge of shards depends on. */
static cJSON *exact_num(double v) {
  char buf[40];
  if (!isfinite(v)) return cJSON_CreateNull();
  snprintf(buf, sizeof buf, "%.17g", v);
  return cJSON_CreateRaw(buf);
}

static cJSON *exact_u64(uint64_t v) {
  char buf[32];
  snprintf(buf, sizeof buf, "%llu", (unsigned long long)v);
  return cJSON_CreateRaw(buf);
}

static cJSON *ci_json(const fl_ci_t *c) {
  cJSON *o = cJSON_CreateObject();
  add_num(o, "mean", c->mean);
  add_num(o, "ci95", c->half);
  add_num(o, "lo", c->lo);
  add_num(o, "hi", c->hi);
  add_num(o, "sd", c->sd);
  add_num(o, "n", c->n);
  return o;
}

static cJSON *strings_json(char *const *s, int n) {
  cJSON *a = cJSON_CreateArray();
  for (int i = 0; i < n; i++) cJSON_AddItemToArray(a, cJSON_CreateString(s[i]));
  return a;
}

/* The plan: everything that identifies a sweep, the same in every shard of it. */
static void plan_json(const fl_sweep_t *sw, cJSON *root) {
  cJSON_AddStringToObject(root, "faultline", FL_VERSION);
  add_num(root, "schema", FL_REPORT_SCHEMA);
  cJSON_AddStringToObject(root, "kind", "sweep");
  cJSON_AddBoolToObject(root, "complete", sw->complete);
  cJSON *sc = cJSON_AddObjectToObject(root, "scenario");
  cJSON_AddStringToObject(sc, "name", sw->name);
  cJSON_AddStringToObject(sc, "file", sw->file);
  cJSON_AddItemToObject(sc, "seed", exact_u64(sw->seed));
  add_num(root, "replications", sw->reps);
  add_num(root, "confidence", FL_SWEEP_LEVEL);
  cJSON *seeds = cJSON_AddArrayToObject(root, "seeds");
  for (int r = 0; r < sw->reps; r++) cJSON_AddItemToArray(seeds, exact_u64(sw->seeds[r]));
  cJSON *params = cJSON_AddArrayToObject(root, "parameters");
  for (int a = 0; a < sw->naxes; a++) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "path", sw->axes[a].path);
    cJSON_AddItemToObject(o, "values", strings_json(sw->axes[a].values, sw->axes[a].nvalues));
    cJSON_AddItemToArray(params, o);
  }
  add_num(root, "points", sw->npoints);
  cJSON *subj = cJSON_AddObjectToObject(root, "subjects");
  cJSON_AddItemToObject(subj, "journeys", strings_json(sw->layout.journeys, sw->layout.njourneys));
  cJSON_AddItemToObject(subj, "services", strings_json(sw->layout.services, sw->layout.nservices));
  cJSON_AddItemToObject(subj, "expectations", strings_json(sw->layout.expects, sw->layout.nexpects));
}

static cJSON *held_json(const char *name, const fl_ci_t *c) {
  cJSON *o = cJSON_CreateObject();
  if (name) cJSON_AddStringToObject(o, "name", name);
  add_num(o, "held", held_count(c));
  add_num(o, "of", c->n);
  cJSON_AddItemToObject(o, "passed", ci_json(c));
  return o;
}

static cJSON *point_json(const fl_sweep_t *sw, int p) {
  const fl_layout_t *l = &sw->layout;
  cJSON *o = cJSON_CreateObject();
  add_num(o, "index", p);
  cJSON *set = cJSON_AddObjectToObject(o, "set");
  int idx[sw->naxes > 0 ? sw->naxes : 1];
  point_index(sw, p, idx);
  for (int a = 0; a < sw->naxes; a++) cJSON_AddStringToObject(set, sw->axes[a].path, sw->axes[a].values[idx[a]]);
  cJSON *js = cJSON_AddObjectToObject(o, "journeys");
  for (int j = 0; j < l->njourneys; j++) {
    cJSON *e = cJSON_AddObjectToObject(js, l->journeys[j]);
    for (int k = 0; k < FL_JM__COUNT; k++)
      cJSON_AddItemToObject(e, journey_metrics[k], ci_json(fl_sweep_ci(sw, p, fl_layout_journey(l, j, k))));
  }
  cJSON *ss = cJSON_AddObjectToObject(o, "services");
  for (int i = 0; i < l->nservices; i++) {
    cJSON *e = cJSON_AddObjectToObject(ss, l->services[i]);
    for (int k = 0; k < FL_SM__COUNT; k++)
      cJSON_AddItemToObject(e, service_metrics[k], ci_json(fl_sweep_ci(sw, p, fl_layout_service(l, i, k))));
  }
  cJSON *xs = cJSON_AddArrayToObject(o, "expectations");
  for (int x = 0; x < l->nexpects; x++) {
    cJSON_AddItemToArray(xs, held_json(l->expects[x], fl_sweep_ci(sw, p, fl_layout_expect(l, x))));
  }
  cJSON_AddItemToObject(o, "all_expectations", held_json(NULL, fl_sweep_ci(sw, p, fl_layout_all_held(l))));
  return o;
}

cJSON *fl_sweep_json(const fl_sweep_t *sw) {
  cJSON *root = cJSON_CreateObject();
  plan_json(sw, root);
  size_t nv = (size_t)sw->layout.nvalues;
  if (sw->nshards > 0) {
    cJSON *sh = cJSON_AddObjectToObject(root, "shard");
    add_num(sh, "index", sw->shard);
    add_num(sh, "of", sw->nshards);
    cJSON *samples = cJSON_AddArrayToObject(root, "samples");
    for (int i = 0; i < sw->njobs_shard; i++) {
      if (!sw->raw_done[i]) continue;
      cJSON *a = cJSON_CreateArray();
      cJSON_AddItemToArray(a, cJSON_CreateNumber(global_job(sw, i)));
      for (size_t k = 0; k < nv; k++) cJSON_AddItemToArray(a, exact_num(sw->raw[(size_t)i * nv + k]));
      cJSON_AddItemToArray(samples, a);
    }
  } else {
    cJSON *pts = cJSON_AddArrayToObject(root, "results");
    for (int p = 0; p < sw->npoints; p++)
      if (fl_sweep_ci(sw, p, 0)) cJSON_AddItemToArray(pts, point_json(sw, p));
  }
  cJSON *run = cJSON_AddObjectToObject(root, "run");
  add_num(run, "threads", sw->run.threads);
  add_num(run, "runs", sw->run.runs);
  add_num(run, "wall_seconds", sw->run.wall_seconds);
  add_num(run, "events", (double)sw->run.events);
  add_num(run, "events_per_second", sw->run.wall_seconds > 0 ? (double)sw->run.events / sw->run.wall_seconds : 0);
  cJSON_AddStringToObject(run, "host", sw->run.host);
  return root;
}

/* ---- merge -------------------------------------------------------------------------------- */

static const char *const plan_keys[] = { "faultline", "schema", "kind", "replications", "seeds", "parameters", "points", "subjects" };

static char *string_of(const cJSON *o, const char *k) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
  return cJSON_IsString(v) ? v->valuestring : NULL;
}

static bool number_of(const cJSON *o, const char *k, double *out) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
  if (!cJSON_IsNumber(v)) return false;
  *out = v->valuedouble;
  return true;
}

static int strings_from(const cJSON *a, char ***out, int *n) {
  if (!cJSON_IsArray(a)) return -1;
  *n = cJSON_GetArraySize(a);
  *out = fl_xcalloc((size_t)*n + 1, sizeof **out);
  int i = 0;
  const cJSON *e;
  cJSON_ArrayForEach(e, a) {
    if (!cJSON_IsString(e)) return -1;
    (*out)[i++] = fl_xstrdup(e->valuestring);
  }
  return 0;
}

/* The plan of part 0, rebuilt. */
static int plan_from_json(fl_sweep_t *sw, const cJSON *root, char *err, size_t errlen) {
  const cJSON *sc = cJSON_GetObjectItemCaseSensitive(root, "scenario");
  double seed, reps, points, of;
  const char *name = string_of(sc, "name"), *file = string_of(sc, "file");
  const cJSON *sh = cJSON_GetObjectItemCaseSensitive(root, "shard");
  const cJSON *seeds = cJSON_GetObjectItemCaseSensitive(root, "seeds");
  const cJSON *params = cJSON_GetObjectItemCaseSensitive(root, "parameters");
  const cJSON *subj = cJSON_GetObjectItemCaseSensitive(root, "subjects");
  const char *kind = string_of(root, "kind");
  if (!kind || strcmp(kind, "sweep") != 0 || !name || !file || !number_of(sc, "seed", &seed) ||
      !number_of(root, "replications", &reps) || !number_of(root, "points", &points) || !number_of(sh, "of", &of) ||
      !cJSON_IsArray(seeds) || !cJSON_IsArray(params) || !cJSON_IsObject(subj) ||
      reps < 1 || reps > MAX_JOBS || points < 1 || points * reps > MAX_JOBS || of < 1 ||
      cJSON_GetArraySize(seeds) != (int)reps) {
    snprintf(err, errlen, "not the partial result of a sweep shard (faultline sweep --shard I/N --json FILE)");
    return -FL_EINVAL;
  }
  sw->name = fl_xstrdup(name);
  sw->file = fl_xstrdup(file);
  sw->seed = (uint64_t)seed;
  sw->reps = (int)reps;
  sw->nshards = (int)of;
  sw->seeds = fl_xcalloc((size_t)sw->reps, sizeof *sw->seeds);
  int r = 0;
  const cJSON *e;
  cJSON_ArrayForEach(e, seeds) sw->seeds[r++] = cJSON_IsNumber(e) ? (uint64_t)e->valuedouble : 0;
  sw->axes = fl_xcalloc((size_t)cJSON_GetArraySize(params) + 1, sizeof *sw->axes);
  long long np = 1;
  cJSON_ArrayForEach(e, params) {
    fl_axis_t *ax = &sw->axes[sw->naxes++];
    const char *path = string_of(e, "path");
    ax->path = fl_xstrdup(path ? path : "");
    if (!path || strings_from(cJSON_GetObjectItemCaseSensitive(e, "values"), &ax->values, &ax->nvalues) || ax->nvalues < 1) {
      snprintf(err, errlen, "a parameter of the sweep is malformed");
      return -FL_EINVAL;
    }
    np *= ax->nvalues;
    if (np > MAX_JOBS) break;
  }
  if (np != (long long)points) { snprintf(err, errlen, "the sweep's parameters do not make %.0f points", points); return -FL_EINVAL; }
  sw->npoints = (int)np;
  fl_layout_t *l = &sw->layout;
  if (strings_from(cJSON_GetObjectItemCaseSensitive(subj, "journeys"), &l->journeys, &l->njourneys) ||
      strings_from(cJSON_GetObjectItemCaseSensitive(subj, "services"), &l->services, &l->nservices) ||
      strings_from(cJSON_GetObjectItemCaseSensitive(subj, "expectations"), &l->expects, &l->nexpects)) {
    snprintf(err, errlen, "the sweep's subjects are malformed");
    return -FL_EINVAL;
  }
  l->nvalues = fl_layout_all_held(l) + 1;
  int nshards = sw->nshards;
  sw->nshards = 0;
  alloc_results(sw);
  sw->nshards = nshards;
  return 0;
}

int fl_sweep_merge(fl_sweep_t *sw, cJSON *const *parts, int nparts, char *err, size_t errlen) {
  memset(sw, 0, sizeof *sw);
  if (nparts < 1) { snprintf(err, errlen, "no parts to merge"); return -FL_EINVAL; }
  int rc = plan_from_json(sw, parts[0], err, errlen);
  if (rc) return rc;
  int nshards = sw->nshards;
  bool *have = fl_xcalloc((size_t)nshards, sizeof *have);
  size_t nv = (size_t)sw->layout.nvalues, total = (size_t)sw->npoints * (size_t)sw->reps;
  const cJSON *sc0 = cJSON_GetObjectItemCaseSensitive(parts[0], "scenario");
  double *vals = fl_xcalloc(nv, sizeof *vals);
  memset(&sw->run, 0, sizeof sw->run);
  for (int i = 0; rc == 0 && i < nparts; i++) {
    const cJSON *part = parts[i], *sc = cJSON_GetObjectItemCaseSensitive(part, "scenario");
    const cJSON *sh = cJSON_GetObjectItemCaseSensitive(part, "shard"), *c = cJSON_GetObjectItemCaseSensitive(part, "complete");
    double index = 0, of = 0;
    bool same = number_of(sh, "index", &index) && number_of(sh, "of", &of) && (int)of == nshards &&
                cJSON_Compare(cJSON_GetObjectItemCaseSensitive(sc, "name"), cJSON_GetObjectItemCaseSensitive(sc0, "name"), true) &&
                cJSON_Compare(cJSON_GetObjectItemCaseSensitive(sc, "seed"), cJSON_GetObjectItemCaseSensitive(sc0, "seed"), true);
    for (size_t k = 0; same && k < sizeof plan_keys / sizeof *plan_keys; k++)
      same = cJSON_Compare(cJSON_GetObjectItemCaseSensitive(part, plan_keys[k]), cJSON_GetObjectItemCaseSensitive(parts[0], plan_keys[k]), true);
    if (!same) { snprintf(err, errlen, "part %d is not a shard of the same sweep as part 1 (faultline version, scenario, seed, replications, parameters and shard count must match)", i + 1); rc = -FL_EINVAL; break; }
    int s = (int)index;
    if (s < 1 || s > nshards || index != s) { snprintf(err, errlen, "part %d: shard index %g out of 1..%d", i + 1, index, nshards); rc = -FL_EINVAL; break; }
    if (have[s - 1]) { snprintf(err, errlen, "shard %d/%d is given twice", s, nshards); rc = -FL_EINVAL; break; }
    have[s - 1] = true;
    if (!cJSON_IsTrue(c)) { snprintf(err, errlen, "shard %d/%d is incomplete (was it interrupted?): run it again", s, nshards); rc = -FL_EINVAL; break; }
    const cJSON *samples = cJSON_GetObjectItemCaseSensitive(part, "samples"), *smp;
    if (!cJSON_IsArray(samples)) { snprintf(err, errlen, "shard %d/%d has no samples", s, nshards); rc = -FL_EINVAL; break; }
    cJSON_ArrayForEach(smp, samples) {
      const cJSON *v = smp->child;
      size_t k = 0;
      double job = -1;
      if (cJSON_IsNumber(v)) { job = v->valuedouble; v = v->next; }
      for (; v && k < nv && (cJSON_IsNumber(v) || cJSON_IsNull(v)); v = v->next) vals[k++] = cJSON_IsNumber(v) ? v->valuedouble : NAN;
      if (!cJSON_IsArray(smp) || v || k != nv || job < 0 || job >= (double)total || job != floor(job) ||
          (long long)job % nshards != s - 1) {
        snprintf(err, errlen, "shard %d/%d: a malformed sample", s, nshards); rc = -FL_EINVAL; break;
      }
      int j = (int)job;
      if (add_values(sw, j / sw->reps, j % sw->reps, vals) != 0) {
        snprintf(err, errlen, "shard %d/%d: run %d is given twice", s, nshards, j); rc = -FL_EINVAL; break;
      }
    }
    const cJSON *run = cJSON_GetObjectItemCaseSensitive(part, "run");
    double x;
    if (number_of(run, "wall_seconds", &x)) sw->run.wall_seconds += x;
    if (number_of(run, "events", &x)) sw->run.events += (uint64_t)x;
    if (number_of(run, "runs", &x)) sw->run.runs += (int)x;
  }
  if (rc == 0) {
    char missing[256] = "";
    size_t w = 0;
    int nmissing = 0;
    for (int s = 0; s < nshards; s++)
      if (!have[s]) {
        if (w < sizeof missing - 16) w += (size_t)snprintf(missing + w, sizeof missing - w, "%s%d/%d", nmissing ? ", " : "", s + 1, nshards);
        nmissing++;
      }
    if (nmissing) { snprintf(err, errlen, "missing shard%s %s", nmissing > 1 ? "s" : "", missing); rc = -FL_EINVAL; }
  }
  for (int p = 0; rc == 0 && p < sw->npoints; p++)
    if (sw->got[p] != sw->reps) { snprintf(err, errlen, "grid point %d has %d of %d replications", p, sw->got[p], sw->reps); rc = -FL_EINVAL; }
  free(vals); free(have);
  if (rc == 0) {
    sw->complete = true;
    snprintf(sw->run.host, sizeof sw->run.host, "merged from %d shards", nshards);
  }
  sw->nshards = 0;
  sw->shard = 0;
  return rc;
}

/* ---- CSV ---------------------------------------------------------------------------------- */

static void csv_field(FILE *f, const char *s) {
  if (!strpbrk(s, ",\"\n\r")) { fputs(s, f); return; }
  fputc('"', f);
  for (; *s; s++) { if (*s == '"') fputc('"', f); fputc(*s, f); }
  fputc('"', f);
}

static void csv_num(FILE *f, double v) {
  fputc(',', f);
  if (isfinite(v)) fprintf(f, "%.10g", v);
}

static void csv_row(FILE *f, const fl_sweep_t *sw, int p, const int *idx, const char *kind, const char *subject,
                    const char *metric, const fl_ci_t *c) {
  fprintf(f, "%d", p);
  for (int a = 0; a < sw->naxes; a++) { fputc(',', f); csv_field(f, sw->axes[a].values[idx[a]]); }
  fprintf(f, ",%s,", kind);
  csv_field(f, subject);
  fprintf(f, ",%s,%d", metric, c->n);
  csv_num(f, c->mean); csv_num(f, c->half); csv_num(f, c->lo); csv_num(f, c->hi); csv_num(f, c->sd);
  fputc('\n', f);
}

int fl_sweep_write_csv(const fl_sweep_t *sw, const char *path, char *err, size_t errlen) {
  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);
  if (!f) { snprintf(err, errlen, "out of memory writing '%s'", path); return -FL_ENOMEM; }
  const fl_layout_t *l = &sw->layout;
  fputs("point", f);
  for (int a = 0; a < sw->naxes; a++) { fputc(',', f); csv_field(f, sw->axes[a].path); }
  fputs(",kind,subject,metric,n,mean,ci95,lo,hi,sd\n", f);
  int idx[sw->naxes > 0 ? sw->naxes : 1];
  for (int p = 0; p < sw->npoints; p++) {
    if (!fl_sweep_ci(sw, p, 0)) continue;
    point_index(sw, p, idx);
    for (int j = 0; j < l->njourneys; j++)
      for (int k = 0; k < FL_JM__COUNT; k++)
        csv_row(f, sw, p, idx, "journey", l->journeys[j], journey_metrics[k], fl_sweep_ci(sw, p, fl_layout_journey(l, j, k)));
    for (int i = 0; i < l->nservices; i++)
      for (int k = 0; k < FL_SM__COUNT; k++)
        csv_row(f, sw, p, idx, "service", l->services[i], service_metrics[k], fl_sweep_ci(sw, p, fl_layout_service(l, i, k)));
    for (int x = 0; x < l->nexpects; x++)
      csv_row(f, sw, p, idx, "expectation", l->expects[x], "passed", fl_sweep_ci(sw, p, fl_layout_expect(l, x)));
    csv_row(f, sw, p, idx, "all", "expectations", "passed", fl_sweep_ci(sw, p, fl_layout_all_held(l)));
  }
  fclose(f);
  int rc = fl_write_atomic(path, text, len, err, errlen);
  free(text);
  return rc;
}

/* ---- the terminal table ------------------------------------------------------------------- */

static void pct(char *buf, size_t n, const fl_ci_t *c) {
  if (isfinite(c->half)) snprintf(buf, n, "%.2f%% ± %.2f%%", 100 * c->mean, 100 * c->half);
  else snprintf(buf, n, "%.2f%%", 100 * c->mean);
}

static void secs(char *buf, size_t n, const fl_ci_t *c) {
  char m[16], h[16];
  fl_format_duration(c->mean, m, sizeof m);
  if (isfinite(c->half)) { fl_format_duration(c->half, h, sizeof h); snprintf(buf, n, "%s ± %s", m, h); }
  else snprintf(buf, n, "%s", m);
}

void fl_sweep_print(FILE *out, const fl_sweep_t *sw) {
  const fl_layout_t *l = &sw->layout;
  char d[16];
  fl_format_duration(sw->run.wall_seconds, d, sizeof d);
  fprintf(out, "sweep %s — %s: %d point%s x %d replication%s, base seed %llu, %d thread%s, %s\n", sw->name, sw->file,
          sw->npoints, sw->npoints == 1 ? "" : "s", sw->reps, sw->reps == 1 ? "" : "s", (unsigned long long)sw->seed,
          sw->run.threads, sw->run.threads == 1 ? "" : "s", d);
  fprintf(out, "mean ± 95%% confidence interval (Student t) over the replications\n");
  int idx[sw->naxes > 0 ? sw->naxes : 1];
  for (int p = 0; p < sw->npoints; p++) {
    if (!fl_sweep_ci(sw, p, 0)) continue;
    point_index(sw, p, idx);
    fprintf(out, "\npoint %d/%d", p + 1, sw->npoints);
    for (int a = 0; a < sw->naxes; a++) fprintf(out, "  %s=%s", sw->axes[a].path, sw->axes[a].values[idx[a]]);
    fputc('\n', out);
    for (int j = 0; j < l->njourneys; j++) {
      char a[48], b[48], c[48];
      pct(a, sizeof a, fl_sweep_ci(sw, p, fl_layout_journey(l, j, FL_JM_SUCCESS)));
      secs(b, sizeof b, fl_sweep_ci(sw, p, fl_layout_journey(l, j, FL_JM_P99)));
      secs(c, sizeof c, fl_sweep_ci(sw, p, fl_layout_journey(l, j, FL_JM_MEAN)));
      fprintf(out, "  journey %-22s success %-20s p99 %-20s mean %s\n", l->journeys[j], a, b, c);
    }
    for (int i = 0; i < l->nservices; i++) {
      char a[48], b[48];
      pct(a, sizeof a, fl_sweep_ci(sw, p, fl_layout_service(l, i, FL_SM_PEAK_UTIL)));
      pct(b, sizeof b, fl_sweep_ci(sw, p, fl_layout_service(l, i, FL_SM_UTIL)));
      fprintf(out, "  service %-22s peak utilisation %-20s utilisation %s\n", l->services[i], a, b);
    }
    for (int x = 0; x < l->nexpects; x++) {
      const fl_ci_t *c = fl_sweep_ci(sw, p, fl_layout_expect(l, x));
      fprintf(out, "  expect  %-22s held in %d/%d\n", l->expects[x], held_count(c), c->n);
    }
    if (l->nexpects) {
      const fl_ci_t *c = fl_sweep_ci(sw, p, fl_layout_all_held(l));
      fprintf(out, "  every expectation held in %d/%d replications\n", held_count(c), c->n);
    }
  }
  if (!sw->complete) fprintf(out, "\n(stopped early: points without all their replications are left out)\n");
}
