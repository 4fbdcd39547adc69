/* Calls in the scenario language: call "svc.ep" { options } ("fl.call") and its resilience
** policies (timeout, retries and backoff, retry budget, circuit breaker, bulkhead, deadline, hedge,
** cache, async), parallel groups ("fl.parallel"), an endpoint's list of steps, and the named policy
** profiles (profile.envoy, profile.resilience4j, profile.grpc). */
#include "lang_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct { fl_call_t c; } lcall_t;
typedef struct { int n; fl_call_t calls[]; } lpar_t;

int fl__lua_call(lua_State *L) {
  loader_t *ld = fl__getloader(L);
  const char *target = luaL_checkstring(L, 1);
  lcall_t *u = lua_newuserdatauv(L, sizeof *u, 0);
  memset(u, 0, sizeof *u);
  u->c.target_name = fl__model_strdup(ld->m, target);
  fl__call_defaults(&u->c);
  fl__where(L, ld->m, &u->c.file, &u->c.line);
  luaL_setmetatable(L, "fl.call");
  return 1;
}

/* call "x" { options }: sets the options and returns the same call. */
/* ---- resilience policies ---- */

/* Pushes the policy table for 'kind' ("breaker", "retry", "outlier") from the value at 'idx':
** a plain table, or a named profile (profile.envoy) holding one per kind, with its overrides
** (profile.envoy { retries = 5 }) applied on top. Raises an error when there is none. */
int fl__push_policy(lua_State *L, int idx, const char *kind, const char *ctx) {
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
    int k = fl_cause_parse(c);
    if (k <= 0 || k == FL_CAUSE_BREAKER_OPEN || k == FL_CAUSE_DEADLINE)
      luaL_error(L, "%s: retry_on: '%s' cannot be retried (expected timeout, unavailable, rejected, error)", ctx, c ? c : "?");
    mask |= 1u << k;
    lua_pop(L, 1);
  }
  return mask;
}

static void read_backoff(lua_State *L, int t, fl_call_t *c, const char *ctx) {
  static const char *const f[] = { "base", "multiplier", "max", "jitter", NULL };
  fl__check_fields(L, t, ctx, f);
  if (fl__field(L, t, "base")) { c->backoff_base = fl_sec_to_time(fl__read_duration(L, -1, ctx, "backoff.base")); lua_pop(L, 1); }
  if (fl__field(L, t, "multiplier")) {
    if (!lua_isnumber(L, -1) || lua_tonumber(L, -1) < FL_MIN_BACKOFF_MULT) luaL_error(L, "%s: backoff.multiplier must be a number of at least 1", ctx);
    c->backoff_mult = lua_tonumber(L, -1); lua_pop(L, 1);
  }
  if (fl__field(L, t, "max")) { c->backoff_max = fl_sec_to_time(fl__read_duration(L, -1, ctx, "backoff.max")); lua_pop(L, 1); }
  if (fl__field(L, t, "jitter")) {
    int j = fl_jitter_parse(lua_tostring(L, -1));
    if (j < 0) luaL_error(L, "%s: backoff.jitter must be \"none\", \"full\" or \"equal\"", ctx);
    c->jitter = (fl_jitter_t)j;
    lua_pop(L, 1);
  }
}

static void read_budget(lua_State *L, int t, fl_call_t *c, const char *ctx) {
  if (!lua_istable(L, t)) luaL_error(L, "%s: retry_budget must be a table { ratio = 0.2, min_per_s = 10 }", ctx);
  static const char *const f[] = { "ratio", "min_per_s", NULL };
  fl__check_fields(L, t, ctx, f);
  fl__budget_defaults(c);
  if (fl__field(L, t, "ratio")) { c->budget_ratio = fl__read_fraction(L, -1, ctx, "retry_budget.ratio"); lua_pop(L, 1); }
  if (fl__field(L, t, "min_per_s")) { c->budget_min = fl__read_rate(L, -1, ctx, "retry_budget.min_per_s"); lua_pop(L, 1); }
  if (c->budget_ratio <= 0 && c->budget_min <= 0) luaL_error(L, "%s: retry_budget allows no retry at all", ctx);
  c->budget_ratio = fl__budget_ratio(c->budget_ratio);
}

