/* The layout of the architecture. Up to DOT_MAX services: layered, by Graphviz's dot (libgvc):
** journeys first, then the services by call depth, left to right, with edges routed around the
** nodes and each group a cluster. Above: faultline's own grid of groups, in time linear in the
** size: each group a block of rows (its services by call depth), the blocks packed in shelves
** to the page's aspect, the journeys in a row on top, straight edges. Node sizes are fixed here
** from the names (no font measuring), so the layout needs no fonts or renderers. */
#include "faultline/graph.h"

#include <cJSON.h>
#include <gvc.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MARGIN 12.0
#define DOT_MAX 300          /* services: above, the grid (dot grows as ~N^2.2: 44 s at 5,000) */
#define ASPECT 1.6           /* the page's width / height that the grid aims at */
#define GROUP_PAD 14.0       /* between a group's box and its services */
#define GROUP_HEAD 22.0      /* a group's title row */
#define CELL_GAP_X 26.0
#define CELL_GAP_Y 18.0
#define BLOCK_GAP 30.0

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

/* ---- what both layouts share: the services by name, the groups ---- */

typedef struct named { const char *name; int i; } named_t;

static int by_name(const void *a, const void *b) {
  int c = strcmp(((const named_t *)a)->name, ((const named_t *)b)->name);
  return c ? c : ((const named_t *)a)->i - ((const named_t *)b)->i;
}

typedef struct arch {
  cJSON *graph, *svcs, *jrns, *edges;
  int ns, nj, ne, ng;
  const cJSON **sv, **jv, **ev;   /* the items, by index */
  named_t *names;                 /* the services sorted by name */
  int *grp;                       /* per service: its group's index, -1: none */
  const char **gname;             /* per group, in order of first appearance */
  int *efrom, *eto;               /* per edge: service indexes, -1: unknown */
  int *jto;                       /* per journey: its entry service, -1: unknown */
} arch_t;

static int find(const arch_t *a, const char *name) {
  named_t key = { name, -1 };
  int lo = 0, hi = a->ns;
  while (lo < hi) {   /* the first with this name */
    int mid = (lo + hi) / 2;
    if (by_name(&a->names[mid], &key) < 0) lo = mid + 1; else hi = mid;
  }
  return lo < a->ns && strcmp(a->names[lo].name, name) == 0 ? a->names[lo].i : -1;
}

