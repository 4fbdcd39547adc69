/* Sweeps: the plan (the grid of values.c crossed with replications, their derived seeds), the
** runs on the pool, the per-point summaries (kept as each point completes, so memory holds
** summaries, not runs), a shard's raw values, the JSON and CSV output and the terminal table.
** Summaries are computed from the values of replications 0..reps-1 in that order, whichever
** thread or shard ran them: the result is the same for any -j and any sharding (merge.c). */
#include "batch_int.h"
#include "faultline/io.h"
#include "faultline/report.h"
#include "faultline/run.h"
#include "faultline/units.h"

#include <cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- seeds -------------------------------------------------------------------------------- */

uint64_t fl_sweep_seed(uint64_t base, int rep) {
  uint64_t z = base + (uint64_t)(rep + 1) * 0x9e3779b97f4a7c15u;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
  return (z ^ (z >> 31)) >> 11;
}

/* ---- the plan ----------------------------------------------------------------------------- */

/* The runs of the sweep, or of its shard. */
static int jobs_of(const fl_sweep_t *sw) {
  size_t total = (size_t)sw->npoints * (size_t)sw->reps, first = (size_t)sw->shard - 1;
  if (sw->nshards <= 0) return (int)total;
  return first < total ? (int)((total - first + (size_t)sw->nshards - 1) / (size_t)sw->nshards) : 0;
}

void fl__sweep_alloc_results(fl_sweep_t *sw) {
  size_t nv = (size_t)sw->layout.nvalues, total = (size_t)sw->npoints * (size_t)sw->reps;
  if (sw->nshards > 0) {
    sw->njobs_shard = jobs_of(sw);
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
  int rc = fl__sweep_parse_axes(sw, o, err, errlen);
  if (rc) return rc;
  sw->at_once = fl_batch_at_once(o->threads, jobs_of(sw), 1);

  /* the first grid point: name, seed, layout; then every axis value once, early */
  size_t bufn = fl__sweep_sets_size(sw);
  char *buf = fl_xmalloc(bufn);
  const char **sets = fl_xcalloc((size_t)sw->naxes + 1, sizeof *sets);
  int *idx = fl_xcalloc((size_t)sw->naxes + 1, sizeof *idx);
  fl_load_opts_t lo = { .unsafe = o->unsafe, .has_seed = o->has_seed, .seed = o->seed, .sets = sets, .nsets = sw->naxes };
  fl__sweep_sets_of(sw, idx, sets, buf, bufn);
  fl_model_t *m = NULL;
  rc = fl_scenario_load(o->path, &lo, &m, err, errlen);
  if (rc == 0 && (rc = fl_batch_memory(m, o->memory, sw->at_once, 1, &sw->memory, err, errlen)) != 0) fl_model_free(m);
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
      fl__sweep_sets_of(sw, idx, sets, buf, bufn);
      if ((rc = fl_scenario_load(o->path, &lo, &m, err, errlen)) == 0) {
        if (!fl_layout_matches(&sw->layout, m)) {
          snprintf(err, errlen, "--set %s: the journeys, services or expectations differ from those of the first grid point", sets[a]);
          rc = -FL_EINVAL;
        } else rc = fl_batch_memory(m, o->memory, sw->at_once, 1, &sw->memory, err, errlen);
        fl_model_free(m);
      }
      idx[a] = 0;
    }
  free(buf); free(sets); free(idx);
  if (rc) return rc;
  sw->seeds = fl_xcalloc((size_t)sw->reps, sizeof *sw->seeds);
  for (int r = 0; r < sw->reps; r++) sw->seeds[r] = fl_sweep_seed(sw->seed, r);
  fl__sweep_alloc_results(sw);
  return 0;
}

