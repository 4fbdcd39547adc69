/* One run of a scenario, "load, run, check": the scenario loaded with its seed and --set
** overrides, the simulation built on it, run whole or in slices of simulated time, its
** expectations checked, its results read from r->m and r->s. Used by `run`, the replications
** of sweep, compare and size, and the tests; a live loop runs it in slices (fl_run_until).
**
**   fl_run_t r;
**   if (fl_run_load(&r, path, &opts, err, sizeof err) != 0) { ...; return; }   // nothing to release
**   int rc = fl_run_all(&r);            // 0 ran to the end, 1 stopped, -FL_ESCENARIO a hook failed
**   int failed = fl_run_check(&r);      // expectations that failed
**   ... r.s.svc[i].st, r.m->services[i] ...
**   fl_run_release(&r);
**
** fl_run_release is safe on every path: after a failed load, twice, or on a zeroed fl_run_t. */
#ifndef FAULTLINE_RUN_H
#define FAULTLINE_RUN_H

#include "scenario.h"
#include "sim.h"

typedef struct fl_run {
  fl_model_t *m;              /* the loaded model (owned); NULL when nothing is loaded */
  fl_sim_t s;                 /* the simulation on m (owned); valid while m is set */
  int failed;                 /* expectations that failed (fl_run_check); -1 before the check */
  double wall_seconds;        /* wall-clock time spent in fl_run_until / fl_run_all so far */
} fl_run_t;

/* Loads the scenario at 'path' with 'opts' (NULL: defaults) and builds its simulation, not
** started. Returns 0; or -FL_ESCENARIO / -FL_EIO (the scenario did not load) or -FL_EINTERNAL
** (the simulation could not be built) with a message in err, and then 'r' holds nothing. */
int fl_run_load(fl_run_t *r, const char *path, const fl_load_opts_t *opts, char *err, size_t errlen);

/* Runs until simulated time 't' (capped at the scenario's end), or until r->s.stop is set.
** Returns 0 when there is more to run, 1 when the run is over (r->s.complete says whether it
** reached the end), or -FL_ESCENARIO when a hook failed (the message is r->s.error). */
int fl_run_until(fl_run_t *r, fl_time_t t);

/* Runs to the end: 0 complete, 1 stopped early (r->s.stop), -FL_ESCENARIO a hook failed. */
int fl_run_all(fl_run_t *r);

/* Evaluates the expectations (once the run is over). Returns how many failed (also r->failed). */
int fl_run_check(fl_run_t *r);

/* Frees the simulation and the model; 'r' is then empty. */
void fl_run_release(fl_run_t *r);


/* For the "run" object of outputs: a monotonic wall clock in seconds, and this machine's name
** ("unknown" when it has none). */
double fl_run_clock(void);
void fl_run_host(char *buf, size_t n);

#endif
