/* Hostile scenarios against the sandbox (sim/lang/, sim/lang/sandbox.c): each must end in the
** exact "file:line: message" given, never in a crash, a hang or a read of the user's files.
** Loops inside one library call (string.rep of nothing, table.move over 10^12 slots, a huge or
** lying __len, metamethods that are library functions) end within their limits and a wall-clock
** bound; hooks that log or scale in a loop stay under the memory cap (the log keeps 10000 lines);
** an interrupt ends a hook at once with its file:line; trace timestamps past the clock's range.
** Reading files (io, os, dofile, include of /etc/passwd, through '..', a symbolic link or a
** FIFO), memory bombs (string.rep, doubling, model objects built in a loop), endless loops (plain,
** behind pcall or xpcall, in a metamethod, in a finalizer), patterns that backtrack forever,
** deep recursion (Lua stack, C stack, parser nesting), include chains and loops, binary chunks,
** metatable tricks (on strings, on faultline's own objects, re-entering a constructor),
** coroutines, and constructors called once the run has started. */
#define CHECK_MAIN
#include "check.h"

#include "faultline/scenario.h"
#include "faultline/sim.h"

#include <lauxlib.h>
#include <lua.h>

#include <signal.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define FIXTURE_NAME "hostile"
#include "fixture.h"

#define COUNT(a) (sizeof (a) / sizeof (a)[0])

/* Loads 'path' and checks that it fails with exactly 'want' ($D expanded). */
static void expect_error(const char *what, const char *path, const fl_load_opts_t *o, const char *want) {
  fl_model_t *m = (fl_model_t *)1;
  char err[2048], w[2048];
  err[0] = 0;
  int rc = fl_scenario_load(path, o, &m, err, sizeof err);
  expand(want, w, sizeof w);
  CHECK_MSG(rc == -FL_ESCENARIO, "%s: rc %d, want -FL_ESCENARIO", what, rc);
  CHECK_MSG(m == NULL, "%s: a model came back", what);
  CHECK_MSG(strcmp(err, w) == 0, "%s:\n    got  %s\n    want %s", what, err, w);
  if (rc == 0) fl_model_free(m);
}

/* Loads 'path' and checks that it succeeds; returns the model (or NULL). */
static fl_model_t *expect_ok(const char *what, const char *path, const fl_load_opts_t *o) {
  fl_model_t *m = NULL;
  char err[2048] = "";
  int rc = fl_scenario_load(path, o, &m, err, sizeof err);
  CHECK_MSG(rc == 0, "%s: %s", what, err);
  return rc == 0 ? m : NULL;
}

/* ---- the table ---- */

#define SCN "scenario { duration = \"10s\" }\n"
#define A "service \"a\" { work = \"1ms\" }\n"
#define TRAFFIC_A "traffic { rate = 10, mix = { a = 1 } }\n"
#define LIMIT "the scenario ran for more than 200000000 Lua instructions (an endless loop?)"
#define MEM "the scenario used more than 256 MiB of memory (a runaway table or string?)"
#define OUTSIDE "only files under the scenario's folder may be included (no absolute paths or '..'; --unsafe lifts this)"
#define LINKED "is a symbolic link (the sandbox reads only plain files under the scenario's folder; --unsafe lifts this)"

typedef struct { const char *what, *lua, *want; } hostile_t;

