/* The architecture drawn from a model: services, journeys (entry points) and the call edges
** between services, as JSON (with a layered layout by Graphviz), DOT and Mermaid. It feeds the
** HTML report, `faultline graph` and the live dashboard, so that every picture of the
** architecture comes from the scenario itself. */
#ifndef FAULTLINE_GRAPH_H
#define FAULTLINE_GRAPH_H

#include "model.h"

typedef struct cJSON cJSON;

/* The architecture as JSON:
**   services: [{name, group?, instances, workers, queue, slo?, depth, endpoints: [{name, calls: ["svc.ep", ...]}]}]
**   journeys: [{name, share, entry: "svc.ep", service}]
**   edges:    [{from, to, optional, calls: [{from: "svc.ep", to: "svc.ep", optional, timeout?}]}]
** 'depth' is the call depth from the nearest entry point (0 for an entry service), -1 when no
** journey reaches the service. The caller owns the tree. */
cJSON *fl_graph_json(const fl_model_t *m);

/* Lays 'graph' (from fl_graph_json) out: up to 300 services with Graphviz's dot, left to right
** (entry points first, then one layer per call depth, each group a cluster); above, as a grid
** of group blocks packed to the page's aspect, in time linear in the size. Adds "layout":
** {width, height, engine}, "groups": [{name, x, y, w, h}] and, in points with the origin top
** left, x, y (centre), w, h to every service and journey, and to every edge
** (and to "entries": [{journey, to, ...}], the journeys' arrows) "path" (cubic Bezier points
** x0,y0, x1,y1, ...) and "arrow" (base x, y, tip x, y). Returns 0, or -FL_EINTERNAL with a
** message in err when Graphviz cannot lay it out. */
int fl_graph_layout(cJSON *graph, char *err, size_t errlen);

/* The architecture as Graphviz DOT or as a Mermaid flowchart. 'health', when not NULL, holds
** per service (model order) the worst fl_health_t it reached, or -1: nodes are coloured by it.
** Returns a new string (free()). */
char *fl_graph_dot(const fl_model_t *m, const int *health);
char *fl_graph_mermaid(const fl_model_t *m, const int *health);

#endif
