/* Tests for the scenario language (sim/lang/) and the model behind it (sim/model/): a table of
** broken scenarios, each with the exact "file:line: message" it must produce; the resolved model
** of a valid scenario; include; the sandbox and its limits (endless loops, memory bombs); --set
** overrides and their errors; --set and the script accepting the same values; the enums' names. */
#define CHECK_MAIN
#include "check.h"

#include "faultline/scenario.h"

#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#define FIXTURE_NAME "scenario"
#include "fixture.h"

#define COUNT(a) (sizeof (a) / sizeof (a)[0])


/* Writes 'text' as bad.lua and loads it. */
static int load_text(const char *text, const fl_load_opts_t *o, fl_model_t **m, char *err, size_t n) {
  err[0] = 0;
  return fl_scenario_load(put("bad.lua", text), o, m, err, n);
}

/* ---- broken scenarios ---- */

#define SCN "scenario { duration = \"10s\" }\n"
#define A "service \"a\" { work = \"1ms\" }\n"
#define TRAFFIC_A "traffic { rate = 10, mix = { a = 1 } }\n"

typedef struct {
  const char *what;
  const char *lua;          /* bad.lua */
  const char *want;         /* the exact message; $D is the folder */
} bad_t;

/* Files that cases of the table include. */
static const struct { const char *name, *lua; } bad_parts[] = {
  { "part.lua", "-- a part\nservice \"a\" { work = \"1ms\", workers = 0 }\n" },
  { "part2.lua", "}\n" },
};

