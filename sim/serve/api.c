/* The control API of faultline serve: the dashboard page, the model, the status, the event
** stream, the report so far, pause and resume, speed, restart, injecting a fault (the fields
** of a scenario's fault, within the scenario language's bounds), healing one, and the metrics
** (metrics.c). Requests pass
** guard.c's checks first. */
#include "serve_int.h"
#include "faultline/units.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A duration from JSON: a number of seconds or a string with a unit. */
static int json_duration(const cJSON *v, double *out) {
  if (cJSON_IsNumber(v)) { *out = v->valuedouble; return *out >= 0 ? 0 : -1; }
  if (cJSON_IsString(v)) return fl_parse_duration(v->valuestring, out);
  return -1;
}

/* The fields of a fault that are not numbers: kind, target (or from and to), name. The names
** point into 'j' (copied once the fault is accepted). Returns NULL, or the message of a 422. */
static const char *read_fault_names(const fl_serve_t *s, const cJSON *j, fl_fault_t *ft, char *msg, size_t n) {
  static const char *const known[] = { "name", "target", "from", "to", "kind", "duration", "instances", "latency", "factor", "rate",
                                       "every", "restart", "at", NULL };
  const cJSON *it;
  cJSON_ArrayForEach(it, j) {
    bool ok = false;
    for (int k = 0; known[k]; k++) if (strcmp(it->string, known[k]) == 0) ok = true;
    if (!ok) { snprintf(msg, n, "unknown field '%.200s'", it->string); return msg; }
  }
  const cJSON *kind = cJSON_GetObjectItemCaseSensitive(j, "kind");
  int k = cJSON_IsString(kind) ? fl_fault_kind_parse(kind->valuestring) : -1;
  if (k < 0) return "kind must be one of crash, latency, slowdown, errors, hang, partition, capacity, leak, cold_cache";
  ft->kind = (fl_fault_kind_t)k;
  const cJSON *target = cJSON_GetObjectItemCaseSensitive(j, "target"), *from = cJSON_GetObjectItemCaseSensitive(j, "from"),
              *to = cJSON_GetObjectItemCaseSensitive(j, "to"), *name = cJSON_GetObjectItemCaseSensitive(j, "name");
  bool link = ft->kind == FL_FAULT_PARTITION || ((ft->kind == FL_FAULT_LATENCY || ft->kind == FL_FAULT_ERRORS) && cJSON_IsString(from));
  const char *tname = link ? (cJSON_IsString(to) ? to->valuestring : NULL) : (cJSON_IsString(target) ? target->valuestring : NULL);
  if (!tname) return link ? "a fault on a link needs from and to" : "missing target";
  ft->target_name = (char *)tname;
  if (link) {
    if (!cJSON_IsString(from) || !fl_model_find_service(s->run->m, from->valuestring))
      return "a partition needs from = a known service";
    ft->from_name = from->valuestring;
    ft->to_name = ft->target_name;
  }
  /* "svc" or "svc.endpoint", resolved as a scenario's fault is */
  if (fl_model_fault_targets(s->run->m, ft, msg, n) != 0) return msg;
  if (name && (!cJSON_IsString(name) || !name->valuestring[0])) return "name must be a non-empty string";
  ft->name = name ? name->valuestring : (char *)tname;
  return NULL;
}

/* Copies the names of an accepted fault (they pointed into the request). */
static void own_names(fl_serve_t *s, fl_fault_t *ft) {
  bool same_name = ft->name == ft->target_name;
  ft->target_name = (char *)fl__serve_own(s, ft->target_name);
  if (ft->to_name) ft->to_name = ft->target_name;
  ft->from_name = ft->from_name ? (char *)fl__serve_own(s, ft->from_name) : NULL;
  ft->name = same_name ? ft->target_name : (char *)fl__serve_own(s, ft->name);
}

