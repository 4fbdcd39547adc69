/* The sandbox's guards around base, string and table functions: code that would run out of the
** reach of the instruction-count hook (finalizers, xpcall message handlers after a stop, Lua's
** pattern matcher and the library loops, which run in C) is refused, charged as instructions or
** moved where the hook sees it. See sandbox.h. */
#include "sandbox.h"
#include "lang_int.h"

#include <lauxlib.h>

#include <ctype.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* ---- setmetatable without __gc ---- */

static int sb_setmetatable(lua_State *L) {
  if (lua_type(L, 2) == LUA_TTABLE) {
    lua_pushliteral(L, "__gc");
    if (lua_rawget(L, 2) != LUA_TNIL)
      luaL_error(L, "setmetatable: __gc is not allowed in a scenario (a finalizer runs where no instruction limit applies)");
    lua_pop(L, 1);
  }
  return lua_tocfunction(L, lua_upvalueindex(1))(L);
}

/* ---- xpcall whose handler runs after the unwinding ---- */

/* xpcall(f, msgh, ...): pcall(f, ...), then msgh(error) once the stack has unwound. The handler
** sees no traceback of the failed call (a scenario has no debug library to take one anyway). An
** error in the handler is returned as its result, as Lua's xpcall does with LUA_ERRERR. */
static int sb_xpcall(lua_State *L) {
  int n = lua_gettop(L);
  luaL_checktype(L, 2, LUA_TFUNCTION);
  lua_pushboolean(L, 1);
  lua_pushvalue(L, 1);
  for (int i = 3; i <= n; i++) lua_pushvalue(L, i);
  if (lua_pcall(L, n - 2, LUA_MULTRET, 0) == LUA_OK) return lua_gettop(L) - n;
  lua_pushvalue(L, 2);
  lua_insert(L, -2);
  lua_pcall(L, 1, 1, 0);
  lua_pushboolean(L, 0);
  lua_insert(L, -2);
  return 2;
}

/* ---- loops in C, charged ---- */

/* A library function that loops in C runs out of the count hook's reach: its steps are charged as
** instructions before it starts (so that the limits still hold, even across calls nested through
** metamethods that are themselves library functions), and a call of more than
** FL_SANDBOX_C_STEPS steps is refused. A step that calls a C function (a metamethod, a
** replacement, a comparator) counts FL_SANDBOX_C_CALL: it costs up to half a microsecond; one
** that calls Lua code is counted by the hook besides. 'fmt' names the work, with one number. */
static void c_loop(lua_State *L, double steps, const char *fmt, double n) {
  if (steps > FL_SANDBOX_C_STEPS) {
    char what[160], msg[400];
    snprintf(what, sizeof what, fmt, n);
    snprintf(msg, sizeof msg, "%s: a loop in C, out of the instruction limit's reach (the sandbox refuses more than %.0g "
             "steps in one call; --unsafe lifts this)", what, FL_SANDBOX_C_STEPS);
    luaL_error(L, "%s", msg);
  }
  if (steps > 0) fl__charge_steps(L, steps);
}

/* The weight of a step that uses the value at idx: FL_SANDBOX_C_CALL if it is a C function, or
** if 'event' (NULL: none) of its metatable is one; else 1. */
static double step_weight(lua_State *L, int idx, const char *event) {
  bool c;
  if (!event) c = lua_iscfunction(L, idx);
  else {
    int t = luaL_getmetafield(L, idx, event);
    c = t == LUA_TFUNCTION && lua_iscfunction(L, -1);
    if (t != LUA_TNIL) lua_pop(L, 1);
  }
  return c ? FL_SANDBOX_C_CALL : 1;
}

/* The weight of a step that reads (__index) and/or writes (__newindex) the value at idx. */
static double rw_weight(lua_State *L, int idx, bool read, bool write) {
  double r = read ? step_weight(L, idx, "__index") : 1, w = write ? step_weight(L, idx, "__newindex") : 1;
  return r > w ? r : w;
}

/* ---- string patterns with a bounded worst case ---- */

enum { PAT_FIND, PAT_MATCH, PAT_GMATCH, PAT_GSUB };
static const char *const pat_names[] = { "find", "match", "gmatch", "gsub" };

/* End of the set starting at p ('['), as Lua's classEnd finds it; NULL if malformed. */
static const char *skip_set(const char *p, const char *end) {
  p++;
  if (p < end && *p == '^') p++;
  do {
    if (p >= end) return NULL;
    if (*p++ == '%' && p < end) p++;
  } while (p < end && *p != ']');
  return p < end ? p + 1 : NULL;
}

