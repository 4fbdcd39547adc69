/* Hooks in the scenario language: at(time, function(sim) ... end) and every(interval, ...), kept
** in the model as registry references that the simulation runs (lua_sim.c); and at "20m" { ... },
** a timed change inside a mix. */
#include "lang_int.h"

#include <stdio.h>
#include <string.h>

/* at "20m" { ["web.home"] = 0.2, ["web.search"] = 0.8 } in a mix: a timed change of the shares
** (userdata "fl.mixat", read by traffic { ... }; names and sums checked by resolve.c). */
static int mix_at(lua_State *L, double t, int tbl) {
  fl_model_t *m = fl__getloader(L)->m;
  if (!lua_istable(L, tbl)) luaL_error(L, "at: in a mix, at \"20m\" { [\"web.home\"] = 0.2, ... } (or a hook: at(\"20m\", function(sim) ... end))");
  fl_mix_at_t **u = lua_newuserdatauv(L, sizeof *u, 0);
  fl_mix_at_t *x = *u = fl__model_alloc(m, sizeof **u);
  luaL_setmetatable(L, "fl.mixat");
  x->at = t;
  fl__where(L, m, &x->file, &x->line);
  for (lua_pushnil(L); lua_next(L, tbl); lua_pop(L, 1)) {
    if (lua_type(L, -2) != LUA_TSTRING) luaL_error(L, "at: mix keys must be journeys such as \"gateway.home\"");
    if (++x->n > 100000) luaL_error(L, "at: a mix has at most 100000 journeys");
  }
  x->names = fl__model_alloc(m, sizeof *x->names * (size_t)(x->n ? x->n : 1));
  x->shares = fl__model_alloc(m, sizeof *x->shares * (size_t)(x->n ? x->n : 1));
  int i = 0;
  for (lua_pushnil(L); lua_next(L, tbl); lua_pop(L, 1)) {
    x->names[i] = fl__model_strdup(m, lua_tostring(L, -2));
    char ctx[300];
    snprintf(ctx, sizeof ctx, "at: mix[\"%.200s\"]", x->names[i]);
    x->shares[i++] = fl__read_fraction(L, -1, ctx, "share");
  }
  return 1;
}

static int mix_at_body(lua_State *L) {
  loader_t *ld = lua_touserdata(L, lua_upvalueindex(1));
  if (ld->mixat_open > 0 && --ld->mixat_open == 0) ld->mixat_line = 0;
  return mix_at(L, lua_tonumber(L, lua_upvalueindex(2)), 1);
}

/* at("45m", function(sim) ... end) and every("1m", function(sim) ... end) */
static int add_hook(lua_State *L, bool repeat) {
  loader_t *ld = fl__getloader_alone(L);
  fl_model_t *m = ld->m;
  const char *what = repeat ? "every" : "at";
  double t = fl__read_duration(L, 1, what, repeat ? "interval" : "time");
  if (repeat && t <= 0) luaL_error(L, "every: the interval must be positive");
  if (!repeat && lua_isnoneornil(L, 2)) {   /* at "20m" { ... }: the loader and the time */
    if (ld->mixat_open++ == 0) fl__where(L, m, &ld->mixat_file, &ld->mixat_line);   /* never given its { ... }: an error at the end */
    lua_pushvalue(L, lua_upvalueindex(1)); lua_pushnumber(L, t);
    lua_pushcclosure(L, mix_at_body, 2);
    return 1;
  }
  if (!repeat && lua_istable(L, 2)) return mix_at(L, t, 2);
  luaL_checktype(L, 2, LUA_TFUNCTION);
  if (m->nhooks >= FL_LANG_MAX_ENTRIES) luaL_error(L, "%s: more than %d hooks", what, FL_LANG_MAX_ENTRIES);
  if (m->nhooks == ld->hook_cap) {
    ld->hook_cap = ld->hook_cap ? 2 * ld->hook_cap : 8;
    m->hooks = fl_xrealloc(m->hooks, sizeof *m->hooks * (size_t)ld->hook_cap);
  }
  fl_hook_t *h = &m->hooks[m->nhooks++];
  memset(h, 0, sizeof *h);
  h->at = repeat ? t : t;
  h->every = repeat ? t : 0;
  fl__where(L, m, &h->file, &h->line);
  lua_pushvalue(L, 2);
  h->ref = luaL_ref(L, LUA_REGISTRYINDEX);
  return 0;
}

int fl__lua_at(lua_State *L) { return add_hook(L, false); }
int fl__lua_every(lua_State *L) { return add_hook(L, true); }
