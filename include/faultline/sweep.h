/* Sweeps, replications and comparisons: a grid of --set values crossed with replications, run
** on a pool of threads, each replication with its own derived seed; per grid point the key
** metrics as mean ± 95% confidence interval (Student t; a share of replications in which an
** expectation held gets an exact binomial interval, Clopper-Pearson); the paired comparison of two variants
** under common random numbers; and the shards of a sweep and their merge.
**
** Seeds. Replication r (0-based) of a sweep or comparison with base seed S (--seed, else the
** scenario's seed) runs with fl_sweep_seed(S, r) = splitmix64(S + (r+1) * 0x9e3779b97f4a7c15)
** >> 11, a 53-bit number (exact in JSON) listed in the output as seeds[r]: `faultline run
** --seed seeds[r] --set ...` replays that run exactly. Replication r uses the same seed at every
** grid point and in both variants of a comparison: common random numbers, since each stream is
** derived from (seed, entity name, purpose). Nothing depends on which thread ran what: the
** output is identical whatever -j is, and whatever the sharding. */
#ifndef FAULTLINE_SWEEP_H
#define FAULTLINE_SWEEP_H

#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include "scenario.h"
#include "sim.h"

typedef struct cJSON cJSON;

/* ---- confidence intervals (sim/batch/ci.c) ------------------------------------------------------- */

/* A sample's mean with a two-sided confidence interval [lo, hi]. sd, half, lo and hi are NaN
** when n < 2 (no interval from one value). Student t intervals are mean ± half; a binomial
** interval (fl_ci_binomial) is not symmetric: half and sd are NaN, lo and hi hold it. 'res' is
** the resolution of the values (a latency quantile read from a histogram is known to its
** bucket's width): an interval is never narrower than it (half >= res / 2); 0 when exact. */
typedef struct fl_ci { int n; double mean, sd, half, lo, hi, res; } fl_ci_t;

/* The p-quantile (0 < p < 1) of Student's t distribution with df >= 1 degrees of freedom. */
double fl_t_quantile(double p, int df);
/* The Student t interval at 'level' (0.95) of n values x[0], x[stride], ... summed in order. */
void fl_ci_of(fl_ci_t *out, const double *x, int n, size_t stride, double level);
/* Welch's interval for mean(b) - mean(a) of two independent samples (df rounded down). */
void fl_ci_welch(fl_ci_t *out, const fl_ci_t *a, const fl_ci_t *b, double level);
/* Widens c to its resolution: c->res = res, and half (when finite) at least res / 2. */
void fl_ci_widen(fl_ci_t *c, double res);

/* Pass shares. k successes in n Bernoulli trials (replications in which an expectation held):
** the exact two-sided Clopper-Pearson interval at 'level' for the probability p, from beta
** quantiles (its coverage is at least 'level' for every p, which a sign-off needs; Wald and
** Student t intervals on 0/1 outcomes collapse to a width of 0 at k = 0 or k = n). mean is k/n. */
void fl_ci_binomial(fl_ci_t *out, int k, int n, double level);
/* The one-sided Clopper-Pearson lower bound: P(p >= bound) at 'level' after k of n
** ((1 - level)^(1/n) when k = n: 10/10 at 95% gives 0.741). 0 when k = 0. */
double fl_binomial_lower(int k, int n, double level);
/* The regularized incomplete beta function I_x(a, b), a, b > 0, 0 <= x <= 1. */
double fl_beta_inc(double x, double a, double b);

#define FL_SWEEP_LEVEL 0.95

/* ---- what one run yields ------------------------------------------------------------------- */

/* Per journey: success ratio ((successes + degraded) / answered), p99 and mean latency (s). */
enum { FL_JM_SUCCESS = 0, FL_JM_P99, FL_JM_MEAN, FL_JM__COUNT };
/* Per service: peak utilisation (max over the measured windows of busy_workers / (instances x
** workers)) and the mean utilisation (busy over live workers, after warm-up). */
enum { FL_SM_PEAK_UTIL = 0, FL_SM_UTIL, FL_SM__COUNT };
/* Per expectation: held (0/1), and what it observed inside its own `during` window: success
** ratio, p99 and p50 (s), then from FL_XM_MORE each other measure an expectation checks
** (FL_XM_MORE + fl_xmeasure_t: error_rate, p90, p95, p999, mean, throughput, utilization, lag,
** age); NaN for a criterion the expectation does not have. */
enum { FL_XM_HELD = 0, FL_XM_SUCCESS, FL_XM_P99, FL_XM_P50, FL_XM_MORE, FL_XM__COUNT = FL_XM_MORE + FL_EXM__COUNT };
/* What an expectation metric's values are: a share (0..1), seconds, a rate (per second) or messages. */
typedef enum { FL_XU_SHARE = 0, FL_XU_SECONDS, FL_XU_RATE, FL_XU_MESSAGES } fl_xunit_t;
fl_xunit_t fl_expect_metric_unit(int k);
/* Companion values a metric carries in the vector (not reported on their own): its resolution
** (the histogram bucket width of a latency quantile, 0 when exact) and, for an expectation's
** observed value, the threshold it is held to (NaN when none). */
enum { FL_PART_VALUE = 0, FL_PART_RES, FL_PART_WANTED };

