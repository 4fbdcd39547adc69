/* Slowness and backlog as health: slo on endpoints and journeys, a multi-step journey's
** session_slo, a broker's lag and age thresholds (its backlog in the chain of the fault that
** slowed its consumer), the attribution of a caller's slowness to the callee it waited on
** (blocking and event-loop callers), health that needs enough answers in a window before it
** changes (an empty window is no data, never a recovery), recovery to the state before the
** fault, flapping as one timeline episode, a latency fault in its target's own p99, and every
** expectation measure through sweep and size.
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
  "  order = { work = const \"1ms\", calls = { call \"events\" { async = true } } } } }\n"
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

/* ---- item 3: effects along a fault's chain that changed no state ---- */

#include "faultline/analysis.h"

/* The effect of fault f on 'subject' (a service, broker or journey) measuring 'kind', or NULL. */
static const fl_effect_t *effect_of(const run_t *r, const fl_cascade_t *c, int f, const char *subject, fl_effect_kind_t kind) {
  const fl_fault_cascade_t *fc = &c->fault[f];
  for (int k = 0; k < fc->neffects; k++) {
    const fl_effect_t *e = &fc->effects[k];
    const char *name = e->service >= 0 ? r->m->services[e->service].name : r->m->journeys[e->journey].name;
    if (e->kind == kind && strcmp(name, subject) == 0) return e;
  }
  return NULL;
}

static void dump_effects(const run_t *r, const fl_cascade_t *c) {
  if (!verbose()) return;
  for (int f = 0; f < c->nfaults; f++)
    for (int k = 0; k < c->fault[f].neffects; k++) {
      const fl_effect_t *e = &c->fault[f].effects[k];
      printf("  # fault %d: %s %s before %.4g during %.4g peak %.4g changed %d shared %d\n", f,
             e->service >= 0 ? r->m->services[e->service].name : r->m->journeys[e->journey].name, fl_effect_kind_name(e->kind),
             e->before, e->during, e->peak, e->changed_state, e->shared);
    }
}

TEST(a_link_delay_shows_its_callers_and_journeys_p99_with_the_size_and_not_the_callee) {
  run_t r;
  if (!run_text(&r, "journey_slo_fx.lua", journey_slo)) return;
  fl_cascade_t c;
  fl_cascade_init(&c, &r.s);
  dump_effects(&r, &c);
  const fl_effect_t *w = effect_of(&r, &c, 0, "web", FL_EFFECT_P99), *j = effect_of(&r, &c, 0, "web.home", FL_EFFECT_P99);
  CHECK(w != NULL && j != NULL);
  if (w) { CHECK(w->before < 0.1); CHECK(w->during > 0.5 && w->during < 0.6); CHECK(!w->changed_state); }
  if (j) { CHECK(j->during - j->before > 0.45); CHECK(j->changed_state); CHECK_EQ_INT(j->shared, -1); }
  CHECK(effect_of(&r, &c, 0, "images", FL_EFFECT_P99) == NULL);   /* the callee is not on the link's chain */
  CHECK_EQ_INT(c.fault[0].noverlaps, 0);
  /* the terminal names the size: a ratio when it doubled or more */
  char *buf = NULL; size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  fl_report_cascade_lines(f, &r.s, &c, false);
  fclose(f);
  note("%s", buf);
  CHECK(strstr(buf, "  effects: ") != NULL && strstr(buf, "journey web.home p99 ×") != NULL);
  free(buf);
  /* and the JSON: cascade[0].effects[] with subject, measure, before, during, ratio */
  cJSON *a = fl_report_cascade_json(&r.s, &c), *fx = cJSON_GetObjectItem(cJSON_GetArrayItem(a, 0), "effects");
  CHECK(cJSON_GetArraySize(fx) >= 2);
  cJSON *e0 = cJSON_GetArrayItem(fx, 0);
  CHECK(cJSON_IsString(cJSON_GetObjectItem(e0, "subject")) && cJSON_GetObjectItem(e0, "ratio")->valuedouble > 5);
  CHECK(cJSON_IsNull(cJSON_GetObjectItem(e0, "shared_with")));
  cJSON_Delete(a);
  fl_cascade_release(&c);
  run_free(&r);
}

/* db 500 times slower (1 ms -> 500 ms) for 20 s behind api; nobody has an slo. */
static const char *slow500 =
  "scenario { name = \"x500\", duration = \"60s\", seed = 29, window = \"1s\", warmup = \"5s\" }\n"
  "service \"api\" { instances = 2, workers = 400, queue = 5000, endpoints = { get = { work = exp \"2ms\", calls = { call \"db\" } } } }\n"
  "service \"db\" { instances = 2, workers = 400, queue = 5000, work = const \"1ms\" }\n"
  "traffic { rate = \"50/s\", mix = { [\"api.get\"] = 1 } }\n"
  "fault { name = \"gc\", target = \"db\", kind = \"slowdown\", factor = 500, at = \"20s\", duration = \"20s\" }\n";

TEST(a_500_fold_slowdown_reads_as_hundreds_of_times_the_p99_on_the_target_its_caller_and_journey) {
  run_t r;
  if (!run_text(&r, "x500.lua", slow500)) return;
  fl_cascade_t c;
  fl_cascade_init(&c, &r.s);
  dump_effects(&r, &c);
  const fl_effect_t *d = effect_of(&r, &c, 0, "db", FL_EFFECT_P99), *a = effect_of(&r, &c, 0, "api", FL_EFFECT_P99),
                    *j = effect_of(&r, &c, 0, "api.get", FL_EFFECT_P99);
  CHECK(d && a && j);
  if (d) { CHECK_NEAR(d->before, 0.001, 0.0002); CHECK_NEAR(d->during, 0.5, 0.01); }
  if (a) CHECK(a->during / a->before > 40);
  if (j) CHECK(j->during > 0.5);
  CHECK(c.fault[0].neffects >= 3 && c.fault[0].effects[0].kind == FL_EFFECT_P99);
  CHECK(c.fault[0].effects[0].service == svc_id(&r, "db"));   /* the largest ratio first */
  fl_cascade_release(&c);
  run_free(&r);
  /* a slow consumer's lag is an effect on the broker it consumes from */
  if (!run_text(&r, "broker_lag_fx.lua", broker_lag)) return;
  fl_cascade_init(&c, &r.s);
  dump_effects(&r, &c);
  const fl_effect_t *l = effect_of(&r, &c, 0, "events", FL_EFFECT_LAG);
  CHECK(l && l->during > 3000 && l->before < 50);
  CHECK(effect_of(&r, &c, 0, "shop", FL_EFFECT_P99) == NULL);   /* it publishes and goes on */
  fl_cascade_release(&c);
  run_free(&r);
}

/* A leak on cache (x30 work over 20 s, then a 3 s restart) behind web, from 20 s to the end. */
static const char *leak =
  "scenario { name = \"leak\", duration = \"90s\", seed = 31, window = \"1s\", warmup = \"5s\" }\n"
  "service \"web\" { instances = 1, workers = 400, queue = 5000, endpoints = { page = { work = exp \"1ms\", calls = { call \"cache\" } } } }\n"
  "service \"cache\" { instances = 2, workers = 100, queue = 5000, work = exp \"2ms\" }\n"
  "traffic { rate = \"100/s\", mix = { [\"web.page\"] = 1 } }\n"
  "fault { name = \"leak\", target = \"cache\", kind = \"leak\", factor = 30, every = \"20s\", restart = \"3s\", at = \"20s\" }\n";

