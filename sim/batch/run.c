/* One run of a scenario, "load, run, check" (include/faultline/run.h): the model and the
** simulation built on it, owned together and released together on every path; the wall clock
** and how a wall-clock span is written. */
#include "faultline/run.h"
#include "faultline/report.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

double fl_run_clock(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void fl_run_host(char *buf, size_t n) {
  memset(buf, 0, n);
  if (gethostname(buf, n - 1) != 0) snprintf(buf, n, "unknown");
}

int fl_run_load(fl_run_t *r, const char *path, const fl_load_opts_t *opts, char *err, size_t errlen) {
  memset(r, 0, sizeof *r);
  r->failed = -1;
  int rc = fl_scenario_load(path, opts, &r->m, err, errlen);
  if (rc) { r->m = NULL; return rc; }
  if (opts && opts->memory > 0) r->m->memory = opts->memory;
  fl_stats_plan_t plan;   /* within the memory budget, or refused before anything is allocated */
  fl_sim_plan(r->m, &plan);
  if (!plan.fits) {
    rc = fl_sim_plan_error(r->m, &plan, err, errlen);
    fl_model_free(r->m);
    r->m = NULL;
    return rc;
  }
  if (fl_sim_init(&r->s, r->m) != 0) {
    snprintf(err, errlen, "%s: cannot initialise the simulation", path);
    fl_model_free(r->m);
    r->m = NULL;
    return -FL_EINTERNAL;
  }
  if (r->m->nhooks || r->m->nmix_at) fl_report_model_watch(&r->s);   /* the report shows the model as it started, and each change */
  return 0;
}

int fl_run_until(fl_run_t *r, fl_time_t t) {
  FL_ASSERT(r->m);
  double t0 = fl_run_clock();
  bool more = fl_sim_run_until(&r->s, t);
  r->wall_seconds += fl_run_clock() - t0;
  if (r->s.error[0]) return -FL_ESCENARIO;
  return more ? 0 : 1;
}

int fl_run_all(fl_run_t *r) {
  FL_ASSERT(r->m);
  int rc = fl_run_until(r, r->s.end);
  fl_sim_finish(&r->s);
  return rc < 0 ? rc : r->s.complete ? 0 : 1;
}

int fl_run_check(fl_run_t *r) {
  FL_ASSERT(r->m);
  return r->failed = fl_sim_check_expectations(&r->s);
}

void fl_run_release(fl_run_t *r) {
  if (r->m) {
    fl_sim_release(&r->s);
    fl_model_free(r->m);
  }
  memset(r, 0, sizeof *r);
  r->failed = -1;
}

