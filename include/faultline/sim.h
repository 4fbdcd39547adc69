/* A simulation run of a model: the engine, request pools, per-service and per-journey runtime
** state and statistics (window counts, latency histograms, time averages, series). */
#ifndef FAULTLINE_SIM_H
#define FAULTLINE_SIM_H

#include "engine.h"
#include "hist.h"
#include "model.h"
#include "rng.h"

typedef struct fl_req fl_req_t;
typedef struct fl_callctx fl_callctx_t;
typedef struct fl_session fl_session_t;

typedef struct fl_counts {
  uint64_t arrivals, successes, degraded, failures;
  uint64_t cause[FL_CAUSE__COUNT];
} fl_counts_t;

/* Series measures, one value per window. Journeys keep the first FL_SER_JOURNEY_COUNT. */
typedef enum {
  FL_SER_ARRIVALS = 0, FL_SER_SUCCESSES, FL_SER_DEGRADED, FL_SER_FAILURES, FL_SER_P50, FL_SER_P99,
  FL_SER_BUSY, FL_SER_QUEUE, FL_SER_INSTANCES, FL_SER_HEALTH, FL_SER_UTILIZATION,
  FL_SER_LAG, FL_SER_LAG_AGE,     /* brokers: messages waiting (all consumers), age of the oldest (s) */
  FL_SER__COUNT
} fl_series_t;
#define FL_SER_JOURNEY_COUNT (FL_SER_P99 + 1)
const char *fl_series_name(fl_series_t s);

typedef enum { FL_HEALTH_OK = 0, FL_HEALTH_DEGRADED, FL_HEALTH_DOWN } fl_health_t;
const char *fl_health_name(fl_health_t h);

/* An intrusive list of requests (those on an instance, or dropped by a partition). */
typedef struct fl_reqlist { fl_req_t *head; } fl_reqlist_t;

enum { FL_ADJUST_LEAK = 1 << 0, FL_ADJUST_PAUSE = 1 << 1, FL_ADJUST_CPU = 1 << 2 };   /* fl_instance_t.adjust: a leak fault, a pause (perhaps over), cores */

/* An instance slot. What a request reads and writes on its way through the instance comes first,
** in one 64-byte cache line (the slots are 64-byte aligned): with 100,000 instances, a balancer's
** pick costs one cache miss, not three. */
typedef struct fl_instance {
  _Alignas(64) int busy;      /* the first of the line (_Alignas applies to each declarator) */
  int queued, outstanding;
  int hung;                   /* active hang faults on it */
  fl_req_t *qhead, *qtail;
  fl_reqlist_t reqs;          /* every request it holds: queued, working or waiting on calls */
  fl_time_t paused_until;     /* a pause fault froze it until then (in the past: running) */
  fl_time_t ready_at;
  bool alive;                 /* running: a crashed instance stays in rotation until noticed */
  bool up;                    /* in the balancer's rotation: ready, not draining, not noticed down, not ejected */
  bool exists;                /* the slot holds an instance: starting, running or draining */
  bool starting;              /* provisioned, not ready yet */
  bool draining;              /* scaled down: out of rotation, finishing what it holds */
  bool noticed_down;          /* the balancer's health check saw it crashed */
  bool ejected;               /* outlier ejection */
  uint8_t adjust;             /* FL_ADJUST_*: something of its own stretches its work (one test on the hot path) */
  /* the rest: faults, ejection, cores */
  fl_event_t life_ev;         /* becoming ready */
  fl_time_t leak_since;       /* leak fault: when its work started to grow */
  int leak_fault;             /* the leak fault on it, or -1 */
  bool leak_down;             /* restarting after running out of memory */
  fl_event_t leak_ev;
  int consecutive_errors, ejections;
  fl_event_t eject_ev;
  int crashed;                /* active crash faults on it */
  int ncpu;                   /* cores: workers at work (on the CPU), sharing cores x (1 - hog) */
  double hog;                 /* cores: the share cpu_hog faults take */
  fl_event_t notice;          /* the balancer's health check noticing a crash */
} fl_instance_t;

