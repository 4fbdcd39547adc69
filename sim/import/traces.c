/* Raw traces to a calibrated scenario: the model built from the spans (traces_read.c reads them)
** and the import that drives it: one endpoint per operation (service.operation), their calls,
** parallel groups, work percentiles and error rates, the entry traffic; traces_write.c writes
** the scenario.
**
** What the spans give, and what is derived from them:
**  - the call tree: a span's children are its calls. A client (or producer) span whose one child
**    is a span of another service is the call itself, not an operation: it is folded into the
**    call (its time outside the callee's span, the network, counts as the caller's own work).
**    A client span without children names its callee by peer.service, db.system, server.address
**    or net.peer.name: that becomes a service of its own (guessed), else it stays an operation of
**    its caller. Jaeger's FOLLOWS_FROM and OTLP consumer spans are async calls;
**  - steps: a parent's children sorted by start; children that overlap in time form a parallel
**    group. The k-th call of an operation to a callee is one "slot"; two slots are in the same
**    group when they overlapped in most of the spans where both occur; groups are ordered by
**    their mean start;
**  - a slot's probability is the share of the parent's spans that have it; a callee called k
**    times gets k slots (mean calls per request kept);
**  - own work: the span's duration less the union of its children's spans (clipped to it), as
**    measured percentiles;
**  - errors: the share of spans in error (error tag, otel.status_code ERROR, OTLP status code
**    2) that no failing child explains; a call whose failures the parent survived is optional;
**  - entry traffic: root spans per second over the time between the first and the last root
**    (--window: root spans over it), the mix their shares;
**  - guessed: instances and workers (sized so the observed rate keeps about a quarter of the
**    workers busy: the queueing of the real system is already in the span times), queues,
**    duration and warm-up, the seed.
** A recursive operation (a cycle of endpoints) cannot be simulated: each cycle is broken at its
** least-called call, with a comment (keep_cycles: the import stops and says so). */
#include "traces_int.h"

#include "faultline/units.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define GUESS_RATE 1.0         /* entry rate when the traces cannot give one */

/* ---- interned strings (names, trace and span ids) ---- */

static uint64_t hash_str(const char *s) {
  uint64_t h = 1469598103934665603ull;
  for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
  return h;
}

static void st_rehash(strtab_t *t) {
  free(t->h);
  t->hcap = t->hcap ? t->hcap * 2 : 256;
  t->h = fl_xmalloc((size_t)t->hcap * sizeof *t->h);
  for (int i = 0; i < t->hcap; i++) t->h[i] = -1;
  for (int i = 0; i < t->n; i++) {
    size_t k = hash_str(t->s[i]) & (size_t)(t->hcap - 1);
    while (t->h[k] >= 0) k = (k + 1) & (size_t)(t->hcap - 1);
    t->h[k] = i;
  }
}

int fl__strtab_find(strtab_t *t, const char *s, bool add) {
  if (!t->h) st_rehash(t);
  size_t k = hash_str(s) & (size_t)(t->hcap - 1);
  for (; t->h[k] >= 0; k = (k + 1) & (size_t)(t->hcap - 1))
    if (strcmp(t->s[t->h[k]], s) == 0) return t->h[k];
  if (!add) return -1;
  if (t->n == t->cap) { t->cap = t->cap ? t->cap * 2 : 64; t->s = fl_xrealloc(t->s, (size_t)t->cap * sizeof *t->s); }
  t->s[t->n] = fl_xstrdup(s);
  t->h[k] = t->n++;
  if (2 * t->n > t->hcap) st_rehash(t);
  return t->n - 1;
}

void fl__strtab_release(strtab_t *t) {
  for (int i = 0; i < t->n; i++) free(t->s[i]);
  free(t->s); free(t->h);
  memset(t, 0, sizeof *t);
}

/* ---- the tree ---- */

static bool is_client(const tspan_t *s) { return s->kind == K_CLIENT || s->kind == K_PRODUCER; }

