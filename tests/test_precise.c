/* Faults as precise as real incidents: a fault on one endpoint ("svc.endpoint": errors,
** latency, slowdown, hang) leaves the callers of the service's other endpoints untouched, and the
** report names the endpoint; faults whose kind cannot hit one endpoint are refused with the
** kinds that can.
**
** Every scenario is small, with a fixed seed; counts are compared exactly where they are exact
** by construction, else within at least 4 standard deviations.
**
** FAULTLINE_PRECISE_VERBOSE=1 prints the numbers compared. */
#define CHECK_MAIN
#include "check.h"

#include <cJSON.h>
#include <math.h>

#include "faultline/report.h"
#include "faultline/scenario.h"
#include "faultline/sim.h"

#define FIXTURE_NAME "precise"
#include "fixture.h"

/* Loads 'text' and returns the loader's error (empty when it loaded). */
static const char *load_error(const char *name, const char *text) {
  static char err[512];
  err[0] = 0;
  fl_model_t *m = NULL;
  fl_load_opts_t o = { 0 };
  if (fl_scenario_load(put(name, text), &o, &m, err, sizeof err) == 0) err[0] = 0;
  fl_model_free(m);
  return err;
}

/* ---- endpoint faults ---- */

/* catalog has two endpoints; front.list calls catalog.list, front.get calls catalog.get. */
#define CATALOG CATALOG_W("50")
#define CATALOG_W(workers) \
  "scenario { name = \"endpoint\", duration = \"40s\", seed = 3, window = \"1s\", warmup = \"5s\" }\n" \
  "service \"front\" { instances = 1, workers = 1000, queue = 1000, endpoints = {\n" \
  "  list = { work = const \"1ms\", calls = { call \"catalog.list\" { timeout = \"2s\" } } },\n" \
  "  get = { work = const \"1ms\", calls = { call \"catalog.get\" { timeout = \"2s\" } } } } }\n" \
  "service \"catalog\" { instances = 2, workers = " workers ", queue = 1000, endpoints = {\n" \
  "  list = { work = const \"5ms\" }, get = { work = const \"5ms\" } } }\n" \
  "traffic { rate = \"400/s\", mix = { [\"front.list\"] = 0.5, [\"front.get\"] = 0.5 } }\n"

TEST(errors_on_one_endpoint_fail_its_callers_only) {
  run_t r;
  if (!run_text(&r, "ep_errors.lua", CATALOG
      "fault { target = \"catalog.get\", kind = \"errors\", rate = \"50%\", at = \"10.5s\", duration = \"20s\" }\n")) return;
  const fl_stats_t *get = jst(&r, "front.get"), *list = jst(&r, "front.list");
  double gd = sum(get, FL_SER_SUCCESSES, 11, 30) + sum(get, FL_SER_FAILURES, 11, 30);
  double gf = sum(get, FL_SER_FAILURES, 11, 30) / gd;
  note("front.get failure share %.4f of %.0f; front.list failures %llu", gf, gd, (unsigned long long)list->total.failures);
  CHECK_NEAR(gf, 0.5, 0.05);                        /* n ~ 3800: sd 0.008 */
  CHECK_EQ_INT(list->total.failures, 0);            /* the other endpoint's callers: untouched */
  CHECK_EQ_INT(get->total.cause[FL_CAUSE_ERROR], get->total.failures);
  const fl_fault_t *ft = &r.m->faults[0];
  CHECK(ft->endpoint && strcmp(ft->endpoint->full_name, "catalog.get") == 0);
  CHECK_EQ_STR(ft->name, "catalog.get");
  CHECK_EQ_STR(fl_fault_target_label(ft), "catalog.get");
  cJSON *o = fl_report_fault_json(&r.s, 0);
  CHECK_EQ_STR(cJSON_GetStringValue(cJSON_GetObjectItem(o, "target")), "catalog");
  CHECK_EQ_STR(cJSON_GetStringValue(cJSON_GetObjectItem(o, "endpoint")), "get");
  cJSON_Delete(o);
  run_free(&r);
}

