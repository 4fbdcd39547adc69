/* The hook's sim object ("fl.sim"): a running simulation seen from Lua (sim.now, sim:stats,
** sim:inject, sim:heal, sim:scale, sim:set, sim:log), and running a hook with it. */
#include "lang_int.h"
#include "faultline/sim.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
  int j = svc ? -1 : fl_model_find_journey(s->m, name);
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
  fl__read_fault(L, s->m, &ft, true);
  if (!fl__field(L, 1, "at")) ft.at = fl_time_to_sec(s->eng.now);
  else lua_pop(L, 1);
  char why[256];
  if (fl_model_fault_targets(s->m, &ft, why, sizeof why) != 0) return luaL_error(L, "sim:inject: %s", why);
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
  /* a change makes one record of the run's scaling: counted against the memory cap */
  fl__charge_record(L, s, sizeof *s->sev, "sim:scale");
  int before = s->nsev;
  int rc = n < 0 ? -FL_ERANGE : fl_sim_scale(s, svc->id, (int)n, FL_SCALED_BY_HOOK);
  if (s->nsev == before) s->hook_bytes -= sizeof *s->sev;
  if (rc != 0) return luaL_error(L, "sim:scale: %s can run 0 to %d instances, not %d", name, s->svc[svc->id].cap, (int)n);
  return 0;
}

/* ---- the mix from a hook: checked as the scenario's and --set's ---- */

#define MIX_MAX 4096   /* journeys whose shares a refused change restores */

static double mix_sum(const fl_model_t *m) {
  double sum = 0;
  for (int j = 0; j < m->njourneys; j++) sum += m->journeys[j].share;
  return sum;
}

/* sim:set("traffic.mix", { ["gateway.home"] = 0.2, shop = 0.8 }): every share at once (those left
** out: 0), the names those of the mix, the shares summing to 1. */
static int set_mix(lua_State *L, fl_sim_t *s) {
  fl_model_t *m = s->m;
  luaL_checktype(L, 3, LUA_TTABLE);
  if (m->njourneys > MIX_MAX) return luaL_error(L, "sim:set: traffic.mix: %d journeys at most", MIX_MAX);
  double share[MIX_MAX] = { 0 }, sum = 0;
  for (lua_pushnil(L); lua_next(L, 3); lua_pop(L, 1)) {
    const char *name = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : NULL;
    int j = -1;
    for (int k = 0; name && k < m->njourneys; k++) if (strcmp(m->journeys[k].name, name) == 0) j = k;
    if (j < 0) return luaL_error(L, "sim:set: traffic.mix: no journey '%s' in the mix", name ? name : "?");
    share[j] = fl__read_fraction(L, -1, "sim:set", "traffic.mix");
  }
  for (int j = 0; j < m->njourneys; j++) sum += share[j];
  if (fabs(sum - 1) > 1e-6) {
    char msg[128];
    snprintf(msg, sizeof msg, "sim:set: traffic.mix: shares sum to %g (expected 1)", sum);
    return luaL_error(L, "%s", msg);
  }
  if (s->model_watch) s->model_watch(s, "traffic.mix", false);
  for (int j = 0; j < m->njourneys; j++) m->journeys[j].share = share[j];
  if (s->model_watch) s->model_watch(s, "traffic.mix", true);
  fl_sim_traffic_changed(s);
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
  if (strcmp(path, "traffic.mix") == 0) return set_mix(L, s);
  char buf[1024], err[512];
  snprintf(buf, sizeof buf, "%s=%s", path, value);
  double before[MIX_MAX];
  int nj = s->m->njourneys < MIX_MAX ? s->m->njourneys : MIX_MAX;
  for (int j = 0; j < nj; j++) before[j] = s->m->journeys[j].share;
  if (s->model_watch) s->model_watch(s, path, false);
  if (fl_model_set(s->m, buf, err, sizeof err) != 0) return luaL_error(L, "sim:set: %s", err);
  if (strncmp(path, "traffic.mix.", 12) == 0 && fabs(mix_sum(s->m) - 1) > 1e-6) {
    /* checked as --set is: one share alone would change the total rate */
    double sum = mix_sum(s->m);
    for (int j = 0; j < nj; j++) s->m->journeys[j].share = before[j];
    char msg[512];   /* luaL_error formats no %g */
    snprintf(msg, sizeof msg, "sim:set: the mix's shares would sum to %g (expected 1): set the whole mix at once, "
             "sim:set(\"traffic.mix\", { [\"%s\"] = ..., ... })", sum, s->m->journeys[0].name);
    return luaL_error(L, "%s", msg);
  }
  if (s->model_watch) s->model_watch(s, path, true);
  if (strncmp(path, "traffic.", 8) == 0) fl_sim_traffic_changed(s);
  return 0;
}

