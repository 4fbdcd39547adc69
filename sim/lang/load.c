/* Loading a scenario: the Lua state and its limits (memory, instructions, CPU time), the globals
** the language defines, include, and fl_scenario_load, which runs the script, applies --set and
** resolves the model. Every error reads "file:line: ...". */
#include "lang_int.h"
#include "sandbox.h"
#include "faultline/sim.h"

#include <lualib.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define MAX_INSTRUCTIONS 200000000LL   /* a scenario that runs longer is taken for an endless loop */
#define MAX_LUA_SECONDS 10.0           /* the same in CPU time, for instructions that each take long */
#define HOOK_EVERY 100                 /* instructions between two calls of the count hook */
#define MAX_LUA_MEMORY FL_LANG_MAX_MEMORY
#define MAX_INCLUDE_DEPTH 16
#define MAX_INCLUDES 10000             /* files included in all: more is an include inside a loop */

/* ---- the loader ---- */

static void lua_release(void *lua) {
  loader_t *ld = lua;
  lua_close(ld->L);
  free(ld);
}


/* The loader, for a constructor: refused once the script has run (from a hook or a finalizer the
** model would change under the simulation). */
loader_t *fl__getloader(lua_State *L) {
  loader_t *ld = lua_touserdata(L, lua_upvalueindex(1));
  if (ld->sealed)
    luaL_error(L, "the scenario's constructors (service, call, fault, include, ...) cannot run once it is loaded; a hook acts through its sim argument");
  return ld;
}

/* The loader, for a constructor that fills an entry of a growing array of the model while it
** reads its fields: refused when another such constructor is below on the call stack, reached from
** a metamethod (__index, ...) that it triggered; this one would move the array under it. The call
** stack tells, so that an error caught by pcall leaves no state behind. */
loader_t *fl__getloader_alone(lua_State *L) {
  loader_t *ld = fl__getloader(L);
  lua_Debug ar;
  for (int level = 1; lua_getstack(L, level, &ar); level++) {
    lua_getinfo(L, "f", &ar);
    lua_CFunction f = lua_tocfunction(L, -1);
    lua_pop(L, 1);
    if (f == fl__lua_service_body || f == fl__lua_fault || f == fl__lua_expect_body || f == fl__lua_at || f == fl__lua_every)
      luaL_error(L, "a constructor cannot run while another one reads its fields (from a metamethod such as __index or __gc)");
  }
  return ld;
}

/* File and line of the Lua code that called the running C function. */
void fl__where(lua_State *L, fl_model_t *m, const char **file, int *line) {
  lua_Debug ar;
  *file = m->file; *line = 0;
  for (int level = 1; lua_getstack(L, level, &ar); level++) {
    lua_getinfo(L, "Sl", &ar);
    if (ar.currentline > 0) { *file = fl__model_strdup(m, ar.short_src); *line = ar.currentline; return; }
  }
}

int fl__msgh(lua_State *L) {
  if (!lua_isstring(L, 1)) lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
  return 1;
}

/* In the sandbox, include and trace read only plain files: no symbolic link on the way (one could
** lead to ~/.ssh or /etc/passwd, which an error message would then quote) and no FIFO or device
** (one could block forever). A missing file is left for the open to report. */
void fl__check_include_path(lua_State *L, const loader_t *ld, const char *what, const char *rel) {
  char path[PATH_MAX * 2];
  struct stat st;
  size_t n = (size_t)snprintf(path, sizeof path, "%s/", ld->dir);
  for (const char *p = rel; n < sizeof path; p++) {
    if (*p != '/' && *p) { path[n++] = *p; continue; }
    path[n] = 0;
    if (lstat(path, &st) != 0) return;
    if (S_ISLNK(st.st_mode))
      luaL_error(L, "%s \"%s\": %s is a symbolic link (the sandbox reads only plain files under the scenario's folder; --unsafe lifts this)", what, rel, path);
    if (!*p) {
      if (!S_ISREG(st.st_mode)) luaL_error(L, "%s \"%s\": %s is not a regular file", what, rel, path);
      return;
    }
    path[n++] = '/';
  }
}