TEST(latency_and_slowdown_on_one_endpoint_slow_its_callers_only) {
  run_t r;
  if (!run_text(&r, "ep_slow.lua", CATALOG
      "fault { target = \"catalog.get\", kind = \"latency\", latency = \"100ms\", at = \"10.5s\", duration = \"10s\" }\n"
      "fault { target = \"catalog.get\", name = \"slow\", kind = \"slowdown\", factor = 5, at = \"25.5s\", duration = \"10s\" }\n")) return;
  const fl_stats_t *get = jst(&r, "front.get"), *list = jst(&r, "front.list");
  /* front.list: 1 ms + 5 ms every time, whatever the faults */
  CHECK_NEAR(fl_time_to_sec(fl_hist_quantile(list->htotal, 0.99)), 0.006, 0.0005);
  CHECK_NEAR(fl_time_to_sec(fl_hist_quantile(list->htotal, 0.01)), 0.006, 0.0005);
  /* front.get: 106 ms during the latency fault, 26 ms during the slowdown */
  CHECK_NEAR(get->series[FL_SER_P50][15], 0.106, 0.005);
  CHECK_NEAR(get->series[FL_SER_P50][30], 0.026, 0.002);
  CHECK_NEAR(get->series[FL_SER_P50][8], 0.006, 0.0005);
  run_free(&r);
}

TEST(hang_on_one_endpoint_freezes_its_requests_and_fails_them_when_it_ends) {
  run_t r;
  /* catalog with room for every frozen request: 2 x 2000 workers */
  if (!run_text(&r, "ep_hang.lua", CATALOG_W("2000")
      "fault { target = \"catalog.get\", kind = \"hang\", at = \"10.5s\", duration = \"5s\" }\n")) return;
  const fl_stats_t *get = jst(&r, "front.get"), *list = jst(&r, "front.list"), *cat = sst(&r, "catalog");
  note("front.get failures %llu (timeout %llu, unavailable %llu); front.list failures %llu", (unsigned long long)get->total.failures,
       (unsigned long long)get->total.cause[FL_CAUSE_TIMEOUT], (unsigned long long)get->total.cause[FL_CAUSE_UNAVAILABLE],
       (unsigned long long)list->total.failures);
  /* 200/s to catalog.get for 5 s: every frozen request times out at its caller (2 s); catalog
  ** fails those it still held as unavailable when the hang ends */
  CHECK(get->total.failures > 500);
  CHECK_EQ_INT(sum(get, FL_SER_SUCCESSES, 11, 15), 0);
  CHECK(cat->total.cause[FL_CAUSE_UNAVAILABLE] > 0);
  /* catalog.list's requests run on the workers the hang does not hold: untouched */
  CHECK_EQ_INT(list->total.failures, 0);
  CHECK_NEAR(fl_time_to_sec(fl_hist_quantile(list->htotal, 0.99)), 0.006, 0.0005);
  CHECK_EQ_INT(sum(get, FL_SER_FAILURES, 20, 40), 0);
  run_free(&r);
}

TEST(endpoint_fault_reason_and_cascade_name_the_endpoint) {
  run_t r;
  if (!run_text(&r, "ep_reason.lua", CATALOG
      "fault { name = \"bad-get\", target = \"catalog.get\", kind = \"errors\", rate = \"100%\", at = \"10.5s\", duration = \"10s\" }\n")) return;
  bool named = false;
  for (int i = 0; i < r.s.nchanges; i++) {
    note("change: %s", r.s.changes[i].reason);
    if (strstr(r.s.changes[i].reason, "catalog.get")) named = true;
  }
  CHECK(named);
  run_free(&r);
}

TEST(a_kind_that_hits_instances_refuses_an_endpoint_and_lists_those_that_take_one) {
  const char *e = load_error("ep_crash.lua", CATALOG "fault { target = \"catalog.get\", kind = \"crash\", at = \"10s\" }\n");
  note("%s", e);
  CHECK(strstr(e, "ep_crash.lua:8:") != NULL);
  CHECK(strstr(e, "latency, slowdown, errors, hang") != NULL);
  e = load_error("ep_unknown.lua", CATALOG "fault { target = \"catalog.nope\", kind = \"errors\", rate = 1, at = \"10s\" }\n");
  note("%s", e);
  CHECK(strstr(e, "no endpoint 'nope' (it has get, list)") != NULL);
  e = load_error("ep_inst.lua", CATALOG "fault { target = \"catalog.get\", kind = \"hang\", instances = 1, at = \"10s\" }\n");
  CHECK(strstr(e, "instances applies to a whole service") != NULL);
}

TEST(a_hook_injects_a_fault_on_one_endpoint) {
  run_t r;
  if (!run_text(&r, "ep_hook.lua", CATALOG
      "at(\"10.5s\", function(sim) sim:inject{ target = \"catalog.get\", kind = \"errors\", rate = 1, duration = \"5s\" } end)\n")) return;
  const fl_stats_t *get = jst(&r, "front.get"), *list = jst(&r, "front.list");
  CHECK_EQ_INT(r.m->nfaults, 1);
  CHECK(r.m->faults[0].endpoint != NULL);
  CHECK_EQ_INT(sum(get, FL_SER_SUCCESSES, 11, 15), 0);
  CHECK(sum(get, FL_SER_FAILURES, 11, 15) > 700);
  CHECK_EQ_INT(list->total.failures, 0);
  run_free(&r);
}