static const bad_t bad[] = {
  /* names and the call graph (found at resolution, reported at the call) */
  { "unknown service in a call",
    SCN "service \"a\" { work = \"1ms\", calls = { call \"zz\" } }\n" TRAFFIC_A,
    "$D/bad.lua:2: call to unknown service 'zz' (known services: a)" },
  { "unknown endpoint in a call",
    SCN "service \"a\" { work = \"1ms\", calls = { call \"b.zz\" } }\n"
        "service \"b\" { endpoints = { x = { work = \"1ms\" } } }\n" TRAFFIC_A,
    "$D/bad.lua:2: call to unknown endpoint 'zz' of service 'b' (its endpoints: x)" },
  { "a call naming a multi-endpoint service without the endpoint",
    SCN "service \"a\" { work = \"1ms\", calls = { call \"b\" } }\n"
        "service \"b\" { endpoints = { y = { work = \"1ms\" }, x = { work = \"1ms\" } } }\n" TRAFFIC_A,
    "$D/bad.lua:2: call \"b\": service 'b' has several endpoints, name one (x, y)" },
  { "call cycle a -> b -> a, reported at the call closing it",
    SCN "service \"a\" { work = \"1ms\", calls = { call \"b\" } }\n"
        "service \"b\" { work = \"1ms\", calls = { call \"a\" } }\n" TRAFFIC_A,
    "$D/bad.lua:3: call cycle: a.default -> b.default -> a.default (a request would call itself forever)" },
  { "a self-call is a cycle",
    SCN "service \"a\" { work = \"1ms\", calls = { call \"a\" } }\n" TRAFFIC_A,
    "$D/bad.lua:2: call cycle: a.default -> a.default (a request would call itself forever)" },
  { "a cycle behind an entry names only the cycle",
    SCN "service \"e\" { work = \"1ms\", calls = { call \"a.x\" } }\n"
        "service \"a\" { endpoints = { x = { work = \"1ms\", calls = { call \"b\" } }, y = { work = \"1ms\" } } }\n"
        "service \"b\" { work = \"1ms\", calls = { parallel { call \"a.y\", call \"a.x\" } } }\n"
        "traffic { rate = 10, mix = { e = 1 } }\n",
    "$D/bad.lua:4: call cycle: a.x -> b.default -> a.x (a request would call itself forever)" },

  /* numbers */
  { "negative workers",
    SCN "service \"a\" { work = \"1ms\", workers = -1 }\n" TRAFFIC_A,
    "$D/bad.lua:2: service \"a\": workers must be between 1 and 1000000, got -1" },
  { "non-integer instances",
    SCN "service \"a\" { work = \"1ms\", instances = 2.5 }\n" TRAFFIC_A,
    "$D/bad.lua:2: service \"a\": instances must be a whole number, got 2.5" },
  { "zero instances",
    SCN "service \"a\" { work = \"1ms\", instances = 0 }\n" TRAFFIC_A,
    "$D/bad.lua:2: service \"a\": instances must be between 1 and 100000, got 0" },
  { "instances given as a string",
    SCN "service \"a\" { work = \"1ms\", instances = \"3\" }\n" TRAFFIC_A,
    "$D/bad.lua:2: service \"a\": instances must be a whole number, got string" },
  { "a negative queue",
    SCN "service \"a\" { work = \"1ms\", queue = -5 }\n" TRAFFIC_A,
    "$D/bad.lua:2: service \"a\": queue (or math.huge) must be between 0 and 1000000000, got -5" },

  /* work and units */
  { "missing work",
    SCN "service \"a\" { instances = 2 }\n" TRAFFIC_A,
    "$D/bad.lua:2: service \"a\": missing work (expected e.g. work = exp \"5ms\", or endpoints = { ... })" },
  { "missing work in an endpoint",
    SCN "service \"a\" { endpoints = { x = { calls = {} } } }\n" "traffic { rate = 10, mix = { [\"a.x\"] = 1 } }\n",
    "$D/bad.lua:2: endpoint \"a.x\": missing work (expected e.g. work = exp \"5ms\")" },
  { "a bad unit",
    SCN "service \"a\" { work = \"12 parsecs\" }\n" TRAFFIC_A,
    "$D/bad.lua:2: service \"a\": work: cannot read '12 parsecs' as a duration (expected e.g. \"250us\", \"12ms\", \"1.5s\", \"10m\", \"2h\")" },
  { "a negative duration number",
    SCN "service \"a\" { work = -1 }\n" TRAFFIC_A,
    "$D/bad.lua:2: service \"a\": work must be a non-negative duration, got -1.0" },
  { "a bad rate",
    SCN A "traffic { rate = \"fast\", mix = { a = 1 } }\n",
    "$D/bad.lua:3: traffic: rate: cannot read 'fast' as a rate (expected e.g. \"2000/s\", \"90000/m\" or a number per second)" },
  { "a negative rate",
    SCN A "traffic { rate = -5, mix = { a = 1 } }\n",
    "$D/bad.lua:3: traffic: rate must be a non-negative rate, got -5.0" },
  { "a surge without its peak",
    SCN A "traffic { rate = surge { base = \"10/s\", start = \"1s\" }, mix = { a = 1 } }\n",
    "$D/bad.lua:3: surge: missing peak (e.g. peak = \"18000/s\")" },

  /* traffic and its mix */
  { "a mix that does not sum to 1",
    SCN "service \"a\" { endpoints = { x = { work = \"1ms\" }, y = { work = \"1ms\" } } }\n"
        "traffic { rate = 10, mix = { [\"a.x\"] = 0.5, [\"a.y\"] = \"30%\" } }\n",
    "$D/bad.lua:3: traffic: mix shares sum to 0.8 (expected 1)" },
  { "a mix naming an unknown endpoint",
    SCN "service \"a\" { endpoints = { x = { work = \"1ms\" } } }\n" "traffic { rate = 10, mix = { [\"a.zz\"] = 1 } }\n",
    "$D/bad.lua:3: traffic: mix names 'a.zz', which is not an endpoint (expected \"service.endpoint\", a service with one endpoint, or a journey of traffic.journeys)" },
  { "a mix share above 1",
    SCN A "traffic { rate = 10, mix = { a = 1.5 } }\n",
    "$D/bad.lua:3: traffic: mix[\"a\"]: share must be between 0 and 1, got 1.5" },
  { "missing traffic",
    SCN A,
    "$D/bad.lua:1: no traffic (expected traffic { rate = ..., mix = { ... } })" },
  { "traffic without a mix",
    SCN A "traffic { rate = 10 }\n",
    "$D/bad.lua:3: traffic: missing mix (e.g. mix = { [\"gateway.home\"] = 0.7, [\"gateway.checkout\"] = 0.3 })" },

  /* the scenario block */
  { "missing scenario",
    A TRAFFIC_A,
    "$D/bad.lua:1: no scenario { duration = ... } (expected e.g. scenario { name = \"shop\", duration = \"1h\" })" },
  { "missing duration",
    "scenario { name = \"x\" }\n" A TRAFFIC_A,
    "$D/bad.lua:1: scenario: missing duration (expected e.g. duration = \"1h\")" },
  { "warmup equal to the duration",
    "\n" "scenario { duration = \"10s\", warmup = \"10s\" }\n" A TRAFFIC_A,
    "$D/bad.lua:2: scenario: warmup must be shorter than duration" },
  { "warmup longer than the duration",
    "scenario { duration = \"1m\", warmup = \"2m\" }\n" A TRAFFIC_A,
    "$D/bad.lua:1: scenario: warmup must be shorter than duration" },
  { "scenario given twice",
    SCN SCN A TRAFFIC_A,
    "$D/bad.lua:2: scenario { ... } is given twice" },

  /* services */
  { "a duplicate service names both places",
    SCN A "\n" A TRAFFIC_A,
    "$D/bad.lua:4: service \"a\" is defined twice (first at $D/bad.lua:2)" },
  { "an unknown field in a service lists the expected fields",
    SCN "service \"a\" { work = \"1ms\", replicas = 3 }\n" TRAFFIC_A,
    "$D/bad.lua:2: service \"a\": unknown field 'replicas' (expected one of: instances, workers, cores, queue, overflow, balancer, "
    "blocking, error_rate, slo, work, calls, endpoints, health_check, rate_limit, shed_after, outlier, startup, autoscale, "
    "kind, capacity, consumers, concurrency, max_deliveries, lag, age, group)" },
  { "a service name with a dot",
    SCN "service \"a.b\" { work = \"1ms\" }\n" TRAFFIC_A,
    "$D/bad.lua:2: service name 'a.b' must be non-empty and contain no '.', '=' or ','" },
  { "an unknown balancer",
    SCN "service \"a\" { work = \"1ms\", balancer = \"fastest\" }\n" TRAFFIC_A,
    "$D/bad.lua:2: service \"a\": balancer must be one of round_robin, random, least_outstanding, p2c" },

  /* calls */
  { "an unknown call option",
    SCN "service \"a\" { work = \"1ms\", calls = { call \"b\" { retyr = 3 } } }\n"
        "service \"b\" { work = \"1ms\" }\n" TRAFFIC_A,
    "$D/bad.lua:2: call \"b\": unknown field 'retyr' (expected one of: timeout, connect_timeout, optional, fallback, p, retries, attempts, wait, backoff, retry_on, retry_budget, retry, breaker, bulkhead, deadline, hedge, cache, async, ignore_errors, when, count, attrs)" },
  { "a fallback without optional",
    SCN "service \"a\" { work = \"1ms\", calls = { call \"b\" { fallback = \"1ms\" } } }\n"
        "service \"b\" { work = \"1ms\" }\n" TRAFFIC_A,
    "$D/bad.lua:2: call \"b\": fallback needs optional = true (a required call has no fallback)" },
  { "a zero timeout",
    SCN "service \"a\" { work = \"1ms\", calls = { call \"b\" { timeout = 0 } } }\n"
        "service \"b\" { work = \"1ms\" }\n" TRAFFIC_A,
    "$D/bad.lua:2: call \"b\": timeout must be positive" },
  { "a calls entry that is not a call",
    SCN "service \"a\" { work = \"1ms\", calls = { \"b\" } }\n"
        "service \"b\" { work = \"1ms\" }\n" TRAFFIC_A,
    "$D/bad.lua:2: service \"a\": calls entry 1 must be call \"service.endpoint\" or parallel { ... }, got string" },

  /* Lua itself */
  { "a Lua syntax error",
    "scenario { duration = \"10s\"\n" A TRAFFIC_A,
    "$D/bad.lua:2: '}' expected (to close '{' at line 1) near 'service'" },
  { "a runtime Lua error: calling nil",
    SCN "local x = nil\n" "x()\n",
    "$D/bad.lua:3: attempt to call a nil value (local 'x')" },
  { "a misspelt constructor is a call of nil",
    SCN "servce \"a\" { work = \"1ms\" }\n",
    "$D/bad.lua:2: attempt to call a nil value (global 'servce')" },
  { "error() from the script",
    SCN "error(\"stop here\")\n",
    "$D/bad.lua:2: stop here" },

  /* distributions */
  { "lognormal with p99 below the median",
    SCN "service \"a\" { work = lognormal { median = \"10ms\", p99 = \"5ms\" } }\n" TRAFFIC_A,
    "$D/bad.lua:2: lognormal: p99 must be greater than median" },
  { "lognormal with a mixed parameter set",
    SCN "service \"a\" { work = lognormal { median = \"10ms\", cv = 2 } }\n" TRAFFIC_A,
    "$D/bad.lua:2: lognormal: expected { median = ..., p99 = ... } or { mean = ..., cv = ... }" },
  { "gamma with a zero cv",
    SCN "service \"a\" { work = gamma { mean = \"10ms\", cv = 0 } }\n" TRAFFIC_A,
    "$D/bad.lua:2: gamma: cv must be positive" },
  { "exp with a zero mean",
    SCN "service \"a\" { work = exp \"0ms\" }\n" TRAFFIC_A,
    "$D/bad.lua:2: exp: mean must be positive" },
  { "uniform with low above high",
    SCN "service \"a\" { work = uniform { \"5ms\", \"1ms\" } }\n" TRAFFIC_A,
    "$D/bad.lua:2: uniform: uniform needs lo <= hi" },
  { "percentiles with a key that is not pNN",
    SCN "service \"a\" { work = percentiles { median = \"10ms\" } }\n" TRAFFIC_A,
    "$D/bad.lua:2: percentiles: keys must look like p50, p90, p99 or [\"p99.9\"]" },
  { "percentiles with p100",
    SCN "service \"a\" { work = percentiles { p50 = \"1ms\", p100 = \"10ms\" } }\n" TRAFFIC_A,
    "$D/bad.lua:2: percentiles: keys must look like p50, p90, p99 or [\"p99.9\"]" },
  { "percentiles with decreasing values",
    SCN "service \"a\" { work = percentiles { p50 = \"20ms\", p99 = \"10ms\" } }\n" TRAFFIC_A,
    "$D/bad.lua:2: percentiles: percentile values must not decrease" },
  { "a work that is not a distribution",
    SCN "service \"a\" { work = {} }\n" TRAFFIC_A,
    "$D/bad.lua:2: service \"a\": work must be a distribution such as exp \"3ms\" or lognormal { median = \"2ms\", p99 = \"20ms\" }, got table" },

  /* profiles */
  { "piecewise with non-increasing times",
    SCN A "traffic { rate = piecewise { {\"0s\", 10}, {\"10s\", 20}, {\"10s\", 30} }, mix = { a = 1 } }\n",
    "$D/bad.lua:3: piecewise: point 3: times must increase" },
  { "piecewise with a point that is not a pair",
    SCN A "traffic { rate = piecewise { {\"0s\", 10}, {\"10s\"} }, mix = { a = 1 } }\n",
    "$D/bad.lua:3: piecewise: point 2 must be { time, rate }" },

  /* include */
  { "include of ../x.lua is refused",
    SCN "include \"../x.lua\"\n",
    "$D/bad.lua:2: include \"../x.lua\": only files under the scenario's folder may be included "
    "(no absolute paths or '..'; --unsafe lifts this)" },
  { "include of an absolute path is refused",
    SCN "include \"/etc/hostname\"\n",
    "$D/bad.lua:2: include \"/etc/hostname\": only files under the scenario's folder may be included "
    "(no absolute paths or '..'; --unsafe lifts this)" },
  { "include of a missing file",
    SCN "include \"missing.lua\"\n",
    "$D/bad.lua:2: include \"missing.lua\": cannot open $D/missing.lua" },
  { "an error inside an included file names that file and line",
    SCN "include \"part.lua\"\n" TRAFFIC_A,
    "$D/part.lua:2: service \"a\": workers must be between 1 and 1000000, got 0" },
  { "a syntax error inside an included file",
    SCN "include \"part2.lua\"\n" TRAFFIC_A,
    "$D/part2.lua:1: unexpected symbol near '}'" },

  /* the sandbox and its limits */
  { "an endless loop is stopped at its line",
    SCN "while true do end\n",
    "$D/bad.lua:2: the scenario ran for more than 200000000 Lua instructions (an endless loop?)" },
  { "an endless loop inside a function is stopped at its line",
    SCN "local function spin()\n  local x = 0\n  while true do x = x + 1 end\nend\nspin()\n",
    "$D/bad.lua:4: the scenario ran for more than 200000000 Lua instructions (an endless loop?)" },
  { "a memory bomb is stopped at its line",
    SCN "local t = {}\n" "for i = 1, 1e9 do t[i] = string.rep(\"x\", 1000000) .. i end\n",
    "$D/bad.lua:3: the scenario used more than 256 MiB of memory (a runaway table or string?)" },
  { "os is absent",
    "os.execute(\"true\")\n",
    "$D/bad.lua:1: attempt to index a nil value (global 'os')" },
  { "io is absent",
    "io.open(\"/etc/passwd\")\n",
    "$D/bad.lua:1: attempt to index a nil value (global 'io')" },
  { "require is absent",
    "require(\"os\")\n",
    "$D/bad.lua:1: attempt to call a nil value (global 'require')" },
  { "dofile is absent",
    "dofile(\"/etc/passwd\")\n",
    "$D/bad.lua:1: attempt to call a nil value (global 'dofile')" },
  { "loadfile is absent",
    "loadfile(\"/etc/passwd\")\n",
    "$D/bad.lua:1: attempt to call a nil value (global 'loadfile')" },
  { "load is absent",
    "load(\"return 1\")\n",
    "$D/bad.lua:1: attempt to call a nil value (global 'load')" },
  { "package is absent",
    "package.loadlib(\"x\", \"y\")\n",
    "$D/bad.lua:1: attempt to index a nil value (global 'package')" },
};

