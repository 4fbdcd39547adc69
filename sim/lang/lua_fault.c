/* Faults and expectations in the scenario language: fault { ... } (crash, latency, slowdown,
** errors, hang, partition, capacity, leak, cold cache, pause, cpu hog) and expect "name" { ... }. */
#include "lang_int.h"
#include "faultline/units.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* fault { target = "recommend", kind = "crash", at = "40m", duration = "15m" } */
/* Reads the fault table at index 1 into 'ft'. 'at' may be left out when 'live' (injected now). */
void fl__read_fault(lua_State *L, fl_model_t *m, fl_fault_t *ft, bool live) {
  luaL_checktype(L, 1, LUA_TTABLE);
  static const char *const f[] = { "name", "target", "from", "to", "kind", "at", "duration", "instances",
                                   "latency", "factor", "rate", "every", "restart", "where", "pause", "share", NULL };
  fl__check_fields(L, 1, "fault", f);
  memset(ft, 0, sizeof *ft);
  fl__where(L, m, &ft->file, &ft->line);
  const char *kind = fl__opt_string(L, 1, "kind", "fault");
  int k = kind ? fl_fault_kind_parse(kind) : -1;
  if (k < 0) luaL_error(L, "fault: kind must be one of crash, latency, slowdown, errors, hang, partition, capacity, leak, cold_cache, pause, cpu_hog%s%s%s",
                        kind ? " (got '" : "", kind ? kind : "", kind ? "')" : "");
  ft->kind = (fl_fault_kind_t)k;
  const char *target = fl__opt_string(L, 1, "target", "fault");
  const char *from = fl__opt_string(L, 1, "from", "fault"), *to = fl__opt_string(L, 1, "to", "fault");
  bool link = ft->kind == FL_FAULT_PARTITION || ((ft->kind == FL_FAULT_LATENCY || ft->kind == FL_FAULT_ERRORS) && from);
  if (link) {
    /* on the link from one service to another: a partition, or latency / errors on those calls only */
    if (!from || !to) luaL_error(L, "fault: a partition needs from = \"caller\" and to = \"callee\"");
    if (target) luaL_error(L, "fault: give target, or from and to, not both");
    ft->from_name = fl__model_strdup(m, from); ft->to_name = fl__model_strdup(m, to);
    ft->target_name = ft->to_name;
  } else {
    if (!target && to && !from) target = to;
    if (from) luaL_error(L, "fault: a %s fault takes no from/to (the kinds that act on one link: latency, errors, partition); use target = \"...\"", kind);
    if (!target) luaL_error(L, "fault: missing target (the service it hits, e.g. target = \"recommend\")");
    ft->target_name = fl__model_strdup(m, target);
  }
  if (fl__field(L, 1, "at")) { ft->at = fl__read_duration(L, -1, "fault", "at"); lua_pop(L, 1); }
  else if (!live) luaL_error(L, "fault: missing at (when it starts, e.g. at = \"40m\")");
  if (fl__field(L, 1, "duration")) { ft->duration = fl__read_duration(L, -1, "fault", "duration"); lua_pop(L, 1);
    if (ft->duration <= 0) luaL_error(L, "fault: duration must be positive (leave it out for a fault that lasts to the end)"); }
  if (fl__field(L, 1, "instances")) {
    if (ft->kind != FL_FAULT_CRASH && ft->kind != FL_FAULT_CAPACITY && ft->kind != FL_FAULT_HANG && ft->kind != FL_FAULT_LEAK &&
        ft->kind != FL_FAULT_PAUSE && ft->kind != FL_FAULT_CPU_HOG)
      luaL_error(L, "fault: instances applies to crash, capacity, hang, leak, pause and cpu_hog faults");
    if (lua_type(L, -1) == LUA_TSTRING) ft->fraction = fl__read_fraction(L, -1, "fault", "instances");
    else if (lua_type(L, -1) == LUA_TNUMBER && lua_tonumber(L, -1) > 0 && lua_tonumber(L, -1) < 1) ft->fraction = lua_tonumber(L, -1);
    else ft->instances = (int)fl__read_count(L, -1, "fault", "instances (a count, or a share such as 0.5 or \"50%\")", 1, FL_MAX_INSTANCES);
    if (ft->fraction < 0 || (lua_type(L, -1) == LUA_TSTRING && ft->fraction == 0)) luaL_error(L, "fault: instances share must be positive");
    lua_pop(L, 1);
  } else if (ft->kind == FL_FAULT_CAPACITY) {
    luaL_error(L, "fault: a capacity fault needs instances = N (how many are lost)");
  }
  if (ft->kind == FL_FAULT_LEAK) {
    /* work grows from 1x to 'factor' x over 'every', then the instance restarts for 'restart' */
    if (!fl__field(L, 1, "every")) luaL_error(L, "fault: a leak needs every = (how long an instance runs before it runs out of memory, e.g. \"20m\")");
    ft->every = fl__read_duration(L, -1, "fault", "every"); lua_pop(L, 1);
    if (ft->every <= 0) luaL_error(L, "fault: every must be positive");
    ft->restart = 30;
    if (fl__field(L, 1, "restart")) { ft->restart = fl__read_duration(L, -1, "fault", "restart"); lua_pop(L, 1); }
    ft->value = 3;
  } else if (ft->kind == FL_FAULT_PAUSE) {
    /* each instance freezes for a 'pause' (a distribution or a duration), once at the start or
    ** 'every' interval while the fault lasts */
    if (!fl__field(L, 1, "pause")) luaL_error(L, "fault: a pause fault needs pause = (how long an instance freezes, e.g. exp \"300ms\" or \"2s\")");
    ft->pause = *fl__read_dist(L, -1, "fault", "pause"); lua_pop(L, 1);
    if (fl__field(L, 1, "every")) {
      ft->every = fl__read_duration(L, -1, "fault", "every"); lua_pop(L, 1);
      if (ft->every <= 0) luaL_error(L, "fault: every must be positive");
    }
    if (lua_getfield(L, 1, "restart") != LUA_TNIL) luaL_error(L, "fault: restart applies to a leak fault");
    lua_pop(L, 1);
  } else if (lua_getfield(L, 1, "every") != LUA_TNIL || lua_getfield(L, 1, "restart") != LUA_TNIL) {
    luaL_error(L, "fault: every and restart apply to a leak fault (every also to a pause)");
  } else lua_pop(L, 2);
  if (ft->kind != FL_FAULT_PAUSE && lua_getfield(L, 1, "pause") != LUA_TNIL) luaL_error(L, "fault: pause applies to a pause fault");
  else if (ft->kind != FL_FAULT_PAUSE) lua_pop(L, 1);
  if (ft->kind == FL_FAULT_CPU_HOG) {
    /* a process (a noisy neighbour, a runaway job) takes this share of each instance's cores */
    if (!fl__field(L, 1, "share")) luaL_error(L, "fault: a cpu_hog fault needs share = (the share of the cores it takes, e.g. \"50%%\")");
    ft->value = fl__read_fraction(L, -1, "fault", "share"); lua_pop(L, 1);
    if (!(ft->value > 0 && ft->value <= 1)) luaL_error(L, "fault: share must be above 0 and at most 100%%");
  } else if (lua_getfield(L, 1, "share") != LUA_TNIL) luaL_error(L, "fault: share applies to a cpu_hog fault");
  else lua_pop(L, 1);
  const char *vf = ft->kind == FL_FAULT_LATENCY ? "latency" : ft->kind == FL_FAULT_SLOWDOWN || ft->kind == FL_FAULT_LEAK ? "factor" :
                   ft->kind == FL_FAULT_ERRORS ? "rate" : NULL;
  static const char *const vfields[] = { "latency", "factor", "rate" };
  for (int i = 0; i < 3; i++)
    if ((!vf || strcmp(vf, vfields[i]) != 0) && lua_getfield(L, 1, vfields[i]) != LUA_TNIL)
      luaL_error(L, "fault: %s does not apply to a %s fault", vfields[i], kind);
    else if (!vf || strcmp(vf, vfields[i]) != 0) lua_pop(L, 1);
  if (vf && !(ft->kind == FL_FAULT_LEAK && lua_getfield(L, 1, "factor") == LUA_TNIL && (lua_pop(L, 1), 1))) {
    if (ft->kind == FL_FAULT_LEAK) lua_pop(L, 1);
    if (!fl__field(L, 1, vf)) luaL_error(L, "fault: a %s fault needs %s = ... (e.g. %s)", kind, vf,
                                     ft->kind == FL_FAULT_LATENCY ? "latency = \"200ms\"" : ft->kind == FL_FAULT_SLOWDOWN ? "factor = 3" : "rate = \"20%\"");
    if (ft->kind == FL_FAULT_LATENCY) ft->value = fl__read_duration(L, -1, "fault", "latency");
    else if (ft->kind == FL_FAULT_ERRORS) ft->value = fl__read_fraction(L, -1, "fault", "rate");
    else {
      if (lua_type(L, -1) != LUA_TNUMBER || !(lua_tonumber(L, -1) >= 1) || isinf(lua_tonumber(L, -1)))
        luaL_error(L, "fault: factor must be a number of at least 1 (work takes factor times longer)");
      ft->value = lua_tonumber(L, -1);
    }
    lua_pop(L, 1);
  }
  if (fl__field(L, 1, "where")) {   /* only the requests whose attributes match */
    if (ft->kind != FL_FAULT_ERRORS && ft->kind != FL_FAULT_LATENCY) luaL_error(L, "fault: where applies to errors and latency faults");
    if (ft->from_name) luaL_error(L, "fault: where applies to a fault on a service or an endpoint, not on a link");
    fl__read_where(L, m, -1, "fault", "where", &ft->where, &ft->nwhere);
    lua_pop(L, 1);
  }
  const char *name = fl__opt_string(L, 1, "name", "fault");
  if (name) ft->name = fl__model_strdup(m, name);
  else if (ft->from_name) {
    size_t n = strlen(ft->from_name) + strlen(ft->to_name) + 3;
    ft->name = fl__model_alloc(m, n);
    snprintf(ft->name, n, "%s->%s", ft->from_name, ft->to_name);
  } else ft->name = ft->target_name;
}

