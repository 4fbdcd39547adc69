/* Slowness and backlog as health (issue 14): slo on endpoints and journeys, a broker's lag and
** age thresholds, the attribution of a caller's slowness to the callee it waited on (blocking
** and event-loop callers), and health that needs enough answers in a window before it changes
** (an empty window is no data, never a recovery).
**
** Every scenario is small, with a fixed seed, and runs in well under a second at -O2; each test
** asserts the subject that changed, its state, what it is blamed on, and the size involved.
** FAULTLINE_LATENCY_VERBOSE=1 prints the changes. */
#define CHECK_MAIN
#include "check.h"

#include <string.h>

#include <cJSON.h>

#include "faultline/report.h"
#include "faultline/scenario.h"
#include "faultline/sim.h"

#define FIXTURE_NAME "latency"
#include "fixture.h"

static void dump_changes(const run_t *r) {
  if (!verbose()) return;
  for (int i = 0; i < r->s.nchanges; i++) {
    const fl_change_t *c = &r->s.changes[i];
    printf("  # t=%.0fs %s%s %s -> %s fault %d via %d parent %d: %s\n", fl_time_to_sec(c->t), c->service >= 0 ? "" : "journey ",
           c->service >= 0 ? r->m->services[c->service].name : r->m->journeys[c->journey].name, fl_health_name(c->from),
           fl_health_name(c->to), c->fault, c->via, c->parent, c->reason);
  }
}

/* The first change of service 'svc' (or journey 'jrn' when svc is NULL) into 'to', or NULL. */
static const fl_change_t *change_of(const run_t *r, const char *svc, const char *jrn, fl_health_t to) {
  for (int i = 0; i < r->s.nchanges; i++) {
    const fl_change_t *c = &r->s.changes[i];
    if (c->to != to) continue;
    if (svc && c->service >= 0 && strcmp(r->m->services[c->service].name, svc) == 0) return c;
    if (jrn && c->service < 0 && strcmp(r->m->journeys[c->journey].name, jrn) == 0) return c;
  }
  return NULL;
}

static int count_changes(const run_t *r, const char *svc) {
  int n = 0;
  for (int i = 0; i < r->s.nchanges; i++)
    if (r->s.changes[i].service >= 0 && strcmp(r->m->services[r->s.changes[i].service].name, svc) == 0) n++;
  return n;
}

/* ---- item 1: slo on endpoints and journeys, brokers' lag ---- */

/* One slow endpoint: api.pay waits on bank, which gets 300 ms slower at 20 s for 20 s; api.list
** stays fast. Only pay has an slo (200 ms); the service itself has none. */
static const char *endpoint_slo =
  "scenario { name = \"endpoint slo\", duration = \"60s\", seed = 5, window = \"1s\", warmup = \"5s\" }\n"
  "service \"api\" { instances = 1, workers = 400, queue = 1000, endpoints = {\n"
  "  pay = { work = const \"1ms\", calls = { call \"bank\" }, slo = \"200ms\" },\n"
  "  list = { work = exp \"5ms\" } } }\n"
  "service \"bank\" { instances = 1, workers = 200, queue = 1000, work = exp \"20ms\" }\n"
  "traffic { rate = \"200/s\", mix = { [\"api.pay\"] = 0.5, [\"api.list\"] = 0.5 } }\n"
  "fault { name = \"slow bank\", target = \"bank\", kind = \"latency\", latency = \"300ms\", at = \"20.5s\", duration = \"20s\" }\n";

