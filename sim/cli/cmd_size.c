/* `faultline size`: the smallest instance counts (or workers per instance) meeting every
** expectation, and how sure that is (--confidence). Argument parsing, the progress line, output files, signals and exit codes; the
** search itself is sim/batch/size.c. */
#include "faultline/io.h"
#include "faultline/size.h"
#include "cli.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* An int option in [min, max]. */
static bool parse_int(const char *s, long long min, long long max, int *out) {
  long long v;
  if (!fl_cli_parse_int(s, min, max, &v)) return false;
  *out = (int)v;
  return true;
}

typedef struct progress { int width; } progress_t;

static void on_progress(void *user, const char *what, int sims, int budget) {
  progress_t *p = user;
  int n = fprintf(stderr, "\r  [%d/%d simulations] trying %s", sims, budget, what);
  if (n < p->width) fprintf(stderr, "%*s", p->width - n, "");
  if (n > p->width) p->width = n;
}

int fl__cmd_size(int argc, char **argv);

int fl__cmd_size(int argc, char **argv) {
  const char *path = NULL, *json = NULL;
  const char **sets = fl_xcalloc((size_t)argc + 1, sizeof *sets), **services = fl_xcalloc((size_t)argc + 1, sizeof *services);
  char **lists = fl_xcalloc((size_t)argc + 1, sizeof *lists);
  int nsets = 0, nservices = 0, nlists = 0, rc = 0;
  bool quiet = false;
  fl_size_opts_t o;
  memset(&o, 0, sizeof o);
  o.reps = 3;
  o.budget = 200;
  for (int i = 1; i < argc && rc == 0; i++) {
    const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp(a, "--set") == 0) {
      if (!val) { rc = fl_cli_usage_error("size", "--set needs PATH=VALUE", NULL); break; }
      sets[nsets++] = argv[++i];
    } else if (strcmp(a, "--services") == 0) {
      if (!val || !*val) { rc = fl_cli_usage_error("size", "--services needs service names separated by commas, e.g. --services recommend,search", NULL); break; }
      char *list = lists[nlists++] = fl_xstrdup(argv[++i]);
      for (char *tok = strtok(list, ","); tok; tok = strtok(NULL, ",")) services[nservices++] = tok;
      if (nservices == 0) { rc = fl_cli_usage_error("size", "--services needs service names separated by commas, got", val); break; }
    } else if (strcmp(a, "--vary") == 0) {
      if (val && strcmp(val, "instances") == 0) o.vary = FL_SIZE_INSTANCES;
      else if (val && strcmp(val, "workers") == 0) o.vary = FL_SIZE_WORKERS;
      else { rc = fl_cli_usage_error("size", "--vary needs instances or workers, got", val ? val : "nothing"); break; }
      i++;
    } else if (strcmp(a, "--reps") == 0) {
      if (!parse_int(val, 1, 100000, &o.reps)) { rc = fl_cli_usage_error("size", "--reps needs a whole number from 1, got", val ? val : "nothing"); break; }
      i++;
    } else if (strcmp(a, "--confidence") == 0) {
      if (!fl_cli_parse_level(val, &o.confidence)) {
        rc = fl_cli_usage_error("size", "--confidence needs a level between 0 and 1 (0.95) or a percentage (95%), got", val ? val : "nothing");
        break;
      }
      i++;
    } else if (strcmp(a, "--budget") == 0) {
      if (!parse_int(val, 1, 100000000, &o.budget)) { rc = fl_cli_usage_error("size", "--budget needs a number of simulations from 1, got", val ? val : "nothing"); break; }
      i++;
    } else if (strcmp(a, "--max") == 0) {
      if (!parse_int(val, 1, 1000000, &o.max)) { rc = fl_cli_usage_error("size", "--max needs a whole number from 1, got", val ? val : "nothing"); break; }
      i++;
    } else if (strncmp(a, "-j", 2) == 0 || strcmp(a, "--jobs") == 0) {
      const char *n = a[1] == 'j' && a[2] ? a + 2 : val;
      if (!parse_int(n, 1, 4096, &o.threads)) { rc = fl_cli_usage_error("size", "-j needs a number of threads from 1 to 4096, got", n ? n : "nothing"); break; }
      if (n == val) i++;
    } else if (strcmp(a, "--seed") == 0) {
      unsigned long long v;
      if (!fl_cli_parse_u64(val, 1ull << 53, &v)) {
        rc = fl_cli_usage_error("size", "--seed needs a whole number from 0 to 2^53, got", val ? val : "nothing");
        break;
      }
      o.has_seed = true; o.seed = v; i++;
    } else if (strcmp(a, "--memory") == 0) {
      if ((rc = fl_cli_parse_memory("size", val, &o.memory)) != 0) break;
      i++;
    } else if (strcmp(a, "--json") == 0) {
      if (!val) { rc = fl_cli_usage_error("size", "--json needs a file name", NULL); break; }
      json = argv[++i];
    } else if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0) {
      quiet = true;
    } else if (strcmp(a, "--unsafe") == 0) {
      o.unsafe = true;
    } else if (a[0] == '-' && a[1]) {
      rc = fl_cli_usage_error("size", "unknown option", a);
    } else if (!path) {
      path = a;
    } else {
      rc = fl_cli_usage_error("size", "unexpected argument", a);
    }
  }
  if (rc == 0 && !path) rc = fl_cli_usage_error("size", "missing scenario file after", "size");
  if (rc == 0 && json && fl_cli_check_output(json) != 0) rc = FL_EXIT_USAGE;
  fl_size_t z;
  memset(&z, 0, sizeof z);
  char err[1024];
  if (rc == 0) {
    o.path = path;
    o.sets = sets; o.nsets = nsets;
    o.services = services; o.nservices = nservices;
    o.interrupted = fl_cli_interrupted();
    progress_t prog = { 0 };
    if (isatty(2)) { o.progress = on_progress; o.progress_user = &prog; }
    int r = fl_size_init(&z, &o, err, sizeof err);
    if (r != 0) {
      fl_cli_error(err, NULL);
      rc = fl_cli_exit_of(r);
    } else {
      fl_cli_catch_signals(false);
      r = fl_size_run(&z, err, sizeof err);
      if (prog.width) fprintf(stderr, "\r%*s\r", prog.width, "");
      if (r != 0) {
        fl_cli_error(err, NULL);
        rc = fl_cli_exit_of(r);
      } else {
        rc = z.found ? FL_EXIT_HELD : FL_EXIT_EXPECT;
        if (json && fl_cli_write_json(fl_size_json(&z), json) != 0) rc = FL_EXIT_INTERNAL;
        if (!quiet) {
          fl_size_print(stdout, &z);
          if (json && rc != FL_EXIT_INTERNAL) printf("report: %s\n", json);
        }
        if (z.stopped != FL_SIZE_CONVERGED) fprintf(stderr, "faultline: size stopped early: %s\n", z.reason);
      }
    }
  }
  fl_size_release(&z);
  for (int i = 0; i < nlists; i++) free(lists[i]);
  free(lists); free(sets); free(services);
  return rc;
}
