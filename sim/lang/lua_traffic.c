/* Traffic in the scenario language: traffic { rate, users, spawn_rate, think, mix, client, journeys },
** the rate profiles (surge, diurnal, flash, piecewise, trace files, their sums and products) and
** the users' stages (userdata "fl.profile"). */
#include "lang_int.h"
#include "faultline/units.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static fl_profile_t *push_profile(lua_State *L, loader_t *ld, fl_profile_kind_t kind) {
  fl_profile_t *p = lua_newuserdatauv(L, sizeof *p, 0);
  memset(p, 0, sizeof *p);
  p->kind = kind;
  const char *file;
  fl__where(L, ld->m, &file, &p->line);
  luaL_setmetatable(L, "fl.profile");
  return p;
}

/* diurnal { mean = "1000/s", amplitude = 0.6, peak_at = "20h", period = "24h" } */
int fl__lua_diurnal(lua_State *L) {
  loader_t *ld = fl__getloader(L);
  luaL_checktype(L, 1, LUA_TTABLE);
  static const char *const f[] = { "mean", "amplitude", "peak_at", "period", NULL };
  fl__check_fields(L, 1, "diurnal", f);
  fl_profile_t *p = push_profile(L, ld, FL_PROFILE_DIURNAL);
  if (!fl__field(L, 1, "mean")) luaL_error(L, "diurnal: missing mean (e.g. mean = \"1000/s\")");
  p->mean = fl__read_rate(L, -1, "diurnal", "mean"); lua_pop(L, 1);
  if (!fl__field(L, 1, "amplitude")) luaL_error(L, "diurnal: missing amplitude (a share of the mean, e.g. amplitude = 0.6 or \"60%%\")");
  p->amplitude = fl__read_fraction(L, -1, "diurnal", "amplitude"); lua_pop(L, 1);
  if (fl__field(L, 1, "peak_at")) { p->peak_at = fl__read_duration(L, -1, "diurnal", "peak_at"); lua_pop(L, 1); }
  p->period = 86400;
  if (fl__field(L, 1, "period")) { p->period = fl__read_duration(L, -1, "diurnal", "period"); lua_pop(L, 1); }
  if (p->period <= 0) luaL_error(L, "diurnal: period must be positive");
  return 1;
}

/* flash { at = "1h", factor = 5, rise = "10s", hold = "5m", decay = "2m" [, base = "1000/s"] }: a
** multiplier (1 -> factor) unless a base rate is given; use it as rate = diurnal { ... } * flash { ... } */
int fl__lua_flash(lua_State *L) {
  loader_t *ld = fl__getloader(L);
  luaL_checktype(L, 1, LUA_TTABLE);
  static const char *const f[] = { "at", "factor", "rise", "hold", "decay", "base", NULL };
  fl__check_fields(L, 1, "flash", f);
  fl_profile_t *p = push_profile(L, ld, FL_PROFILE_FLASH);
  if (!fl__field(L, 1, "at")) luaL_error(L, "flash: missing at (when the crowd arrives)");
  p->at = fl__read_duration(L, -1, "flash", "at"); lua_pop(L, 1);
  if (!fl__field(L, 1, "factor") || !lua_isnumber(L, -1) || !(lua_tonumber(L, -1) >= 0))
    luaL_error(L, "flash: factor must be a number (e.g. factor = 5 for a step to 5x)");
  p->factor = lua_tonumber(L, -1); lua_pop(L, 1);
  p->rise = 1;
  if (fl__field(L, 1, "rise")) { p->rise = fl__read_duration(L, -1, "flash", "rise"); lua_pop(L, 1); }
  p->hold = 600;
  if (fl__field(L, 1, "hold")) { p->hold = fl__read_duration(L, -1, "flash", "hold"); lua_pop(L, 1); }
  p->decay = 60;
  if (fl__field(L, 1, "decay")) { p->decay = fl__read_duration(L, -1, "flash", "decay"); lua_pop(L, 1); }
  if (fl__field(L, 1, "base")) { p->base = fl__read_rate(L, -1, "flash", "base"); lua_pop(L, 1); }
  return 1;
}

