/* Faults imported from chaos experiments (sim/import/toxiproxy.c, sim/import/chaosmesh.c): the
** list they build, the mapping of their names onto services (of a scenario, when one is given),
** and the writer of fault { ... } lines, each after comments that say what it came from, how it
** was mapped and what was guessed; entries without equivalent become comments only. */
#include "import_int.h"

#include "faultline/units.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_AT FL__IMP_DEFAULT_AT
#define DEFAULT_DURATION 300.0   /* seconds: Toxiproxy's toxics have no end either */

fl_ifault_t *fl__faults_add(fl_ifaults_t *fs) {
  if (fs->n == fs->cap) { fs->cap = fs->cap ? fs->cap * 2 : 16; fs->v = fl_xrealloc(fs->v, (size_t)fs->cap * sizeof *fs->v); }
  fl_ifault_t *f = &fs->v[fs->n++];
  memset(f, 0, sizeof *f);
  const fl_import_opts_t *o = fs->o;
  f->at = o && o->has_at ? o->at : DEFAULT_AT;
  f->at_guessed = !(o && o->has_at);
  f->duration = o && o->has_duration ? o->duration : DEFAULT_DURATION;
  f->duration_guessed = !(o && o->has_duration);
  return f;
}

void fl__fault_why(fl_ifault_t *f, const char *fmt, ...) {
  size_t used = strlen(f->why);
  if (used + 2 >= sizeof f->why) return;
  if (used) f->why[used++] = '\n';
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(f->why + used, sizeof f->why - used, fmt, ap);
  va_end(ap);
}

/* Lower case, '-' and '.' as '_': "Payment-Service" and "payment_service" are the same name. */
static void norm(const char *s, char *out, size_t n) {
  size_t k = 0;
  for (; *s && k + 1 < n; s++) out[k++] = *s == '-' || *s == '.' ? '_' : (char)tolower((unsigned char)*s);
  out[k] = 0;
}

bool fl__faults_map(const fl_ifaults_t *fs, const char *const *cands, char *out, size_t n) {
  const fl_model_t *m = fs->o ? fs->o->scenario : NULL;
  if (!m) {
    for (int i = 0; cands[i]; i++)
      if (cands[i][0]) {
        snprintf(out, n, "%s", cands[i]);
        fl__sanitize_name(out);
        return true;
      }
    return false;
  }
  for (int i = 0; cands[i]; i++)
    for (int s = 0; s < m->nservices; s++)
      if (strcmp(cands[i], m->services[s].name) == 0) { snprintf(out, n, "%s", m->services[s].name); return true; }
  char a[256], b[256];
  for (int i = 0; cands[i]; i++) {
    norm(cands[i], a, sizeof a);
    for (int s = 0; s < m->nservices; s++) {
      norm(m->services[s].name, b, sizeof b);
      if (strcmp(a, b) == 0) { snprintf(out, n, "%s", m->services[s].name); return true; }
    }
  }
  return false;
}

bool fl__faults_calls(const fl_ifaults_t *fs, const char *caller, const char *callee) {
  const fl_model_t *m = fs->o ? fs->o->scenario : NULL;
  const fl_service_t *s = m ? fl_model_find_service(m, caller) : NULL;
  if (!s) return false;
  for (int e = 0; e < s->nendpoints; e++)
    for (int c = 0; c < s->endpoints[e].ncalls; c++) {
      const fl_call_t *call = &s->endpoints[e].calls[c];
      if (call->target && strcmp(call->target->service->name, callee) == 0) return true;
    }
  return false;
}

bool fl__faults_other_callers(const fl_ifaults_t *fs, const char *callee, const char *except, char *buf, size_t n) {
  const fl_model_t *m = fs->o ? fs->o->scenario : NULL;
  buf[0] = 0;
  if (!m) return false;
  size_t w = 0;
  for (int s = 0; s < m->nservices; s++) {
    const char *name = m->services[s].name;
    if ((except && strcmp(name, except) == 0) || !fl__faults_calls(fs, name, callee)) continue;
    if (w + strlen(name) + 8 >= n) break;
    w += (size_t)snprintf(buf + w, n - w, "%s%s", w ? ", " : "", name);
  }
  return w > 0;
}

