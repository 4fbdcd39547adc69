/* The service graph read from tracing data, and the scenario skeleton written from it.
**
** What the data gives: calls between services and how many (Jaeger), also failures and the
** latency of each call seen by the callee and the caller (OpenTelemetry). From it:
**  - a service's requests are the sum of its incoming calls; an entry service (no callers) has
**    no count of its own in the data and is taken to serve as many requests as its busiest call
**    (guessed), unless a virtual "user" node (requests from outside) says how many it received;
**  - a call's probability is its count over the caller's requests; where a caller makes more
**    than one such call per request (a loop, an N+1 query), the call is repeated: k calls always
**    and one more with p = the rest, so that every edge keeps its rate (p itself stays <= 1);
**  - the traffic rate is the entry requests over the window; the mix, their shares;
**  - own work is the callee-side latency of the service (percentiles of its histogram) less the
**    mean time its calls take, floored at a tenth of the latency;
**  - instances and workers are sized for about half their workers busy (Little's law: rate x
**    mean latency); queue, duration and warm-up are plain guesses;
**  - a service's own error rate is its failure ratio less what its failing calls explain.
** A cycle cannot be simulated (a request would call itself forever): each is broken at the call
** that carries least traffic on it, and a comment says so (or, with keep_cycles, the import stops
** and explains it, with that call as the one to --drop).
** A service with its own error rate e makes its calls on only (1 - e) of its requests (a failed
** draw makes no calls): its calls are written per request that passes the draw, r / (1 - e), so
** that every edge keeps its observed rate. */
#include "import_int.h"

#include "faultline/num.h"

#include "faultline/dist.h"
#include "faultline/units.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define GUESS_MEDIAN 0.005     /* work of a service without latencies in the data */
#define GUESS_P99 0.050
#define MAX_REPEAT 100         /* calls per request written out at most */

/* ---- histograms ---- */

void fl__hist_add(fl_ihist_t *h, double le, double count) {
  int i = 0;
  while (i < h->n && h->b[i].le < le) i++;
  if (i < h->n && h->b[i].le == le) { h->b[i].count += count; return; }
  if (h->n == h->cap) { h->cap = h->cap ? h->cap * 2 : 16; h->b = fl_xrealloc(h->b, (size_t)h->cap * sizeof *h->b); }
  memmove(&h->b[i + 1], &h->b[i], (size_t)(h->n - i) * sizeof *h->b);
  h->b[i].le = le; h->b[i].count = count;
  h->n++;
}

void fl__hist_merge(fl_ihist_t *dst, const fl_ihist_t *src) {
  for (int i = 0; i < src->n; i++) fl__hist_add(dst, src->b[i].le, src->b[i].count);
  dst->sum += src->sum; dst->count += src->count;
  dst->has_sum |= src->has_sum; dst->has_count |= src->has_count;
}

double fl__hist_total(const fl_ihist_t *h) {
  if (h->has_count) return h->count;
  if (h->n && isinf(h->b[h->n - 1].le)) return h->b[h->n - 1].count;
  return 0;
}

double fl__hist_mean(const fl_ihist_t *h) {
  double t = fl__hist_total(h);
  return h->has_sum && t > 0 ? h->sum / t : NAN;
}

double fl__hist_quantile(const fl_ihist_t *h, double q, bool *beyond) {
  if (beyond) *beyond = false;
  if (h->n < 2 || !isinf(h->b[h->n - 1].le)) return NAN;
  /* cumulative counts must not fall (series merged with different buckets may): as Prometheus */
  double *c = fl_xmalloc((size_t)h->n * sizeof *c), run = 0;
  for (int i = 0; i < h->n; i++) { run = h->b[i].count > run ? h->b[i].count : run; c[i] = run; }
  double total = c[h->n - 1], r = NAN;
  if (total > 0) {
    double rank = q * total;
    int b = 0;
    while (b < h->n - 1 && c[b] < rank) b++;
    if (b == h->n - 1) { r = h->b[h->n - 2].le; if (beyond) *beyond = true; }
    else if (b == 0 && h->b[0].le <= 0) r = h->b[0].le;
    else {
      double start = b == 0 ? 0 : h->b[b - 1].le, below = b == 0 ? 0 : c[b - 1];
      double in = c[b] - below;
      r = in > 0 ? start + (h->b[b].le - start) * (rank - below) / in : h->b[b].le;
    }
  }
  free(c);
  return r;
}

void fl__hist_release(fl_ihist_t *h) { free(h->b); memset(h, 0, sizeof *h); }

/* ---- nodes and edges ---- */

static uint64_t hash_str(const char *s) {
  uint64_t h = 1469598103934665603ull;
  for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
  return h;
}

static uint64_t hash_pair(int a, int b) { return ((uint64_t)(uint32_t)a * 0x9E3779B97F4A7C15ull) ^ ((uint64_t)(uint32_t)b * 0xC2B2AE3D27D4EB4Full); }

static void rehash_nodes(fl_igraph_t *g) {
  free(g->nhash);
  g->nhcap = g->nhcap ? g->nhcap * 2 : 64;
  g->nhash = fl_xmalloc((size_t)g->nhcap * sizeof *g->nhash);
  for (int i = 0; i < g->nhcap; i++) g->nhash[i] = -1;
  for (int i = 0; i < g->nnodes; i++) {
    size_t k = hash_str(g->nodes[i].name) & (size_t)(g->nhcap - 1);
    while (g->nhash[k] >= 0) k = (k + 1) & (size_t)(g->nhcap - 1);
    g->nhash[k] = i;
  }
}