static const hostile_t hostile[] = {
  /* the user's files and processes */
  { "io.open of /etc/passwd", "local f = io.open(\"/etc/passwd\")\nprint(f:read(\"a\"))\n",
    "$D/h.lua:1: attempt to index a nil value (global 'io')" },
  { "io.lines of /etc/passwd", "for line in io.lines(\"/etc/passwd\") do end\n",
    "$D/h.lua:1: attempt to index a nil value (global 'io')" },
  { "os.execute", "os.execute(\"touch /tmp/faultline-pwned\")\n",
    "$D/h.lua:1: attempt to index a nil value (global 'os')" },
  { "os.remove", "os.remove(\"/tmp/faultline-victim\")\n",
    "$D/h.lua:1: attempt to index a nil value (global 'os')" },
  { "os.getenv", "local home = os.getenv(\"HOME\")\n",
    "$D/h.lua:1: attempt to index a nil value (global 'os')" },
  { "dofile of /etc/passwd", "dofile(\"/etc/passwd\")\n",
    "$D/h.lua:1: attempt to call a nil value (global 'dofile')" },
  { "loadfile of /etc/passwd", "local f = loadfile(\"/etc/passwd\")\n",
    "$D/h.lua:1: attempt to call a nil value (global 'loadfile')" },
  { "require of a C module", "local socket = require(\"socket\")\n",
    "$D/h.lua:1: attempt to call a nil value (global 'require')" },
  { "package.loadlib of libc", "package.loadlib(\"libc.so.6\", \"system\")\n",
    "$D/h.lua:1: attempt to index a nil value (global 'package')" },
  { "debug.sethook to lift the instruction limit", "debug.sethook()\nwhile true do end\n",
    "$D/h.lua:1: attempt to index a nil value (global 'debug')" },
  { "include of /etc/passwd", SCN "include \"/etc/passwd\"\n",
    "$D/h.lua:2: include \"/etc/passwd\": " OUTSIDE },
  { "include of ../../etc/passwd", SCN "include \"../../etc/passwd\"\n",
    "$D/h.lua:2: include \"../../etc/passwd\": " OUTSIDE },
  { "include of a symbolic link to /etc/passwd, its error caught to leak the text",
    SCN "local ok, e = pcall(include, \"passwd.lua\")\nerror(e, 0)\n",
    "include \"passwd.lua\": $D/passwd.lua " LINKED },   /* called by pcall, a C function: no position */
  { "include through a symbolic link to /etc", SCN "include \"etc/passwd\"\n",
    "$D/h.lua:2: include \"etc/passwd\": $D/etc " LINKED },
  { "include of a FIFO (would block forever)", SCN "include \"fifo.lua\"\n",
    "$D/h.lua:2: include \"fifo.lua\": $D/fifo.lua is not a regular file" },
  { "include of a folder", SCN "include \"sub\"\n",
    "$D/h.lua:2: include \"sub\": $D/sub is not a regular file" },
  { "a trace read through a symbolic link to /etc/passwd (its first line would be quoted)", SCN "local r = trace \"passwd.lua\"\n",
    "$D/h.lua:2: trace \"passwd.lua\": $D/passwd.lua " LINKED },
  { "a trace read from a FIFO", SCN "local r = trace \"fifo.lua\"\n",
    "$D/h.lua:2: trace \"fifo.lua\": $D/fifo.lua is not a regular file" },
  { "a trace of /etc/passwd", SCN "local r = trace \"/etc/passwd\"\n",
    "$D/h.lua:2: trace \"/etc/passwd\": only files under the scenario's folder may be read (no absolute paths or '..'; --unsafe lifts this)" },

  /* memory bombs */
  { "string.rep of a gigabyte in one call", "local s = string.rep(\"x\", 2^30)\n",
    "$D/h.lua: " MEM },
  { "string.rep past Lua's largest string", "local s = string.rep(\"x\", 1e10)\n",
    "$D/h.lua:1: resulting string too large" },
  { "a string doubled 40 times", "local s = \"x\"\nfor i = 1, 40 do s = s .. s end\n",
    "$D/h.lua:2: " MEM },
  { "a table of 100 million entries", "local t = {}\nfor i = 1, 1e8 do t[i] = i end\n",
    "$D/h.lua:2: " MEM },
  { "model objects built in a loop (the model's memory counts too)",
    "local points = {}\nfor i = 1, 100000 do points[i] = { i, 1 } end\nfor i = 1, 1e9 do piecewise(points) end\n",
    "$D/h.lua:3: " MEM },

  /* endless loops */
  { "while true do end", SCN "while true do end\n", "$D/h.lua:2: " LIMIT },
  { "an endless loop behind pcall, retried forever",
    "local function spin() while true do end end\nwhile true do pcall(spin) end\n", "$D/h.lua:2: " LIMIT },
  { "an endless loop behind xpcall whose handler loops too",
    "local function spin() while true do end end\nwhile true do xpcall(spin, spin) end\n", "$D/h.lua:2: " LIMIT },
  { "a finalizer that loops (finalizers run with hooks off)",
    "setmetatable({}, { __gc = function() while true do end end })\n",
    "$D/h.lua:1: setmetatable: __gc is not allowed in a scenario (a finalizer runs where no instruction limit applies)" },
  { "a __gc added to faultline's own metatable",
    "getmetatable(exp \"1ms\").__gc = function() while true do end end\n",
    "$D/h.lua:1: attempt to index a string value" },
  { "the string metatable's __index made to loop",
    "getmetatable(\"\").__index = function() while true do end end\nlocal n = (\"x\"):len()\n", "$D/h.lua:1: " LIMIT },
  { "a loop whose every instruction compares two 60 MB strings (10 s of wall time, not 200M instructions)",
    "local s = (\"x\"):rep(60000000)\nlocal u = (\"x\"):rep(59999999) .. \"x\"\nwhile true do local less = s < u end\n",
    "$D/h.lua:3: the scenario ran for more than 10 seconds (an endless loop over huge strings?)" },
  { "table.sort of 100000 references to a 100 KB string (compared in C)",
    "local s = (\"x\"):rep(100000)\nlocal t = {}\nfor i = 1, 100000 do t[i] = s end\ntable.sort(t)\n",
    "$D/h.lua:4: table.sort: sorting 100000 values with strings of up to 100000 bytes could compare 1.7e+11 bytes "
    "(the sandbox refuses more than 5e+10; --unsafe lifts this)" },
  { "table.sort with a comparator that loops",
    "table.sort({ 3, 2, 1 }, function(a, b) while true do end end)\n", "$D/h.lua:1: " LIMIT },
  { "a pattern that backtracks exponentially (Lua's matcher runs in C, out of the hook's reach)",
    "local s = string.rep(\"a\", 28)\nlocal i = s:find(string.rep(\"a?\", 28) .. s)\n",
    "$D/h.lua:2: string.find: the pattern 'a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?...' could backtrack through 7.8e+09 paths "
    "on this 28-byte string (the sandbox refuses more than 2e+08; --unsafe lifts this)" },
  { "a pattern that backtracks polynomially over a long subject",
    "local s = string.rep(\"a\", 100000)\nfor w in s:gmatch(\"a*a*a*b\") do end\n",
    "$D/h.lua:2: string.gmatch: the pattern 'a*a*a*b' could backtrack through 4.2e+18 paths "
    "on this 100000-byte string (the sandbox refuses more than 2e+08; --unsafe lifts this)" },

  /* deep recursion */
  { "Lua stack overflow", "local function f(n) return 1 + f(n + 1) end\nf(1)\n", "$D/h.lua:1: stack overflow" },
  { "C stack overflow through __index", "local t = setmetatable({}, { __index = function(t, k) return t[k] end })\nlocal x = t.a\n",
    "$D/h.lua:1: C stack overflow" },
  { "C stack overflow through __tostring",
    "local t = setmetatable({}, { __tostring = function(self) return tostring(self) end })\nlocal s = tostring(t)\n",
    "$D/h.lua: C stack overflow" },

  /* include chains */
  { "an include chain 20 files deep", SCN "include \"inc1.lua\"\n",
    "$D/inc16.lua:1: include \"inc17.lua\": includes nested more than 16 deep" },
  { "a file that includes itself", SCN "include \"self.lua\"\n",
    "$D/self.lua:1: include \"self.lua\": includes nested more than 16 deep" },
  { "an include inside an endless loop", SCN "while true do include \"empty.lua\" end\n",
    "$D/h.lua:2: include \"empty.lua\": more than 10000 includes (an include inside a loop?)" },

  /* binary chunks */
  { "load is absent", "local f = load(\"return 1\")\n", "$D/h.lua:1: attempt to call a nil value (global 'load')" },
  { "string.dump is absent", "local bytes = string.dump(function() end)\n",
    "$D/h.lua:1: attempt to call a nil value (field 'dump')" },
  { "include of a binary chunk", SCN "include \"chunk.luac\"\n",
    "$D/h.lua:2: include \"chunk.luac\": $D/chunk.luac: attempt to load a binary chunk (mode is 't')" },

  /* metatables and coroutines */
  { "a constructor re-entered from __index while another reads its fields",
    SCN "local evil = setmetatable({ work = \"1ms\" }, { __index = function(t, k)\n  service \"b\" { work = \"1ms\" }\nend })\n"
        "service \"a\" (evil)\n",
    "$D/h.lua:3: a constructor cannot run while another one reads its fields (from a metamethod such as __index or __gc)" },
  { "faultline's call metatable cannot be reached", "getmetatable(call \"a\").__call = nil\n",
    "$D/h.lua:1: attempt to index a string value" },
  { "coroutine.wrap around an endless loop", "local co = coroutine.wrap(function() while true do end end)\nco()\n",
    "$D/h.lua:1: attempt to index a nil value (global 'coroutine')" },

  /* errors caught by pcall leave no broken model behind */
  { "pcall(scenario) with a zero window", "pcall(scenario, { duration = \"1s\", window = 0 })\n" A TRAFFIC_A,
    "$D/h.lua:1: scenario: needs 0 < duration <= 1000000000s, window >= 1ms and 0 <= warmup < duration (got 1s, 0s, 0s)" },
  { "pcall(scenario) with a warm-up past the end", "pcall(scenario, { duration = \"1m\", warmup = \"2m\" })\n" A TRAFFIC_A,
    "$D/h.lua:1: the warm-up (120s) must be shorter than the duration (60s)" },
};

