/* The terminal summary of a run: per service and per journey counts, throughput, outcome shares,
** latency, utilisation and queue, the health strip over time, closed-loop users, and the
** wall-clock line. */
#include "faultline/report.h"
#include "faultline/units.h"

#include <string.h>

static void dur(double s, char *buf, size_t n) { fl_format_duration(s, buf, n); }

static void causes(const fl_counts_t *c, char *buf, size_t n) {
  size_t w = 0;
  buf[0] = 0;
  for (int k = 1; k < FL_CAUSE__COUNT && w < n; k++)
    if (c->cause[k]) w += (size_t)snprintf(buf + w, n - w, "%s%s %llu", w ? ", " : "", fl_cause_name((fl_cause_t)k), (unsigned long long)c->cause[k]);
}

static void row(FILE *out, const char *name, const fl_counts_t *c, const fl_rates_t *o, const fl_hist_t *h, bool color, const char *extra) {
  char p50[16], p90[16], p99[16], mx[16], cz[256];
  static const double qs[3] = { 0.5, 0.9, 0.99 };
  int64_t qv[3];
  fl_hist_quantiles(h, qs, 3, qv);   /* one scan for the three */
  dur(fl_time_to_sec(qv[0]), p50, sizeof p50);
  dur(fl_time_to_sec(qv[1]), p90, sizeof p90);
  dur(fl_time_to_sec(qv[2]), p99, sizeof p99);
  dur(h->count ? fl_time_to_sec(h->max) : 0, mx, sizeof mx);
  double ok = 100 * o->ok_ratio, dg = 100 * o->degraded_ratio, fl = 100 * o->failure_ratio;
  const char *on = "", *off = "";
  if (color) { on = fl >= 5 ? "\033[31m" : (fl > 0 || dg > 0) ? "\033[33m" : "\033[32m"; off = "\033[0m"; }
  causes(c, cz, sizeof cz);
  fprintf(out, "  %-22s %10llu %9.1f %s%7.2f%% %7.2f%% %7.2f%%%s %8s %8s %8s %8s",
          name, (unsigned long long)c->arrivals, o->throughput, on, ok, dg, fl, off, p50, p90, p99, mx);
  fputs(extra, out);
  if (cz[0]) fprintf(out, "  %s", cz);
  fputc('\n', out);
}