void fl_sweep_release(fl_sweep_t *sw) {
  for (int p = 0; sw->pending && p < sw->npoints; p++) free(sw->pending[p]);
  free(sw->pending); free(sw->got); free(sw->ci); free(sw->seen);
  free(sw->raw); free(sw->raw_done);
  free(sw->seeds); free(sw->file); free(sw->name);
  fl_layout_release(&sw->layout);
  fl__sweep_free_axes(sw);
  memset(sw, 0, sizeof *sw);
}

/* ---- results ------------------------------------------------------------------------------ */

/* Takes replication r of point p; once the point has all its replications, summarises it (in
** replication order) and drops the values. Returns -1 for a run already in. */
int fl__sweep_add_values(fl_sweep_t *sw, int p, int r, const double *v) {
  size_t nv = (size_t)sw->layout.nvalues, job = (size_t)p * (size_t)sw->reps + (size_t)r;
  if (sw->seen[job / 8] & (1u << (job % 8))) return -1;
  sw->seen[job / 8] |= (unsigned char)(1u << (job % 8));
  if (!sw->pending[p]) sw->pending[p] = fl_xcalloc((size_t)sw->reps * nv, sizeof(double));
  memcpy(sw->pending[p] + (size_t)r * nv, v, nv * sizeof *v);
  if (++sw->got[p] == sw->reps) {
    for (size_t k = 0; k < nv; k++)
      fl_layout_summary(&sw->layout, (int)k, sw->pending[p], nv, NULL, sw->reps, FL_SWEEP_LEVEL, &sw->ci[(size_t)p * nv + k]);
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
  fl_load_opts_t lo = { .unsafe = sw->unsafe, .has_seed = true, .seed = sw->seeds[r], .sets = sets, .nsets = sw->naxes,
                        .memory = sw->memory };
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
  FL_ASSERT(fl__sweep_add_values(sw, j / sw->reps, j % sw->reps, v) == 0);
}

int fl_sweep_run(fl_sweep_t *sw, const fl_pool_opts_t *p, char *err, size_t errlen) {
  int threads = p->threads > 0 ? p->threads : fl_pool_default_threads();
  if (sw->memory > 0 && threads > sw->at_once) threads = sw->at_once;   /* --memory was shared among at_once runs */
  int njobs = jobs_of(sw);
  sweep_run_t sr;
  memset(&sr, 0, sizeof sr);
  sr.sw = sw;
  sr.vals = fl_xcalloc((size_t)threads * (size_t)sw->layout.nvalues, sizeof *sr.vals);
  sr.bufn = fl__sweep_sets_size(sw);
  sr.sets_buf = fl_xcalloc((size_t)threads, sr.bufn);
  sr.err = fl_xcalloc((size_t)threads, sizeof *sr.err);
  atomic_init(&sr.failed_worker, -1);
  fl_pool_opts_t po = *p;
  po.threads = threads;
  memset(&sw->run, 0, sizeof sw->run);
  int rc = fl_pool_run(njobs, &po, sweep_job, sweep_done, &sr, &sw->run);
  sw->run.memory = sw->memory;
  if (rc < 0) {
    int w = atomic_load(&sr.failed_worker);
    snprintf(err, errlen, "%s", w >= 0 ? sr.err[w] : "a run failed");
  }
  free(sr.vals); free(sr.sets_buf); free(sr.err);
  sw->complete = rc == 0;
  return rc;
}

/* ---- JSON --------------------------------------------------------------------------------- */

/* The plan: everything that identifies a sweep, the same in every shard of it. */
static void plan_json(const fl_sweep_t *sw, cJSON *root) {
  cJSON_AddStringToObject(root, "faultline", FL_VERSION);
  fl__json_num(root, "schema", FL_REPORT_SCHEMA);
  cJSON_AddStringToObject(root, "kind", "sweep");
  cJSON_AddBoolToObject(root, "complete", sw->complete);
  cJSON *sc = cJSON_AddObjectToObject(root, "scenario");
  cJSON_AddStringToObject(sc, "name", sw->name);
  cJSON_AddStringToObject(sc, "file", sw->file);
  cJSON_AddItemToObject(sc, "seed", fl__json_u64(sw->seed));
  fl__json_num(root, "replications", sw->reps);
  fl__json_num(root, "confidence", FL_SWEEP_LEVEL);
  cJSON *seeds = cJSON_AddArrayToObject(root, "seeds");
  for (int r = 0; r < sw->reps; r++) cJSON_AddItemToArray(seeds, fl__json_u64(sw->seeds[r]));
  cJSON *params = cJSON_AddArrayToObject(root, "parameters");
  for (int a = 0; a < sw->naxes; a++) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "path", sw->axes[a].path);
    cJSON_AddItemToObject(o, "values", fl__json_strings(sw->axes[a].values, sw->axes[a].nvalues));
    cJSON_AddItemToArray(params, o);
  }
  fl__json_num(root, "points", sw->npoints);
  cJSON *subj = cJSON_AddObjectToObject(root, "subjects");
  cJSON_AddItemToObject(subj, "journeys", fl__json_strings(sw->layout.journeys, sw->layout.njourneys));
  cJSON_AddItemToObject(subj, "services", fl__json_strings(sw->layout.services, sw->layout.nservices));
  cJSON_AddItemToObject(subj, "expectations", fl__json_strings(sw->layout.expects, sw->layout.nexpects));
}

