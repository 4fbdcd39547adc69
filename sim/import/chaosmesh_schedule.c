/* Chaos Mesh's experiments in time: a Schedule repeats its experiment at every run of its cron
** line (or @every period) up to the scenario's end, skipping runs that would overlap under
** concurrencyPolicy Forbid; a Workflow's templates (Serial, Parallel, Suspend, Schedule and
** embedded experiments, with deadlines) become faults at the times its steps would start. The
** experiments themselves are read by chaosmesh.c. */
#include "chaosmesh_int.h"

#include "faultline/num.h"
#include "faultline/units.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ---- schedules: cron and @every ---- */

/* The spec key of each experiment kind inside a Schedule or a Workflow template (Chaos Mesh's
** EmbedChaos: api/v1alpha1/schedule_types.go). */
static const struct { const char *kind, *key; } embed_keys[] = {
  { "AWSChaos", "awsChaos" }, { "AzureChaos", "azureChaos" }, { "BlockChaos", "blockChaos" }, { "DNSChaos", "dnsChaos" },
  { "GCPChaos", "gcpChaos" }, { "HTTPChaos", "httpChaos" }, { "IOChaos", "ioChaos" }, { "JVMChaos", "jvmChaos" },
  { "KernelChaos", "kernelChaos" }, { "NetworkChaos", "networkChaos" }, { "PhysicalMachineChaos", "physicalmachineChaos" },
  { "PodChaos", "podChaos" }, { "StressChaos", "stressChaos" }, { "TimeChaos", "timeChaos" }, { "Workflow", "workflow" },
};

const char *fl__cm_embed_key(const char *kind) {
  for (size_t i = 0; i < sizeof embed_keys / sizeof embed_keys[0]; i++) if (strcmp(embed_keys[i].kind, kind) == 0) return embed_keys[i].key;
  return NULL;
}

/* One cron field ("*", "*\/5", "1-5", "1,3", "10-50/10") into a bitset over lo..hi. 0 or -1. */
static int cron_field(const char *f, int lo, int hi, uint64_t *bits, bool *star) {
  *bits = 0; *star = f[0] == '*' && (f[1] == 0 || f[1] == '/');
  char buf[64];
  snprintf(buf, sizeof buf, "%s", f);
  for (char *save = NULL, *part = strtok_r(buf, ",", &save); part; part = strtok_r(NULL, ",", &save)) {
    int a = lo, b = hi, step = 1;
    char *slash = strchr(part, '/');
    if (slash) { *slash = 0; char *e; step = (int)strtol(slash + 1, &e, 10); if (*e || step <= 0) return -1; }
    if (strcmp(part, "*") != 0 && strcmp(part, "?") != 0) {
      char *e;
      a = (int)strtol(part, &e, 10);
      if (e == part) return -1;
      b = slash ? hi : a;
      if (*e == '-') { char *e2; b = (int)strtol(e + 1, &e2, 10); if (e2 == e + 1 || *e2) return -1; }
      else if (*e) return -1;
    }
    if (a < lo || b > hi || a > b) return -1;
    for (int v = a; v <= b; v += step) *bits |= 1ull << v;
  }
  return 0;
}

typedef struct { uint64_t f[5]; bool star[5]; double every; } cron_t;

static int cron_parse(const char *s, cron_t *c) {
  memset(c, 0, sizeof *c);
  static const struct { const char *name, *cron; } macros[] = {
    { "@yearly", "0 0 1 1 *" }, { "@annually", "0 0 1 1 *" }, { "@monthly", "0 0 1 * *" }, { "@weekly", "0 0 * * 0" },
    { "@daily", "0 0 * * *" }, { "@midnight", "0 0 * * *" }, { "@hourly", "0 * * * *" },
  };
  if (strncmp(s, "@every ", 7) == 0) return fl__parse_go_duration(s + 7, &c->every) == 0 && c->every > 0 ? 0 : -1;
  for (size_t i = 0; i < sizeof macros / sizeof macros[0]; i++) if (strcmp(s, macros[i].name) == 0) s = macros[i].cron;
  char buf[128];
  snprintf(buf, sizeof buf, "%s", s);
  char *fields[6]; int nf = 0;
  for (char *save = NULL, *t = strtok_r(buf, " \t", &save); t && nf < 6; t = strtok_r(NULL, " \t", &save)) fields[nf++] = t;
  if (nf != 5) return -1;
  static const int lo[5] = { 0, 0, 1, 1, 0 }, hi[5] = { 59, 23, 31, 12, 7 };
  for (int i = 0; i < 5; i++) if (cron_field(fields[i], lo[i], hi[i], &c->f[i], &c->star[i]) != 0) return -1;
  if (c->f[4] & (1ull << 7)) c->f[4] |= 1;   /* 7 is Sunday too */
  return 0;
}

