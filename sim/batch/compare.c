/* Comparisons: the same traffic through two variants of a scenario. Replication r of both runs
** with the same seed, and every random stream derives from (seed, entity name, purpose), so the
** variants see the same arrivals and work times wherever their entities match (common random
** numbers); the differences B - A are then paired per replication, which cancels most of the
** noise. Journeys, services and expectations are matched by name. B may be A itself with other
** --set values (--set-a, --set-b): a cure tried without copying the file. */
#include "batch_int.h"
#include "faultline/report.h"
#include "faultline/run.h"
#include "faultline/units.h"

#include <cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Variant v's --set list: the shared overrides, then its own (later ones win). */
static void variant_sets(fl_compare_t *c, int v) {
  const char *const *own = v ? c->o.sets_b : c->o.sets_a;
  int nown = v ? c->o.nsets_b : c->o.nsets_a, n = 0;
  c->vsets[v] = fl_xcalloc((size_t)(c->o.nsets + nown) + 1, sizeof *c->vsets[v]);
  for (int i = 0; i < c->o.nsets; i++) c->vsets[v][n++] = c->o.sets[i];
  for (int i = 0; i < nown; i++) c->vsets[v][n++] = own[i];
  c->nvsets[v] = n;
}

static int load_variant(fl_compare_t *c, int v, const char *path, char *err, size_t errlen, uint64_t *seed) {
  fl_load_opts_t lo = { .unsafe = c->o.unsafe, .has_seed = c->o.has_seed, .seed = c->o.seed, .sets = c->vsets[v], .nsets = c->nvsets[v] };
  fl_model_t *m = NULL;
  int rc = fl_scenario_load(path, &lo, &m, err, errlen);
  if (rc == 0 && (rc = fl_batch_memory(m, c->o.memory, c->at_once, 2, &c->memory, err, errlen)) != 0) fl_model_free(m);
  if (rc) return rc;
  c->name[v] = fl_xstrdup(m->name);
  fl_layout_init(&c->layout[v], m);
  *seed = c->o.has_seed ? c->o.seed : m->seed;
  fl_model_free(m);
  return 0;
}

int fl_compare_init(fl_compare_t *c, const fl_compare_opts_t *o, char *err, size_t errlen) {
  memset(c, 0, sizeof *c);
  c->o = *o;
  if (o->reps < 1) { snprintf(err, errlen, "--reps must be at least 1"); return -FL_EINVAL; }
  if (o->reps > 10000000) { snprintf(err, errlen, "--reps %d is more than 10000000", o->reps); return -FL_EINVAL; }
  if (!o->b) {
    if (o->nsets_a == 0 && o->nsets_b == 0) { snprintf(err, errlen, "compare needs B.lua, or --set-a / --set-b to vary A"); return -FL_EINVAL; }
    c->o.b = o->a;
  }
  variant_sets(c, 0);
  variant_sets(c, 1);
  /* --memory is shared by the runs held at once, at least a pair: --html draws replication 0 of both */
  c->at_once = fl_batch_at_once(o->threads, 2 * o->reps, 2);
  uint64_t sa = 0, sb = 0;
  int rc = load_variant(c, 0, o->a, err, errlen, &sa);
  if (rc == 0) rc = load_variant(c, 1, c->o.b, err, errlen, &sb);
  if (rc) return rc;
  c->seed = sa;   /* the base seed: --seed, else A's */
  for (int v = 0; v < 2; v++) {
    c->seeds[v] = fl_xcalloc((size_t)o->reps, sizeof *c->seeds[v]);
    /* independent: B takes replications reps..2*reps-1 of the same base, disjoint from A's */
    for (int r = 0; r < o->reps; r++) c->seeds[v][r] = fl_sweep_seed(c->seed, v == 1 && o->independent ? o->reps + r : r);
    c->values[v] = fl_xcalloc((size_t)o->reps * (size_t)c->layout[v].nvalues, sizeof *c->values[v]);
    c->done[v] = fl_xcalloc((size_t)o->reps, sizeof *c->done[v]);
  }
  return 0;
}

void fl_compare_release(fl_compare_t *c) {
  for (int v = 0; v < 2; v++) {
    free(c->name[v]); free(c->seeds[v]); free(c->values[v]); free(c->done[v]); free(c->vsets[v]);
    fl_layout_release(&c->layout[v]);
  }
  memset(c, 0, sizeof *c);
}