/* include "relative/path.lua": runs another file of the scenario's folder in the same globals. */
int fl__lua_include(lua_State *L) {
  loader_t *ld = fl__getloader(L);
  const char *rel = luaL_checkstring(L, 1);
  if (!ld->opts->unsafe && (rel[0] == '/' || strstr(rel, "..")))
    luaL_error(L, "include \"%s\": only files under the scenario's folder may be included (no absolute paths or '..'; --unsafe lifts this)", rel);
  if (ld->depth >= MAX_INCLUDE_DEPTH) luaL_error(L, "include \"%s\": includes nested more than %d deep", rel, MAX_INCLUDE_DEPTH);
  if (++ld->includes > MAX_INCLUDES) luaL_error(L, "include \"%s\": more than %d includes (an include inside a loop?)", rel, MAX_INCLUDES);
  char path[PATH_MAX * 2];
  if (rel[0] == '/') snprintf(path, sizeof path, "%s", rel);
  else snprintf(path, sizeof path, "%s/%s", ld->dir, rel);
  if (!ld->opts->unsafe) fl__check_include_path(L, ld, "include", rel);
  if (luaL_loadfilex(L, path, "t") != LUA_OK) {
    const char *msg = lua_tostring(L, -1);
    if (strstr(msg, "cannot open")) luaL_error(L, "include \"%s\": cannot open %s", rel, path);
    if (!strchr(msg, ':')) luaL_error(L, "include \"%s\": %s: %s", rel, path, msg);   /* e.g. a binary chunk */
    return lua_error(L);
  }
  ld->depth++;
  int st = lua_pcall(L, 0, 0, 0);   /* so that a pcall(include, ...) that failed leaves depth right */
  ld->depth--;
  return st == LUA_OK ? 0 : lua_error(L);
}

/* ---- the sandbox ---- */

static void count_hook(lua_State *L, lua_Debug *ar);

/* Bytes counted against the cap besides Lua's heap: the model built so far (call "x" in a loop
** fills the arena, not Lua's heap) and the records the running hook's run holds. */
static size_t other_bytes(const loader_t *ld) {
  return (ld->m ? fl__model_arena_bytes(ld->m) : 0) + (ld->run_sim ? ld->run_sim->hook_bytes : 0);
}

static void *lua_alloc_capped(void *ud, void *ptr, size_t osize, size_t nsize) {
  loader_t *ld = ud;
  size_t old = ptr ? osize : 0;
  if (nsize == 0) { ld->mem -= old; free(ptr); return NULL; }
  size_t other = other_bytes(ld);
  if (nsize > old && ld->mem + other + (nsize - old) > MAX_LUA_MEMORY) { ld->mem_exceeded = true; return NULL; }
  void *p = realloc(ptr, nsize);
  if (p) { ld->mem = ld->mem - old + nsize; if (ld->mem > ld->mem_peak) ld->mem_peak = ld->mem; }
  if (p && ld->L && !ld->line_hook && ld->mem + other > MAX_LUA_MEMORY / 2) {
    /* a runaway script: follow it line by line, so that running out can name its line
    ** (lua_sethook is safe anywhere; it only touches the hook fields and call infos) */
    ld->line_hook = true;
    lua_sethook(ld->L, count_hook, LUA_MASKCOUNT | LUA_MASKLINE, lua_gethookcount(ld->L));
  }
  return p;
}

/* The limits the count hook applies, and what library functions charge (fl__charge_steps). */
enum { LIM_NONE, LIM_INSTRUCTIONS, LIM_TIME, LIM_INTERRUPT };

