/* A simulation run of a model: the engine, request pools, per-service and per-journey runtime
** state and statistics (window counts, latency histograms, time averages, series). */
#ifndef FAULTLINE_SIM_H
#define FAULTLINE_SIM_H

#include "engine.h"
#include "hist.h"
#include "model.h"
#include "rng.h"

typedef struct fl_req fl_req_t;

typedef struct fl_counts {
  uint64_t arrivals, successes, degraded, failures;
  uint64_t cause[FL_CAUSE__COUNT];
} fl_counts_t;

/* Series measures, one value per window. Journeys keep the first FL_SER_JOURNEY_COUNT. */
typedef enum {
  FL_SER_ARRIVALS = 0, FL_SER_SUCCESSES, FL_SER_DEGRADED, FL_SER_FAILURES, FL_SER_P50, FL_SER_P99,
  FL_SER_BUSY, FL_SER_QUEUE, FL_SER_INSTANCES, FL_SER_HEALTH, FL_SER__COUNT
} fl_series_t;
#define FL_SER_JOURNEY_COUNT (FL_SER_P99 + 1)
const char *fl_series_name(fl_series_t s);

typedef enum { FL_HEALTH_OK = 0, FL_HEALTH_DEGRADED, FL_HEALTH_DOWN } fl_health_t;
const char *fl_health_name(fl_health_t h);

typedef struct fl_instance {
  int busy, queued, outstanding;
  bool up;
  fl_req_t *qhead, *qtail;
} fl_instance_t;

/* Statistics shared by services and journeys. Time integrals are in (count x nanoseconds). */
typedef struct fl_stats {
  fl_counts_t win, total;     /* this window; after warm-up */
  fl_hist_t *hwin, *htotal;   /* latency of answered (successful or degraded) requests */
  double *series[FL_SER__COUNT];
} fl_stats_t;

typedef struct fl_svc_rt {
  fl_instance_t *inst; int ninst, nup;
  uint32_t rr;
  fl_rng_t rng_lb;
  int busy, queued, inflight;      /* current, over all instances */
  int64_t queue_max;               /* after warm-up */
  int inst_min, inst_max;          /* after warm-up */
  fl_time_t last;                  /* time of the last integral update */
  double w_busy, w_queue, w_inflight, w_workers;   /* integrals over this window */
  double t_busy, t_queue, t_inflight, t_workers;   /* integrals after warm-up */
  fl_health_t health;
  fl_stats_t st;
} fl_svc_rt_t;

typedef struct fl_ep_rt { fl_rng_t rng_work, rng_error; } fl_ep_rt_t;

typedef struct fl_jrn_rt {
  fl_rng_t rng;
  fl_event_t arrival;
  fl_time_t horizon_end;           /* thinning: end of the current bound's interval */
  double bound;                    /* thinning: rate bound over [.., horizon_end] */
  fl_stats_t st;
} fl_jrn_rt_t;

typedef struct fl_req_chunk fl_req_chunk_t;

typedef struct fl_sim {
  fl_engine_t eng;
  fl_model_t *m;
  fl_svc_rt_t *svc;
  fl_ep_rt_t *ep;
  fl_jrn_rt_t *jrn;
  fl_time_t end, window, warmup;   /* warmup rounded up to a window boundary */
  uint32_t nwindows, wdone;        /* windows in the run; windows closed so far */
  fl_event_t window_ev;
  fl_req_t *free_reqs;
  fl_req_chunk_t *chunks;
  uint64_t reqs_live, reqs_peak, reqs_allocated;
  uint64_t requests;               /* requests created (all services) */
  volatile int stop;               /* set asynchronously to stop at the next window */
  bool complete;                   /* ran to the scenario's end */
  void (*on_window)(struct fl_sim *s, uint32_t w, void *user);
  void *on_window_user;
} fl_sim_t;

/* Builds runtime state for 'm' (borrowed for the sim's lifetime). Returns 0 or -FL_E*. */
int fl_sim_init(fl_sim_t *s, fl_model_t *m);
void fl_sim_release(fl_sim_t *s);
/* Runs to the end of the scenario, or until s->stop is set (checked at window boundaries). */
void fl_sim_run(fl_sim_t *s);
/* Runs until simulated time 'until' (for paced live runs). Returns false when the run is over. */
bool fl_sim_run_until(fl_sim_t *s, fl_time_t until);

/* Derived numbers for reports. */
double fl_sim_measured_seconds(const fl_sim_t *s);    /* length of the after-warm-up period run */

#endif