/* A scope over windows (an expectation's "during", a fault's before/during/after) with the
** counts and latency of one service or journey inside it. */
typedef struct fl_acc { fl_counts_t c; fl_hist_t *h; } fl_acc_t;

typedef struct fl_fault_rt {
  fl_event_t ev;              /* start, then end */
  bool active, touched;       /* active now; active at some time in the current window */
  fl_time_t started, ended;   /* -1 until it happens */
  int first, count;           /* the instances it hits */
  fl_reqlist_t dropped;       /* partition: calls in limbo */
  fl_rng_t rng;               /* a link's errors; a pause's lengths */
  fl_event_t pause_ev;        /* pause with every: the next instance's pause */
  int64_t pause_k;            /* turns taken so far: the next at started + every * pause_k / pause_n */
  int pause_n, pause_next;    /* instances taking turns (existing at the start); the next slot to try */
  fl_acc_t *phase;            /* [journey * 3 + phase]: before, during, after */
  int inst_before;            /* the target's instances in rotation at the close of the last window before the one it starts in, or -1 */
} fl_fault_rt_t;

typedef struct fl_exp_rt {
  fl_acc_t acc;
  fl_counts_t wwin; fl_hist_t *whist;   /* where = { ... }: this window's matching requests */
  uint32_t windows;           /* windows in scope */
  bool passed;
  double success_rate, p99, p50;
  double secs;                /* seconds of the windows in scope */
  double util_sum; uint32_t util_n;   /* services: the windows' utilisation */
  double lag_max, age_max;    /* brokers: the highest lag and age of the oldest message in scope */
  double more[FL_EXM__COUNT];  /* the observed value of each extra measure checked */
  bool seen[FL_EXM__COUNT];    /* ... false: nothing observed (n/a) */
  char detail[256];           /* for no_cascade_from: what broke it */
} fl_exp_rt_t;

/* A confirmed health change with its attribution. */
typedef struct fl_change {
  fl_time_t t;
  int service;                /* or -1 for a journey */
  int journey;
  fl_health_t from, to;
  int fault;                  /* attributed to this fault, or -1 */
  int via;                    /* attributed to this dependency service, or -1 */
  int parent;                 /* index of the change it follows from in a cascade, or -1 */
  char reason[160];
} fl_change_t;

/* A subject flapping on the timeline (the report's episodes, faultline/analysis.h): its changes,
** each within FL_FLAP_SPAN windows of the one before, up to its last return to the state it
** started from, leaving that state for a worse one at least twice (a last excursion that has not
** returned stays out of it). */
typedef struct fl_flap {
  int first;                  /* its first change, index into s->changes */
  int changes;                /* changes it folds (>= 3) */
  int flaps;                  /* of them, those leaving the state it started from for a worse one (>= 2) */
  fl_time_t t0, t1;           /* its first and last change */
  fl_health_t base, worst, last;   /* the state it started from, the worst it reached, where it ended (<= base) */
} fl_flap_t;

#define FL_FLAP_SPAN 10       /* windows: changes of one subject at most this far apart fold together */
/* Adds a subject's change (its record 'rec', or -1) to its run 'all' (empty: the change starts
** it) and to 'kept', the run up to its last return to the state it started from. */
void fl_flap_add(fl_flap_t *all, fl_flap_t *kept, int rec, fl_time_t t, fl_health_t from, fl_health_t to);