/* Lua's match_class, matchbracketclass and singlematch (lstrlib.c, 5.4), to the letter: a run
** measured with a looser test would make the bound below no bound. */
static bool class_match(int c, int cl) {
  bool res;
  switch (tolower(cl)) {
    case 'a': res = isalpha(c); break;
    case 'c': res = iscntrl(c); break;
    case 'd': res = isdigit(c); break;
    case 'g': res = isgraph(c); break;
    case 'l': res = islower(c); break;
    case 'p': res = ispunct(c); break;
    case 's': res = isspace(c); break;
    case 'u': res = isupper(c); break;
    case 'w': res = isalnum(c); break;
    case 'x': res = isxdigit(c); break;
    default: return cl == c;
  }
  return isupper(cl) ? !res : res;
}

static bool bracket_match(int c, const char *p, const char *ec) {   /* p at '[', ec at its ']' */
  bool sig = true;
  if (p[1] == '^') { sig = false; p++; }
  while (++p < ec) {
    if (*p == '%') { p++; if (class_match(c, (unsigned char)*p)) return sig; }
    else if (p[1] == '-' && p + 2 < ec) { p += 2; if ((unsigned char)p[-2] <= c && c <= (unsigned char)*p) return sig; }
    else if ((unsigned char)*p == c) return sig;
  }
  return !sig;
}

static bool single_match(int c, const char *p, const char *ep) {    /* the item [p, ep) */
  switch (*p) {
    case '.': return true;
    case '%': return class_match(c, (unsigned char)p[1]);
    case '[': return bracket_match(c, p, ep - 1);
    default: return (unsigned char)*p == c;
  }
}

/* The longest run of subject bytes that the item [p, ep) matches. */
static size_t longest_run(const char *s, size_t n, const char *p, const char *ep) {
  size_t best = 0, run = 0;
  for (size_t i = 0; i < n; i++) {
    run = single_match((unsigned char)s[i], p, ep) ? run + 1 : 0;
    if (run > best) best = run;
  }
  return best;
}

/* C(n + k, k) in floating point (saturates to infinity). */
static double choose(double n, int k) {
  double c = 1;
  for (int i = 1; i <= k && c < 1e300; i++) c = c * (n + i) / i;
  return c;
}

/* An upper bound on the paths Lua's backtracking matcher tries for pattern p (m bytes) over
** subject s (n bytes), all starts together. Each quantified item but a trailing one (which ends
** the match at once, unless '$' follows) chooses a length: '?' one of 2, '*', '+' and '-' one of
** at most (its longest run in s) + 1, and the lengths of the k unbounded ones sum to at most n, so
** that there are at most C(n + k, k) ways (C(n + k + 1, k + 1) over every start). A %b or a
** back-reference scans up to n bytes on each path. The subject is scanned only when the bound
** without it is too large. A malformed pattern is left to Lua to report (0). */
static double pattern_paths(const char *s, size_t n, const char *p, size_t m, bool can_anchor) {
  const char *end = p + m;
  bool anchored = false, dollar = false;
  if (can_anchor && p < end && *p == '^') { anchored = true; p++; }
  enum { MAXQ = 64 };
  const char *qp[MAXQ], *qe[MAXQ];
  char qk[MAXQ];
  int k = 0, q = 0, nq = 0, scans = 0;
  char last = 0;                        /* the quantifier of the last item, 0 if none */
  while (p < end) {
    char c = *p;
    if (c == '(' || c == ')') { p++; continue; }
    if (c == '$' && p + 1 == end) { dollar = true; break; }
    const char *item = p, *iend;
    last = 0;
    if (c == '%') {
      if (p + 1 >= end) return 0;
      char d = p[1];
      if (d == 'b') { p += end - p < 4 ? end - p : 4; scans++; continue; }
      if (d == 'f') {
        p += 2;
        if (p < end && *p == '[' && !(p = skip_set(p, end))) return 0;
        continue;
      }
      if (d >= '0' && d <= '9') { p += 2; scans++; continue; }
      iend = p + 2;
    } else if (c == '[') {
      if (!(iend = skip_set(p, end))) return 0;
    } else {
      iend = p + 1;
    }
    p = iend;
    if (p < end && strchr("*+-?", *p) && *p) {
      last = *p++;
      if (last == '?') q++; else k++;
      if (nq < MAXQ) { qp[nq] = item; qe[nq] = iend; qk[nq] = last; }
      nq++;
    }
  }
  if (last && !dollar) {                /* a trailing quantifier does not backtrack */
    if (last == '?') q--; else k--;
    nq--;
  }
  double dn = (double)n, per_path = 1 + scans * dn;
  double opt = q < 1024 ? ldexp(1, q) : HUGE_VAL;
  if (opt > choose(dn, q)) opt = choose(dn, q);
  double bound = opt * (anchored ? choose(dn, k) : choose(dn, k + 1)) * per_path;
  if (bound <= FL_SANDBOX_PATTERN_PATHS || nq > MAXQ) return bound;
  double runs = 1;
  for (int i = 0; i < nq && runs < 1e300; i++) {
    size_t r = longest_run(s, n, qp[i], qe[i]);
    runs *= qk[i] == '?' ? (r > 0 ? 2 : 1) : (double)r + 1;
  }
  runs *= (anchored ? 1 : dn + 1) * per_path;
  return runs < bound ? runs : bound;
}

