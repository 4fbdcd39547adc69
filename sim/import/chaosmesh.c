/* Chaos Mesh experiments (YAML, one or more documents, read with libyaml) as faults: the file,
** its objects (a List's items; objects of other APIs are skipped) and the experiments:
**   NetworkChaos delay     -> latency on the callee of the affected link (both ways: twice)
**   NetworkChaos loss      -> errors at the loss rate on the callee (an approximation: TCP resends)
**   NetworkChaos partition -> partition of the link, per call direction
**   PodChaos pod-failure   -> crash of the selected instances for the duration
**   PodChaos pod-kill, container-kill -> crash until the replacement is ready (guessed)
**   HTTPChaos abort        -> errors (every call to the selected pods fails)
**   HTTPChaos delay        -> latency on the selected service
** The selector's app label (or pod name) names the service; mode picks the instances (one, all,
** fixed, fixed-percent, random-max-percent). Other kinds, and actions without equivalent, become
** comments. Chaos Mesh starts an experiment when it is applied: --at places it (guessed
** otherwise); a missing duration runs to the end. Schedules and Workflows, which run experiments
** at times of their own: chaosmesh_schedule.c. */
#include "chaosmesh_int.h"

#include "faultline/num.h"

#include <ctype.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *ytype(const yaml_node_t *n) {
  if (!n) return "nothing";
  return n->type == YAML_SCALAR_NODE ? "a scalar" : n->type == YAML_SEQUENCE_NODE ? "a list" : "a mapping";
}

/* spec.KEY as a string; NULL when absent; error when not a scalar. */
static int spec_str(exp_t *x, const yaml_node_t *parent, const char *ppath, const char *key, const char **out, char *err, size_t n) {
  *out = NULL;
  yaml_node_t *v = yget(x->doc, parent, key);
  if (!v) return 0;
  if (v->type != YAML_SCALAR_NODE) return fl__imp_err(err, n, x->file, yline(v), "%s.%s: expected a value, got %s", ppath, key, ytype(v));
  *out = ystr(v);
  return 0;
}

int fl__cm_read_duration(exp_t *x, const yaml_node_t *parent, const char *ppath, const char *key, double *out, bool *has, char *err, size_t n) {
  const char *s;
  int rc = spec_str(x, parent, ppath, key, &s, err, n);
  *has = false;
  if (rc || !s) return rc;
  if (fl__parse_go_duration(s, out) != 0)
    return fl__imp_err(err, n, x->file, yline(yget(x->doc, parent, key)), "%s.%s: cannot read '%s' as a duration (expected e.g. \"100ms\", \"30s\", \"1m30s\")", ppath, key, s);
  *has = true;
  return 0;
}

/* A percentage: "25", "25%" or 25 -> 0.25. */
static int read_percent(exp_t *x, const yaml_node_t *parent, const char *ppath, const char *key, double *out, bool *has, char *err, size_t n) {
  const char *s;
  int rc = spec_str(x, parent, ppath, key, &s, err, n);
  *has = false;
  if (rc || !s) return rc;
  char *end;
  double v = strtod(s, &end);
  if (*end == '%') end++;
  if (end == s || *end || !(v >= 0 && v <= 100))
    return fl__imp_err(err, n, x->file, yline(yget(x->doc, parent, key)), "%s.%s: expected a percentage from 0 to 100, got '%s'", ppath, key, s);
  *out = v / 100;
  *has = true;
  return 0;
}

/* ---- selectors: which service, which of its instances ---- */

typedef struct {
  char cand[4][128]; int ncand;
  char how[256];
  bool mapped;
  char service[128];
  const char *mode;
  double value;               /* mode's value */
  int instances; double share;   /* for crash/hang: count (0 all) or share */
  double hit;                 /* share of the service's instances hit; < 0 unknown */
} target_t;

static const char *const app_labels[] = {
  "app.kubernetes.io/name", "app", "app.kubernetes.io/instance", "k8s-app", "service", "name",
  "app.kubernetes.io/component", "component", NULL
};

/* "payment-7d9f8c6b5-x2x7q" -> "payment" (Deployment pods); "db-0" -> "db" (StatefulSet). */
static void pod_to_app(const char *pod, char *out, size_t n) {
  snprintf(out, n, "%s", pod);
  char *last = strrchr(out, '-');
  if (!last) return;
  bool digits = last[1] != 0;
  for (char *p = last + 1; *p; p++) if (!isdigit((unsigned char)*p)) digits = false;
  if (digits) { *last = 0; return; }
  if (strlen(last + 1) == 5) {
    *last = 0;
    char *prev = strrchr(out, '-');
    if (prev && strlen(prev + 1) >= 6 && strlen(prev + 1) <= 10) *prev = 0;
  }
}

