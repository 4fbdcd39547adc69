/* The batch commands: `sweep` (a grid of --set values x replications, or one shard of it),
** `merge` (the shards' partial results into the whole) and `compare` (two variants under common
** random numbers: two files, or one file and --set-a / --set-b). Argument parsing, output files, the interrupt signal and exit codes. */
#include "faultline/io.h"
#include "faultline/report.h"
#include "faultline/run.h"
#include "faultline/sweep.h"
#include "cli.h"

#include <cJSON.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Options shared by the batch commands. */
typedef struct batch_args {
  const char *files[2]; int nfiles;
  const char **sets; int nsets;
  const char **sets_a, **sets_b; int nsets_a, nsets_b;   /* compare: one side's own */
  int reps, threads;
  double memory;                   /* --memory: for the whole command (0: none) */
  bool has_seed; uint64_t seed;
  const char *json, *csv, *html;   /* html: compare's diff page */
  int shard, nshards;
  bool quiet, unsafe, independent;
  const char **parts; int nparts;   /* merge */
} batch_args_t;

/* Parses argv[1..]: 'allowed' lists the options the command takes. Returns 0 or an exit code. */
static int parse_batch(int argc, char **argv, const char *allowed, int max_files, batch_args_t *a) {
  memset(a, 0, sizeof *a);
  const char *cmd = argv[0];
  a->sets = fl_xcalloc((size_t)argc + 1, sizeof *a->sets);
  a->parts = fl_xcalloc((size_t)argc + 1, sizeof *a->parts);
  a->sets_a = fl_xcalloc((size_t)argc + 1, sizeof *a->sets_a);
  a->sets_b = fl_xcalloc((size_t)argc + 1, sizeof *a->sets_b);
  a->reps = 10;
  for (int i = 1; i < argc; i++) {
    const char *o = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
    char opt[32] = "";
    if (o[0] == '-' && o[1]) {
      const char *name = strncmp(o, "-j", 2) == 0 && o[2] ? "-j" : o;
      snprintf(opt, sizeof opt, " %s ", name);
      if (!strstr(allowed, opt)) return fl_cli_usage_error(cmd, "unknown option", o);
    }
    unsigned long long v;
    if (strcmp(o, "--set") == 0) {
      if (!val) return fl_cli_usage_error(cmd, "--set needs PATH=VALUE[,VALUE...]", NULL);
      a->sets[a->nsets++] = argv[++i];
    } else if (strcmp(o, "--set-a") == 0 || strcmp(o, "--set-b") == 0) {
      if (!val) return fl_cli_usage_error(cmd, o[6] == 'a' ? "--set-a needs PATH=VALUE" : "--set-b needs PATH=VALUE", NULL);
      if (o[6] == 'a') a->sets_a[a->nsets_a++] = argv[++i];
      else a->sets_b[a->nsets_b++] = argv[++i];
    } else if (strcmp(o, "--reps") == 0) {
      if (!fl_cli_parse_u64(val, 10000000, &v) || v < 1) return fl_cli_usage_error(cmd, "--reps needs a whole number from 1, got", val ? val : "nothing");
      a->reps = (int)v; i++;
    } else if (strncmp(o, "-j", 2) == 0 || strcmp(o, "--jobs") == 0) {
      const char *n = o[1] == 'j' && o[2] ? o + 2 : val;
      if (!fl_cli_parse_u64(n, 4096, &v) || v < 1) return fl_cli_usage_error(cmd, "-j needs a number of threads from 1 to 4096, got", n ? n : "nothing");
      a->threads = (int)v;
      if (n == val) i++;
    } else if (strcmp(o, "--seed") == 0) {
      if (!fl_cli_parse_u64(val, 1ull << 53, &v)) return fl_cli_usage_error(cmd, "--seed needs a whole number from 0 to 2^53, got", val ? val : "nothing");
      a->has_seed = true; a->seed = v; i++;
    } else if (strcmp(o, "--memory") == 0) {
      int rc = fl_cli_parse_memory(cmd, val, &a->memory);
      if (rc) return rc;
      i++;
    } else if (strcmp(o, "--json") == 0) {
      if (!val) return fl_cli_usage_error(cmd, "--json needs a file name", NULL);
      a->json = argv[++i];
    } else if (strcmp(o, "--csv") == 0) {
      if (!val) return fl_cli_usage_error(cmd, "--csv needs a file name", NULL);
      a->csv = argv[++i];
    } else if (strcmp(o, "--html") == 0) {
      if (!val) return fl_cli_usage_error(cmd, "--html needs a file name", NULL);
      a->html = argv[++i];
    } else if (strcmp(o, "--shard") == 0) {
      unsigned long long s, n;
      char buf[64];
      const char *slash = val ? strchr(val, '/') : NULL;
      if (slash && (size_t)(slash - val) < sizeof buf) { memcpy(buf, val, (size_t)(slash - val)); buf[slash - val] = 0; }
      if (!slash || (size_t)(slash - val) >= sizeof buf || !fl_cli_parse_u64(buf, 1000000, &s) || !fl_cli_parse_u64(slash + 1, 1000000, &n) ||
          n < 1 || s < 1 || s > n)
        return fl_cli_usage_error(cmd, "--shard needs I/N with 1 <= I <= N (e.g. --shard 2/8), got", val ? val : "nothing");
      a->shard = (int)s; a->nshards = (int)n; i++;
    } else if (strcmp(o, "-q") == 0 || strcmp(o, "--quiet") == 0) {
      a->quiet = true;
    } else if (strcmp(o, "--unsafe") == 0) {
      a->unsafe = true;
    } else if (strcmp(o, "--independent") == 0) {
      a->independent = true;
    } else if (o[0] == '-' && o[1]) {
      return fl_cli_usage_error(cmd, "unknown option", o);
    } else if (max_files < 0) {
      a->parts[a->nparts++] = o;
    } else if (a->nfiles < max_files) {
      a->files[a->nfiles++] = o;
    } else {
      return fl_cli_usage_error(cmd, "unexpected argument", o);
    }
  }
  if (a->json && fl_cli_check_output(a->json) != 0) return FL_EXIT_USAGE;
  if (a->csv && fl_cli_check_output(a->csv) != 0) return FL_EXIT_USAGE;
  if (a->html && fl_cli_check_output(a->html) != 0) return FL_EXIT_USAGE;
  const char *outs[] = { a->json, a->csv, a->html }, *what[] = { "--json", "--csv", "--html" };
  if (fl_cli_check_targets(outs, what, 3, a->files, a->nfiles) != 0) return FL_EXIT_USAGE;
  if (a->parts && fl_cli_check_targets(outs, what, 3, a->parts, a->nparts) != 0) return FL_EXIT_USAGE;
  return 0;
}