TEST(an_endpoint_over_its_slo_degrades_its_service_with_the_endpoint_and_the_fault_named) {
  run_t r;
  if (!run_text(&r, "endpoint_slo.lua", endpoint_slo)) return;
  dump_changes(&r);
  const fl_change_t *c = change_of(&r, "api", NULL, FL_HEALTH_DEGRADED);
  CHECK(c != NULL);
  if (c) {
    CHECK_NEAR(fl_time_to_sec(c->t), 21, 1.01);
    CHECK(strstr(c->reason, "endpoint api.pay p99") != NULL);
    CHECK_EQ_INT(c->via, svc_id(&r, "bank"));
    CHECK_EQ_INT(c->fault, 0);
  }
  const fl_change_t *ok = change_of(&r, "api", NULL, FL_HEALTH_OK);
  CHECK(ok != NULL && fl_time_to_sec(ok->t) >= 40 && fl_time_to_sec(ok->t) <= 42);
  CHECK(change_of(&r, "bank", NULL, FL_HEALTH_DEGRADED) == NULL);   /* the callee itself has no promise */
  run_free(&r);
}

/* A 500 ms delay on the link web -> images: the journey web.home (slo 200 ms) degrades, blamed
** on the fault through web, which changed no state (no slo of its own). */
static const char *journey_slo =
  "scenario { name = \"journey slo\", duration = \"60s\", seed = 7, window = \"1s\", warmup = \"5s\" }\n"
  "service \"web\" { instances = 2, workers = 200, queue = 1000, endpoints = {\n"
  "  home = { work = exp \"2ms\", calls = { call \"images\" } } } }\n"
  "service \"images\" { instances = 2, workers = 100, queue = 1000, work = exp \"10ms\" }\n"
  "traffic { rate = \"100/s\", mix = { [\"web.home\"] = { share = 1, slo = \"200ms\" } } }\n"
  "fault { from = \"web\", to = \"images\", kind = \"latency\", latency = \"500ms\", at = \"20.5s\", duration = \"20s\" }\n";

TEST(a_journey_over_its_slo_is_degraded_and_blamed_on_the_link_delay_below_it) {
  run_t r;
  if (!run_text(&r, "journey_slo.lua", journey_slo)) return;
  dump_changes(&r);
  const fl_change_t *c = change_of(&r, NULL, "web.home", FL_HEALTH_DEGRADED);
  CHECK(c != NULL);
  if (c) {
    CHECK_NEAR(fl_time_to_sec(c->t), 21, 1.01);
    CHECK(strstr(c->reason, "over its slo of 200ms") != NULL);
    CHECK_EQ_INT(c->fault, 0);
    CHECK_EQ_INT(c->via, svc_id(&r, "images"));
  }
  CHECK_EQ_INT(count_changes(&r, "web"), 0);
  CHECK_EQ_INT(count_changes(&r, "images"), 0);
  /* the size: the journey's p99 during the fault is over 500 ms, before it under 100 ms */
  CHECK(jst(&r, "web.home")->series[FL_SER_P99][30] > 0.5);
  CHECK(jst(&r, "web.home")->series[FL_SER_P99][10] < 0.1);
  run_free(&r);
}

/* A consumer slowed 20-fold at 20 s: messages pile up in the broker (lag threshold 500). */
static const char *broker_lag =
  "scenario { name = \"broker lag\", duration = \"60s\", seed = 11, window = \"1s\", warmup = \"5s\" }\n"
  "service \"shop\" { instances = 1, workers = 100, queue = 1000, endpoints = {\n"
  "  order = { work = const \"1ms\", calls = { call(\"events\", { async = true }) } } } }\n"
  "service \"events\" { kind = \"broker\", consumers = { \"mail.send\" }, lag = 500, age = \"30s\" }\n"
  "service \"mail\" { instances = 1, workers = 10, queue = 100, endpoints = { send = { work = const \"20ms\" } } }\n"
  "traffic { rate = \"200/s\", mix = { [\"shop.order\"] = 1 } }\n"
  "fault { name = \"slow mail\", target = \"mail\", kind = \"slowdown\", factor = 20, at = \"20.5s\", duration = \"20s\" }\n";