int fl__graph_node(fl_igraph_t *g, const char *name, int line) {
  if (!g->nhash) rehash_nodes(g);
  size_t k = hash_str(name) & (size_t)(g->nhcap - 1);
  for (; g->nhash[k] >= 0; k = (k + 1) & (size_t)(g->nhcap - 1)) {
    fl_inode_t *nd = &g->nodes[g->nhash[k]];
    if (strcmp(nd->name, name) == 0) {
      if (line > 0 && (nd->line == 0 || line < nd->line)) nd->line = line;
      return g->nhash[k];
    }
  }
  if (g->nnodes == g->ncap) { g->ncap = g->ncap ? g->ncap * 2 : 16; g->nodes = fl_xrealloc(g->nodes, (size_t)g->ncap * sizeof *g->nodes); }
  int id = g->nnodes++;
  fl_inode_t *nd = &g->nodes[id];
  memset(nd, 0, sizeof *nd);
  nd->name = fl_xstrdup(name);
  nd->line = line;
  g->nhash[k] = id;
  if (2 * g->nnodes > g->nhcap) rehash_nodes(g);
  return id;
}

static void rehash_edges(fl_igraph_t *g) {
  free(g->ehash);
  g->ehcap = g->ehcap ? g->ehcap * 2 : 64;
  g->ehash = fl_xmalloc((size_t)g->ehcap * sizeof *g->ehash);
  for (int i = 0; i < g->ehcap; i++) g->ehash[i] = -1;
  for (int i = 0; i < g->nedges; i++) {
    size_t k = hash_pair(g->edges[i].from, g->edges[i].to) & (size_t)(g->ehcap - 1);
    while (g->ehash[k] >= 0) k = (k + 1) & (size_t)(g->ehcap - 1);
    g->ehash[k] = i;
  }
}

fl_iedge_t *fl__graph_edge(fl_igraph_t *g, int from, int to, int line) {
  if (!g->ehash) rehash_edges(g);
  size_t k = hash_pair(from, to) & (size_t)(g->ehcap - 1);
  for (; g->ehash[k] >= 0; k = (k + 1) & (size_t)(g->ehcap - 1)) {
    fl_iedge_t *e = &g->edges[g->ehash[k]];
    if (e->from == from && e->to == to) return e;
  }
  if (g->nedges == g->ecap) { g->ecap = g->ecap ? g->ecap * 2 : 16; g->edges = fl_xrealloc(g->edges, (size_t)g->ecap * sizeof *g->edges); }
  int id = g->nedges++;
  fl_iedge_t *e = &g->edges[id];
  memset(e, 0, sizeof *e);
  e->from = from; e->to = to; e->line = line;
  g->ehash[k] = id;
  if (2 * g->nedges > g->ehcap) rehash_edges(g);
  return e;
}

void fl__graph_release(fl_igraph_t *g) {
  for (int i = 0; i < g->nnodes; i++) { free(g->nodes[i].name); free(g->nodes[i].sname); }
  for (int i = 0; i < g->nedges; i++) { fl__hist_release(&g->edges[i].server); fl__hist_release(&g->edges[i].client); free(g->edges[i].cut); }
  free(g->nodes); free(g->edges); free(g->nhash); free(g->ehash);
  memset(g, 0, sizeof *g);
}

/* ---- the writer ---- */

typedef struct {
  double cnt;                 /* requests */
  bool root;                  /* no callers in the data: count estimated */
  int busiest;                /* root: the edge its count comes from */
  double entry;               /* requests from outside (entry traffic) */
  double rate;
  int *out; int nout;         /* outgoing edges (not dropped), in data order */
  int nin;                    /* incoming edges (not dropped) */
  fl_ihist_t lat;             /* its latency as the callee saw it (merged over callers) */
  const char *lat_side;       /* "callee" or "caller" */
  double q[3]; bool beyond[3]; bool has_q;
  double mean_lat;            /* from the data, or NAN */
  double t_calls;             /* mean time in calls per request */
  double work[3]; bool floored;
  fl_dist_t dist; bool has_dist;
  double model_lat;           /* mean latency as modelled */
  double fail, failed_in;     /* failure ratio of its requests; failed requests */
  bool has_fail;
  double own_err, explained;
  int instances, workers;
} nstate_t;

static const double qs[3] = { 0.5, 0.9, 0.99 };

static double ratio_of(const nstate_t *ns, const fl_iedge_t *e) {
  double c = ns[e->from].cnt;
  return c > 0 ? e->count / c : 0;
}

