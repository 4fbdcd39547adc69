/* The HTML page's series, decimated: a large run's page holds what a screen can show, not every
** window (see decimate.h). Counts stay sums, so that rates over a bucket read as over a window. */
#include "decimate.h"
#include "faultline/core.h"

#include <cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define PAGE_VALUES 80000.0    /* services x points the page holds at most (1,000 services: 80 points) */
#define PAGE_COMPACT 20000.0   /* services x windows above which the page's copy is compacted at all */
#define MIN_POINTS 60
#define MAX_POINTS 2000

typedef enum { SUM, WORST, FEWEST, MEAN } merge_t;

static merge_t merge_of(const char *key) {
  static const char *const sums[] = { "arrivals", "successes", "degraded", "failures", "calls", "rejected", "timeout",
                                      "unavailable", "error", "breaker_open", "deadline", NULL };
  for (int i = 0; sums[i]; i++) if (strcmp(key, sums[i]) == 0) return SUM;
  if (strcmp(key, "health") == 0 || strcmp(key, "p50") == 0 || strcmp(key, "p99") == 0) return WORST;
  if (strcmp(key, "instances") == 0) return FEWEST;
  return MEAN;
}

/* 3 significant digits for a fraction; integers stay as they are. */
static double short_num(double v) {
  if (v == 0 || !isfinite(v) || (v == floor(v) && fabs(v) < 1e15)) return v;
  double p = pow(10, 2 - floor(log10(fabs(v))));
  return round(v * p) / p;
}

/* The series 'arr' merged 'every' windows to a point, as 'how' says; a number when every
** point is the same. */
static cJSON *merged(const cJSON *arr, int every, merge_t how) {
  int n = cJSON_GetArraySize(arr), m = (n + every - 1) / every;
  double *v = fl_xmalloc(sizeof *v * (size_t)(n ? n : 1));
  int i = 0;
  const cJSON *x;
  cJSON_ArrayForEach(x, arr) v[i++] = cJSON_IsNumber(x) ? x->valuedouble : 0;
  cJSON *out = cJSON_CreateArray();
  bool same = true;
  double first = 0;
  for (int b = 0; b < m; b++) {
    int lo = b * every, hi = lo + every < n ? lo + every : n;
    double acc = how == FEWEST ? INFINITY : how == WORST ? -INFINITY : 0;
    for (int k = lo; k < hi; k++) {
      if (how == FEWEST) acc = v[k] < acc ? v[k] : acc;
      else if (how == WORST) acc = v[k] > acc ? v[k] : acc;
      else acc += v[k];
    }
    if (how == MEAN) acc /= hi - lo;
    acc = short_num(acc);
    if (b == 0) first = acc; else if (acc != first) same = false;
    cJSON_AddItemToArray(out, cJSON_CreateNumber(acc));
  }
  free(v);
  if (same && m > 0) { cJSON_Delete(out); return cJSON_CreateNumber(first); }
  return out;
}

/* Every array member of object 'o' (and of its failures_by_cause) merged. */
static void merge_object(cJSON *o, int every) {
  cJSON_DeleteItemFromObjectCaseSensitive(o, "busy_workers");   /* the page draws utilisation */
  for (cJSON *k = o ? o->child : NULL, *next; k; k = next) {
    next = k->next;
    if (cJSON_IsObject(k)) merge_object(k, every);
    else if (cJSON_IsArray(k) && k->string) cJSON_ReplaceItemInObjectCaseSensitive(o, k->string, merged(k, every, merge_of(k->string)));
  }
}

int fl_report_decimate(cJSON *report) {
  cJSON *ser = cJSON_GetObjectItemCaseSensitive(report, "series");
  cJSON *t = cJSON_GetObjectItemCaseSensitive(ser, "t");
  cJSON *svcs = cJSON_GetObjectItemCaseSensitive(ser, "services");
  int nw = cJSON_GetArraySize(t), ns = cJSON_GetArraySize(svcs);
  if (!cJSON_IsArray(t) || (double)ns * nw <= PAGE_COMPACT) return 1;
  int points = (int)(PAGE_VALUES / (ns ? ns : 1));
  points = points < MIN_POINTS ? MIN_POINTS : points > MAX_POINTS ? MAX_POINTS : points;
  int every = nw > points ? (nw + points - 1) / points : 1;
  cJSON *k;
  cJSON_ArrayForEach(k, svcs) merge_object(k, every);
  cJSON_ArrayForEach(k, cJSON_GetObjectItemCaseSensitive(ser, "journeys")) merge_object(k, every);
  cJSON_ArrayForEach(k, cJSON_GetObjectItemCaseSensitive(ser, "edges")) merge_object(k, every);
  if (every > 1) {
    cJSON *nt = cJSON_CreateArray();
    int i = 0;
    cJSON_ArrayForEach(k, t) if (i++ % every == 0) cJSON_AddItemToArray(nt, cJSON_CreateNumber(k->valuedouble));
    cJSON_ReplaceItemInObjectCaseSensitive(ser, "t", nt);
    cJSON *w = cJSON_GetObjectItemCaseSensitive(ser, "window");
    double win = cJSON_IsNumber(w) ? w->valuedouble : 1;
    cJSON *d = cJSON_AddObjectToObject(ser, "decimated");
    cJSON_AddNumberToObject(d, "windows", nw);
    cJSON_AddNumberToObject(d, "every", every);
    cJSON_AddNumberToObject(d, "window", win);
    cJSON_ReplaceItemInObjectCaseSensitive(ser, "window", cJSON_CreateNumber(win * every));
  }
  return every;
}