static int write_chunk(lua_State *L, const void *p, size_t n, void *f) {
  (void)L;
  return fwrite(p, 1, n, f) == n ? 0 : 1;
}

static void lay_out_the_folder(void) {
  static bool done;
  if (done) return;
  done = true;
  char name[32], text[64];
  for (int i = 1; i <= 20; i++) {
    snprintf(name, sizeof name, "inc%d.lua", i);
    snprintf(text, sizeof text, "include \"inc%d.lua\"\n", i + 1);
    put(name, text);
  }
  put("inc21.lua", "-- the end\n");
  put("self.lua", "include \"self.lua\"\n");
  put("empty.lua", "");
  if (symlink("/etc/passwd", path_of("passwd.lua")) != 0) perror("symlink");
  if (symlink("/etc", path_of("etc")) != 0) perror("symlink");
  if (mkfifo(path_of("fifo.lua"), 0600) != 0) perror("mkfifo");
  if (mkdir(path_of("sub"), 0700) != 0) perror("mkdir");
  /* a binary chunk, as luac would write it */
  lua_State *L = luaL_newstate();
  FILE *f = fopen(path_of("chunk.luac"), "wb");
  if (!L || !f || luaL_loadstring(L, "scenario { duration = '10s' }") != LUA_OK) { perror("chunk.luac"); exit(3); }
  lua_dump(L, write_chunk, f, 0);
  fclose(f);
  lua_close(L);
}