/* A profile from the value at idx: a profile, a number or a rate string. */
static fl_profile_t *to_profile(lua_State *L, loader_t *ld, int idx, const char *ctx) {
  fl_profile_t *p = luaL_testudata(L, idx, "fl.profile");
  fl_profile_t *c = fl__model_alloc(ld->m, sizeof *c);
  if (p) { *c = *p; }
  else { c->kind = FL_PROFILE_CONST; c->value = fl__read_rate(L, idx, ctx, "operand"); }
  if (c->kind == FL_PROFILE_REPLAY) luaL_error(L, "%s: a trace of request timestamps replays as it is and cannot be combined", ctx);
  return c;
}

static int profile_op(lua_State *L, fl_profile_kind_t kind) {
  loader_t *ld = fl__getloader(L);
  const char *ctx = kind == FL_PROFILE_SUM ? "profile +" : "profile *";
  fl_profile_t *a = to_profile(L, ld, 1, ctx), *b = to_profile(L, ld, 2, ctx);
  fl_profile_t *p = push_profile(L, ld, kind);
  p->a = a; p->b = b;
  return 1;
}
int fl__lua_profile_add(lua_State *L) { return profile_op(L, FL_PROFILE_SUM); }
int fl__lua_profile_mul(lua_State *L) { return profile_op(L, FL_PROFILE_PRODUCT); }


/* trace "file.csv": rows "time,rate" (interpolated) or one request timestamp per row (replayed).
** Times in seconds or with units; '#' comments, blank lines and a header line are skipped. */
int fl__lua_trace(lua_State *L) {
  loader_t *ld = fl__getloader(L);
  fl_model_t *m = ld->m;
  const char *rel = luaL_checkstring(L, 1);
  if (!ld->opts->unsafe && (rel[0] == '/' || strstr(rel, "..")))
    luaL_error(L, "trace \"%s\": only files under the scenario's folder may be read (no absolute paths or '..'; --unsafe lifts this)", rel);
  char path[PATH_MAX * 2];
  if (rel[0] == '/' || strcmp(ld->dir, ".") == 0) snprintf(path, sizeof path, "%s", rel);
  else snprintf(path, sizeof path, "%s/%s", ld->dir, rel);
  if (!ld->opts->unsafe) fl__check_include_path(L, ld, "trace", rel);
  FILE *f = fopen(path, "r");
  if (!f) luaL_error(L, "trace \"%s\": cannot open %s: %s", rel, path, strerror(errno));
  int cap = 1024, n = 0, cols = 0, lineno = 0;
  double *t = fl_xmalloc(sizeof *t * (size_t)cap), *r = fl_xmalloc(sizeof *r * (size_t)cap);
  char line[512], msg[PATH_MAX * 2 + 1024] = "";
  while (fgets(line, sizeof line, f)) {
    lineno++;
    size_t len = strlen(line);
    if (len == sizeof line - 1 && line[len - 1] != '\n') { snprintf(msg, sizeof msg, "%s:%d: line too long", path, lineno); break; }
    while (len && (line[len - 1] == '\n' || line[len - 1] == '\r' || line[len - 1] == ' ')) line[--len] = 0;
    char *p = line;
    while (*p == ' ' || *p == '\t') p++;
    if (!*p || *p == '#') continue;
    char *comma = strchr(p, ',');
    if (comma) *comma = 0;
    double tv, rv = 0;
    if (fl_parse_duration(p, &tv) != 0) {
      if (n == 0 && cols == 0 && !isdigit((unsigned char)*p)) { cols = -1; continue; }   /* a header */
      snprintf(msg, sizeof msg, "%s:%d: cannot read '%s' as a time (expected seconds or e.g. \"1.5s\", \"10m\")", path, lineno, p);
      break;
    }
    if (tv > FL_MAX_SECONDS) {   /* in nanoseconds, past the run's clock */
      snprintf(msg, sizeof msg, "%s:%d: time '%s' is more than 1000000000s (about 31 years)", path, lineno, p);
      break;
    }
    int c = comma ? 2 : 1;
    if (comma) {
      char *q = comma + 1;
      while (*q == ' ') q++;
      if (strchr(q, ',')) { snprintf(msg, sizeof msg, "%s:%d: expected 'time,rate' or one timestamp per row", path, lineno); break; }
      if (fl_parse_rate(q, &rv) != 0) { snprintf(msg, sizeof msg, "%s:%d: cannot read '%s' as a rate (expected e.g. 120 or \"2000/s\")", path, lineno, q); break; }
    }
    if (cols <= 0) cols = c;
    else if (c != cols) { snprintf(msg, sizeof msg, "%s:%d: expected %s like the rows before", path, lineno, cols == 2 ? "'time,rate'" : "one timestamp"); break; }
    if (n > 0 && (cols == 2 ? tv <= t[n - 1] : tv < t[n - 1])) {
      snprintf(msg, sizeof msg, "%s:%d: times must %s (%g after %g)", path, lineno, cols == 2 ? "increase" : "not go back", tv, t[n - 1]);
      break;
    }
    if (n == cap) { cap *= 2; t = fl_xrealloc(t, sizeof *t * (size_t)cap); r = fl_xrealloc(r, sizeof *r * (size_t)cap); }
    t[n] = tv; r[n] = rv; n++;
    if (n > 50000000) { snprintf(msg, sizeof msg, "%s:%d: more than 50 million rows", path, lineno); break; }
  }
  fclose(f);
  if (!msg[0] && n == 0) snprintf(msg, sizeof msg, "%s:%d: the trace has no rows", path, lineno);
  if (msg[0]) { free(t); free(r); lua_pushstring(L, msg); return lua_error(L); }
  fl_profile_t *p = push_profile(L, ld, cols == 2 ? FL_PROFILE_PIECEWISE : FL_PROFILE_REPLAY);
  if (cols == 2) {
    p->npoints = n;
    p->pt = fl__model_alloc(m, sizeof(double) * (size_t)n); memcpy(p->pt, t, sizeof(double) * (size_t)n);
    p->pr = fl__model_alloc(m, sizeof(double) * (size_t)n); memcpy(p->pr, r, sizeof(double) * (size_t)n);
  } else {
    p->ntimes = n;
    p->times = fl__model_alloc(m, sizeof(double) * (size_t)n); memcpy(p->times, t, sizeof(double) * (size_t)n);
  }
  free(t); free(r);
  return 1;
}