static bool has_specials(const char *p, size_t m) {
  for (size_t i = 0; i < m; i++)
    if (strchr("^$*+?.([%-", p[i]) && p[i]) return true;
  return false;
}

static int sb_pattern(lua_State *L) {
  int kind = (int)lua_tointeger(L, lua_upvalueindex(2));
  int ts = lua_type(L, 1), tp = lua_type(L, 2);
  if ((ts == LUA_TSTRING || ts == LUA_TNUMBER) && (tp == LUA_TSTRING || tp == LUA_TNUMBER)) {
    size_t n, m;
    bool plain = kind == PAT_FIND && lua_toboolean(L, 4);
    lua_pushvalue(L, 1);   /* copies: tolstring converts numbers in place */
    lua_pushvalue(L, 2);
    const char *s = lua_tolstring(L, -2, &n);
    const char *p = lua_tolstring(L, -1, &m);
    plain = plain || ((kind == PAT_FIND || kind == PAT_MATCH) && !has_specials(p, m));
    double steps = plain ? (double)n * (double)(m + 1) : pattern_paths(s, n, p, m, kind != PAT_GMATCH);
    double limit = plain ? FL_SANDBOX_PLAIN_BYTES : FL_SANDBOX_PATTERN_PATHS;
    if (steps > limit) {
      char msg[320];
      snprintf(msg, sizeof msg, "string.%s: the pattern '%.40s%s' could %s %.2g %s on this %zu-byte string "
               "(the sandbox refuses more than %.0g; --unsafe lifts this)", pat_names[kind], p, m > 40 ? "..." : "",
               plain ? "compare" : "backtrack through", steps, plain ? "bytes" : "paths", n, limit);
      luaL_error(L, "%s", msg);
    }
    lua_pop(L, 2);
    if (kind == PAT_GSUB && (lua_type(L, 3) == LUA_TFUNCTION || lua_type(L, 3) == LUA_TTABLE)) {
      /* the replacement is called (or indexed, maybe through __index) once per match */
      double calls = (double)n + 1;
      if (lua_type(L, 4) == LUA_TNUMBER && lua_tonumber(L, 4) < calls) calls = lua_tonumber(L, 4);
      double w = lua_type(L, 3) == LUA_TFUNCTION ? step_weight(L, 3, NULL) : step_weight(L, 3, "__index");
      c_loop(L, calls * w, "string.gsub: calling the replacement for up to %.0f matches", calls);
    }
  }
  return lua_tocfunction(L, lua_upvalueindex(1))(L);
}

/* ---- loops inside one library call ---- */

/* The original function, closed over as upvalue 1. */
static int call_original(lua_State *L) { return lua_tocfunction(L, lua_upvalueindex(1))(L); }

/* As Lua's table functions check their first argument: a table, or a value whose metatable has
** the metamethods the operation uses (__index to read, __newindex to write, __len). */
enum { TAB_R = 1, TAB_W = 2, TAB_L = 4 };

static void check_tablike(lua_State *L, int arg, int what) {
  if (lua_type(L, arg) == LUA_TTABLE) return;
  int n = 1;   /* on the stack: the metatable, then the field of each metamethod looked at */
  bool ok = lua_getmetatable(L, arg);
  static const char *const fields[] = { "__index", "__newindex", "__len" };
  for (int k = 0; ok && k < 3; k++) {
    if (!(what & (1 << k))) continue;
    lua_pushstring(L, fields[k]);
    ok = lua_rawget(L, -(n + 1)) != LUA_TNIL;
    n++;
  }
  if (!ok) luaL_checktype(L, arg, LUA_TTABLE);   /* raises "table expected, got ..." */
  lua_pop(L, n);
}

