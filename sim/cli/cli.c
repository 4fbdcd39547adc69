/* The command line's shared helpers: the usage text and usage errors, number parsing, checks of
** output paths before a long run, JSON output, reading a file, the SIGINT/SIGTERM stop and the
** report's run info. Every command (main.c, cmd_*.c) uses these, none keeps its own copy. */
#define _XOPEN_SOURCE 700   /* realpath() */
#include "cli.h"
#include "faultline/io.h"
#include "faultline/units.h"

#include <cJSON.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- usage and messages ------------------------------------------------------------------- */

static const char usage[] =
  "usage: faultline COMMAND SCENARIO.lua [options]\n"
  "\n"
  "commands:\n"
  "  run SCENARIO.lua     simulate and report\n"
  "  check SCENARIO.lua   validate only, print the resolved model\n"
  "%s"
  "\n"
  "options (run):\n"
  "  --seed N             override the scenario's seed\n"
  "  --set PATH=VALUE     override a model field, e.g. recommend.instances=6 (repeatable)\n"
  "  --memory SIZE        memory the run may keep, e.g. 500MB (default 1GB); long series consolidate to fit\n"
  "  --json FILE          write the JSON report\n"
  "  --junit FILE         write a JUnit XML file, one test case per expectation\n"
  "  --html FILE          write the HTML report: one self-contained page (diagram, replay, charts)\n"
  "  --csv DIR            write the per-window series as CSV files into DIR (created if missing)\n"
  "  --traces FILE        write traces of sampled requests: OTLP JSON (Jaeger's for *.jaeger.json)\n"
  "  --sample R           share of entry requests traced, in (0, 1] (default 0.01)\n"
  "  --traces-format F    otlp or jaeger, whatever FILE's name\n"
  "  -q, --quiet          no summary on stdout\n"
  "  --unsafe             lift the scenario sandbox (os, io, includes anywhere)\n"
  "\n"
  "exit codes: 0 all expectations held, 1 an expectation failed, 2 usage or scenario error, 3 internal error\n";

void fl_cli_print_usage(FILE *out) {
  char extra[4096] = "";
  size_t w = 0;
  for (const fl_command_t *c = fl_commands; c->name && w < sizeof extra; c++)
    w += (size_t)snprintf(extra + w, sizeof extra - w, "  %s\n", c->synopsis);
  fprintf(out, usage, extra);
}

void fl_cli_error(const char *msg, const char *arg) {
  fprintf(stderr, "faultline: error: %s%s%s\n", msg, arg ? " " : "", arg ? arg : "");
}

int fl_cli_usage_error(const char *cmd, const char *msg, const char *arg) {
  fl_cli_error(msg, arg);
  fprintf(stderr, "try 'faultline %s%s--help'\n", cmd ? cmd : "", cmd ? " " : "");
  return FL_EXIT_USAGE;
}

static const char run_usage[] =
  "usage: faultline %s SCENARIO.lua [options]\n"
  "\n"
  "%s"
  "\n"
  "options:\n"
  "  --seed N             override the scenario's seed\n"
  "  --set PATH=VALUE     override a model field, e.g. recommend.instances=6 (repeatable)\n"
  "  --memory SIZE        memory the run may keep, e.g. 500MB (default 1GB); long series consolidate to fit\n"
  "%s"
  "  --unsafe             lift the scenario sandbox (os, io, includes anywhere)\n"
  "\n"
  "exit codes: 0 %s, 2 usage or scenario error, 3 internal error\n";

static const char run_outputs[] =
  "  --json FILE          write the JSON report\n"
  "  --junit FILE         write a JUnit XML file, one test case per expectation\n"
  "  --html FILE          write the HTML report: one self-contained page (diagram, replay, charts)\n"
  "  --csv DIR            write the per-window series as CSV files into DIR (created if missing)\n"
  "  --traces FILE        write traces of sampled requests: OTLP JSON (Jaeger's for *.jaeger.json)\n"
  "  --sample R           share of entry requests traced, in (0, 1] (default 0.01)\n"
  "  --traces-format F    otlp or jaeger, whatever FILE's name\n"
  "  -q, --quiet          no summary on stdout\n";

