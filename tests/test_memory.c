/* Memory bounded by a budget (sim/run/series.c): a long run under a small --memory keeps its
** series within the bound at every window, its consolidated entries add up to the totals, every
** entry is the merge of the windows a dense run of the same scenario and seed stored (the other
** view of the same run), and health, timeline, cascades and expectations are the same whether
** the series consolidate or not. A normal run stays dense: one entry per window.
**
** The scenario: gw calls a and b in parallel, b calls c; 20 arrivals a second for 4000 s at 1 s
** windows; b crashes for 300 s and c fails half its requests for 200 s. The small budget leaves
** room for 300 entries of every series (284 consolidated plus a ring of 16), so the 4000
** windows end as 250 entries of 16 windows. */
#define CHECK_MAIN
#include "check.h"

#include <math.h>

#include "faultline/analysis.h"
#include "faultline/scenario.h"
#include "faultline/sim.h"

#define FIXTURE_NAME "memory"
#include "fixture.h"

static const char scenario[] =
  "scenario { name = 'memory', duration = '4000s', window = '1s', seed = 3 }\n"
  "service 'gw' { workers = 16, queue = 100, blocking = false, work = exp '2ms', calls = { parallel { call 'a', call 'b' } } }\n"
  "service 'a' { workers = 8, queue = 100, work = exp '3ms' }\n"
  "service 'b' { instances = 2, workers = 8, queue = 100, work = exp '4ms', calls = { call 'c' } }\n"
  "service 'c' { workers = 8, queue = 100, work = exp '2ms' }\n"
  "traffic { rate = 20, mix = { gw = 1 } }\n"
  "fault { name = 'b-down', target = 'b', kind = 'crash', at = 1000, duration = 300 }\n"
  "fault { name = 'c-errors', target = 'c', kind = 'errors', rate = 0.5, at = 2500, duration = 200 }\n"
  "expect 'gw holds during the crash' { journey = 'gw', success_rate = '>= 99%', during = 'fault:b-down' }\n"
  "expect 'steady p99' { journey = 'gw', p99 = '< 50ms', during = 'steady' }\n"
  "expect 'late range' { service = 'c', success_rate = '>= 99%', during = { '3000s', '3500s' } }\n";

/* Room for 'entries' entries of every series above what the run keeps anyway. */
static double budget_for(const char *path, int entries) {
  fl_model_t *m = NULL;
  char err[1024];
  if (fl_scenario_load(path, NULL, &m, err, sizeof err) != 0) { CHECK_FAIL_("%s", err); return 0; }
  fl_stats_plan_t p;
  fl_sim_plan(m, &p);
  fl_model_free(m);
  return p.base_bytes + p.hist_bytes + entries * p.values * sizeof(double);
}

typedef struct { size_t most; uint32_t windows; } watch_t;

static void on_window(fl_sim_t *s, uint32_t w, void *user) {
  watch_t *x = user;
  (void)w;
  if (fl_sim_series_bytes(s) > x->most) x->most = fl_sim_series_bytes(s);
  x->windows++;
}

/* Both runs: dense (a budget that fits every window) and consolidated (room for 300 entries). */
static bool run_both(run_t *dense, run_t *cons, watch_t *wd, watch_t *wc, double *small) {
  const char *path = put("m.lua", scenario);
  fl_load_opts_t od = { .memory = 1024.0 * 1024 * 1024 }, oc = { .memory = budget_for(path, 300) };
  *small = oc.memory;
  if (!start_opts(dense, path, &od)) return false;
  if (!start_opts(cons, path, &oc)) { run_free(dense); return false; }
  dense->s.on_window = on_window; dense->s.on_window_user = wd;
  cons->s.on_window = on_window; cons->s.on_window_user = wc;
  finish(dense);
  finish(cons);
  return true;
}