int fl__lua_fault(lua_State *L) {
  loader_t *ld = fl__getloader_alone(L);
  fl_model_t *m = ld->m;
  if (m->nfaults >= FL_LANG_MAX_ENTRIES) luaL_error(L, "fault: more than %d faults", FL_LANG_MAX_ENTRIES);
  if (m->nfaults == ld->fault_cap) {
    ld->fault_cap = ld->fault_cap ? ld->fault_cap * 2 : 8;
    m->faults = fl_xrealloc(m->faults, sizeof *m->faults * (size_t)ld->fault_cap);
  }
  fl_fault_t *ft = &m->faults[m->nfaults];
  fl__read_fault(L, m, ft, false);
  for (int i = 0; i < m->nfaults; i++)
    if (strcmp(m->faults[i].name, ft->name) == 0)
      luaL_error(L, "fault: two faults are named '%s' (the first at line %d): give one a name = \"...\"", ft->name, m->faults[i].line);
  m->nfaults++;
  return 0;
}

/* How a comparison's value reads: a share, a duration, a rate or a count of messages. */
enum { CMP_SHARE = 0, CMP_DURATION, CMP_RATE, CMP_COUNT };

static int parse_count(const char *text, double *v) {
  char *end = NULL;
  double x = strtod(text, &end);
  while (end && *end == ' ') end++;
  if (!end || end == text || *end || !(x >= 0) || x > 1e15) return -1;
  *v = x;
  return 0;
}