TEST(a_leak_with_restarts_raises_the_p99_of_the_service_and_its_journey_with_a_higher_peak) {
  run_t r;
  if (!run_text(&r, "leak.lua", leak)) return;
  fl_cascade_t c;
  fl_cascade_init(&c, &r.s);
  dump_effects(&r, &c);
  const fl_effect_t *k = effect_of(&r, &c, 0, "cache", FL_EFFECT_P99), *j = effect_of(&r, &c, 0, "web.page", FL_EFFECT_P99);
  CHECK(k && j);
  if (k) { CHECK(k->during / k->before > 3); CHECK(k->peak > 1.5 * k->during); }
  if (j) CHECK(j->during > 2 * j->before);
  fl_cascade_release(&c);
  run_free(&r);
}

/* Two overlapping faults on two branches of api: db slower from 20 s to 50 s (api.products),
** idx 200 ms late from 35 s to 65 s (api.search). Each journey's effect goes to its own fault;
** api, on both chains, is marked shared. */
static const char *overlapping =
  "scenario { name = \"overlap\", duration = \"80s\", seed = 37, window = \"1s\", warmup = \"5s\" }\n"
  "service \"api\" { instances = 2, workers = 400, queue = 5000, endpoints = {\n"
  "  products = { work = exp \"2ms\", calls = { call \"db\" } }, search = { work = exp \"2ms\", calls = { call \"idx\" } } } }\n"
  "service \"db\" { instances = 2, workers = 200, queue = 5000, work = exp \"5ms\" }\n"
  "service \"idx\" { instances = 2, workers = 200, queue = 5000, work = exp \"5ms\" }\n"
  "traffic { rate = \"100/s\", mix = { [\"api.products\"] = 0.5, [\"api.search\"] = 0.5 } }\n"
  "fault { name = \"db slow\", target = \"db\", kind = \"slowdown\", factor = 10, at = \"20s\", duration = \"30s\" }\n"
  "fault { name = \"idx late\", target = \"idx\", kind = \"latency\", latency = \"200ms\", at = \"35s\", duration = \"30s\" }\n";

TEST(overlapping_faults_are_flagged_and_each_effect_goes_to_the_fault_whose_chain_reaches_it) {
  run_t r;
  if (!run_text(&r, "overlap.lua", overlapping)) return;
  fl_cascade_t c;
  fl_cascade_init(&c, &r.s);
  dump_effects(&r, &c);
  CHECK_EQ_INT(c.fault[0].noverlaps, 1); CHECK_EQ_INT(c.fault[1].noverlaps, 1);
  if (c.fault[0].noverlaps) CHECK_EQ_INT(c.fault[0].overlaps[0], 1);
  const fl_effect_t *p = effect_of(&r, &c, 0, "api.products", FL_EFFECT_P99), *s = effect_of(&r, &c, 1, "api.search", FL_EFFECT_P99);
  CHECK(p && s);
  if (p) { CHECK(p->during / p->before > 4); CHECK_EQ_INT(p->shared, -1); }
  if (s) { CHECK(s->during - s->before > 0.18); CHECK_EQ_INT(s->shared, -1); }
  /* not credited to the fault that merely overlaps */
  CHECK(effect_of(&r, &c, 1, "api.products", FL_EFFECT_P99) == NULL);
  CHECK(effect_of(&r, &c, 1, "db", FL_EFFECT_P99) == NULL);
  CHECK(effect_of(&r, &c, 0, "api.search", FL_EFFECT_P99) == NULL);
  CHECK(effect_of(&r, &c, 0, "idx", FL_EFFECT_P99) == NULL);
  const fl_effect_t *a = effect_of(&r, &c, 0, "api", FL_EFFECT_P99);
  CHECK(a && a->shared == 1);
  fl_cascade_release(&c);
  run_free(&r);
}

/* ---- item 4: expectations on what users measure ---- */

static const char *expect_more =
  "expect \"pay slow\" { service = \"api.pay\", p99 = \"> 300ms\", during = \"fault:slow bank\" }\n"
  "expect \"list fast\" { endpoint = \"api.list\", p99 = \"< 50ms\", p90 = \"< 20ms\", mean = \"< 10ms\", during = \"fault:slow bank\" }\n"
  "expect \"pay p95\" { endpoint = \"api.pay\", p95 = \"< 100ms\", during = \"fault:slow bank\" }\n"
  "expect \"journey p999\" { journey = \"api.pay\", p999 = \"> 300ms\", p50 = \"> 300ms\", during = \"fault:slow bank\" }\n"
  "expect \"back\" { journey = \"api.pay\", p99 = \"< 100ms\", during = \"after:slow bank\", recovers_within = \"2s\" }\n"
  "expect \"back at once\" { journey = \"api.pay\", p99 = \"< 100ms\", during = \"after:slow bank\" }\n"
  "expect \"api calm\" { service = \"api\", utilization = \"< 50%\", error_rate = \"< 1%\", throughput = \">= 190/s\" }\n"
  "expect \"api busier\" { service = \"api\", throughput = \"> 500/s\" }\n";

TEST(expectations_check_every_latency_quantile_rates_and_utilisation_on_services_endpoints_and_journeys) {
  char text[4096];
  snprintf(text, sizeof text, "%s%s", endpoint_slo, expect_more);
  run_t r;
  if (!run_text(&r, "expect_more.lua", text)) return;
  char o[512];
  for (int x = 0; x < r.m->nexpects; x++) { fl_expect_observed(&r.s, x, o, sizeof o); note("%s: %s %s", r.m->expects[x].name, r.s.exp[x].passed ? "PASS" : "FAIL", o); }
  CHECK(r.s.exp[exp_id(&r, "pay slow")].passed);            /* service = "svc.ep" is the endpoint */
  CHECK(r.m->expects[exp_id(&r, "pay slow")].endpoint != NULL);
  int lf = exp_id(&r, "list fast");
  CHECK(r.s.exp[lf].passed);
  CHECK(r.s.exp[lf].more[FL_EXM_MEAN] > 0.004 && r.s.exp[lf].more[FL_EXM_MEAN] < 0.006);   /* exp "5ms" */
  int p95 = exp_id(&r, "pay p95");
  CHECK(!r.s.exp[p95].passed);
  CHECK(r.s.exp[p95].more[FL_EXM_P95] > 0.3);
  fl_expect_observed(&r.s, p95, o, sizeof o);
  CHECK(strncmp(o, "p95 3", 5) == 0);
  CHECK(r.s.exp[exp_id(&r, "journey p999")].passed);
  /* after the fault ends at 40.5 s: whole windows from 41 s, or from 42.5 s with recovers_within 2s */
  CHECK(r.s.exp[exp_id(&r, "back")].passed);
  CHECK_EQ_INT(r.s.exp[exp_id(&r, "back")].windows, 17);
  CHECK_EQ_INT(r.s.exp[exp_id(&r, "back at once")].windows, 19);
  int calm = exp_id(&r, "api calm");
  CHECK(r.s.exp[calm].passed);
  CHECK_NEAR(r.s.exp[calm].more[FL_EXM_THROUGHPUT], 200, 10);
  CHECK(r.s.exp[calm].more[FL_EXM_ERROR_RATE] == 0);
  CHECK(!r.s.exp[exp_id(&r, "api busier")].passed);
  /* the JSON names the endpoint and each measure observed */
  cJSON *a = fl_report_expectations_json(&r.s);
  cJSON *e = cJSON_GetArrayItem(a, p95);
  CHECK_EQ_STR(cJSON_GetObjectItem(e, "endpoint")->valuestring, "api.pay");
  CHECK(cJSON_GetObjectItem(cJSON_GetObjectItem(e, "observed"), "p95")->valuedouble > 0.3);
  CHECK(strstr(cJSON_GetObjectItem(cJSON_GetArrayItem(a, exp_id(&r, "back")), "during")->valuestring, "recovered within 2s") != NULL);
  cJSON_Delete(a);
  run_free(&r);
}