/* The run keeps the first FL_CHANGES_MAX health changes as records (1.9 MB); past them a change
** has no record: a subject flapping every couple of windows for days would otherwise grow the
** list (and the report) without bound. Each subject's latest run of changes is followed as they
** happen (what the report folds into an episode), so a flapping subject's episode still counts
** the changes past the cap; changes_dropped counts every change without a record. */
#define FL_CHANGES_MAX 10000
typedef struct fl_change_run {
  fl_flap_t all, kept;        /* the run so far, and up to its last return to 'base' (first: -1, a run
                              ** that began past the cap) */
  /* past the cap, [h]: ok (0) or no worse than degraded (1); -1: none */
  fl_time_t back[2], back_last[2];   /* the first and the latest change to h or better */
  fl_time_t left_last[2];     /* the latest change to worse than h */
  fl_time_t past;             /* its first change past the cap, or -1 */
  uint32_t into[3];           /* changes past the cap into each state ... */
  fl_time_t into_last[3];     /* ... and the latest of them */
} fl_change_run_t;

/* A service's answered latencies wait in fl_stats_t.pend until this many: a window that gathers
** fewer closes from them alone, its histogram untouched; a busier one's go into hwin this many at a
** time, their buckets found first so that the histogram's cache misses overlap. */
#define FL_STATS_PEND 64

/* Statistics shared by services and journeys. Time integrals are in (count x nanoseconds). */
typedef struct fl_stats {
  fl_hist_t *hwin, *htotal;   /* latency of answered (successful or degraded) requests; a service's
                                 last few (pend) are in neither yet (fl_sim_service_latency reads
                                 its total whole) */
  fl_counts_t win, total;     /* this window; after warm-up (with hwin: a visit's first cache lines) */
  /* services: answered requests' latencies not yet in hwin (see FL_STATS_PEND); fl__stats_flush
  ** puts them in before hwin is read */
  uint32_t npend;
  bool wused;                 /* services: hwin took some of this window's (a flush); else it is empty */
  int64_t pend[FL_STATS_PEND];
  int nseries;                /* series kept: FL_SER__COUNT (services) or FL_SER_JOURNEY_COUNT */
  double *series[FL_SER__COUNT];           /* per window (see fl_sim_slot); after fl_sim_finish, per entry */
  double *cause_series[FL_CAUSE__COUNT];   /* failures per window by cause ([0] unused) */
  double *cons[FL_SER__COUNT], *cons_cause[FL_CAUSE__COUNT];   /* consolidated entries while running (ring mode) */
} fl_stats_t;

typedef struct fl_svc_rt {
  /* Touched by (nearly) every visit: arrival, instance pick, work, call waits, completion; kept
  ** together at the start so that a visit reads few cache lines (the order is for the cache). */
  fl_instance_t *inst; int ninst, nup;   /* slots in use (highest existing + 1); in rotation */
  int busy, queued, inflight;      /* current, over all instances */
  int nalive;
  uint32_t rr;
  int lb_size;                     /* balancer.c's trees over the slots: leaves, a power of two >= cap */
  int *lb_up;                      /* instances in rotation per subtree (picks by rank in O(log n)) */
  int *lb_min;                     /* least_outstanding, p2c: fewest outstanding per subtree, INT_MAX out of rotation */
  fl_time_t last;                  /* time of the last integral update */
  double w_busy, w_queue, w_inflight, w_workers;   /* integrals over this window */
  double a_busy, a_workers, a_queue, a_inflight; uint64_t a_arrivals; fl_time_t a_start;
  double slow;                     /* product of active slowdown factors */
  double err_extra;                /* combined rate of active error faults */
  fl_time_t latency;               /* sum of active latency faults */
  int ncallees; int *callee;       /* distinct services its endpoints call */
  uint64_t *fail_via;              /* this window: failed calls, per callee */
  uint64_t *calls_via;             /* this window: calls made, per callee */
  int *wcount;                     /* workers now waiting in a step that calls each callee */
  double *wint;                    /* this window: integral of wcount (count x ns) */
  int *acount;                     /* requests now waiting in a step that calls each callee, worker held or not */
  double *aint;                    /* this window: integral of acount (count x ns): time spent waiting on each callee */
  fl_time_t *wlast;
  fl_stats_t st;
  /* the rest: faults, scaling, the rate limiter, the window's close */
  fl_rng_t rng_lb;
  int cap;                         /* slots allocated: the most instances it can scale to */
  int desired;                     /* instances wanted: starting + running, draining not counted */
  fl_event_t hpa_ev;               /* the autoscaler's sync */
  int *recs; fl_time_t *rec_t; int nrecs, rec_cap;   /* recommendations kept for scale-down stabilisation */
  int64_t queue_max;               /* after warm-up */
  double peak_util, peak_util_all; /* highest window utilisation of its instances: after warm-up; over every window */
  int inst_min, inst_max;          /* after warm-up */
  double t_busy, t_queue, t_inflight, t_workers;   /* integrals after warm-up */
  fl_health_t health, pending;     /* confirmed state; a different raw state seen 'npending' times */
  int npending;
  double *edge_calls, *edge_fails; /* per window: calls made and failed, [callee slot * s->stride + fl_sim_slot(w)] */
  double *cons_calls, *cons_fails; /* consolidated entries while running (ring mode), [callee slot * s->ncons + entry] */
  double tokens; fl_time_t tlast;  /* rate limiter */
  uint64_t rej_queue, rej_rate, rej_shed, ejections;   /* after warm-up */
  uint64_t drop_queue;        /* after warm-up: arrivals a full room (overflow = "drop") or a hung instance left unanswered */
  bool scoped;                /* an expectation's scope reads its window histogram as the window closes */
  int nejected;               /* outlier ejection: instances ejected among the slots in use (balancer.c) */
  int lb_top;                 /* the highest node of lb_min kept (balancer.c): least_outstanding's over the slots
                                 ever in rotation; p2c's past the leaves (it reads only those) */
} fl_svc_rt_t;