/* ---- running ------------------------------------------------------------------------------ */

typedef struct compare_run {
  fl_compare_t *c;
  double *vals;               /* [worker * max nvalues] */
  int stride;
  char (*err)[1024];
  atomic_int failed_worker;
} compare_run_t;

/* Job k: variant k % 2, replication k / 2, so that both halves of a pair finish close together. */
static int compare_job(void *ctx, int k, int worker, fl_run_ctl_t *ctl) {
  compare_run_t *cr = ctx;
  fl_compare_t *c = cr->c;
  int v = k % 2, r = k / 2;
  fl_load_opts_t lo = { .unsafe = c->o.unsafe, .has_seed = true, .seed = c->seeds[v][r], .sets = c->vsets[v], .nsets = c->nvsets[v],
                        .memory = c->memory };
  int rc = fl_run_values(v ? c->o.b : c->o.a, &lo, &c->layout[v], cr->vals + (size_t)worker * (size_t)cr->stride, ctl,
                         cr->err[worker], sizeof cr->err[worker]);
  if (rc < 0) {
    int none = -1;
    atomic_compare_exchange_strong(&cr->failed_worker, &none, worker);
  }
  return rc;
}

static void compare_done(void *ctx, int k, int worker) {
  compare_run_t *cr = ctx;
  fl_compare_t *c = cr->c;
  int v = k % 2, r = k / 2;
  size_t nv = (size_t)c->layout[v].nvalues;
  memcpy(c->values[v] + (size_t)r * nv, cr->vals + (size_t)worker * (size_t)cr->stride, nv * sizeof(double));
  c->done[v][r] = true;
}

int fl_compare_run(fl_compare_t *c, const fl_pool_opts_t *p, char *err, size_t errlen) {
  int threads = p->threads > 0 ? p->threads : fl_pool_default_threads();
  if (c->memory > 0 && threads > c->at_once) threads = c->at_once;   /* --memory was shared among at_once runs */
  compare_run_t cr;
  memset(&cr, 0, sizeof cr);
  cr.c = c;
  cr.stride = c->layout[0].nvalues > c->layout[1].nvalues ? c->layout[0].nvalues : c->layout[1].nvalues;
  cr.vals = fl_xcalloc((size_t)threads * (size_t)cr.stride, sizeof *cr.vals);
  cr.err = fl_xcalloc((size_t)threads, sizeof *cr.err);
  atomic_init(&cr.failed_worker, -1);
  fl_pool_opts_t po = *p;
  po.threads = threads;
  memset(&c->run, 0, sizeof c->run);
  int rc = fl_pool_run(2 * c->o.reps, &po, compare_job, compare_done, &cr, &c->run);
  c->run.memory = c->memory;
  if (rc < 0) {
    int w = atomic_load(&cr.failed_worker);
    snprintf(err, errlen, "%s", w >= 0 ? cr.err[w] : "a run failed");
  }
  free(cr.vals); free(cr.err);
  c->complete = rc == 0;
  return rc;
}

int fl_compare_replay(const fl_compare_t *c, int v, int rep, fl_run_t *r, char *err, size_t errlen) {
  memset(r, 0, sizeof *r);
  if (v < 0 || v > 1 || rep < 0 || rep >= c->o.reps) { snprintf(err, errlen, "no replication %d of variant %d", rep, v); return -FL_EINVAL; }
  fl_load_opts_t lo = { .unsafe = c->o.unsafe, .has_seed = true, .seed = c->seeds[v][rep], .sets = c->vsets[v], .nsets = c->nvsets[v],
                        .memory = c->memory };
  int rc = fl_run_load(r, v ? c->o.b : c->o.a, &lo, err, errlen);
  if (rc) return rc;
  rc = fl_run_all(r);
  if (rc < 0) {
    snprintf(err, errlen, "%s", r->s.error);
    fl_run_release(r);
    return rc;
  }
  fl_run_check(r);
  return rc;
}

/* ---- differences -------------------------------------------------------------------------- */

/* Replications done in both variants (all of them unless interrupted), in order. */
static int paired_reps(const fl_compare_t *c, int *which) {
  int n = 0;
  for (int r = 0; r < c->o.reps; r++)
    if (c->done[0][r] && c->done[1][r]) which[n++] = r;
  return n;
}

