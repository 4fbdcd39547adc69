/* The value grid of a sweep: the --set lists ("PATH=V1,V2,...") parsed into axes, grid point p
** as one value per axis (the last axis varying fastest), and its "PATH=VALUE" assignments. */
#include "batch_int.h"

#include <stdlib.h>
#include <string.h>

size_t fl__sweep_sets_size(const fl_sweep_t *sw) {
  size_t n = 1;
  for (int a = 0; a < sw->naxes; a++) {
    size_t longest = 0;
    for (int v = 0; v < sw->axes[a].nvalues; v++) {
      size_t k = strlen(sw->axes[a].values[v]);
      if (k > longest) longest = k;
    }
    n += strlen(sw->axes[a].path) + longest + 2;
  }
  return n;
}

void fl__sweep_point_index(const fl_sweep_t *sw, int p, int *idx) {
  for (int a = sw->naxes - 1; a >= 0; a--) {
    idx[a] = p % sw->axes[a].nvalues;
    p /= sw->axes[a].nvalues;
  }
}

int fl__sweep_sets_of(const fl_sweep_t *sw, const int *idx, const char **sets, char *buf, size_t n) {
  size_t w = 0;
  for (int a = 0; a < sw->naxes; a++) {
    int k = snprintf(buf + w, n - w, "%s=%s", sw->axes[a].path, sw->axes[a].values[idx[a]]);
    sets[a] = buf + w;
    w += (size_t)k + 1;
    FL_ASSERT(w <= n);
  }
  return sw->naxes;
}

int fl_sweep_point_sets(const fl_sweep_t *sw, int p, const char **sets, char *buf, size_t n) {
  int idx[sw->naxes > 0 ? sw->naxes : 1];
  fl__sweep_point_index(sw, p, idx);
  FL_ASSERT(n >= fl__sweep_sets_size(sw));
  return fl__sweep_sets_of(sw, idx, sets, buf, n);
}

int fl__sweep_parse_axes(fl_sweep_t *sw, const fl_sweep_opts_t *o, char *err, size_t errlen) {
  sw->axes = fl_xcalloc((size_t)o->nsets + 1, sizeof *sw->axes);
  long long points = 1;
  for (int a = 0; a < o->nsets; a++) {
    const char *s = o->sets[a], *eq = strchr(s, '=');
    if (!eq || eq == s) { snprintf(err, errlen, "--set %s: expected PATH=VALUE[,VALUE...]", s); return -FL_EINVAL; }
    fl_axis_t *ax = &sw->axes[sw->naxes++];
    ax->path = fl_xcalloc((size_t)(eq - s) + 1, 1);
    memcpy(ax->path, s, (size_t)(eq - s));
    for (int b = 0; b < a; b++)
      if (strcmp(sw->axes[b].path, ax->path) == 0) {
        snprintf(err, errlen, "--set %s: '%s' is set twice (give its values in one --set, separated by commas)", s, ax->path);
        return -FL_EINVAL;
      }
    const char *v = eq + 1;
    int cap = 1;
    for (const char *c = v; *c; c++) cap += *c == ',';
    ax->values = fl_xcalloc((size_t)cap, sizeof *ax->values);
    for (;;) {
      const char *end = strchr(v, ',');
      size_t len = end ? (size_t)(end - v) : strlen(v);
      if (len == 0) { snprintf(err, errlen, "--set %s: an empty value (values are separated by single commas)", s); return -FL_EINVAL; }
      char *val = fl_xcalloc(len + 1, 1);
      memcpy(val, v, len);
      ax->values[ax->nvalues++] = val;
      if (!end) break;
      v = end + 1;
    }
    points *= ax->nvalues;
    if (points * o->reps > FL__MAX_JOBS) {
      snprintf(err, errlen, "the grid has more than %d runs (points x replications): narrow it", FL__MAX_JOBS);
      return -FL_EINVAL;
    }
  }
  sw->npoints = (int)points;
  return 0;
}

void fl__sweep_free_axes(fl_sweep_t *sw) {
  for (int a = 0; sw->axes && a < sw->naxes; a++) {
    for (int v = 0; v < sw->axes[a].nvalues; v++) free(sw->axes[a].values[v]);
    free(sw->axes[a].values);
    free(sw->axes[a].path);
  }
  free(sw->axes);
  sw->axes = NULL;
  sw->naxes = 0;
}