bool fl_cli_help(int argc, char **argv) {
  if (argc < 3) return false;
  bool asked = false;
  for (int i = 2; i < argc && !asked; i++) asked = strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0;
  if (!asked) return false;
  const char *cmd = argv[1];
  if (strcmp(cmd, "run") == 0) {
    printf(run_usage, "run", "simulate the scenario, check its expectations, print the summary and write the reports\n", run_outputs,
           "all expectations held, 1 an expectation failed");
    return true;
  }
  if (strcmp(cmd, "check") == 0) {
    printf(run_usage, "check", "validate the scenario and print the resolved model (nothing is simulated)\n", "", "the scenario is valid");
    return true;
  }
  for (const fl_command_t *c = fl_commands; c->name; c++)
    if (strcmp(c->name, cmd) == 0 && c->help) {
      printf("usage: faultline %s\n\n%s", c->synopsis, c->help);
      return true;
    }
  return false;
}

int fl_cli_exit_of(int rc) { return rc == -FL_EINTERNAL || rc == -FL_ENOMEM ? FL_EXIT_INTERNAL : FL_EXIT_USAGE; }

/* ---- arguments ---------------------------------------------------------------------------- */

int fl_cli_parse_memory(const char *cmd, const char *v, double *bytes) {
  if (!v) return fl_cli_usage_error(cmd, "--memory needs a size", NULL);
  if (fl_parse_size(v, bytes) != 0) return fl_cli_usage_error(cmd, "--memory needs a size such as 500MB or 2GB, got", v);
  return 0;
}

bool fl_cli_parse_int(const char *s, long long min, long long max, long long *out) {
  if (!s || !*s || *s == '+') return false;
  char *end;
  errno = 0;
  long long v = strtoll(s, &end, 10);
  if (*end || errno || v < min || v > max) return false;
  *out = v;
  return true;
}

bool fl_cli_parse_level(const char *s, double *out) {
  if (!s || !*s || *s == '+' || *s == '-') return false;
  char *end;
  errno = 0;
  double v = strtod(s, &end);
  bool pct = *end == '%';
  if (pct) end++;
  if (*end || errno || !(v > 0)) return false;
  if (pct || v > 1) v /= 100;
  if (!(v > 0 && v < 1)) return false;
  *out = v;
  return true;
}

bool fl_cli_parse_u64(const char *s, unsigned long long max, unsigned long long *out) {
  if (!s || !*s || *s == '-' || *s == '+') return false;
  char *end;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 10);
  if (*end || errno || v > max) return false;
  *out = v;
  return true;
}

/* ---- output files ------------------------------------------------------------------------- */

int fl_cli_check_output(const char *path) {
  char dir[4096];
  const char *slash = strrchr(path, '/');
  if (!slash) snprintf(dir, sizeof dir, ".");
  else if (slash == path) snprintf(dir, sizeof dir, "/");
  else snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
  if (access(dir, W_OK) == 0) return 0;
  fprintf(stderr, "faultline: error: cannot write '%s': folder '%s': %s\n", path, dir, strerror(errno));
  return -1;
}

int fl_cli_check_dir(const char *dir) {
  struct stat st;
  if (stat(dir, &st) == 0) {
    char first[256] = "";
    if (S_ISDIR(st.st_mode) && access(dir, W_OK) == 0) {
      /* the folder is replaced whole (reports/csv.c): it must hold nothing else */
      int n = fl_dir_foreign(dir, fl_report_csv_file, first, sizeof first);
      if (n == 0) return fl_cli_check_output(dir);
      fprintf(stderr, "faultline: error: cannot write CSV files into '%s': %s%s%s\n", dir,
              n < 0 ? strerror(errno) : "it holds other files than faultline's CSV series (", n < 0 ? "" : first,
              n < 0 ? "" : "): give --csv a folder of its own");
      return -1;
    }
    fprintf(stderr, "faultline: error: cannot write CSV files into '%s': %s\n", dir,
            S_ISDIR(st.st_mode) ? strerror(errno ? errno : EACCES) : "not a folder");
    return -1;
  }
  return fl_cli_check_output(dir);
}

