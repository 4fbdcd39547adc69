/* faultline serve: the live dashboard. A libuv HTTP/1.1 server on loopback runs the simulation
** paced at --speed simulated seconds per wall second on its own loop, streams each window, health
** change, fault and scaling event as Server-Sent Events, takes control (pause, resume, speed,
** inject, heal, restart) by API, and rebuilds the model when the scenario file changes. */
#include "faultline/graph.h"
#include "faultline/report.h"
#include "faultline/scenario.h"
#include "faultline/units.h"
#include "../cli/cli.h"
#include "http.h"

#include <cJSON.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#define TICK_MS 50
#define MAX_CLIENT_BACKLOG (8u << 20)   /* a client further behind than this is dropped */
#define MAX_CLIENTS 256

typedef struct server server_t;

typedef struct client {
  uv_tcp_t tcp;
  server_t *srv;
  struct client *next, *prev;
  char *buf; size_t len, cap;
  bool sse, closing;
} client_t;

struct server {
  uv_loop_t loop;
  uv_tcp_t listener;
  uv_timer_t tick;
  uv_signal_t sigint, sigterm;
  uv_fs_poll_t watch;
  const char *path, *json_out, *host;
  int port;
  fl_load_opts_t opts;
  fl_model_t *model;
  fl_sim_t sim;
  bool have_sim, paused, max_speed, done_sent, stopping;
  double speed;
  uint64_t last_ms;
  double wall_start;
  int generation;
  uint32_t sent_windows;
  int sent_changes, sent_scaling, sent_logs, sent_faults;
  client_t *clients;
  int nclients;
  char error[1024];
  char **owned; int nowned, owned_cap;   /* strings of faults injected by API */
  cJSON *graph;                          /* the laid-out architecture of the current model */
  uint8_t *fault_sent;                   /* per fault: 0 nothing sent, 1 its start, 2 its end */
  int fault_sent_cap;
};

/* ---- output ---- */

typedef struct { uv_write_t req; uv_buf_t buf; } wreq_t;

static void on_closed(uv_handle_t *h) {
  client_t *c = h->data;
  free(c->buf);
  free(c);
}

static void client_close(client_t *c) {
  if (c->closing) return;
  c->closing = true;
  server_t *s = c->srv;
  if (c->prev) c->prev->next = c->next; else s->clients = c->next;
  if (c->next) c->next->prev = c->prev;
  s->nclients--;
  uv_close((uv_handle_t *)&c->tcp, on_closed);
}

static void on_written(uv_write_t *w, int status) {
  wreq_t *r = (wreq_t *)w;
  client_t *c = w->data;
  free(r->buf.base);
  free(r);
  if (status < 0 && !c->closing) client_close(c);
}

/* Queues 'len' bytes of 'data' (taken over: freed after the write). */
static void client_send(client_t *c, char *data, size_t len) {
  if (c->closing) { free(data); return; }
  if (uv_stream_get_write_queue_size((uv_stream_t *)&c->tcp) > MAX_CLIENT_BACKLOG) {
    free(data);
    client_close(c);        /* too slow, or gone: it does not hold memory or the loop */
    return;
  }
  wreq_t *r = fl_xmalloc(sizeof *r);
  r->buf = uv_buf_init(data, (unsigned)len);
  r->req.data = c;
  if (uv_write(&r->req, (uv_stream_t *)&c->tcp, &r->buf, 1, on_written) != 0) {
    free(data); free(r);
    client_close(c);
  }
}

static void on_shutdown(uv_shutdown_t *req, int status) {
  (void)status;
  client_t *c = req->data;
  free(req);
  client_close(c);
}

static const char *status_text(int code) {
  switch (code) {
  case 200: return "OK"; case 201: return "Created"; case 400: return "Bad Request"; case 404: return "Not Found";
  case 405: return "Method Not Allowed"; case 409: return "Conflict"; case 413: return "Payload Too Large";
  case 422: return "Unprocessable Entity"; case 431: return "Request Header Fields Too Large";
  case 501: return "Not Implemented"; case 503: return "Service Unavailable";
  default: return "Error";
  }
}