/* Depth-first search for a cycle over edges not dropped; fills 'path' with its edges. */
static int find_cycle(const fl_igraph_t *g, nstate_t *ns, int v, char *colour, int *stack, int depth, int *path, int *plen) {
  colour[v] = 1;
  for (int i = 0; i < ns[v].nout; i++) {
    const fl_iedge_t *e = &g->edges[ns[v].out[i]];
    stack[depth] = ns[v].out[i];
    if (colour[e->to] == 1) {
      int k = depth;
      while (k > 0 && g->edges[stack[k]].from != e->to) k--;
      *plen = 0;
      for (; k <= depth; k++) path[(*plen)++] = stack[k];
      return 1;
    }
    if (colour[e->to] == 0 && find_cycle(g, ns, e->to, colour, stack, depth + 1, path, plen)) return 1;
  }
  colour[v] = 2;
  return 0;
}

static void fmt_count(char *buf, size_t n, double c) { snprintf(buf, n, "%.15g", c); }


static int explain_cycle(const fl_igraph_t *g, const nstate_t *ns, const int *path, int plen, char *err, size_t n) {
  int weakest = path[0];
  for (int i = 0; i < plen; i++) if (g->edges[path[i]].count < g->edges[weakest].count) weakest = path[i];
  /* the line named is that of the call to leave out */
  int w = snprintf(err, n, "%s:%d: the service graph has a cycle: ", g->file, g->edges[weakest].line);
  for (int i = 0; i < plen && w < (int)n; i++) w += snprintf(err + w, n - (size_t)w, "%s -> ", g->nodes[g->edges[path[i]].from].name);
  if (w < (int)n) w += snprintf(err + w, n - (size_t)w, "%s\n", g->nodes[g->edges[path[0]].from].name);
  for (int i = 0; i < plen; i++) {
    const fl_iedge_t *e = &g->edges[path[i]];
    char c[32];
    fmt_count(c, sizeof c, e->count);
    if (w < (int)n) w += snprintf(err + w, n - (size_t)w, "  %s -> %s: %s calls (%s:%d)\n", g->nodes[e->from].name, g->nodes[e->to].name, c, g->file, e->line);
  }
  const fl_iedge_t *e = &g->edges[weakest];
  char c[32];
  fmt_count(c, sizeof c, e->count);
  double share = ns[e->from].cnt > 0 ? 100 * e->count / ns[e->from].cnt : 0;
  if (w < (int)n)
    w += snprintf(err + w, n - (size_t)w,
                  "faultline follows each request down a tree of calls, so a cycle would have a request call itself forever.\n"
                  "%s"
                  "To break it, leave out the call that carries the least traffic:\n"
                  "  faultline import %s %s --drop '%s->%s'   (%s calls, %.3g%% of %s's requests)\n"
                  "or, if the services in the cycle serve different requests to each other (A's endpoint that B calls is not the one that "
                  "calls B), write those as separate endpoints in the scenario by hand.",
                  plen == 1 ? "(A service calling itself, often through its own load balancer or a queue, is a cycle of one.)\n" : "",
                  g->format ? g->format : "jaeger", g->file, g->nodes[e->from].name, g->nodes[e->to].name, c, share, g->nodes[e->from].name);
  return -FL_EPARSE;
}

/* Applies --drop "a->b": the call is left out. */
static int apply_drops(fl_igraph_t *g, const fl_import_opts_t *o, char *err, size_t n) {
  for (int i = 0; i < o->ndrops; i++) {
    const char *d = o->drops[i], *arrow = strstr(d, "->");
    if (!arrow || arrow == d || !arrow[2]) { snprintf(err, n, "--drop %s: expected CALLER->CALLEE, e.g. --drop 'pricing->cart'", d); return -FL_EINVAL; }
    char a[256], b[256];
    snprintf(a, sizeof a, "%.*s", (int)(arrow - d), d);
    snprintf(b, sizeof b, "%s", arrow + 2);
    int hit = 0;
    for (int k = 0; k < g->nedges; k++) {
      fl_iedge_t *e = &g->edges[k];
      const fl_inode_t *f = &g->nodes[e->from], *t = &g->nodes[e->to];
      if ((strcmp(f->name, a) == 0 || (f->sname && strcmp(f->sname, a) == 0)) && (strcmp(t->name, b) == 0 || (t->sname && strcmp(t->sname, b) == 0))) {
        e->dropped = true; hit++;
      }
    }
    if (!hit) {
      char list[512] = "";
      size_t w = 0;
      for (int k = 0; k < g->nedges && w < sizeof list - 80; k++)
        if (strcmp(g->nodes[g->edges[k].from].name, a) == 0)
          w += (size_t)snprintf(list + w, sizeof list - w, "%s%s", w ? ", " : "", g->nodes[g->edges[k].to].name);
      if (w) snprintf(err, n, "--drop %s: %s makes no call to %s in the data (it calls: %s)", d, a, b, list);
      else snprintf(err, n, "--drop %s: the data has no calls from %s", d, a);
      return -FL_EINVAL;
    }
  }
  return 0;
}

static void name_services(fl_igraph_t *g, int ext) {
  for (int i = 0; i < g->nnodes; i++) {
    if (i == ext) continue;
    char *s = fl_xmalloc(strlen(g->nodes[i].name) + 16);
    strcpy(s, g->nodes[i].name);
    fl__sanitize_name(s);
    /* distinct from those named before */
    char *base = fl_xstrdup(s);
    for (int k = 2;; k++) {
      bool taken = false;
      for (int j = 0; j < i && !taken; j++) taken = g->nodes[j].sname && strcmp(g->nodes[j].sname, s) == 0;
      if (!taken) break;
      sprintf(s, "%s_%d", base, k);
    }
    free(base);
    g->nodes[i].sname = s;
  }
}