TEST(broken_scenarios_report_file_line_and_the_exact_message) {
  for (size_t i = 0; i < COUNT(bad_parts); i++) put(bad_parts[i].name, bad_parts[i].lua);
  for (size_t i = 0; i < COUNT(bad); i++) {
    const bad_t *b = &bad[i];
    fl_model_t *m = (fl_model_t *)1;
    char err[1024], want[1024];
    int rc = load_text(b->lua, NULL, &m, err, sizeof err);
    expand(b->want, want, sizeof want);
    CHECK_MSG(rc == -FL_ESCENARIO, "%s: rc %d, want -FL_ESCENARIO", b->what, rc);
    CHECK_MSG(m == NULL, "%s: a model came back", b->what);
    CHECK_MSG(strcmp(err, want) == 0, "%s:\n    got  %s\n    want %s", b->what, err, want);
    if (rc == 0) fl_model_free(m);
  }
}

/* What line does Lua report for an error inside a multi-line constructor? A call's line in
** Lua 5.4 is the line where its expression starts, so an error raised by service "a" { ... }
** while it reads its table names the line of 'service', however far below the bad field is
** (and even when the '{' is on the next line). A distribution constructor or a call inside the
** table is a call of its own, evaluated while the table is built: its errors name its own line. */
TEST(error_inside_a_multiline_service_names_the_line_of_service) {
  static const struct { const char *lua, *want; } cases[] = {
    { SCN "service \"a\" {\n  instances = 2,\n  workers = 4,\n  work = \"12 parsecs\",\n}\n" TRAFFIC_A,
      "$D/bad.lua:2: service \"a\": work: cannot read '12 parsecs' as a duration (expected e.g. \"250us\", \"12ms\", \"1.5s\", \"10m\", \"2h\")" },
    { SCN "service \"a\"\n{\n  instances = 2,\n  workers = -3,\n}\n" TRAFFIC_A,
      "$D/bad.lua:2: service \"a\": workers must be between 1 and 1000000, got -3" },
    /* exp "..." on line 4 is its own call: line 4 */
    { SCN "service \"a\" {\n  instances = 2,\n  work = exp \"12 parsecs\",\n}\n" TRAFFIC_A,
      "$D/bad.lua:4: exp: mean: cannot read '12 parsecs' as a duration (expected e.g. \"250us\", \"12ms\", \"1.5s\", \"10m\", \"2h\")" },
    /* call "b" { ... } on line 6: its options are checked there */
    { SCN "service \"a\" {\n  instances = 2,\n  work = exp \"1ms\",\n  calls = {\n    call \"b\" { timeout = \"soon\" },\n  },\n}\n" TRAFFIC_A,
      "$D/bad.lua:6: call \"b\": timeout: cannot read 'soon' as a duration (expected e.g. \"250us\", \"12ms\", \"1.5s\", \"10m\", \"2h\")" },
    /* a call found unknown at resolution names the line of its own call "..." */
    { SCN "service \"a\" {\n  work = exp \"1ms\",\n  calls = {\n    call \"nope\",\n  },\n}\n" TRAFFIC_A,
      "$D/bad.lua:5: call to unknown service 'nope' (known services: a)" },
  };
  for (size_t i = 0; i < COUNT(cases); i++) {
    fl_model_t *m = NULL;
    char err[1024], want[1024];
    int rc = load_text(cases[i].lua, NULL, &m, err, sizeof err);
    expand(cases[i].want, want, sizeof want);
    CHECK_MSG(rc == -FL_ESCENARIO, "case %zu: rc %d", i, rc);
    CHECK_MSG(strcmp(err, want) == 0, "case %zu:\n    got  %s\n    want %s", i, err, want);
    fl_model_free(m);
  }
}