TEST(hostile_scenarios_end_in_the_exact_error) {
  lay_out_the_folder();
  for (size_t i = 0; i < COUNT(hostile); i++) expect_error(hostile[i].what, put("h.lua", hostile[i].lua), NULL, hostile[i].want);
}

/* Nesting too deep for the parser: Lua gives no position, the loader adds the file. */
TEST(parser_nesting_too_deep_names_the_file) {
  static char text[4096];
  size_t w = (size_t)snprintf(text, sizeof text, "local x = ");
  for (int i = 0; i < 1000; i++) text[w++] = '(';
  text[w++] = '1';
  for (int i = 0; i < 1000; i++) text[w++] = ')';
  text[w++] = '\n';
  text[w] = 0;
  expect_error("1000 nested parentheses", put("h.lua", text), NULL, "$D/h.lua: C stack overflow");
  w = (size_t)snprintf(text, sizeof text, "local t = ");
  for (int i = 0; i < 1000; i++) text[w++] = '{';
  for (int i = 0; i < 1000; i++) text[w++] = '}';
  text[w++] = '\n';
  text[w] = 0;
  expect_error("1000 nested tables", put("h.lua", text), NULL, "$D/h.lua: C stack overflow");
}

TEST(a_binary_chunk_as_the_scenario_is_refused) {
  lay_out_the_folder();
  expect_error("chunk.luac", path_of("chunk.luac"), NULL, "$D/chunk.luac: attempt to load a binary chunk (mode is 't')");
}

