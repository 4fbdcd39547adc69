/* libFuzzer target: the scenario loader (sim/lang/scenario.c, sim/lang/sandbox.c) on any text, written to
** a file of a private folder (slow, but the loader reads files). A load either fails with a
** message or gives a model that --set, resolution and a short simulation accept. */
#include "fuzz.h"

#include "faultline/scenario.h"
#include "faultline/sim.h"

FUZZ_TARGET(scenario) {
  if (size > 64 * 1024) return 0;
  const char *path = fuzz_write("s.lua", data, size);
  fl_model_t *m = NULL;
  char err[1024];
  err[0] = 0;
  int rc = fl_scenario_load(path, NULL, &m, err, sizeof err);
  if (rc != 0) {
    FUZZ_CHECK(m == NULL && err[0], "failed load (rc %d) without a message or with a model", rc);
    return 0;
  }
  FUZZ_CHECK(m != NULL, "loaded without a model");
  /* a short run of what loaded, if it is small enough to be quick */
  if (m->duration <= 60 && m->nservices <= 50) {
    char set[64];
    snprintf(set, sizeof set, "scenario.duration=%gs", m->duration < 2 ? m->duration : 2.0);
    if (fl_model_set(m, set, err, sizeof err) == 0 && fl_model_resolve(m, err, sizeof err) == 0) {
      fl_sim_t s;
      if (fl_sim_init(&s, m) == 0) {
        if (fl_profile_max(&m->rate, 0, m->duration) <= 20000) fl_sim_run(&s);
        fl_sim_release(&s);
      }
    }
  }
  fl_model_free(m);
  return 0;
}