/* Sends a whole response and closes the connection after it. */
static void respond(client_t *c, int code, const char *type, const char *body, size_t blen) {
  char head[256];
  int hl = snprintf(head, sizeof head,
                    "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\nCache-Control: no-store\r\n"
                    "Connection: close\r\n\r\n", code, status_text(code), type, blen);
  char *out = fl_xmalloc((size_t)hl + blen);
  memcpy(out, head, (size_t)hl);
  if (blen) memcpy(out + hl, body, blen);
  client_send(c, out, (size_t)hl + blen);
  if (c->closing) return;
  uv_shutdown_t *sd = fl_xmalloc(sizeof *sd);
  sd->data = c;
  if (uv_shutdown(sd, (uv_stream_t *)&c->tcp, on_shutdown) != 0) { free(sd); client_close(c); }
}

static void respond_json(client_t *c, int code, cJSON *j) {
  char *t = cJSON_PrintUnformatted(j);
  cJSON_Delete(j);
  respond(c, code, "application/json", t ? t : "null", t ? strlen(t) : 4);
  cJSON_free(t);
}

static void respond_error(client_t *c, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void respond_error(client_t *c, int code, const char *fmt, ...) {
  char msg[1200];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  cJSON *j = cJSON_CreateObject();
  cJSON_AddStringToObject(j, "error", msg);
  cJSON_AddNumberToObject(j, "status", code);
  respond_json(c, code, j);
}

/* ---- events ---- */

static char *sse_frame(const char *event, cJSON *data, size_t *len) {
  char *t = cJSON_PrintUnformatted(data);
  cJSON_Delete(data);
  size_t n = strlen(event) + strlen(t) + 32;
  char *out = fl_xmalloc(n);
  *len = (size_t)snprintf(out, n, "event: %s\ndata: %s\n\n", event, t);
  cJSON_free(t);
  return out;
}

static void sse_send(client_t *c, const char *event, cJSON *data) {
  size_t len;
  char *f = sse_frame(event, data, &len);
  client_send(c, f, len);
}

static void broadcast(server_t *s, const char *event, cJSON *data) {
  size_t len;
  char *f = sse_frame(event, data, &len);
  for (client_t *c = s->clients, *next; c; c = next) {
    next = c->next;
    if (!c->sse) continue;
    char *copy = fl_xmalloc(len);
    memcpy(copy, f, len);
    client_send(c, copy, len);
  }
  free(f);
}

static cJSON *status_json(server_t *s) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "scenario", s->model ? s->model->name : "");
  cJSON_AddStringToObject(o, "file", s->path);
  cJSON_AddNumberToObject(o, "generation", s->generation);
  cJSON_AddNumberToObject(o, "t", s->have_sim ? fl_time_to_sec(s->sim.eng.now) : 0);
  cJSON_AddNumberToObject(o, "duration", s->model ? s->model->duration : 0);
  cJSON_AddNumberToObject(o, "windows", s->have_sim ? s->sim.wdone : 0);
  cJSON_AddBoolToObject(o, "paused", s->paused);
  if (s->max_speed) cJSON_AddStringToObject(o, "speed", "max"); else cJSON_AddNumberToObject(o, "speed", s->speed);
  cJSON_AddBoolToObject(o, "complete", s->have_sim && s->sim.complete);
  cJSON_AddNumberToObject(o, "clients", s->nclients);
  if (s->error[0]) cJSON_AddStringToObject(o, "error", s->error); else cJSON_AddNullToObject(o, "error");
  return o;
}

static cJSON *model_event(server_t *s) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddNumberToObject(o, "generation", s->generation);
  cJSON_AddStringToObject(o, "name", s->model->name);
  cJSON_AddNumberToObject(o, "window", s->model->window);
  cJSON_AddNumberToObject(o, "duration", s->model->duration);
  cJSON_AddItemToObject(o, "graph", cJSON_Duplicate(s->graph, 1));
  return o;
}

/* Streams what happened since the last flush to every client. */
static void flush_events(server_t *s) {
  if (!s->have_sim) return;
  fl_sim_t *sim = &s->sim;
  while (s->sent_windows < sim->wdone) broadcast(s, "window", fl_report_window_json(sim, s->sent_windows++));
  while (s->sent_changes < sim->nchanges) broadcast(s, "change", fl_report_change_json(sim, s->sent_changes++));
  for (; s->sent_scaling < sim->nsev; s->sent_scaling++) broadcast(s, "scaling", fl_report_scale_event_json(sim, s->sent_scaling));
  for (; s->sent_logs < sim->nlogs; s->sent_logs++) broadcast(s, "log", fl_report_log_line_json(sim, s->sent_logs));
  /* faults: announce each one once it started, and again when it ends */
  if (sim->m->nfaults > s->fault_sent_cap) {
    int cap = sim->m->nfaults * 2;
    s->fault_sent = fl_xrealloc(s->fault_sent, (size_t)cap);
    memset(s->fault_sent + s->fault_sent_cap, 0, (size_t)(cap - s->fault_sent_cap));
    s->fault_sent_cap = cap;
  }
  for (int f = 0; f < sim->m->nfaults; f++) {
    const fl_fault_rt_t *fr = &sim->fault[f];
    int state = fr->ended >= 0 ? 2 : fr->started >= 0 ? 1 : 0;
    if (state > s->fault_sent[f]) {
      s->fault_sent[f] = (uint8_t)state;
      broadcast(s, "fault", fl_report_fault_live_json(sim, f));
    }
  }
  if (sim->complete && !s->done_sent) {
    s->done_sent = true;
    broadcast(s, "done", status_json(s));
  }
}

