/* Services in the scenario language: service "name" { ... } with its instances, workers, queue,
** overflow, balancer, rate limit, shedding, autoscaling, outlier ejection, broker settings and endpoints. */
#include "lang_int.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void read_endpoint(lua_State *L, loader_t *ld, int t, fl_endpoint_t *ep, const char *ctx, bool need_work) {
  if (fl__field(L, t, "work")) { ep->work = *fl__read_dist(L, -1, ctx, "work"); lua_pop(L, 1); }
  else if (need_work) luaL_error(L, "%s: missing work (expected e.g. work = exp \"5ms\")", ctx);
  ep->error_rate = -1;
  if (fl__field(L, t, "error_rate")) { ep->error_rate = fl__read_fraction(L, -1, ctx, "error_rate"); lua_pop(L, 1); }
  if (fl__field(L, t, "calls")) { fl__read_calls(L, ld, -1, ep, ctx); lua_pop(L, 1); }
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(const char *const *)a, *(const char *const *)b); }

/* rate_limit = { rate = "1000/s", burst = 100 }, the table on top of the stack (popped). */
static void read_rate_limit(lua_State *L, fl_service_t *s, const char *ctx) {
  if (!lua_istable(L, -1)) luaL_error(L, "%s: rate_limit must be a table { rate = \"1000/s\", burst = 100 }", ctx);
  int t = lua_gettop(L);
  static const char *const rf[] = { "rate", "burst", NULL };
  fl__check_fields(L, t, ctx, rf);
  if (!fl__field(L, t, "rate")) luaL_error(L, "%s: rate_limit needs rate = \"...\"", ctx);
  s->rate_limit = fl__read_rate(L, -1, ctx, "rate_limit.rate"); lua_pop(L, 1);
  if (s->rate_limit <= 0) luaL_error(L, "%s: rate_limit.rate must be positive", ctx);
  s->rate_burst = s->rate_limit;   /* one second's worth unless told */
  if (fl__field(L, t, "burst")) {
    if (!lua_isnumber(L, -1) || !(lua_tonumber(L, -1) >= 1)) luaL_error(L, "%s: rate_limit.burst must be a number of at least 1", ctx);
    s->rate_burst = lua_tonumber(L, -1); lua_pop(L, 1);
  }
  lua_pop(L, 1);
}

/* kind = "service" or "broker", and a broker's capacity, consumers, concurrency and deliveries. */
static void read_kind(lua_State *L, fl_model_t *m, fl_service_t *s, const char *ctx) {
  const char *kind = fl__opt_string(L, 1, "kind", ctx);
  if (kind && strcmp(kind, "broker") != 0 && strcmp(kind, "service") != 0)
    luaL_error(L, "%s: kind must be \"service\" or \"broker\"", ctx);
  s->broker = kind && strcmp(kind, "broker") == 0;
  if (!s->broker) {
    static const char *const bf[] = { "capacity", "consumers", "concurrency", "max_deliveries", "lag", "age" };
    for (int i = 0; i < 6; i++)
      if (lua_getfield(L, 1, bf[i]) != LUA_TNIL) luaL_error(L, "%s: %s is for kind = \"broker\"", ctx, bf[i]);
      else lua_pop(L, 1);
  } else {
    if (fl__field(L, 1, "capacity")) {
      if (lua_type(L, -1) == LUA_TNUMBER && isinf(lua_tonumber(L, -1))) s->capacity = INT64_MAX;
      else s->capacity = fl__read_count(L, -1, ctx, "capacity", 1, 1000000000);
      lua_pop(L, 1);
    }
    if (!fl__field(L, 1, "consumers") || !lua_istable(L, -1) || lua_rawlen(L, -1) < 1)
      luaL_error(L, "%s: a broker needs consumers = { \"service.endpoint\", ... } (each gets every message)", ctx);
    int n = (int)lua_rawlen(L, -1);
    s->nconsumers = n;
    s->consumer_names = fl__model_alloc(m, sizeof *s->consumer_names * (size_t)n);
    for (int i = 1; i <= n; i++) {
      lua_rawgeti(L, -1, i);
      if (lua_type(L, -1) != LUA_TSTRING) luaL_error(L, "%s: consumers entry %d must be an endpoint name", ctx, i);
      s->consumer_names[i - 1] = fl__model_strdup(m, lua_tostring(L, -1));
      lua_pop(L, 1);
    }
    lua_pop(L, 1);
    if (fl__field(L, 1, "concurrency")) { s->concurrency = (int)fl__read_count(L, -1, ctx, "concurrency", 1, 10000000); lua_pop(L, 1); }
    if (fl__field(L, 1, "max_deliveries")) { s->max_deliveries = (int)fl__read_count(L, -1, ctx, "max_deliveries", 1, 100); lua_pop(L, 1); }
    /* health from the backlog: degraded at or above this many waiting messages, or this age of the oldest */
    if (fl__field(L, 1, "lag")) { s->lag_limit = fl__read_count(L, -1, ctx, "lag (messages waiting)", 1, 1000000000000LL); lua_pop(L, 1); }
    if (fl__field(L, 1, "age")) {
      s->age_limit = fl__read_duration(L, -1, ctx, "age"); lua_pop(L, 1);
      if (s->age_limit <= 0) luaL_error(L, "%s: age must be positive", ctx);
    }
  }
}

