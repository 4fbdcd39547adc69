/* The model: services (instances, workers, waiting room, balancer), endpoints (work, calls),
** traffic (rate profile, journey mix) and the scenario's settings, as loaded from a scenario
** and adjusted by --set. Runtime state of a simulation lives in fl_sim_t (sim.h). */
#ifndef FAULTLINE_MODEL_H
#define FAULTLINE_MODEL_H

#include "core.h"
#include "dist.h"

typedef enum {
  FL_CAUSE_NONE = 0, FL_CAUSE_REJECTED, FL_CAUSE_TIMEOUT, FL_CAUSE_UNAVAILABLE, FL_CAUSE_ERROR,
  FL_CAUSE_BREAKER_OPEN, FL_CAUSE_DEADLINE, FL_CAUSE__COUNT
} fl_cause_t;

typedef enum { FL_OUT_SUCCESS = 0, FL_OUT_DEGRADED, FL_OUT_FAILURE } fl_outcome_t;
#define FL_OUT__COUNT 3   /* not an enumerator: switches over fl_outcome_t stay exhaustive */

typedef enum { FL_LB_ROUND_ROBIN = 0, FL_LB_RANDOM, FL_LB_LEAST_OUTSTANDING, FL_LB_P2C, FL_LB__COUNT } fl_balancer_t;

typedef enum { FL_SCALE_UTILIZATION = 0, FL_SCALE_INFLIGHT, FL_SCALE_QUEUE, FL_SCALE_RPS, FL_SCALE__COUNT } fl_scale_metric_t;

typedef enum {
  FL_PROFILE_CONST = 0, FL_PROFILE_PIECEWISE, FL_PROFILE_SURGE, FL_PROFILE_DIURNAL, FL_PROFILE_FLASH,
  FL_PROFILE_SUM, FL_PROFILE_PRODUCT, FL_PROFILE_REPLAY
} fl_profile_kind_t;

/* A full waiting room: "reject" answers at once (an application queue's 503), "drop" never
** answers (a full TCP backlog with tcp_abort_on_overflow = 0): the caller waits for its connect
** or call timeout. */
typedef enum { FL_OVERFLOW_REJECT = 0, FL_OVERFLOW_DROP, FL_OVERFLOW__COUNT } fl_overflow_t;
typedef enum { FL_JITTER_NONE = 0, FL_JITTER_FULL, FL_JITTER_EQUAL, FL_JITTER__COUNT } fl_jitter_t;

/* Names of the enums, as scenarios and reports write them (one table each, in sim/model/model.c).
** fl_X_name returns "?" for a value out of range; fl_X_parse returns the value for a name, or -1
** (also for NULL). */
/* "rejected", "timeout", ...; "none" for FL_CAUSE_NONE. */
const char *fl_cause_name(fl_cause_t c);
int fl_cause_parse(const char *name);
/* "round_robin", "random", "least_outstanding", "p2c" */
const char *fl_balancer_name(fl_balancer_t b);
int fl_balancer_parse(const char *name);
/* "utilization", "inflight", "queue", "rps" */
const char *fl_scale_metric_name(fl_scale_metric_t k);
int fl_scale_metric_parse(const char *name);
/* "reject", "drop" */
const char *fl_overflow_name(fl_overflow_t o);
int fl_overflow_parse(const char *name);
/* "none", "full", "equal" */
const char *fl_jitter_name(fl_jitter_t j);
int fl_jitter_parse(const char *name);
/* "success", "degraded", "failure" */
const char *fl_outcome_name(fl_outcome_t o);
int fl_outcome_parse(const char *name);

typedef struct fl_service fl_service_t;
typedef struct fl_endpoint fl_endpoint_t;

/* ---- request attributes: drawn when a request enters, carried by its calls downstream ---- */

#define FL_MAX_ATTRS 4        /* attribute keys a model may use (a request carries one value per key) */