/* A new client of /api/events: the model, then everything so far. */
static void sse_start(server_t *s, client_t *c) {
  static const char head[] = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-store\r\n"
                             "Connection: keep-alive\r\nX-Accel-Buffering: no\r\n\r\nretry: 1000\n\n";
  char *h = fl_xmalloc(sizeof head);
  memcpy(h, head, sizeof head);
  client_send(c, h, sizeof head - 1);
  c->sse = true;
  sse_send(c, "status", status_json(s));
  if (!s->model) return;
  sse_send(c, "model", model_event(s));
  if (s->error[0]) {
    cJSON *e = cJSON_CreateObject();
    cJSON_AddStringToObject(e, "error", s->error);
    sse_send(c, "scenario_error", e);
  }
  if (!s->have_sim) return;
  for (int f = 0; f < s->sim.m->nfaults; f++)
    if (s->sim.fault[f].started >= 0) sse_send(c, "fault", fl_report_fault_live_json(&s->sim, f));
  for (uint32_t w = 0; w < s->sent_windows; w++) sse_send(c, "window", fl_report_window_json(&s->sim, w));
  for (int i = 0; i < s->sent_changes; i++) sse_send(c, "change", fl_report_change_json(&s->sim, i));
}

/* ---- the simulation ---- */

static void stop_sim(server_t *s) {
  if (s->have_sim) fl_sim_release(&s->sim);
  s->have_sim = false;
}

/* (Re)starts the run of the current model from time zero. */
static void start_sim(server_t *s) {
  stop_sim(s);
  if (fl_sim_init(&s->sim, s->model) != 0) { snprintf(s->error, sizeof s->error, "cannot start the simulation"); return; }
  s->have_sim = true;
  s->sent_windows = 0; s->sent_changes = s->sent_scaling = s->sent_logs = 0;
  if (s->fault_sent) memset(s->fault_sent, 0, (size_t)s->fault_sent_cap);
  s->done_sent = false;
  s->last_ms = uv_now(&s->loop);
}

/* Loads the scenario; keeps the last good model when it is broken. Returns 0 or -1. */
static int load_model(server_t *s) {
  fl_model_t *m = NULL;
  char err[1024];
  if (fl_scenario_load(s->path, &s->opts, &m, err, sizeof err) != 0) {
    snprintf(s->error, sizeof s->error, "%s", err);
    return -1;
  }
  cJSON *g = fl_graph_json(m);
  if (fl_graph_layout(g, err, sizeof err) != 0) fprintf(stderr, "faultline: warning: %s\n", err);
  stop_sim(s);
  fl_model_free(s->model);
  cJSON_Delete(s->graph);
  s->model = m;
  s->graph = g;
  s->error[0] = 0;
  s->generation++;
  start_sim(s);
  return 0;
}

static void reload(server_t *s, const char *why) {
  if (load_model(s) != 0) {
    fprintf(stderr, "faultline: %s: %s (the last good model keeps running)\n", why, s->error);
    cJSON *e = cJSON_CreateObject();
    cJSON_AddStringToObject(e, "error", s->error);
    broadcast(s, "scenario_error", e);
    return;
  }
  fprintf(stderr, "faultline: %s: model %d, %d services\n", why, s->generation, s->model->nservices);
  broadcast(s, "model", model_event(s));
  broadcast(s, "status", status_json(s));
}

