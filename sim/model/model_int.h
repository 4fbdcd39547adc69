/* Private to sim/model/ and sim/lang/: the model's arena, and the one home of every default and
** bound of the scenario's settings and policies, shared by the Lua readers and --set so that the
** two accept and refuse the same values. */
#ifndef FAULTLINE_SIM_MODEL_INT_H
#define FAULTLINE_SIM_MODEL_INT_H

#include "faultline/model.h"

#include <stddef.h>

/* ---- the arena (model.c): every string and array the model points to ---- */

/* Zeroed, aligned memory that lives until fl_model_free(m). */
void *fl__model_alloc(fl_model_t *m, size_t n);
char *fl__model_strdup(fl_model_t *m, const char *s);
/* Bytes the arena holds: the loader counts them against the script's memory cap. */
size_t fl__model_arena_bytes(const fl_model_t *m);

/* ---- bounds (the script refuses, and --set refuses, anything outside) ---- */

#define FL_MAX_SECONDS 1e9            /* any duration: about 31 years; in nanoseconds, twice fits int64 */
#define FL_MIN_DURATION 1e-9          /* any duration but 0: the clock ticks in nanoseconds, and a positive
                                         duration that rounds to 0 would make a period loop at one instant */
#define FL_MAX_RATE 1e9               /* any rate, per second: beyond it a run would never end */
#define FL_MIN_WINDOW 0.001           /* scenario.window and autoscale.period: at least 1 ms */
#define FL_MIN_PERIOD 0.5e-9          /* a duration that must not be 0 (a leak's every) is above this: >= 1 ns once rounded */
#define FL_MAX_FACTOR 1e6             /* a slowdown or leak factor: work takes at most this many times longer */
#define FL_MAX_SEED (1LL << 53)       /* a seed stays exact as a Lua number and in JSON */
#define FL_MAX_RETRIES 100            /* retries (attempts: one more) */
#define FL_MIN_BACKOFF_MULT 1.0       /* backoff.multiplier */
#define FL_MAX_BREAKER_COUNT 100000   /* breaker.window, min_calls, half_open_calls: 1 to this */
#define FL_MAX_BULKHEAD 100000000     /* bulkhead: 1 to this (--set: 0 or none for off) */
#define FL_MAX_HEDGE 10               /* hedge.max: 1 to this (--set: 0 turns hedging off) */
#define FL_MAX_INSTANCES 100000       /* instances, autoscale.min (from 0) and max (from 1) */
#define FL_MAX_WORKERS 1000000
#define FL_MAX_CORES 4096             /* cores per instance: the largest machines' hardware threads */
#define FL_MAX_QUEUE 1000000000       /* queue: 0 to this, or unbounded */
#define FL_MIN_WARMUP_FACTOR 1.0      /* autoscale.warmup_factor */
#define FL_MAX_CONFIRM 1000           /* health.confirm: windows, from 1 */
#define FL_MAX_MIN_REQUESTS 1000000   /* health.min_requests: answers, from 1 */
#define FL_MAX_CLIENT_RETRIES 100     /* traffic.client.retries */
#define FL_MAX_USERS 1000000          /* traffic.users and stages' counts: each user holds a session record */

/* ---- defaults (defaults.c), each with its source ---- */
/* (FL_DEFAULT_CONNECT_TIMEOUT is in faultline/model.h: the run uses it for users' connects.) */

#define FL_DEFAULT_MIN_REQUESTS 10    /* one failure among fewer answers says little: 1 of 10 is already 10% */

/* The scenario's settings before scenario { ... }: a 1 s window, seed 1, the health thresholds
** (FL_DEFAULT_MIN_REQUESTS answers before a window can change a state), users who do not think
** between sessions (k6's default: no sleep). */
void fl__model_defaults(fl_model_t *m);
/* A service before its fields: one instance, one worker, a queue of 100, blocking, and so on. */
void fl__service_defaults(fl_service_t *s);
/* A call before its options: always made, connects time out after 127 s, backoff x2 without jitter, retried on timeout,
** unavailable, rejected and error (when retries are given). */
void fl__call_defaults(fl_call_t *c);
/* Resilience4j's CircuitBreakerConfig defaults; turns the breaker on. */
void fl__breaker_defaults(fl_breaker_cfg_t *b);
/* After a change: min_calls is at most the window, as in Resilience4j. */
void fl__breaker_clamp(fl_breaker_cfg_t *b);
/* Envoy's retry budget defaults: 20% of requests, at least 10 retries per second. */
void fl__budget_defaults(fl_call_t *c);
/* A budget ratio of 0 with a minimum left: a ratio too small to count, as the run expects. */
double fl__budget_ratio(double ratio);
/* One hedged attempt, timed by 'after' or a quantile; turns hedging on. */
void fl__hedge_defaults(fl_hedge_cfg_t *h);
/* Kubernetes' HPA defaults; turns autoscaling on. */
void fl__autoscale_defaults(fl_service_t *s);
/* After min or max changed: the instances at start lie within them. */
void fl__autoscale_clamp(fl_service_t *s);
/* Envoy's outlier detection defaults. */
void fl__outlier_defaults(fl_service_t *s);

#endif
