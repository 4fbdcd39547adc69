/* The architecture of a model as data: services, journeys and service-to-service call edges,
** as JSON, Graphviz DOT and Mermaid flowcharts (the layout itself is in reports/layout.c). */
#include "faultline/graph.h"
#include "faultline/io.h"

#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the service graph ---- */

/* Distinct service-to-service edges in order of first appearance; 'optional' when every call
** along the edge is optional. Returns the count; *out is freed by the caller. */
typedef struct sedge { int from, to; bool optional; } sedge_t;

static int service_edges(const fl_model_t *m, sedge_t **out) {
  int cap = 8, n = 0;
  sedge_t *e = fl_xmalloc(sizeof *e * (size_t)cap);
  for (int i = 0; i < m->nservices; i++) {
    const fl_service_t *s = &m->services[i];
    for (int k = 0; k < s->nendpoints; k++)
      for (int c = 0; c < s->endpoints[k].ncalls; c++) {
        const fl_call_t *call = &s->endpoints[k].calls[c];
        int to = call->target->service->id, x = 0;
        while (x < n && !(e[x].from == i && e[x].to == to)) x++;
        if (x == n) {
          if (n == cap) { cap *= 2; e = fl_xrealloc(e, sizeof *e * (size_t)cap); }
          e[n++] = (sedge_t){ i, to, true };
        }
        if (!call->optional) e[x].optional = false;
      }
  }
  *out = e;
  return n;
}

/* Call depth of each service from the journeys' entry services (breadth first); -1: unreached. */
static int *depths(const fl_model_t *m, const sedge_t *e, int ne) {
  int n = m->nservices;
  int *d = fl_xmalloc(sizeof *d * (size_t)(n ? n : 1)), *queue = fl_xmalloc(sizeof *queue * (size_t)(n ? n : 1));
  int qh = 0, qt = 0;
  for (int i = 0; i < n; i++) d[i] = -1;
  for (int j = 0; j < m->njourneys; j++) {
    int s = m->journeys[j].entry->service->id;
    if (d[s] < 0) { d[s] = 0; queue[qt++] = s; }
  }
  while (qh < qt) {
    int s = queue[qh++];
    for (int x = 0; x < ne; x++)
      if (e[x].from == s && d[e[x].to] < 0) { d[e[x].to] = d[s] + 1; queue[qt++] = e[x].to; }
  }
  free(queue);
  return d;
}