/* Does minute 'm' of the scenario match? Time 0 is taken as Monday 1 January 00:00 (a leap year). */
static bool cron_match(const cron_t *c, long m) {
  static const int mdays[12] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
  long day = m / 1440;
  int minute = (int)(m % 60), hour = (int)(m / 60 % 24), dow = (int)((1 + day) % 7);
  long d = day % 366;
  int month = 0;
  while (month < 11 && d >= mdays[month]) d -= mdays[month++];
  int dom = (int)d + 1;
  if (!(c->f[0] >> minute & 1) || !(c->f[1] >> hour & 1) || !(c->f[3] >> (month + 1) & 1)) return false;
  bool dm = c->f[2] >> dom & 1, dw = c->f[4] >> dow & 1;
  if (c->star[2] || c->star[4]) return dm && dw;
  return dm || dw;   /* both restricted: either (as cron) */
}

#define MAX_RUNS 200

/* The faults [n0, fs->n) are one run of a schedule applied at 'apply': rewrites them as every
** run up to 'limit' (cron's next minute after the apply time, or @every's period). */
static int repeat_runs(exp_t *x, int n0, yaml_node_t *sched_node, const char *cron_s, const char *policy, double apply, double limit,
                       char *err, size_t n) {
  fl_ifaults_t *fs = x->fs;
  cron_t c;
  if (!cron_s) return fl__imp_err(err, n, x->file, yline(sched_node), "Schedule \"%s\": spec.schedule: missing (a cron line or @every)", x->name);
  if (cron_parse(cron_s, &c) != 0)
    return fl__imp_err(err, n, x->file, yline(sched_node), "Schedule \"%s\": spec.schedule: cannot read '%s' (expected 5 cron fields, @hourly, @daily, ... or @every 5m)",
                       x->name, cron_s);
  bool allow = policy && strcmp(policy, "Allow") == 0;
  double runs[MAX_RUNS]; int nruns = 0; bool capped = false;
  int n1 = fs->n;
  /* the longest of the run's faults: with Forbid (the default) the next run waits for it */
  double dur = 0; bool forever = false;
  for (int i = n0; i < n1; i++) { if (fs->v[i].kind && fs->v[i].duration <= 0) forever = true; if (fs->v[i].duration > dur) dur = fs->v[i].duration; }
  double busy_until = -1;
  if (c.every > 0) {
    for (double t = apply + c.every; t < limit; t += c.every) {
      if (!allow && (forever ? busy_until >= 0 : t < busy_until)) continue;
      if (nruns == MAX_RUNS) { capped = true; break; }
      runs[nruns++] = t; busy_until = t + dur;
    }
  } else {
    for (long m = (long)fl_num_clamp_i64(floor(apply / 60), -1, INT32_MAX) + 1; m * 60.0 < limit; m++) {
      if (!cron_match(&c, m)) continue;
      double t = m * 60.0;
      if (!allow && (forever ? busy_until >= 0 : t < busy_until)) continue;
      if (nruns == MAX_RUNS) { capped = true; break; }
      runs[nruns++] = t; busy_until = t + dur;
    }
  }
  char a[32], h[32];
  fl_format_duration(apply, a, sizeof a);
  fl_format_duration(limit, h, sizeof h);
  for (int i = n0; i < n1; i++) {
    fl_ifault_t *f = &fs->v[i];
    if (!f->kind) continue;
    if (nruns == 0) {
      f->kind = NULL;
      fl__fault_why(f, "a Schedule (%s) applied at %s: no run before the scenario ends (%s)", cron_s, a, h);
      continue;
    }
    fl__fault_why(f, "a Schedule (%s) applied at %s%s: %d run%s before %s, %s%s%s", cron_s, a, f->at_guessed ? " (guessed)" : "", nruns, nruns == 1 ? "" : "s", h,
                  c.every > 0 ? "one per period after it is applied" : "at the matching minutes, time 0 taken as Monday 1 January 00:00 (guessed)",
                  allow ? "" : "; concurrencyPolicy Forbid: a run that would overlap the previous one is skipped",
                  capped ? "; only the first 200 are written" : "");
    f->at = runs[0];
  }
  for (int r = 1; r < nruns; r++)
    for (int i = n0; i < n1; i++) {
      if (!fs->v[i].kind) continue;
      fl_ifault_t copy = fs->v[i];
      fl_ifault_t *f = fl__faults_add(fs);
      *f = copy;
      f->at = runs[r];
      char suffix[24];
      int k = snprintf(suffix, sizeof suffix, " run %d", r + 1);
      size_t l = strlen(f->name), room = sizeof f->name - (size_t)k - 1;
      memcpy(f->name + (l < room ? l : room), suffix, (size_t)k + 1);
      snprintf(f->why, sizeof f->why, "run %d of the Schedule above", r + 1);
    }
  return 0;
}