static int ep_of(tr_t *t, int svc, int op, int line) {
  size_t l = strlen(t->str.s[svc]) + strlen(t->str.s[op]) + 2;
  char *k = fl_xmalloc(l);
  snprintf(k, l, "%s\x1f%s", t->str.s[svc], t->str.s[op]);
  int before = t->epkeys.n, id = fl__strtab_find(&t->epkeys, k, true);
  free(k);
  if (id == before) {
    t->ep = fl_xrealloc(t->ep, (size_t)(t->nep + 1) * sizeof *t->ep);
    tep_t *e = &t->ep[t->nep++];
    memset(e, 0, sizeof *e);
    e->svc = svc; e->op = op; e->line = line;
  }
  return id;
}

static int cmp_kid(const void *a, const void *b) {
  const tkid_t *x = a, *y = b;
  if (x->cstart != y->cstart) return x->cstart < y->cstart ? -1 : 1;
  if (x->cend != y->cend) return x->cend < y->cend ? -1 : 1;
  return x->span - y->span;
}

/* Parents resolved, client spans folded into their calls, endpoints assigned. Returns the
** children of every span (kids[first[i] .. first[i + 1])), sorted by the call's start. */
static void build_tree(tr_t *t, tkid_t **kids_out, int **first_out) {
  int ns = t->nsp;
  FL_ASSERT(ns >= 0);   /* tells gcc -flto the sizes below are not negative (-Walloc-size-larger-than) */
  /* span by key; a repeated id keeps its first span */
  int *by_key = fl_xmalloc((size_t)t->keys.n * sizeof *by_key);
  for (int i = 0; i < t->keys.n; i++) by_key[i] = -1;
  for (int i = 0; i < ns; i++) {
    if (by_key[t->sp[i].key] >= 0) t->dups++;
    else by_key[t->sp[i].key] = i;
  }
  int *nkids = fl_xcalloc((size_t)ns, sizeof *nkids);
  for (int i = 0; i < ns; i++) {
    tspan_t *s = &t->sp[i];
    if (s->pkey >= 0) {
      int p = by_key[s->pkey];
      if (p < 0 || p == i) s->orphan = true;
      else { s->parent = p; nkids[p]++; }
    }
  }
  /* a parent chain that loops (bad ids) is cut where it closes */
  for (int i = 0; i < ns; i++) {
    int steps = 0;
    for (int p = t->sp[i].parent; p >= 0 && steps <= ns; p = t->sp[p].parent) steps++;
    if (steps > ns) { nkids[t->sp[i].parent]--; t->sp[i].parent = -1; t->sp[i].orphan = true; }
  }
  /* fold: a client span with one child, of another service, and a parent of its own */
  int *only = fl_xmalloc((size_t)(ns > 0 ? ns : 1) * sizeof *only);
  for (int i = 0; i < ns; i++) only[i] = -1;
  for (int i = 0; i < ns; i++) if (t->sp[i].parent >= 0) only[t->sp[i].parent] = i;
  for (int i = 0; i < ns; i++) {
    tspan_t *s = &t->sp[i];
    if (is_client(s) && nkids[i] == 1 && s->parent >= 0 && t->sp[only[i]].svc != s->svc) s->folded = true;
  }
  for (int i = 0; i < ns; i++)   /* a folded span's parent is an operation, never a folded span */
    if (t->sp[i].folded && t->sp[t->sp[i].parent].folded) t->sp[i].folded = false;
  for (int i = 0; i < ns; i++) t->folded += t->sp[i].folded;
  for (int i = 0; i < ns; i++) {
    tspan_t *s = &t->sp[i];
    if (s->folded) continue;
    int p = s->parent;
    if (p >= 0 && t->sp[p].folded) { s->via = p; s->eparent = t->sp[p].parent; if (t->sp[p].follows) s->follows = true; }
    else s->eparent = p;
    /* a client span without children: its callee by the peer it names */
    int svc = s->svc;
    if (is_client(s) && nkids[i] == 0 && s->peer >= 0 && s->peer != s->svc) { svc = s->peer; t->peers++; }
    s->ep = ep_of(t, svc, s->op, s->line);
    if (s->follows && s->eparent >= 0) t->follows++;
  }
  int *first = fl_xcalloc((size_t)ns + 1, sizeof *first);
  for (int i = 0; i < ns; i++) if (!t->sp[i].folded && t->sp[i].eparent >= 0) first[t->sp[i].eparent + 1]++;
  for (int i = 0; i < ns; i++) first[i + 1] += first[i];
  tkid_t *kids = fl_xmalloc(((size_t)first[ns] + 1) * sizeof *kids);
  int *fill = fl_xmalloc(((size_t)ns + 1) * sizeof *fill);
  for (int i = 0; i < ns; i++) fill[i] = first[i];
  for (int i = 0; i < ns; i++) {
    const tspan_t *s = &t->sp[i];
    if (s->folded || s->eparent < 0) continue;
    const tspan_t *c = s->via >= 0 ? &t->sp[s->via] : s;
    kids[fill[s->eparent]++] = (tkid_t){ i, c->start, c->end };
  }
  for (int i = 0; i < ns; i++)
    if (first[i + 1] - first[i] > 1) qsort(kids + first[i], (size_t)(first[i + 1] - first[i]), sizeof *kids, cmp_kid);
  free(fill); free(only); free(nkids); free(by_key);
  *kids_out = kids; *first_out = first;
}

