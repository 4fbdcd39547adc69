/* The HTML page's copy of a report's series, cut to what a screen can show (reports/decimate.c). */
#ifndef FAULTLINE_REPORTS_DECIMATE_H
#define FAULTLINE_REPORTS_DECIMATE_H

typedef struct cJSON cJSON;

/* Shrinks report->series in place for the HTML page when it holds more than 20,000
** service-window values: windows merge into buckets of 'every' windows so that each series
** has at most max(60, min(2000, 80,000 / services)) points (counts summed,
** health, p50 and p99 the worst, instances the fewest, the rest averaged; "window" and "t"
** then describe the buckets), fractions keep 3 significant digits, series the page does not
** draw are dropped and a series of one value becomes that number. Adds series.decimated =
** {windows, every, window} (what the run had) when it merged windows. The JSON and CSV
** reports keep every window: only the page is cut. Returns the number of windows per bucket
** (1: none merged). */
int fl_report_decimate(cJSON *report);

#endif