static int read_selector(exp_t *x, const yaml_node_t *holder, const char *hpath, target_t *t, char *err, size_t n) {
  memset(t, 0, sizeof *t);
  t->hit = -1;
  yaml_node_t *sel = yget(x->doc, holder, "selector");
  char spath[128];
  snprintf(spath, sizeof spath, "%s.selector", hpath);
  if (sel && sel->type != YAML_MAPPING_NODE) return fl__imp_err(err, n, x->file, yline(sel), "%s: expected a mapping, got %s", spath, ytype(sel));
  yaml_node_t *ls = yget(x->doc, sel, "labelSelectors");
  if (ls && ls->type == YAML_MAPPING_NODE) {
    for (int i = 0; app_labels[i] && t->ncand < 4; i++) {
      const char *v = ystr(yget(x->doc, ls, app_labels[i]));
      if (v && v[0]) { snprintf(t->cand[t->ncand++], 128, "%s", v); if (!t->how[0]) snprintf(t->how, sizeof t->how, "label %s=%s", app_labels[i], v); }
    }
    if (t->ncand == 0 && ls->data.mapping.pairs.start < ls->data.mapping.pairs.top) {
      yaml_node_pair_t *p = ls->data.mapping.pairs.start;
      const char *k = ystr(yaml_document_get_node(x->doc, p->key)), *v = ystr(yaml_document_get_node(x->doc, p->value));
      if (k && v) { snprintf(t->cand[t->ncand++], 128, "%s", v); snprintf(t->how, sizeof t->how, "label %s=%s (guessed: not an app label)", k, v); }
    }
  }
  yaml_node_t *es = yget(x->doc, sel, "expressionSelectors");
  if (t->ncand == 0 && es && es->type == YAML_SEQUENCE_NODE) {
    for (yaml_node_item_t *it = es->data.sequence.items.start; it < es->data.sequence.items.top && t->ncand == 0; it++) {
      yaml_node_t *e = yaml_document_get_node(x->doc, *it);
      const char *k = ystr(yget(x->doc, e, "key")), *op = ystr(yget(x->doc, e, "operator"));
      yaml_node_t *vals = yget(x->doc, e, "values");
      if (!k || !op || strcmp(op, "In") != 0 || !vals || vals->type != YAML_SEQUENCE_NODE || vals->data.sequence.items.start == vals->data.sequence.items.top) continue;
      const char *v = ystr(yaml_document_get_node(x->doc, *vals->data.sequence.items.start));
      if (v) { snprintf(t->cand[t->ncand++], 128, "%s", v); snprintf(t->how, sizeof t->how, "expression %s In (%s, ...)", k, v); }
    }
  }
  yaml_node_t *pods = yget(x->doc, sel, "pods");
  if (t->ncand == 0 && pods && pods->type == YAML_MAPPING_NODE && pods->data.mapping.pairs.start < pods->data.mapping.pairs.top) {
    yaml_node_t *list = yaml_document_get_node(x->doc, pods->data.mapping.pairs.start->value);
    if (list && list->type == YAML_SEQUENCE_NODE && list->data.sequence.items.start < list->data.sequence.items.top) {
      const char *pod = ystr(yaml_document_get_node(x->doc, *list->data.sequence.items.start));
      if (pod) {
        pod_to_app(pod, t->cand[t->ncand++], 128);
        snprintf(t->how, sizeof t->how, "pod %s (service name guessed from it)", pod);
      }
    }
  }
  /* mode */
  const char *mode;
  int rc = spec_str(x, holder, hpath, "mode", &mode, err, n);
  if (rc) return rc;
  t->mode = mode ? mode : "all";
  const char *val;
  if ((rc = spec_str(x, holder, hpath, "value", &val, err, n))) return rc;
  static const char *const modes[] = { "one", "all", "fixed", "fixed-percent", "random-max-percent", NULL };
  bool known = false;
  for (int i = 0; modes[i]; i++) known |= strcmp(t->mode, modes[i]) == 0;
  if (!known)
    return fl__imp_err(err, n, x->file, yline(yget(x->doc, holder, "mode")), "%s.mode: '%s' is not one of one, all, fixed, fixed-percent, random-max-percent", hpath, t->mode);
  bool needs_value = strcmp(t->mode, "fixed") == 0 || strstr(t->mode, "percent") != NULL;
  if (needs_value) {
    char *end = NULL;
    t->value = val ? strtod(val, &end) : -1;
    if (!val || *end || t->value < 0 || (strstr(t->mode, "percent") && t->value > 100))
      return fl__imp_err(err, n, x->file, yline(val ? yget(x->doc, holder, "value") : yget(x->doc, holder, "mode")),
                         "%s.value: mode %s needs a %s", hpath, t->mode, strstr(t->mode, "percent") ? "percentage from 0 to 100" : "number of pods");
  }
  const char *cands[5];
  for (int i = 0; i < t->ncand; i++) cands[i] = t->cand[i];
  cands[t->ncand] = NULL;
  t->mapped = t->ncand > 0 && fl__faults_map(x->fs, cands, t->service, sizeof t->service);
  const fl_model_t *m = x->fs->o->scenario;
  const fl_service_t *s = t->mapped && m ? fl_model_find_service(m, t->service) : NULL;
  if (strcmp(t->mode, "all") == 0) t->hit = 1;
  else if (strcmp(t->mode, "one") == 0) { t->instances = 1; if (s) t->hit = 1.0 / s->instances; }
  else if (strcmp(t->mode, "fixed") == 0) { t->instances = fl_num_clamp_int(t->value, 0, 1000000); if (s) t->hit = t->value >= s->instances ? 1 : t->value / s->instances; }
  else { t->share = t->value / 100; t->hit = t->share; if (t->share >= 1) t->share = 0; }
  if (t->instances == 0 && t->share == 0 && strcmp(t->mode, "all") != 0 && t->hit <= 0) t->hit = 0;
  return 0;
}

static fl_ifault_t *new_fault(exp_t *x, const char *suffix) {
  fl_ifault_t *f = fl__faults_add(x->fs);
  snprintf(f->origin, sizeof f->origin, "%s", x->origin);
  snprintf(f->name, sizeof f->name, "%.100s%.90s", x->name, suffix ? suffix : "");
  return f;
}

/* The duration: the experiment's, else --duration, else to the end. */
static int set_duration(exp_t *x, fl_ifault_t *f, char *err, size_t n) {
  double d; bool has;
  int rc = fl__cm_read_duration(x, x->spec, x->spath, "duration", &d, &has, err, n);
  if (rc) return rc;
  if (has) { f->duration = d; f->duration_guessed = false; }
  else if (x->fs->o->has_duration) { f->duration = x->fs->o->duration; f->duration_guessed = false; }
  else { f->duration = 0; f->duration_guessed = false; fl__fault_why(f, "no duration: it runs until the experiment is deleted (here: to the end)"); }
  return 0;
}

static void set_instances(fl_ifault_t *f, const target_t *t) {
  f->instances = t->instances;
  f->share = t->share;
  if (strcmp(t->mode, "random-max-percent") == 0)
    fl__fault_why(f, "mode random-max-percent: up to %g%% of the pods; written as the maximum (guessed)", t->value);
}