/* retries, backoff, retry_on, retry_budget: at the call's top level or inside retry = { ... }. */
static void read_retry_fields(lua_State *L, int t, fl_call_t *c, const char *ctx) {
  if (fl__field(L, t, "retries")) { c->retries = (int)fl__read_count(L, -1, ctx, "retries", 0, FL_MAX_RETRIES); lua_pop(L, 1); }
  if (fl__field(L, t, "attempts")) { c->retries = (int)fl__read_count(L, -1, ctx, "attempts", 1, FL_MAX_RETRIES + 1) - 1; lua_pop(L, 1); }
  if (fl__field(L, t, "wait")) {
    c->backoff_base = c->backoff_max = fl_sec_to_time(fl__read_duration(L, -1, ctx, "wait"));
    c->backoff_mult = 1; lua_pop(L, 1);
  }
  if (fl__field(L, t, "backoff")) {
    if (!lua_istable(L, -1)) luaL_error(L, "%s: backoff must be a table { base = \"50ms\", max = \"1s\", jitter = \"full\" }", ctx);
    read_backoff(L, lua_gettop(L), c, ctx); lua_pop(L, 1);
  }
  if (fl__field(L, t, "retry_on")) { c->retry_on = read_causes(L, lua_gettop(L), ctx); lua_pop(L, 1); }
  if (fl__field(L, t, "retry_budget")) { read_budget(L, lua_gettop(L), c, ctx); lua_pop(L, 1); }
  if (fl__field(L, t, "budget")) { read_budget(L, lua_gettop(L), c, ctx); lua_pop(L, 1); }
}

static void read_breaker(lua_State *L, int t, fl_breaker_cfg_t *b, const char *ctx) {
  static const char *const f[] = { "failure_rate", "slow_call_rate", "slow_call", "window", "min_calls", "open_for",
                                   "half_open_calls", NULL };
  fl__check_fields(L, t, ctx, f);
  fl__breaker_defaults(b);
  if (fl__field(L, t, "failure_rate")) { b->failure_rate = fl__read_fraction(L, -1, ctx, "breaker.failure_rate"); lua_pop(L, 1); }
  if (fl__field(L, t, "slow_call_rate")) { b->slow_call_rate = fl__read_fraction(L, -1, ctx, "breaker.slow_call_rate"); lua_pop(L, 1); }
  if (fl__field(L, t, "slow_call")) { b->slow_call = fl_sec_to_time(fl__read_duration(L, -1, ctx, "breaker.slow_call")); lua_pop(L, 1); }
  if (fl__field(L, t, "window")) { b->window = (int)fl__read_count(L, -1, ctx, "breaker.window", 1, FL_MAX_BREAKER_COUNT); lua_pop(L, 1); }
  bool has_min = fl__field(L, t, "min_calls");
  if (has_min) { b->min_calls = (int)fl__read_count(L, -1, ctx, "breaker.min_calls", 1, FL_MAX_BREAKER_COUNT); lua_pop(L, 1); }
  if (fl__field(L, t, "open_for")) { b->open_for = fl_sec_to_time(fl__read_duration(L, -1, ctx, "breaker.open_for")); lua_pop(L, 1); }
  if (fl__field(L, t, "half_open_calls")) { b->half_open_calls = (int)fl__read_count(L, -1, ctx, "breaker.half_open_calls", 1, FL_MAX_BREAKER_COUNT); lua_pop(L, 1); }
  fl__breaker_clamp(b);
  if (b->open_for <= 0) luaL_error(L, "%s: breaker.open_for must be positive", ctx);
}