/* An attribute key ("product") with its values, interned at load time: a request carries value
** ids (1..nvalues; 0: none drawn); a numeric key (zipf) carries the rank itself. */
typedef struct fl_attr_key {
  char *name;
  char **values; int nvalues, cap;
  bool numeric;               /* zipf: values are ranks 1..n, written as numbers */
  bool drawn;                 /* some generator draws it */
} fl_attr_key_t;

typedef enum { FL_ATTR_CHOICE = 0, FL_ATTR_SHARE, FL_ATTR_ZIPF } fl_attr_kind_t;

/* How one attribute is drawn: choice (uniform over the values; a fan-out draws distinct ones),
** share (weighted), zipf (rank k of n with weight 1/k^s). */
typedef struct fl_attr_gen {
  int key;                    /* index into the model's attr_keys */
  fl_attr_kind_t kind;
  int n;                      /* values */
  char **names;               /* as written (choice, share), until interned */
  uint32_t *ids;              /* their value ids (choice, share) */
  double *cdf;                /* share, zipf: cumulative weights, the last 1 */
  double s;                   /* zipf: exponent */
} fl_attr_gen_t;

/* A selector: the request's value of 'key' is (or, negated, is not) 'value'. */
typedef struct fl_attr_match { int key; char *value; uint32_t id; bool negate; } fl_attr_match_t;

/* Resilience4j's count-based circuit breaker. */
typedef struct fl_breaker_cfg {
  bool on;
  double failure_rate;        /* open at or above this failure share of the window */
  double slow_call_rate;      /* or at or above this slow share (1.0 and no slow_call: off) */
  fl_time_t slow_call;        /* a call at least this long is slow; 0: none */
  int window;                 /* outcomes kept */
  int min_calls;              /* outcomes needed before the rates count */
  fl_time_t open_for;
  int half_open_calls;
} fl_breaker_cfg_t;

typedef struct fl_hedge_cfg {
  bool on;
  fl_time_t after;            /* fixed delay, or 0 with 'quantile' */
  double quantile;            /* after = this quantile of the call's observed latency (e.g. 0.95) */
  int max;                    /* extra attempts */
} fl_hedge_cfg_t;

/* A connect whose SYNs go unanswered fails after Linux's defaults give up: net.ipv4.tcp_syn_retries
** = 6 retransmissions, the initial RTO of 1 s doubling: 1+2+4+8+16+32+64 = 127 s. The default of a
** call's connect_timeout (defaults.c), and the connect timeout of users and broker deliveries. */
#define FL_DEFAULT_CONNECT_TIMEOUT (127 * FL_SEC)

typedef struct fl_call {
  char *target_name;          /* "catalog.list" or "catalog" */
  const char *file; int line;
  fl_endpoint_t *target;      /* resolved */
  fl_time_t timeout;          /* 0: none */
  fl_time_t connect_timeout;  /* a callee that drops the connection (overflow = "drop", hang) fails it after this */
  bool optional;
  bool ignore_errors;         /* a failed answer counts as a success: the caller logs it and carries on */
  fl_time_t fallback;         /* latency of the fallback when an optional call fails */
  double p;                   /* probability that the call is made (1: always) */
  int retries;                /* extra attempts after a failure */
  fl_time_t backoff_base, backoff_max;
  double backoff_mult;
  fl_jitter_t jitter;
  unsigned retry_on;          /* bit per fl_cause_t */
  double budget_ratio, budget_min;   /* retry budget: retries <= max(min/s, ratio x requests) per second; ratio 0: none */
  fl_breaker_cfg_t breaker;
  int bulkhead;               /* max concurrent calls from one caller instance; 0: none */
  bool deadline;              /* propagate the remaining time; callees drop expired requests */
  fl_hedge_cfg_t hedge;
  bool async;                 /* publish and go on: the caller does not wait for the answer */
  double cache_hit;           /* share of calls answered by a cache in front of the callee (0: none) */
  double cache_warmup;        /* seconds for a cold cache to reach cache_hit again */
  fl_attr_match_t *when; int nwhen;   /* made only for requests whose attributes match (when = { ... }) */
  const fl_dist_t *count;     /* fan-out: this many calls (the sample in seconds, rounded); NULL: one */
  fl_attr_gen_t *items; int nitems;   /* fan-out: an attribute drawn per item (attrs = { ... }) */
  int id;                     /* index over all calls of the model (set by fl_sim_init) */
  int slot;                   /* index of the callee among its caller's distinct callees (set by fl_sim_init) */
} fl_call_t;

