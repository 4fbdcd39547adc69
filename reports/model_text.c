/* The resolved model as `faultline check` prints it: each service with its endpoints and calls
** (timeouts, retries, breakers, bulkheads, hedges, caches), the traffic and the journeys. */
#include "faultline/report.h"
#include "faultline/units.h"

static void dur(double s, char *buf, size_t n) { fl_format_duration(s, buf, n); }

static void profile_text(const fl_profile_t *p, char *buf, size_t n) {
  char a[32], b[32], c[32], x[256], y[256];
  switch (p->kind) {
  case FL_PROFILE_CONST: snprintf(buf, n, "%g/s constant", p->value); break;
  case FL_PROFILE_SURGE:
    dur(p->start, a, sizeof a); dur(p->ramp, b, sizeof b);
    if (p->hold < 1e11) {
      char d[32];
      dur(p->hold, c, sizeof c); dur(p->decay, d, sizeof d);
      snprintf(buf, n, "surge %g/s -> %g/s from %s over %s, held %s, back over %s", p->base, p->peak, a, b, c, d);
    }
    else snprintf(buf, n, "surge %g/s -> %g/s from %s over %s", p->base, p->peak, a, b);
    break;
  case FL_PROFILE_PIECEWISE: snprintf(buf, n, "piecewise, %d points", p->npoints); break;
  case FL_PROFILE_DIURNAL:
    dur(p->peak_at, a, sizeof a); dur(p->period, b, sizeof b);
    snprintf(buf, n, "diurnal %g/s ±%.0f%%, peak at %s every %s", p->mean, 100 * p->amplitude, a, b);
    break;
  case FL_PROFILE_FLASH:
    dur(p->at, a, sizeof a); dur(p->rise, b, sizeof b); dur(p->hold, c, sizeof c);
    snprintf(buf, n, "flash x%g at %s (rise %s, hold %s)", p->factor, a, b, c);
    break;
  case FL_PROFILE_SUM: case FL_PROFILE_PRODUCT:
    profile_text(p->a, x, sizeof x); profile_text(p->b, y, sizeof y);
    snprintf(buf, n, "(%.200s) %s (%.200s)", x, p->kind == FL_PROFILE_SUM ? "+" : "x", y);
    break;
  case FL_PROFILE_REPLAY: snprintf(buf, n, "replay of %d request timestamps", p->ntimes); break;
  }
}