static void ci_of_variant(const fl_compare_t *c, int v, int value, const int *which, int n, double *tmp, fl_ci_t *out) {
  (void)tmp;
  fl_layout_summary(&c->layout[v], value, c->values[v], (size_t)c->layout[v].nvalues, which, n, FL_SWEEP_LEVEL, out);
}

bool fl_compare_diff(const fl_compare_t *c, int va, int vb, fl_ci_t *a, fl_ci_t *b, fl_ci_t *diff) {
  if (va < 0 || vb < 0) return false;
  int *which = fl_xcalloc((size_t)c->o.reps, sizeof *which);
  double *tmp = fl_xcalloc((size_t)c->o.reps, sizeof *tmp);
  int n = paired_reps(c, which);
  ci_of_variant(c, 0, va, which, n, tmp, a);
  ci_of_variant(c, 1, vb, which, n, tmp, b);
  if (c->o.independent) {
    fl_ci_welch(diff, a, b, FL_SWEEP_LEVEL);
  } else {
    size_t na = (size_t)c->layout[0].nvalues, nb = (size_t)c->layout[1].nvalues;
    for (int i = 0; i < n; i++)
      tmp[i] = c->values[1][(size_t)which[i] * nb + (size_t)vb] - c->values[0][(size_t)which[i] * na + (size_t)va];
    fl_ci_of(diff, tmp, n, 1, FL_SWEEP_LEVEL);
  }
  /* each side's quantile is known to half its bucket: their difference to the sum of those */
  if (a->res > 0 || b->res > 0) fl_ci_widen(diff, a->res + b->res);
  free(which); free(tmp);
  return true;
}

static int find(char *const *names, int n, const char *name) {
  for (int i = 0; i < n; i++) if (strcmp(names[i], name) == 0) return i;
  return -1;
}

/* Held counts of expectation x of variant v over the paired replications. */
static int held(const fl_compare_t *c, int v, int x, int *n_out) {
  int n = 0, k = 0;
  size_t nv = (size_t)c->layout[v].nvalues;
  for (int r = 0; r < c->o.reps; r++) {
    if (!c->done[0][r] || !c->done[1][r]) continue;
    n++;
    if (c->values[v][(size_t)r * nv + (size_t)fl_layout_expect(&c->layout[v], x)] > 0.5) k++;
  }
  *n_out = n;
  return k;
}

static const char *verdict(int k, int n) { return n > 0 && k == n ? "held" : k == 0 ? "failed" : "mixed"; }
static int verdict_rank(int k, int n) { return n > 0 && k == n ? 2 : k == 0 ? 0 : 1; }

int fl_compare_regressions(const fl_compare_t *c) {
  int worse = 0;
  for (int x = 0; x < c->layout[0].nexpects; x++) {
    int y = find(c->layout[1].expects, c->layout[1].nexpects, c->layout[0].expects[x]), na, nb;
    if (y < 0) continue;
    int ka = held(c, 0, x, &na), kb = held(c, 1, y, &nb);
    if (verdict_rank(kb, nb) < verdict_rank(ka, na)) worse++;
  }
  return worse;
}

/* ---- JSON --------------------------------------------------------------------------------- */

static bool significant(const fl_ci_t *d) { return isfinite(d->lo) && (d->lo > 0 || d->hi < 0); }

/* One metric of a subject: A, B and B - A where both have it. */
static cJSON *metric_json(const fl_compare_t *c, int va, int vb) {
  cJSON *o = cJSON_CreateObject();
  fl_ci_t a, b, d;
  if (va >= 0 && vb >= 0) {
    fl_compare_diff(c, va, vb, &a, &b, &d);
    cJSON_AddItemToObject(o, "a", fl__json_ci(&a));
    cJSON_AddItemToObject(o, "b", fl__json_ci(&b));
    cJSON_AddItemToObject(o, "diff", fl__json_ci(&d));
    cJSON_AddBoolToObject(o, "significant", significant(&d));
    return o;
  }
  /* only one side has it */
  fl_ci_t one;
  int v = va >= 0 ? 0 : 1;
  int *which = fl_xcalloc((size_t)c->o.reps, sizeof *which);
  double *tmp = fl_xcalloc((size_t)c->o.reps, sizeof *tmp);
  int n = paired_reps(c, which);
  ci_of_variant(c, v, v ? vb : va, which, n, tmp, &one);
  free(which); free(tmp);
  cJSON_AddItemToObject(o, "a", v == 0 ? fl__json_ci(&one) : cJSON_CreateNull());
  cJSON_AddItemToObject(o, "b", v == 1 ? fl__json_ci(&one) : cJSON_CreateNull());
  cJSON_AddItemToObject(o, "diff", cJSON_CreateNull());
  return o;
}

