/* The scenario language: a sandboxed Lua state whose constructors (scenario, service, call,
** parallel, the distributions, traffic and its profiles, include) build a model, followed by
** --set overrides and resolution (names, cycles, the mix). Every error reads "file:line: ...". */
#include "faultline/scenario.h"
#include "faultline/sim.h"
#include "faultline/units.h"
#include "sandbox.h"

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define MAX_INSTRUCTIONS 200000000LL   /* a scenario that runs longer is taken for an endless loop */
#define MAX_LUA_SECONDS 10.0           /* the same in wall time, for instructions that each take long */
#define HOOK_EVERY 100                 /* instructions between two calls of the count hook */
#define MAX_LUA_MEMORY (256u << 20)
#define MAX_INCLUDE_DEPTH 16
#define MAX_SECONDS 1e9                /* any duration: about 31 years; in nanoseconds, twice fits int64 */
#define MAX_RATE 1e9                   /* any rate, per second: beyond it a run would never end */
#define MAX_INCLUDES 10000           /* files included in all: more is an include inside a loop */
#define MAX_ENTRIES 10000            /* services, a service's endpoints, faults, expectations, hooks: each found by a linear search */
#define MAX_RUN_STATS (4.0 * (1 << 30))   /* bytes of histograms and series a run may keep */
#define DEFAULT_QUEUE 100
#define DEFAULT_HEALTH_CHECK 5.0   /* seconds: a balancer's active health check interval */

/* ---- the model's arena ---- */

typedef struct blk { struct blk *next; size_t used, cap, total; max_align_t data[]; } blk_t;   /* total: of this block and those before */

static void *aalloc(fl_model_t *m, size_t n) {
  n = (n + sizeof(max_align_t) - 1) / sizeof(max_align_t) * sizeof(max_align_t);
  blk_t *b = m->arena;
  if (!b || b->cap - b->used < n) {
    size_t cap = n > 65536 ? n : 65536;
    blk_t *nb = fl_xmalloc(sizeof *nb + cap);
    nb->used = 0; nb->cap = cap; nb->next = b;
    nb->total = cap + (b ? b->total : 0);
    m->arena = b = nb;
  }
  void *p = (char *)b->data + b->used;
  b->used += n;
  memset(p, 0, n);
  return p;
}

static char *astrdup(fl_model_t *m, const char *s) {
  size_t n = strlen(s) + 1;
  return memcpy(aalloc(m, n), s, n);
}

static void lua_release(void *lua);

void fl_model_free(fl_model_t *m) {
  if (!m) return;
  if (m->lua) lua_release(m->lua);   /* first: its finalizers run while the model is whole */
  m->lua = NULL;
  blk_t *b = m->arena;
  while (b) { blk_t *next = b->next; free(b); b = next; }
  free(m->services);
  free(m->journeys);
  free(m->faults);
  free(m->expects);
  free(m->hooks);
  free(m);
}

/* ---- loader state ---- */

typedef struct loader {
  fl_model_t *m;
  const fl_load_opts_t *opts;
  char dir[PATH_MAX];       /* the scenario's folder: includes resolve against it */
  int svc_cap, jrn_cap, fault_cap, expect_cap, hook_cap;
  bool seen_scenario;
  bool sealed;               /* the script has run: constructors refuse (hooks, finalizers) */
  int depth, includes;
  long long instructions;
  double t_start, t_last;    /* wall clock at the count hook's first and last call (0: not yet) */
  size_t mem, mem_peak;
  bool mem_exceeded;
  lua_State *L;
  bool line_hook;            /* past half the memory cap, the hook also runs on each new line */
  char hook_src[LUA_IDSIZE]; /* where the hook last found the script: a memory error */
  int hook_line;             /* has no position of its own */
} loader_t;

static void lua_release(void *lua) {
  loader_t *ld = lua;
  lua_close(ld->L);
  free(ld);
}

static int l_service_body(lua_State *L);
static int l_fault(lua_State *L);
static int l_expect_body(lua_State *L);
static int l_at(lua_State *L);
static int l_every(lua_State *L);

/* The loader, for a constructor: refused once the script has run (from a hook or a finalizer the
** model would change under the simulation). */
static loader_t *getloader(lua_State *L) {
  loader_t *ld = lua_touserdata(L, lua_upvalueindex(1));
  if (ld->sealed)
    luaL_error(L, "the scenario's constructors (service, call, fault, include, ...) cannot run once it is loaded; a hook acts through its sim argument");
  return ld;
}

/* The loader, for a constructor that fills an entry of a growing array of the model while it
** reads its fields: refused when another such constructor is below on the call stack, reached from
** a metamethod (__index, ...) that it triggered; this one would move the array under it. The call
** stack tells, so that an error caught by pcall leaves no state behind. */
static loader_t *getloader_alone(lua_State *L) {
  loader_t *ld = getloader(L);
  lua_Debug ar;
  for (int level = 1; lua_getstack(L, level, &ar); level++) {
    lua_getinfo(L, "f", &ar);
    lua_CFunction f = lua_tocfunction(L, -1);
    lua_pop(L, 1);
    if (f == l_service_body || f == l_fault || f == l_expect_body || f == l_at || f == l_every)
      luaL_error(L, "a constructor cannot run while another one reads its fields (from a metamethod such as __index or __gc)");
  }
  return ld;
}

/* File and line of the Lua code that called the running C function. */
static void where(lua_State *L, fl_model_t *m, const char **file, int *line) {
  lua_Debug ar;
  *file = m->file; *line = 0;
  for (int level = 1; lua_getstack(L, level, &ar); level++) {
    lua_getinfo(L, "Sl", &ar);
    if (ar.currentline > 0) { *file = astrdup(m, ar.short_src); *line = ar.currentline; return; }
  }
}

/* ---- value readers: each raises "file:line: <ctx>: <field>: ..." on a bad value ---- */

static double read_duration(lua_State *L, int idx, const char *ctx, const char *field) {
  if (lua_type(L, idx) == LUA_TNUMBER) {
    double v = lua_tonumber(L, idx);
    if (!(v >= 0) || isinf(v)) luaL_error(L, "%s: %s must be a non-negative duration, got %f", ctx, field, v);
    if (v > MAX_SECONDS) luaL_error(L, "%s: %s must be at most 1000000000s (about 31 years), got %f", ctx, field, v);
    return v;
  }
  if (lua_type(L, idx) == LUA_TSTRING) {
    double v;
    const char *t = lua_tostring(L, idx);
    if (fl_parse_duration(t, &v) != 0)
      luaL_error(L, "%s: %s: cannot read '%s' as a duration (expected e.g. \"250us\", \"12ms\", \"1.5s\", \"10m\", \"2h\")", ctx, field, t);
    if (v > MAX_SECONDS) luaL_error(L, "%s: %s: '%s' is more than 1000000000s (about 31 years)", ctx, field, t);
    return v;
  }
  return luaL_error(L, "%s: %s must be a duration (a number of seconds or a string such as \"12ms\"), got %s",
                    ctx, field, luaL_typename(L, idx)), 0;
}

static double read_rate(lua_State *L, int idx, const char *ctx, const char *field) {
  if (lua_type(L, idx) == LUA_TNUMBER) {
    double v = lua_tonumber(L, idx);
    if (!(v >= 0) || isinf(v)) luaL_error(L, "%s: %s must be a non-negative rate, got %f", ctx, field, v);
    if (v > MAX_RATE) luaL_error(L, "%s: %s must be at most 1000000000 per second, got %f", ctx, field, v);
    return v;
  }
  if (lua_type(L, idx) == LUA_TSTRING) {
    double v;
    const char *t = lua_tostring(L, idx);
    if (fl_parse_rate(t, &v) != 0)
      luaL_error(L, "%s: %s: cannot read '%s' as a rate (expected e.g. \"2000/s\", \"90000/m\" or a number per second)", ctx, field, t);
    if (v > MAX_RATE) luaL_error(L, "%s: %s: '%s' is more than 1000000000 per second", ctx, field, t);
    return v;
  }
  return luaL_error(L, "%s: %s must be a rate (a number per second or a string such as \"2000/s\"), got %s",
                    ctx, field, luaL_typename(L, idx)), 0;
}

static double read_fraction(lua_State *L, int idx, const char *ctx, const char *field) {
  if (lua_type(L, idx) == LUA_TNUMBER) {
    double v = lua_tonumber(L, idx);
    if (!(v >= 0 && v <= 1)) luaL_error(L, "%s: %s must be between 0 and 1, got %f", ctx, field, v);
    return v;
  }
  if (lua_type(L, idx) == LUA_TSTRING) {
    double v;
    const char *t = lua_tostring(L, idx);
    if (fl_parse_fraction(t, &v) != 0)
      luaL_error(L, "%s: %s: cannot read '%s' as a share (expected e.g. \"2.5%%\" or 0.025)", ctx, field, t);
    return v;
  }
  return luaL_error(L, "%s: %s must be a share (0 to 1, or a string such as \"2.5%%\"), got %s",
                    ctx, field, luaL_typename(L, idx)), 0;
}

static long long read_count(lua_State *L, int idx, const char *ctx, const char *field, long long min, long long max) {
  if (lua_type(L, idx) != LUA_TNUMBER)
    luaL_error(L, "%s: %s must be a whole number, got %s", ctx, field, luaL_typename(L, idx));
  double v = lua_tonumber(L, idx);
  if (v != floor(v) || isnan(v)) luaL_error(L, "%s: %s must be a whole number, got %f", ctx, field, v);
  if (v < (double)min || v > (double)max) {
    /* lua_pushfstring knows neither %lld nor precisions: format here */
    char msg[320];
    snprintf(msg, sizeof msg, "%s: %s must be between %lld and %lld, got %.15g", ctx, field, min, max, v);
    luaL_error(L, "%s", msg);
  }
  return (long long)v;
}

static bool read_bool(lua_State *L, int idx, const char *ctx, const char *field) {
  if (lua_type(L, idx) != LUA_TBOOLEAN)
    luaL_error(L, "%s: %s must be true or false, got %s", ctx, field, luaL_typename(L, idx));
  return lua_toboolean(L, idx);
}

/* Raises an error naming the first key of table 'idx' that is not in 'allowed' (NULL-ended). */
static void check_fields(lua_State *L, int idx, const char *ctx, const char *const *allowed) {
  idx = lua_absindex(L, idx);
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    lua_pop(L, 1);
    if (lua_type(L, -1) != LUA_TSTRING) {
      luaL_error(L, "%s: unexpected list entry (expected named fields)", ctx);
    }
    const char *k = lua_tostring(L, -1);
    bool ok = false;
    for (int i = 0; allowed[i]; i++) if (strcmp(k, allowed[i]) == 0) { ok = true; break; }
    if (!ok) {
      luaL_Buffer b;
      luaL_buffinit(L, &b);
      for (int i = 0; allowed[i]; i++) { if (i) luaL_addstring(&b, ", "); luaL_addstring(&b, allowed[i]); }
      luaL_pushresult(&b);
      luaL_error(L, "%s: unknown field '%s' (expected one of: %s)", ctx, k, lua_tostring(L, -1));
    }
  }
}

/* Pushes t[field]; returns false (and pushes nothing) when it is nil. */
static bool field(lua_State *L, int t, const char *name) {
  if (lua_getfield(L, t, name) == LUA_TNIL) { lua_pop(L, 1); return false; }
  return true;
}

static const char *opt_string(lua_State *L, int t, const char *name, const char *ctx) {
  if (!field(L, t, name)) return NULL;
  if (lua_type(L, -1) != LUA_TSTRING) luaL_error(L, "%s: %s must be a string", ctx, name);
  const char *v = lua_tostring(L, -1);
  lua_pop(L, 1);   /* the string stays alive in the table */
  return v;
}

/* ---- distributions ---- */

static fl_dist_t *push_dist(lua_State *L) {
  fl_dist_t *d = lua_newuserdatauv(L, sizeof *d, 0);
  memset(d, 0, sizeof *d);
  luaL_setmetatable(L, "fl.dist");
  return d;
}

/* 'why' is read through a pointer: as a plain argument it could be read before the
** constructor call beside it (argument order is unspecified) had set it. */
static void dist_check(lua_State *L, int rc, const char *name, const char *const *why) {
  if (rc != 0) luaL_error(L, "%s: %s", name, *why ? *why : "invalid parameters");
}

static int l_const(lua_State *L) {
  double v = read_duration(L, 1, "const", "value");
  const char *why = NULL;
  fl_dist_t *d = push_dist(L);
  dist_check(L, fl_dist_const(d, v, &why), "const", &why);
  return 1;
}

static int l_exp(lua_State *L) {
  double v = read_duration(L, 1, "exp", "mean");
  const char *why = NULL;
  fl_dist_t *d = push_dist(L);
  dist_check(L, fl_dist_exp(d, v, &why), "exp", &why);
  return 1;
}

static int l_lognormal(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  static const char *const f[] = { "median", "p99", "mean", "cv", NULL };
  check_fields(L, 1, "lognormal", f);
  const char *why = NULL;
  bool has_med = field(L, 1, "median"); double med = has_med ? read_duration(L, -1, "lognormal", "median") : 0;
  bool has_p99 = field(L, 1, "p99"); double p99 = has_p99 ? read_duration(L, -1, "lognormal", "p99") : 0;
  bool has_mean = field(L, 1, "mean"); double mean = has_mean ? read_duration(L, -1, "lognormal", "mean") : 0;
  bool has_cv = field(L, 1, "cv");
  double cv = 0;
  if (has_cv) { if (!lua_isnumber(L, -1)) luaL_error(L, "lognormal: cv must be a number"); cv = lua_tonumber(L, -1); }
  fl_dist_t *d = push_dist(L);
  if (has_med && has_p99 && !has_mean && !has_cv) dist_check(L, fl_dist_lognormal_median_p99(d, med, p99, &why), "lognormal", &why);
  else if (has_mean && has_cv && !has_med && !has_p99) dist_check(L, fl_dist_lognormal_mean_cv(d, mean, cv, &why), "lognormal", &why);
  else luaL_error(L, "lognormal: expected { median = ..., p99 = ... } or { mean = ..., cv = ... }");
  return 1;
}

static int l_gamma(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  static const char *const f[] = { "mean", "cv", NULL };
  check_fields(L, 1, "gamma", f);
  if (!field(L, 1, "mean")) luaL_error(L, "gamma: expected { mean = ..., cv = ... }");
  double mean = read_duration(L, -1, "gamma", "mean");
  if (!field(L, 1, "cv") || !lua_isnumber(L, -1)) luaL_error(L, "gamma: cv must be a number (expected { mean = ..., cv = ... })");
  double cv = lua_tonumber(L, -1);
  const char *why = NULL;
  fl_dist_t *d = push_dist(L);
  dist_check(L, fl_dist_gamma_mean_cv(d, mean, cv, &why), "gamma", &why);
  return 1;
}

static int l_uniform(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  if (lua_rawlen(L, 1) != 2) luaL_error(L, "uniform: expected { low, high }, e.g. uniform { \"1ms\", \"5ms\" }");
  lua_rawgeti(L, 1, 1); double lo = read_duration(L, -1, "uniform", "low");
  lua_rawgeti(L, 1, 2); double hi = read_duration(L, -1, "uniform", "high");
  const char *why = NULL;
  fl_dist_t *d = push_dist(L);
  dist_check(L, fl_dist_uniform(d, lo, hi, &why), "uniform", &why);
  return 1;
}

static int l_percentiles(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  double p[FL_DIST_MAX_POINTS], v[FL_DIST_MAX_POINTS];
  int n = 0;
  lua_pushnil(L);
  while (lua_next(L, 1)) {
    const char *k = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : NULL;
    char *end = NULL;
    double q = k && k[0] == 'p' ? strtod(k + 1, &end) : -1;
    if (!k || !end || *end || !(q > 0 && q < 100))
      luaL_error(L, "percentiles: keys must look like p50, p90, p99 or [\"p99.9\"]");
    if (n == FL_DIST_MAX_POINTS) luaL_error(L, "percentiles: at most %d points", FL_DIST_MAX_POINTS);
    int i = n++;
    double val = read_duration(L, -1, "percentiles", k);
    while (i > 0 && p[i - 1] > q / 100) { p[i] = p[i - 1]; v[i] = v[i - 1]; i--; }  /* keys arrive unordered */
    p[i] = q / 100; v[i] = val;
    lua_pop(L, 1);
  }
  if (n == 0) luaL_error(L, "percentiles: expected e.g. { p50 = \"12ms\", p99 = \"180ms\" }");
  const char *why = NULL;
  fl_dist_t *d = push_dist(L);
  dist_check(L, fl_dist_percentiles(d, n, p, v, &why), "percentiles", &why);
  return 1;
}

static const fl_dist_t *read_dist(lua_State *L, int idx, const char *ctx, const char *fieldname) {
  const fl_dist_t *d = luaL_testudata(L, idx, "fl.dist");
  if (!d) {
    if (lua_type(L, idx) == LUA_TNUMBER || lua_type(L, idx) == LUA_TSTRING) {
      /* a bare duration is a constant: work = "5ms" */
      double v = read_duration(L, idx, ctx, fieldname);
      fl_dist_t *c = push_dist(L);
      const char *why = NULL;
      dist_check(L, fl_dist_const(c, v, &why), ctx, &why);
      lua_replace(L, idx);
      return c;
    }
    luaL_error(L, "%s: %s must be a distribution such as exp \"3ms\" or lognormal { median = \"2ms\", p99 = \"20ms\" }, got %s",
               ctx, fieldname, luaL_typename(L, idx));
  }
  return d;
}

/* ---- calls ---- */

typedef struct { fl_call_t c; } lcall_t;
typedef struct { int n; fl_call_t calls[]; } lpar_t;

