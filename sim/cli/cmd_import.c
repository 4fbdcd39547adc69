/* `faultline import FORMAT FILE`: a scenario skeleton from a service graph (jaeger, otel), a
** scenario calibrated on raw traces (traces), or fault lines from chaos experiments (toxiproxy,
** chaos-mesh), on stdout or into --out. */
#include "cli.h"

#include "faultline/import.h"
#include "faultline/io.h"
#include "faultline/scenario.h"
#include "faultline/units.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char import_usage[] =
  "usage: faultline import jaeger|otel FILE [--window 1h] [--duration 10m] [--name NAME] [--drop 'A->B' ...] [--keep-cycles] [--out FILE]\n"
  "       faultline import traces FILE [--window 1h] [--duration 10m] [--name NAME] [--keep-cycles] [--out FILE]\n"
  "       faultline import toxiproxy|chaos-mesh FILE [--scenario S.lua] [--at 1m] [--duration 5m] [--out FILE]\n"
  "\n"
  "  jaeger       Jaeger's dependencies API JSON (GET /api/dependencies): parent, child, callCount\n"
  "  otel         the OpenTelemetry service graph connector's metrics, Prometheus text format\n"
  "               (traces_service_graph_request_total, ..._failed_total, ..._server_seconds / _client_seconds)\n"
  "  traces       spans: Jaeger's trace JSON (the query API's or the UI's export) or OTLP JSON traces\n"
  "               (one document or JSON Lines); one endpoint per operation, calibrated on the spans\n"
  "  toxiproxy    Toxiproxy's proxies and toxics (its -config list, or GET /proxies)\n"
  "  chaos-mesh   Chaos Mesh experiments (NetworkChaos, PodChaos, HTTPChaos; YAML)\n"
  "\n"
  "  --window D     the time the counts (traces: the root spans) cover (default: from the data's timestamps, else guessed)\n"
  "  --duration D   graphs, traces: the scenario's length; faults: how long each lasts where the source does not say\n"
  "  --name NAME    the scenario's name (default: the file's name)\n"
  "  --drop 'A->B'  leave out the call from A to B; repeatable\n"
  "  --keep-cycles  stop at a cycle in the graph or the traces (default: break each at its least-traffic call, with a comment)\n"
  "  --scenario S   map the faults' targets onto the services of scenario S (and check them)\n"
  "  --at D         when the faults start (default 1m, guessed)\n"
  "  --out FILE     write there instead of stdout\n";

static int usage_error(const char *msg, const char *arg) {
  fprintf(stderr, "faultline: error: import: %s%s%s\n\n%s", msg, arg ? " " : "", arg ? arg : "", import_usage);
  return FL_EXIT_USAGE;
}

int fl__cmd_import(int argc, char **argv);

