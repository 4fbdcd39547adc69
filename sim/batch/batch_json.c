/* The JSON numbers and the text the batch outputs (sweep, merge, compare, size) share: exact
** integers for seeds, exact doubles for a shard's raw values, null for what is not finite, an
** interval, a pass share's interval, an expectation's observed value; the same as text. */
#include "batch_int.h"
#include "faultline/units.h"

#include <cJSON.h>
#include <math.h>
#include <stdio.h>

void fl__json_num(cJSON *o, const char *k, double v) {
  cJSON_AddItemToObject(o, k, isfinite(v) ? cJSON_CreateNumber(v) : cJSON_CreateNull());
}

cJSON *fl__json_exact(double v) {
  char buf[40];
  if (!isfinite(v)) return cJSON_CreateNull();
  snprintf(buf, sizeof buf, "%.17g", v);
  return cJSON_CreateRaw(buf);
}

cJSON *fl__json_u64(uint64_t v) {
  char buf[32];
  snprintf(buf, sizeof buf, "%llu", (unsigned long long)v);
  return cJSON_CreateRaw(buf);
}

cJSON *fl__json_ci(const fl_ci_t *c) {
  cJSON *o = cJSON_CreateObject();
  fl__json_num(o, "mean", c->mean);
  fl__json_num(o, "ci95", c->half);
  fl__json_num(o, "lo", c->lo);
  fl__json_num(o, "hi", c->hi);
  fl__json_num(o, "sd", c->sd);
  fl__json_num(o, "n", c->n);
  if (c->res > 0) fl__json_num(o, "resolution", c->res);
  return o;
}

cJSON *fl__json_share(const fl_ci_t *c) {
  cJSON *o = cJSON_CreateObject();
  fl__json_num(o, "mean", c->mean);
  fl__json_num(o, "lo", c->lo);
  fl__json_num(o, "hi", c->hi);
  fl__json_num(o, "n", c->n);
  cJSON_AddStringToObject(o, "interval", "clopper-pearson");
  return o;
}

cJSON *fl__json_strings(char *const *s, int n) {
  cJSON *a = cJSON_CreateArray();
  for (int i = 0; i < n; i++) cJSON_AddItemToArray(a, cJSON_CreateString(s[i]));
  return a;
}

void fl__json_batch_run(cJSON *root, const fl_batch_info_t *info, bool rate) {
  cJSON *run = cJSON_AddObjectToObject(root, "run");
  fl__json_num(run, "threads", info->threads);
  fl__json_num(run, "runs", info->runs);
  fl__json_num(run, "wall_seconds", info->wall_seconds);
  fl__json_num(run, "events", (double)info->events);
  if (rate) fl__json_num(run, "events_per_second", info->wall_seconds > 0 ? (double)info->events / info->wall_seconds : 0);
  if (info->memory > 0) fl__json_num(run, "memory_per_run", info->memory);
  cJSON_AddStringToObject(run, "host", info->host);
}

cJSON *fl__json_observed(const fl_ci_t *c, double wanted) {
  cJSON *o = fl__json_ci(c);
  fl__json_num(o, "wanted", wanted);
  return o;
}

/* ---- text --------------------------------------------------------------------------------- */

void fl__format_secs(char *buf, size_t n, const fl_ci_t *c) {
  char m[24], h[24];
  fl_format_duration(c->mean, m, sizeof m);
  if (isfinite(c->half)) { fl_format_duration(c->half, h, sizeof h); snprintf(buf, n, "%s ± %s", m, h); }
  else snprintf(buf, n, "%s", m);
}

void fl__format_pct(char *buf, size_t n, const fl_ci_t *c) {
  if (isfinite(c->half)) snprintf(buf, n, "%.2f%% ± %.2f%%", 100 * c->mean, 100 * c->half);
  else snprintf(buf, n, "%.2f%%", 100 * c->mean);
}

void fl__format_value(char *buf, size_t n, fl_xunit_t unit, double v, bool sign) {
  switch (unit) {
  case FL_XU_SHARE: snprintf(buf, n, sign ? "%+.2f%%" : "%.2f%%", 100 * v); break;
  case FL_XU_RATE: snprintf(buf, n, sign ? "%+.6g/s" : "%.6g/s", v); break;
  case FL_XU_MESSAGES: snprintf(buf, n, sign ? "%+.6g" : "%.6g", v); break;
  default:
    if (n < 2) { if (n) buf[0] = 0; break; }
    fl_format_duration(v, buf + (sign && v >= 0), n - 1);
    if (sign && v >= 0) buf[0] = '+';
    break;
  }
}

void fl__format_ci(char *buf, size_t n, fl_xunit_t unit, const fl_ci_t *c, bool sign) {
  char m[32], h[32];
  fl__format_value(m, sizeof m, unit, c->mean, sign);
  if (isfinite(c->half)) { fl__format_value(h, sizeof h, unit, c->half, false); snprintf(buf, n, "%s ± %s", m, h); }
  else snprintf(buf, n, "%s", m);
}

void fl__format_observed(char *buf, size_t n, int k, const fl_ci_t *c, double wanted) {
  char v[80], w[32] = "";
  fl_xunit_t unit = fl_expect_metric_unit(k);
  fl__format_ci(v, sizeof v, unit, c, false);
  if (isfinite(wanted)) {
    if (unit == FL_XU_SHARE) snprintf(w, sizeof w, "%.6g%%", 100 * wanted);
    else fl__format_value(w, sizeof w, unit, wanted, false);
  }
  snprintf(buf, n, "%s %s%s%s%s", fl_expect_metric_name(k), v, w[0] ? " (threshold " : "", w, w[0] ? ")" : "");
}

void fl__format_memory(char *buf, size_t n, const fl_batch_info_t *run) {
  if (run->memory > 0) snprintf(buf, n, ", %.1f MB a run", run->memory / 1048576.0);
  else if (n) buf[0] = 0;
}

void fl__format_share(char *buf, size_t n, const fl_ci_t *c) {
  if (isfinite(c->lo) && isfinite(c->hi)) snprintf(buf, n, "[%.2f, %.2f]", c->lo, c->hi);
  else snprintf(buf, n, "[-]");
}