/* One step of an endpoint: a single call, or a parallel group of calls [first, first+count). */
typedef struct fl_step { int first, count; bool parallel; } fl_step_t;

struct fl_endpoint {
  /* read by every visit: first, for the cache (the order is for the cache) */
  int id;                     /* index over all endpoints of the model */
  int nsteps;
  fl_service_t *service;
  double error_rate;          /* < 0: the service's */
  fl_step_t *steps;
  fl_call_t *calls; int ncalls;
  int sid;                    /* service->id (set by fl_sim_init): the service's run state found without
                              ** first reading the service's record */
  fl_dist_t work;
  double slo;                 /* seconds: its window p99 above this degrades its service; 0: none */
  char *name;                 /* "list" */
  char *full_name;            /* "catalog.list" */
  const char *file; int line;
};

struct fl_service {
  /* read by every visit: first, for the cache (the order is for the cache) */
  int id;
  int instances, workers;
  int cores;                  /* per instance: busy workers share them (processor sharing); 0: no CPU model, work is time */
  int64_t queue;              /* waiting places per instance; INT64_MAX: unbounded */
  fl_overflow_t overflow;     /* what a full room does to a newcomer: reject it at once, or drop it unanswered */
  fl_balancer_t balancer;
  bool blocking;
  bool implicit;              /* no endpoints table: its one endpoint answers to any endpoint name */
  /* kind = "broker": a message queue. Each consumer endpoint gets every message, delivered as
  ** its concurrency allows; a failed delivery is retried up to max_deliveries, then dead-lettered. */
  bool broker;
  double error_rate;
  double rate_limit;          /* token bucket at the door (per second); 0: none */
  double shed_after;          /* reject when the expected wait exceeds this (seconds); 0: none */
  double rate_burst;          /* the token bucket's size (tokens) */
  struct {
    int consecutive_errors;   /* 0: no outlier ejection */
    double interval, base_ejection, max_ejected;
  } outlier;
  struct {
    double warmup, warmup_factor;   /* a new instance works warmup_factor x slower, easing to 1 over warmup */
    bool on;
    int metric;               /* fl_scale_metric_t */
    double target;            /* per instance: utilization share, in-flight, queue length or rps */
    int min, max;
    double period, tolerance, stabilize_down, delay;
  } autoscale;
  char *name;
  char *group;                /* the diagram's box around it: `group = "..."`, else the name's prefix
                              ** before a '/' ("payments/ledger": payments); NULL: none */
  bool group_set;             /* written in the scenario (not derived from the name) */
  const char *file; int line;
  double slo;                 /* seconds; 0: none */
  double health_check;        /* seconds until the balancer notices a crashed instance */
  double startup;             /* seconds before a new instance is ready (scaling, restarts) */
  fl_endpoint_t *endpoints; int nendpoints;
  int64_t capacity;           /* messages held per consumer; INT64_MAX: unbounded */
  int nconsumers;
  char **consumer_names;
  fl_endpoint_t **consumers;  /* resolved */
  int concurrency;            /* deliveries in flight per consumer; 0: its instances x workers */
  int max_deliveries;
  int64_t lag_limit;          /* broker: degraded when this many messages wait (all consumers); 0: none */
  double age_limit;           /* broker: degraded when the oldest waiting message is this old (s); 0: none */
};

