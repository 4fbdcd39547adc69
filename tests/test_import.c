/* faultline import: the 12-service shop of tests/import/ in Jaeger's and OpenTelemetry's formats
** imports to a scenario that loads, runs, and whose simulated call rates per edge and arrivals
** per service match the counts in the data (read here independently of the importer, from the
** Jaeger file) within Poisson noise; the histograms' percentiles reach the simulated latency;
** bad input is reported with file, line and JSON path; a cycle is explained with the call to
** drop; Toxiproxy and Chaos Mesh examples import to faults whose simulated effect matches (a
** 300 ms latency toxic adds 300 ms to the calls through it, a partition cuts the link, ...);
** traces (Jaeger, OTLP) give each operation its call tree, parallel groups from span timing, and
** bad traces their line (the round trip of traces is tests/cli_import_traces.sh).
**
** Tolerances: an edge's count over the run is a compound Poisson draw (a request can make up to
** four calls on one edge), so its standard deviation is at most sqrt(4 N); checks allow 5 of them.
** FAULTLINE_IMPORT_VERBOSE=1 prints the numbers compared. */
#define CHECK_MAIN
#include "check.h"

#include <cJSON.h>
#include <stdarg.h>
#include <unistd.h>

#include "faultline/hist.h"
#include "faultline/import.h"
#include "faultline/scenario.h"
#include "faultline/sim.h"

#define FIXTURE_NAME "import"
#include "fixture.h"

/* tests/import/NAME, from the repository's root or from tests/ */
static const char *input(const char *name) {
  static char path[256];
  static const char *const dirs[] = { "tests/import", "import", "../tests/import" };
  for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
    snprintf(path, sizeof path, "%s/%s", dirs[i], name);
    if (access(path, R_OK) == 0) return path;
  }
  fprintf(stderr, "cannot find tests/import/%s\n", name);
  exit(3);
}

/* Runs the importer; returns its code, the output in *out (caller frees), the error in err. */
static int import(fl_import_format_t f, const char *path, const fl_import_opts_t *o, char **out, char *err, size_t n) {
  size_t len = 0;
  *out = NULL;
  FILE *mem = open_memstream(out, &len);
  err[0] = 0;
  int rc = fl_import(f, path, o, mem, NULL, err, n);
  fclose(mem);
  return rc;
}


/* ---- the shop's counts, read from the Jaeger file ---- */

typedef struct { char parent[32], child[32]; double count; } link_t;
typedef struct { link_t l[64]; int n; } shop_t;

static void read_shop(shop_t *shop) {
  memset(shop, 0, sizeof *shop);
  FILE *f = fopen(input("shop.jaeger.json"), "r");
  if (!f) exit(3);
  static char buf[1 << 16];
  size_t len = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[len] = 0;
  cJSON *root = cJSON_Parse(buf);
  const cJSON *data = cJSON_GetObjectItem(root, "data"), *it;
  cJSON_ArrayForEach(it, data) {
    link_t *l = &shop->l[shop->n++];
    snprintf(l->parent, sizeof l->parent, "%s", cJSON_GetObjectItem(it, "parent")->valuestring);
    snprintf(l->child, sizeof l->child, "%s", cJSON_GetObjectItem(it, "child")->valuestring);
    l->count = cJSON_GetObjectItem(it, "callCount")->valuedouble;
  }
  cJSON_Delete(root);
}

/* Requests a service serves in the hour: its incoming calls, or (an entry) its busiest call. */
static double served(const shop_t *shop, const char *svc) {
  double in = 0, busiest = 0;
  for (int i = 0; i < shop->n; i++) {
    if (strcmp(shop->l[i].child, svc) == 0) in += shop->l[i].count;
    if (strcmp(shop->l[i].parent, svc) == 0 && shop->l[i].count > busiest) busiest = shop->l[i].count;
  }
  return in > 0 ? in : busiest;
}

/* Calls made from 'from' to 'to' over the whole run, summed over the call sites. */
static double calls_made(const run_t *r, const char *from, const char *to) {
  const fl_service_t *s = fl_model_find_service(r->m, from);
  double n = 0;
  for (int e = 0; s && e < s->nendpoints; e++)
    for (int c = 0; c < s->endpoints[e].ncalls; c++) {
      const fl_call_t *call = &s->endpoints[e].calls[c];
      if (strcmp(call->target->service->name, to) == 0) n += (double)r->s.call[call->id].calls;
    }
  return n;
}

