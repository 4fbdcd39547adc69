/* scenario { ... } in the scenario language: the run's name, duration, seed, window, warm-up and
** health thresholds. */
#include "lang_int.h"

int fl__lua_scenario(lua_State *L) {
  loader_t *ld = fl__getloader(L);
  fl_model_t *m = ld->m;
  luaL_checktype(L, 1, LUA_TTABLE);
  if (ld->seen_scenario) luaL_error(L, "scenario { ... } is given twice");
  ld->seen_scenario = true;
  static const char *const f[] = { "name", "duration", "seed", "window", "warmup", "health", NULL };
  fl__check_fields(L, 1, "scenario", f);
  if (fl__field(L, 1, "health")) {
    if (!lua_istable(L, -1)) luaL_error(L, "scenario: health must be a table { degraded_errors = \"5%%\", down_errors = \"50%%\", saturation = 0.98, confirm = 2 }");
    int t = lua_gettop(L);
    static const char *const hf[] = { "degraded_errors", "down_errors", "degraded_share", "saturation", "confirm", "min_requests", NULL };
    fl__check_fields(L, t, "scenario: health", hf);
    if (fl__field(L, t, "degraded_errors")) { m->health.degraded_errors = fl__read_fraction(L, -1, "scenario: health", "degraded_errors"); lua_pop(L, 1); }
    if (fl__field(L, t, "down_errors")) { m->health.down_errors = fl__read_fraction(L, -1, "scenario: health", "down_errors"); lua_pop(L, 1); }
    if (fl__field(L, t, "degraded_share")) { m->health.degraded_share = fl__read_fraction(L, -1, "scenario: health", "degraded_share"); lua_pop(L, 1); }
    if (fl__field(L, t, "saturation")) { m->health.saturation = fl__read_fraction(L, -1, "scenario: health", "saturation"); lua_pop(L, 1); }
    if (fl__field(L, t, "confirm")) { m->health.confirm = (int)fl__read_count(L, -1, "scenario: health", "confirm", 1, FL_MAX_CONFIRM); lua_pop(L, 1); }
    if (fl__field(L, t, "min_requests")) { m->health.min_requests = (int)fl__read_count(L, -1, "scenario: health", "min_requests", 1, FL_MAX_MIN_REQUESTS); lua_pop(L, 1); }
    if (m->health.down_errors < m->health.degraded_errors) luaL_error(L, "scenario: health: down_errors must be at least degraded_errors");
    lua_pop(L, 1);
  }
  if (fl__field(L, 1, "name")) {
    if (lua_type(L, -1) != LUA_TSTRING) luaL_error(L, "scenario: name must be a string");
    m->name = fl__model_strdup(m, lua_tostring(L, -1)); lua_pop(L, 1);
  }
  if (!fl__field(L, 1, "duration")) luaL_error(L, "scenario: missing duration (expected e.g. duration = \"1h\")");
  m->duration = fl__read_duration(L, -1, "scenario", "duration"); lua_pop(L, 1);
  if (m->duration <= 0) luaL_error(L, "scenario: duration must be positive");
  if (m->duration > FL_MAX_SECONDS) luaL_error(L, "scenario: duration must be at most 1000000000s (about 31 years)");
  if (fl__field(L, 1, "seed")) {
    uint64_t seed = (uint64_t)fl__read_count(L, -1, "scenario", "seed", 0, FL_MAX_SEED);
    if (!ld->opts->has_seed) m->seed = seed;
    lua_pop(L, 1);
  }
  if (fl__field(L, 1, "window")) { m->window = fl__read_duration(L, -1, "scenario", "window"); m->window_set = true; lua_pop(L, 1); }
  if (m->window < FL_MIN_WINDOW) luaL_error(L, "scenario: window must be at least 1ms");
  if (fl__field(L, 1, "warmup")) { m->warmup = fl__read_duration(L, -1, "scenario", "warmup"); lua_pop(L, 1); }
  if (m->warmup >= m->duration) luaL_error(L, "scenario: warmup must be shorter than duration");
  /* math.random follows the scenario's seed */
  lua_getglobal(L, "math");
  if (lua_getfield(L, -1, "randomseed") == LUA_TFUNCTION) { lua_pushinteger(L, (lua_Integer)m->seed); lua_call(L, 1, 0); }
  else lua_pop(L, 1);
  lua_pop(L, 1);
  return 0;
}