static void free_batch(batch_args_t *a) { free(a->sets); free(a->parts); free(a->sets_a); free(a->sets_b); }

static void interrupted_note(int rc) {
  if (rc == 1) fprintf(stderr, "faultline: interrupted: the output holds the runs that completed (\"complete\": false)\n");
}

/* ---- sweep -------------------------------------------------------------------------------- */

static int finish_sweep(fl_sweep_t *sw, const batch_args_t *a, bool to_stdout) {
  int rc = FL_EXIT_HELD;
  char err[1024];
  if ((a->json || to_stdout) && fl_cli_write_json(fl_sweep_json(sw), a->json) != 0) rc = FL_EXIT_INTERNAL;
  if (a->csv && fl_sweep_write_csv(sw, a->csv, err, sizeof err) != 0) {
    fl_cli_error(err, NULL);
    rc = FL_EXIT_INTERNAL;
  }
  if (!a->quiet && !to_stdout && sw->nshards == 0) {
    fl_sweep_print(stdout, sw);
    if (a->json && rc != FL_EXIT_INTERNAL) printf("report: %s\n", a->json);
  }
  /* a shard's runs are not a verdict: merge gives it (and job schedulers see a shard succeed) */
  if (sw->nshards > 0) return rc;
  int failed = fl_sweep_failed_runs(sw);
  if (failed) fprintf(stderr, "faultline: %d run%s failed an expectation\n", failed, failed == 1 ? "" : "s");
  if (rc == FL_EXIT_HELD && failed) rc = FL_EXIT_EXPECT;
  return rc;
}

