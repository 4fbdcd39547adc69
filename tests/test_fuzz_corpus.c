/* Replays every file of the fuzz corpora (tests/fuzz/<target>/: the seeds, and each input that
** once crashed a target, kept there as a regression test) through the libFuzzer targets in the
** ordinary suite, plain and under the sanitizers. `make fuzz` is what grows and searches them. */
#define CHECK_MAIN
#include "check.h"

#define FUZZ_REPLAY
#include "fuzz/fuzz_import.c"
#include "fuzz/fuzz_scenario.c"
#include "fuzz/fuzz_trace.c"
#include "fuzz/fuzz_units.c"

#include <dirent.h>
#include <sys/stat.h>

/* Every regular file of 'dir' through 'fn'; returns how many. */
static int replay_dir(const char *dir, int (*fn)(const uint8_t *, size_t)) {
  DIR *d = opendir(dir);
  CHECK_MSG(d != NULL, "cannot open %s (run the tests from the repository's root)", dir);
  if (!d) return 0;
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d))) {
    char path[512];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) continue;
    FILE *f = fopen(path, "rb");
    if (!f) continue;
    uint8_t *buf = malloc((size_t)st.st_size + 1);
    size_t len = buf ? fread(buf, 1, (size_t)st.st_size, f) : 0;
    fclose(f);
    fn(buf, len);
    free(buf);
    n++;
  }
  closedir(d);
  return n;
}

/* The corpus folder of 'target', next to this file (tests run from the repository's root). */
static int replay(const char *target, int (*fn)(const uint8_t *, size_t)) {
  char dir[256];
  const char *slash = strrchr(__FILE__, '/');
  snprintf(dir, sizeof dir, "%.*s/fuzz/%s", slash ? (int)(slash - __FILE__) : 1, slash ? __FILE__ : ".", target);
  return replay_dir(dir, fn);
}

TEST(units_corpus_replays) { CHECK(replay("units", fuzz_units) >= 10); }
TEST(scenario_corpus_replays) { CHECK(replay("scenario", fuzz_scenario) >= 5); }
/* the repository's own scenarios seed the loader target too (tests/fuzz/run.sh) */
TEST(repository_scenarios_replay_through_the_loader_target) {
  CHECK(replay_dir("scenarios", fuzz_scenario) >= 4);
  CHECK(replay_dir("scenarios/theory", fuzz_scenario) >= 5);
  CHECK(replay_dir("scenarios/incidents", fuzz_scenario) >= 5);
  CHECK(replay_dir("tests/scenarios", fuzz_scenario) >= 1);
}
TEST(trace_corpus_replays) { CHECK(replay("trace", fuzz_trace) >= 3); }
TEST(import_corpus_replays) { CHECK(replay("import", fuzz_import) >= 4); }