/* One allocation past the cap, before the script ran long enough to be followed line by line:
** Lua gives a memory error no position, so the message names the file only. */
TEST(a_single_huge_allocation_is_stopped_with_the_file_named) {
  fl_model_t *m = NULL;
  char err[1024], want[1024];
  int rc = load_text(SCN "local s = string.rep(\"x\", 300 * 1024 * 1024)\n", NULL, &m, err, sizeof err);
  expand("$D/bad.lua: the scenario used more than 256 MiB of memory (a runaway table or string?)", want, sizeof want);
  CHECK_EQ_INT(rc, -FL_ESCENARIO);
  CHECK_EQ_STR(err, want);
  CHECK(m == NULL);
}

TEST(a_missing_scenario_file_is_an_io_error_naming_the_file) {
  fl_model_t *m = NULL;
  char err[512], path[256];
  snprintf(path, sizeof path, "%s/nope.lua", dir());
  CHECK_EQ_INT(fl_scenario_load(path, NULL, &m, err, sizeof err), -FL_EIO);
  char want[512];
  snprintf(want, sizeof want, "cannot open scenario '%s': No such file or directory", path);
  CHECK_EQ_STR(err, want);
  CHECK(m == NULL);
}

/* ---- a valid scenario ---- */

static const char good[] =
  "scenario { name = \"Shop\", duration = \"1h\", seed = 7, window = \"2s\", warmup = \"5m\" }\n"   /* 1 */
  "service \"gateway\" {\n"                                                                          /* 2 */
  "  instances = 4, workers = 64, queue = 256, slo = \"300ms\",\n"                                  /* 3 */
  "  endpoints = {\n"                                                                                /* 4 */
  "    search = { work = const \"1ms\" },\n"                                                         /* 5 */
  "    home = {\n"                                                                                   /* 6 */
  "      work = lognormal { median = \"2ms\", p99 = \"20ms\" },\n"                                   /* 7 */
  "      calls = {\n"                                                                              /* 8 */
  "        call \"catalog\",\n"                                                                      /* 9 */
  "        call \"recommend.for_user\" { timeout = \"150ms\", optional = true, fallback = \"1ms\" },\n" /* 10 */
  "        parallel { call \"reviews\", call \"catalog\" },\n"                                       /* 11 */
  "      },\n"                                                                                     /* 12 */
  "    },\n"                                                                                         /* 13 */
  "  },\n"                                                                                           /* 14 */
  "}\n"                                                                                              /* 15 */
  "service \"catalog\" { instances = 2, workers = 8, work = exp \"3ms\", error_rate = \"1%\" }\n"   /* 16 */
  "service \"reviews\" { work = uniform { \"1ms\", \"5ms\" }, queue = math.huge, blocking = false }\n" /* 17 */
  "service \"recommend\" { instances = 3, workers = 16, queue = 64,\n"                              /* 18 */
  "  endpoints = { for_user = { work = gamma { mean = \"25ms\", cv = 0.5 } } } }\n"                 /* 19 */
  "traffic {\n"                                                                                      /* 20 */
  "  rate = surge { base = \"1500/s\", peak = \"18000/s\", start = \"30m\", ramp = \"10m\", hold = \"1h\", decay = \"20m\" },\n"
  "  mix = { [\"gateway.search\"] = \"25%\", [\"gateway.home\"] = 0.75 },\n"
  "}\n";

static fl_model_t *load_good(const fl_load_opts_t *o) {
  fl_model_t *m = NULL;
  char err[1024];
  int rc = fl_scenario_load(put("good.lua", good), o, &m, err, sizeof err);
  CHECK_MSG(rc == 0, "good.lua: %s", err);
  return rc == 0 ? m : NULL;
}

TEST(valid_scenario_resolves_every_field) {
  fl_model_t *m = load_good(NULL);
  if (!m) return;
  CHECK_EQ_STR(m->name, "Shop");
  CHECK(m->duration == 3600);
  CHECK(m->window == 2);
  CHECK(m->warmup == 300);
  CHECK_EQ_INT(m->seed, 7);
  CHECK_EQ_INT(m->nservices, 4);
  CHECK_EQ_INT(m->nendpoints, 5);

  fl_service_t *gw = fl_model_find_service(m, "gateway");
  fl_service_t *cat = fl_model_find_service(m, "catalog");
  fl_service_t *rev = fl_model_find_service(m, "reviews");
  fl_service_t *rec = fl_model_find_service(m, "recommend");
  CHECK(gw && cat && rev && rec);
  if (!gw || !cat || !rev || !rec) { fl_model_free(m); return; }
  CHECK_EQ_INT(gw->instances, 4);
  CHECK_EQ_INT(gw->workers, 64);
  CHECK_EQ_INT(gw->queue, 256);
  CHECK_NEAR(gw->slo, 0.3, 1e-12);
  CHECK_EQ_INT(gw->line, 2);
  CHECK(gw->blocking);
  CHECK_EQ_INT(gw->balancer, FL_LB_ROUND_ROBIN);
  CHECK_EQ_INT(cat->instances, 2);
  CHECK_EQ_INT(cat->workers, 8);
  CHECK_EQ_INT(cat->queue, 100);                      /* the default waiting room */
  CHECK_NEAR(cat->error_rate, 0.01, 1e-12);
  CHECK_EQ_INT(rev->instances, 1);                    /* defaults: one instance, one worker */
  CHECK_EQ_INT(rev->workers, 1);
  CHECK(rev->queue == INT64_MAX);                     /* math.huge: unbounded */
  CHECK(!rev->blocking);
  CHECK(rev->slo == 0);
  CHECK_EQ_INT(rec->queue, 64);

  /* endpoints sorted by name, whatever the table order */
  CHECK_EQ_INT(gw->nendpoints, 2);
  CHECK_EQ_STR(gw->endpoints[0].name, "home");
  CHECK_EQ_STR(gw->endpoints[1].name, "search");
  CHECK_EQ_STR(gw->endpoints[0].full_name, "gateway.home");
  CHECK_EQ_STR(cat->endpoints[0].name, "default");
  CHECK_EQ_STR(rec->endpoints[0].full_name, "recommend.for_user");
  CHECK(gw->endpoints[0].error_rate < 0);             /* the service's */

  /* work distributions */
  fl_endpoint_t *home = &gw->endpoints[0], *search = &gw->endpoints[1];
  CHECK_EQ_INT(search->work.kind, FL_DIST_CONST);
  CHECK_NEAR(fl_dist_mean(&search->work), 0.001, 1e-12);
  CHECK_EQ_INT(home->work.kind, FL_DIST_LOGNORMAL);
  CHECK_REL(fl_dist_quantile(&home->work, 0.5), 0.002, 1e-9);
  CHECK_REL(fl_dist_quantile(&home->work, 0.99), 0.020, 1e-6);
  CHECK_EQ_INT(cat->endpoints[0].work.kind, FL_DIST_EXP);
  CHECK_REL(fl_dist_mean(&cat->endpoints[0].work), 0.003, 1e-12);
  CHECK_EQ_INT(rev->endpoints[0].work.kind, FL_DIST_UNIFORM);
  CHECK_REL(fl_dist_mean(&rev->endpoints[0].work), 0.003, 1e-12);
  CHECK_EQ_INT(rec->endpoints[0].work.kind, FL_DIST_GAMMA);
  CHECK_REL(fl_dist_mean(&rec->endpoints[0].work), 0.025, 1e-9);

  /* calls and steps: catalog; recommend; parallel { reviews, catalog } */
  CHECK_EQ_INT(home->ncalls, 4);
  CHECK_EQ_INT(home->nsteps, 3);
  if (home->ncalls == 4 && home->nsteps == 3) {
    CHECK(home->steps[0].first == 0 && home->steps[0].count == 1 && !home->steps[0].parallel);
    CHECK(home->steps[1].first == 1 && home->steps[1].count == 1 && !home->steps[1].parallel);
    CHECK(home->steps[2].first == 2 && home->steps[2].count == 2 && home->steps[2].parallel);
    CHECK(home->calls[0].target == &cat->endpoints[0]);
    CHECK(home->calls[1].target == &rec->endpoints[0]);
    CHECK(home->calls[2].target == &rev->endpoints[0]);
    CHECK(home->calls[3].target == &cat->endpoints[0]);
    CHECK_EQ_INT(home->calls[0].timeout, 0);
    CHECK(!home->calls[0].optional);
    CHECK_EQ_INT(home->calls[1].timeout, 150 * FL_MS);
    CHECK(home->calls[1].optional);
    CHECK_EQ_INT(home->calls[1].fallback, 1 * FL_MS);
    CHECK_EQ_INT(home->calls[0].line, 9);
    CHECK_EQ_INT(home->calls[1].line, 10);
    CHECK_EQ_INT(home->calls[3].line, 11);
    CHECK_EQ_STR(home->calls[1].target_name, "recommend.for_user");
  }
  CHECK_EQ_INT(search->ncalls, 0);
  CHECK_EQ_INT(search->nsteps, 0);

  /* traffic: the surge and the mix, journeys sorted by name */
  CHECK_EQ_INT(m->rate.kind, FL_PROFILE_SURGE);
  CHECK(m->rate.base == 1500);
  CHECK(m->rate.peak == 18000);
  CHECK(m->rate.start == 1800);
  CHECK(m->rate.ramp == 600);
  CHECK(m->rate.hold == 3600);
  CHECK(m->rate.decay == 1200);
  CHECK_EQ_INT(m->rate.line, 21);
  CHECK_EQ_INT(m->traffic_line, 20);
  CHECK_EQ_INT(m->njourneys, 2);
  if (m->njourneys == 2) {
    CHECK_EQ_STR(m->journeys[0].name, "gateway.home");
    CHECK_NEAR(m->journeys[0].share, 0.75, 1e-12);
    CHECK(m->journeys[0].entry == home);
    CHECK_EQ_STR(m->journeys[1].name, "gateway.search");
    CHECK_NEAR(m->journeys[1].share, 0.25, 1e-12);
    CHECK(m->journeys[1].entry == search);
  }
  fl_model_free(m);
}