typedef struct fl_profile {
  fl_profile_kind_t kind;
  double value;                                      /* const */
  double base, peak, start, ramp, hold, decay;       /* surge (seconds, per second) */
  int npoints; double *pt, *pr;                      /* piecewise (and a time,rate trace): times (s), rates (/s) */
  double mean, amplitude, peak_at, period;           /* diurnal: mean x (1 + amplitude cos(2 pi (t - peak_at) / period)) */
  double at, factor, rise;                           /* flash: base -> base x factor over 'rise' at 'at', held 'hold', back over 'decay' */
  struct fl_profile *a, *b;                          /* sum, product */
  double *times; int ntimes;                         /* replay: one arrival per timestamp (a trace of requests) */
  int line;
} fl_profile_t;

typedef struct fl_journey {
  char *name;                 /* the entry endpoint ("gateway.home"), or a named sequence */
  double share;
  fl_endpoint_t *entry;       /* resolved: the first step's endpoint */
  int nsteps;                 /* a session visits these entry endpoints in order */
  char **step_names;
  fl_endpoint_t **steps;      /* resolved */
  double *cont;               /* after step k succeeds, the user goes on with probability cont[k] */
  double think;               /* seconds between steps (exponential with this mean; 0: none) */
  double slo;                 /* seconds: a window p99 (of its steps, as users saw them) above this degrades it; 0: none */
  double session_slo;         /* seconds: a window p99 of its sessions' time (the steps' answers summed, think
                              ** times excluded, refreshes included) above this degrades it; 0: none */
  const char *file; int line;
} fl_journey_t;

/* A timed change of the mix (mix = { ..., at "20m" { ["a"] = 0.2, ["b"] = 0.8 } }): from 'at' on,
** the journeys' shares are these (those not named: 0). */
typedef struct fl_mix_at {
  double at;                  /* seconds */
  int n; char **names; double *shares;   /* as written */
  double *share;              /* resolved: one per journey, in the journeys' order */
  const char *file; int line;
} fl_mix_at_t;

typedef enum {
  FL_FAULT_CRASH = 0, FL_FAULT_LATENCY, FL_FAULT_SLOWDOWN, FL_FAULT_ERRORS, FL_FAULT_HANG,
  FL_FAULT_PARTITION, FL_FAULT_CAPACITY, FL_FAULT_LEAK, FL_FAULT_COLD_CACHE, FL_FAULT_PAUSE, FL_FAULT_CPU_HOG, FL_FAULT__COUNT
} fl_fault_kind_t;
/* "crash", "latency", ... (as fl_cause_name and fl_cause_parse) */
const char *fl_fault_kind_name(fl_fault_kind_t k);
int fl_fault_kind_parse(const char *name);

typedef struct fl_fault {
  char *name;                 /* defaults to the target ("recommend") or "from->to" */
  fl_fault_kind_t kind;
  char *target_name, *from_name, *to_name;
  fl_service_t *target;       /* resolved; for a partition: the callee */
  fl_endpoint_t *endpoint;    /* resolved: target = "svc.endpoint" hits that endpoint only; NULL: the whole service */
  fl_service_t *from;         /* partition: the caller */
  double at, duration;        /* seconds; duration 0: until the end */
  int instances;              /* crash, capacity, hang: how many (0: all, or see fraction) */
  double fraction;            /* crash, hang: share of instances when > 0 */
  double value;               /* latency: seconds added; slowdown, leak: factor; errors: rate; cpu_hog: share of the cores */
  double every, restart;      /* leak: seconds from a fresh start to the restart, and the restart's length;
                                 pause: seconds between one instance's pauses (0: each pauses once) */
  fl_dist_t pause;            /* pause: how long an instance freezes (seconds) */
  fl_attr_match_t *where; int nwhere;   /* errors, latency: only requests whose attributes match */
  const char *file; int line;
} fl_fault_t;

typedef enum { FL_EXPECT_ALL = 0, FL_EXPECT_FAULT, FL_EXPECT_RANGE, FL_EXPECT_STEADY, FL_EXPECT_AFTER } fl_during_t;