typedef enum { FL_BREAKER_CLOSED = 0, FL_BREAKER_OPEN, FL_BREAKER_HALF_OPEN } fl_breaker_state_t;
const char *fl_breaker_state_name(fl_breaker_state_t b);

typedef struct fl_breaker {
  uint8_t state;
  uint8_t *ring;              /* the window's outcomes: bit 0 failed, bit 1 slow */
  int pos, n, fails, slows;
  fl_time_t opened;
  int half_permitted, half_done, half_fails, half_slows;
} fl_breaker_t;

/* Runtime of one call site (an endpoint's call): its policies' state and counts. */
typedef struct fl_call_rt {
  fl_rng_t rng;               /* backoff jitter */
  int ncaller;                /* caller instances */
  fl_breaker_t *br;           /* per caller instance, with a breaker */
  int *inflight;              /* per caller instance, with a bulkhead */
  int64_t bsec; double breq[2], bret[2];   /* retry budget: this and the previous second */
  uint64_t calls, attempts, retries, budget_denied, hedges, bulkhead_rejected, breaker_rejected, breaker_opens;
  fl_time_t open_ns;          /* time breakers spent open, summed over caller instances */
  fl_hist_t *lat;             /* answered attempts' latency, for hedge = { after = "p95" } */
  fl_time_t hedge_after;
  fl_time_t cold_at;          /* the cache in front of the callee was flushed then (-1: never) */
  uint64_t cache_hits;
} fl_call_rt_t;

/* A broker's messages for one consumer endpoint. */
typedef struct fl_msg { fl_time_t t; uint8_t attempts; } fl_msg_t;
typedef struct fl_group {
  int broker;                      /* service id */
  const fl_endpoint_t *consumer;
  fl_msg_t *ring; int64_t head, count, cap;
  int inflight, limit;
  uint64_t delivered, consumed, redelivered, dead;
  int64_t max_lag;
  double max_age;
} fl_group_t;

/* An instance count change: autoscaler, hook or fault. */
typedef struct fl_scale_event { fl_time_t t; int service, from, to; char reason[128]; } fl_scale_event_t;
#define FL_SCALED_BY_HOOK "scaled by a hook"   /* the reason of a hook's sim:scale (a change of the model as it ran) */

