/* The memory budget of a batch command (sweep, compare, size): --memory bounds the whole
** command, so the runs it holds at once share it equally; each run is planned within its share
** by the same code as `run --memory` (fl_sim_plan, through fl_run_load), and a share too small
** for a run is refused before any run starts, naming the budget that fits. */
#include "faultline/sweep.h"

#include <math.h>
#include <stdio.h>

int fl_batch_at_once(int threads, int njobs, int at_least) {
  int n = threads > 0 ? threads : fl_pool_default_threads();
  if (n > njobs) n = njobs;
  return n > at_least ? n : at_least > 0 ? at_least : 1;
}

#define MB(x) ((x) / 1048576.0)

int fl_batch_memory(fl_model_t *m, double memory, int at_once, int at_least, double *per_run, char *err, size_t errlen) {
  *per_run = memory > 0 ? memory / at_once : 0;
  m->memory = *per_run;
  fl_stats_plan_t p;
  fl_sim_plan(m, &p);
  if (p.fits) return 0;
  if (memory <= 0 || at_once == 1) return fl_sim_plan_error(m, &p, err, errlen);   /* run's own message */
  double need = p.min_bytes + p.base_bytes, fit = floor(memory / need);
  int n = snprintf(err, errlen, "%s:1: scenario: %d runs at once need at least %.0f MB of memory, more than the --memory budget of "
                   "%.0f MB: each run needs at least %.1f MB and gets %.1f MB (`faultline check %s --memory %.0fMB` says what a run "
                   "keeps): give --memory %.0fMB or more", m->file, at_once, ceil(MB(at_once * need)), MB(memory), MB(need),
                   MB(*per_run), m->file, ceil(MB(need)), ceil(MB(at_once * need)));
  if (n >= 0 && (size_t)n < errlen && at_once > at_least) {   /* fewer at once: -j */
    if (fit >= at_least) snprintf(err + n, errlen - (size_t)n, ", or -j %.0f", fit);
    else snprintf(err + n, errlen - (size_t)n, " (%.0fMB with -j 1)", ceil(MB(at_least * need)));
  }
  return -FL_ESCENARIO;
}