static int l_call(lua_State *L) {
  loader_t *ld = getloader(L);
  const char *target = luaL_checkstring(L, 1);
  lcall_t *u = lua_newuserdatauv(L, sizeof *u, 0);
  memset(u, 0, sizeof *u);
  u->c.target_name = astrdup(ld->m, target);
  u->c.p = 1;
  u->c.backoff_mult = 2;
  u->c.jitter = FL_JITTER_NONE;
  u->c.retry_on = (1u << FL_CAUSE_TIMEOUT) | (1u << FL_CAUSE_UNAVAILABLE) | (1u << FL_CAUSE_REJECTED) | (1u << FL_CAUSE_ERROR);
  where(L, ld->m, &u->c.file, &u->c.line);
  luaL_setmetatable(L, "fl.call");
  return 1;
}

/* call "x" { options }: sets the options and returns the same call. */
/* ---- resilience policies ---- */

/* Pushes the policy table for 'kind' ("breaker", "retry", "outlier") from the value at 'idx':
** a plain table, or a named profile (profile.envoy) holding one per kind, with its overrides
** (profile.envoy { retries = 5 }) applied on top. Raises an error when there is none. */
static int push_policy(lua_State *L, int idx, const char *kind, const char *ctx) {
  idx = lua_absindex(L, idx);
  if (!lua_istable(L, idx)) luaL_error(L, "%s: %s must be a table or a profile such as profile.envoy", ctx, kind);
  if (lua_getfield(L, idx, "__profile") == LUA_TNIL) { lua_pop(L, 1); lua_pushvalue(L, idx); return lua_gettop(L); }
  const char *pname = lua_tostring(L, -1);
  lua_pop(L, 1);
  lua_newtable(L);
  int out = lua_gettop(L);
  if (lua_getfield(L, idx, kind) != LUA_TTABLE) luaL_error(L, "%s: profile.%s has no %s settings", ctx, pname ? pname : "?", kind);
  lua_pushnil(L);
  while (lua_next(L, -2)) { lua_pushvalue(L, -2); lua_insert(L, -2); lua_settable(L, out); }
  lua_pop(L, 1);
  if (lua_getfield(L, idx, "__over") == LUA_TTABLE) {
    /* overrides replace fields; a table (backoff = { base = ... }) merges into the profile's */
    lua_pushnil(L);
    while (lua_next(L, -2)) {
      if (lua_istable(L, -1)) {
        lua_pushvalue(L, -2);
        if (lua_gettable(L, out) == LUA_TTABLE) {
          int base = lua_gettop(L), over = base - 1;
          lua_newtable(L);
          int merged = lua_gettop(L);
          for (int src = base; src >= over; src -= 1) {
            lua_pushnil(L);
            while (lua_next(L, src)) { lua_pushvalue(L, -2); lua_insert(L, -2); lua_settable(L, merged); }
            if (src == over) break;
          }
          lua_pushvalue(L, -4);         /* the key */
          lua_insert(L, -2);
          lua_settable(L, out);
          lua_pop(L, 2);                /* the profile's table and the override */
          continue;
        }
        lua_pop(L, 1);
      }
      lua_pushvalue(L, -2); lua_insert(L, -2); lua_settable(L, out);
    }
  }
  lua_pop(L, 1);
  return out;
}

static unsigned read_causes(lua_State *L, int idx, const char *ctx) {
  if (!lua_istable(L, idx)) luaL_error(L, "%s: retry_on must be a list such as { \"timeout\", \"unavailable\" }", ctx);
  unsigned mask = 0;
  int n = (int)lua_rawlen(L, idx);
  for (int i = 1; i <= n; i++) {
    lua_rawgeti(L, idx, i);
    const char *c = lua_tostring(L, -1);
    int k = 0;
    for (int x = 1; x < FL_CAUSE__COUNT && c; x++) if (strcmp(c, fl_cause_name((fl_cause_t)x)) == 0) k = x;
    if (k == 0 || k == FL_CAUSE_BREAKER_OPEN || k == FL_CAUSE_DEADLINE)
      luaL_error(L, "%s: retry_on: '%s' cannot be retried (expected timeout, unavailable, rejected, error)", ctx, c ? c : "?");
    mask |= 1u << k;
    lua_pop(L, 1);
  }
  return mask;
}

static void read_backoff(lua_State *L, int t, fl_call_t *c, const char *ctx) {
  static const char *const f[] = { "base", "multiplier", "max", "jitter", NULL };
  check_fields(L, t, ctx, f);
  if (field(L, t, "base")) { c->backoff_base = fl_sec_to_time(read_duration(L, -1, ctx, "backoff.base")); lua_pop(L, 1); }
  if (field(L, t, "multiplier")) {
    if (!lua_isnumber(L, -1) || lua_tonumber(L, -1) < 1) luaL_error(L, "%s: backoff.multiplier must be a number of at least 1", ctx);
    c->backoff_mult = lua_tonumber(L, -1); lua_pop(L, 1);
  }
  if (field(L, t, "max")) { c->backoff_max = fl_sec_to_time(read_duration(L, -1, ctx, "backoff.max")); lua_pop(L, 1); }
  if (field(L, t, "jitter")) {
    const char *j = lua_tostring(L, -1);
    if (j && strcmp(j, "none") == 0) c->jitter = FL_JITTER_NONE;
    else if (j && strcmp(j, "full") == 0) c->jitter = FL_JITTER_FULL;
    else if (j && strcmp(j, "equal") == 0) c->jitter = FL_JITTER_EQUAL;
    else luaL_error(L, "%s: backoff.jitter must be \"none\", \"full\" or \"equal\"", ctx);
    lua_pop(L, 1);
  }
}

static void read_budget(lua_State *L, int t, fl_call_t *c, const char *ctx) {
  if (!lua_istable(L, t)) luaL_error(L, "%s: retry_budget must be a table { ratio = 0.2, min_per_s = 10 }", ctx);
  static const char *const f[] = { "ratio", "min_per_s", NULL };
  check_fields(L, t, ctx, f);
  c->budget_ratio = 0.2; c->budget_min = 10;
  if (field(L, t, "ratio")) { c->budget_ratio = read_fraction(L, -1, ctx, "retry_budget.ratio"); lua_pop(L, 1); }
  if (field(L, t, "min_per_s")) { c->budget_min = read_rate(L, -1, ctx, "retry_budget.min_per_s"); lua_pop(L, 1); }
  if (c->budget_ratio <= 0 && c->budget_min <= 0) luaL_error(L, "%s: retry_budget allows no retry at all", ctx);
  if (c->budget_ratio <= 0) c->budget_ratio = 1e-12;
}

/* retries, backoff, retry_on, retry_budget: at the call's top level or inside retry = { ... }. */
static void read_retry_fields(lua_State *L, int t, fl_call_t *c, const char *ctx) {
  if (field(L, t, "retries")) { c->retries = (int)read_count(L, -1, ctx, "retries", 0, 100); lua_pop(L, 1); }
  if (field(L, t, "attempts")) { c->retries = (int)read_count(L, -1, ctx, "attempts", 1, 101) - 1; lua_pop(L, 1); }
  if (field(L, t, "wait")) {
    c->backoff_base = c->backoff_max = fl_sec_to_time(read_duration(L, -1, ctx, "wait"));
    c->backoff_mult = 1; lua_pop(L, 1);
  }
  if (field(L, t, "backoff")) {
    if (!lua_istable(L, -1)) luaL_error(L, "%s: backoff must be a table { base = \"50ms\", max = \"1s\", jitter = \"full\" }", ctx);
    read_backoff(L, lua_gettop(L), c, ctx); lua_pop(L, 1);
  }
  if (field(L, t, "retry_on")) { c->retry_on = read_causes(L, lua_gettop(L), ctx); lua_pop(L, 1); }
  if (field(L, t, "retry_budget")) { read_budget(L, lua_gettop(L), c, ctx); lua_pop(L, 1); }
  if (field(L, t, "budget")) { read_budget(L, lua_gettop(L), c, ctx); lua_pop(L, 1); }
}

static void read_breaker(lua_State *L, int t, fl_breaker_cfg_t *b, const char *ctx) {
  static const char *const f[] = { "failure_rate", "slow_call_rate", "slow_call", "window", "min_calls", "open_for",
                                   "half_open_calls", NULL };
  check_fields(L, t, ctx, f);
  /* Resilience4j's defaults (CircuitBreakerConfig): failureRateThreshold 50%, slidingWindowSize 100,
  ** minimumNumberOfCalls 100, waitDurationInOpenState 60 s, permittedNumberOfCallsInHalfOpenState 10,
  ** slowCallRateThreshold 100%, slowCallDurationThreshold 60 s. */
  b->on = true;
  b->failure_rate = 0.5; b->slow_call_rate = 1.0; b->slow_call = 60 * FL_SEC;
  b->window = 100; b->min_calls = 100; b->open_for = 60 * FL_SEC; b->half_open_calls = 10;
  if (field(L, t, "failure_rate")) { b->failure_rate = read_fraction(L, -1, ctx, "breaker.failure_rate"); lua_pop(L, 1); }
  if (field(L, t, "slow_call_rate")) { b->slow_call_rate = read_fraction(L, -1, ctx, "breaker.slow_call_rate"); lua_pop(L, 1); }
  if (field(L, t, "slow_call")) { b->slow_call = fl_sec_to_time(read_duration(L, -1, ctx, "breaker.slow_call")); lua_pop(L, 1); }
  if (field(L, t, "window")) { b->window = (int)read_count(L, -1, ctx, "breaker.window", 1, 100000); lua_pop(L, 1); }
  bool has_min = field(L, t, "min_calls");
  if (has_min) { b->min_calls = (int)read_count(L, -1, ctx, "breaker.min_calls", 1, 100000); lua_pop(L, 1); }
  if (field(L, t, "open_for")) { b->open_for = fl_sec_to_time(read_duration(L, -1, ctx, "breaker.open_for")); lua_pop(L, 1); }
  if (field(L, t, "half_open_calls")) { b->half_open_calls = (int)read_count(L, -1, ctx, "breaker.half_open_calls", 1, 100000); lua_pop(L, 1); }
  if (b->min_calls > b->window) b->min_calls = b->window;   /* as Resilience4j: at most the window */
  if (b->open_for <= 0) luaL_error(L, "%s: breaker.open_for must be positive", ctx);
}

static int l_call_options(lua_State *L) {
  lcall_t *u = luaL_checkudata(L, 1, "fl.call");
  luaL_checktype(L, 2, LUA_TTABLE);
  char ctx[160];
  snprintf(ctx, sizeof ctx, "call \"%s\"", u->c.target_name);
  static const char *const f[] = { "timeout", "optional", "fallback", "p", "retries", "attempts", "wait", "backoff", "retry_on",
                                   "retry_budget", "retry", "breaker", "bulkhead", "deadline", "hedge", "cache", "async", NULL };
  check_fields(L, 2, ctx, f);
  if (field(L, 2, "retry")) {
    int t = push_policy(L, -1, "retry", ctx);
    static const char *const rf[] = { "retries", "attempts", "wait", "backoff", "retry_on", "retry_budget", "budget", NULL };
    check_fields(L, t, ctx, rf);
    read_retry_fields(L, t, &u->c, ctx);
    lua_pop(L, 2);
  }
  read_retry_fields(L, 2, &u->c, ctx);
  if (field(L, 2, "breaker")) {
    int t = push_policy(L, -1, "breaker", ctx);
    read_breaker(L, t, &u->c.breaker, ctx);
    lua_pop(L, 2);
  }
  if (field(L, 2, "bulkhead")) {
    if (lua_istable(L, -1)) {
      static const char *const bf[] = { "max_concurrent", NULL };
      check_fields(L, -1, ctx, bf);
      if (lua_getfield(L, -1, "max_concurrent") == LUA_TNIL) luaL_error(L, "%s: bulkhead needs max_concurrent", ctx);
      u->c.bulkhead = (int)read_count(L, -1, ctx, "bulkhead.max_concurrent", 1, 100000000);
      lua_pop(L, 1);
    } else u->c.bulkhead = (int)read_count(L, -1, ctx, "bulkhead", 1, 100000000);
    lua_pop(L, 1);
  }
  if (field(L, 2, "deadline")) { u->c.deadline = read_bool(L, -1, ctx, "deadline"); lua_pop(L, 1); }
  if (field(L, 2, "async")) {
    u->c.async = read_bool(L, -1, ctx, "async"); lua_pop(L, 1);
    if (u->c.async && (u->c.timeout || u->c.optional || u->c.retries || u->c.hedge.on))
      luaL_error(L, "%s: an async call does not wait, so timeout, optional, retries and hedge do not apply", ctx);
  }
  if (field(L, 2, "cache")) {
    if (!lua_istable(L, -1)) luaL_error(L, "%s: cache must be a table { hit = 0.9, warm_up = \"5m\" }", ctx);
    int t = lua_gettop(L);
    static const char *const cf[] = { "hit", "warm_up", NULL };
    check_fields(L, t, ctx, cf);
    if (!field(L, t, "hit")) luaL_error(L, "%s: cache needs hit = (the share of calls the cache answers)", ctx);
    u->c.cache_hit = read_fraction(L, -1, ctx, "cache.hit"); lua_pop(L, 1);
    u->c.cache_warmup = 300;
    if (field(L, t, "warm_up")) { u->c.cache_warmup = read_duration(L, -1, ctx, "cache.warm_up"); lua_pop(L, 1); }
    lua_pop(L, 1);
  }
  if (field(L, 2, "hedge")) {
    if (!lua_istable(L, -1)) luaL_error(L, "%s: hedge must be a table { after = \"40ms\" or \"p95\", max = 1 }", ctx);
    int t = lua_gettop(L);
    static const char *const hf[] = { "after", "max", NULL };
    check_fields(L, t, ctx, hf);
    u->c.hedge.on = true; u->c.hedge.max = 1;
    if (!field(L, t, "after")) luaL_error(L, "%s: hedge needs after = \"40ms\" or \"p95\"", ctx);
    const char *a = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
    if (a && a[0] == 'p' && a[1] >= '0' && a[1] <= '9') {
      char *end;
      double q = strtod(a + 1, &end);
      if (*end || !(q > 0 && q < 100)) luaL_error(L, "%s: hedge.after: '%s' is not a percentile such as p95", ctx, a);
      u->c.hedge.quantile = q / 100;
    } else {
      u->c.hedge.after = fl_sec_to_time(read_duration(L, -1, ctx, "hedge.after"));
      if (u->c.hedge.after <= 0) luaL_error(L, "%s: hedge.after must be positive", ctx);
    }
    lua_pop(L, 1);
    if (field(L, t, "max")) { u->c.hedge.max = (int)read_count(L, -1, ctx, "hedge.max", 1, 10); lua_pop(L, 1); }
    lua_pop(L, 1);
  }
  if (field(L, 2, "p")) { u->c.p = read_fraction(L, -1, ctx, "p"); lua_pop(L, 1); }
  if (field(L, 2, "timeout")) {
    double t = read_duration(L, -1, ctx, "timeout");
    if (t <= 0) luaL_error(L, "%s: timeout must be positive", ctx);
    u->c.timeout = fl_sec_to_time(t);
  }
  if (field(L, 2, "optional")) u->c.optional = read_bool(L, -1, ctx, "optional");
  if (field(L, 2, "fallback")) {
    u->c.fallback = fl_sec_to_time(read_duration(L, -1, ctx, "fallback"));
    if (!u->c.optional) luaL_error(L, "%s: fallback needs optional = true (a required call has no fallback)", ctx);
  }
  lua_settop(L, 1);
  return 1;
}

static int l_parallel(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  int n = (int)lua_rawlen(L, 1);
  if (n < 1) luaL_error(L, "parallel: expected a list of calls, e.g. parallel { call \"a\", call \"b\" }");
  lpar_t *p = lua_newuserdatauv(L, sizeof *p + sizeof(fl_call_t) * (size_t)n, 0);
  p->n = n;
  for (int i = 1; i <= n; i++) {
    lua_rawgeti(L, 1, i);
    lcall_t *c = luaL_testudata(L, -1, "fl.call");
    if (!c) luaL_error(L, "parallel: entry %d is not a call (nested parallel groups are not supported)", i);
    p->calls[i - 1] = c->c;
    lua_pop(L, 1);
  }
  luaL_setmetatable(L, "fl.parallel");
  return 1;
}

/* Reads a calls list at 'idx' into the endpoint's calls and steps. */
static void read_calls(lua_State *L, loader_t *ld, int idx, fl_endpoint_t *ep, const char *ctx) {
  idx = lua_absindex(L, idx);
  luaL_argexpected(L, lua_istable(L, idx), idx, "table of calls");
  int n = (int)lua_rawlen(L, idx), ncalls = 0;
  for (int i = 1; i <= n; i++) {
    lua_rawgeti(L, idx, i);
    if (luaL_testudata(L, -1, "fl.call")) ncalls++;
    else if (luaL_testudata(L, -1, "fl.parallel")) ncalls += ((lpar_t *)lua_touserdata(L, -1))->n;
    else luaL_error(L, "%s: calls entry %d must be call \"service.endpoint\" or parallel { ... }, got %s", ctx, i, luaL_typename(L, -1));
    lua_pop(L, 1);
  }
  if (ncalls > 65535) luaL_error(L, "%s: too many calls", ctx);
  ep->calls = aalloc(ld->m, sizeof *ep->calls * (size_t)(ncalls ? ncalls : 1));
  ep->steps = aalloc(ld->m, sizeof *ep->steps * (size_t)(n ? n : 1));
  ep->ncalls = 0; ep->nsteps = 0;
  for (int i = 1; i <= n; i++) {
    lua_rawgeti(L, idx, i);
    fl_step_t *st = &ep->steps[ep->nsteps++];
    st->first = ep->ncalls;
    lcall_t *c = luaL_testudata(L, -1, "fl.call");
    if (c) { ep->calls[ep->ncalls++] = c->c; st->count = 1; st->parallel = false; }
    else {
      lpar_t *p = lua_touserdata(L, -1);
      for (int k = 0; k < p->n; k++) ep->calls[ep->ncalls++] = p->calls[k];
      st->count = p->n; st->parallel = true;
    }
    lua_pop(L, 1);
  }
}

/* ---- services ---- */

