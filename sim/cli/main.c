/* The faultline binary: dispatch to the commands, and the two that work on one scenario, run
** (load, run, check, report) and check (load and print the resolved model). */
#include "faultline/jsonw.h"
#include "faultline/report.h"
#include "faultline/run.h"
#include "faultline/trace.h"
#include "faultline/units.h"
#include "cli.h"

#include <stdio.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct cli {
  const char *cmd, *scenario, *json, *junit, *html, *csv;
  const char *traces;          /* --traces FILE */
  double sample;               /* --sample R: share of entry requests traced */
  int traces_format;           /* fl_traces_format_t; -1: from the file's name */
  bool quiet, unsafe;
  fl_load_opts_t load;
  const char **sets; int nsets;
} cli_t;

/* The value of option argv[*i] (moving *i onto it), or NULL when it is the last argument. */
static const char *value_of(int argc, char **argv, int *i) { return *i + 1 < argc ? argv[++*i] : NULL; }

static int parse_args(int argc, char **argv, cli_t *c) {
  memset(c, 0, sizeof *c);
  if (argc < 2) {
    fl_cli_error("missing command", NULL);
    fputc('\n', stderr);
    fl_cli_print_usage(stderr);
    return FL_EXIT_USAGE;
  }
  c->cmd = argv[1];
  /* a usage error of run or check points at its own --help; of anything else, at faultline --help */
  const char *verb = strcmp(c->cmd, "run") == 0 || strcmp(c->cmd, "check") == 0 ? c->cmd : NULL;
  c->sets = fl_xcalloc((size_t)argc, sizeof *c->sets);
  static const struct { const char *opt, *need; } files[] = {
    { "--json", "--json needs a file name" }, { "--junit", "--junit needs a file name" },
    { "--html", "--html needs a file name" }, { "--csv", "--csv needs a folder name" },
    { "--traces", "--traces needs a file name" },
  };
  const char **dest[] = { &c->json, &c->junit, &c->html, &c->csv, &c->traces };
  c->sample = 0.01;
  c->traces_format = -1;
  bool sampled = false;
  for (int i = 2; i < argc; i++) {
    const char *a = argv[i];
    int f = -1;
    for (int k = 0; k < 5; k++) if (strcmp(a, files[k].opt) == 0) f = k;
    if (f >= 0) {
      if (!(*dest[f] = value_of(argc, argv, &i))) return fl_cli_usage_error(verb, files[f].need, NULL);
    } else if (strcmp(a, "--seed") == 0) {
      const char *v = value_of(argc, argv, &i);
      unsigned long long seed;
      if (!v) return fl_cli_usage_error(verb, "--seed needs a number", NULL);
      if (!fl_cli_parse_u64(v, ~0ull, &seed)) return fl_cli_usage_error(verb, "--seed needs a non-negative whole number, got", v);
      c->load.has_seed = true; c->load.seed = seed;
    } else if (strcmp(a, "--memory") == 0) {
      int rc = fl_cli_parse_memory(verb, value_of(argc, argv, &i), &c->load.memory);
      if (rc) return rc;
    } else if (strcmp(a, "--set") == 0) {
      const char *v = value_of(argc, argv, &i);
      if (!v) return fl_cli_usage_error(verb, "--set needs PATH=VALUE", NULL);
      c->sets[c->nsets++] = v;
    } else if (strcmp(a, "--sample") == 0) {
      const char *v = value_of(argc, argv, &i);
      char *end = NULL;
      errno = 0;
      double r = v && *v != '+' && *v != '-' ? strtod(v, &end) : 0;
      if (!v || !end || *end || errno || !(r > 0 && r <= 1))
        return fl_cli_usage_error(verb, "--sample needs a share of the entry requests in (0, 1], e.g. 0.01, got", v ? v : "nothing");
      c->sample = r;
      sampled = true;
    } else if (strcmp(a, "--traces-format") == 0) {
      const char *v = value_of(argc, argv, &i);
      if (v && strcmp(v, "otlp") == 0) c->traces_format = FL_TRACES_OTLP;
      else if (v && strcmp(v, "jaeger") == 0) c->traces_format = FL_TRACES_JAEGER;
      else return fl_cli_usage_error(verb, "--traces-format needs otlp or jaeger, got", v ? v : "nothing");
    } else if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0) {
      c->quiet = true;
    } else if (strcmp(a, "--unsafe") == 0) {
      c->unsafe = true;
    } else if (a[0] == '-' && a[1]) {
      return fl_cli_usage_error(verb, "unknown option", a);
    } else if (!c->scenario) {
      c->scenario = a;
    } else {
      return fl_cli_usage_error(verb, "unexpected argument", a);
    }
  }
  if (!c->scenario) return fl_cli_usage_error(verb, "missing scenario file after", c->cmd);
  if ((sampled || c->traces_format >= 0) && !c->traces) return fl_cli_usage_error(verb, "--sample and --traces-format go with --traces FILE", NULL);
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
  double now = fl_run_clock();
  if (now - p->last < 0.25) return;
  p->last = now;
  double frac = (double)s->eng.now / (double)s->end, el = now - p->start;
  char t[16], e[16];
  fl_format_wall(fl_time_to_sec(s->eng.now), t, sizeof t);
  fl_format_wall(frac > 0 ? el / frac - el : 0, e, sizeof e);
  fprintf(stderr, "\r  t=%s  %3.0f%%  %.2fM events/s  ETA %s   ", t, 100 * frac,
          el > 0 ? (double)s->eng.dispatched / el / 1e6 : 0, e);
}