static int cmd_sweep(int argc, char **argv) {
  batch_args_t a;
  fl_cli_catch_signals(false);   /* before loading: an early interrupt then stops the batch before any run */
  int rc = parse_batch(argc, argv, " --set --reps -j --jobs --seed --memory --json --csv --shard -q --quiet --unsafe ", 1, &a);
  if (rc) { free_batch(&a); return rc; }
  if (a.nfiles == 0) { free_batch(&a); return fl_cli_usage_error(argv[0], "missing scenario file after", argv[0]); }
  if (a.nshards && a.csv) { free_batch(&a); return fl_cli_usage_error(argv[0], "--csv needs the whole sweep: merge the shards, then use merge --csv", NULL); }
  fl_sweep_opts_t o = { .path = a.files[0], .sets = a.sets, .nsets = a.nsets, .reps = a.reps, .has_seed = a.has_seed,
                        .seed = a.seed, .unsafe = a.unsafe, .shard = a.shard, .nshards = a.nshards, .memory = a.memory,
                        .threads = a.threads };
  fl_sweep_t sw;
  char err[1024];
  if (fl_sweep_init(&sw, &o, err, sizeof err) != 0) {
    fl_cli_error(err, NULL);
    fl_sweep_release(&sw);
    free_batch(&a);
    return FL_EXIT_USAGE;
  }
  fl_pool_opts_t po = { .threads = a.threads, .progress = isatty(2) != 0, .interrupted = fl_cli_interrupted() };
  rc = fl_sweep_run(&sw, &po, err, sizeof err);
  if (rc < 0) {
    fl_cli_error(err, NULL);
    rc = fl_cli_exit_of(rc);
  } else {
    bool stopped = rc == 1;
    interrupted_note(rc);
    rc = finish_sweep(&sw, &a, a.nshards > 0 && !a.json);
    /* an incomplete shard must fail, so that a job scheduler runs it again */
    if (stopped && a.nshards > 0) rc = FL_EXIT_INTERNAL;
  }
  fl_sweep_release(&sw);
  free_batch(&a);
  return rc;
}

/* ---- merge -------------------------------------------------------------------------------- */

static cJSON *read_json(const char *path) {
  char err[1024];
  char *text;
  size_t len;
  if (fl_read_file(path, NULL, &text, &len, err, sizeof err) != 0) { fl_cli_error(err, NULL); return NULL; }
  cJSON *root = cJSON_ParseWithLength(text, len);
  free(text);
  if (!root) fprintf(stderr, "faultline: error: '%s' is not valid JSON\n", path);
  return root;
}

static int cmd_merge(int argc, char **argv) {
  batch_args_t a;
  int rc = parse_batch(argc, argv, " --json --csv -q --quiet ", -1, &a);
  if (rc) { free_batch(&a); return rc; }
  if (a.nparts == 0) { free_batch(&a); return fl_cli_usage_error(argv[0], "missing partial results (the JSON files of sweep --shard)", NULL); }
  cJSON **parts = fl_xcalloc((size_t)a.nparts, sizeof *parts);
  rc = FL_EXIT_HELD;
  for (int i = 0; i < a.nparts && rc == FL_EXIT_HELD; i++)
    if (!(parts[i] = read_json(a.parts[i]))) rc = FL_EXIT_USAGE;
  fl_sweep_t sw;
  memset(&sw, 0, sizeof sw);
  if (rc == FL_EXIT_HELD) {
    char err[1024];
    if (fl_sweep_merge(&sw, parts, a.nparts, err, sizeof err) != 0) {
      fl_cli_error(err, NULL);
      rc = FL_EXIT_USAGE;
    }
  }
  for (int i = 0; i < a.nparts; i++) cJSON_Delete(parts[i]);
  free(parts);
  if (rc == FL_EXIT_HELD) rc = finish_sweep(&sw, &a, !a.json);
  fl_sweep_release(&sw);
  free_batch(&a);
  return rc;
}

/* ---- compare ------------------------------------------------------------------------------ */