/* hedge = { after = "40ms" or "p95", max = 1 }, the value on top of the stack (popped). */
static void read_hedge(lua_State *L, fl_hedge_cfg_t *h, const char *ctx) {
  if (!lua_istable(L, -1)) luaL_error(L, "%s: hedge must be a table { after = \"40ms\" or \"p95\", max = 1 }", ctx);
  int t = lua_gettop(L);
  static const char *const hf[] = { "after", "max", NULL };
  fl__check_fields(L, t, ctx, hf);
  fl__hedge_defaults(h);
  if (!fl__field(L, t, "after")) luaL_error(L, "%s: hedge needs after = \"40ms\" or \"p95\"", ctx);
  const char *a = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
  if (a && a[0] == 'p' && a[1] >= '0' && a[1] <= '9') {
    char *end;
    double q = strtod(a + 1, &end);
    if (*end || !(q > 0 && q < 100)) luaL_error(L, "%s: hedge.after: '%s' is not a percentile such as p95", ctx, a);
    h->quantile = q / 100;
  } else {
    h->after = fl_sec_to_time(fl__read_duration(L, -1, ctx, "hedge.after"));
    if (h->after <= 0) luaL_error(L, "%s: hedge.after must be positive", ctx);
  }
  lua_pop(L, 1);
  if (fl__field(L, t, "max")) { h->max = (int)fl__read_count(L, -1, ctx, "hedge.max", 1, FL_MAX_HEDGE); lua_pop(L, 1); }
  lua_pop(L, 1);
}