static void summary(FILE *out, const void *sp, const void *runp, bool color) {
  const fl_sim_t *s = sp;
  const fl_run_info_t *run = runp;
  const fl_model_t *m = s->m;
  fl_metrics_t x;
  fl_metrics_init(&x, s);
  double secs = x.measured;
  char d1[16], d2[16];
  dur(secs, d1, sizeof d1);
  dur(fl_time_to_sec(s->warmup), d2, sizeof d2);
  fprintf(out, "%s — %s, seed %llu: %s measured after %s warm-up%s\n", m->name, m->file,
          (unsigned long long)m->seed, d1, d2, s->complete ? "" : " (stopped early: partial results)");
  fprintf(out, "\nservices                 arrivals    answ/s       ok degraded   failed      p50      p90      p99      max   util  queue mean/max  failures\n");
  for (int i = 0; i < m->nservices; i++) {
    const fl_svc_rt_t *r = &s->svc[i];
    char extra[64];
    snprintf(extra, sizeof extra, " %5.1f%% %8.1f/%-6lld", 100 * x.svc[i].utilization, x.svc[i].queue_mean, (long long)r->queue_max);
    fl_hist_t scratch;   /* the total with the latencies it has not taken in yet */
    row(out, m->services[i].name, &r->st.total, &x.svc[i].out, fl_sim_service_latency(s, i, &scratch), color, extra);
  }
  /* the health strip: one character per stretch of windows, the worst state in it */
  uint32_t nw = s->wdone;
  if (nw > 1) {
    int width = nw < 72 ? (int)nw : 72;
    char a[32], b[32];
    dur(0, a, sizeof a); dur(fl_time_to_sec((fl_time_t)nw * s->window), b, sizeof b);
    fprintf(out, "\nhealth over time (%s to %s; %s)\n", a, b,
            color ? "green ok, yellow degraded, red down" : ". ok, - degraded, X down");
    for (int i = 0; i < m->nservices; i++) {
      fprintf(out, "  %-22s ", m->services[i].name);
      const double *h = s->svc[i].st.series[FL_SER_HEALTH];
      uint32_t ne = fl_sim_entries(s);   /* entries: windows, or consolidated spans (worst state of theirs) */
      for (int c = 0; c < width; c++) {
        uint32_t w0 = (uint32_t)((uint64_t)c * ne / (uint32_t)width), w1 = (uint32_t)((uint64_t)(c + 1) * ne / (uint32_t)width);
        if (w1 <= w0 && w0 < ne) w1 = w0 + 1;
        int worst = 0;
        for (uint32_t w = w0; w < w1 && w < ne; w++) if (h[w] > worst) worst = (int)h[w];
        if (color) fputs(worst == 2 ? "\033[31m█\033[0m" : worst == 1 ? "\033[33m▆\033[0m" : "\033[32m▁\033[0m", out);
        else fputc(worst == 2 ? 'X' : worst == 1 ? '-' : '.', out);
      }
      fputc('\n', out);
    }
  }
  fprintf(out, "\njourneys                 arrivals    answ/s       ok degraded   failed      p50      p90      p99      max  failures\n");
  for (int j = 0; j < m->njourneys; j++) {
    row(out, m->journeys[j].name, &s->jrn[j].st.total, &x.jrn[j], s->jrn[j].st.htotal, color, "");
  }
  for (int j = 0; j < m->njourneys; j++) {   /* multi-step journeys: the sessions' own time */
    const fl_hist_t *h = s->jrn[j].hsess_total;
    if (!h) continue;
    char p50[16], p99[16], slo[32] = "";
    dur(fl_time_to_sec(fl_hist_quantile(h, 0.5)), p50, sizeof p50);
    dur(fl_time_to_sec(fl_hist_quantile(h, 0.99)), p99, sizeof p99);
    if (m->journeys[j].session_slo > 0) { char v[16]; dur(m->journeys[j].session_slo, v, sizeof v); snprintf(slo, sizeof slo, ", session_slo %s", v); }
    if (h->count) fprintf(out, "  %-22s sessions answered whole: %llu, time p50 %s, p99 %s (think times excluded%s)\n", m->journeys[j].name,
                          (unsigned long long)h->count, p50, p99, slo);
    else fprintf(out, "  %-22s sessions answered whole: 0, time n/a%s\n", m->journeys[j].name, slo);
  }
  if (m->has_users) {   /* closed-loop users: how many, and how much each sent */
    const fl_users_rt_t *u = &s->users;
    char th[16];
    dur(u->thinks ? u->think_s / (double)u->thinks : 0, th, sizeof th);
    double umean = fl_sim_users_mean(s);
    fprintf(out, "\nusers: %d at most, %.1f on average, %llu started; %llu sessions, %llu requests: %.1f per user, %.3f/s per user; think %s mean\n",
            u->max, umean, (unsigned long long)u->started, (unsigned long long)u->sessions, (unsigned long long)u->requests,
            u->seen ? (double)u->requests / (double)u->seen : 0, umean > 0 && secs > 0 ? (double)u->requests / secs / umean : 0, th);
  }
  if (run) {
    char wall[32];
    fl_format_wall(run->wall_seconds, wall, sizeof wall);
    fprintf(out, "\nrun: %s wall, %llu events (%.2fM events/s), %llu requests (%.2fM requests/s), peak %.0f MB\n",
            wall, (unsigned long long)run->events,
            run->wall_seconds > 0 ? (double)run->events / run->wall_seconds / 1e6 : 0,
            (unsigned long long)s->requests, run->wall_seconds > 0 ? (double)s->requests / run->wall_seconds / 1e6 : 0,
            run->peak_rss_mb);
  }
  fl_metrics_release(&x);
}

void fl_report_summary(FILE *out, const fl_sim_t *s, const fl_run_info_t *run, bool color) { fl__report_gated(out, color, summary, s, run); }
