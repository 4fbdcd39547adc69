/* Private to sim/run/: the run's own records (requests, call contexts, sessions), their flags,
** the small inline helpers every part of the run uses, and the fl__ functions the files of
** sim/run/ share. Nothing outside sim/run/ includes it (except a test that breaks the state on
** purpose to see the invariant checker catch it). */
#ifndef FAULTLINE_RUN_INT_H
#define FAULTLINE_RUN_INT_H

#include "faultline/sim.h"

#include <stddef.h>

/* ---- records ---- */

enum {
  F_WORKER = 1 << 0,    /* holds a worker of its instance */
  F_ON_INST = 1 << 1,   /* counted in its instance's outstanding requests */
  F_DEGRADED = 1 << 2,  /* an optional call failed and its fallback was used */
  F_MEASURED = 1 << 3,  /* arrived after warm-up: counts in the summary */
  F_HUNG = 1 << 4,      /* frozen by a hang fault: answered only when the hang ends */
  F_LIMBO = 1 << 5,     /* never reached its service (dropped by a partition) */
  F_WAITING = 1 << 6,   /* waiting on a step's calls (counted in acount; in wcount too with F_WORKER) */
  F_BREAKER = 1 << 7,   /* this attempt passed its caller's breaker: its outcome is recorded there */
  F_BULKHEAD = 1 << 8,  /* this attempt holds a place in its caller's bulkhead */
  F_TIMED_OUT = 1 << 9, /* its caller gave up on it: its answer says nothing of the instance */
  F_HEDGE = 1 << 10,    /* a hedged attempt: avoids the first attempt's instance */
  F_CPU = 1 << 11,      /* at work on a service with cores: one of its instance's ncpu */
  F_UNMEASURED = 1 << 12, /* arrived during the warm-up: counted in the sim's unmeasured_live */
};

/* A call with retries or hedging: the attempts of one call of one request. */
struct fl_callctx {
  fl_event_t ev;          /* backoff before the next attempt, or the hedge timer */
  fl_callctx_t *next;     /* free list */
  fl_req_t *parent;       /* NULL once the call is resolved */
  uint32_t pgen;
  uint16_t ci;
  uint8_t attempts, outstanding, hedges;
  bool waiting;           /* a retry is scheduled */
  fl_instance_t *first;   /* where the first attempt went: hedges go elsewhere */
};
/* A user's visit: the steps of a journey, with the client's timeout, refreshes and think time. */
struct fl_session {
  fl_event_t ev;          /* think time before the next step or a refresh */
  fl_session_t *next;     /* free list */
  int journey, step, attempt;
  int deg_origin;         /* where the first degraded answer's failure came from, or -1 */
  bool measured, degraded;
  bool user;              /* a closed-loop user's: at its end the user thinks and begins another */
  bool seen;              /* that user was counted in users.seen */
  fl_time_t step_sent;
  fl_time_t spent;        /* the answered steps' time so far, as the user waited for them (think times excluded) */
  uint32_t attr[FL_MAX_ATTRS];   /* drawn when the user arrived: every step carries them */
  fl_time_t began;        /* when this session began (a user's next begins 1 ms later at the earliest) */
};
#define CHUNK_SESS 256
typedef struct sess_chunk { struct sess_chunk *next; fl_session_t v[CHUNK_SESS]; } sess_chunk_t;

#define CHUNK_CTX 256
typedef struct ctx_chunk { struct ctx_chunk *next; fl_callctx_t c[CHUNK_CTX]; } ctx_chunk_t;

struct fl_req {
  fl_event_t ev;          /* work done, fallback wait, or deferred failure */
  fl_event_t tmo;         /* the caller's timeout on this call */
  fl_req_t *parent;       /* the waiting caller; NULL for a journey's root or once abandoned */
  fl_req_t *next;         /* waiting-room link, free list */
  fl_req_t *lnext, *lprev;/* links in 'lown': its instance's requests, or a partition's limbo */
  fl_reqlist_t *lown;
  const fl_endpoint_t *ep;
  fl_instance_t *inst;
  fl_time_t sent;          /* when the caller (or the user) sent it */
  fl_time_t arrived;       /* when it reached its service */
  fl_time_t wait_until;   /* the current step ends no earlier (fallback latencies) */
  uint32_t gen;           /* bumped when freed: stale references see a mismatch */
  uint32_t parent_gen;
  int32_t journey;        /* journey index for a root request, else -1 */
  uint16_t step, pending; /* current step of the endpoint, calls still outstanding in it */
  uint16_t call;          /* which of the parent's calls this request answers */
  int16_t origin;         /* service where a failure originated */
  int32_t call_id;        /* the call site it answers, or -1 */
  int32_t caller_inst;    /* the caller's instance index */
  fl_callctx_t *ctx;      /* the call's attempts, with retries or hedging */
  fl_session_t *sess;     /* a journey's root request: the user's session waiting on it */
  int32_t dgroup;         /* a broker's delivery: its consumer group, else -1 */
  uint8_t dattempts;      /* deliveries of its message before this one */
  uint16_t tspan;         /* traced: its span in its trace (trace.c) */
  fl_time_t dmsg;         /* when its message was published */
  fl_time_t deadline;     /* propagated deadline, 0: none */
  uint8_t cause;
  uint16_t flags;
  uint32_t attr[FL_MAX_ATTRS];   /* the request's attribute value ids (0: none), carried downstream */
  uint32_t trace;         /* traced: its trace's slot + 1 in the tracer (trace.c); 0: not traced */
};