/* Mean time per request spent in calls, from the data where it has it, else as modelled. */
static double call_time(const fl_igraph_t *g, const nstate_t *ns, int v) {
  double t = 0;
  for (int i = 0; i < ns[v].nout; i++) {
    const fl_iedge_t *e = &g->edges[ns[v].out[i]];
    double m = fl__hist_mean(&e->client);
    if (!isfinite(m)) m = fl__hist_mean(&e->server);
    if (!isfinite(m)) m = ns[e->to].model_lat;
    t += ratio_of(ns, e) * m;
  }
  return t;
}

static void derive_latency(fl_igraph_t *g, nstate_t *ns, int v) {
  nstate_t *s = &ns[v];
  s->mean_lat = NAN;
  fl_ihist_t srv = { 0 }, cli = { 0 };
  for (int k = 0; k < g->nedges; k++) {
    const fl_iedge_t *e = &g->edges[k];
    if (e->to != v) continue;
    fl__hist_merge(&srv, &e->server);
    fl__hist_merge(&cli, &e->client);
  }
  bool use_srv = srv.n >= 2 || srv.has_sum;
  s->lat = use_srv ? srv : cli;
  s->lat_side = use_srv ? "callee" : "caller";
  fl__hist_release(use_srv ? &cli : &srv);
  s->mean_lat = fl__hist_mean(&s->lat);
  s->has_q = true;
  for (int i = 0; i < 3; i++) {
    s->q[i] = fl__hist_quantile(&s->lat, qs[i], &s->beyond[i]);
    if (!isfinite(s->q[i])) s->has_q = false;
  }
  s->t_calls = call_time(g, ns, v);
  const char *why = NULL;
  if (s->has_q) {
    for (int i = 0; i < 3; i++) {
      double own = s->q[i] - s->t_calls;
      if (own < 0.1 * s->q[i]) { own = 0.1 * s->q[i]; s->floored = true; }
      s->work[i] = own;
    }
    for (int i = 1; i < 3; i++) if (s->work[i] < s->work[i - 1]) s->work[i] = s->work[i - 1];
    s->has_dist = fl_dist_percentiles(&s->dist, 3, qs, s->work, &why) == 0;
  } else if (isfinite(s->mean_lat)) {
    double own = s->mean_lat - s->t_calls;
    if (own < 0.1 * s->mean_lat) { own = 0.1 * s->mean_lat; s->floored = true; }
    s->work[0] = own;
    s->has_dist = fl_dist_exp(&s->dist, own, &why) == 0;
  }
  if (!s->has_dist) fl_dist_lognormal_median_p99(&s->dist, GUESS_MEDIAN, GUESS_P99, &why);
  double model = fl_dist_mean(&s->dist) + s->t_calls;
  s->model_lat = isfinite(s->mean_lat) && s->mean_lat > model ? s->mean_lat : model;
}

static void derive_errors(fl_igraph_t *g, nstate_t *ns, int v) {
  nstate_t *s = &ns[v];
  double failed = 0, total = 0;
  for (int k = 0; k < g->nedges; k++) {
    const fl_iedge_t *e = &g->edges[k];
    if (e->to != v || !e->has_failed) continue;
    failed += e->failed; total += e->count;
    s->has_fail = true;
  }
  if (!s->has_fail || total <= 0) { s->has_fail = false; return; }
  s->fail = failed / total;
  /* the share a request's failing calls explain: each call to c fails as that edge did */
  double ok = 1;
  for (int i = 0; i < s->nout; i++) {
    const fl_iedge_t *e = &g->edges[s->out[i]];
    if (!e->has_failed || e->count <= 0) continue;
    double f = e->failed / e->count, r = ratio_of(ns, e);
    ok *= pow(1 - f, r);
  }
  s->explained = 1 - ok;
  s->own_err = s->explained < 1 ? 1 - (1 - s->fail) / (1 - s->explained) : 0;
  if (s->own_err < 0) s->own_err = 0;
  if (s->own_err > s->fail) s->own_err = s->fail;
}

static void size_service(nstate_t *s) {
  double busy = s->rate * s->model_lat;          /* workers busy on average */
  double want = ceil(2 * busy);                  /* about half busy */
  if (want < 8) want = 8;
  int inst = fl_num_clamp_int(ceil(want / 64), 2, 100000);   /* a callCount of 1e308 stays defined */
  s->instances = inst;
  s->workers = fl_num_clamp_int(ceil(want / inst), 0, 1000000);
  if (s->workers < 4) s->workers = 4;
}