typedef enum { SUBJ_JOURNEY, SUBJ_SERVICE } subj_t;

static void subject_names(const fl_compare_t *c, subj_t kind, int v, char ***names, int *n) {
  if (kind == SUBJ_JOURNEY) { *names = c->layout[v].journeys; *n = c->layout[v].njourneys; }
  else { *names = c->layout[v].services; *n = c->layout[v].nservices; }
}

static int value_index(const fl_compare_t *c, subj_t kind, int v, int i, int k) {
  if (i < 0) return -1;
  return kind == SUBJ_JOURNEY ? fl_layout_journey(&c->layout[v], i, k) : fl_layout_service(&c->layout[v], i, k);
}

/* Calls fn for every subject of the kind: A's in order, then those only B has. */
typedef void (*subject_fn)(const fl_compare_t *c, subj_t kind, const char *name, int ia, int ib, void *user);
static void each_subject(const fl_compare_t *c, subj_t kind, subject_fn fn, void *user) {
  char **na, **nb;
  int ca, cb;
  subject_names(c, kind, 0, &na, &ca);
  subject_names(c, kind, 1, &nb, &cb);
  for (int i = 0; i < ca; i++) fn(c, kind, na[i], i, find(nb, cb, na[i]), user);
  for (int i = 0; i < cb; i++) if (find(na, ca, nb[i]) < 0) fn(c, kind, nb[i], -1, i, user);
}

static void subject_json(const fl_compare_t *c, subj_t kind, const char *name, int ia, int ib, void *user) {
  cJSON *o = cJSON_AddObjectToObject(user, name);
  int nk = kind == SUBJ_JOURNEY ? FL_JM__COUNT : FL_SM__COUNT;
  for (int k = 0; k < nk; k++)
    cJSON_AddItemToObject(o, kind == SUBJ_JOURNEY ? fl_journey_metric_name(k) : fl_service_metric_name(k),
                          metric_json(c, value_index(c, kind, 0, ia, k), value_index(c, kind, 1, ib, k)));
}

static cJSON *side_json(const fl_compare_t *c, int v) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "name", c->name[v]);
  cJSON_AddStringToObject(o, "file", v ? c->o.b : c->o.a);
  int nown = v ? c->o.nsets_b : c->o.nsets_a;
  cJSON *sets = cJSON_AddArrayToObject(o, "set");
  for (int i = 0; i < nown; i++) cJSON_AddItemToArray(sets, cJSON_CreateString((v ? c->o.sets_b : c->o.sets_a)[i]));
  return o;
}

static cJSON *held_json(int k, int n) {
  cJSON *o = cJSON_CreateObject();
  fl__json_num(o, "held", k);
  fl__json_num(o, "of", n);
  cJSON_AddStringToObject(o, "verdict", verdict(k, n));
  fl_ci_t share;
  fl_ci_binomial(&share, k, n, FL_SWEEP_LEVEL);
  cJSON_AddItemToObject(o, "passed", fl__json_share(&share));
  return o;
}

/* Value 'value' of variant v in the first replication done in both (NaN when there is none):
** whether an expectation checks a criterion, and the threshold it holds it to. */
static double first_value(const fl_compare_t *c, int v, int value) {
  if (value < 0) return NAN;
  for (int r = 0; r < c->o.reps; r++)
    if (c->done[0][r] && c->done[1][r]) return c->values[v][(size_t)r * (size_t)c->layout[v].nvalues + (size_t)value];
  return NAN;
}

static int expect_value(const fl_compare_t *c, int v, int x, int k, int part) {
  return x < 0 ? -1 : fl_layout_expect_part(&c->layout[v], x, k, part);
}

