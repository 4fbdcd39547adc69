/* Cascades as the report and the terminal show them: the health timeline, and per fault the
** chain of changes it set off, the services and journeys it reached, its first hit, recovery,
** the journeys' success before, during and after it, the effects along its chain and the faults
** it overlaps (worked out in sim/analysis/cascade.c). */
#include "faultline/report.h"
#include "faultline/units.h"

#include <cJSON.h>

static void add_num(cJSON *o, const char *k, double v) { cJSON_AddItemToObject(o, k, cJSON_CreateNumber(v)); }
static void add_time_or_null(cJSON *o, const char *k, fl_time_t t) {
  if (t >= 0) add_num(o, k, fl_time_to_sec(t)); else cJSON_AddNullToObject(o, k);
}

static cJSON *phase_json(const fl_phase_t *p) {
  cJSON *o = cJSON_CreateObject();
  add_num(o, "requests", (double)p->out.answered);
  add_num(o, "success_rate", p->out.success_ratio);
  add_num(o, "degraded_rate", p->out.degraded_ratio);
  add_num(o, "p99", p->p99);
  return o;
}

static const char *effect_subject(const fl_sim_t *s, const fl_effect_t *e) {
  return e->service >= 0 ? s->m->services[e->service].name : s->m->journeys[e->journey].name;
}

static cJSON *effect_json(const fl_sim_t *s, const fl_effect_t *e) {
  cJSON *o = cJSON_CreateObject();
  const fl_service_t *sv = e->service >= 0 ? &s->m->services[e->service] : NULL;
  cJSON_AddStringToObject(o, "subject", effect_subject(s, e));
  cJSON_AddStringToObject(o, "of", !sv ? "journey" : sv->broker ? "broker" : "service");
  cJSON_AddStringToObject(o, "measure", fl_effect_kind_name(e->kind));
  add_num(o, "before", e->before);
  add_num(o, "during", e->during);
  add_num(o, "peak", e->peak);
  if (e->kind == FL_EFFECT_P99 && e->before > 0) add_num(o, "ratio", e->during / e->before);
  cJSON_AddBoolToObject(o, "changed_state", e->changed_state);
  if (e->shared >= 0) cJSON_AddStringToObject(o, "shared_with", s->m->faults[e->shared].name);
  else cJSON_AddNullToObject(o, "shared_with");
  return o;
}

/* "db p99 x3.0 (12ms -> 36ms)" style text of one effect into buf. */
static void effect_text(const fl_sim_t *s, const fl_effect_t *e, char *buf, size_t n) {
  const char *name = effect_subject(s, e), *pre = e->service >= 0 ? "" : "journey ";
  char b[32], d[32];
  switch (e->kind) {
  case FL_EFFECT_P99:
    fl_format_duration(e->before, b, sizeof b);
    if (e->before > 0 && e->during >= 2 * e->before) {
      fl_format_duration(e->during, d, sizeof d);
      snprintf(buf, n, "%s%s p99 ×%.*f (%s → %s)", pre, name, e->during / e->before >= 10 ? 0 : 1, e->during / e->before, b, d);
    } else {
      fl_format_duration(e->during - e->before, d, sizeof d);
      snprintf(buf, n, "%s%s p99 +%s (from %s)", pre, name, d, b);
    }
    break;
  case FL_EFFECT_SUCCESS:
    snprintf(buf, n, "%s%s success %.1f%% → %.1f%%", pre, name, 100 * e->before, 100 * e->during);
    break;
  default:
    snprintf(buf, n, "%s lag %.0f messages (was %.0f)", name, e->during, e->before);
    break;
  }
}

