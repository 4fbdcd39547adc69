/* Private to the Chaos Mesh importer (sim/import/chaosmesh*.c): an experiment being read, the
** YAML accessors, and the steps between the files: chaosmesh.c reads the file and its experiments,
** chaosmesh_schedule.c repeats Schedules (cron, @every) and lays Workflows out in time. */
#ifndef FAULTLINE_SIM_IMPORT_CHAOSMESH_INT_H
#define FAULTLINE_SIM_IMPORT_CHAOSMESH_INT_H

#include "import_int.h"

#include <string.h>
#include <yaml.h>

typedef struct {
  fl_ifaults_t *fs;
  yaml_document_t *doc;
  const char *file;
  const char *kind, *name;
  int line;
  yaml_node_t *spec;
  char spath[96];             /* "spec" or "spec.networkChaos" */
  char schedule[128];         /* a Schedule's cron, or "" */
  char origin[320];
  char unnamed[64];           /* a name for an object without metadata.name */
} exp_t;

static inline int yline(const yaml_node_t *n) { return n ? (int)n->start_mark.line + 1 : 0; }

static inline const char *ystr(const yaml_node_t *n) {
  return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

/* The value of 'key' in mapping 'map', or NULL. */
static inline yaml_node_t *yget(yaml_document_t *d, const yaml_node_t *map, const char *key) {
  if (!map || map->type != YAML_MAPPING_NODE) return NULL;
  for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
    const char *k = ystr(yaml_document_get_node(d, p->key));
    if (k && strcmp(k, key) == 0) return yaml_document_get_node(d, p->value);
  }
  return NULL;
}

/* ---- chaosmesh.c ---- */

/* parent.KEY as a Go duration into *out (*has: it was there); an error when it cannot be read. */
int fl__cm_read_duration(exp_t *x, const yaml_node_t *parent, const char *ppath, const char *key, double *out, bool *has, char *err, size_t n);
/* Writes the faults of experiment x (x->kind, x->spec) by its kind. */
int fl__cm_dispatch(exp_t *x, char *err, size_t n);

/* ---- chaosmesh_schedule.c ---- */

/* The spec key of an experiment kind inside a Schedule or a Workflow template ("networkChaos"),
** or NULL: not an experiment kind. */
const char *fl__cm_embed_key(const char *kind);
/* A Schedule object (x->spec its spec): the experiment it runs, at every run up to the horizon. */
int fl__cm_schedule(exp_t *x, char *err, size_t n);
/* A Workflow (x->spec its spec): its templates' experiments placed in time from its entry. */
int fl__cm_workflow(exp_t *x, char *err, size_t n);

#endif