/* The threshold of criterion k of the expectation (A's, else B's), NaN when it has none. */
static double wanted_of(const fl_compare_t *c, int xa, int xb, int k) {
  double w = first_value(c, 0, expect_value(c, 0, xa, k, FL_PART_WANTED));
  return isnan(w) ? first_value(c, 1, expect_value(c, 1, xb, k, FL_PART_WANTED)) : w;
}

/* Does either side's expectation check criterion k? */
static bool checks(const fl_compare_t *c, int xa, int xb, int k) {
  return !isnan(first_value(c, 0, expect_value(c, 0, xa, k, FL_PART_VALUE))) ||
         !isnan(first_value(c, 1, expect_value(c, 1, xb, k, FL_PART_VALUE)));
}

static void expectation_json(const fl_compare_t *c, cJSON *arr, cJSON *changed, const char *name, int xa, int xb) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "name", name);
  int na = 0, nb = 0, ka = xa >= 0 ? held(c, 0, xa, &na) : 0, kb = xb >= 0 ? held(c, 1, xb, &nb) : 0;
  cJSON_AddItemToObject(o, "a", xa >= 0 ? held_json(ka, na) : cJSON_CreateNull());
  cJSON_AddItemToObject(o, "b", xb >= 0 ? held_json(kb, nb) : cJSON_CreateNull());
  cJSON *obs = cJSON_AddObjectToObject(o, "observed");
  for (int k = FL_XM_HELD + 1; k < FL_XM__COUNT; k++) {
    if (!checks(c, xa, xb, k)) continue;
    int va = expect_value(c, 0, xa, k, FL_PART_VALUE), vb = expect_value(c, 1, xb, k, FL_PART_VALUE);
    if (va >= 0 && isnan(first_value(c, 0, va))) va = -1;
    if (vb >= 0 && isnan(first_value(c, 1, vb))) vb = -1;
    cJSON *m = metric_json(c, va, vb);
    fl__json_num(m, "wanted", wanted_of(c, xa, xb, k));
    cJSON_AddItemToObject(obs, fl_expect_metric_name(k), m);
  }
  if (xa >= 0 && xb >= 0) {
    int only_a = 0, only_b = 0;
    size_t sa = (size_t)c->layout[0].nvalues, sb = (size_t)c->layout[1].nvalues;
    for (int r = 0; r < c->o.reps; r++) {
      if (!c->done[0][r] || !c->done[1][r]) continue;
      bool ha = c->values[0][(size_t)r * sa + (size_t)fl_layout_expect(&c->layout[0], xa)] > 0.5;
      bool hb = c->values[1][(size_t)r * sb + (size_t)fl_layout_expect(&c->layout[1], xb)] > 0.5;
      only_a += ha && !hb;
      only_b += hb && !ha;
    }
    bool ch = strcmp(verdict(ka, na), verdict(kb, nb)) != 0;
    cJSON_AddBoolToObject(o, "changed", ch);
    fl__json_num(o, "held_in_a_only", only_a);
    fl__json_num(o, "held_in_b_only", only_b);
    if (ch) cJSON_AddItemToArray(changed, cJSON_CreateString(name));
  }
  cJSON_AddItemToArray(arr, o);
}

cJSON *fl_compare_json(const fl_compare_t *c) {
  cJSON *root = cJSON_CreateObject();
  cJSON_AddStringToObject(root, "faultline", FL_VERSION);
  fl__json_num(root, "schema", FL_REPORT_SCHEMA);
  cJSON_AddStringToObject(root, "kind", "compare");
  cJSON_AddBoolToObject(root, "complete", c->complete);
  cJSON_AddItemToObject(root, "a", side_json(c, 0));
  cJSON_AddItemToObject(root, "b", side_json(c, 1));
  cJSON_AddItemToObject(root, "seed", fl__json_u64(c->seed));
  fl__json_num(root, "replications", c->o.reps);
  fl__json_num(root, "confidence", FL_SWEEP_LEVEL);
  cJSON_AddBoolToObject(root, "common_random_numbers", !c->o.independent);
  cJSON *seeds = cJSON_AddArrayToObject(root, "seeds");
  for (int r = 0; r < c->o.reps; r++) cJSON_AddItemToArray(seeds, fl__json_u64(c->seeds[0][r]));
  if (c->o.independent) {
    cJSON *sb = cJSON_AddArrayToObject(root, "seeds_b");
    for (int r = 0; r < c->o.reps; r++) cJSON_AddItemToArray(sb, fl__json_u64(c->seeds[1][r]));
  }
  cJSON *sets = cJSON_AddArrayToObject(root, "set");
  for (int i = 0; i < c->o.nsets; i++) cJSON_AddItemToArray(sets, cJSON_CreateString(c->o.sets[i]));
  each_subject(c, SUBJ_JOURNEY, subject_json, cJSON_AddObjectToObject(root, "journeys"));
  each_subject(c, SUBJ_SERVICE, subject_json, cJSON_AddObjectToObject(root, "services"));
  cJSON *xs = cJSON_AddArrayToObject(root, "expectations");
  cJSON *changed = cJSON_CreateArray();
  const fl_layout_t *la = &c->layout[0], *lb = &c->layout[1];
  for (int x = 0; x < la->nexpects; x++) expectation_json(c, xs, changed, la->expects[x], x, find(lb->expects, lb->nexpects, la->expects[x]));
  for (int y = 0; y < lb->nexpects; y++)
    if (find(la->expects, la->nexpects, lb->expects[y]) < 0) expectation_json(c, xs, changed, lb->expects[y], -1, y);
  cJSON_AddItemToObject(root, "changed", changed);
  fl__json_batch_run(root, &c->run, false);
  return root;
}