/* Which limit the running code has passed, if any. Every instruction is counted (a) from a stop
** on, so that each fails and no pcall, xpcall or __gc can swallow the stop and loop on, and (b)
** while instructions are slow (each copying or comparing strings of megabytes), so that the time
** limit is seen within one of them. An interrupt is a stop set while a hook runs (the first
** SIGINT or SIGTERM of `faultline run`): the hook ends at once with its file:line. */
static int passed_limit(lua_State *L, loader_t *ld) {
  struct timespec ts;
  /* the thread's own CPU time, not the wall clock: a loaded machine (or other runs of a sweep)
  ** must not change which limit a scenario reaches first */
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  double now = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
  if (ld->t_start == 0) ld->t_start = ld->t_last = now;
  int lim = ld->instructions > MAX_INSTRUCTIONS ? LIM_INSTRUCTIONS
          : now - ld->t_start > MAX_LUA_SECONDS ? LIM_TIME
          : ld->run_sim && ld->run_sim->stop && !ld->stop_before ? LIM_INTERRUPT : LIM_NONE;
  int want = lim != LIM_NONE || now - ld->t_last > 0.1 ? 1 : HOOK_EVERY;
  ld->t_last = now;
  if (want != lua_gethookcount(L)) lua_sethook(L, count_hook, lua_gethookmask(L), want);
  return lim;
}

/* Raises the message of limit 'lim' after the position on the stack's top. */
static int raise_limit(lua_State *L, int lim) {
  if (lim == LIM_INSTRUCTIONS) lua_pushfstring(L, "the scenario ran for more than %I Lua instructions (an endless loop?)", (lua_Integer)MAX_INSTRUCTIONS);
  else if (lim == LIM_TIME) lua_pushfstring(L, "the scenario ran for more than %d seconds (an endless loop over huge strings?)", (int)MAX_LUA_SECONDS);
  else lua_pushliteral(L, "the run was interrupted while this hook ran");
  lua_concat(L, 2);
  return lua_error(L);
}

static void count_hook(lua_State *L, lua_Debug *ar) {
  loader_t *ld = NULL;
  lua_getallocf(L, (void **)&ld);
  if (ar->event != LUA_HOOKCOUNT) {   /* a new line, past half the memory cap: note where */
    if (lua_getinfo(L, "Sl", ar) && ar->currentline > 0) {
      snprintf(ld->hook_src, sizeof ld->hook_src, "%s", ar->short_src);
      ld->hook_line = ar->currentline;
    }
    return;
  }
  ld->instructions += lua_gethookcount(L);
  int lim = passed_limit(L, ld);
  if (lim == LIM_NONE) return;
  /* not luaL_error: its position would be the caller's (level 1), not the loop's */
  if (lua_getinfo(L, "Sl", ar) && ar->currentline > 0) lua_pushfstring(L, "%s:%d: ", ar->short_src, ar->currentline);
  else lua_pushliteral(L, "");
  raise_limit(L, lim);
}

/* Pushes "file:line: " of the innermost Lua code on the stack ("" when there is none: a
** library function called from C, with no Lua below). */
static void push_lua_where(lua_State *L) {
  lua_Debug ar;
  for (int level = 1; lua_getstack(L, level, &ar); level++) {
    lua_getinfo(L, "Sl", &ar);
    if (ar.currentline > 0) { lua_pushfstring(L, "%s:%d: ", ar.short_src, ar.currentline); return; }
  }
  lua_pushliteral(L, "");
}

void fl__charge_steps(lua_State *L, double steps) {
  loader_t *ld = NULL;
  lua_getallocf(L, (void **)&ld);
  ld->instructions += steps > (double)MAX_INSTRUCTIONS ? MAX_INSTRUCTIONS + 1 : (long long)steps;
  int lim = passed_limit(L, ld);
  if (lim == LIM_NONE) return;
  push_lua_where(L);
  raise_limit(L, lim);
}

void fl__charge_record(lua_State *L, struct fl_sim *s, size_t bytes, const char *what) {
  loader_t *ld = NULL;
  lua_getallocf(L, (void **)&ld);
  /* the last 64 KiB stay Lua's: raising this error takes memory too */
  if (ld->mem + other_bytes(ld) + bytes + (64u << 10) > MAX_LUA_MEMORY)
    luaL_error(L, "%s: the scenario used more than %d MiB of memory, counting the records its hooks made "
               "(a hook logging or scaling in a loop?)", what, (int)(MAX_LUA_MEMORY >> 20));
  s->hook_bytes += bytes;
}