static void read_endpoint(lua_State *L, loader_t *ld, int t, fl_endpoint_t *ep, const char *ctx, bool need_work) {
  if (field(L, t, "work")) { ep->work = *read_dist(L, -1, ctx, "work"); lua_pop(L, 1); }
  else if (need_work) luaL_error(L, "%s: missing work (expected e.g. work = exp \"5ms\")", ctx);
  ep->error_rate = -1;
  if (field(L, t, "error_rate")) { ep->error_rate = read_fraction(L, -1, ctx, "error_rate"); lua_pop(L, 1); }
  if (field(L, t, "calls")) { read_calls(L, ld, -1, ep, ctx); lua_pop(L, 1); }
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(const char *const *)a, *(const char *const *)b); }

static int l_service_body(lua_State *L) {
  loader_t *ld = getloader_alone(L);
  fl_model_t *m = ld->m;
  const char *name = lua_tostring(L, lua_upvalueindex(2));
  if (!lua_istable(L, 1)) luaL_error(L, "service \"%s\": expected a table of fields, e.g. service \"%s\" { instances = 2, work = exp \"5ms\" }", name, name);
  char ctx[160];
  snprintf(ctx, sizeof ctx, "service \"%s\"", name);
  static const char *const f[] = { "instances", "workers", "queue", "balancer", "blocking", "error_rate", "slo",
                                   "work", "calls", "endpoints", "health_check", "rate_limit", "shed_after", "outlier",
                                   "startup", "autoscale", "kind", "capacity", "consumers", "concurrency", "max_deliveries", NULL };
  check_fields(L, 1, ctx, f);
  if (m->nservices == ld->svc_cap) {
    ld->svc_cap = ld->svc_cap ? ld->svc_cap * 2 : 16;
    m->services = fl_xrealloc(m->services, sizeof *m->services * (size_t)ld->svc_cap);
  }
  fl_service_t *s = &m->services[m->nservices];
  memset(s, 0, sizeof *s);
  s->name = astrdup(m, name);
  where(L, m, &s->file, &s->line);
  s->instances = 1; s->workers = 1; s->queue = DEFAULT_QUEUE; s->blocking = true; s->health_check = DEFAULT_HEALTH_CHECK;
  if (field(L, 1, "health_check")) { s->health_check = read_duration(L, -1, ctx, "health_check"); lua_pop(L, 1); }
  if (field(L, 1, "rate_limit")) {
    if (!lua_istable(L, -1)) luaL_error(L, "%s: rate_limit must be a table { rate = \"1000/s\", burst = 100 }", ctx);
    int t = lua_gettop(L);
    static const char *const rf[] = { "rate", "burst", NULL };
    check_fields(L, t, ctx, rf);
    if (!field(L, t, "rate")) luaL_error(L, "%s: rate_limit needs rate = \"...\"", ctx);
    s->rate_limit = read_rate(L, -1, ctx, "rate_limit.rate"); lua_pop(L, 1);
    if (s->rate_limit <= 0) luaL_error(L, "%s: rate_limit.rate must be positive", ctx);
    s->rate_burst = s->rate_limit;   /* one second's worth unless told */
    if (field(L, t, "burst")) {
      if (!lua_isnumber(L, -1) || !(lua_tonumber(L, -1) >= 1)) luaL_error(L, "%s: rate_limit.burst must be a number of at least 1", ctx);
      s->rate_burst = lua_tonumber(L, -1); lua_pop(L, 1);
    }
    lua_pop(L, 1);
  }
  if (field(L, 1, "startup")) { s->startup = read_duration(L, -1, ctx, "startup"); lua_pop(L, 1); }
  const char *kind = opt_string(L, 1, "kind", ctx);
  if (kind && strcmp(kind, "broker") != 0 && strcmp(kind, "service") != 0)
    luaL_error(L, "%s: kind must be \"service\" or \"broker\"", ctx);
  s->broker = kind && strcmp(kind, "broker") == 0;
  s->capacity = INT64_MAX; s->max_deliveries = 3;
  if (!s->broker) {
    static const char *const bf[] = { "capacity", "consumers", "concurrency", "max_deliveries" };
    for (int i = 0; i < 4; i++)
      if (lua_getfield(L, 1, bf[i]) != LUA_TNIL) luaL_error(L, "%s: %s is for kind = \"broker\"", ctx, bf[i]);
      else lua_pop(L, 1);
  } else {
    if (field(L, 1, "capacity")) {
      if (lua_type(L, -1) == LUA_TNUMBER && isinf(lua_tonumber(L, -1))) s->capacity = INT64_MAX;
      else s->capacity = read_count(L, -1, ctx, "capacity", 1, 1000000000);
      lua_pop(L, 1);
    }
    if (!field(L, 1, "consumers") || !lua_istable(L, -1) || lua_rawlen(L, -1) < 1)
      luaL_error(L, "%s: a broker needs consumers = { \"service.endpoint\", ... } (each gets every message)", ctx);
    int n = (int)lua_rawlen(L, -1);
    s->nconsumers = n;
    s->consumer_names = aalloc(m, sizeof *s->consumer_names * (size_t)n);
    for (int i = 1; i <= n; i++) {
      lua_rawgeti(L, -1, i);
      if (lua_type(L, -1) != LUA_TSTRING) luaL_error(L, "%s: consumers entry %d must be an endpoint name", ctx, i);
      s->consumer_names[i - 1] = astrdup(m, lua_tostring(L, -1));
      lua_pop(L, 1);
    }
    lua_pop(L, 1);
    if (field(L, 1, "concurrency")) { s->concurrency = (int)read_count(L, -1, ctx, "concurrency", 1, 10000000); lua_pop(L, 1); }
    if (field(L, 1, "max_deliveries")) { s->max_deliveries = (int)read_count(L, -1, ctx, "max_deliveries", 1, 100); lua_pop(L, 1); }
  }
  if (field(L, 1, "instances")) { s->instances = (int)read_count(L, -1, ctx, "instances", 1, 100000); lua_pop(L, 1); }
  if (field(L, 1, "autoscale")) {
    if (!lua_istable(L, -1)) luaL_error(L, "%s: autoscale must be a table { metric = \"utilization\", target = 0.6, min = 2, max = 20 }", ctx);
    int t = lua_gettop(L);
    static const char *const af[] = { "metric", "target", "min", "max", "period", "tolerance", "stabilize_down", "delay",
                                      "warmup", "warmup_factor", NULL };
    check_fields(L, t, ctx, af);
    /* Kubernetes' HPA defaults: 15 s sync period, 0.1 tolerance, 300 s scale-down stabilisation. */
    s->autoscale.on = true; s->autoscale.metric = FL_SCALE_UTILIZATION;
    s->autoscale.period = 15; s->autoscale.tolerance = 0.1; s->autoscale.stabilize_down = 300; s->autoscale.delay = 30;
    s->autoscale.warmup_factor = 2;
    const char *metric = opt_string(L, t, "metric", ctx);
    if (metric) {
      static const char *const mn[] = { "utilization", "inflight", "queue", "rps" };
      int k = -1;
      for (int x = 0; x < 4; x++) if (strcmp(metric, mn[x]) == 0) k = x;
      if (k < 0) luaL_error(L, "%s: autoscale.metric must be utilization, inflight, queue or rps", ctx);
      s->autoscale.metric = k;
    }
    if (!field(L, t, "target")) luaL_error(L, "%s: autoscale needs a target (e.g. target = 0.6 for 60%% utilization)", ctx);
    if (s->autoscale.metric == FL_SCALE_UTILIZATION) s->autoscale.target = read_fraction(L, -1, ctx, "autoscale.target");
    else if (s->autoscale.metric == FL_SCALE_RPS) s->autoscale.target = read_rate(L, -1, ctx, "autoscale.target");
    else {
      if (!lua_isnumber(L, -1)) luaL_error(L, "%s: autoscale.target must be a number", ctx);
      s->autoscale.target = lua_tonumber(L, -1);
    }
    if (!(s->autoscale.target > 0)) luaL_error(L, "%s: autoscale.target must be positive", ctx);
    lua_pop(L, 1);
    s->autoscale.min = 1;
    if (field(L, t, "min")) { s->autoscale.min = (int)read_count(L, -1, ctx, "autoscale.min", 0, 100000); lua_pop(L, 1); }
    if (!field(L, t, "max")) luaL_error(L, "%s: autoscale needs max (the most instances it may run)", ctx);
    s->autoscale.max = (int)read_count(L, -1, ctx, "autoscale.max", 1, 100000); lua_pop(L, 1);
    if (s->autoscale.max < s->autoscale.min) luaL_error(L, "%s: autoscale.max must be at least min", ctx);
    if (field(L, t, "period")) { s->autoscale.period = read_duration(L, -1, ctx, "autoscale.period"); lua_pop(L, 1); }
    if (s->autoscale.period < 0.001) luaL_error(L, "%s: autoscale.period must be at least 1ms", ctx);
    if (field(L, t, "tolerance")) { s->autoscale.tolerance = read_fraction(L, -1, ctx, "autoscale.tolerance"); lua_pop(L, 1); }
    if (field(L, t, "stabilize_down")) { s->autoscale.stabilize_down = read_duration(L, -1, ctx, "autoscale.stabilize_down"); lua_pop(L, 1); }
    if (field(L, t, "delay")) { s->autoscale.delay = read_duration(L, -1, ctx, "autoscale.delay"); lua_pop(L, 1); }
    if (field(L, t, "warmup")) { s->autoscale.warmup = read_duration(L, -1, ctx, "autoscale.warmup"); lua_pop(L, 1); }
    if (field(L, t, "warmup_factor")) {
      if (!lua_isnumber(L, -1) || lua_tonumber(L, -1) < 1) luaL_error(L, "%s: autoscale.warmup_factor must be a number of at least 1", ctx);
      s->autoscale.warmup_factor = lua_tonumber(L, -1); lua_pop(L, 1);
    }
    lua_pop(L, 1);
    if (s->instances < s->autoscale.min) s->instances = s->autoscale.min > 0 ? s->autoscale.min : 1;
    if (s->instances > s->autoscale.max) luaL_error(L, "%s: instances (%d) above autoscale.max (%d)", ctx, s->instances, s->autoscale.max);
  }
  if (field(L, 1, "shed_after")) {
    s->shed_after = read_duration(L, -1, ctx, "shed_after"); lua_pop(L, 1);
    if (s->shed_after <= 0) luaL_error(L, "%s: shed_after must be positive", ctx);
  }
  if (field(L, 1, "outlier")) {
    int t = push_policy(L, -1, "outlier", ctx);
    static const char *const of[] = { "consecutive_errors", "interval", "base_ejection", "max_ejected", NULL };
    check_fields(L, t, ctx, of);
    /* Envoy's outlier detection defaults: consecutive_5xx 5, interval 10 s, base_ejection_time 30 s,
    ** max_ejection_percent 10%. */
    s->outlier.consecutive_errors = 5; s->outlier.interval = 10; s->outlier.base_ejection = 30; s->outlier.max_ejected = 0.1;
    if (field(L, t, "consecutive_errors")) { s->outlier.consecutive_errors = (int)read_count(L, -1, ctx, "outlier.consecutive_errors", 1, 1000000); lua_pop(L, 1); }
    if (field(L, t, "interval")) { s->outlier.interval = read_duration(L, -1, ctx, "outlier.interval"); lua_pop(L, 1); }
    if (field(L, t, "base_ejection")) { s->outlier.base_ejection = read_duration(L, -1, ctx, "outlier.base_ejection"); lua_pop(L, 1); }
    if (field(L, t, "max_ejected")) { s->outlier.max_ejected = read_fraction(L, -1, ctx, "outlier.max_ejected"); lua_pop(L, 1); }
    lua_pop(L, 2);
  }
  if (field(L, 1, "workers")) { s->workers = (int)read_count(L, -1, ctx, "workers", 1, 1000000); lua_pop(L, 1); }
  if (field(L, 1, "queue")) {
    if (lua_type(L, -1) == LUA_TNUMBER && isinf(lua_tonumber(L, -1)) && lua_tonumber(L, -1) > 0) s->queue = INT64_MAX;
    else s->queue = read_count(L, -1, ctx, "queue (or math.huge)", 0, 1000000000);
    lua_pop(L, 1);
  }
  if (field(L, 1, "balancer")) {
    const char *b = lua_tostring(L, -1);
    int lb = b ? fl_balancer_parse(b) : -1;
    if (lb < 0) luaL_error(L, "%s: balancer must be one of round_robin, random, least_outstanding, p2c", ctx);
    s->balancer = (fl_balancer_t)lb;
    lua_pop(L, 1);
  }
  if (field(L, 1, "blocking")) { s->blocking = read_bool(L, -1, ctx, "blocking"); lua_pop(L, 1); }
  if (field(L, 1, "error_rate")) { s->error_rate = read_fraction(L, -1, ctx, "error_rate"); lua_pop(L, 1); }
  if (field(L, 1, "slo")) { s->slo = read_duration(L, -1, ctx, "slo"); lua_pop(L, 1); }
  if (field(L, 1, "endpoints")) {
    if (!lua_istable(L, -1)) luaL_error(L, "%s: endpoints must be a table of name = { work = ..., calls = ... }", ctx);
    int et = lua_gettop(L);
    if (lua_getfield(L, 1, "work") != LUA_TNIL || lua_getfield(L, 1, "calls") != LUA_TNIL)
      luaL_error(L, "%s: work and calls go inside each endpoint when endpoints are given", ctx);
    lua_pop(L, 2);
    /* endpoints in name order, so that ids do not depend on Lua's table order */
    int n = 0;
    lua_pushnil(L);
    while (lua_next(L, et)) {
      if (lua_type(L, -2) != LUA_TSTRING) luaL_error(L, "%s: endpoint names must be strings", ctx);
      if (!lua_istable(L, -1)) luaL_error(L, "%s: endpoint '%s' must be a table { work = ..., calls = ... }", ctx, lua_tostring(L, -2));
      n++; lua_pop(L, 1);
    }
    if (n == 0) luaL_error(L, "%s: endpoints is empty", ctx);
    if (n > MAX_ENTRIES) luaL_error(L, "%s: more than %d endpoints", ctx, MAX_ENTRIES);
    const char **names = aalloc(m, sizeof *names * (size_t)n);
    int i = 0;
    lua_pushnil(L);
    while (lua_next(L, et)) { names[i++] = astrdup(m, lua_tostring(L, -2)); lua_pop(L, 1); }
    qsort(names, (size_t)n, sizeof *names, cmp_str);
    s->endpoints = aalloc(m, sizeof *s->endpoints * (size_t)n);
    s->nendpoints = n;
    for (i = 0; i < n; i++) {
      fl_endpoint_t *ep = &s->endpoints[i];
      if (strchr(names[i], '.') || !names[i][0]) luaL_error(L, "%s: endpoint name '%s' must be non-empty and without dots", ctx, names[i]);
      char ectx[320];
      snprintf(ectx, sizeof ectx, "endpoint \"%s.%s\"", name, names[i]);
      lua_getfield(L, et, names[i]);
      static const char *const ef[] = { "work", "calls", "error_rate", NULL };
      check_fields(L, -1, ectx, ef);
      ep->name = (char *)names[i];
      ep->file = s->file; ep->line = s->line;
      read_endpoint(L, ld, lua_gettop(L), ep, ectx, true);
      lua_pop(L, 1);
    }
    lua_pop(L, 1);
  } else {
    s->endpoints = aalloc(m, sizeof *s->endpoints);
    s->nendpoints = 1;
    s->endpoints[0].name = astrdup(m, "default");
    s->implicit = true;
    s->endpoints[0].file = s->file; s->endpoints[0].line = s->line;
    if (lua_getfield(L, 1, "work") == LUA_TNIL && !s->broker)
      luaL_error(L, "%s: missing work (expected e.g. work = exp \"5ms\", or endpoints = { ... })", ctx);
    lua_pop(L, 1);
    if (s->broker) fl_dist_const(&s->endpoints[0].work, 0, NULL);   /* storing a message: instant unless told */
    read_endpoint(L, ld, 1, &s->endpoints[0], ctx, !s->broker);
  }
  m->nservices++;
  return 0;
}

static int l_service(lua_State *L) {
  loader_t *ld = getloader(L);
  const char *name = luaL_checkstring(L, 1);
  if (!name[0] || strchr(name, '.') || strchr(name, '=') || strchr(name, ','))
    luaL_error(L, "service name '%s' must be non-empty and contain no '.', '=' or ','", name);
  if (ld->m->nservices >= MAX_ENTRIES) luaL_error(L, "service \"%s\": more than %d services", name, MAX_ENTRIES);
  fl_service_t *prev = fl_model_find_service(ld->m, name);
  if (prev) luaL_error(L, "service \"%s\" is defined twice (first at %s:%d)", name, prev->file, prev->line);
  lua_pushlightuserdata(L, ld);
  lua_pushvalue(L, 1);
  lua_pushcclosure(L, l_service_body, 2);
  return 1;
}

/* ---- scenario and traffic ---- */

