/* Traffic: journeys' open-loop arrivals (a Poisson process thinned to the rate profile), the
** replay of a trace of timestamps, and each user's session: its steps, the client's timeout,
** refreshes and think time, and the journey's outcome when the session ends. */
#include "run_int.h"

#include <string.h>

/* Thinning: the rate bound is recomputed over intervals of this length. */
#define HORIZON (10 * FL_SEC)

/* ---- arrivals ---- */

/* Next arrival of journey j after 'now' by thinning a Poisson process of rate
** share x profile, with the bound recomputed over HORIZON-long intervals. */
static fl_time_t next_arrival(fl_sim_t *s, int j, fl_time_t now) {
  fl_jrn_rt_t *jr = &s->jrn[j];
  double share = s->m->journeys[j].share;
  fl_time_t t = now;
  for (;;) {
    if (t >= s->end) return FL_TIME_MAX;
    if (t >= jr->horizon_end) {
      jr->horizon_end = t + HORIZON;
      jr->bound = share * fl_profile_max(&s->m->rate, fl_time_to_sec(t), fl_time_to_sec(jr->horizon_end));
    }
    if (jr->bound <= 0) { t = jr->horizon_end; continue; }
    double gap = fl_rng_exp(&jr->rng) / jr->bound;
    fl_time_t cand = t + (fl_time_t)(gap * 1e9 + 0.5);
    if (gap * 1e9 >= (double)(jr->horizon_end - t)) { t = jr->horizon_end; continue; }
    t = cand;
    double rate = share * fl_profile_rate(&s->m->rate, fl_time_to_sec(t));
    if (rate >= jr->bound || fl_rng_uniform(&jr->rng) * jr->bound < rate) return t;
  }
}

/* ---- sessions ---- */

static fl_session_t *sess_alloc(fl_sim_t *s) {
  if (!s->free_sess) {
    sess_chunk_t *ch = fl_xmalloc(sizeof *ch);
    ch->next = s->sess_chunks; s->sess_chunks = ch;
    for (int i = CHUNK_SESS - 1; i >= 0; i--) { ch->v[i].next = s->free_sess; s->free_sess = &ch->v[i]; }
  }
  fl_session_t *x = s->free_sess;
  s->free_sess = x->next;
  memset(x, 0, sizeof *x);
  return x;
}

/* Sends the session's current step (again, after a refresh). */
static void session_send(fl_sim_t *s, fl_session_t *x) {
  const fl_journey_t *jn = &s->m->journeys[x->journey];
  fl_req_t *q = fl__req_alloc(s);
  q->ep = jn->steps[x->step];
  q->journey = x->journey;
  q->sess = x;
  if (s->m->nattr_keys) memcpy(q->attr, x->attr, sizeof q->attr);
  if (x->attempt == 0) x->step_sent = s->eng.now;
  if (s->m->client_timeout > 0) fl_engine_schedule(&s->eng, &q->tmo, fl_sec_to_time(s->m->client_timeout));
  fl__send(s, q);
}

static void on_session_timer(fl_engine_t *e, fl_event_t *ev) {
  session_send(SIM(e), container_of(ev, fl_session_t, ev));
}

static fl_time_t think_time(fl_sim_t *s, double mean) {
  return mean > 0 ? (fl_time_t)(fl_rng_exp(&s->rng_client) * mean * 1e9) : 0;
}

static void session_end(fl_sim_t *s, fl_session_t *x, fl_outcome_t out, fl_cause_t cause, int origin) {
  fl_jrn_rt_t *jr = &s->jrn[x->journey];
  jr->inflight--;
  fl_stats_t *st = &jr->st;
  switch (out) {
  case FL_OUT_SUCCESS: st->win.successes++; if (x->measured) st->total.successes++; break;
  case FL_OUT_DEGRADED:
    st->win.degraded++; if (x->measured) st->total.degraded++;
    if (origin >= 0 && jr->deg_from) fl__journey_from(jr, jr->deg_from, origin);
    break;
  case FL_OUT_FAILURE:
    st->win.failures++; st->win.cause[cause]++;
    if (x->measured) { st->total.failures++; st->total.cause[cause]++; jr->lost++; }
    if (origin >= 0 && jr->fail_from) fl__journey_from(jr, jr->fail_from, origin);
    break;
  }
  x->next = s->free_sess; s->free_sess = x;
}