/* ---- per endpoint ---- */

static int slot_of(tep_t *e, int callee, int k, bool async) {
  for (int i = 0; i < e->nslots; i++) if (e->slots[i].callee == callee && e->slots[i].k == k && e->slots[i].async == async) return i;
  if (e->nslots >= MAX_SLOTS) return -1;
  if (e->nslots == e->scap) { e->scap = e->scap ? e->scap * 2 : 8; e->slots = fl_xrealloc(e->slots, (size_t)e->scap * sizeof *e->slots); }
  tslot_t *s = &e->slots[e->nslots];
  memset(s, 0, sizeof *s);
  s->callee = callee; s->k = k; s->async = async;
  return e->nslots++;
}

static void push(double **v, int *nv, double x) {
  if ((*nv & (*nv - 1)) == 0) *v = fl_xrealloc(*v, (size_t)(*nv ? 2 * *nv : 1) * sizeof **v);
  (*v)[(*nv)++] = x;
}

/* The slots of each child of span i (k-th call to a callee), in kids order; -1: over the cap. */
static void kid_slots(tr_t *t, tep_t *e, const tkid_t *kids, int nk, int *slot, int *count) {
  for (int a = 0; a < nk; a++) {
    const tspan_t *c = &t->sp[kids[a].span];
    int k = 0;
    for (int b = 0; b < a; b++) {
      const tspan_t *d = &t->sp[kids[b].span];
      k += d->ep == c->ep && d->follows == c->follows;
    }
    slot[a] = slot_of(e, c->ep, k, c->follows);
    if (slot[a] < 0) (*count)++;
  }
}

/* Parallel groups of one span's children: a child joins the group while it starts before the
** group's last end (overlap in time); async calls are groups of their own. */
static void kid_groups(const tspan_t *sp, const tkid_t *kids, int nk, int *grp) {
  int g = -1;
  int64_t gend = INT64_MIN;
  for (int a = 0; a < nk; a++) {
    if (sp[kids[a].span].follows) { grp[a] = ++g; gend = INT64_MIN; continue; }
    if (g < 0 || kids[a].cstart >= gend) { g++; gend = kids[a].cend; }
    else if (kids[a].cend > gend) gend = kids[a].cend;
    grp[a] = g;
  }
}