cJSON *fl_graph_json(const fl_model_t *m) {
  sedge_t *e;
  int ne = service_edges(m, &e);
  int *d = depths(m, e, ne);
  cJSON *root = cJSON_CreateObject();
  cJSON_AddStringToObject(root, "name", m->name ? m->name : "");
  cJSON *svcs = cJSON_AddArrayToObject(root, "services");
  for (int i = 0; i < m->nservices; i++) {
    const fl_service_t *s = &m->services[i];
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "name", s->name);
    if (s->group) cJSON_AddStringToObject(o, "group", s->group);
    cJSON_AddNumberToObject(o, "instances", s->instances);
    cJSON_AddNumberToObject(o, "workers", s->workers);
    if (s->queue == INT64_MAX) cJSON_AddStringToObject(o, "queue", "unbounded");
    else cJSON_AddNumberToObject(o, "queue", (double)s->queue);
    if (s->slo > 0) cJSON_AddNumberToObject(o, "slo", s->slo);
    cJSON_AddNumberToObject(o, "depth", d[i]);
    cJSON *eps = cJSON_AddArrayToObject(o, "endpoints");
    for (int k = 0; k < s->nendpoints; k++) {
      const fl_endpoint_t *ep = &s->endpoints[k];
      cJSON *eo = cJSON_CreateObject();
      cJSON_AddStringToObject(eo, "name", ep->name);
      cJSON *calls = cJSON_AddArrayToObject(eo, "calls");
      for (int c = 0; c < ep->ncalls; c++) cJSON_AddItemToArray(calls, cJSON_CreateString(ep->calls[c].target->full_name));
      cJSON_AddItemToArray(eps, eo);
    }
    cJSON_AddItemToArray(svcs, o);
  }
  cJSON *jrns = cJSON_AddArrayToObject(root, "journeys");
  for (int j = 0; j < m->njourneys; j++) {
    const fl_journey_t *jr = &m->journeys[j];
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "name", jr->name);
    cJSON_AddNumberToObject(o, "share", jr->share);
    cJSON_AddStringToObject(o, "entry", jr->entry->full_name);
    cJSON_AddStringToObject(o, "service", jr->entry->service->name);
    cJSON_AddItemToArray(jrns, o);
  }
  cJSON *edges = cJSON_AddArrayToObject(root, "edges");
  for (int x = 0; x < ne; x++) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "from", m->services[e[x].from].name);
    cJSON_AddStringToObject(o, "to", m->services[e[x].to].name);
    cJSON_AddBoolToObject(o, "optional", e[x].optional);
    cJSON *calls = cJSON_AddArrayToObject(o, "calls");
    const fl_service_t *s = &m->services[e[x].from];
    for (int k = 0; k < s->nendpoints; k++)
      for (int c = 0; c < s->endpoints[k].ncalls; c++) {
        const fl_call_t *call = &s->endpoints[k].calls[c];
        if (call->target->service->id != e[x].to) continue;
        cJSON *co = cJSON_CreateObject();
        cJSON_AddStringToObject(co, "from", s->endpoints[k].full_name);
        cJSON_AddStringToObject(co, "to", call->target->full_name);
        cJSON_AddBoolToObject(co, "optional", call->optional);
        if (call->timeout > 0) cJSON_AddNumberToObject(co, "timeout", fl_time_to_sec(call->timeout));
        cJSON_AddItemToArray(calls, co);
      }
    cJSON_AddItemToArray(edges, o);
  }
  free(d);
  free(e);
  return root;
}

/* The services in drawing order: the ungrouped in model order, then each group (in order of
** its first service) with its members in model order. */
static void group_order(const fl_model_t *m, int *order) {
  int n = 0;
  for (int i = 0; i < m->nservices; i++) if (!m->services[i].group) order[n++] = i;
  for (int i = 0; i < m->nservices; i++) {
    const char *g = m->services[i].group;
    if (!g) continue;
    bool seen = false;
    for (int k = 0; k < i && !seen; k++) seen = m->services[k].group && strcmp(m->services[k].group, g) == 0;
    if (seen) continue;
    for (int k = i; k < m->nservices; k++)
      if (m->services[k].group && strcmp(m->services[k].group, g) == 0) order[n++] = k;
  }
}

/* ---- DOT ---- */

static const char *const fill[] = { "#d5f0dc", "#fde9b8", "#f7c6c2" };
static const char *const stroke[] = { "#2e8b57", "#b7791f", "#c0392b" };
static const char *const health_class[] = { "ok", "degraded", "down" };

/* A name as it may appear in DOT and Mermaid, whose files are UTF-8 text with their own syntax:
** stray bytes (a Latin-1 scenario) become U+FFFD and control characters a space, so that no
** name ends a comment line or a statement (a newline in the scenario name used to start a line
** of DOT of its own). A new string (free()). */
static char *clean(const char *s) {
  fl_text_t t = { 0 };
  fl_text_put_utf8(&t, s, strlen(s));
  fl_text_put(&t, "", 0);
  for (unsigned char *p = (unsigned char *)t.p; *p; p++) if (*p < 0x20 || *p == 0x7f) *p = ' ';
  return fl_text_take(&t, NULL);
}

/* A comment's text: the name cleaned. */
static void comment_str(fl_text_t *b, const char *s) {
  char *c = clean(s);
  fl_text_puts(b, c);
  free(c);
}

/* A DOT double-quoted string's content. */
static void dot_str(fl_text_t *b, const char *s) {
  char *c = clean(s);
  for (const char *p = c; *p; p++) {
    if (*p == '"' || *p == '\\') fl_text_printf(b, "\\%c", *p);
    else fl_text_printf(b, "%c", *p);
  }
  free(c);
}

