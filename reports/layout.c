/* The layered layout of the architecture, by Graphviz's dot (libgvc): journeys first, then the
** services by call depth, left to right, with edges routed around the nodes. Node sizes are
** fixed here from the names (no font measuring), so the layout needs no fonts or renderers. */
#include "faultline/graph.h"

#include <cJSON.h>
#include <gvc.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MARGIN 12.0

/* Box sizes in points (= CSS pixels in the report), wide enough for the name in 13px sans. */
static double service_w(const char *name) { double w = 7.6 * (double)strlen(name) + 34; return w < 96 ? 96 : w; }
static double journey_w(const char *name) { double w = 6.6 * (double)strlen(name) + 26; return w < 80 ? 80 : w; }
#define SERVICE_H 46.0
#define JOURNEY_H 28.0

static double r1(double v) { return round(v * 10) / 10; }

typedef struct lay { double ox, top; } lay_t;   /* Graphviz's bounding box origin, y flipped */

static Agnode_t *add_node(Agraph_t *g, const char *prefix, const char *name, double w, double h) {
  size_t n = strlen(prefix) + strlen(name) + 1;
  char *id = fl_xmalloc(n);
  snprintf(id, n, "%s%s", prefix, name);
  Agnode_t *v = agnode(g, id, 1);
  free(id);
  char buf[32];
  snprintf(buf, sizeof buf, "%.3f", w / 72.0);
  agsafeset(v, "width", buf, "");
  snprintf(buf, sizeof buf, "%.3f", h / 72.0);
  agsafeset(v, "height", buf, "");
  return v;
}

static void put_box(cJSON *o, Agnode_t *v, const lay_t *L) {
  cJSON_AddNumberToObject(o, "x", r1(ND_coord(v).x - L->ox));
  cJSON_AddNumberToObject(o, "y", r1(L->top - ND_coord(v).y));
  cJSON_AddNumberToObject(o, "w", r1(ND_width(v) * 72));
  cJSON_AddNumberToObject(o, "h", r1(ND_height(v) * 72));
}

static void put_path(cJSON *o, Agedge_t *e, const lay_t *L) {
  const splines *sp = ED_spl(e);
  cJSON *pts = cJSON_AddArrayToObject(o, "path");
  if (!sp || sp->size == 0) return;
  const bezier *bz = &sp->list[0];
  for (int i = 0; i < (int)bz->size; i++) {
    cJSON_AddItemToArray(pts, cJSON_CreateNumber(r1(bz->list[i].x - L->ox)));
    cJSON_AddItemToArray(pts, cJSON_CreateNumber(r1(L->top - bz->list[i].y)));
  }
  if (bz->eflag && bz->size > 0) {
    cJSON *a = cJSON_AddArrayToObject(o, "arrow");
    pointf base = bz->list[bz->size - 1];
    cJSON_AddItemToArray(a, cJSON_CreateNumber(r1(base.x - L->ox)));
    cJSON_AddItemToArray(a, cJSON_CreateNumber(r1(L->top - base.y)));
    cJSON_AddItemToArray(a, cJSON_CreateNumber(r1(bz->ep.x - L->ox)));
    cJSON_AddItemToArray(a, cJSON_CreateNumber(r1(L->top - bz->ep.y)));
  }
}

static const char *str(const cJSON *o, const char *k) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
  return cJSON_IsString(v) ? v->valuestring : "";
}