int fl__lua_surge(lua_State *L) {
  loader_t *ld = fl__getloader(L);
  luaL_checktype(L, 1, LUA_TTABLE);
  static const char *const f[] = { "base", "peak", "start", "ramp", "hold", "decay", NULL };
  fl__check_fields(L, 1, "surge", f);
  fl_profile_t *p = push_profile(L, ld, FL_PROFILE_SURGE);
  int t = 1;
  if (!fl__field(L, t, "base")) luaL_error(L, "surge: missing base (e.g. base = \"1500/s\")");
  p->base = fl__read_rate(L, -1, "surge", "base"); lua_pop(L, 1);
  if (!fl__field(L, t, "peak")) luaL_error(L, "surge: missing peak (e.g. peak = \"18000/s\")");
  p->peak = fl__read_rate(L, -1, "surge", "peak"); lua_pop(L, 1);
  if (!fl__field(L, t, "start")) luaL_error(L, "surge: missing start (e.g. start = \"30m\")");
  p->start = fl__read_duration(L, -1, "surge", "start"); lua_pop(L, 1);
  if (fl__field(L, t, "ramp")) { p->ramp = fl__read_duration(L, -1, "surge", "ramp"); lua_pop(L, 1); }
  p->hold = 1e12;
  if (fl__field(L, t, "hold")) { p->hold = fl__read_duration(L, -1, "surge", "hold"); lua_pop(L, 1); }
  if (fl__field(L, t, "decay")) { p->decay = fl__read_duration(L, -1, "surge", "decay"); lua_pop(L, 1); }
  return 1;
}