TEST(expectations_check_a_brokers_lag_and_age) {
  char text[4096];
  snprintf(text, sizeof text, "%s%s", broker_lag,
           "expect \"no backlog\" { service = \"events\", lag = \"< 100\", during = \"fault:slow mail\" }\n"
           "expect \"fresh before\" { service = \"events\", age = \"< 1s\", lag = \"<= 50\", during = { \"6s\", \"20s\" } }\n");
  run_t r;
  if (!run_text(&r, "expect_lag.lua", text)) return;
  int nb = exp_id(&r, "no backlog"), fb = exp_id(&r, "fresh before");
  char o[512];
  fl_expect_observed(&r.s, nb, o, sizeof o);
  note("no backlog: %s", o);
  CHECK(!r.s.exp[nb].passed);
  CHECK(r.s.exp[nb].more[FL_EXM_LAG] > 3000);
  CHECK(strncmp(o, "lag ", 4) == 0);
  CHECK(r.s.exp[fb].passed);
  CHECK(r.s.exp[fb].more[FL_EXM_AGE] < 1);
  run_free(&r);
}

TEST(expectations_refuse_measures_their_subject_does_not_have) {
  static const char *const bad[][2] = {
    { "expect \"x\" { journey = \"api.pay\", utilization = \"< 50%\" }\n", "utilization is a service's" },
    { "expect \"x\" { service = \"api\", lag = \"< 5\" }\n", "lag is a broker's" },
    { "expect \"x\" { endpoint = \"api.pay\", success_rate = \">= 99%\" }\n", "checks its latency" },
    { "expect \"x\" { service = \"api.pay\", error_rate = \"< 1%\" }\n", "checks its latency" },
    { "expect \"x\" { service = \"api\", p99 = \"< 1s\", recovers_within = \"2m\" }\n", "recovers_within needs during" },
    { "expect \"x\" { service = \"api\", p99 = \"< 1s\", during = \"after:nope\" }\n", "no fault named 'nope'" },
    { "expect \"x\" { service = \"api\", throughput = \"> fast\" }\n", "throughput: cannot read" },
  };
  for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
    char text[4096], err[512] = "";
    snprintf(text, sizeof text, "%s%s", endpoint_slo, bad[k][0]);
    fl_model_t *m = NULL;
    int rc = fl_scenario_load(put("bad_expect.lua", text), NULL, &m, err, sizeof err);
    note("%s", err);
    CHECK(rc != 0);
    CHECK_MSG(strstr(err, bad[k][1]) != NULL, "case %zu: '%s' not in '%s'", k, bad[k][1], err);
    if (m) fl_model_free(m);
  }
}

/* ---- item 5: flapping as one episode ---- */

TEST(a_subject_that_flaps_is_one_episode_of_the_cascade_with_its_count) {
  run_t r;
  if (!run_text(&r, "leak_flap.lua", leak)) return;
  fl_cascade_t c;
  fl_cascade_init(&c, &r.s);
  const fl_fault_cascade_t *fc = &c.fault[0];
  note("%d hits, %d episodes", fc->nhits, fc->nepisodes);
  CHECK(fc->nhits > fc->nepisodes);
  int folded = 0, total = 0;
  for (int e = 0; e < fc->nepisodes; e++) { total += fc->episodes[e].count; if (fc->episodes[e].count > 1) folded++; }
  CHECK_EQ_INT(total, fc->nhits);
  CHECK(folded >= 1);
  char *buf = NULL; size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  fl_report_cascade_lines(f, &r.s, &c, false);
  fclose(f);
  note("%s", buf);
  CHECK(strstr(buf, " times, the last at t=") != NULL);
  free(buf);
  fl_cascade_release(&c);
  run_free(&r);
}

/* A service paused for 2 s every 4 s for 6 hours at 1 s windows, confirmed in one window: it and
** its journey change state every 2 s, 21,590 changes in all, over FL_CHANGES_MAX. The run keeps
** the first FL_CHANGES_MAX records and counts the rest; each subject's episode is checked against
** the other view of the same run, its health series as the JSON report writes it (one entry per
** window: a change is a window whose state differs from the one before, ok before the first). */
static const char *flapping_6h =
  "scenario { name = \"flapping\", duration = \"6h\", seed = 5, window = \"1s\", health = { confirm = 1, min_requests = 1 } }\n"
  "service \"api\" { instances = 1, workers = 10, queue = 100, work = const \"1ms\" }\n"
  "traffic { rate = \"50/s\", mix = { api = 1 } }\n"
  "fault { name = \"gc\", target = \"api\", kind = \"pause\", pause = const \"2s\", every = \"4s\", at = \"10s\" }\n";

/* The episode a subject's states window by window make: changes up to its last return to ok,
** departures from ok up to then, its first change and last return, the worst state; every change
** ('all'), and the state it ended the run in. A change is a window whose state differs from the
** one before (ok before the first). */
typedef struct { int changes, flaps, all, worst, end, out; double first, last, out_last; } series_episode_t;

static series_episode_t episode_of_states(const int *h, int n) {
  series_episode_t e = { .first = -1 };
  int was = FL_HEALTH_OK, out = 0;
  for (int w = 0; w < n; w++) {
    if (h[w] == was) continue;
    e.all++;
    if (e.first < 0) e.first = w;
    if (was == FL_HEALTH_OK) { out++; e.out = out; e.out_last = w; }   /* every departure, the last one too */
    if (h[w] > e.worst) e.worst = h[w];
    if (h[w] == FL_HEALTH_OK) { e.changes = e.all; e.flaps = out; e.last = w; }   /* back where it started */
    was = h[w];
  }
  e.end = was;
  return e;
}

/* The journey's confirmed state at each window's close (its series has no health). */
static int journey_state[6 * 3600];
static void keep_journey_state(fl_sim_t *s, uint32_t w, void *user) {
  (void)user;
  if (w < 6 * 3600) journey_state[w] = s->jrn[0].health;
}