int fl_graph_layout(cJSON *graph, char *err, size_t errlen) {
  cJSON *svcs = cJSON_GetObjectItemCaseSensitive(graph, "services");
  cJSON *jrns = cJSON_GetObjectItemCaseSensitive(graph, "journeys");
  cJSON *edges = cJSON_GetObjectItemCaseSensitive(graph, "edges");
  int ns = cJSON_GetArraySize(svcs), nj = cJSON_GetArraySize(jrns), ne = cJSON_GetArraySize(edges);
  agseterr(AGERR);
  GVC_t *gvc = gvContext();
  Agraph_t *g = agopen("architecture", Agdirected, NULL);
  agattr(g, AGRAPH, "rankdir", "LR");
  agattr(g, AGRAPH, "nodesep", "0.28");
  agattr(g, AGRAPH, "ranksep", "0.75");
  agattr(g, AGRAPH, "splines", "true");
  agattr(g, AGNODE, "shape", "box");
  agattr(g, AGNODE, "label", "");
  agattr(g, AGNODE, "fixedsize", "true");
  agattr(g, AGEDGE, "label", "");
  agattr(g, AGEDGE, "arrowsize", "0.8");
  Agnode_t **sv = fl_xcalloc((size_t)(ns ? ns : 1), sizeof *sv);
  Agnode_t **jv = fl_xcalloc((size_t)(nj ? nj : 1), sizeof *jv);
  Agedge_t **ev = fl_xcalloc((size_t)(ne ? ne : 1), sizeof *ev);
  Agedge_t **je = fl_xcalloc((size_t)(nj ? nj : 1), sizeof *je);
  /* journeys share the first rank */
  Agraph_t *src = nj ? agsubg(g, "journeys", 1) : NULL;
  if (src) agsafeset(src, "rank", "source", "");
  int i = 0;
  const cJSON *o;
  cJSON_ArrayForEach(o, svcs) { sv[i] = add_node(g, "s:", str(o, "name"), service_w(str(o, "name")), SERVICE_H); i++; }
  i = 0;
  cJSON_ArrayForEach(o, jrns) {
    jv[i] = add_node(g, "j:", str(o, "name"), journey_w(str(o, "name")), JOURNEY_H);
    agsubnode(src, jv[i], 1);
    i++;
  }
  /* the entry service of a journey, by name */
  i = 0;
  cJSON_ArrayForEach(o, jrns) {
    const char *to = str(o, "service");
    int k = 0;
    const cJSON *s;
    cJSON_ArrayForEach(s, svcs) { if (strcmp(str(s, "name"), to) == 0) break; k++; }
    if (k < ns) je[i] = agedge(g, jv[i], sv[k], NULL, 1);
    i++;
  }
  i = 0;
  cJSON_ArrayForEach(o, edges) {
    int a = -1, b = -1, k = 0;
    const cJSON *s;
    cJSON_ArrayForEach(s, svcs) {
      if (strcmp(str(s, "name"), str(o, "from")) == 0) a = k;
      if (strcmp(str(s, "name"), str(o, "to")) == 0) b = k;
      k++;
    }
    if (a >= 0 && b >= 0) ev[i] = agedge(g, sv[a], sv[b], NULL, 1);
    i++;
  }
  int rc = 0;
  if (gvLayout(gvc, g, "dot") != 0) {
    snprintf(err, errlen, "Graphviz could not lay out the architecture (is its dot layout plugin installed? try `dot -c` as root)");
    rc = -FL_EINTERNAL;
  } else {
    boxf bb = GD_bb(g);
    lay_t L = { bb.LL.x - MARGIN, bb.UR.y + MARGIN };
    cJSON *lo = cJSON_AddObjectToObject(graph, "layout");
    cJSON_AddNumberToObject(lo, "width", r1(bb.UR.x - bb.LL.x + 2 * MARGIN));
    cJSON_AddNumberToObject(lo, "height", r1(bb.UR.y - bb.LL.y + 2 * MARGIN));
    cJSON_AddStringToObject(lo, "engine", "graphviz dot");
    i = 0;
    cJSON *it;
    cJSON_ArrayForEach(it, svcs) put_box(it, sv[i++], &L);
    i = 0;
    cJSON_ArrayForEach(it, jrns) put_box(it, jv[i++], &L);
    i = 0;
    cJSON_ArrayForEach(it, edges) { if (ev[i]) put_path(it, ev[i], &L); i++; }
    cJSON *entries = cJSON_AddArrayToObject(graph, "entries");
    i = 0;
    cJSON_ArrayForEach(it, jrns) {
      if (je[i]) {
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "journey", str(it, "name"));
        cJSON_AddStringToObject(e, "to", str(it, "service"));
        put_path(e, je[i], &L);
        cJSON_AddItemToArray(entries, e);
      }
      i++;
    }
    gvFreeLayout(gvc, g);
  }
  agclose(g);
  gvFreeContext(gvc);
  free(sv); free(jv); free(ev); free(je);
  return rc;
}
