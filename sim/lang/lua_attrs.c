/* Request attributes in the scenario language: the generators choice { ... }, share { ... } and
** zipf { n = ..., s = ... } (userdata "fl.attrgen"), an attrs = { key = generator } table (traffic,
** a fan-out call), and a selector where / when = { key = "value" | "!value" }. Keys and values are
** interned into the model here, at load time; sim/model/resolve.c links selectors to value ids. */
#include "lang_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_VALUES 1000000    /* values of one generator */

static fl_attr_gen_t *push_gen(lua_State *L, loader_t *ld, fl_attr_kind_t kind, int n) {
  fl_attr_gen_t **u = lua_newuserdatauv(L, sizeof *u, 0);
  *u = fl__model_alloc(ld->m, sizeof **u);
  luaL_setmetatable(L, "fl.attrgen");
  (*u)->kind = kind; (*u)->n = n; (*u)->key = -1;
  return *u;
}

/* choice { "OLJCESPC7Z", "66VCHSJNUP", ... }: each value as likely. */
int fl__lua_choice(lua_State *L) {
  loader_t *ld = fl__getloader(L);
  if (!lua_istable(L, 1) || lua_rawlen(L, 1) == 0) luaL_error(L, "choice: expected a list of values, e.g. choice { \"a\", \"b\" }");
  lua_Integer n = (lua_Integer)lua_rawlen(L, 1);
  if (n > MAX_VALUES) luaL_error(L, "choice: %d values at most", MAX_VALUES);
  fl_attr_gen_t *g = push_gen(L, ld, FL_ATTR_CHOICE, (int)n);
  g->names = fl__model_alloc(ld->m, sizeof *g->names * (size_t)n);
  for (lua_Integer i = 1; i <= n; i++) {
    lua_rawgeti(L, 1, i);
    if (lua_type(L, -1) != LUA_TSTRING && lua_type(L, -1) != LUA_TNUMBER) luaL_error(L, "choice: value %d must be a string", (int)i);
    g->names[i - 1] = fl__model_strdup(ld->m, lua_tostring(L, -1));
    lua_pop(L, 1);
  }
  return 1;
}

/* share { US = 8/9, CA = 1/9 }: weights that sum to 1. */
int fl__lua_share(lua_State *L) {
  loader_t *ld = fl__getloader(L);
  luaL_checktype(L, 1, LUA_TTABLE);
  int n = 0;
  for (lua_pushnil(L); lua_next(L, 1); lua_pop(L, 1)) {
    if (lua_type(L, -2) != LUA_TSTRING) luaL_error(L, "share: keys must be values such as US = 0.8");
    n++;
  }
  if (n == 0) luaL_error(L, "share: expected value = weight pairs, e.g. share { US = 0.8, CA = 0.2 }");
  if (n > MAX_VALUES) luaL_error(L, "share: %d values at most", MAX_VALUES);
  fl_attr_gen_t *g = push_gen(L, ld, FL_ATTR_SHARE, n);
  g->names = fl__model_alloc(ld->m, sizeof *g->names * (size_t)n);
  g->cdf = fl__model_alloc(ld->m, sizeof *g->cdf * (size_t)n);
  /* in name order: the draws do not depend on Lua's table order */
  int i = 0;
  for (lua_pushnil(L); lua_next(L, 1); lua_pop(L, 1)) g->names[i++] = fl__model_strdup(ld->m, lua_tostring(L, -2));
  for (int a = 1; a < n; a++)
    for (int b = a; b > 0 && strcmp(g->names[b - 1], g->names[b]) > 0; b--) { char *t = g->names[b]; g->names[b] = g->names[b - 1]; g->names[b - 1] = t; }
  double sum = 0;
  for (i = 0; i < n; i++) {
    lua_getfield(L, 1, g->names[i]);
    char ctx[160];
    snprintf(ctx, sizeof ctx, "share[\"%.100s\"]", g->names[i]);
    sum += fl__read_fraction(L, -1, "share", ctx);
    g->cdf[i] = sum;
    lua_pop(L, 1);
  }
  if (fabs(sum - 1) > 1e-6) luaL_error(L, "share: the weights sum to %g (expected 1)", sum);
  g->cdf[n - 1] = 1;
  return 1;
}

/* zipf { n = 100000, s = 1.1 }: rank k of n with weight 1 / k^s (a few users make most requests). */
int fl__lua_zipf(lua_State *L) {
  loader_t *ld = fl__getloader(L);
  luaL_checktype(L, 1, LUA_TTABLE);
  static const char *const f[] = { "n", "s", NULL };
  fl__check_fields(L, 1, "zipf", f);
  if (!fl__field(L, 1, "n")) luaL_error(L, "zipf: missing n (how many values, e.g. n = 100000)");
  int n = (int)fl__read_count(L, -1, "zipf", "n", 1, MAX_VALUES);
  lua_pop(L, 1);
  double s = 1;
  if (fl__field(L, 1, "s")) {
    if (lua_type(L, -1) != LUA_TNUMBER || !(lua_tonumber(L, -1) >= 0) || lua_tonumber(L, -1) > 10) luaL_error(L, "zipf: s must be a number from 0 to 10");
    s = lua_tonumber(L, -1);
    lua_pop(L, 1);
  }
  fl__charge_steps(L, n);
  fl_attr_gen_t *g = push_gen(L, ld, FL_ATTR_ZIPF, n);
  g->s = s;
  g->cdf = fl__model_alloc(ld->m, sizeof *g->cdf * (size_t)n);
  double sum = 0;
  for (int k = 0; k < n; k++) { sum += pow(k + 1, -s); g->cdf[k] = sum; }
  for (int k = 0; k < n; k++) g->cdf[k] /= sum;
  g->cdf[n - 1] = 1;
  return 1;
}