/* Writes the reports asked for, each whole or not at all; one that fails (a full disk, out of
** memory) is named on stderr and the others are still written. ok[] says which were written
** (junit, json, html, csv). Returns FL_EXIT_INTERNAL when one could not be written, else 0. */
static int write_reports(const cli_t *c, const fl_sim_t *s, const fl_run_info_t *run, bool ok[4]) {
  int rc = 0;
  char err[512];
  for (int k = 0; k < 4; k++) {
    int e = 0;
    switch (k) {
    case 0: if (c->junit) e = fl_report_write_junit(s, run, c->junit, err, sizeof err); break;
    case 1: if (c->json) e = fl_report_write_json(s, run, c->json, err, sizeof err); break;
    case 2: if (c->html) e = fl_report_write_html(s, run, c->html, err, sizeof err); break;
    default: if (c->csv) e = fl_report_write_csv(s, c->csv, err, sizeof err); break;
    }
    ok[k] = e == 0;
    if (e) { fl_cli_error(err, NULL); rc = FL_EXIT_INTERNAL; }
  }
  return rc;
}

static int cmd_run(const cli_t *c, fl_run_t *r) {
  const char *outs[] = { c->json, c->junit, c->html, c->csv, c->traces }, *what[] = { "--json", "--junit", "--html", "--csv", "--traces" };
  if (fl_cli_check_targets(outs, what, 5, &c->scenario, 1) != 0) return FL_EXIT_USAGE;
  if ((c->json && fl_cli_check_output(c->json) != 0) || (c->junit && fl_cli_check_output(c->junit) != 0) ||
      (c->html && fl_cli_check_output(c->html) != 0) || (c->csv && fl_cli_check_dir(c->csv) != 0) ||
      (c->traces && fl_cli_check_output(c->traces) != 0)) return FL_EXIT_USAGE;
  fl_sim_t *s = &r->s;
  fl_traces_out_t *tout = NULL;   /* --traces: written as the traces complete, put in place at the end */
  if (c->traces) {
    char terr[512];
    fl_traces_format_t fmt = c->traces_format >= 0 ? (fl_traces_format_t)c->traces_format : fl_traces_format_of(c->traces);
    if (!(tout = fl_traces_open(c->traces, fmt, terr, sizeof terr))) { fl_cli_error(terr, NULL); return FL_EXIT_INTERNAL; }
    fl_trace_start(s, c->sample, fl_traces_write, tout);
  }
  progress_t prog = { fl_run_clock(), 0, isatty(2) != 0 };
  s->on_window = on_window;
  s->on_window_user = &prog;
  fl_cli_stop_on_signal(s);
  fl_cli_catch_signals(true);
  int ran = fl_run_all(r);
  fl_cli_stop_on_signal(NULL);
  if (prog.tty) fprintf(stderr, "\r%60s\r", "");
  uint64_t ntraces = 0, nspans = 0;
  bool traces_failed = false;   /* named at once; the summary and the reports still follow */
  if (tout) {   /* the traces of requests still in flight go out unfinished */
    char terr[512];
    fl_trace_stop(s, &ntraces, &nspans);
    if (fl_traces_close(tout, ran >= 0, terr, sizeof terr) != 0) { fl_cli_error(terr, NULL); traces_failed = true; }
  }
  if (ran < 0) {   /* a hook failed: a scenario error */
    fl_cli_error(s->error, NULL);
    return FL_EXIT_USAGE;
  }
  fl_run_info_t run;
  fl_cli_run_info(r, &run);
  int failed = fl_run_check(r);
  if (!c->quiet) {   /* the summary first: a report that cannot be written never costs the run */
    bool color = isatty(1) && !getenv("NO_COLOR");
    fl_report_summary(stdout, s, &run, color);
    fl_report_cascade_text(stdout, s, color);
    fflush(stdout);
  }
  bool ok[4];
  int rc = write_reports(c, s, &run, ok);
  if (traces_failed) rc = FL_EXIT_INTERNAL;
  if (rc == 0 && failed) rc = FL_EXIT_EXPECT;
  if (!c->quiet) {
    if (c->json && ok[1]) printf("report: %s\n", c->json);
    if (c->html && ok[2]) printf("html report: %s\n", c->html);
    if (c->csv && ok[3]) printf("csv series: %s/\n", c->csv);
    if (c->traces && !traces_failed) printf("traces: %s (%llu traces, %llu spans)\n", c->traces, (unsigned long long)ntraces, (unsigned long long)nspans);
  }
  if (failed && c->quiet) fl_report_expectations_failed(stderr, s);   /* -q hides the summary, never a failure */
  if (failed) fprintf(stderr, "faultline: %d of %d expectations failed\n", failed, r->m->nexpects);
  if (*fl_cli_interrupted())
    fprintf(stderr, "faultline: interrupted at t=%.0fs; the report is partial (\"complete\": false)\n", fl_time_to_sec(s->eng.now));
  return rc;
}