/* A service-wide fault (latency, errors) for an experiment that hits only some pods. */
static double scale_for_pods(fl_ifault_t *f, const target_t *t, const char *what) {
  if (strcmp(t->mode, "all") == 0) return 1;
  if (t->hit > 0) {
    fl__fault_why(f, "mode %s: %.3g%% of the pods are hit; faultline's %s fault acts on the whole service: written as that share of its %s (round robin spreads calls evenly)",
                  t->mode, 100 * t->hit, what, strcmp(what, "latency") == 0 ? "latency (the mean)" : "rate");
    return t->hit;
  }
  fl__fault_why(f, "mode %s hits only some of the pods; written for all of them (give --scenario to know how many there are)", t->mode);
  return 1;
}

static void unmapped(exp_t *x, fl_ifault_t *f, const target_t *t) {
  (void)x;
  if (t->ncand == 0) fl__fault_why(f, "its selector names no app label or pod: the service it targets is unknown");
  else fl__fault_why(f, "'%s' (from %s) is not a service of %s", t->cand[0], t->how, x->fs->o->scenario ? x->fs->o->scenario->file : "the scenario");
}

/* A NetworkChaos being read: its pods, target and action, and for delay and loss their values
** and the calls they hit. */
typedef struct {
  target_t s, tt;             /* the selected pods; the target's (when has_target) */
  bool has_target, both, external;
  const char *action, *direction;
  char base[640];             /* the experiment in words, for the comments */
  double lat, jit, loss;
  bool has_lat, has_jit, has_loss;
  char links[16][2][128];     /* the calls hit, as (caller, callee) */
  int nlinks;
  bool guessed_dir;           /* without a scenario: the selected pods taken as the caller */
} net_t;

/* The latency (lat_pass) or the errors of a delay or loss experiment, one fault per call hit. */
static int net_pass(exp_t *x, const net_t *nt, bool lat_pass, char *err, size_t n) {
  const target_t *s = &nt->s, *tt = &nt->tt;
  bool has_target = nt->has_target, both = nt->both;
  const char *base = nt->base;
  double lat = nt->lat, jit = nt->jit, loss = nt->loss;
  bool has_lat = nt->has_lat, has_jit = nt->has_jit, has_loss = nt->has_loss;
  const char (*links)[2][128] = nt->links;
  int nlinks = nt->nlinks, rc;
  bool guessed_dir = nt->guessed_dir;
  if (lat_pass ? !has_lat : !has_loss) return 0;
  const char *psuffix = has_lat && has_loss ? (lat_pass ? " (delay)" : " (loss)") : "";
  char d[32];
  fl__fmt_dur(d, sizeof d, lat);
  char what[1024];
  if (lat_pass) snprintf(what, sizeof what, "%s, latency %s%s", base, d, has_jit && jit > 0 ? " with jitter" : "");
  else snprintf(what, sizeof what, "%s, loss %.4g%%", base, 100 * loss);
  /* netem runs on the selected pods, toward the target's: the share of the link's calls hit is both shares */
  target_t both_sets = *s;
  if (has_target && (strcmp(s->mode, "all") != 0 || strcmp(tt->mode, "all") != 0)) {
    both_sets.mode = strcmp(s->mode, "all") != 0 ? s->mode : tt->mode;
    both_sets.hit = s->hit > 0 && tt->hit > 0 ? s->hit * tt->hit : -1;
  }
  int nout = has_target ? nlinks : 1 + nlinks;
  if (!s->mapped || (has_target && !tt->mapped) || (has_target && nlinks == 0)) nout = 1;
  for (int k = 0; k < nout; k++) {
    /* k == 0 without a target: the service's own answers; else a link */
    bool own = !has_target && k == 0;
    const char *lf = own ? NULL : links[has_target ? k : k - 1][0], *lt = own ? NULL : links[has_target ? k : k - 1][1];
    char suffix[300];
    snprintf(suffix, sizeof suffix, "%s%s%.120s%s%.120s%s", psuffix, own || nout == 1 ? "" : " (", own || nout == 1 ? "" : lf,
             own || nout == 1 ? "" : "->", own || nout == 1 ? "" : lt, own || nout == 1 ? "" : ")");
    fl_ifault_t *f = new_fault(x, suffix[0] ? suffix : NULL);
    snprintf(f->what, sizeof f->what, "%s", what);
    if (!s->mapped) { unmapped(x, f, s); break; }
    if (has_target && !tt->mapped) { unmapped(x, f, tt); break; }
    if (has_target && nlinks == 0) {
      fl__fault_why(f, "%s and %s make no calls to each other in %s: no effect", s->service, tt->service, x->fs->o->scenario->file);
      break;
    }
    if (own) {
      snprintf(f->target, sizeof f->target, "%s", s->service);
      fl__fault_why(f, "netem acts on what %s sends: its answers (here: calls to %s take the hit) and its own calls out (%s)", s->service, s->service,
                    !x->fs->o->scenario ? "not written: give --scenario to know whom it calls, and get one fault per link"
                    : nlinks ? "written below, one fault per link" : "none in the scenario");
    } else {
      f->link = true;
      snprintf(f->from, sizeof f->from, "%s", lf);
      snprintf(f->target, sizeof f->target, "%s", lt);
      if (has_target) {
        if (guessed_dir) fl__fault_why(f, "guessed: %s calls %s (give --scenario to tell from the calls)", lf, lt);
        fl__fault_why(f, "%s the calls %s -> %s%s: a fault on that link only", lat_pass ? "the delay hits" : "the loss hits", lf, lt,
                      both ? " in both directions (request and answer)" : strcmp(lf, s->service) == 0 ? " (their requests)" : " (their answers)");
      } else {
        fl__fault_why(f, "its calls out to %s: %s sends their requests, so they are hit too (a fault on that link)", lt, s->service);
      }
    }
    const target_t *hitset = has_target ? &both_sets : s;
    if (lat_pass) {
      f->kind = "latency";
      f->value = lat * (both && has_target ? 2 : 1);
      if (both && has_target) fl__fault_why(f, "both directions: the request and its answer are each delayed, %s twice per call", d);
      if (has_jit && jit > 0) fl__fault_why(f, "the jitter has no equivalent: faultline adds a constant latency (the mean is the same)");
      f->value *= scale_for_pods(f, hitset, "latency");
    } else {
      f->kind = "errors";
      f->value = both && has_target ? 1 - (1 - loss) * (1 - loss) : loss;
      fl__fault_why(f, "an approximation: TCP resends lost packets, so loss shows mostly as delays (200ms or more per resend) and fails calls "
                    "only past the caller's timeout; written as errors at the loss rate");
      f->value *= scale_for_pods(f, hitset, "errors");
    }
    if ((rc = set_duration(x, f, err, n))) return rc;
  }
  return 0;
}

