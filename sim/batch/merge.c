/* The merge of a sweep's shards: the plan rebuilt from the first part, every part checked to be
** a complete shard of the same sweep, their raw values added in job order, whatever the order of
** the parts, so that the summaries are bit for bit those of the unsharded sweep. */
#include "batch_int.h"

#include "faultline/num.h"

#include <cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

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
  uint64_t useed = 0;
  int ireps = 0, ipoints = 0, iof = 0;
  const char *name = string_of(sc, "name"), *file = string_of(sc, "file");
  const cJSON *sh = cJSON_GetObjectItemCaseSensitive(root, "shard");
  const cJSON *seeds = cJSON_GetObjectItemCaseSensitive(root, "seeds");
  const cJSON *params = cJSON_GetObjectItemCaseSensitive(root, "parameters");
  const cJSON *subj = cJSON_GetObjectItemCaseSensitive(root, "subjects");
  const char *kind = string_of(root, "kind");
  if (!kind || strcmp(kind, "sweep") != 0 || !name || !file || !number_of(sc, "seed", &seed) ||
      !number_of(root, "replications", &reps) || !number_of(root, "points", &points) || !number_of(sh, "of", &of) ||
      !cJSON_IsArray(seeds) || !cJSON_IsArray(params) || !cJSON_IsObject(subj) ||
      !fl_num_to_u64(seed, &useed) || !fl_num_to_int(reps, 1, FL__MAX_JOBS, &ireps) ||
      !fl_num_to_int(points, 1, FL__MAX_JOBS, &ipoints) || (long long)ipoints * ireps > FL__MAX_JOBS ||
      !fl_num_to_int(of, 1, FL__MAX_JOBS, &iof) || cJSON_GetArraySize(seeds) != ireps) {
    snprintf(err, errlen, "not the partial result of a sweep shard (faultline sweep --shard I/N --json FILE)");
    return -FL_EINVAL;
  }
  sw->name = fl_xstrdup(name);
  sw->file = fl_xstrdup(file);
  sw->seed = useed;
  sw->reps = ireps;
  sw->nshards = iof;
  sw->seeds = fl_xcalloc((size_t)sw->reps, sizeof *sw->seeds);
  int r = 0;
  const cJSON *e;
  cJSON_ArrayForEach(e, seeds)
    if (!cJSON_IsNumber(e) || !fl_num_to_u64(e->valuedouble, &sw->seeds[r++])) {
      snprintf(err, errlen, "the sweep's seeds must be whole numbers from 0 to 2^64-1");
      return -FL_EINVAL;
    }
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
    if (np > FL__MAX_JOBS) break;
  }
  if (np != ipoints) { snprintf(err, errlen, "the sweep's parameters do not make %.0f points", points); return -FL_EINVAL; }
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
  fl__sweep_alloc_results(sw);
  sw->nshards = nshards;
  return 0;
}

/* The samples of shard s: [job, value...] each, the job one of the shard's. Returns 0 or -FL_EINVAL. */
static int add_samples(fl_sweep_t *sw, const cJSON *samples, int s, int nshards, double *vals, char *err, size_t errlen) {
  size_t nv = (size_t)sw->layout.nvalues, total = (size_t)sw->npoints * (size_t)sw->reps;
  const cJSON *smp;
  cJSON_ArrayForEach(smp, samples) {
    const cJSON *v = smp->child;
    size_t k = 0;
    double job = -1;
    if (cJSON_IsNumber(v)) { job = v->valuedouble; v = v->next; }
    for (; v && k < nv && (cJSON_IsNumber(v) || cJSON_IsNull(v)); v = v->next) vals[k++] = cJSON_IsNumber(v) ? v->valuedouble : NAN;
    int j = -1;
    if (!cJSON_IsArray(smp) || v || k != nv || !fl_num_to_int(job, 0, (int)total - 1, &j) || j % nshards != s - 1) {
      snprintf(err, errlen, "shard %d/%d: a malformed sample", s, nshards);
      return -FL_EINVAL;
    }
    if (fl__sweep_add_values(sw, j / sw->reps, j % sw->reps, vals) != 0) {
      snprintf(err, errlen, "shard %d/%d: run %d is given twice", s, nshards, j);
      return -FL_EINVAL;
    }
  }
  return 0;
}