/* The numbers of a fault: duration, instances, and the kind's own. Returns NULL or a message. */
static const char *read_fault_numbers(const cJSON *j, fl_fault_t *ft, char *msg, size_t n) {
  const cJSON *v;
  if ((v = cJSON_GetObjectItemCaseSensitive(j, "duration")) && (json_duration(v, &ft->duration) || ft->duration <= 0))
    return "duration must be a positive duration such as \"2m\"";
  if ((v = cJSON_GetObjectItemCaseSensitive(j, "at")) && json_duration(v, &ft->at)) return "at must be a time such as \"40m\"";
  if ((v = cJSON_GetObjectItemCaseSensitive(j, "instances"))) {
    double d = v->valuedouble;
    if (!cJSON_IsNumber(v) || !(d > 0)) return "instances must be a positive number";
    if (d < 1) ft->fraction = d;
    else if (d != floor(d) || d > 100000) return "instances must be a whole number from 1 to 100000, or a share below 1 such as 0.5";
    else ft->instances = (int)d;
    if (ft->instances > ft->target->instances) { snprintf(msg, n, "%s has %d instances", ft->target->name, ft->target->instances); return msg; }
    if (ft->endpoint) return "instances applies to a whole service: a fault on one endpoint hits every instance";
  }
  if (ft->kind == FL_FAULT_LATENCY) {
    if (json_duration(cJSON_GetObjectItemCaseSensitive(j, "latency"), &ft->value)) return "a latency fault needs latency, e.g. \"300ms\"";
  } else if (ft->kind == FL_FAULT_SLOWDOWN || ft->kind == FL_FAULT_LEAK) {
    v = cJSON_GetObjectItemCaseSensitive(j, "factor");
    ft->value = cJSON_IsNumber(v) ? v->valuedouble : (ft->kind == FL_FAULT_LEAK ? 3 : 0);
    if (ft->value < 1) return "factor must be a number of at least 1";
    if (ft->kind == FL_FAULT_LEAK) {
      if (json_duration(cJSON_GetObjectItemCaseSensitive(j, "every"), &ft->every) || ft->every <= 0) return "a leak needs every, e.g. \"20m\"";
      ft->restart = 30;
      if ((v = cJSON_GetObjectItemCaseSensitive(j, "restart")) && json_duration(v, &ft->restart)) return "restart must be a duration";
    }
  } else if (ft->kind == FL_FAULT_ERRORS) {
    v = cJSON_GetObjectItemCaseSensitive(j, "rate");
    if (cJSON_IsNumber(v)) ft->value = v->valuedouble;
    else if (!cJSON_IsString(v) || fl_parse_fraction(v->valuestring, &ft->value)) return "an errors fault needs rate, e.g. \"20%\"";
    if (!(ft->value >= 0 && ft->value <= 1)) return "rate must be between 0 and 1";
  } else if (ft->kind == FL_FAULT_CAPACITY && ft->instances == 0 && ft->fraction == 0) {
    return "a capacity fault needs instances";
  }
  return NULL;
}

/* POST /api/faults: the same fields as a scenario's fault, injected now. */
static void api_inject(fl_serve_t *s, client_t *c, const char *body, size_t len) {
  if (!s->run) { fl__serve_respond_error(c, 409, "no model is running"); return; }
  cJSON *j = cJSON_ParseWithLength(body, len);
  if (!j || !cJSON_IsObject(j)) {
    cJSON_Delete(j);
    fl__serve_respond_error(c, 400, "the body must be a JSON object such as {\"target\": \"recommend\", \"kind\": \"crash\", \"duration\": \"2m\"}");
    return;
  }
  fl_fault_t ft;
  memset(&ft, 0, sizeof ft);
  fl_sim_t *sim = &s->run->s;
  ft.at = fl_time_to_sec(sim->eng.now);
  ft.file = "api"; ft.line = 0;
  char msg[1200];
  const char *bad = read_fault_names(s, j, &ft, msg, sizeof msg);
  if (!bad) bad = read_fault_numbers(j, &ft, msg, sizeof msg);
  if (!bad && fl_model_check_fault(&ft, msg, sizeof msg) != 0) bad = msg;
  if (bad) { fl__serve_respond_error(c, 422, "%s", bad); cJSON_Delete(j); return; }
  int before = s->nowned;
  own_names(s, &ft);
  cJSON_Delete(j);
  if (fl_sim_inject(sim, &ft) < 0) {
    fl__serve_disown(s, s->nowned - before);
    fl__serve_respond_error(c, 409, "too many faults injected in this run");
    return;
  }
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "name", ft.name);
  cJSON_AddStringToObject(o, "kind", fl_fault_kind_name(ft.kind));
  cJSON_AddStringToObject(o, "target", ft.target->name);
  if (ft.endpoint) cJSON_AddStringToObject(o, "endpoint", ft.endpoint->name);
  cJSON_AddNumberToObject(o, "at", ft.at);
  fl__serve_respond_json(c, 201, o);
}

/* DELETE /api/faults/NAME: ends the fault now. */
static void api_heal(fl_serve_t *s, client_t *c, const char *path) {
  char name[1024];
  snprintf(name, sizeof name, "%s", path);
  if (fl_http_unescape(name) != 0 || !name[0]) { fl__serve_respond_error(c, 400, "bad fault name"); return; }
  if (!s->run || fl_sim_heal(&s->run->s, name) != 0) { fl__serve_respond_error(c, 404, "no active fault named '%s'", name); return; }
  fl__serve_flush(s);
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "healed", name);
  cJSON_AddNumberToObject(o, "t", fl_time_to_sec(s->run->s.eng.now));
  fl__serve_respond_json(c, 200, o);
}

static bool body_speed(const char *body, size_t len, double *speed, bool *max) {
  cJSON *j = cJSON_ParseWithLength(body, len);
  const cJSON *v = j ? cJSON_GetObjectItemCaseSensitive(j, "speed") : NULL;
  bool ok = true;
  if (cJSON_IsNumber(v) && v->valuedouble > 0 && v->valuedouble <= 1e9) { *speed = v->valuedouble; *max = false; }
  else if (cJSON_IsString(v) && strcmp(v->valuestring, "max") == 0) *max = true;
  else ok = false;
  cJSON_Delete(j);
  return ok;
}