static void on_tick(uv_timer_t *t) {
  server_t *s = t->data;
  uint64_t now = uv_now(&s->loop);
  uint64_t dt = now - s->last_ms;
  s->last_ms = now;
  if (!s->have_sim || s->paused || s->sim.complete) { flush_events(s); return; }
  if (s->max_speed) {
    /* as fast as it goes, in slices that leave the loop free to serve */
    uint64_t until = uv_hrtime() + 30 * 1000000ull;
    while (!s->sim.complete && uv_hrtime() < until)
      fl_sim_run_until(&s->sim, s->sim.eng.now + s->sim.window);
  } else {
    fl_time_t step = (fl_time_t)(s->speed * (double)dt * 1e6);
    fl_sim_run_until(&s->sim, s->sim.eng.now + (step > 0 ? step : 1));
  }
  if (s->sim.error[0]) {
    snprintf(s->error, sizeof s->error, "%s", s->sim.error);
    s->paused = true;
    cJSON *e = cJSON_CreateObject();
    cJSON_AddStringToObject(e, "error", s->error);
    broadcast(s, "scenario_error", e);
  }
  flush_events(s);
}

/* ---- the API ---- */

static const char *own(server_t *s, const char *str) {
  if (s->nowned == s->owned_cap) {
    s->owned_cap = s->owned_cap ? 2 * s->owned_cap : 16;
    s->owned = fl_xrealloc(s->owned, sizeof *s->owned * (size_t)s->owned_cap);
  }
  return s->owned[s->nowned++] = fl_xstrdup(str);
}

/* A duration from JSON: a number of seconds or a string with a unit. */
static int json_duration(const cJSON *v, double *out) {
  if (cJSON_IsNumber(v)) { *out = v->valuedouble; return *out >= 0 ? 0 : -1; }
  if (cJSON_IsString(v)) return fl_parse_duration(v->valuestring, out);
  return -1;
}