/* NetworkChaos delay, loss or netem: latency and errors on the calls between the pods. */
static int net_delay_loss(exp_t *x, net_t *nt, bool is_delay, bool is_loss, bool is_netem, char *err, size_t n) {
  const target_t *s = &nt->s, *tt = &nt->tt;
  bool has_target = nt->has_target;
  bool external = nt->external;
  const char *base = nt->base;
  int rc;
  yaml_node_t *dn = yget(x->doc, x->spec, "delay"), *ln = yget(x->doc, x->spec, "loss");
  char dpath[128], lpath[128];
  snprintf(dpath, sizeof dpath, "%s.delay", x->spath);
  snprintf(lpath, sizeof lpath, "%s.loss", x->spath);
  double lat = 0, jit = 0, loss = 0; bool has_lat = false, has_jit = false, has_loss = false;
  if ((is_delay || is_netem) && dn) {
    if ((rc = fl__cm_read_duration(x, dn, dpath, "latency", &lat, &has_lat, err, n))) return rc;
    if ((rc = fl__cm_read_duration(x, dn, dpath, "jitter", &jit, &has_jit, err, n))) return rc;
  }
  if ((is_loss || is_netem) && ln && (rc = read_percent(x, ln, lpath, "loss", &loss, &has_loss, err, n))) return rc;
  if (is_delay && !has_lat) return fl__imp_err(err, n, x->file, yline(dn ? dn : x->spec), "%s.latency: missing (e.g. latency: \"100ms\")", dpath);
  if (is_loss && !has_loss) return fl__imp_err(err, n, x->file, yline(ln ? ln : x->spec), "%s.loss: missing (e.g. loss: \"25\")", lpath);
  if (external && !has_target) {
    fl_ifault_t *f = new_fault(x, NULL);
    char d[32];
    fl__fmt_dur(d, sizeof d, lat);
    if (has_lat) snprintf(f->what, sizeof f->what, "%s, latency %s", base, d);
    else snprintf(f->what, sizeof f->what, "%s, loss %.4g%%", base, 100 * loss);
    fl__fault_why(f, "it acts only on the traffic toward its externalTargets (addresses outside the cluster): they are outside the model, "
                  "and calls between services are not touched");
    return 0;
  }
  /* the calls hit, as links (caller, callee); without a target, the service itself plus its calls out */
  int nlinks = 0;
  bool guessed_dir = false;
  char (*links)[2][128] = nt->links;
  if (has_target && s->mapped && tt->mapped) {
    bool s_calls = fl__faults_calls(x->fs, s->service, tt->service), t_calls = fl__faults_calls(x->fs, tt->service, s->service);
    if (!x->fs->o->scenario) { s_calls = true; guessed_dir = true; }
    if (s_calls) { snprintf(links[nlinks][0], 128, "%s", s->service); snprintf(links[nlinks][1], 128, "%s", tt->service); nlinks++; }
    if (t_calls) { snprintf(links[nlinks][0], 128, "%s", tt->service); snprintf(links[nlinks][1], 128, "%s", s->service); nlinks++; }
  } else if (!has_target && s->mapped && x->fs->o->scenario) {
    const fl_model_t *m = x->fs->o->scenario;
    for (int k = 0; k < m->nservices && nlinks < 16; k++)
      if (fl__faults_calls(x->fs, s->service, m->services[k].name)) {
        snprintf(links[nlinks][0], 128, "%s", s->service); snprintf(links[nlinks][1], 128, "%s", m->services[k].name); nlinks++;
      }
  }
  nt->lat = lat; nt->jit = jit; nt->loss = loss;
  nt->has_lat = has_lat; nt->has_jit = has_jit; nt->has_loss = has_loss;
  nt->nlinks = nlinks; nt->guessed_dir = guessed_dir;
  for (int pass = 0; pass < 2; pass++)
    if ((rc = net_pass(x, nt, pass == 0, err, n))) return rc;
  if (is_netem) {
    static const char *const others[] = { "duplicate", "corrupt", "rate", "bandwidth", NULL };
    for (int i = 0; others[i]; i++)
      if (yget(x->doc, x->spec, others[i])) {
        fl_ifault_t *f = new_fault(x, NULL);
        snprintf(f->what, sizeof f->what, "%s, %s", base, others[i]);
        fl__fault_why(f, "faultline models no packets: nothing stands for %s", others[i]);
      }
  }
  return 0;
}