/* autoscale = { metric, target, min, max, ... }, the table on top of the stack (popped). */
static void read_autoscale(lua_State *L, fl_service_t *s, const char *ctx) {
  if (!lua_istable(L, -1)) luaL_error(L, "%s: autoscale must be a table { metric = \"utilization\", target = 0.6, min = 2, max = 20 }", ctx);
  int t = lua_gettop(L);
  static const char *const af[] = { "metric", "target", "min", "max", "period", "tolerance", "stabilize_down", "delay",
                                    "warmup", "warmup_factor", NULL };
  fl__check_fields(L, t, ctx, af);
  fl__autoscale_defaults(s);
  const char *metric = fl__opt_string(L, t, "metric", ctx);
  if (metric) {
    int k = fl_scale_metric_parse(metric);
    if (k < 0) luaL_error(L, "%s: autoscale.metric must be utilization, inflight, queue or rps", ctx);
    s->autoscale.metric = k;
  }
  if (!fl__field(L, t, "target")) luaL_error(L, "%s: autoscale needs a target (e.g. target = 0.6 for 60%% utilization)", ctx);
  if (s->autoscale.metric == FL_SCALE_UTILIZATION) s->autoscale.target = fl__read_fraction(L, -1, ctx, "autoscale.target");
  else if (s->autoscale.metric == FL_SCALE_RPS) s->autoscale.target = fl__read_rate(L, -1, ctx, "autoscale.target");
  else {
    if (!lua_isnumber(L, -1)) luaL_error(L, "%s: autoscale.target must be a number", ctx);
    s->autoscale.target = lua_tonumber(L, -1);
  }
  if (!(s->autoscale.target > 0)) luaL_error(L, "%s: autoscale.target must be positive", ctx);
  lua_pop(L, 1);
  if (fl__field(L, t, "min")) { s->autoscale.min = (int)fl__read_count(L, -1, ctx, "autoscale.min", 0, FL_MAX_INSTANCES); lua_pop(L, 1); }
  if (!fl__field(L, t, "max")) luaL_error(L, "%s: autoscale needs max (the most instances it may run)", ctx);
  s->autoscale.max = (int)fl__read_count(L, -1, ctx, "autoscale.max", 1, FL_MAX_INSTANCES); lua_pop(L, 1);
  if (s->autoscale.max < s->autoscale.min) luaL_error(L, "%s: autoscale.max must be at least min", ctx);
  if (fl__field(L, t, "period")) { s->autoscale.period = fl__read_duration(L, -1, ctx, "autoscale.period"); lua_pop(L, 1); }
  if (s->autoscale.period < FL_MIN_WINDOW) luaL_error(L, "%s: autoscale.period must be at least 1ms", ctx);
  if (fl__field(L, t, "tolerance")) { s->autoscale.tolerance = fl__read_fraction(L, -1, ctx, "autoscale.tolerance"); lua_pop(L, 1); }
  if (fl__field(L, t, "stabilize_down")) { s->autoscale.stabilize_down = fl__read_duration(L, -1, ctx, "autoscale.stabilize_down"); lua_pop(L, 1); }
  if (fl__field(L, t, "delay")) { s->autoscale.delay = fl__read_duration(L, -1, ctx, "autoscale.delay"); lua_pop(L, 1); }
  if (fl__field(L, t, "warmup")) { s->autoscale.warmup = fl__read_duration(L, -1, ctx, "autoscale.warmup"); lua_pop(L, 1); }
  if (fl__field(L, t, "warmup_factor")) {
    if (!lua_isnumber(L, -1) || lua_tonumber(L, -1) < FL_MIN_WARMUP_FACTOR) luaL_error(L, "%s: autoscale.warmup_factor must be a number of at least 1", ctx);
    s->autoscale.warmup_factor = lua_tonumber(L, -1); lua_pop(L, 1);
  }
  lua_pop(L, 1);
  if (s->instances < s->autoscale.min) s->instances = s->autoscale.min > 0 ? s->autoscale.min : 1;
  if (s->instances > s->autoscale.max) luaL_error(L, "%s: instances (%d) above autoscale.max (%d)", ctx, s->instances, s->autoscale.max);
}

