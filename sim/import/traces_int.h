/* Private to the trace importer (sim/import/traces*.c): the spans read from a file, the
** endpoints, calls ("slots") and services built from them, and the steps between the files:
** traces_read.c reads spans, traces.c builds the model and drives the import, traces_write.c
** writes the scenario. */
#ifndef FAULTLINE_SIM_IMPORT_TRACES_INT_H
#define FAULTLINE_SIM_IMPORT_TRACES_INT_H

#include "import_int.h"

#include <stdint.h>

#define MAX_SLOTS 256          /* calls per operation written out at most */

/* ---- interned strings ---- */

typedef struct { char **s; int n, cap; int *h; int hcap; } strtab_t;

/* The index of 's', added when new unless 'add' is false (then -1). */
int fl__strtab_find(strtab_t *t, const char *s, bool add);
void fl__strtab_release(strtab_t *t);

/* ---- spans ---- */

enum { K_UNSET = 0, K_INTERNAL, K_SERVER, K_CLIENT, K_PRODUCER, K_CONSUMER };

typedef struct {
  int trace;                  /* interned trace id */
  int key;                    /* interned "trace/span" */
  int pkey;                   /* interned "trace/parent", or -1: no parent */
  int64_t start, end;         /* nanoseconds */
  int svc, op, peer;          /* interned names; peer -1: none */
  int kind;
  bool error, follows;        /* follows: the parent link is FOLLOWS_FROM (async) */
  int line;
  int parent;                 /* resolved, -1: a root (or its parent is not in the file: orphan) */
  bool orphan;
  int eparent;                /* the operation it is a call of (client spans folded), or -1 */
  int via;                    /* the client span folded into this call, or -1 */
  bool folded;                /* a client span that is its child's call */
  int ep;                     /* its endpoint */
} tspan_t;

typedef struct {
  int callee;                 /* endpoint */
  int k;                      /* the k-th call to it in a span */
  bool async;
  int present;                /* spans with this slot */
  double off_sum;             /* sum of start offsets (s) from the parent's start */
  int err, err_survived;      /* the call failed; ... and the parent did not */
  bool dropped;               /* to break a cycle */
  int group;                  /* after grouping: the representative slot */
  double gstart;              /* the group's mean start */
} tslot_t;

typedef struct {
  int svc, op;                /* interned */
  char *name;                 /* endpoint name (sanitized) */
  int n, nok, errors, own_errors, roots, orphans;
  double *own, *lat; int nown, nlat;
  double dur_sum;
  tslot_t *slots; int nslots, scap;
  int *together, *both;       /* nslots x nslots */
  int slots_over;             /* calls beyond MAX_SLOTS, not written */
  char *cut;                  /* a call left out to break a cycle: text (owned) */
  int line;
  double rate;
} tep_t;

typedef struct {
  int svc;                    /* interned */
  char *name;                 /* as a service name */
  bool renamed, peer_only;
  int *eps; int neps;
  int instances, workers;
  double busy;
} tsvc_t;

typedef struct {
  const char *file;
  const fl_import_opts_t *o;
  FILE *notes;
  strtab_t str;               /* names, trace ids */
  strtab_t keys;              /* "trace/span" */
  int *span_of_key; int skcap;
  tspan_t *sp; int nsp, spcap;
  tep_t *ep; int nep;
  strtab_t epkeys;
  tsvc_t *svc; int nsvc;
  const char *source;         /* "Jaeger traces", "OTLP JSON traces" */
  int ntraces_docs;           /* documents (JSON Lines) */
  int dups, foreign_refs, folded, peers, follows;
  int64_t ts_min, ts_max;     /* of the roots' starts */
} tr_t;

/* A child of a span: the span, and its call's start and end (the client span's when folded). */
typedef struct { int span; int64_t cstart, cend; } tkid_t;

/* Reads the whole file (one JSON document, or JSON Lines) into t's spans (traces_read.c). */
int fl__traces_read(tr_t *t, const char *text, size_t len, char *err, size_t n);
/* Groups e's slots into parallel groups; writes the slots in writing order into 'order'
** (e->nslots entries) (traces.c). */
void fl__traces_group_slots(tep_t *e, int *order);
/* Writes the scenario: services sized, entry traffic at 'rate' (traces_write.c). */
void fl__traces_write(tr_t *t, FILE *out, double rate, const char *rate_how, int roots, int ncut);

#endif