char *fl_graph_dot(const fl_model_t *m, const int *health) {
  fl_text_t b = { 0 };
  sedge_t *e;
  int ne = service_edges(m, &e);
  fl_text_puts(&b, "// ");
  comment_str(&b, m->name ? m->name : "");
  fl_text_puts(&b, ": the architecture drawn by faultline from ");
  comment_str(&b, m->file ? m->file : "the scenario");
  fl_text_puts(&b, "\ndigraph \"");
  dot_str(&b, m->name ? m->name : "faultline");
  fl_text_printf(&b, "\" {\n  rankdir=LR;\n  nodesep=0.3;\n  ranksep=0.8;\n"
                "  node [shape=box, style=\"rounded,filled\", fillcolor=\"#eef2f7\", color=\"#5b6b7f\", fontname=\"Helvetica\"];\n"
                "  edge [color=\"#5b6b7f\"];\n");
  if (m->njourneys) {
    fl_text_printf(&b, "  subgraph journeys {\n    rank=source;\n    node [shape=oval, style=filled, fillcolor=\"#ffffff\", fontsize=10];\n");
    for (int j = 0; j < m->njourneys; j++) {
      fl_text_printf(&b, "    \"journey:");
      dot_str(&b, m->journeys[j].name);
      fl_text_printf(&b, "\" [label=\"");
      dot_str(&b, m->journeys[j].name);
      fl_text_printf(&b, "\\n%.0f%%\"];\n", 100 * m->journeys[j].share);
    }
    fl_text_printf(&b, "  }\n");
  }
  /* services by group (first appearance), each group a cluster; the ungrouped first */
  int *order = fl_xmalloc(sizeof *order * (size_t)(m->nservices ? m->nservices : 1));
  group_order(m, order);
  for (int k = 0, gi = -1; k < m->nservices; k++) {
    const fl_service_t *s = &m->services[order[k]];
    if (s->group && (gi < 0 || strcmp(m->services[order[k - 1]].group, s->group) != 0)) {
      if (gi >= 0) fl_text_printf(&b, "  }\n");
      fl_text_printf(&b, "  subgraph \"cluster_%d\" {\n    label=\"", ++gi);
      dot_str(&b, s->group);
      fl_text_printf(&b, "\";\n    style=\"rounded,dashed\";\n    color=\"#8a99ad\";\n");
    }
    fl_text_printf(&b, s->group ? "    \"" : "  \"");
    dot_str(&b, s->name);
    fl_text_printf(&b, "\" [label=\"");
    dot_str(&b, s->name);
    fl_text_printf(&b, "\\n%d x %d\"", s->instances, s->workers);
    int h = health ? health[order[k]] : -1;
    if (h >= 0 && h <= 2) fl_text_printf(&b, ", fillcolor=\"%s\", color=\"%s\", tooltip=\"worst health: %s\"", fill[h], stroke[h], health_class[h]);
    fl_text_printf(&b, "];\n");
    if (k == m->nservices - 1 && gi >= 0) fl_text_printf(&b, "  }\n");
  }
  free(order);
  for (int j = 0; j < m->njourneys; j++) {
    fl_text_printf(&b, "  \"journey:");
    dot_str(&b, m->journeys[j].name);
    fl_text_printf(&b, "\" -> \"");
    dot_str(&b, m->journeys[j].entry->service->name);
    fl_text_printf(&b, "\" [style=dashed];\n");
  }
  for (int x = 0; x < ne; x++) {
    fl_text_printf(&b, "  \"");
    dot_str(&b, m->services[e[x].from].name);
    fl_text_printf(&b, "\" -> \"");
    dot_str(&b, m->services[e[x].to].name);
    fl_text_printf(&b, "\"%s;\n", e[x].optional ? " [style=dotted, tooltip=\"optional\"]" : "");
  }
  fl_text_printf(&b, "}\n");
  free(e);
  return b.p;
}

/* ---- Mermaid ---- */