static void write_work(FILE *out, const nstate_t *s) {
  char a[32], b[32], c[32];
  if (s->has_q) {
    fl__fmt_dur(a, sizeof a, s->work[0]); fl__fmt_dur(b, sizeof b, s->work[1]); fl__fmt_dur(c, sizeof c, s->work[2]);
    fprintf(out, "  work = percentiles { p50 = \"%s\", p90 = \"%s\", p99 = \"%s\" },\n", a, b, c);
    fl__fmt_dur(a, sizeof a, s->q[0]); fl__fmt_dur(b, sizeof b, s->q[1]); fl__fmt_dur(c, sizeof c, s->q[2]);
    fprintf(out, "  -- read: its latency seen by the %s, p50 %s, p90 %s, p99 %s%s (from %.15g requests)\n", s->lat_side, a, b, c,
            s->beyond[2] ? " (p99 beyond the histogram's last bucket: at least that)" : "", fl__hist_total(&s->lat));
  } else if (s->has_dist) {
    fl__fmt_dur(a, sizeof a, s->work[0]);
    fprintf(out, "  work = exp \"%s\",\n", a);
    fl__fmt_dur(b, sizeof b, s->mean_lat);
    fprintf(out, "  -- read: mean latency seen by the %s %s (a sum and count, no buckets: exponential shape guessed)\n", s->lat_side, b);
  } else {
    fl__fmt_dur(a, sizeof a, GUESS_MEDIAN); fl__fmt_dur(b, sizeof b, GUESS_P99);
    fprintf(out, "  work = lognormal { median = \"%s\", p99 = \"%s\" },  -- guessed: the data has no latency for it\n", a, b);
    return;
  }
  if (s->t_calls > 0) {
    fl__fmt_dur(a, sizeof a, s->t_calls);
    fprintf(out, "  -- derived: own work = latency less %s, the mean time per request in its calls%s\n", a,
            s->floored ? "; floored at a tenth of the latency: its calls take about as long as it does, so some probably run in parallel (guessed sequential)" : "");
  }
}

static void write_calls(FILE *out, const fl_igraph_t *g, const nstate_t *ns, int v, double window) {
  const nstate_t *s = &ns[v];
  bool any_dropped = false;
  for (int k = 0; k < g->nedges; k++) if (g->edges[k].from == v && g->edges[k].dropped) any_dropped = true;
  if (s->nout == 0 && !any_dropped) return;
  fprintf(out, "  calls = {\n");
  for (int i = 0; i < s->nout; i++) {
    const fl_iedge_t *e = &g->edges[s->out[i]];
    const char *callee = g->nodes[e->to].sname;
    /* a failed error draw makes no calls: per request that passes it, so the edge keeps its rate */
    double pass = s->has_fail && s->own_err > 0 ? 1 - s->own_err : 1;
    if (pass < 1e-6) pass = 1e-6;
    double r = ratio_of(ns, e) / pass;
    double k = floor(r + 1e-9), frac = r - k;
    if (frac < 1e-7) frac = 0;
    bool capped = false;
    if (k > MAX_REPEAT) { k = MAX_REPEAT; frac = 0; capped = true; }
    /* optional when the caller fails less often than this call's failures would make it */
    bool optional = false;
    double ef = e->has_failed && e->count > 0 ? e->failed / e->count : 0;
    if (ef > 0 && s->has_fail && s->fail + 1e-12 < ef * (r < 1 ? r : 1) * 0.5) optional = true;
    char opts[96] = "";
    if (optional) snprintf(opts, sizeof opts, "optional = true");
    fprintf(out, "    ");
    int written = 0;
    int nk = fl_num_clamp_int(k, 0, MAX_REPEAT);
    for (int j = 0; j < nk; j++, written++) {
      if (written) fprintf(out, ", ");
      fprintf(out, "call ");
      fl__lua_string(out, callee);
      if (*opts) fprintf(out, " { %s }", opts);
    }
    if (frac > 0 || written == 0) {
      if (written) fprintf(out, ", ");
      fprintf(out, "call ");
      fl__lua_string(out, callee);
      fprintf(out, " { p = %.6g%s%s }", frac, *opts ? ", " : "", opts);
    }
    char c[32], rt[32];
    fmt_count(c, sizeof c, e->count);
    fl__fmt_rate(rt, sizeof rt, window > 0 ? e->count / window : 0);
    fprintf(out, ",  -- read: %s calls (%s): ", c, rt);
    if (e->count == 0) fprintf(out, "none in the window");
    else if (capped) fprintf(out, "%.4g per request, written as %d calls (more is not written out; guessed)", r, MAX_REPEAT);
    else if (r > 1 + 1e-9) fprintf(out, "%.4g per request; more than one, so %d call%s always%s", r, (int)k, k > 1 ? "s" : "",
                                   frac > 0 ? " and one more for that share of requests" : "");
    else if (frac == 0) fprintf(out, "on every request");
    else fprintf(out, "on %.4g%% of requests", 100 * r);
    if (ef > 0) fprintf(out, "; %.3g%% failed", 100 * ef);
    double m = fl__hist_mean(&e->client);
    if (isfinite(m)) { fl__fmt_dur(c, sizeof c, m); fprintf(out, "; mean %s seen by the caller", c); }
    if (pass < 1) fprintf(out, "; %.4g per request that passes %s's error draw (%.3g%% of them fail it and make no calls), so the call keeps its observed rate",
                          r, g->nodes[v].sname, 100 * (1 - pass));
    if (optional) fprintf(out, "; optional (guessed: %s fails less often than these calls do)", g->nodes[v].sname);
    fprintf(out, "\n");
  }
  for (int k = 0; k < g->nedges; k++) {
    const fl_iedge_t *e = &g->edges[k];
    if (e->from != v || !e->dropped) continue;
    char c[32];
    fmt_count(c, sizeof c, e->count);
    if (e->cut) fprintf(out, "    -- left out to break a cycle: call \"%s\", %s calls, the least traffic on %s\n", g->nodes[e->to].sname, c, e->cut);
    else fprintf(out, "    -- left out (--drop): call \"%s\", %s calls\n", g->nodes[e->to].sname, c);
  }
  fprintf(out, "  },\n");
}