/* The user has an answer for the current step (or gave up on it). */
void fl__session_answer(fl_sim_t *s, fl_session_t *x, fl_outcome_t out, fl_cause_t cause, int origin) {
  const fl_model_t *m = s->m;
  const fl_journey_t *jn = &m->journeys[x->journey];
  fl_jrn_rt_t *jr = &s->jrn[x->journey];
  if (out == FL_OUT_FAILURE) {
    if (x->attempt < m->client_retries) {    /* refresh */
      x->attempt++;
      if (x->measured) jr->refreshes++;
      x->ev.cb = on_session_timer;
      fl_engine_schedule(&s->eng, &x->ev, think_time(s, m->client_think));
      return;
    }
    session_end(s, x, out, cause, origin);
    return;
  }
  /* the step's latency as the user saw it, refreshes included */
  fl_hist_add(jr->st.hwin, s->eng.now - x->step_sent);
  if (x->measured) { fl_hist_add(jr->st.htotal, s->eng.now - x->step_sent); jr->steps_done++; }
  if (out == FL_OUT_DEGRADED) { x->degraded = true; if (x->deg_origin < 0) x->deg_origin = origin; }
  x->attempt = 0;
  if (x->step + 1 < jn->nsteps) {
    if (fl_rng_uniform(&s->rng_client) < jn->cont[x->step]) {
      x->step++;
      x->ev.cb = on_session_timer;
      fl_engine_schedule(&s->eng, &x->ev, think_time(s, jn->think));
      return;
    }
    if (x->measured) jr->left++;
  } else if (x->measured) {
    jr->completed++;
  }
  if (x->degraded) session_end(s, x, FL_OUT_DEGRADED, FL_CAUSE_NONE, x->deg_origin);
  else session_end(s, x, FL_OUT_SUCCESS, FL_CAUSE_NONE, -1);
}

static void start_session(fl_sim_t *s, int j) {
  fl_jrn_rt_t *jr = &s->jrn[j];
  fl_session_t *x = sess_alloc(s);
  fl_event_init(&x->ev, on_session_timer);
  x->journey = j;
  x->deg_origin = -1;
  x->measured = s->eng.now >= s->warmup;
  if (s->m->nattrs) fl__attrs_draw(s->m->attrs, s->m->nattrs, x->attr, &s->rng_attrs);   /* the user's product, country, ... */
  jr->st.win.arrivals++;
  jr->inflight++;
  if (x->measured) { jr->st.total.arrivals++; jr->sessions++; }
  session_send(s, x);
}

static void on_arrival(fl_engine_t *e, fl_event_t *ev) {
  fl_sim_t *s = SIM(e);
  int j = (int)ev->aux;
  start_session(s, j);
  fl_time_t next = next_arrival(s, j, e->now);
  if (next < s->end) fl_engine_schedule_at(e, ev, next);
}

/* A trace of request timestamps: each starts a session of a journey drawn from the mix. */
static void on_replay(fl_engine_t *e, fl_event_t *ev) {
  fl_sim_t *s = SIM(e);
  const fl_profile_t *p = &s->m->rate;
  double u = fl_rng_uniform(&s->rng_replay), acc = 0;
  int j = s->m->njourneys - 1;
  for (int k = 0; k < s->m->njourneys; k++) { acc += s->m->journeys[k].share; if (u < acc) { j = k; break; } }
  start_session(s, j);
  if (++s->replay_i < p->ntimes) {
    fl_time_t next = fl_sec_to_time(p->times[s->replay_i]);
    if (next < s->end) fl_engine_schedule_at(e, ev, next < e->now ? e->now : next);
  }
}

void fl_sim_traffic_changed(fl_sim_t *s) {
  for (int j = 0; j < s->m->njourneys; j++) {
    fl_jrn_rt_t *jr = &s->jrn[j];
    jr->horizon_end = s->eng.now;   /* recompute the thinning bound */
    fl_engine_cancel(&s->eng, &jr->arrival);
    fl_time_t next = next_arrival(s, j, s->eng.now);
    if (next < s->end) fl_engine_schedule_at(&s->eng, &jr->arrival, next);
  }
}

/* Journeys' state and statistics, their first arrivals, or the trace's first timestamp. */
void fl__traffic_init(fl_sim_t *s) {
  const fl_model_t *m = s->m;
  for (int j = 0; j < m->njourneys; j++) {
    fl_jrn_rt_t *jr = &s->jrn[j];
    fl_rng_init(&jr->rng, m->seed, m->journeys[j].name, "arrivals");
    fl__stats_init(&jr->st, FL_SER_JOURNEY_COUNT, s->nwindows);
    if ((double)m->nservices * m->njourneys <= 4e6) {
      jr->fail_from = fl_xcalloc((size_t)m->nservices, sizeof *jr->fail_from);
      jr->deg_from = fl_xcalloc((size_t)m->nservices, sizeof *jr->deg_from);
      jr->from_set = fl_xmalloc((size_t)m->nservices * sizeof *jr->from_set);
    }
    fl_event_init(&jr->arrival, on_arrival);
    jr->arrival.aux = (uint32_t)j;
    if (m->rate.kind == FL_PROFILE_REPLAY) continue;
    fl_time_t first = next_arrival(s, j, 0);
    if (first < s->end) fl_engine_schedule_at(&s->eng, &jr->arrival, first);
  }
  fl_rng_init(&s->rng_client, m->seed, "client", "behaviour");
  fl_rng_init(&s->rng_attrs, m->seed, "traffic", "attrs");
  fl_rng_init(&s->rng_replay, m->seed, "trace", "journeys");
  fl_event_init(&s->replay_ev, on_replay);
  if (m->rate.kind == FL_PROFILE_REPLAY && m->rate.ntimes > 0 && fl_sec_to_time(m->rate.times[0]) < s->end)
    fl_engine_schedule_at(&s->eng, &s->replay_ev, fl_sec_to_time(m->rate.times[0]));
}