TEST(defaults_of_the_smallest_scenario) {
  fl_model_t *m = NULL;
  char err[1024];
  int rc = load_text("scenario { duration = \"200000s\", seed = 1, warmup = \"1000s\" }\n"
                     "service \"s\" { instances = 1, workers = 1, queue = math.huge, work = exp \"1s\" }\n"
                     "traffic { rate = 0.8, mix = { s = 1 } }\n", NULL, &m, err, sizeof err);
  CHECK_MSG(rc == 0, "%s", err);
  if (rc) return;
  CHECK_EQ_STR(m->name, "scenario");
  CHECK(m->window == 1);
  CHECK_EQ_INT(m->rate.kind, FL_PROFILE_CONST);
  CHECK(m->rate.value == 0.8);
  CHECK_EQ_INT(m->njourneys, 1);
  CHECK(m->journeys[0].entry == &m->services[0].endpoints[0]);
  CHECK(m->journeys[0].share == 1);
  fl_model_free(m);
}

/* Names are found through model.c's hash index: every service, endpoint and journey of a model
** of 3000 services (the loader moved the services array many times while it grew), and none that
** is not there. */
TEST(look_ups_find_every_name_of_a_large_model_and_no_other) {
  fl_model_t *m = NULL;
  char err[1024];
  int rc = load_text(SCN "for i = 1, 3000 do service(\"s\" .. i) { endpoints = { get = { work = \"1ms\" }, put = { work = \"1ms\" } } } end\n"
                     "traffic { mix = { [\"s1.get\"] = 0.5, [\"s2999.put\"] = 0.5 }, rate = 10 }\n", NULL, &m, err, sizeof err);
  CHECK_MSG(rc == 0, "%s", err);
  if (rc) return;
  char name[32];
  for (int i = 1; i <= 3000; i++) {
    snprintf(name, sizeof name, "s%d", i);
    fl_service_t *svc = fl_model_find_service(m, name);
    CHECK_MSG(svc && strcmp(svc->name, name) == 0, "service %s", name);
    snprintf(name, sizeof name, "s%d.put", i);
    fl_endpoint_t *ep = fl_model_find_endpoint(m, name);
    CHECK_MSG(ep && ep->service == svc && strcmp(ep->name, "put") == 0, "endpoint %s", name);
  }
  CHECK(fl_model_find_service(m, "s0") == NULL);
  CHECK(fl_model_find_service(m, "s30000") == NULL);
  CHECK(fl_model_find_service(m, "s1.get") == NULL);
  CHECK(fl_model_find_endpoint(m, "s1") == NULL);          /* two endpoints, no default */
  CHECK(fl_model_find_endpoint(m, "s1.post") == NULL);
  CHECK(fl_model_find_endpoint(m, "s30.get") != NULL);
  CHECK(fl_model_find_endpoint(m, "s300.get.x") == NULL);
  CHECK(fl_model_find_endpoint(m, ".get") == NULL);
  CHECK_EQ_INT(m->njourneys, 2);
  for (int j = 0; j < m->njourneys; j++) CHECK_EQ_INT(fl_model_find_journey(m, m->journeys[j].name), j);
  CHECK_EQ_INT(fl_model_find_journey(m, "s1"), -1);
  CHECK_EQ_INT(fl_model_find_journey(m, "s1.put"), -1);
  fl_model_free(m);
}

TEST(piecewise_profile_keeps_its_points) {
  fl_model_t *m = NULL;
  char err[1024];
  int rc = load_text(SCN A "traffic { rate = piecewise { {0, \"100/s\"}, {\"5s\", \"6000/m\"}, {\"10s\", 50} }, mix = { a = 1 } }\n",
                     NULL, &m, err, sizeof err);
  CHECK_MSG(rc == 0, "%s", err);
  if (rc) return;
  CHECK_EQ_INT(m->rate.kind, FL_PROFILE_PIECEWISE);
  CHECK_EQ_INT(m->rate.npoints, 3);
  CHECK(m->rate.pt[1] == 5 && m->rate.pr[1] == 100);
  CHECK(m->rate.pt[2] == 10 && m->rate.pr[2] == 50);
  fl_model_free(m);
}