/* POST /api/faults: the same fields as a scenario's fault, injected now. */
static void api_inject(server_t *s, client_t *c, const char *body, size_t len) {
  if (!s->have_sim) { respond_error(c, 409, "no model is running"); return; }
  cJSON *j = cJSON_ParseWithLength(body, len);
  if (!j || !cJSON_IsObject(j)) { cJSON_Delete(j); respond_error(c, 400, "the body must be a JSON object such as {\"target\": \"recommend\", \"kind\": \"crash\", \"duration\": \"2m\"}"); return; }
  fl_fault_t ft;
  memset(&ft, 0, sizeof ft);
  static const char *const known[] = { "name", "target", "from", "to", "kind", "duration", "instances", "latency", "factor", "rate",
                                       "every", "restart", "at", NULL };
  cJSON *it;
  cJSON_ArrayForEach(it, j) {
    bool ok = false;
    for (int k = 0; known[k]; k++) if (strcmp(it->string, known[k]) == 0) ok = true;
    if (!ok) { respond_error(c, 422, "unknown field '%s'", it->string); cJSON_Delete(j); return; }
  }
  const cJSON *kind = cJSON_GetObjectItemCaseSensitive(j, "kind");
  int k = cJSON_IsString(kind) ? fl_fault_kind_parse(kind->valuestring) : -1;
  if (k < 0) { respond_error(c, 422, "kind must be one of crash, latency, slowdown, errors, hang, partition, capacity, leak, cold_cache"); cJSON_Delete(j); return; }
  ft.kind = (fl_fault_kind_t)k;
  const cJSON *target = cJSON_GetObjectItemCaseSensitive(j, "target"), *from = cJSON_GetObjectItemCaseSensitive(j, "from"),
              *to = cJSON_GetObjectItemCaseSensitive(j, "to"), *name = cJSON_GetObjectItemCaseSensitive(j, "name");
  bool link = ft.kind == FL_FAULT_PARTITION || ((ft.kind == FL_FAULT_LATENCY || ft.kind == FL_FAULT_ERRORS) && cJSON_IsString(from));
  const char *tname = link ? (cJSON_IsString(to) ? to->valuestring : NULL) : (cJSON_IsString(target) ? target->valuestring : NULL);
  if (!tname) { respond_error(c, 422, link ? "a fault on a link needs from and to" : "missing target"); cJSON_Delete(j); return; }
  ft.target_name = (char *)own(s, tname);
  if (link) {
    if (!cJSON_IsString(from) || !fl_model_find_service(s->model, from->valuestring)) {
      respond_error(c, 422, "a partition needs from = a known service"); cJSON_Delete(j); return;
    }
    ft.from_name = (char *)own(s, from->valuestring);
    ft.to_name = ft.target_name;
  }
  char why[256];   /* "svc" or "svc.endpoint", as a scenario's fault */
  if (fl_model_fault_targets(s->model, &ft, why, sizeof why) != 0) { respond_error(c, 422, "%s", why); cJSON_Delete(j); return; }
  ft.name = (char *)own(s, cJSON_IsString(name) ? name->valuestring : tname);
  const cJSON *v;
  if ((v = cJSON_GetObjectItemCaseSensitive(j, "duration")) && (json_duration(v, &ft.duration) || ft.duration <= 0)) {
    respond_error(c, 422, "duration must be a positive duration such as \"2m\""); cJSON_Delete(j); return;
  }
  if ((v = cJSON_GetObjectItemCaseSensitive(j, "instances"))) {
    if (!cJSON_IsNumber(v) || v->valuedouble <= 0) { respond_error(c, 422, "instances must be a positive number"); cJSON_Delete(j); return; }
    if (v->valuedouble < 1) ft.fraction = v->valuedouble; else ft.instances = (int)v->valuedouble;
    if (ft.instances > ft.target->instances) { respond_error(c, 422, "%s has %d instances", ft.target->name, ft.target->instances); cJSON_Delete(j); return; }
    if (ft.endpoint) { respond_error(c, 422, "instances applies to a whole service: a fault on '%s' hits every instance", tname); cJSON_Delete(j); return; }
  }
  if (ft.kind == FL_FAULT_LATENCY) {
    if (json_duration(cJSON_GetObjectItemCaseSensitive(j, "latency"), &ft.value)) { respond_error(c, 422, "a latency fault needs latency, e.g. \"300ms\""); cJSON_Delete(j); return; }
  } else if (ft.kind == FL_FAULT_SLOWDOWN || ft.kind == FL_FAULT_LEAK) {
    v = cJSON_GetObjectItemCaseSensitive(j, "factor");
    ft.value = cJSON_IsNumber(v) ? v->valuedouble : (ft.kind == FL_FAULT_LEAK ? 3 : 0);
    if (ft.value < 1) { respond_error(c, 422, "factor must be a number of at least 1"); cJSON_Delete(j); return; }
    if (ft.kind == FL_FAULT_LEAK) {
      if (json_duration(cJSON_GetObjectItemCaseSensitive(j, "every"), &ft.every) || ft.every <= 0) { respond_error(c, 422, "a leak needs every, e.g. \"20m\""); cJSON_Delete(j); return; }
      ft.restart = 30;
      if ((v = cJSON_GetObjectItemCaseSensitive(j, "restart")) && json_duration(v, &ft.restart)) { respond_error(c, 422, "restart must be a duration"); cJSON_Delete(j); return; }
    }
  } else if (ft.kind == FL_FAULT_ERRORS) {
    v = cJSON_GetObjectItemCaseSensitive(j, "rate");
    if (cJSON_IsNumber(v)) ft.value = v->valuedouble;
    else if (!cJSON_IsString(v) || fl_parse_fraction(v->valuestring, &ft.value)) { respond_error(c, 422, "an errors fault needs rate, e.g. \"20%%\""); cJSON_Delete(j); return; }
    if (!(ft.value >= 0 && ft.value <= 1)) { respond_error(c, 422, "rate must be between 0 and 1"); cJSON_Delete(j); return; }
  } else if (ft.kind == FL_FAULT_CAPACITY && ft.instances == 0 && ft.fraction == 0) {
    respond_error(c, 422, "a capacity fault needs instances"); cJSON_Delete(j); return;
  }
  cJSON_Delete(j);
  ft.at = fl_time_to_sec(s->sim.eng.now);
  ft.file = "api"; ft.line = 0;
  int f = fl_sim_inject(&s->sim, &ft);
  if (f < 0) { respond_error(c, 409, "too many faults injected in this run"); return; }
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "name", ft.name);
  cJSON_AddStringToObject(o, "kind", fl_fault_kind_name(ft.kind));
  cJSON_AddStringToObject(o, "target", ft.target->name);
  if (ft.endpoint) cJSON_AddStringToObject(o, "endpoint", ft.endpoint->name);
  cJSON_AddNumberToObject(o, "at", ft.at);
  respond_json(c, 201, o);
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