/* ---- the terminal table ------------------------------------------------------------------- */

static bool is_ratio(subj_t kind, int k) { return kind == SUBJ_SERVICE || k == FL_JM_SUCCESS; }


static void subject_print(const fl_compare_t *c, subj_t kind, const char *name, int ia, int ib, void *user) {
  FILE *out = user;
  fprintf(out, "\n%s %s%s\n", kind == SUBJ_JOURNEY ? "journey" : "service", name,
          ia < 0 ? " (only in B)" : ib < 0 ? " (only in A)" : "");
  int nk = kind == SUBJ_JOURNEY ? FL_JM__COUNT : FL_SM__COUNT;
  for (int k = 0; k < nk; k++) {
    const char *mn = kind == SUBJ_JOURNEY ? fl_journey_metric_name(k) : fl_service_metric_name(k);
    char a[48] = "-", b[48] = "-", d[48] = "-";
    fl_ci_t ca, cb, cd;
    bool sig = false;
    if (ia >= 0 && ib >= 0) {
      fl_compare_diff(c, value_index(c, kind, 0, ia, k), value_index(c, kind, 1, ib, k), &ca, &cb, &cd);
      fl__format_ci(a, sizeof a, is_ratio(kind, k) ? FL_XU_SHARE : FL_XU_SECONDS, &ca, false);
      fl__format_ci(b, sizeof b, is_ratio(kind, k) ? FL_XU_SHARE : FL_XU_SECONDS, &cb, false);
      fl__format_ci(d, sizeof d, is_ratio(kind, k) ? FL_XU_SHARE : FL_XU_SECONDS, &cd, true);
      sig = significant(&cd);
    }
    fprintf(out, "  %-17s A %-22s B %-22s B-A %s%s\n", mn, a, b, d, sig ? "  *" : "");
  }
}

/* "[0.40, 1.00]": the binomial interval of k held in n. */
static void share_text(char *buf, size_t n, int k, int of) {
  fl_ci_t share;
  fl_ci_binomial(&share, k, of, FL_SWEEP_LEVEL);
  fl__format_share(buf, n, &share);
}

/* " --set-b X --set-b Y" of variant v, or nothing. */
static void own_sets(FILE *out, const fl_compare_t *c, int v) {
  int n = v ? c->o.nsets_b : c->o.nsets_a;
  for (int i = 0; i < n; i++) fprintf(out, " --set-%c %s", v ? 'b' : 'a', (v ? c->o.sets_b : c->o.sets_a)[i]);
}