#define CHUNK_REQS 1024
struct fl_req_chunk { fl_req_chunk_t *next; fl_req_t reqs[CHUNK_REQS]; };

#define container_of(p, type, member) ((type *)((char *)(p) - offsetof(type, member)))
#define SIM(e) ((fl_sim_t *)(e)->user)

/* ---- small helpers of the hot path ---- */

static inline void fl__list_add(fl_reqlist_t *l, fl_req_t *q) {
  q->lown = l; q->lprev = NULL; q->lnext = l->head;
  if (l->head) l->head->lprev = q;
  l->head = q;
}

static inline void fl__list_del(fl_req_t *q) {
  if (!q->lown) return;
  if (q->lprev) q->lprev->lnext = q->lnext; else q->lown->head = q->lnext;
  if (q->lnext) q->lnext->lprev = q->lprev;
  q->lown = NULL; q->lnext = q->lprev = NULL;
}

/* Brings the service's time integrals (this window's and the autoscaler's) up to now. */
/* A service's pending latencies (fl_stats_t.pend) into its window histogram, and into its total
** when every request ending now is measured (total_batched; else the total took each one). */
static inline void fl__stats_flush(const fl_sim_t *s, fl_stats_t *st) {
  if (!st->npend) return;
  st->wused = true;
  fl_hist_add_many(st->hwin, st->pend, (int)st->npend);
  if (s->total_batched) fl_hist_add_many(st->htotal, st->pend, (int)st->npend);
  st->npend = 0;
}

static inline void fl__svc_touch(fl_sim_t *s, fl_svc_rt_t *r, const fl_service_t *svc) {
  fl_time_t now = s->eng.now;
  if (now == r->last) return;
  double dt = (double)(now - r->last);
  r->w_busy += r->busy * dt;
  r->w_queue += r->queued * dt;
  r->w_inflight += r->inflight * dt;
  r->w_workers += (double)r->nalive * svc->workers * dt;
  r->a_busy += r->busy * dt;
  r->a_queue += r->queued * dt;
  r->a_inflight += r->inflight * dt;
  r->a_workers += (double)r->nalive * svc->workers * dt;
  r->last = now;
}

/* Counts a journey's failed or degraded answer under its origin in this window's table 'tab'
** (fail_from or deg_from), noting the origin for the window's close to clear. */
static inline void fl__journey_from(fl_jrn_rt_t *jr, uint64_t *tab, int origin) {
  if (!jr->fail_from[origin] && !jr->deg_from[origin]) jr->from_set[jr->nfrom_set++] = origin;
  tab[origin]++;
}

/* t x f as a time, saturating at FL_TIME_MAX (a double past INT64_MAX must not be cast). */
static inline fl_time_t fl__scale_time(fl_time_t t, double f) {
  double v = (double)t * f;
  return v >= 9.2e18 ? FL_TIME_MAX : v > 0 ? (fl_time_t)v : 0;
}

/* ---- request.c: the request pool, arrival, workers, the waiting room, completion ---- */
fl_req_t *fl__req_alloc(fl_sim_t *s);
void fl__arrive(fl_sim_t *s, fl_req_t *q);
/* fl__arrive for a request the service's own latency fault held on its way: its latency counts
** from 'since' (when it reached the service's door, after any link's delay), so the fault's
** latency is in the service's own p99 as in its callers'. */
void fl__arrive_from(fl_sim_t *s, fl_req_t *q, fl_time_t since);
/* Fails 'q' at the current time through an event, so that callers never re-enter. */
void fl__defer_failure(fl_sim_t *s, fl_req_t *q, fl_cause_t cause, int origin);
void fl__complete(fl_sim_t *s, fl_req_t *q, fl_outcome_t out, fl_cause_t cause, int origin);
/* Instance 'in' freezes from now for 'len' (a pause fault; overlapping pauses merge): work in
** progress finishes that much later, work that starts meanwhile waits for the pause's end. */
void fl__pause_instance(fl_sim_t *s, fl_instance_t *in, fl_time_t len);
/* q's event (work, a deferred failure) will not fire: its instance crashed or thawed; work in
** progress leaves the cores. */
void fl__work_cut(fl_sim_t *s, fl_req_t *q);
/* Instance 'in' (of a service with cores) loses or regains CPU to a hog: its hog share becomes
** 'hog', and the work on its cores speeds up or slows down from now. */
void fl__cpu_hog(fl_sim_t *s, const fl_service_t *svc, fl_instance_t *in, double hog);