/* Part i: a complete shard of the same sweep as part 0, not seen before. Returns 0 or -FL_EINVAL. */
static int merge_part(fl_sweep_t *sw, cJSON *const *parts, int i, int nshards, bool *have, double *vals, char *err, size_t errlen) {
  const cJSON *part = parts[i], *sc = cJSON_GetObjectItemCaseSensitive(part, "scenario");
  const cJSON *sc0 = cJSON_GetObjectItemCaseSensitive(parts[0], "scenario");
  const cJSON *sh = cJSON_GetObjectItemCaseSensitive(part, "shard"), *c = cJSON_GetObjectItemCaseSensitive(part, "complete");
  double index = 0, of = 0;
  int iof = 0, s = 0;
  bool same = number_of(sh, "index", &index) && number_of(sh, "of", &of) && fl_num_to_int(of, 1, nshards, &iof) && iof == nshards &&
              cJSON_Compare(cJSON_GetObjectItemCaseSensitive(sc, "name"), cJSON_GetObjectItemCaseSensitive(sc0, "name"), true) &&
              cJSON_Compare(cJSON_GetObjectItemCaseSensitive(sc, "seed"), cJSON_GetObjectItemCaseSensitive(sc0, "seed"), true);
  for (size_t k = 0; same && k < sizeof plan_keys / sizeof *plan_keys; k++)
    same = cJSON_Compare(cJSON_GetObjectItemCaseSensitive(part, plan_keys[k]), cJSON_GetObjectItemCaseSensitive(parts[0], plan_keys[k]), true);
  if (!same) { snprintf(err, errlen, "part %d is not a shard of the same sweep as part 1 (faultline version, scenario, seed, replications, parameters and shard count must match)", i + 1); return -FL_EINVAL; }
  if (!fl_num_to_int(index, 1, nshards, &s)) { snprintf(err, errlen, "part %d: shard index %g out of 1..%d", i + 1, index, nshards); return -FL_EINVAL; }
  if (have[s - 1]) { snprintf(err, errlen, "shard %d/%d is given twice", s, nshards); return -FL_EINVAL; }
  have[s - 1] = true;
  if (!cJSON_IsTrue(c)) { snprintf(err, errlen, "shard %d/%d is incomplete (was it interrupted?): run it again", s, nshards); return -FL_EINVAL; }
  const cJSON *samples = cJSON_GetObjectItemCaseSensitive(part, "samples");
  if (!cJSON_IsArray(samples)) { snprintf(err, errlen, "shard %d/%d has no samples", s, nshards); return -FL_EINVAL; }
  int rc = add_samples(sw, samples, s, nshards, vals, err, errlen);
  const cJSON *run = cJSON_GetObjectItemCaseSensitive(part, "run");
  double x;
  if (number_of(run, "wall_seconds", &x)) sw->run.wall_seconds += x;
  if (number_of(run, "events", &x)) sw->run.events += (uint64_t)fl_num_clamp_i64(x, 0, INT64_MAX);
  if (number_of(run, "runs", &x)) sw->run.runs += fl_num_clamp_int(x, 0, FL__MAX_JOBS);
  return rc;
}

/* Every shard is in, and every point has all its replications. Returns 0 or -FL_EINVAL. */
static int check_whole(const fl_sweep_t *sw, const bool *have, int nshards, char *err, size_t errlen) {
  char missing[256] = "";
  size_t w = 0;
  int nmissing = 0;
  for (int s = 0; s < nshards; s++)
    if (!have[s]) {
      if (w < sizeof missing - 16) w += (size_t)snprintf(missing + w, sizeof missing - w, "%s%d/%d", nmissing ? ", " : "", s + 1, nshards);
      nmissing++;
    }
  if (nmissing) { snprintf(err, errlen, "missing shard%s %s", nmissing > 1 ? "s" : "", missing); return -FL_EINVAL; }
  for (int p = 0; p < sw->npoints; p++)
    if (sw->got[p] != sw->reps) { snprintf(err, errlen, "grid point %d has %d of %d replications", p, sw->got[p], sw->reps); return -FL_EINVAL; }
  return 0;
}

int fl_sweep_merge(fl_sweep_t *sw, cJSON *const *parts, int nparts, char *err, size_t errlen) {
  memset(sw, 0, sizeof *sw);
  if (nparts < 1) { snprintf(err, errlen, "no parts to merge"); return -FL_EINVAL; }
  int rc = plan_from_json(sw, parts[0], err, errlen);
  if (rc) return rc;
  int nshards = sw->nshards;
  bool *have = fl_xcalloc((size_t)nshards, sizeof *have);
  double *vals = fl_xcalloc((size_t)sw->layout.nvalues, sizeof *vals);
  memset(&sw->run, 0, sizeof sw->run);
  for (int i = 0; rc == 0 && i < nparts; i++) rc = merge_part(sw, parts, i, nshards, have, vals, err, errlen);
  if (rc == 0) rc = check_whole(sw, have, nshards, err, errlen);
  free(vals); free(have);
  if (rc == 0) {
    sw->complete = true;
    snprintf(sw->run.host, sizeof sw->run.host, "merged from %d shards", nshards);
  }
  sw->nshards = 0;
  sw->shard = 0;
  return rc;
}