TEST(a_broker_over_its_lag_threshold_is_degraded_and_blamed_on_the_slow_consumer) {
  run_t r;
  if (!run_text(&r, "broker_lag.lua", broker_lag)) return;
  dump_changes(&r);
  const fl_change_t *c = change_of(&r, "events", NULL, FL_HEALTH_DEGRADED);
  CHECK(c != NULL);
  if (c) {
    CHECK(strstr(c->reason, "backlog:") != NULL && strstr(c->reason, "mail.send behind") != NULL);
    CHECK_EQ_INT(c->via, svc_id(&r, "mail"));
    /* linked: to mail's own change, or straight to the fault on mail */
    const fl_change_t *p = c->parent >= 0 ? &r.s.changes[c->parent] : NULL;
    CHECK(c->fault == 0 || (p && p->service == svc_id(&r, "mail") && p->fault == 0));
    /* 200 messages/s in, 10 x 1/0.4 s = 25/s out: the lag passes 500 within 4 s of the start */
    CHECK(fl_time_to_sec(c->t) >= 21 && fl_time_to_sec(c->t) <= 25);
  }
  const fl_stats_t *b = sst(&r, "events");
  CHECK(b->series[FL_SER_LAG][39] > 3000);   /* about 175 x 19 s */
  CHECK(b->series[FL_SER_LAG][10] < 50);
  run_free(&r);
}

/* ---- item 2: a slow callee behind an event-loop caller ---- */

static const char *nonblocking =
  "scenario { name = \"event loop\", duration = \"60s\", seed = 13, window = \"1s\", warmup = \"5s\" }\n"
  "service \"front\" { instances = 1, workers = 4, queue = 1000, blocking = false, slo = \"150ms\", endpoints = {\n"
  "  go = { work = const \"1ms\", calls = { call \"back\", call \"side\" } } } }\n"
  "service \"back\" { instances = 2, workers = 200, queue = 1000, work = exp \"10ms\" }\n"
  "service \"side\" { instances = 2, workers = 200, queue = 1000, work = exp \"10ms\" }\n"
  "traffic { rate = \"300/s\", mix = { [\"front.go\"] = 1 } }\n"
  "fault { name = \"slow back\", target = \"back\", kind = \"latency\", latency = \"400ms\", at = \"20.5s\", duration = \"20s\" }\n";

TEST(an_event_loop_callers_slowness_is_blamed_on_the_callee_its_requests_waited_on) {
  run_t r;
  if (!run_text(&r, "nonblocking.lua", nonblocking)) return;
  dump_changes(&r);
  const fl_change_t *c = change_of(&r, "front", NULL, FL_HEALTH_DEGRADED);
  CHECK(c != NULL);
  if (c) {
    CHECK_EQ_INT(c->via, svc_id(&r, "back"));
    CHECK_EQ_INT(c->fault, 0);
    CHECK(strstr(c->reason, "of request time waiting on back") != NULL);
  }
  /* an event loop holds no worker while it waits: front's utilisation stays low */
  CHECK(sst(&r, "front")->series[FL_SER_UTILIZATION][30] < 0.2);
  CHECK(sst(&r, "front")->series[FL_SER_P99][30] > 0.4);
  run_free(&r);
}

/* ---- item 5: health needs enough answers ---- */

/* Two requests a second, one in four failing: 25% errors, but a window holds about 2 answers. */
static const char *idle =
  "scenario { name = \"idle\", duration = \"120s\", seed = 17, window = \"1s\", warmup = \"5s\"%s }\n"
  "service \"s\" { instances = 1, workers = 10, queue = 100, work = exp \"10ms\", error_rate = 0.25 }\n"
  "traffic { rate = \"2/s\", mix = { s = 1 } }\n";

TEST(a_nearly_idle_service_with_a_quarter_failing_never_flaps_to_down_on_one_request) {
  run_t r;
  if (!run_path(&r, putf("idle.lua", idle, ""), NULL, 0)) return;
  dump_changes(&r);
  CHECK_EQ_INT(count_changes(&r, "s"), 0);
  CHECK(sst(&r, "s")->total.failures > 30);     /* about 0.25 x 230 */
  run_free(&r);
  /* the guard is the minimum: with min_requests = 1, one failure in a window of one marks it down */
  if (!run_path(&r, putf("idle1.lua", idle, ", health = { min_requests = 1 }"), NULL, 0)) return;
  CHECK(change_of(&r, "s", NULL, FL_HEALTH_DOWN) != NULL);
  run_free(&r);
}