static int l_scenario(lua_State *L) {
  loader_t *ld = getloader(L);
  fl_model_t *m = ld->m;
  luaL_checktype(L, 1, LUA_TTABLE);
  if (ld->seen_scenario) luaL_error(L, "scenario { ... } is given twice");
  ld->seen_scenario = true;
  static const char *const f[] = { "name", "duration", "seed", "window", "warmup", "health", NULL };
  check_fields(L, 1, "scenario", f);
  if (field(L, 1, "health")) {
    if (!lua_istable(L, -1)) luaL_error(L, "scenario: health must be a table { degraded_errors = \"5%%\", down_errors = \"50%%\", saturation = 0.98, confirm = 2 }");
    int t = lua_gettop(L);
    static const char *const hf[] = { "degraded_errors", "down_errors", "degraded_share", "saturation", "confirm", NULL };
    check_fields(L, t, "scenario: health", hf);
    if (field(L, t, "degraded_errors")) { m->health.degraded_errors = read_fraction(L, -1, "scenario: health", "degraded_errors"); lua_pop(L, 1); }
    if (field(L, t, "down_errors")) { m->health.down_errors = read_fraction(L, -1, "scenario: health", "down_errors"); lua_pop(L, 1); }
    if (field(L, t, "degraded_share")) { m->health.degraded_share = read_fraction(L, -1, "scenario: health", "degraded_share"); lua_pop(L, 1); }
    if (field(L, t, "saturation")) { m->health.saturation = read_fraction(L, -1, "scenario: health", "saturation"); lua_pop(L, 1); }
    if (field(L, t, "confirm")) { m->health.confirm = (int)read_count(L, -1, "scenario: health", "confirm", 1, 1000); lua_pop(L, 1); }
    if (m->health.down_errors < m->health.degraded_errors) luaL_error(L, "scenario: health: down_errors must be at least degraded_errors");
    lua_pop(L, 1);
  }
  if (field(L, 1, "name")) {
    if (lua_type(L, -1) != LUA_TSTRING) luaL_error(L, "scenario: name must be a string");
    m->name = astrdup(m, lua_tostring(L, -1)); lua_pop(L, 1);
  }
  if (!field(L, 1, "duration")) luaL_error(L, "scenario: missing duration (expected e.g. duration = \"1h\")");
  m->duration = read_duration(L, -1, "scenario", "duration"); lua_pop(L, 1);
  if (m->duration <= 0) luaL_error(L, "scenario: duration must be positive");
  if (m->duration > 1e9) luaL_error(L, "scenario: duration must be at most 1000000000s (about 31 years)");
  if (field(L, 1, "seed")) {
    uint64_t seed = (uint64_t)read_count(L, -1, "scenario", "seed", 0, (1LL << 53));
    if (!ld->opts->has_seed) m->seed = seed;
    lua_pop(L, 1);
  }
  if (field(L, 1, "window")) { m->window = read_duration(L, -1, "scenario", "window"); lua_pop(L, 1); }
  if (m->window < 0.001) luaL_error(L, "scenario: window must be at least 1ms");
  if (field(L, 1, "warmup")) { m->warmup = read_duration(L, -1, "scenario", "warmup"); lua_pop(L, 1); }
  if (m->warmup >= m->duration) luaL_error(L, "scenario: warmup must be shorter than duration");
  /* math.random follows the scenario's seed */
  lua_getglobal(L, "math");
  if (lua_getfield(L, -1, "randomseed") == LUA_TFUNCTION) { lua_pushinteger(L, (lua_Integer)m->seed); lua_call(L, 1, 0); }
  else lua_pop(L, 1);
  lua_pop(L, 1);
  return 0;
}

static fl_profile_t *push_profile(lua_State *L, loader_t *ld, fl_profile_kind_t kind) {
  fl_profile_t *p = lua_newuserdatauv(L, sizeof *p, 0);
  memset(p, 0, sizeof *p);
  p->kind = kind;
  const char *file;
  where(L, ld->m, &file, &p->line);
  luaL_setmetatable(L, "fl.profile");
  return p;
}

/* diurnal { mean = "1000/s", amplitude = 0.6, peak_at = "20h", period = "24h" } */
static int l_diurnal(lua_State *L) {
  loader_t *ld = getloader(L);
  luaL_checktype(L, 1, LUA_TTABLE);
  static const char *const f[] = { "mean", "amplitude", "peak_at", "period", NULL };
  check_fields(L, 1, "diurnal", f);
  fl_profile_t *p = push_profile(L, ld, FL_PROFILE_DIURNAL);
  if (!field(L, 1, "mean")) luaL_error(L, "diurnal: missing mean (e.g. mean = \"1000/s\")");
  p->mean = read_rate(L, -1, "diurnal", "mean"); lua_pop(L, 1);
  if (!field(L, 1, "amplitude")) luaL_error(L, "diurnal: missing amplitude (a share of the mean, e.g. amplitude = 0.6 or \"60%%\")");
  p->amplitude = read_fraction(L, -1, "diurnal", "amplitude"); lua_pop(L, 1);
  if (field(L, 1, "peak_at")) { p->peak_at = read_duration(L, -1, "diurnal", "peak_at"); lua_pop(L, 1); }
  p->period = 86400;
  if (field(L, 1, "period")) { p->period = read_duration(L, -1, "diurnal", "period"); lua_pop(L, 1); }
  if (p->period <= 0) luaL_error(L, "diurnal: period must be positive");
  return 1;
}

/* flash { at = "1h", factor = 5, rise = "10s", hold = "5m", decay = "2m" [, base = "1000/s"] }: a
** multiplier (1 -> factor) unless a base rate is given; use it as rate = diurnal { ... } * flash { ... } */
static int l_flash(lua_State *L) {
  loader_t *ld = getloader(L);
  luaL_checktype(L, 1, LUA_TTABLE);
  static const char *const f[] = { "at", "factor", "rise", "hold", "decay", "base", NULL };
  check_fields(L, 1, "flash", f);
  fl_profile_t *p = push_profile(L, ld, FL_PROFILE_FLASH);
  if (!field(L, 1, "at")) luaL_error(L, "flash: missing at (when the crowd arrives)");
  p->at = read_duration(L, -1, "flash", "at"); lua_pop(L, 1);
  if (!field(L, 1, "factor") || !lua_isnumber(L, -1) || !(lua_tonumber(L, -1) >= 0))
    luaL_error(L, "flash: factor must be a number (e.g. factor = 5 for a step to 5x)");
  p->factor = lua_tonumber(L, -1); lua_pop(L, 1);
  p->rise = 1;
  if (field(L, 1, "rise")) { p->rise = read_duration(L, -1, "flash", "rise"); lua_pop(L, 1); }
  p->hold = 600;
  if (field(L, 1, "hold")) { p->hold = read_duration(L, -1, "flash", "hold"); lua_pop(L, 1); }
  p->decay = 60;
  if (field(L, 1, "decay")) { p->decay = read_duration(L, -1, "flash", "decay"); lua_pop(L, 1); }
  if (field(L, 1, "base")) { p->base = read_rate(L, -1, "flash", "base"); lua_pop(L, 1); }
  return 1;
}

/* A profile from the value at idx: a profile, a number or a rate string. */
static fl_profile_t *to_profile(lua_State *L, loader_t *ld, int idx, const char *ctx) {
  fl_profile_t *p = luaL_testudata(L, idx, "fl.profile");
  fl_profile_t *c = aalloc(ld->m, sizeof *c);
  if (p) { *c = *p; }
  else { c->kind = FL_PROFILE_CONST; c->value = read_rate(L, idx, ctx, "operand"); }
  if (c->kind == FL_PROFILE_REPLAY) luaL_error(L, "%s: a trace of request timestamps replays as it is and cannot be combined", ctx);
  return c;
}

static int profile_op(lua_State *L, fl_profile_kind_t kind) {
  loader_t *ld = getloader(L);
  const char *ctx = kind == FL_PROFILE_SUM ? "profile +" : "profile *";
  fl_profile_t *a = to_profile(L, ld, 1, ctx), *b = to_profile(L, ld, 2, ctx);
  fl_profile_t *p = push_profile(L, ld, kind);
  p->a = a; p->b = b;
  return 1;
}
static int l_profile_add(lua_State *L) { return profile_op(L, FL_PROFILE_SUM); }
static int l_profile_mul(lua_State *L) { return profile_op(L, FL_PROFILE_PRODUCT); }

static void check_include_path(lua_State *L, const loader_t *ld, const char *what, const char *rel);

/* trace "file.csv": rows "time,rate" (interpolated) or one request timestamp per row (replayed).
** Times in seconds or with units; '#' comments, blank lines and a header line are skipped. */
static int l_trace(lua_State *L) {
  loader_t *ld = getloader(L);
  fl_model_t *m = ld->m;
  const char *rel = luaL_checkstring(L, 1);
  if (!ld->opts->unsafe && (rel[0] == '/' || strstr(rel, "..")))
    luaL_error(L, "trace \"%s\": only files under the scenario's folder may be read (no absolute paths or '..'; --unsafe lifts this)", rel);
  char path[PATH_MAX * 2];
  if (rel[0] == '/' || strcmp(ld->dir, ".") == 0) snprintf(path, sizeof path, "%s", rel);
  else snprintf(path, sizeof path, "%s/%s", ld->dir, rel);
  if (!ld->opts->unsafe) check_include_path(L, ld, "trace", rel);
  FILE *f = fopen(path, "r");
  if (!f) luaL_error(L, "trace \"%s\": cannot open %s: %s", rel, path, strerror(errno));
  int cap = 1024, n = 0, cols = 0, lineno = 0;
  double *t = fl_xmalloc(sizeof *t * (size_t)cap), *r = fl_xmalloc(sizeof *r * (size_t)cap);
  char line[512], msg[PATH_MAX * 2 + 1024] = "";
  while (fgets(line, sizeof line, f)) {
    lineno++;
    size_t len = strlen(line);
    if (len == sizeof line - 1 && line[len - 1] != '\n') { snprintf(msg, sizeof msg, "%s:%d: line too long", path, lineno); break; }
    while (len && (line[len - 1] == '\n' || line[len - 1] == '\r' || line[len - 1] == ' ')) line[--len] = 0;
    char *p = line;
    while (*p == ' ' || *p == '\t') p++;
    if (!*p || *p == '#') continue;
    char *comma = strchr(p, ',');
    if (comma) *comma = 0;
    double tv, rv = 0;
    if (fl_parse_duration(p, &tv) != 0) {
      if (n == 0 && cols == 0 && !isdigit((unsigned char)*p)) { cols = -1; continue; }   /* a header */
      snprintf(msg, sizeof msg, "%s:%d: cannot read '%s' as a time (expected seconds or e.g. \"1.5s\", \"10m\")", path, lineno, p);
      break;
    }
    int c = comma ? 2 : 1;
    if (comma) {
      char *q = comma + 1;
      while (*q == ' ') q++;
      if (strchr(q, ',')) { snprintf(msg, sizeof msg, "%s:%d: expected 'time,rate' or one timestamp per row", path, lineno); break; }
      if (fl_parse_rate(q, &rv) != 0) { snprintf(msg, sizeof msg, "%s:%d: cannot read '%s' as a rate (expected e.g. 120 or \"2000/s\")", path, lineno, q); break; }
    }
    if (cols <= 0) cols = c;
    else if (c != cols) { snprintf(msg, sizeof msg, "%s:%d: expected %s like the rows before", path, lineno, cols == 2 ? "'time,rate'" : "one timestamp"); break; }
    if (n > 0 && (cols == 2 ? tv <= t[n - 1] : tv < t[n - 1])) {
      snprintf(msg, sizeof msg, "%s:%d: times must %s (%g after %g)", path, lineno, cols == 2 ? "increase" : "not go back", tv, t[n - 1]);
      break;
    }
    if (n == cap) { cap *= 2; t = fl_xrealloc(t, sizeof *t * (size_t)cap); r = fl_xrealloc(r, sizeof *r * (size_t)cap); }
    t[n] = tv; r[n] = rv; n++;
    if (n > 50000000) { snprintf(msg, sizeof msg, "%s:%d: more than 50 million rows", path, lineno); break; }
  }
  fclose(f);
  if (!msg[0] && n == 0) snprintf(msg, sizeof msg, "%s:%d: the trace has no rows", path, lineno);
  if (msg[0]) { free(t); free(r); lua_pushstring(L, msg); return lua_error(L); }
  fl_profile_t *p = push_profile(L, ld, cols == 2 ? FL_PROFILE_PIECEWISE : FL_PROFILE_REPLAY);
  if (cols == 2) {
    p->npoints = n;
    p->pt = aalloc(m, sizeof(double) * (size_t)n); memcpy(p->pt, t, sizeof(double) * (size_t)n);
    p->pr = aalloc(m, sizeof(double) * (size_t)n); memcpy(p->pr, r, sizeof(double) * (size_t)n);
  } else {
    p->ntimes = n;
    p->times = aalloc(m, sizeof(double) * (size_t)n); memcpy(p->times, t, sizeof(double) * (size_t)n);
  }
  free(t); free(r);
  return 1;
}

static int l_surge(lua_State *L) {
  loader_t *ld = getloader(L);
  luaL_checktype(L, 1, LUA_TTABLE);
  static const char *const f[] = { "base", "peak", "start", "ramp", "hold", "decay", NULL };
  check_fields(L, 1, "surge", f);
  fl_profile_t *p = push_profile(L, ld, FL_PROFILE_SURGE);
  int t = 1;
  if (!field(L, t, "base")) luaL_error(L, "surge: missing base (e.g. base = \"1500/s\")");
  p->base = read_rate(L, -1, "surge", "base"); lua_pop(L, 1);
  if (!field(L, t, "peak")) luaL_error(L, "surge: missing peak (e.g. peak = \"18000/s\")");
  p->peak = read_rate(L, -1, "surge", "peak"); lua_pop(L, 1);
  if (!field(L, t, "start")) luaL_error(L, "surge: missing start (e.g. start = \"30m\")");
  p->start = read_duration(L, -1, "surge", "start"); lua_pop(L, 1);
  if (field(L, t, "ramp")) { p->ramp = read_duration(L, -1, "surge", "ramp"); lua_pop(L, 1); }
  p->hold = 1e12;
  if (field(L, t, "hold")) { p->hold = read_duration(L, -1, "surge", "hold"); lua_pop(L, 1); }
  if (field(L, t, "decay")) { p->decay = read_duration(L, -1, "surge", "decay"); lua_pop(L, 1); }
  return 1;
}

static int l_piecewise(lua_State *L) {
  loader_t *ld = getloader(L);
  luaL_checktype(L, 1, LUA_TTABLE);
  int n = (int)lua_rawlen(L, 1);
  if (n < 1 || n > 100000) luaL_error(L, "piecewise: expected a list of { time, rate } points, e.g. piecewise { {\"0s\", \"100/s\"}, {\"10m\", \"500/s\"} }");
  fl_profile_t *p = push_profile(L, ld, FL_PROFILE_PIECEWISE);
  p->npoints = n;
  p->pt = aalloc(ld->m, sizeof(double) * (size_t)n);
  p->pr = aalloc(ld->m, sizeof(double) * (size_t)n);
  for (int i = 1; i <= n; i++) {
    lua_rawgeti(L, 1, i);
    if (!lua_istable(L, -1) || lua_rawlen(L, -1) != 2) luaL_error(L, "piecewise: point %d must be { time, rate }", i);
    lua_rawgeti(L, -1, 1); p->pt[i - 1] = read_duration(L, -1, "piecewise", "time"); lua_pop(L, 1);
    lua_rawgeti(L, -1, 2); p->pr[i - 1] = read_rate(L, -1, "piecewise", "rate"); lua_pop(L, 1);
    if (i > 1 && p->pt[i - 1] <= p->pt[i - 2]) luaL_error(L, "piecewise: point %d: times must increase", i);
    lua_pop(L, 1);
  }
  return 1;
}

typedef struct { const char *name; double share; } mixent_t;
static int cmp_mix(const void *a, const void *b) { return strcmp(((const mixent_t *)a)->name, ((const mixent_t *)b)->name); }

