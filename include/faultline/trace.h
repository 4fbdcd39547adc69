/* Traces of simulated requests (sim/run/trace.c): a sampled share of the entry requests is
** followed through the call tree, one span per visit of a request to an endpoint, and each trace
** is handed to a writer (reports/traces.c: OTLP JSON, Jaeger JSON) as soon as its last span
** ended. Only sampled requests cost anything: a run without a tracer tests one field per call.
** The sampling decision hashes the seed and the entry request's number, so the run's own random
** draws, and its report, are the same with and without traces. */
#ifndef FAULTLINE_TRACE_H
#define FAULTLINE_TRACE_H

#include "sim.h"

/* Simulated time 0 is this instant (2026-01-01T00:00:00Z) in the traces, in Unix nanoseconds. */
#define FL_TRACE_EPOCH_NS 1767225600000000000LL

enum {
  FL_SPAN_HEDGE = 1 << 0,      /* sent as the run sends a hedge, away from the first attempt's instance (a hedge, or a retry after one) */
  FL_SPAN_ABANDONED = 1 << 1,  /* its caller timed out on it: the answer went nowhere */
  FL_SPAN_OPTIONAL = 1 << 2,   /* an optional call: its caller falls back when it fails */
  FL_SPAN_UNFINISHED = 1 << 3, /* still in flight when the run ended (end = the run's end) */
  FL_SPAN_NOT_ARRIVED = 1 << 4,/* no answer from its service: stopped by a breaker, bulkhead or partition, or dropped by a full room */
  FL_SPAN_FALLBACK = 1 << 5,   /* degraded: a failed optional call below it was answered by a fallback */
  FL_SPAN_ASYNC = 1 << 6,      /* a message published to a broker: nobody waits for its answer */
};

/* One visit of a request to an endpoint. */
typedef struct fl_span {
  uint64_t id;                 /* non-zero; unique in its trace */
  uint64_t parent;             /* the caller's span id; 0 for the entry request */
  fl_time_t start, end;        /* simulated: arrival at its service (else when sent), answer */
  const fl_endpoint_t *ep;     /* where it went (its service: ep->service) */
  int call_id;                 /* the call site it answers, -1 for the entry request */
  int fault;                   /* a fault that hit its service, endpoint or link while it was there, or -1 */
  int instance;                /* instance slot of its service, or -1 */
  int origin;                  /* service a failure or degradation came from, or -1 */
  uint8_t outcome, cause;      /* fl_outcome_t, fl_cause_t */
  uint8_t attempt;             /* 1 for a call's first attempt, 2 for its first retry or hedge, ... */
  uint8_t retry;               /* retries the call had sent with this attempt (a retry: which one; 0 before any) */
  uint8_t flags;               /* FL_SPAN_* */
} fl_span_t;

/* One sampled entry request and every visit below it. */
typedef struct fl_trace {
  uint64_t id_hi, id_lo;       /* the 128-bit trace id */
  int journey;                 /* the journey whose step sent it */
  fl_span_t *spans; int nspans, cap;   /* spans[0] is the entry request's */
  int open;                    /* spans not ended yet */
  uint64_t dropped;            /* spans past FL_TRACE_MAX_SPANS, not recorded */
} fl_trace_t;
#define FL_TRACE_MAX_SPANS 65535

/* Receives each trace once all its spans ended (or at fl_trace_stop, unfinished). Borrows 't'. */
typedef void (*fl_trace_emit_cb)(const fl_sim_t *s, const fl_trace_t *t, void *user);

/* Starts tracing on 's' before it runs: a share 'rate' in (0, 1] of the entry requests.
** Returns 0 or -FL_EINVAL (rate out of range, or a tracer already attached). */
int fl_trace_start(fl_sim_t *s, double rate, fl_trace_emit_cb emit, void *user);
/* Hands the traces still open to the writer (their open spans marked unfinished, ending at the
** current time), then detaches and frees the tracer; the traces and spans written in all are
** in *traces and *spans (0 without a tracer). */
void fl_trace_stop(fl_sim_t *s, uint64_t *traces, uint64_t *spans);

/* Writers (reports/traces.c). */
typedef enum { FL_TRACES_OTLP = 0, FL_TRACES_JAEGER } fl_traces_format_t;
typedef struct fl_traces_out fl_traces_out_t;
/* The format a file name asks for: "*.jaeger.json" Jaeger, anything else OTLP. */
fl_traces_format_t fl_traces_format_of(const char *path);
/* Opens 'path' for writing whole or not at all (a temporary file renamed at close). Returns the
** writer, or NULL with a message in err. */
fl_traces_out_t *fl_traces_open(const char *path, fl_traces_format_t fmt, char *err, size_t errlen);
/* The emit callback: 'user' is the writer. */
void fl_traces_write(const fl_sim_t *s, const fl_trace_t *t, void *user);
/* Finishes the document and puts the file in place (commit) or removes it (!commit); frees the
** writer. Returns 0 or -FL_EIO with a message in err. */
int fl_traces_close(fl_traces_out_t *o, bool commit, char *err, size_t errlen);

#endif