/* Measures an expectation checks beyond success_rate, p99 and p50 (the Lua field names, in order:
** error_rate p90 p95 p999 mean throughput utilization lag age). */
typedef enum {
  FL_EXM_ERROR_RATE = 0, FL_EXM_P90, FL_EXM_P95, FL_EXM_P999, FL_EXM_MEAN, FL_EXM_THROUGHPUT, FL_EXM_UTILIZATION,
  FL_EXM_LAG, FL_EXM_AGE, FL_EXM__COUNT
} fl_xmeasure_t;
/* "error_rate", "p90", ...; "?" out of range. */
const char *fl_xmeasure_name(fl_xmeasure_t k);
/* One check of such a measure: observed OP value (a share, seconds, per second or messages). */
typedef struct fl_xcheck { fl_xmeasure_t measure; char op[3]; double value; } fl_xcheck_t;

typedef struct fl_expect {
  char *name;
  fl_service_t *service;      /* one of service / journey / endpoint */
  int journey;                /* index into journeys, or -1 */
  fl_endpoint_t *endpoint;    /* endpoint = "api.products" (or service = "api.products"): its latency only */
  char *subject;              /* the name as written */
  fl_during_t during;
  char *fault_name; int fault;        /* during = "fault:NAME" or "after:NAME" */
  double recovers_within;             /* after:NAME: seconds after the fault ends that the scope starts */
  double from, to;                    /* during = {"40m", "55m"} */
  bool has_success; char success_op[3]; double success_rate;
  bool has_p99; char p99_op[3]; double p99;
  bool has_p50; char p50_op[3]; double p50;
  fl_xcheck_t more[FL_EXM__COUNT]; int nmore;   /* the other measures checked, as written */
  char *no_cascade_from;              /* nothing beyond its direct callers changes state */
  fl_service_t *no_cascade;
  fl_attr_match_t *where; int nwhere; /* only the requests whose attributes match (where = { ... }) */
  const char *file; int line;
} fl_expect_t;

/* A Lua function run at a time, or every interval, during the run (at(), every()). */
typedef struct fl_hook {
  double at, every;           /* seconds; every 0: once */
  int ref;                    /* the function, in the scenario's Lua registry */
  const char *file; int line;
} fl_hook_t;

struct fl_sim;

typedef struct fl_model {
  char *name;
  char *file;                 /* the scenario's path as given */
  double duration, window, warmup;   /* seconds */
  bool window_set;                   /* the scenario (or --set) gave the window; else fl_model_default_window */
  double memory;                     /* bytes the run may keep (--memory), 0: the default (fl_sim_plan) */
  uint64_t seed;
  fl_service_t *services; int nservices;
  int nendpoints;
  fl_profile_t rate;
  fl_journey_t *journeys; int njourneys;
  fl_mix_at_t *mix_at; int nmix_at;  /* the mix's timed changes, in time order */
  const char *traffic_file; int traffic_line;
  double client_timeout;      /* users give up after this (seconds; 0: never) */
  int client_retries;         /* and press refresh this many times */
  double client_think;        /* seconds before a refresh (exponential with this mean) */
  /* Closed-loop users (k6's virtual users, Locust's users): each runs a session of a journey drawn
  ** from the mix, waits for its answers, thinks, then starts the next. Open arrivals (rate) may
  ** run beside them. */
  bool has_users;             /* traffic.users given: false leaves the run exactly as before */
  fl_profile_t users;         /* users wanted over time, a count: constant or piecewise-linear (stages) */
  double spawn_rate;          /* users started per second at most (Locust's spawn rate); 0: at once */
  fl_dist_t users_think;      /* a user's wait after each session (k6's sleep, Locust's wait_time) */
  bool has_traffic;
  fl_attr_key_t attr_keys[FL_MAX_ATTRS]; int nattr_keys;
  fl_attr_gen_t *attrs; int nattrs;  /* drawn when a request enters (traffic { attrs = { ... } }) */
  fl_fault_t *faults; int nfaults;
  fl_expect_t *expects; int nexpects;
  fl_hook_t *hooks; int nhooks;
  struct {                    /* health thresholds (scenario { health = { ... } }) */
    double degraded_errors, down_errors;   /* failure shares */
    double degraded_share;                 /* journeys: share of degraded answers */
    double saturation;                     /* utilisation */
    int confirm;                           /* windows in a row before a change holds */
    int min_requests;                      /* answers a window needs before it can change a state */
  } health;
  void *lua;                  /* the scenario's Lua state, kept while hooks may run */
  /* Runs hook i for a simulation; 0, or -FL_ESCENARIO with "file:line: message" in err. */
  int (*run_hook)(struct fl_model *m, struct fl_sim *s, int i, char *err, size_t errlen);
  void (*lua_free)(void *lua);       /* releases 'lua' (called by fl_model_free) */
  void *arena;                /* owns every string and array above */
  void *names;                /* model.c's hash index of service and journey names (built on first look-up) */
} fl_model_t;