static void arch_init(arch_t *a, cJSON *graph) {
  memset(a, 0, sizeof *a);
  a->graph = graph;
  a->svcs = cJSON_GetObjectItemCaseSensitive(graph, "services");
  a->jrns = cJSON_GetObjectItemCaseSensitive(graph, "journeys");
  a->edges = cJSON_GetObjectItemCaseSensitive(graph, "edges");
  a->ns = cJSON_GetArraySize(a->svcs); a->nj = cJSON_GetArraySize(a->jrns); a->ne = cJSON_GetArraySize(a->edges);
  a->sv = fl_xcalloc((size_t)a->ns + 1, sizeof *a->sv);
  a->jv = fl_xcalloc((size_t)a->nj + 1, sizeof *a->jv);
  a->ev = fl_xcalloc((size_t)a->ne + 1, sizeof *a->ev);
  a->names = fl_xcalloc((size_t)a->ns + 1, sizeof *a->names);
  a->grp = fl_xcalloc((size_t)a->ns + 1, sizeof *a->grp);
  a->gname = fl_xcalloc((size_t)a->ns + 1, sizeof *a->gname);
  a->efrom = fl_xcalloc((size_t)a->ne + 1, sizeof *a->efrom);
  a->eto = fl_xcalloc((size_t)a->ne + 1, sizeof *a->eto);
  a->jto = fl_xcalloc((size_t)a->nj + 1, sizeof *a->jto);
  int i = 0;
  const cJSON *o;
  cJSON_ArrayForEach(o, a->svcs) { a->sv[i] = o; a->names[i] = (named_t){ str(o, "name"), i }; i++; }
  qsort(a->names, (size_t)a->ns, sizeof *a->names, by_name);
  i = 0;
  cJSON_ArrayForEach(o, a->jrns) { a->jv[i] = o; a->jto[i] = find(a, str(o, "service")); i++; }
  i = 0;
  cJSON_ArrayForEach(o, a->edges) { a->ev[i] = o; a->efrom[i] = find(a, str(o, "from")); a->eto[i] = find(a, str(o, "to")); i++; }
  /* groups in order of first appearance: the grouped services sorted by (group, index) give
  ** each its group's first service (n log n, where inserting each new group into a sorted
  ** index of those seen so far moved a quadratic number of entries) */
  named_t *gs = fl_xcalloc((size_t)a->ns + 1, sizeof *gs);
  int *lead = fl_xcalloc((size_t)a->ns + 1, sizeof *lead), ngs = 0;
  for (i = 0; i < a->ns; i++) {
    const char *g = str(a->sv[i], "group");
    a->grp[i] = -1;
    if (g[0]) gs[ngs++] = (named_t){ g, i };
  }
  qsort(gs, (size_t)ngs, sizeof *gs, by_name);
  for (int x = 0; x < ngs; x++) lead[gs[x].i] = x > 0 && strcmp(gs[x - 1].name, gs[x].name) == 0 ? lead[gs[x - 1].i] : gs[x].i;
  for (i = 0; i < a->ns; i++) {   /* in model order: a group's first service numbers it */
    if (!str(a->sv[i], "group")[0]) continue;
    if (lead[i] == i) a->gname[a->ng++] = str(a->sv[i], "group");
    a->grp[i] = lead[i] == i ? a->ng - 1 : a->grp[lead[i]];
  }
  free(gs);
  free(lead);
}

static void arch_release(arch_t *a) {
  free(a->sv); free(a->jv); free(a->ev); free(a->names); free(a->grp); free(a->gname);
  free(a->efrom); free(a->eto); free(a->jto);
}

static void put_group(cJSON *groups, const char *name, double x, double y, double w, double h) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "name", name);
  cJSON_AddNumberToObject(o, "x", r1(x)); cJSON_AddNumberToObject(o, "y", r1(y));
  cJSON_AddNumberToObject(o, "w", r1(w)); cJSON_AddNumberToObject(o, "h", r1(h));
  cJSON_AddItemToArray(groups, o);
}

/* ---- dot, up to DOT_MAX services ---- */

/* One Graphviz context for the process, made at the first layout and kept: its text layout
** plugin remembers the last font it measured by a pointer into the context's font table, so a
** context freed between two layouts (a comparison's two diagrams, serve reloading a scenario)
** would leave that pointer dangling for the next label. Freed at exit. Layouts take turns
** (Graphviz keeps global state). */
static pthread_mutex_t gv_lock = PTHREAD_MUTEX_INITIALIZER;
static GVC_t *gv_context;

static int dot_layout_locked(arch_t *a, char *err, size_t errlen);

static void gv_release(void) { if (gv_context) gvFreeContext(gv_context); gv_context = NULL; }

static int dot_layout(arch_t *a, char *err, size_t errlen) {
  pthread_mutex_lock(&gv_lock);
  int rc = dot_layout_locked(a, err, errlen);
  pthread_mutex_unlock(&gv_lock);
  return rc;
}