static void model_text(FILE *out, const void *mp, const void *unused, bool color) {
  const fl_model_t *m = mp;
  (void)unused; (void)color;
  char a[32], b[32], c[32];
  dur(m->duration, a, sizeof a); dur(m->window, b, sizeof b); dur(m->warmup, c, sizeof c);
  fprintf(out, "scenario \"%s\" (%s): duration %s, window %s, warm-up %s, seed %llu\n", m->name, m->file, a, b, c,
          (unsigned long long)m->seed);
  for (int i = 0; i < m->nservices; i++) {
    const fl_service_t *s = &m->services[i];
    char q[32];
    if (s->queue == INT64_MAX) snprintf(q, sizeof q, "unbounded"); else snprintf(q, sizeof q, "%lld", (long long)s->queue);
    fprintf(out, "service %s: %d instance%s x %d worker%s, queue %s, %s, %s", s->name, s->instances, s->instances == 1 ? "" : "s", s->workers, s->workers == 1 ? "" : "s", q,
            fl_balancer_name(s->balancer), s->blocking ? "blocking" : "non-blocking");
    if (s->group) fprintf(out, ", group %s%s", s->group, s->group_set ? "" : " (from its name)");
    if (s->cores > 0) fprintf(out, ", %d cores per instance", s->cores);
    if (s->overflow != FL_OVERFLOW_REJECT) fprintf(out, ", a full room %ss", fl_overflow_name(s->overflow));
    if (s->error_rate > 0) fprintf(out, ", error_rate %g", s->error_rate);
    if (s->slo > 0) { dur(s->slo, a, sizeof a); fprintf(out, ", slo %s", a); }
    if (s->rate_limit > 0) fprintf(out, ", rate limit %g/s (burst %g)", s->rate_limit, s->rate_burst);
    if (s->shed_after > 0) { dur(s->shed_after, a, sizeof a); fprintf(out, ", sheds past %s", a); }
    if (s->outlier.consecutive_errors) fprintf(out, ", ejects after %d errors", s->outlier.consecutive_errors);
    if (s->autoscale.on) {
      dur(s->autoscale.delay, a, sizeof a);
      fprintf(out, ", autoscale %d-%d on %s %g (ready after %s)", s->autoscale.min, s->autoscale.max, fl_scale_metric_name(s->autoscale.metric), s->autoscale.target, a);
    }
    if (s->broker) {
      fprintf(out, ", broker to");
      for (int k = 0; k < s->nconsumers; k++) fprintf(out, " %s", s->consumers[k]->full_name);
    }
    fputc('\n', out);
    for (int k = 0; k < s->nendpoints; k++) {
      const fl_endpoint_t *ep = &s->endpoints[k];
      char w[160];
      fl_dist_format(&ep->work, w, sizeof w);
      fprintf(out, "  %s: work %s", ep->full_name, w);
      if (ep->error_rate >= 0) fprintf(out, ", error_rate %g", ep->error_rate);
      fputc('\n', out);
      for (int st = 0; st < ep->nsteps; st++) {
        const fl_step_t *stp = &ep->steps[st];
        for (int ci = 0; ci < stp->count; ci++) {
          const fl_call_t *call = &ep->calls[stp->first + ci];
          fprintf(out, "    %s %s", stp->parallel ? (ci == 0 ? "╥" : "║") : "→", fl_call_target_label(call));
          if (call->timeout > 0) { dur(fl_time_to_sec(call->timeout), a, sizeof a); fprintf(out, " timeout %s", a); }
          if (call->connect_timeout != FL_DEFAULT_CONNECT_TIMEOUT) { dur(fl_time_to_sec(call->connect_timeout), a, sizeof a); fprintf(out, " connect_timeout %s", a); }
          if (call->optional) { dur(fl_time_to_sec(call->fallback), a, sizeof a); fprintf(out, " optional (fallback %s)", a); }
          if (call->ignore_errors) fprintf(out, " ignore_errors");
          if (call->p < 1) fprintf(out, " p %g", call->p);
          if (call->async) fprintf(out, " async");
          if (call->cache_hit > 0) { dur(call->cache_warmup, a, sizeof a); fprintf(out, " cache %g%% (warm-up %s)", 100 * call->cache_hit, a); }
          if (call->retries) {
            dur(fl_time_to_sec(call->backoff_base), a, sizeof a); dur(fl_time_to_sec(call->backoff_max), b, sizeof b);
            fprintf(out, " retries %d (backoff %s x%g up to %s, jitter %s)", call->retries, a, call->backoff_mult, b, fl_jitter_name(call->jitter));
            if (call->budget_ratio > 0) fprintf(out, " budget %g%% min %g/s", 100 * call->budget_ratio, call->budget_min);
          }
          if (call->breaker.on) {
            dur(fl_time_to_sec(call->breaker.open_for), a, sizeof a);
            fprintf(out, " breaker %g%% of %d (min %d), open %s, %d half-open", 100 * call->breaker.failure_rate, call->breaker.window,
                    call->breaker.min_calls, a, call->breaker.half_open_calls);
          }
          if (call->nwhen) { char sel[512]; fl_report_where_text(m, call->when, call->nwhen, sel, sizeof sel); fprintf(out, " when %s", sel); }
          if (call->count) { char d[200]; fprintf(out, " count %s", fl_call_count_format(call, d, sizeof d)); }
          for (int g = 0; g < call->nitems; g++) {
            char d[1024];
            fprintf(out, "%s%s = %s", g ? ", " : " per item ", m->attr_keys[call->items[g].key].name, fl_attr_gen_format(&call->items[g], m, d, sizeof d));
          }
          if (call->bulkhead) fprintf(out, " bulkhead %d", call->bulkhead);
          if (call->deadline) fprintf(out, " deadline");
          if (call->hedge.on) {
            if (call->hedge.quantile > 0) fprintf(out, " hedge after p%g", 100 * call->hedge.quantile);
            else { dur(fl_time_to_sec(call->hedge.after), a, sizeof a); fprintf(out, " hedge after %s", a); }
          }
          fputc('\n', out);
        }
      }
    }
  }
  char prof[512];
  profile_text(&m->rate, prof, sizeof prof);
  fprintf(out, "traffic: %s\n", prof);
  if (m->has_users) {   /* closed-loop users: a count, or stages (up to 8 shown) */
    char th[128];
    const fl_profile_t *u = &m->users;
    fl_dist_format(&m->users_think, th, sizeof th);
    if (u->kind == FL_PROFILE_CONST) fprintf(out, "  users: %g (closed loop)", u->value);
    else {
      fprintf(out, "  users (closed loop), stages:");
      for (int k = 0; k < u->npoints && k < 8; k++) { dur(u->pt[k], a, sizeof a); fprintf(out, "%s %g at %s", k ? "," : "", u->pr[k], a); }
      if (u->npoints > 8) fprintf(out, ", ... (%d points)", u->npoints);
    }
    fprintf(out, ", thinking %s between sessions", th);
    if (m->spawn_rate > 0) fprintf(out, ", started at most %g/s", m->spawn_rate);
    fputc('\n', out);
  }
  for (int g = 0; g < m->nattrs; g++) {   /* request attributes, drawn as a session starts */
    char d[1024];
    fprintf(out, "%s%s = %s", g ? ", " : "  attributes: ", m->attr_keys[m->attrs[g].key].name, fl_attr_gen_format(&m->attrs[g], m, d, sizeof d));
    if (g + 1 == m->nattrs) fputc('\n', out);
  }
  if (m->client_timeout > 0 || m->client_retries > 0) {
    dur(m->client_timeout, a, sizeof a); dur(m->client_think, b, sizeof b);
    fprintf(out, "  clients give up after %s, refresh %d times after %s\n", a, m->client_retries, b);
  }
  for (int k = 0; k < m->nmix_at; k++) {   /* the mix's timed changes */
    const fl_mix_at_t *x = &m->mix_at[k];
    dur(x->at, a, sizeof a);
    fprintf(out, "  mix from %s:", a);
    for (int j = 0; j < m->njourneys; j++) fprintf(out, "%s %s %.4g%%", j ? "," : "", m->journeys[j].name, x->share ? 100 * x->share[j] : 0);
    fputc('\n', out);
  }
  for (int j = 0; j < m->njourneys; j++) {
    const fl_journey_t *jn = &m->journeys[j];
    fprintf(out, "  journey %s: %.4g%%", jn->name, 100 * jn->share);
    if (jn->nsteps > 1) {
      for (int k = 0; k < jn->nsteps; k++) fprintf(out, "%s%s", k ? (jn->cont[k - 1] < 1 ? " →? " : " → ") : ": ", jn->steps[k]->full_name);
    }
    fputc('\n', out);
  }
}

void fl_report_model(FILE *out, const fl_model_t *m) { fl__report_gated(out, false, model_text, m, NULL); }
