/* The run state's invariant checker: it holds after every window of real runs (the repository's
** incident scenarios, and one that crashes, scales, hangs, partitions, leaks and retries), and
** it catches a state broken on purpose through the private run_int.h. */
#define CHECK_MAIN
#include "check.h"

#include "faultline/scenario.h"
#include "faultline/sim.h"
#include "../sim/run/run_int.h"

#define FIXTURE_NAME "invariants"
#include "fixture.h"

typedef struct { fl_model_t *m; fl_sim_t s; int windows, broken; char why[256]; } inv_t;

/* After every window: the checker must hold; the first broken sentence is kept. */
static void after_window(fl_sim_t *s, uint32_t w, void *user) {
  (void)w;
  inv_t *r = user;
  char why[256];
  r->windows++;
  if (fl_sim_check_invariants(s, why, sizeof why) != 0 && !r->broken++) snprintf(r->why, sizeof r->why, "%s", why);
}

static bool inv_start(inv_t *r, const char *path) {
  memset(r, 0, sizeof *r);
  fl_load_opts_t o = { 0 };
  char err[1024];
  if (fl_scenario_load(path, &o, &r->m, err, sizeof err) != 0) { CHECK_FAIL_("cannot load %s: %s", path, err); return false; }
  if (fl_sim_init(&r->s, r->m) != 0) { CHECK_FAIL_("fl_sim_init %s", path); fl_model_free(r->m); r->m = NULL; return false; }
  r->s.on_window = after_window;
  r->s.on_window_user = r;
  return true;
}

static void inv_finish(inv_t *r) {
  if (r->m) { fl_sim_release(&r->s); fl_model_free(r->m); }
  r->m = NULL;
}

static void holds_over(const char *path) {
  inv_t r;
  if (!inv_start(&r, path)) return;
  fl_sim_run(&r.s);
  CHECK(r.s.complete);
  CHECK(r.windows > 0);
  CHECK_MSG(r.broken == 0, "%s: %d windows broke an invariant, first: %s", path, r.broken, r.why);
  inv_finish(&r);
}

static const char *const busy_text =
  "scenario { name = 'invariants', duration = '20m', seed = 3, window = '10s' }\n"
  "service 'front' { instances = 3, workers = 8, queue = 16, endpoints = { get = { work = exp '5ms', calls = {\n"
  "  call 'back.read' { timeout = '200ms', retries = 2, breaker = { failure_rate = 0.5, window = 20 }, bulkhead = 6 },\n"
  "  call 'side.read' { timeout = '100ms', optional = true, fallback = '1ms', hedge = { after = '30ms', max = 1 } } } } } }\n"
  "service 'back' { instances = 4, workers = 4, queue = 8, balancer = 'least_outstanding',\n"
  "  outlier = { consecutive_errors = 5, base_ejection = '30s', max_ejected = '50%' },\n"
  "  endpoints = { read = { work = exp '20ms' } } }\n"
  "service 'side' { instances = 2, workers = 4, queue = 4, balancer = 'p2c', endpoints = { read = { work = exp '10ms' } } }\n"
  "traffic { rate = '300/s', mix = { ['front.get'] = 1 } }\n"
  "fault { target = 'back', kind = 'crash', instances = 2, at = '2m', duration = '3m' }\n"
  "fault { target = 'side', kind = 'hang', instances = 1, at = '4m', duration = '1m' }\n"
  "fault { from = 'front', to = 'back', kind = 'partition', at = '7m', duration = '30s' }\n"
  "fault { name = 'leak', target = 'back', kind = 'leak', factor = 3, every = '2m', restart = '10s', at = '9m', duration = '5m' }\n"
  "at('3m', function(sim) sim:scale('back', 8) end)\n"
  "at('12m', function(sim) sim:scale('back', 2) end)\n";

TEST(invariants_hold_after_every_window_of_a_run_with_faults_scaling_and_policies) {
  holds_over(put("busy.lua", busy_text));
}

TEST(invariants_hold_after_every_window_of_the_incident_scenarios) {
  holds_over("scenarios/recommendation_outage.lua");
  holds_over("scenarios/incidents/cache_flush.lua");
  holds_over("scenarios/incidents/cart_retry_storm.lua");
  holds_over("scenarios/incidents/flash_sale_autoscale.lua");
}

/* A run stopped half-way, with requests in flight, for the broken-state tests. */
static bool halfway(inv_t *r) {
  if (!inv_start(r, put("half.lua", busy_text))) return false;
  fl_sim_run_until(&r->s, fl_sec_to_time(150));
  char why[256];
  int rc = fl_sim_check_invariants(&r->s, why, sizeof why);
  CHECK_MSG(rc == 0, "before breaking it: %s", why);
  CHECK(r->s.reqs_live > 0);
  return rc == 0;
}

static void expect_broken(inv_t *r, const char *words) {
  char why[256];
  int rc = fl_sim_check_invariants(&r->s, why, sizeof why);
  CHECK_EQ_INT(rc, -FL_EINTERNAL);
  CHECK_MSG(strstr(why, words) != NULL, "'%s' should say '%s'", why, words);
}

TEST(invariants_catch_a_service_busy_total_off_its_instances_sum) {
  inv_t r;
  if (!halfway(&r)) { inv_finish(&r); return; }
  r.s.svc[1].busy++;
  expect_broken(&r, "busy workers");
  r.s.svc[1].busy--;
  inv_finish(&r);
}

TEST(invariants_catch_a_queued_count_that_is_not_its_waiting_room) {
  inv_t r;
  if (!halfway(&r)) { inv_finish(&r); return; }
  r.s.svc[0].queued++;
  expect_broken(&r, "queued");
  r.s.svc[0].queued--;
  r.s.svc[0].inst[0].queued++; r.s.svc[0].queued++;   /* the sums agree, the room does not */
  expect_broken(&r, "waiting room");
  r.s.svc[0].inst[0].queued--; r.s.svc[0].queued--;
  inv_finish(&r);
}

TEST(invariants_catch_a_request_lost_from_the_pool) {
  inv_t r;
  if (!halfway(&r)) { inv_finish(&r); return; }
  fl_req_t *q = r.s.free_reqs;          /* off the free list, never counted live */
  CHECK(q != NULL);
  if (!q) { inv_finish(&r); return; }
  r.s.free_reqs = q->next;
  expect_broken(&r, "requests do not balance");
  r.s.free_reqs = q;
  char why[256];
  CHECK_EQ_INT(fl_sim_check_invariants(&r.s, why, sizeof why), 0);
  inv_finish(&r);
}