static cJSON *held_json(const char *name, const fl_ci_t *c) {
  cJSON *o = cJSON_CreateObject();
  if (name) cJSON_AddStringToObject(o, "name", name);
  fl__json_num(o, "held", held_count(c));
  fl__json_num(o, "of", c->n);
  cJSON_AddItemToObject(o, "passed", fl__json_share(c));
  return o;
}

/* Expectation x at point p: held, and what it observed inside its own `during`. */
static cJSON *expect_json(const fl_sweep_t *sw, int p, int x) {
  const fl_layout_t *l = &sw->layout;
  cJSON *o = held_json(l->expects[x], fl_sweep_ci(sw, p, fl_layout_expect(l, x)));
  cJSON *obs = cJSON_AddObjectToObject(o, "observed");
  for (int k = FL_XM_HELD + 1; k < FL_XM__COUNT; k++) {
    const fl_ci_t *c = fl_sweep_ci(sw, p, fl_layout_expect_metric(l, x, k));
    if (!c || isnan(c->mean)) continue;
    const fl_ci_t *w = fl_sweep_ci(sw, p, fl_layout_expect_part(l, x, k, FL_PART_WANTED));
    cJSON_AddItemToObject(obs, fl_expect_metric_name(k), fl__json_observed(c, w ? w->mean : NAN));
  }
  return o;
}

static cJSON *point_json(const fl_sweep_t *sw, int p) {
  const fl_layout_t *l = &sw->layout;
  cJSON *o = cJSON_CreateObject();
  fl__json_num(o, "index", p);
  cJSON *set = cJSON_AddObjectToObject(o, "set");
  int idx[sw->naxes > 0 ? sw->naxes : 1];
  fl__sweep_point_index(sw, p, idx);
  for (int a = 0; a < sw->naxes; a++) cJSON_AddStringToObject(set, sw->axes[a].path, sw->axes[a].values[idx[a]]);
  cJSON *js = cJSON_AddObjectToObject(o, "journeys");
  for (int j = 0; j < l->njourneys; j++) {
    cJSON *e = cJSON_AddObjectToObject(js, l->journeys[j]);
    for (int k = 0; k < FL_JM__COUNT; k++)
      cJSON_AddItemToObject(e, fl_journey_metric_name(k), fl__json_ci(fl_sweep_ci(sw, p, fl_layout_journey(l, j, k))));
  }
  cJSON *ss = cJSON_AddObjectToObject(o, "services");
  for (int i = 0; i < l->nservices; i++) {
    cJSON *e = cJSON_AddObjectToObject(ss, l->services[i]);
    for (int k = 0; k < FL_SM__COUNT; k++)
      cJSON_AddItemToObject(e, fl_service_metric_name(k), fl__json_ci(fl_sweep_ci(sw, p, fl_layout_service(l, i, k))));
  }
  cJSON *xs = cJSON_AddArrayToObject(o, "expectations");
  for (int x = 0; x < l->nexpects; x++) cJSON_AddItemToArray(xs, expect_json(sw, p, x));
  cJSON_AddItemToObject(o, "all_expectations", held_json(NULL, fl_sweep_ci(sw, p, fl_layout_all_held(l))));
  return o;
}

