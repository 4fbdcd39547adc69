/* faultline graph: the architecture of a scenario as DOT, Mermaid or JSON (with its layout),
** its services coloured by the worst health they reached in a JSON report when one is given. */
#include "faultline/io.h"
#include "faultline/graph.h"
#include "faultline/scenario.h"
#include "faultline/sim.h"
#include "cli.h"

#include <cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char graph_usage[] =
  "usage: faultline graph SCENARIO.lua [--format dot|mermaid|json] [--report FILE.json] [--set PATH=VALUE ...] [-o FILE]\n"
  "  --format F      dot (default), mermaid (a flowchart), json (with the layout the HTML report uses)\n"
  "  --report FILE   colour services by the worst health they reached in that JSON report\n"
  "  -o FILE         write to FILE instead of stdout\n";

static int usage_error(const char *msg, const char *arg) { return fl_cli_usage_error("graph", msg, arg); }

/* Worst health per service of 'm' in the report's series (-1 where the report lacks it). */
static int *worst_health(const fl_model_t *m, const char *path, char *err, size_t errlen) {
  char *text;
  size_t len;
  if (fl_read_file(path, "report", &text, &len, err, errlen) != 0) return NULL;
  cJSON *root = cJSON_Parse(text);
  free(text);
  cJSON *ser = cJSON_GetObjectItemCaseSensitive(root, "series");
  cJSON *svcs = cJSON_GetObjectItemCaseSensitive(ser, "services");
  if (!cJSON_IsObject(svcs)) {
    snprintf(err, errlen, "'%s' is not a faultline JSON report (no series.services)", path);
    cJSON_Delete(root);
    return NULL;
  }
  int *h = fl_xmalloc(sizeof *h * (size_t)(m->nservices ? m->nservices : 1));
  bool *seen = fl_xcalloc((size_t)m->nservices + 1, sizeof *seen);
  for (int i = 0; i < m->nservices; i++) h[i] = -1;
  /* the report's services in one pass, each found in the model by name (its first entry counts) */
  cJSON *o;
  cJSON_ArrayForEach(o, svcs) {
    const fl_service_t *sv = o->string ? fl_model_find_service(m, o->string) : NULL;
    if (!sv || seen[sv->id]) continue;
    int i = sv->id;
    seen[i] = true;
    cJSON *a = cJSON_GetObjectItemCaseSensitive(o, "health"), *v;
    cJSON_ArrayForEach(v, a) if (cJSON_IsNumber(v) && v->valueint > h[i] && v->valueint <= FL_HEALTH_DOWN) h[i] = v->valueint;
  }
  free(seen);
  cJSON_Delete(root);
  return h;
}

int fl_cmd_graph(int argc, char **argv) {
  const char *scenario = NULL, *format = "dot", *report = NULL, *outpath = NULL;
  fl_load_opts_t load;
  memset(&load, 0, sizeof load);
  const char **sets = fl_xcalloc((size_t)argc + 1, sizeof *sets);
  int rc = FL_EXIT_HELD;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    bool has_next = i + 1 < argc;
    if (strcmp(a, "--format") == 0 || strcmp(a, "-f") == 0) {
      if (!has_next) { rc = usage_error("--format needs dot, mermaid or json", NULL); goto out; }
      format = argv[++i];
    } else if (strcmp(a, "--report") == 0) {
      if (!has_next) { rc = usage_error("--report needs a JSON report file", NULL); goto out; }
      report = argv[++i];
    } else if (strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) {
      if (!has_next) { rc = usage_error("-o needs a file name", NULL); goto out; }
      outpath = argv[++i];
    } else if (strcmp(a, "--set") == 0) {
      if (!has_next) { rc = usage_error("--set needs PATH=VALUE", NULL); goto out; }
      sets[load.nsets++] = argv[++i];
    } else if (strcmp(a, "--unsafe") == 0) {
      load.unsafe = true;
    } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
      fputs(graph_usage, stdout);
      goto out;
    } else if (a[0] == '-' && a[1]) {
      rc = usage_error("unknown option", a); goto out;
    } else if (!scenario) {
      scenario = a;
    } else {
      rc = usage_error("unexpected argument", a); goto out;
    }
  }
  if (!scenario) { rc = usage_error("missing scenario file after", "graph"); goto out; }
  if (strcmp(format, "dot") != 0 && strcmp(format, "mermaid") != 0 && strcmp(format, "json") != 0) {
    rc = usage_error("--format must be dot, mermaid or json, got", format); goto out;
  }
  const char *ins[] = { scenario, report }, *what[] = { "-o" };
  if (outpath && (fl_cli_check_output(outpath) != 0 || fl_cli_check_targets(&outpath, what, 1, ins, 2) != 0)) { rc = FL_EXIT_USAGE; goto out; }
  load.sets = sets;
  fl_model_t *m = NULL;
  char err[1024];
  if (fl_scenario_load(scenario, &load, &m, err, sizeof err) != 0) {
    fl_cli_error(err, NULL);
    rc = FL_EXIT_USAGE;
    goto out;
  }
  int *health = NULL;
  if (report && !(health = worst_health(m, report, err, sizeof err))) {
    fl_cli_error(err, NULL);
    fl_model_free(m);
    rc = FL_EXIT_USAGE;
    goto out;
  }
  char *text = NULL;
  if (strcmp(format, "dot") == 0) text = fl_graph_dot(m, health);
  else if (strcmp(format, "mermaid") == 0) text = fl_graph_mermaid(m, health);
  else {
    cJSON *g = fl_graph_json(m);
    if (health) {
      cJSON *s;
      int i = 0;
      cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(g, "services")) {
        if (health[i] >= 0) cJSON_AddStringToObject(s, "worst_health", fl_health_name((fl_health_t)health[i]));
        i++;
      }
    }
    if (fl_graph_layout(g, err, sizeof err) != 0) {
      fl_cli_error(err, NULL);
      rc = FL_EXIT_INTERNAL;
    } else {
      text = fl_cli_json_text(g);
    }
    cJSON_Delete(g);
  }
  if (text) {
    if (outpath) {
      if (fl_write_atomic(outpath, text, strlen(text), err, sizeof err) != 0) { fl_cli_error(err, NULL); rc = FL_EXIT_INTERNAL; }
    } else if (fl_write_stream(stdout, text, strlen(text)) != 0) {
      fprintf(stderr, "faultline: error: cannot write the graph to stdout: %s\n", strerror(errno));
      rc = FL_EXIT_INTERNAL;
    }
    free(text);
  }
  free(health);
  fl_model_free(m);
out:
  free(sets);
  return rc;
}
