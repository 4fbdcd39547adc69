/* The JSON numbers the batch outputs (sweep, merge, compare, size) share: exact integers for
** seeds, exact doubles for a shard's raw values, null for what is not finite, an interval. */
#include "batch_int.h"

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
  cJSON_AddStringToObject(run, "host", info->host);
}