static void handle(server_t *s, client_t *c, fl_http_req_t *rq) {
  const char *p = rq->path, *m = rq->method;
  bool get = strcmp(m, "GET") == 0, post = strcmp(m, "POST") == 0, del = strcmp(m, "DELETE") == 0;
  if (strcmp(p, "/") == 0 || strcmp(p, "/index.html") == 0) {
    if (!get) { respond_error(c, 405, "use GET"); return; }
    size_t len = 0;
    char *page = fl_report_live_page(s->graph, &len);
    if (!page) { respond_error(c, 503, "no model to show: %s", s->error); return; }
    respond(c, 200, "text/html; charset=utf-8", page, len);
    free(page);
  } else if (strcmp(p, "/api/model") == 0) {
    if (!get) { respond_error(c, 405, "use GET"); return; }
    if (!s->model) { respond_error(c, 503, "no model: %s", s->error); return; }
    respond_json(c, 200, model_event(s));
  } else if (strcmp(p, "/api/status") == 0) {
    if (!get) { respond_error(c, 405, "use GET"); return; }
    respond_json(c, 200, status_json(s));
  } else if (strcmp(p, "/api/events") == 0) {
    if (!get) { respond_error(c, 405, "use GET"); return; }
    sse_start(s, c);
  } else if (strcmp(p, "/api/report") == 0) {
    if (!get) { respond_error(c, 405, "use GET"); return; }
    if (!s->have_sim) { respond_error(c, 503, "no run: %s", s->error); return; }
    fl_run_info_t run;
    memset(&run, 0, sizeof run);
    run.wall_seconds = (double)uv_hrtime() / 1e9 - s->wall_start;
    run.events = s->sim.eng.dispatched;
    snprintf(run.host, sizeof run.host, "serve");
    fl_sim_check_expectations(&s->sim);
    respond_json(c, 200, fl_report_json(&s->sim, &run));
  } else if (strcmp(p, "/api/pause") == 0 || strcmp(p, "/api/resume") == 0) {
    if (!post) { respond_error(c, 405, "use POST"); return; }
    s->paused = p[5] == 'p';
    s->last_ms = uv_now(&s->loop);
    broadcast(s, "status", status_json(s));
    respond_json(c, 200, status_json(s));
  } else if (strcmp(p, "/api/speed") == 0) {
    if (!post) { respond_error(c, 405, "use POST"); return; }
    if (!body_speed(rq->body, rq->content_length, &s->speed, &s->max_speed)) {
      respond_error(c, 400, "expected {\"speed\": 60} (simulated seconds per second) or {\"speed\": \"max\"}");
      return;
    }
    broadcast(s, "status", status_json(s));
    respond_json(c, 200, status_json(s));
  } else if (strcmp(p, "/api/restart") == 0) {
    if (!post) { respond_error(c, 405, "use POST"); return; }
    reload(s, "restart");
    if (s->error[0]) { respond_error(c, 422, "%s", s->error); return; }
    respond_json(c, 200, status_json(s));
  } else if (strcmp(p, "/api/faults") == 0) {
    if (!post) { respond_error(c, 405, "use POST"); return; }
    api_inject(s, c, rq->body, rq->content_length);
    flush_events(s);
  } else if (strncmp(p, "/api/faults/", 12) == 0) {
    if (!del) { respond_error(c, 405, "use DELETE to heal a fault"); return; }
    char name[1024];
    snprintf(name, sizeof name, "%s", p + 12);
    if (fl_http_unescape(name) != 0 || !name[0]) { respond_error(c, 400, "bad fault name"); return; }
    if (!s->have_sim || fl_sim_heal(&s->sim, name) != 0) { respond_error(c, 404, "no active fault named '%s'", name); return; }
    flush_events(s);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "healed", name);
    cJSON_AddNumberToObject(o, "t", fl_time_to_sec(s->sim.eng.now));
    respond_json(c, 200, o);
  } else {
    respond_error(c, 404, "no such path: %s", p);
  }
}

/* ---- connections ---- */

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
  client_t *c = h->data;
  (void)suggested;
  if (c->cap - c->len < 4096) {
    size_t cap = c->cap ? c->cap * 2 : 8192;
    if (cap > FL_HTTP_MAX_HEAD + FL_HTTP_MAX_BODY + 8192) cap = FL_HTTP_MAX_HEAD + FL_HTTP_MAX_BODY + 8192;
    if (cap > c->cap) { c->buf = fl_xrealloc(c->buf, cap); c->cap = cap; }
  }
  *buf = uv_buf_init(c->buf + c->len, (unsigned)(c->cap - c->len));
}