static int l_traffic(lua_State *L) {
  loader_t *ld = getloader(L);
  fl_model_t *m = ld->m;
  luaL_checktype(L, 1, LUA_TTABLE);
  if (m->has_traffic) luaL_error(L, "traffic { ... } is given twice");
  static const char *const f[] = { "rate", "mix", "client", "journeys", NULL };
  check_fields(L, 1, "traffic", f);
  m->has_traffic = true;
  where(L, m, &m->traffic_file, &m->traffic_line);
  if (!field(L, 1, "rate")) luaL_error(L, "traffic: missing rate (e.g. rate = \"2000/s\" or rate = surge { ... })");
  fl_profile_t *p = luaL_testudata(L, -1, "fl.profile");
  if (p) m->rate = *p;
  else { m->rate.kind = FL_PROFILE_CONST; m->rate.value = read_rate(L, -1, "traffic", "rate"); m->rate.line = m->traffic_line; }
  lua_pop(L, 1);
  if (!field(L, 1, "mix") || !lua_istable(L, -1))
    luaL_error(L, "traffic: missing mix (e.g. mix = { [\"gateway.home\"] = 0.7, [\"gateway.checkout\"] = 0.3 })");
  int mt = lua_gettop(L), n = 0;
  lua_pushnil(L);
  while (lua_next(L, mt)) { n++; lua_pop(L, 1); }
  if (n == 0) luaL_error(L, "traffic: mix is empty");
  if (n > 100000) luaL_error(L, "traffic: mix has %d journeys (at most 100000)", n);
  mixent_t *e = aalloc(m, sizeof *e * (size_t)n);
  int i = 0;
  lua_pushnil(L);
  while (lua_next(L, mt)) {
    if (lua_type(L, -2) != LUA_TSTRING) luaL_error(L, "traffic: mix keys must be entry endpoints such as \"gateway.home\"");
    e[i].name = astrdup(m, lua_tostring(L, -2));
    char ctx[300];
    snprintf(ctx, sizeof ctx, "traffic: mix[\"%s\"]", e[i].name);
    e[i].share = read_fraction(L, -1, ctx, "share");
    i++;
    lua_pop(L, 1);
  }
  qsort(e, (size_t)n, sizeof *e, cmp_mix);
  m->journeys = fl_xcalloc((size_t)n, sizeof *m->journeys);
  m->njourneys = n;
  for (i = 0; i < n; i++) {
    m->journeys[i].name = (char *)e[i].name;
    m->journeys[i].share = e[i].share;
    m->journeys[i].file = m->traffic_file;
    m->journeys[i].line = m->traffic_line;
  }
  lua_pop(L, 1);
  /* client = { timeout = "10s", retries = 1, think = "3s" }: users give up and press refresh */
  if (field(L, 1, "client")) {
    if (!lua_istable(L, -1)) luaL_error(L, "traffic: client must be a table { timeout = \"10s\", retries = 1, think = \"3s\" }");
    int t = lua_gettop(L);
    static const char *const cf[] = { "timeout", "retries", "think", NULL };
    check_fields(L, t, "traffic: client", cf);
    if (field(L, t, "timeout")) { m->client_timeout = read_duration(L, -1, "traffic: client", "timeout"); lua_pop(L, 1); }
    if (field(L, t, "retries")) { m->client_retries = (int)read_count(L, -1, "traffic: client", "retries", 0, 100); lua_pop(L, 1); }
    if (field(L, t, "think")) { m->client_think = read_duration(L, -1, "traffic: client", "think"); lua_pop(L, 1); }
    lua_pop(L, 1);
  }
  /* journeys = { shop = { steps = { "gateway.home", "gateway.cart", "gateway.checkout" }, continue = { 0.5, 0.3 },
  **              think = "20s" } }: a session visits its steps in order while the user goes on */
  if (field(L, 1, "journeys")) {
    if (!lua_istable(L, -1)) luaL_error(L, "traffic: journeys must be a table of name = { steps = { ... }, continue = ..., think = ... }");
    int jt = lua_gettop(L);
    lua_pushnil(L);
    while (lua_next(L, jt)) {
      const char *name = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : NULL;
      if (!name || !lua_istable(L, -1)) luaL_error(L, "traffic: journeys: each entry must be name = { steps = { ... } }");
      char ctx[300];
      snprintf(ctx, sizeof ctx, "traffic: journey \"%s\"", name);
      fl_journey_t *jn = NULL;
      for (i = 0; i < n; i++) if (strcmp(m->journeys[i].name, name) == 0) jn = &m->journeys[i];
      if (!jn) luaL_error(L, "%s is not in the mix (give it a share there)", ctx);
      int t = lua_gettop(L);
      static const char *const jf[] = { "steps", "continue", "think", NULL };
      check_fields(L, t, ctx, jf);
      if (!field(L, t, "steps") || !lua_istable(L, -1) || lua_rawlen(L, -1) < 1)
        luaL_error(L, "%s: steps must list entry endpoints, e.g. steps = { \"gateway.home\", \"gateway.checkout\" }", ctx);
      int ns = (int)lua_rawlen(L, -1);
      if (ns > 1000) luaL_error(L, "%s: at most 1000 steps", ctx);
      jn->nsteps = ns;
      jn->step_names = aalloc(m, sizeof *jn->step_names * (size_t)ns);
      jn->cont = aalloc(m, sizeof *jn->cont * (size_t)ns);
      for (int k = 1; k <= ns; k++) {
        lua_rawgeti(L, -1, k);
        if (lua_type(L, -1) != LUA_TSTRING) luaL_error(L, "%s: step %d must be an endpoint name", ctx, k);
        jn->step_names[k - 1] = astrdup(m, lua_tostring(L, -1));
        jn->cont[k - 1] = 1;
        lua_pop(L, 1);
      }
      lua_pop(L, 1);
      if (field(L, t, "continue")) {
        if (lua_istable(L, -1)) {
          if ((int)lua_rawlen(L, -1) != ns - 1) luaL_error(L, "%s: continue needs %d probabilities, one after each step but the last", ctx, ns - 1);
          for (int k = 1; k < ns; k++) { lua_rawgeti(L, -1, k); jn->cont[k - 1] = read_fraction(L, -1, ctx, "continue"); lua_pop(L, 1); }
        } else {
          double c = read_fraction(L, -1, ctx, "continue");
          for (int k = 0; k < ns - 1; k++) jn->cont[k] = c;
        }
        lua_pop(L, 1);
      }
      if (field(L, t, "think")) { jn->think = read_duration(L, -1, ctx, "think"); lua_pop(L, 1); }
      lua_pop(L, 1);
    }
    lua_pop(L, 1);
  }
  return 0;
}


/* fault { target = "recommend", kind = "crash", at = "40m", duration = "15m" } */
/* Reads the fault table at index 1 into 'ft'. 'at' may be left out when 'live' (injected now). */
static void read_fault(lua_State *L, fl_model_t *m, fl_fault_t *ft, bool live) {
  luaL_checktype(L, 1, LUA_TTABLE);
  static const char *const f[] = { "name", "target", "from", "to", "kind", "at", "duration", "instances",
                                   "latency", "factor", "rate", "every", "restart", NULL };
  check_fields(L, 1, "fault", f);
  memset(ft, 0, sizeof *ft);
  where(L, m, &ft->file, &ft->line);
  const char *kind = opt_string(L, 1, "kind", "fault");
  int k = kind ? fl_fault_kind_parse(kind) : -1;
  if (k < 0) luaL_error(L, "fault: kind must be one of crash, latency, slowdown, errors, hang, partition, capacity, leak, cold_cache%s%s%s",
                        kind ? " (got '" : "", kind ? kind : "", kind ? "')" : "");
  ft->kind = (fl_fault_kind_t)k;
  const char *target = opt_string(L, 1, "target", "fault");
  const char *from = opt_string(L, 1, "from", "fault"), *to = opt_string(L, 1, "to", "fault");
  bool link = ft->kind == FL_FAULT_PARTITION || ((ft->kind == FL_FAULT_LATENCY || ft->kind == FL_FAULT_ERRORS) && from);
  if (link) {
    /* on the link from one service to another: a partition, or latency / errors on those calls only */
    if (!from || !to) luaL_error(L, "fault: a partition needs from = \"caller\" and to = \"callee\"");
    if (target) luaL_error(L, "fault: give target, or from and to, not both");
    ft->from_name = astrdup(m, from); ft->to_name = astrdup(m, to);
    ft->target_name = ft->to_name;
  } else {
    if (!target && to && !from) target = to;
    if (!target) luaL_error(L, "fault: missing target (the service it hits, e.g. target = \"recommend\")");
    if (from) luaL_error(L, "fault: from/to are for a partition, or a latency or errors fault on one link; use target = \"...\"");
    ft->target_name = astrdup(m, target);
  }
  if (field(L, 1, "at")) { ft->at = read_duration(L, -1, "fault", "at"); lua_pop(L, 1); }
  else if (!live) luaL_error(L, "fault: missing at (when it starts, e.g. at = \"40m\")");
  if (field(L, 1, "duration")) { ft->duration = read_duration(L, -1, "fault", "duration"); lua_pop(L, 1);
    if (ft->duration <= 0) luaL_error(L, "fault: duration must be positive (leave it out for a fault that lasts to the end)"); }
  if (field(L, 1, "instances")) {
    if (ft->kind != FL_FAULT_CRASH && ft->kind != FL_FAULT_CAPACITY && ft->kind != FL_FAULT_HANG && ft->kind != FL_FAULT_LEAK)
      luaL_error(L, "fault: instances applies to crash, capacity, hang and leak faults");
    if (lua_type(L, -1) == LUA_TSTRING) ft->fraction = read_fraction(L, -1, "fault", "instances");
    else if (lua_type(L, -1) == LUA_TNUMBER && lua_tonumber(L, -1) > 0 && lua_tonumber(L, -1) < 1) ft->fraction = lua_tonumber(L, -1);
    else ft->instances = (int)read_count(L, -1, "fault", "instances (a count, or a share such as 0.5 or \"50%\")", 1, 100000);
    if (ft->fraction < 0 || (lua_type(L, -1) == LUA_TSTRING && ft->fraction == 0)) luaL_error(L, "fault: instances share must be positive");
    lua_pop(L, 1);
  } else if (ft->kind == FL_FAULT_CAPACITY) {
    luaL_error(L, "fault: a capacity fault needs instances = N (how many are lost)");
  }
  if (ft->kind == FL_FAULT_LEAK) {
    /* work grows from 1x to 'factor' x over 'every', then the instance restarts for 'restart' */
    if (!field(L, 1, "every")) luaL_error(L, "fault: a leak needs every = (how long an instance runs before it runs out of memory, e.g. \"20m\")");
    ft->every = read_duration(L, -1, "fault", "every"); lua_pop(L, 1);
    if (ft->every <= 0) luaL_error(L, "fault: every must be positive");
    ft->restart = 30;
    if (field(L, 1, "restart")) { ft->restart = read_duration(L, -1, "fault", "restart"); lua_pop(L, 1); }
    ft->value = 3;
  } else if (lua_getfield(L, 1, "every") != LUA_TNIL || lua_getfield(L, 1, "restart") != LUA_TNIL) {
    luaL_error(L, "fault: every and restart apply to a leak fault");
  } else lua_pop(L, 2);
  const char *vf = ft->kind == FL_FAULT_LATENCY ? "latency" : ft->kind == FL_FAULT_SLOWDOWN || ft->kind == FL_FAULT_LEAK ? "factor" :
                   ft->kind == FL_FAULT_ERRORS ? "rate" : NULL;
  static const char *const vfields[] = { "latency", "factor", "rate" };
  for (int i = 0; i < 3; i++)
    if ((!vf || strcmp(vf, vfields[i]) != 0) && lua_getfield(L, 1, vfields[i]) != LUA_TNIL)
      luaL_error(L, "fault: %s does not apply to a %s fault", vfields[i], kind);
    else if (!vf || strcmp(vf, vfields[i]) != 0) lua_pop(L, 1);
  if (vf && !(ft->kind == FL_FAULT_LEAK && lua_getfield(L, 1, "factor") == LUA_TNIL && (lua_pop(L, 1), 1))) {
    if (ft->kind == FL_FAULT_LEAK) lua_pop(L, 1);
    if (!field(L, 1, vf)) luaL_error(L, "fault: a %s fault needs %s = ... (e.g. %s)", kind, vf,
                                     ft->kind == FL_FAULT_LATENCY ? "latency = \"200ms\"" : ft->kind == FL_FAULT_SLOWDOWN ? "factor = 3" : "rate = \"20%\"");
    if (ft->kind == FL_FAULT_LATENCY) ft->value = read_duration(L, -1, "fault", "latency");
    else if (ft->kind == FL_FAULT_ERRORS) ft->value = read_fraction(L, -1, "fault", "rate");
    else {
      if (lua_type(L, -1) != LUA_TNUMBER || !(lua_tonumber(L, -1) >= 1) || isinf(lua_tonumber(L, -1)))
        luaL_error(L, "fault: factor must be a number of at least 1 (work takes factor times longer)");
      ft->value = lua_tonumber(L, -1);
    }
    lua_pop(L, 1);
  }
  const char *name = opt_string(L, 1, "name", "fault");
  if (name) ft->name = astrdup(m, name);
  else if (ft->from_name) {
    size_t n = strlen(ft->from_name) + strlen(ft->to_name) + 3;
    ft->name = aalloc(m, n);
    snprintf(ft->name, n, "%s->%s", ft->from_name, ft->to_name);
  } else ft->name = ft->target_name;
}

static int l_fault(lua_State *L) {
  loader_t *ld = getloader_alone(L);
  fl_model_t *m = ld->m;
  if (m->nfaults >= MAX_ENTRIES) luaL_error(L, "fault: more than %d faults", MAX_ENTRIES);
  if (m->nfaults == ld->fault_cap) {
    ld->fault_cap = ld->fault_cap ? ld->fault_cap * 2 : 8;
    m->faults = fl_xrealloc(m->faults, sizeof *m->faults * (size_t)ld->fault_cap);
  }
  fl_fault_t *ft = &m->faults[m->nfaults];
  read_fault(L, m, ft, false);
  for (int i = 0; i < m->nfaults; i++)
    if (strcmp(m->faults[i].name, ft->name) == 0)
      luaL_error(L, "fault: two faults are named '%s' (the first at line %d): give one a name = \"...\"", ft->name, m->faults[i].line);
  m->nfaults++;
  return 0;
}

static void read_comparison(lua_State *L, int t, const char *key, const char *ctx, bool duration, bool *has, char op[3], double *v) {
  if (!field(L, t, key)) return;
  const char *text = lua_tostring(L, -1), *rest = NULL;
  if (lua_type(L, -1) != LUA_TSTRING || fl_parse_comparison(text, op, &rest) != 0)
    luaL_error(L, "%s: %s must be a comparison such as %s", ctx, key, duration ? "\"< 300ms\"" : "\">= 99.5%\"");
  int rc = duration ? fl_parse_duration(rest, v) : fl_parse_fraction(rest, v);
  if (rc != 0) luaL_error(L, "%s: %s: cannot read '%s' (expected e.g. %s)", ctx, key, rest, duration ? "\"< 300ms\"" : "\">= 99.5%\"");
  *has = true;
  lua_pop(L, 1);
}

static int l_expect_body(lua_State *L) {
  loader_t *ld = getloader_alone(L);
  fl_model_t *m = ld->m;
  const char *name = lua_tostring(L, lua_upvalueindex(2));
  char ctx[300];
  snprintf(ctx, sizeof ctx, "expect \"%s\"", name);
  if (!lua_istable(L, 1)) luaL_error(L, "%s: expected a table, e.g. { journey = \"gateway.checkout\", success_rate = \">= 99.5%%\" }", ctx);
  static const char *const f[] = { "journey", "service", "success_rate", "p99", "p50", "during", "no_cascade_from", NULL };
  check_fields(L, 1, ctx, f);
  if (m->nexpects >= MAX_ENTRIES) luaL_error(L, "%s: more than %d expectations", ctx, MAX_ENTRIES);
  if (m->nexpects == ld->expect_cap) {
    ld->expect_cap = ld->expect_cap ? ld->expect_cap * 2 : 8;
    m->expects = fl_xrealloc(m->expects, sizeof *m->expects * (size_t)ld->expect_cap);
  }
  fl_expect_t *x = &m->expects[m->nexpects];
  memset(x, 0, sizeof *x);
  x->journey = -1; x->fault = -1;
  x->name = astrdup(m, name);
  where(L, m, &x->file, &x->line);
  const char *j = opt_string(L, 1, "journey", ctx), *sv = opt_string(L, 1, "service", ctx);
  const char *nc = opt_string(L, 1, "no_cascade_from", ctx);
  if (j && sv) luaL_error(L, "%s: give journey or service, not both", ctx);
  if (j || sv) x->subject = astrdup(m, j ? j : sv);
  if (sv) x->journey = -2;   /* a service: resolved later */
  if (nc) x->no_cascade_from = astrdup(m, nc);
  read_comparison(L, 1, "success_rate", ctx, false, &x->has_success, x->success_op, &x->success_rate);
  read_comparison(L, 1, "p99", ctx, true, &x->has_p99, x->p99_op, &x->p99);
  read_comparison(L, 1, "p50", ctx, true, &x->has_p50, x->p50_op, &x->p50);
  if (!x->subject && !nc) luaL_error(L, "%s: needs journey = \"...\" or service = \"...\" (or no_cascade_from = \"...\")", ctx);
  if (x->subject && !x->has_success && !x->has_p99 && !x->has_p50)
    luaL_error(L, "%s: nothing to check (expected success_rate, p99 or p50)", ctx);
  if (field(L, 1, "during")) {
    if (lua_type(L, -1) == LUA_TSTRING) {
      const char *d = lua_tostring(L, -1);
      if (strcmp(d, "all") == 0) x->during = FL_EXPECT_ALL;
      else if (strcmp(d, "steady") == 0) x->during = FL_EXPECT_STEADY;
      else if (strncmp(d, "fault:", 6) == 0 && d[6]) { x->during = FL_EXPECT_FAULT; x->fault_name = astrdup(m, d + 6); }
      else luaL_error(L, "%s: during must be \"all\", \"steady\", \"fault:NAME\" or { \"40m\", \"55m\" }", ctx);
    } else if (lua_istable(L, -1) && lua_rawlen(L, -1) == 2) {
      x->during = FL_EXPECT_RANGE;
      lua_rawgeti(L, -1, 1); x->from = read_duration(L, -1, ctx, "during[1]"); lua_pop(L, 1);
      lua_rawgeti(L, -1, 2); x->to = read_duration(L, -1, ctx, "during[2]"); lua_pop(L, 1);
      if (x->to <= x->from) luaL_error(L, "%s: during: the end must come after the start", ctx);
    } else luaL_error(L, "%s: during must be \"all\", \"steady\", \"fault:NAME\" or { \"40m\", \"55m\" }", ctx);
    lua_pop(L, 1);
  }
  m->nexpects++;
  return 0;
}

static int l_expect(lua_State *L) {
  loader_t *ld = getloader(L);
  luaL_checkstring(L, 1);
  lua_pushlightuserdata(L, ld);
  lua_pushvalue(L, 1);
  lua_pushcclosure(L, l_expect_body, 2);
  return 1;
}

static int msgh(lua_State *L) {
  if (!lua_isstring(L, 1)) lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
  return 1;
}

/* at("45m", function(sim) ... end) and every("1m", function(sim) ... end) */
static int add_hook(lua_State *L, bool repeat) {
  loader_t *ld = getloader_alone(L);
  fl_model_t *m = ld->m;
  const char *what = repeat ? "every" : "at";
  double t = read_duration(L, 1, what, repeat ? "interval" : "time");
  if (repeat && t <= 0) luaL_error(L, "every: the interval must be positive");
  luaL_checktype(L, 2, LUA_TFUNCTION);
  if (m->nhooks >= MAX_ENTRIES) luaL_error(L, "%s: more than %d hooks", what, MAX_ENTRIES);
  if (m->nhooks == ld->hook_cap) {
    ld->hook_cap = ld->hook_cap ? 2 * ld->hook_cap : 8;
    m->hooks = fl_xrealloc(m->hooks, sizeof *m->hooks * (size_t)ld->hook_cap);
  }
  fl_hook_t *h = &m->hooks[m->nhooks++];
  memset(h, 0, sizeof *h);
  h->at = repeat ? t : t;
  h->every = repeat ? t : 0;
  where(L, m, &h->file, &h->line);
  lua_pushvalue(L, 2);
  h->ref = luaL_ref(L, LUA_REGISTRYINDEX);
  return 0;
}

static int l_at(lua_State *L) { return add_hook(L, false); }
static int l_every(lua_State *L) { return add_hook(L, true); }

/* ---- the sim object handed to hooks ---- */

typedef struct { fl_sim_t *s; } lsim_t;

static fl_sim_t *check_sim(lua_State *L) { return ((lsim_t *)luaL_checkudata(L, 1, "fl.sim"))->s; }

