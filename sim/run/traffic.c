/* Traffic: journeys' open-loop arrivals (a Poisson process thinned to the rate profile), the
** replay of a trace of timestamps, closed-loop users (a count over time: each user runs a
** session, thinks, runs the next), and each session: its steps, the client's timeout, refreshes
** and think time, and the journey's outcome when the session ends; the mix's timed changes. */
#include "run_int.h"

#include <math.h>
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

static void user_next(fl_sim_t *s, fl_session_t *x);

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
  if (s->tracer) fl__trace_root(s, q);   /* sampled or not (trace.c) */
  if (s->m->nattr_keys) memcpy(q->attr, x->attr, sizeof q->attr);
  if (x->attempt == 0) x->step_sent = s->eng.now;
  if (x->user && x->measured) s->users.requests++;
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
  if (s->nexp_where) fl__expect_where(s, x->journey, NULL, x->attr, (int)out, cause, 0);
  if (x->user) { user_next(s, x); return; }
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
  x->spent += s->eng.now - x->step_sent;
  if (x->measured) { fl_hist_add(jr->st.htotal, s->eng.now - x->step_sent); jr->steps_done++; }
  if (s->nexp_where) fl__expect_where(s, x->journey, NULL, x->attr, FL_EXPECT_ANSWERED, FL_CAUSE_NONE, s->eng.now - x->step_sent);
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
  } else {
    if (x->measured) jr->completed++;
    if (jr->hsess) {   /* every step answered: the session's time */
      fl_hist_add(jr->hsess, x->spent);
      if (x->measured) fl_hist_add(jr->hsess_total, x->spent);
    }
  }
  if (x->degraded) session_end(s, x, FL_OUT_DEGRADED, FL_CAUSE_NONE, x->deg_origin);
  else session_end(s, x, FL_OUT_SUCCESS, FL_CAUSE_NONE, -1);
}

/* Session x (fresh, or a user's next) begins journey j now. */
static void session_begin(fl_sim_t *s, fl_session_t *x, int j) {
  fl_jrn_rt_t *jr = &s->jrn[j];
  x->journey = j;
  x->step = x->attempt = 0;
  x->deg_origin = -1;
  x->degraded = false;
  x->began = s->eng.now;
  x->spent = 0;
  x->measured = s->eng.now >= s->warmup;
  if (s->m->nattrs) fl__attrs_draw(s->m->attrs, s->m->nattrs, x->attr, &s->rng_attrs);   /* the user's product, country, ... */
  jr->st.win.arrivals++;
  jr->inflight++;
  if (s->nexp_where) fl__expect_where(s, j, NULL, x->attr, FL_EXPECT_ARRIVED, FL_CAUSE_NONE, 0);
  if (x->measured) { jr->st.total.arrivals++; jr->sessions++; }
  session_send(s, x);
}

static void start_session(fl_sim_t *s, int j) {
  fl_session_t *x = sess_alloc(s);
  fl_event_init(&x->ev, on_session_timer);
  session_begin(s, x, j);
}

/* A journey drawn from the mix by its share (the last one takes what rounding leaves). */
static int pick_journey(const fl_model_t *m, fl_rng_t *r) {
  double u = fl_rng_uniform(r), acc = 0;
  for (int k = 0; k < m->njourneys; k++) { acc += m->journeys[k].share; if (u < acc) return k; }
  return m->njourneys - 1;
}

/* ---- closed-loop users ---- */

/* A user begins two sessions at least this far apart: a refusal comes back in no simulated time,
** so a user with no think time facing a full room would otherwise send forever at one instant. */
#define USER_MIN_LOOP FL_MS

/* Brings the user-time integral (after warm-up) up to now, before 'active' changes. */
static void users_touch(fl_sim_t *s) {
  fl_users_rt_t *u = &s->users;
  fl_time_t now = s->eng.now, from = u->last > s->warmup ? u->last : s->warmup;
  if (now > from) u->user_ns += (double)u->active * (double)(now - from);
  u->last = now;
}