/* What the guards leave alone: the patterns, xpcall, setmetatable and include that scenarios use. */
TEST(sandbox_guards_leave_ordinary_scripts_alone) {
  lay_out_the_folder();
  put("parts.lua", "PARTS = (PARTS or 0) + 1\n");
  fl_model_t *m = expect_ok("ordinary script", put("h.lua", SCN
    "assert((\"gateway.home\"):match(\"^(%w+)%.(%w+)$\") == \"gateway\")\n"
    "local n = 0\n"
    "for a, b in string.rep(\"12,34\\n\", 20000):gmatch(\"(%d+),(%d+)\") do n = n + 1 end\n"
    "assert(n == 20000)\n"
    "assert((\"  padded  \"):match(\"^%s*(.-)%s*$\") == \"padded\")\n"
    "assert(select(2, string.rep(\"a b \", 100000):gsub(\"%s+\", \"\")) == 200000)\n"
    "assert(string.find(string.rep(\"x\", 100000) .. \"needle\", \"needle\", 1, true) == 100001)\n"
    "local ok, a, b = xpcall(function(x) return x, 2 end, print, 1)\n"
    "assert(ok and a == 1 and b == 2)\n"
    "local ok2, e = xpcall(function() error(\"boom\") end, function(msg) return \"handled: \" .. msg end)\n"
    "assert(not ok2 and e:find(\"handled: .*boom\"))\n"
    "local base = { instances = 3 }\n"
    "local t = setmetatable({ work = \"1ms\" }, { __index = base })\n"
    "for i = 1, 20 do pcall(include, \"missing.lua\") end\n"
    "include \"parts.lua\"\n"
    "assert(PARTS == 1)\n"
    "service \"a\" (t)\n"
    "assert(getmetatable(exp \"1ms\") == \"locked by the faultline sandbox\")\n"
    "local words = {}\nfor i = 1, 50000 do words[i] = \"w\" .. (i * 7919 % 50000) end\ntable.sort(words)\n"
    "assert(words[1] == \"w0\")\n"
    TRAFFIC_A), NULL);
  if (!m) return;
  CHECK_EQ_INT(m->services[0].instances, 3);   /* inherited through __index, as before */
  fl_model_free(m);
}

TEST(unsafe_lifts_the_include_and_pattern_guards) {
  lay_out_the_folder();
  fl_load_opts_t o = { .unsafe = true };
  put("real.lua", "REAL = true\n");
  unlink(path_of("link.lua"));
  if (symlink("real.lua", path_of("link.lua")) != 0) perror("symlink");
  expect_error("a symbolic link in the sandbox", put("h.lua", SCN "include \"link.lua\"\n"), NULL,
               "$D/h.lua:2: include \"link.lua\": $D/link.lua " LINKED);
  fl_model_t *m = expect_ok("a symbolic link with --unsafe", put("h.lua", SCN
    "include \"link.lua\"\nassert(REAL)\n"
    "assert(not string.find(string.rep(\"a\", 20), string.rep(\"a?\", 20) .. string.rep(\"a\", 21)))\n" A TRAFFIC_A), &o);
  fl_model_free(m);
}

/* A hook runs during the simulation: building the model from there would move arrays the run
** holds (a heap overflow before the fix); it stops the run with the hook's file and line. */
TEST(a_constructor_called_from_a_hook_stops_the_run) {
  fl_model_t *m = expect_ok("hook", put("hook.lua", SCN A TRAFFIC_A
    "at(\"2s\", function(sim)\n  service \"late\" { work = \"1ms\" }\nend)\n"), NULL);
  if (!m) return;
  fl_sim_t s;
  CHECK_EQ_INT(fl_sim_init(&s, m), 0);
  fl_sim_run(&s);
  char want[512];
  expand("$D/hook.lua:5: the scenario's constructors (service, call, fault, include, ...) cannot run once it is loaded; "
         "a hook acts through its sim argument (in the hook of $D/hook.lua:4)", want, sizeof want);
  CHECK_EQ_STR(s.error, want);
  CHECK(!s.complete);
  CHECK_EQ_INT(m->nservices, 1);
  fl_sim_release(&s);
  fl_model_free(m);
}