static void gather(tr_t *t, const tkid_t *kids, const int *first) {
  int maxk = 1;
  for (int i = 0; i < t->nsp; i++) if (first[i + 1] - first[i] > maxk) maxk = first[i + 1] - first[i];
  int *slot = fl_xmalloc((size_t)maxk * sizeof *slot), *grp = fl_xmalloc((size_t)maxk * sizeof *grp);
  /* pass 1: counts, own work, slots */
  for (int i = 0; i < t->nsp; i++) {
    const tspan_t *s = &t->sp[i];
    if (s->folded) continue;
    tep_t *e = &t->ep[s->ep];
    const tkid_t *k = kids + first[i];
    int nk = first[i + 1] - first[i];
    e->n++;
    double dur = (double)(s->end - s->start) * 1e-9;
    e->dur_sum += dur;
    if (s->eparent < 0) { e->roots++; e->orphans += s->orphan; }
    bool child_err = false;
    int over = 0;
    kid_slots(t, e, k, nk, slot, &over);
    e->slots_over += over;
    /* covered: the union of the children's own spans (the callee's view), clipped to this one */
    int64_t covered = 0, cur_s = 0, cur_e = INT64_MIN;
    for (int a = 0; a < nk; a++) {
      const tspan_t *c = &t->sp[k[a].span];
      if (c->error && !c->follows) child_err = true;
      if (slot[a] >= 0) {
        tslot_t *sl = &e->slots[slot[a]];
        sl->present++;
        sl->off_sum += (double)(k[a].cstart - s->start) * 1e-9;
        if (c->error) { sl->err++; sl->err_survived += !s->error; }
      }
    }
    /* children sorted by the call's start, the callee's span may start later: sort a copy */
    int64_t *iv = fl_xmalloc((size_t)(2 * nk + 1) * sizeof *iv);
    int ni = 0;
    for (int a = 0; a < nk; a++) {
      const tspan_t *c = &t->sp[k[a].span];
      if (c->follows) continue;
      int64_t a0 = c->start < s->start ? s->start : c->start, a1 = c->end > s->end ? s->end : c->end;
      if (a1 > a0) { iv[2 * ni] = a0; iv[2 * ni + 1] = a1; ni++; }
    }
    /* insertion sort by start: children are few */
    for (int a = 1; a < ni; a++)
      for (int b = a; b > 0 && iv[2 * b] < iv[2 * (b - 1)]; b--) {
        int64_t x0 = iv[2 * b], x1 = iv[2 * b + 1];
        iv[2 * b] = iv[2 * (b - 1)]; iv[2 * b + 1] = iv[2 * (b - 1) + 1];
        iv[2 * (b - 1)] = x0; iv[2 * (b - 1) + 1] = x1;
      }
    for (int a = 0; a < ni; a++) {
      if (iv[2 * a] > cur_e) { if (cur_e > cur_s) covered += cur_e - cur_s; cur_s = iv[2 * a]; cur_e = iv[2 * a + 1]; }
      else if (iv[2 * a + 1] > cur_e) cur_e = iv[2 * a + 1];
    }
    if (cur_e > cur_s) covered += cur_e - cur_s;
    free(iv);
    double own = (double)(s->end - s->start - covered) * 1e-9;
    push(&e->own, &e->nown, own < 0 ? 0 : own);
    if (s->error) { e->errors++; if (!child_err) e->own_errors++; }
    else { e->nok++; push(&e->lat, &e->nlat, dur); }
  }
  /* pass 2: which slots share a group */
  for (int x = 0; x < t->nep; x++) {
    tep_t *e = &t->ep[x];
    size_t m = (size_t)e->nslots;
    e->together = fl_xcalloc(m * m + 1, sizeof *e->together);
    e->both = fl_xcalloc(m * m + 1, sizeof *e->both);
  }
  for (int i = 0; i < t->nsp; i++) {
    const tspan_t *s = &t->sp[i];
    if (s->folded) continue;
    tep_t *e = &t->ep[s->ep];
    const tkid_t *k = kids + first[i];
    int nk = first[i + 1] - first[i], over = 0;
    if (nk < 2) continue;
    kid_slots(t, e, k, nk, slot, &over);
    kid_groups(t->sp, k, nk, grp);
    int m = e->nslots;
    for (int a = 0; a < nk; a++)
      for (int b = a + 1; b < nk; b++) {
        if (slot[a] < 0 || slot[b] < 0) continue;
        int p = slot[a] * m + slot[b], q = slot[b] * m + slot[a];
        e->both[p]++; e->both[q]++;
        if (grp[a] == grp[b]) { e->together[p]++; e->together[q]++; }
      }
  }
  free(slot); free(grp);
}

static int find_root(tslot_t *s, int i) { while (s[i].group != i) i = s[i].group = s[s[i].group].group; return i; }

/* Writing order: by group start, group, own mean start. */
typedef struct { double gstart, off; int group, idx; } sortkey_t;
static int cmp_order(const void *a, const void *b) {
  const sortkey_t *x = a, *y = b;
  if (x->gstart != y->gstart) return x->gstart < y->gstart ? -1 : 1;
  if (x->group != y->group) return x->group - y->group;
  if (x->off != y->off) return x->off < y->off ? -1 : 1;
  return x->idx - y->idx;
}