/* A breaker changing state, for the report's events. A run keeps the first FL_BREAKER_EVENTS_MAX
** (2.4 MB) and counts the rest in bev_dropped: a breaker flapping for days (open, half-open, open
** every open_for) would otherwise grow the list, and the report, without bound. The call sites'
** totals (opens, open time, rejections) count every change. */
typedef struct fl_bevent { fl_time_t t; int call, instance; uint8_t from, to; } fl_bevent_t;
#define FL_BREAKER_EVENTS_MAX 100000

typedef struct fl_ep_rt {
  fl_rng_t rng_work, rng_error, rng_calls;
  double mean_work_ns;
  fl_hist_t *hwin;            /* endpoints with an slo: this window's latency of answered requests, else NULL */
  double err_extra;           /* combined rate of the active error faults on it or on its service */
  double slow;                /* product of the active slowdown factors on this endpoint alone */
  fl_time_t latency;          /* sum of the active latency faults on this endpoint alone */
  int hung;                   /* active hang faults on this endpoint alone */
} fl_ep_rt_t;

typedef struct fl_jrn_rt {
  int inflight;                    /* sessions in flight */
  uint64_t sessions, completed, left, lost, refreshes, steps_done;   /* after warm-up */
  fl_health_t health, pending;
  int npending;
  fl_rng_t rng;
  fl_event_t arrival;
  uint64_t *fail_from;             /* this window: failures by origin service */
  uint64_t *deg_from;              /* this window: degraded answers by where their failure came from */
  int *from_set, nfrom_set;        /* this window: the origins written in fail_from or deg_from (cleared alone) */
  fl_time_t horizon_end;           /* thinning: end of the current bound's interval */
  double bound;                    /* thinning: rate bound over [.., horizon_end] */
  fl_hist_t *hsess, *hsess_total;  /* multi-step journeys: the time of sessions that answered every step (the
                                   ** steps' answers summed, think times excluded), this window and after warm-up; else NULL */
  double sess_p99;                 /* ... and the p99 of the first over the last closed window (seconds; 0: none answered) */
  fl_stats_t st;
} fl_jrn_rt_t;

/* Closed-loop users (traffic.users): the spawner, and what the report says of them. */
typedef struct fl_users_rt {
  fl_event_t spawn;                /* the next user's start, when the profile wants more users */
  fl_rng_t rng;                    /* which journey each session follows */
  fl_rng_t rng_think;              /* think times between sessions */
  int active;                      /* users alive now: in a session or thinking */
  int max;                         /* the most alive at once */
  uint64_t started, retired;       /* users started and stopped by the profile, whole run */
  fl_time_t last_spawn;            /* spawn_rate paces starts from here */
  fl_time_t last;                  /* 'active' unchanged since */
  double user_ns;                  /* after warm-up: integral of 'active' over time (user x ns) */
  uint64_t seen;                   /* after warm-up: users that began at least one session */
  uint64_t sessions, requests;     /* after warm-up: sessions users began, requests they sent (refreshes too) */
  double think_s; uint64_t thinks; /* after warm-up: think times drawn, their sum in seconds */
} fl_users_rt_t;

typedef struct fl_req_chunk fl_req_chunk_t;