TEST(a_subject_flapping_past_the_cap_keeps_a_bounded_list_and_its_episode_counts_every_change) {
  run_t r;
  if (!start_path(&r, put("flapping_6h.lua", flapping_6h), NULL, 0)) { run_free(&r); return; }
  r.s.on_window = keep_journey_state;
  finish(&r);
  note("kept %d (room for %d), dropped %llu", r.s.nchanges, r.s.changes_cap, (unsigned long long)r.s.changes_dropped);
  CHECK_EQ_INT(r.s.nchanges, FL_CHANGES_MAX);
  CHECK(r.s.changes_cap <= FL_CHANGES_MAX);
  CHECK(r.s.changes_dropped > 0);
  size_t len = 0;
  char *text = fl_report_json_text(&r.s, NULL, &len);
  cJSON *doc = cJSON_ParseWithLength(text, len);
  free(text);
  CHECK(doc != NULL);
  if (!doc) { run_free(&r); return; }
  const cJSON *series = cJSON_GetObjectItem(doc, "series"), *timeline = cJSON_GetObjectItem(doc, "timeline");
  const cJSON *health = cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(series, "services"), "api"), "health");
  enum { N = 6 * 3600 };
  CHECK_EQ_INT(cJSON_GetArraySize(timeline), FL_CHANGES_MAX);
  CHECK_EQ_INT(cJSON_GetArraySize(health), N);   /* dense: one entry per window */
  static int service_state[N];
  for (int w = 0; w < N && w < cJSON_GetArraySize(health); w++) service_state[w] = cJSON_GetArrayItem(health, w)->valueint;
  const char *key[2] = { "service", "journey" };
  int all = 0, still_out = 0;
  for (int k = 0; k < 2; k++) {
    series_episode_t want = episode_of_states(k ? journey_state : service_state, N);
    all += want.all;
    still_out += want.end != FL_HEALTH_OK;
    /* the cascade: the fault's hits on the subject (every departure from ok, all to down) fold into
    ** one episode with their count and the last one's time */
    fl_cascade_t c;
    fl_cascade_init(&c, &r.s);
    const fl_fault_cascade_t *fc = &c.fault[0];
    int found = 0;
    for (int e = 0; e < fc->nepisodes; e++) {
      const fl_change_t *first = &r.s.changes[fc->hits[fc->episodes[e].hit].change];
      if ((first->service >= 0) != (k == 0)) continue;
      found++;
      CHECK_EQ_INT(fc->episodes[e].count, want.out);
      CHECK(fl_time_to_sec(fc->episodes[e].last) == want.out_last);
    }
    CHECK_EQ_INT(found, 1);
    fl_cascade_release(&c);
    const cJSON *ep = NULL;   /* the subject's first timeline entry carries its episode */
    for (int i = 0; i < cJSON_GetArraySize(timeline) && !ep; i++) {
      const cJSON *e = cJSON_GetArrayItem(timeline, i);
      if (cJSON_GetObjectItem(e, key[k])) ep = cJSON_GetObjectItem(e, "episode");
    }
    CHECK_MSG(ep != NULL, "%s: no episode", key[k]);
    if (!ep) continue;
    note("%s: %d changes, %d flaps, %d in all; episode %d, %d", key[k], want.changes, want.flaps, want.all,
         cJSON_GetObjectItem(ep, "changes")->valueint, cJSON_GetObjectItem(ep, "flaps")->valueint);
    CHECK(want.all > FL_CHANGES_MAX / 2);
    CHECK_EQ_INT(cJSON_GetObjectItem(ep, "changes")->valueint, want.changes);
    CHECK_EQ_INT(cJSON_GetObjectItem(ep, "flaps")->valueint, want.flaps);
    CHECK(cJSON_GetObjectItem(ep, "first")->valuedouble == want.first);
    CHECK(cJSON_GetObjectItem(ep, "last")->valuedouble == want.last);
    CHECK(strcmp(cJSON_GetObjectItem(ep, "worst")->valuestring, fl_health_name((fl_health_t)want.worst)) == 0);
    CHECK(strcmp(cJSON_GetObjectItem(ep, "ends")->valuestring, "ok") == 0);
  }
  /* every change is a record or counted */
  const cJSON *dropped = cJSON_GetObjectItem(doc, "changes_dropped");
  CHECK(dropped && dropped->valuedouble == (double)(all - FL_CHANGES_MAX));
  /* the fault never ends: it recovered only if both subjects ended the run ok */
  const cJSON *rec = cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "cascade"), 0), "recovered");
  CHECK(still_out ? cJSON_IsNull(rec) : cJSON_IsNumber(rec));
  cJSON_Delete(doc);
  run_free(&r);
}

/* ---- a multi-step journey's end-to-end session time ---- */

/* Three steps of constant work (10, 20 and 30 ms, no calls, no queueing: 50 workers for 20
** sessions a second), 2 s of think time between them: a session answers in exactly 60 ms of
** the user's waiting. 100 ms more on the last step from 20.5 s to 40.5 s makes it 160 ms, over
** the session_slo of 100 ms, while no step is over 130 ms. */
static const char *session_slo =
  "scenario { name = \"session slo\", duration = \"60s\", seed = 29, window = \"1s\", warmup = \"5s\" }\n"
  "service \"web\" { instances = 1, workers = 50, queue = 100, endpoints = {\n"
  "  a = { work = const \"10ms\" }, b = { work = const \"20ms\" }, c = { work = const \"30ms\" } } }\n"
  "traffic { rate = \"20/s\", mix = { shop = 1 },\n"
  "  journeys = { shop = { steps = { \"web.a\", \"web.b\", \"web.c\" }, think = \"2s\", session_slo = \"100ms\" } } }\n"
  "fault { name = \"slow c\", target = \"web.c\", kind = \"latency\", latency = \"100ms\", at = \"20.5s\", duration = \"20s\" }\n";

/* The journey's session p99 as each window closed (the run keeps only the last one's). */
static double session_p99_at[64];
static void keep_session_p99(fl_sim_t *s, uint32_t w, void *user) {
  (void)user;
  if (w < 64) session_p99_at[w] = s->jrn[0].sess_p99;
}