/* The fault names written so far: a hash set (open addressing), each with the next "#k" to try
** for that base name, so that 3,000 toxics of one name are renamed in linear time (a scan of
** all earlier names for every k took 19.6 s). */
typedef struct name { char *key; int next; } name_t;
typedef struct names { name_t *v; size_t cap, n; } names_t;

static size_t name_hash(const char *s) {
  uint64_t h = 1469598103934665603ull;
  for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
  return (size_t)h;
}

static name_t *names_find(const names_t *t, const char *key) {
  if (!t->cap) return NULL;
  for (size_t k = name_hash(key) & (t->cap - 1); t->v[k].key; k = (k + 1) & (t->cap - 1))
    if (strcmp(t->v[k].key, key) == 0) return &t->v[k];
  return NULL;
}

static void names_add(names_t *t, const char *key) {
  if (2 * (t->n + 1) > t->cap) {
    names_t g = { fl_xcalloc(t->cap ? 2 * t->cap : 64, sizeof *g.v), t->cap ? 2 * t->cap : 64, 0 };
    for (size_t i = 0; i < t->cap; i++)
      if (t->v[i].key) {
        size_t k = name_hash(t->v[i].key) & (g.cap - 1);
        while (g.v[k].key) k = (k + 1) & (g.cap - 1);
        g.v[k] = t->v[i];
        g.n++;
      }
    free(t->v);
    *t = g;
  }
  size_t k = name_hash(key) & (t->cap - 1);
  while (t->v[k].key) k = (k + 1) & (t->cap - 1);
  t->v[k] = (name_t){ fl_xstrdup(key), 0 };
  t->n++;
}

static void names_release(names_t *t) {
  for (size_t i = 0; i < t->cap; i++) free(t->v[i].key);
  free(t->v);
}

static void write_comment_lines(FILE *out, const char *text) {
  const char *p = text;
  while (*p) {
    const char *nl = strchr(p, '\n');
    size_t len = nl ? (size_t)(nl - p) : strlen(p);
    fprintf(out, "-- %.*s\n", (int)len, p);
    p += len + (nl != NULL);
  }
}