/* The length of the value at 1, read once: a __len that answers differently when asked again
** cannot make the loop longer than the one charged. */
static lua_Integer length_once(lua_State *L) { return luaL_len(L, 1); }

/* table.insert(list, [pos,] value), as Lua's, with the shift charged. */
static int sb_insert(lua_State *L) {
  check_tablike(L, 1, TAB_R | TAB_W | TAB_L);
  lua_Integer e = length_once(L);
  e = (lua_Integer)((lua_Unsigned)e + 1u);   /* the first empty slot */
  lua_Integer pos;
  switch (lua_gettop(L)) {
    case 2: pos = e; break;
    case 3:
      pos = luaL_checkinteger(L, 2);
      luaL_argcheck(L, (lua_Unsigned)pos - 1u < (lua_Unsigned)e, 2, "position out of bounds");
      c_loop(L, ((double)e - (double)pos) * rw_weight(L, 1, true, true), "table.insert: shifting %.0f elements", (double)e - (double)pos);
      for (lua_Integer i = e; i > pos; i--) { lua_geti(L, 1, i - 1); lua_seti(L, 1, i); }
      break;
    default: return luaL_error(L, "wrong number of arguments to 'insert'");
  }
  lua_seti(L, 1, pos);
  return 0;
}

/* table.remove(list [, pos]), as Lua's, with the shift charged. */
static int sb_remove(lua_State *L) {
  check_tablike(L, 1, TAB_R | TAB_W | TAB_L);
  lua_Integer size = length_once(L);
  lua_Integer pos = luaL_optinteger(L, 2, size);
  if (pos != size) luaL_argcheck(L, (lua_Unsigned)pos - 1u <= (lua_Unsigned)size, 2, "position out of bounds");
  if (pos < size)
    c_loop(L, ((double)size - (double)pos) * rw_weight(L, 1, true, true), "table.remove: shifting %.0f elements", (double)size - (double)pos);
  lua_geti(L, 1, pos);
  for (; pos < size; pos++) { lua_geti(L, 1, pos + 1); lua_seti(L, 1, pos); }
  lua_pushnil(L);
  lua_seti(L, 1, pos);
  return 1;
}

/* table.move(a1, f, e, t [, a2]): e - f + 1 elements. */
static int sb_move(lua_State *L) {
  int okf, oke;
  lua_Integer f = lua_tointegerx(L, 2, &okf), e = lua_tointegerx(L, 3, &oke);
  if (okf && oke && e >= f) {
    double w = rw_weight(L, 1, true, false), w2 = rw_weight(L, lua_isnoneornil(L, 5) ? 1 : 5, false, true);
    c_loop(L, ((double)e - (double)f + 1) * (w > w2 ? w : w2), "table.move: moving %.0f elements", (double)e - (double)f + 1);
  }
  return call_original(L);
}

/* Puts the list's length, read once, as the explicit last index at 'arg' when it is left out. */
static lua_Integer last_index(lua_State *L, int arg) {
  if (!lua_isnoneornil(L, arg)) return luaL_checkinteger(L, arg);
  lua_Integer n = length_once(L);
  lua_settop(L, arg);
  lua_pushinteger(L, n);
  lua_replace(L, arg);
  return n;
}

/* table.concat(list [, sep [, i [, j]]]): j - i + 1 values read (each may call __index). */
static int sb_concat(lua_State *L) {
  check_tablike(L, 1, TAB_R | TAB_L);
  luaL_optlstring(L, 2, "", NULL);
  lua_Integer i = luaL_optinteger(L, 3, 1);
  lua_Integer j = last_index(L, 4);
  if (j >= i) c_loop(L, ((double)j - (double)i + 1) * rw_weight(L, 1, true, false), "table.concat: joining %.0f values", (double)j - (double)i + 1);
  return call_original(L);
}

/* table.unpack(list [, i [, j]]): at most a million values (beyond, Lua refuses "too many results"). */
static int sb_unpack(lua_State *L) {
  lua_Integer i = luaL_optinteger(L, 2, 1);
  lua_Integer j = last_index(L, 3);
  double n = (double)j - (double)i + 1;
  if (n > 0 && n <= 1e6) fl__charge_steps(L, n * rw_weight(L, 1, true, false));
  return call_original(L);
}

