/* Private to sim/lang/: the loader's state, the value readers every constructor uses, and the
** constructors and helpers that one file of the language shares with another. */
#ifndef FAULTLINE_SIM_LANG_INT_H
#define FAULTLINE_SIM_LANG_INT_H

#include "faultline/scenario.h"
#include "../model/model_int.h"

#include <lauxlib.h>
#include <lua.h>

#include <limits.h>
#include <stdbool.h>

#define FL_LANG_MAX_MEMORY (256u << 20)   /* Lua's heap, the model and what hooks record: the memory cap */
#define FL_LANG_MAX_ENTRIES 10000   /* a service's endpoints, faults, expectations, hooks: each found by a linear search */
#define FL_LANG_MAX_SERVICES 100000 /* services: found by hash (model.c); statistics past the memory budget are refused at load (fl_sim_plan) */

/* ---- the loader (load.c) ---- */

typedef struct loader {
  fl_model_t *m;
  const fl_load_opts_t *opts;
  char dir[PATH_MAX];       /* the scenario's folder: includes resolve against it */
  int svc_cap, jrn_cap, fault_cap, expect_cap, hook_cap;
  bool seen_scenario;
  bool sealed;               /* the script has run: constructors refuse (hooks, finalizers) */
  int depth, includes;
  long long instructions;
  double t_start, t_last;    /* the thread's CPU time at the count hook's first and last call (0: not yet) */
  size_t mem, mem_peak;
  bool mem_exceeded;
  lua_State *L;
  bool line_hook;            /* past half the memory cap, the hook also runs on each new line */
  char hook_src[LUA_IDSIZE]; /* where the hook last found the script: a memory error */
  int hook_line;             /* has no position of its own */
  struct fl_sim *run_sim;    /* the run whose hook is running (NULL while the script loads) */
  bool stop_before;          /* run_sim->stop was set before the hook started (not an interrupt) */
  int mixat_open;            /* at "T" without its { ... } yet (a hook's at() missing its function) */
  const char *mixat_file;    /* ... where the first of them was written */
  int mixat_line;
} loader_t;

/* The loader, for a constructor (upvalue 1): refused once the script has run (from a hook or a
** finalizer the model would change under the simulation). */
loader_t *fl__getloader(lua_State *L);
/* The same, for a constructor that fills an entry of a growing array of the model while it reads
** its fields: refused when another such constructor is below on the call stack. */
loader_t *fl__getloader_alone(lua_State *L);
/* File and line of the Lua code that called the running C function (the file in the arena). */
void fl__where(lua_State *L, fl_model_t *m, const char **file, int *line);
/* In the sandbox, include and trace read only plain files under the scenario's folder. */
void fl__check_include_path(lua_State *L, const loader_t *ld, const char *what, const char *rel);
/* The message handler of every protected call: a non-string error object gets a text. */
int fl__msgh(lua_State *L);
/* Counts 'steps' of work that a library function is about to do in C, where the count hook never
** fires, as that many instructions, and applies the hook's limits at once (instructions, wall time,
** an interrupt of the run while a hook runs): raises "file:line: ..." when one is passed. */
void fl__charge_steps(lua_State *L, double steps);
/* Counts 'bytes' of records that a hook is about to make in run 's' (log lines, scaling changes)
** against the memory cap, with Lua's heap and the model: raises "file:line: <what>: ..." past it. */
void fl__charge_record(lua_State *L, struct fl_sim *s, size_t bytes, const char *what);

/* ---- value readers (read.c): each raises "file:line: <ctx>: <field>: ..." on a bad value ---- */

double fl__read_duration(lua_State *L, int idx, const char *ctx, const char *field);   /* seconds: 0, or FL_MIN_DURATION to FL_MAX_SECONDS */
double fl__read_rate(lua_State *L, int idx, const char *ctx, const char *field);       /* per second, 0 to FL_MAX_RATE */
double fl__read_fraction(lua_State *L, int idx, const char *ctx, const char *field);   /* 0 to 1, or "2.5%" */
long long fl__read_count(lua_State *L, int idx, const char *ctx, const char *field, long long min, long long max);
bool fl__read_bool(lua_State *L, int idx, const char *ctx, const char *field);
/* Raises an error naming the first key of table 'idx' that is not in 'allowed' (NULL-ended). */
void fl__check_fields(lua_State *L, int idx, const char *ctx, const char *const *allowed);
/* Pushes t[name]; returns false (and pushes nothing) when it is nil. */
bool fl__field(lua_State *L, int t, const char *name);
/* t[name] as a string (alive while the table is), or NULL when nil; raises on another type. */
const char *fl__opt_string(lua_State *L, int t, const char *name, const char *ctx);