TEST(include_runs_a_sibling_file_in_the_same_globals) {
  put("parts/services.lua",
      "service \"b\" { instances = SHARED_INSTANCES, work = exp \"2ms\" }\n"
      "INCLUDED = true\n");
  put("common.lua", "SHARED_INSTANCES = 5\ninclude \"parts/services.lua\"\n");
  fl_model_t *m = NULL;
  char err[1024];
  int rc = load_text(SCN "include \"common.lua\"\n"
                     "assert(INCLUDED, \"the included file ran\")\n"
                     "service \"a\" { work = \"1ms\", calls = { call \"b\" } }\n" TRAFFIC_A, NULL, &m, err, sizeof err);
  CHECK_MSG(rc == 0, "%s", err);
  if (rc) return;
  fl_service_t *b = fl_model_find_service(m, "b");
  CHECK(b != NULL);
  if (b) {
    CHECK_EQ_INT(b->instances, 5);
    /* the service remembers the file it was written in */
    CHECK(strstr(b->file, "parts/services.lua") != NULL);
    CHECK_EQ_INT(b->line, 1);
  }
  fl_model_free(m);
}

TEST(sandbox_keeps_base_string_table_and_math) {
  fl_model_t *m = NULL;
  char err[1024];
  int rc = load_text(SCN
                     "local n = 0\n"
                     "for _, name in ipairs({ \"x\", \"y\" }) do n = n + #string.format(\"%s\", name) end\n"
                     "assert(table.concat({ \"a\", \"b\" }) == \"ab\" and math.floor(2.5) == 2 and n == 2)\n"
                     "assert(os == nil and io == nil and require == nil and dofile == nil and loadfile == nil)\n"
                     "service \"a\" { work = \"1ms\", instances = math.random(1, 1000) }\n" TRAFFIC_A,
                     NULL, &m, err, sizeof err);
  CHECK_MSG(rc == 0, "%s", err);
  if (rc) return;
  /* math.random follows the scenario's seed: a second load draws the same */
  int first = m->services[0].instances;
  fl_model_free(m);
  m = NULL;
  rc = load_text(SCN "service \"a\" { work = \"1ms\", instances = math.random(1, 1000) }\n" TRAFFIC_A,
                 NULL, &m, err, sizeof err);
  CHECK_MSG(rc == 0, "%s", err);
  if (rc) return;
  CHECK_EQ_INT(m->services[0].instances, first);
  fl_model_free(m);
}

TEST(unsafe_lifts_the_sandbox) {
  fl_load_opts_t o = { .unsafe = true };
  fl_model_t *m = NULL;
  char err[1024];
  int rc = load_text(SCN "assert(os and io and require, \"unsafe opens os, io and require\")\n"
                     "assert(type(os.time()) == \"number\")\n" A TRAFFIC_A, &o, &m, err, sizeof err);
  CHECK_MSG(rc == 0, "%s", err);
  fl_model_free(m);
}

TEST(seed_option_overrides_the_scenarios_seed) {
  fl_load_opts_t o = { .has_seed = true, .seed = 99 };
  fl_model_t *m = load_good(&o);
  if (!m) return;
  CHECK_EQ_INT(m->seed, 99);
  fl_model_free(m);
}

/* ---- --set ---- */

TEST(set_overrides_instances_rate_timeout_and_queue) {
  const char *sets[] = {
    "recommend.instances=6", "traffic.rate.peak=25000/s", "gateway.endpoints.home.calls.recommend.timeout=100ms",
    "catalog.queue=inf", "reviews.workers=3", "traffic.rate.start=10m", "gateway.endpoints.home.error_rate=2%",
    "duration=2h", "scenario.warmup=1m",
  };
  fl_load_opts_t o = { .sets = sets, .nsets = (int)COUNT(sets) };
  fl_model_t *m = load_good(&o);
  if (!m) return;
  fl_service_t *rec = fl_model_find_service(m, "recommend"), *cat = fl_model_find_service(m, "catalog");
  fl_service_t *rev = fl_model_find_service(m, "reviews"), *gw = fl_model_find_service(m, "gateway");
  CHECK_EQ_INT(rec->instances, 6);
  CHECK(m->rate.peak == 25000);
  CHECK(m->rate.base == 1500);                /* untouched */
  CHECK(m->rate.start == 600);
  fl_endpoint_t *home = &gw->endpoints[0];
  CHECK_EQ_INT(home->calls[1].timeout, 100 * FL_MS);
  CHECK_EQ_INT(home->calls[0].timeout, 0);    /* only the call to recommend */
  CHECK_NEAR(home->error_rate, 0.02, 1e-12);
  CHECK(cat->queue == INT64_MAX);
  CHECK_EQ_INT(rev->workers, 3);
  CHECK(m->duration == 7200);
  CHECK(m->warmup == 60);
  fl_model_free(m);
}

TEST(set_applies_to_a_loaded_model_directly) {
  fl_model_t *m = load_good(NULL);
  if (!m) return;
  char err[512];
  fl_service_t *rev = fl_model_find_service(m, "reviews");
  CHECK_EQ_INT(fl_model_set(m, "reviews.queue=10", err, sizeof err), 0);
  CHECK_EQ_INT(rev->queue, 10);
  CHECK_EQ_INT(fl_model_set(m, "reviews.queue=math.huge", err, sizeof err), 0);
  CHECK(rev->queue == INT64_MAX);
  CHECK_EQ_INT(fl_model_set(m, "traffic.rate=300/s", err, sizeof err), 0);
  CHECK_EQ_INT(m->rate.kind, FL_PROFILE_CONST);
  CHECK(m->rate.value == 300);
  CHECK_EQ_INT(fl_model_set(m, "gateway.balancer=p2c", err, sizeof err), 0);
  CHECK_EQ_INT(fl_model_find_service(m, "gateway")->balancer, FL_LB_P2C);
  fl_model_free(m);
}

