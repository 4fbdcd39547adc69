/* Private to sim/serve/: the server's state and the functions its files share. server.c owns
** the loop, the pacing of the run and its reload; stream.c the connections and the event stream;
** api.c the control API; http.c reads requests. */
#ifndef FAULTLINE_SIM_SERVE_INT_H
#define FAULTLINE_SIM_SERVE_INT_H

#include "faultline/report.h"
#include "faultline/serve.h"
#include "http.h"

#include <cJSON.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

typedef struct client {
  uv_tcp_t tcp;
  uv_timer_t timer;            /* the request must arrive, and the response leave, in time */
  int handles;                 /* of tcp and timer, not closed yet: the last close frees it */
  fl_serve_t *srv;
  struct client *next, *prev;  /* the server's list of connections, newest first */
  char *buf; size_t len, cap;  /* what the client sent so far */
  bool answered;               /* a response is on its way: the request is no longer awaited */
  bool sse;                    /* an event stream: it only listens from now on */
  bool closing;                /* uv_close was called */
} client_t;

struct fl_serve {
  uv_loop_t loop;
  uv_tcp_t listener;
  uv_timer_t tick;             /* paces the run */
  uv_signal_t sigint, sigterm;
  uv_fs_poll_t watch;          /* the scenario file */
  uv_idle_t work;              /* runs the simulation in slices while it is behind its target */
  fl_serve_opts_t o;           /* as given (its strings borrowed) */
  int port;                    /* bound */
  bool wildcard;               /* listening on 0.0.0.0 or ::, where any IP address names it */
  char token[33];              /* drawn at start: the page carries it, every POST and DELETE sends it */
  fl_run_t *run;               /* the current run (owned), NULL when none */
  cJSON *graph;                /* the laid-out architecture of the current run's model */
  int generation;              /* models loaded so far */
  char error[1024];            /* why the last load or the run failed; empty when fine */
  bool paused, max_speed, stopping;
  double speed;                /* simulated seconds per wall second (unless max_speed) */
  uint64_t last_ms;            /* loop time of the last tick */
  /* pacing: the run follows a target time that the ticks move on by speed x wall time */
  fl_time_t target;            /* where the run should be by now */
  fl_time_t reached;           /* where it was run to (fl_run_until's bound) */
  fl_time_t chunk;             /* simulated time one fl_run_until covers: adapted to ~1 ms of work */
  bool behind;                 /* the machine cannot keep the speed: it runs as fast as it can */
  int caught_up;               /* ticks in a row that found the target reached */
  double actual_speed;         /* measured simulated seconds per wall second */
  fl_time_t measured_t; uint64_t measured_ms;   /* where actual_speed was last measured from */
  /* what the event stream sent of the current run */
  uint32_t sent_windows;
  int sent_changes, sent_scaling, sent_logs;
  uint8_t *fault_sent;         /* per fault: 0 nothing sent, 1 its start, 2 its end */
  int fault_sent_cap;
  bool done_sent;
  client_t *clients;
  int nclients;
  char **owned; int nowned, owned_cap;   /* names of the current run's faults injected by API */
};

/* ---- server.c ---- */

/* {scenario, file, generation, t, duration, windows, paused, speed, complete, clients, error}. */
cJSON *fl__serve_status_json(const fl_serve_t *sv);
/* {generation, name, window, duration, graph}: the current model (sv->run set). */
cJSON *fl__serve_model_json(const fl_serve_t *sv);
/* Loads the scenario again and restarts the run on it; a broken scenario keeps the last good
** run going. Tells the clients either way; 'why' goes to stderr. Returns 0 or -1 (sv->error). */
int fl__serve_reload(fl_serve_t *sv, const char *why);
/* A copy of 'str' that lives as long as the current run. */
const char *fl__serve_own(fl_serve_t *sv, const char *str);
/* Frees the last 'n' copies of fl__serve_own (an injection that was refused after all). */
void fl__serve_disown(fl_serve_t *sv, int n);
/* The report's "run" object for the current run. */
void fl__serve_run_info(const fl_serve_t *sv, fl_run_info_t *out);

/* ---- stream.c: connections, responses, the event stream ---- */

/* Accepts a connection on the listener. */
void fl__serve_on_connection(uv_stream_t *listener, int status);
/* Closes every connection (stopping). */
void fl__serve_close_clients(fl_serve_t *sv);
/* Sends a whole response and closes the connection after it. */
void fl__serve_respond(client_t *c, int code, const char *type, const char *body, size_t blen);
/* The same with 'j' printed (and deleted). */
void fl__serve_respond_json(client_t *c, int code, cJSON *j);
/* {"error": MSG, "status": code}. */
void fl__serve_respond_error(client_t *c, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Sends event 'event' with 'data' (deleted) to every event stream. */
void fl__serve_broadcast(fl_serve_t *sv, const char *event, cJSON *data);
/* Makes 'c' an event stream: the status, the model, then everything so far. */
void fl__serve_sse_start(fl_serve_t *sv, client_t *c);
/* Streams what the run recorded since the last flush. */
void fl__serve_flush(fl_serve_t *sv);
/* Forgets what was sent: the current run starts over. */
void fl__serve_stream_reset(fl_serve_t *sv);

/* ---- guard.c: which requests it obeys ---- */

/* 0 when request 'rq' may be served; otherwise the HTTP status to refuse it with (403 foreign
** Host or Origin, or no token on a POST or DELETE; 415 a POST that is not JSON), and a message. */
int fl__serve_guard(const fl_serve_t *sv, const fl_http_req_t *rq, char *msg, size_t n);
/* Draws the per-start token. Returns 0 or -FL_EIO. */
int fl__serve_draw_token(fl_serve_t *sv);

/* ---- api.c ---- */

/* Answers one complete request. */
void fl__serve_handle(fl_serve_t *sv, client_t *c, const fl_http_req_t *rq);

/* ---- metrics.c ---- */

/* GET /metrics: the live run in Prometheus' text format. */
void fl__serve_metrics(fl_serve_t *sv, client_t *c);

#endif
