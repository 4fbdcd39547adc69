/* The tests' one fixture: a private scratch folder of scenario files (removed at exit), notes
** printed when the binary's verbose variable is set, and runs of scenarios through fl_run_t
** (load, run to the end, check the expectations) with look-ups of services, journeys and
** expectations by name. Include once per test binary, after check.h; define FIXTURE_NAME
** (e.g. "faults": folder /tmp/fl_faults_XXXXXX, notes under FAULTLINE_FAULTS_VERBOSE=1) first. */
#ifndef FAULTLINE_TEST_FIXTURE_H
#define FAULTLINE_TEST_FIXTURE_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "faultline/run.h"
#include "faultline/scenario.h"
#include "faultline/sim.h"

#ifndef FIXTURE_NAME
#define FIXTURE_NAME "test"
#endif

/* ---- the scratch folder ---- */

static char fx_dir[64];

static void fx_cleanup(void) {
  char cmd[128];
  if (!fx_dir[0]) return;
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", fx_dir);
  if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", fx_dir);
}

/* The private folder, made on first use. Short and fixed (not $TMPDIR): Lua shortens chunk
** names longer than LUA_IDSIZE (60), and error messages name the file. */
static inline const char *dir(void) {
  if (!fx_dir[0]) {
    snprintf(fx_dir, sizeof fx_dir, "/tmp/fl_" FIXTURE_NAME "_XXXXXX");
    if (!mkdtemp(fx_dir)) { perror("mkdtemp"); exit(3); }
    atexit(fx_cleanup);
  }
  return fx_dir;
}

/* dir()/name (static, valid until the next call). */
static inline const char *path_of(const char *name) {
  static char path[256];
  snprintf(path, sizeof path, "%s/%s", dir(), name);
  return path;
}

/* Writes 'text' to dir()/name (name may hold one folder: "parts/x.lua"); returns the path
** (static, valid until the next call). */
static inline const char *put(const char *name, const char *text) {
  const char *slash = strchr(name, '/');
  if (slash) {
    char sub[256];
    snprintf(sub, sizeof sub, "%s/%.*s", dir(), (int)(slash - name), name);
    mkdir(sub, 0700);
  }
  const char *path = path_of(name);
  FILE *f = fopen(path, "w");
  if (!f) { perror(path); exit(3); }
  fputs(text, f);
  fclose(f);
  return path;
}

/* put() of a printf-style text. */
static inline const char *putf(const char *name, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static inline const char *putf(const char *name, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0) { perror("vsnprintf"); exit(3); }
  char *text = malloc((size_t)n + 1);
  if (!text) exit(3);
  va_start(ap, fmt);
  vsnprintf(text, (size_t)n + 1, fmt, ap);
  va_end(ap);
  const char *path = put(name, text);
  free(text);
  return path;
}

/* 'pattern' with every "$D" replaced by dir(). */
static inline void expand(const char *pattern, char *out, size_t n) {
  size_t w = 0;
  for (const char *p = pattern; *p && w + 1 < n; ) {
    if (p[0] == '$' && p[1] == 'D') { w += (size_t)snprintf(out + w, n - w, "%s", dir()); p += 2; }
    else out[w++] = *p++;
  }
  out[w < n ? w : n - 1] = 0;
}

/* ---- notes ---- */

/* FAULTLINE_<NAME>_VERBOSE set and not "0". */
static inline bool verbose(void) {
  char var[64];
  snprintf(var, sizeof var, "FAULTLINE_%s_VERBOSE", FIXTURE_NAME);
  for (char *c = var; *c; c++) if (*c >= 'a' && *c <= 'z') *c = (char)(*c - 'a' + 'A');
  const char *v = getenv(var);
  return v && *v && strcmp(v, "0") != 0;
}

/* "  # ..." on stdout when verbose. */
static inline void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline void note(const char *fmt, ...) {
  if (!verbose()) return;
  va_list ap;
  va_start(ap, fmt);
  printf("  # ");
  vprintf(fmt, ap);
  printf("\n");
  va_end(ap);
}

/* ---- runs ---- */

typedef fl_run_t run_t;

/* Loads 'path' with 'opts' and builds the run, not started. On failure records a check failure
** and returns false (nothing to release, run_free is still safe). */
static inline bool start_opts(run_t *r, const char *path, const fl_load_opts_t *opts) {
  char err[2048];
  if (fl_run_load(r, path, opts, err, sizeof err) != 0) { CHECK_FAIL_("cannot load %s: %s", path, err); return false; }
  return true;
}

static inline bool start_path(run_t *r, const char *path, const char *const *sets, int nsets) {
  fl_load_opts_t o = { .sets = sets, .nsets = nsets };
  return start_opts(r, path, &o);
}

/* Runs a started run to its end (a check failure when it stops early or a hook fails) and
** checks its expectations (r->failed). */
static inline void finish(run_t *r) {
  int rc = fl_run_all(r);
  CHECK_MSG(rc == 0, "the run stopped early: %s", r->s.error[0] ? r->s.error : "stopped");
  fl_run_check(r);
}

/* Loads 'path' with 'opts', runs it to the end, checks its expectations. */
static inline bool run_opts(run_t *r, const char *path, const fl_load_opts_t *opts) {
  if (!start_opts(r, path, opts)) return false;
  finish(r);
  return true;
}

static inline bool run_path(run_t *r, const char *path, const char *const *sets, int nsets) {
  fl_load_opts_t o = { .sets = sets, .nsets = nsets };
  return run_opts(r, path, &o);
}

/* Writes 'text' to dir()/name and runs it. */
static inline bool run_text(run_t *r, const char *name, const char *text) { return run_path(r, put(name, text), NULL, 0); }

static inline void run_free(run_t *r) { fl_run_release(r); }

/* Loaded, ran to its end without a hook's error. */
static inline bool run_ok(const run_t *r) { return r->m && r->s.complete && !r->s.error[0]; }

/* ---- look-ups (a missing name is a failed check and ends the binary) ---- */

static inline int svc_id(const run_t *r, const char *name) {
  const fl_service_t *svc = fl_model_find_service(r->m, name);
  if (!svc) { CHECK_FAIL_("no service '%s'", name); exit(3); }
  return svc->id;
}

static inline int jrn_id(const run_t *r, const char *name) {
  for (int j = 0; j < r->m->njourneys; j++) if (strcmp(r->m->journeys[j].name, name) == 0) return j;
  CHECK_FAIL_("no journey '%s'", name);
  exit(3);
}

static inline int exp_id(const run_t *r, const char *name) {
  for (int x = 0; x < r->m->nexpects; x++) if (strcmp(r->m->expects[x].name, name) == 0) return x;
  CHECK_FAIL_("no expectation '%s'", name);
  exit(3);
}

static inline const fl_stats_t *sst(const run_t *r, const char *svc) { return &r->s.svc[svc_id(r, svc)].st; }
static inline const fl_svc_rt_t *srt(const run_t *r, const char *svc) { return &r->s.svc[svc_id(r, svc)]; }
static inline const fl_stats_t *jst(const run_t *r, const char *jrn) { return &r->s.jrn[jrn_id(r, jrn)].st; }

/* Sum of a series over windows [w0, w1). */
static inline double sum(const fl_stats_t *st, fl_series_t k, int w0, int w1) {
  double t = 0;
  for (int w = w0; w < w1; w++) t += st->series[k][w];
  return t;
}

#endif