/* All requests fail from 20 s; traffic stops at 40 s while the fault lasts to 50 s; nothing after. */
static const char *empty =
  "scenario { name = \"empty\", duration = \"80s\", seed = 19, window = \"1s\", warmup = \"5s\" }\n"
  "service \"s\" { instances = 1, workers = 10, queue = 100, work = exp \"10ms\" }\n"
  "traffic { rate = piecewise { { \"0s\", 100 }, { \"40s\", 0 } }, mix = { s = 1 } }\n"
  "fault { target = \"s\", kind = \"errors\", rate = 1, at = \"20.5s\", duration = \"30s\" }\n";

TEST(an_empty_window_is_no_data_and_never_a_recovery) {
  run_t r;
  if (!run_text(&r, "empty.lua", empty)) return;
  dump_changes(&r);
  CHECK(change_of(&r, "s", NULL, FL_HEALTH_DOWN) != NULL);
  CHECK(change_of(&r, "s", NULL, FL_HEALTH_OK) == NULL);   /* no answers after 40 s: it stays down */
  CHECK_EQ_INT(sst(&r, "s")->series[FL_SER_HEALTH][70], FL_HEALTH_DOWN);
  run_free(&r);
}



/* ---- items 6 and 7: numbers that say nothing was observed, faults' instances, wording ---- */

/* Traffic stops at 30 s; all 3 instances crash at 40 s. */
static const char *quiet =
  "scenario { name = \"quiet\", duration = \"60s\", seed = 23, window = \"1s\", warmup = \"5s\" }\n"
  "service \"s\" { instances = 3, workers = 10, queue = 100, work = const \"10.0004ms\", autoscale = { min = 3, max = 67, target = 0.9 } }\n"
  "traffic { rate = piecewise { { \"0s\", 50 }, { \"30s\", 0 } }, mix = { s = 1 } }\n"
  "fault { target = \"s\", kind = \"crash\", at = \"40.5s\", duration = \"5s\" }\n"
  "expect \"nothing late\" { service = \"s\", success_rate = \">= 99%\", p99 = \"< 1s\", during = { \"35s\", \"60s\" } }\n"
  "expect \"slow enough\" { service = \"s\", p99 = \"> 10ms\", during = { \"5s\", \"30s\" } }\n";

TEST(an_expectation_without_answers_reads_n_a_and_null_and_a_fault_counts_the_instances_it_hit) {
  run_t r;
  if (!run_text(&r, "quiet.lua", quiet)) return;
  int x = exp_id(&r, "nothing late");
  CHECK(!r.s.exp[x].passed);
  char o[512];
  fl_expect_observed(&r.s, x, o, sizeof o);
  note("observed: %s", o);
  CHECK(strstr(o, "success_rate n/a, p99 n/a") == o);
  cJSON *a = fl_report_expectations_json(&r.s);
  cJSON *obs = cJSON_GetObjectItem(cJSON_GetArrayItem(a, x), "observed");
  CHECK(cJSON_IsNull(cJSON_GetObjectItem(obs, "success_rate")) && cJSON_IsNull(cJSON_GetObjectItem(obs, "p99")));
  cJSON_Delete(a);
  /* const 10 ms work: p99 a hair over 10 ms passes "> 10ms" and must not read "observed 10ms" */
  int y = exp_id(&r, "slow enough");
  fl_expect_observed(&r.s, y, o, sizeof o);
  note("observed: %s", o);
  note("p99 %.9g passed %d", r.s.exp[y].p99, r.s.exp[y].passed);
  CHECK(r.s.exp[y].passed);
  CHECK(strcmp(o, "p99 10ms") != 0);
  CHECK_EQ_INT(fl_report_fault_instances(&r.s, 0), 3);   /* not the 67 slots it could scale to */
  run_free(&r);
}