/* NetworkChaos partition: the link cut, per call direction. */
static int net_partition(exp_t *x, const net_t *nt, char *err, size_t n) {
  const target_t *s = &nt->s, *tt = &nt->tt;
  bool has_target = nt->has_target;
  bool external = nt->external;
  const char *base = nt->base, *direction = nt->direction;
  int rc;
  if (!has_target) {
    fl_ifault_t *f = new_fault(x, NULL);
    snprintf(f->what, sizeof f->what, "%s", base);
    fl__fault_why(f, external ? "a partition from external targets: they are outside the model" : "a partition needs a target: none given");
    return 0;
  }
  const char *dirs[2][2] = { { NULL, NULL }, { NULL, NULL } };
  int nd = 0;
  if (s->mapped && tt->mapped) {
    bool s_calls = fl__faults_calls(x->fs, s->service, tt->service), t_calls = fl__faults_calls(x->fs, tt->service, s->service);
    if (x->fs->o->scenario) {
      if (s_calls) { dirs[nd][0] = s->service; dirs[nd][1] = tt->service; nd++; }
      if (t_calls) { dirs[nd][0] = tt->service; dirs[nd][1] = s->service; nd++; }
    } else {
      if (strcmp(direction, "from") != 0) { dirs[nd][0] = s->service; dirs[nd][1] = tt->service; nd++; }
      if (strcmp(direction, "to") != 0) { dirs[nd][0] = tt->service; dirs[nd][1] = s->service; nd++; }
    }
  }
  if (nd == 0) {
    fl_ifault_t *f = new_fault(x, NULL);
    snprintf(f->what, sizeof f->what, "%s", base);
    if (!s->mapped) unmapped(x, f, s);
    else if (!tt->mapped) unmapped(x, f, tt);
    else fl__fault_why(f, "%s and %s make no calls to each other in %s: no effect", s->service, tt->service, x->fs->o->scenario->file);
    return 0;
  }
  for (int i = 0; i < nd; i++) {
    char suffix[160];
    snprintf(suffix, sizeof suffix, " (%s->%s)", dirs[i][0], dirs[i][1]);
    fl_ifault_t *f = new_fault(x, nd > 1 ? suffix : NULL);
    snprintf(f->what, sizeof f->what, "%s", base);
    f->kind = "partition";
    snprintf(f->from, sizeof f->from, "%s", dirs[i][0]);
    snprintf(f->target, sizeof f->target, "%s", dirs[i][1]);
    fl__fault_why(f, "faultline's partition drops the calls %s -> %s until the caller gives up", dirs[i][0], dirs[i][1]);
    if (x->fs->o->scenario) fl__fault_why(f, "a TCP connection needs both ways, so whatever the direction, every call between them in %s is cut", x->fs->o->scenario->file);
    else fl__fault_why(f, "a TCP connection needs both ways, so calls the other way are cut too: give --scenario to write those");
    if (strcmp(s->mode, "all") != 0 || strcmp(tt->mode, "all") != 0)
      fl__fault_why(f, "only some pods are cut off (mode %s); faultline's partition cuts the whole link", strcmp(s->mode, "all") ? s->mode : tt->mode);
    if ((rc = set_duration(x, f, err, n))) return rc;
  }
  return 0;
}

/* NetworkChaos: delay, loss, partition between the selected pods and, optionally, a target. */
static int network(exp_t *x, char *err, size_t n) {
  net_t nt;
  memset(&nt, 0, sizeof nt);
  target_t s, tt;
  int rc = read_selector(x, x->spec, x->spath, &s, err, n);
  if (rc) return rc;
  yaml_node_t *target = yget(x->doc, x->spec, "target");
  char tpath[128];
  snprintf(tpath, sizeof tpath, "%s.target", x->spath);
  bool has_target = target != NULL;
  if (has_target && (rc = read_selector(x, target, tpath, &tt, err, n))) return rc;
  const char *action, *direction;
  if ((rc = spec_str(x, x->spec, x->spath, "action", &action, err, n))) return rc;
  if ((rc = spec_str(x, x->spec, x->spath, "direction", &direction, err, n))) return rc;
  if (!action) return fl__imp_err(err, n, x->file, x->line, "%s: missing action (delay, loss, partition, ...)", x->spath);
  if (!direction) direction = "to";
  if (strcmp(direction, "to") != 0 && strcmp(direction, "from") != 0 && strcmp(direction, "both") != 0)
    return fl__imp_err(err, n, x->file, yline(yget(x->doc, x->spec, "direction")), "%s.direction: expected to, from or both, got '%s'", x->spath, direction);
  bool both = strcmp(direction, "both") == 0;
  bool external = yget(x->doc, x->spec, "externalTargets") != NULL;
  char base[640];
  snprintf(base, sizeof base, "NetworkChaos \"%s\": %s of %s%s%s%s%s%s", x->name, action, s.ncand ? s.cand[0] : "?",
           has_target ? " and " : "", has_target ? (tt.ncand ? tt.cand[0] : "?") : "", external ? " (and external targets)" : "",
           has_target ? ", direction " : "", has_target ? direction : "");
  /* which service is the callee of the affected link */
  bool is_delay = strcmp(action, "delay") == 0, is_loss = strcmp(action, "loss") == 0, is_netem = strcmp(action, "netem") == 0;
  nt.s = s; nt.has_target = has_target; nt.both = both; nt.external = external;
  if (has_target) nt.tt = tt;
  nt.action = action; nt.direction = direction;
  snprintf(nt.base, sizeof nt.base, "%s", base);
  if (is_delay || is_loss || is_netem) return net_delay_loss(x, &nt, is_delay, is_loss, is_netem, err, n);
  if (strcmp(action, "partition") == 0) return net_partition(x, &nt, err, n);
  fl_ifault_t *f = new_fault(x, NULL);
  snprintf(f->what, sizeof f->what, "%s", base);
  fl__fault_why(f, "faultline models no packets: nothing stands for the %s action", action);
  return 0;
}

static int pod(exp_t *x, char *err, size_t n) {
  target_t s;
  int rc = read_selector(x, x->spec, x->spath, &s, err, n);
  if (rc) return rc;
  const char *action;
  if ((rc = spec_str(x, x->spec, x->spath, "action", &action, err, n))) return rc;
  if (!action) return fl__imp_err(err, n, x->file, x->line, "%s: missing action (pod-kill, pod-failure, container-kill)", x->spath);
  fl_ifault_t *f = new_fault(x, NULL);
  snprintf(f->what, sizeof f->what, "PodChaos \"%s\": %s of %s, mode %s", x->name, action, s.ncand ? s.cand[0] : "?", s.mode);
  bool failure = strcmp(action, "pod-failure") == 0, kill = strcmp(action, "pod-kill") == 0, ckill = strcmp(action, "container-kill") == 0;
  if (!failure && !kill && !ckill) { fl__fault_why(f, "an unknown PodChaos action"); return 0; }
  if (!s.mapped) { unmapped(x, f, &s); return 0; }
  snprintf(f->target, sizeof f->target, "%s", s.service);
  f->kind = "crash";
  set_instances(f, &s);
  if (failure) {
    fl__fault_why(f, "pod-failure makes the pods unavailable for the duration: a crash of those instances");
    return set_duration(x, f, err, n);
  }
  if (x->fs->o->has_duration) { f->duration = x->fs->o->duration; f->duration_guessed = false; }
  else {
    f->duration = kill ? 30 : 10;
    f->duration_guessed = true;
  }
  fl__fault_why(f, "%s: Kubernetes %s; down until it is ready again, %s", action,
                kill ? "schedules a replacement pod" : "restarts the container in place",
                x->fs->o->has_duration ? "given by --duration" : kill ? "30s (guessed; --duration sets it)" : "10s (guessed; --duration sets it)");
  return 0;
}