TEST(a_journeys_session_time_is_the_sum_of_its_steps_and_over_its_session_slo_degrades_it) {
  run_t r;
  if (!start_path(&r, put("session_slo.lua", session_slo), NULL, 0)) { run_free(&r); return; }
  CHECK_EQ_INT(jrn_id(&r, "shop"), 0);
  r.s.on_window = keep_session_p99;
  finish(&r);
  dump_changes(&r);
  const fl_jrn_rt_t *jr = &r.s.jrn[jrn_id(&r, "shop")];
  CHECK(jr->hsess != NULL);
  if (!jr->hsess) { run_free(&r); return; }
  /* theory: 10 + 20 + 30 ms before the fault, 160 ms during it (the histogram's bucket: under 0.8%) */
  note("session p99 at 10 s %.6f, at 30 s %.6f; step p99 at 10 s %.6f", session_p99_at[10], session_p99_at[30], jr->st.series[FL_SER_P99][10]);
  CHECK_NEAR(session_p99_at[10], 0.060, 0.060 * 0.008);
  CHECK_NEAR(session_p99_at[30], 0.160, 0.160 * 0.008);
  CHECK_NEAR(jr->st.series[FL_SER_P99][10], 0.030, 0.030 * 0.008);   /* a step's p99 is the slowest step's */
  /* every measured session answered its 3 steps, and the whole-run mean lies between the two */
  CHECK_EQ_INT((int)jr->hsess_total->count, (int)jr->completed);
  CHECK(jr->completed > 800);
  double mean = fl_hist_mean(jr->hsess_total) / 1e9;
  CHECK(mean > 0.060 && mean < 0.160);
  const fl_change_t *c = change_of(&r, NULL, "shop", FL_HEALTH_DEGRADED);
  CHECK(c != NULL);
  if (c) {
    CHECK_NEAR(fl_time_to_sec(c->t), 21, 1.01);
    note("%s", c->reason);
    CHECK(strstr(c->reason, "session p99 160ms over its session_slo of 100ms (3 steps") != NULL);
    CHECK_EQ_INT(c->fault, 0);
  }
  const fl_change_t *ok = change_of(&r, NULL, "shop", FL_HEALTH_OK);
  CHECK(ok != NULL && fl_time_to_sec(ok->t) >= 40 && fl_time_to_sec(ok->t) <= 45);
  /* the JSON: journeys.shop.sessions.time, and the terminal summary's line */
  cJSON *tm = fl_report_session_time_json(&r.s, jrn_id(&r, "shop"));
  CHECK(tm != NULL);
  if (tm) {
    CHECK_EQ_INT((int)cJSON_GetObjectItem(tm, "answered")->valuedouble, (int)jr->completed);
    CHECK_NEAR(cJSON_GetObjectItem(tm, "p50")->valuedouble, 0.060, 0.060 * 0.008);
    CHECK_NEAR(cJSON_GetObjectItem(tm, "max")->valuedouble, 0.160, 1e-6);
    CHECK_NEAR(cJSON_GetObjectItem(tm, "slo")->valuedouble, 0.1, 1e-12);
    cJSON_Delete(tm);
  }
  char *buf = NULL; size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  fl_report_summary(f, &r.s, NULL, false);
  fl_report_cascade_text(f, &r.s, false);
  fclose(f);
  CHECK(strstr(buf, "sessions answered whole:") != NULL && strstr(buf, "p99 160ms (think times excluded, session_slo 100ms)") != NULL);
  CHECK(strstr(buf, "journey shop ok → degraded  session p99 160ms") != NULL);
  free(buf);
  run_free(&r);
}

/* ---- recovery: back to the state before the fault ---- */

/* s promises 5 ms but works exp 10 ms: degraded from the start. Every request fails from 20.5 s
** to 30.5 s: down. When the fault ends it is degraded again, as before: that is its recovery. */
static const char *pre_degraded =
  "scenario { name = \"pre degraded\", duration = \"60s\", seed = 31, window = \"1s\", warmup = \"5s\" }\n"
  "service \"s\" { instances = 1, workers = 20, queue = 100, work = exp \"10ms\", slo = \"5ms\" }\n"
  "traffic { rate = \"100/s\", mix = { s = 1 } }\n"
  "fault { name = \"boom\", target = \"s\", kind = \"errors\", rate = 1, at = \"20.5s\", duration = \"10s\" }\n";

/* --set reaches a journey's slo and session_slo: the same run with a session_slo of 200 ms (over
** the 160 ms the fault makes) never degrades the journey; a step slo of 25 ms (under the 30 ms
** step) degrades it from the start, by its steps, not its sessions. */
TEST(set_changes_a_journeys_slo_and_session_slo) {
  static const char *const loose[] = { "traffic.journeys.shop.session_slo=200ms" };
  static const char *const tight[] = { "traffic.journeys.shop.slo=25ms", "traffic.journeys.shop.session_slo=1s" };
  run_t r;
  if (!run_path(&r, put("session_loose.lua", session_slo), loose, 1)) { run_free(&r); return; }
  CHECK_NEAR(r.m->journeys[jrn_id(&r, "shop")].session_slo, 0.2, 1e-12);
  CHECK(change_of(&r, NULL, "shop", FL_HEALTH_DEGRADED) == NULL);
  run_free(&r);
  if (!run_path(&r, put("session_tight.lua", session_slo), tight, 2)) { run_free(&r); return; }
  const fl_change_t *c = change_of(&r, NULL, "shop", FL_HEALTH_DEGRADED);
  CHECK(c != NULL);
  if (c) {
    note("%s at %.0f s", c->reason, fl_time_to_sec(c->t));
    CHECK(fl_time_to_sec(c->t) <= 10);   /* the first windows after the warm-up */
    CHECK(strstr(c->reason, "over its slo of 25ms") != NULL);
  }
  run_free(&r);
  /* bad paths and values name what was expected */
  static const char *const bad[][1] = { { "traffic.journeys.nope.slo=1s" }, { "traffic.journeys.shop.p99=1s" },
                                        { "traffic.journeys.shop.slo=fast" } };
  static const char *const says[] = { "no journey 'nope'", "unknown journey field 'p99' (expected slo, session_slo)",
                                      "expected a duration" };
  for (int k = 0; k < 3; k++) {
    fl_model_t *m = NULL;
    char err[512] = "";
    fl_load_opts_t o = { .sets = bad[k], .nsets = 1 };
    CHECK(fl_scenario_load(put("session_bad.lua", session_slo), &o, &m, err, sizeof err) != 0);
    CHECK_MSG(strstr(err, says[k]) != NULL, "'%s' should say '%s'", err, says[k]);
    fl_model_free(m);
  }
}

TEST(a_service_degraded_before_the_fault_recovers_when_it_is_degraded_again) {
  run_t r;
  if (!run_text(&r, "pre_degraded.lua", pre_degraded)) return;
  dump_changes(&r);
  const fl_change_t *d = change_of(&r, "s", NULL, FL_HEALTH_DEGRADED);
  CHECK(d != NULL && fl_time_to_sec(d->t) < 5);            /* degraded before the fault */
  CHECK(change_of(&r, "s", NULL, FL_HEALTH_OK) == NULL);     /* never ok */
  fl_cascade_t c;
  fl_cascade_init(&c, &r.s);
  const fl_fault_cascade_t *fc = &c.fault[0];
  /* hits: s degraded -> down and its journey ok -> down; s down -> degraded is no hit, a recovery */
  int svc_hits = 0;
  for (int k = 0; k < fc->nhits; k++) {
    const fl_change_t *h = &r.s.changes[fc->hits[k].change];
    if (h->service < 0) { CHECK_EQ_INT(h->to, FL_HEALTH_DOWN); continue; }
    svc_hits++;
    CHECK_EQ_INT(h->from, FL_HEALTH_DEGRADED);
    CHECK_EQ_INT(h->to, FL_HEALTH_DOWN);
    CHECK_NEAR(fl_time_to_sec(h->t), 20, 1.01);
    CHECK_NEAR(fl_time_to_sec(fc->hits[k].recovered), 31, 1.01);
  }
  CHECK_EQ_INT(svc_hits, 1);
  CHECK_EQ_INT(fc->nhits, 2);
  /* the fault ends at 30.5 s: window 30 is half failing (still down), 31 is degraded again */
  note("recovered at %.1f s", fc->recovered >= 0 ? fl_time_to_sec(fc->recovered) : -1.0);
  CHECK(fc->recovered >= 0);
  CHECK_NEAR(fl_time_to_sec(fc->recovered), 31, 1.01);
  cJSON *a = fl_report_cascade_json(&r.s, &c);
  cJSON *rec = cJSON_GetObjectItem(cJSON_GetArrayItem(a, 0), "recovered");
  CHECK(cJSON_IsNumber(rec) && rec->valuedouble == fl_time_to_sec(fc->recovered));
  cJSON_Delete(a);
  fl_cascade_release(&c);
  run_free(&r);
}