cJSON *fl_sweep_json(const fl_sweep_t *sw) {
  cJSON *root = cJSON_CreateObject();
  plan_json(sw, root);
  size_t nv = (size_t)sw->layout.nvalues;
  if (sw->nshards > 0) {
    cJSON *sh = cJSON_AddObjectToObject(root, "shard");
    fl__json_num(sh, "index", sw->shard);
    fl__json_num(sh, "of", sw->nshards);
    cJSON *samples = cJSON_AddArrayToObject(root, "samples");
    for (int i = 0; i < sw->njobs_shard; i++) {
      if (!sw->raw_done[i]) continue;
      cJSON *a = cJSON_CreateArray();
      cJSON_AddItemToArray(a, cJSON_CreateNumber(global_job(sw, i)));
      for (size_t k = 0; k < nv; k++) cJSON_AddItemToArray(a, fl__json_exact(sw->raw[(size_t)i * nv + k]));
      cJSON_AddItemToArray(samples, a);
    }
  } else {
    cJSON *pts = cJSON_AddArrayToObject(root, "results");
    for (int p = 0; p < sw->npoints; p++)
      if (fl_sweep_ci(sw, p, 0)) cJSON_AddItemToArray(pts, point_json(sw, p));
  }
  fl__json_batch_run(root, &sw->run, true);
  return root;
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
  csv_num(f, c->res > 0 ? c->res : NAN);
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
  fputs(",kind,subject,metric,n,mean,ci95,lo,hi,sd,resolution\n", f);
  int idx[sw->naxes > 0 ? sw->naxes : 1];
  for (int p = 0; p < sw->npoints; p++) {
    if (!fl_sweep_ci(sw, p, 0)) continue;
    fl__sweep_point_index(sw, p, idx);
    for (int j = 0; j < l->njourneys; j++)
      for (int k = 0; k < FL_JM__COUNT; k++)
        csv_row(f, sw, p, idx, "journey", l->journeys[j], fl_journey_metric_name(k), fl_sweep_ci(sw, p, fl_layout_journey(l, j, k)));
    for (int i = 0; i < l->nservices; i++)
      for (int k = 0; k < FL_SM__COUNT; k++)
        csv_row(f, sw, p, idx, "service", l->services[i], fl_service_metric_name(k), fl_sweep_ci(sw, p, fl_layout_service(l, i, k)));
    for (int x = 0; x < l->nexpects; x++) {
      csv_row(f, sw, p, idx, "expectation", l->expects[x], "passed", fl_sweep_ci(sw, p, fl_layout_expect(l, x)));
      for (int k = FL_XM_HELD + 1; k < FL_XM__COUNT; k++) {
        const fl_ci_t *c = fl_sweep_ci(sw, p, fl_layout_expect_metric(l, x, k));
        if (c && !isnan(c->mean)) csv_row(f, sw, p, idx, "expectation", l->expects[x], fl_expect_metric_name(k), c);
      }
    }
    csv_row(f, sw, p, idx, "all", "expectations", "passed", fl_sweep_ci(sw, p, fl_layout_all_held(l)));
  }
  fclose(f);
  int rc = fl_write_atomic(path, text, len, err, errlen);
  free(text);
  return rc;
}

/* ---- the terminal table ------------------------------------------------------------------- */

