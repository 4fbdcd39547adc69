/* Capacity sizing (`faultline size`): for each service, the smallest instance count (or workers
** per instance, or an autoscaled service's autoscale.max) for which every expectation holds in
** every one of R replications, found by search over whole simulations, and how sure that is: R
** of R replications holding bound the probability that a run holds every expectation from
** below, P(pass) >= (1 - C)^(1/R) at confidence C (exact one-sided Clopper-Pearson bound).
**
** Replications. Replication r (0-based) of every candidate runs with seed S + r, S being --seed
** or the scenario's seed: common random numbers, so two candidates differ only by their sizes,
** and `faultline run --seed S+r --set ...` replays any of them exactly. A candidate passes when
** every expectation holds in all R replications; replications run in order and a candidate
** stops at its first failing one.
**
** Search. (1) The scenario's sizes are tried; while they fail, every sized service is doubled
** (up to its cap) until they pass. (2) Coordinate descent from that passing point, callees
** before callers: each service in turn is brought down with the others held — steps of 1, 2,
** 4, ... below its value until one fails, then a binary search between the failing and the
** passing value — and rounds repeat until a whole round changes nothing. The answer is then
** minimal one service at a time: each service at one fewer fails (the expectation that fails
** there is the one that binds), unless it is at its floor. Every configuration is simulated
** at most once (results are kept), and the number of simulations never exceeds the budget.
**
** A run that fails with a scenario error at a candidate (a hook's sim:scale beyond what the
** service can hold at that size, say) fails the candidate; at the scenario's own sizes it is an
** error of the scenario.
**
** The result does not depend on the number of threads: replications of a candidate run in
** parallel, but a candidate's outcome, its cost in simulations and what failed are those of
** the first failing replication in order. */
#ifndef FAULTLINE_SIZE_H
#define FAULTLINE_SIZE_H

#include <signal.h>
#include <stdio.h>
#include "scenario.h"
#include "sweep.h"

typedef struct cJSON cJSON;

typedef enum { FL_SIZE_INSTANCES = 0, FL_SIZE_WORKERS } fl_size_vary_t;

typedef enum {
  FL_SIZE_CONVERGED = 0,   /* a round changed nothing: each service at one fewer fails */
  FL_SIZE_BUDGET,          /* the next evaluation would exceed the budget */
  FL_SIZE_INFEASIBLE,      /* the expectations fail even with every sized service at its cap */
  FL_SIZE_INTERRUPTED,     /* SIGINT / SIGTERM */
} fl_size_stop_t;

typedef struct fl_size_opts {
  const char *path;
  const char *const *sets; int nsets;         /* fixed --set overrides, applied first */
  const char *const *services; int nservices; /* the services to size; none: all */
  fl_size_vary_t vary;
  int reps;                   /* replications per candidate, >= 1 */
  double confidence;          /* level of the statement P(pass) >= bound, in (0, 1); 0: 0.95 */
  int budget;                 /* most simulations, >= reps */
  int max;                    /* cap on every sized value; 0: max(64, 8 x the scenario's value) */
  bool has_seed; uint64_t seed;
  bool unsafe;
  int threads;                /* <= 0: the cores available */
  double memory;              /* --memory: bytes for the whole search, shared by a candidate's replications
                              ** (they run at once); 0: none, each run has run's default */
  volatile sig_atomic_t *interrupted;
  /* Called before each evaluation (from the calling thread), e.g. for a progress line. */
  void (*progress)(void *user, const char *what, int sims, int budget);
  void *progress_user;
} fl_size_opts_t;

/* One sized service. */
typedef struct fl_size_svc {
  char *name;
  int service;                /* index in the model */
  const char *field;          /* "instances", "workers" or "autoscale.max" */
  int initial, value;         /* the scenario's value; the answer */
  int floor, cap;             /* the search's bounds */
  bool minimal;               /* value - 1 was simulated at the final sizes and failed, or value == floor */
  double peak;                /* at the answer: max over replications and measured windows of busy / (instances x workers) */
  int binding;                /* the expectation failing at value - 1 (the first one failing there), or -1 */
  char *binding_observed;     /* what it observed there, e.g. "p99 412ms" (NULL when binding < 0) */
  char *binding_error;        /* or: the run failed there (a hook's error, e.g. sim:scale beyond what
                              ** the service can hold), NULL otherwise */
  bool *binds;                /* [nexpects]: every expectation failing at value - 1 */
} fl_size_svc_t;

/* One evaluated candidate: sizes of every sized service, in order of z->svc. */
typedef struct fl_size_eval {
  int *values;
  bool passed;
  int sims;                   /* simulations it cost: R when passed, else first failing replication + 1 */
  int fail_rep;               /* the first failing replication, or -1 */
  bool *failed;               /* [nexpects]: failing in fail_rep */
  char **observed;            /* [nexpects]: observed text of those failing, else NULL */
  char *error;                /* fail_rep stopped with a scenario error (a hook failed at these sizes), or NULL */
  double *peak;               /* [nsvc]: peak utilisation, max over the replications run */
  int round;                  /* 0: the scenario and its doublings; k >= 1: descent round k */
  int focus;                  /* the service being sized (index into svc), or -1 */
} fl_size_eval_t;

typedef struct fl_size {
  fl_size_opts_t o;
  char *file, *name;
  uint64_t seed;              /* base seed: replication r runs with seed + r */
  double memory;              /* each run's budget (--memory / replications at once); 0: run's default */
  int nexpects; char **expects;
  fl_size_svc_t *svc; int nsvc;
  int *order;                 /* [nsvc]: the order services are sized in (callees first) */
  fl_size_eval_t *evals; int nevals, evals_cap;
  int *current;               /* [nsvc]: the best passing sizes so far (the answer) */
  bool found;                 /* a configuration where every expectation held */
  int sims;                   /* simulations counted against the budget */
  int rounds;                 /* descent rounds begun */
  fl_size_stop_t stopped;
  char reason[512];
  double confidence;          /* the level of pass_lower (o.confidence, or 0.95) */
  double pass_lower;          /* when found: P(every expectation holds) >= this at 'confidence', from all R of R
                              ** replications holding (one-sided Clopper-Pearson: (1 - confidence)^(1/R)); else NaN */
  fl_batch_info_t run;        /* wall-clock facts; runs = simulations actually run (parallel ones included) */
} fl_size_t;

/* Loads the scenario once to learn its services and expectations; checks the options.
** Returns 0, or -FL_E* with a message (release with fl_size_release either way). */
int fl_size_init(fl_size_t *z, const fl_size_opts_t *o, char *err, size_t errlen);
/* Runs the search. Returns 0 (see z->stopped), or -FL_E* with a message (a scenario error at
** some candidate, a hook that failed). */
int fl_size_run(fl_size_t *z, char *err, size_t errlen);
void fl_size_release(fl_size_t *z);

/* The "--set" assignment of service k's answer, e.g. "recommend.instances=6". */
void fl_size_assignment(const fl_size_t *z, int k, char *buf, size_t n);
/* The result as a new JSON tree. */
cJSON *fl_size_json(const fl_size_t *z);
/* The terminal table and the verdict. */
void fl_size_print(FILE *out, const fl_size_t *z);
const char *fl_size_stop_name(fl_size_stop_t s);   /* "converged", "budget", "infeasible", "interrupted" */

#endif