TEST(set_rejects_bad_values_with_clear_messages) {
  static const struct { const char *set, *want; } cases[] = {
    { "recommend.instances=0", "--set recommend.instances=0: expected a whole number from 1 to 100000, got '0'" },
    { "recommend.instances=x", "--set recommend.instances=x: expected a whole number from 1 to 100000, got 'x'" },
    { "recommend.instances=2.5", "--set recommend.instances=2.5: expected a whole number from 1 to 100000, got '2.5'" },
    { "recommend.replicas=3", "--set recommend.replicas=3: unknown field 'replicas' (expected instances, workers, cores, queue, overflow, "
                              "blocking, error_rate, slo, balancer, calls.TARGET.FIELD, endpoints.NAME...)" },
    { "nosuch.instances=3", "--set nosuch.instances=3: no service or setting named 'nosuch'" },
    { "traffic.rate.peak=fast", "--set traffic.rate.peak=fast: expected a rate such as 2000/s, got 'fast'" },
    { "traffic.rate.top=5/s", "--set traffic.rate.top=5/s: unknown surge field 'top' (expected base, peak, start, ramp, hold, decay)" },
    { "gateway.endpoints.home.calls.recommend.timeout=soon",
      "--set gateway.endpoints.home.calls.recommend.timeout=soon: expected a duration such as 100ms, got 'soon'" },
    { "gateway.endpoints.nope.calls.x.timeout=1s", "--set gateway.endpoints.nope.calls.x.timeout=1s: service 'gateway' has no endpoint 'nope'" },
    { "gateway.endpoints.home.calls.payment.timeout=1s",
      "--set gateway.endpoints.home.calls.payment.timeout=1s: endpoint gateway.home has no call to 'payment'" },
    { "gateway.endpoints.home.calls.catalog.retires=3",
      "--set gateway.endpoints.home.calls.catalog.retires=3: unknown call field 'retires' (expected timeout, connect_timeout, optional, fallback, p, retries, "
      "backoff.base|max|multiplier|jitter, retry_budget.ratio|min_per_s, breaker.enabled|failure_rate|slow_call_rate|slow_call|window|"
      "min_calls|open_for|half_open_calls, bulkhead, deadline, hedge.after|max)" },
    { "catalog.queue=-1", "--set catalog.queue=-1: expected a whole number from 0 to 1000000000, got '-1'" },
    { "gateway.blocking=yes", "--set gateway.blocking=yes: expected true or false, got 'yes'" },
    { "gateway.balancer=fastest", "--set gateway.balancer=fastest: expected round_robin, random, least_outstanding or p2c" },
    { "gateway.instances", "--set gateway.instances: expected PATH=VALUE, e.g. recommend.instances=6" },
    { "gateway.instances=", "--set gateway.instances=: expected PATH=VALUE, e.g. recommend.instances=6" },
    { "=3", "--set =3: expected PATH=VALUE, e.g. recommend.instances=6" },
    { "scenario.seed=3", "--set scenario.seed=3: unknown scenario field 'seed' (expected duration, warmup, window, name; the seed is --seed)" },
    { "duration=0", "--set duration=0: duration must be positive" },
    { "traffic.mix.gateway.home=2", "--set traffic.mix.gateway.home=2: expected a share such as 0.5 or 50%, got '2'" },
    { "traffic.mix.gateway.nope=0.5", "--set traffic.mix.gateway.nope=0.5: no journey 'gateway.nope' in the mix" },
  };
  {   /* a warm-up longer than the duration is refused after all overrides, whatever their order */
    const char *sets[] = { "warmup=2h" };
    fl_load_opts_t o = { .sets = sets, .nsets = 1 };
    fl_model_t *m = NULL;
    char err[1024];
    CHECK_EQ_INT(fl_scenario_load(put("good.lua", good), &o, &m, err, sizeof err), -FL_ESCENARIO);
    CHECK_MSG(strstr(err, "the warm-up (7200s) must be shorter than the duration (3600s)") != NULL, "%s", err);
    const char *sets2[] = { "scenario.duration=2m", "scenario.warmup=10s" };
    fl_load_opts_t o2 = { .sets = sets2, .nsets = 2 };
    CHECK_EQ_INT(fl_scenario_load(put("good.lua", good), &o2, &m, err, sizeof err), 0);
    if (m) { CHECK_NEAR(m->warmup, 10, 1e-9); fl_model_free(m); }
  }
  for (size_t i = 0; i < COUNT(cases); i++) {
    const char *sets[] = { cases[i].set };
    fl_load_opts_t o = { .sets = sets, .nsets = 1 };
    fl_model_t *m = NULL;
    char err[1024];
    int rc = fl_scenario_load(put("good.lua", good), &o, &m, err, sizeof err);
    CHECK_MSG(rc == -FL_EINVAL, "%s: rc %d", cases[i].set, rc);
    CHECK_MSG(m == NULL, "%s: a model came back", cases[i].set);
    CHECK_MSG(strcmp(err, cases[i].want) == 0, "%s:\n    got  %s\n    want %s", cases[i].set, err, cases[i].want);
    fl_model_free(m);
  }
}

TEST(set_on_a_constant_rate_asks_for_a_surge) {
  const char *sets[] = { "traffic.rate.peak=25000/s" };
  fl_load_opts_t o = { .sets = sets, .nsets = 1 };
  fl_model_t *m = NULL;
  char err[1024];
  int rc = load_text(SCN A TRAFFIC_A, &o, &m, err, sizeof err);
  CHECK_EQ_INT(rc, -FL_EINVAL);
  CHECK_EQ_STR(err, "--set traffic.rate.peak=25000/s: traffic.rate.peak needs a surge profile (set traffic.rate to replace a constant rate)");
}

/* The script sums to 1; the override breaks it: the message says the override took part. */
TEST(set_breaking_the_mix_says_the_override_took_part) {
  const char *sets[] = { "traffic.mix.gateway.home=0.5" };
  fl_load_opts_t o = { .sets = sets, .nsets = 1 };
  fl_model_t *m = NULL;
  char err[1024], want[1024];
  int rc = fl_scenario_load(put("good.lua", good), &o, &m, err, sizeof err);
  CHECK_EQ_INT(rc, -FL_ESCENARIO);
  expand("$D/good.lua:20: traffic: mix shares sum to 0.75 (expected 1) (after --set traffic.mix.gateway.home=0.5)", want, sizeof want);
  CHECK_EQ_STR(err, want);
  CHECK(m == NULL);
}

/* ---- the script and --set share their bounds and defaults ---- */

/* One policy field, written in the script (its value in place of %s, inside service "b" for a
** service field, inside call "b" { ... } of service "a" for a call field) and set by --set on a
** script that has the same field's table without it. */
typedef struct {
  const char *set;          /* the --set path */
  bool call;                /* a call field (else a service field of "b") */
  const char *lua, *base;   /* the script's text with the value, and without it */
  double (*get)(const fl_model_t *m);
  struct { const char *lua, *set; bool ok; } v[6];
} same_t;

static const fl_call_t *call_ab(const fl_model_t *m) { return &m->services[1].endpoints[0].calls[0]; }
static double get_retries(const fl_model_t *m) { return call_ab(m)->retries; }
static double get_window(const fl_model_t *m) { return call_ab(m)->breaker.window + call_ab(m)->breaker.min_calls / 1e6; }
static double get_failure_rate(const fl_model_t *m) { return call_ab(m)->breaker.failure_rate; }
static double get_open_for(const fl_model_t *m) { return (double)call_ab(m)->breaker.open_for; }
static double get_mult(const fl_model_t *m) { return call_ab(m)->backoff_mult; }
static double get_jitter(const fl_model_t *m) { return call_ab(m)->jitter; }
static double get_ratio(const fl_model_t *m) { return call_ab(m)->budget_ratio + call_ab(m)->budget_min / 1e6; }
static double get_bulkhead(const fl_model_t *m) { return call_ab(m)->bulkhead; }
static double get_hedge_max(const fl_model_t *m) { return call_ab(m)->hedge.max + (call_ab(m)->hedge.on ? 0.5 : 0); }
static double get_instances(const fl_model_t *m) { return m->services[0].instances; }
static double get_as_max(const fl_model_t *m) { return m->services[0].autoscale.max + m->services[0].instances / 1e6; }
static double get_as_period(const fl_model_t *m) { return m->services[0].autoscale.period; }
static double get_as_warmup(const fl_model_t *m) { return m->services[0].autoscale.warmup_factor; }