/* The imported shop's simulated rates: per edge over the whole run, per service after warm-up. */
static void check_shop_rates(const char *text, const char *label) {
  shop_t shop;
  read_shop(&shop);
  run_t r;
  if (!run_text(&r, "shop.lua", text)) return;
  CHECK_EQ_INT(r.m->nservices, 12);
  double whole = fl_time_to_sec(r.s.end), measured = fl_sim_measured_seconds(&r.s);
  CHECK(whole >= 600);
  double worst = 0;
  for (int i = 0; i < shop.n; i++) {
    const link_t *l = &shop.l[i];
    double want = l->count / 3600 * whole, got = calls_made(&r, l->parent, l->child);
    double sd = sqrt(4 * want), z = (got - want) / sd;
    if (fabs(z) > fabs(worst)) worst = z;
    note("%s %s -> %s: %.0f calls, %.0f expected (%+.2f sd)", label, l->parent, l->child, got, want, z);
    CHECK_MSG(fabs(got - want) <= 5 * sd, "%s: %s -> %s: %.0f calls, %.0f expected (%.1f sd off)", label, l->parent, l->child, got, want, z);
  }
  for (int i = 0; i < r.m->nservices; i++) {
    const char *name = r.m->services[i].name;
    double want = served(&shop, name) / 3600 * measured, got = (double)r.s.svc[i].st.total.arrivals;
    double sd = sqrt(4 * want);
    note("%s %s: %.0f arrivals, %.0f expected (%+.2f sd)", label, name, got, want, (got - want) / sd);
    CHECK_MSG(fabs(got - want) <= 5 * sd, "%s: %s: %.0f arrivals, %.0f expected", label, name, got, want);
  }
  note("%s: worst edge %+.2f sd", label, worst);
  run_free(&r);
}

TEST(jaeger_shop_imports_to_a_scenario_whose_call_rates_match_the_counts) {
  fl_import_opts_t o = { 0 };
  o.window = 3600;
  char *text, err[4096];
  int rc = import(FL_IMPORT_JAEGER, input("shop.jaeger.json"), &o, &text, err, sizeof err);
  CHECK_MSG(rc == 0, "import failed: %s", err);
  if (rc == 0) {
    /* what was read, derived and guessed is said so */
    CHECK(strstr(text, "call \"catalog\" { p = 0.6 },  -- read: 324000 calls (90/s): on 60% of requests"));
    CHECK(strstr(text, "call \"currency\", call \"currency\",  -- read: 1152000 calls (320/s): 2 per request"));
    CHECK(strstr(text, "call \"currency\", call \"currency\" { p = 0.5 },  -- read: 54000 calls (15/s): 1.5 per request"));
    CHECK(strstr(text, "-- its request count is guessed: that of its busiest call (to auth)"));
    CHECK(strstr(text, "work = lognormal { median = \"5ms\", p99 = \"50ms\" },  -- guessed"));
    CHECK(strstr(text, "traffic { rate = \"200/s\", mix = { [\"frontend\"] = 0.75, [\"mobile\"] = 0.25 } }"));
    CHECK(strstr(text, "(given: --window 1h)"));
    check_shop_rates(text, "jaeger");
  }
  free(text);
}

TEST(otel_shop_imports_with_the_window_read_from_its_two_scrapes) {
  char *text, err[4096];
  int rc = import(FL_IMPORT_OTEL, input("shop.prom"), NULL, &text, err, sizeof err);
  CHECK_MSG(rc == 0, "import failed: %s", err);
  if (rc == 0) {
    CHECK(strstr(text, "The counts cover 1h (read: 1h between the first and the last scrape"));
    CHECK(strstr(text, "\"user\" is the connector's virtual node for requests from outside"));
    CHECK(strstr(text, "work = percentiles { p50 ="));
    CHECK(strstr(text, "-- read: its latency seen by the callee"));
    CHECK(strstr(text, "error_rate = 0.01,  -- derived: 1% of its requests failed"));   /* payment */
    check_shop_rates(text, "otel");
  }
  free(text);
}