/* ---- shared between the constructors ---- */

/* lua_dist.c: the distribution at idx ("fl.dist", or a bare duration made a constant in place). */
const fl_dist_t *fl__read_dist(lua_State *L, int idx, const char *ctx, const char *fieldname);
/* lua_call.c: reads a calls list at 'idx' into the endpoint's calls and steps. */
void fl__read_calls(lua_State *L, loader_t *ld, int idx, fl_endpoint_t *ep, const char *ctx);
/* lua_call.c: pushes the policy table of 'kind' from a plain table or a named profile (with its
** overrides); returns its index. */
int fl__push_policy(lua_State *L, int idx, const char *kind, const char *ctx);
/* lua_call.c: defines the global 'profile' (profile.envoy, profile.resilience4j, profile.grpc). */
void fl__open_profiles(lua_State *L);
/* lua_fault.c: reads the fault table at index 1; 'at' may be left out when 'live' (injected now). */
void fl__read_fault(lua_State *L, fl_model_t *m, fl_fault_t *ft, bool live);
/* lua_attrs.c: attrs = { key = choice / share / zipf { ... } } at idx, keys and values interned. */
void fl__read_attrs(lua_State *L, fl_model_t *m, int idx, const char *ctx, fl_attr_gen_t **out, int *nout);
/* lua_attrs.c: a selector { key = "value" | "!value" } at idx ('field': "where", "when"). */
void fl__read_where(lua_State *L, fl_model_t *m, int idx, const char *ctx, const char *field, fl_attr_match_t **out, int *nout);
/* lua_sim.c: creates the "fl.sim" metatable, the hooks' view of a running simulation. */
void fl__open_sim(lua_State *L);
/* lua_sim.c: runs hook i with a fresh sim object (the model's run_hook). */
int fl__run_hook(fl_model_t *m, struct fl_sim *s, int i, char *err, size_t n);

/* The constructors, registered as globals by load.c with the loader as upvalue 1. */
int fl__lua_scenario(lua_State *L);                 /* lua_scenario.c */
int fl__lua_service(lua_State *L);                  /* lua_service.c */
int fl__lua_service_body(lua_State *L);
int fl__lua_call(lua_State *L);                     /* lua_call.c */
int fl__lua_call_options(lua_State *L);
int fl__lua_parallel(lua_State *L);
int fl__lua_const(lua_State *L);                    /* lua_dist.c */
int fl__lua_exp(lua_State *L);
int fl__lua_lognormal(lua_State *L);
int fl__lua_gamma(lua_State *L);
int fl__lua_uniform(lua_State *L);
int fl__lua_percentiles(lua_State *L);
int fl__lua_traffic(lua_State *L);                  /* lua_traffic.c */
int fl__lua_surge(lua_State *L);
int fl__lua_diurnal(lua_State *L);
int fl__lua_flash(lua_State *L);
int fl__lua_trace(lua_State *L);
int fl__lua_piecewise(lua_State *L);
int fl__lua_stages(lua_State *L);
int fl__lua_profile_add(lua_State *L);
int fl__lua_profile_mul(lua_State *L);
int fl__lua_choice(lua_State *L);                   /* lua_attrs.c */
int fl__lua_share(lua_State *L);
int fl__lua_zipf(lua_State *L);
int fl__lua_fault(lua_State *L);                    /* lua_fault.c */
int fl__lua_expect(lua_State *L);
int fl__lua_expect_body(lua_State *L);
int fl__lua_at(lua_State *L);                       /* lua_hook.c */
int fl__lua_every(lua_State *L);
int fl__lua_include(lua_State *L);                  /* load.c */

#endif