static void open_sandbox(lua_State *L, loader_t *ld) {
  if (ld->opts->unsafe) {
    luaL_openlibs(L);
  } else {
    static const luaL_Reg libs[] = {
      { LUA_GNAME, luaopen_base }, { LUA_STRLIBNAME, luaopen_string }, { LUA_TABLIBNAME, luaopen_table },
      { LUA_MATHLIBNAME, luaopen_math }, { NULL, NULL }
    };
    for (const luaL_Reg *l = libs; l->func; l++) { luaL_requiref(L, l->name, l->func, 1); lua_pop(L, 1); }
    static const char *const removed[] = { "dofile", "loadfile", "load", "require", "collectgarbage", NULL };
    for (int i = 0; removed[i]; i++) { lua_pushnil(L); lua_setglobal(L, removed[i]); }
    /* string.rep can build gigabytes in one call; the allocator cap catches it. */
  }
  static const luaL_Reg fns[] = {
    { "scenario", fl__lua_scenario }, { "service", fl__lua_service }, { "call", fl__lua_call }, { "parallel", fl__lua_parallel },
    { "const", fl__lua_const }, { "exp", fl__lua_exp }, { "lognormal", fl__lua_lognormal }, { "gamma", fl__lua_gamma },
    { "uniform", fl__lua_uniform }, { "percentiles", fl__lua_percentiles },
    { "traffic", fl__lua_traffic }, { "surge", fl__lua_surge }, { "diurnal", fl__lua_diurnal }, { "flash", fl__lua_flash }, { "trace", fl__lua_trace }, { "piecewise", fl__lua_piecewise }, { "stages", fl__lua_stages }, { "include", fl__lua_include },
    { "choice", fl__lua_choice }, { "share", fl__lua_share }, { "zipf", fl__lua_zipf },
    { "fault", fl__lua_fault }, { "expect", fl__lua_expect }, { "at", fl__lua_at }, { "every", fl__lua_every },
    { NULL, NULL }
  };
  lua_pushglobaltable(L);
  lua_pushlightuserdata(L, ld);
  luaL_setfuncs(L, fns, 1);
  lua_pop(L, 1);
  /* exp shadows nothing in the globals, but math.exp stays math.exp */
  luaL_newmetatable(L, "fl.dist"); lua_pop(L, 1);
  luaL_newmetatable(L, "fl.profile");
  lua_pushlightuserdata(L, ld); lua_pushcclosure(L, fl__lua_profile_add, 1); lua_setfield(L, -2, "__add");
  lua_pushlightuserdata(L, ld); lua_pushcclosure(L, fl__lua_profile_mul, 1); lua_setfield(L, -2, "__mul");
  lua_pop(L, 1);
  luaL_newmetatable(L, "fl.parallel"); lua_pop(L, 1);
  luaL_newmetatable(L, "fl.attrgen"); lua_pop(L, 1);
  luaL_newmetatable(L, "fl.mixat"); lua_pop(L, 1);
  fl__open_sim(L);
  luaL_newmetatable(L, "fl.call");
  lua_pushlightuserdata(L, ld); lua_pushcclosure(L, fl__lua_call_options, 1);   /* the loader: when, attrs */
  lua_setfield(L, -2, "__call");
  lua_pop(L, 1);
  lua_pushinteger(L, (lua_Integer)ld->m->seed);
  lua_getglobal(L, "math");
  lua_getfield(L, -1, "randomseed");
  lua_pushvalue(L, -3);
  lua_call(L, 1, 0);
  lua_pop(L, 2);
  fl__open_profiles(L);
  if (!ld->opts->unsafe) fl__sandbox_harden(L);
  lua_sethook(L, count_hook, LUA_MASKCOUNT, HOOK_EVERY);
}

/* ---- loading ---- */

