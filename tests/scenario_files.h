/* Scenario files for tests: written into a private folder under /tmp, removed at exit.
** Define SCENARIO_FILES_PREFIX (e.g. "fl_faults") before including; include once per binary. */
#ifndef FAULTLINE_TEST_SCENARIO_FILES_H
#define FAULTLINE_TEST_SCENARIO_FILES_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef SCENARIO_FILES_PREFIX
#define SCENARIO_FILES_PREFIX "fl_test"
#endif

static char sf_dir[64];
static char sf_written[64][160];
static int sf_nwritten;

static void sf_cleanup(void) {
  for (int i = 0; i < sf_nwritten; i++) unlink(sf_written[i]);
  if (sf_dir[0]) rmdir(sf_dir);
}

/* The private folder, made on first use. */
static const char *dir(void) {
  if (!sf_dir[0]) {
    snprintf(sf_dir, sizeof sf_dir, "/tmp/" SCENARIO_FILES_PREFIX "_XXXXXX");
    if (!mkdtemp(sf_dir)) { perror("mkdtemp"); exit(3); }
    atexit(sf_cleanup);
  }
  return sf_dir;
}

/* Remembers a file of dir() to remove at exit. */
static void track(const char *path) {
  for (int i = 0; i < sf_nwritten; i++) if (strcmp(sf_written[i], path) == 0) return;
  if (sf_nwritten < 64) snprintf(sf_written[sf_nwritten++], sizeof sf_written[0], "%s", path);
}

/* Writes 'text' to dir()/name; returns the path (static, valid until the next call). */
static const char *put(const char *name, const char *text) {
  static char path[160];
  snprintf(path, sizeof path, "%s/%s", dir(), name);
  FILE *f = fopen(path, "w");
  if (!f) { perror(path); exit(3); }
  fputs(text, f);
  fclose(f);
  track(path);
  return path;
}

#endif
