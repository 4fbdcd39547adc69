/* Private to sim/batch/: what the sweep's files (sweep.c, values.c, merge.c) and the batch
** outputs (sweep, compare, size) share. Not a public header. */
#ifndef FAULTLINE_BATCH_INT_H
#define FAULTLINE_BATCH_INT_H

#include "faultline/sweep.h"

#define FL__MAX_JOBS 100000000   /* a sweep of more runs than this is a typo */

/* ---- the value grid (values.c) ---- */

/* Parses o->sets ("PATH=V1,V2,...") into sw->axes and sw->npoints. Returns 0 or -FL_EINVAL. */
int fl__sweep_parse_axes(fl_sweep_t *sw, const fl_sweep_opts_t *o, char *err, size_t errlen);
/* Bytes fl_sweep_point_sets needs for its buffer at any point. */
size_t fl__sweep_sets_size(const fl_sweep_t *sw);
/* Axis value indices of point p (idx[naxes]): the last axis varies fastest. */
void fl__sweep_point_index(const fl_sweep_t *sw, int p, int *idx);
/* The "PATH=VALUE" assignments of the axis values idx into buf; returns the number of axes. */
int fl__sweep_sets_of(const fl_sweep_t *sw, const int *idx, const char **sets, char *buf, size_t n);
void fl__sweep_free_axes(fl_sweep_t *sw);

/* ---- results (sweep.c) ---- */

/* Allocates the results: summaries, or a shard's raw values when sw->nshards > 0. */
void fl__sweep_alloc_results(fl_sweep_t *sw);
/* Takes replication r of point p (summarised once the point is whole). -1: already in. */
int fl__sweep_add_values(fl_sweep_t *sw, int p, int r, const double *v);

/* ---- JSON numbers of the batch outputs (batch_json.c) ---- */

typedef struct cJSON cJSON;

/* Adds number v under k, or null when v is not finite. */
void fl__json_num(cJSON *o, const char *k, double v);
/* A double with all 17 digits: strtod gives the same double back (the merge of shards needs it). */
cJSON *fl__json_exact(double v);
/* An integer with all its digits (seeds: cJSON's own printing keeps 15 significant digits). */
cJSON *fl__json_u64(uint64_t v);
/* {mean, ci95, lo, hi, sd, n}, and resolution when the values have one (c->res > 0) */
cJSON *fl__json_ci(const fl_ci_t *c);
/* A pass share's binomial interval: {mean, lo, hi, n, interval: "clopper-pearson"} */
cJSON *fl__json_share(const fl_ci_t *c);
/* An expectation's observed criterion k (FL_XM_*) over replications, with its threshold:
** {mean, ci95, lo, hi, sd, n[, resolution], wanted}. */
cJSON *fl__json_observed(const fl_ci_t *c, double wanted);

/* The output's "run" object (wall-clock facts) under root: threads, runs, wall_seconds, events,
** events_per_second when 'rate', host. */
void fl__json_batch_run(cJSON *root, const fl_batch_info_t *run, bool rate);
/* An array of strings. */
cJSON *fl__json_strings(char *const *s, int n);

/* ---- text of the batch outputs (batch_json.c) ---- */

/* "mean ± half" of a latency interval (s), or the mean alone without one. */
void fl__format_secs(char *buf, size_t n, const fl_ci_t *c);
/* "mean% ± half%" of a ratio, or the mean alone. */
void fl__format_pct(char *buf, size_t n, const fl_ci_t *c);
/* Expectation criterion k observed: "p99 212ms ± 8.1ms (threshold 300ms)". */
void fl__format_observed(char *buf, size_t n, int k, const fl_ci_t *c, double wanted);
/* A value in its unit ("12.5%", "212ms", "190/s", "3438"), with a + for a positive one when 'sign';
** and "mean ± half" of an interval the same way. */
void fl__format_value(char *buf, size_t n, fl_xunit_t unit, double v, bool sign);
void fl__format_ci(char *buf, size_t n, fl_xunit_t unit, const fl_ci_t *c, bool sign);
/* ", 20.0 MB a run" when the runs had a share of --memory, else "". */
void fl__format_memory(char *buf, size_t n, const fl_batch_info_t *run);
/* "[0.40, 1.00]": a pass share's binomial interval. */
void fl__format_share(char *buf, size_t n, const fl_ci_t *c);

#endif