/* Groups the slots: two share a group when they overlapped in more than half of the spans that
** had both. Writes the slots in writing order into 'order'. */
void fl__traces_group_slots(tep_t *e, int *order) {
  int m = e->nslots;
  for (int i = 0; i < m; i++) e->slots[i].group = i;
  for (int a = 0; a < m; a++)
    for (int b = a + 1; b < m; b++) {
      if (e->slots[a].async || e->slots[b].async || e->slots[a].dropped || e->slots[b].dropped) continue;
      int both = e->both[a * m + b], tog = e->together[a * m + b];
      if (both > 0 && 2 * tog > both) {
        int ra = find_root(e->slots, a), rb = find_root(e->slots, b);
        if (ra != rb) e->slots[ra > rb ? ra : rb].group = ra < rb ? ra : rb;
      }
    }
  for (int i = 0; i < m; i++) e->slots[i].group = find_root(e->slots, i);
  /* a group's start: the earliest mean start of its slots */
  for (int i = 0; i < m; i++) e->slots[i].gstart = INFINITY;
  for (int i = 0; i < m; i++) {
    tslot_t *s = &e->slots[i];
    double off = s->present ? s->off_sum / s->present : 0;
    if (off < e->slots[s->group].gstart) e->slots[s->group].gstart = off;
  }
  for (int i = 0; i < m; i++) e->slots[i].gstart = e->slots[e->slots[i].group].gstart;
  sortkey_t *keys = fl_xmalloc(((size_t)m + 1) * sizeof *keys);
  for (int i = 0; i < m; i++) {
    const tslot_t *s = &e->slots[i];
    keys[i] = (sortkey_t){ s->gstart, s->present ? s->off_sum / s->present : 0, s->group, i };
  }
  if (m > 1) qsort(keys, (size_t)m, sizeof *keys, cmp_order);
  for (int i = 0; i < m; i++) order[i] = keys[i].idx;
  free(keys);
}

/* ---- cycles ---- */

static int calls_to(const tep_t *e, int callee) {
  int c = 0;
  for (int i = 0; i < e->nslots; i++) if (e->slots[i].callee == callee && !e->slots[i].dropped) c += e->slots[i].present;
  return c;
}

/* Depth-first search for a cycle of endpoints; fills path with its endpoints (path[k] calls path[k + 1]). */
static int find_cycle(const tr_t *t, int v, char *colour, int *stack, int depth, int *path, int *plen) {
  colour[v] = 1;
  stack[depth] = v;
  const tep_t *e = &t->ep[v];
  for (int i = 0; i < e->nslots; i++) {
    const tslot_t *s = &e->slots[i];
    if (s->dropped) continue;
    int w = s->callee;
    if (colour[w] == 1) {
      int k = depth;
      while (k > 0 && stack[k] != w) k--;
      *plen = 0;
      for (; k <= depth; k++) path[(*plen)++] = stack[k];
      return 1;
    }
    if (colour[w] == 0 && find_cycle(t, w, colour, stack, depth + 1, path, plen)) return 1;
  }
  colour[v] = 2;
  return 0;
}

static void ep_text(const tr_t *t, int ep, char *buf, size_t n) {
  snprintf(buf, n, "%s.%s", t->str.s[t->ep[ep].svc], t->str.s[t->ep[ep].op]);
}

