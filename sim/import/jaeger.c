/* Jaeger's dependencies API (GET /api/dependencies): a list of links { parent, child, callCount },
** bare or in the query service's { "data": [...] } envelope, read into a service graph. Zipkin's
** dependency links have the same shape and an errorCount, which is read too. */
#include "import_int.h"

#include <math.h>
#include <string.h>

/* A count field: a whole, non-negative number. Returns 1 when absent, 0 when read, <0 on error. */
static int read_count(const fl_json_t *j, const cJSON *item, const char *key, const char *path, double *out, char *err, size_t n) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(item, key);
  if (!v) return 1;
  int line = fl__json_line(j, v);
  if (!cJSON_IsNumber(v))
    return fl__imp_err(err, n, j->file, line, "%s.%s: expected a count (a whole number), got %s", path, key, fl__json_type(v));
  double d = v->valuedouble;
  if (!isfinite(d)) return fl__imp_err(err, n, j->file, line, "%s.%s: expected a count, got %g", path, key, d);
  if (d < 0) return fl__imp_err(err, n, j->file, line, "%s.%s: negative count %.15g (a count of calls cannot be negative)", path, key, d);
  if (d != floor(d)) return fl__imp_err(err, n, j->file, line, "%s.%s: expected a whole number of calls, got %.15g", path, key, d);
  *out = d;
  return 0;
}

int fl__import_jaeger(const char *path, const char *text, size_t len, fl_igraph_t *g, char *err, size_t n) {
  fl_json_t j;
  int rc = fl__json_parse(&j, path, text, len, err, n);
  if (rc) return rc;
  g->source = "Jaeger dependencies";
  g->format = "jaeger";
  g->window_guess = 24 * 3600;
  g->window_guess_why = "Jaeger's dependencies carry no time range; 24h is the query API's default lookback";
  const cJSON *list = j.root;
  const char *prefix = "";
  if (cJSON_IsObject(list)) {
    const cJSON *errors = cJSON_GetObjectItemCaseSensitive(list, "errors");
    if (cJSON_IsArray(errors) && cJSON_GetArraySize(errors) > 0) {
      const cJSON *e0 = cJSON_GetArrayItem(errors, 0);
      const cJSON *msg = cJSON_GetObjectItemCaseSensitive(e0, "msg");
      rc = fl__imp_err(err, n, path, fl__json_line(&j, e0), "errors[0]: the query answered with an error%s%s",
                       cJSON_IsString(msg) ? ": " : "", cJSON_IsString(msg) ? msg->valuestring : "");
      goto out;
    }
    list = cJSON_GetObjectItemCaseSensitive(j.root, "data");
    prefix = "data";
    if (!list) {
      rc = fl__imp_err(err, n, path, fl__json_line(&j, j.root),
                       "expected Jaeger's dependencies: a list of { \"parent\", \"child\", \"callCount\" } links, or { \"data\": [...] } (this object has no \"data\")");
      goto out;
    }
  }
  if (!cJSON_IsArray(list)) {
    rc = fl__imp_err(err, n, path, fl__json_line(&j, list), "%s%sexpected a list of { \"parent\", \"child\", \"callCount\" } links, got %s",
                     prefix, *prefix ? ": " : "", fl__json_type(list));
    goto out;
  }
  int idx = 0;
  for (const cJSON *item = list->child; item; item = item->next, idx++) {
    char ipath[64];
    snprintf(ipath, sizeof ipath, "%s[%d]", prefix, idx);
    int line = fl__json_line(&j, item);
    if (!cJSON_IsObject(item)) {
      rc = fl__imp_err(err, n, path, line, "%s: expected a link { \"parent\", \"child\", \"callCount\" }, got %s", ipath, fl__json_type(item));
      goto out;
    }
    const char *names[2] = { "parent", "child" };
    const char *val[2];
    for (int k = 0; k < 2; k++) {
      const cJSON *v = cJSON_GetObjectItemCaseSensitive(item, names[k]);
      if (!v) { rc = fl__imp_err(err, n, path, line, "%s: missing \"%s\" (the %s service's name)", ipath, names[k], k ? "called" : "calling"); goto out; }
      if (!cJSON_IsString(v) || !v->valuestring[0]) {
        if (cJSON_IsString(v)) rc = fl__imp_err(err, n, path, fl__json_line(&j, v), "%s.%s: empty service name", ipath, names[k]);
        else rc = fl__imp_err(err, n, path, fl__json_line(&j, v), "%s.%s: expected a service name, got %s", ipath, names[k], fl__json_type(v));
        goto out;
      }
      val[k] = v->valuestring;
    }
    double calls = 0, errors = 0;
    rc = read_count(&j, item, "callCount", ipath, &calls, err, n);
    if (rc == 1) { rc = fl__imp_err(err, n, path, line, "%s: missing \"callCount\" (how many calls %s made to %s)", ipath, val[0], val[1]); goto out; }
    if (rc) goto out;
    rc = read_count(&j, item, "errorCount", ipath, &errors, err, n);
    if (rc < 0) goto out;
    bool has_errors = rc == 0;
    rc = 0;
    if (errors > calls) {
      rc = fl__imp_err(err, n, path, fl__json_line(&j, cJSON_GetObjectItemCaseSensitive(item, "errorCount")),
                       "%s.errorCount: %.15g errors out of %.15g calls", ipath, errors, calls);
      goto out;
    }
    int from = fl__graph_node(g, val[0], line), to = fl__graph_node(g, val[1], line);
    fl_iedge_t *e = fl__graph_edge(g, from, to, line);
    e->count += calls;
    if (has_errors) { e->failed += errors; e->has_failed = true; }
  }
  if (g->nedges == 0) rc = fl__imp_err(err, n, path, fl__json_line(&j, list), "%s%sno links: the graph is empty (a lookback too short, or no traces?)",
                                       prefix, *prefix ? ": " : "");
out:
  fl__json_release(&j);
  return rc;
}
