/* The command line: run, check; argument parsing, progress, signals and exit codes. */
#include "faultline/report.h"
#include "faultline/scenario.h"
#include "faultline/units.h"
#include "cli.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

enum { EXIT_HELD = 0, EXIT_EXPECT = 1, EXIT_USAGE = 2, EXIT_INTERNAL = 3 };

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
  "  --json FILE          write the JSON report\n"
  "  --junit FILE         write a JUnit XML file, one test case per expectation\n"
  "  --html FILE          write the HTML report: one self-contained page (diagram, replay, charts)\n"
  "  --csv DIR            write the per-window series as CSV files into DIR (created if missing)\n"
  "  -q, --quiet          no summary on stdout\n"
  "  --unsafe             lift the scenario sandbox (os, io, includes anywhere)\n"
  "\n"
  "exit codes: 0 all expectations held, 1 an expectation failed, 2 usage or scenario error, 3 internal error\n";

typedef struct cli {
  const char *cmd, *scenario, *json, *junit, *html, *csv;
  bool quiet, unsafe;
  fl_load_opts_t load;
  const char **sets; int nsets;
} cli_t;

static volatile sig_atomic_t interrupted;
static fl_sim_t *running;

/* The first SIGINT or SIGTERM stops the run at the end of the current window, and the partial
** report is written; a second one ends the process at once (a window may be long), no report. */
static void on_signal(int sig) {
  if (interrupted) {
    signal(sig, SIG_DFL);
    raise(sig);
    return;
  }
  interrupted = 1;
  if (running) running->stop = 1;
}

static double wall_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double peak_rss_mb(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (double)ru.ru_maxrss / 1024.0;
}

static void print_usage(FILE *out) {
  char extra[4096] = "";
  size_t w = 0;
  for (const fl_command_t *c = fl_commands; c->name && w < sizeof extra; c++)
    w += (size_t)snprintf(extra + w, sizeof extra - w, "  %s\n", c->synopsis);
  fprintf(out, usage, extra);
}

static int die_usage(const char *msg, const char *arg) {
  fprintf(stderr, "faultline: error: %s%s%s\n\n", msg, arg ? " " : "", arg ? arg : "");
  print_usage(stderr);
  return EXIT_USAGE;
}

static int parse_args(int argc, char **argv, cli_t *c) {
  memset(c, 0, sizeof *c);
  if (argc < 2) return die_usage("missing command", NULL);
  c->cmd = argv[1];
  c->sets = fl_xcalloc((size_t)argc, sizeof *c->sets);
  for (int i = 2; i < argc; i++) {
    const char *a = argv[i];
    bool has_next = i + 1 < argc;
    if (strcmp(a, "--seed") == 0) {
      if (!has_next) return die_usage("--seed needs a number", NULL);
      char *end; errno = 0;
      unsigned long long v = strtoull(argv[++i], &end, 10);
      if (*end || errno || argv[i][0] == '-' || !argv[i][0]) return die_usage("--seed needs a non-negative whole number, got", argv[i]);
      c->load.has_seed = true; c->load.seed = v;
    } else if (strcmp(a, "--set") == 0) {
      if (!has_next) return die_usage("--set needs PATH=VALUE", NULL);
      c->sets[c->nsets++] = argv[++i];
    } else if (strcmp(a, "--json") == 0) {
      if (!has_next) return die_usage("--json needs a file name", NULL);
      c->json = argv[++i];
    } else if (strcmp(a, "--junit") == 0) {
      if (!has_next) return die_usage("--junit needs a file name", NULL);
      c->junit = argv[++i];
    } else if (strcmp(a, "--html") == 0) {
      if (!has_next) return die_usage("--html needs a file name", NULL);
      c->html = argv[++i];
    } else if (strcmp(a, "--csv") == 0) {
      if (!has_next) return die_usage("--csv needs a folder name", NULL);
      c->csv = argv[++i];
    } else if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0) {
      c->quiet = true;
    } else if (strcmp(a, "--unsafe") == 0) {
      c->unsafe = true;
    } else if (a[0] == '-' && a[1]) {
      return die_usage("unknown option", a);
    } else if (!c->scenario) {
      c->scenario = a;
    } else {
      return die_usage("unexpected argument", a);
    }
  }
  if (!c->scenario) return die_usage("missing scenario file after", c->cmd);
  c->load.unsafe = c->unsafe;
  c->load.sets = c->sets;
  c->load.nsets = c->nsets;
  return 0;
}

typedef struct progress { double start, last; bool tty; } progress_t;

static void on_window(fl_sim_t *s, uint32_t w, void *user) {
  progress_t *p = user;
  (void)w;
  if (!p->tty) return;
  double now = wall_now();
  if (now - p->last < 0.25) return;
  p->last = now;
  double frac = (double)s->eng.now / (double)s->end, el = now - p->start;
  char t[16], e[16];
  fl_format_duration(fl_time_to_sec(s->eng.now), t, sizeof t);
  fl_format_duration(frac > 0 ? el / frac - el : 0, e, sizeof e);
  fprintf(stderr, "\r  t=%s  %3.0f%%  %.2fM events/s  ETA %s   ", t, 100 * frac,
          el > 0 ? (double)s->eng.dispatched / el / 1e6 : 0, e);
}

/* A report's folder must be writable before a long run starts, not found missing at its end. */
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