TEST(a_long_run_with_a_small_budget_keeps_its_series_within_the_bound) {
  run_t d, c;
  watch_t wd = { 0, 0 }, wc = { 0, 0 };
  double budget;
  if (!run_both(&d, &c, &wd, &wc, &budget)) return;
  fl_stats_plan_t p;
  fl_sim_plan(c.m, &p);
  note("plan: %u windows, %u entries, ring %u, width %u; series %.0f B, at most %zu B while running, %zu B dense",
       p.windows, p.entries, p.ring, p.width, p.series_bytes, wc.most, fl_sim_series_bytes(&d.s));
  CHECK_EQ_INT(p.ring, 16);
  CHECK_EQ_INT(p.entries, 284);
  CHECK_EQ_INT(p.width, 16);
  CHECK_EQ_INT(wc.windows, 4000);
  CHECK(wc.most > 0);
  CHECK_MSG((double)wc.most <= budget - p.base_bytes - p.hist_bytes, "series %zu B past the room of %.0f B", wc.most,
            budget - p.base_bytes - p.hist_bytes);
  CHECK_MSG((double)wc.most == p.series_bytes, "allocated %zu B, planned %.0f B", wc.most, p.series_bytes);
  CHECK(fl_sim_series_bytes(&c.s) < wc.most);   /* the ring is gone once the run is over */
  CHECK_MSG(fl_sim_series_bytes(&d.s) > 10 * wc.most, "dense %zu B, consolidated %zu B", fl_sim_series_bytes(&d.s), wc.most);
  CHECK(fl_sim_consolidated(&c.s));
  CHECK(!fl_sim_consolidated(&d.s));
  CHECK_EQ_INT(fl_sim_entries(&c.s), 250);
  CHECK_EQ_INT(fl_sim_entries(&d.s), 4000);
  CHECK_NEAR(fl_sim_entry_t(&c.s, 10), 160, 1e-9);
  CHECK_NEAR(fl_sim_entry_width(&c.s, 249), 16, 1e-9);
  run_free(&d); run_free(&c);
}

/* Entry e of the consolidated run against windows [16e, 16e + 16) of the dense one. */
static void same_merge(const fl_stats_t *ds, const fl_stats_t *cs, int nseries, const char *who) {
  int bad = 0;
  for (uint32_t e = 0; e < 250 && bad < 3; e++) {
    uint32_t w0 = 16 * e;
    for (int k = 0; k < nseries; k++) {
      double want = 0, ans = 0;
      for (uint32_t w = w0; w < w0 + 16; w++) {
        double v = ds->series[k][w], a = ds->series[FL_SER_SUCCESSES][w] + ds->series[FL_SER_DEGRADED][w];
        switch (k) {
        case FL_SER_P99: case FL_SER_HEALTH: case FL_SER_LAG: case FL_SER_LAG_AGE: want = w == w0 || v > want ? v : want; break;
        case FL_SER_BUSY: case FL_SER_QUEUE: case FL_SER_INSTANCES: case FL_SER_UTILIZATION: want += v / 16; break;
        case FL_SER_P50: want += v * a; ans += a; break;
        default: want += v; break;
        }
      }
      if (k == FL_SER_P50) want = ans > 0 ? want / ans : 0;
      double got = cs->series[k][e];
      bool exact = k != FL_SER_P50 && k != FL_SER_BUSY && k != FL_SER_QUEUE && k != FL_SER_INSTANCES && k != FL_SER_UTILIZATION;
      if (exact ? got != want : fabs(got - want) > 1e-9 * (1 + fabs(want))) {
        CHECK_FAIL_("%s entry %u %s: %.17g, the dense run's windows give %.17g", who, e, fl_series_name((fl_series_t)k), got, want);
        bad++;
      }
    }
    for (int k = 1; k < FL_CAUSE__COUNT; k++) {
      double want = 0;
      for (uint32_t w = w0; w < w0 + 16; w++) want += ds->cause_series[k][w];
      if (cs->cause_series[k][e] != want) { CHECK_FAIL_("%s entry %u cause %d: %g, want %g", who, e, k, cs->cause_series[k][e], want); bad++; }
    }
  }
}

