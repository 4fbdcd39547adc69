/* The HTML page's copy of a report's series, cut to what a screen can show (reports/decimate.c). */
#ifndef FAULTLINE_REPORTS_DECIMATE_H
#define FAULTLINE_REPORTS_DECIMATE_H

#include <stdint.h>

typedef struct fl_jsonw fl_jsonw_t;

/* How the page holds a run's series of 'nw' entries over 'nservices' services: 0 when they hold
** at most 20,000 service-window values (the page keeps every value, as the JSON report); else
** the entries merged per point, so that each series has at most max(60, min(2000, 80,000 /
** services)) points (1: compacted without merging). The JSON and CSV reports keep every entry:
** only the page is cut. */
int fl_report_page_every(uint32_t nw, int nservices);
/* Writes series 'key' of v[0..n) with 'every' entries to a point (from fl_report_page_every,
** > 0): counts summed (arrivals, successes, degraded, failures, calls and the failure causes),
** health, p50 and p99 the worst, instances the fewest, the rest averaged; fractions with 3
** significant digits; a series of one value as that number. */
void fl_report_page_series(fl_jsonw_t *w, const char *key, const double *v, uint32_t n, int every);

#endif