static int dot_layout_locked(arch_t *a, char *err, size_t errlen) {
  int ns = a->ns, nj = a->nj, ne = a->ne;
  agseterr(AGERR);
  if (!gv_context) { gv_context = gvContext(); atexit(gv_release); }
  GVC_t *gvc = gv_context;
  Agraph_t *g = agopen("architecture", Agdirected, NULL);
  agattr(g, AGRAPH, "rankdir", "LR");
  agattr(g, AGRAPH, "nodesep", "0.28");
  agattr(g, AGRAPH, "ranksep", "0.75");
  agattr(g, AGRAPH, "splines", "true");
  agattr(g, AGRAPH, "label", "");
  agattr(g, AGRAPH, "margin", "14");
  agattr(g, AGNODE, "shape", "box");
  agattr(g, AGNODE, "label", "");
  agattr(g, AGNODE, "fixedsize", "true");
  agattr(g, AGEDGE, "label", "");
  agattr(g, AGEDGE, "arrowsize", "0.8");
  Agnode_t **sv = fl_xcalloc((size_t)ns + 1, sizeof *sv);
  Agnode_t **jv = fl_xcalloc((size_t)nj + 1, sizeof *jv);
  Agedge_t **ev = fl_xcalloc((size_t)ne + 1, sizeof *ev);
  Agedge_t **je = fl_xcalloc((size_t)nj + 1, sizeof *je);
  Agraph_t **cl = fl_xcalloc((size_t)a->ng + 1, sizeof *cl);
  /* journeys share the first rank */
  Agraph_t *src = nj ? agsubg(g, "journeys", 1) : NULL;
  if (src) agsafeset(src, "rank", "source", "");
  for (int k = 0; k < a->ng; k++) {
    char id[32];
    snprintf(id, sizeof id, "cluster_%d", k);
    cl[k] = agsubg(g, id, 1);
    /* room for the group's title above its services */
    agsafeset(cl[k], "label", " ", "");
    agsafeset(cl[k], "fontsize", "16", "");
  }
  for (int i = 0; i < ns; i++) {
    const char *name = str(a->sv[i], "name");
    sv[i] = add_node(g, "s:", name, service_w(name), SERVICE_H);
    if (a->grp[i] >= 0) agsubnode(cl[a->grp[i]], sv[i], 1);
  }
  for (int i = 0; i < nj; i++) {
    const char *name = str(a->jv[i], "name");
    jv[i] = add_node(g, "j:", name, journey_w(name), JOURNEY_H);
    agsubnode(src, jv[i], 1);
  }
  for (int i = 0; i < nj; i++) if (a->jto[i] >= 0) je[i] = agedge(g, jv[i], sv[a->jto[i]], NULL, 1);
  for (int i = 0; i < ne; i++) if (a->efrom[i] >= 0 && a->eto[i] >= 0) ev[i] = agedge(g, sv[a->efrom[i]], sv[a->eto[i]], NULL, 1);
  int rc = 0;
  if (gvLayout(gvc, g, "dot") != 0) {
    snprintf(err, errlen, "Graphviz could not lay out the architecture (is its dot layout plugin installed? try `dot -c` as root)");
    rc = -FL_EINTERNAL;
  } else {
    boxf bb = GD_bb(g);
    lay_t L = { bb.LL.x - MARGIN, bb.UR.y + MARGIN };
    cJSON *lo = cJSON_AddObjectToObject(a->graph, "layout");
    cJSON_AddNumberToObject(lo, "width", r1(bb.UR.x - bb.LL.x + 2 * MARGIN));
    cJSON_AddNumberToObject(lo, "height", r1(bb.UR.y - bb.LL.y + 2 * MARGIN));
    cJSON_AddStringToObject(lo, "engine", "graphviz dot");
    for (int i = 0; i < ns; i++) put_box((cJSON *)a->sv[i], sv[i], &L);
    for (int i = 0; i < nj; i++) put_box((cJSON *)a->jv[i], jv[i], &L);
    for (int i = 0; i < ne; i++) if (ev[i]) put_path((cJSON *)a->ev[i], ev[i], &L);
    cJSON *groups = cJSON_AddArrayToObject(a->graph, "groups");
    for (int k = 0; k < a->ng; k++) {
      boxf c = GD_bb(cl[k]);
      put_group(groups, a->gname[k], (c.LL.x + c.UR.x) / 2 - L.ox, L.top - (c.LL.y + c.UR.y) / 2, c.UR.x - c.LL.x, c.UR.y - c.LL.y);
    }
    cJSON *entries = cJSON_AddArrayToObject(a->graph, "entries");
    for (int i = 0; i < nj; i++) {
      if (!je[i]) continue;
      cJSON *e = cJSON_CreateObject();
      cJSON_AddStringToObject(e, "journey", str(a->jv[i], "name"));
      cJSON_AddStringToObject(e, "to", str(a->jv[i], "service"));
      put_path(e, je[i], &L);
      cJSON_AddItemToArray(entries, e);
    }
    gvFreeLayout(gvc, g);
  }
  agclose(g);
  free(sv); free(jv); free(ev); free(je); free(cl);
  return rc;
}

