/* libFuzzer target: trace files (trace "t.csv" in a scenario: "time,rate" rows or one timestamp
** per row), read by the scenario loader. */
#include "fuzz.h"

#include "faultline/scenario.h"

FUZZ_TARGET(trace) {
  if (size > 256 * 1024) return 0;
  fuzz_write("t.csv", data, size);
  static const char scenario[] =
    "scenario { duration = \"10s\" }\n"
    "service \"a\" { work = \"1ms\" }\n"
    "traffic { rate = trace \"t.csv\", mix = { a = 1 } }\n";
  const char *path = fuzz_write("trace.lua", (const uint8_t *)scenario, sizeof scenario - 1);
  fl_model_t *m = NULL;
  char err[1024];
  err[0] = 0;
  int rc = fl_scenario_load(path, NULL, &m, err, sizeof err);
  FUZZ_CHECK(rc == 0 ? m != NULL : m == NULL && err[0], "rc %d, model %p, message '%s'", rc, (void *)m, err);
  fl_model_free(m);
  return 0;
}