static void on_read(uv_stream_t *st, ssize_t n, const uv_buf_t *buf) {
  client_t *c = st->data;
  (void)buf;
  if (n < 0) { client_close(c); return; }
  if (c->sse) return;                 /* an event stream only listens */
  c->len += (size_t)n;
  fl_http_req_t rq;
  long used = fl_http_parse(c->buf, c->len, &rq);
  if (used == 0) {
    if (c->len >= c->cap && c->cap >= FL_HTTP_MAX_HEAD + FL_HTTP_MAX_BODY + 8192) { uv_read_stop(st); respond_error(c, 413, "request too large"); }
    return;
  }
  uv_read_stop(st);
  if (used < 0) {
    int code = (int)-used;
    respond_error(c, code, code == 413 ? "the body is larger than 64 KiB" : code == 431 ? "the request head is too large" :
                           code == 501 ? "chunked bodies are not supported: send Content-Length" : "malformed request");
    return;
  }
  handle(c->srv, c, &rq);
  if (c->sse && !c->closing) uv_read_start(st, on_alloc, on_read);   /* notice when it goes away */
}

static void on_connection(uv_stream_t *ls, int status) {
  server_t *s = ls->data;
  if (status < 0) return;
  client_t *c = fl_xcalloc(1, sizeof *c);
  c->srv = s;
  uv_tcp_init(&s->loop, &c->tcp);
  c->tcp.data = c;
  if (uv_accept(ls, (uv_stream_t *)&c->tcp) != 0) { uv_close((uv_handle_t *)&c->tcp, on_closed); return; }
  c->next = s->clients;
  if (s->clients) s->clients->prev = c;
  s->clients = c;
  s->nclients++;
  if (s->nclients > MAX_CLIENTS) { respond_error(c, 503, "too many clients"); return; }
  uv_tcp_nodelay(&c->tcp, 1);
  uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
}

/* ---- watching the scenario, stopping ---- */

static void on_watch(uv_fs_poll_t *h, int status, const uv_stat_t *prev, const uv_stat_t *cur) {
  server_t *s = h->data;
  (void)prev; (void)cur;
  if (status < 0) return;     /* deleted or unreadable for now: the next save brings it back */
  reload(s, "scenario changed");
}

static void close_any(uv_handle_t *h, void *arg) {
  (void)arg;
  if (!uv_is_closing(h)) {
    if (h->type == UV_TCP && h->data && h->data != arg) {
      /* clients free themselves in on_closed */
      client_t *c = h->data;
      if (c->srv) { c->closing = true; uv_close(h, on_closed); return; }
    }
    uv_close(h, NULL);
  }
}

static void on_signal(uv_signal_t *sig, int signum) {
  server_t *s = sig->data;
  (void)signum;
  if (s->stopping) return;
  s->stopping = true;
  fprintf(stderr, "\nfaultline: stopping\n");
  if (s->json_out && s->have_sim) {
    fl_run_info_t run;
    memset(&run, 0, sizeof run);
    run.wall_seconds = (double)uv_hrtime() / 1e9 - s->wall_start;
    run.events = s->sim.eng.dispatched;
    snprintf(run.host, sizeof run.host, "serve");
    fl_sim_check_expectations(&s->sim);
    char err[512];
    if (fl_report_write_json(&s->sim, &run, s->json_out, err, sizeof err) != 0) fprintf(stderr, "faultline: error: %s\n", err);
    else fprintf(stderr, "faultline: report: %s\n", s->json_out);
  }
  s->listener.data = NULL;
  uv_walk(&s->loop, close_any, &s->listener);
}

/* ---- the command ---- */

static int usage_error(const char *msg, const char *arg) {
  fprintf(stderr, "faultline: error: %s%s%s\nusage: faultline serve SCENARIO.lua [--port 8080] [--host 127.0.0.1] [--speed 60|max] "
          "[--seed N] [--set PATH=VALUE ...] [--json FILE] [--unsafe]\n", msg, arg ? " " : "", arg ? arg : "");
  return FL_EXIT_USAGE;
}