/* The log of a run is bounded: FL_LOG_MAX_LINES lines of at most FL_LOG_MAX_LINE bytes (a longer
** one is cut, and says how much was cut); past them, one more line counts the lines dropped. Each
** line counts against the memory cap. */
#define FL_LOG_MAX_LINES 10000
#define FL_LOG_MAX_LINE 4096

static int sim_log(lua_State *L) {
  fl_sim_t *s = check_sim(L);
  size_t len;
  const char *msg = luaL_checklstring(L, 2, &len);
  char note[128];
  if (s->nlogs >= FL_LOG_MAX_LINES) {
    s->logs_dropped++;
    snprintf(note, sizeof note, "(%llu more line%s dropped: sim:log keeps %d lines per run)",
             (unsigned long long)s->logs_dropped, s->logs_dropped == 1 ? "" : "s", FL_LOG_MAX_LINES);
    if (s->logs_dropped == 1) {
      fl__charge_record(L, s, sizeof *s->logs + sizeof note, "sim:log");
      fl_sim_log(s, note);
    } else {   /* the last line, made at the first line dropped, counts them */
      free(s->logs[s->nlogs - 1].msg);
      s->logs[s->nlogs - 1].msg = fl_xstrdup(note);
    }
    return 0;
  }
  if (strlen(msg) > FL_LOG_MAX_LINE) {
    size_t cut = FL_LOG_MAX_LINE;
    while (cut > 0 && ((unsigned char)msg[cut] & 0xC0) == 0x80) cut--;   /* not inside a UTF-8 character */
    char more[64];
    snprintf(more, sizeof more, "... (%zu more bytes)", strlen(msg) - cut);
    lua_pushlstring(L, msg, cut);
    lua_pushstring(L, more);
    lua_concat(L, 2);
    msg = lua_tostring(L, -1);
  }
  fl__charge_record(L, s, sizeof *s->logs + strlen(msg) + 1, "sim:log");
  fl_sim_log(s, msg);
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
int fl__run_hook(fl_model_t *m, fl_sim_t *s, int i, char *err, size_t n) {
  loader_t *ld = m->lua;
  lua_State *L = ld->L;
  ld->instructions = 0;
  ld->t_start = 0;
  ld->mem_exceeded = false;
  ld->hook_line = 0;
  ld->run_sim = s;
  ld->stop_before = s->stop != 0;
  lua_settop(L, 0);
  lua_pushcfunction(L, fl__msgh);
  lua_rawgeti(L, LUA_REGISTRYINDEX, m->hooks[i].ref);
  lsim_t *u = lua_newuserdatauv(L, sizeof *u, 0);
  u->s = s;
  luaL_setmetatable(L, "fl.sim");
  int st = lua_pcall(L, 1, 0, 1);
  ld->run_sim = NULL;
  if (st != LUA_OK) {
    const char *msg = lua_tostring(L, -1);
    if (ld->mem_exceeded || st == LUA_ERRMEM)   /* Lua gives a memory error no position */
      snprintf(err, n, "%s:%d: the scenario used more than %u MiB of memory (a runaway table or string?) (in the hook of %s:%d)",
               ld->hook_line > 0 ? ld->hook_src : m->hooks[i].file, ld->hook_line > 0 ? ld->hook_line : m->hooks[i].line,
               FL_LANG_MAX_MEMORY >> 20, m->hooks[i].file, m->hooks[i].line);
    else
      snprintf(err, n, "%s (in the hook of %s:%d)", msg ? msg : "error", m->hooks[i].file, m->hooks[i].line);
    lua_settop(L, 0);
    return -FL_ESCENARIO;
  }
  lua_settop(L, 0);
  return 0;
}

void fl__open_sim(lua_State *L) {
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
}
