/* What a run means, computed once from its state for every printer (sim/analysis/): each fault's
** cascade (the chain of health changes it set off, its blast radius, recovery and the journeys'
** impact) and the derived metrics (success ratio, throughput, utilisation, peak utilisation,
** time averages). The JSON report, the terminal text, `sweep` and `size` read these and compute
** nothing of their own. Works on a finished run and on one still running (serve). */
#ifndef FAULTLINE_ANALYSIS_H
#define FAULTLINE_ANALYSIS_H

#include "sim.h"

/* ---- derived metrics (sim/analysis/metrics.c) ---- */

/* A set of outcome counts over a span, derived. */
typedef struct fl_rates {
  uint64_t answered;          /* successes + degraded + failures */
  double success_ratio;       /* (successes + degraded) / answered; 1 when nothing was answered */
  double ok_ratio;            /* successes / answered; 1 when nothing was answered */
  double degraded_ratio;      /* degraded / answered; 0 when nothing was answered */
  double failure_ratio;       /* failures / answered; 0 when nothing was answered */
  double throughput;          /* (successes + degraded) per measured second; 0 when none measured */
} fl_rates_t;

typedef struct fl_service_metrics {
  fl_rates_t out;           /* its requests after warm-up */
  double utilization;         /* busy worker-time over worker-time of ready instances */
  double peak_utilization;    /* fl_metrics_peak_utilization() */
  double busy_workers;        /* time averages over the measured seconds */
  double inflight;
  double queue_mean;
  int instances_min, instances_max;   /* after warm-up (the count in rotation when unchanged) */
} fl_service_metrics_t;

typedef struct fl_metrics {
  double measured;            /* seconds after warm-up (fl_sim_measured_seconds) */
  int nservices, njourneys, ncalls;
  fl_service_metrics_t *svc;  /* [service], model order */
  fl_rates_t *jrn;          /* [journey] */
  double *breaker_open;       /* [call site]: seconds its breakers spent open, summed over caller
                              ** instances, those open now counted up to now */
} fl_metrics_t;

/* Derives the metrics of 's' into 'x' (caller storage; fl_metrics_release() frees its arrays).
** 's' is only read and may be released before 'x'. */
void fl_metrics_init(fl_metrics_t *x, const fl_sim_t *s);
void fl_metrics_release(fl_metrics_t *x);

/* The outcome of counts 'c' over 'secs' measured seconds. */
fl_rates_t fl_metrics_rates(const fl_counts_t *c, double secs);
/* (successes + degraded) / answered of 'c'; 1 when nothing was answered. */
double fl_metrics_success_ratio(const fl_counts_t *c);
/* Busy worker-time over worker-time of service 'i' after warm-up; 0 before any. */
double fl_metrics_utilization(const fl_sim_t *s, int i);
/* The peak over the measured windows (all of them when warm-up covers the run) of busy workers
** over the workers of the instances live at the window's end, capped at 1 (a crash inside a
** window can leave more workers busy than that). */
double fl_metrics_peak_utilization(const fl_sim_t *s, int i);

/* ---- cascades (sim/analysis/cascade.c) ---- */

/* One health change in a fault's chain. */
typedef struct fl_hit {
  int change;                 /* index into s->changes */
  double delay;               /* seconds from the fault's scheduled start to the change */
  fl_time_t recovered;        /* when the same service or journey was next back at its state before the
                              ** fault's chain reached it (or better), or -1; a window without data never is */
} fl_hit_t;

/* A journey's requests in one phase of a fault (before, during, after). */
typedef struct fl_phase {
  fl_rates_t out;           /* throughput unset (0): phases have no single length */
  double p99;                 /* seconds */
} fl_phase_t;

/* What an effect measures. */
typedef enum { FL_EFFECT_P99 = 0, FL_EFFECT_SUCCESS, FL_EFFECT_LAG } fl_effect_kind_t;
/* "p99", "success", "lag" */
const char *fl_effect_kind_name(fl_effect_kind_t k);

/* A change a fault caused along its chain, whether or not it changed a state: a service's or
** journey's p99 or success, a broker's lag, before the fault vs during it. p99: the median of
** the windows' p99 (windows with answers); success: over all answers; lag: the highest. */
typedef struct fl_effect {
  int service;                /* the service or broker, or -1 for a journey */
  int journey;                /* the journey, or -1 */
  fl_effect_kind_t kind;
  double before, during;      /* seconds, a share (0..1) or messages */
  double peak;                /* p99: the highest window during it; success: the lowest; lag: = during */
  bool changed_state;         /* the subject is also among the fault's hits */
  int shared;                 /* an overlapping fault whose chain reaches the subject too, or -1 */
} fl_effect_t;

/* Hits of one subject into one state, folded: a flapping service is one episode, not twenty. */
typedef struct fl_episode {
  int hit;                    /* its first hit, index into hits */
  int count;                  /* hits it folds (> 1: it flapped) */
  fl_time_t last;             /* when the last of them happened */
} fl_episode_t;

typedef struct fl_fault_cascade {
  fl_time_t end;              /* when the fault ended, or -1 (not yet, or never started) */
  int nhits;
  fl_hit_t *hits;             /* changes whose chain starts at this fault to a state worse than the subject's
                              ** before the fault (away from ok for most), timeline order */
  int nepisodes;
  fl_episode_t *episodes;     /* the hits folded per (subject, state), in order of their first hit */
  int nservices, njourneys;
  int *services, *journeys;   /* the blast radius: those hit, in order of their first hit */
  fl_time_t first_hit;        /* the earliest hit, or -1 when nothing changed */
  fl_time_t recovered;        /* the last recovery when every hit recovered (every subject back at its
                              ** state before the fault), else -1 */
  fl_phase_t *impact;         /* [journey * 3 + phase]: before, during, after */
  int neffects;
  fl_effect_t *effects;       /* on what its chain reaches (the target, its callers, their journeys
                              ** and the brokers they consume from), largest first: p99 by ratio,
                              ** then success by drop, then lag; at most FL_CASCADE_EFFECTS */
  int noverlaps;
  int *overlaps;              /* faults active at some time while it was, model order */
} fl_fault_cascade_t;

#define FL_CASCADE_EFFECTS 8

typedef struct fl_cascade {
  int nchanges;
  int *order;                 /* change indices in timeline order: by time, then cause before
                              ** effect (depth in the chain), then as recorded */
  int *root;                  /* [change]: the fault its chain starts from, or -1 */
  int nflaps;
  fl_flap_t *flaps;           /* flapping episodes, in timeline order of their first change */
  int *flap;                  /* [change]: the episode it folds into, or -1 */
  int nfaults;
  fl_fault_cascade_t *fault;  /* [fault], model order */
} fl_cascade_t;

/* Works out the cascades of 's' into 'c' (caller storage; fl_cascade_release() frees it). */
void fl_cascade_init(fl_cascade_t *c, const fl_sim_t *s);
void fl_cascade_release(fl_cascade_t *c);

/* Name of the entity a change is about: a service or a journey. Borrowed from the model. */
const char *fl_change_subject(const fl_sim_t *s, const fl_change_t *c);

#endif