int fl__faults_write(fl_ifaults_t *fs, FILE *out, FILE *notes, char *err, size_t n) {
  (void)err; (void)n;
  const fl_import_opts_t *o = fs->o;
  const fl_model_t *m = o ? o->scenario : NULL;
  int nguessed_at = 0;
  for (int i = 0; i < fs->n; i++) if (fs->v[i].kind) nguessed_at += fs->v[i].at_guessed;
  fprintf(out, "-- Faults imported by `faultline import` from %s (%s).\n", fs->file, fs->source);
  fprintf(out, "-- Paste them into a scenario (or include this file from one). Each says what it came from and\n"
               "-- how it was mapped; what has no equivalent in faultline is kept as a comment.\n");
  if (nguessed_at) {
    char a[32];
    fl_format_duration(o && o->has_at ? o->at : DEFAULT_AT, a, sizeof a);
    fprintf(out, "-- The source gives no start times: each fault starts at %s (guessed; --at sets it).\n", a);
  }
  if (m) fprintf(out, "-- Names mapped onto the services of %s.\n", m->file);
  names_t taken = { 0 };
  for (int i = 0; i < fs->n; i++) {
    fl_ifault_t *f = &fs->v[i];
    fprintf(out, "\n");
    if (!f->kind) fprintf(out, "-- no equivalent: ");
    else fprintf(out, "-- ");
    fprintf(out, "%s (%s)\n", f->what, f->origin[0] ? f->origin : fs->file);
    if (f->why[0]) write_comment_lines(out, f->why);
    if (!f->kind) { fs->unmapped++; continue; }
    fs->templates += f->template_only;
    /* a unique name: during = "fault:NAME" refers to it */
    char name[sizeof f->name + 16];
    const char *base = f->name[0] ? f->name : f->target;
    snprintf(name, sizeof name, "%.*s", (int)sizeof f->name - 1, base);
    name_t *held = names_find(&taken, name);
    if (held) {
      int *next = &held->next;   /* the next number to try after this base: renaming stays linear */
      for (int k = *next > 2 ? *next : 2;; k++) {
        char cand[sizeof f->name + 16];
        snprintf(cand, sizeof cand, "%s#%d", base, k);
        snprintf(name, sizeof name, "%.*s", (int)sizeof f->name - 1, cand);
        if (!names_find(&taken, name)) { *next = k + 1; break; }
      }
    }
    snprintf(f->name, sizeof f->name, "%.*s", (int)sizeof f->name - 1, name);
    names_add(&taken, f->name);
    if (m) {
      const fl_service_t *s = fl_model_find_service(m, f->target);
      if (s && f->instances > s->instances) {
        fprintf(out, "-- %d instances asked, %s has %d: all of them\n", f->instances, s->name, s->instances);
        f->instances = 0;
      }
      if (f->at >= m->duration) fprintf(out, "-- it starts after the end of %s (%gs): move it with --at\n", m->file, m->duration);
    }
    fprintf(out, "%sfault { name = ", f->template_only ? "-- " : "");
    fl__lua_string(out, f->name);
    bool partition = strcmp(f->kind, "partition") == 0;
    if (partition || f->link) {
      fprintf(out, ", from = ");
      fl__lua_string(out, f->from);
      fprintf(out, ", to = ");
      fl__lua_string(out, f->target);
    } else {
      fprintf(out, ", target = ");
      fl__lua_string(out, f->target);
    }
    fprintf(out, ", kind = \"%s\"", f->kind);
    char d[32];
    if (strcmp(f->kind, "latency") == 0) { fl__fmt_dur(d, sizeof d, f->value); fprintf(out, ", latency = \"%s\"", d); }
    else if (strcmp(f->kind, "errors") == 0) fprintf(out, ", rate = \"%.4g%%\"", 100 * f->value);
    else if (strcmp(f->kind, "slowdown") == 0) fprintf(out, ", factor = %.4g", f->value);
    if (f->share > 0 && f->share < 1) fprintf(out, ", instances = \"%.4g%%\"", 100 * f->share);
    else if (f->instances > 0) fprintf(out, ", instances = %d", f->instances);
    fl_format_duration(f->at, d, sizeof d);
    fprintf(out, ", at = \"%s\"", d);
    if (f->duration > 0) { fl_format_duration(f->duration, d, sizeof d); fprintf(out, ", duration = \"%s\"", d); }
    fprintf(out, " }");
    if (f->at_guessed || f->duration_guessed)
      fprintf(out, "  -- guessed: %s%s%s", f->at_guessed ? "at" : "", f->at_guessed && f->duration_guessed ? ", " : "",
              f->duration_guessed ? "duration" : "");
    fprintf(out, "\n");
  }
  names_release(&taken);
  if (fs->n == 0) fprintf(out, "\n-- (nothing to import: the file holds no faults)\n");
  if (fs->templates)
    fl__imp_note(notes, "%d of %d entries of %s are written commented out (links ready for faults, or alternatives): uncomment the ones you want",
                 fs->templates, fs->n, fs->file);
  if (fs->unmapped)
    fl__imp_note(notes, "%d of %d entries of %s have no equivalent in faultline: they are comments in the output", fs->unmapped, fs->n, fs->file);
  return 0;
}

void fl__faults_release(fl_ifaults_t *fs) {
  free(fs->v);
  memset(fs, 0, sizeof *fs);
}