/* Breaks every cycle at its least-traffic call: finds a cycle, leaves out its weakest call, and
** again until there is none. Returns the number of calls left out. */
static int break_cycles(fl_igraph_t *g) {
  int nn = g->nnodes, ncut = 0;
  nstate_t *ns = fl_xcalloc((size_t)nn, sizeof *ns);
  char *colour = fl_xcalloc((size_t)nn, 1);
  int *stack = fl_xcalloc((size_t)g->nedges + 1, sizeof *stack), *path = fl_xcalloc((size_t)g->nedges + 1, sizeof *path);
  int *outs = fl_xcalloc((size_t)g->nedges + 1, sizeof *outs);
  for (;;) {
    /* adjacency over the calls still in, in data order */
    for (int i = 0; i < nn; i++) ns[i].nout = 0;
    for (int k = 0; k < g->nedges; k++) if (!g->edges[k].dropped) ns[g->edges[k].from].nout++;
    int at = 0;
    for (int i = 0; i < nn; i++) { ns[i].out = outs + at; at += ns[i].nout; ns[i].nout = 0; }
    for (int k = 0; k < g->nedges; k++) if (!g->edges[k].dropped) { nstate_t *f = &ns[g->edges[k].from]; f->out[f->nout++] = k; }
    memset(colour, 0, (size_t)nn);
    int plen = 0;
    for (int i = 0; i < nn && !plen; i++)
      if (!colour[i] && find_cycle(g, ns, i, colour, stack, 0, path, &plen)) break;
    if (!plen) break;
    int weakest = path[0];
    for (int i = 0; i < plen; i++) if (g->edges[path[i]].count < g->edges[weakest].count) weakest = path[i];
    fl_iedge_t *e = &g->edges[weakest];
    e->dropped = true;
    size_t cap = 256, w = 0;
    e->cut = fl_xmalloc(cap);
    w += (size_t)snprintf(e->cut, cap, "a cycle of %d call%s: ", plen, plen == 1 ? "" : "s");
    for (int i = 0; i <= plen && i <= 6; i++) {
      const char *nm = i == plen ? g->nodes[g->edges[path[0]].from].name : i == 6 ? "..." : g->nodes[g->edges[path[i]].from].name;
      size_t need = strlen(nm) + 8;
      if (w + need >= cap) { cap = 2 * (w + need); e->cut = fl_xrealloc(e->cut, cap); }
      w += (size_t)snprintf(e->cut + w, cap - w, "%s%s", i ? " -> " : "", nm);
    }
    ncut++;
  }
  free(ns); free(colour); free(stack); free(path); free(outs);
  return ncut;
}

/* What the writer works on: the per-node state, the virtual client node, the callers-first order,
** the window and its explanation, the entry requests in all. */
typedef struct {
  fl_igraph_t *g;
  nstate_t *ns;
  int nn, ext, no;
  int *order;
  double window, entry_total;
  char wbuf[32], how[256];
} gw_t;

/* Each node's calls out, the virtual client node, requests per service, entry services' counts. */
static void count_requests(gw_t *w) {
  fl_igraph_t *g = w->g;
  nstate_t *ns = w->ns;
  for (int k = 0; k < g->nedges; k++) {
    const fl_iedge_t *e = &g->edges[k];
    if (e->dropped) continue;
    nstate_t *f = &ns[e->from];
    f->out = fl_xrealloc(f->out, (size_t)(f->nout + 1) * sizeof *f->out);
    f->out[f->nout++] = k;
    ns[e->to].nin++;
  }
  /* the virtual client node for requests from outside: not a service, its calls are the traffic */
  w->ext = -1;
  if (g->external)
    for (int i = 0; i < w->nn; i++)
      if (strcmp(g->nodes[i].name, g->external) == 0 && ns[i].nin == 0) w->ext = i;
  for (int k = 0; k < g->nedges; k++) {
    const fl_iedge_t *e = &g->edges[k];
    if (e->dropped) continue;
    ns[e->to].cnt += e->count;
    if (e->from == w->ext) ns[e->to].entry += e->count;
  }
  for (int i = 0; i < w->nn; i++) {
    if (i == w->ext || ns[i].nin > 0) continue;
    ns[i].root = true;
    ns[i].busiest = -1;
    for (int j = 0; j < ns[i].nout; j++) {
      const fl_iedge_t *e = &g->edges[ns[i].out[j]];
      if (ns[i].busiest < 0 || e->count > g->edges[ns[i].busiest].count) ns[i].busiest = ns[i].out[j];
    }
    ns[i].cnt = ns[i].busiest >= 0 ? g->edges[ns[i].busiest].count : 0;
    ns[i].entry = ns[i].cnt;
  }
}