int fl_scenario_load(const char *path, const fl_load_opts_t *opts, fl_model_t **out, char *err, size_t errlen) {
  static const fl_load_opts_t defaults = { 0 };
  if (!opts) opts = &defaults;
  *out = NULL;
  FILE *f = fopen(path, "r");
  if (!f) { snprintf(err, errlen, "cannot open scenario '%s': %s", path, strerror(errno)); return -FL_EIO; }
  fclose(f);
  loader_t *ldp = fl_xcalloc(1, sizeof *ldp);
#define ld (*ldp)
  ld.opts = opts;
  fl_model_t *m = fl_xcalloc(1, sizeof *m);
  ld.m = m;
  m->file = fl__model_strdup(m, path);
  m->name = fl__model_strdup(m, "scenario");
  fl__model_defaults(m);
  if (opts->has_seed) m->seed = opts->seed;
  const char *slash = strrchr(path, '/');
  if (slash) snprintf(ld.dir, sizeof ld.dir, "%.*s", (int)(slash - path), path);
  else snprintf(ld.dir, sizeof ld.dir, ".");

  lua_State *L = lua_newstate(lua_alloc_capped, &ld);
  if (!L) { fl_model_free(m); snprintf(err, errlen, "faultline: out of memory"); return -FL_ENOMEM; }
  ld.L = L;
  int rc = 0;
  lua_pushcfunction(L, fl__msgh);
  open_sandbox(L, &ld);
  int st = luaL_loadfilex(L, path, "t");
  if (st == LUA_OK) st = lua_pcall(L, 0, 0, 1);
  if (st != LUA_OK) {
    const char *msg = lua_tostring(L, -1);
    if (ld.mem_exceeded || st == LUA_ERRMEM) {
      /* Lua gives a memory error no position: name the line the count hook saw last */
      if (ld.hook_line > 0)
        snprintf(err, errlen, "%s:%d: the scenario used more than %u MiB of memory (a runaway table or string?)",
                 ld.hook_src, ld.hook_line, MAX_LUA_MEMORY >> 20);
      else
        snprintf(err, errlen, "%s: the scenario used more than %u MiB of memory (a runaway table or string?)", path, MAX_LUA_MEMORY >> 20);
    } else {
      /* a message with no position (the parser's "C stack overflow", error("x", 0)) gets the file */
      if (msg && !strchr(msg, ':')) snprintf(err, errlen, "%s: %s", path, msg);
      else snprintf(err, errlen, "%s", msg ? msg : "unknown error");
    }
    rc = -FL_ESCENARIO;
  } else if (ld.mixat_open > 0) {   /* at("45m") alone: a hook without its function */
    snprintf(err, errlen, "%s:%d: at: expected a function: at(\"45m\", function(sim) ... end) (or, inside a mix, at \"45m\" { ... })",
             ld.mixat_file ? ld.mixat_file : path, ld.mixat_line);
    rc = -FL_ESCENARIO;
  } else if (!ld.seen_scenario) {
    snprintf(err, errlen, "%s:1: no scenario { duration = ... } (expected e.g. scenario { name = \"shop\", duration = \"1h\" })", path);
    rc = -FL_ESCENARIO;
  }
  ld.sealed = true;
  if (rc == 0 && m->nhooks > 0) {
    /* hooks run during the simulation: the state lives on with the model */
    static const fl_load_opts_t kept = { 0 };
    ld.opts = &kept;
    ld.depth = 0;
    m->lua = ldp;
    m->run_hook = fl__run_hook;
    m->lua_free = lua_release;
  } else {
    lua_close(L);
    free(ldp);
  }
#undef ld
  for (int i = 0; rc == 0 && i < opts->nsets; i++)
    if (fl_model_set(m, opts->sets[i], err, errlen)) rc = -FL_EINVAL;
  if (rc == 0 && (rc = fl_model_resolve(m, err, errlen)) != 0 && opts->nsets > 0) {
    /* the script alone may be fine: say that the overrides took part */
    size_t used = strlen(err);
    if (used + 1 < errlen) snprintf(err + used, errlen - used, " (after --set %s%s)", opts->sets[0], opts->nsets > 1 ? ", ..." : "");
  }
  if (rc) { fl_model_free(m); return rc; }
  *out = m;
  return 0;
}