/* Two names alike ignoring case and '-' versus '_'. */
static bool same_name(const char *a, const char *b) {
  for (; *a && *b; a++, b++) {
    char ca = *a == '-' ? '_' : (char)tolower((unsigned char)*a), cb = *b == '-' ? '_' : (char)tolower((unsigned char)*b);
    if (ca != cb) return false;
  }
  return !*a && !*b;
}

/* The endpoint of 'svc' in the scenario that a request path names ("/api/products/get": the last
** segment that is one of its endpoints' names), as "svc.endpoint" in out; false when none. */
static bool path_endpoint(const fl_model_t *m, const char *svc, const char *path, char *out, size_t n) {
  const fl_service_t *s = m ? fl_model_find_service(m, svc) : NULL;
  if (!s || !path || s->nendpoints < 2) return false;
  char seg[128];
  for (const char *p = path + strlen(path); p > path;) {
    const char *end = p;
    while (p > path && p[-1] != '/') p--;
    snprintf(seg, sizeof seg, "%.*s", (int)(end - p), p);
    for (int k = 0; seg[0] && k < s->nendpoints; k++)
      if (same_name(seg, s->endpoints[k].name)) { snprintf(out, n, "%s.%s", s->name, s->endpoints[k].name); return true; }
    if (p > path) p--;
  }
  return false;
}

