/* Messaging: asynchronous calls (publish), a broker's consumer groups (one ring of messages per
** consumer endpoint), delivery within the consumer's concurrency, redelivery and dead letters,
** and the lag each broker shows at a window's close. */
#include "run_int.h"

#include <stdlib.h>

/* An asynchronous call: the request goes out with no caller waiting for it. */
void fl__publish(fl_sim_t *s, fl_req_t *parent, const fl_call_t *call) {
  fl_call_rt_t *cr = &s->call[call->id];
  cr->calls++; cr->attempts++;
  s->svc[parent->ep->service->id].calls_via[call->slot]++;
  fl_req_t *c = fl__req_alloc(s);
  c->ep = call->target;
  if (parent->trace) fl__trace_child(s, parent, c, NULL);   /* a sampled request (trace.c) */
  fl__send(s, c);
}

static void deliver_message(fl_sim_t *s, int g) {
  fl_group_t *gr = &s->groups[g];
  fl_msg_t msg = gr->ring[gr->head];
  gr->head = (gr->head + 1) % gr->cap;
  gr->count--;
  gr->inflight++;
  gr->delivered++;
  fl_req_t *q = fl__req_alloc(s);
  q->ep = gr->consumer;
  q->dgroup = g;
  q->dmsg = msg.t;
  q->dattempts = msg.attempts;
  fl__send(s, q);
}

/* Hands waiting messages to the consumer while its concurrency allows. */
static void pump(fl_sim_t *s, int g) {
  fl_group_t *gr = &s->groups[g];
  while (gr->inflight < gr->limit && gr->count > 0) deliver_message(s, g);
}

static bool enqueue(fl_group_t *gr, fl_msg_t msg, int64_t capacity) {
  if (gr->count >= capacity) return false;
  if (gr->count == gr->cap) {   /* grow the ring, keeping its order */
    int64_t cap = gr->cap ? gr->cap * 2 : 64;
    fl_msg_t *ring = fl_xmalloc(sizeof *ring * (size_t)cap);
    for (int64_t k = 0; k < gr->count; k++) ring[k] = gr->ring[(gr->head + k) % gr->cap];
    free(gr->ring);
    gr->ring = ring; gr->cap = cap; gr->head = 0;
  }
  gr->ring[(gr->head + gr->count) % gr->cap] = msg;
  gr->count++;
  if (gr->count > gr->max_lag) gr->max_lag = gr->count;
  return true;
}

/* A message reached the broker after its work: every consumer gets it, or none when one is full. */
bool fl__broker_accept(fl_sim_t *s, const fl_service_t *svc) {
  int first = -1, n = 0;
  for (int g = 0; g < s->ngroups; g++) if (s->groups[g].broker == svc->id) { if (first < 0) first = g; n++; }
  for (int g = first; g >= 0 && g < first + n; g++)
    if (s->groups[g].count >= svc->capacity) { s->publish_rejected[svc->id]++; return false; }
  fl_msg_t msg = { s->eng.now, 0 };
  for (int g = first; g >= 0 && g < first + n; g++) enqueue(&s->groups[g], msg, svc->capacity);
  s->published[svc->id]++;
  for (int g = first; g >= 0 && g < first + n; g++) pump(s, g);
  return true;
}

/* A delivery was answered: consumed, redelivered later, or dead-lettered. */
void fl__delivery_done(fl_sim_t *s, int g, fl_outcome_t out, fl_time_t msg_t, int attempts) {
  fl_group_t *gr = &s->groups[g];
  const fl_service_t *b = &s->m->services[gr->broker];
  gr->inflight--;
  if (out != FL_OUT_FAILURE) gr->consumed++;
  else if (attempts + 1 < b->max_deliveries) {
    gr->redelivered++;
    fl_msg_t msg = { msg_t, (uint8_t)(attempts + 1) };
    if (!enqueue(gr, msg, INT64_MAX)) gr->dead++;
  } else gr->dead++;
  pump(s, g);
}

/* Broker 'svc' at the close of window w: messages waiting (all consumers), age of the oldest. */
void fl__broker_close_window(fl_sim_t *s, int svc, uint32_t w) {
  fl_stats_t *st = &s->svc[svc].st;
  double lag = 0, age = 0;
  for (int g = 0; g < s->ngroups; g++) {
    fl_group_t *gr = &s->groups[g];
    if (gr->broker != svc) continue;
    lag += (double)gr->count;
    if (gr->count) {
      double a = fl_time_to_sec(s->eng.now - gr->ring[gr->head].t);
      if (a > age) age = a;
      if (a > gr->max_age) gr->max_age = a;
    }
  }
  st->series[FL_SER_LAG][w] = lag;
  st->series[FL_SER_LAG_AGE][w] = age;
}

/* A group of messages per consumer of each broker. */
void fl__brokers_init(fl_sim_t *s) {
  const fl_model_t *m = s->m;
  s->published = fl_xcalloc((size_t)m->nservices, sizeof *s->published);
  s->publish_rejected = fl_xcalloc((size_t)m->nservices, sizeof *s->publish_rejected);
  for (int i = 0; i < m->nservices; i++) if (m->services[i].broker) s->ngroups += m->services[i].nconsumers;
  s->groups = fl_xcalloc((size_t)(s->ngroups ? s->ngroups : 1), sizeof *s->groups);
  for (int i = 0, g = 0; i < m->nservices; i++) {
    const fl_service_t *b = &m->services[i];
    if (!b->broker) continue;
    for (int k = 0; k < b->nconsumers; k++, g++) {
      fl_group_t *gr = &s->groups[g];
      gr->broker = i;
      gr->consumer = b->consumers[k];
      const fl_service_t *cs = gr->consumer->service;
      gr->limit = b->concurrency > 0 ? b->concurrency : cs->instances * cs->workers;
    }
  }
}
