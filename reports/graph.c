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
** along the edge is optional. An edge's first call is made by its 'from' service, so the edges
** come grouped by 'from' in model order: those of service i are e[first[i]] .. e[first[i + 1] - 1].
** Linear in services and calls: 'at[to]' is the edge from the current service to 'to' when it is
** at or past that service's first edge. */
typedef struct sedge { int from, to; bool optional; } sedge_t;
typedef struct sgraph { sedge_t *e; int ne; int *first; } sgraph_t;

static void service_edges(const fl_model_t *m, sgraph_t *g) {
  int cap = 8, n = 0, ns = m->nservices;
  sedge_t *e = fl_xmalloc(sizeof *e * (size_t)cap);
  int *first = fl_xmalloc(sizeof *first * ((size_t)ns + 1)), *at = fl_xmalloc(sizeof *at * (size_t)(ns ? ns : 1));
  for (int i = 0; i < ns; i++) at[i] = -1;
  for (int i = 0; i < ns; i++) {
    const fl_service_t *s = &m->services[i];
    first[i] = n;
    for (int k = 0; k < s->nendpoints; k++)
      for (int c = 0; c < s->endpoints[k].ncalls; c++) {
        const fl_call_t *call = &s->endpoints[k].calls[c];
        int to = call->target->service->id, x = at[to];
        if (x < first[i]) {
          if (n == cap) { cap *= 2; e = fl_xrealloc(e, sizeof *e * (size_t)cap); }
          e[n] = (sedge_t){ i, to, true };
          x = at[to] = n++;
        }
        if (!call->optional) e[x].optional = false;
      }
  }
  first[ns] = n;
  free(at);
  *g = (sgraph_t){ e, n, first };
}

static void sgraph_release(sgraph_t *g) { free(g->e); free(g->first); }

/* Call depth of each service from the journeys' entry services (breadth first, each service's
** edges in their order); -1: unreached. */
static int *depths(const fl_model_t *m, const sgraph_t *g) {
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
    for (int x = g->first[s]; x < g->first[s + 1]; x++)
      if (d[g->e[x].to] < 0) { d[g->e[x].to] = d[s] + 1; queue[qt++] = g->e[x].to; }
  }
  free(queue);
  return d;
}

cJSON *fl_graph_json(const fl_model_t *m) {
  sgraph_t g;
  service_edges(m, &g);
  int *d = depths(m, &g);
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
  /* the edges in order, each with its calls: a service's calls are walked once, each appended to
  ** its edge's list (its edges' objects made first) */
  cJSON *edges = cJSON_AddArrayToObject(root, "edges");
  cJSON **calls = fl_xmalloc(sizeof *calls * (size_t)(g.ne ? g.ne : 1));
  int *at = fl_xmalloc(sizeof *at * (size_t)(m->nservices ? m->nservices : 1));
  for (int i = 0; i < m->nservices; i++) {
    const fl_service_t *s = &m->services[i];
    for (int x = g.first[i]; x < g.first[i + 1]; x++) {
      cJSON *o = cJSON_CreateObject();
      cJSON_AddStringToObject(o, "from", s->name);
      cJSON_AddStringToObject(o, "to", m->services[g.e[x].to].name);
      cJSON_AddBoolToObject(o, "optional", g.e[x].optional);
      calls[x] = cJSON_AddArrayToObject(o, "calls");
      cJSON_AddItemToArray(edges, o);
      at[g.e[x].to] = x;
    }
    for (int k = 0; k < s->nendpoints; k++)
      for (int c = 0; c < s->endpoints[k].ncalls; c++) {
        const fl_call_t *call = &s->endpoints[k].calls[c];
        cJSON *co = cJSON_CreateObject();
        cJSON_AddStringToObject(co, "from", s->endpoints[k].full_name);
        cJSON_AddStringToObject(co, "to", call->target->full_name);
        cJSON_AddBoolToObject(co, "optional", call->optional);
        if (call->timeout > 0) cJSON_AddNumberToObject(co, "timeout", fl_time_to_sec(call->timeout));
        cJSON_AddItemToArray(calls[at[call->target->service->id]], co);
      }
  }
  free(at);
  free(calls);
  free(d);
  sgraph_release(&g);
  return root;
}

/* The services in drawing order: the ungrouped in model order, then each group (in order of
** its first service) with its members in model order. In n log n: the grouped services sorted
** by (group, index) give each its group's first service, and the services are then bucketed by
** that first index. */
typedef struct gkey { const char *group; int i; } gkey_t;

static int by_group(const void *pa, const void *pb) {
  const gkey_t *a = pa, *b = pb;
  int c = strcmp(a->group, b->group);
  return c ? c : (a->i > b->i) - (a->i < b->i);
}

static void group_order(const fl_model_t *m, int *order) {
  int ns = m->nservices, n = 0, ng = 0;
  for (int i = 0; i < ns; i++) if (!m->services[i].group) order[n++] = i;
  gkey_t *k = fl_xmalloc(sizeof *k * (size_t)(ns ? ns : 1));
  for (int i = 0; i < ns; i++) if (m->services[i].group) k[ng++] = (gkey_t){ m->services[i].group, i };
  qsort(k, (size_t)ng, sizeof *k, by_group);
  int *lead = fl_xmalloc(sizeof *lead * (size_t)(ns ? ns : 1)), *count = fl_xcalloc((size_t)ns + 1, sizeof *count);
  for (int x = 0; x < ng; x++) {
    lead[k[x].i] = x > 0 && strcmp(k[x - 1].group, k[x].group) == 0 ? lead[k[x - 1].i] : k[x].i;
    count[lead[k[x].i] + 1]++;
  }
  for (int i = 0; i < ns; i++) count[i + 1] += count[i];   /* count[f]: where group f's members start */
  for (int i = 0; i < ns; i++) if (m->services[i].group) order[n + count[lead[i]]++] = i;
  free(k); free(lead); free(count);
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
    if (*p == '"' || *p == '\\') fl_text_put(b, "\\", 1);
    fl_text_put(b, p, 1);
  }
  free(c);
}

char *fl_graph_dot(const fl_model_t *m, const int *health) {
  fl_text_t b = { 0 };
  sgraph_t sg;
  service_edges(m, &sg);
  const sedge_t *e = sg.e;
  int ne = sg.ne;
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
  sgraph_release(&sg);
  return b.p;
}

/* ---- Mermaid ---- */

/* Mermaid node ids: letters, digits and '_' only; a prefix and the index keep them distinct. */
static void mmd_id(fl_text_t *b, char kind, int i, const char *name) {
  fl_text_printf(b, "%c%d_", kind, i);
  for (const char *p = name; *p; p++) {
    char c = *p;
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    fl_text_put(b, ok ? &c : "_", 1);
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
    else fl_text_put(b, p, 1);
  }
  free(c);
}

char *fl_graph_mermaid(const fl_model_t *m, const int *health) {
  fl_text_t b = { 0 };
  sgraph_t sg;
  service_edges(m, &sg);
  const sedge_t *e = sg.e;
  int ne = sg.ne;
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
  sgraph_release(&sg);
  return b.p;
}
