/* faultline serve's loop: the listener, the run of the scenario through fl_run_t paced at
** --speed simulated seconds per wall second, its reload when the scenario file changes (a
** broken edit keeps the last good run), the status, and the stop on SIGINT or SIGTERM. */
#include "serve_int.h"
#include "faultline/graph.h"

#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TICK_MS 50

/* ---- the status ---- */

cJSON *fl__serve_status_json(const fl_serve_t *s) {
  const fl_run_t *r = s->run;
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "scenario", r ? r->m->name : "");
  cJSON_AddStringToObject(o, "file", s->o.path);
  cJSON_AddNumberToObject(o, "generation", s->generation);
  cJSON_AddNumberToObject(o, "t", r ? fl_time_to_sec(r->s.eng.now) : 0);
  cJSON_AddNumberToObject(o, "duration", r ? r->m->duration : 0);
  cJSON_AddNumberToObject(o, "windows", r ? r->s.wdone : 0);
  cJSON_AddBoolToObject(o, "paused", s->paused);
  if (s->max_speed) cJSON_AddStringToObject(o, "speed", "max"); else cJSON_AddNumberToObject(o, "speed", s->speed);
  cJSON_AddNumberToObject(o, "actual_speed", round(s->actual_speed * 10) / 10);
  cJSON_AddBoolToObject(o, "behind", s->behind);
  char pace[160];
  if (s->max_speed) snprintf(pace, sizeof pace, "as fast as possible");
  else if (s->behind)
    snprintf(pace, sizeof pace, "as fast as possible: this machine keeps %.0f\u00d7 of the %g\u00d7 asked", s->actual_speed, s->speed);
  else snprintf(pace, sizeof pace, "%g\u00d7 real time", s->speed);
  cJSON_AddStringToObject(o, "pace", pace);
  cJSON_AddBoolToObject(o, "complete", r && r->s.complete);
  cJSON_AddNumberToObject(o, "clients", s->nclients);
  if (s->error[0]) cJSON_AddStringToObject(o, "error", s->error); else cJSON_AddNullToObject(o, "error");
  return o;
}

cJSON *fl__serve_model_json(const fl_serve_t *s) {
  const fl_model_t *m = s->run->m;
  cJSON *o = cJSON_CreateObject();
  cJSON_AddNumberToObject(o, "generation", s->generation);
  cJSON_AddStringToObject(o, "name", m->name);
  cJSON_AddNumberToObject(o, "window", m->window);
  cJSON_AddNumberToObject(o, "duration", m->duration);
  cJSON_AddItemToObject(o, "graph", cJSON_Duplicate(s->graph, 1));
  return o;
}

void fl__serve_run_info(const fl_serve_t *s, fl_run_info_t *out) {
  memset(out, 0, sizeof *out);
  if (!s->run) return;
  out->wall_seconds = s->run->wall_seconds;
  out->events = s->run->s.eng.dispatched;
  fl_run_host(out->host, sizeof out->host);
}

/* ---- the run ---- */

const char *fl__serve_own(fl_serve_t *s, const char *str) {
  if (s->nowned == s->owned_cap) {
    s->owned_cap = s->owned_cap ? 2 * s->owned_cap : 16;
    s->owned = fl_xrealloc(s->owned, sizeof *s->owned * (size_t)s->owned_cap);
  }
  return s->owned[s->nowned++] = fl_xstrdup(str);
}

void fl__serve_disown(fl_serve_t *s, int n) {
  while (n-- > 0 && s->nowned > 0) free(s->owned[--s->nowned]);
}

/* Releases the current run and what its injected faults pointed to. */
static void drop_run(fl_serve_t *s) {
  if (s->run) { fl_run_release(s->run); free(s->run); s->run = NULL; }
  for (int i = 0; i < s->nowned; i++) free(s->owned[i]);
  s->nowned = 0;
}

/* The scenario is a regular file: opened without blocking (a FIFO in its place would hold the
** loop until someone writes to it). Returns 0, or -FL_EIO with a message; a file that cannot be
** opened is left to the loader, which says why. */
static int check_regular(const char *path, char *err, size_t n) {
  int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) return 0;
  struct stat st;
  bool regular = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
  close(fd);
  if (regular) return 0;
  snprintf(err, n, "%s: not a regular file (a scenario is a plain file, not a pipe or a device)", path);
  return -FL_EIO;
}

/* Loads the scenario into a new run, started from time zero; keeps the current run when the
** scenario is broken. Returns 0 or -1 (s->error), 'rc' the library's code. */
static int load_run(fl_serve_t *s, int *rc) {
  if ((*rc = check_regular(s->o.path, s->error, sizeof s->error)) != 0) return -1;
  fl_run_t *r = fl_xcalloc(1, sizeof *r);
  char err[1024];
  *rc = fl_run_load(r, s->o.path, &s->o.load, err, sizeof err);
  if (*rc != 0) {
    snprintf(s->error, sizeof s->error, "%s", err);
    free(r);
    return -1;
  }
  cJSON *g = fl_graph_json(r->m);
  if (fl_graph_layout(g, err, sizeof err) != 0) fprintf(stderr, "faultline: warning: %s\n", err);
  drop_run(s);
  cJSON_Delete(s->graph);
  s->run = r;
  s->graph = g;
  s->error[0] = 0;
  s->generation++;
  fl__serve_stream_reset(s);
  s->last_ms = s->measured_ms = uv_now(&s->loop);
  s->target = s->reached = s->measured_t = 0;
  s->chunk = 1000000;                 /* 1 ms of simulated time, adapted from there */
  s->behind = false;
  s->caught_up = 0;
  return 0;
}