/* ---- calls that ignore errors ---- */

TEST(a_call_with_ignore_errors_answers_a_success_when_the_callee_fails) {
  run_t r;
  if (!run_text(&r, "ignore.lua",
      "scenario { name = \"ignore\", duration = \"30s\", seed = 4, window = \"1s\", warmup = \"5s\" }\n"
      "service \"front\" { instances = 1, workers = 1000, queue = 1000, endpoints = {\n"
      "  a = { work = const \"1ms\", calls = { call \"audit\" { ignore_errors = true } } },\n"
      "  b = { work = const \"1ms\", calls = { call \"audit\" { optional = true } } } } }\n"
      "service \"audit\" { instances = 1, workers = 100, work = const \"2ms\" }\n"
      "traffic { rate = \"200/s\", mix = { [\"front.a\"] = 0.5, [\"front.b\"] = 0.5 } }\n"
      "fault { target = \"audit\", kind = \"errors\", rate = \"100%\", at = \"10.5s\", duration = \"10s\" }\n")) return;
  const fl_stats_t *a = jst(&r, "front.a"), *b = jst(&r, "front.b"), *au = sst(&r, "audit");
  note("front.a: %llu successes, %llu degraded, %llu failures; front.b degraded %llu; audit failures %llu",
       (unsigned long long)a->total.successes, (unsigned long long)a->total.degraded, (unsigned long long)a->total.failures,
       (unsigned long long)b->total.degraded, (unsigned long long)au->total.failures);
  CHECK(au->total.failures > 1500);
  CHECK_EQ_INT(a->total.failures, 0);
  CHECK_EQ_INT(a->total.degraded, 0);               /* a success, not degraded */
  CHECK(b->total.degraded > 700);                   /* beside it, optional: degraded */
  CHECK_EQ_INT(b->total.failures, 0);
  run_free(&r);
  const char *e = load_error("ignore_both.lua",
      "service \"a\" { work = const \"1ms\", calls = { call \"b\" { optional = true, ignore_errors = true } } }\n"
      "service \"b\" { work = const \"1ms\" }\ntraffic { rate = \"1/s\", mix = { a = 1 } }\n");
  note("%s", e);
  CHECK(strstr(e, "not both") != NULL);
}

/* ---- link faults, named as links ---- */

TEST(a_link_fault_is_named_as_the_link_and_leaves_the_callee_healthy) {
  run_t r;
  if (!run_text(&r, "link.lua",
      "scenario { name = \"link\", duration = \"60s\", seed = 3, window = \"1s\", warmup = \"5s\" }\n"
      "service \"checkout\" { instances = 1, workers = 1000, queue = 1000, work = const \"1ms\", calls = { call \"payment\" { timeout = \"1s\" } } }\n"
      "service \"refunds\" { instances = 1, workers = 100, work = const \"1ms\", calls = { call \"payment\" } }\n"
      "service \"payment\" { instances = 2, workers = 100, work = const \"5ms\" }\n"
      "traffic { rate = \"200/s\", mix = { checkout = 0.5, refunds = 0.5 } }\n"
      "fault { from = \"checkout\", to = \"payment\", kind = \"errors\", rate = \"100%\", at = \"20.5s\", duration = \"20s\" }\n")) return;
  int pay = svc_id(&r, "payment"), co = svc_id(&r, "checkout");
  bool named = false;
  for (int i = 0; i < r.s.nchanges; i++) {
    const fl_change_t *c = &r.s.changes[i];
    note("change of %d: %s", c->service, c->reason);
    CHECK_MSG(c->service != pay, "payment changed state: %s", c->reason);
    if (c->service == co && strstr(c->reason, "errors on checkout → payment")) named = true;
  }
  CHECK(named);
  CHECK_EQ_INT(sst(&r, "payment")->total.failures, 0);
  CHECK_EQ_INT(jst(&r, "refunds")->total.failures, 0);
  char what[128];
  CHECK_EQ_STR(fl_fault_describe(&r.m->faults[0], what, sizeof what), "errors on checkout → payment");
  cJSON *o = fl_report_fault_json(&r.s, 0);
  CHECK_EQ_STR(cJSON_GetStringValue(cJSON_GetObjectItem(o, "from")), "checkout");
  CHECK_EQ_STR(cJSON_GetStringValue(cJSON_GetObjectItem(o, "to")), "payment");
  cJSON_Delete(o);
  run_free(&r);
}

