/* The connections of faultline serve and its event stream: accepting and reading clients (each
** with a deadline to send its request and take its response, the idlest let go when all slots
** are taken), sending whole responses, and the Server-Sent Events of /api/events, each record
** serialized by reports/records.c as the JSON report has it (window, change, scaling, log, fault). */
#include "serve_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CLIENT_BACKLOG (8u << 20)   /* a client further behind than this is dropped */
#define MAX_CLIENTS 256
#define MAX_REQUEST (FL_HTTP_MAX_HEAD + FL_HTTP_MAX_BODY + 8192)
#define REQUEST_TIMEOUT_MS 10000        /* from the connection to the whole request */
#define RESPONSE_TIMEOUT_MS 30000       /* from the request to the whole response taken */

/* ---- output ---- */

typedef struct { uv_write_t req; uv_buf_t buf; } wreq_t;

static void on_closed(uv_handle_t *h) {
  client_t *c = h->data;
  if (--c->handles > 0) return;
  free(c->buf);
  free(c);
}

static void client_close(client_t *c) {
  if (c->closing) return;
  c->closing = true;
  fl_serve_t *s = c->srv;
  if (c->prev) c->prev->next = c->next; else s->clients = c->next;
  if (c->next) c->next->prev = c->prev;
  s->nclients--;
  uv_close((uv_handle_t *)&c->tcp, on_closed);
  uv_close((uv_handle_t *)&c->timer, on_closed);
}

void fl__serve_close_clients(fl_serve_t *sv) {
  while (sv->clients) client_close(sv->clients);
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
  case 200: return "OK"; case 201: return "Created"; case 400: return "Bad Request"; case 403: return "Forbidden";
  case 404: return "Not Found"; case 405: return "Method Not Allowed"; case 408: return "Request Timeout";
  case 409: return "Conflict"; case 413: return "Payload Too Large"; case 415: return "Unsupported Media Type";
  case 422: return "Unprocessable Entity"; case 431: return "Request Header Fields Too Large";
  case 501: return "Not Implemented"; case 503: return "Service Unavailable";
  default: return "Error";
  }
}

static void on_timeout(uv_timer_t *t) {
  client_t *c = t->data;
  if (c->closing || c->sse) return;
  if (c->answered) { client_close(c); return; }     /* it does not take its response */
  uv_read_stop((uv_stream_t *)&c->tcp);
  fl__serve_respond_error(c, 408, "the request did not arrive within %d s", REQUEST_TIMEOUT_MS / 1000);
}