TEST(consolidated_series_add_up_to_the_totals_and_merge_the_dense_windows) {
  run_t d, c;
  watch_t wd = { 0, 0 }, wc = { 0, 0 };
  double budget;
  if (!run_both(&d, &c, &wd, &wc, &budget)) return;
  const fl_model_t *m = c.m;
  uint32_t ne = fl_sim_entries(&c.s);
  for (int i = 0; i < m->nservices; i++) {
    const fl_stats_t *st = &c.s.svc[i].st;
    double a = 0, ok = 0, f = 0, dg = 0;
    for (uint32_t e = 0; e < ne; e++) {
      a += st->series[FL_SER_ARRIVALS][e]; ok += st->series[FL_SER_SUCCESSES][e];
      f += st->series[FL_SER_FAILURES][e]; dg += st->series[FL_SER_DEGRADED][e];
    }
    note("%s: %.0f arrivals, %.0f successes, %.0f failures", m->services[i].name, a, ok, f);
    CHECK(a > 0);
    CHECK_EQ_INT(a, st->total.arrivals);
    CHECK_EQ_INT(ok, st->total.successes);
    CHECK_EQ_INT(f, st->total.failures);
    CHECK_EQ_INT(dg, st->total.degraded);
    same_merge(&d.s.svc[i].st, st, FL_SER__COUNT, m->services[i].name);
    const fl_svc_rt_t *rd = &d.s.svc[i], *rc = &c.s.svc[i];
    for (int x = 0; x < rc->ncallees; x++) {
      double dc = 0, cc = 0, dfl = 0, cf = 0;
      for (uint32_t w = 0; w < 4000; w++) { dc += rd->edge_calls[(size_t)x * d.s.stride + w]; dfl += rd->edge_fails[(size_t)x * d.s.stride + w]; }
      for (uint32_t e = 0; e < ne; e++) { cc += rc->edge_calls[(size_t)x * c.s.stride + e]; cf += rc->edge_fails[(size_t)x * c.s.stride + e]; }
      CHECK(dc > 0);
      CHECK_EQ_INT(cc, dc);
      CHECK_EQ_INT(cf, dfl);
    }
  }
  CHECK(c.s.svc[svc_id(&c, "c")].st.total.failures > 1000);   /* the error fault shows */
  const fl_stats_t *j = &c.s.jrn[0].st;
  double ja = 0;
  for (uint32_t e = 0; e < ne; e++) ja += j->series[FL_SER_ARRIVALS][e];
  CHECK_EQ_INT(ja, j->total.arrivals);
  same_merge(&d.s.jrn[0].st, j, FL_SER_JOURNEY_COUNT, "journey gw");
  run_free(&d); run_free(&c);
}

TEST(health_timeline_cascades_and_expectations_are_the_same_consolidated_or_not) {
  run_t d, c;
  watch_t wd = { 0, 0 }, wc = { 0, 0 };
  double budget;
  if (!run_both(&d, &c, &wd, &wc, &budget)) return;
  note("%d health changes, %d of %d expectations failed", d.s.nchanges, d.failed, d.m->nexpects);
  CHECK(d.s.nchanges >= 4);
  CHECK_EQ_INT(c.s.nchanges, d.s.nchanges);
  for (int i = 0; i < d.s.nchanges && i < c.s.nchanges; i++) {
    const fl_change_t *x = &d.s.changes[i], *y = &c.s.changes[i];
    CHECK_MSG(x->t == y->t && x->service == y->service && x->journey == y->journey && x->from == y->from && x->to == y->to &&
              x->fault == y->fault && x->via == y->via && x->parent == y->parent && strcmp(x->reason, y->reason) == 0,
              "change %d: %s vs %s", i, x->reason, y->reason);
  }
  CHECK_EQ_INT(c.failed, d.failed);
  for (int x = 0; x < d.m->nexpects; x++) {
    const fl_exp_rt_t *a = &d.s.exp[x], *b = &c.s.exp[x];
    CHECK_MSG(a->passed == b->passed && a->windows == b->windows && a->success_rate == b->success_rate && a->p99 == b->p99 &&
              a->p50 == b->p50 && a->secs == b->secs && a->util_sum == b->util_sum && a->acc.c.arrivals == b->acc.c.arrivals,
              "expectation %d differs", x);
  }
  fl_cascade_t ca, cb;
  fl_cascade_init(&ca, &d.s);
  fl_cascade_init(&cb, &c.s);
  for (int f = 0; f < d.m->nfaults; f++) {
    const fl_fault_cascade_t *x = &ca.fault[f], *y = &cb.fault[f];
    CHECK_EQ_INT(y->nhits, x->nhits);
    CHECK(x->nhits > 0);
    for (int h = 0; h < x->nhits && h < y->nhits; h++) CHECK_EQ_INT(y->hits[h].change, x->hits[h].change);
  }
  fl_cascade_release(&ca);
  fl_cascade_release(&cb);
  for (int i = 0; i < d.m->nservices; i++) {
    fl_live_stats_t a, b;
    CHECK(d.s.svc[i].peak_util == c.s.svc[i].peak_util);
    fl_sim_service_stats(&d.s, i, &a);
    CHECK_EQ_INT(a.health, d.s.svc[i].health);
    fl_sim_service_stats(&c.s, i, &b);
    CHECK_EQ_INT(b.health, a.health);
  }
  run_free(&d); run_free(&c);
}