void fl_sweep_print(FILE *out, const fl_sweep_t *sw) {
  const fl_layout_t *l = &sw->layout;
  char d[16];
  fl_format_wall(sw->run.wall_seconds, d, sizeof d);
  char mem[48];
  fl__format_memory(mem, sizeof mem, &sw->run);
  fprintf(out, "sweep %s — %s: %d point%s x %d replication%s, base seed %llu, %d thread%s%s, %s\n", sw->name, sw->file,
          sw->npoints, sw->npoints == 1 ? "" : "s", sw->reps, sw->reps == 1 ? "" : "s", (unsigned long long)sw->seed,
          sw->run.threads, sw->run.threads == 1 ? "" : "s", mem, d);
  fprintf(out, "mean ± 95%% confidence interval (Student t) over the replications; latency quantiles are read from\n"
               "histogram buckets (at most 0.8%% wide) and their intervals are never narrower than a bucket;\n"
               "P(held): exact 95%% binomial interval (Clopper-Pearson); an expectation's values are observed inside its own 'during'\n");
  int idx[sw->naxes > 0 ? sw->naxes : 1];
  for (int p = 0; p < sw->npoints; p++) {
    if (!fl_sweep_ci(sw, p, 0)) continue;
    fl__sweep_point_index(sw, p, idx);
    fprintf(out, "\npoint %d/%d", p + 1, sw->npoints);
    for (int a = 0; a < sw->naxes; a++) fprintf(out, "  %s=%s", sw->axes[a].path, sw->axes[a].values[idx[a]]);
    fputc('\n', out);
    for (int j = 0; j < l->njourneys; j++) {
      char a[48], b[48], c[48];
      fl__format_pct(a, sizeof a, fl_sweep_ci(sw, p, fl_layout_journey(l, j, FL_JM_SUCCESS)));
      fl__format_secs(b, sizeof b, fl_sweep_ci(sw, p, fl_layout_journey(l, j, FL_JM_P99)));
      fl__format_secs(c, sizeof c, fl_sweep_ci(sw, p, fl_layout_journey(l, j, FL_JM_MEAN)));
      fprintf(out, "  journey %-22s success %-20s p99 %-20s mean %s\n", l->journeys[j], a, b, c);
    }
    for (int i = 0; i < l->nservices; i++) {
      char a[48], b[48];
      fl__format_pct(a, sizeof a, fl_sweep_ci(sw, p, fl_layout_service(l, i, FL_SM_PEAK_UTIL)));
      fl__format_pct(b, sizeof b, fl_sweep_ci(sw, p, fl_layout_service(l, i, FL_SM_UTIL)));
      fprintf(out, "  service %-22s peak utilisation %-20s utilisation %s\n", l->services[i], a, b);
    }
    for (int x = 0; x < l->nexpects; x++) {
      const fl_ci_t *c = fl_sweep_ci(sw, p, fl_layout_expect(l, x));
      char share[48];
      fl__format_share(share, sizeof share, c);
      fprintf(out, "  expect  %-22s held in %d/%d  P(held) %s", l->expects[x], held_count(c), c->n, share);
      for (int k = FL_XM_HELD + 1; k < FL_XM__COUNT; k++) {
        const fl_ci_t *o = fl_sweep_ci(sw, p, fl_layout_expect_metric(l, x, k));
        if (!o || isnan(o->mean)) continue;
        const fl_ci_t *w = fl_sweep_ci(sw, p, fl_layout_expect_part(l, x, k, FL_PART_WANTED));
        char text[160];
        fl__format_observed(text, sizeof text, k, o, w ? w->mean : NAN);
        fprintf(out, "  %s", text);
      }
      fputc('\n', out);
    }
    if (l->nexpects) {
      const fl_ci_t *c = fl_sweep_ci(sw, p, fl_layout_all_held(l));
      char share[48];
      fl__format_share(share, sizeof share, c);
      fprintf(out, "  every expectation held in %d/%d replications  P(all held) %s\n", held_count(c), c->n, share);
    }
  }
  if (!sw->complete) fprintf(out, "\n(stopped early: points without all their replications are left out)\n");
}