TEST(a_fault_whose_traffic_stopped_is_never_recovered_by_empty_windows) {
  run_t r;
  if (!run_text(&r, "empty_recovery.lua", empty)) return;
  fl_cascade_t c;
  fl_cascade_init(&c, &r.s);
  const fl_fault_cascade_t *fc = &c.fault[0];
  CHECK(fc->nhits >= 1);
  CHECK(fc->end >= 0 && fl_time_to_sec(fc->end) > 50);      /* the fault ended at 50.5 s */
  CHECK_EQ_INT(fc->recovered, -1);                           /* no answer since 40 s: not recovered */
  for (int h = 0; h < fc->nhits; h++) CHECK_EQ_INT(fc->hits[h].recovered, -1);
  cJSON *a = fl_report_cascade_json(&r.s, &c);
  CHECK(cJSON_IsNull(cJSON_GetObjectItem(cJSON_GetArrayItem(a, 0), "recovered")));
  cJSON_Delete(a);
  fl_cascade_release(&c);
  run_free(&r);
}

/* ---- flapping as one episode on the timeline ---- */

/* One worker, 4 ms of work, slo 30 ms: at 50/s (20% busy) the p99 is 4 ms; at 300/s (120%) the
** queue grows by 60 a second and the p99 passes 300 ms. The rate alternates, 4 s high and 4 s low,
** %d times from 20 s: s toggles around its slo once per burst. */
static const char *flap =
  "scenario { name = \"flap\", duration = \"70s\", seed = 37, window = \"1s\", warmup = \"5s\" }\n"
  "service \"s\" { instances = 1, workers = 1, queue = 10000, work = const \"4ms\", slo = \"30ms\" }\n"
  "local pts = { { 0, 50 } }\n"
  "for k = 0, %d - 1 do\n"
  "  local t0 = 20 + 8 * k\n"
  "  pts[#pts + 1] = { t0, 50 }; pts[#pts + 1] = { t0 + 0.001, 300 }\n"
  "  pts[#pts + 1] = { t0 + 4, 300 }; pts[#pts + 1] = { t0 + 4.001, 50 }\n"
  "end\n"
  "%s\n"
  "traffic { rate = piecewise(pts), mix = { s = 1 } }\n";

TEST(a_subject_toggling_around_its_threshold_is_one_episode_of_the_timeline_with_its_raw_changes_kept) {
  run_t r;
  if (!run_path(&r, putf("flap.lua", flap, 5, ""), NULL, 0)) return;
  dump_changes(&r);
  /* the raw changes: one degradation per burst, each followed by its recovery */
  int n = count_changes(&r, "s"), bad = 0;
  for (int i = 0; i < r.s.nchanges; i++) bad += r.s.changes[i].to == FL_HEALTH_DEGRADED;
  CHECK_EQ_INT(n, 10);
  CHECK_EQ_INT(bad, 5);
  fl_cascade_t c;
  fl_cascade_init(&c, &r.s);
  CHECK_EQ_INT(c.nflaps, 1);
  if (c.nflaps == 1) {
    const fl_flap_t *fp = &c.flaps[0];
    CHECK_EQ_INT(fp->changes, n);
    CHECK_EQ_INT(fp->flaps, bad);
    CHECK_NEAR(fl_time_to_sec(fp->t0), 20, 1.01);               /* the first burst */
    CHECK_NEAR(fl_time_to_sec(fp->t1), 20 + 8 * 4 + 6, 1.01);   /* the last one's recovery */
    CHECK_EQ_INT(fp->base, FL_HEALTH_OK);
    CHECK_EQ_INT(fp->worst, FL_HEALTH_DEGRADED);
    CHECK_EQ_INT(fp->last, FL_HEALTH_OK);
  }
  /* the JSON keeps every change: the first carries the episode, the others are folded into it */
  cJSON *a = fl_report_timeline_json(&r.s, &c);
  CHECK_EQ_INT(cJSON_GetArraySize(a), r.s.nchanges);
  int episodes = 0, folded = 0;
  for (int k = 0; k < cJSON_GetArraySize(a); k++) {
    cJSON *e = cJSON_GetArrayItem(a, k), *ep = cJSON_GetObjectItem(e, "episode");
    if (ep) {
      episodes++;
      CHECK_EQ_INT((int)cJSON_GetObjectItem(ep, "flaps")->valuedouble, bad);
      CHECK_EQ_INT((int)cJSON_GetObjectItem(ep, "changes")->valuedouble, n);
      CHECK(cJSON_GetObjectItem(ep, "first")->valuedouble == cJSON_GetObjectItem(e, "t")->valuedouble);
      CHECK_EQ_STR(cJSON_GetObjectItem(ep, "ends")->valuestring, "ok");
    }
    if (cJSON_GetObjectItem(e, "folded")) folded++;
  }
  CHECK_EQ_INT(episodes, 1);
  CHECK_EQ_INT(folded, n - 1);
  cJSON_Delete(a);
  /* the terminal: one line for the episode, none for the changes it folds */
  char *buf = NULL; size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  fl_report_cascade_lines(f, &r.s, &c, false);
  fclose(f);
  note("%s", buf);
  CHECK(strstr(buf, "s ok ⇄ degraded  flapping: left ok 5 times, 10 changes to t=") != NULL);
  CHECK(strstr(buf, "s degraded → ok") == NULL && strstr(buf, "s ok → degraded") == NULL);
  free(buf);
  fl_cascade_release(&c);
  run_free(&r);
  /* one burst: a degradation and its recovery, no flapping */
  if (!run_path(&r, putf("flap1.lua", flap, 1, ""), NULL, 0)) return;
  fl_cascade_init(&c, &r.s);
  CHECK_EQ_INT(count_changes(&r, "s"), 2);
  CHECK_EQ_INT(c.nflaps, 0);
  for (int i = 0; i < r.s.nchanges; i++) CHECK_EQ_INT(c.flap[i], -1);
  fl_cascade_release(&c);
  run_free(&r);
  /* three bursts, then high to the end: the last degradation never returns, and stays its own line */
  if (!run_path(&r, putf("flap3.lua", flap, 3, "pts[#pts + 1] = { 44, 50 }; pts[#pts + 1] = { 44.001, 300 }"), NULL, 0)) return;
  dump_changes(&r);
  fl_cascade_init(&c, &r.s);
  CHECK_EQ_INT(count_changes(&r, "s"), 7);
  CHECK_EQ_INT(c.nflaps, 1);
  if (c.nflaps == 1) { CHECK_EQ_INT(c.flaps[0].changes, 6); CHECK_EQ_INT(c.flaps[0].flaps, 3); }
  const fl_change_t *lastc = NULL;
  int li = -1;
  for (int i = 0; i < r.s.nchanges; i++) if (r.s.changes[i].service >= 0) { lastc = &r.s.changes[i]; li = i; }
  CHECK(lastc && lastc->to == FL_HEALTH_DEGRADED && fl_time_to_sec(lastc->t) >= 44);
  if (li >= 0) CHECK_EQ_INT(c.flap[li], -1);
  fl_cascade_release(&c);
  run_free(&r);
}