/* Without --memory, a run within FL_SERIES_DEFAULT windows keeps every one (the golden reports
** stay byte-identical: tests/cli_golden.sh); past it, it consolidates to at most that many. */
TEST(a_normal_run_stays_dense_and_a_week_at_one_second_consolidates_by_default) {
  fl_model_t *m = NULL;
  char err[1024];
  const char *path = putf("w.lua", "%s", scenario);
  CHECK(fl_scenario_load(path, NULL, &m, err, sizeof err) == 0);
  if (!m) return;
  fl_stats_plan_t p;
  fl_sim_plan(m, &p);
  CHECK_EQ_INT(p.ring, 0);
  CHECK_EQ_INT(p.entries, 4000);
  CHECK_EQ_INT(p.width, 1);
  m->duration = 7 * 86400;
  fl_sim_plan(m, &p);
  CHECK_EQ_INT(p.windows, 604800);
  CHECK(p.ring > 0);
  CHECK(p.entries <= FL_SERIES_DEFAULT);
  CHECK_EQ_INT(p.width, 16);
  fl_model_free(m);
  run_t r;
  if (!run_text(&r, "n.lua", "scenario { duration = '600s', window = '5s' }\nservice 's' { work = exp '10ms' }\n"
                               "traffic { rate = 5, mix = { s = 1 } }\n")) return;
  CHECK_EQ_INT(r.s.ring, 0);
  CHECK(!fl_sim_consolidated(&r.s));
  CHECK_EQ_INT(fl_sim_entries(&r.s), 120);
  CHECK_NEAR(fl_sim_entry_t(&r.s, 7), 35, 1e-12);
  run_free(&r);
}

/* No window in the scenario: 1 s up to FL_DEFAULT_WINDOWS of them, then the first step that keeps
** the run within. */
TEST(the_default_window_follows_the_duration) {
  CHECK(fl_model_default_window(3600) == 1);
  CHECK(fl_model_default_window(200000) == 1);
  CHECK(fl_model_default_window(262144) == 1);
  CHECK(fl_model_default_window(262145) == 2);
  CHECK(fl_model_default_window(7 * 86400) == 5);
  CHECK(fl_model_default_window(365 * 86400) == 300);
  CHECK(fl_model_default_window(1e9) == 7200);
  fl_model_t *m = NULL;
  char err[1024];
  const char *path = put("d.lua", "scenario { duration = '7d' }\nservice 's' { work = '1ms' }\ntraffic { rate = 1, mix = { s = 1 } }\n");
  CHECK(fl_scenario_load(path, NULL, &m, err, sizeof err) == 0);
  if (m) { CHECK(m->window == 5); fl_model_free(m); }
  const char *sets[] = { "scenario.window=1s" };
  fl_load_opts_t o = { .sets = sets, .nsets = 1 };
  CHECK(fl_scenario_load(path, &o, &m, err, sizeof err) == 0);
  if (m) { CHECK(m->window == 1); fl_model_free(m); }
}

/* The invariant checker (sim/run/check.c) sees a ring that holds more than it can, and entries
** that do not cover the windows folded. */
TEST(the_invariant_checker_sees_broken_consolidation) {
  run_t r;
  const char *path = put("i.lua", scenario);
  fl_load_opts_t o = { .memory = budget_for(path, 300) };
  if (!start_opts(&r, path, &o)) return;
  CHECK_EQ_INT(fl_run_until(&r, fl_sec_to_time(1000)), 0);
  char why[256] = "";
  CHECK_EQ_INT(fl_sim_check_invariants(&r.s, why, sizeof why), 0);
  CHECK(r.s.folded > 0 && r.s.wdone - r.s.folded == r.s.ring);
  r.s.folded -= 1;
  CHECK_EQ_INT(fl_sim_check_invariants(&r.s, why, sizeof why), -FL_EINTERNAL);
  CHECK_MSG(strstr(why, "more than the ring of 16 held") != NULL, "%s", why);
  r.s.folded += 1;
  r.s.nentries += 1;
  CHECK_EQ_INT(fl_sim_check_invariants(&r.s, why, sizeof why), -FL_EINTERNAL);
  CHECK_MSG(strstr(why, "entries of") != NULL, "%s", why);
  r.s.nentries -= 1;
  CHECK_EQ_INT(fl_sim_check_invariants(&r.s, why, sizeof why), 0);
  run_free(&r);
}
