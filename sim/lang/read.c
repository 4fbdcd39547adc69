/* The value readers of the scenario language: durations, rates, shares, whole numbers and booleans
** with their bounds, unknown-field checks and optional fields. Each raises "file:line: <ctx>:
** <field>: ..." on a bad value; the bounds are model_int.h's, shared with --set. */
#include "lang_int.h"
#include "faultline/units.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

double fl__read_duration(lua_State *L, int idx, const char *ctx, const char *field) {
  if (lua_type(L, idx) == LUA_TNUMBER) {
    double v = lua_tonumber(L, idx);
    if (!(v >= 0) || isinf(v)) luaL_error(L, "%s: %s must be a non-negative duration, got %f", ctx, field, v);
    if (v > FL_MAX_SECONDS) luaL_error(L, "%s: %s must be at most 1000000000s (about 31 years), got %f", ctx, field, v);
    if (v > 0 && v < FL_MIN_DURATION)
      luaL_error(L, "%s: %s: %s seconds is less than 1ns, the clock's resolution (it would round to 0)", ctx, field,
                 lua_tostring(L, idx));
    return v;
  }
  if (lua_type(L, idx) == LUA_TSTRING) {
    double v;
    const char *t = lua_tostring(L, idx);
    if (fl_parse_duration(t, &v) != 0)
      luaL_error(L, "%s: %s: cannot read '%s' as a duration (expected e.g. \"250us\", \"12ms\", \"1.5s\", \"10m\", \"2h\")", ctx, field, t);
    if (v > FL_MAX_SECONDS) luaL_error(L, "%s: %s: '%s' is more than 1000000000s (about 31 years)", ctx, field, t);
    if (v > 0 && v < FL_MIN_DURATION)
      luaL_error(L, "%s: %s: '%s' is less than 1ns, the clock's resolution (it would round to 0)", ctx, field, t);
    return v;
  }
  return luaL_error(L, "%s: %s must be a duration (a number of seconds or a string such as \"12ms\"), got %s",
                    ctx, field, luaL_typename(L, idx)), 0;
}

double fl__read_rate(lua_State *L, int idx, const char *ctx, const char *field) {
  if (lua_type(L, idx) == LUA_TNUMBER) {
    double v = lua_tonumber(L, idx);
    if (!(v >= 0) || isinf(v)) luaL_error(L, "%s: %s must be a non-negative rate, got %f", ctx, field, v);
    if (v > FL_MAX_RATE) luaL_error(L, "%s: %s must be at most 1000000000 per second, got %f", ctx, field, v);
    return v;
  }
  if (lua_type(L, idx) == LUA_TSTRING) {
    double v;
    const char *t = lua_tostring(L, idx);
    if (fl_parse_rate(t, &v) != 0)
      luaL_error(L, "%s: %s: cannot read '%s' as a rate (expected e.g. \"2000/s\", \"90000/m\" or a number per second)", ctx, field, t);
    if (v > FL_MAX_RATE) luaL_error(L, "%s: %s: '%s' is more than 1000000000 per second", ctx, field, t);
    return v;
  }
  return luaL_error(L, "%s: %s must be a rate (a number per second or a string such as \"2000/s\"), got %s",
                    ctx, field, luaL_typename(L, idx)), 0;
}

double fl__read_fraction(lua_State *L, int idx, const char *ctx, const char *field) {
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

long long fl__read_count(lua_State *L, int idx, const char *ctx, const char *field, long long min, long long max) {
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

bool fl__read_bool(lua_State *L, int idx, const char *ctx, const char *field) {
  if (lua_type(L, idx) != LUA_TBOOLEAN)
    luaL_error(L, "%s: %s must be true or false, got %s", ctx, field, luaL_typename(L, idx));
  return lua_toboolean(L, idx);
}

/* Raises an error naming the first key of table 'idx' that is not in 'allowed' (NULL-ended). */
void fl__check_fields(lua_State *L, int idx, const char *ctx, const char *const *allowed) {
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
bool fl__field(lua_State *L, int t, const char *name) {
  if (lua_getfield(L, t, name) == LUA_TNIL) { lua_pop(L, 1); return false; }
  return true;
}

const char *fl__opt_string(lua_State *L, int t, const char *name, const char *ctx) {
  if (!fl__field(L, t, name)) return NULL;
  if (lua_type(L, -1) != LUA_TSTRING) luaL_error(L, "%s: %s must be a string", ctx, name);
  const char *v = lua_tostring(L, -1);
  lua_pop(L, 1);   /* the string stays alive in the table */
  return v;
}