double fl_sim_users_mean(const fl_sim_t *s) {
  const fl_users_rt_t *u = &s->users;
  fl_time_t now = s->eng.now, from = u->last > s->warmup ? u->last : s->warmup;
  double ns = u->user_ns + (now > from ? (double)u->active * (double)(now - from) : 0);
  return now > s->warmup ? ns / (double)(now - s->warmup) : 0;
}

/* Whole users the profile wants at t (a ramp from 0 to 500 over 100 s wants one more every 0.2 s). */
static int64_t users_wanted(const fl_model_t *m, fl_time_t t) {
  return (int64_t)floor(fl_profile_rate(&m->users, fl_time_to_sec(t)) + 1e-9);
}

/* The first time from 'now' at which the profile wants k users or more; FL_TIME_MAX: never. */
static fl_time_t users_reach(const fl_model_t *m, fl_time_t now, int64_t k) {
  const fl_profile_t *p = &m->users;
  if (users_wanted(m, now) >= k) return now;
  if (p->kind != FL_PROFILE_PIECEWISE) return FL_TIME_MAX;
  double t = fl_time_to_sec(now);
  for (int i = 0; i + 1 < p->npoints; i++) {
    double t0 = p->pt[i], t1 = p->pt[i + 1], v0 = p->pr[i], v1 = p->pr[i + 1];
    if (t1 <= t || v1 + 1e-9 < (double)k) continue;
    double x = v1 > v0 ? t0 + ((double)k - v0) / (v1 - v0) * (t1 - t0) : t0;
    fl_time_t r = fl_sec_to_time(x > t ? x : t);
    if (r <= now) r = now + 1;
    for (int g = 0; g < 64 && users_wanted(m, r) < k; g++) r += 1000;   /* rounding to whole ns */
    return r;
  }
  return FL_TIME_MAX;
}

/* Schedules the next user's start: when the profile wants one more than are alive, paced by
** spawn_rate. Always later than now unless one can start at once. */
static void users_schedule(fl_sim_t *s) {
  fl_users_rt_t *u = &s->users;
  const fl_model_t *m = s->m;
  fl_engine_cancel(&s->eng, &u->spawn);
  fl_time_t t = users_reach(m, s->eng.now, (int64_t)u->active + 1);
  if (t == FL_TIME_MAX) return;
  if (m->spawn_rate > 0 && u->started > 0) {
    fl_time_t paced = u->last_spawn + fl_sec_to_time(1 / m->spawn_rate);
    if (t < paced) t = paced;
  }
  if (t < s->end) fl_engine_schedule_at(&s->eng, &u->spawn, t);
}

/* User x begins its next session, of a journey drawn from the mix. */
static void user_session(fl_sim_t *s, fl_session_t *x) {
  fl_users_rt_t *u = &s->users;
  if (s->eng.now >= s->warmup) {
    u->sessions++;
    if (!x->seen) { x->seen = true; u->seen++; }
  }
  session_begin(s, x, pick_journey(s->m, &u->rng));
}

static void on_user_think(fl_engine_t *e, fl_event_t *ev) {
  user_session(SIM(e), container_of(ev, fl_session_t, ev));
}

/* User x's session ended: it stops if the profile wants fewer users now (k6's graceful ramp-down:
** an iteration in progress finishes), else thinks and begins another. */
static void user_next(fl_sim_t *s, fl_session_t *x) {
  fl_users_rt_t *u = &s->users;
  const fl_model_t *m = s->m;
  fl_time_t now = s->eng.now;
  if (u->active > users_wanted(m, now)) {
    users_touch(s);
    u->active--; u->retired++;
    x->next = s->free_sess; s->free_sess = x;
    users_schedule(s);   /* the profile may want users again later */
    return;
  }
  /* by inversion, not fl_dist_sample: that one is inlined in the hot path (work) while it has one caller */
  double v = fl_rng_uniform(&u->rng_think);
  fl_time_t think = fl_sec_to_time(fl_dist_quantile(&m->users_think, v > 0 ? v : 0x1p-53));
  if (now >= s->warmup) { u->think_s += fl_time_to_sec(think); u->thinks++; }
  fl_time_t at = think > FL_TIME_MAX - now ? FL_TIME_MAX : now + think;
  if (at < x->began + USER_MIN_LOOP) at = x->began + USER_MIN_LOOP;
  x->ev.cb = on_user_think;
  if (at < s->end) fl_engine_schedule_at(&s->eng, &x->ev, at);
}