int fl__lua_piecewise(lua_State *L) {
  loader_t *ld = fl__getloader(L);
  luaL_checktype(L, 1, LUA_TTABLE);
  int n = (int)lua_rawlen(L, 1);
  if (n < 1 || n > 100000) luaL_error(L, "piecewise: expected a list of { time, rate } points, e.g. piecewise { {\"0s\", \"100/s\"}, {\"10m\", \"500/s\"} }");
  fl_profile_t *p = push_profile(L, ld, FL_PROFILE_PIECEWISE);
  p->npoints = n;
  p->pt = fl__model_alloc(ld->m, sizeof(double) * (size_t)n);
  p->pr = fl__model_alloc(ld->m, sizeof(double) * (size_t)n);
  for (int i = 1; i <= n; i++) {
    lua_rawgeti(L, 1, i);
    if (!lua_istable(L, -1) || lua_rawlen(L, -1) != 2) luaL_error(L, "piecewise: point %d must be { time, rate }", i);
    lua_rawgeti(L, -1, 1); p->pt[i - 1] = fl__read_duration(L, -1, "piecewise", "time"); lua_pop(L, 1);
    lua_rawgeti(L, -1, 2); p->pr[i - 1] = fl__read_rate(L, -1, "piecewise", "rate"); lua_pop(L, 1);
    if (i > 1 && p->pt[i - 1] <= p->pt[i - 2]) luaL_error(L, "piecewise: point %d: times must increase", i);
    lua_pop(L, 1);
  }
  return 1;
}

/* stages { {"0s", 0}, {"2m", 500}, {"10m", 500}, {"12m", 0} }: users over time, linear between the
** points (k6's ramping-vus); or k6's own form, each stage a ramp from the previous target:
** stages { { duration = "2m", target = 500 }, { duration = "8m", target = 500 }, ... } from 0 users. */
int fl__lua_stages(lua_State *L) {
  loader_t *ld = fl__getloader(L);
  luaL_checktype(L, 1, LUA_TTABLE);
  int n = (int)lua_rawlen(L, 1);
  if (n < 1 || n > 100000)
    luaL_error(L, "stages: expected a list of { time, users } points, e.g. stages { {\"0s\", 0}, {\"2m\", 500} }, or k6's { duration = \"2m\", target = 500 }");
  lua_rawgeti(L, 1, 1);
  bool k6 = lua_istable(L, -1) && lua_rawlen(L, -1) == 0;
  lua_pop(L, 1);
  int np = k6 ? n + 1 : n;
  fl_profile_t *p = push_profile(L, ld, FL_PROFILE_PIECEWISE);
  p->npoints = np;
  p->pt = fl__model_alloc(ld->m, sizeof(double) * (size_t)np);
  p->pr = fl__model_alloc(ld->m, sizeof(double) * (size_t)np);
  double t = 0;
  for (int i = 1; i <= n; i++) {
    int k = k6 ? i : i - 1;
    lua_rawgeti(L, 1, i);
    int e = lua_gettop(L);
    if (k6) {
      static const char *const f[] = { "duration", "target", NULL };
      if (!lua_istable(L, e)) luaL_error(L, "stages: stage %d must be { duration = \"2m\", target = 500 }", i);
      fl__check_fields(L, e, "stages", f);
      if (!fl__field(L, e, "duration")) luaL_error(L, "stages: stage %d: missing duration", i);
      double d = fl__read_duration(L, -1, "stages", "duration"); lua_pop(L, 1);
      if (!fl__field(L, e, "target")) luaL_error(L, "stages: stage %d: missing target (users at its end)", i);
      p->pr[k] = (double)fl__read_count(L, -1, "stages", "target", 0, FL_MAX_USERS); lua_pop(L, 1);
      t += d > 0 ? d : FL_MIN_DURATION;   /* a 0 s stage is a step */
      p->pt[k] = t;
    } else {
      if (!lua_istable(L, e) || lua_rawlen(L, e) != 2) luaL_error(L, "stages: point %d must be { time, users }", i);
      lua_rawgeti(L, e, 1); p->pt[k] = fl__read_duration(L, -1, "stages", "time"); lua_pop(L, 1);
      lua_rawgeti(L, e, 2); p->pr[k] = (double)fl__read_count(L, -1, "stages", "users", 0, FL_MAX_USERS); lua_pop(L, 1);
      if (k > 0 && p->pt[k] <= p->pt[k - 1]) luaL_error(L, "stages: point %d: times must increase", i);
    }
    lua_pop(L, 1);
  }
  return 1;
}