/* A Schedule object: its experiment's faults as its first run, then repeated. */
int fl__cm_schedule(exp_t *x, char *err, size_t n) {
  fl_ifaults_t *fs = x->fs;
  yaml_document_t *doc = x->doc;
  yaml_node_t *sched = x->spec;
  const char *type = ystr(yget(doc, sched, "type")), *cron = ystr(yget(doc, sched, "schedule"));
  snprintf(x->schedule, sizeof x->schedule, "%s", cron ? cron : "no schedule given");
  if (!type) return fl__imp_err(err, n, x->file, yline(sched), "Schedule \"%s\": spec.type: missing (e.g. NetworkChaos)", x->name);
  const char *key = fl__cm_embed_key(type);
  if (!key) return fl__imp_err(err, n, x->file, yline(yget(doc, sched, "type")), "Schedule \"%s\": spec.type: '%s' is not a Chaos Mesh experiment kind", x->name, type);
  yaml_node_t *inner = yget(doc, sched, key);
  if (!inner || inner->type != YAML_MAPPING_NODE)
    return fl__imp_err(err, n, x->file, yline(sched), "Schedule \"%s\": spec.%s: missing (the %s to run)", x->name, key, type);
  x->spec = inner;
  snprintf(x->spath, sizeof x->spath, "spec.%.80s", key);
  x->kind = type;
  int n0 = fs->n;
  int rc = fl__cm_dispatch(x, err, n);
  if (rc) return rc;
  double apply = fs->o->has_at ? fs->o->at : FL__IMP_DEFAULT_AT;
  return repeat_runs(x, n0, sched, cron, ystr(yget(doc, sched, "concurrencyPolicy")), apply, fs->horizon, err, n);
}

/* ---- workflows ---- */

typedef struct {
  exp_t *w;                   /* the Workflow */
  yaml_node_t *templates;
  int depth;
} wf_t;

static yaml_node_t *wf_template(wf_t *wf, const char *name) {
  yaml_node_t *t = wf->templates;
  for (yaml_node_item_t *it = t->data.sequence.items.start; it < t->data.sequence.items.top; it++) {
    yaml_node_t *tn = yaml_document_get_node(wf->w->doc, *it);
    const char *nm = ystr(yget(wf->w->doc, tn, "name"));
    if (nm && strcmp(nm, name) == 0) return tn;
  }
  return NULL;
}