/* The CSV folder: an existing writable folder, or one that can be made in a writable parent. */
static int check_csv_dir(const char *dir) {
  struct stat st;
  if (stat(dir, &st) == 0) {
    if (S_ISDIR(st.st_mode) && access(dir, W_OK) == 0) return 0;
    fprintf(stderr, "faultline: error: cannot write CSV files into '%s': %s\n", dir,
            S_ISDIR(st.st_mode) ? strerror(errno ? errno : EACCES) : "not a folder");
    return -1;
  }
  return check_output(dir);
}

static int cmd_run(cli_t *c, fl_model_t *m) {
  if ((c->json && check_output(c->json) != 0) || (c->junit && check_output(c->junit) != 0) ||
      (c->html && check_output(c->html) != 0) || (c->csv && check_csv_dir(c->csv) != 0)) return EXIT_USAGE;
  fl_sim_t sim;
  if (fl_sim_init(&sim, m) != 0) { fprintf(stderr, "faultline: error: cannot initialise the simulation\n"); return EXIT_INTERNAL; }
  progress_t prog = { wall_now(), 0, isatty(2) != 0 };
  sim.on_window = on_window;
  sim.on_window_user = &prog;
  running = &sim;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  double t0 = wall_now();
  fl_sim_run(&sim);
  running = NULL;
  if (prog.tty) fprintf(stderr, "\r%60s\r", "");
  if (sim.error[0]) {   /* a hook failed: a scenario error */
    fprintf(stderr, "faultline: error: %s\n", sim.error);
    fl_sim_release(&sim);
    return EXIT_USAGE;
  }
  fl_run_info_t run;
  memset(&run, 0, sizeof run);
  run.wall_seconds = wall_now() - t0;
  run.events = sim.eng.dispatched;
  run.peak_rss_mb = peak_rss_mb();
  if (gethostname(run.host, sizeof run.host - 1) != 0) snprintf(run.host, sizeof run.host, "unknown");
  int failed = fl_sim_check_expectations(&sim);
  int rc = failed ? EXIT_EXPECT : EXIT_HELD;
  if (c->junit) {
    char err[512];
    if (fl_report_write_junit(&sim, c->junit, err, sizeof err) != 0) {
      fprintf(stderr, "faultline: error: %s\n", err);
      rc = EXIT_INTERNAL;
    }
  }
  if (c->json) {
    char err[512];
    if (fl_report_write_json(&sim, &run, c->json, err, sizeof err) != 0) {
      fprintf(stderr, "faultline: error: %s\n", err);
      rc = EXIT_INTERNAL;
    }
  }
  if (c->html) {
    char err[512];
    if (fl_report_write_html(&sim, &run, c->html, err, sizeof err) != 0) {
      fprintf(stderr, "faultline: error: %s\n", err);
      rc = EXIT_INTERNAL;
    }
  }
  if (c->csv) {
    char err[512];
    if (fl_report_write_csv(&sim, c->csv, err, sizeof err) != 0) {
      fprintf(stderr, "faultline: error: %s\n", err);
      rc = EXIT_INTERNAL;
    }
  }
  if (!c->quiet) {
    bool color = isatty(1) && !getenv("NO_COLOR");
    fl_report_summary(stdout, &sim, &run, color);
    fl_report_cascade_text(stdout, &sim, color);
    if (c->json && rc != EXIT_INTERNAL) printf("report: %s\n", c->json);
    if (c->html && rc != EXIT_INTERNAL) printf("html report: %s\n", c->html);
    if (c->csv && rc != EXIT_INTERNAL) printf("csv series: %s/\n", c->csv);
  }
  if (failed) fprintf(stderr, "faultline: %d of %d expectations failed\n", failed, sim.m->nexpects);
  if (interrupted) fprintf(stderr, "faultline: interrupted at t=%.0fs; the report is partial (\"complete\": false)\n", fl_time_to_sec(sim.eng.now));
  fl_sim_release(&sim);
  return rc;
}

int main(int argc, char **argv) {
  if (argc >= 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0)) {
    print_usage(stdout);
    return 0;
  }
  if (argc >= 2)
    for (const fl_command_t *c = fl_commands; c->name; c++)
      if (strcmp(argv[1], c->name) == 0) return c->main(argc - 1, argv + 1);
  if (argc >= 2 && (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0)) {
    printf("faultline %s\n", FL_VERSION);
    return 0;
  }
  cli_t c;
  int rc = parse_args(argc, argv, &c);
  if (rc) { free(c.sets); return rc; }
  if (strcmp(c.cmd, "run") != 0 && strcmp(c.cmd, "check") != 0) {
    free(c.sets);
    return die_usage("unknown command", c.cmd);
  }
  fl_model_t *m = NULL;
  char err[1024];
  rc = fl_scenario_load(c.scenario, &c.load, &m, err, sizeof err);
  if (rc) {
    fprintf(stderr, "faultline: error: %s\n", err);
    free(c.sets);
    return EXIT_USAGE;
  }
  if (strcmp(c.cmd, "check") == 0) {
    fl_report_model(stdout, m);
    printf("ok: %d services, %d endpoints, %d journeys\n", m->nservices, m->nendpoints, m->njourneys);
    rc = EXIT_HELD;
  } else {
    rc = cmd_run(&c, m);
  }
  fl_model_free(m);
  free(c.sets);
  return rc;
}
