/* `faultline size`: the smallest instance counts (or workers per instance) meeting every
** expectation. Argument parsing, the progress line, output files, signals and exit codes; the
** search itself is sim/batch/size.c. */
#include "faultline/io.h"
#include "faultline/size.h"
#include "cli.h"

#include <cJSON.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t interrupted;

static void on_signal(int sig) { (void)sig; interrupted = 1; }

static int usage_error(const char *msg, const char *arg) {
  fprintf(stderr, "faultline: error: %s%s%s\n", msg, arg ? " " : "", arg ? arg : "");
  for (const fl_command_t *c = fl_commands; c->name; c++)
    if (strcmp(c->name, "size") == 0) fprintf(stderr, "usage: faultline %s\n", c->synopsis);
  return FL_EXIT_USAGE;
}

static bool parse_int(const char *s, long long min, long long max, int *out) {
  if (!s || !*s || *s == '+') return false;
  char *end;
  errno = 0;
  long long v = strtoll(s, &end, 10);
  if (*end || errno || v < min || v > max) return false;
  *out = (int)v;
  return true;
}

/* A report's folder must be writable before a long search starts, not found missing at its end. */
static int check_output(const char *path) {
  char dir[4096];
  const char *slash = strrchr(path, '/');
  if (!slash) snprintf(dir, sizeof dir, ".");
  else if (slash == path) snprintf(dir, sizeof dir, "/");
  else snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
  if (access(dir, W_OK) == 0) return 0;
  fprintf(stderr, "faultline: error: cannot write '%s': folder '%s': %s\n", path, dir, strerror(errno));
  return -1;
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
      if (!val) { rc = usage_error("--set needs PATH=VALUE", NULL); break; }
      sets[nsets++] = argv[++i];
    } else if (strcmp(a, "--services") == 0) {
      if (!val || !*val) { rc = usage_error("--services needs service names separated by commas, e.g. --services recommend,search", NULL); break; }
      char *list = lists[nlists++] = fl_xstrdup(argv[++i]);
      for (char *tok = strtok(list, ","); tok; tok = strtok(NULL, ",")) services[nservices++] = tok;
      if (nservices == 0) { rc = usage_error("--services needs service names separated by commas, got", val); break; }
    } else if (strcmp(a, "--vary") == 0) {
      if (val && strcmp(val, "instances") == 0) o.vary = FL_SIZE_INSTANCES;
      else if (val && strcmp(val, "workers") == 0) o.vary = FL_SIZE_WORKERS;
      else { rc = usage_error("--vary needs instances or workers, got", val ? val : "nothing"); break; }
      i++;
    } else if (strcmp(a, "--reps") == 0) {
      if (!parse_int(val, 1, 100000, &o.reps)) { rc = usage_error("--reps needs a whole number from 1, got", val ? val : "nothing"); break; }
      i++;
    } else if (strcmp(a, "--budget") == 0) {
      if (!parse_int(val, 1, 100000000, &o.budget)) { rc = usage_error("--budget needs a number of simulations from 1, got", val ? val : "nothing"); break; }
      i++;
    } else if (strcmp(a, "--max") == 0) {
      if (!parse_int(val, 1, 1000000, &o.max)) { rc = usage_error("--max needs a whole number from 1, got", val ? val : "nothing"); break; }
      i++;
    } else if (strncmp(a, "-j", 2) == 0 || strcmp(a, "--jobs") == 0) {
      const char *n = a[1] == 'j' && a[2] ? a + 2 : val;
      if (!parse_int(n, 1, 4096, &o.threads)) { rc = usage_error("-j needs a number of threads from 1 to 4096, got", n ? n : "nothing"); break; }
      if (n == val) i++;
    } else if (strcmp(a, "--seed") == 0) {
      char *end;
      errno = 0;
      unsigned long long v = val ? strtoull(val, &end, 10) : 0;
      if (!val || !*val || *val == '-' || *val == '+' || *end || errno || v > (1ull << 53)) {
        rc = usage_error("--seed needs a whole number from 0 to 2^53, got", val ? val : "nothing");
        break;
      }
      o.has_seed = true; o.seed = v; i++;
    } else if (strcmp(a, "--json") == 0) {
      if (!val) { rc = usage_error("--json needs a file name", NULL); break; }
      json = argv[++i];
    } else if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0) {
      quiet = true;
    } else if (strcmp(a, "--unsafe") == 0) {
      o.unsafe = true;
    } else if (a[0] == '-' && a[1]) {
      rc = usage_error("unknown option", a);
    } else if (!path) {
      path = a;
    } else {
      rc = usage_error("unexpected argument", a);
    }
  }
  if (rc == 0 && !path) rc = usage_error("missing scenario file after", "size");
  if (rc == 0 && json && check_output(json) != 0) rc = FL_EXIT_USAGE;
  fl_size_t z;
  memset(&z, 0, sizeof z);
  char err[1024];
  if (rc == 0) {
    o.path = path;
    o.sets = sets; o.nsets = nsets;
    o.services = services; o.nservices = nservices;
    o.interrupted = &interrupted;
    progress_t prog = { 0 };
    if (isatty(2)) { o.progress = on_progress; o.progress_user = &prog; }
    int r = fl_size_init(&z, &o, err, sizeof err);
    if (r != 0) {
      fprintf(stderr, "faultline: error: %s\n", err);
      rc = r == -FL_EINTERNAL || r == -FL_ENOMEM ? FL_EXIT_INTERNAL : FL_EXIT_USAGE;
    } else {
      struct sigaction sa;
      memset(&sa, 0, sizeof sa);
      sa.sa_handler = on_signal;
      sigaction(SIGINT, &sa, NULL);
      sigaction(SIGTERM, &sa, NULL);
      r = fl_size_run(&z, err, sizeof err);
      if (prog.width) fprintf(stderr, "\r%*s\r", prog.width, "");
      if (r != 0) {
        fprintf(stderr, "faultline: error: %s\n", err);
        rc = r == -FL_EINTERNAL || r == -FL_ENOMEM ? FL_EXIT_INTERNAL : FL_EXIT_USAGE;
      } else {
        rc = z.found ? FL_EXIT_HELD : FL_EXIT_EXPECT;
        if (json) {
          cJSON *root = fl_size_json(&z);
          char *text = cJSON_Print(root);
          cJSON_Delete(root);
          size_t len = text ? strlen(text) : 0;
          char *line = fl_xmalloc(len + 2);
          if (text) memcpy(line, text, len);
          line[len++] = '\n';
          line[len] = 0;
          cJSON_free(text);
          if (fl_write_atomic(json, line, len, err, sizeof err) != 0) {
            fprintf(stderr, "faultline: error: %s\n", err);
            rc = FL_EXIT_INTERNAL;
          }
          free(line);
        }
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