typedef struct fl_sim {
  fl_engine_t eng;
  fl_model_t *m;
  fl_svc_rt_t *svc;
  /* each service's instance slots (its r->inst), in a dense array that stays in cache: an arrival
  ** fetches its service's first instance from here while the service's run state is still on its
  ** way, so that the two misses overlap instead of following one another */
  fl_instance_t **inst_of;
  fl_ep_rt_t *ep;
  fl_jrn_rt_t *jrn;
  /* the services' and journeys' window and total latency histograms (fl_stats_t), in one block
  ** from calloc: a large model's comes as fresh pages, which stay untouched (unwritten, not
  ** resident) until a value lands in them; a service uses a few of its histograms' 21 KB */
  fl_hist_t *hists; int nhists, hists_used;
  fl_time_t end, window, warmup;   /* warmup rounded up to a window boundary */
  uint32_t nwindows, wdone;        /* windows in the run; windows closed so far */
  /* Stored series (series.c). Dense: every window kept, series indexed by window (ring 0).
  ** Consolidated: while running, the last 'ring' windows at full resolution (series indexed by
  ** window mod ring) and older ones folded into at most 'ncons' entries of 'width' windows each;
  ** fl_sim_finish folds the rest, after which series hold the entries. */
  uint32_t ring;                   /* 0 dense, else a power of two */
  uint32_t ncons;                  /* entries a consolidated series holds at most (even) */
  uint32_t stride;                 /* slots per series: nwindows dense, ring while running, ncons when finished */
  uint32_t nentries, width;        /* consolidated: entries begun, windows per entry (a power of two) */
  uint32_t folded;                 /* consolidated: windows folded into the entries */
  bool finished;                   /* fl_sim_finish ran */
  size_t series_alloc;             /* bytes allocated for the series (fl_sim_series_bytes) */
  fl_event_t window_ev;
  fl_group_t *groups; int ngroups;
  uint64_t *published, *publish_rejected;   /* per service (brokers) */
  fl_call_rt_t *call;
  const fl_call_t **calls;         /* every call site by id */
  const fl_endpoint_t **call_ep;   /* the endpoint each call site belongs to */
  int ncalls;
  fl_bevent_t *bev; int nbev, bev_cap;
  uint64_t bev_dropped;            /* breaker changes past FL_BREAKER_EVENTS_MAX, not in bev */
  fl_scale_event_t *sev; int nsev, sev_cap;
  fl_callctx_t *free_ctx;
  fl_session_t *free_sess;
  void *sess_chunks;
  fl_rng_t rng_client;             /* think times, continuing or not */
  fl_event_t replay_ev;            /* a trace of request timestamps */
  int64_t replay_i;
  fl_rng_t rng_replay;
  fl_users_rt_t users;             /* closed-loop users (unused without traffic.users) */
  fl_event_t mix_ev; int mix_next; /* the mix's next timed change (m->mix_at[mix_next]) */
  void *ctx_chunks;
  fl_fault_rt_t *fault;
  int fault_cap;                   /* faults the model can hold: its own and those injected */
  fl_event_t *hook_ev;
  struct fl_log { fl_time_t t; char *msg; } *logs; int nlogs, logs_cap;
  uint64_t logs_dropped;           /* sim:log lines past the log's bound (sim/lang/ notes them in its last line) */
  size_t hook_bytes;               /* records the hooks made (log lines, scaling changes): the loader counts them
                                      against the scenario's memory cap */
  /* Told before (done false) and after (done true) a hook or the timed mix changes the model at
  ** 'path' (sim:set's), so a report can show the model as it started and every change: set by
  ** the report layer (fl_report_model_watch), which owns the state and frees it. NULL: none. */
  void (*model_watch)(struct fl_sim *s, const char *path, bool done);
  void *model_watch_state;
  void (*model_watch_free)(void *state);
  char error[1024];                /* a hook failed: the run stopped with this message */
  fl_exp_rt_t *exp;
  fl_change_t *changes; int nchanges, changes_cap;
  fl_change_run_t *change_run;     /* [service], then [nservices + journey]; NULL before the first change */
  uint64_t changes_dropped;        /* health changes past FL_CHANGES_MAX, not in changes */
  int confirm;                     /* windows in a row before a health change is confirmed */
  int npart_active;                /* partitions active now */
  int nwhere_active;               /* faults that select requests by attribute, active now */
  int nexp_where;                  /* expectations with where = { ... }: requests ending are matched against them */
  int nep_active;                  /* faults on one endpoint (not a link), active now: the hot path looks at
                                      the endpoints' fault state only then */
  fl_rng_t rng_attrs;              /* request attributes: drawn at entry and per fan-out item */
  fl_req_t *free_reqs;
  fl_req_chunk_t *chunks;
  uint64_t reqs_live, reqs_peak, reqs_allocated;
  uint64_t unmeasured_live;        /* live requests that arrived before the warm-up's end (F_UNMEASURED) */
  bool total_batched;              /* every request ending now is measured: the services' htotal takes their
                                      pending latencies with hwin, a few at a time (fl__stats_flush), instead
                                      of one by one (set at a window's close once no warm-up request lives) */
  uint64_t requests;               /* requests created (all services) */
  volatile int stop;               /* set asynchronously to stop at the next window */
  bool complete;                   /* ran to the scenario's end */
  bool check_invariants;           /* FAULTLINE_CHECK_INVARIANTS=1 at init: checked after every window */
  struct fl_tracer *tracer;        /* traces of sampled requests (trace.h), or NULL */
  void (*on_window)(struct fl_sim *s, uint32_t w, void *user);
  void *on_window_user;
} fl_sim_t;