/* An endless loop inside a hook is stopped like one in the script. */
TEST(an_endless_loop_in_a_hook_stops_the_run) {
  fl_model_t *m = expect_ok("hook", put("hook.lua", SCN A TRAFFIC_A
    "every(\"1s\", function(sim)\n  while true do pcall(function() while true do end end) end\nend)\n"), NULL);
  if (!m) return;
  fl_sim_t s;
  CHECK_EQ_INT(fl_sim_init(&s, m), 0);
  fl_sim_run(&s);
  char want[512];
  expand("$D/hook.lua:5: " LIMIT " (in the hook of $D/hook.lua:4)", want, sizeof want);
  CHECK_EQ_STR(s.error, want);
  CHECK(!s.complete);
  fl_sim_release(&s);
  fl_model_free(m);
}

/* ---- loops inside one library call ---- */

#define C_LOOP ": a loop in C, out of the instruction limit's reach (the sandbox refuses more than 2e+07 steps in one call; --unsafe lifts this)"

static const hostile_t c_loops[] = {
  { "string.rep of nothing 10^15 times, with and without a separator",
    "local s = string.rep(\"\", 1e15) .. string.rep(\"\", 1e15, \"\") .. (\"\"):rep(2^62)\nerror(\"done, length \" .. #s)\n",
    "$D/h.lua:2: done, length 0" },
  { "table.move over 10^12 slots", "table.move({}, 1, 1e12, 1)\n",
    "$D/h.lua:1: table.move: moving 1000000000000 elements" C_LOOP },
  { "table.insert at the front of a list whose __len is 10^15",
    "local t = setmetatable({}, { __len = function() return 1e15 end })\ntable.insert(t, 1, \"x\")\n",
    "$D/h.lua:2: table.insert: shifting 1000000000000000 elements" C_LOOP },
  { "table.remove at the front of a list whose __len is 10^15",
    "local t = setmetatable({}, { __len = function() return 1e15 end })\ntable.remove(t, 1)\n",
    "$D/h.lua:2: table.remove: shifting 999999999999999 elements" C_LOOP },
  { "a __len that answers 3, then 10^15 (table.insert reads it once)",
    "local n = 0\nlocal t = setmetatable({}, { __len = function() n = n + 1; return n == 1 and 3 or 1e15 end })\n"
    "table.insert(t, 1, \"x\")\nerror(\"__len read \" .. n .. \" time(s), t[4] = \" .. tostring(t[4]))\n",
    "$D/h.lua:4: __len read 1 time(s), t[4] = nil" },
  { "table.concat of 10^15 values made by a metamethod that is itself table.concat",
    "local t = setmetatable({}, { __index = table.concat })\nlocal s = table.concat(t, \"\", 1, 1e15)\n",
    "$D/h.lua:2: table.concat: joining 1000000000000000 values" C_LOOP },
  { "table.concat nested through __index = table.concat (each call within bounds, together not)",
    "local t = setmetatable({}, { __index = table.concat, __len = function() return 1e6 end })\nlocal s = table.concat(t)\n",
    "$D/h.lua:2: " LIMIT },
  { "table.move through C metamethods, 2 million at a time, retried behind pcall",
    "local t = setmetatable({}, { __index = rawequal, __newindex = rawequal })\n"
    "while true do pcall(table.move, t, 1, 1.9e6, 2) end\n",
    "$D/h.lua:2: " LIMIT },
  { "table.sort of a list whose __len is 10^9",
    "local t = setmetatable({}, { __len = function() return 1e9 end })\ntable.sort(t)\n",
    "$D/h.lua:2: table.sort: the list has a __len metamethod (the sandbox sorts only plain lengths; --unsafe lifts this)" },
  { "table.sort with a C comparator", "local t = {}\nfor i = 1, 1e6 do t[i] = i % 7 end\ntable.sort(t, rawequal)\n",
    "$D/h.lua:3: table.sort: sorting 1000000 values" C_LOOP },
  { "string.gsub calling a C function for each of 3 million matches",
    "local s = (\"x\"):rep(3e6)\nlocal r = s:gsub(\".\", tostring)\n",
    "$D/h.lua:2: string.gsub: calling the replacement for up to 3000001 matches" C_LOOP },
  { "table.unpack of 10^8 values", "local a = table.unpack({}, 1, 1e8)\n",
    "$D/h.lua:1: too many results to unpack" },
};

