/* The memory budget of the batch commands (sim/batch/memory.c): --memory is the whole command's,
** shared equally by the runs held at once (the fewer of the threads and the runs; compare at
** least a pair), each run planned within its share by run's own planning (fl_sim_plan): a share of
** exactly what a run needs fits and one byte less is refused, naming the budget that fits; one
** run at a time is refused with run's own message; a comparison's replayed run is the run that
** `run --memory SHARE` builds (the same plan, consolidated the same way); sweep, compare and
** size compute the share from their threads and runs before any run. */
#define CHECK_MAIN
#include "check.h"

#include <math.h>

#include "faultline/run.h"
#include "faultline/size.h"
#include "faultline/sweep.h"

#define FIXTURE_NAME "batch_memory"
#include "fixture.h"

/* 4000 one-second windows: a budget a little above a run's least consolidates its series */
static const char scenario[] =
  "scenario { name = 'batch', duration = '4000s', window = '1s', seed = 11 }\n"
  "service 'api' { workers = 4, queue = 50, work = exp '20ms', calls = { call 'db' } }\n"
  "service 'db' { instances = 2, workers = 4, queue = 50, work = exp '10ms' }\n"
  "traffic { rate = 5, mix = { api = 1 } }\n"
  "expect 'api answers' { journey = 'api', success_rate = '>= 90%' }\n";

#define MB (1024.0 * 1024.0)

/* The scenario's model, and the least a run of it needs (statistics at their fewest, the process). */
static double entry_bytes;   /* one entry of every series */
static fl_model_t *model(const char *path, double *need) {
  fl_model_t *m = NULL;
  char err[1024];
  if (fl_scenario_load(path, NULL, &m, err, sizeof err) != 0) { CHECK_FAIL_("%s", err); return NULL; }
  fl_stats_plan_t p;
  fl_sim_plan(m, &p);
  *need = p.min_bytes + p.base_bytes;
  entry_bytes = p.values * sizeof(double);
  return m;
}

TEST(the_runs_held_at_once_are_the_fewer_of_threads_and_runs_and_at_least_the_floor) {
  CHECK_EQ_INT(fl_batch_at_once(3, 10, 1), 3);
  CHECK_EQ_INT(fl_batch_at_once(8, 2, 1), 2);
  CHECK_EQ_INT(fl_batch_at_once(1, 10, 2), 2);
  CHECK_EQ_INT(fl_batch_at_once(4, 0, 1), 1);
  int cores = fl_pool_default_threads();
  CHECK_EQ_INT(fl_batch_at_once(0, 1000, 1), cores);
  CHECK_EQ_INT(fl_batch_at_once(-1, 1, 1), 1);
}

TEST(a_share_of_exactly_a_runs_need_fits_and_one_byte_less_is_refused_naming_the_budget_that_fits) {
  double need;
  fl_model_t *m = model(put("s.lua", scenario), &need);
  if (!m) return;
  char err[1024] = "";
  double per = -1;
  CHECK_EQ_INT(fl_batch_memory(m, 3 * need, 3, 1, &per, err, sizeof err), 0);
  CHECK(per == need && m->memory == need);
  fl_stats_plan_t p;
  fl_sim_plan(m, &p);
  CHECK(p.fits && p.given && p.budget == need);
  CHECK_EQ_INT(fl_batch_memory(m, 3 * need - 1, 3, 1, &per, err, sizeof err), -FL_ESCENARIO);
  CHECK_NEAR(per, need - 1.0 / 3, 1e-6);
  char want[256];
  snprintf(want, sizeof want, "3 runs at once need at least %.0f MB of memory, more than the --memory budget of %.0f MB",
           ceil(3 * need / MB), (3 * need - 1) / MB);
  CHECK_MSG(strstr(err, want) != NULL, "%s\nwanted: %s", err, want);
  snprintf(want, sizeof want, "give --memory %.0fMB or more, or -j 2", ceil(3 * need / MB));
  CHECK_MSG(strstr(err, want) != NULL, "%s\nwanted: %s", err, want);
  CHECK_MSG(strncmp(err, m->file, strlen(m->file)) == 0 && strstr(err, ":1: scenario: "), "%s", err);
  /* below one run's need: the budget for one at a time instead of a -j */
  CHECK_EQ_INT(fl_batch_memory(m, need / 2, 3, 1, &per, err, sizeof err), -FL_ESCENARIO);
  snprintf(want, sizeof want, "(%.0fMB with -j 1)", ceil(need / MB));
  CHECK_MSG(strstr(err, want) != NULL, "%s\nwanted: %s", err, want);
  fl_model_free(m);
}

TEST(one_run_at_a_time_is_refused_with_runs_own_message_and_no_budget_leaves_runs_default) {
  double need;
  fl_model_t *m = model(put("one.lua", scenario), &need);
  if (!m) return;
  char err[1024] = "", run_err[1024] = "";
  double per = -1;
  CHECK_EQ_INT(fl_batch_memory(m, need - 1, 1, 1, &per, err, sizeof err), -FL_ESCENARIO);
  fl_stats_plan_t p;
  m->memory = need - 1;
  fl_sim_plan(m, &p);
  CHECK(!p.fits);
  fl_sim_plan_error(m, &p, run_err, sizeof run_err);
  CHECK_EQ_STR(err, run_err);
  CHECK_EQ_INT(fl_batch_memory(m, 0, 8, 1, &per, err, sizeof err), 0);
  CHECK(per == 0 && m->memory == 0);
  fl_model_free(m);
}