/* The observed values of an expectation's criteria inside its `during`, A then B. */
static void observed_print(FILE *out, const fl_compare_t *c, int xa, int xb) {
  for (int k = FL_XM_HELD + 1; k < FL_XM__COUNT; k++) {
    if (!checks(c, xa, xb, k)) continue;
    int va = expect_value(c, 0, xa, k, FL_PART_VALUE), vb = expect_value(c, 1, xb, k, FL_PART_VALUE);
    fl_ci_t ca, cb, cd;
    char a[64] = "-", b[64] = "-", d[64] = "-", w[32] = "";
    fl_xunit_t unit = fl_expect_metric_unit(k);
    bool sig = false;
    if (va >= 0 && vb >= 0 && !isnan(first_value(c, 0, va)) && !isnan(first_value(c, 1, vb))) {
      fl_compare_diff(c, va, vb, &ca, &cb, &cd);
      fl__format_ci(a, sizeof a, unit, &ca, false);
      fl__format_ci(b, sizeof b, unit, &cb, false);
      fl__format_ci(d, sizeof d, unit, &cd, true);
      sig = significant(&cd);
    }
    double want = wanted_of(c, xa, xb, k);
    if (isfinite(want)) {
      if (unit == FL_XU_SHARE) snprintf(w, sizeof w, "%.6g%%", 100 * want);
      else fl__format_value(w, sizeof w, unit, want, false);
    }
    fprintf(out, "    %-15s A %-22s B %-22s B-A %s%s%s%s\n", fl_expect_metric_name(k), a, b, d, sig ? "  *" : "",
            w[0] ? "   threshold " : "", w);
  }
}

void fl_compare_print(FILE *out, const fl_compare_t *c) {
  char d[16];
  fl_format_wall(c->run.wall_seconds, d, sizeof d);
  fprintf(out, "compare A = %s (%s", c->name[0], c->o.a);
  own_sets(out, c, 0);
  fprintf(out, ") with B = %s (%s", c->name[1], c->o.b);
  own_sets(out, c, 1);
  fprintf(out, ")\n");
  char mem[48];
  fl__format_memory(mem, sizeof mem, &c->run);
  fprintf(out, "%d replication%s each, %s, base seed %llu, %d thread%s%s, %s\n", c->o.reps, c->o.reps == 1 ? "" : "s",
          c->o.independent ? "independent seeds (no common random numbers)" : "common random numbers",
          (unsigned long long)c->seed, c->run.threads, c->run.threads == 1 ? "" : "s", mem, d);
  fprintf(out, "mean ± 95%% confidence interval; B-A %s; * marks a difference whose interval excludes 0;\n"
               "latency quantiles are known to their histogram bucket (at most 0.8%%): no interval is narrower;\n"
               "P(held): exact 95%% binomial interval (Clopper-Pearson); an expectation's values are observed inside its own 'during'\n",
          c->o.independent ? "by Welch's interval" : "paired per replication");
  each_subject(c, SUBJ_JOURNEY, subject_print, out);
  each_subject(c, SUBJ_SERVICE, subject_print, out);
  const fl_layout_t *la = &c->layout[0], *lb = &c->layout[1];
  if (la->nexpects || lb->nexpects) fprintf(out, "\nexpectations\n");
  for (int x = 0; x < la->nexpects; x++) {
    int y = find(lb->expects, lb->nexpects, la->expects[x]), na, nb = 0;
    int ka = held(c, 0, x, &na), kb = y >= 0 ? held(c, 1, y, &nb) : 0;
    char sa[48], sb[48];
    share_text(sa, sizeof sa, ka, na);
    if (y < 0) { fprintf(out, "  %-30s A held %d/%d %s   (not in B)\n", la->expects[x], ka, na, sa); observed_print(out, c, x, -1); continue; }
    share_text(sb, sizeof sb, kb, nb);
    bool ch = strcmp(verdict(ka, na), verdict(kb, nb)) != 0;
    fprintf(out, "  %-30s A held %d/%d %s   B held %d/%d %s%s%s%s%s\n", la->expects[x], ka, na, sa, kb, nb, sb,
            ch ? "   changed: " : "", ch ? verdict(ka, na) : "", ch ? " -> " : "", ch ? verdict(kb, nb) : "");
    observed_print(out, c, x, y);
  }
  for (int y = 0; y < lb->nexpects; y++) {
    if (find(la->expects, la->nexpects, lb->expects[y]) >= 0) continue;
    int nb, kb = held(c, 1, y, &nb);
    char sb[48];
    share_text(sb, sizeof sb, kb, nb);
    fprintf(out, "  %-30s (not in A)   B held %d/%d %s\n", lb->expects[y], kb, nb, sb);
    observed_print(out, c, -1, y);
  }
  if (!c->complete) fprintf(out, "\n(stopped early: only the replications done in both variants count)\n");
}