/* A leaf's work is its latency histogram: the simulated percentiles follow the imported ones. */
TEST(otel_histograms_give_a_leaf_its_latency_percentiles) {
  char *text, err[4096];
  int rc = import(FL_IMPORT_OTEL, input("shop.prom"), NULL, &text, err, sizeof err);
  CHECK_MSG(rc == 0, "import failed: %s", err);
  run_t r;
  if (rc == 0 && run_text(&r, "shop_lat.lua", text)) {
    /* leaves with many requests (65000 to 195000 over the run): sampling noise well under 1% */
    const char *leaves[] = { "currency", "inventory", "auth" };
    for (int i = 0; i < 3; i++) {
      const fl_service_t *svc = fl_model_find_service(r.m, leaves[i]);
      const fl_dist_t *d = &svc->endpoints[0].work;
      CHECK_EQ_INT(d->kind, FL_DIST_PERCENTILES);
      const fl_hist_t *h = r.s.svc[svc->id].st.htotal;
      for (int k = 0; k < 3; k++) {
        double want = d->v[k], got = (double)fl_hist_quantile(h, d->p[k]) / 1e9;
        note("%s p%g: simulated %.6f s, imported %.6f s", leaves[i], d->p[k] * 100, got, want);
        CHECK_MSG(fabs(got - want) <= 0.02 * want, "%s p%g: simulated %g s, imported %g s", leaves[i], d->p[k] * 100, got, want);
      }
    }
    run_free(&r);
  }
  free(text);
}

/* ---- bad input ---- */

static void expect_error(fl_import_format_t f, const char *name, const char *text, const fl_import_opts_t *o, int want_rc, const char *want) {
  const char *path = put(name, text);
  char *out, err[4096];
  int rc = import(f, path, o, &out, err, sizeof err);
  CHECK_MSG(rc == want_rc, "%s: rc %d, expected %d (%s)", name, rc, want_rc, err);
  char full[512];
  snprintf(full, sizeof full, want[0] == ':' ? "%s%s" : "%s: %s", path, want);
  if (want[0] == '!') snprintf(full, sizeof full, "%s", want + 1);
  CHECK_MSG(strstr(err, full) != NULL, "%s: error '%s' lacks '%s'", name, err, full);
  CHECK_MSG(out == NULL || out[0] == 0, "%s: output written despite the error", name);
  free(out);
}

TEST(invalid_json_names_its_line_and_column) {
  expect_error(FL_IMPORT_JAEGER, "bad1.json",
               "{\"data\": [\n  {\"parent\": \"a\", \"child\": \"b\", \"callCount\": 10},\n  {\"parent\": \"b\", \"child\": \"c\" \"callCount\": 5}\n]}\n",
               NULL, -FL_EPARSE, ":3:32: invalid JSON near '\"callCount\": 5}'");
  expect_error(FL_IMPORT_JAEGER, "cut.json", "{\"data\": [\n  {\"parent\": \"a\", \"child\": \"b\", \"callCount\": 10}\n", NULL, -FL_EPARSE,
               ":3: invalid JSON: it ends too early");
  expect_error(FL_IMPORT_TOXIPROXY, "cut2.json", "[{\"name\": \"x\",\n \"upstream\": \"x:1\"},\n ]\n", NULL, -FL_EPARSE, ":3:2: invalid JSON");
}

TEST(a_bad_field_is_named_by_its_json_path_and_line) {
  expect_error(FL_IMPORT_JAEGER, "missing.json",
               "{\"data\": [\n  {\"parent\": \"a\", \"child\": \"b\", \"callCount\": 10},\n  {\"parent\": \"b\", \"child\": \"c\"}\n]}\n",
               NULL, -FL_EPARSE, ":3: data[1]: missing \"callCount\"");
  expect_error(FL_IMPORT_JAEGER, "negative.json",
               "[\n  {\"parent\": \"a\", \"child\": \"b\", \"callCount\": 10},\n  {\"parent\": \"b\",\n   \"child\": \"c\",\n   \"callCount\": -5}\n]\n",
               NULL, -FL_EPARSE, ":5: [1].callCount: negative count -5");
  expect_error(FL_IMPORT_JAEGER, "type.json", "[\n  {\"parent\": \"a\", \"child\": 7, \"callCount\": 5}\n]\n", NULL, -FL_EPARSE,
               ":2: [0].child: expected a service name, got a number");
  expect_error(FL_IMPORT_JAEGER, "fraction.json", "[{\"parent\": \"a\", \"child\": \"b\", \"callCount\": 2.5}]", NULL, -FL_EPARSE,
               ":1: [0].callCount: expected a whole number of calls, got 2.5");
  expect_error(FL_IMPORT_TOXIPROXY, "toxic.json",
               "[\n {\"name\": \"db\", \"upstream\": \"db:5432\",\n  \"toxics\": [\n   {\"type\": \"latency\",\n    \"attributes\": {\"latency\": -3}}]}\n]\n",
               NULL, -FL_EPARSE, ":5: [0].toxics[0].attributes.latency: negative value -3");
}