/* Breaks every cycle at its least-called call (or, keep_cycles, stops at the first). */
static int break_cycles(tr_t *t, int *ncut, char *err, size_t n) {
  int ne = t->nep;
  char *colour = fl_xcalloc((size_t)ne + 1, 1);
  int *stack = fl_xcalloc((size_t)ne + 1, sizeof *stack), *path = fl_xcalloc((size_t)ne + 1, sizeof *path);
  int rc = 0;
  *ncut = 0;
  for (;;) {
    memset(colour, 0, (size_t)ne);
    int plen = 0;
    for (int i = 0; i < ne && !plen; i++) if (!colour[i]) find_cycle(t, i, colour, stack, 0, path, &plen);
    if (!plen) break;
    int weakest = 0;
    for (int k = 0; k < plen; k++)
      if (calls_to(&t->ep[path[k]], path[(k + 1) % plen]) < calls_to(&t->ep[path[weakest]], path[(weakest + 1) % plen])) weakest = k;
    int from = path[weakest], to = path[(weakest + 1) % plen];
    char text[1024], a[256];
    size_t w = 0;
    for (int k = 0; k <= plen && k <= 6 && w < sizeof text - 300; k++) {
      if (k == 6 && plen > 6) { w += (size_t)snprintf(text + w, sizeof text - w, " -> ..."); break; }
      ep_text(t, path[k % plen], a, sizeof a);
      w += (size_t)snprintf(text + w, sizeof text - w, "%s%s", k ? " -> " : "", a);
    }
    if (t->o->keep_cycles) {
      char b[256];
      ep_text(t, from, a, sizeof a);
      ep_text(t, to, b, sizeof b);
      rc = fl__imp_err(err, n, t->file, t->ep[from].line,
                       "the traces have a cycle of operations: %s\nfaultline follows each request down a tree of calls, so a cycle (a "
                       "recursive operation) would have a request call itself forever; without --keep-cycles the call %s -> %s "
                       "(%d calls, the fewest on the cycle) is left out", text, a, b, calls_to(&t->ep[from], to));
      break;
    }
    tep_t *e = &t->ep[from];
    size_t ol = e->cut ? strlen(e->cut) : 0;
    char line[1400];
    ep_text(t, to, a, sizeof a);
    snprintf(line, sizeof line, "%s%s (%d calls, the fewest on the cycle %s)", ol ? "; " : "", a, calls_to(e, to), text);
    for (int i = 0; i < e->nslots; i++) if (e->slots[i].callee == to) e->slots[i].dropped = true;
    e->cut = fl_xrealloc(e->cut, ol + strlen(line) + 1);
    memcpy(e->cut + ol, line, strlen(line) + 1);
    (*ncut)++;
  }
  free(colour); free(stack); free(path);
  return rc;
}

static char *unique_name(const char *raw, char **taken, int ntaken, bool *renamed) {
  char *s = fl_xmalloc(strlen(raw) + 24);
  strcpy(s, raw[0] ? raw : "unnamed");
  *renamed = fl__sanitize_name(s) || !raw[0];
  char *base = fl_xstrdup(s);
  for (int k = 2;; k++) {
    bool clash = false;
    for (int j = 0; j < ntaken && !clash; j++) clash = taken[j] && strcmp(taken[j], s) == 0;
    if (!clash) break;
    sprintf(s, "%s_%d", base, k);
    *renamed = true;
  }
  free(base);
  return s;
}

static void name_all(tr_t *t) {
  /* services in the order of their first operation */
  int *svc_of = fl_xmalloc((size_t)t->str.n * sizeof *svc_of);
  for (int i = 0; i < t->str.n; i++) svc_of[i] = -1;
  char **snames = fl_xcalloc((size_t)t->nep + 1, sizeof *snames);
  for (int x = 0; x < t->nep; x++) {
    tep_t *e = &t->ep[x];
    int v = svc_of[e->svc];
    if (v < 0) {
      t->svc = fl_xrealloc(t->svc, (size_t)(t->nsvc + 1) * sizeof *t->svc);
      tsvc_t *s = &t->svc[t->nsvc];
      memset(s, 0, sizeof *s);
      s->svc = e->svc;
      s->name = unique_name(t->str.s[e->svc], snames, t->nsvc, &s->renamed);
      snames[t->nsvc] = s->name;
      v = svc_of[e->svc] = t->nsvc++;
    }
    tsvc_t *s = &t->svc[v];
    char **enames = fl_xcalloc((size_t)s->neps + 1, sizeof *enames);
    for (int k = 0; k < s->neps; k++) enames[k] = t->ep[s->eps[k]].name;
    bool renamed;
    e->name = unique_name(t->str.s[e->op], enames, s->neps, &renamed);
    free(enames);
    s->eps = fl_xrealloc(s->eps, (size_t)(s->neps + 1) * sizeof *s->eps);
    s->eps[s->neps++] = x;
  }
  free(snames);
  free(svc_of);
}

static void size_services(tr_t *t, double scale) {
  for (int x = 0; x < t->nep; x++) t->ep[x].rate = t->ep[x].n * scale;
  for (int i = 0; i < t->nsvc; i++) {
    tsvc_t *s = &t->svc[i];
    s->busy = 0;
    for (int k = 0; k < s->neps; k++) { const tep_t *e = &t->ep[s->eps[k]]; if (e->n) s->busy += e->rate * e->dur_sum / e->n; }
    double want = ceil(4 * s->busy);
    if (want < 8) want = 8;
    int inst = (int)ceil(want / 64);
    if (inst < 2) inst = 2;
    if (inst > 100000) inst = 100000;
    s->instances = inst;
    s->workers = (int)ceil(want / inst);
    if (s->workers < 4) s->workers = 4;
    if (s->workers > 1000000) s->workers = 1000000;
  }
}


