/* Hooks in the scenario language: at(time, function(sim) ... end) and every(interval, ...), kept
** in the model as registry references that the simulation runs (lua_sim.c). */
#include "lang_int.h"

#include <string.h>

/* at("45m", function(sim) ... end) and every("1m", function(sim) ... end) */
static int add_hook(lua_State *L, bool repeat) {
  loader_t *ld = fl__getloader_alone(L);
  fl_model_t *m = ld->m;
  const char *what = repeat ? "every" : "at";
  double t = fl__read_duration(L, 1, what, repeat ? "interval" : "time");
  if (repeat && t <= 0) luaL_error(L, "every: the interval must be positive");
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