cJSON *fl_report_fault_cascade_json(const fl_sim_t *s, const fl_cascade_t *c, int f) {
  const fl_model_t *m = s->m;
  const fl_fault_t *ft = &m->faults[f];
  const fl_fault_cascade_t *fc = &c->fault[f];
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "fault", ft->name);
  cJSON_AddStringToObject(o, "kind", fl_fault_kind_name(ft->kind));
  cJSON_AddStringToObject(o, "target", ft->target->name);
  if (ft->endpoint) cJSON_AddStringToObject(o, "endpoint", ft->endpoint->name);
  if (ft->from) { cJSON_AddStringToObject(o, "from", ft->from->name); cJSON_AddStringToObject(o, "to", fl_fault_target_label(ft)); }
  add_num(o, "start", ft->at);
  add_time_or_null(o, "end", fc->end);
  cJSON *chain = cJSON_AddArrayToObject(o, "chain");
  for (int h = 0; h < fc->nhits; h++) {
    cJSON *e = fl_report_change_json(s, fc->hits[h].change);
    add_num(e, "delay", fc->hits[h].delay);
    add_time_or_null(e, "recovered", fc->hits[h].recovered);
    cJSON_AddItemToArray(chain, e);
  }
  cJSON *svcs = cJSON_AddArrayToObject(o, "services");
  for (int k = 0; k < fc->nservices; k++) cJSON_AddItemToArray(svcs, cJSON_CreateString(m->services[fc->services[k]].name));
  cJSON *jrns = cJSON_AddArrayToObject(o, "journeys");
  for (int k = 0; k < fc->njourneys; k++) cJSON_AddItemToArray(jrns, cJSON_CreateString(m->journeys[fc->journeys[k]].name));
  add_time_or_null(o, "first_hit", fc->first_hit);
  add_time_or_null(o, "recovered", fc->recovered);
  cJSON *imp = cJSON_AddObjectToObject(o, "impact");
  for (int j = 0; j < m->njourneys; j++) {
    cJSON *jo = cJSON_AddObjectToObject(imp, m->journeys[j].name);
    cJSON_AddItemToObject(jo, "before", phase_json(&fc->impact[j * 3 + 0]));
    cJSON_AddItemToObject(jo, "during", phase_json(&fc->impact[j * 3 + 1]));
    cJSON_AddItemToObject(jo, "after", phase_json(&fc->impact[j * 3 + 2]));
  }
  cJSON *fx = cJSON_AddArrayToObject(o, "effects");
  for (int k = 0; k < fc->neffects; k++) cJSON_AddItemToArray(fx, effect_json(s, &fc->effects[k]));
  cJSON *ov = cJSON_AddArrayToObject(o, "overlaps");
  for (int k = 0; k < fc->noverlaps; k++) cJSON_AddItemToArray(ov, cJSON_CreateString(m->faults[fc->overlaps[k]].name));
  return o;
}

cJSON *fl_report_timeline_entry_json(const fl_sim_t *s, const fl_cascade_t *c, int oi) {
  int i = c->order[oi];
  cJSON *e = fl_report_change_json(s, i);
  if (c->flap[i] >= 0) {   /* a flapping subject: its first change carries the episode, the rest are folded */
    const fl_flap_t *fp = &c->flaps[c->flap[i]];
    if (fp->first == i) {
      cJSON *ep = cJSON_AddObjectToObject(e, "episode");
      add_num(ep, "flaps", fp->flaps);
      add_num(ep, "changes", fp->changes);
      add_num(ep, "first", fl_time_to_sec(fp->t0));
      add_num(ep, "last", fl_time_to_sec(fp->t1));
      cJSON_AddStringToObject(ep, "worst", fl_health_name(fp->worst));
      cJSON_AddStringToObject(ep, "ends", fl_health_name(fp->last));
    } else {
      add_num(e, "folded", fl_time_to_sec(fp->t0));
    }
  }
  return e;
}

cJSON *fl_report_timeline_json(const fl_sim_t *s, const fl_cascade_t *c) {
  fl_cascade_t own;
  if (!c) { fl_cascade_init(&own, s); c = &own; }
  cJSON *a = cJSON_CreateArray();
  for (int oi = 0; oi < c->nchanges; oi++) cJSON_AddItemToArray(a, fl_report_timeline_entry_json(s, c, oi));
  if (c == &own) fl_cascade_release(&own);
  return a;
}

cJSON *fl_report_cascade_json(const fl_sim_t *s, const fl_cascade_t *c) {
  cJSON *a = cJSON_CreateArray();
  for (int f = 0; f < s->m->nfaults; f++) cJSON_AddItemToArray(a, fl_report_fault_cascade_json(s, c, f));
  return a;
}