/* Where window w's values are while the run holds them (dense: always; consolidated: the last
** s->ring windows, see fl_sim_kept). */
static inline uint32_t fl_sim_slot(const fl_sim_t *s, uint32_t w) { return s->ring ? w & (s->ring - 1) : w; }
static inline bool fl_sim_kept(const fl_sim_t *s, uint32_t w) {
  return w < s->wdone && (!s->ring ? true : !s->finished && w + s->ring >= s->wdone);
}

/* The memory a run of a model keeps (series.c): its statistics, laid out against a budget. */
typedef struct fl_stats_plan {
  uint32_t windows;           /* windows in the run */
  uint32_t entries;           /* entries a series holds at most: 'windows' when dense */
  uint32_t ring;              /* 0 dense; else the recent windows held at full resolution while running */
  uint32_t width;             /* windows per entry at the end of a complete run (1: dense) */
  double values;              /* series values per entry, over every service, journey and edge */
  double hist_bytes;          /* latency histograms */
  double series_bytes;        /* series as laid out */
  double min_bytes;           /* statistics at the fewest entries a consolidated run keeps */
  double pool_bytes;          /* requests in flight at the peak rate, Little's law without queueing (estimate, outside the budget) */
  double base_bytes;          /* the process, the model and its runtime state (estimate), changes_bytes included */
  double changes_bytes;       /* the health changes at most: FL_CHANGES_MAX records and each subject's run */
  double budget;              /* bytes: the model's memory or the default */
  bool given;                 /* the budget came from --memory */
  bool fits;                  /* min_bytes + base_bytes fit in the budget */
} fl_stats_plan_t;
/* Lays out the statistics of a run of 'm' within m->memory bytes (0: FL_MEMORY_DEFAULT and at
** most FL_SERIES_DEFAULT entries per series). */
void fl_sim_plan(const fl_model_t *m, fl_stats_plan_t *p);
/* When !p->fits: "FILE:1: scenario: the run needs at least N MB of memory, more than ..." into
** err; returns -FL_ESCENARIO. */
int fl_sim_plan_error(const fl_model_t *m, const fl_stats_plan_t *p, char *err, size_t n);
/* One line, "memory: about N MB kept: ...", for `faultline check`. */
void fl_sim_plan_text(const fl_stats_plan_t *p, char *buf, size_t n);
#define FL_MEMORY_DEFAULT (1024.0 * 1024 * 1024)
#define FL_SERIES_DEFAULT 65536u
#define FL_SERIES_MIN 64u     /* entries a consolidated series keeps at least */