int fl_cmd_serve(int argc, char **argv) {
  server_t *s = fl_xcalloc(1, sizeof *s);
  s->port = 8080; s->host = "127.0.0.1"; s->speed = 60;
  const char **sets = fl_xcalloc((size_t)argc + 1, sizeof *sets);
  int rc = FL_EXIT_HELD;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    bool next = i + 1 < argc;
    if (strcmp(a, "--port") == 0 && next) {
      char *end; long p = strtol(argv[++i], &end, 10);
      if (*end || p < 0 || p > 65535) { rc = usage_error("--port needs 0 to 65535, got", argv[i]); goto out; }
      s->port = (int)p;
    } else if (strcmp(a, "--host") == 0 && next) s->host = argv[++i];
    else if (strcmp(a, "--speed") == 0 && next) {
      const char *v = argv[++i];
      if (strcmp(v, "max") == 0) s->max_speed = true;
      else { char *end; s->speed = strtod(v, &end); if (*end || !(s->speed > 0) || s->speed > 1e9) { rc = usage_error("--speed needs a positive number or max, got", v); goto out; } }
    } else if (strcmp(a, "--seed") == 0 && next) {
      char *end; s->opts.seed = strtoull(argv[++i], &end, 10);
      if (*end || argv[i][0] == '-') { rc = usage_error("--seed needs a whole number, got", argv[i]); goto out; }
      s->opts.has_seed = true;
    } else if (strcmp(a, "--set") == 0 && next) sets[s->opts.nsets++] = argv[++i];
    else if (strcmp(a, "--json") == 0 && next) s->json_out = argv[++i];
    else if (strcmp(a, "--unsafe") == 0) s->opts.unsafe = true;
    else if (a[0] == '-') { rc = usage_error("unknown option or missing value:", a); goto out; }
    else if (!s->path) s->path = a;
    else { rc = usage_error("unexpected argument", a); goto out; }
  }
  if (!s->path) { rc = usage_error("missing scenario file", NULL); goto out; }
  s->opts.sets = sets;
  signal(SIGPIPE, SIG_IGN);     /* a client that went away is a write error, not the end */
  uv_loop_init(&s->loop);
  if (load_model(s) != 0) {
    fprintf(stderr, "faultline: error: %s\n", s->error);
    uv_loop_close(&s->loop);
    rc = FL_EXIT_USAGE;
    goto out;
  }
  struct sockaddr_storage addr;
  if (uv_ip4_addr(s->host, s->port, (struct sockaddr_in *)&addr) != 0 && uv_ip6_addr(s->host, s->port, (struct sockaddr_in6 *)&addr) != 0) {
    rc = usage_error("--host needs an IP address, got", s->host);
    stop_sim(s);
    uv_loop_close(&s->loop);
    goto out;
  }
  uv_tcp_init(&s->loop, &s->listener);
  s->listener.data = s;
  int e = uv_tcp_bind(&s->listener, (const struct sockaddr *)&addr, 0);
  if (!e) e = uv_listen((uv_stream_t *)&s->listener, 128, on_connection);
  if (e) {
    fprintf(stderr, "faultline: error: cannot listen on %s:%d: %s\n", s->host, s->port, uv_strerror(e));
    uv_close((uv_handle_t *)&s->listener, NULL);
    uv_run(&s->loop, UV_RUN_DEFAULT);
    stop_sim(s);
    uv_loop_close(&s->loop);
    rc = FL_EXIT_USAGE;
    goto out;
  }
  struct sockaddr_storage bound;
  int blen = sizeof bound;
  uv_tcp_getsockname(&s->listener, (struct sockaddr *)&bound, &blen);
  int port = ntohs(((struct sockaddr_in *)&bound)->sin_port);
  printf("faultline: serving %s on http://%s:%d/\n", s->path, s->host, port);
  if (s->max_speed) printf("faultline: simulating as fast as it goes; Ctrl-C stops\n");
  else printf("faultline: %g simulated seconds per second; Ctrl-C stops\n", s->speed);
  fflush(stdout);
  s->wall_start = (double)uv_hrtime() / 1e9;
  uv_timer_init(&s->loop, &s->tick);
  s->tick.data = s;
  uv_timer_start(&s->tick, on_tick, TICK_MS, TICK_MS);
  uv_signal_init(&s->loop, &s->sigint); s->sigint.data = s; uv_signal_start(&s->sigint, on_signal, SIGINT);
  uv_signal_init(&s->loop, &s->sigterm); s->sigterm.data = s; uv_signal_start(&s->sigterm, on_signal, SIGTERM);
  uv_fs_poll_init(&s->loop, &s->watch);
  s->watch.data = s;
  uv_fs_poll_start(&s->watch, on_watch, s->path, 300);
  uv_run(&s->loop, UV_RUN_DEFAULT);
  uv_loop_close(&s->loop);
  stop_sim(s);
out:
  fl_model_free(s->model);
  cJSON_Delete(s->graph);
  for (int i = 0; i < s->nowned; i++) free(s->owned[i]);
  free(s->owned);
  free(s->fault_sent);
  free(sets);
  free(s);
  return rc;
}