static double wall_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

TEST(library_loops_in_c_end_within_their_limits) {
  for (size_t i = 0; i < COUNT(c_loops); i++) {
    double t0 = wall_now();
    expect_error(c_loops[i].what, put("h.lua", c_loops[i].lua), NULL, c_loops[i].want);
    double took = wall_now() - t0;
    CHECK_MSG(took < 20, "%s: took %.1f s", c_loops[i].what, took);
  }
}

/* What the new guards leave alone: insert, remove, move, concat, unpack, sort and gsub as scenarios
** use them, on tables with metamethods too. */
TEST(library_guards_keep_lua_semantics) {
  fl_model_t *m = expect_ok("ordinary table work", put("h.lua", SCN
    "local t = {}\nfor i = 1, 100000 do table.insert(t, i) end\ntable.insert(t, 1, 0)\nassert(#t == 100001 and t[1] == 0 and t[2] == 1)\n"
    "assert(table.remove(t, 1) == 0 and table.remove(t) == 100000 and #t == 99999)\n"
    "assert(table.remove({}) == nil and select('#', table.remove({})) == 1)\n"
    "assert(not pcall(table.insert, t, 0, 1) and not pcall(table.insert, t, 1, 2, 3) and not pcall(table.insert, nil, 1))\n"
    "local ok, e = pcall(table.insert, t, 1e6, 1)\nassert(e:find(\"position out of bounds\"))\n"
    "local log = {}\nlocal proxy = setmetatable({}, { __index = function(_, k) return \"v\" .. k end, __len = function() return 3 end,\n"
    "  __newindex = function(_, k, v) log[#log + 1] = k .. \"=\" .. tostring(v) end })\n"
    "table.insert(proxy, 1, \"x\")\nassert(table.concat(log, \",\") == \"4=v3,3=v2,2=v1,1=x\")\n"
    "assert(table.concat(proxy, \"-\") == \"v1-v2-v3\" and select(3, table.unpack(proxy)) == \"v3\")\n"
    "assert(table.concat({ 1, 2, 3 }, \", \", 2) == \"2, 3\" and table.concat({}) == \"\")\n"
    "local moved = table.move({ 1, 2, 3 }, 1, 3, 2)\nassert(moved[1] == 1 and moved[4] == 3)\n"
    "assert(string.rep(\"ab\", 3, \",\") == \"ab,ab,ab\" and string.rep(\"\", 5) == \"\" and string.rep(\"x\", 0) == \"\")\n"
    "local words = {}\nfor i = 1, 50000 do words[i] = (i * 7919) % 50000 end\ntable.sort(words, function(a, b) return a > b end)\n"
    "assert(words[1] == 49999)\n"
    "assert((\"a,b,c\"):gsub(\"%a\", string.upper) == \"A,B,C\" and (\"a b\"):gsub(\"%a\", { a = \"1\" }) == \"1 b\")\n"
    A TRAFFIC_A), NULL);
  fl_model_free(m);
}

/* ---- hooks: records against the memory cap, the log's bound, interrupts ---- */

/* Loads and runs 'lua' (a hook file); returns the finished sim in *s (to release) and the model. */
static fl_model_t *run_hooked(const char *lua, fl_sim_t *s) {
  fl_model_t *m = expect_ok("hook", put("hook.lua", lua), NULL);
  if (!m) return NULL;
  CHECK_EQ_INT(fl_sim_init(s, m), 0);
  fl_sim_run(s);
  return m;
}