static void read_comparison(lua_State *L, int t, const char *key, const char *ctx, int kind, bool *has, char op[3], double *v) {
  static const char *const eg[] = { "\">= 99.5%\"", "\"< 300ms\"", "\">= 100/s\"", "\"< 1000\"" };
  if (!fl__field(L, t, key)) return;
  const char *text = lua_tostring(L, -1), *rest = NULL;
  if (lua_type(L, -1) != LUA_TSTRING || fl_parse_comparison(text, op, &rest) != 0)
    luaL_error(L, "%s: %s must be a comparison such as %s", ctx, key, eg[kind]);
  int rc = kind == CMP_DURATION ? fl_parse_duration(rest, v) : kind == CMP_RATE ? fl_parse_rate(rest, v)
         : kind == CMP_COUNT ? parse_count(rest, v) : fl_parse_fraction(rest, v);
  if (rc != 0) luaL_error(L, "%s: %s: cannot read '%s' (expected e.g. %s)", ctx, key, rest, eg[kind]);
  *has = true;
  lua_pop(L, 1);
}

int fl__lua_expect_body(lua_State *L) {
  loader_t *ld = fl__getloader_alone(L);
  fl_model_t *m = ld->m;
  const char *name = lua_tostring(L, lua_upvalueindex(2));
  char ctx[300];
  snprintf(ctx, sizeof ctx, "expect \"%s\"", name);
  if (!lua_istable(L, 1)) luaL_error(L, "%s: expected a table, e.g. { journey = \"gateway.checkout\", success_rate = \">= 99.5%%\" }", ctx);
  static const char *const f[] = { "journey", "service", "endpoint", "success_rate", "p99", "p50", "during", "no_cascade_from",
                                   "error_rate", "p90", "p95", "p999", "mean", "throughput", "utilization", "lag", "age",
                                   "recovers_within", "where", NULL };
  /* how each extra measure reads, in fl_xmeasure_t order */
  static const int xkind[FL_EXM__COUNT] = { CMP_SHARE, CMP_DURATION, CMP_DURATION, CMP_DURATION, CMP_DURATION, CMP_RATE,
                                           CMP_SHARE, CMP_COUNT, CMP_DURATION };
  fl__check_fields(L, 1, ctx, f);
  if (m->nexpects >= FL_LANG_MAX_ENTRIES) luaL_error(L, "%s: more than %d expectations", ctx, FL_LANG_MAX_ENTRIES);
  if (m->nexpects == ld->expect_cap) {
    ld->expect_cap = ld->expect_cap ? ld->expect_cap * 2 : 8;
    m->expects = fl_xrealloc(m->expects, sizeof *m->expects * (size_t)ld->expect_cap);
  }
  fl_expect_t *x = &m->expects[m->nexpects];
  memset(x, 0, sizeof *x);
  x->journey = -1; x->fault = -1;
  x->name = fl__model_strdup(m, name);
  fl__where(L, m, &x->file, &x->line);
  const char *j = fl__opt_string(L, 1, "journey", ctx), *sv = fl__opt_string(L, 1, "service", ctx);
  const char *ep = fl__opt_string(L, 1, "endpoint", ctx);
  const char *nc = fl__opt_string(L, 1, "no_cascade_from", ctx);
  if ((j != NULL) + (sv != NULL) + (ep != NULL) > 1) luaL_error(L, "%s: give one of journey, service or endpoint", ctx);
  if (j || sv || ep) x->subject = fl__model_strdup(m, j ? j : sv ? sv : ep);
  if (sv || ep) x->journey = -2;   /* a service, broker or endpoint: resolved later */
  if (nc) x->no_cascade_from = fl__model_strdup(m, nc);
  read_comparison(L, 1, "success_rate", ctx, CMP_SHARE, &x->has_success, x->success_op, &x->success_rate);
  read_comparison(L, 1, "p99", ctx, CMP_DURATION, &x->has_p99, x->p99_op, &x->p99);
  read_comparison(L, 1, "p50", ctx, CMP_DURATION, &x->has_p50, x->p50_op, &x->p50);
  for (int k = 0; k < FL_EXM__COUNT; k++) {
    bool has = false;
    fl_xcheck_t *c = &x->more[x->nmore];
    read_comparison(L, 1, fl_xmeasure_name((fl_xmeasure_t)k), ctx, xkind[k], &has, c->op, &c->value);
    if (has) { c->measure = (fl_xmeasure_t)k; x->nmore++; }
  }
  if (!x->subject && !nc) luaL_error(L, "%s: needs journey = \"...\", service = \"...\" or endpoint = \"...\" (or no_cascade_from = \"...\")", ctx);
  if (x->subject && !x->has_success && !x->has_p99 && !x->has_p50 && !x->nmore)
    luaL_error(L, "%s: nothing to check (expected success_rate, error_rate, p50, p90, p95, p99, p999, mean, throughput, utilization, lag or age)", ctx);
  if (ep && (x->has_success || x->nmore)) {
    for (int k = 0; k < x->nmore; k++)
      if (x->more[k].measure == FL_EXM_ERROR_RATE || x->more[k].measure >= FL_EXM_THROUGHPUT)
        luaL_error(L, "%s: an endpoint's expectation checks its latency (p50, p90, p95, p99, p999, mean)", ctx);
    if (x->has_success) luaL_error(L, "%s: an endpoint's expectation checks its latency (p50, p90, p95, p99, p999, mean)", ctx);
  }
  if (fl__field(L, 1, "during")) {
    if (lua_type(L, -1) == LUA_TSTRING) {
      const char *d = lua_tostring(L, -1);
      if (strcmp(d, "all") == 0) x->during = FL_EXPECT_ALL;
      else if (strcmp(d, "steady") == 0) x->during = FL_EXPECT_STEADY;
      else if (strncmp(d, "fault:", 6) == 0 && d[6]) { x->during = FL_EXPECT_FAULT; x->fault_name = fl__model_strdup(m, d + 6); }
      else if (strncmp(d, "after:", 6) == 0 && d[6]) { x->during = FL_EXPECT_AFTER; x->fault_name = fl__model_strdup(m, d + 6); }
      else luaL_error(L, "%s: during must be \"all\", \"steady\", \"fault:NAME\", \"after:NAME\" or { \"40m\", \"55m\" }", ctx);
    } else if (lua_istable(L, -1) && lua_rawlen(L, -1) == 2) {
      x->during = FL_EXPECT_RANGE;
      lua_rawgeti(L, -1, 1); x->from = fl__read_duration(L, -1, ctx, "during[1]"); lua_pop(L, 1);
      lua_rawgeti(L, -1, 2); x->to = fl__read_duration(L, -1, ctx, "during[2]"); lua_pop(L, 1);
      if (x->to <= x->from) luaL_error(L, "%s: during: the end must come after the start", ctx);
    } else luaL_error(L, "%s: during must be \"all\", \"steady\", \"fault:NAME\", \"after:NAME\" or { \"40m\", \"55m\" }", ctx);
    lua_pop(L, 1);
  }
  if (fl__field(L, 1, "recovers_within")) {
    /* a recovery hypothesis: the checks hold from this long after the fault ends */
    x->recovers_within = fl__read_duration(L, -1, ctx, "recovers_within"); lua_pop(L, 1);
    if (x->during == FL_EXPECT_FAULT) x->during = FL_EXPECT_AFTER;
    if (x->during != FL_EXPECT_AFTER) luaL_error(L, "%s: recovers_within needs during = \"after:NAME\" (the fault it recovers from)", ctx);
  }
  if (fl__field(L, 1, "where")) {   /* judged on the requests whose attributes match */
    if (!x->subject) luaL_error(L, "%s: where needs journey = \"...\", service = \"...\" or endpoint = \"...\"", ctx);
    for (int k = 0; k < x->nmore; k++)
      if (x->more[k].measure >= FL_EXM_UTILIZATION)
        luaL_error(L, "%s: where selects requests: %s is not a measure of requests", ctx, fl_xmeasure_name(x->more[k].measure));
    fl__read_where(L, m, -1, ctx, "where", &x->where, &x->nwhere);
    lua_pop(L, 1);
  }
  m->nexpects++;
  return 0;
}

int fl__lua_expect(lua_State *L) {
  loader_t *ld = fl__getloader(L);
  luaL_checkstring(L, 1);
  lua_pushlightuserdata(L, ld);
  lua_pushvalue(L, 1);
  lua_pushcclosure(L, fl__lua_expect_body, 2);
  return 1;
}