TEST(a_kind_that_takes_no_link_lists_those_that_do) {
  const char *e = load_error("link_crash.lua",
      "service \"a\" { work = const \"1ms\", calls = { call \"b\" } }\nservice \"b\" { work = const \"1ms\" }\n"
      "traffic { rate = \"1/s\", mix = { a = 1 } }\n"
      "fault { from = \"a\", to = \"b\", kind = \"slowdown\", factor = 2, at = \"1s\" }\n");
  note("%s", e);
  CHECK(strstr(e, "link_crash.lua:4:") != NULL);
  CHECK(strstr(e, "a slowdown fault takes no from/to (the kinds that act on one link: latency, errors, partition)") != NULL);
}

/* ---- request attributes ---- */

/* A page fetches 4 distinct products of 10; orders come from the US (8/9) or Canada (1/9). */
#define SHOP \
  "scenario { name = \"attrs\", duration = \"200s\", seed = 7, window = \"1s\", warmup = \"0s\" }\n" \
  "service \"web\" { instances = 1, workers = 10000, queue = 10000, endpoints = {\n" \
  "  page = { work = const \"1ms\", calls = { call \"catalog.get\" { count = 4, attrs = { product = choice {\n" \
  "    \"P0\", \"P1\", \"P2\", \"P3\", \"P4\", \"P5\", \"P6\", \"P7\", \"P8\", \"P9\" } } } } },\n" \
  "  order = { work = const \"1ms\", calls = { call \"payment\" } },\n" \
  "  export = { work = const \"1ms\", calls = { call \"customs\" { when = { country = \"!US\" } } } } } }\n" \
  "service \"catalog\" { instances = 2, workers = 1000, queue = 1000, endpoints = { get = { work = const \"2ms\" } } }\n" \
  "service \"payment\" { instances = 2, workers = 1000, queue = 1000, work = const \"2ms\" }\n" \
  "service \"customs\" { instances = 1, workers = 1000, queue = 1000, work = const \"2ms\" }\n" \
  "traffic { rate = \"300/s\", mix = { [\"web.page\"] = 1/3, [\"web.order\"] = 1/3, [\"web.export\"] = 1/3 },\n" \
  "  attrs = { country = share { US = 8/9, CA = 1/9 }, user = zipf { n = 1000, s = 1.1 } } }\n"

TEST(a_fault_on_one_product_of_ten_fails_four_in_ten_pages_of_four_distinct_products) {
  run_t r;
  if (!run_text(&r, "attrs_page.lua", SHOP
      "fault { target = \"catalog.get\", kind = \"errors\", rate = \"100%\", where = { product = \"P3\" }, at = \"0s\" }\n")) return;
  const fl_stats_t *p = jst(&r, "web.page"), *cat = sst(&r, "catalog");
  double done = (double)(p->total.successes + p->total.failures), share = (double)p->total.failures / done;
  /* correlated: the page fails when P3 is among its 4 of 10 products, 4/10 = 40%, not
  ** 1 - 0.9^4 = 34.4% (independent draws); n ~ 20000 pages: sd 0.35% */
  note("pages failed %.4f of %.0f; catalog failed %.4f of its calls", share, done,
       (double)cat->total.failures / (double)(cat->total.successes + cat->total.failures));
  CHECK_NEAR(share, 0.40, 0.015);
  CHECK(fabs(share - 0.344) > 0.04);
  /* each call: P3 with probability 1/10 (sd of the share ~0.1%) */
  CHECK_NEAR((double)cat->total.failures / (double)(cat->total.successes + cat->total.failures), 0.10, 0.006);
  CHECK_EQ_INT(cat->total.arrivals, 4 * p->total.arrivals);
  CHECK_EQ_INT(jst(&r, "web.order")->total.failures, 0);
  run_free(&r);
}

TEST(a_country_keyed_delay_hits_one_order_in_nine) {
  run_t r;
  if (!run_text(&r, "attrs_country.lua", SHOP
      "fault { target = \"payment\", kind = \"latency\", latency = \"500ms\", where = { country = \"!US\" }, at = \"0s\" }\n")) return;
  const fl_stats_t *o = jst(&r, "web.order");
  /* orders of 3 ms, or 503 ms from outside the US: 1/9 = 11.1% are slow (n ~ 20000: sd 0.22%),
  ** so the 87th percentile is fast and the 90th slow */
  double q87 = fl_time_to_sec(fl_hist_quantile(o->htotal, 0.87)), q90 = fl_time_to_sec(fl_hist_quantile(o->htotal, 0.90));
  note("orders: p87 %.4f s, p90 %.4f s", q87, q90);
  CHECK(q87 < 0.01);
  CHECK(q90 > 0.4);
  CHECK_EQ_INT(o->total.failures, 0);
  /* a call with when = { country = "!US" } is made for the same 1/9 of exports */
  double ex = (double)jst(&r, "web.export")->total.arrivals, cu = (double)sst(&r, "customs")->total.arrivals;
  note("customs calls %.0f of %.0f exports", cu, ex);
  CHECK_NEAR(cu / ex, 1.0 / 9, 0.01);
  run_free(&r);
}