/* ---- a broker's backlog in the cascade of the fault that slowed its consumer ---- */

/* The broker delivers 5 at a time to mail.send (20 ms each: 250/s for 200/s published). Slowed
** x5 from 20.5 s, mail takes 50/s: the lag grows by 150 a second, while mail itself, 5 of 10
** workers busy, changes no state. With confirm = 3 the broker's change is confirmed after the
** 4.4 s fault has ended. */
static const char *consumer_lag =
  "scenario { name = \"consumer lag\", duration = \"60s\", seed = 11, window = \"1s\", warmup = \"5s\"%s }\n"
  "service \"shop\" { instances = 1, workers = 100, queue = 1000, endpoints = {\n"
  "  order = { work = const \"1ms\", calls = { call \"events\" { async = true } } } } }\n"
  "service \"events\" { kind = \"broker\", consumers = { \"mail.send\" }, lag = 500, concurrency = 5 }\n"
  "service \"mail\" { instances = 1, workers = 10, queue = 100, endpoints = { send = { work = const \"20ms\" } } }\n"
  "traffic { rate = \"200/s\", mix = { [\"shop.order\"] = 1 } }\n"
  "fault { name = \"slow mail\", target = \"mail\", kind = \"slowdown\", factor = 5, at = \"20.5s\", duration = \"%s\" }\n";

static void check_broker_in_cascade(const char *name, const char *health, const char *duration) {
  run_t r;
  if (!run_path(&r, putf(name, consumer_lag, health, duration), NULL, 0)) return;
  dump_changes(&r);
  CHECK_EQ_INT(count_changes(&r, "mail"), 0);
  fl_cascade_t c;
  fl_cascade_init(&c, &r.s);
  const fl_fault_cascade_t *fc = &c.fault[0];
  int ev = svc_id(&r, "events");
  bool hit = false;
  for (int h = 0; h < fc->nhits; h++) {
    const fl_change_t *ch = &r.s.changes[fc->hits[h].change];
    if (ch->service == ev && ch->to == FL_HEALTH_DEGRADED) {
      hit = true;
      CHECK(strstr(ch->reason, "backlog: ") != NULL && strstr(ch->reason, "fault 'slow mail'") != NULL);
      CHECK_EQ_INT(ch->fault, 0);
    }
  }
  CHECK_MSG(hit, "%s: the broker's change is not in the fault's chain", name);
  /* its lag as an effect: the highest window lag while the fault lasted, against before it */
  const fl_effect_t *e = effect_of(&r, &c, 0, "events", FL_EFFECT_LAG);
  CHECK(e != NULL);
  if (e) {
    const double *lag = sst(&r, "events")->series[FL_SER_LAG];
    uint32_t d0 = 20, d1 = (uint32_t)((r.s.fault[0].ended + r.s.window - 1) / r.s.window);
    double peak = 0;
    for (uint32_t w = d0; w < d1; w++) if (lag[w] > peak) peak = lag[w];
    note("%s: lag %.0f (was %.0f), series peak %.0f, theory %.0f", name, e->during, e->before, peak, 150 * (fl_time_to_sec(r.s.fault[0].ended) - 20.5));
    CHECK(e->during == peak);
    CHECK_NEAR(e->during, 150 * (fl_time_to_sec(r.s.fault[0].ended) - 20.5), 0.15 * e->during);   /* 150 more a second */
    CHECK(e->before < 50);
  }
  fl_cascade_release(&c);
  run_free(&r);
}

TEST(a_brokers_backlog_is_in_the_chain_of_the_fault_that_slowed_its_consumer_with_the_lag_as_its_effect) {
  check_broker_in_cascade("consumer_lag.lua", "", "20s");
  check_broker_in_cascade("consumer_lag_late.lua", ", health = { confirm = 3 }", "4.4s");
}

/* ---- a latency fault is in its target's own p99 ---- */

/* Constant work, constant latency faults: front (1 ms) calls s.a (10 ms); s.b (20 ms) is a
** journey of its own. 50 ms on s from 20.5 s to 30.5 s, 30 ms on s.b alone from 40.5 s to 50.5 s.
** Theory: s.a answers in 10 + 50 ms during the first, s.b in 20 + 50 and then 20 + 30 ms, and
** front in 1 + 10 + 50 ms: every latency exact, so every p99 is the sum, to the histogram's bucket. */
static const char *own_latency =
  "scenario { name = \"own latency\", duration = \"60s\", seed = 41, window = \"1s\", warmup = \"5s\" }\n"
  "service \"front\" { instances = 1, workers = 100, queue = 100, endpoints = { go = { work = const \"1ms\", calls = { call \"s.a\" } } } }\n"
  "service \"s\" { instances = 1, workers = 100, queue = 100, endpoints = {\n"
  "  a = { work = const \"10ms\" }, b = { work = const \"20ms\" } } }\n"
  "traffic { rate = \"100/s\", mix = { [\"front.go\"] = 0.5, [\"s.b\"] = 0.5 } }\n"
  "fault { name = \"slow s\", target = \"s\", kind = \"latency\", latency = \"50ms\", at = \"20.5s\", duration = \"10s\" }\n"
  "fault { name = \"slow b\", target = \"s.b\", kind = \"latency\", latency = \"30ms\", at = \"40.5s\", duration = \"10s\" }\n"
  "expect \"a during\" { endpoint = \"s.a\", p99 = \"< 1s\", p50 = \"< 1s\", during = \"fault:slow s\" }\n"
  "expect \"b during\" { endpoint = \"s.b\", p99 = \"< 1s\", p50 = \"< 1s\", during = { \"42s\", \"50s\" } }\n";

/* A histogram's bucket: a quantile is within 0.4% of any value in it (buckets under 0.8% wide). */
#define RES(x) (0.004 * (x))

TEST(a_latency_fault_on_a_service_or_endpoint_is_in_its_own_p99_as_the_sum_of_work_and_latency) {
  run_t r;
  if (!run_text(&r, "own_latency.lua", own_latency)) return;
  const double *sp = sst(&r, "s")->series[FL_SER_P99], *fp = sst(&r, "front")->series[FL_SER_P99];
  note("s p99 before %.6f, during slow s %.6f, during slow b %.6f; front during slow s %.6f", sp[10], sp[25], sp[45], fp[25]);
  CHECK_NEAR(sp[10], 0.020, RES(0.020));            /* the slower endpoint, b */
  CHECK_NEAR(sp[25], 0.020 + 0.050, RES(0.020 + 0.050));    /* b with the service's 50 ms */
  CHECK_NEAR(sp[45], 0.020 + 0.030, RES(0.020 + 0.030));    /* b with its own 30 ms */
  CHECK_NEAR(fp[25], 0.001 + 0.010 + 0.050, RES(0.001 + 0.010 + 0.050));
  CHECK_NEAR(fp[45], 0.011, RES(0.011));            /* front calls a, not b */
  int a = exp_id(&r, "a during"), b = exp_id(&r, "b during");
  note("s.a p99 %.6f p50 %.6f; s.b p99 %.6f", r.s.exp[a].p99, r.s.exp[a].p50, r.s.exp[b].p99);
  CHECK_NEAR(r.s.exp[a].p99, 0.060, RES(0.060));
  CHECK_NEAR(r.s.exp[b].p99, 0.050, RES(0.050));
  CHECK_NEAR(r.s.exp[b].p50, 0.050, RES(0.050));
  run_free(&r);
}