/* The stored series once the run is over (after fl_sim_finish): how many entries, each one's
** start and length in seconds. Dense: one entry per closed window. */
uint32_t fl_sim_entries(const fl_sim_t *s);
double fl_sim_entry_t(const fl_sim_t *s, uint32_t e);
double fl_sim_entry_width(const fl_sim_t *s, uint32_t e);
bool fl_sim_consolidated(const fl_sim_t *s);    /* an entry covers more than one window */
/* Folds the windows still held at full resolution into the stored series; once the run is over
** (fl_sim_run and fl_run_all call it; a live run's report once it ended); no window closes after it.
** Until then a consolidated run's reports hold no series (fl_sim_entries is 0).
** Idempotent. */
void fl_sim_finish(fl_sim_t *s);
/* Bytes allocated for the series now (all services, journeys and edges), counted as allocated. */
size_t fl_sim_series_bytes(const fl_sim_t *s);

/* Builds runtime state for 'm' (borrowed for the sim's lifetime). Returns 0 or -FL_E*. */
int fl_sim_init(fl_sim_t *s, fl_model_t *m);
void fl_sim_release(fl_sim_t *s);
/* Runs to the end of the scenario, or until s->stop is set (checked at window boundaries), then
** fl_sim_finish. */
void fl_sim_run(fl_sim_t *s);
/* Runs until simulated time 'until' (for paced live runs). Returns false when the run is over. */
bool fl_sim_run_until(fl_sim_t *s, fl_time_t until);

/* Sets the number of instances of service 'svc' to n (new ones ready after the service's
** startup or autoscale delay; removed ones drain first). Returns 0, or -FL_ERANGE when n is
** beyond the instances it can hold. 'reason' goes on the timeline. */
int fl_sim_scale(fl_sim_t *s, int svc, int n, const char *reason);

/* Injects a fault now or at spec->at if later (a copy of 'spec', with its target resolved).
** Returns its index, or -FL_ERANGE when no more faults can be held. */
int fl_sim_inject(fl_sim_t *s, const fl_fault_t *spec);
/* Ends the active (or pending) fault named 'name' now. Returns 0 or -FL_EINVAL when none. */
int fl_sim_heal(fl_sim_t *s, const char *name);
/* Appends a message to the run's log (sim:log from a hook). */
void fl_sim_log(fl_sim_t *s, const char *msg);
/* The rate profile changed (--set on a live run): arrivals follow it from now on. */
void fl_sim_traffic_changed(fl_sim_t *s);
/* Closed-loop users alive on average after warm-up, up to now (0 without traffic.users). */
double fl_sim_users_mean(const fl_sim_t *s);

/* The last complete window (before the first closes: the one in progress), for hooks and
** live views; instances, desired and health are as of now. */
typedef struct fl_live_stats {
  fl_counts_t c;
  double p50, p99, utilization, busy, queue;
  int instances, desired;
  fl_health_t health;
} fl_live_stats_t;
void fl_sim_service_stats(fl_sim_t *s, int svc, fl_live_stats_t *out);
/* Service svc's latency after warm-up up to now: its htotal, or with latencies still pending,
** 'scratch' filled with both. */
const fl_hist_t *fl_sim_service_latency(const fl_sim_t *s, int svc, fl_hist_t *scratch);
void fl_sim_journey_stats(fl_sim_t *s, int j, fl_live_stats_t *out);

/* Evaluates the expectations once the run is over. Returns how many failed. */
int fl_sim_check_expectations(fl_sim_t *s);

/* Debug check of the run state (busy and queued totals equal the sums over the instances,
** requests in flight balance, waiting rooms and workers within bounds, ...). Returns 0 when all
** hold, else -FL_EINTERNAL with a sentence saying which one broke in 'why' (n bytes). With
** FAULTLINE_CHECK_INVARIANTS=1 in the environment at fl_sim_init, it runs after every window
** close and a broken invariant aborts. */
int fl_sim_check_invariants(const fl_sim_t *s, char *why, size_t n);

/* Bytes a request in flight takes (the pooled request record). */
size_t fl_sim_request_bytes(void);

/* Derived numbers for reports. */
double fl_sim_measured_seconds(const fl_sim_t *s);    /* length of the after-warm-up period run */

#endif