/* string.rep(s, n [, sep]): n copies of nothing would loop n times making nothing (the memory
** cap bounds every other case: its result is allocated before the loop). */
static int sb_rep(lua_State *L) {
  size_t l, lsep = 0;
  luaL_checklstring(L, 1, &l);
  lua_Integer n = luaL_checkinteger(L, 2);
  luaL_optlstring(L, 3, "", &lsep);
  if (n > 0 && l == 0 && lsep == 0) { lua_pushliteral(L, ""); return 1; }
  return call_original(L);
}

/* table.sort: n log n comparisons in C, charged (a comparator in Lua is counted as well) and
** bounded. Without a comparator, the comparisons of long strings could read more than
** FL_SANDBOX_SORT_BYTES bytes: refused. A list with __len is refused: Lua reads its length where
** no guard can check it again. */
static int sb_sort(lua_State *L) {
  if (luaL_getmetafield(L, 1, "__len") != LUA_TNIL)
    luaL_error(L, "table.sort: the list has a __len metamethod (the sandbox sorts only plain lengths; --unsafe lifts this)");
  if (lua_type(L, 1) == LUA_TTABLE) {
    lua_Unsigned n = lua_rawlen(L, 1);
    double comparisons = (double)n * log2((double)n + 1), w = rw_weight(L, 1, true, true);
    if (!lua_isnoneornil(L, 2) && step_weight(L, 2, NULL) > w) w = step_weight(L, 2, NULL);
    c_loop(L, comparisons * w, "table.sort: sorting %.0f values", (double)n);
    if (lua_isnoneornil(L, 2)) {
      size_t longest = 0;
      for (lua_Unsigned i = 1; i <= n; i++) {
        if (lua_rawgeti(L, 1, (lua_Integer)i) == LUA_TSTRING) {
          size_t len;
          lua_tolstring(L, -1, &len);
          if (len > longest) longest = len;
        }
        lua_pop(L, 1);
      }
      double bytes = comparisons * ((double)longest + 1);
      if (bytes > FL_SANDBOX_SORT_BYTES) {
        char msg[256];
        snprintf(msg, sizeof msg, "table.sort: sorting %llu values with strings of up to %zu bytes could compare %.2g bytes "
                 "(the sandbox refuses more than %.0g; --unsafe lifts this)", (unsigned long long)n, longest, bytes,
                 FL_SANDBOX_SORT_BYTES);
        luaL_error(L, "%s", msg);
      }
    }
  }
  return call_original(L);
}

/* ---- installing the guards ---- */

/* Replaces t[name] (t at the top of the stack) by 'fn' closed over the original (and 'kind'). */
static void wrap(lua_State *L, const char *name, lua_CFunction fn, int kind) {
  if (lua_getfield(L, -1, name) != LUA_TFUNCTION || !lua_tocfunction(L, -1)) { lua_pop(L, 1); return; }
  lua_pushinteger(L, kind);
  lua_pushcclosure(L, fn, 2);
  lua_setfield(L, -2, name);
}

void fl__sandbox_harden(lua_State *L) {
  lua_pushglobaltable(L);
  wrap(L, "setmetatable", sb_setmetatable, 0);
  lua_pushcfunction(L, sb_xpcall);
  lua_setfield(L, -2, "xpcall");
  if (lua_getfield(L, -1, "string") == LUA_TTABLE) {
    for (int k = PAT_FIND; k <= PAT_GSUB; k++) wrap(L, pat_names[k], sb_pattern, k);
    wrap(L, "rep", sb_rep, 0);
    lua_pushnil(L);
    lua_setfield(L, -2, "dump");
  }
  lua_pop(L, 1);
  if (lua_getfield(L, -1, "table") == LUA_TTABLE) {
    wrap(L, "sort", sb_sort, 0);
    wrap(L, "move", sb_move, 0);
    wrap(L, "concat", sb_concat, 0);
    wrap(L, "unpack", sb_unpack, 0);
    lua_pushcfunction(L, sb_insert);
    lua_setfield(L, -2, "insert");
    lua_pushcfunction(L, sb_remove);
    lua_setfield(L, -2, "remove");
  }
  lua_pop(L, 2);
  static const char *const mts[] = { "fl.dist", "fl.call", "fl.profile", "fl.parallel", "fl.sim", NULL };
  for (int i = 0; mts[i]; i++) {
    if (luaL_getmetatable(L, mts[i]) == LUA_TTABLE) {
      lua_pushliteral(L, "locked by the faultline sandbox");
      lua_setfield(L, -2, "__metatable");
    }
    lua_pop(L, 1);
  }
}