TEST(selectors_name_drawn_attributes_and_values) {
  const char *e = load_error("attrs_bad.lua", SHOP "fault { target = \"payment\", kind = \"errors\", rate = 1, where = { country = \"FR\" }, at = \"0s\" }\n");
  note("%s", e);
  CHECK(strstr(e, "attrs_bad.lua:12: fault 'payment': where: attribute 'country' is never drawn as 'FR'") != NULL);
  e = load_error("attrs_key.lua", SHOP "fault { target = \"payment\", kind = \"errors\", rate = 1, where = { tenant = \"a\" }, at = \"0s\" }\n");
  CHECK(strstr(e, "no request draws the attribute 'tenant'") != NULL);
  e = load_error("attrs_kind.lua", SHOP "fault { target = \"payment\", kind = \"crash\", where = { country = \"US\" }, at = \"0s\" }\n");
  CHECK(strstr(e, "where applies to errors and latency faults") != NULL);
}

TEST(scenarios_without_attributes_draw_nothing) {
  run_t r;
  if (!run_text(&r, "no_attrs.lua", CATALOG)) return;
  CHECK_EQ_INT(r.m->nattr_keys, 0);
  CHECK_EQ_INT(r.s.nwhere_active, 0);
  run_free(&r);
}

/* ---- the mix from a hook ---- */

TEST(a_hook_sets_the_whole_mix_and_one_share_alone_is_refused) {
  run_t r;
  if (!run_text(&r, "mix_hook.lua", CATALOG
      "at(\"20s\", function(sim) sim:set(\"traffic.mix\", { [\"front.list\"] = 0.2, [\"front.get\"] = 0.8 }) end)\n")) return;
  const fl_stats_t *get = jst(&r, "front.get"), *list = jst(&r, "front.list");
  double g = sum(get, FL_SER_ARRIVALS, 25, 40), l = sum(list, FL_SER_ARRIVALS, 25, 40);
  note("after the hook: get %.0f, list %.0f (share of get %.3f)", g, l, g / (g + l));
  CHECK_NEAR(g / (g + l), 0.8, 0.03);                /* n ~ 6000: sd 0.5% */
  CHECK_NEAR((g + l) / 15, 400, 40);                 /* the total rate unchanged */
  run_free(&r);
  fl_model_t *m = NULL;
  char err[512];
  fl_load_opts_t o = { 0 };
  CHECK(fl_scenario_load(put("mix_bad.lua", CATALOG "at(\"20s\", function(sim) sim:set(\"traffic.mix.front.get\", 0.83) end)\n"),
                         &o, &m, err, sizeof err) == 0);
  if (!m) return;
  fl_sim_t s;
  CHECK(fl_sim_init(&s, m) == 0);
  fl_sim_run(&s);
  note("%s", s.error);
  CHECK(strstr(s.error, "shares would sum to 1.33 (expected 1)") != NULL);
  CHECK_NEAR(m->journeys[0].share + m->journeys[1].share, 1, 1e-9);   /* left as it was */
  fl_sim_release(&s);
  fl_model_free(m);
}

/* ---- expectations on the requests whose attributes match ---- */