TEST(otel_metrics_with_wrong_labels_or_negative_counts_are_refused_with_their_line) {
  expect_error(FL_IMPORT_OTEL, "labels.prom",
               "# TYPE traces_service_graph_request_total counter\ntraces_service_graph_request_total{client=\"a\",server=\"b\"} 10\n"
               "traces_service_graph_request_total{client=\"b\",service=\"c\"} 5\n",
               NULL, -FL_EPARSE, ":3: traces_service_graph_request_total has no label 'server' (its labels: client, service)");
  expect_error(FL_IMPORT_OTEL, "le.prom",
               "traces_service_graph_request_total{client=\"a\",server=\"b\"} 10\ntraces_service_graph_request_server_seconds_bucket{client=\"a\",server=\"b\"} 5\n",
               NULL, -FL_EPARSE, ":2: traces_service_graph_request_server_seconds_bucket has no label 'le'");
  expect_error(FL_IMPORT_OTEL, "negative.prom",
               "traces_service_graph_request_total{client=\"a\",server=\"b\"} 10\ntraces_service_graph_request_total{client=\"b\",server=\"c\"} -5\n",
               NULL, -FL_EPARSE, ":2: traces_service_graph_request_total{client=\"b\",server=\"c\"}: negative count -5");
  expect_error(FL_IMPORT_OTEL, "syntax.prom", "traces_service_graph_request_total{client=\"a\",server=\"b\" 10\n", NULL, -FL_EPARSE,
               ":1: traces_service_graph_request_total: expected ',' or '}' after a label");
  expect_error(FL_IMPORT_OTEL, "twice.prom",
               "traces_service_graph_request_total{client=\"a\",server=\"b\"} 10\ntraces_service_graph_request_total{client=\"a\",server=\"b\"} 12\n",
               NULL, -FL_EPARSE, ":2: this series was already given at line 1");
  expect_error(FL_IMPORT_OTEL, "other.prom", "up 1\n", NULL, -FL_EPARSE, ":1: no traces_service_graph_request_total samples");
}

TEST(a_cycle_is_broken_at_its_least_traffic_call_and_said_so) {
  const char *cyc = "[\n {\"parent\": \"gateway\", \"child\": \"cart\", \"callCount\": 1000},\n"
                    " {\"parent\": \"cart\", \"child\": \"pricing\", \"callCount\": 900},\n"
                    " {\"parent\": \"pricing\", \"child\": \"cart\", \"callCount\": 12}\n]\n";
  fl_import_opts_t o = { 0 };
  o.window = 10;
  char *text, err[4096];
  int rc = import(FL_IMPORT_JAEGER, put("cycle.json", cyc), &o, &text, err, sizeof err);
  CHECK_MSG(rc == 0, "%s", err);
  CHECK(text && strstr(text, "-- left out to break a cycle: call \"cart\", 12 calls, the least traffic on a cycle of 2 calls: cart -> pricing -> cart"));
  run_t r;
  if (rc == 0 && run_text(&r, "cycle.lua", text)) run_free(&r);
  free(text);
}

TEST(a_cycle_is_explained_with_the_call_to_drop) {
  const char *cyc = "[\n {\"parent\": \"gateway\", \"child\": \"cart\", \"callCount\": 1000},\n"
                    " {\"parent\": \"cart\", \"child\": \"pricing\", \"callCount\": 900},\n"
                    " {\"parent\": \"pricing\", \"child\": \"cart\", \"callCount\": 12}\n]\n";
  fl_import_opts_t kc = { 0 };
  kc.keep_cycles = true;
  expect_error(FL_IMPORT_JAEGER, "cycle.json", cyc, &kc, -FL_EPARSE, ":4: the service graph has a cycle: cart -> pricing -> cart");
  expect_error(FL_IMPORT_JAEGER, "cycle.json", cyc, &kc, -FL_EPARSE, "!pricing -> cart: 12 calls");
  expect_error(FL_IMPORT_JAEGER, "cycle.json", cyc, &kc, -FL_EPARSE, "!a cycle would have a request call itself forever");
  expect_error(FL_IMPORT_JAEGER, "cycle.json", cyc, &kc, -FL_EPARSE, "!--drop 'pricing->cart'   (12 calls, 1.33% of pricing's requests)");
  /* the suggested --drop breaks it: the scenario loads and runs */
  const char *drop[] = { "pricing->cart" };
  fl_import_opts_t o = kc;
  o.drops = drop; o.ndrops = 1; o.window = 10;
  char *text, err[4096];
  int rc = import(FL_IMPORT_JAEGER, put("cycle.json", cyc), &o, &text, err, sizeof err);
  CHECK_MSG(rc == 0, "with --drop: %s", err);
  CHECK(text && strstr(text, "-- left out (--drop): call \"cart\", 12 calls"));
  run_t r;
  if (rc == 0 && run_text(&r, "cycle.lua", text)) run_free(&r);
  free(text);
  /* a --drop that names no call is an error */
  drop[0] = "pricing->nowhere";
  rc = import(FL_IMPORT_JAEGER, put("cycle.json", cyc), &o, &text, err, sizeof err);
  CHECK_EQ_INT(rc, -FL_EINVAL);
  CHECK(strstr(err, "pricing makes no call to nowhere in the data (it calls: cart)"));
  free(text);
  /* a service calling itself */
  expect_error(FL_IMPORT_JAEGER, "self.json", "[{\"parent\": \"a\", \"child\": \"b\", \"callCount\": 5}, {\"parent\": \"b\", \"child\": \"b\", \"callCount\": 2}]",
               &kc, -FL_EPARSE, "!the service graph has a cycle: b -> b");
}

