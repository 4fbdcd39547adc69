/* What one run of a batch yields: the layout of its value vector (per journey success ratio, p99
** and mean latency; per service peak and mean utilisation; per expectation held; all held), and
** that vector taken from one replication, loaded, run and checked through fl_run_t. */
#include "faultline/analysis.h"
#include "faultline/run.h"
#include "faultline/sweep.h"

#include <stdlib.h>
#include <string.h>

static const char *const journey_metrics[FL_JM__COUNT] = { "success_ratio", "p99", "latency_mean" };
static const char *const service_metrics[FL_SM__COUNT] = { "peak_utilization", "utilization" };

const char *fl_journey_metric_name(int k) { return k >= 0 && k < FL_JM__COUNT ? journey_metrics[k] : "?"; }
const char *fl_service_metric_name(int k) { return k >= 0 && k < FL_SM__COUNT ? service_metrics[k] : "?"; }

static void layout_size(fl_layout_t *l, int nj, int ns, int nx) {
  l->njourneys = nj; l->nservices = ns; l->nexpects = nx;
  l->journeys = fl_xcalloc((size_t)nj + 1, sizeof *l->journeys);
  l->services = fl_xcalloc((size_t)ns + 1, sizeof *l->services);
  l->expects = fl_xcalloc((size_t)nx + 1, sizeof *l->expects);
  l->nvalues = fl_layout_all_held(l) + 1;
}

void fl_layout_init(fl_layout_t *l, const fl_model_t *m) {
  layout_size(l, m->njourneys, m->nservices, m->nexpects);
  for (int j = 0; j < m->njourneys; j++) l->journeys[j] = fl_xstrdup(m->journeys[j].name);
  for (int i = 0; i < m->nservices; i++) l->services[i] = fl_xstrdup(m->services[i].name);
  for (int x = 0; x < m->nexpects; x++) l->expects[x] = fl_xstrdup(m->expects[x].name);
}

void fl_layout_release(fl_layout_t *l) {
  for (int j = 0; l->journeys && j < l->njourneys; j++) free(l->journeys[j]);
  for (int i = 0; l->services && i < l->nservices; i++) free(l->services[i]);
  for (int x = 0; l->expects && x < l->nexpects; x++) free(l->expects[x]);
  free(l->journeys); free(l->services); free(l->expects);
  memset(l, 0, sizeof *l);
}

bool fl_layout_matches(const fl_layout_t *l, const fl_model_t *m) {
  if (l->njourneys != m->njourneys || l->nservices != m->nservices || l->nexpects != m->nexpects) return false;
  for (int j = 0; j < m->njourneys; j++) if (strcmp(l->journeys[j], m->journeys[j].name) != 0) return false;
  for (int i = 0; i < m->nservices; i++) if (strcmp(l->services[i], m->services[i].name) != 0) return false;
  for (int x = 0; x < m->nexpects; x++) if (strcmp(l->expects[x], m->expects[x].name) != 0) return false;
  return true;
}

/* ---- one replication ---------------------------------------------------------------------- */

static void on_window_ctl(fl_sim_t *s, uint32_t w, void *user) {
  fl_run_ctl_t *ctl = user;
  (void)w;
  atomic_store(&ctl->permille, s->end > 0 ? (unsigned)(1000.0 * (double)s->eng.now / (double)s->end) : 1000u);
  if (ctl->stop && atomic_load(ctl->stop)) s->stop = 1;
}


int fl_run_values(const char *path, const fl_load_opts_t *opts, const fl_layout_t *l, double *out,
                  fl_run_ctl_t *ctl, char *err, size_t errlen) {
  fl_run_t r;
  int rc = fl_run_load(&r, path, opts, err, errlen);
  if (rc) return rc;
  const fl_model_t *m = r.m;
  if (!fl_layout_matches(l, m)) {
    snprintf(err, errlen, "%s: with %s%s the journeys, services or expectations differ from the first run's",
             path, opts->nsets ? "--set " : "these settings", opts->nsets ? opts->sets[0] : "");
    fl_run_release(&r);
    return -FL_EINVAL;
  }
  if (ctl) { r.s.on_window = on_window_ctl; r.s.on_window_user = ctl; }
  rc = fl_run_all(&r);
  if (rc < 0) {   /* a hook failed: a scenario error, whichever run it happened in */
    snprintf(err, errlen, "%s (seed %llu%s%s)", r.s.error, (unsigned long long)m->seed, opts->nsets ? ", --set " : "",
             opts->nsets ? opts->sets[0] : "");
    fl_run_release(&r);
    return -FL_ESCENARIO;
  }
  if (rc == 1) { fl_run_release(&r); return 1; }
  int failed = fl_run_check(&r);
  for (int j = 0; j < m->njourneys; j++) {
    const fl_stats_t *st = &r.s.jrn[j].st;
    const fl_counts_t *c = &st->total;
    out[fl_layout_journey(l, j, FL_JM_SUCCESS)] = fl_metrics_success_ratio(c);
    out[fl_layout_journey(l, j, FL_JM_P99)] = fl_time_to_sec(fl_hist_quantile(st->htotal, 0.99));
    out[fl_layout_journey(l, j, FL_JM_MEAN)] = fl_hist_mean(st->htotal) / 1e9;
  }
  for (int i = 0; i < m->nservices; i++) {
    out[fl_layout_service(l, i, FL_SM_PEAK_UTIL)] = fl_metrics_peak_utilization(&r.s, i);
    out[fl_layout_service(l, i, FL_SM_UTIL)] = fl_metrics_utilization(&r.s, i);
  }
  for (int x = 0; x < m->nexpects; x++) out[fl_layout_expect(l, x)] = r.s.exp[x].passed ? 1 : 0;
  out[fl_layout_all_held(l)] = failed ? 0 : 1;
  if (ctl) ctl->events = r.s.eng.dispatched;
  fl_run_release(&r);
  return 0;
}