/* Places the faults [n0, fs->n) at 'start', each lasting at most until 'end'. */
static void place(fl_ifaults_t *fs, int n0, double start, double end, const char *how) {
  for (int i = n0; i < fs->n; i++) {
    fl_ifault_t *f = &fs->v[i];
    f->at = start;
    if (isfinite(end) && (f->duration <= 0 || start + f->duration > end)) { f->duration = end - start; f->duration_guessed = false; }
    if (f->kind && how) fl__fault_why(f, "%s", how);
  }
}

/* Runs template 'name' from 'start' (no later than 'limit'); *end: when it is done (INFINITY: never). */
static int wf_run(wf_t *wf, const char *name, int line, double start, double limit, double *end, char *err, size_t n) {
  exp_t *w = wf->w;
  yaml_document_t *d = w->doc;
  fl_ifaults_t *fs = w->fs;
  *end = start;
  yaml_node_t *t = wf_template(wf, name);
  if (!t) return fl__imp_err(err, n, w->file, line, "Workflow \"%s\": no template named '%s'", w->name, name);
  if (++wf->depth > 32) return fl__imp_err(err, n, w->file, yline(t), "Workflow \"%s\": templates nest more than 32 deep (a template that contains itself?)", w->name);
  const char *type = ystr(yget(d, t, "templateType"));
  if (!type) return fl__imp_err(err, n, w->file, yline(t), "Workflow \"%s\": template '%s': missing templateType", w->name, name);
  double deadline = 0; bool has_deadline = false;
  int rc = fl__cm_read_duration(w, t, "template", "deadline", &deadline, &has_deadline, err, n);
  if (rc) return rc;
  double mylimit = has_deadline && start + deadline < limit ? start + deadline : limit;
  char a[32], how[256];
  fl_format_duration(start, a, sizeof a);
  if (start >= limit) {
    fl_ifault_t *f = fl__faults_add(fs);
    snprintf(f->origin, sizeof f->origin, "%s:%d", w->file, yline(t));
    snprintf(f->what, sizeof f->what, "Workflow \"%s\", step '%s' (%s)", w->name, name, type);
    fl__fault_why(f, "it would start at %s, after the end of the scenario or of its parent's deadline: not reached", a);
    wf->depth--;
    return 0;
  }
  if (strcmp(type, "Serial") == 0 || strcmp(type, "Parallel") == 0) {
    bool serial = type[0] == 'S';
    yaml_node_t *ch = yget(d, t, "children");
    double tcur = start, tmax = start;
    for (yaml_node_item_t *it = ch && ch->type == YAML_SEQUENCE_NODE ? ch->data.sequence.items.start : NULL; it && it < ch->data.sequence.items.top; it++) {
      yaml_node_t *cn = yaml_document_get_node(d, *it);
      const char *cname = ystr(cn);
      if (!cname) return fl__imp_err(err, n, w->file, yline(cn), "Workflow \"%s\": template '%s': children: expected template names", w->name, name);
      double e;
      if ((rc = wf_run(wf, cname, yline(cn), serial ? tcur : start, mylimit, &e, err, n))) return rc;
      if (serial) tcur = e;
      if (e > tmax) tmax = e;
    }
    *end = serial ? tcur : tmax;
    if (has_deadline && *end > start + deadline) *end = start + deadline;
  } else if (strcmp(type, "Suspend") == 0) {
    *end = has_deadline ? start + deadline : INFINITY;
  } else if (strcmp(type, "Schedule") == 0) {
    yaml_node_t *sn = yget(d, t, "schedule");
    const char *stype = ystr(yget(d, sn, "type"));
    const char *key = stype ? fl__cm_embed_key(stype) : NULL;
    yaml_node_t *inner = key ? yget(d, sn, key) : NULL;
    if (!inner) return fl__imp_err(err, n, w->file, yline(sn ? sn : t), "Workflow \"%s\": template '%s': schedule.%s: missing (the %s to run)", w->name, name,
                                   key ? key : "type", stype ? stype : "experiment");
    exp_t x = *w;
    x.spec = inner; x.kind = stype; x.name = name;
    snprintf(x.spath, sizeof x.spath, "template '%.40s' schedule.%.30s", name, key);
    snprintf(x.origin, sizeof x.origin, "%s:%d", w->file, yline(t));
    int n0 = fs->n;
    if ((rc = fl__cm_dispatch(&x, err, n))) return rc;
    place(fs, n0, start, INFINITY, NULL);
    snprintf(how, sizeof how, "Workflow \"%s\": step '%s' starts at %s", w->name, name, a);
    for (int i = n0; i < fs->n; i++) if (fs->v[i].kind) fl__fault_why(&fs->v[i], "%s", how);
    if ((rc = repeat_runs(&x, n0, sn, ystr(yget(d, sn, "schedule")), ystr(yget(d, sn, "concurrencyPolicy")), start, mylimit, err, n))) return rc;
    for (int i = n0; i < fs->n; i++) {
      fl_ifault_t *f = &fs->v[i];
      if (f->kind && isfinite(mylimit) && (f->duration <= 0 || f->at + f->duration > mylimit)) { f->duration = mylimit - f->at; f->duration_guessed = false; }
    }
    *end = mylimit;
  } else if (fl__cm_embed_key(type)) {
    const char *key = fl__cm_embed_key(type);
    yaml_node_t *inner = yget(d, t, key);
    if (!inner || inner->type != YAML_MAPPING_NODE)
      return fl__imp_err(err, n, w->file, yline(t), "Workflow \"%s\": template '%s': %s: missing (the %s to run)", w->name, name, key, type);
    exp_t x = *w;
    x.spec = inner; x.kind = type; x.name = name;
    snprintf(x.spath, sizeof x.spath, "template '%.40s' %.30s", name, key);
    snprintf(x.origin, sizeof x.origin, "%s:%d", w->file, yline(t));
    int n0 = fs->n;
    if ((rc = fl__cm_dispatch(&x, err, n))) return rc;
    double d_spec = 0; bool has_d = false;
    if ((rc = fl__cm_read_duration(&x, inner, x.spath, "duration", &d_spec, &has_d, err, n))) return rc;
    double e = has_deadline ? start + deadline : has_d ? start + d_spec : INFINITY;
    if (e > limit) e = limit;
    snprintf(how, sizeof how, "Workflow \"%s\": step '%s' (%s) starts at %s%s", w->name, name, type, a,
             has_deadline ? " and lasts until its deadline" : "");
    place(fs, n0, start, e, how);
    *end = e;
  } else {
    fl_ifault_t *f = fl__faults_add(fs);
    snprintf(f->origin, sizeof f->origin, "%s:%d", w->file, yline(t));
    snprintf(f->what, sizeof f->what, "Workflow \"%s\", step '%s' (%s)", w->name, name, type);
    fl__fault_why(f, strcmp(type, "Task") == 0 ? "a custom task (a container the workflow runs): faultline has no equivalent"
                  : strcmp(type, "StatusCheck") == 0 ? "a status check (an HTTP probe that can abort the workflow): faultline has no equivalent; the steps are written as if it passed"
                  : "faultline has no equivalent of this template type");
    *end = has_deadline ? start + deadline : start;
  }
  wf->depth--;
  return 0;
}

int fl__cm_workflow(exp_t *x, char *err, size_t n) {
  const char *entry = ystr(yget(x->doc, x->spec, "entry"));
  yaml_node_t *templates = yget(x->doc, x->spec, "templates");
  if (!entry) return fl__imp_err(err, n, x->file, yline(x->spec), "Workflow \"%s\": spec.entry: missing (the template to start with)", x->name);
  if (!templates || templates->type != YAML_SEQUENCE_NODE)
    return fl__imp_err(err, n, x->file, yline(x->spec), "Workflow \"%s\": spec.templates: expected a list of templates", x->name);
  wf_t wf = { x, templates, 0 };
  double start = x->fs->o->has_at ? x->fs->o->at : FL__IMP_DEFAULT_AT, end;
  return wf_run(&wf, entry, yline(yget(x->doc, x->spec, "entry")), start, x->fs->horizon, &end, err, n);
}