/* The names behind a run's value vector: per journey FL_JM__COUNT values then their
** resolutions; per service FL_SM__COUNT values; per expectation FL_XM__COUNT values, their
** resolutions and their thresholds; then 1 when every expectation held. */
typedef struct fl_layout {
  int njourneys, nservices, nexpects;
  char **journeys, **services, **expects;
  int nvalues;
} fl_layout_t;

static inline int fl_layout_journey_part(const fl_layout_t *l, int j, int k, int part) { (void)l; return (j * 2 + part) * FL_JM__COUNT + k; }
static inline int fl_layout_journey(const fl_layout_t *l, int j, int k) { return fl_layout_journey_part(l, j, k, FL_PART_VALUE); }
static inline int fl_layout_service(const fl_layout_t *l, int i, int k) { return l->njourneys * 2 * FL_JM__COUNT + i * FL_SM__COUNT + k; }
static inline int fl_layout_expect_part(const fl_layout_t *l, int x, int k, int part) {
  return l->njourneys * 2 * FL_JM__COUNT + l->nservices * FL_SM__COUNT + (x * 3 + part) * FL_XM__COUNT + k;
}
static inline int fl_layout_expect_metric(const fl_layout_t *l, int x, int k) { return fl_layout_expect_part(l, x, k, FL_PART_VALUE); }
static inline int fl_layout_expect(const fl_layout_t *l, int x) { return fl_layout_expect_metric(l, x, FL_XM_HELD); }
static inline int fl_layout_all_held(const fl_layout_t *l) { return fl_layout_expect(l, l->nexpects); }

/* The index of value v's resolution, or -1 when v has none. */
int fl_layout_res_of(const fl_layout_t *l, int v);
/* Is value v a 0/1 outcome per replication (an expectation held, all held)? */
bool fl_layout_is_share(const fl_layout_t *l, int v);
/* The summary of value v over the rows 'which' (NULL: rows 0..n-1) of 'rows' (row r at
** rows + r * stride): a binomial interval for a share, else a Student t interval widened to
** the largest resolution of the rows. */
void fl_layout_summary(const fl_layout_t *l, int v, const double *rows, size_t stride, const int *which, int n,
                       double level, fl_ci_t *out);

const char *fl_journey_metric_name(int k);   /* "success_ratio", "p99", "latency_mean" */
const char *fl_expect_metric_name(int k);    /* "held", "success_rate", "p99", "p50", then fl_xmeasure_name */
const char *fl_service_metric_name(int k);   /* "peak_utilization", "utilization" */

/* Fills 'l' with the names of 'm' (copies). Release with fl_layout_release. */
void fl_layout_init(fl_layout_t *l, const fl_model_t *m);
void fl_layout_release(fl_layout_t *l);
/* Do the model's journeys, services and expectations have these names, in this order? */
bool fl_layout_matches(const fl_layout_t *l, const fl_model_t *m);

/* Shared by a pool and one of its runs. */
typedef struct fl_run_ctl {
  const atomic_int *stop;     /* non-zero: the run stops at its next window (may be NULL) */
  atomic_uint permille;       /* how far the run is, written by the run */
  uint64_t events;            /* events the last run dispatched */
} fl_run_ctl_t;

/* Loads 'path' with 'opts', runs it to the end and writes l->nvalues values into out.
** Returns 0; 1 when stopped early through ctl (out is then meaningless); or -FL_E* with a
** message in err (the scenario failed to load, or its names differ from 'l'). */
int fl_run_values(const char *path, const fl_load_opts_t *opts, const fl_layout_t *l, double *out,
                  fl_run_ctl_t *ctl, char *err, size_t errlen);

/* The seed of replication 'rep' for base seed 'base' (see the top of this file). */
uint64_t fl_sweep_seed(uint64_t base, int rep);

/* How to run a batch of runs. */
typedef struct fl_pool_opts {
  int threads;                          /* <= 0: the cores available */
  bool progress;                        /* draw a progress bar with ETA on stderr */
  volatile sig_atomic_t *interrupted;   /* set asynchronously: no new runs, running ones stop */
} fl_pool_opts_t;