/* ---- sweep on every measure an expectation checks (size: test_sizing.c) ---- */

#include <math.h>

#include "faultline/run.h"
#include "faultline/sweep.h"

/* The broker scenario with an expectation on each of the other measures (and an endpoint and a
** journey subject). */
static const char *every_measure =
  "expect \"mail endpoint\" { endpoint = \"mail.send\", p90 = \"< 1s\", p95 = \"< 1s\", mean = \"< 1s\" }\n"
  "expect \"shop rates\" { service = \"shop\", error_rate = \"< 1%\", throughput = \">= 150/s\", utilization = \"< 50%\" }\n"
  "expect \"journey tail\" { journey = \"shop.order\", p999 = \"< 1s\" }\n"
  "expect \"backlog\" { service = \"events\", lag = \"< 100\", age = \"< 1s\", during = \"fault:slow mail\" }\n";

TEST(sweep_reports_every_measure_an_expectation_checks_as_one_run_observes_it) {
  char text[8192];
  snprintf(text, sizeof text, "%s%s", broker_lag, every_measure);
  const char *path = put("every_measure.lua", text);
  fl_sweep_opts_t o = { .path = path, .reps = 1 };
  fl_sweep_t sw;
  char err[1024];
  int rc = fl_sweep_init(&sw, &o, err, sizeof err);
  CHECK_MSG(rc == 0, "%s", err);
  if (rc == 0) { fl_pool_opts_t po = { .threads = 1 }; rc = fl_sweep_run(&sw, &po, err, sizeof err); CHECK_MSG(rc == 0, "%s", err); }
  if (rc) { fl_sweep_release(&sw); return; }
  /* the source of truth: the same replication run alone, with its seed */
  run_t r;
  fl_load_opts_t lo = { .has_seed = true, .seed = sw.seeds[0] };
  if (!run_opts(&r, path, &lo)) { fl_sweep_release(&sw); return; }
  const fl_layout_t *l = &sw.layout;
  int checked = 0;
  for (int x = 0; x < r.m->nexpects; x++) {
    const fl_expect_t *ex = &r.m->expects[x];
    for (int k = 0; k < ex->nmore; k++) {
      fl_xmeasure_t q = ex->more[k].measure;
      int v = fl_layout_expect_metric(l, x, FL_XM_MORE + (int)q);
      const fl_ci_t *c = fl_sweep_ci(&sw, 0, v);
      const fl_ci_t *w = fl_sweep_ci(&sw, 0, fl_layout_expect_part(l, x, FL_XM_MORE + (int)q, FL_PART_WANTED));
      CHECK(c != NULL && w != NULL);
      if (!c || !w) continue;
      note("%s %s: sweep %.9g, run %.9g, wanted %.9g", ex->name, fl_xmeasure_name(q), c->mean, r.s.exp[x].more[q], w->mean);
      CHECK(r.s.exp[x].seen[q]);
      CHECK(c->mean == r.s.exp[x].more[q]);
      CHECK(w->mean == ex->more[k].value);
      CHECK_EQ_STR(fl_expect_metric_name(FL_XM_MORE + (int)q), fl_xmeasure_name(q));
      checked++;
    }
    /* held as the run says */
    CHECK(fl_sweep_ci(&sw, 0, fl_layout_expect(l, x))->mean == (r.s.exp[x].passed ? 1 : 0));
  }
  CHECK_EQ_INT(checked, 9);   /* p90 p95 mean, error_rate throughput utilization, p999, lag age */
  CHECK(!r.s.exp[exp_id(&r, "backlog")].passed && r.s.exp[exp_id(&r, "mail endpoint")].passed);
  /* a quantile carries its histogram bucket as resolution; a rate none */
  int mx = exp_id(&r, "mail endpoint"), sx = exp_id(&r, "shop rates");
  CHECK(fl_sweep_ci(&sw, 0, fl_layout_expect_part(l, mx, FL_XM_MORE + FL_EXM_P95, FL_PART_RES))->mean > 0);
  CHECK(fl_sweep_ci(&sw, 0, fl_layout_expect_part(l, sx, FL_XM_MORE + FL_EXM_THROUGHPUT, FL_PART_RES))->mean == 0);
  /* the JSON and the terminal name them in their units */
  cJSON *j = fl_sweep_json(&sw);
  char *js = cJSON_PrintUnformatted(j);
  CHECK(strstr(js, "\"throughput\":{") != NULL && strstr(js, "\"lag\":{") != NULL && strstr(js, "\"p999\":{") != NULL);
  cJSON_free(js);
  cJSON_Delete(j);
  char *buf = NULL; size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  fl_sweep_print(f, &sw);
  fclose(f);
  note("%s", buf);
  char want[64];
  snprintf(want, sizeof want, "lag %.6g (threshold 100)", r.s.exp[exp_id(&r, "backlog")].more[FL_EXM_LAG]);
  CHECK(strstr(buf, want) != NULL);
  snprintf(want, sizeof want, "throughput %.6g/s (threshold 150/s)", r.s.exp[sx].more[FL_EXM_THROUGHPUT]);
  CHECK(strstr(buf, want) != NULL);
  CHECK(strstr(buf, "utilization ") != NULL && strstr(buf, "% (threshold 50%)") != NULL);
  free(buf);
  run_free(&r);
  fl_sweep_release(&sw);
}

TEST(a_session_slo_that_is_not_a_positive_duration_is_refused_with_its_line) {
  static const char *const bad[][2] = {
    { "session_slo = '0s'", "traffic: journey \"shop\": session_slo must be positive" },
    { "session_slo = 'fast'", "session_slo: cannot read 'fast' as a duration" },
    { "sesion_slo = '1s'", "unknown field 'sesion_slo' (expected one of: steps, continue, think, slo, session_slo)" },
  };
  for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
    char text[4096], err[512] = "";
    snprintf(text, sizeof text,
             "scenario { name = \"x\", duration = \"10s\" }\n"
             "service \"web\" { instances = 1, workers = 5, endpoints = { a = { work = const \"1ms\" }, b = { work = const \"1ms\" } } }\n"
             "traffic { rate = \"1/s\", mix = { shop = 1 },\n"
             "  journeys = { shop = { steps = { \"web.a\", \"web.b\" }, %s } } }\n", bad[k][0]);
    fl_model_t *m = NULL;
    int rc = fl_scenario_load(put("bad_session.lua", text), NULL, &m, err, sizeof err);
    note("%s", err);
    CHECK(rc != 0);
    CHECK_MSG(strstr(err, bad[k][1]) != NULL && strstr(err, "bad_session.lua:3") != NULL, "case %zu: '%s' not in '%s'", k, bad[k][1], err);
    if (m) fl_model_free(m);
  }
}