#define AS "autoscale = { target = 0.5, max = 10"
static const same_t same[] = {
  { "retries", true, "retries = %s", "", get_retries,
    { { "-1", "-1", false }, { "0", "0", true }, { "100", "100", true }, { "101", "101", false }, { "2.5", "2.5", false } } },
  { "breaker.window", true, "breaker = { window = %s }", "breaker = {}", get_window,
    { { "0", "0", false }, { "1", "1", true }, { "50", "50", true }, { "100000", "100000", true }, { "100001", "100001", false } } },
  { "breaker.failure_rate", true, "breaker = { failure_rate = %s }", "breaker = {}", get_failure_rate,
    { { "0.25", "0.25", true }, { "\"25%\"", "25%", true }, { "1.5", "1.5", false } } },
  { "breaker.open_for", true, "breaker = { open_for = %s }", "breaker = {}", get_open_for,
    { { "\"0s\"", "0s", false }, { "\"5s\"", "5s", true }, { "\"soon\"", "soon", false } } },
  { "backoff.multiplier", true, "backoff = { multiplier = %s }", "", get_mult,
    { { "0.5", "0.5", false }, { "1", "1", true }, { "3", "3", true } } },
  { "backoff.jitter", true, "backoff = { jitter = %s }", "", get_jitter,
    { { "\"full\"", "full", true }, { "\"equal\"", "equal", true }, { "\"sometimes\"", "sometimes", false } } },
  { "retry_budget.ratio", true, "retry_budget = { ratio = %s }", "", get_ratio,
    { { "0.5", "0.5", true }, { "2", "2", false } } },
  { "bulkhead", true, "bulkhead = %s", "", get_bulkhead,
    { { "5", "5", true }, { "100000000", "100000000", true }, { "100000001", "100000001", false } } },
  { "hedge.max", true, "hedge = { after = \"10ms\", max = %s }", "hedge = { after = \"10ms\" }", get_hedge_max,
    { { "3", "3", true }, { "10", "10", true }, { "11", "11", false } } },
  { "instances", false, "instances = %s", "", get_instances,
    { { "0", "0", false }, { "3", "3", true }, { "100000", "100000", true }, { "100001", "100001", false } } },
  { "autoscale.max", false, "autoscale = { target = 0.5, min = 2, max = %s }", AS ", min = 2 }", get_as_max,
    { { "0", "0", false }, { "1", "1", false }, { "3", "3", true }, { "100001", "100001", false } } },
  { "autoscale.period", false, AS ", period = %s }", AS " }", get_as_period,
    { { "\"0.5ms\"", "0.5ms", false }, { "\"1ms\"", "1ms", true }, { "\"30s\"", "30s", true } } },
  { "autoscale.warmup_factor", false, AS ", warmup_factor = %s }", AS " }", get_as_warmup,
    { { "0.5", "0.5", false }, { "1", "1", true }, { "1.5", "1.5", true } } },
};

/* Loads the two-service scenario with 'svc' in service "b" and 'opts' in call "b". */
static int load_ab(const char *svc, const char *opts, const fl_load_opts_t *o, fl_model_t **m, char *err, size_t n) {
  char text[1024];
  snprintf(text, sizeof text, SCN "service \"b\" { work = \"1ms\"%s%s }\n"
           "service \"a\" { work = \"1ms\", calls = { call \"b\" { %s } } }\n"
           "traffic { rate = 10, mix = { a = 1 } }\n", svc[0] ? ", " : "", svc, opts);
  return load_text(text, o, m, err, n);
}

TEST(set_and_the_script_accept_and_refuse_the_same_policy_values) {
  for (size_t i = 0; i < COUNT(same); i++) {
    const same_t *c = &same[i];
    for (int k = 0; k < 6 && c->v[k].lua; k++) {
      char field[256], assign[256], err[1024];
      snprintf(field, sizeof field, c->lua, c->v[k].lua);
      fl_model_t *ms = NULL, *mset = NULL;
      int rs = load_ab(c->call ? "" : field, c->call ? field : "", NULL, &ms, err, sizeof err);
      CHECK_MSG((rs == 0) == c->v[k].ok, "script %s = %s: %s (%s)", c->set, c->v[k].lua, rs ? "refused" : "accepted", err);
      snprintf(assign, sizeof assign, c->call ? "a.calls.b.%s=%s" : "b.%s=%s", c->set, c->v[k].set);
      const char *sets[] = { assign };
      fl_load_opts_t o = { .sets = sets, .nsets = 1 };
      int rset = load_ab(c->call ? "" : c->base, c->call ? c->base : "", &o, &mset, err, sizeof err);
      CHECK_MSG((rset == 0) == c->v[k].ok, "--set %s: %s (%s)", assign, rset ? "refused" : "accepted", err);
      if (rs == 0 && rset == 0)
        CHECK_MSG(c->get(ms) == c->get(mset), "%s = %s: the script gives %.9g, --set %.9g", c->set, c->v[k].lua, c->get(ms), c->get(mset));
      fl_model_free(ms);
      fl_model_free(mset);
    }
  }
}

/* A policy --set turns on starts from the defaults a script's empty table gets. */
TEST(a_policy_set_turns_on_has_the_scripts_defaults) {
  char err[1024];
  fl_model_t *ms = NULL, *mset = NULL;
  CHECK_EQ_INT(load_ab("", "breaker = {}", NULL, &ms, err, sizeof err), 0);
  const char *sets[] = { "a.calls.b.breaker.enabled=true" };
  fl_load_opts_t o = { .sets = sets, .nsets = 1 };
  CHECK_EQ_INT(load_ab("", "", &o, &mset, err, sizeof err), 0);
  if (ms && mset) CHECK(memcmp(&call_ab(ms)->breaker, &call_ab(mset)->breaker, sizeof(fl_breaker_cfg_t)) == 0);
  fl_model_free(ms);
  fl_model_free(mset);
  ms = mset = NULL;
  CHECK_EQ_INT(load_ab("", "retry_budget = {}", NULL, &ms, err, sizeof err), 0);
  const char *sets2[] = { "a.calls.b.retry_budget.min_per_s=10" };
  fl_load_opts_t o2 = { .sets = sets2, .nsets = 1 };
  CHECK_EQ_INT(load_ab("", "", &o2, &mset, err, sizeof err), 0);
  if (ms && mset) {
    CHECK(call_ab(ms)->budget_ratio == call_ab(mset)->budget_ratio);
    CHECK(call_ab(ms)->budget_min == call_ab(mset)->budget_min);
  }
  fl_model_free(ms);
  fl_model_free(mset);
}

/* Every enum's names go both ways through the one table of each. */
TEST(enum_names_parse_back_to_their_values) {
  for (int i = 0; i < FL_CAUSE__COUNT; i++) CHECK_EQ_INT(fl_cause_parse(fl_cause_name((fl_cause_t)i)), i);
  for (int i = 0; i < FL_LB__COUNT; i++) CHECK_EQ_INT(fl_balancer_parse(fl_balancer_name((fl_balancer_t)i)), i);
  for (int i = 0; i < FL_FAULT__COUNT; i++) CHECK_EQ_INT(fl_fault_kind_parse(fl_fault_kind_name((fl_fault_kind_t)i)), i);
  for (int i = 0; i < FL_SCALE__COUNT; i++) CHECK_EQ_INT(fl_scale_metric_parse(fl_scale_metric_name((fl_scale_metric_t)i)), i);
  for (int i = 0; i < FL_JITTER__COUNT; i++) CHECK_EQ_INT(fl_jitter_parse(fl_jitter_name((fl_jitter_t)i)), i);
  for (int i = 0; i < FL_OUT__COUNT; i++) CHECK_EQ_INT(fl_outcome_parse(fl_outcome_name((fl_outcome_t)i)), i);
  CHECK_EQ_STR(fl_jitter_name(FL_JITTER__COUNT), "?");
  CHECK_EQ_INT(fl_scale_metric_parse("cpu"), -1);
  CHECK_EQ_INT(fl_balancer_parse(NULL), -1);
}