TEST(an_expectation_with_where_sees_only_its_requests) {
  run_t r;
  if (!run_text(&r, "exp_where.lua", SHOP
      "fault { target = \"payment\", kind = \"latency\", latency = \"500ms\", where = { country = \"!US\" }, at = \"0s\" }\n"
      "expect \"CA orders\" { journey = \"web.order\", where = { country = \"CA\" }, p50 = \"> 400ms\", mean = \"> 400ms\" }\n"
      "expect \"US orders\" { journey = \"web.order\", where = { country = \"US\" }, p99 = \"< 10ms\", success_rate = \"== 100%\" }\n"
      "expect \"CA payments\" { service = \"payment\", where = { country = \"!US\" }, p99 = \"> 400ms\" }\n")) return;
  const fl_exp_rt_t *ca = &r.s.exp[exp_id(&r, "CA orders")], *us = &r.s.exp[exp_id(&r, "US orders")];
  const fl_exp_rt_t *pay = &r.s.exp[exp_id(&r, "CA payments")];
  const fl_stats_t *o = jst(&r, "web.order");
  double n = (double)o->total.arrivals, share = (double)ca->acc.c.arrivals / n;
  note("orders %.0f: CA %llu (%.4f), US %llu; CA p50 %.4f mean %.4f, US p99 %.4f; payments from CA %llu p99 %.4f", n,
       (unsigned long long)ca->acc.c.arrivals, share, (unsigned long long)us->acc.c.arrivals, ca->p50, ca->more[FL_EXM_MEAN],
       us->p99, (unsigned long long)pay->acc.c.arrivals, pay->p99);
  /* every order is from the US or Canada: the two scopes split the journey exactly */
  CHECK_EQ_INT(ca->acc.c.arrivals + us->acc.c.arrivals, o->total.arrivals);
  CHECK_EQ_INT(ca->acc.h->count + us->acc.h->count, o->htotal->count);
  CHECK_NEAR(share, 1.0 / 9, 0.009);                  /* n ~ 20000: sd 0.22% */
  /* theory: 1 ms + 2 ms, and 500 ms more on the way to payment from Canada */
  CHECK_NEAR(ca->p50, 0.503, 0.003);
  CHECK_NEAR(ca->more[FL_EXM_MEAN], 0.503, 0.003);
  CHECK_NEAR(us->p99, 0.003, 0.0003);
  CHECK(ca->passed && us->passed);
  /* the service's view: a latency fault on the service counts in its own latency (its 2 ms and the
  ** 500 ms), and the same orders */
  CHECK_NEAR(pay->p99, 0.502, 0.003);
  CHECK(pay->passed);
  /* each answered Canadian order had its payment answered (the way back takes no time); orders of
  ** the last 0.5 s are still on their way to payment: ~100/s x 1/9 x 0.5 s = 5.6 of them */
  CHECK_EQ_INT(pay->acc.c.successes, ca->acc.h->count);
  CHECK(ca->acc.c.arrivals >= pay->acc.c.arrivals && ca->acc.c.arrivals - pay->acc.c.arrivals <= 15);
  cJSON *a = fl_report_expectations_json(&r.s);
  cJSON *w = cJSON_GetObjectItem(cJSON_GetArrayItem(a, 0), "where");
  CHECK_EQ_STR(cJSON_GetStringValue(cJSON_GetObjectItem(w, "country")), "CA");
  cJSON_Delete(a);
  run_free(&r);
}

TEST(an_expectations_where_is_checked_at_load) {
  const char *e = load_error("exp_where_bad.lua", SHOP "expect \"x\" { journey = \"web.order\", where = { country = \"FR\" }, p99 = \"< 1s\" }\n");
  note("%s", e);
  CHECK(strstr(e, "exp_where_bad.lua:12: expect \"x\": where: attribute 'country' is never drawn as 'FR'") != NULL);
  e = load_error("exp_where_key.lua", SHOP "expect \"x\" { journey = \"web.order\", where = { tenant = \"a\" }, p99 = \"< 1s\" }\n");
  CHECK(strstr(e, "exp_where_key.lua:12: expect \"x\": where: no request draws the attribute 'tenant'") != NULL);
  e = load_error("exp_where_util.lua", SHOP "expect \"x\" { service = \"payment\", where = { country = \"US\" }, utilization = \"< 50%\" }\n");
  note("%s", e);
  CHECK(strstr(e, "exp_where_util.lua:12:") != NULL && strstr(e, "utilization is not a measure of requests") != NULL);
}

/* ---- attributes in the model's JSON and in check ---- */

TEST(the_model_shows_attributes_as_written) {
  fl_model_t *m = NULL;
  char err[512];
  fl_load_opts_t o = { 0 };
  if (fl_scenario_load(put("attrs_model.lua", SHOP), &o, &m, err, sizeof err) != 0) { CHECK_FAIL_("cannot load: %s", err); return; }
  cJSON *j = fl_report_model_json(m);
  cJSON *attrs = cJSON_GetObjectItem(cJSON_GetObjectItem(j, "traffic"), "attrs");
  CHECK_EQ_STR(cJSON_GetStringValue(cJSON_GetObjectItem(attrs, "country")), "share { CA = 0.1111, US = 0.8889 }");
  CHECK_EQ_STR(cJSON_GetStringValue(cJSON_GetObjectItem(attrs, "user")), "zipf { n = 1000, s = 1.1 }");
  cJSON *eps = cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "services"), "web"), "endpoints");
  cJSON *page = cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetObjectItem(eps, "page"), "calls"), 0);
  CHECK_EQ_STR(cJSON_GetStringValue(cJSON_GetObjectItem(page, "count")), "4");
  CHECK_EQ_STR(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(page, "attrs"), "product")),
               "choice { \"P0\", \"P1\", \"P2\", \"P3\", \"P4\", \"P5\", \"P6\", \"P7\", ... (10 values) }");
  cJSON *exp = cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetObjectItem(eps, "export"), "calls"), 0);
  CHECK_EQ_STR(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(exp, "when"), "country")), "!US");
  cJSON_Delete(j);
  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);
  fl_report_model(f, m);
  fclose(f);
  note("%s", text);
  CHECK(strstr(text, "  attributes: country = share { CA = 0.1111, US = 0.8889 }, user = zipf { n = 1000, s = 1.1 }\n") != NULL);
  CHECK(strstr(text, "→ customs.default when country = !US\n") != NULL);
  CHECK(strstr(text, "→ catalog.get count 4 per item product = choice { \"P0\",") != NULL);
  free(text);
  fl_model_free(m);
}