TEST(names_that_are_not_service_names_are_renamed_and_said_so) {
  const char *path = put("names.json", "[{\"parent\": \"web.front\", \"child\": \"db\\\"main\", \"callCount\": 50},"
                                       " {\"parent\": \"web,front\", \"child\": \"db\\\"main\", \"callCount\": 5}]");
  fl_import_opts_t o = { 0 };
  o.window = 10;
  char *text, err[4096];
  int rc = import(FL_IMPORT_JAEGER, path, &o, &text, err, sizeof err);
  CHECK_MSG(rc == 0, "%s", err);
  CHECK(text && strstr(text, "service \"web_front\" {"));
  CHECK(text && strstr(text, "service \"web_front_2\" {"));
  CHECK(text && strstr(text, "-- named \"web.front\" in the data"));
  CHECK(text && strstr(text, "call \"db\\\"main\""));
  run_t r;
  if (rc == 0 && run_text(&r, "names.lua", text)) run_free(&r);
  free(text);
}

/* ---- chaos experiments ---- */

/* front calls payment; checkout calls inventory (100 ms timeout); shipping and recommend are entries. */
static const char *chaos_base =
  "scenario { name = \"chaos\", duration = \"100s\", seed = 5, window = \"1s\", warmup = \"5s\" }\n"
  "service \"front\" { instances = 1, workers = 1000, queue = 1000, endpoints = { go = { work = const \"1ms\", calls = { call \"payment\" } } } }\n"
  "service \"payment\" { instances = 2, workers = 100, queue = 100, work = const \"5ms\" }\n"
  "service \"checkout\" { instances = 1, workers = 1000, queue = 1000, work = const \"1ms\",\n"
  "  calls = { call \"inventory\" { timeout = \"100ms\" } } }\n"
  "service \"inventory\" { instances = 2, workers = 100, queue = 100, work = const \"2ms\" }\n"
  "service \"shipping\" { instances = 2, workers = 100, queue = 100, work = const \"2ms\" }\n"
  "service \"recommend\" { instances = 2, workers = 100, queue = 100, health_check = \"2s\", work = const \"2ms\" }\n"
  "traffic { rate = \"400/s\", mix = { [\"front.go\"] = 0.25, checkout = 0.25, shipping = 0.25, recommend = 0.25 } }\n"
  "expect \"before\" { journey = \"front.go\", p99 = \"< 10s\", during = { \"5s\", \"20s\" } }\n"
  "expect \"during\" { journey = \"front.go\", p99 = \"< 10s\", during = { \"21s\", \"45s\" } }\n";

/* Imports 'file' against chaos_base, at 20 s; returns the scenario with the faults appended. */
static char *chaos_scenario(fl_import_format_t f, const char *file, double duration) {
  char err[4096];
  fl_model_t *m = NULL;
  if (fl_scenario_load(put("base.lua", chaos_base), NULL, &m, err, sizeof err) != 0) { CHECK_FAIL_("base: %s", err); return NULL; }
  fl_import_opts_t o = { 0 };
  o.scenario = m; o.at = 20; o.has_at = true;
  if (duration > 0) { o.duration = duration; o.has_duration = true; }
  char *faults;
  int rc = import(f, input(file), &o, &faults, err, sizeof err);
  fl_model_free(m);
  CHECK_MSG(rc == 0, "import %s: %s", file, err);
  if (rc) { free(faults); return NULL; }
  size_t n = strlen(chaos_base) + strlen(faults) + 2;
  char *all = fl_xmalloc(n);
  snprintf(all, n, "%s\n%s", chaos_base, faults);
  free(faults);
  return all;
}