void fl_report_cascade_lines(FILE *out, const fl_sim_t *s, const fl_cascade_t *c, bool color) {
  const fl_model_t *m = s->m;
  const char *red = color ? "\033[31m" : "", *yel = color ? "\033[33m" : "", *grn = color ? "\033[32m" : "", *off = color ? "\033[0m" : "";
  if (s->nchanges) {
    fprintf(out, "\nhealth timeline\n");
    for (int oi = 0; oi < c->nchanges; oi++) {
      int i = c->order[oi];
      const fl_change_t *ch = &s->changes[i];
      const fl_flap_t *fp = c->flap[i] >= 0 ? &c->flaps[c->flap[i]] : NULL;
      if (fp && fp->first != i) continue;   /* folded into its episode's line */
      char t[32];
      fl_report_time(m, fl_time_to_sec(ch->t), t, sizeof t);
      fl_health_t to = fp ? fp->worst : ch->to;
      const char *col = to == FL_HEALTH_DOWN ? red : to == FL_HEALTH_DEGRADED ? yel : grn;
      if (fp) {
        char t1[32];
        fl_report_time(m, fl_time_to_sec(fp->t1), t1, sizeof t1);
        fprintf(out, "  t=%-7s %s%s %s ⇄ %s%s%s  flapping: left %s %d times, %d changes to t=%s, back %s; first %s", t,
                ch->service >= 0 ? "" : "journey ", fl_change_subject(s, ch), fl_health_name(fp->base), col, fl_health_name(to), off,
                fl_health_name(fp->base), fp->flaps, fp->changes, t1, fl_health_name(fp->last), ch->reason);
      } else {
        fprintf(out, "  t=%-7s %s%s %s → %s%s%s  %s", t, ch->service >= 0 ? "" : "journey ", fl_change_subject(s, ch),
                fl_health_name(ch->from), col, fl_health_name(ch->to), off, ch->reason);
      }
      if (ch->parent >= 0) fprintf(out, " ← %s", fl_change_subject(s, &s->changes[ch->parent]));
      fputc('\n', out);
    }
    if (s->changes_dropped)
      fprintf(out, "  ... and %llu changes past the first %d, not listed (a flapping subject's line counts them)\n",
              (unsigned long long)s->changes_dropped, FL_CHANGES_MAX);
  }
  for (int f = 0; f < m->nfaults; f++) {
    const fl_fault_t *ft = &m->faults[f];
    const fl_fault_cascade_t *fc = &c->fault[f];
    char t[32];
    fl_report_time(m, ft->at, t, sizeof t);
    char what[192];
    fprintf(out, "\ncascade of fault '%s' (%s at t=%s):", ft->name, fl_fault_describe(ft, what, sizeof what), t);
    for (int e = 0; e < fc->nepisodes; e++) {   /* a subject that flapped is one entry */
      const fl_episode_t *ep = &fc->episodes[e];
      const fl_change_t *ch = &s->changes[fc->hits[ep->hit].change];
      fl_report_time(m, fl_time_to_sec(ch->t), t, sizeof t);
      fprintf(out, "%s t=%s %s%s %s", e ? " →" : "", t, ch->service >= 0 ? "" : "journey ", fl_change_subject(s, ch), fl_health_name(ch->to));
      if (ep->count > 1) {
        fl_report_time(m, fl_time_to_sec(ep->last), t, sizeof t);
        fprintf(out, " (%d times, the last at t=%s)", ep->count, t);
      }
    }
    if (!fc->nhits) fprintf(out, " no service changed state");
    fputc('\n', out);
    if (fc->noverlaps) {
      fprintf(out, "  overlaps");
      for (int k = 0; k < fc->noverlaps; k++) fprintf(out, "%s '%s'", k ? "," : "", m->faults[fc->overlaps[k]].name);
      fprintf(out, ": effects reached by both are marked (shared)\n");
    }
    if (fc->neffects) {
      fprintf(out, "  effects:");
      for (int k = 0; k < fc->neffects; k++) {
        char e[192];
        effect_text(s, &fc->effects[k], e, sizeof e);
        fprintf(out, "%s %s%s", k ? "," : "", e, fc->effects[k].shared >= 0 ? " (shared)" : "");
      }
      fputc('\n', out);
    }
    for (int j = 0; j < m->njourneys; j++) {
      const fl_phase_t *ph = &fc->impact[j * 3];
      double sr[3];
      for (int p = 0; p < 3; p++) sr[p] = 100 * ph[p].out.success_ratio;
      fprintf(out, "  %-22s success before %6.2f%%  during %s%6.2f%%%s  after %6.2f%%\n", m->journeys[j].name, sr[0],
              sr[1] < 99 ? red : "", sr[1], sr[1] < 99 ? off : "", sr[2]);
    }
  }
}