int fl__lua_call_options(lua_State *L) {
  lcall_t *u = luaL_checkudata(L, 1, "fl.call");
  luaL_checktype(L, 2, LUA_TTABLE);
  char ctx[160];
  snprintf(ctx, sizeof ctx, "call \"%s\"", u->c.target_name);
  static const char *const f[] = { "timeout", "connect_timeout", "optional", "fallback", "p", "retries", "attempts", "wait", "backoff", "retry_on",
                                   "retry_budget", "retry", "breaker", "bulkhead", "deadline", "hedge", "cache", "async", "ignore_errors",
                                   "when", "count", "attrs", NULL };
  fl__check_fields(L, 2, ctx, f);
  if (fl__field(L, 2, "retry")) {
    int t = fl__push_policy(L, -1, "retry", ctx);
    static const char *const rf[] = { "retries", "attempts", "wait", "backoff", "retry_on", "retry_budget", "budget", NULL };
    fl__check_fields(L, t, ctx, rf);
    read_retry_fields(L, t, &u->c, ctx);
    lua_pop(L, 2);
  }
  read_retry_fields(L, 2, &u->c, ctx);
  if (fl__field(L, 2, "breaker")) {
    int t = fl__push_policy(L, -1, "breaker", ctx);
    read_breaker(L, t, &u->c.breaker, ctx);
    lua_pop(L, 2);
  }
  if (fl__field(L, 2, "bulkhead")) {
    if (lua_istable(L, -1)) {
      static const char *const bf[] = { "max_concurrent", NULL };
      fl__check_fields(L, -1, ctx, bf);
      if (lua_getfield(L, -1, "max_concurrent") == LUA_TNIL) luaL_error(L, "%s: bulkhead needs max_concurrent", ctx);
      u->c.bulkhead = (int)fl__read_count(L, -1, ctx, "bulkhead.max_concurrent", 1, FL_MAX_BULKHEAD);
      lua_pop(L, 1);
    } else u->c.bulkhead = (int)fl__read_count(L, -1, ctx, "bulkhead", 1, FL_MAX_BULKHEAD);
    lua_pop(L, 1);
  }
  if (fl__field(L, 2, "deadline")) { u->c.deadline = fl__read_bool(L, -1, ctx, "deadline"); lua_pop(L, 1); }
  if (fl__field(L, 2, "async")) {
    u->c.async = fl__read_bool(L, -1, ctx, "async"); lua_pop(L, 1);
    if (u->c.async && (u->c.timeout || u->c.optional || u->c.retries || u->c.hedge.on))
      luaL_error(L, "%s: an async call does not wait, so timeout, optional, retries and hedge do not apply", ctx);
  }
  if (fl__field(L, 2, "cache")) {
    if (!lua_istable(L, -1)) luaL_error(L, "%s: cache must be a table { hit = 0.9, warm_up = \"5m\" }", ctx);
    int t = lua_gettop(L);
    static const char *const cf[] = { "hit", "warm_up", NULL };
    fl__check_fields(L, t, ctx, cf);
    if (!fl__field(L, t, "hit")) luaL_error(L, "%s: cache needs hit = (the share of calls the cache answers)", ctx);
    u->c.cache_hit = fl__read_fraction(L, -1, ctx, "cache.hit"); lua_pop(L, 1);
    u->c.cache_warmup = 300;
    if (fl__field(L, t, "warm_up")) { u->c.cache_warmup = fl__read_duration(L, -1, ctx, "cache.warm_up"); lua_pop(L, 1); }
    lua_pop(L, 1);
  }
  if (fl__field(L, 2, "hedge")) read_hedge(L, &u->c.hedge, ctx);
  if (fl__field(L, 2, "p")) { u->c.p = fl__read_fraction(L, -1, ctx, "p"); lua_pop(L, 1); }
  if (fl__field(L, 2, "timeout")) {
    double t = fl__read_duration(L, -1, ctx, "timeout");
    if (t <= 0) luaL_error(L, "%s: timeout must be positive", ctx);
    u->c.timeout = fl_sec_to_time(t);
  }
  if (fl__field(L, 2, "connect_timeout")) {
    double t = fl__read_duration(L, -1, ctx, "connect_timeout");
    if (t <= 0) luaL_error(L, "%s: connect_timeout must be positive", ctx);
    u->c.connect_timeout = fl_sec_to_time(t);
  }
  if (fl__field(L, 2, "optional")) u->c.optional = fl__read_bool(L, -1, ctx, "optional");
  if (fl__field(L, 2, "when")) {   /* made only for the requests whose attributes match */
    fl__read_where(L, fl__getloader(L)->m, -1, ctx, "when", &u->c.when, &u->c.nwhen);
    lua_pop(L, 1);
  }
  if (fl__field(L, 2, "count")) {   /* a fan-out: this many calls, each an item */
    fl_dist_t *cd = fl__model_alloc(fl__getloader(L)->m, sizeof *cd);
    *cd = *fl__read_dist(L, -1, ctx, "count");
    u->c.count = cd;
    lua_pop(L, 1);
    if (u->c.retries || u->c.hedge.on || u->c.async) luaL_error(L, "%s: a fan-out (count) takes no retries, hedge or async", ctx);
  }
  if (fl__field(L, 2, "attrs")) {   /* drawn per item of the fan-out */
    if (!u->c.count) luaL_error(L, "%s: attrs are drawn per item of a fan-out: give count = ... too", ctx);
    fl__read_attrs(L, fl__getloader(L)->m, -1, ctx, &u->c.items, &u->c.nitems);
    lua_pop(L, 1);
  }
  if (fl__field(L, 2, "ignore_errors")) {
    u->c.ignore_errors = fl__read_bool(L, -1, ctx, "ignore_errors");
    if (u->c.ignore_errors && u->c.optional)
      luaL_error(L, "%s: give optional (degraded, with a fallback) or ignore_errors (a success), not both", ctx);
    if (u->c.ignore_errors && u->c.async) luaL_error(L, "%s: an async call does not wait, so ignore_errors does not apply", ctx);
  }
  if (fl__field(L, 2, "fallback")) {
    u->c.fallback = fl_sec_to_time(fl__read_duration(L, -1, ctx, "fallback"));
    if (!u->c.optional) luaL_error(L, "%s: fallback needs optional = true (a required call has no fallback)", ctx);
  }
  lua_settop(L, 1);
  return 1;
}

int fl__lua_parallel(lua_State *L) {
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
void fl__read_calls(lua_State *L, loader_t *ld, int idx, fl_endpoint_t *ep, const char *ctx) {
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
  ep->calls = fl__model_alloc(ld->m, sizeof *ep->calls * (size_t)(ncalls ? ncalls : 1));
  ep->steps = fl__model_alloc(ld->m, sizeof *ep->steps * (size_t)(n ? n : 1));
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

void fl__open_profiles(lua_State *L) {
  if (luaL_loadbufferx(L, profiles_lua, sizeof profiles_lua - 1, "=profiles", "t") != LUA_OK || lua_pcall(L, 0, 0, 0) != LUA_OK)
    luaL_error(L, "internal error in the profiles: %s", lua_tostring(L, -1));
}