static void set_num(lua_State *L, const char *k, double v) {
  if (v == floor(v) && fabs(v) < 9e15) lua_pushinteger(L, (lua_Integer)v); else lua_pushnumber(L, v);
  lua_setfield(L, -2, k);
}

static int sim_stats(lua_State *L) {
  fl_sim_t *s = check_sim(L);
  const char *name = luaL_checkstring(L, 2);
  fl_live_stats_t st;
  fl_service_t *svc = fl_model_find_service(s->m, name);
  int j = -1;
  for (int k = 0; !svc && k < s->m->njourneys; k++) if (strcmp(s->m->journeys[k].name, name) == 0) j = k;
  if (svc) fl_sim_service_stats(s, svc->id, &st);
  else if (j >= 0) fl_sim_journey_stats(s, j, &st);
  else return luaL_error(L, "sim:stats: no service or journey named '%s'", name);
  uint64_t done = st.c.successes + st.c.degraded + st.c.failures;
  lua_newtable(L);
  set_num(L, "arrivals", (double)st.c.arrivals);
  set_num(L, "successes", (double)st.c.successes);
  set_num(L, "degraded", (double)st.c.degraded);
  set_num(L, "failures", (double)st.c.failures);
  set_num(L, "error_ratio", done ? (double)st.c.failures / (double)done : 0);
  set_num(L, "p50", st.p50);
  set_num(L, "p99", st.p99);
  if (svc) {
    set_num(L, "utilization", st.utilization);
    set_num(L, "busy", st.busy);
    set_num(L, "queue", st.queue);
    set_num(L, "instances", st.instances);
    set_num(L, "desired", st.desired);
  }
  lua_pushstring(L, fl_health_name(st.health));
  lua_setfield(L, -2, "health");
  return 1;
}

static int sim_inject(lua_State *L) {
  fl_sim_t *s = check_sim(L);
  lua_remove(L, 1);          /* the fault table is now at 1, as read_fault expects */
  fl_fault_t ft;
  read_fault(L, s->m, &ft, true);
  if (!field(L, 1, "at")) ft.at = fl_time_to_sec(s->eng.now);
  else lua_pop(L, 1);
  ft.target = fl_model_find_service(s->m, ft.target_name);
  if (!ft.target) return luaL_error(L, "sim:inject: unknown service '%s'", ft.target_name);
  if (ft.from_name && !(ft.from = fl_model_find_service(s->m, ft.from_name)))
    return luaL_error(L, "sim:inject: unknown service '%s'", ft.from_name);
  if (ft.instances > ft.target->instances) return luaL_error(L, "sim:inject: %s has %d instances", ft.target->name, ft.target->instances);
  if (fl_sim_inject(s, &ft) < 0) return luaL_error(L, "sim:inject: too many faults injected");
  return 0;
}

static int sim_heal(lua_State *L) {
  fl_sim_t *s = check_sim(L);
  const char *name = luaL_checkstring(L, 2);
  lua_pushboolean(L, fl_sim_heal(s, name) == 0);
  return 1;
}

static int sim_scale(lua_State *L) {
  fl_sim_t *s = check_sim(L);
  const char *name = luaL_checkstring(L, 2);
  lua_Integer n = luaL_checkinteger(L, 3);
  fl_service_t *svc = fl_model_find_service(s->m, name);
  if (!svc) return luaL_error(L, "sim:scale: unknown service '%s'", name);
  if (n < 0 || fl_sim_scale(s, svc->id, (int)n, "scaled by a hook") != 0)
    return luaL_error(L, "sim:scale: %s can run 0 to %d instances, not %d", name, s->svc[svc->id].cap, (int)n);
  return 0;
}

static int sim_set(lua_State *L) {
  fl_sim_t *s = check_sim(L);
  const char *path = luaL_checkstring(L, 2);
  const char *value = luaL_tolstring(L, 3, NULL);
  size_t pl = strlen(path);
  if (pl > 10 && strcmp(path + pl - 10, ".instances") == 0) {
    lua_pushfstring(L, "%s", path);
    char *svcname = (char *)lua_tostring(L, -1);   /* a copy we may cut */
    svcname[pl - 10] = 0;
    lua_pushvalue(L, 1); lua_pushstring(L, svcname); lua_pushvalue(L, 3);
    lua_replace(L, 3); lua_replace(L, 2); lua_replace(L, 1);
    lua_settop(L, 3);
    return sim_scale(L);
  }
  char buf[1024], err[512];
  snprintf(buf, sizeof buf, "%s=%s", path, value);
  if (fl_model_set(s->m, buf, err, sizeof err) != 0) return luaL_error(L, "sim:set: %s", err);
  if (strncmp(path, "traffic.", 8) == 0) fl_sim_traffic_changed(s);
  return 0;
}

static int sim_log(lua_State *L) {
  fl_sim_t *s = check_sim(L);
  fl_sim_log(s, luaL_checkstring(L, 2));
  return 0;
}

static int sim_index(lua_State *L) {
  fl_sim_t *s = check_sim(L);
  const char *k = luaL_checkstring(L, 2);
  if (strcmp(k, "now") == 0) { lua_pushnumber(L, fl_time_to_sec(s->eng.now)); return 1; }
  luaL_getmetatable(L, "fl.sim");
  lua_getfield(L, -1, "methods");
  lua_getfield(L, -1, k);
  return 1;
}

/* Runs hook i with a fresh sim object; a Lua error stops the run with its file:line. */
static int run_hook(fl_model_t *m, fl_sim_t *s, int i, char *err, size_t n) {
  loader_t *ld = m->lua;
  lua_State *L = ld->L;
  ld->instructions = 0;
  ld->t_start = 0;
  lua_settop(L, 0);
  lua_pushcfunction(L, msgh);
  lua_rawgeti(L, LUA_REGISTRYINDEX, m->hooks[i].ref);
  lsim_t *u = lua_newuserdatauv(L, sizeof *u, 0);
  u->s = s;
  luaL_setmetatable(L, "fl.sim");
  if (lua_pcall(L, 1, 0, 1) != LUA_OK) {
    const char *msg = lua_tostring(L, -1);
    snprintf(err, n, "%s (in the hook of %s:%d)", msg ? msg : "error", m->hooks[i].file, m->hooks[i].line);
    lua_settop(L, 0);
    return -FL_ESCENARIO;
  }
  lua_settop(L, 0);
  return 0;
}

/* In the sandbox, include and trace read only plain files: no symbolic link on the way (one could
** lead to ~/.ssh or /etc/passwd, which an error message would then quote) and no FIFO or device
** (one could block forever). A missing file is left for the open to report. */
static void check_include_path(lua_State *L, const loader_t *ld, const char *what, const char *rel) {
  char path[PATH_MAX * 2];
  struct stat st;
  size_t n = (size_t)snprintf(path, sizeof path, "%s/", ld->dir);
  for (const char *p = rel; n < sizeof path; p++) {
    if (*p != '/' && *p) { path[n++] = *p; continue; }
    path[n] = 0;
    if (lstat(path, &st) != 0) return;
    if (S_ISLNK(st.st_mode))
      luaL_error(L, "%s \"%s\": %s is a symbolic link (the sandbox reads only plain files under the scenario's folder; --unsafe lifts this)", what, rel, path);
    if (!*p) {
      if (!S_ISREG(st.st_mode)) luaL_error(L, "%s \"%s\": %s is not a regular file", what, rel, path);
      return;
    }
    path[n++] = '/';
  }
}

/* include "relative/path.lua": runs another file of the scenario's folder in the same globals. */
static int l_include(lua_State *L) {
  loader_t *ld = getloader(L);
  const char *rel = luaL_checkstring(L, 1);
  if (!ld->opts->unsafe && (rel[0] == '/' || strstr(rel, "..")))
    luaL_error(L, "include \"%s\": only files under the scenario's folder may be included (no absolute paths or '..'; --unsafe lifts this)", rel);
  if (ld->depth >= MAX_INCLUDE_DEPTH) luaL_error(L, "include \"%s\": includes nested more than %d deep", rel, MAX_INCLUDE_DEPTH);
  if (++ld->includes > MAX_INCLUDES) luaL_error(L, "include \"%s\": more than %d includes (an include inside a loop?)", rel, MAX_INCLUDES);
  char path[PATH_MAX * 2];
  if (rel[0] == '/') snprintf(path, sizeof path, "%s", rel);
  else snprintf(path, sizeof path, "%s/%s", ld->dir, rel);
  if (!ld->opts->unsafe) check_include_path(L, ld, "include", rel);
  if (luaL_loadfilex(L, path, "t") != LUA_OK) {
    const char *msg = lua_tostring(L, -1);
    if (strstr(msg, "cannot open")) luaL_error(L, "include \"%s\": cannot open %s", rel, path);
    if (!strchr(msg, ':')) luaL_error(L, "include \"%s\": %s: %s", rel, path, msg);   /* e.g. a binary chunk */
    return lua_error(L);
  }
  ld->depth++;
  int st = lua_pcall(L, 0, 0, 0);   /* so that a pcall(include, ...) that failed leaves depth right */
  ld->depth--;
  return st == LUA_OK ? 0 : lua_error(L);
}

/* ---- the sandbox ---- */

static void count_hook(lua_State *L, lua_Debug *ar);

static void *lua_alloc_capped(void *ud, void *ptr, size_t osize, size_t nsize) {
  loader_t *ld = ud;
  size_t old = ptr ? osize : 0;
  if (nsize == 0) { ld->mem -= old; free(ptr); return NULL; }
  /* the model built so far counts too: call "x" in a loop fills the arena, not Lua's heap */
  size_t model = ld->m && ld->m->arena ? ((const blk_t *)ld->m->arena)->total : 0;
  if (nsize > old && ld->mem + model + (nsize - old) > MAX_LUA_MEMORY) { ld->mem_exceeded = true; return NULL; }
  void *p = realloc(ptr, nsize);
  if (p) { ld->mem = ld->mem - old + nsize; if (ld->mem > ld->mem_peak) ld->mem_peak = ld->mem; }
  if (p && ld->L && !ld->line_hook && ld->mem + model > MAX_LUA_MEMORY / 2) {
    /* a runaway script: follow it line by line, so that running out can name its line
    ** (lua_sethook is safe anywhere; it only touches the hook fields and call infos) */
    ld->line_hook = true;
    lua_sethook(ld->L, count_hook, LUA_MASKCOUNT | LUA_MASKLINE, lua_gethookcount(ld->L));
  }
  return p;
}

static void count_hook(lua_State *L, lua_Debug *ar) {
  loader_t *ld = NULL;
  lua_getallocf(L, (void **)&ld);
  if (ar->event != LUA_HOOKCOUNT) {   /* a new line, past half the memory cap: note where */
    if (lua_getinfo(L, "Sl", ar) && ar->currentline > 0) {
      snprintf(ld->hook_src, sizeof ld->hook_src, "%s", ar->short_src);
      ld->hook_line = ar->currentline;
    }
    return;
  }
  int every = lua_gethookcount(L);
  ld->instructions += every;
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  double now = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
  if (ld->t_start == 0) ld->t_start = ld->t_last = now;
  bool too_many = ld->instructions > MAX_INSTRUCTIONS, too_long = now - ld->t_start > MAX_LUA_SECONDS;
  /* Every instruction is counted (a) from a stop on, so that each fails and no pcall, xpcall or
  ** __gc can swallow the stop and loop on, and (b) while instructions are slow (each copying or
  ** comparing strings of megabytes), so that the time limit is seen within one of them. */
  int want = too_many || too_long || now - ld->t_last > 0.1 ? 1 : HOOK_EVERY;
  ld->t_last = now;
  if (want != every) lua_sethook(L, count_hook, lua_gethookmask(L), want);
  if (too_many || too_long) {
    /* not luaL_error: its position would be the caller's (level 1), not the loop's */
    if (lua_getinfo(L, "Sl", ar) && ar->currentline > 0) lua_pushfstring(L, "%s:%d: ", ar->short_src, ar->currentline);
    else lua_pushliteral(L, "");
    if (too_many) lua_pushfstring(L, "the scenario ran for more than %I Lua instructions (an endless loop?)", (lua_Integer)MAX_INSTRUCTIONS);
    else lua_pushfstring(L, "the scenario ran for more than %d seconds (an endless loop over huge strings?)", (int)MAX_LUA_SECONDS);
    lua_concat(L, 2);
    lua_error(L);
  }
}

/* Named profiles with the documented defaults of the systems people run. Used as
** `breaker = profile.resilience4j`, `retry = profile.envoy`, `outlier = profile.envoy`, and with
** overrides: `retry = profile.envoy { retries = 3 }`. */
static const char profiles_lua[] =
  "local function P(name, t)\n"
  "  t.__profile = name\n"
  "  return setmetatable(t, { __call = function(self, over)\n"
  "    local c = {} for k, v in pairs(self) do c[k] = v end\n"
  "    local o = {} for k, v in pairs(self.__over or {}) do o[k] = v end\n"
  "    for k, v in pairs(over or {}) do\n"
  "      if type(v) == 'table' and type(o[k]) == 'table' then\n"
  "        local t = {} for a, b in pairs(o[k]) do t[a] = b end for a, b in pairs(v) do t[a] = b end o[k] = t\n"
  "      else o[k] = v end\n"
  "    end\n"
  "    c.__over = o\n"
  "    return setmetatable(c, getmetatable(self)) end })\n"
  "end\n"
  "profile = {\n"
  /* Resilience4j CircuitBreakerConfig and RetryConfig defaults (resilience4j.readme.io):
  ** failureRateThreshold 50, slidingWindowSize 100, minimumNumberOfCalls 100, waitDurationInOpenState
  ** 60 s, permittedNumberOfCallsInHalfOpenState 10; Retry maxAttempts 3, waitDuration 500 ms. */
  "  resilience4j = P('resilience4j', {\n"
  "    breaker = { failure_rate = 0.5, window = 100, min_calls = 100, open_for = '60s', half_open_calls = 10,\n"
  "                slow_call_rate = 1.0, slow_call = '60s' },\n"
  "    retry = { attempts = 3, wait = '500ms' } }),\n"
  /* Envoy: route retry policy num_retries 1, base_interval 25 ms, max_interval 10x base, fully
  ** jittered; retry budget 20% with min_retry_concurrency 3; outlier detection consecutive_5xx 5,
  ** interval 10 s, base_ejection_time 30 s, max_ejection_percent 10 (envoyproxy.io API docs). */
  "  envoy = P('envoy', {\n"
  "    retry = { retries = 1, backoff = { base = '25ms', multiplier = 2, max = '250ms', jitter = 'full' },\n"
  "              retry_budget = { ratio = 0.2, min_per_s = 3 } },\n"
  "    outlier = { consecutive_errors = 5, interval = '10s', base_ejection = '30s', max_ejected = '10%' } }),\n"
  /* gRPC retry policy (gRFC A6 example): maxAttempts 4, initialBackoff 0.1 s, maxBackoff 1 s,
  ** backoffMultiplier 2, retryableStatusCodes UNAVAILABLE; the first retry waits random(0, initial). */
  "  grpc = P('grpc', {\n"
  "    retry = { attempts = 4, backoff = { base = '100ms', multiplier = 2, max = '1s', jitter = 'full' },\n"
  "              retry_on = { 'unavailable' } } }),\n"
  "}\n";

static void open_sandbox(lua_State *L, loader_t *ld) {
  if (ld->opts->unsafe) {
    luaL_openlibs(L);
  } else {
    static const luaL_Reg libs[] = {
      { LUA_GNAME, luaopen_base }, { LUA_STRLIBNAME, luaopen_string }, { LUA_TABLIBNAME, luaopen_table },
      { LUA_MATHLIBNAME, luaopen_math }, { NULL, NULL }
    };
    for (const luaL_Reg *l = libs; l->func; l++) { luaL_requiref(L, l->name, l->func, 1); lua_pop(L, 1); }
    static const char *const removed[] = { "dofile", "loadfile", "load", "require", "collectgarbage", NULL };
    for (int i = 0; removed[i]; i++) { lua_pushnil(L); lua_setglobal(L, removed[i]); }
    /* string.rep can build gigabytes in one call; the allocator cap catches it. */
  }
  static const luaL_Reg fns[] = {
    { "scenario", l_scenario }, { "service", l_service }, { "call", l_call }, { "parallel", l_parallel },
    { "const", l_const }, { "exp", l_exp }, { "lognormal", l_lognormal }, { "gamma", l_gamma },
    { "uniform", l_uniform }, { "percentiles", l_percentiles },
    { "traffic", l_traffic }, { "surge", l_surge }, { "diurnal", l_diurnal }, { "flash", l_flash }, { "trace", l_trace }, { "piecewise", l_piecewise }, { "include", l_include },
    { "fault", l_fault }, { "expect", l_expect }, { "at", l_at }, { "every", l_every },
    { NULL, NULL }
  };
  lua_pushglobaltable(L);
  lua_pushlightuserdata(L, ld);
  luaL_setfuncs(L, fns, 1);
  lua_pop(L, 1);
  /* exp shadows nothing in the globals, but math.exp stays math.exp */
  luaL_newmetatable(L, "fl.dist"); lua_pop(L, 1);
  luaL_newmetatable(L, "fl.profile");
  lua_pushlightuserdata(L, ld); lua_pushcclosure(L, l_profile_add, 1); lua_setfield(L, -2, "__add");
  lua_pushlightuserdata(L, ld); lua_pushcclosure(L, l_profile_mul, 1); lua_setfield(L, -2, "__mul");
  lua_pop(L, 1);
  luaL_newmetatable(L, "fl.parallel"); lua_pop(L, 1);
  luaL_newmetatable(L, "fl.sim");
  static const luaL_Reg sim_methods[] = {
    { "stats", sim_stats }, { "inject", sim_inject }, { "heal", sim_heal }, { "scale", sim_scale },
    { "set", sim_set }, { "log", sim_log }, { NULL, NULL }
  };
  luaL_newlib(L, sim_methods);
  lua_setfield(L, -2, "methods");
  lua_pushcfunction(L, sim_index);
  lua_setfield(L, -2, "__index");
  lua_pop(L, 1);
  luaL_newmetatable(L, "fl.call");
  lua_pushcfunction(L, l_call_options);
  lua_setfield(L, -2, "__call");
  lua_pop(L, 1);
  lua_pushinteger(L, (lua_Integer)ld->m->seed);
  lua_getglobal(L, "math");
  lua_getfield(L, -1, "randomseed");
  lua_pushvalue(L, -3);
  lua_call(L, 1, 0);
  lua_pop(L, 2);
  if (luaL_loadbufferx(L, profiles_lua, sizeof profiles_lua - 1, "=profiles", "t") != LUA_OK || lua_pcall(L, 0, 0, 0) != LUA_OK)
    luaL_error(L, "internal error in the profiles: %s", lua_tostring(L, -1));
  if (!ld->opts->unsafe) fl__sandbox_harden(L);
  lua_sethook(L, count_hook, LUA_MASKCOUNT, HOOK_EVERY);
}