/* ---- balancer.c: choosing an instance, rotation, outlier ejection ---- */
fl_instance_t *fl__pick_instance(const fl_service_t *svc, fl_svc_rt_t *r, const fl_req_t *q);
void fl__set_rotation(fl_svc_rt_t *r, fl_instance_t *in);
void fl__outlier_record(fl_sim_t *s, const fl_service_t *svc, fl_instance_t *in, fl_outcome_t out, fl_cause_t cause, int origin);
void fl__on_uneject(fl_engine_t *e, fl_event_t *ev);
void fl__set_ejected(fl_svc_rt_t *r, fl_instance_t *in, bool ejected);
void fl__balancer_init(fl_sim_t *s, int id);
void fl__balancer_release(fl_svc_rt_t *r);
void fl__lb_min_set(fl_svc_rt_t *r, int k);
/* Instance 'in' of r's service took or dropped a request: least_outstanding's tree follows. */
static inline void fl__lb_outstanding(fl_svc_rt_t *r, const fl_instance_t *in) {
  if (r->lb_min) fl__lb_min_set(r, (int)(in - r->inst));
}

/* ---- call.c: an endpoint's steps, calls and their attempts, timeouts ---- */
void fl__send(fl_sim_t *s, fl_req_t *q);
void fl__begin_step(fl_sim_t *s, fl_req_t *q);
/* The step a worker waited in is over: it no longer waits on the step's callees. */
void fl__end_wait(fl_sim_t *s, fl_req_t *q);
/* Brings the waiting integrals of callee 'slot' up to now, then adds to the workers (wdelta) and
** requests (adelta) waiting on it. */
void fl__wait_change(fl_sim_t *s, fl_svc_rt_t *r, int slot, int wdelta, int adelta);
void fl__on_timeout(fl_engine_t *e, fl_event_t *ev);
/* Routes an attempt's answer to its call context or straight to the waiting caller. */
void fl__deliver(fl_sim_t *s, fl_req_t *p, uint32_t pgen, fl_callctx_t *x, int ci, fl_outcome_t out, fl_cause_t cause, int origin);
void fl__calls_init(fl_sim_t *s);

/* ---- policy.c: breaker, retry budget, backoff, hedging, bulkhead ---- */
/* Lets an attempt through its caller's breaker and bulkhead: FL_CAUSE_NONE, or why not. */
fl_cause_t fl__policy_admit(fl_sim_t *s, const fl_call_t *call, fl_req_t *c);
void fl__attempt_release(fl_sim_t *s, fl_req_t *c, fl_outcome_t out, fl_cause_t cause);
void fl__budget_roll(fl_sim_t *s, fl_call_rt_t *cr);
bool fl__budget_allows(fl_sim_t *s, const fl_call_t *call);
fl_time_t fl__backoff(fl_sim_t *s, const fl_call_t *call, int retry);
fl_time_t fl__hedge_delay(fl_sim_t *s, const fl_call_t *call);
void fl__hedge_refresh(fl_sim_t *s);
void fl__policies_init(fl_sim_t *s, int id);
void fl__policies_release(fl_sim_t *s, int id);

/* ---- broker.c: messaging ---- */
void fl__publish(fl_sim_t *s, fl_req_t *parent, const fl_call_t *call);
bool fl__broker_accept(fl_sim_t *s, const fl_service_t *svc);
void fl__delivery_done(fl_sim_t *s, int g, fl_outcome_t out, fl_time_t msg_t, int attempts);
void fl__brokers_init(fl_sim_t *s);
void fl__broker_close_window(fl_sim_t *s, int svc, uint32_t w);

/* ---- traffic.c: arrivals, trace replay, sessions ---- */
void fl__session_answer(fl_sim_t *s, fl_session_t *x, fl_outcome_t out, fl_cause_t cause, int origin);
void fl__traffic_init(fl_sim_t *s);

/* ---- scaling.c: instances coming and going, the HPA ---- */
void fl__retire(fl_sim_t *s, const fl_service_t *svc, fl_instance_t *in);
void fl__on_ready(fl_engine_t *e, fl_event_t *ev);
void fl__on_hpa(fl_engine_t *e, fl_event_t *ev);

