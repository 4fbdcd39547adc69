/* Distributions in the scenario language: const, exp, lognormal, gamma, uniform, percentiles
** (userdata "fl.dist"), and a bare duration read where a distribution is expected. */
#include "lang_int.h"

#include <stdlib.h>
#include <string.h>

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

int fl__lua_const(lua_State *L) {
  double v = fl__read_duration(L, 1, "const", "value");
  const char *why = NULL;
  fl_dist_t *d = push_dist(L);
  dist_check(L, fl_dist_const(d, v, &why), "const", &why);
  return 1;
}

int fl__lua_exp(lua_State *L) {
  double v = fl__read_duration(L, 1, "exp", "mean");
  const char *why = NULL;
  fl_dist_t *d = push_dist(L);
  dist_check(L, fl_dist_exp(d, v, &why), "exp", &why);
  return 1;
}

int fl__lua_lognormal(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  static const char *const f[] = { "median", "p99", "mean", "cv", NULL };
  fl__check_fields(L, 1, "lognormal", f);
  const char *why = NULL;
  bool has_med = fl__field(L, 1, "median"); double med = has_med ? fl__read_duration(L, -1, "lognormal", "median") : 0;
  bool has_p99 = fl__field(L, 1, "p99"); double p99 = has_p99 ? fl__read_duration(L, -1, "lognormal", "p99") : 0;
  bool has_mean = fl__field(L, 1, "mean"); double mean = has_mean ? fl__read_duration(L, -1, "lognormal", "mean") : 0;
  bool has_cv = fl__field(L, 1, "cv");
  double cv = 0;
  if (has_cv) { if (!lua_isnumber(L, -1)) luaL_error(L, "lognormal: cv must be a number"); cv = lua_tonumber(L, -1); }
  fl_dist_t *d = push_dist(L);
  if (has_med && has_p99 && !has_mean && !has_cv) dist_check(L, fl_dist_lognormal_median_p99(d, med, p99, &why), "lognormal", &why);
  else if (has_mean && has_cv && !has_med && !has_p99) dist_check(L, fl_dist_lognormal_mean_cv(d, mean, cv, &why), "lognormal", &why);
  else luaL_error(L, "lognormal: expected { median = ..., p99 = ... } or { mean = ..., cv = ... }");
  return 1;
}

int fl__lua_gamma(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  static const char *const f[] = { "mean", "cv", NULL };
  fl__check_fields(L, 1, "gamma", f);
  if (!fl__field(L, 1, "mean")) luaL_error(L, "gamma: expected { mean = ..., cv = ... }");
  double mean = fl__read_duration(L, -1, "gamma", "mean");
  if (!fl__field(L, 1, "cv") || !lua_isnumber(L, -1)) luaL_error(L, "gamma: cv must be a number (expected { mean = ..., cv = ... })");
  double cv = lua_tonumber(L, -1);
  const char *why = NULL;
  fl_dist_t *d = push_dist(L);
  dist_check(L, fl_dist_gamma_mean_cv(d, mean, cv, &why), "gamma", &why);
  return 1;
}

int fl__lua_uniform(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  if (lua_rawlen(L, 1) != 2) luaL_error(L, "uniform: expected { low, high }, e.g. uniform { \"1ms\", \"5ms\" }");
  lua_rawgeti(L, 1, 1); double lo = fl__read_duration(L, -1, "uniform", "low");
  lua_rawgeti(L, 1, 2); double hi = fl__read_duration(L, -1, "uniform", "high");
  const char *why = NULL;
  fl_dist_t *d = push_dist(L);
  dist_check(L, fl_dist_uniform(d, lo, hi, &why), "uniform", &why);
  return 1;
}

int fl__lua_percentiles(lua_State *L) {
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
    double val = fl__read_duration(L, -1, "percentiles", k);
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

const fl_dist_t *fl__read_dist(lua_State *L, int idx, const char *ctx, const char *fieldname) {
  const fl_dist_t *d = luaL_testudata(L, idx, "fl.dist");
  if (!d) {
    if (lua_type(L, idx) == LUA_TNUMBER || lua_type(L, idx) == LUA_TSTRING) {
      /* a bare duration is a constant: work = "5ms" */
      double v = fl__read_duration(L, idx, ctx, fieldname);
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