/* ---- resolution ---- */

static int errf(char *err, size_t n, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, n, fmt, ap);
  va_end(ap);
  return -FL_ESCENARIO;
}

static int resolve_target(fl_model_t *m, fl_call_t *c, char *err, size_t n) {
  c->target = fl_model_find_endpoint(m, c->target_name);
  if (c->target) return 0;
  char svcname[256];
  const char *dot = strchr(c->target_name, '.');
  snprintf(svcname, sizeof svcname, "%.*s", dot ? (int)(dot - c->target_name) : (int)strlen(c->target_name), c->target_name);
  fl_service_t *s = fl_model_find_service(m, svcname);
  char list[512] = "";
  size_t used = 0;
  if (!s) {
    for (int i = 0; i < m->nservices && used < sizeof list - 64; i++)
      used += (size_t)snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "", m->services[i].name);
    return errf(err, n, "%s:%d: call to unknown service '%s' (known services: %s)", c->file, c->line, svcname, list);
  }
  for (int i = 0; i < s->nendpoints && used < sizeof list - 64; i++)
    used += (size_t)snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "", s->endpoints[i].name);
  if (!dot) return errf(err, n, "%s:%d: call \"%s\": service '%s' has several endpoints, name one (%s)", c->file, c->line, c->target_name, svcname, list);
  return errf(err, n, "%s:%d: call to unknown endpoint '%s' of service '%s' (its endpoints: %s)", c->file, c->line, dot + 1, svcname, list);
}

/* Depth-first search for a call cycle from 'ep'; colour 0 new, 1 on the stack, 2 done. Not
** recursive: a chain of 100000 calls must not overflow the C stack. 'stack' has room for two
** entries per endpoint: the path, and at next[d] the next call to follow at depth d. */
static int find_cycle(fl_model_t *m, fl_endpoint_t **byid, fl_endpoint_t *ep, char *colour, int *stack, int depth, char *err, size_t n) {
  int *next = stack + m->nendpoints + 1;
  colour[ep->id] = 1;
  stack[depth] = ep->id;
  next[depth] = 0;
  while (depth >= 0) {
    ep = byid[stack[depth]];
    if (next[depth] == ep->ncalls) { colour[ep->id] = 2; depth--; continue; }
    int i = next[depth]++;
    fl_endpoint_t *t = ep->calls[i].target;
    if (colour[t->id] == 1) {
      int w = snprintf(err, n, "%s:%d: call cycle: ", ep->calls[i].file, ep->calls[i].line);
      int k = depth;
      while (stack[k] != t->id) k--;
      for (; k <= depth && w < (int)n; k++) w += snprintf(err + w, n - (size_t)w, "%s -> ", byid[stack[k]]->full_name);
      if (w < (int)n) snprintf(err + w, n - (size_t)w, "%s (a request would call itself forever)", t->full_name);
      return -FL_ESCENARIO;
    }
    if (colour[t->id] == 0) {
      colour[t->id] = 1;
      depth++;
      stack[depth] = t->id;
      next[depth] = 0;
    }
  }
  return 0;
}

/* What fl_sim_init will allocate for statistics, in bytes (an estimate that follows its layout):
** two latency histograms per service and journey, one per expectation, three per fault and
** journey (before, during, after); per window, each service's and journey's series. */
static double run_stats_bytes(const fl_model_t *m, double windows) {
  double hists = 2.0 * (m->nservices + m->njourneys) + m->nexpects + 3.0 * m->nfaults * m->njourneys;
  double per_window = (double)m->nservices * (FL_SER__COUNT + FL_CAUSE__COUNT) + (double)m->njourneys * (FL_SER_JOURNEY_COUNT + FL_CAUSE__COUNT);
  for (int i = 0; i < m->nservices; i++)
    for (int k = 0; k < m->services[i].nendpoints; k++) per_window += 2.0 * m->services[i].endpoints[k].ncalls;
  return hists * sizeof(fl_hist_t) + windows * per_window * sizeof(double);
}

int fl_model_resolve(fl_model_t *m, char *err, size_t n) {
  /* checked here rather than per --set, so that overrides may come in any order */
  if (m->warmup >= m->duration)
    return errf(err, n, "%s:1: the warm-up (%gs) must be shorter than the duration (%gs)", m->file, m->warmup, m->duration);
  if (m->nservices == 0) return errf(err, n, "%s:1: no services (expected at least one service \"name\" { ... })", m->file);
  if (!m->has_traffic) return errf(err, n, "%s:1: no traffic (expected traffic { rate = ..., mix = { ... } })", m->file);
  /* scenario { ... }'s own checks once more: a script may have caught their errors with pcall */
  if (!(m->duration > 0 && m->duration <= MAX_SECONDS) || !(m->window >= 0.001) || !(m->warmup >= 0 && m->warmup < m->duration))
    return errf(err, n, "%s:1: scenario: needs 0 < duration <= 1000000000s, window >= 1ms and 0 <= warmup < duration (got %gs, %gs, %gs)",
                m->file, m->duration, m->window, m->warmup);
  double peak = fl_profile_max(&m->rate, 0, m->duration);   /* products and sums of profiles too */
  if (!(peak <= MAX_RATE))
    return errf(err, n, "%s:%d: traffic: the rate reaches %g per second (at most 1000000000)", m->traffic_file, m->traffic_line, peak);
  double windows = ceil(m->duration / m->window), bytes = run_stats_bytes(m, windows);
  if (bytes > MAX_RUN_STATS)
    return errf(err, n, "%s:1: scenario: the run would keep about %.1f GiB of statistics (%d services, %d journeys, %d faults "
                "with three latency histograms per journey each, %.0f windows of series; at most %.0f GiB): use a longer window, "
                "fewer journeys or fewer faults", m->file, bytes / (1 << 30), m->nservices, m->njourneys, m->nfaults, windows,
                MAX_RUN_STATS / (1 << 30));
  int id = 0;
  for (int i = 0; i < m->nservices; i++) {
    fl_service_t *s = &m->services[i];
    s->id = i;
    for (int k = 0; k < s->nendpoints; k++) {
      fl_endpoint_t *ep = &s->endpoints[k];
      ep->service = s;
      ep->id = id++;
      if (!ep->full_name) {
        size_t len = strlen(s->name) + strlen(ep->name) + 2;
        ep->full_name = aalloc(m, len);
        snprintf(ep->full_name, len, "%s.%s", s->name, ep->name);
      }
    }
  }
  m->nendpoints = id;
  for (int i = 0; i < m->nservices; i++)
    for (int k = 0; k < m->services[i].nendpoints; k++) {
      fl_endpoint_t *ep = &m->services[i].endpoints[k];
      for (int c = 0; c < ep->ncalls; c++) {
        int rc = resolve_target(m, &ep->calls[c], err, n);
        if (rc) return rc;
      }
    }
  for (int i = 0; i < m->nservices; i++) {
    fl_service_t *s = &m->services[i];
    if (!s->broker) continue;
    s->consumers = aalloc(m, sizeof *s->consumers * (size_t)s->nconsumers);
    for (int k = 0; k < s->nconsumers; k++) {
      s->consumers[k] = fl_model_find_endpoint(m, s->consumer_names[k]);
      if (!s->consumers[k]) return errf(err, n, "%s:%d: broker \"%s\": consumer '%s' is not an endpoint", s->file, s->line, s->name, s->consumer_names[k]);
      if (s->consumers[k]->service == s) return errf(err, n, "%s:%d: broker \"%s\" cannot consume its own messages", s->file, s->line, s->name);
    }
  }
  fl_endpoint_t **byid = fl_xcalloc((size_t)id, sizeof *byid);
  char *colour = fl_xcalloc((size_t)id, 1);
  int *stack = fl_xcalloc(2 * ((size_t)id + 1), sizeof *stack);   /* the path, then find_cycle's next[] */
  for (int i = 0; i < m->nservices; i++)
    for (int k = 0; k < m->services[i].nendpoints; k++) byid[m->services[i].endpoints[k].id] = &m->services[i].endpoints[k];
  int rc = 0;
  for (int e = 0; e < id && !rc; e++)
    if (!colour[e]) rc = find_cycle(m, byid, byid[e], colour, stack, 0, err, n);
  free(byid); free(colour); free(stack);
  if (rc) return rc;
  double sum = 0;
  for (int j = 0; j < m->njourneys; j++) {
    fl_journey_t *jr = &m->journeys[j];
    if (jr->nsteps == 0) {
      jr->nsteps = 1;
      jr->step_names = aalloc(m, sizeof *jr->step_names);
      jr->step_names[0] = jr->name;
      jr->cont = aalloc(m, sizeof *jr->cont);
      jr->cont[0] = 1;
      jr->entry = fl_model_find_endpoint(m, jr->name);
      if (!jr->entry) return errf(err, n, "%s:%d: traffic: mix names '%s', which is not an endpoint (expected \"service.endpoint\", a service with one endpoint, or a journey of traffic.journeys)",
                                  jr->file, jr->line, jr->name);
    }
    jr->steps = aalloc(m, sizeof *jr->steps * (size_t)jr->nsteps);
    for (int k = 0; k < jr->nsteps; k++) {
      jr->steps[k] = fl_model_find_endpoint(m, jr->step_names[k]);
      if (!jr->steps[k]) return errf(err, n, "%s:%d: traffic: journey '%s': step '%s' is not an endpoint", jr->file, jr->line, jr->name, jr->step_names[k]);
    }
    jr->entry = jr->steps[0];
    sum += jr->share;
  }
  if (fabs(sum - 1) > 1e-6)
    return errf(err, n, "%s:%d: traffic: mix shares sum to %g (expected 1)", m->traffic_file, m->traffic_line, sum);
  for (int i = 0; i < m->nfaults; i++) {
    fl_fault_t *ft = &m->faults[i];
    ft->target = fl_model_find_service(m, ft->target_name);
    if (!ft->target) return errf(err, n, "%s:%d: fault '%s': unknown service '%s'", ft->file, ft->line, ft->name, ft->target_name);
    if (ft->from_name) {
      ft->from = fl_model_find_service(m, ft->from_name);
      if (!ft->from) return errf(err, n, "%s:%d: fault '%s': unknown service '%s'", ft->file, ft->line, ft->name, ft->from_name);
    }
    if (ft->instances > ft->target->instances)
      return errf(err, n, "%s:%d: fault '%s': instances = %d but %s has %d", ft->file, ft->line, ft->name, ft->instances,
                  ft->target->name, ft->target->instances);
    /* a fault after the end (a run shortened by --set) never starts */
  }
  for (int i = 0; i < m->nexpects; i++) {
    fl_expect_t *x = &m->expects[i];
    if (x->subject && x->journey == -2) {
      x->journey = -1;
      x->service = fl_model_find_service(m, x->subject);
      if (!x->service) return errf(err, n, "%s:%d: expect \"%s\": unknown service '%s'", x->file, x->line, x->name, x->subject);
    } else if (x->subject) {
      for (int j = 0; j < m->njourneys; j++) if (strcmp(m->journeys[j].name, x->subject) == 0) x->journey = j;
      if (x->journey < 0) return errf(err, n, "%s:%d: expect \"%s\": '%s' is not a journey of the traffic mix", x->file, x->line, x->name, x->subject);
    }
    if (x->no_cascade_from) {
      x->no_cascade = fl_model_find_service(m, x->no_cascade_from);
      if (!x->no_cascade) return errf(err, n, "%s:%d: expect \"%s\": unknown service '%s'", x->file, x->line, x->name, x->no_cascade_from);
    }
    if (x->during == FL_EXPECT_FAULT) {
      for (int k = 0; k < m->nfaults; k++) if (strcmp(m->faults[k].name, x->fault_name) == 0) x->fault = k;
      if (x->fault < 0) return errf(err, n, "%s:%d: expect \"%s\": no fault named '%s'", x->file, x->line, x->name, x->fault_name);
    }
  }
  return 0;
}

/* ---- --set ---- */

static int set_err(char *err, size_t n, const char *a, const char *fmt, ...) {
  int w = snprintf(err, n, "--set %s: ", a);
  va_list ap;
  va_start(ap, fmt);
  if (w < (int)n) vsnprintf(err + w, n - (size_t)w, fmt, ap);
  va_end(ap);
  return -FL_EINVAL;
}

static int num(const char *v, double *out) {
  char *end;
  errno = 0;
  double d = strtod(v, &end);
  if (end == v || *end || errno || !isfinite(d)) return -1;
  *out = d;
  return 0;
}

static int set_count(const char *a, const char *v, long long min, long long max, long long *out, char *err, size_t n) {
  double d;
  if (num(v, &d) || d != floor(d) || d < (double)min || d > (double)max)
    return set_err(err, n, a, "expected a whole number from %lld to %lld, got '%s'", min, max, v);
  *out = (long long)d;
  return 0;
}

static int set_duration(const char *a, const char *v, double *out, char *err, size_t n) {
  if (fl_parse_duration(v, out)) return set_err(err, n, a, "expected a duration such as 100ms, got '%s'", v);
  if (*out > MAX_SECONDS) return set_err(err, n, a, "'%s' is more than 1000000000s (about 31 years)", v);
  return 0;
}

static int set_rate(const char *a, const char *v, double *out, char *err, size_t n) {
  if (fl_parse_rate(v, out)) return set_err(err, n, a, "expected a rate such as 2000/s, got '%s'", v);
  if (*out > MAX_RATE) return set_err(err, n, a, "'%s' is more than 1000000000 per second", v);
  return 0;
}

static int set_fraction(const char *a, const char *v, double *out, char *err, size_t n) {
  if (fl_parse_fraction(v, out)) return set_err(err, n, a, "expected a share such as 0.5 or 50%%, got '%s'", v);
  return 0;
}

static int set_bool(const char *a, const char *v, bool *out, char *err, size_t n) {
  if (strcmp(v, "true") == 0) *out = true;
  else if (strcmp(v, "false") == 0) *out = false;
  else return set_err(err, n, a, "expected true or false, got '%s'", v);
  return 0;
}

static void breaker_defaults(fl_breaker_cfg_t *b) {
  if (b->on) return;
  /* as read_breaker: Resilience4j's defaults */
  b->on = true; b->failure_rate = 0.5; b->slow_call_rate = 1.0; b->slow_call = 60 * FL_SEC;
  b->window = 100; b->min_calls = 100; b->open_for = 60 * FL_SEC; b->half_open_calls = 10;
}

/* The policy fields of a call for --set. Returns 0 when set, 1 when 'key' is not one, or an error. */
static int set_policy(fl_call_t *c, const char *key, const char *a, const char *v, char *err, size_t n) {
  double d; long long ll; int rc;
  if (strcmp(key, "retries") == 0) { if ((rc = set_count(a, v, 0, 100, &ll, err, n))) return rc; c->retries = (int)ll; return 0; }
  if (strcmp(key, "backoff.base") == 0) { if ((rc = set_duration(a, v, &d, err, n))) return rc; c->backoff_base = fl_sec_to_time(d); return 0; }
  if (strcmp(key, "backoff.max") == 0) { if ((rc = set_duration(a, v, &d, err, n))) return rc; c->backoff_max = fl_sec_to_time(d); return 0; }
  if (strcmp(key, "backoff.multiplier") == 0) {
    if (num(v, &d) || d < 1) return set_err(err, n, a, "expected a number of at least 1");
    c->backoff_mult = d; return 0;
  }
  if (strcmp(key, "backoff.jitter") == 0) {
    if (strcmp(v, "none") == 0) c->jitter = FL_JITTER_NONE;
    else if (strcmp(v, "full") == 0) c->jitter = FL_JITTER_FULL;
    else if (strcmp(v, "equal") == 0) c->jitter = FL_JITTER_EQUAL;
    else return set_err(err, n, a, "expected none, full or equal");
    return 0;
  }
  if (strcmp(key, "retry_budget.ratio") == 0 || strcmp(key, "retry_budget.min_per_s") == 0) {
    if (c->budget_ratio <= 0) { c->budget_ratio = 0.2; c->budget_min = 10; }
    if (key[13] == 'r') { if ((rc = set_fraction(a, v, &d, err, n))) return rc; c->budget_ratio = d > 0 ? d : 1e-12; }
    else { if ((rc = set_rate(a, v, &d, err, n))) return rc; c->budget_min = d; }
    return 0;
  }
  if (strncmp(key, "breaker.", 8) == 0) {
    const char *k = key + 8;
    fl_breaker_cfg_t *b = &c->breaker;
    if (strcmp(k, "enabled") == 0) {
      bool on = false;
      if ((rc = set_bool(a, v, &on, err, n))) return rc;
      if (on) breaker_defaults(b); else b->on = false;
      return 0;
    }
    breaker_defaults(b);
    if (strcmp(k, "failure_rate") == 0) return set_fraction(a, v, &b->failure_rate, err, n);
    if (strcmp(k, "slow_call_rate") == 0) return set_fraction(a, v, &b->slow_call_rate, err, n);
    if (strcmp(k, "slow_call") == 0) { if ((rc = set_duration(a, v, &d, err, n))) return rc; b->slow_call = fl_sec_to_time(d); return 0; }
    if (strcmp(k, "open_for") == 0) {
      if ((rc = set_duration(a, v, &d, err, n))) return rc;
      if (d <= 0) return set_err(err, n, a, "open_for must be positive");
      b->open_for = fl_sec_to_time(d); return 0;
    }
    if (strcmp(k, "window") == 0) { if ((rc = set_count(a, v, 1, 100000, &ll, err, n))) return rc; b->window = (int)ll; }
    else if (strcmp(k, "min_calls") == 0) { if ((rc = set_count(a, v, 1, 100000, &ll, err, n))) return rc; b->min_calls = (int)ll; }
    else if (strcmp(k, "half_open_calls") == 0) { if ((rc = set_count(a, v, 1, 100000, &ll, err, n))) return rc; b->half_open_calls = (int)ll; }
    else return 1;
    if (b->min_calls > b->window) b->min_calls = b->window;
    return 0;
  }
  if (strcmp(key, "bulkhead") == 0) {
    if (strcmp(v, "none") == 0 || strcmp(v, "0") == 0) { c->bulkhead = 0; return 0; }
    if ((rc = set_count(a, v, 1, 100000000, &ll, err, n))) return rc;
    c->bulkhead = (int)ll; return 0;
  }
  if (strcmp(key, "deadline") == 0) return set_bool(a, v, &c->deadline, err, n);
  if (strcmp(key, "hedge.after") == 0) {
    c->hedge.on = true; if (!c->hedge.max) c->hedge.max = 1;
    if (v[0] == 'p') {
      if (num(v + 1, &d) || !(d > 0 && d < 100)) return set_err(err, n, a, "expected a duration or a percentile such as p95");
      c->hedge.quantile = d / 100; c->hedge.after = 0; return 0;
    }
    if ((rc = set_duration(a, v, &d, err, n))) return rc;
    if (d <= 0) return set_err(err, n, a, "hedge.after must be positive");
    c->hedge.after = fl_sec_to_time(d); c->hedge.quantile = 0; return 0;
  }
  if (strcmp(key, "hedge.max") == 0) {
    if ((rc = set_count(a, v, 0, 10, &ll, err, n))) return rc;
    c->hedge.max = (int)ll; c->hedge.on = ll > 0 && (c->hedge.after > 0 || c->hedge.quantile > 0);
    return 0;
  }
  return 1;
}