TEST(a_comparisons_replayed_run_is_the_run_that_its_share_builds) {
  const char *path = put("c.lua", scenario);
  double need;
  fl_model_t *m = model(path, &need);
  if (!m) return;
  fl_model_free(m);
  /* four at once, each with room for about 200 entries more than its least: consolidated */
  double share = need + 200 * entry_bytes, total = 4 * share;
  const char *setb[] = { "db.instances=3" };
  fl_compare_opts_t o = { .a = path, .sets_b = setb, .nsets_b = 1, .reps = 3, .memory = total, .threads = 4 };
  fl_compare_t c;
  char err[1024];
  if (fl_compare_init(&c, &o, err, sizeof err) != 0) { CHECK_FAIL_("%s", err); fl_compare_release(&c); return; }
  CHECK_EQ_INT(c.at_once, 4);
  CHECK(c.memory == share);
  fl_run_t r, alone;
  CHECK_EQ_INT(fl_compare_replay(&c, 1, 0, &r, err, sizeof err), 0);
  fl_load_opts_t lo = { .has_seed = true, .seed = c.seeds[1][0], .sets = setb, .nsets = 1, .memory = share };
  CHECK_EQ_INT(fl_run_load(&alone, path, &lo, err, sizeof err), 0);
  if (r.m && alone.m) {
    CHECK_EQ_INT(fl_run_all(&alone), 0);
    CHECK(fl_sim_consolidated(&r.s));
    CHECK_EQ_INT(fl_sim_entries(&r.s), fl_sim_entries(&alone.s));
    CHECK_EQ_INT(r.s.width, alone.s.width);
    CHECK(fl_sim_entries(&r.s) < 4000 && r.s.width > 1);
    uint32_t n = fl_sim_entries(&r.s);
    bool same = true;
    for (int k = 0; k < FL_SER__COUNT && same; k++)
      for (uint32_t e = 0; e < n; e++)
        if (r.s.svc[0].st.series[k] && memcmp(&r.s.svc[0].st.series[k][e], &alone.s.svc[0].st.series[k][e], sizeof(double)) != 0) {
          same = false;
          break;
        }
    CHECK_MSG(same, "the replayed run's series differ from run --memory SHARE's");
  }
  fl_run_release(&r);
  fl_run_release(&alone);
  fl_compare_release(&c);
  /* one thread still holds the pair that --html draws */
  o.threads = 1;
  if (fl_compare_init(&c, &o, err, sizeof err) == 0) {
    CHECK_EQ_INT(c.at_once, 2);
    CHECK(c.memory == total / 2);
  } else CHECK_FAIL_("%s", err);
  fl_compare_release(&c);
}

TEST(sweep_and_size_share_the_budget_among_their_runs_at_once_before_any_run) {
  const char *path = put("w.lua", scenario);
  double need;
  fl_model_t *m = model(path, &need);
  if (!m) return;
  fl_model_free(m);
  const char *axis[] = { "db.instances=1,2,3" };
  fl_sweep_opts_t so = { .path = path, .sets = axis, .nsets = 1, .reps = 2, .memory = 8 * need, .threads = 16 };
  fl_sweep_t sw;
  char err[1024];
  CHECK_EQ_INT(fl_sweep_init(&sw, &so, err, sizeof err), 0);
  CHECK_EQ_INT(sw.at_once, 6);   /* 3 points x 2 replications */
  CHECK(sw.memory == 8 * need / 6);
  fl_sweep_release(&sw);
  so.threads = 8;
  so.memory = 6 * need - 1;   /* 6 at once: a byte short */
  CHECK_EQ_INT(fl_sweep_init(&sw, &so, err, sizeof err), -FL_ESCENARIO);
  CHECK_MSG(strstr(err, "6 runs at once need at least") != NULL, "%s", err);
  fl_sweep_release(&sw);
  /* a shard holds only its own runs at once: 2 of the 6 */
  so.shard = 2; so.nshards = 3;
  CHECK_EQ_INT(fl_sweep_init(&sw, &so, err, sizeof err), 0);
  CHECK_EQ_INT(sw.at_once, 2);
  fl_sweep_release(&sw);

  fl_size_opts_t zo = { .path = path, .reps = 3, .budget = 30, .threads = 8, .memory = 3 * need };
  fl_size_t z;
  CHECK_EQ_INT(fl_size_init(&z, &zo, err, sizeof err), 0);
  CHECK(z.memory == need);   /* a candidate's 3 replications at once */
  fl_size_release(&z);
  zo.threads = 2;
  zo.memory = 2 * need - 1;
  CHECK_EQ_INT(fl_size_init(&z, &zo, err, sizeof err), -FL_ESCENARIO);
  CHECK_MSG(strstr(err, "2 runs at once need at least") != NULL, "%s", err);
  fl_size_release(&z);
}
