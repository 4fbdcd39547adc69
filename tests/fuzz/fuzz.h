/* Shared by the libFuzzer targets (tests/fuzz/fuzz_*.c). Each defines its body with
** FUZZ_TARGET(name); built for libFuzzer (make fuzz) that becomes LLVMFuzzerTestOneInput, and
** with FUZZ_REPLAY defined (tests/test_fuzz_corpus.c) a plain function that replays the corpus
** and the crashes found so far in the ordinary test suite. */
#ifndef FAULTLINE_FUZZ_H
#define FAULTLINE_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef FUZZ_REPLAY
#define FUZZ_TARGET(name) \
  int fuzz_##name(const uint8_t *data, size_t size); \
  int fuzz_##name(const uint8_t *data, size_t size)
#else
#define FUZZ_TARGET(name) \
  int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size); \
  int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
#endif

/* Aborts (a finding) with a message when an invariant fails. */
#define FUZZ_CHECK(cond, ...) do { if (!(cond)) { fprintf(stderr, "fuzz: %s: ", #cond); fprintf(stderr, __VA_ARGS__); \
  fputc('\n', stderr); abort(); } } while (0)

/* A private folder for the files a target writes, made once per process and removed at exit.
** Short (Lua shortens chunk names past 60 characters). */
static char fuzz_dir_path[64];
static void fuzz_dir_cleanup(void) {
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", fuzz_dir_path);
  if (system(cmd) != 0) fprintf(stderr, "fuzz: could not remove %s\n", fuzz_dir_path);
}
static inline const char *fuzz_file(const char *name) {
  static char path[128];
  if (!fuzz_dir_path[0]) {
    snprintf(fuzz_dir_path, sizeof fuzz_dir_path, "/tmp/fl_fuzz_XXXXXX");
    if (!mkdtemp(fuzz_dir_path)) { perror("mkdtemp"); abort(); }
    atexit(fuzz_dir_cleanup);
  }
  snprintf(path, sizeof path, "%s/%s", fuzz_dir_path, name);
  return path;
}

/* Writes the bytes to fuzz_file(name); returns its path. */
static inline const char *fuzz_write(const char *name, const uint8_t *data, size_t size) {
  const char *path = fuzz_file(name);
  FILE *f = fopen(path, "wb");
  if (!f) { perror(path); abort(); }
  if (size && fwrite(data, 1, size, f) != size) { perror(path); abort(); }
  fclose(f);
  return path;
}

#endif