static int set_call(fl_model_t *m, fl_endpoint_t *ep, const char *target, const char *key, const char *a, const char *v, char *err, size_t n) {
  int hits = 0;
  for (int i = 0; i < ep->ncalls; i++) {
    fl_call_t *c = &ep->calls[i];
    size_t tl = strlen(target);
    bool match = strcmp(c->target_name, target) == 0 ||
                 (strncmp(c->target_name, target, tl) == 0 && c->target_name[tl] == '.' && !strchr(target, '.'));
    if (!match) continue;
    hits++;
    double d;
    int rc = 0;
    if (strcmp(key, "timeout") == 0) {
      if (strcmp(v, "none") == 0 || strcmp(v, "0") == 0) c->timeout = 0;
      else if (!(rc = set_duration(a, v, &d, err, n))) c->timeout = fl_sec_to_time(d);
    } else if (strcmp(key, "optional") == 0) rc = set_bool(a, v, &c->optional, err, n);
    else if (strcmp(key, "fallback") == 0) { if (!(rc = set_duration(a, v, &d, err, n))) c->fallback = fl_sec_to_time(d); }
    else if (strcmp(key, "p") == 0) rc = set_fraction(a, v, &c->p, err, n);
    else if ((rc = set_policy(c, key, a, v, err, n)) != 1) { if (rc) return rc; }
    else return set_err(err, n, a, "unknown call field '%s' (expected timeout, optional, fallback, p, retries, "
                        "backoff.base|max|multiplier|jitter, retry_budget.ratio|min_per_s, breaker.enabled|failure_rate|"
                        "slow_call_rate|slow_call|window|min_calls|open_for|half_open_calls, bulkhead, deadline, hedge.after|max)", key);
    if (rc) return rc;
  }
  if (!hits) {
    /* before resolution ep->full_name is not set yet: find the service by hand */
    const char *svc = "?";
    for (int i = 0; i < m->nservices; i++)
      for (int k = 0; k < m->services[i].nendpoints; k++)
        if (&m->services[i].endpoints[k] == ep) svc = m->services[i].name;
    return set_err(err, n, a, "endpoint %s.%s has no call to '%s'", svc, ep->name, target);
  }
  return 0;
}

int fl_model_set(fl_model_t *m, const char *assignment, char *err, size_t n) {
  const char *a = assignment;
  const char *eq = strchr(a, '=');
  if (!eq || eq == a || !eq[1]) return set_err(err, n, a, "expected PATH=VALUE, e.g. recommend.instances=6");
  char path[512];
  if ((size_t)(eq - a) >= sizeof path) return set_err(err, n, a, "path too long");
  memcpy(path, a, (size_t)(eq - a)); path[eq - a] = 0;
  const char *v = eq + 1;
  double d; long long ll;
  int rc;
  char *dot = strchr(path, '.');
  const char *head = path, *rest = "";
  if (dot) { *dot = 0; rest = dot + 1; }

  if (strcmp(head, "scenario") == 0 || (!dot && (strcmp(head, "duration") == 0 || strcmp(head, "warmup") == 0 || strcmp(head, "window") == 0))) {
    const char *k = dot ? rest : head;
    if (strcmp(k, "duration") == 0) { if ((rc = set_duration(a, v, &d, err, n))) return rc; if (d <= 0) return set_err(err, n, a, "duration must be positive"); m->duration = d; }
    else if (strcmp(k, "warmup") == 0) { if ((rc = set_duration(a, v, &d, err, n))) return rc; m->warmup = d; }
    else if (strcmp(k, "window") == 0) { if ((rc = set_duration(a, v, &d, err, n))) return rc; if (d < 0.001) return set_err(err, n, a, "window must be at least 1ms"); m->window = d; }
    else if (strcmp(k, "name") == 0) m->name = astrdup(m, v);
    else return set_err(err, n, a, "unknown scenario field '%s' (expected duration, warmup, window, name; the seed is --seed)", k);
    return 0;
  }
  if (strcmp(head, "traffic") == 0) {
    fl_profile_t *p = &m->rate;
    if (strcmp(rest, "rate") == 0) {
      if ((rc = set_rate(a, v, &d, err, n))) return rc;
      p->kind = FL_PROFILE_CONST; p->value = d;
      return 0;
    }
    if (strncmp(rest, "rate.", 5) == 0) {
      const char *k = rest + 5;
      if (p->kind != FL_PROFILE_SURGE) return set_err(err, n, a, "traffic.rate.%s needs a surge profile (set traffic.rate to replace a constant rate)", k);
      double *rf = strcmp(k, "base") == 0 ? &p->base : strcmp(k, "peak") == 0 ? &p->peak : NULL;
      double *df = strcmp(k, "start") == 0 ? &p->start : strcmp(k, "ramp") == 0 ? &p->ramp :
                   strcmp(k, "hold") == 0 ? &p->hold : strcmp(k, "decay") == 0 ? &p->decay : NULL;
      if (rf) { if ((rc = set_rate(a, v, rf, err, n))) return rc; return 0; }
      if (df) { if ((rc = set_duration(a, v, df, err, n))) return rc; return 0; }
      return set_err(err, n, a, "unknown surge field '%s' (expected base, peak, start, ramp, hold, decay)", k);
    }
    if (strncmp(rest, "mix.", 4) == 0) {
      for (int j = 0; j < m->njourneys; j++)
        if (strcmp(m->journeys[j].name, rest + 4) == 0) return set_fraction(a, v, &m->journeys[j].share, err, n);
      return set_err(err, n, a, "no journey '%s' in the mix", rest + 4);
    }
    return set_err(err, n, a, "unknown traffic field '%s' (expected rate, rate.peak, ..., mix.NAME)", rest);
  }
  fl_service_t *s = fl_model_find_service(m, head);
  if (!s) return set_err(err, n, a, "no service or setting named '%s'", head);
  if (!dot || !*rest) return set_err(err, n, a, "expected %s.FIELD, e.g. %s.instances=4", head, head);
  if (strcmp(rest, "instances") == 0) { if ((rc = set_count(a, v, 1, 100000, &ll, err, n))) return rc; s->instances = (int)ll; return 0; }
  if (strcmp(rest, "workers") == 0) { if ((rc = set_count(a, v, 1, 1000000, &ll, err, n))) return rc; s->workers = (int)ll; return 0; }
  if (strcmp(rest, "queue") == 0) {
    if (strcmp(v, "inf") == 0 || strcmp(v, "math.huge") == 0 || strcmp(v, "unbounded") == 0) { s->queue = INT64_MAX; return 0; }
    if ((rc = set_count(a, v, 0, 1000000000, &ll, err, n))) return rc;
    s->queue = ll; return 0;
  }
  if (strcmp(rest, "blocking") == 0) return set_bool(a, v, &s->blocking, err, n);
  if (strcmp(rest, "startup") == 0) return set_duration(a, v, &s->startup, err, n);
  if (strncmp(rest, "autoscale.", 10) == 0) {
    const char *k = rest + 10;
    if (!s->autoscale.on) return set_err(err, n, a, "service '%s' has no autoscale { ... } to adjust", head);
    if (strcmp(k, "min") == 0 || strcmp(k, "max") == 0) {
      if ((rc = set_count(a, v, k[1] == 'i' ? 0 : 1, 100000, &ll, err, n))) return rc;
      if (k[1] == 'i') s->autoscale.min = (int)ll; else s->autoscale.max = (int)ll;
      if (s->autoscale.max < s->autoscale.min) return set_err(err, n, a, "autoscale.max must be at least min");
      if (s->instances > s->autoscale.max) s->instances = s->autoscale.max;
      if (s->instances < s->autoscale.min) s->instances = s->autoscale.min > 0 ? s->autoscale.min : 1;
      return 0;
    }
    if (strcmp(k, "target") == 0) {
      if (s->autoscale.metric == FL_SCALE_UTILIZATION) rc = set_fraction(a, v, &d, err, n);
      else if (s->autoscale.metric == FL_SCALE_RPS) rc = set_rate(a, v, &d, err, n);
      else rc = num(v, &d) ? set_err(err, n, a, "expected a number") : 0;
      if (rc) return rc;
      if (!(d > 0)) return set_err(err, n, a, "the target must be positive");
      s->autoscale.target = d; return 0;
    }
    if (strcmp(k, "tolerance") == 0) return set_fraction(a, v, &s->autoscale.tolerance, err, n);
    double *df = strcmp(k, "period") == 0 ? &s->autoscale.period : strcmp(k, "stabilize_down") == 0 ? &s->autoscale.stabilize_down :
                 strcmp(k, "delay") == 0 ? &s->autoscale.delay : strcmp(k, "warmup") == 0 ? &s->autoscale.warmup : NULL;
    if (!df) return set_err(err, n, a, "unknown autoscale field '%s' (expected min, max, target, tolerance, period, stabilize_down, delay, warmup)", k);
    if ((rc = set_duration(a, v, df, err, n))) return rc;
    if (s->autoscale.period < 0.001) return set_err(err, n, a, "autoscale.period must be at least 1ms");
    return 0;
  }
  if (strcmp(rest, "error_rate") == 0) return set_fraction(a, v, &s->error_rate, err, n);
  if (strcmp(rest, "slo") == 0) return set_duration(a, v, &s->slo, err, n);
  if (strcmp(rest, "balancer") == 0) {
    int lb = fl_balancer_parse(v);
    if (lb < 0) return set_err(err, n, a, "expected round_robin, random, least_outstanding or p2c");
    s->balancer = (fl_balancer_t)lb; return 0;
  }
  /* endpoints.EP.FIELD, endpoints.EP.calls.TARGET.FIELD, calls.TARGET.FIELD (default endpoint) */
  fl_endpoint_t *ep = NULL;
  char buf[512];
  snprintf(buf, sizeof buf, "%s", rest);
  char *p = buf;
  if (strncmp(p, "endpoints.", 10) == 0) {
    p += 10;
    char *d2 = strchr(p, '.');
    if (!d2) return set_err(err, n, a, "expected %s.endpoints.NAME.FIELD", head);
    *d2 = 0;
    for (int i = 0; i < s->nendpoints; i++) if (strcmp(s->endpoints[i].name, p) == 0) ep = &s->endpoints[i];
    if (!ep) return set_err(err, n, a, "service '%s' has no endpoint '%s'", head, p);
    p = d2 + 1;
  } else if (s->nendpoints == 1) {
    ep = &s->endpoints[0];
  } else {
    return set_err(err, n, a, "unknown service field '%s' (expected instances, workers, queue, blocking, error_rate, slo, balancer, endpoints.NAME...)", rest);
  }
  if (strcmp(p, "error_rate") == 0) return set_fraction(a, v, &ep->error_rate, err, n);
  if (strncmp(p, "calls.", 6) == 0) {
    /* TARGET is a call's target as written ("recommend.for_user") or its service ("recommend");
    ** the rest is the field, which may have dots itself ("breaker.open_for") */
    char *target = p + 6;
    size_t best = 0;
    for (int i = 0; i < ep->ncalls; i++) {
      const char *t = ep->calls[i].target_name;
      size_t tl = strlen(t), sl = strcspn(t, ".");
      if (strncmp(target, t, tl) == 0 && target[tl] == '.' && tl > best) best = tl;
      if (strncmp(target, t, sl) == 0 && target[sl] == '.' && sl > best) best = sl;
    }
    if (!best) {
      char *last = strrchr(target, '.');
      if (!last) return set_err(err, n, a, "expected ...calls.TARGET.FIELD");
      best = (size_t)(last - target);
    }
    target[best] = 0;
    return set_call(m, ep, target, target + best + 1, a, v, err, n);
  }
  return set_err(err, n, a, "unknown field '%s' (expected instances, workers, queue, blocking, error_rate, slo, balancer, calls.TARGET.FIELD, endpoints.NAME...)", p);
}

/* ---- loading ---- */

int fl_scenario_load(const char *path, const fl_load_opts_t *opts, fl_model_t **out, char *err, size_t errlen) {
  static const fl_load_opts_t defaults = { 0 };
  if (!opts) opts = &defaults;
  *out = NULL;
  FILE *f = fopen(path, "r");
  if (!f) { snprintf(err, errlen, "cannot open scenario '%s': %s", path, strerror(errno)); return -FL_EIO; }
  fclose(f);
  loader_t *ldp = fl_xcalloc(1, sizeof *ldp);
#define ld (*ldp)
  ld.opts = opts;
  fl_model_t *m = fl_xcalloc(1, sizeof *m);
  ld.m = m;
  m->file = astrdup(m, path);
  m->name = astrdup(m, "scenario");
  m->window = 1; m->seed = opts->has_seed ? opts->seed : 1;
  /* health thresholds: degraded at 5% failures, down at half, saturated at 98% busy, 2 windows */
  m->health.degraded_errors = 0.05; m->health.down_errors = 0.5; m->health.degraded_share = 0.5;
  m->health.saturation = 0.98; m->health.confirm = 2;
  const char *slash = strrchr(path, '/');
  if (slash) snprintf(ld.dir, sizeof ld.dir, "%.*s", (int)(slash - path), path);
  else snprintf(ld.dir, sizeof ld.dir, ".");

  lua_State *L = lua_newstate(lua_alloc_capped, &ld);
  if (!L) { fl_model_free(m); snprintf(err, errlen, "faultline: out of memory"); return -FL_ENOMEM; }
  ld.L = L;
  int rc = 0;
  lua_pushcfunction(L, msgh);
  open_sandbox(L, &ld);
  int st = luaL_loadfilex(L, path, "t");
  if (st == LUA_OK) st = lua_pcall(L, 0, 0, 1);
  if (st != LUA_OK) {
    const char *msg = lua_tostring(L, -1);
    if (ld.mem_exceeded || st == LUA_ERRMEM) {
      /* Lua gives a memory error no position: name the line the count hook saw last */
      if (ld.hook_line > 0)
        snprintf(err, errlen, "%s:%d: the scenario used more than %u MiB of memory (a runaway table or string?)",
                 ld.hook_src, ld.hook_line, MAX_LUA_MEMORY >> 20);
      else
        snprintf(err, errlen, "%s: the scenario used more than %u MiB of memory (a runaway table or string?)", path, MAX_LUA_MEMORY >> 20);
    } else {
      /* a message with no position (the parser's "C stack overflow", error("x", 0)) gets the file */
      if (msg && !strchr(msg, ':')) snprintf(err, errlen, "%s: %s", path, msg);
      else snprintf(err, errlen, "%s", msg ? msg : "unknown error");
    }
    rc = -FL_ESCENARIO;
  } else if (!ld.seen_scenario) {
    snprintf(err, errlen, "%s:1: no scenario { duration = ... } (expected e.g. scenario { name = \"shop\", duration = \"1h\" })", path);
    rc = -FL_ESCENARIO;
  }
  ld.sealed = true;
  if (rc == 0 && m->nhooks > 0) {
    /* hooks run during the simulation: the state lives on with the model */
    static const fl_load_opts_t kept = { 0 };
    ld.opts = &kept;
    ld.depth = 0;
    m->lua = ldp;
    m->run_hook = run_hook;
  } else {
    lua_close(L);
    free(ldp);
  }
#undef ld
  for (int i = 0; rc == 0 && i < opts->nsets; i++)
    if (fl_model_set(m, opts->sets[i], err, errlen)) rc = -FL_EINVAL;
  if (rc == 0 && (rc = fl_model_resolve(m, err, errlen)) != 0 && opts->nsets > 0) {
    /* the script alone may be fine: say that the overrides took part */
    size_t used = strlen(err);
    if (used + 1 < errlen) snprintf(err + used, errlen - used, " (after --set %s%s)", opts->sets[0], opts->nsets > 1 ? ", ..." : "");
  }
  if (rc) { fl_model_free(m); return rc; }
  *out = m;
  return 0;
}