/* 'path' with its folder resolved (the file itself may be missing): a new string, or NULL. */
static char *resolved(const char *path) {
  const char *slash = strrchr(path, '/');
  char dir[4096];
  const char *base = slash ? slash + 1 : path;
  if (!slash) snprintf(dir, sizeof dir, ".");
  else if (slash == path) snprintf(dir, sizeof dir, "/");
  else snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
  char *real = realpath(dir, NULL);
  if (!real) return NULL;
  size_t n = strlen(real) + strlen(base) + 2;
  char *out = fl_xmalloc(n);
  snprintf(out, n, "%s/%s", real, base);
  free(real);
  return out;
}

/* a and b name one file: the same inode of a regular file or folder, or, missing, the same name
** in the same folder. Two names of one device or FIFO are not the same target (writing a report
** twice to a null device is fine). */
static bool same_target(const char *a, const char *b) {
  struct stat sa, sb;
  bool ea = stat(a, &sa) == 0, eb = stat(b, &sb) == 0;
  if (ea && eb) return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino && (S_ISREG(sa.st_mode) || S_ISDIR(sa.st_mode));
  if (ea != eb) return false;
  char *ra = resolved(a), *rb = resolved(b);
  bool same = ra && rb ? strcmp(ra, rb) == 0 : strcmp(a, b) == 0;
  free(ra); free(rb);
  return same;
}

int fl_cli_check_targets(const char *const *outs, const char *const *what, int nouts, const char *const *ins, int nins) {
  for (int i = 0; i < nouts; i++) {
    if (!outs[i]) continue;
    for (int k = 0; k < nins; k++)
      if (ins[k] && same_target(outs[i], ins[k])) {
        fprintf(stderr, "faultline: error: %s '%s' is an input of this run ('%s'): it would be overwritten\n", what[i], outs[i], ins[k]);
        return -1;
      }
    for (int j = 0; j < i; j++)
      if (outs[j] && same_target(outs[i], outs[j])) {
        fprintf(stderr, "faultline: error: %s and %s name the same file '%s': give each output its own\n", what[j], what[i], outs[i]);
        return -1;
      }
  }
  return 0;
}

char *fl_cli_json_text(const cJSON *root) {
  char *text = cJSON_Print(root);
  if (!text) return NULL;
  fl_text_t t = { 0 };
  fl_text_put_utf8(&t, text, strlen(text));   /* JSON is UTF-8: stray Latin-1 bytes become U+FFFD */
  fl_text_put(&t, "\n", 1);
  cJSON_free(text);
  return fl_text_take(&t, NULL);
}

int fl_cli_write_json(cJSON *root, const char *path) {
  char *line = fl_cli_json_text(root);
  cJSON_Delete(root);
  if (!line) { fprintf(stderr, "faultline: error: out of memory printing JSON\n"); return -1; }
  size_t len = strlen(line);
  int rc = 0;
  if (path) {
    char err[512];
    if (fl_write_atomic(path, line, len, err, sizeof err) != 0) {
      fl_cli_error(err, NULL);
      rc = -1;
    }
  } else if (fl_write_stream(stdout, line, len) != 0) {
    fprintf(stderr, "faultline: error: cannot write the JSON to stdout\n");
    rc = -1;
  }
  free(line);
  return rc;
}


/* ---- signals ------------------------------------------------------------------------------ */

static volatile sig_atomic_t interrupted;
static volatile sig_atomic_t second_ends;
static fl_sim_t *volatile stoppable;

static void on_signal(int sig) {
  if (interrupted && second_ends) {
    signal(sig, SIG_DFL);
    raise(sig);
    return;
  }
  interrupted = 1;
  if (stoppable) stoppable->stop = 1;
}

void fl_cli_catch_signals(bool second) {
  second_ends = second;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
}

volatile sig_atomic_t *fl_cli_interrupted(void) { return &interrupted; }

void fl_cli_stop_on_signal(fl_sim_t *s) { stoppable = s; }

/* ---- run info ----------------------------------------------------------------------------- */

void fl_cli_run_info(const fl_run_t *r, fl_run_info_t *out) {
  memset(out, 0, sizeof *out);
  out->wall_seconds = r->wall_seconds;
  out->events = r->s.eng.dispatched;
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  out->peak_rss_mb = (double)ru.ru_maxrss / 1024.0;
  fl_run_host(out->host, sizeof out->host);
}