/* GET /: the live page. */
static void api_page(fl_serve_t *s, client_t *c) {
  size_t len = 0;
  char *page = fl_report_live_page(s->graph, &len);
  if (!page) { fl__serve_respond_error(c, 503, "no model to show: %s", s->error); return; }
  /* the token, in a meta tag right after <head>: live.js sends it back with every POST and DELETE */
  char meta[96];
  size_t mlen = (size_t)snprintf(meta, sizeof meta, "\n<meta name=\"faultline-token\" content=\"%s\">", s->token);
  const char *head = strstr(page, "<head>");
  size_t at = head ? (size_t)(head - page) + 6 : 0;
  char *out = fl_xmalloc(len + mlen);
  memcpy(out, page, at);
  memcpy(out + at, meta, mlen);
  memcpy(out + at + mlen, page + at, len - at);
  free(page);
  fl__serve_respond(c, 200, "text/html; charset=utf-8", out, len + mlen);
  free(out);
}

/* GET /api/report: the report of the run so far. */
static void api_report(fl_serve_t *s, client_t *c) {
  if (!s->run) { fl__serve_respond_error(c, 503, "no run: %s", s->error); return; }
  fl_run_info_t run;
  fl__serve_run_info(s, &run);
  if (s->run->s.complete) fl_sim_finish(&s->run->s);   /* over: its series are whole */
  fl_run_check(s->run);
  size_t len;
  char *text = fl_report_json_text(&s->run->s, &run, &len);
  fl__serve_respond(c, 200, "application/json", text, len);
  free(text);
}

static void api_control(fl_serve_t *s, client_t *c, const fl_http_req_t *rq) {
  const char *p = rq->path;
  if (strcmp(p, "/api/pause") == 0 || strcmp(p, "/api/resume") == 0) {
    s->paused = p[5] == 'p';
    s->last_ms = uv_now(&s->loop);
  } else if (strcmp(p, "/api/speed") == 0) {
    if (!body_speed(rq->body, rq->content_length, &s->speed, &s->max_speed)) {
      fl__serve_respond_error(c, 400, "expected {\"speed\": 60} (simulated seconds per second) or {\"speed\": \"max\"}");
      return;
    }
  } else {   /* /api/restart */
    fl__serve_reload(s, "restart");
    if (s->error[0]) { fl__serve_respond_error(c, 422, "%s", s->error); return; }
    fl__serve_respond_json(c, 200, fl__serve_status_json(s));
    return;
  }
  fl__serve_broadcast(s, "status", fl__serve_status_json(s));
  fl__serve_respond_json(c, 200, fl__serve_status_json(s));
}

typedef enum { GET, POST, DELETE } method_t;

void fl__serve_handle(fl_serve_t *s, client_t *c, const fl_http_req_t *rq) {
  static const struct { const char *path; method_t method; } routes[] = {
    { "/", GET }, { "/index.html", GET }, { "/api/model", GET }, { "/api/status", GET }, { "/api/events", GET },
    { "/api/report", GET }, { "/api/pause", POST }, { "/api/resume", POST }, { "/api/speed", POST },
    { "/api/restart", POST }, { "/api/faults", POST }, { "/metrics", GET },
  };
  static const char *const names[] = { "GET", "POST", "DELETE" };
  char msg[1200];
  int refuse = fl__serve_guard(s, rq, msg, sizeof msg);
  if (refuse) { fl__serve_respond_error(c, refuse, "%s", msg); return; }
  const char *p = rq->path;
  int r = -1;
  for (int i = 0; i < (int)(sizeof routes / sizeof *routes); i++) if (strcmp(p, routes[i].path) == 0) r = i;
  bool heal = strncmp(p, "/api/faults/", 12) == 0;
  if (r < 0 && !heal) { fl__serve_respond_error(c, 404, "no such path: %s", p); return; }
  method_t want = heal ? DELETE : routes[r].method;
  if (strcmp(rq->method, names[want]) != 0) {
    if (heal) fl__serve_respond_error(c, 405, "use DELETE to heal a fault");
    else fl__serve_respond_error(c, 405, "use %s", names[want]);
    return;
  }
  if (heal) { api_heal(s, c, p + 12); return; }
  if (r <= 1) api_page(s, c);
  else if (strcmp(p, "/api/model") == 0) {
    if (!s->run) fl__serve_respond_error(c, 503, "no model: %s", s->error);
    else fl__serve_respond_json(c, 200, fl__serve_model_json(s));
  } else if (strcmp(p, "/api/status") == 0) fl__serve_respond_json(c, 200, fl__serve_status_json(s));
  else if (strcmp(p, "/api/events") == 0) fl__serve_sse_start(s, c);
  else if (strcmp(p, "/api/report") == 0) api_report(s, c);
  else if (strcmp(p, "/metrics") == 0) fl__serve_metrics(s, c);
  else if (strcmp(p, "/api/faults") == 0) { api_inject(s, c, rq->body, rq->content_length); fl__serve_flush(s); }
  else api_control(s, c, rq);
}