/* ---- the grid, above DOT_MAX services ---- */

typedef struct box { double x, y, w, h; } box_t;   /* centre, size */

static int by_depth(const void *pa, const void *pb) {
  const int *a = pa, *b = pb;   /* (depth, index) pairs; the unreached (-1) last */
  unsigned da = (unsigned)a[0], db = (unsigned)b[0];
  return da != db ? (da < db ? -1 : 1) : a[1] - b[1];
}

/* The point where the segment from the centre of 'b' towards (tx, ty) leaves 'b'. */
static void border(const box_t *b, double tx, double ty, double *x, double *y) {
  double dx = tx - b->x, dy = ty - b->y, k = 1;
  if (fabs(dx) * b->h > fabs(dy) * b->w) k = dx != 0 ? b->w / 2 / fabs(dx) : 1;
  else k = dy != 0 ? b->h / 2 / fabs(dy) : 1;
  *x = b->x + dx * k; *y = b->y + dy * k;
}

/* A straight edge from box a to box b as one cubic Bezier (path) and its arrow head. */
static void straight(cJSON *o, const box_t *a, const box_t *b) {
  double x0, y0, x1, y1;
  border(a, b->x, b->y, &x0, &y0);
  border(b, a->x, a->y, &x1, &y1);
  double dx = x1 - x0, dy = y1 - y0, len = sqrt(dx * dx + dy * dy);
  double head = len > 20 ? 8 : len * 0.4, ux = len > 0 ? dx / len : 0, uy = len > 0 ? dy / len : 0;
  double bx = x1 - ux * head, by = y1 - uy * head;
  cJSON *pts = cJSON_AddArrayToObject(o, "path");
  double p[8] = { x0, y0, x0 + (bx - x0) / 3, y0 + (by - y0) / 3, x0 + 2 * (bx - x0) / 3, y0 + 2 * (by - y0) / 3, bx, by };
  for (int k = 0; k < 8; k++) cJSON_AddItemToArray(pts, cJSON_CreateNumber(r1(p[k])));
  cJSON *ar = cJSON_AddArrayToObject(o, "arrow");
  double q[4] = { bx, by, x1, y1 };
  for (int k = 0; k < 4; k++) cJSON_AddItemToArray(ar, cJSON_CreateNumber(r1(q[k])));
}

static void put_grid_box(cJSON *o, const box_t *b) {
  cJSON_AddNumberToObject(o, "x", r1(b->x)); cJSON_AddNumberToObject(o, "y", r1(b->y));
  cJSON_AddNumberToObject(o, "w", r1(b->w)); cJSON_AddNumberToObject(o, "h", r1(b->h));
}