/* The diff page: replication 0 of each variant run again whole (same seed for both: common
** random numbers), drawn beside the comparison's JSON. Returns 0 or FL_EXIT_*. */
static int write_diff(const fl_compare_t *c, const cJSON *cmp, const char *path) {
  fl_run_t r[2];
  memset(r, 0, sizeof r);
  char err[1024];
  int rc = 0;
  for (int v = 0; v < 2 && rc == 0; v++) {
    int ran = fl_compare_replay(c, v, 0, &r[v], err, sizeof err);
    if (ran < 0) { fl_cli_error(err, NULL); rc = fl_cli_exit_of(ran); }
    else if (ran == 1) rc = FL_EXIT_INTERNAL;   /* interrupted: no page from half a run */
  }
  if (rc == 0 && fl_report_write_diff_html(cmp, &r[0].s, &r[1].s, path, err, sizeof err) != 0) {
    fl_cli_error(err, NULL);
    rc = FL_EXIT_INTERNAL;
  }
  fl_run_release(&r[0]);
  fl_run_release(&r[1]);
  return rc;
}

static int cmd_compare(int argc, char **argv) {
  batch_args_t a;
  fl_cli_catch_signals(false);
  int rc = parse_batch(argc, argv, " --set --set-a --set-b --reps -j --jobs --seed --memory --json --html -q --quiet --unsafe --independent ", 2, &a);
  if (rc) { free_batch(&a); return rc; }
  if (a.nfiles < 2 && !(a.nfiles == 1 && (a.nsets_a || a.nsets_b))) {
    free_batch(&a);
    return fl_cli_usage_error(argv[0], a.nfiles ? "compare needs B.lua, or A.lua with --set-b PATH=VALUE (or --set-a)"
                                                : "compare needs two scenario files, A and B (or A with --set-b PATH=VALUE)", NULL);
  }
  fl_compare_opts_t o = { .a = a.files[0], .b = a.nfiles > 1 ? a.files[1] : NULL, .sets = a.sets, .nsets = a.nsets,
                          .sets_a = a.sets_a, .nsets_a = a.nsets_a, .sets_b = a.sets_b, .nsets_b = a.nsets_b, .reps = a.reps,
                          .has_seed = a.has_seed, .seed = a.seed, .unsafe = a.unsafe, .independent = a.independent,
                          .memory = a.memory, .threads = a.threads };
  fl_compare_t c;
  char err[1024];
  if (fl_compare_init(&c, &o, err, sizeof err) != 0) {
    fl_cli_error(err, NULL);
    fl_compare_release(&c);
    free_batch(&a);
    return FL_EXIT_USAGE;
  }
  fl_pool_opts_t po = { .threads = a.threads, .progress = isatty(2) != 0, .interrupted = fl_cli_interrupted() };
  rc = fl_compare_run(&c, &po, err, sizeof err);
  if (rc < 0) {
    fl_cli_error(err, NULL);
    rc = fl_cli_exit_of(rc);
  } else {
    interrupted_note(rc);
    rc = FL_EXIT_HELD;
    if (a.json && fl_cli_write_json(fl_compare_json(&c), a.json) != 0) rc = FL_EXIT_INTERNAL;
    int html_rc = 0;
    if (a.html && c.complete) {
      cJSON *cmp = fl_compare_json(&c);
      html_rc = write_diff(&c, cmp, a.html);
      cJSON_Delete(cmp);
    }
    if (!a.quiet) {
      fl_compare_print(stdout, &c);
      if (a.json && rc != FL_EXIT_INTERNAL) printf("report: %s\n", a.json);
      if (a.html && c.complete && html_rc == 0) printf("html diff: %s (per window: replication 0 of each)\n", a.html);
    }
    if (a.html && !c.complete) fprintf(stderr, "faultline: no --html page: the comparison was interrupted\n");
    if (html_rc) rc = html_rc;
    int worse = fl_compare_regressions(&c);
    if (worse) fprintf(stderr, "faultline: %d expectation%s fare%s worse in B than in A\n", worse, worse == 1 ? "" : "s", worse == 1 ? "s" : "");
    if (rc == FL_EXIT_HELD && worse) rc = FL_EXIT_EXPECT;
  }
  fl_compare_release(&c);
  free_batch(&a);
  return rc;
}

/* The entries of sim/cli/commands.c (declared there). */
int fl__cmd_sweep(int argc, char **argv);
int fl__cmd_merge(int argc, char **argv);
int fl__cmd_compare(int argc, char **argv);
int fl__cmd_sweep(int argc, char **argv) { return cmd_sweep(argc, argv); }
int fl__cmd_merge(int argc, char **argv) { return cmd_merge(argc, argv); }
int fl__cmd_compare(int argc, char **argv) { return cmd_compare(argc, argv); }