static int http(exp_t *x, char *err, size_t n) {
  target_t s;
  int rc = read_selector(x, x->spec, x->spath, &s, err, n);
  if (rc) return rc;
  const char *abort_s, *tgt, *path, *method, *port;
  if ((rc = spec_str(x, x->spec, x->spath, "abort", &abort_s, err, n))) return rc;
  if ((rc = spec_str(x, x->spec, x->spath, "target", &tgt, err, n))) return rc;
  if ((rc = spec_str(x, x->spec, x->spath, "path", &path, err, n))) return rc;
  if ((rc = spec_str(x, x->spec, x->spath, "method", &method, err, n))) return rc;
  if ((rc = spec_str(x, x->spec, x->spath, "port", &port, err, n))) return rc;
  double delay = 0; bool has_delay;
  if ((rc = fl__cm_read_duration(x, x->spec, x->spath, "delay", &delay, &has_delay, err, n))) return rc;
  bool abort = abort_s && (strcmp(abort_s, "true") == 0 || strcmp(abort_s, "True") == 0);
  if (abort_s && !abort && strcmp(abort_s, "false") != 0 && strcmp(abort_s, "False") != 0)
    return fl__imp_err(err, n, x->file, yline(yget(x->doc, x->spec, "abort")), "%s.abort: expected true or false, got '%s'", x->spath, abort_s);
  char base[300];
  snprintf(base, sizeof base, "HTTPChaos \"%s\" on %s (%s%s%s%s%s)", x->name, s.ncand ? s.cand[0] : "?", tgt ? tgt : "Request",
           method ? " " : "", method ? method : "", path ? " " : "", path ? path : "");
  /* request_headers: a Host naming another service makes the selected pods the client of that
  ** link; X-Forwarded-Host (and other headers) narrow the hit to part of the traffic */
  const char *host = NULL, *fwd = NULL;
  char hdr_other[256] = "";
  yaml_node_t *hdrs = yget(x->doc, x->spec, "request_headers");
  if (hdrs && hdrs->type != YAML_MAPPING_NODE)
    return fl__imp_err(err, n, x->file, yline(hdrs), "%s.request_headers: expected a mapping of header: value, got %s", x->spath, ytype(hdrs));
  for (yaml_node_pair_t *p = hdrs ? hdrs->data.mapping.pairs.start : NULL; p && p < hdrs->data.mapping.pairs.top; p++) {
    const char *k = ystr(yaml_document_get_node(x->doc, p->key)), *v = ystr(yaml_document_get_node(x->doc, p->value));
    if (!k || !v) continue;
    if (strcasecmp(k, "Host") == 0) host = v;
    else if (strcasecmp(k, "X-Forwarded-Host") == 0) fwd = v;
    else { size_t l = strlen(hdr_other); snprintf(hdr_other + l, sizeof hdr_other - l, "%s%s: %s", l ? ", " : "", k, v); }
  }
  char host_svc[128] = "";
  bool host_external = false;
  if (host && s.mapped) {
    char hn[256], label[128];
    snprintf(hn, sizeof hn, "%s", host);
    char *colon = strchr(hn, ':');
    if (colon) *colon = 0;
    char *dot = strchr(hn, '.');
    snprintf(label, sizeof label, "%.*s", dot ? (int)(dot - hn) : (int)strlen(hn), hn);
    size_t hl = strlen(hn);
    bool cluster = !dot || (hl > 4 && strcmp(hn + hl - 4, ".svc") == 0) || strstr(hn, ".svc.") != NULL || (hl > 6 && strcmp(hn + hl - 6, ".local") == 0);
    const char *cands[] = { label, NULL };
    bool mapped = fl__faults_map(x->fs, cands, host_svc, sizeof host_svc);
    host_external = x->fs->o->scenario ? !mapped : !cluster;
    if (host_external) host_svc[0] = 0;
  }
  bool any = false;
  if (abort || has_delay) {
    fl_ifault_t *f = new_fault(x, NULL);
    any = true;
    char d[32];
    fl__fmt_dur(d, sizeof d, delay);
    snprintf(f->what, sizeof f->what, "%s: %s%s%s", base, abort ? "abort" : "", abort && has_delay ? " and " : "", has_delay ? "delay " : "");
    if (has_delay) { size_t l = strlen(f->what); snprintf(f->what + l, sizeof f->what - l, "%s", d); }
    if (host) { size_t l = strlen(f->what); snprintf(f->what + l, sizeof f->what - l, ", Host: %s", host); }
    if (fwd) { size_t l = strlen(f->what); snprintf(f->what + l, sizeof f->what - l, ", X-Forwarded-Host: %s", fwd); }
    bool client_side = host && host_svc[0] && s.mapped && strcmp(host_svc, s.service) != 0;
    if (!s.mapped) unmapped(x, f, &s);
    else if (host && host_external)
      fl__fault_why(f, "Host: %s is %s: %s is the client of a service outside the model, so nothing in it stands for these calls", host,
                    x->fs->o->scenario ? "not a service of the scenario" : "outside the cluster", s.service);
    else {
      snprintf(f->target, sizeof f->target, "%s", client_side ? host_svc : s.service);
      if (client_side) {
        f->link = true;
        snprintf(f->from, sizeof f->from, "%s", s.service);
        fl__fault_why(f, "client side: the Host header names %s, so the experiment hits %s's requests to %s: a fault on that link only", host_svc, s.service, host_svc);
        if (x->fs->o->scenario && !fl__faults_calls(x->fs, s.service, host_svc))
          fl__fault_why(f, "%s makes no call to %s in %s: no effect there", s.service, host_svc, x->fs->o->scenario->file);
      } else if (host) {
        fl__fault_why(f, "server side: the Host header names %s itself", s.service);
      }
      if (abort) {
        f->kind = "errors";
        f->value = 1;
        fl__fault_why(f, "abort cuts the connection: every call fails (as error; faultline's errors fault lets the service do its work first)");
        if (has_delay) fl__fault_why(f, "the delay has no effect: abort comes first and cuts the call short");
        f->value *= scale_for_pods(f, &s, "errors");
      } else {
        f->kind = "latency";
        f->value = delay;
        fl__fault_why(f, "the %s is held back %s: every call to %s takes that much longer", tgt && strcmp(tgt, "Response") == 0 ? "answer" : "request", d, f->target);
        f->value *= scale_for_pods(f, &s, "latency");
      }
      char ep[sizeof f->target];
      if (path && path_endpoint(x->fs->o->scenario, f->target, path, ep, sizeof ep)) {   /* the path names one endpoint */
        fl__fault_why(f, "the path %s is the endpoint %s of %s: the fault hits that endpoint only%s", path, ep, x->fs->o->scenario->file,
                      method ? " (whatever the method)" : "");
        snprintf(f->target, sizeof f->target, "%s", ep);
      } else if (path || method) fl__fault_why(f, "only %s%s%s requests are hit; faultline's fault hits every endpoint of %s%s", method ? method : "", method && path ? " " : "",
                                        path ? path : "", f->target, path && !x->fs->o->scenario ?
                                        " (with --scenario, a path naming one of its endpoints, /api/get for get, makes it a fault on that endpoint)" : "");
      if (fwd) {
        char others[256];
        fl__fault_why(f, "X-Forwarded-Host: %s narrows the hit to requests forwarded by a gateway or proxy for that host; faultline's fault hits "
                      "every call to %s%s%s (change it to from = \"GATEWAY\", to = \"%s\" for the gateway's calls only)", fwd, f->target,
                      fl__faults_other_callers(x->fs, f->target, NULL, others, sizeof others) ? ", here from " : "",
                      fl__faults_other_callers(x->fs, f->target, NULL, others, sizeof others) ? others : "", f->target);
      }
      if (hdr_other[0]) fl__fault_why(f, "only requests with the headers %s are hit; faultline's fault hits every call", hdr_other);
      if ((rc = set_duration(x, f, err, n))) return rc;
    }
  }
  static const char *const others[] = { "replace", "patch", NULL };
  for (int i = 0; others[i]; i++)
    if (yget(x->doc, x->spec, others[i])) {
      fl_ifault_t *f = new_fault(x, NULL);
      any = true;
      snprintf(f->what, sizeof f->what, "%s: %s", base, others[i]);
      fl__fault_why(f, "faultline models no message content: nothing stands for %s", others[i]);
    }
  if (!any) {
    fl_ifault_t *f = new_fault(x, NULL);
    snprintf(f->what, sizeof f->what, "%s", base);
    fl__fault_why(f, "neither abort nor delay: nothing to write");
  }
  return 0;
}

int fl__cm_dispatch(exp_t *x, char *err, size_t n) {
  if (strcmp(x->kind, "NetworkChaos") == 0) return network(x, err, n);
  if (strcmp(x->kind, "PodChaos") == 0) return pod(x, err, n);
  if (strcmp(x->kind, "HTTPChaos") == 0) return http(x, err, n);
  if (strcmp(x->kind, "Workflow") == 0) return fl__cm_workflow(x, err, n);
  fl_ifault_t *f = new_fault(x, NULL);
  snprintf(f->what, sizeof f->what, "%s \"%s\"", x->kind, x->name);
  if (strcmp(x->kind, "StressChaos") == 0) fl__fault_why(f, "CPU or memory stress: try kind = \"slowdown\" with the factor you measured under that stress");
  else fl__fault_why(f, "faultline has no equivalent of %s", x->kind);
  return 0;
}