/* users = 500 or stages { ... } (the value on top of the stack), into m->users. */
static void read_users(lua_State *L, fl_model_t *m) {
  fl_profile_t *p = luaL_testudata(L, -1, "fl.profile");
  if (p) {
    if (p->kind != FL_PROFILE_PIECEWISE && p->kind != FL_PROFILE_CONST)
      luaL_error(L, "traffic: users must be a number of users or stages { {\"0s\", 0}, {\"2m\", 500}, ... }");
    m->users = *p;
  } else {
    m->users.kind = FL_PROFILE_CONST;
    m->users.value = (double)fl__read_count(L, -1, "traffic", "users", 0, FL_MAX_USERS);
    m->users.line = m->traffic_line;
  }
  m->has_users = true;
}

typedef struct { const char *name; double share, slo; } mixent_t;
static int cmp_mix(const void *a, const void *b) { return strcmp(((const mixent_t *)a)->name, ((const mixent_t *)b)->name); }

/* A journey's slo (the value on top of the stack): positive seconds. */
static double read_slo(lua_State *L, const char *ctx, const char *key) {
  double v = fl__read_duration(L, -1, ctx, key);
  if (v <= 0) luaL_error(L, "%s: %s must be positive", ctx, key);
  return v;
}

/* client = { timeout = "10s", retries = 1, think = "3s" }: users give up and press refresh */
static void read_client(lua_State *L, fl_model_t *m) {
  if (!lua_istable(L, -1)) luaL_error(L, "traffic: client must be a table { timeout = \"10s\", retries = 1, think = \"3s\" }");
  int t = lua_gettop(L);
  static const char *const cf[] = { "timeout", "retries", "think", NULL };
  fl__check_fields(L, t, "traffic: client", cf);
  if (fl__field(L, t, "timeout")) { m->client_timeout = fl__read_duration(L, -1, "traffic: client", "timeout"); lua_pop(L, 1); }
  if (fl__field(L, t, "retries")) { m->client_retries = (int)fl__read_count(L, -1, "traffic: client", "retries", 0, FL_MAX_CLIENT_RETRIES); lua_pop(L, 1); }
  if (fl__field(L, t, "think")) { m->client_think = fl__read_duration(L, -1, "traffic: client", "think"); lua_pop(L, 1); }
  lua_pop(L, 1);
}

