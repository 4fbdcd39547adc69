/* Importing what real systems already know: a service graph recorded by tracing (Jaeger's
** dependencies API, the OpenTelemetry service graph connector's Prometheus metrics) becomes a
** runnable scenario skeleton; raw traces (Jaeger's trace JSON, OTLP JSON) become a scenario
** calibrated on them, one endpoint per operation; chaos experiments written for Toxiproxy or Chaos Mesh become
** fault { ... } lines. Every value the source does not give is guessed and marked so. */
#ifndef FAULTLINE_IMPORT_H
#define FAULTLINE_IMPORT_H

#include <stdio.h>

#include "model.h"

typedef enum {
  FL_IMPORT_JAEGER = 0, FL_IMPORT_OTEL, FL_IMPORT_TOXIPROXY, FL_IMPORT_CHAOS_MESH, FL_IMPORT_TRACES, FL_IMPORT__COUNT
} fl_import_format_t;

/* "jaeger", "otel", "toxiproxy", "chaos-mesh" (also "chaosmesh"), "traces". Returns the format, or -1. */
int fl_import_format_parse(const char *name);
const char *fl_import_format_name(fl_import_format_t f);

typedef struct fl_import_opts {
  double window;              /* graphs, traces: seconds the counts (root spans) cover; 0: from the
                              ** data, else a guess */
  double duration;            /* graphs, traces: the scenario's length; faults: each fault's (0: to the end) */
  bool has_duration;
  double at;                  /* faults: when they start (seconds) */
  bool has_at;
  const fl_model_t *scenario; /* faults: the services to map names onto, or NULL (borrowed) */
  const char *const *drops;   /* graphs: "caller->callee" calls to leave out, e.g. to break a cycle */
  int ndrops;
  bool keep_cycles;           /* graphs, traces: stop at a cycle (exit 2, explained) instead of breaking
                              ** each at its least-traffic call */
  const char *name;           /* graphs, traces: the scenario's name; NULL: from the file's name */
} fl_import_opts_t;

/* Reads 'path' in format 'f' and writes a scenario (graphs, traces) or fault lines (chaos experiments)
** to 'out'. Notes for the user (what was guessed, what has no equivalent) go to 'notes' as
** "faultline: note: ..." lines when it is not NULL. Returns 0; -FL_EIO when the file cannot be
** read; -FL_EPARSE for bad input (err reads "file:line: message", with the JSON path of a bad
** field, or explains a cycle and how to break it); -FL_EINVAL for a bad option (a --drop that
** names no call). Nothing is written to 'out' on failure. */
int fl_import(fl_import_format_t f, const char *path, const fl_import_opts_t *o, FILE *out, FILE *notes,
              char *err, size_t errlen);

#endif