/* ---- interning ---- */

static int intern_key(lua_State *L, fl_model_t *m, const char *name, const char *ctx) {
  for (int k = 0; k < m->nattr_keys; k++) if (strcmp(m->attr_keys[k].name, name) == 0) return k;
  if (m->nattr_keys == FL_MAX_ATTRS) luaL_error(L, "%s: more than %d attribute keys ('%s')", ctx, FL_MAX_ATTRS, name);
  fl_attr_key_t *k = &m->attr_keys[m->nattr_keys];
  memset(k, 0, sizeof *k);
  k->name = fl__model_strdup(m, name);
  return m->nattr_keys++;
}

static uint32_t intern_value(fl_model_t *m, fl_attr_key_t *k, const char *v) {
  for (int i = 0; i < k->nvalues; i++) if (strcmp(k->values[i], v) == 0) return (uint32_t)i + 1;
  if (k->nvalues == k->cap) {
    int cap = k->cap ? 2 * k->cap : 16;
    char **nv = fl__model_alloc(m, sizeof *nv * (size_t)cap);
    if (k->nvalues) memcpy(nv, k->values, sizeof *nv * (size_t)k->nvalues);
    k->values = nv; k->cap = cap;
  }
  k->values[k->nvalues] = fl__model_strdup(m, v);
  return (uint32_t)++k->nvalues;
}

/* attrs = { product = choice { ... }, country = share { ... } } at 'idx'. */
void fl__read_attrs(lua_State *L, fl_model_t *m, int idx, const char *ctx, fl_attr_gen_t **out, int *nout) {
  idx = lua_absindex(L, idx);
  if (!lua_istable(L, idx)) luaL_error(L, "%s: attrs must be a table such as { product = choice { \"a\", \"b\" } }", ctx);
  int n = 0;
  for (lua_pushnil(L); lua_next(L, idx); lua_pop(L, 1)) {
    if (lua_type(L, -2) != LUA_TSTRING || !luaL_testudata(L, -1, "fl.attrgen"))
      luaL_error(L, "%s: attrs: each entry must be key = choice { ... }, share { ... } or zipf { ... }", ctx);
    n++;
  }
  if (n > FL_MAX_ATTRS) luaL_error(L, "%s: attrs: %d keys at most", ctx, FL_MAX_ATTRS);
  fl_attr_gen_t *gens = fl__model_alloc(m, sizeof *gens * (size_t)(n ? n : 1));
  int i = 0;
  for (lua_pushnil(L); lua_next(L, idx); lua_pop(L, 1)) {
    fl_attr_gen_t *g = *(fl_attr_gen_t **)lua_touserdata(L, -1);
    gens[i] = *g;
    fl_attr_gen_t *d = &gens[i++];
    d->key = intern_key(L, m, lua_tostring(L, -2), ctx);
    fl_attr_key_t *k = &m->attr_keys[d->key];
    bool numeric = d->kind == FL_ATTR_ZIPF;
    if (k->drawn && k->numeric != numeric)
      luaL_error(L, "%s: attrs: '%s' is drawn elsewhere as %s: one key holds names or ranks, not both", ctx, k->name, k->numeric ? "zipf ranks" : "names");
    k->drawn = true; k->numeric = numeric;
    if (!numeric) {
      d->ids = fl__model_alloc(m, sizeof *d->ids * (size_t)d->n);
      for (int v = 0; v < d->n; v++) d->ids[v] = intern_value(m, k, d->names[v]);
    }
  }
  /* in key order: the draws do not depend on Lua's table order */
  for (int a = 1; a < n; a++)
    for (int b = a; b > 0 && gens[b - 1].key > gens[b].key; b--) { fl_attr_gen_t t = gens[b]; gens[b] = gens[b - 1]; gens[b - 1] = t; }
  *out = gens; *nout = n;
}

/* where = { product = "OLJCESPC7Z", country = "!US" } at 'idx' (values linked by resolve.c). */
void fl__read_where(lua_State *L, fl_model_t *m, int idx, const char *ctx, const char *field, fl_attr_match_t **out, int *nout) {
  idx = lua_absindex(L, idx);
  if (!lua_istable(L, idx)) luaL_error(L, "%s: %s must be a table such as { product = \"a\" } or { country = \"!US\" }", ctx, field);
  int n = 0;
  for (lua_pushnil(L); lua_next(L, idx); lua_pop(L, 1)) {
    if (lua_type(L, -2) != LUA_TSTRING || (lua_type(L, -1) != LUA_TSTRING && lua_type(L, -1) != LUA_TNUMBER))
      luaL_error(L, "%s: %s: each entry must be key = \"value\" (or \"!value\": any other)", ctx, field);
    n++;
  }
  if (n == 0) luaL_error(L, "%s: %s is empty", ctx, field);
  if (n > FL_MAX_ATTRS) luaL_error(L, "%s: %s: %d keys at most", ctx, field, FL_MAX_ATTRS);
  fl_attr_match_t *w = fl__model_alloc(m, sizeof *w * (size_t)n);
  int i = 0;
  for (lua_pushnil(L); lua_next(L, idx); lua_pop(L, 1)) {
    const char *v = lua_tostring(L, -1);
    w[i].key = intern_key(L, m, lua_tostring(L, -2), ctx);
    w[i].negate = v[0] == '!';
    w[i].value = fl__model_strdup(m, v + w[i].negate);
    i++;
  }
  for (int a = 1; a < n; a++)
    for (int b = a; b > 0 && w[b - 1].key > w[b].key; b--) { fl_attr_match_t t = w[b]; w[b] = w[b - 1]; w[b - 1] = t; }
  *out = w; *nout = n;
}