static int experiment(fl_ifaults_t *fs, yaml_document_t *doc, yaml_node_t *obj, const char *opath, char *err, size_t n) {
  exp_t x;
  memset(&x, 0, sizeof x);
  x.fs = fs; x.doc = doc; x.file = fs->file; x.line = yline(obj);
  if (obj->type != YAML_MAPPING_NODE)
    return fl__imp_err(err, n, x.file, x.line, "%s: expected a Chaos Mesh object (kind, metadata, spec), got %s", opath, ytype(obj));
  yaml_node_t *kn = yget(doc, obj, "kind");
  x.kind = ystr(kn);
  if (!x.kind) return fl__imp_err(err, n, x.file, x.line, "%s: missing kind (NetworkChaos, PodChaos, HTTPChaos, ...)", opath);
  if (strcmp(x.kind, "List") == 0) {
    yaml_node_t *items = yget(doc, obj, "items");
    if (!items || items->type != YAML_SEQUENCE_NODE) return fl__imp_err(err, n, x.file, x.line, "%s: a List needs items", opath);
    int i = 0;
    for (yaml_node_item_t *it = items->data.sequence.items.start; it < items->data.sequence.items.top; it++, i++) {
      char p[96];
      snprintf(p, sizeof p, "%s.items[%d]", opath, i);
      int rc = experiment(fs, doc, yaml_document_get_node(doc, *it), p, err, n);
      if (rc) return rc;
    }
    return 0;
  }
  x.name = ystr(yget(doc, yget(doc, obj, "metadata"), "name"));
  if (!x.name) { snprintf(x.unnamed, sizeof x.unnamed, "%.40s-%d", x.kind, fs->n + 1); x.name = x.unnamed; }
  snprintf(x.origin, sizeof x.origin, "%s:%d", x.file, x.line);
  /* objects of other APIs (a Deployment, a ConfigMap beside the experiment) are not experiments */
  const char *api = ystr(yget(doc, obj, "apiVersion"));
  /* (without an apiVersion, a Chaos Mesh kind is taken at its word: hand-written snippets omit it) */
  bool cm_kind = fl__cm_embed_key(x.kind) != NULL || strcmp(x.kind, "Schedule") == 0;
  if (api ? strncmp(api, "chaos-mesh.org/", 15) != 0 : !cm_kind) {
    fl_ifault_t *f = new_fault(&x, NULL);
    snprintf(f->what, sizeof f->what, "%s \"%s\" (%s)", x.kind, x.name, api ? api : "no apiVersion");
    fl__fault_why(f, "not a Chaos Mesh object (its apiVersion is not chaos-mesh.org/...): skipped");
    return 0;
  }
  x.spec = yget(doc, obj, "spec");
  snprintf(x.spath, sizeof x.spath, "spec");
  if (!x.spec || x.spec->type != YAML_MAPPING_NODE)
    return fl__imp_err(err, n, x.file, x.spec ? yline(x.spec) : x.line, "%s \"%s\": spec: %s", x.kind, x.name, x.spec ? "expected a mapping" : "missing");
  if (strcmp(x.kind, "Schedule") == 0) return fl__cm_schedule(&x, err, n);
  return fl__cm_dispatch(&x, err, n);
}

/* Limits that keep libyaml linear: its scanner walks every open flow level for each token, so
** 30,000 nested '[' (60 KB) took over 10 s to load. Real experiments nest a dozen levels. */
#define MAX_YAML_DEPTH 64
#define MAX_YAML_BYTES (16u << 20)

/* Walks the events (stopping at the first level past the limit, before the scanner has seen
** the rest) and refuses a document nested deeper than MAX_YAML_DEPTH. Syntax errors are left to
** the loader, which reports them. Returns 0 or -FL_EPARSE. */
static int check_depth(const char *path, const char *text, size_t len, char *err, size_t n) {
  yaml_parser_t parser;
  if (!yaml_parser_initialize(&parser)) { snprintf(err, n, "cannot start the YAML parser"); return -FL_ENOMEM; }
  yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
  int depth = 0, rc = 0;
  for (;;) {
    yaml_event_t ev;
    if (!yaml_parser_parse(&parser, &ev)) break;
    yaml_event_type_t t = ev.type;
    int line = (int)ev.start_mark.line + 1;
    yaml_event_delete(&ev);
    if (t == YAML_SEQUENCE_START_EVENT || t == YAML_MAPPING_START_EVENT) {
      if (++depth > MAX_YAML_DEPTH) {
        rc = fl__imp_err(err, n, path, line, "YAML nested more than %d levels deep: not a Chaos Mesh experiment", MAX_YAML_DEPTH);
        break;
      }
    } else if (t == YAML_SEQUENCE_END_EVENT || t == YAML_MAPPING_END_EVENT) {
      depth--;
    } else if (t == YAML_STREAM_END_EVENT) {
      break;
    }
  }
  yaml_parser_delete(&parser);
  return rc;
}

int fl__import_chaos_mesh(const char *path, const char *text, size_t len, fl_ifaults_t *fs, char *err, size_t n) {
  fs->source = "Chaos Mesh experiments";
  if (len > MAX_YAML_BYTES) return fl__imp_err(err, n, path, 0, "%zu bytes of YAML: more than the %u MiB faultline reads", len, MAX_YAML_BYTES >> 20);
  int drc = check_depth(path, text, len, err, n);
  if (drc) return drc;
  yaml_parser_t parser;
  if (!yaml_parser_initialize(&parser)) { snprintf(err, n, "cannot start the YAML parser"); return -FL_ENOMEM; }
  yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
  int rc = 0, ndocs = 0;
  for (;;) {
    yaml_document_t doc;
    if (!yaml_parser_load(&parser, &doc)) {
      rc = fl__imp_err(err, n, path, (int)parser.problem_mark.line + 1, "invalid YAML: %s%s%s", parser.problem ? parser.problem : "unknown error",
                       parser.context ? " " : "", parser.context ? parser.context : "");
      break;
    }
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    if (!root) { yaml_document_delete(&doc); break; }
    char p[32];
    snprintf(p, sizeof p, "document %d", ndocs + 1);
    ndocs++;
    rc = experiment(fs, &doc, root, p, err, n);
    yaml_document_delete(&doc);
    if (rc) break;
  }
  yaml_parser_delete(&parser);
  if (rc == 0 && ndocs == 0) rc = fl__imp_err(err, n, path, 0, "no YAML documents: the file is empty");
  return rc;
}