/* outlier = { ... } or a profile (profile.envoy), on top of the stack (popped). */
static void read_outlier(lua_State *L, fl_service_t *s, const char *ctx) {
  int t = fl__push_policy(L, -1, "outlier", ctx);
  static const char *const of[] = { "consecutive_errors", "interval", "base_ejection", "max_ejected", NULL };
  fl__check_fields(L, t, ctx, of);
  fl__outlier_defaults(s);
  if (fl__field(L, t, "consecutive_errors")) { s->outlier.consecutive_errors = (int)fl__read_count(L, -1, ctx, "outlier.consecutive_errors", 1, 1000000); lua_pop(L, 1); }
  if (fl__field(L, t, "interval")) { s->outlier.interval = fl__read_duration(L, -1, ctx, "outlier.interval"); lua_pop(L, 1); }
  if (fl__field(L, t, "base_ejection")) { s->outlier.base_ejection = fl__read_duration(L, -1, ctx, "outlier.base_ejection"); lua_pop(L, 1); }
  if (fl__field(L, t, "max_ejected")) { s->outlier.max_ejected = fl__read_fraction(L, -1, ctx, "outlier.max_ejected"); lua_pop(L, 1); }
  lua_pop(L, 2);
}

/* endpoints = { name = { work, calls, error_rate } }, or the one implicit endpoint of a service
** that gives work and calls at its top level. */
static void read_endpoints(lua_State *L, loader_t *ld, fl_service_t *s, const char *ctx) {
  fl_model_t *m = ld->m;
  const char *name = s->name;
  if (fl__field(L, 1, "endpoints")) {
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
    if (n > FL_LANG_MAX_ENTRIES) luaL_error(L, "%s: more than %d endpoints", ctx, FL_LANG_MAX_ENTRIES);
    const char **names = fl__model_alloc(m, sizeof *names * (size_t)n);
    int i = 0;
    lua_pushnil(L);
    while (lua_next(L, et)) { names[i++] = fl__model_strdup(m, lua_tostring(L, -2)); lua_pop(L, 1); }
    qsort(names, (size_t)n, sizeof *names, cmp_str);
    s->endpoints = fl__model_alloc(m, sizeof *s->endpoints * (size_t)n);
    s->nendpoints = n;
    for (i = 0; i < n; i++) {
      fl_endpoint_t *ep = &s->endpoints[i];
      if (strchr(names[i], '.') || !names[i][0]) luaL_error(L, "%s: endpoint name '%s' must be non-empty and without dots", ctx, names[i]);
      char ectx[320];
      snprintf(ectx, sizeof ectx, "endpoint \"%s.%s\"", name, names[i]);
      lua_getfield(L, et, names[i]);
      static const char *const ef[] = { "work", "calls", "error_rate", "slo", NULL };
      fl__check_fields(L, -1, ectx, ef);
      ep->name = (char *)names[i];
      ep->file = s->file; ep->line = s->line;
      read_endpoint(L, ld, lua_gettop(L), ep, ectx, true);
      if (fl__field(L, -1, "slo")) {   /* the endpoint's own promise, beside the service's */
        ep->slo = fl__read_duration(L, -1, ectx, "slo"); lua_pop(L, 1);
        if (ep->slo <= 0) luaL_error(L, "%s: slo must be positive", ectx);
      }
      lua_pop(L, 1);
    }
    lua_pop(L, 1);
  } else {
    s->endpoints = fl__model_alloc(m, sizeof *s->endpoints);
    s->nendpoints = 1;
    s->endpoints[0].name = fl__model_strdup(m, "default");
    s->implicit = true;
    s->endpoints[0].file = s->file; s->endpoints[0].line = s->line;
    if (lua_getfield(L, 1, "work") == LUA_TNIL && !s->broker)
      luaL_error(L, "%s: missing work (expected e.g. work = exp \"5ms\", or endpoints = { ... })", ctx);
    lua_pop(L, 1);
    if (s->broker) fl_dist_const(&s->endpoints[0].work, 0, NULL);   /* storing a message: instant unless told */
    read_endpoint(L, ld, 1, &s->endpoints[0], ctx, !s->broker);
  }
}