int fl__serve_reload(fl_serve_t *s, const char *why) {
  int rc;
  if (load_run(s, &rc) != 0) {
    fprintf(stderr, "faultline: %s: %s (the last good model keeps running)\n", why, s->error);
    cJSON *e = cJSON_CreateObject();
    cJSON_AddStringToObject(e, "error", s->error);
    fl__serve_broadcast(s, "scenario_error", e);
    return -1;
  }
  fprintf(stderr, "faultline: %s: model %d, %d services\n", why, s->generation, s->run->m->nservices);
  fl__serve_broadcast(s, "model", fl__serve_model_json(s));
  fl__serve_broadcast(s, "status", fl__serve_status_json(s));
  return 0;
}

/* ---- pacing ----
** The ticks move a target time on by speed x wall time; an idle handle runs the simulation
** towards it in slices of at most SLICE_NS of wall time, so that the loop reads requests between
** two slices whatever the speed. Each fl_run_until covers 'chunk' of simulated time, doubled
** while it costs little and cut when it costs much, so that one call stays near a millisecond
** even when a fault makes every simulated second heavy. A tick that finds the target not
** reached drops the backlog: the run goes as fast as the machine can, and the status says so. */

#define SLICE_NS (5 * 1000000ull)        /* wall time of work per loop turn */
#define CALL_NS (SLICE_NS / 4)           /* wall time one fl_run_until aims at */
#define CAUGHT_UP_TICKS 10               /* ticks on target before "behind" is over */

static void run_failed(fl_serve_t *s) {
  snprintf(s->error, sizeof s->error, "%s", s->run->s.error);
  s->paused = true;
  cJSON *e = cJSON_CreateObject();
  cJSON_AddStringToObject(e, "error", s->error);
  fl__serve_broadcast(s, "scenario_error", e);
  fl__serve_broadcast(s, "status", fl__serve_status_json(s));
}

static void on_work(uv_idle_t *h) {
  fl_serve_t *s = h->data;
  fl_run_t *r = s->run;
  if (!r || s->paused || r->s.complete || s->reached >= s->target) { uv_idle_stop(h); return; }
  uint64_t start = uv_hrtime();
  int rc = 0;
  while (rc == 0 && s->reached < s->target && uv_hrtime() - start < SLICE_NS) {
    fl_time_t to = s->target - s->reached > s->chunk ? s->reached + s->chunk : s->target;
    uint64_t t0 = uv_hrtime();
    rc = fl_run_until(r, to);
    uint64_t spent = uv_hrtime() - t0;
    s->reached = to < r->s.end ? to : r->s.end;
    if (spent < CALL_NS / 4 && s->chunk < r->s.end) s->chunk *= 2;
    else if (spent > CALL_NS && s->chunk > 1) s->chunk = s->chunk / 4 > 0 ? s->chunk / 4 : 1;
  }
  if (rc < 0) run_failed(s);
  if (rc != 0 || s->reached >= s->target) uv_idle_stop(h);
  fl__serve_flush(s);
}

/* The measured speed, once a second. */
static void measure(fl_serve_t *s, uint64_t now) {
  if (now - s->measured_ms < 1000) return;
  fl_time_t t = s->run->s.eng.now;
  s->actual_speed = fl_time_to_sec(t - s->measured_t) / ((double)(now - s->measured_ms) / 1000.0);
  s->measured_t = t;
  s->measured_ms = now;
}

static void on_tick(uv_timer_t *t) {
  fl_serve_t *s = t->data;
  uint64_t now = uv_now(&s->loop);
  uint64_t dt = now - s->last_ms;
  s->last_ms = now;
  fl_run_t *r = s->run;
  if (!r || s->paused || r->s.complete) {
    s->measured_ms = now;
    if (r) s->measured_t = r->s.eng.now;
    fl__serve_flush(s);
    return;
  }
  measure(s, now);
  bool was_behind = s->behind;
  if (s->max_speed) {
    s->target = r->s.end;
    s->behind = false;
  } else {
    if (s->reached < s->target) {        /* the last tick's work is not done: drop the backlog */
      s->caught_up = 0;
      s->behind = true;
      s->target = s->reached;
    } else if (++s->caught_up >= CAUGHT_UP_TICKS) {
      s->behind = false;
    }
    double step = s->speed * (double)dt * 1e6;
    double to = (double)s->target + (step >= 1 ? step : 1);
    s->target = to < (double)r->s.end ? (fl_time_t)to : r->s.end;
  }
  if (s->behind != was_behind) fl__serve_broadcast(s, "status", fl__serve_status_json(s));
  if (s->reached < s->target && !uv_is_active((uv_handle_t *)&s->work)) uv_idle_start(&s->work, on_work);
  fl__serve_flush(s);
}