TEST(a_hook_logging_in_a_loop_keeps_ten_thousand_lines) {
  fl_sim_t s;
  double t0 = wall_now();
  fl_model_t *m = run_hooked(SCN A TRAFFIC_A
    "local big = (\"x\"):rep(1000000)\nevery(\"1s\", function(sim)\n  for i = 1, 100000 do sim:log(big) end\nend)\n", &s);
  if (!m) return;
  CHECK_EQ_STR(s.error, "");
  CHECK(s.complete);
  CHECK_EQ_INT(s.nlogs, 10001);
  CHECK_EQ_INT(strlen(s.logs[0].msg), 4096 + strlen("... (995904 more bytes)"));
  CHECK(strstr(s.logs[0].msg, "xxx... (995904 more bytes)") != NULL);
  CHECK_EQ_STR(s.logs[10000].msg, "(890000 more lines dropped: sim:log keeps 10000 lines per run)");
  CHECK(s.hook_bytes < 50u << 20);
  CHECK_MSG(wall_now() - t0 < 20, "took %.1f s", wall_now() - t0);
  fl_sim_release(&s);
  fl_model_free(m);
}

TEST(a_hook_scaling_in_a_loop_stops_at_the_memory_cap) {
  fl_sim_t s;
  double t0 = wall_now();
  fl_model_t *m = run_hooked(SCN "service \"a\" { work = \"1ms\", instances = 2 }\n" TRAFFIC_A
    "at(\"1s\", function(sim)\n  for i = 1, 1e8 do sim:scale(\"a\", 1 + i % 2) end\nend)\n", &s);
  if (!m) return;
  char want[512];
  expand("$D/hook.lua:5: sim:scale: the scenario used more than 256 MiB of memory, counting the records its hooks made "
         "(a hook logging or scaling in a loop?) (in the hook of $D/hook.lua:4)", want, sizeof want);
  CHECK_EQ_STR(s.error, want);
  CHECK(!s.complete);
  CHECK(s.hook_bytes <= 256u << 20);
  CHECK_MSG(wall_now() - t0 < 20, "took %.1f s", wall_now() - t0);
  fl_sim_release(&s);
  fl_model_free(m);
}

static fl_sim_t *interrupted_sim;
static void on_alarm(int sig) { (void)sig; if (interrupted_sim) interrupted_sim->stop = 1; }

/* The first SIGINT of `faultline run` sets the run's stop flag: a hook that is running (here one
** whose every instruction copies 30 MB, within its limits for 10 s) ends at once with its
** file:line, which `faultline run` reports with exit status 2. */
TEST(an_interrupt_ends_a_running_hook_at_once) {
  fl_model_t *m = expect_ok("hook", put("hook.lua", SCN A TRAFFIC_A
    "every(\"1s\", function(sim)\n  local s = (\"x\"):rep(30000000)\n  while true do local u = s .. \"x\" end\nend)\n"), NULL);
  if (!m) return;
  fl_sim_t s;
  CHECK_EQ_INT(fl_sim_init(&s, m), 0);
  interrupted_sim = &s;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_alarm;
  sigaction(SIGALRM, &sa, NULL);
  struct itimerval it = { { 0, 0 }, { 0, 500000 } };   /* in half a second */
  setitimer(ITIMER_REAL, &it, NULL);
  double t0 = wall_now();
  fl_sim_run(&s);
  double took = wall_now() - t0;
  interrupted_sim = NULL;
  char want[512];
  expand("$D/hook.lua:6: the run was interrupted while this hook ran (in the hook of $D/hook.lua:4)", want, sizeof want);
  CHECK_EQ_STR(s.error, want);
  /* the message proves the interrupt ended it, not the 10 s CPU limit; the wall bound only
  ** guards against a hang, with room for a loaded machine running the sanitized build */
  CHECK_MSG(took < 9, "took %.1f s", took);
  fl_sim_release(&s);
  fl_model_free(m);
}

/* ---- trace timestamps ---- */

TEST(trace_timestamps_past_the_clock_are_refused) {
  put("big.csv", "0.5\n1\n1e10\n");
  put("bigrate.csv", "time,rate\n0,10\n2000000000s,20\n");
  expect_error("a timestamp of 1e10 s", put("h.lua", SCN "traffic { rate = trace \"big.csv\", mix = { a = 1 } }\n" A), NULL,
               "$D/big.csv:3: time '1e10' is more than 1000000000s (about 31 years)");
  expect_error("a rate row at 2e9 s", put("h.lua", SCN "traffic { rate = trace \"bigrate.csv\", mix = { a = 1 } }\n" A), NULL,
               "$D/bigrate.csv:3: time '2000000000s' is more than 1000000000s (about 31 years)");
}