/* Mermaid node ids: letters, digits and '_' only; a prefix and the index keep them distinct. */
static void mmd_id(fl_text_t *b, char kind, int i, const char *name) {
  fl_text_printf(b, "%c%d_", kind, i);
  for (const char *p = name; *p; p++) {
    char c = *p;
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    fl_text_printf(b, "%c", ok ? c : '_');
  }
}

/* Text inside a quoted Mermaid label: '"', '`' (which would start a markdown string) and the
** markup characters as entity codes, the name cleaned. */
static void mmd_text(fl_text_t *b, const char *s) {
  char *c = clean(s);
  for (const char *p = c; *p; p++) {
    if (*p == '"') fl_text_printf(b, "#quot;");
    else if (*p == '<') fl_text_printf(b, "#lt;");
    else if (*p == '>') fl_text_printf(b, "#gt;");
    else if (*p == '#') fl_text_printf(b, "#35;");
    else if (*p == '`') fl_text_printf(b, "#96;");
    else fl_text_printf(b, "%c", *p);
  }
  free(c);
}

char *fl_graph_mermaid(const fl_model_t *m, const int *health) {
  fl_text_t b = { 0 };
  sedge_t *e;
  int ne = service_edges(m, &e);
  fl_text_puts(&b, "%% ");
  comment_str(&b, m->name ? m->name : "");
  fl_text_puts(&b, ": the architecture drawn by faultline\nflowchart LR\n");
  for (int j = 0; j < m->njourneys; j++) {
    fl_text_printf(&b, "  ");
    mmd_id(&b, 'j', j, m->journeys[j].name);
    fl_text_printf(&b, "([\"");
    mmd_text(&b, m->journeys[j].name);
    fl_text_printf(&b, " %.0f%%\"])\n", 100 * m->journeys[j].share);
  }
  int *order = fl_xmalloc(sizeof *order * (size_t)(m->nservices ? m->nservices : 1));
  group_order(m, order);
  for (int k = 0, gi = -1; k < m->nservices; k++) {
    int i = order[k];
    const char *g = m->services[i].group;
    if (g && (gi < 0 || strcmp(m->services[order[k - 1]].group, g) != 0)) {
      if (gi >= 0) fl_text_printf(&b, "  end\n");
      fl_text_printf(&b, "  subgraph g%d [\"", ++gi);
      mmd_text(&b, g);
      fl_text_printf(&b, "\"]\n");
    }
    fl_text_printf(&b, g ? "    " : "  ");
    mmd_id(&b, 's', i, m->services[i].name);
    fl_text_printf(&b, "[\"");
    mmd_text(&b, m->services[i].name);
    fl_text_printf(&b, "\"]\n");
    if (k == m->nservices - 1 && gi >= 0) fl_text_printf(&b, "  end\n");
  }
  free(order);
  for (int j = 0; j < m->njourneys; j++) {
    fl_text_printf(&b, "  ");
    mmd_id(&b, 'j', j, m->journeys[j].name);
    fl_text_printf(&b, " -.-> ");
    const fl_service_t *s = m->journeys[j].entry->service;
    mmd_id(&b, 's', s->id, s->name);
    fl_text_printf(&b, "\n");
  }
  for (int x = 0; x < ne; x++) {
    fl_text_printf(&b, "  ");
    mmd_id(&b, 's', e[x].from, m->services[e[x].from].name);
    fl_text_printf(&b, e[x].optional ? " -. optional .-> " : " --> ");
    mmd_id(&b, 's', e[x].to, m->services[e[x].to].name);
    fl_text_printf(&b, "\n");
  }
  if (health) {
    for (int h = 0; h <= 2; h++) fl_text_printf(&b, "  classDef %s fill:%s,stroke:%s\n", health_class[h], fill[h], stroke[h]);
    for (int h = 0; h <= 2; h++) {
      bool any = false;
      for (int i = 0; i < m->nservices; i++) {
        if (health[i] != h) continue;
        fl_text_printf(&b, any ? "," : "  class ");
        mmd_id(&b, 's', i, m->services[i].name);
        any = true;
      }
      if (any) fl_text_printf(&b, " %s\n", health_class[h]);
    }
  }
  free(e);
  return b.p;
}