/* journeys = { shop = { steps = { "gateway.home", "gateway.cart", "gateway.checkout" }, continue = { 0.5, 0.3 },
**              think = "20s", slo = "1s", session_slo = "3s" } }: a session visits its steps in order while the
**              user goes on; slo bounds each step's p99, session_slo the p99 of the whole session's time */
static void read_journeys(lua_State *L, fl_model_t *m) {
  int i, n = m->njourneys;
  if (!lua_istable(L, -1)) luaL_error(L, "traffic: journeys must be a table of name = { steps = { ... }, continue = ..., think = ... }");
  int jt = lua_gettop(L);
  lua_pushnil(L);
  while (lua_next(L, jt)) {
    const char *name = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : NULL;
    if (!name || !lua_istable(L, -1)) luaL_error(L, "traffic: journeys: each entry must be name = { steps = { ... } }");
    char ctx[300];
    snprintf(ctx, sizeof ctx, "traffic: journey \"%s\"", name);
    fl_journey_t *jn = NULL;
    for (i = 0; i < n; i++) if (strcmp(m->journeys[i].name, name) == 0) jn = &m->journeys[i];
    if (!jn) luaL_error(L, "%s is not in the mix (give it a share there)", ctx);
    int t = lua_gettop(L);
    static const char *const jf[] = { "steps", "continue", "think", "slo", "session_slo", NULL };
    fl__check_fields(L, t, ctx, jf);
    if (!fl__field(L, t, "steps") || !lua_istable(L, -1) || lua_rawlen(L, -1) < 1)
      luaL_error(L, "%s: steps must list entry endpoints, e.g. steps = { \"gateway.home\", \"gateway.checkout\" }", ctx);
    int ns = (int)lua_rawlen(L, -1);
    if (ns > 1000) luaL_error(L, "%s: at most 1000 steps", ctx);
    jn->nsteps = ns;
    jn->step_names = fl__model_alloc(m, sizeof *jn->step_names * (size_t)ns);
    jn->cont = fl__model_alloc(m, sizeof *jn->cont * (size_t)ns);
    for (int k = 1; k <= ns; k++) {
      lua_rawgeti(L, -1, k);
      if (lua_type(L, -1) != LUA_TSTRING) luaL_error(L, "%s: step %d must be an endpoint name", ctx, k);
      jn->step_names[k - 1] = fl__model_strdup(m, lua_tostring(L, -1));
      jn->cont[k - 1] = 1;
      lua_pop(L, 1);
    }
    lua_pop(L, 1);
    if (fl__field(L, t, "continue")) {
      if (lua_istable(L, -1)) {
        if ((int)lua_rawlen(L, -1) != ns - 1) luaL_error(L, "%s: continue needs %d probabilities, one after each step but the last", ctx, ns - 1);
        for (int k = 1; k < ns; k++) { lua_rawgeti(L, -1, k); jn->cont[k - 1] = fl__read_fraction(L, -1, ctx, "continue"); lua_pop(L, 1); }
      } else {
        double c = fl__read_fraction(L, -1, ctx, "continue");
        for (int k = 0; k < ns - 1; k++) jn->cont[k] = c;
      }
      lua_pop(L, 1);
    }
    if (fl__field(L, t, "think")) { jn->think = fl__read_duration(L, -1, ctx, "think"); lua_pop(L, 1); }
    if (fl__field(L, t, "slo")) { jn->slo = read_slo(L, ctx, "slo"); lua_pop(L, 1); }
    if (fl__field(L, t, "session_slo")) { jn->session_slo = read_slo(L, ctx, "session_slo"); lua_pop(L, 1); }
    lua_pop(L, 1);
  }
  lua_pop(L, 1);
}