/* The time the counts cover: --window, else read from the data, else guessed (with a note). */
static void choose_window(gw_t *w, const fl_import_opts_t *o, FILE *notes) {
  const fl_igraph_t *g = w->g;
  w->window = o->window > 0 ? o->window : g->window > 0 ? g->window : g->window_guess;
  fl_format_duration(w->window, w->wbuf, sizeof w->wbuf);
  if (o->window > 0) {
    if (g->window > 0 && fabs(g->window - o->window) > 0.01 * o->window)
      fl__imp_note(notes, "--window %s overrides the %.6gs between the scrapes in the data", w->wbuf, g->window);
    snprintf(w->how, sizeof w->how, "given: --window %s", w->wbuf);
  } else if (g->window > 0) {
    snprintf(w->how, sizeof w->how, "%s", g->window_how);
  } else {
    snprintf(w->how, sizeof w->how, "guessed: %s (%s); give the real one with --window", w->wbuf, g->window_guess_why);
    fl__imp_note(notes, "no --window: the counts are taken to cover %s (%s)", w->wbuf, g->window_guess_why);
  }
}

/* Topological order, callers first, data order among equals. */
static void order_callers_first(gw_t *w) {
  const fl_igraph_t *g = w->g;
  int *indeg = fl_xcalloc((size_t)w->nn, sizeof *indeg);
  w->no = 0;
  for (int k = 0; k < g->nedges; k++) if (!g->edges[k].dropped) indeg[g->edges[k].to]++;
  for (int i = 0; i < w->nn; i++) if (indeg[i] == 0) w->order[w->no++] = i;
  for (int h = 0; h < w->no; h++) {
    int v = w->order[h];
    for (int j = 0; j < w->ns[v].nout; j++) { int t = g->edges[w->ns[v].out[j]].to; if (--indeg[t] == 0) w->order[w->no++] = t; }
  }
  FL_ASSERT(w->no == w->nn);
  free(indeg);
}

/* The scenario's name: --name, else the file's base name without its extensions. */
static void scenario_name(const fl_igraph_t *g, const fl_import_opts_t *o, char *name, size_t n) {
  if (o->name) { snprintf(name, n, "%s", o->name); return; }
  const char *base = strrchr(g->file, '/');
  base = base ? base + 1 : g->file;
  snprintf(name, n, "%s", base);
  char *dot = strchr(name, '.');
  if (dot && dot != name) *dot = 0;
}

/* The opening comments and the scenario line. */
static void write_header(const gw_t *w, const fl_import_opts_t *o, int ncut, int nroots, FILE *out) {
  const fl_igraph_t *g = w->g;
  char name[256];
  scenario_name(g, o, name, sizeof name);
  int nsvc = w->nn - (w->ext >= 0), ncalls = 0, nentries = 0;
  for (int k = 0; k < g->nedges; k++) ncalls += !g->edges[k].dropped && g->edges[k].from != w->ext;
  for (int i = 0; i < w->nn; i++) if (i != w->ext && w->ns[i].entry > 0) nentries++;
  fprintf(out, "-- ");
  fl__lua_string(out, name);
  fprintf(out, ": a scenario skeleton imported by `faultline import %s` from %s (%s).\n", g->format, g->file, g->source);
  fprintf(out, "-- %d services, %d calls between them, %d entry service%s.\n", nsvc, ncalls, nentries, nentries == 1 ? "" : "s");
  if (ncut)
    fprintf(out, "-- The data has cycles, which faultline cannot simulate (a request would call itself forever): %d call%s\n"
                 "-- left out, each the one with the least traffic on its cycle (marked \"left out to break a cycle\" below).\n",
            ncut, ncut == 1 ? " is" : "s are");
  fprintf(out, "-- The counts cover %s (%s).\n", w->wbuf, w->how);
  fprintf(out, "-- Each value is marked read (in the data), derived (computed from it) or guessed (not in it):\n");
  fprintf(out, "-- refine the guessed ones before trusting the results. Calls run one after another in the order\n");
  fprintf(out, "-- below: the data says neither their order nor which run in parallel (guessed).\n");
  if (w->ext >= 0)
    fprintf(out, "-- \"%s\" is the connector's virtual node for requests from outside: its calls are the traffic.\n", g->external);
  if (nroots)
    fprintf(out, "-- An entry service's own requests are not counted in the data: each is taken to serve as many as\n"
                 "-- its busiest call (guessed; a call made more than once per request makes this too high).\n");
  fl__write_scenario_line(out, name, o);
}