/* ---- the report's model is the model as it started, with every change ---- */

TEST(the_report_shows_the_model_as_it_started_and_each_hooks_change) {
  run_t r;
  if (!run_text(&r, "changes.lua", CATALOG
      "at(\"20s\", function(sim) sim:set(\"traffic.mix\", { [\"front.list\"] = 0.2, [\"front.get\"] = 0.8 }) end)\n"
      "at(\"25s\", function(sim) sim:scale(\"catalog\", 4); sim:set(\"catalog.endpoints.get.error_rate\", 0.1) end)\n"
      "at(\"30s\", function(sim) sim:set(\"traffic.rate\", \"400/s\") end)\n")) return;   /* the same rate: no change */
  fl_run_info_t info = { 0 };
  size_t len;
  char *report = fl_report_json_text(&r.s, &info, &len);   /* the report as written, read back */
  cJSON *j = cJSON_Parse(report);
  free(report);
  cJSON *sc = cJSON_GetObjectItem(j, "scenario"), *model = cJSON_GetObjectItem(sc, "model");
  cJSON *mix = cJSON_GetObjectItem(cJSON_GetObjectItem(model, "traffic"), "mix");
  /* as it ran at the start, not as the hooks left it */
  CHECK_NEAR(cJSON_GetNumberValue(cJSON_GetObjectItem(mix, "front.get")), 0.5, 1e-12);
  cJSON *cat = cJSON_GetObjectItem(cJSON_GetObjectItem(model, "services"), "catalog");
  CHECK_NEAR(cJSON_GetNumberValue(cJSON_GetObjectItem(cat, "instances")), 2, 0);
  CHECK(!cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(cat, "endpoints"), "get"), "error_rate"));
  CHECK_NEAR(r.m->journeys[1].share + r.m->journeys[0].share, 1, 1e-12);
  cJSON *ch = cJSON_GetObjectItem(sc, "changes");
  char *text = cJSON_PrintUnformatted(ch);
  note("%s", text);
  CHECK_EQ_STR(text, "[{\"t\":20,\"path\":\"traffic.mix\",\"from\":{\"front.get\":0.5,\"front.list\":0.5},\"to\":{\"front.get\":0.8,\"front.list\":0.2}},"
                     "{\"t\":25,\"path\":\"catalog.instances\",\"from\":2,\"to\":4},"
                     "{\"t\":25,\"path\":\"catalog.endpoints.get.error_rate\",\"from\":null,\"to\":0.1}]");
  cJSON_free(text);
  cJSON_Delete(j);
  /* the other view: the run did change, at those times (the mix moved arrivals at 20 s) */
  double g = sum(jst(&r, "front.get"), FL_SER_ARRIVALS, 21, 25), l = sum(jst(&r, "front.list"), FL_SER_ARRIVALS, 21, 25);
  CHECK_NEAR(g / (g + l), 0.8, 0.04);                 /* n ~ 1600: sd 1% */
  CHECK_NEAR(r.s.svc[svc_id(&r, "catalog")].st.series[FL_SER_INSTANCES][30], 4, 0);
  run_free(&r);
}

/* ---- the mix as a function of time ---- */

#define TIMED_MIX(at2) \
  "scenario { name = \"endpoint\", duration = \"40s\", seed = 3, window = \"1s\", warmup = \"5s\" }\n" \
  "service \"front\" { instances = 1, workers = 1000, queue = 1000, endpoints = {\n" \
  "  list = { work = const \"1ms\" }, get = { work = const \"1ms\" } } }\n" \
  "traffic { rate = \"400/s\", mix = { [\"front.list\"] = 0.5, [\"front.get\"] = 0.5,\n" \
  "  at \"15s\" { [\"front.list\"] = 0.2, [\"front.get\"] = 0.8 },\n" \
  "  " at2 " } }\n"