static void grid_layout(arch_t *a) {
  int ns = a->ns, nj = a->nj, nb = a->ng + 1;   /* blocks: the groups, then the ungrouped */
  box_t *sb = fl_xcalloc((size_t)ns + 1, sizeof *sb), *jb = fl_xcalloc((size_t)nj + 1, sizeof *jb);
  int *pairs = fl_xcalloc(2 * (size_t)ns + 2, sizeof *pairs);
  int *count = fl_xcalloc((size_t)nb + 1, sizeof *count), *start = fl_xcalloc((size_t)nb + 2, sizeof *start);
  int *mind = fl_xcalloc((size_t)nb + 1, sizeof *mind), *blk = fl_xcalloc((size_t)nb + 1, sizeof *blk);
  double *cellw = fl_xcalloc((size_t)nb + 1, sizeof *cellw), *bw = fl_xcalloc((size_t)nb + 1, sizeof *bw),
         *bh = fl_xcalloc((size_t)nb + 1, sizeof *bh), *bx = fl_xcalloc((size_t)nb + 1, sizeof *bx), *by = fl_xcalloc((size_t)nb + 1, sizeof *by);
  int *cols = fl_xcalloc((size_t)nb + 1, sizeof *cols);
  /* members of each block, by (depth, index) */
  for (int i = 0; i < ns; i++) count[a->grp[i] >= 0 ? a->grp[i] : a->ng]++;
  for (int k = 0; k < nb; k++) { start[k + 1] = start[k] + count[k]; mind[k] = -1; }
  int *fill = fl_xcalloc((size_t)nb + 1, sizeof *fill);
  for (int i = 0; i < ns; i++) {
    int k = a->grp[i] >= 0 ? a->grp[i] : a->ng, at = start[k] + fill[k]++;
    const cJSON *d = cJSON_GetObjectItemCaseSensitive(a->sv[i], "depth");
    pairs[2 * at] = cJSON_IsNumber(d) ? d->valueint : -1;
    pairs[2 * at + 1] = i;
    double w = service_w(str(a->sv[i], "name"));
    if (w > cellw[k]) cellw[k] = w;
  }
  free(fill);
  for (int k = 0; k < nb; k++) {
    int n = count[k];
    if (!n) continue;
    qsort(pairs + 2 * start[k], (size_t)n, 2 * sizeof *pairs, by_depth);
    mind[k] = pairs[2 * start[k]];
    if (cellw[k] > 240) cellw[k] = 240;   /* longer names are shortened in the page */
    double cw = cellw[k] + CELL_GAP_X, ch = SERVICE_H + CELL_GAP_Y;
    int c = (int)ceil(sqrt((double)n * ch / cw * ASPECT));   /* each block about the page's shape */
    if (c < 1) c = 1;
    if (c > n) c = n;
    cols[k] = c;
    int rows = (n + c - 1) / c;
    bw[k] = c * cw - CELL_GAP_X + 2 * GROUP_PAD;
    bh[k] = rows * ch - CELL_GAP_Y + 2 * GROUP_PAD + (k < a->ng ? GROUP_HEAD : 0);
  }
  /* blocks by their shallowest service (callers first), then first appearance; packed in shelves */
  int nbo = 0;
  for (int k = 0; k < nb; k++) if (count[k]) blk[nbo++] = k;
  for (int x = 1; x < nbo; x++) {   /* insertion sort: stable, few blocks */
    int k = blk[x], y = x;
    while (y > 0 && (unsigned)mind[blk[y - 1]] > (unsigned)mind[k]) { blk[y] = blk[y - 1]; y--; }
    blk[y] = k;
  }
  double top = 0, jw = 0;
  for (int j = 0; j < nj; j++) jw += journey_w(str(a->jv[j], "name")) + CELL_GAP_X;
  double widest = 0, total = 0;
  for (int x = 0; x < nbo; x++) { double w = bw[blk[x]]; total += w + BLOCK_GAP; if (w > widest) widest = w; }
  if (nj) top = JOURNEY_H + 2 * BLOCK_GAP;
  /* the shelf width whose packing comes closest to the page's aspect, of 64 tried */
  double target = widest, best = INFINITY;
  for (int tr = 0; tr < 64; tr++) {
    double t = widest + (total - widest) * tr / 63.0, px = 0, py = top, sh = 0, wmax = 0;
    for (int x = 0; x < nbo; x++) {
      int k = blk[x];
      if (px > 0 && px + bw[k] > t) { px = 0; py += sh + BLOCK_GAP; sh = 0; }
      px += bw[k] + BLOCK_GAP;
      if (bh[k] > sh) sh = bh[k];
      if (px - BLOCK_GAP > wmax) wmax = px - BLOCK_GAP;
    }
    double miss = fabs(log((wmax > 0 ? wmax : 1) / (py + sh > 0 ? py + sh : 1) / ASPECT));
    if (miss < best - 1e-9) { best = miss; target = t; }
  }
  double cx = 0, cy = top, shelf = 0, width = 0;
  for (int x = 0; x < nbo; x++) {
    int k = blk[x];
    if (cx > 0 && cx + bw[k] > target) { cx = 0; cy += shelf + BLOCK_GAP; shelf = 0; }
    bx[k] = cx; by[k] = cy;
    cx += bw[k] + BLOCK_GAP;
    if (bh[k] > shelf) shelf = bh[k];
    if (cx - BLOCK_GAP > width) width = cx - BLOCK_GAP;
  }
  double height = cy + shelf;
  if (jw - CELL_GAP_X > width) width = jw - CELL_GAP_X;
  /* the services in their blocks, row by row */
  cJSON *groups = cJSON_AddArrayToObject(a->graph, "groups");
  for (int k = 0; k < nb; k++) {
    if (!count[k]) continue;
    double cw = cellw[k] + CELL_GAP_X, ch = SERVICE_H + CELL_GAP_Y;
    double x0 = MARGIN + bx[k] + GROUP_PAD, y0 = MARGIN + by[k] + GROUP_PAD + (k < a->ng ? GROUP_HEAD : 0);
    for (int m = 0; m < count[k]; m++) {
      int i = pairs[2 * (start[k] + m) + 1];
      double w = service_w(str(a->sv[i], "name"));
      if (w > cellw[k]) w = cellw[k];
      sb[i] = (box_t){ x0 + (m % cols[k]) * cw + cellw[k] / 2, y0 + (m / cols[k]) * ch + SERVICE_H / 2, w, SERVICE_H };
      put_grid_box((cJSON *)a->sv[i], &sb[i]);
    }
    if (k < a->ng) put_group(groups, a->gname[k], MARGIN + bx[k] + bw[k] / 2, MARGIN + by[k] + bh[k] / 2, bw[k], bh[k]);
  }
  double jx = MARGIN;
  for (int j = 0; j < nj; j++) {
    double w = journey_w(str(a->jv[j], "name"));
    jb[j] = (box_t){ jx + w / 2, MARGIN + JOURNEY_H / 2, w, JOURNEY_H };
    jx += w + CELL_GAP_X;
    put_grid_box((cJSON *)a->jv[j], &jb[j]);
  }
  for (int e = 0; e < a->ne; e++)
    if (a->efrom[e] >= 0 && a->eto[e] >= 0) straight((cJSON *)a->ev[e], &sb[a->efrom[e]], &sb[a->eto[e]]);
  cJSON *entries = cJSON_AddArrayToObject(a->graph, "entries");
  for (int j = 0; j < nj; j++) {
    if (a->jto[j] < 0) continue;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "journey", str(a->jv[j], "name"));
    cJSON_AddStringToObject(o, "to", str(a->jv[j], "service"));
    straight(o, &jb[j], &sb[a->jto[j]]);
    cJSON_AddItemToArray(entries, o);
  }
  cJSON *lo = cJSON_AddObjectToObject(a->graph, "layout");
  cJSON_AddNumberToObject(lo, "width", r1(width + 2 * MARGIN));
  cJSON_AddNumberToObject(lo, "height", r1(height + 2 * MARGIN));
  cJSON_AddStringToObject(lo, "engine", "faultline grid");
  free(sb); free(jb); free(pairs); free(count); free(start); free(mind); free(blk);
  free(cellw); free(bw); free(bh); free(bx); free(by); free(cols);
}

int fl_graph_layout(cJSON *graph, char *err, size_t errlen) {
  arch_t a;
  arch_init(&a, graph);
  int rc = 0;
  if (a.ns <= DOT_MAX) rc = dot_layout(&a, err, errlen);
  else grid_layout(&a);
  arch_release(&a);
  return rc;
}