int fl__cmd_import(int argc, char **argv) {
  if (argc >= 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) { fputs(import_usage, stdout); return FL_EXIT_HELD; }
  if (argc < 2) return usage_error("missing format (jaeger, otel, traces, toxiproxy or chaos-mesh)", NULL);
  int fmt = fl_import_format_parse(argv[1]);
  if (fmt < 0) return usage_error("unknown format", argv[1]);
  bool graph = fmt == FL_IMPORT_JAEGER || fmt == FL_IMPORT_OTEL;
  bool scenario_out = graph || fmt == FL_IMPORT_TRACES;   /* writes a scenario, not fault lines */
  fl_import_opts_t o;
  memset(&o, 0, sizeof o);
  const char *file = NULL, *out = NULL, *scenario = NULL;
  const char **drops = fl_xcalloc((size_t)argc, sizeof *drops);
  int rc = FL_EXIT_USAGE;
  for (int i = 2; i < argc; i++) {
    const char *a = argv[i];
    bool has_next = i + 1 < argc;
    double d;
    if ((strcmp(a, "--window") == 0 || strcmp(a, "--duration") == 0 || strcmp(a, "--at") == 0)) {
      if (!has_next) { rc = usage_error("needs a duration after", a); goto done; }
      if (fl_parse_duration(argv[i + 1], &d) != 0) {
        fprintf(stderr, "faultline: error: import: %s: cannot read '%s' as a duration (e.g. 1h, 30m, 90s)\n", a, argv[i + 1]);
        goto done;
      }
      if (strcmp(a, "--at") == 0) {
        if (scenario_out) { rc = usage_error("--at is for toxiproxy and chaos-mesh", NULL); goto done; }
        o.at = d; o.has_at = true;
      } else if (strcmp(a, "--window") == 0) {
        if (!scenario_out) { rc = usage_error("--window is for jaeger, otel and traces", NULL); goto done; }
        if (!(d > 0)) { rc = usage_error("--window must be positive", NULL); goto done; }
        o.window = d;
      } else {
        if (!(d > 0)) { rc = usage_error("--duration must be positive", NULL); goto done; }
        o.duration = d; o.has_duration = true;
      }
      i++;
    } else if (strcmp(a, "--out") == 0 || strcmp(a, "-o") == 0) {
      if (!has_next) { rc = usage_error("--out needs a file name", NULL); goto done; }
      out = argv[++i];
    } else if (strcmp(a, "--name") == 0) {
      if (!has_next) { rc = usage_error("--name needs a name", NULL); goto done; }
      o.name = argv[++i];
    } else if (strcmp(a, "--drop") == 0) {
      if (!has_next) { rc = usage_error("--drop needs CALLER->CALLEE", NULL); goto done; }
      if (!graph) { rc = usage_error("--drop is for jaeger and otel", NULL); goto done; }
      drops[o.ndrops++] = argv[++i];
    } else if (strcmp(a, "--keep-cycles") == 0) {
      if (!scenario_out) { rc = usage_error("--keep-cycles is for jaeger, otel and traces", NULL); goto done; }
      o.keep_cycles = true;
    } else if (strcmp(a, "--scenario") == 0) {
      if (!has_next) { rc = usage_error("--scenario needs a scenario file", NULL); goto done; }
      if (scenario_out) { rc = usage_error("--scenario is for toxiproxy and chaos-mesh", NULL); goto done; }
      scenario = argv[++i];
    } else if (a[0] == '-' && a[1]) {
      rc = usage_error("unknown option", a);
      goto done;
    } else if (!file) {
      file = a;
    } else {
      rc = usage_error("unexpected argument", a);
      goto done;
    }
  }
  if (!file) { rc = usage_error("missing the file to import after", argv[1]); goto done; }
  const char *ins[] = { file, scenario }, *what[] = { "--out" };
  if (out && (fl_cli_check_output(out) != 0 || fl_cli_check_targets(&out, what, 1, ins, 2) != 0)) goto done;
  o.drops = drops;
  fl_model_t *m = NULL;
  char err[8192];
  if (scenario) {
    if (fl_scenario_load(scenario, NULL, &m, err, sizeof err) != 0) {
      fprintf(stderr, "faultline: error: %s\n", err);
      goto done;
    }
    o.scenario = m;
  }
  char *buf = NULL; size_t len = 0;
  FILE *mem = open_memstream(&buf, &len);
  if (!mem) { fprintf(stderr, "faultline: error: out of memory\n"); rc = FL_EXIT_INTERNAL; fl_model_free(m); goto done; }
  int irc = fl_import((fl_import_format_t)fmt, file, &o, mem, stderr, err, sizeof err);
  fclose(mem);
  if (irc == 0) {
    if (out) {
      if (fl_write_atomic(out, buf, len, err, sizeof err) != 0) { fprintf(stderr, "faultline: error: %s\n", err); rc = FL_EXIT_USAGE; }
      else { fprintf(stderr, "faultline: wrote %s\n", out); rc = FL_EXIT_HELD; }
    } else if (fl_write_stream(stdout, buf, len) != 0) {
      /* a full disk (stdout on /dev/full) must not pass for an import */
      fprintf(stderr, "faultline: error: import: cannot write to stdout: %s\n", strerror(errno));
      rc = FL_EXIT_INTERNAL;
    } else {
      rc = FL_EXIT_HELD;
    }
  } else {
    fprintf(stderr, "faultline: error: %s\n", err);
    rc = irc == -FL_EPARSE || irc == -FL_EIO || irc == -FL_EINVAL ? FL_EXIT_USAGE : FL_EXIT_INTERNAL;
  }
  free(buf);
  fl_model_free(m);
done:
  free(drops);
  return rc;
}