/* Rate of a profile at time t (seconds), per second. */
double fl_profile_rate(const fl_profile_t *p, double t);
/* Upper bound of the rate over [t0, t1]. */
double fl_profile_max(const fl_profile_t *p, double t0, double t1);

fl_service_t *fl_model_find_service(const fl_model_t *m, const char *name);

/* The numbers of fault 'ft' within the scenario language's bounds (sim/model/bounds.c): at,
** duration, latency, every and restart from 0 to 1e9 s, duration and every above 0.5 ns (they
** must not round to 0 ns), a factor from 1 to 1e6, a rate from 0 to 1, instances a whole number
** from 1 to 100000 or a share in (0, 1). For values that come from outside a script (serve's API).
** Names and targets are not checked. Returns 0, or -FL_EINVAL with "FIELD must ..." in err. */
int fl_model_check_fault(const fl_fault_t *ft, char *err, size_t errlen);
/* Resolves a fault's target ("svc" or "svc.endpoint") and 'from', and checks that its kind can hit
** one endpoint and that its instances exist. 0, or -FL_ESCENARIO with a message without a place
** ("unknown service 'x'") in err. Scenarios, hooks and the live API share it. */
int fl_model_fault_targets(const fl_model_t *m, fl_fault_t *ft, char *err, size_t n);
/* What a resolved fault hits, as reports name it: "payment", or "payment.charge" for one endpoint. */
const char *fl_fault_target_label(const fl_fault_t *ft);
/* What a call reaches, as reports name it: the endpoint's "svc.ep", or the name as written
** ("auth.verify") when it reaches a service without endpoints, whose one endpoint answers any name. */
const char *fl_call_target_label(const fl_call_t *c);
/* "errors on payment", or on a link "errors on checkout → payment", in buf (n bytes). */
const char *fl_fault_describe(const fl_fault_t *ft, char *buf, size_t n);
/* How an attribute is drawn, as a scenario writes it: choice { "P0", "P1", ... } (the first 8
** values, then how many), share { CA = 0.1111, US = 0.8889 }, zipf { n = 1000, s = 1.1 }; in buf. */
const char *fl_attr_gen_format(const fl_attr_gen_t *g, const fl_model_t *m, char *buf, size_t n);
/* A fan-out's count as text: "4", or a distribution read in items ("exp(mean=3s), mean 3 items"). */
const char *fl_call_count_format(const fl_call_t *c, char *buf, size_t n);
/* "svc.ep" or "svc" (its only or 'default' endpoint). NULL when unknown. */
fl_endpoint_t *fl_model_find_endpoint(const fl_model_t *m, const char *name);
/* The index of the journey named 'name', or -1. */
int fl_model_find_journey(const fl_model_t *m, const char *name);

/* The window of a run of 'duration' seconds whose scenario sets none (resolve.c). */
#define FL_DEFAULT_WINDOWS 262144.0
double fl_model_default_window(double duration);

#endif