static double wsum(const fl_stats_t *st, fl_series_t k, int w0, int w1) {
  double t = 0;
  for (int w = w0; w < w1; w++) t += st->series[k][w];
  return t;
}

static double mean_of(const run_t *r, const char *expect_name) {
  for (int x = 0; x < r->m->nexpects; x++)
    if (strcmp(r->m->expects[x].name, expect_name) == 0) return fl_hist_mean(r->s.exp[x].acc.h) / 1e9;
  return NAN;
}

TEST(toxiproxy_latency_toxic_adds_its_300ms_to_the_calls_through_it) {
  char *text = chaos_scenario(FL_IMPORT_TOXIPROXY, "toxiproxy.json", 30);
  if (!text) return;
  /* mapped onto the scenario: the payment proxy by its upstream host; the others' targets are not services here */
  CHECK(strstr(text, "fault { name = \"payment/latency_downstream\", target = \"payment\", kind = \"latency\", latency = \"300ms\", at = \"20s\", duration = \"30s\" }"));
  CHECK(strstr(text, "-- no equivalent: proxy \"redis_cache\""));
  CHECK(strstr(text, "fault { name = \"shipping/reset\", target = \"shipping\", kind = \"errors\", rate = \"20%\""));
  CHECK(strstr(text, "fault { name = \"checkout_to_inventory/timeout_upstream\", from = \"checkout\", to = \"inventory\", kind = \"partition\""));
  run_t r;
  if (run_text(&r, "toxi.lua", text)) {
    double before = mean_of(&r, "before"), during = mean_of(&r, "during");
    note("front.go mean latency before %.6f s, during %.6f s", before, during);
    CHECK_NEAR(before, 0.006, 0.0005);               /* 1 ms + 5 ms, constant */
    CHECK_NEAR(during - before, 0.300, 0.001);
    /* the partition checkout -> inventory: no call gets through while it lasts */
    const fl_stats_t *inv = &r.s.svc[fl_model_find_service(r.m, "inventory")->id].st;
    CHECK_EQ_INT(wsum(inv, FL_SER_ARRIVALS, 21, 50), 0);
    CHECK(wsum(inv, FL_SER_ARRIVALS, 5, 20) > 1000);
    /* reset_peer with toxicity 0.2: a fifth of shipping's calls fail */
    const fl_stats_t *sh = &r.s.svc[fl_model_find_service(r.m, "shipping")->id].st;
    double a = wsum(sh, FL_SER_ARRIVALS, 21, 50), f = wsum(sh, FL_SER_FAILURES, 21, 50);
    note("shipping: %.0f of %.0f failed during the reset toxic", f, a);
    CHECK_NEAR(f / a, 0.2, 5 * sqrt(0.2 * 0.8 / a));
    run_free(&r);
  }
  free(text);
}