static void tr_release(tr_t *t) {
  for (int x = 0; x < t->nep; x++) {
    tep_t *e = &t->ep[x];
    free(e->name); free(e->own); free(e->lat); free(e->slots); free(e->together); free(e->both); free(e->cut);
  }
  for (int i = 0; i < t->nsvc; i++) { free(t->svc[i].name); free(t->svc[i].eps); }
  free(t->ep); free(t->svc); free(t->sp); free(t->span_of_key);
  fl__strtab_release(&t->str); fl__strtab_release(&t->keys); fl__strtab_release(&t->epkeys);
}

int fl__import_traces(const char *path, const char *text, size_t len, const fl_import_opts_t *o, FILE *out, FILE *notes,
                      char *err, size_t n) {
  tr_t t;
  memset(&t, 0, sizeof t);
  t.file = path; t.o = o; t.notes = notes;
  tkid_t *kids = NULL;
  int *first = NULL;
  int rc = fl__traces_read(&t, text, len, err, n);
  if (rc) goto out;
  /* (nsp is never negative: "<=" tells the optimiser so, else -flto's allocation size check fails the build) */
  if (t.nsp <= 0) { rc = fl__imp_err(err, n, path, 1, "no spans: the file holds %s without any span", t.source ? t.source : "traces"); goto out; }
  build_tree(&t, &kids, &first);
  gather(&t, kids, first);
  int ncut = 0;
  if ((rc = break_cycles(&t, &ncut, err, n))) goto out;
  name_all(&t);
  /* entry traffic: root spans over the time between the first and the last */
  int roots = 0;
  int64_t lo = INT64_MAX, hi = INT64_MIN;
  for (int i = 0; i < t.nsp; i++) {
    const tspan_t *s = &t.sp[i];
    if (s->folded || s->eparent >= 0) continue;
    roots++;
    if (s->start < lo) lo = s->start;
    if (s->start > hi) hi = s->start;
  }
  FL_ASSERT(roots > 0);
  double rate, span = (double)(hi - lo) * 1e-9;
  char how[512], w1[32];
  if (o->window > 0) {
    rate = roots / o->window;
    fl_format_duration(o->window, w1, sizeof w1);
    snprintf(how, sizeof how, "derived: %d root spans over --window %s", roots, w1);
  } else if (roots >= 2 && span > 0) {
    rate = (roots - 1) / span;
    fl__fmt_dur(w1, sizeof w1, span);
    snprintf(how, sizeof how, "derived: %d root spans, the first and the last %s apart: (roots - 1) / that time. "
                              "Sampled traces: divide by the sampling ratio", roots, w1);
  } else {
    rate = GUESS_RATE;
    snprintf(how, sizeof how, "guessed: %s (the traces span no time: give the time they cover with --window)", roots == 1 ? "one root span" : "every root starts at once");
    fl__imp_note(notes, "the traces' root spans give no rate: %g/s guessed (--window sets the time they cover)", GUESS_RATE);
  }
  size_services(&t, rate / roots);
  fl__traces_write(&t, out, rate, how, roots, ncut);
  if (ncut) fl__imp_note(notes, "the traces have recursive operations: %d call%s left out, each the least-called on its cycle (--keep-cycles stops instead)",
                         ncut, ncut == 1 ? "" : "s");
  int orphans = 0;
  for (int x = 0; x < t.nep; x++) orphans += t.ep[x].orphans;
  if (orphans) fl__imp_note(notes, "%d span%s name a parent that is not in the file (an incomplete trace?): taken as root%s", orphans,
                            orphans == 1 ? "" : "s", orphans == 1 ? "" : "s");
  if (t.dups) fl__imp_note(notes, "%d span%s repeat an id already read in the trace: the first is the parent of its children", t.dups, t.dups == 1 ? "" : "s");
out:
  free(kids); free(first);
  tr_release(&t);
  return rc;
}