/* Wall-clock facts of a batch: they go to the output's "run" object only. */
typedef struct fl_batch_info {
  int threads;
  int runs;                   /* runs completed */
  double wall_seconds;
  uint64_t events;
  double memory;              /* each run's share of --memory (bytes); 0: no budget */
  char host[128];
} fl_batch_info_t;

/* ---- the memory of a batch (sim/batch/memory.c) ------------------------------------------------ */

/* The runs a batch of 'njobs' holds at once on 'threads' threads (<= 0: the cores available),
** and never fewer than 'at_least'. */
int fl_batch_at_once(int threads, int njobs, int at_least);
/* Shares a batch's --memory budget 'memory' (bytes for the whole command; 0: none, each run has
** run's default) among 'at_once' runs: *per_run = memory / at_once (0 without a budget), the
** budget each run loads with (fl_load_opts_t.memory), also set as m->memory. Returns 0 when a
** run of 'm' fits its share (fl_sim_plan); else -FL_ESCENARIO with "FILE:1: scenario: ..." in
** err: run's own message for one run at a time, else the budget all of them need and the -j
** (at least 'at_least') that fits this one. */
int fl_batch_memory(fl_model_t *m, double memory, int at_once, int at_least, double *per_run, char *err, size_t errlen);

/* ---- sweeps (sim/batch/sweep.c) ------------------------------------------------------------------- */

typedef struct fl_sweep_opts {
  const char *path;
  const char *const *sets;    /* "PATH=V1,V2,...": one axis each, the first varying slowest */
  int nsets;
  int reps;                   /* replications per grid point, >= 1 */
  bool has_seed; uint64_t seed;
  bool unsafe;
  int shard, nshards;         /* run only shard 'shard' (1-based) of 'nshards'; 0, 0: all */
  double memory;              /* --memory: bytes for the whole sweep, shared by the runs held at once; 0: none */
  int threads;                /* the threads fl_sweep_run will get (<= 0: the cores): the runs held at once */
} fl_sweep_opts_t;

typedef struct fl_axis { char *path; int nvalues; char **values; } fl_axis_t;

/* A sweep: its plan (what runs exist) and its results (summaries, or a shard's raw values).
** Run (grid point p, replication r) is job p * reps + r; shard I of N runs the jobs j with
** j % N == I - 1. */
typedef struct fl_sweep {
  char *file, *name;          /* the scenario's path as given, and its name */
  uint64_t seed;              /* base seed */
  int reps;
  bool unsafe;
  fl_axis_t *axes; int naxes;
  int npoints;
  uint64_t *seeds;            /* [reps] */
  fl_layout_t layout;
  int shard, nshards;
  double memory;              /* each run's budget (--memory / runs at once); 0: each run has run's default */
  int at_once;                /* the runs held at once: fl_sweep_run never runs more */
  bool complete;              /* every run of the sweep (or of the shard) done */
  /* results, unsharded or merged: a summary per (point, value) once all the point's reps are in */
  fl_ci_t *ci;                /* [point * nvalues + value] */
  int *got;                   /* [point] replications in so far */
  double **pending;           /* [point] -> [rep * nvalues + value] while replications are missing */
  unsigned char *seen;        /* [job] bitmap of runs in (merge: duplicates) */
  /* a shard's raw values, in job order */
  int njobs_shard;
  double *raw;                /* [local job * nvalues] */
  bool *raw_done;             /* [local job] */
  fl_batch_info_t run;
} fl_sweep_t;

/* Parses the axes, loads the scenario at the first grid point (and at each axis value once, to
** report bad values, and runs too big for their share of --memory, before any run), derives the
** seeds. Returns 0, or -FL_E* with a message. */
int fl_sweep_init(fl_sweep_t *sw, const fl_sweep_opts_t *o, char *err, size_t errlen);
void fl_sweep_release(fl_sweep_t *sw);

/* Runs the sweep's (or its shard's) runs. Returns 0; 1 when interrupted (the completed points
** are kept, sw->complete is false); or -FL_E* with a message. */
int fl_sweep_run(fl_sweep_t *sw, const fl_pool_opts_t *p, char *err, size_t errlen);

/* The "PATH=VALUE" assignments of grid point p, into buf: returns the number of axes. */
int fl_sweep_point_sets(const fl_sweep_t *sw, int p, const char **sets, char *buf, size_t n);
/* Summary of value v at point p, or NULL when the point is incomplete. */
const fl_ci_t *fl_sweep_ci(const fl_sweep_t *sw, int p, int v);

/* The sweep's result (or, for a shard, its partial result) as a new JSON tree. */
cJSON *fl_sweep_json(const fl_sweep_t *sw);
/* Long-format CSV: one row per (grid point, subject, metric). Returns 0 or -FL_EIO. */
int fl_sweep_write_csv(const fl_sweep_t *sw, const char *path, char *err, size_t errlen);
/* The terminal table. */
void fl_sweep_print(FILE *out, const fl_sweep_t *sw);