TEST(a_timed_mix_moves_arrivals_at_its_times) {
  run_t r;
  if (!run_text(&r, "mix_at.lua", TIMED_MIX("at \"30s\" { [\"front.list\"] = 1 }"))) return;
  const fl_stats_t *get = jst(&r, "front.get"), *list = jst(&r, "front.list");
  /* Poisson counts: rate x share x seconds, within 4 standard deviations */
  static const struct { int w0, w1; double list, get; } phase[] = { { 0, 15, 0.5, 0.5 }, { 15, 30, 0.2, 0.8 }, { 30, 40, 1, 0 } };
  for (int k = 0; k < 3; k++) {
    double l = sum(list, FL_SER_ARRIVALS, phase[k].w0, phase[k].w1), g = sum(get, FL_SER_ARRIVALS, phase[k].w0, phase[k].w1);
    double el = 400 * phase[k].list * (phase[k].w1 - phase[k].w0), eg = 400 * phase[k].get * (phase[k].w1 - phase[k].w0);
    note("windows %d-%d: list %.0f (theory %.0f), get %.0f (theory %.0f)", phase[k].w0, phase[k].w1, l, el, g, eg);
    CHECK_NEAR(l, el, 4 * sqrt(el));
    CHECK_NEAR(g, eg, 4 * sqrt(eg) + 1e-9);
  }
  /* at the right time: the window before 30 s still has gets, none after */
  CHECK(get->series[FL_SER_ARRIVALS][29] > 0);
  CHECK_EQ_INT(sum(get, FL_SER_ARRIVALS, 30, 40), 0);
  /* the report's model is the mix as it started, the changes listed at their times */
  cJSON *mj = fl_report_model_start_json(&r.s);
  CHECK_NEAR(cJSON_GetNumberValue(cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(mj, "traffic"), "mix"), "front.get")), 0.5, 1e-12);
  cJSON *ats = cJSON_GetObjectItem(cJSON_GetObjectItem(mj, "traffic"), "mix_at");
  CHECK_EQ_INT(cJSON_GetArraySize(ats), 2);
  CHECK_NEAR(cJSON_GetNumberValue(cJSON_GetObjectItem(cJSON_GetArrayItem(ats, 1), "at")), 30, 0);
  cJSON_Delete(mj);
  cJSON *ch = fl_report_model_changes_json(&r.s);
  CHECK_EQ_INT(cJSON_GetArraySize(ch), 2);
  CHECK_NEAR(cJSON_GetNumberValue(cJSON_GetObjectItem(cJSON_GetArrayItem(ch, 0), "t")), 15, 0);
  CHECK_NEAR(cJSON_GetNumberValue(cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetArrayItem(ch, 1), "to"), "front.get")), 0, 0);
  cJSON_Delete(ch);
  run_free(&r);
}

TEST(a_bad_timed_mix_is_refused_with_its_line) {
  const char *e = load_error("mix_at_sum.lua", TIMED_MIX("at \"30s\" { [\"front.list\"] = 0.5, [\"front.get\"] = 0.83 }"));
  note("%s", e);
  CHECK(strstr(e, "mix_at_sum.lua:6: traffic: mix at 30s: shares sum to 1.33 (expected 1)") != NULL);
  e = load_error("mix_at_name.lua", TIMED_MIX("at \"30s\" { [\"front.lst\"] = 1 }"));
  note("%s", e);
  CHECK(strstr(e, "mix_at_name.lua:6: traffic: mix at 30s: 'front.lst' is not a journey of the mix") != NULL);
  e = load_error("mix_at_twice.lua", TIMED_MIX("at \"15s\" { [\"front.list\"] = 1 }"));
  note("%s", e);
  CHECK(strstr(e, "traffic: mix at 15s: two changes at the same time") != NULL);
  e = load_error("mix_at_share.lua", TIMED_MIX("at \"30s\" { [\"front.list\"] = 2 }"));
  note("%s", e);
  CHECK(strstr(e, "mix_at_share.lua:") != NULL && strstr(e, "front.list") != NULL);
  /* at("45s") alone is neither a hook nor a mix change: refused at its line, not dropped */
  e = load_error("at_alone.lua", CATALOG "\n\nat(\"45s\")\nat(\"50s\", function(sim) end)\n");
  note("%s", e);
  int line = 1;
  for (const char *c = CATALOG; *c; c++) line += *c == '\n';
  char want[64];
  snprintf(want, sizeof want, "at_alone.lua:%d: at: expected a function", line + 2);
  CHECK_MSG(strstr(e, want) != NULL, "'%s' should say '%s'", e, want);
}
