/* Defaults of the scenario's settings and policies, written once: the Lua readers (sim/lang/)
** and --set (set.c) both start from these, and the bounds beside them are in model_int.h. */
#include "model_int.h"

#include <stdint.h>

#define DEFAULT_QUEUE 100
#define DEFAULT_HEALTH_CHECK 5.0   /* seconds: a balancer's active health check interval */

void fl__model_defaults(fl_model_t *m) {
  m->window = 1;
  m->seed = 1;
  /* health thresholds: degraded at 5% failures, down at half, saturated at 98% busy, 2 windows */
  m->health.degraded_errors = 0.05; m->health.down_errors = 0.5; m->health.degraded_share = 0.5;
  m->health.saturation = 0.98; m->health.confirm = 2;
  m->health.min_requests = FL_DEFAULT_MIN_REQUESTS;
  fl_dist_const(&m->users_think, 0, NULL);   /* k6 runs an iteration right after the last unless it sleeps */
}

void fl__service_defaults(fl_service_t *s) {
  s->instances = 1; s->workers = 1; s->queue = DEFAULT_QUEUE; s->blocking = true; s->health_check = DEFAULT_HEALTH_CHECK;
  s->cores = 0;                 /* no CPU model: work is wall time, each worker its own CPU (as before cores existed) */
  s->capacity = INT64_MAX; s->max_deliveries = 3;
}

void fl__call_defaults(fl_call_t *c) {
  c->p = 1;
  c->connect_timeout = FL_DEFAULT_CONNECT_TIMEOUT;
  c->backoff_mult = 2;
  c->jitter = FL_JITTER_NONE;
  c->retry_on = (1u << FL_CAUSE_TIMEOUT) | (1u << FL_CAUSE_UNAVAILABLE) | (1u << FL_CAUSE_REJECTED) | (1u << FL_CAUSE_ERROR);
}

void fl__breaker_defaults(fl_breaker_cfg_t *b) {
  /* Resilience4j's defaults (CircuitBreakerConfig): failureRateThreshold 50%, slidingWindowSize 100,
  ** minimumNumberOfCalls 100, waitDurationInOpenState 60 s, permittedNumberOfCallsInHalfOpenState 10,
  ** slowCallRateThreshold 100%, slowCallDurationThreshold 60 s. */
  b->on = true;
  b->failure_rate = 0.5; b->slow_call_rate = 1.0; b->slow_call = 60 * FL_SEC;
  b->window = 100; b->min_calls = 100; b->open_for = 60 * FL_SEC; b->half_open_calls = 10;
}

void fl__breaker_clamp(fl_breaker_cfg_t *b) {
  if (b->min_calls > b->window) b->min_calls = b->window;   /* as Resilience4j: at most the window */
}

void fl__budget_defaults(fl_call_t *c) {
  c->budget_ratio = 0.2; c->budget_min = 10;
}

double fl__budget_ratio(double ratio) { return ratio > 0 ? ratio : 1e-12; }

void fl__hedge_defaults(fl_hedge_cfg_t *h) {
  h->on = true; h->max = 1;
}

void fl__autoscale_defaults(fl_service_t *s) {
  /* Kubernetes' HPA defaults: 15 s sync period, 0.1 tolerance, 300 s scale-down stabilisation. */
  s->autoscale.on = true; s->autoscale.metric = FL_SCALE_UTILIZATION;
  s->autoscale.period = 15; s->autoscale.tolerance = 0.1; s->autoscale.stabilize_down = 300; s->autoscale.delay = 30;
  s->autoscale.warmup_factor = 2;
  s->autoscale.min = 1;
}

void fl__autoscale_clamp(fl_service_t *s) {
  if (s->instances > s->autoscale.max) s->instances = s->autoscale.max;
  if (s->instances < s->autoscale.min) s->instances = s->autoscale.min > 0 ? s->autoscale.min : 1;
}

void fl__outlier_defaults(fl_service_t *s) {
  /* Envoy's outlier detection defaults: consecutive_5xx 5, interval 10 s, base_ejection_time 30 s,
  ** max_ejection_percent 10%. */
  s->outlier.consecutive_errors = 5; s->outlier.interval = 10; s->outlier.base_ejection = 30; s->outlier.max_ejected = 0.1;
}