/* One service block. */
static void write_service(const gw_t *w, int v, FILE *out) {
  const fl_igraph_t *g = w->g;
  nstate_t *s = &w->ns[v];
  const fl_inode_t *nd = &g->nodes[v];
  char c[32], rt[32];
  fmt_count(c, sizeof c, s->cnt);
  fl__fmt_rate(rt, sizeof rt, s->rate);
  fprintf(out, "\n-- %s: %s requests (%s)", nd->sname, c, rt);
  if (s->root) fprintf(out, "; an entry service (no callers in the data)");
  else if (s->entry > 0) { fmt_count(c, sizeof c, s->entry); fprintf(out, "; %s of them from outside (entry traffic)", c); }
  fprintf(out, "\n");
  if (strcmp(nd->sname, nd->name) != 0) {
    fprintf(out, "-- named ");
    fl__lua_string(out, nd->name);
    fprintf(out, " in the data (%s:%d): service names cannot hold '.', '=' or ','\n", g->file, nd->line);
  }
  if (s->root && s->busiest >= 0)
    fprintf(out, "-- its request count is guessed: that of its busiest call (to %s)\n", g->nodes[g->edges[s->busiest].to].sname);
  fprintf(out, "service ");
  fl__lua_string(out, nd->sname);
  fprintf(out, " {\n");
  char lat[32];
  fl__fmt_dur(lat, sizeof lat, s->model_lat);
  fprintf(out, "  instances = %d, workers = %d, queue = 100,  -- guessed: sized for half the workers busy at %s x %s mean latency\n",
          s->instances, s->workers, rt, lat);
  write_work(out, s);
  if (s->has_fail && s->own_err > 0) {
    fprintf(out, "  error_rate = %.6g,  -- derived: %.3g%% of its requests failed", s->own_err, 100 * s->fail);
    if (s->explained > 0) fprintf(out, ", %.3g%% explained by its failing calls, the rest its own", 100 * s->explained);
    fprintf(out, "\n");
  } else if (s->has_fail && s->fail > 0) {
    fprintf(out, "  -- derived: %.3g%% of its requests failed, all explained by its failing calls\n", 100 * s->fail);
  }
  write_calls(out, g, w->ns, v, w->window);
  fprintf(out, "}\n");
}

/* The traffic line: the entry requests over the window, split by entry service. */
static void write_traffic(const gw_t *w, int nroots, FILE *out) {
  char rt[32], c[32];
  fl__fmt_rate(rt, sizeof rt, w->entry_total / w->window);
  fmt_count(c, sizeof c, w->entry_total);
  fprintf(out, "\n-- derived: %s entry requests over %s%s\n", c, w->wbuf, nroots ? " (entry counts guessed as above)" : "");
  fprintf(out, "traffic { rate = \"%s\", mix = {", rt);
  int written = 0;
  for (int h = 0; h < w->no; h++) {
    int v = w->order[h];
    if (v == w->ext || !(w->ns[v].entry > 0)) continue;
    fprintf(out, "%s [", written++ ? "," : "");
    fl__lua_string(out, w->g->nodes[v].sname);
    fprintf(out, "] = %.9g", w->ns[v].entry / w->entry_total);
  }
  fprintf(out, " } }\n");
}

int fl__graph_write(fl_igraph_t *g, const fl_import_opts_t *o, FILE *out, FILE *notes, char *err, size_t n) {
  int rc = apply_drops(g, o, err, n);
  if (rc) return rc;
  int ncut = o->keep_cycles ? 0 : break_cycles(g);
  if (ncut)
    fl__imp_note(notes, "the service graph has cycles: %d call%s left out, each the least traffic on its cycle (a comment marks each; "
                 "--keep-cycles stops instead)", ncut, ncut == 1 ? "" : "s");
  gw_t w = { .g = g, .nn = g->nnodes };
  int nn = w.nn;
  w.ns = fl_xcalloc((size_t)nn, sizeof *w.ns);
  w.order = fl_xcalloc((size_t)nn, sizeof *w.order);
  char *colour = fl_xcalloc((size_t)nn, 1);
  int *stack = fl_xcalloc((size_t)g->nedges + 1, sizeof *stack), *path = fl_xcalloc((size_t)g->nedges + 1, sizeof *path);
  count_requests(&w);
  /* cycles */
  int plen = 0;
  for (int i = 0; i < nn && !plen; i++)
    if (!colour[i] && find_cycle(g, w.ns, i, colour, stack, 0, path, &plen)) break;
  if (plen) { rc = explain_cycle(g, w.ns, path, plen, err, n); goto out; }
  choose_window(&w, o, notes);
  name_services(g, w.ext);
  order_callers_first(&w);
  for (int i = 0; i < nn; i++) {
    w.ns[i].rate = w.window > 0 ? w.ns[i].cnt / w.window : 0;
    if (i != w.ext) w.entry_total += w.ns[i].entry;
  }
  if (!(w.entry_total > 0)) {
    rc = fl__imp_err(err, n, g->file, 0, "no traffic: every entry service has a count of 0, so there is no rate to simulate");
    goto out;
  }
  for (int h = w.no - 1; h >= 0; h--) {          /* callees before callers */
    int v = w.order[h];
    if (v == w.ext) continue;
    derive_latency(g, w.ns, v);
    derive_errors(g, w.ns, v);
    size_service(&w.ns[v]);
  }
  int nroots = 0;
  for (int i = 0; i < nn; i++) if (i != w.ext && w.ns[i].entry > 0) nroots += w.ns[i].root;
  write_header(&w, o, ncut, nroots, out);
  for (int h = 0; h < w.no; h++)
    if (w.order[h] != w.ext) write_service(&w, w.order[h], out);
  write_traffic(&w, nroots, out);
  if (nroots) fl__imp_note(notes, "%d entry service%s without a count of %s own: each is taken to serve as many requests as its busiest call",
                           nroots, nroots == 1 ? "" : "s", nroots == 1 ? "its" : "their");
out:
  for (int i = 0; i < nn; i++) { free(w.ns[i].out); fl__hist_release(&w.ns[i].lat); }
  free(w.ns); free(colour); free(stack); free(path); free(w.order);
  return rc;
}