/* group = "name": the diagram's box; else the name's prefix before a '/', if any. */
static void read_group(lua_State *L, fl_model_t *m, fl_service_t *s, const char *ctx) {
  if (fl__field(L, 1, "group")) {
    const char *g = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
    if (!g || !g[0]) luaL_error(L, "%s: group must be a non-empty string, e.g. group = \"payments\"", ctx);
    s->group = fl__model_strdup(m, g);
    s->group_set = true;
    lua_pop(L, 1);
    return;
  }
  const char *slash = strchr(s->name, '/');
  if (slash && slash > s->name) {
    size_t n = (size_t)(slash - s->name);
    char buf[256];
    if (n >= sizeof buf) n = sizeof buf - 1;
    memcpy(buf, s->name, n);
    buf[n] = 0;
    s->group = fl__model_strdup(m, buf);
  }
}

int fl__lua_service_body(lua_State *L) {
  loader_t *ld = fl__getloader_alone(L);
  fl_model_t *m = ld->m;
  const char *name = lua_tostring(L, lua_upvalueindex(2));
  if (!lua_istable(L, 1)) luaL_error(L, "service \"%s\": expected a table of fields, e.g. service \"%s\" { instances = 2, work = exp \"5ms\" }", name, name);
  char ctx[160];
  snprintf(ctx, sizeof ctx, "service \"%s\"", name);
  static const char *const f[] = { "instances", "workers", "cores", "queue", "overflow", "balancer", "blocking", "error_rate", "slo",
                                   "work", "calls", "endpoints", "health_check", "rate_limit", "shed_after", "outlier",
                                   "startup", "autoscale", "kind", "capacity", "consumers", "concurrency", "max_deliveries",
                                   "lag", "age", "group", NULL };
  fl__check_fields(L, 1, ctx, f);
  if (m->nservices == ld->svc_cap) {
    ld->svc_cap = ld->svc_cap ? ld->svc_cap * 2 : 16;
    m->services = fl_xrealloc(m->services, sizeof *m->services * (size_t)ld->svc_cap);
  }
  fl_service_t *s = &m->services[m->nservices];
  memset(s, 0, sizeof *s);
  s->name = fl__model_strdup(m, name);
  fl__where(L, m, &s->file, &s->line);
  fl__service_defaults(s);
  read_group(L, m, s, ctx);
  if (fl__field(L, 1, "health_check")) { s->health_check = fl__read_duration(L, -1, ctx, "health_check"); lua_pop(L, 1); }
  if (fl__field(L, 1, "rate_limit")) read_rate_limit(L, s, ctx);
  if (fl__field(L, 1, "startup")) { s->startup = fl__read_duration(L, -1, ctx, "startup"); lua_pop(L, 1); }
  read_kind(L, m, s, ctx);
  if (fl__field(L, 1, "instances")) { s->instances = (int)fl__read_count(L, -1, ctx, "instances", 1, FL_MAX_INSTANCES); lua_pop(L, 1); }
  if (fl__field(L, 1, "autoscale")) read_autoscale(L, s, ctx);
  if (fl__field(L, 1, "shed_after")) {
    s->shed_after = fl__read_duration(L, -1, ctx, "shed_after"); lua_pop(L, 1);
    if (s->shed_after <= 0) luaL_error(L, "%s: shed_after must be positive", ctx);
  }
  if (fl__field(L, 1, "outlier")) read_outlier(L, s, ctx);
  if (fl__field(L, 1, "workers")) { s->workers = (int)fl__read_count(L, -1, ctx, "workers", 1, FL_MAX_WORKERS); lua_pop(L, 1); }
  if (fl__field(L, 1, "cores")) { s->cores = (int)fl__read_count(L, -1, ctx, "cores", 1, FL_MAX_CORES); lua_pop(L, 1); }
  if (fl__field(L, 1, "queue")) {
    if (lua_type(L, -1) == LUA_TNUMBER && isinf(lua_tonumber(L, -1)) && lua_tonumber(L, -1) > 0) s->queue = INT64_MAX;
    else s->queue = fl__read_count(L, -1, ctx, "queue (or math.huge)", 0, FL_MAX_QUEUE);
    lua_pop(L, 1);
  }
  if (fl__field(L, 1, "overflow")) {
    const char *o = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
    int k = o ? fl_overflow_parse(o) : -1;
    if (k < 0) luaL_error(L, "%s: overflow must be \"reject\" (a full room answers at once) or \"drop\" (left unanswered, as a full TCP backlog)", ctx);
    s->overflow = (fl_overflow_t)k;
    lua_pop(L, 1);
  }
  if (fl__field(L, 1, "balancer")) {
    const char *b = lua_tostring(L, -1);
    int lb = b ? fl_balancer_parse(b) : -1;
    if (lb < 0) luaL_error(L, "%s: balancer must be one of round_robin, random, least_outstanding, p2c", ctx);
    s->balancer = (fl_balancer_t)lb;
    lua_pop(L, 1);
  }
  if (fl__field(L, 1, "blocking")) { s->blocking = fl__read_bool(L, -1, ctx, "blocking"); lua_pop(L, 1); }
  if (fl__field(L, 1, "error_rate")) { s->error_rate = fl__read_fraction(L, -1, ctx, "error_rate"); lua_pop(L, 1); }
  if (fl__field(L, 1, "slo")) { s->slo = fl__read_duration(L, -1, ctx, "slo"); lua_pop(L, 1); }
  read_endpoints(L, ld, s, ctx);
  m->nservices++;
  return 0;
}

int fl__lua_service(lua_State *L) {
  loader_t *ld = fl__getloader(L);
  const char *name = luaL_checkstring(L, 1);
  if (!name[0] || strchr(name, '.') || strchr(name, '=') || strchr(name, ','))
    luaL_error(L, "service name '%s' must be non-empty and contain no '.', '=' or ','", name);
  if (ld->m->nservices >= FL_LANG_MAX_SERVICES) luaL_error(L, "service \"%s\": more than %d services", name, FL_LANG_MAX_SERVICES);
  fl_service_t *prev = fl_model_find_service(ld->m, name);
  if (prev) luaL_error(L, "service \"%s\" is defined twice (first at %s:%d)", name, prev->file, prev->line);
  lua_pushlightuserdata(L, ld);
  lua_pushvalue(L, 1);
  lua_pushcclosure(L, fl__lua_service_body, 2);
  return 1;
}