/* The spawner: starts users until as many are alive as the profile wants (one at a time with
** spawn_rate), then waits for the next. */
static void on_spawn(fl_engine_t *e, fl_event_t *ev) {
  fl_sim_t *s = SIM(e);
  fl_users_rt_t *u = &s->users;
  (void)ev;
  int64_t want = users_wanted(s->m, e->now);
  while (u->active < want) {
    fl_session_t *x = sess_alloc(s);
    fl_event_init(&x->ev, on_session_timer);
    x->user = true;
    users_touch(s);
    u->active++; u->started++;
    if (u->active > u->max) u->max = u->active;
    u->last_spawn = e->now;
    user_session(s, x);
    if (s->m->spawn_rate > 0) break;
  }
  users_schedule(s);
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
  start_session(s, pick_journey(s->m, &s->rng_replay));
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
  if (s->m->has_users) users_schedule(s);   /* more users start now; fewer stop as their sessions end */
}

/* The mix's timed change: the shares from now on, then the next change. */
static void on_mix_at(fl_engine_t *e, fl_event_t *ev) {
  fl_sim_t *s = SIM(e);
  const fl_model_t *m = s->m;
  const fl_mix_at_t *x = &m->mix_at[s->mix_next++];
  (void)ev;
  if (s->model_watch) s->model_watch(s, "traffic.mix", false);
  for (int j = 0; j < m->njourneys; j++) m->journeys[j].share = x->share[j];
  if (s->model_watch) s->model_watch(s, "traffic.mix", true);
  fl_sim_traffic_changed(s);
  if (s->mix_next < m->nmix_at && fl_sec_to_time(m->mix_at[s->mix_next].at) < s->end)
    fl_engine_schedule_at(e, &s->mix_ev, fl_sec_to_time(m->mix_at[s->mix_next].at));
}

/* Journeys' state and statistics, their first arrivals, or the trace's first timestamp. */
void fl__traffic_init(fl_sim_t *s) {
  const fl_model_t *m = s->m;
  for (int j = 0; j < m->njourneys; j++) {
    fl_jrn_rt_t *jr = &s->jrn[j];
    fl_rng_init(&jr->rng, m->seed, m->journeys[j].name, "arrivals");
    fl__stats_init(s, &jr->st, FL_SER_JOURNEY_COUNT);
    if ((double)m->nservices * m->njourneys <= 4e6) {
      jr->fail_from = fl_xcalloc((size_t)m->nservices, sizeof *jr->fail_from);
      jr->deg_from = fl_xcalloc((size_t)m->nservices, sizeof *jr->deg_from);
      jr->from_set = fl_xmalloc((size_t)m->nservices * sizeof *jr->from_set);
    }
    if (m->journeys[j].nsteps > 1 || m->journeys[j].session_slo > 0) {
      jr->hsess = fl_hist_new();
      jr->hsess_total = fl_hist_new();
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
  fl_rng_init(&s->users.rng, m->seed, "users", "journeys");   /* ready for a live --set traffic.users too */
  fl_rng_init(&s->users.rng_think, m->seed, "users", "think");
  fl_event_init(&s->users.spawn, on_spawn);
  fl_event_init(&s->mix_ev, on_mix_at);
  if (m->nmix_at && fl_sec_to_time(m->mix_at[0].at) < s->end) fl_engine_schedule_at(&s->eng, &s->mix_ev, fl_sec_to_time(m->mix_at[0].at));
  if (m->has_users) users_schedule(s);
}