int main(int argc, char **argv) {
  fl_jsonw_hooks();
  if (argc >= 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0)) {
    fl_cli_print_usage(stdout);
    return 0;
  }
  if (fl_cli_help(argc, argv)) return 0;
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
    return fl_cli_usage_error(NULL, "unknown command", c.cmd);
  }
  char err[1024];
  if (strcmp(c.cmd, "check") == 0) {
    fl_model_t *m = NULL;
    rc = fl_scenario_load(c.scenario, &c.load, &m, err, sizeof err);
    if (rc == 0) {
      fl_stats_plan_t plan;   /* what the run will keep, within the budget */
      if (c.load.memory > 0) m->memory = c.load.memory;
      fl_sim_plan(m, &plan);
      if (!plan.fits) rc = fl_sim_plan_error(m, &plan, err, sizeof err);
      else {
        char line[768];
        fl_report_model(stdout, m);
        fl_sim_plan_text(&plan, line, sizeof line);
        printf("%s\n", line);
        printf("ok: %d service%s, %d endpoint%s, %d journey%s\n", m->nservices, m->nservices == 1 ? "" : "s",
               m->nendpoints, m->nendpoints == 1 ? "" : "s", m->njourneys, m->njourneys == 1 ? "" : "s");
      }
      fl_model_free(m);
    }
  } else {
    fl_run_t r;
    rc = fl_run_load(&r, c.scenario, &c.load, err, sizeof err);
    if (rc == 0) rc = cmd_run(&c, &r);
    else { fl_cli_error(err, NULL); rc = rc == -FL_EINTERNAL ? FL_EXIT_INTERNAL : FL_EXIT_USAGE; }
    fl_run_release(&r);
    free(c.sets);
    return rc;
  }
  if (rc) { fl_cli_error(err, NULL); rc = FL_EXIT_USAGE; }
  free(c.sets);
  return rc;
}
