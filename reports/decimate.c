/* The HTML page's series, decimated: a large run's page holds what a screen can show, not every
** window (see decimate.h). Counts stay sums, so that rates over a point read as over its windows.
** The series are written as they are merged (jsonw.h): no copy of them is kept. */
#include "decimate.h"
#include "faultline/jsonw.h"

#include <math.h>
#include <string.h>

#define PAGE_VALUES 80000.0    /* services x points the page holds at most (1,000 services: 80 points) */
#define PAGE_COMPACT 20000.0   /* services x windows above which the page's copy is compacted at all */
#define MIN_POINTS 60
#define MAX_POINTS 2000

typedef enum { SUM, WORST, FEWEST, MEAN } merge_t;

static merge_t merge_of(const char *key) {
  static const char *const sums[] = { "arrivals", "successes", "degraded", "failures", "calls", "rejected", "timeout",
                                      "unavailable", "error", "breaker_open", "deadline", "width", NULL };
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

int fl_report_page_every(uint32_t nw, int nservices) {
  if ((double)nservices * nw <= PAGE_COMPACT) return 0;
  int points = (int)(PAGE_VALUES / (nservices ? nservices : 1));
  points = points < MIN_POINTS ? MIN_POINTS : points > MAX_POINTS ? MAX_POINTS : points;
  return nw > (uint32_t)points ? (int)((nw + (uint32_t)points - 1) / (uint32_t)points) : 1;
}

/* Point b of v[0..n) merged as 'how' says. */
static double point(const double *v, uint32_t n, uint32_t b, int every, merge_t how) {
  uint32_t lo = b * (uint32_t)every, hi = lo + (uint32_t)every < n ? lo + (uint32_t)every : n;
  double acc = how == FEWEST ? INFINITY : how == WORST ? -INFINITY : 0;
  for (uint32_t k = lo; k < hi; k++) {
    if (how == FEWEST) acc = v[k] < acc ? v[k] : acc;
    else if (how == WORST) acc = v[k] > acc ? v[k] : acc;
    else acc += v[k];
  }
  if (how == MEAN) acc /= hi - lo;
  return short_num(acc);
}

void fl_report_page_series(fl_jsonw_t *w, const char *key, const double *v, uint32_t n, int every) {
  merge_t how = merge_of(key);
  uint32_t m = (n + (uint32_t)every - 1) / (uint32_t)every;
  double first = m ? point(v, n, 0, every, how) : 0;
  bool same = m > 0;
  for (uint32_t b = 1; b < m && same; b++) same = point(v, n, b, every, how) == first;
  if (same) { fl_jsonw_number(w, key, first); return; }
  fl_jsonw_array(w, key);
  for (uint32_t b = 0; b < m; b++) fl_jsonw_number(w, NULL, point(v, n, b, every, how));
  fl_jsonw_end(w);
}