void fl__serve_respond(client_t *c, int code, const char *type, const char *body, size_t blen) {
  if (!c->closing) {
    c->answered = true;
    uv_timer_start(&c->timer, on_timeout, RESPONSE_TIMEOUT_MS, 0);
  }
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

void fl__serve_respond_json(client_t *c, int code, cJSON *j) {
  char *t = cJSON_PrintUnformatted(j);
  cJSON_Delete(j);
  fl__serve_respond(c, code, "application/json", t ? t : "null", t ? strlen(t) : 4);
  cJSON_free(t);
}

void fl__serve_respond_error(client_t *c, int code, const char *fmt, ...) {
  char msg[1200];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  cJSON *j = cJSON_CreateObject();
  cJSON_AddStringToObject(j, "error", msg);
  cJSON_AddNumberToObject(j, "status", code);
  fl__serve_respond_json(c, code, j);
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

void fl__serve_broadcast(fl_serve_t *sv, const char *event, cJSON *data) {
  size_t len;
  char *f = sse_frame(event, data, &len);
  for (client_t *c = sv->clients, *next; c; c = next) {
    next = c->next;
    if (!c->sse) continue;
    char *copy = fl_xmalloc(len);
    memcpy(copy, f, len);
    client_send(c, copy, len);
  }
  free(f);
}

void fl__serve_stream_reset(fl_serve_t *sv) {
  sv->sent_windows = 0;
  sv->sent_changes = sv->sent_scaling = sv->sent_logs = 0;
  if (sv->fault_sent) memset(sv->fault_sent, 0, (size_t)sv->fault_sent_cap);
  sv->done_sent = false;
}

/* Faults: each one announced once it started, and again when it ends. */
static void flush_faults(fl_serve_t *sv) {
  const fl_sim_t *sim = &sv->run->s;
  if (sim->m->nfaults > sv->fault_sent_cap) {
    int cap = sim->m->nfaults * 2;
    sv->fault_sent = fl_xrealloc(sv->fault_sent, (size_t)cap);
    memset(sv->fault_sent + sv->fault_sent_cap, 0, (size_t)(cap - sv->fault_sent_cap));
    sv->fault_sent_cap = cap;
  }
  for (int f = 0; f < sim->m->nfaults; f++) {
    const fl_fault_rt_t *fr = &sim->fault[f];
    int state = fr->ended >= 0 ? 2 : fr->started >= 0 ? 1 : 0;
    if (state > sv->fault_sent[f]) {
      sv->fault_sent[f] = (uint8_t)state;
      fl__serve_broadcast(sv, "fault", fl_report_fault_live_json(sim, f));
    }
  }
}

void fl__serve_flush(fl_serve_t *sv) {
  if (!sv->run) return;
  const fl_sim_t *sim = &sv->run->s;
  for (; sv->sent_windows < sim->wdone; sv->sent_windows++)   /* a long run holds its recent windows only (fl_sim_kept) */
    if (fl_sim_kept(sim, sv->sent_windows)) fl__serve_broadcast(sv, "window", fl_report_window_json(sim, sv->sent_windows));
  while (sv->sent_changes < sim->nchanges) fl__serve_broadcast(sv, "change", fl_report_change_json(sim, sv->sent_changes++));
  for (; sv->sent_scaling < sim->nsev; sv->sent_scaling++) fl__serve_broadcast(sv, "scaling", fl_report_scale_event_json(sim, sv->sent_scaling));
  for (; sv->sent_logs < sim->nlogs; sv->sent_logs++) fl__serve_broadcast(sv, "log", fl_report_log_line_json(sim, sv->sent_logs));
  flush_faults(sv);
  if (sim->complete && !sv->done_sent) {
    sv->done_sent = true;
    fl__serve_broadcast(sv, "done", fl__serve_status_json(sv));
  }
}

void fl__serve_sse_start(fl_serve_t *sv, client_t *c) {
  static const char head[] = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-store\r\n"
                             "Connection: keep-alive\r\nX-Accel-Buffering: no\r\n\r\nretry: 1000\n\n";
  char *h = fl_xmalloc(sizeof head);
  memcpy(h, head, sizeof head);
  client_send(c, h, sizeof head - 1);
  c->sse = true;
  c->answered = true;
  uv_timer_stop(&c->timer);          /* it stays; a reader too slow is dropped by its backlog */
  sse_send(c, "status", fl__serve_status_json(sv));
  if (!sv->run) return;
  sse_send(c, "model", fl__serve_model_json(sv));
  if (sv->error[0]) {
    cJSON *e = cJSON_CreateObject();
    cJSON_AddStringToObject(e, "error", sv->error);
    sse_send(c, "scenario_error", e);
  }
  const fl_sim_t *sim = &sv->run->s;
  for (int f = 0; f < sim->m->nfaults; f++)
    if (sim->fault[f].started >= 0) sse_send(c, "fault", fl_report_fault_live_json(sim, f));
  for (uint32_t w = 0; w < sv->sent_windows; w++)
    if (fl_sim_kept(sim, w)) sse_send(c, "window", fl_report_window_json(sim, w));
  for (int i = 0; i < sv->sent_changes; i++) sse_send(c, "change", fl_report_change_json(sim, i));
}

/* ---- reading requests ---- */

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
  client_t *c = h->data;
  (void)suggested;
  if (c->cap - c->len < 4096) {
    size_t cap = c->cap ? c->cap * 2 : 8192;
    if (cap > MAX_REQUEST) cap = MAX_REQUEST;
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
    if (c->len >= c->cap && c->cap >= MAX_REQUEST) { uv_read_stop(st); fl__serve_respond_error(c, 413, "request too large"); }
    return;
  }
  uv_read_stop(st);
  if (used < 0) {
    int code = (int)-used;
    fl__serve_respond_error(c, code, code == 413 ? "the body is larger than 64 KiB" : code == 431 ? "the request head is too large" :
                                     code == 501 ? "chunked bodies are not supported: send Content-Length" : "malformed request");
    return;
  }
  fl__serve_handle(c->srv, c, &rq);
  if (c->sse && !c->closing) uv_read_start(st, on_alloc, on_read);   /* notice when it goes away */
}

/* All slots taken: lets go of the connection that has waited longest without sending a whole
** request (idle or half-sent ones cannot lock the others out). Returns false when there is none. */
static bool evict_idlest(fl_serve_t *s, const client_t *keep) {
  client_t *oldest = NULL;
  for (client_t *c = s->clients; c; c = c->next)     /* newest first: the last one found is the oldest */
    if (c != keep && !c->answered && !c->closing) oldest = c;
  if (!oldest) return false;
  client_close(oldest);
  return true;
}

void fl__serve_on_connection(uv_stream_t *ls, int status) {
  fl_serve_t *s = ls->data;
  if (status < 0) return;
  client_t *c = fl_xcalloc(1, sizeof *c);
  c->srv = s;
  uv_tcp_init(&s->loop, &c->tcp);
  uv_timer_init(&s->loop, &c->timer);
  c->tcp.data = c->timer.data = c;
  c->handles = 2;
  if (uv_accept(ls, (uv_stream_t *)&c->tcp) != 0) {
    uv_close((uv_handle_t *)&c->tcp, on_closed);
    uv_close((uv_handle_t *)&c->timer, on_closed);
    return;
  }
  c->next = s->clients;
  if (s->clients) s->clients->prev = c;
  s->clients = c;
  s->nclients++;
  if (s->nclients > MAX_CLIENTS && !evict_idlest(s, c)) { fl__serve_respond_error(c, 503, "too many clients"); return; }
  uv_timer_start(&c->timer, on_timeout, REQUEST_TIMEOUT_MS, 0);
  uv_tcp_nodelay(&c->tcp, 1);
  uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
}