/* ---- watching the scenario, stopping ---- */

static void on_watch(uv_fs_poll_t *h, int status, const uv_stat_t *prev, const uv_stat_t *cur) {
  fl_serve_t *s = h->data;
  (void)prev; (void)cur;
  if (status < 0) return;     /* deleted or unreadable for now: the next save brings it back */
  fl__serve_reload(s, "scenario changed");
}

static void on_signal(uv_signal_t *sig, int signum) {
  fl_serve_t *s = sig->data;
  (void)signum;
  if (s->stopping) return;
  s->stopping = true;
  fprintf(stderr, "\nfaultline: stopping\n");
  fl__serve_close_clients(s);
  uv_close((uv_handle_t *)&s->listener, NULL);
  uv_close((uv_handle_t *)&s->tick, NULL);
  uv_close((uv_handle_t *)&s->work, NULL);
  uv_close((uv_handle_t *)&s->watch, NULL);
  uv_close((uv_handle_t *)&s->sigint, NULL);
  uv_close((uv_handle_t *)&s->sigterm, NULL);
}

/* ---- the server ---- */

static int listen_on(fl_serve_t *s, char *err, size_t errlen) {
  struct sockaddr_storage addr;
  if (uv_ip4_addr(s->o.host, s->o.port, (struct sockaddr_in *)&addr) != 0 &&
      uv_ip6_addr(s->o.host, s->o.port, (struct sockaddr_in6 *)&addr) != 0) {
    snprintf(err, errlen, "--host needs an IP address, got %s", s->o.host);
    return -FL_EINVAL;
  }
  uv_tcp_init(&s->loop, &s->listener);
  s->listener.data = s;
  int e = uv_tcp_bind(&s->listener, (const struct sockaddr *)&addr, 0);
  if (!e) e = uv_listen((uv_stream_t *)&s->listener, 128, fl__serve_on_connection);
  if (e) {
    snprintf(err, errlen, "cannot listen on %s:%d: %s", s->o.host, s->o.port, uv_strerror(e));
    uv_close((uv_handle_t *)&s->listener, NULL);
    uv_run(&s->loop, UV_RUN_DEFAULT);
    return -FL_EIO;
  }
  struct sockaddr_storage bound;
  int blen = sizeof bound;
  uv_tcp_getsockname(&s->listener, (struct sockaddr *)&bound, &blen);
  s->port = ntohs(((struct sockaddr_in *)&bound)->sin_port);
  return 0;
}

int fl_serve_new(const fl_serve_opts_t *o, fl_serve_t **out, char *err, size_t errlen) {
  *out = NULL;
  fl_serve_t *s = fl_xcalloc(1, sizeof *s);
  s->o = *o;
  s->speed = o->speed > 0 ? o->speed : 60;
  s->max_speed = !(o->speed > 0);
  s->wildcard = strcmp(o->host, "0.0.0.0") == 0 || strcmp(o->host, "::") == 0;
  uv_loop_init(&s->loop);
  int rc;
  if (load_run(s, &rc) != 0) snprintf(err, errlen, "%s", s->error);
  else if ((rc = fl__serve_draw_token(s)) != 0) snprintf(err, errlen, "cannot draw a random token for the page");
  else rc = listen_on(s, err, errlen);
  if (rc != 0) {
    uv_loop_close(&s->loop);
    fl_serve_free(s);
    return rc;
  }
  *out = s;
  return 0;
}

int fl_serve_port(const fl_serve_t *s) { return s->port; }

const char *fl_serve_token(const fl_serve_t *s) { return s->token; }

fl_run_t *fl_serve_current(fl_serve_t *s) { return s->run; }

int fl_serve_run(fl_serve_t *s) {
  signal(SIGPIPE, SIG_IGN);     /* a client that went away is a write error, not the end */
  s->last_ms = uv_now(&s->loop);
  uv_timer_init(&s->loop, &s->tick);
  s->tick.data = s;
  uv_timer_start(&s->tick, on_tick, TICK_MS, TICK_MS);
  uv_idle_init(&s->loop, &s->work);
  s->work.data = s;
  uv_signal_init(&s->loop, &s->sigint); s->sigint.data = s; uv_signal_start(&s->sigint, on_signal, SIGINT);
  uv_signal_init(&s->loop, &s->sigterm); s->sigterm.data = s; uv_signal_start(&s->sigterm, on_signal, SIGTERM);
  uv_fs_poll_init(&s->loop, &s->watch);
  s->watch.data = s;
  uv_fs_poll_start(&s->watch, on_watch, s->o.path, 300);
  uv_run(&s->loop, UV_RUN_DEFAULT);
  uv_loop_close(&s->loop);
  return 0;
}

void fl_serve_free(fl_serve_t *s) {
  if (!s) return;
  drop_run(s);
  cJSON_Delete(s->graph);
  free(s->owned);
  free(s->fault_sent);
  free(s);
}