TEST(chaos_mesh_experiments_have_their_effect_in_the_simulation) {
  char *text = chaos_scenario(FL_IMPORT_CHAOS_MESH, "chaos-mesh.yaml", 0);
  if (!text) return;
  CHECK(strstr(text, "fault { name = \"payment-delay\", target = \"payment\", kind = \"latency\", latency = \"300ms\", at = \"20s\", duration = \"2m\" }"));
  CHECK(strstr(text, "fault { name = \"checkout-inventory-partition\", from = \"checkout\", to = \"inventory\", kind = \"partition\", at = \"20s\", duration = \"30s\" }"));
  CHECK(strstr(text, "fault { name = \"recommend-failure\", target = \"recommend\", kind = \"crash\", instances = \"50%\", at = \"20s\", duration = \"30s\" }"));
  CHECK(strstr(text, "fault { name = \"shipping-abort\", target = \"shipping\", kind = \"errors\", rate = \"100%\""));
  CHECK(strstr(text, "-- no equivalent: StressChaos \"search-cpu\""));
  CHECK(strstr(text, "-- 'cart' (from pod cart-7d9f8c6b5-x2x7q (service name guessed from it)) is not a service of"));
  run_t r;
  if (run_text(&r, "mesh.lua", text)) {
    double before = mean_of(&r, "before"), during = mean_of(&r, "during");
    note("front.go mean latency before %.6f s, during %.6f s", before, during);
    CHECK_NEAR(during - before, 0.300, 0.001);
    const fl_stats_t *inv = &r.s.svc[fl_model_find_service(r.m, "inventory")->id].st;
    CHECK_EQ_INT(wsum(inv, FL_SER_ARRIVALS, 21, 50), 0);
    const fl_stats_t *co = &r.s.svc[fl_model_find_service(r.m, "checkout")->id].st;
    /* every call times out, 100 ms after it arrived: the windows' edges shift about 10 (100/s x 0.1 s) */
    CHECK_NEAR(wsum(co, FL_SER_FAILURES, 22, 49), wsum(co, FL_SER_ARRIVALS, 22, 49), 30);
    CHECK(co->total.cause[FL_CAUSE_TIMEOUT] >= wsum(co, FL_SER_ARRIVALS, 22, 49) - 30);
    /* then the loss (25% errors at inventory) until 80 s: checkout's calls fail as error, a quarter of them */
    double a = wsum(co, FL_SER_ARRIVALS, 52, 79), f = wsum(co, FL_SER_FAILURES, 52, 79);
    note("checkout: %.0f of %.0f failed during the loss", f, a);
    CHECK_NEAR(f / a, 0.25, 5 * sqrt(0.25 * 0.75 / a));
    CHECK_EQ_INT(wsum(co, FL_SER_FAILURES, 81, 100), 0);
    /* HTTP abort: every request to shipping fails from 20 s to the end */
    const fl_stats_t *sh = &r.s.svc[fl_model_find_service(r.m, "shipping")->id].st;
    CHECK_EQ_INT(wsum(sh, FL_SER_FAILURES, 21, 100), wsum(sh, FL_SER_ARRIVALS, 21, 100));
    CHECK_EQ_INT(wsum(sh, FL_SER_FAILURES, 5, 20), 0);
    /* pod-failure of half of recommend's pods: failures until the balancer notices, none after the fault */
    const fl_stats_t *rec = &r.s.svc[fl_model_find_service(r.m, "recommend")->id].st;
    CHECK(wsum(rec, FL_SER_FAILURES, 20, 23) > 0);
    CHECK_EQ_INT(wsum(rec, FL_SER_FAILURES, 52, 100), 0);
    run_free(&r);
  }
  free(text);
}

TEST(chaos_mesh_yaml_errors_name_their_line) {
  expect_error(FL_IMPORT_CHAOS_MESH, "bad.yaml", "kind: NetworkChaos\nspec:\n  action: delay\n  delay: [1, 2\n", NULL, -FL_EPARSE, ":5: invalid YAML");
  expect_error(FL_IMPORT_CHAOS_MESH, "lat.yaml",
               "kind: NetworkChaos\nmetadata:\n  name: x\nspec:\n  action: delay\n  mode: all\n  selector:\n    labelSelectors:\n      app: a\n"
               "  delay:\n    latency: \"ten\"\n", NULL, -FL_EPARSE, ":11: spec.delay.latency: cannot read 'ten' as a duration");
  expect_error(FL_IMPORT_CHAOS_MESH, "mode.yaml",
               "kind: PodChaos\nspec:\n  action: pod-kill\n  mode: some\n", NULL, -FL_EPARSE, ":4: spec.mode: 'some' is not one of one, all");
  expect_error(FL_IMPORT_CHAOS_MESH, "nokind.yaml", "apiVersion: chaos-mesh.org/v1alpha1\nspec: {}\n", NULL, -FL_EPARSE, ":1: document 1: missing kind");
}

/* ---- traces ---- */

/* The calls of endpoint 'ep' as text, step by step: "catalog.list | (pricing.quote reviews.top) | recommend.for_user?" */
static void steps_text(const fl_endpoint_t *e, char *buf, size_t n) {
  size_t w = 0;
  buf[0] = 0;
  for (int s = 0; s < e->nsteps && w < n; s++) {
    const fl_step_t *st = &e->steps[s];
    w += (size_t)snprintf(buf + w, n - w, "%s%s", s ? " | " : "", st->parallel ? "(" : "");
    for (int c = st->first; c < st->first + st->count && w < n; c++)
      w += (size_t)snprintf(buf + w, n - w, "%s%s%s", c > st->first ? " " : "", e->calls[c].target->full_name, e->calls[c].p < 1 ? "?" : "");
    if (st->parallel && w < n) w += (size_t)snprintf(buf + w, n - w, ")");
  }
}