/* ---- fault.c: faults, hooks, the log ---- */
void fl__on_notice(fl_engine_t *e, fl_event_t *ev);
void fl__on_leak(fl_engine_t *e, fl_event_t *ev);
/* Faults on the link from the caller's service to c's: true when c was dropped or failed. */
bool fl__link_faults(fl_sim_t *s, const fl_service_t *from, fl_req_t *c, fl_time_t *delay);
/* Faults that select requests by attribute (where = { ... }): q's error rate 'er' with theirs,
** and the latency they add on the way to q's service. Only while s->nwhere_active. */
double fl__where_errors(const fl_sim_t *s, const fl_req_t *q, double er);
fl_time_t fl__where_latency(const fl_sim_t *s, const fl_req_t *q);
bool fl__fault_in(const fl_sim_t *s, int f, fl_time_t wstart, fl_time_t wend);
void fl__schedule_faults(fl_sim_t *s, fl_time_t from, fl_time_t to);
void fl__faults_init(fl_sim_t *s);

/* ---- attrs.c: request attributes (drawn at entry and per fan-out item, matched by selectors) ---- */
#define FL_MAX_FANOUT 1000      /* calls one fan-out makes at most */
static inline bool fl__attrs_match(const uint32_t *attr, const fl_attr_match_t *w, int n) {
  for (int i = 0; i < n; i++) if ((attr[w[i].key] == w[i].id) == w[i].negate) return false;
  return true;
}
void fl__attrs_draw(const fl_attr_gen_t *g, int n, uint32_t *attr, fl_rng_t *rng);
uint32_t fl__attr_draw(const fl_attr_gen_t *g, fl_rng_t *rng);
/* A fan-out call's number of items this time (0 to FL_MAX_FANOUT), and item j's attributes of k:
** q's, with one drawn per item for each of call's attrs ('chosen' holds the draws of items 0..j-1:
** choice draws distinct values while there are enough). */
int fl__fan_out_count(fl_sim_t *s, const fl_call_t *call);
void fl__fan_out_item(fl_sim_t *s, const fl_req_t *q, const fl_call_t *call, int j, int k, uint32_t chosen[][FL_MAX_FANOUT], uint32_t *a);

/* ---- expect.c: expectations with where = { ... } count the matching requests themselves ---- */
/* A session of journey 'journey' (ep NULL), or a request to the endpoint 'ep', with attributes
** 'attr': arrived (what = FL_EXPECT_ARRIVED), was answered after 'latency' (FL_EXPECT_ANSWERED),
** or ended with the outcome 'what' (an fl_outcome_t) and 'cause'. Called only while s->nexp_where. */
#define FL_EXPECT_ARRIVED (-1)
#define FL_EXPECT_ANSWERED (-2)
void fl__expect_where(fl_sim_t *s, int journey, const fl_endpoint_t *ep, const uint32_t *attr, int what, fl_cause_t cause,
                      fl_time_t latency);

/* ---- trace.c: traces of sampled requests (only with a tracer: s->tracer) ---- */
/* Cold: the hot path only tests a field; a request is never freed with its trace set (a freed
** or never used request has trace 0, so allocation leaves it alone). */
/* Entry request 'q' of a session: sampled or not. */
__attribute__((cold)) void fl__trace_root(fl_sim_t *s, fl_req_t *q);
/* Attempt 'c' of a call from traced 'parent' ('x' its call context, or NULL). */
__attribute__((cold)) void fl__trace_child(fl_sim_t *s, const fl_req_t *parent, fl_req_t *c, const fl_callctx_t *x);
/* Traced 'q' answered now (before it is freed): clears q->trace. */
__attribute__((cold)) void fl__trace_end(fl_sim_t *s, fl_req_t *q, fl_outcome_t out, fl_cause_t cause, int origin);
void fl__trace_free(fl_sim_t *s);

/* ---- window.c: windows, series, scopes ---- */
void fl__stats_init(fl_sim_t *s, fl_stats_t *st, int nseries);
void fl__stats_release(fl_stats_t *st);
/* ---- series.c: the stored series ---- */
void fl__series_layout(fl_sim_t *s);                 /* before any statistics are allocated */
void fl__edges_init(fl_sim_t *s, fl_svc_rt_t *r);    /* once r->ncallees is known */
void fl__series_open(fl_sim_t *s, uint32_t w);       /* before window w is written: folds what leaves the ring */
void fl__on_window(fl_engine_t *e, fl_event_t *ev);

/* ---- health.c: health, its confirmation, the attribution of its changes ---- */
void fl__service_health(fl_sim_t *s, int i, uint32_t w, double util);
void fl__journey_health(fl_sim_t *s, int j, uint32_t w);
void fl__link_changes(fl_sim_t *s, int first, fl_time_t wstart);

#endif