/* Fills 'sw' (release with fl_sweep_release, also on failure) with the unsharded result rebuilt
** from the partial results of every shard, in any order: the same summaries, bit for bit, as the
** unsharded sweep. Borrows 'parts'. Returns 0, or -FL_EINVAL with a message (parts of different
** sweeps or faultline versions, a shard missing, given twice or interrupted). */
int fl_sweep_merge(fl_sweep_t *sw, cJSON *const *parts, int nparts, char *err, size_t errlen);

/* How many runs failed at least one expectation: 0 means every expectation held everywhere. */
int fl_sweep_failed_runs(const fl_sweep_t *sw);

/* ---- comparisons (sim/batch/compare.c) ------------------------------------------------------------ */

typedef struct fl_compare_opts {
  const char *a, *b;          /* the two scenarios; b NULL: A again (then sets_a or sets_b make the difference) */
  const char *const *sets; int nsets;   /* --set overrides applied to both */
  const char *const *sets_a; int nsets_a;   /* --set-a: applied to A only, after 'sets' */
  const char *const *sets_b; int nsets_b;   /* --set-b: applied to B only, after 'sets' */
  int reps;
  bool has_seed; uint64_t seed;
  bool unsafe;
  bool independent;           /* B gets its own seeds: no common random numbers (for measuring CRN) */
  double memory;              /* --memory: bytes for the whole comparison, shared by the runs held at once; 0: none */
  int threads;                /* the threads fl_compare_run will get (<= 0: the cores) */
} fl_compare_opts_t;

typedef struct fl_compare {
  fl_compare_opts_t o;        /* o.b is A's path when B was not given */
  char *name[2];
  const char **vsets[2]; int nvsets[2];   /* each variant's --set list: the shared ones, then its own */
  uint64_t seed;
  uint64_t *seeds[2];         /* [reps] each; equal unless independent */
  fl_layout_t layout[2];
  double *values[2];          /* [rep * nvalues] */
  bool *done[2];              /* [rep] */
  double memory;              /* each run's budget (--memory / runs at once); 0: each run has run's default */
  int at_once;                /* the runs held at once (at least the pair fl_compare_replay's caller draws) */
  bool complete;
  fl_batch_info_t run;
} fl_compare_t;

int fl_compare_init(fl_compare_t *c, const fl_compare_opts_t *o, char *err, size_t errlen);
void fl_compare_release(fl_compare_t *c);
/* Runs both variants' replications. Returns 0, 1 when interrupted, or -FL_E*. */
int fl_compare_run(fl_compare_t *c, const fl_pool_opts_t *p, char *err, size_t errlen);
/* The difference B - A of a metric found in both: paired over replications (CRN), or Welch's
** interval when independent. Returns false when the subject is missing from one side. */
bool fl_compare_diff(const fl_compare_t *c, int va, int vb, fl_ci_t *a, fl_ci_t *b, fl_ci_t *diff);
cJSON *fl_compare_json(const fl_compare_t *c);
void fl_compare_print(FILE *out, const fl_compare_t *c);
/* Expectations held in every replication of A but not of B: a regression (exit 1). */
int fl_compare_regressions(const fl_compare_t *c);
/* Runs replication 'rep' of variant v (0 A, 1 B) again, whole, into 'r' (its seed and --set
** list and share of --memory, as the comparison ran it: with common random numbers both variants
** see the same arrivals), its expectations checked: the per-window views of `compare --html`. Returns 0;
** 1 when stopped early (r->s.stop); or -FL_E* with a message, and then 'r' holds nothing.
** Release 'r' with fl_run_release. */
typedef struct fl_run fl_run_t;
int fl_compare_replay(const fl_compare_t *c, int v, int rep, fl_run_t *r, char *err, size_t errlen);

/* ---- the thread pool (sim/batch/pool.c) ----------------------------------------------------------- */

/* Runs jobs 0..njobs-1, started in that order, on o->threads threads. job() runs on a worker
** (worker index in [0, threads)); done() runs under the pool's lock after each successful job.
** Returns 0; 1 when interrupted; or the first negative code a job returned (no new jobs start
** after it). */
typedef int (*fl_pool_job_fn)(void *ctx, int job, int worker, fl_run_ctl_t *ctl);
typedef void (*fl_pool_done_fn)(void *ctx, int job, int worker);
int fl_pool_run(int njobs, const fl_pool_opts_t *o, fl_pool_job_fn job, fl_pool_done_fn done, void *ctx,
                fl_batch_info_t *info);
/* Threads used for o->threads <= 0: the cores this process may use. */
int fl_pool_default_threads(void);

#endif