TEST(traces_give_each_operation_its_call_tree_from_span_timing) {
  /* the fixtures of make_traces.py (40 traces): gateway.home calls catalog, then reviews and
  ** pricing at once, then recommend on some requests; both formats give the same tree */
  const char *files[] = { "shop.traces.jaeger.json", "shop.traces.otlp.json" };
  for (int k = 0; k < 2; k++) {
    char *text, err[4096];
    int rc = import(FL_IMPORT_TRACES, input(files[k]), NULL, &text, err, sizeof err);
    CHECK_MSG(rc == 0, "%s: %s", files[k], err);
    run_t r;
    if (rc == 0 && run_text(&r, "traces.lua", text)) {
      char steps[512];
      const fl_endpoint_t *home = fl_model_find_endpoint(r.m, "gateway.home"), *search = fl_model_find_endpoint(r.m, "gateway.search");
      CHECK(home && search);
      if (home && search) {
        steps_text(home, steps, sizeof steps);
        CHECK_MSG(strcmp(steps, "catalog.list | (pricing.quote reviews.top) | recommend.for_user?") == 0, "%s: gateway.home: %s", files[k], steps);
        steps_text(search, steps, sizeof steps);
        CHECK_MSG(strcmp(steps, "catalog.list | catalog.list | catalog.list?") == 0, "%s: gateway.search: %s", files[k], steps);
      }
      CHECK_EQ_INT(r.m->nservices, 5);
      run_free(&r);
    }
    free(text);
  }
}

TEST(bad_traces_are_refused_with_their_line) {
  expect_error(FL_IMPORT_TRACES, "t1.json", "{\"data\": [\n {\"traceID\": \"a\", \"spans\": [\n  {\"traceID\": \"a\", \"operationName\": \"x\"}]}]}\n", NULL,
               -FL_EPARSE, ":3: data[0].spans[0]: missing \"spanID\"");
  expect_error(FL_IMPORT_TRACES, "t2.json",
               "{\"data\": [{\"traceID\": \"a\", \"processes\": {},\n \"spans\": [{\"spanID\": \"1\", \"operationName\": \"x\", \"startTime\": 1,\n"
               " \"duration\": 5, \"processID\": \"p9\"}]}]}\n", NULL, -FL_EPARSE, ":3: data[0].spans[0].processID: \"p9\" is not in the trace's \"processes\"");
  expect_error(FL_IMPORT_TRACES, "t3.json",
               "{\"resourceSpans\": [{\"scopeSpans\": [{\"spans\": [\n {\"traceId\": \"a\", \"spanId\": \"b\", \"name\": \"x\",\n"
               "  \"startTimeUnixNano\": \"200\",\n  \"endTimeUnixNano\": \"100\"}]}]}]}\n", NULL, -FL_EPARSE, ":4: resourceSpans[0].scopeSpans[0].spans[0].endTimeUnixNano: the span ends");
  expect_error(FL_IMPORT_TRACES, "t4.json", "[{\"parent\": \"a\", \"child\": \"b\", \"callCount\": 3}]\n", NULL, -FL_EPARSE,
               ":1: [0]: a dependency link");
  expect_error(FL_IMPORT_TRACES, "t5.json", "{\"data\": []}\n", NULL, -FL_EPARSE, ":1: no spans");
  /* JSON Lines: the second document's error names the file's line */
  expect_error(FL_IMPORT_TRACES, "t6.json", "{\"resourceSpans\": []}\n\n{\"resourceSpans\": [{\"scopeSpans\": 5}]}\n", NULL, -FL_EPARSE,
               ":3: resourceSpans[0].scopeSpans: expected a list");
}

TEST(a_recursive_operation_is_cut_where_it_is_least_called) {
  /* a.x calls a.x (a recursion): left out, with a comment; --keep-cycles stops */
  const char *text =
    "{\"data\": [{\"traceID\": \"t\", \"processes\": {\"p\": {\"serviceName\": \"a\"}}, \"spans\": [\n"
    " {\"spanID\": \"1\", \"operationName\": \"x\", \"startTime\": 1000, \"duration\": 50, \"processID\": \"p\", \"references\": []},\n"
    " {\"spanID\": \"2\", \"operationName\": \"x\", \"startTime\": 1010, \"duration\": 20, \"processID\": \"p\",\n"
    "  \"references\": [{\"refType\": \"CHILD_OF\", \"spanID\": \"1\"}]}]}]}\n";
  const char *path = put("rec.json", text);
  char *out, err[4096];
  CHECK_EQ_INT(import(FL_IMPORT_TRACES, path, NULL, &out, err, sizeof err), 0);
  CHECK_MSG(out && strstr(out, "-- left out to break a cycle: the call to a.x (1 calls"), "%s", out ? out : err);
  run_t r;
  if (out && run_text(&r, "rec.lua", out)) run_free(&r);
  free(out);
  fl_import_opts_t o = { .keep_cycles = true };
  expect_error(FL_IMPORT_TRACES, "rec.json", text, &o, -FL_EPARSE, ":2: the traces have a cycle of operations: a.x -> a.x");
}