int fl__lua_traffic(lua_State *L) {
  loader_t *ld = fl__getloader(L);
  fl_model_t *m = ld->m;
  luaL_checktype(L, 1, LUA_TTABLE);
  if (m->has_traffic) luaL_error(L, "traffic { ... } is given twice");
  static const char *const f[] = { "rate", "users", "spawn_rate", "think", "mix", "client", "journeys", "attrs", NULL };
  fl__check_fields(L, 1, "traffic", f);
  m->has_traffic = true;
  fl__where(L, m, &m->traffic_file, &m->traffic_line);
  if (fl__field(L, 1, "users")) { read_users(L, m); lua_pop(L, 1); }
  if (fl__field(L, 1, "spawn_rate")) {
    if (!m->has_users) luaL_error(L, "traffic: spawn_rate paces users: give users too (e.g. users = 500, spawn_rate = \"10/s\")");
    m->spawn_rate = fl__read_rate(L, -1, "traffic", "spawn_rate"); lua_pop(L, 1);
  }
  if (fl__field(L, 1, "think")) {
    if (!m->has_users) luaL_error(L, "traffic: think is the users' wait between sessions: give users too (a journey's own think is journeys.NAME.think)");
    m->users_think = *fl__read_dist(L, -1, "traffic", "think"); lua_pop(L, 1);
  }
  if (fl__field(L, 1, "rate")) {
    fl_profile_t *p = luaL_testudata(L, -1, "fl.profile");
    if (p) m->rate = *p;
    else { m->rate.kind = FL_PROFILE_CONST; m->rate.value = fl__read_rate(L, -1, "traffic", "rate"); m->rate.line = m->traffic_line; }
    lua_pop(L, 1);
  } else if (m->has_users) {   /* closed users only: no open arrivals */
    m->rate.kind = FL_PROFILE_CONST; m->rate.value = 0; m->rate.line = m->traffic_line;
  } else {
    luaL_error(L, "traffic: missing rate or users (e.g. rate = \"2000/s\", rate = surge { ... }, or users = 500)");
  }
  if (!fl__field(L, 1, "mix") || !lua_istable(L, -1))
    luaL_error(L, "traffic: missing mix (e.g. mix = { [\"gateway.home\"] = 0.7, [\"gateway.checkout\"] = 0.3 })");
  int mt = lua_gettop(L), n = 0, nat = 0;
  lua_pushnil(L);
  while (lua_next(L, mt)) { if (luaL_testudata(L, -1, "fl.mixat")) nat++; else n++; lua_pop(L, 1); }
  if (nat > 10000) luaL_error(L, "traffic: mix has %d timed changes (at most 10000)", nat);
  if (n == 0) luaL_error(L, "traffic: mix is empty");
  if (n > 100000) luaL_error(L, "traffic: mix has %d journeys (at most 100000)", n);
  mixent_t *e = fl__model_alloc(m, sizeof *e * (size_t)n);
  int i = 0;
  lua_pushnil(L);
  m->mix_at = fl__model_alloc(m, sizeof *m->mix_at * (size_t)(nat ? nat : 1));
  while (lua_next(L, mt)) {
    fl_mix_at_t **at = luaL_testudata(L, -1, "fl.mixat");
    if (at) { m->mix_at[m->nmix_at++] = **at; lua_pop(L, 1); continue; }   /* at "20m" { ... } */
    if (lua_type(L, -2) != LUA_TSTRING) luaL_error(L, "traffic: mix keys must be entry endpoints such as \"gateway.home\"");
    e[i].name = fl__model_strdup(m, lua_tostring(L, -2));
    char ctx[300];
    snprintf(ctx, sizeof ctx, "traffic: mix[\"%s\"]", e[i].name);
    if (lua_istable(L, -1)) {   /* ["gateway.home"] = { share = 0.7, slo = "300ms" } */
      static const char *const mf[] = { "share", "slo", NULL };
      int et = lua_gettop(L);
      fl__check_fields(L, et, ctx, mf);
      if (!fl__field(L, et, "share")) luaL_error(L, "%s: missing share", ctx);
      e[i].share = fl__read_fraction(L, -1, ctx, "share"); lua_pop(L, 1);
      if (fl__field(L, et, "slo")) { e[i].slo = read_slo(L, ctx, "slo"); lua_pop(L, 1); }
    } else {
      e[i].share = fl__read_fraction(L, -1, ctx, "share");
    }
    i++;
    lua_pop(L, 1);
  }
  qsort(e, (size_t)n, sizeof *e, cmp_mix);
  for (int a = 1; a < m->nmix_at; a++)   /* in time order (stable: two at the same time are refused by resolve.c) */
    for (int b = a; b > 0 && m->mix_at[b - 1].at > m->mix_at[b].at; b--) { fl_mix_at_t t = m->mix_at[b]; m->mix_at[b] = m->mix_at[b - 1]; m->mix_at[b - 1] = t; }
  m->journeys = fl_xcalloc((size_t)n, sizeof *m->journeys);
  m->njourneys = n;
  for (i = 0; i < n; i++) {
    m->journeys[i].name = (char *)e[i].name;
    m->journeys[i].share = e[i].share;
    m->journeys[i].slo = e[i].slo;
    m->journeys[i].file = m->traffic_file;
    m->journeys[i].line = m->traffic_line;
  }
  lua_pop(L, 1);
  if (fl__field(L, 1, "client")) read_client(L, m);
  if (fl__field(L, 1, "journeys")) read_journeys(L, m);
  if (fl__field(L, 1, "attrs")) { fl__read_attrs(L, m, -1, "traffic", &m->attrs, &m->nattrs); lua_pop(L, 1); }   /* drawn as a request enters */
  return 0;
}
