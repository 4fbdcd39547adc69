/* Loading a scenario script into a model: the sandboxed Lua language (sim/lang/), name
** resolution and cycle checks (sim/model/resolve.c), and --set overrides by path
** (sim/model/set.c). Every error reads "file:line: what is wrong". */
#ifndef FAULTLINE_SCENARIO_H
#define FAULTLINE_SCENARIO_H

#include "model.h"

typedef struct fl_load_opts {
  bool unsafe;              /* lifts the sandbox: os, io, require, files anywhere */
  bool has_seed;            /* --seed given: overrides the scenario's seed */
  uint64_t seed;
  const char *const *sets;  /* --set PATH=VALUE assignments, applied after the script ran */
  int nsets;
  double memory;            /* --memory: bytes the run may keep (0: the default, see fl_sim_plan) */
} fl_load_opts_t;

/* Runs the script at 'path' and returns a resolved, validated model in *out (free with
** fl_model_free). On error returns -FL_ESCENARIO (or -FL_EIO) and writes a message of the form
** "file:line: message" into err. */
int fl_scenario_load(const char *path, const fl_load_opts_t *opts, fl_model_t **out, char *err, size_t errlen);

/* Applies one "PATH=VALUE" override to a loaded model. Returns 0 or -FL_EINVAL with a message. */
int fl_model_set(fl_model_t *m, const char *assignment, char *err, size_t errlen);

/* Links names, builds steps, checks cycles and the mix. Returns 0 or -FL_ESCENARIO. */
int fl_model_resolve(fl_model_t *m, char *err, size_t errlen);

void fl_model_free(fl_model_t *m);

#endif
